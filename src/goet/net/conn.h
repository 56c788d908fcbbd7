/*
 * conn.h - one authenticated goet connection, whatever carries it.
 *
 * A gt_conn is what the session and the client talk through: framed
 * messages on three logical channels (control, the terminal's data, port
 * forwarding), with back-pressure and statistics. The forwarding channel
 * never delays the other two: on QUIC each forwarded connection (chan) has
 * streams of its own; on TCP forwarding frames go only when no control or
 * data frame waits, so a terminal frame waits for one forwarding frame at
 * most (docs/protocol/goet.md sections 1 and 8). Transports (QUIC in
 * quic.h, TCP+TLS in tcp.h) create them already authenticated; the
 * connection's life, the same for both, is written once in conn.c
 * (conn-priv.h) and hand them over through their accept or dial callback.
 *
 * Ownership (one owner, no refcount): the owner gets the conn from the
 * transport. It ends it with gt_conn_close(), after which the owner must
 * forget the pointer; the transport finishes the close in the background and
 * frees it. If the connection dies on its own (peer closed, idle timeout,
 * protocol error), the owner's `closed` callback runs once; when it returns
 * the conn is gone. No other callback runs after either event.
 *
 * Back-pressure: each channel has a bounded send queue. gt_conn_send
 * either queues the whole frame or returns CORE_ERR_AGAIN; the `writable`
 * callback then fires once there is room again. Nothing blocks, nothing
 * grows without bound.
 *
 * Callbacks run on the thread-default GMainContext, never inside
 * gt_conn_send or gt_conn_close; an owner may call gt_conn_send and
 * gt_conn_close from inside any callback.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "goet/proto/frame.h"

struct gt_conn;

/* Protocol versions, negotiated by ALPN. */
enum gt_proto_version {
	GT_PROTO_V1 = 1, /* "goet-v1": the client proves it knows the passkey */
	GT_PROTO_V2 = 2, /* "goet-v2": both sides prove it */
};

#define GT_ALPN_V1 "goet-v1"
#define GT_ALPN_V2 "goet-v2"

/* QUIC application close codes (as the reference). */
#define GT_CLOSE_OK	      0 /* reason "closed" */
#define GT_CLOSE_AUTH_FAILED  1 /* reason "auth failed" */
#define GT_CLOSE_PROTOCOL     2 /* malformed or unexpected frame */
#define GT_CLOSE_AUTH_TIMEOUT 3 /* no AuthRequest in time: not a refusal, retry */
/* QUIC stream code (STOP_SENDING): a forwarding stream refused, the connection goes on. */
#define GT_STREAM_REFUSED 0x10

struct gt_conn_stats {
	bool has_rtt; /* false on transports without RTT estimates */
	int64_t rtt_latest_us;
	int64_t rtt_min_us;
	int64_t rtt_smoothed_us;
	int64_t rtt_var_us;
	uint64_t bytes_sent; /* on the wire, headers included */
	uint64_t bytes_recv;
	uint64_t pkts_sent;
	uint64_t pkts_recv;
	uint64_t pkts_lost;
};

struct gt_conn_callbacks {
	/* A message arrived on channel ch. Borrowed: valid during the call. */
	void (*message)(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m, void *data);
	/* Room in the send queues again after gt_conn_send returned CORE_ERR_AGAIN. */
	void (*writable)(struct gt_conn *c, void *data);
	/* The connection died: err is a core_err code, reason a log-safe text. */
	void (*closed)(struct gt_conn *c, int err, const char *reason, void *data);
};

/* Route events to cb with data (call right after receiving the conn). */
void gt_conn_set_callbacks(struct gt_conn *c, const struct gt_conn_callbacks *cb, void *data);

/*
 * Queue message m on channel ch. Returns CORE_OK, CORE_ERR_AGAIN (queue
 * full: wait for `writable`), CORE_ERR_TOO_LARGE (can never fit the queue),
 * CORE_ERR_CLOSED, or the encoding errors of gt_msg_encode.
 */
int gt_conn_send(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m);

/*
 * Forwarded connection chan is over on this side (the hub forgot it): what
 * was queued for it still goes out, then QUIC ends its stream (FIN) so that
 * streams do not pile up; a later message for chan opens a new one. No-op on
 * TCP and when c is NULL or not ready.
 */
void gt_conn_fwd_end(struct gt_conn *c, uint32_t chan);

/*
 * The peer's messages for chan break its role (a FwdOpen numbered as ours):
 * QUIC refuses the peer's stream that carries them (STOP_SENDING, its
 * further bytes ignored) and the connection goes on: CORE_OK. CORE_ERR_INVALID_ARG
 * when there is no such stream to refuse (TCP, c NULL or not ready): the
 * owner closes the connection instead.
 */
int gt_conn_fwd_refuse(struct gt_conn *c, uint32_t chan);
/* The same for the forwarded connection a Fwd message names; CORE_ERR_INVALID_ARG also
 * when m names none (FwdListen, FwdListenResult). */
int gt_conn_fwd_refuse_msg(struct gt_conn *c, const struct gt_msg *m);

/*
 * Stop (paused = true) or resume delivering received messages. While paused
 * no `message` callback runs, nothing more is read from the network beyond
 * what flow control already allowed, and the peer's sends eventually return
 * CORE_ERR_AGAIN: back-pressure reaches the sender. A close by the peer
 * while paused is reported (`closed`) only after the resume, once what came
 * before it was delivered. Takes effect after the current callback returns.
 * Asking for the state it is in does nothing.
 */
void gt_conn_pause_recv(struct gt_conn *c, bool paused);

/*
 * Call `writable` once every queue is at least half empty, as after
 * CORE_ERR_AGAIN: for an owner that holds back before the queue is full
 * (port forwarding leaves room for the terminal's output).
 */
void gt_conn_want_writable(struct gt_conn *c);

/*
 * Bytes channel ch takes beyond keep (room an owner leaves to others); when
 * there are none, gt_conn_want_writable(c) so that `writable` says when
 * there are. c may be NULL (no connection: 0).
 */
size_t gt_conn_send_room_beyond(struct gt_conn *c, enum gt_channel ch, size_t keep);

/* Bytes the channel's queue can still take (a frame needs 5 + payload). */
size_t gt_conn_send_room(const struct gt_conn *c, enum gt_channel ch);

/*
 * Close gracefully: queued frames are delivered (bounded by a short
 * deadline), then the transport closes with code and reason. The owner
 * must not touch c afterwards. Because the close follows the peer's
 * acknowledgement of every queued frame, a receiver that reads until the
 * connection closes has every byte, on both channels, whatever their order
 * on the wire (QUIC does not order one stream against another).
 */
void gt_conn_close(struct gt_conn *c, uint64_t code, const char *reason);

/*
 * Close at once: what is queued is written now, then the close, and the
 * connection is gone; nothing waits for acknowledgements (a lost packet is
 * not sent again). For an end both sides agreed on (the session said
 * Shutdown and we have all of it): a round trip less before exiting.
 */
void gt_conn_close_now(struct gt_conn *c, uint64_t code, const char *reason);

enum gt_proto_version gt_conn_version(const struct gt_conn *c);
/* "quic" or "tcp". */
const char *gt_conn_transport(const struct gt_conn *c);
/* Short id for log lines. */
const char *gt_conn_id(const struct gt_conn *c);
/* Current peer address (changes when a QUIC client migrates). */
void gt_conn_peer(const struct gt_conn *c, struct core_addr *out);
void gt_conn_get_stats(const struct gt_conn *c, struct gt_conn_stats *out);

/*
 * Heartbeats (both transports): every interval_us send Heartbeat{wall-clock
 * ms} on the control channel, and end the connection with CORE_ERR_TIMEOUT
 * ("peer silent for N s") when nothing at all has arrived for dead_after_us.
 * Received Heartbeats are delivered like any message, so the owner can show
 * the time of last contact. interval_us = 0 turns heartbeats off. The
 * reference uses 5 s, with 15 s (client) and 30 s (session) of silence.
 */
void gt_conn_set_heartbeat(struct gt_conn *c, int64_t interval_us, int64_t dead_after_us);

/*
 * Acknowledgements (goet-v2; nothing is sent on goet-v1 connections): the
 * owner has delivered the Data message seq of n bytes (to the PTY, to the
 * terminal's queue). The connection tells the peer with Heartbeat{now, seq}
 * once GT_CONN_ACK_BYTES were delivered since the last ack, or
 * GT_CONN_ACK_DELAY_MS after a delivery, in every heartbeat, and before
 * gt_conn_close. The peer's
 * outbox frees its window with it (outbox.h).
 */
#define GT_CONN_ACK_BYTES    (256 * 1024)
#define GT_CONN_ACK_DELAY_MS 10
void gt_conn_delivered(struct gt_conn *c, uint64_t seq, size_t n);

/*
 * Data-channel bytes queued or sent and not yet acknowledged by the peer's
 * transport (QUIC: stream acks; TCP: our queue plus the kernel's unacked
 * bytes). 0 means an idle link: a keystroke or its echo can go at once,
 * with nothing to wait for (the coalescers' rule). 0 when not READY.
 */
size_t gt_conn_in_flight(const struct gt_conn *c);

/* When something last arrived (CLOCK_BOOTTIME microseconds, core_time_now_us). */
int64_t gt_conn_last_rx_us(const struct gt_conn *c);

/*
 * Connections of this process not yet finished, closing ones included. A
 * process that closed its connections runs its loop until this is 0 (with a
 * bound) so that queued frames reach the peer before it exits.
 */
unsigned gt_conn_live_count(void);
