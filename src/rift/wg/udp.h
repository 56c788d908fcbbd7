/*
 * udp.h - the UDP bind (bind.h): one socket on a port of every local
 * address, dual-stack when the system has IPv6, datagrams received in
 * recvmmsg batches and sent in sendmmsg batches (send queues, flush writes
 * the queue in one system call; a full queue flushes itself).
 *
 * Offloads, where the kernel has them: at flush, consecutive queued
 * datagrams to one endpoint, of one size but a shorter last one, go as one
 * UDP_SEGMENT message (up to 64); messages received with UDP_GRO are cut
 * back into their datagrams before recv, so the owner sees datagrams only.
 * Without them (or when a route's device refuses, EIO) one datagram per
 * message; each fallback is logged once.
 *
 * Its endpoints (endpoint.h) are an address and a port, in one canonical
 * encoding so equal paths give equal endpoints:
 *   IPv4                     4 address bytes, port (2, big-endian): 6 bytes
 *   IPv6                     16 address bytes, port: 18 bytes
 *   IPv6 with a scope id     16 address bytes, port, scope id (4, big-endian): 22 bytes
 * A v4-mapped IPv6 address (what a dual-stack socket reports for an IPv4
 * peer) is encoded as IPv4, so a configured IPv4 endpoint and a v4-mapped
 * source compare equal. Cookies (mac2) are bound to these bytes.
 *
 * Send results (bind.h): CORE_OK (queued, or sent); CORE_ERR_AGAIN (the
 * socket buffer is full); CORE_ERR_INVALID_ARG (not a UDP endpoint, or IPv6
 * on an IPv4-only socket); CORE_ERR_SYSTEM (another sendto error). A queued
 * datagram the kernel refuses at flush is dropped. Every datagram dropped is
 * counted (rg_wg_udp_bind_dropped).
 *
 * Ownership and threading: as bind.h; the socket's source runs on the
 * context given to rg_wg_udp_bind_new.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/addr.h"
#include "rift/wg/bind.h"

/*
 * A UDP bind on port (0: any) on context (NULL: the global default), its
 * recv/idle/ctx unset (set them before returning to the loop). CORE_OK or
 * CORE_ERR_SYSTEM with *error set ("cannot bind UDP port 51820: Address
 * already in use").
 */
int rg_wg_udp_bind_new(struct rg_wg_bind **out, uint16_t port, GMainContext *context,
		       GError **error);
/* The bound port (after port 0). */
uint16_t rg_wg_udp_bind_port(const struct rg_wg_bind *b);
/* Datagrams dropped so far: a full socket buffer, or refused by the kernel. */
uint64_t rg_wg_udp_bind_dropped(const struct rg_wg_bind *b);

/* What the bind carried: datagrams, and the socket messages that held them, each way. */
struct rg_wg_udp_counts {
	uint64_t tx_datagrams, tx_messages; /* sent (not dropped) */
	uint64_t rx_datagrams, rx_messages; /* received and handed to recv */
};
void rg_wg_udp_bind_counts(const struct rg_wg_bind *b, struct rg_wg_udp_counts *out);

/* The endpoint for a (pure). An empty or non-IP a gives "none" (len 0). */
void rg_wg_udp_endpoint_from_addr(struct rg_wg_endpoint *ep, const struct core_addr *a);
/*
 * The address of a UDP endpoint (pure): CORE_OK, or CORE_ERR_INVALID_ARG
 * (none, or not one of the canonical encodings above; out cleared).
 */
int rg_wg_udp_endpoint_to_addr(const struct rg_wg_endpoint *ep, struct core_addr *out);
