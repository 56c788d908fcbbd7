/* ifaddr.c - interfaces and their addresses over rtnetlink (see ifaddr.h). */
#include "rift/tun/ifaddr.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"

/* The attributes of a family header of hdrlen bytes, with the message's exact length. */
static int ifaddr_attrs(const struct nlmsghdr *nlh, size_t hdrlen, mnl_attr_cb_t cb, void *data)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (len < MNL_ALIGN(hdrlen))
		return CORE_ERR_BAD_FORMAT;
	/* Not mnl_attr_parse: it rounds the message's end up, past a short message. */
	if (mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + MNL_ALIGN(hdrlen),
				   len - MNL_ALIGN(hdrlen), cb, data) != MNL_CB_OK)
		return CORE_ERR_BAD_FORMAT;
	return CORE_OK;
}

static int ifaddr_link_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **name = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME)
		*name = attr;
	return MNL_CB_OK;
}

int rg_ifaddr_parse_link(const struct nlmsghdr *nlh, struct rg_ifaddr *out)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *name = NULL;
	size_t n;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return CORE_ERR_NOT_FOUND;
	if (ifaddr_attrs(nlh, sizeof(*ifi), ifaddr_link_attr, &name) != CORE_OK || name == NULL)
		return CORE_ERR_BAD_FORMAT;
	n = strnlen(mnl_attr_get_payload(name), mnl_attr_get_payload_len(name));
	if (n == 0 || n >= IFNAMSIZ)
		return CORE_ERR_BAD_FORMAT;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	memcpy(out->ifname, mnl_attr_get_payload(name), n);
	out->loopback = (ifi->ifi_flags & IFF_LOOPBACK) != 0;
	return CORE_OK;
}

/* IFA_LOCAL (this end) and IFA_ADDRESS (the peer's on point-to-point links). */
struct ifaddr_addr {
	const struct nlattr *local, *address;
};

static int ifaddr_addr_attr(const struct nlattr *attr, void *data)
{
	struct ifaddr_addr *a = data;

	if (mnl_attr_get_type(attr) == IFA_LOCAL)
		a->local = attr;
	else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
		a->address = attr;
	return MNL_CB_OK;
}

int rg_ifaddr_parse_addr(const struct nlmsghdr *nlh, struct rg_ifaddr *out)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct ifaddr_addr a = { NULL, NULL };
	const struct nlattr *addr;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return CORE_ERR_NOT_FOUND;
	if (ifaddr_attrs(nlh, sizeof(*ifa), ifaddr_addr_attr, &a) != CORE_OK)
		return CORE_ERR_BAD_FORMAT;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return CORE_ERR_NOT_FOUND;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	addr = a.local != NULL ? a.local : a.address;
	if (addr == NULL || mnl_attr_get_payload_len(addr) != alen || ifa->ifa_prefixlen > alen * 8)
		return CORE_ERR_BAD_FORMAT;
	out->ifindex = (int)ifa->ifa_index;
	memset(&out->prefix, 0, sizeof(out->prefix));
	out->prefix.family = ifa->ifa_family == AF_INET ? 4 : 6;
	memcpy(out->prefix.addr, mnl_attr_get_payload(addr), alen);
	out->prefix.len = ifa->ifa_prefixlen;
	return CORE_OK;
}

/* Collect the links of a dump into an array of struct rg_ifaddr (family 0). */
static int ifaddr_link_reply(const struct nlmsghdr *nlh, void *data)
{
	GArray *links = data;
	struct rg_ifaddr l;
	int rc = rg_ifaddr_parse_link(nlh, &l);

	if (rc == CORE_OK)
		g_array_append_val(links, l);
	return rc == CORE_ERR_NOT_FOUND ? CORE_OK : rc;
}

/* The addresses of a dump, named from the links. */
struct ifaddr_dump {
	const GArray *links;
	GArray *out;
	GArray *has_addr; /* of gboolean, per link */
};

static int ifaddr_addr_reply(const struct nlmsghdr *nlh, void *data)
{
	struct ifaddr_dump *d = data;
	struct rg_ifaddr a;
	int rc = rg_ifaddr_parse_addr(nlh, &a);

	if (rc != CORE_OK)
		return rc == CORE_ERR_NOT_FOUND ? CORE_OK : rc;
	for (guint i = 0; i < d->links->len; i++) {
		const struct rg_ifaddr *l = &g_array_index(d->links, struct rg_ifaddr, i);

		if (l->ifindex != a.ifindex)
			continue;
		memcpy(a.ifname, l->ifname, sizeof(a.ifname));
		a.loopback = l->loopback;
		g_array_append_val(d->out, a);
		g_array_index(d->has_addr, gboolean, i) = TRUE;
	}
	/* An address of a link born after the link dump: seen at the next listing. */
	return CORE_OK;
}

/* Run one dump of type (RTM_GETLINK, RTM_GETADDR) with fn over its messages. */
static int ifaddr_dump(struct rg_nl *nl, uint16_t type, rg_nl_reply_fn fn, void *data,
		       GError **error)
{
	struct rg_nl_result res;
	union rg_nl_buf buf;
	int rc;

	if (type == RTM_GETLINK)
		rg_nl_request(&buf, type, NLM_F_DUMP, sizeof(struct ifinfomsg));
	else
		rg_nl_request(&buf, type, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	rc = rg_nl_query(nl, &buf.hdr, fn, data, &res);
	if (rc != CORE_OK && res.err_no != 0)
		g_set_error(error, CORE_ERROR, rc, "cannot list the network %s: %s",
			    type == RTM_GETLINK ? "interfaces" : "addresses",
			    g_strerror(res.err_no));
	else if (rc != CORE_OK)
		g_set_error(error, CORE_ERROR, rc, "cannot list the network %s: a malformed answer",
			    type == RTM_GETLINK ? "interfaces" : "addresses");
	return rc;
}

int rg_ifaddr_list(struct rg_nl *nl, GArray **out, GError **error)
{
	GArray *links = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));
	struct ifaddr_dump d = { links, NULL, NULL };
	int rc;

	*out = NULL;
	d.out = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));
	rc = ifaddr_dump(nl, RTM_GETLINK, ifaddr_link_reply, links, error);
	if (rc != CORE_OK)
		goto out;
	d.has_addr = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), links->len);
	g_array_set_size(d.has_addr, links->len);
	rc = ifaddr_dump(nl, RTM_GETADDR, ifaddr_addr_reply, &d, error);
	if (rc != CORE_OK)
		goto out;
	for (guint i = 0; i < links->len; i++) {
		if (!g_array_index(d.has_addr, gboolean, i))
			g_array_append_val(d.out, g_array_index(links, struct rg_ifaddr, i));
	}
	*out = d.out;
	d.out = NULL;
out:
	if (d.out != NULL)
		g_array_unref(d.out);
	if (d.has_addr != NULL)
		g_array_unref(d.has_addr);
	g_array_unref(links);
	return rc;
}

const struct rg_ifaddr *rg_ifaddr_find(const GArray *list, const char *ifname)
{
	for (guint i = 0; list != NULL && i < list->len; i++) {
		const struct rg_ifaddr *a = &g_array_index(list, struct rg_ifaddr, i);

		if (strcmp(a->ifname, ifname) == 0)
			return a;
	}
	return NULL;
}
