/*
 * fwd.h - an interface's IPv4 forwarding switch (net.ipv4.conf.IF.forwarding)
 * over rtnetlink.
 *
 * Read with RTM_GETNETCONF (the kernel's netconf answer for the interface)
 * and set with RTM_SETLINK, IFLA_AF_SPEC > AF_INET > IFLA_INET_CONF, entry
 * IPV4_DEVCONF_FORWARDING: neither goes through /proc/sys, so both work
 * under systemd's ProtectKernelTunables (which mounts /proc/sys read-only)
 * and in the network namespace of the netlink socket. Setting it needs
 * CAP_NET_ADMIN there.
 *
 * Only this interface's switch is touched, not net.ipv4.ip_forward ("all"),
 * which would turn every interface into a router. IPv4 forwards a packet
 * when the interface it came in by has forwarding on.
 *
 * Errors: CORE_OK or a negative CORE_ERR_* code; *error (domain CORE_ERROR,
 * same code) names the interface and the kernel's reason: "cannot switch
 * forwarding on for eth0: No such device".
 *
 * Ownership: the caller's netlink socket (NETLINK_ROUTE) is only borrowed.
 * Threading: none (the calls block for the kernel's answer, at most
 * RG_NL_TIMEOUT_MS).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "rift/tun/netlink.h"

/* Build into buf the RTM_GETNETCONF request for ifindex's IPv4 configuration. */
void rg_fwd_build_get(union rg_nl_buf *buf, int ifindex);

/* Build into buf the RTM_SETLINK request that switches ifindex's IPv4 forwarding. */
void rg_fwd_build_set(union rg_nl_buf *buf, int ifindex, bool on);

/*
 * Read the forwarding switch from an RTM_NEWNETCONF message (length already
 * checked against its datagram; any content is safe). CORE_OK with *on;
 * CORE_ERR_NOT_FOUND (another message type, family or interface, or no
 * NETCONFA_FORWARDING in it); CORE_ERR_BAD_FORMAT (a truncated header or
 * attribute).
 */
int rg_fwd_parse_netconf(const struct nlmsghdr *nlh, int ifindex, bool *on);

/*
 * Whether ifindex (named ifname in errors) forwards IPv4. CORE_OK with *on;
 * CORE_ERR_SYSTEM ("cannot read the forwarding switch of eth0: No such
 * device"); CORE_ERR_NOT_FOUND (the kernel answered without it);
 * CORE_ERR_TIMEOUT; CORE_ERR_BAD_FORMAT.
 */
int rg_fwd_get(struct rg_nl *nl, int ifindex, const char *ifname, bool *on, GError **error);

/*
 * Switch ifindex's IPv4 forwarding on or off. CORE_OK; CORE_ERR_SYSTEM
 * ("cannot switch forwarding on for eth0: Operation not permitted");
 * CORE_ERR_TIMEOUT; CORE_ERR_BAD_FORMAT.
 */
int rg_fwd_set(struct rg_nl *nl, int ifindex, const char *ifname, bool on, GError **error);
