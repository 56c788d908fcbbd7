/*
 * relay.h - `goet relay`: a jump host's forwarder for one goet session
 * (goet -J, docs/protocol/goet.md section 7.1).
 *
 * It listens on one port number, UDP and TCP (the kernel picks it; both
 * families), and forwards to one fixed target, a session's port, chosen
 * when it starts: never an open relay.
 *
 * UDP (QUIC): every datagram from a client that may be QUIC (at least
 * GT_RELAY_MIN_DATAGRAM bytes; not the fixed bit 0x40: ngtcp2 greases it,
 * RFC 9287) goes to the target
 * from one socket connected to it, and the client's address becomes the one
 * the target's datagrams are sent back to: the last address that sent a
 * valid-looking datagram (QUIC migration keeps working; the target sees
 * the relay's address throughout). The relay cannot check more: the
 * session's end-to-end authentication is unchanged, and a spoofer who
 * sends from another address can only divert the replies until the real
 * client's next datagram (a disturbance, never a read or a write; with a
 * spoofed source, up to about one RTT of the session's traffic aimed at a
 * third party: what QUIC's path validation would have stopped).
 * TCP (TLS): each accepted connection gets its own connection to the
 * target; bytes are spliced both ways until either side ends, then both
 * are closed. At most GT_RELAY_TCP_MAX at once.
 *
 * It ends by itself (done is called once, then the caller frees it):
 * - no client within first_wait_us of the start;
 * - the session is gone: two probes in a row (one byte, a datagram that
 *   QUIC ignores, sent when the target was silent for a second) were
 *   answered by ICMP port unreachable;
 * - idle_us with no datagram either way and no TCP connection open.
 *
 * Ownership: the caller owns the relay. Threading: main-loop thread only;
 * resolving the target is the caller's (core_addr). Errors of gt_relay_new:
 * CORE_ERR_SYSTEM (a socket, bind or listen failed; the reason in *error).
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "core/addr.h"

#define GT_RELAY_MIN_DATAGRAM  21 /* QUIC: 1 flags byte + 4 + the 16-byte header-protection sample */
#define GT_RELAY_TCP_MAX       16		       /* TCP connections at once */
#define GT_RELAY_PROBE_MS      1000		       /* target silent this long: probe it */
#define GT_RELAY_FIRST_WAIT_US (30 * INT64_C(1000000)) /* first_wait_us's default */

struct gt_relay_config {
	struct core_addr target; /* the session: numeric, resolved by the caller */
	int64_t first_wait_us;	 /* 0: GT_RELAY_FIRST_WAIT_US */
	int64_t idle_us;	 /* > 0 */
	const char *name;	 /* for log lines (copied) */
};

struct gt_relay;

/* Called once when the relay ends by itself; reason is a sentence for the log. */
typedef void (*gt_relay_done_fn)(struct gt_relay *r, const char *reason, void *data);

/* Listen (UDP and TCP on one port) and start; NULL with *error (CORE_ERR_SYSTEM). */
struct gt_relay *gt_relay_new(const struct gt_relay_config *cfg, gt_relay_done_fn done, void *data,
			      GError **error);

/* The port it listens on (UDP and TCP). */
uint16_t gt_relay_port(const struct gt_relay *r);

/*
 * Close its sockets and cancel every TCP connection's splice (each closes
 * both its streams when the cancellation reports, from the loop: iterate it
 * once more to have them closed). NULL is a no-op.
 */
void gt_relay_free(struct gt_relay *r);
