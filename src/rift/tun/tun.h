/*
 * tun.h - a Linux TUN device for riftgate: layer-3 packets (IFF_TUN, no
 * packet-information header) read from and written to one non-blocking fd,
 * with its MTU, state, addresses and routes set over rtnetlink.
 *
 * The device is not persistent: the kernel removes it, with its addresses
 * and routes, when the fd closes (rg_tun_close, or the process's exit).
 * Creating it and configuring it need CAP_NET_ADMIN in the current network
 * namespace.
 *
 * Errors: every function returns CORE_OK or a negative CORE_ERR_* code (err.h)
 * and sets *error (domain CORE_ERROR, same code) to a message naming the
 * device and the kernel's reason, e.g. "cannot add address 10.0.0.1/24 to
 * wg0: File exists". Netlink requests wait for the kernel's ack at most
 * RG_NL_TIMEOUT_MS (netlink.h): CORE_ERR_TIMEOUT after that.
 *
 * Ownership: rg_tun_open hands the caller a device it frees with
 * rg_tun_close; the fd belongs to the device (do not close it yourself).
 * Threading: none; one owner thread (the calls block for the ack).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

struct rg_tun;

/*
 * Offloads (rg_tun_open_offload, rg_tun_offloads): RG_TUN_VNET_HDR, every
 * packet read or written has a virtio-net header (vnet.h); RG_TUN_TSO,
 * reads may be TCP super-packets with checksums left to the reader
 * (TUN_F_CSUM, TSO4, TSO6); RG_TUN_USO, and UDP ones (USO4, USO6: Linux 6.2).
 */
#define RG_TUN_VNET_HDR 1u
#define RG_TUN_TSO	2u
#define RG_TUN_USO	4u

/*
 * Create a TUN device (IFF_TUN | IFF_NO_PI, not persistent), its fd
 * O_NONBLOCK | O_CLOEXEC. name: the wanted interface name (at most 15
 * characters; a "%d" in it is numbered by the kernel), or NULL/"" to let the
 * kernel pick "tun%d". CORE_OK with *out set, or (*out NULL)
 * CORE_ERR_INVALID_ARG (name too long) or CORE_ERR_SYSTEM ("cannot create TUN
 * device wg0: Operation not permitted"; also a busy name, no /dev/net/tun).
 */
int rg_tun_open(struct rg_tun **out, const char *name, GError **error);

/*
 * As rg_tun_open, with the kernel's offloads: IFF_VNET_HDR (little-endian
 * header, TUNSETVNETLE), then TUNSETOFFLOAD for checksums and TCP
 * segmentation, then also UDP's. What the kernel refuses is left out
 * (rg_tun_offloads says what it took); a kernel that refuses IFF_VNET_HDR
 * gives a plain device (0). Codes as rg_tun_open.
 */
int rg_tun_open_offload(struct rg_tun **out, const char *name, GError **error);

/* The offloads in use: RG_TUN_* bits (0 for rg_tun_open's devices). */
unsigned rg_tun_offloads(const struct rg_tun *t);

/* The interface name the kernel gave the device. */
const char *rg_tun_name(const struct rg_tun *t);
/*
 * The packet fd: read() returns one IP packet, write() sends one (EAGAIN
 * when none/full); with RG_TUN_VNET_HDR each behind its virtio-net header.
 */
int rg_tun_fd(const struct rg_tun *t);
/* The interface index. */
int rg_tun_ifindex(const struct rg_tun *t);

/* Set the MTU (RTM_NEWLINK IFLA_MTU). CORE_OK, CORE_ERR_SYSTEM (e.g. EINVAL for 0), CORE_ERR_TIMEOUT. */
int rg_tun_set_mtu(struct rg_tun *t, unsigned mtu, GError **error);

/* Bring the device up (IFF_UP via RTM_NEWLINK). CORE_OK, CORE_ERR_SYSTEM, CORE_ERR_TIMEOUT. */
int rg_tun_set_up(struct rg_tun *t, GError **error);

/*
 * Add an address (RTM_NEWADDR): family AF_INET or AF_INET6, addr 4 or 16
 * bytes, prefix_len at most 32 or 128. IPv6 addresses get IFA_F_NODAD so
 * they are usable at once. CORE_OK; CORE_ERR_INVALID_ARG (family, prefix
 * length, NULL addr); CORE_ERR_SYSTEM ("File exists" when already there);
 * CORE_ERR_TIMEOUT.
 */
int rg_tun_add_address(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		       GError **error);

/*
 * Add a route to the prefix through this device (RTM_NEWROUTE, scope link,
 * main table, protocol static); host bits beyond prefix_len are ignored. An
 * existing identical route is replaced, not an error (NLM_F_REPLACE). The
 * device must be up for IPv4 ("Network is down" otherwise). Codes as
 * rg_tun_add_address.
 */
int rg_tun_add_route(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		     GError **error);

/*
 * Delete the route rg_tun_add_route added for the prefix (RTM_DELROUTE: main
 * table, this device); host bits beyond prefix_len are ignored. CORE_OK;
 * CORE_ERR_NOT_FOUND when there is no such route through this device ("cannot
 * delete route to 10.78.0.0/16 through wg0: no such route"); otherwise codes
 * as rg_tun_add_address.
 */
int rg_tun_del_route(struct rg_tun *t, int family, const uint8_t *addr, unsigned prefix_len,
		     GError **error);

/* Close the fd (the kernel removes the device and its routes) and free t. NULL-safe. */
void rg_tun_close(struct rg_tun *t);
