/*
 * netwatch.h - tell the agent when the machine's network changed under
 * it: an address added or removed, or a default route changed, on any
 * interface but the tunnel's own (rtnetlink multicast groups
 * RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE,
 * RTMGRP_IPV6_ROUTE). Such a change can end every ICE path at once
 * (a laptop moving from Wi-Fi to Ethernet, a renumbered router), and
 * waiting for ICE to notice costs 30 s.
 *
 * A burst of events (an interface going down drops its addresses and
 * routes one by one) is reported once, RG_NETWATCH_SETTLE_MS after the
 * last event of the burst. Routes other than default routes of the main
 * table, link-local, host-scope and tentative (DAD not done) addresses,
 * and events of the ignored interface are not changes.
 *
 * rg_netwatch_relevant is the pure part (what the kernel sends is parsed
 * only there; fuzzed). Ownership: rg_netwatch_free. Threading: the
 * thread-default main context at creation.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define RG_NETWATCH_SETTLE_MS 300

struct rg_netwatch;

/* The network changed; why names the first change of the burst ("an IPv4 address removed from interface 2"). */
typedef void (*rg_netwatch_fn)(void *data, const char *why);

/* CORE_OK, or CORE_ERR_SYSTEM with *error (the netlink socket). */
int rg_netwatch_new(struct rg_netwatch **out, int ignore_ifindex, rg_netwatch_fn fn, void *data,
		    GError **error);
void rg_netwatch_free(struct rg_netwatch *w);

/*
 * Does one datagram of rtnetlink notifications (len bytes, aligned for
 * struct nlmsghdr) hold a change: a new or deleted address on an interface
 * other than ignore_ifindex, or a new or deleted default route of the main
 * table whose output interface is not ignore_ifindex? Every length is
 * checked against len: any bytes are safe. When true, why (whylen bytes)
 * says which change it is.
 */
bool rg_netwatch_relevant(const void *buf, size_t len, int ignore_ifindex, char *why,
			  size_t whylen);
