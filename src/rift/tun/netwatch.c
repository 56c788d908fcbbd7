/* netwatch.c - network changes from rtnetlink (contract in netwatch.h). */
#include "rift/tun/netwatch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"

struct rg_netwatch {
	struct mnl_socket *sock;
	int ignore;
	rg_netwatch_fn fn;
	void *data;
	guint watch, settle;
	char why[96]; /* the first change of the burst */
	uint8_t buf[16384];
};

struct route_attrs {
	int oif;
	uint32_t table;
};

static int route_attr(const struct nlattr *attr, void *data)
{
	struct route_attrs *r = data;

	if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		r->oif = (int)mnl_attr_get_u32(attr);
	else if (mnl_attr_get_type(attr) == RTA_TABLE && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		r->table = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* Is nlh a change; if so, say which in why. */
static bool message_relevant(const struct nlmsghdr *nlh, int ignore, char *why, size_t whylen)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa;

		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa))
			return false;
		ifa = mnl_nlmsg_get_payload(nlh);
		/* link-local addresses come and go with links, never with a path (and
		 * a tentative one is not usable yet: its "added" comes after DAD) */
		if ((int)ifa->ifa_index == ignore || ifa->ifa_scope == RT_SCOPE_LINK ||
		    ifa->ifa_scope == RT_SCOPE_HOST || (ifa->ifa_flags & IFA_F_TENTATIVE))
			return false;
		g_snprintf(why, whylen, "an IPv%d address %s interface %u",
			   ifa->ifa_family == AF_INET6 ? 6 : 4,
			   nlh->nlmsg_type == RTM_NEWADDR ? "added to" : "removed from",
			   ifa->ifa_index);
		return true;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm;
		struct route_attrs r = { 0 };

		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*rtm))
			return false;
		rtm = mnl_nlmsg_get_payload(nlh);
		r.table = rtm->rtm_table;
		if (rtm->rtm_dst_len != 0)
			return false;
		mnl_attr_parse(nlh, sizeof(*rtm), route_attr, &r);
		if (r.table != RT_TABLE_MAIN || r.oif == ignore)
			return false;
		g_snprintf(why, whylen, "an IPv%d default route %s (interface %d)",
			   rtm->rtm_family == AF_INET6 ? 6 : 4,
			   nlh->nlmsg_type == RTM_NEWROUTE ? "added" : "removed", r.oif);
		return true;
	}
	default:
		return false;
	}
}

bool rg_netwatch_relevant(const void *buf, size_t len, int ignore_ifindex, char *why, size_t whylen)
{
	const uint8_t *p = buf;
	size_t left = len;

	/* our own walk: mnl_nlmsg_ok compares the length as an int, so a length
	 * of 2^32 - 256 passes it */
	while (left >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t n = nlh->nlmsg_len, step = MNL_ALIGN(n);

		if (n < sizeof(*nlh) || n > left)
			return false;
		if (message_relevant(nlh, ignore_ifindex, why, whylen))
			return true;
		if (step >= left)
			return false;
		p += step;
		left -= step;
	}
	return false;
}

static gboolean settled(gpointer data)
{
	struct rg_netwatch *w = data;

	w->settle = 0;
	w->fn(w->data, w->why);
	return G_SOURCE_REMOVE;
}

static gboolean on_readable(int fd, GIOCondition cond, void *data)
{
	struct rg_netwatch *w = data;
	bool change = false;
	char why[sizeof(w->why)];
	ssize_t n;

	/* read everything queued; an overrun (ENOBUFS) lost events: count it as a change */
	while ((n = recv(fd, w->buf, sizeof(w->buf), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == ENOBUFS && !change) {
				change = true;
				g_strlcpy(why, "events were lost (ENOBUFS)", sizeof(why));
			}
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}
		if (!change && rg_netwatch_relevant(w->buf, (size_t)n, w->ignore, why, sizeof(why)))
			change = true;
	}
	if (change) {
		if (w->settle == 0)
			g_strlcpy(w->why, why, sizeof(w->why));
		core_source_clear(&w->settle);
		w->settle = g_timeout_add(RG_NETWATCH_SETTLE_MS, settled, w);
	}
	return G_SOURCE_CONTINUE;
}

int rg_netwatch_new(struct rg_netwatch **out, int ignore_ifindex, rg_netwatch_fn fn, void *data,
		    GError **error)
{
	struct rg_netwatch *w = g_new0(struct rg_netwatch, 1);
	unsigned groups =
		RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

	*out = NULL;
	w->ignore = ignore_ifindex;
	w->fn = fn;
	w->data = data;
	w->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (w->sock == NULL || mnl_socket_bind(w->sock, groups, MNL_SOCKET_AUTOPID) < 0) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "cannot watch the network: %s",
				   g_strerror(errno));
		rg_netwatch_free(w);
		return CORE_ERR_SYSTEM;
	}
	w->watch = core_fd_watch_add(mnl_socket_get_fd(w->sock), G_IO_IN, on_readable, w);
	*out = w;
	return CORE_OK;
}

void rg_netwatch_free(struct rg_netwatch *w)
{
	if (w == NULL)
		return;
	core_source_clear(&w->watch);
	core_source_clear(&w->settle);
	if (w->sock != NULL)
		mnl_socket_close(w->sock);
	g_free(w);
}
