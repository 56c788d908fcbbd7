/*
 * dcbind.h - the agent's WireGuard bind (rift/wg/bind.h) over WebRTC data
 * channels: each peer's "riftgate" channel carries one WireGuard datagram
 * per binary message, both ways.
 *
 * A channel is attached as a link whose number is never reused in the
 * process; the WireGuard endpoint of the peer is that number (4 bytes), so
 * a datagram meant for a channel that has gone is refused with
 * CORE_ERR_NOT_FOUND instead of reaching whichever channel came next.
 * Sending (rg_wg_bind_send) to a link with a direct sender
 * (rg_dcbind_set_direct) queues the datagram; rg_wg_bind_flush (the runner
 * calls it after each burst) hands the queue to the direct senders, each
 * link's run of datagrams in one call, and what a sender cannot take now
 * to the channel. Otherwise the datagram goes to rg_dc_send at once:
 * CORE_OK; CORE_ERR_NOT_FOUND (no such link, or a malformed endpoint);
 * CORE_ERR_AGAIN (the channel's queue is full: the datagram is dropped and
 * counted, as a full UDP socket buffer would drop it); CORE_ERR_CLOSED (the
 * channel is closing). A message that is not a datagram WireGuard could
 * take (empty, larger than RG_WG_MAX_PACKET + RG_WG_OVERHEAD) is counted and
 * dropped before the device sees it. wg(8)'s endpoint text is the peer's
 * address on the selected ICE pair, as set by the owner; none before.
 *
 * Liveness: each link remembers whether it sent or received since the last
 * rg_dcbind_sample, so the owner can tell, at its own pace and without a
 * clock read per packet, a path that takes datagrams but answers none.
 *
 * Bursts: each datagram received goes to the bind's recv at once; its idle
 * call comes once per burst, from an idle source on the main context that
 * the first datagram of the burst adds, so it runs after the sources that
 * were ready with it (libnice reads its socket dry in one dispatch). The
 * owner thus seals, coalesces and flushes a whole burst at a time.
 *
 * Ownership: the bind is freed by its owner (the runner, rg_wg_bind_free);
 * it never owns channels: the owner detaches a link before its channel
 * goes. Threading: the thread-default main context of the thread that
 * created the bind, only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "rift/rtc/sctp.h"
#include "rift/wg/bind.h"

/*
 * Sends n datagrams another way than the channel (the agent: straight on
 * the ICE path, rg_pc_send_datagrams): the number sent, in order (the rest
 * are lost, as a full socket buffer loses them); CORE_ERR_AGAIN (none, not
 * now: the channel takes them instead); another error (all lost).
 */
typedef int (*rg_dcbind_direct_fn)(void *ctx, const uint8_t *const *bufs, const size_t *lens,
				   size_t n);

/* A link's counters and liveness, for `riftgate status`. */
struct rg_dcbind_link_info {
	bool direct;		       /* a direct sender is set */
	uint64_t direct_rx, direct_tx; /* datagrams that did not use the channel */
	uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes;
	uint64_t dropped_full; /* sends refused by a full channel, or lost by the direct way */
	uint64_t bad_input;    /* messages no WireGuard datagram could be */
	bool rx_since_sample, tx_since_sample;
};

/* A new bind with no links (rg_wg_bind_free frees it). */
struct rg_wg_bind *rg_dcbind_new(void);

/* Attach dc (its peer named for logs): the new link's number, never 0. */
uint32_t rg_dcbind_attach(struct rg_wg_bind *b, struct rg_dc *dc, const char *peer);
/* Forget a link (unknown numbers are ignored). */
void rg_dcbind_detach(struct rg_wg_bind *b, uint32_t link);
/* The WireGuard endpoint that names link. */
void rg_dcbind_endpoint(uint32_t link, struct rg_wg_endpoint *ep);
/* A message arrived on link's channel: give it to the bind's receiver (idle: see Bursts). */
void rg_dcbind_input(struct rg_wg_bind *b, uint32_t link, const uint8_t *buf, size_t len);
/*
 * Send link's datagrams with fn(ctx, ...) first, the channel when it says
 * CORE_ERR_AGAIN (NULL: the channel only). ctx must outlive the link.
 */
void rg_dcbind_set_direct(struct rg_wg_bind *b, uint32_t link, rg_dcbind_direct_fn fn, void *ctx);
/* As rg_dcbind_input, for a datagram that came the direct way (counted apart). */
void rg_dcbind_input_direct(struct rg_wg_bind *b, uint32_t link, const uint8_t *buf, size_t len);
/* The peer's address on the selected ICE pair ("198.51.100.3:40123"), for wg(8); NULL: none. */
void rg_dcbind_set_remote(struct rg_wg_bind *b, uint32_t link, const char *addr);
/* Counters of link: CORE_OK or CORE_ERR_NOT_FOUND. */
int rg_dcbind_link_info(const struct rg_wg_bind *b, uint32_t link, struct rg_dcbind_link_info *out);
/* Read and clear link's "sent / received since the last sample" flags (false, false if unknown). */
void rg_dcbind_sample(struct rg_wg_bind *b, uint32_t link, bool *rx, bool *tx);
