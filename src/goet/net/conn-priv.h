/*
 * conn-priv.h - the life of a goet connection, written once for every
 * transport (conn.c), and what a transport implements under it. Only
 * transports include this file.
 *
 * States: HANDSHAKE (TLS) -> AUTH (client: AuthRequest sent; server: waiting
 * for it) -> READY (authenticated; handed over once) -> CLOSING (the owner
 * closed: queued frames are delivered, bounded by a deadline) -> DEAD (freed
 * from the loop soon; nothing is delivered any more).
 *
 * Every event, whatever its source (datagram, socket readiness, timer,
 * owner call), ends in gt_conn_process(), the one place that acts on a
 * failure, hands an authenticated connection over, writes, finishes a
 * close, reports room to the owner and re-arms the timer. Transport
 * callbacks only record what happened: gt_conn_fail records why the
 * connection must die (the first reason wins) and gt_conn_process acts.
 *
 * The transport provides, in struct gt_conn_ops: queueing an encoded frame
 * on a channel, writing what is queued, whether everything was delivered,
 * its own close (QUIC CONNECTION_CLOSE, TLS close_notify), its own timer,
 * re-reading held input after a resume, and freeing itself.
 */
#pragma once

#include <gnutls/gnutls.h>

#include "core/clock.h"
#include "goet/net/conn.h"
#include "goet/net/server.h"

#define GT_CONN_CLOSE_DRAIN_US (2 * INT64_C(1000000)) /* a graceful close waits this long */
#define GT_CONN_EARLY_BYTES    (256 * 1024) /* messages held before the owner takes over */

enum gt_conn_state {
	GT_CS_HANDSHAKE,
	GT_CS_AUTH,
	GT_CS_READY,
	GT_CS_CLOSING,
	GT_CS_DEAD,
};

struct gt_dial;

struct gt_conn_ops {
	const char *name; /* "quic", "tcp" */
	/* Append m's frame to channel ch: CORE_OK, CORE_ERR_AGAIN, CORE_ERR_TOO_LARGE. */
	int (*queue)(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m);
	/* Bytes channel ch can still take, and its size. */
	size_t (*room)(const struct gt_conn *c, enum gt_channel ch);
	size_t (*queue_max)(const struct gt_conn *c, enum gt_channel ch);
	/* Write what is queued; CORE_OK, or an error after gt_conn_fail. */
	int (*write)(struct gt_conn *c);
	/* Everything queued has been delivered (acknowledged, or written). */
	bool (*drained)(const struct gt_conn *c);
	/* Data-channel bytes sent or queued and not yet acknowledged by the peer. */
	size_t (*in_flight)(const struct gt_conn *c);
	/* Forwarded connection chan is over on this side (NULL: nothing to do). */
	void (*fwd_end)(struct gt_conn *c, uint32_t chan);
	/* Refuse the peer's stream of chan: CORE_OK, CORE_ERR_INVALID_ARG (none; NULL: never). */
	int (*fwd_refuse)(struct gt_conn *c, uint32_t chan);
	/* Tell the peer the connection ends (best effort, once). */
	void (*send_close)(struct gt_conn *c, uint64_t code, const char *reason);
	/* The transport's own next deadline (core_time_now_us scale; INT64_MAX: none). */
	int64_t (*expiry)(const struct gt_conn *c);
	/* The transport's deadline passed. */
	void (*on_expiry)(struct gt_conn *c);
	/* Receiving may go on (a resume, a handover): take in what was held. */
	void (*resume)(struct gt_conn *c);
	/* At the end of every gt_conn_process: re-arm watches. */
	void (*arm)(struct gt_conn *c);
	void (*peer)(const struct gt_conn *c, struct core_addr *out);
	void (*stats)(const struct gt_conn *c, struct gt_conn_stats *out);
	/* Release everything; the memory goes from the loop (core_defer_free). */
	void (*destroy)(struct gt_conn *c);
};

/* Embedded first in every transport's connection struct. */
struct gt_conn {
	const struct gt_conn_ops *ops;
	struct gt_conn_callbacks cb;
	void *cb_data;
	enum gt_proto_version version;
	char id[24];
	gnutls_session_t tls;
	enum gt_conn_state state;
	bool is_server;
	bool owned;	       /* handed to an owner */
	bool handover_pending; /* authenticated, owner not yet told */
	bool want_writable;    /* the owner saw CORE_ERR_AGAIN */
	bool close_now;	       /* after an auth failure: write the answer, then close */
	bool impostor;	       /* tests: a server that does not check tokens */
	bool stall;	       /* tests: a client that never authenticates */
	bool recv_paused;      /* the owner wants no messages for now */
	bool flush_closed;     /* the peer closed: delivering what came before (conn.c) */
	bool early_ok;	       /* client: the dial's early messages follow the AuthRequest */
	bool passkey_missing;  /* server: the passkey is not known yet (passkey_later) */
	bool has_held_auth;    /* ... and an AuthRequest waits for it */
	struct gt_msg held_auth;
	uint8_t passkey[GT_PASSKEY_LEN];
	/* whom to hand over to: a server's accept callback, or a dial */
	gt_server_accept_fn accept;
	void *accept_data;
	struct gt_dial *dial;
	guint timer, idle;
	struct core_deadline auth_deadline;
	int64_t auth_timeout_us;
	struct core_deadline close_deadline;
	uint64_t close_code;
	char close_reason[64];
	int fail_err; /* CORE_OK, or why the connection must die */
	char fail_reason[160];
	bool fail_send_close; /* tell the peer (not when it already closed) */
	uint64_t fail_code;
	GQueue early; /* messages for the owner-to-be (struct early_msg) */
	size_t early_bytes;
	/* heartbeats and acknowledgements (conn.h) */
	guint heartbeat;
	int64_t hb_interval_us;
	int64_t hb_dead_us;
	int64_t last_rx_us;
	uint64_t ack_seq;
	bool ack_any;
	uint64_t ack_sent_seq;
	size_t ack_bytes;
	guint ack_timer;
};

/* Set up the common part (counts the connection as live); id prefix "q", "t"... */
void gt_conn_base_init(struct gt_conn *c, const struct gt_conn_ops *ops, bool is_server,
		       const char *id_prefix, const uint8_t passkey[GT_PASSKEY_LEN]);
/* Release the common part (call once, from ops->destroy). */
void gt_conn_base_finish(struct gt_conn *c);

/* Record that c must die (the first reason wins); gt_conn_process acts on it. */
void gt_conn_fail(struct gt_conn *c, int err, uint64_t code, bool tell_peer, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);
/* Run gt_conn_process from the loop soon. */
void gt_conn_schedule(struct gt_conn *c);
/* After any event: act on failures, hand over, write, close, re-arm. */
void gt_conn_process(struct gt_conn *c);
/* The end, now: report (owner's `closed` or the dial's failure), then destroy. */
void gt_conn_die(struct gt_conn *c);

/* Server side: wait for the AuthRequest until now + timeout (0: GT_AUTH_TIMEOUT_US). */
void gt_conn_expect_auth(struct gt_conn *c, int64_t timeout_us);
/* Server: the passkey is known now; an AuthRequest that waited for it is checked. */
void gt_conn_set_passkey(struct gt_conn *c, const uint8_t passkey[GT_PASSKEY_LEN]);
/* The TLS handshake is done: learn the version, a client sends its AuthRequest. */
void gt_conn_tls_done(struct gt_conn *c);
/* One complete message arrived on channel ch (authentication, then the owner). */
void gt_conn_on_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m);
/* May messages be delivered now? (false while the owner paused receiving) */
bool gt_conn_may_deliver(const struct gt_conn *c);
