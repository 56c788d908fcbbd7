/*
 * pc.h - a WebRTC peer connection for data channels only: one ICE
 * component (rift/ice), DTLS 1.2 over it (rift/rtc/dtls), SCTP over that
 * (rift/rtc/sctp) with DCEP channels, negotiated with SDP (rift/rtc/sdp)
 * and trickled candidates. It interoperates with browsers,
 * libdatachannel and werift.
 *
 *   offerer:  rg_pc_create_offer -> local_description("offer")
 *             rg_pc_set_remote_description("answer")
 *   answerer: rg_pc_set_remote_description("offer") -> local_description("answer")
 *   both:     local_candidate -> the peer's rg_pc_add_remote_candidate
 *
 * The offerer controls ICE and offers a=setup:actpass; the answerer answers
 * a=setup:active and is the DTLS client. Channels created before the
 * association is up open when it is.
 *
 * ICE restart (either side): rg_pc_restart_ice -> local_description("offer")
 * with new ICE credentials and our settled a=setup (active or passive); the
 * peer's rg_pc_set_remote_description("offer") sees the new credentials,
 * restarts its ICE too and answers. Candidates trickle as before. DTLS,
 * SCTP and every channel carry on over the old path until the new one
 * connects: nothing is renegotiated above ICE. A later offer or answer must
 * keep the peer's certificate fingerprint and the DTLS roles (else
 * CORE_ERR_BAD_VALUE, and the connection goes on unchanged). Glare (both
 * sides offer at once): the side that made the first offer wins; its
 * rg_pc_set_remote_description refuses the other's offer with
 * CORE_ERR_INVALID_ARG, and the other side takes our offer instead of
 * waiting for an answer to its own.
 *
 * When the ICE path loses consent (RFC 7675: 30 s without answers), the
 * state is DISCONNECTED: sends queue in SCTP, which retransmits when a
 * path is back. The owner decides when to restart ICE (and when to give
 * up: rg_pc_free); a restart that connects returns to the previous state.
 *
 * Events come through the callbacks on the thread-default main context of
 * the creating thread. Any failure (ICE, a fingerprint mismatch, DTLS,
 * SCTP) ends in one failed(reason) and state RG_PC_FAILED; the object stays
 * valid until rg_pc_free. Callbacks must not free the object.
 * Logging: every line about the connection, from any layer, names it
 * (cfg->name), so that many connections can share one process.
 * Ownership: the caller frees with rg_pc_free; channels belong to the pc.
 * Threading: the creating thread's main context only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/ice/ice.h"
#include "rift/rtc/sctp.h"

enum rg_pc_state {
	RG_PC_NEW,
	RG_PC_CONNECTING,   /* ICE checking */
	RG_PC_ICE,	    /* ICE connected, DTLS handshaking */
	RG_PC_SECURE,	    /* DTLS up, SCTP associating */
	RG_PC_CONNECTED,    /* SCTP up: channels work */
	RG_PC_DISCONNECTED, /* the ICE path was lost; an ICE restart can bring it back */
	RG_PC_FAILED,
	RG_PC_CLOSED,
};

struct rg_pc_callbacks {
	void (*local_description)(void *ctx, const char *type, const char *sdp);
	void (*local_candidate)(void *ctx, const char *candidate, const char *mid);
	void (*state)(void *ctx, enum rg_pc_state state);
	/* the selected pair; pair->type is what users see (rules in ice.h) */
	void (*selected)(void *ctx, const struct rg_ice_pair *pair);
	void (*channel_open)(void *ctx, struct rg_dc *dc);
	void (*channel_message)(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len,
				bool binary);
	void (*channel_closed)(void *ctx, struct rg_dc *dc);
	void (*buffered_low)(void *ctx, struct rg_dc *dc);
	void (*failed)(void *ctx, const char *reason);
	/* our gathering is complete (signal end-of-candidates to the peer); once per ICE generation */
	void (*local_candidates_done)(void *ctx);
	/* a WireGuard datagram on the ICE path, beside DTLS (rtc/demux.h; NULL: dropped) */
	void (*datagram)(void *ctx, const uint8_t *buf, size_t len);
};

struct rg_pc_config {
	/*
	 * The connection's object in log lines (copied), e.g. the peer's name:
	 * "[rtc laptop]", and so its ICE agent's, TURN bridges', DTLS endpoint's
	 * and SCTP association's. NULL: a short unique id, "pc-3".
	 */
	const char *name;
	struct rg_ice_config ice;  /* controlling is set by the role; name is the pc's */
	uint32_t max_message_size; /* ours, announced; 0: 262144 */
};

struct rg_pc;

int rg_pc_new(struct rg_pc **out, const struct rg_pc_config *cfg, const struct rg_pc_callbacks *cb,
	      void *ctx, GError **error);
void rg_pc_free(struct rg_pc *pc);

/* CORE_OK or CORE_ERR_INVALID_ARG (a description was already made or set). */
int rg_pc_create_offer(struct rg_pc *pc);
/*
 * type "offer" or "answer": the first exchange, or a later offer (an ICE
 * restart when its credentials are new) and the answer to our restart.
 * CORE_OK, or CORE_ERR_BAD_FORMAT / CORE_ERR_BAD_VALUE (malformed SDP, or
 * a later description that changes the fingerprint or the DTLS roles:
 * *error says why) or CORE_ERR_INVALID_ARG (out of order, or an offer
 * that loses glare). A refused description changes nothing.
 */
int rg_pc_set_remote_description(struct rg_pc *pc, const char *type, const char *sdp,
				 GError **error);
/*
 * Restart ICE: new credentials and a fresh gathering (new addresses, new
 * TURN allocations) while the current path keeps working; the new offer
 * arrives through local_description. An earlier restart the peer never
 * answered is replaced. CORE_OK, CORE_ERR_INVALID_ARG (no connection
 * established yet, or failed/closed), or ICE's error with *error.
 */
int rg_pc_restart_ice(struct rg_pc *pc, GError **error);
/* An ICE restart (ours or the peer's) has not connected yet. */
bool rg_pc_ice_restarting(const struct rg_pc *pc);
/* ICE generations alive (rg_ice_generations): 2 for 2 s after a restart connects, then 1. */
unsigned rg_pc_ice_generations(const struct rg_pc *pc);
/* A trickled candidate ("candidate:..."; "" or NULL: end of candidates). */
int rg_pc_add_remote_candidate(struct rg_pc *pc, const char *candidate);
/*
 * Open a channel: it arrives through channel_open once both sides have it
 * (before that, once the association is up: it waits for it). CORE_OK;
 * CORE_ERR_CLOSED (the connection failed or closed) or SCTP's error
 * (rg_sctp_open_channel) with *error.
 */
int rg_pc_create_channel(struct rg_pc *pc, const char *label, const struct rg_dc_options *o,
			 GError **error);
/*
 * Send a WireGuard datagram straight on the selected ICE pair, beside
 * DTLS, unencrypted by DTLS (WireGuard is its own; the peer's datagram
 * callback gets it: docs/protocol/agent.md says when both sides agree to).
 * CORE_OK; CORE_ERR_INVALID_ARG (not WireGuard-shaped by rtc/demux.h: it
 * would be taken for DTLS or STUN); CORE_ERR_AGAIN (no working pair yet,
 * the path lost, failed or closed: the datagram is dropped).
 */
int rg_pc_send_datagram(struct rg_pc *pc, const uint8_t *buf, size_t len);
/*
 * As rg_pc_send_datagram for n datagrams at once (rg_ice_send_many): the
 * number sent, in order, or CORE_ERR_INVALID_ARG (one of them is not
 * WireGuard-shaped: none sent) or CORE_ERR_AGAIN (no working pair).
 */
int rg_pc_send_datagrams(struct rg_pc *pc, const uint8_t *const *bufs, const size_t *lens,
			 size_t n);
/*
 * Read the WireGuard datagrams of a direct pair in batches beside libnice
 * (rg_ice_batch_rx); they still arrive through cb->datagram.
 */
void rg_pc_batch_rx(struct rg_pc *pc, bool on);
/* What the batch receiver carried (all zero before ICE exists). */
void rg_pc_batch_rx_counts(const struct rg_pc *pc, struct rg_ice_rx_counts *out);
/*
 * Close: DTLS close_notify to the peer (whose state becomes CLOSED), our
 * channels are freed without further callbacks, and state(CLOSED) fires.
 * Channel pointers are invalid afterwards; the object stays valid until
 * rg_pc_free. A peer's close_notify makes the same CLOSED state here.
 */
void rg_pc_close(struct rg_pc *pc);
enum rg_pc_state rg_pc_state(const struct rg_pc *pc);
/* The name its log lines carry (cfg->name, or the id made for it); valid until rg_pc_free. */
const char *rg_pc_name(const struct rg_pc *pc);
