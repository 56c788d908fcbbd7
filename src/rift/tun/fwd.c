/* fwd.c - per-interface IPv4 forwarding over rtnetlink (see fwd.h). */
#include "rift/tun/fwd.h"

#include <libmnl/libmnl.h>
#include <linux/ip.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"

void rg_fwd_build_get(union rg_nl_buf *buf, int ifindex)
{
	struct netconfmsg *ncm = rg_nl_request(buf, RTM_GETNETCONF, 0, sizeof(*ncm));

	ncm->ncm_family = AF_INET;
	mnl_attr_put_u32(&buf->hdr, NETCONFA_IFINDEX, (uint32_t)ifindex);
}

void rg_fwd_build_set(union rg_nl_buf *buf, int ifindex, bool on)
{
	struct ifinfomsg *ifi = rg_nl_request(buf, RTM_SETLINK, 0, sizeof(*ifi));
	struct nlattr *spec, *inet, *conf;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	spec = mnl_attr_nest_start(&buf->hdr, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(&buf->hdr, AF_INET);
	conf = mnl_attr_nest_start(&buf->hdr, IFLA_INET_CONF);
	/* The entries of IFLA_INET_CONF are typed by their index in the devconf array. */
	mnl_attr_put_u32(&buf->hdr, IPV4_DEVCONF_FORWARDING, on ? 1 : 0);
	mnl_attr_nest_end(&buf->hdr, conf);
	mnl_attr_nest_end(&buf->hdr, inet);
	mnl_attr_nest_end(&buf->hdr, spec);
}

/* What the netconf attributes say: the interface and its forwarding switch. */
struct fwd_netconf {
	bool has_ifindex, has_forwarding;
	int32_t ifindex, forwarding;
};

static int fwd_netconf_attr(const struct nlattr *attr, void *data)
{
	struct fwd_netconf *nc = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type != NETCONFA_IFINDEX && type != NETCONFA_FORWARDING)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (type == NETCONFA_IFINDEX) {
		nc->has_ifindex = true;
		nc->ifindex = (int32_t)mnl_attr_get_u32(attr);
	} else {
		nc->has_forwarding = true;
		nc->forwarding = (int32_t)mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

int rg_fwd_parse_netconf(const struct nlmsghdr *nlh, int ifindex, bool *on)
{
	const struct netconfmsg *ncm;
	struct fwd_netconf nc = { 0 };

	if (nlh->nlmsg_type != RTM_NEWNETCONF)
		return CORE_ERR_NOT_FOUND;
	if (mnl_nlmsg_get_payload_len(nlh) < MNL_ALIGN(sizeof(*ncm)))
		return CORE_ERR_BAD_FORMAT;
	ncm = mnl_nlmsg_get_payload(nlh);
	if (ncm->ncm_family != AF_INET)
		return CORE_ERR_NOT_FOUND;
	/* Exact length: libmnl's mnl_attr_parse rounds the message's end up, past a short one. */
	if (mnl_attr_parse_payload((const char *)ncm + MNL_ALIGN(sizeof(*ncm)),
				   mnl_nlmsg_get_payload_len(nlh) - MNL_ALIGN(sizeof(*ncm)),
				   fwd_netconf_attr, &nc) != MNL_CB_OK)
		return CORE_ERR_BAD_FORMAT;
	if (!nc.has_ifindex || nc.ifindex != ifindex || !nc.has_forwarding)
		return CORE_ERR_NOT_FOUND;
	*on = nc.forwarding != 0;
	return CORE_OK;
}

/* The reply collector of rg_fwd_get. */
struct fwd_get {
	int ifindex;
	bool on;
	int rc; /* CORE_ERR_NOT_FOUND until the interface's netconf came */
};

static int fwd_get_reply(const struct nlmsghdr *nlh, void *data)
{
	struct fwd_get *g = data;
	int rc = rg_fwd_parse_netconf(nlh, g->ifindex, &g->on);

	if (rc != CORE_ERR_NOT_FOUND)
		g->rc = rc;
	return rc == CORE_ERR_NOT_FOUND ? CORE_OK : rc;
}

/* Set *error to "<what> <ifname>: <errno text> (<kernel's text>)" and return rc. */
static int fwd_fail(GError **error, int rc, const struct rg_nl_result *res, const char *what,
		    const char *ifname)
{
	if (res->msg[0] != '\0')
		g_set_error(error, CORE_ERROR, rc, "%s %s: %s (%s)", what, ifname,
			    g_strerror(res->err_no), res->msg);
	else
		g_set_error(error, CORE_ERROR, rc, "%s %s: %s", what, ifname,
			    g_strerror(res->err_no));
	return rc;
}

int rg_fwd_get(struct rg_nl *nl, int ifindex, const char *ifname, bool *on, GError **error)
{
	struct fwd_get g = { ifindex, false, CORE_ERR_NOT_FOUND };
	struct rg_nl_result res;
	union rg_nl_buf buf;
	int rc;

	rg_fwd_build_get(&buf, ifindex);
	rc = rg_nl_query(nl, &buf.hdr, fwd_get_reply, &g, &res);
	if (rc == CORE_OK)
		rc = g.rc;
	if (rc == CORE_OK)
		*on = g.on;
	else if (rc == CORE_ERR_NOT_FOUND)
		g_set_error(error, CORE_ERROR, rc,
			    "cannot read the forwarding switch of %s: not in the kernel's answer",
			    ifname);
	else if (res.err_no != 0)
		fwd_fail(error, rc, &res, "cannot read the forwarding switch of", ifname);
	else
		g_set_error(error, CORE_ERROR, rc,
			    "cannot read the forwarding switch of %s: a malformed answer", ifname);
	return rc;
}

int rg_fwd_set(struct rg_nl *nl, int ifindex, const char *ifname, bool on, GError **error)
{
	struct rg_nl_result res;
	union rg_nl_buf buf;
	int rc;

	rg_fwd_build_set(&buf, ifindex, on);
	rc = rg_nl_transact(nl, &buf.hdr, &res);
	if (rc != CORE_OK)
		fwd_fail(error, rc, &res,
			 on ? "cannot switch forwarding on for"
			    : "cannot switch forwarding off for",
			 ifname);
	return rc;
}
