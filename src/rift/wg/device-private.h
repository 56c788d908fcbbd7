/*
 * device-private.h - the structures behind device.h, shared by its three
 * files: device.c (peers, indices, sessions), packet.c (the receive and
 * send paths) and timers.c (the whitepaper's timers, section 6).
 * Not for use outside src/rift/wg. Threading: as device.h.
 */
#pragma once

#include <glib.h>

#include "rift/wg/allowedips.h"
#include "rift/wg/cookie.h"
#include "rift/wg/device.h"
#include "rift/wg/noise.h"
#include "rift/wg/replay.h"

enum wg_index_kind {
	WG_INDEX_HANDSHAKE, /* our handshake message's sender index */
	WG_INDEX_SESSION,
};

struct wg_session;

/* An entry of the device's receiver-index table. */
struct wg_index {
	enum wg_index_kind kind;
	uint32_t value;
	struct rg_wg_peer *peer;
	struct wg_session *session; /* WG_INDEX_SESSION */
};

/* One keypair in use. */
struct wg_session {
	uint64_t id; /* unique in the device: crypto jobs find their session by it */
	struct rg_wg_keypair kp;
	struct wg_index index;
	uint64_t created;
	uint64_t send_counter;
	struct rg_wg_replay replay;
};

/* A packet waiting for a session. */
struct wg_staged {
	size_t len;
	uint8_t data[];
};

struct rg_wg_peer {
	struct rg_wg_device *dev;
	struct rg_wg_remote remote;
	bool has_psk;
	struct rg_wg_handshake hs;
	struct wg_index hs_index; /* registered while an initiation or response is ours */
	struct rg_wg_cookie_jar jar;
	struct rg_wg_endpoint endpoint;
	struct wg_session *current, *previous, *next;
	GQueue staged; /* of struct wg_staged */

	unsigned keepalive_s;
	/* timers: absolute times, 0 = off */
	uint64_t t_retransmit, t_send_keepalive, t_new_handshake, t_zero_keys, t_persistent;
	bool need_another_keepalive;
	bool sent_last_minute_handshake;
	unsigned handshake_attempts;
	uint64_t last_initiation_sent; /* 0: never */
	uint64_t last_initiation_consumed;

	int64_t last_handshake_s;
	uint32_t last_handshake_ns;
	uint64_t rx_bytes, tx_bytes, handshakes;
};

struct rg_wg_device {
	struct rg_wg_device_ops ops;
	void *ctx;
	struct rg_wg_static id;
	struct rg_wg_cookie_checker checker;
	struct rg_allowedips *allowed;
	GPtrArray *peers;    /* of struct rg_wg_peer *, in order added */
	GHashTable *indices; /* uint32 -> struct wg_index * */
	unsigned mtu;
	unsigned load_threshold;
	uint64_t load_window_start;
	unsigned load_count;
	uint64_t under_load_until;
	uint64_t next_session_id;
	struct rg_wg_stats stats;
	uint8_t scratch[RG_WG_MAX_PACKET + RG_WG_OVERHEAD];
};

/* device.c */
void wg_index_add(struct rg_wg_device *dev, struct wg_index *ix);
void wg_index_del(struct rg_wg_device *dev, struct wg_index *ix);
struct wg_index *wg_index_find(struct rg_wg_device *dev, uint32_t value);
/* A new session from kp; the peer's slots rotate as the whitepaper says. */
void wg_session_begin(struct rg_wg_peer *peer, const struct rg_wg_keypair *kp, uint64_t now);
/* The responder's `next` session is confirmed by its first data packet. */
void wg_session_confirm(struct rg_wg_peer *peer, struct wg_session *s);
void wg_peer_zero_keys(struct rg_wg_peer *peer);
/*
 * Release everything the peer holds (sessions and their indices, its
 * handshake index, staged packets, allowed IPs) and wipe it: every byte of
 * *peer is zero after. The caller takes it out of dev->peers first and
 * frees it after.
 */
void wg_peer_wipe(struct rg_wg_peer *peer);
bool wg_session_usable(const struct wg_session *s, uint64_t now);
void wg_peer_send_datagram(struct rg_wg_peer *peer, const uint8_t *buf, size_t len);
void wg_peer_flush_staged(struct rg_wg_peer *peer);

/* packet.c */
void wg_send_initiation(struct rg_wg_peer *peer, bool retry, uint64_t now);
void wg_send_keepalive(struct rg_wg_peer *peer, uint64_t now);
void wg_send_staged(struct rg_wg_peer *peer, uint64_t now);

/* timers.c: events, named as in wireguard-go */
uint64_t wg_jitter(struct rg_wg_device *dev);
void wg_timers_data_sent(struct rg_wg_peer *peer, uint64_t now);
void wg_timers_data_received(struct rg_wg_peer *peer, uint64_t now);
void wg_timers_any_authenticated_sent(struct rg_wg_peer *peer);
void wg_timers_any_authenticated_received(struct rg_wg_peer *peer);
void wg_timers_any_authenticated_traversal(struct rg_wg_peer *peer, uint64_t now);
void wg_timers_handshake_initiated(struct rg_wg_peer *peer, uint64_t now);
void wg_timers_handshake_complete(struct rg_wg_peer *peer);
void wg_timers_session_derived(struct rg_wg_peer *peer, uint64_t now);
