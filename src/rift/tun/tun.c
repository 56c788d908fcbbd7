/* tun.c - a TUN device configured over rtnetlink (see tun.h). */
#include "rift/tun/tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/err.h"
#include "rift/tun/netlink.h"

#define TUN_CLONE_DEV	  "/dev/net/tun"
#define TUN_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4) /* "addr/128" */
#define TUN_VNET_HDR_LEN  10			 /* struct virtio_net_hdr (vnet.h) */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2; Debian 12's headers predate it */
#define TUN_F_USO6 0x40
#endif
#define TUN_TCP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

struct rg_tun {
	int fd;		   /* the packet fd; -1 before creation */
	unsigned offloads; /* RG_TUN_* */
	int ifindex;
	char name[IFNAMSIZ];
	struct rg_nl *nl; /* for the configuration requests */
};

/* Set *error to "<fmt...>: <reason>" and return rc. */
static int G_GNUC_PRINTF(4, 5)
	tun_fail(GError **error, int rc, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, CORE_ERROR, rc, "%s: %s", what, reason);
	g_free(what);
	return rc;
}

/*
 * Send the request in buf and wait for its ack. On failure *error is
 * "<fmt...>: <errno text>", with the kernel's own words in parentheses when
 * it gave some. A route delete the kernel answers with ESRCH is
 * CORE_ERR_NOT_FOUND, "no such route".
 */
static int G_GNUC_PRINTF(4, 5)
	tun_transact(struct rg_tun *t, union rg_nl_buf *buf, GError **error, const char *fmt, ...)
{
	struct rg_nl_result res;
	char *what = NULL;
	va_list ap;
	int rc;

	const char *reason;

	rc = rg_nl_transact(t->nl, &buf->hdr, &res);
	if (rc == CORE_OK)
		goto out;
	reason = g_strerror(res.err_no);
	if (rc == CORE_ERR_SYSTEM && res.err_no == ESRCH && buf->hdr.nlmsg_type == RTM_DELROUTE) {
		rc = CORE_ERR_NOT_FOUND;
		reason = "no such route";
	}
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (res.msg[0] != '\0')
		g_set_error(error, CORE_ERROR, rc, "%s: %s (%s)", what, reason, res.msg);
	else
		g_set_error(error, CORE_ERROR, rc, "%s: %s", what, reason);
out:
	g_free(what);
	return rc;
}

/* Why the kernel would refuse name (its dev_valid_name), or NULL when it is fine. */
static const char *tun_name_problem(const char *name)
{
	if (strlen(name) >= IFNAMSIZ)
		return "name longer than 15 characters";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n\r\v\f"))
		return "not a valid interface name (\".\", \"..\", or a '/', ':' or space in it)";
	return NULL;
}

/*
 * Attach with the virtio-net header, 10 bytes, little-endian: true, or
 * false when the kernel refused the header (nothing attached) or its size
 * or byte order (the fd must be reopened).
 */
static bool tun_attach_vnet(struct rg_tun *t, struct ifreq *ifr, bool *reopen)
{
	int sz = TUN_VNET_HDR_LEN, le = 1;

	ifr->ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	*reopen = false;
	if (ioctl(t->fd, TUNSETIFF, ifr) < 0)
		return false;
	*reopen = ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(t->fd, TUNSETVNETLE, &le) < 0;
	return !*reopen;
}

/* Checksums and TCP segmentation, then UDP's too: the RG_TUN_* bits the kernel took. */
static unsigned tun_offload(struct rg_tun *t)
{
	if (ioctl(t->fd, TUNSETOFFLOAD, TUN_TCP_OFFLOADS) < 0)
		return RG_TUN_VNET_HDR;
	if (ioctl(t->fd, TUNSETOFFLOAD, TUN_TCP_OFFLOADS | TUN_F_USO4 | TUN_F_USO6) < 0)
		return RG_TUN_VNET_HDR | RG_TUN_TSO;
	return RG_TUN_VNET_HDR | RG_TUN_TSO | RG_TUN_USO;
}

/*
 * Open the clone device and attach a new TUN interface named name ("" =
 * kernel's pick), with the offloads when asked (as far as granted).
 */
static int tun_create(struct rg_tun *t, const char *name, bool offload, GError **error)
{
	struct ifreq ifr;
	bool reopen = false;
	int rc = CORE_OK;

	t->fd = open(TUN_CLONE_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		rc = tun_fail(error, CORE_ERR_SYSTEM, g_strerror(errno),
			      "cannot create TUN device %s: " TUN_CLONE_DEV, name);
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (offload && tun_attach_vnet(t, &ifr, &reopen)) {
		t->offloads = tun_offload(t);
		goto named;
	}
	if (reopen) {
		close(t->fd);
		return tun_create(t, name, false, error);
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		rc = tun_fail(error, CORE_ERR_SYSTEM, g_strerror(errno),
			      "cannot create TUN device %s", name);
		goto out;
	}
named:
	/* The kernel's name: it expands "%d" and fills an empty one. */
	g_strlcpy(t->name, ifr.ifr_name, sizeof(t->name));
out:
	return rc;
}

/* Look up the new interface's index and open the netlink socket that configures it. */
static int tun_attach(struct rg_tun *t, GError **error)
{
	int rc = CORE_OK;

	t->ifindex = (int)if_nametoindex(t->name);
	if (t->ifindex == 0) {
		rc = tun_fail(error, CORE_ERR_SYSTEM, g_strerror(errno),
			      "cannot find the index of TUN device %s", t->name);
		goto out;
	}
	if (rg_nl_open(&t->nl) < 0)
		rc = tun_fail(error, CORE_ERR_SYSTEM, g_strerror(errno),
			      "cannot open an rtnetlink socket for %s", t->name);
out:
	return rc;
}

/* rg_tun_open and rg_tun_open_offload. */
static int tun_open(struct rg_tun **out, const char *name, bool offload, GError **error)
{
	struct rg_tun *t = NULL;
	const char *problem;
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "";
	problem = tun_name_problem(name);
	if (problem != NULL) {
		rc = tun_fail(error, CORE_ERR_INVALID_ARG, problem, "cannot create TUN device %s",
			      name);
		goto out;
	}
	t = g_new0(struct rg_tun, 1);
	t->fd = -1;
	rc = tun_create(t, name[0] != '\0' ? name : "tun%d", offload, error);
	if (rc < 0)
		goto out;
	rc = tun_attach(t, error);
	if (rc < 0)
		goto out;
	*out = t;
	t = NULL;
out:
	rg_tun_close(t);
	return rc;
}

int rg_tun_open(struct rg_tun **out, const char *name, GError **error)
{
	return tun_open(out, name, false, error);
}

int rg_tun_open_offload(struct rg_tun **out, const char *name, GError **error)
{
	return tun_open(out, name, true, error);
}

unsigned rg_tun_offloads(const struct rg_tun *t)
{
	return t->offloads;
}

const char *rg_tun_name(const struct rg_tun *t)
{
	return t->name;
}

int rg_tun_fd(const struct rg_tun *t)
{
	return t->fd;
}

int rg_tun_ifindex(const struct rg_tun *t)
{
	return t->ifindex;
}

/* Start an RTM_NEWLINK request for t in buf. */
static struct ifinfomsg *tun_newlink(struct rg_tun *t, union rg_nl_buf *buf)
{
	struct ifinfomsg *ifi = rg_nl_request(buf, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = t->ifindex;
	return ifi;
}

int rg_tun_set_mtu(struct rg_tun *t, unsigned mtu, GError **error)
{
	union rg_nl_buf buf;

	tun_newlink(t, &buf);
	mnl_attr_put_u32(&buf.hdr, IFLA_MTU, mtu);
	return tun_transact(t, &buf, error, "cannot set MTU %u on %s", mtu, t->name);
}

int rg_tun_set_up(struct rg_tun *t, GError **error)
{
	union rg_nl_buf buf;
	struct ifinfomsg *ifi = tun_newlink(t, &buf);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return tun_transact(t, &buf, error, "cannot bring %s up", t->name);
}

/* Bytes of a family's address when prefix_len fits it; 0 for anything else. */
static size_t tun_addr_len(int family, const uint8_t *addr, unsigned prefix_len)
{
	if (addr != NULL && family == AF_INET && prefix_len <= 32)
		return 4;
	if (addr != NULL && family == AF_INET6 && prefix_len <= 128)
		return 16;
	return 0;
}

/* "10.0.0.1/24" or "fd00::1/64" into out (TUN_PREFIX_STRLEN bytes); family is valid. */
static const char *tun_prefix_str(int family, const uint8_t *addr, unsigned prefix_len, char *out)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	g_snprintf(out, TUN_PREFIX_STRLEN, "%s/%u", a, prefix_len);
	return out;
}

/* The error for a family/prefix length that is neither IPv4 nor IPv6. */
static int tun_bad_prefix(struct rg_tun *t, const char *verb, const char *what, int family,
			  unsigned prefix_len, GError **error)
{
	return tun_fail(error, CORE_ERR_INVALID_ARG, "not an IPv4 (/0-32) or IPv6 (/0-128) prefix",
			"cannot %s %s (family %d, prefix length %u) %s %s", verb, what, family,
			prefix_len, strcmp(verb, "delete") == 0 ? "from" : "to", t->name);
}

int rg_tun_add_address(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		       GError **error)
{
	size_t alen = tun_addr_len(family, addr, prefix_len);
	char text[TUN_PREFIX_STRLEN];
	union rg_nl_buf buf;
	struct ifaddrmsg *ifa;

	if (alen == 0)
		return tun_bad_prefix(t, "add", "an address", family, prefix_len, error);
	ifa = rg_nl_request(&buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)t->ifindex;
	/* Local and "address" equal: an address on the link, not a point-to-point peer. */
	mnl_attr_put(&buf.hdr, IFA_LOCAL, alen, addr);
	mnl_attr_put(&buf.hdr, IFA_ADDRESS, alen, addr);
	if (family == AF_INET6) {
		/* No duplicate detection: the address is usable now, not in a second or two. */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(&buf.hdr, IFA_FLAGS, IFA_F_NODAD);
	}
	return tun_transact(t, &buf, error, "cannot add address %s to %s",
			    tun_prefix_str(family, addr, prefix_len, text), t->name);
}

/* Clear the bits of a (alen bytes) beyond the first prefix_len. */
static void tun_mask(uint8_t *a, size_t alen, unsigned prefix_len)
{
	size_t i;
	unsigned bits;

	for (i = 0; i < alen; i++) {
		bits = prefix_len > i * 8 ? prefix_len - (unsigned)i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/*
 * Start a route request (RTM_NEWROUTE or RTM_DELROUTE) for the prefix
 * through t in buf; dst (16 bytes) receives the masked prefix.
 */
static void tun_route_request(struct rg_tun *t, union rg_nl_buf *buf, uint16_t type, uint16_t flags,
			      int family, const uint8_t *addr, size_t alen, unsigned prefix_len,
			      uint8_t *dst)
{
	struct rtmsg *rtm;

	memcpy(dst, addr, alen);
	tun_mask(dst, alen, prefix_len);
	rtm = rg_nl_request(buf, type, flags, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)prefix_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	/* Directly on the link, no gateway; IPv6 routes have no scope (iproute2 sends universe). */
	rtm->rtm_scope = family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(&buf->hdr, RTA_DST, alen, dst);
	mnl_attr_put_u32(&buf->hdr, RTA_OIF, (uint32_t)t->ifindex);
	mnl_attr_put_u32(&buf->hdr, RTA_TABLE, RT_TABLE_MAIN);
}

int rg_tun_add_route(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		     GError **error)
{
	size_t alen = tun_addr_len(family, addr, prefix_len);
	char text[TUN_PREFIX_STRLEN];
	uint8_t dst[16];
	union rg_nl_buf buf;

	if (alen == 0)
		return tun_bad_prefix(t, "add", "a route", family, prefix_len, error);
	tun_route_request(t, &buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, family, addr, alen,
			  prefix_len, dst);
	return tun_transact(t, &buf, error, "cannot add route to %s through %s",
			    tun_prefix_str(family, dst, prefix_len, text), t->name);
}

int rg_tun_del_route(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		     GError **error)
{
	size_t alen = tun_addr_len(family, addr, prefix_len);
	char text[TUN_PREFIX_STRLEN];
	uint8_t dst[16];
	union rg_nl_buf buf;

	if (alen == 0)
		return tun_bad_prefix(t, "delete", "a route", family, prefix_len, error);
	tun_route_request(t, &buf, RTM_DELROUTE, 0, family, addr, alen, prefix_len, dst);
	return tun_transact(t, &buf, error, "cannot delete route to %s through %s",
			    tun_prefix_str(family, dst, prefix_len, text), t->name);
}

void rg_tun_close(struct rg_tun *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	rg_nl_close(t->nl);
	g_free(t);
}
