/*
 * ifaddr.h - the interfaces of this network namespace and their IPv4 and
 * IPv6 addresses, read over rtnetlink (an RTM_GETLINK and an RTM_GETADDR
 * dump).
 *
 * The gateway finds with it the LAN interfaces that own an address inside
 * an advertised route; the agent can pass the same list to the route
 * checks (rift/agent/routes.h: a peer's route must not overlap a local
 * subnet).
 *
 * Ownership: rg_ifaddr_list returns a GArray the caller frees
 * (g_array_unref). Threading: none (blocks for the kernel's answers, at
 * most RG_NL_TIMEOUT_MS per datagram).
 */
#pragma once

#include <glib.h>
#include <net/if.h>
#include <stdbool.h>

#include "rift/tun/netlink.h"
#include "rift/wg/conf.h"

/* An interface, with one of its addresses (or none: family 0). */
struct rg_ifaddr {
	int ifindex;
	char ifname[IFNAMSIZ];
	bool loopback;		    /* IFF_LOOPBACK */
	struct rg_wg_prefix prefix; /* the address and its prefix length: 192.168.1.20/24 */
};

/*
 * Every interface's IPv4 and IPv6 addresses: one element per address, in
 * the kernel's order (by interface index), plus one element with family 0
 * for each interface without an address, so every interface is listed (a
 * TUN without an address is found by its name too). CORE_OK with *out;
 * CORE_ERR_SYSTEM, CORE_ERR_TIMEOUT, CORE_ERR_BAD_FORMAT with *error
 * ("cannot list the network interfaces: ...").
 */
int rg_ifaddr_list(struct rg_nl *nl, GArray **out, GError **error);

/* The first element of list named ifname, or NULL. */
const struct rg_ifaddr *rg_ifaddr_find(const GArray *list, const char *ifname);

/*
 * Read an RTM_NEWLINK message (length checked against its datagram; any
 * content is safe): CORE_OK with ifindex, ifname and loopback set in *out
 * (prefix zeroed); CORE_ERR_NOT_FOUND for another type; CORE_ERR_BAD_FORMAT
 * (truncated, no IFLA_IFNAME, a name of 16 bytes or more).
 */
int rg_ifaddr_parse_link(const struct nlmsghdr *nlh, struct rg_ifaddr *out);

/*
 * Read an RTM_NEWADDR message: CORE_OK with ifindex and prefix set in *out
 * (IFA_LOCAL, else IFA_ADDRESS; ifname untouched); CORE_ERR_NOT_FOUND for
 * another type or family; CORE_ERR_BAD_FORMAT (truncated, no address, an
 * address of the wrong length, a prefix length beyond the family's).
 */
int rg_ifaddr_parse_addr(const struct nlmsghdr *nlh, struct rg_ifaddr *out);
