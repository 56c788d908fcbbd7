/*
 * conn.c - the life of a goet connection, once for every transport
 * (conn-priv.h): failure, authentication, handover, delivery, back-pressure,
 * graceful close, the timer; and the public API of conn.h on top of it.
 */
#include "goet/net/conn-priv.h"

#include <stdarg.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/net/dial-priv.h"
#include "goet/net/handshake.h"

static unsigned conn_live;

static bool conn_send_heartbeat(struct gt_conn *c);

/* A message that arrived before the owner took the connection. */
struct early_msg {
	enum gt_channel ch;
	uint8_t *frame; /* encoded, decoded again on delivery */
	size_t len;
};

void gt_conn_base_init(struct gt_conn *c, const struct gt_conn_ops *ops, bool is_server,
		       const char *id_prefix, const uint8_t passkey[GT_PASSKEY_LEN])
{
	static unsigned serial;

	conn_live++;
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->is_server = is_server;
	c->last_rx_us = core_time_now_us();
	g_snprintf(c->id, sizeof(c->id), "%s%s%u", id_prefix, is_server ? "" : "c", ++serial);
	memcpy(c->passkey, passkey, GT_PASSKEY_LEN);
	g_queue_init(&c->early);
}

void gt_conn_base_finish(struct gt_conn *c)
{
	struct early_msg *e;

	c->state = GT_CS_DEAD;
	core_source_clear(&c->heartbeat);
	core_source_clear(&c->ack_timer);
	core_source_clear(&c->timer);
	core_source_clear(&c->idle);
	while ((e = g_queue_pop_head(&c->early)) != NULL) {
		g_free(e->frame);
		g_free(e);
	}
	core_wipe(c->passkey, sizeof(c->passkey));
	conn_live--;
}

void gt_conn_fail(struct gt_conn *c, int err, uint64_t code, bool tell_peer, const char *fmt, ...)
{
	va_list ap;

	if (c->fail_err != CORE_OK || c->state == GT_CS_DEAD)
		return;
	c->fail_err = err;
	c->fail_code = code;
	c->fail_send_close = tell_peer;
	va_start(ap, fmt);
	g_vsnprintf(c->fail_reason, sizeof(c->fail_reason), fmt, ap);
	va_end(ap);
}

static gboolean conn_idle_cb(gpointer p)
{
	struct gt_conn *c = p;

	c->idle = 0;
	gt_conn_process(c);
	return G_SOURCE_REMOVE;
}

void gt_conn_schedule(struct gt_conn *c)
{
	if (c->idle == 0 && c->state != GT_CS_DEAD)
		c->idle = g_idle_add_full(G_PRIORITY_DEFAULT, conn_idle_cb, c, NULL);
}

/* ------------------------------------------------------ authentication */

void gt_conn_expect_auth(struct gt_conn *c, int64_t timeout_us)
{
	c->auth_timeout_us = timeout_us > 0 ? timeout_us : GT_AUTH_TIMEOUT_US;
	core_deadline_set(&c->auth_deadline, core_time_now_us(), c->auth_timeout_us);
}

void gt_conn_tls_done(struct gt_conn *c)
{
	struct gt_msg m;

	if (gt_hs_version(c->tls, &c->version) != CORE_OK) {
		gt_conn_fail(c, CORE_ERR_TLS, GT_CLOSE_PROTOCOL, true, "no ALPN agreed");
		return;
	}
	c->state = GT_CS_AUTH;
	if (c->is_server || c->stall)
		return;
	if (gt_hs_auth_request(c->tls, c->version, c->passkey, &m) != CORE_OK ||
	    c->ops->queue(c, GT_CHANNEL_CONTROL, &m) != CORE_OK)
		gt_conn_fail(c, CORE_ERR_TLS, GT_CLOSE_PROTOCOL, true,
			     "cannot start authentication");
	core_wipe(&m, sizeof(m));
	if (c->early_ok && c->dial != NULL) {
		const struct gt_dial_config *cfg = gt_dial_get_config(c->dial);

		for (unsigned i = 0; i < cfg->n_early && i < G_N_ELEMENTS(cfg->early); i++)
			if (cfg->early[i].type != GT_MSG_DATA)
				c->ops->queue(c, cfg->early_ch[i], &cfg->early[i]);
	}
}

/* Authenticated, both ways as far as this side can tell: hand over next. */
static void conn_authenticated(struct gt_conn *c)
{
	c->state = GT_CS_READY;
	c->handover_pending = true;
	core_deadline_clear(&c->auth_deadline);
}

/* Server: check the client's AuthRequest and answer it (or keep it for the passkey). */
static void conn_server_auth(struct gt_conn *c, const struct gt_msg *m)
{
	uint8_t proof[GT_AUTH_MAC_LEN];
	struct gt_msg resp;
	int r;

	if (c->passkey_missing) {
		c->held_auth = *m; /* the token is inline: a copy */
		c->has_held_auth = true;
		return;
	}
	r = gt_hs_check_request(c->tls, c->version, c->passkey, c->impostor, m, &resp, proof);
	c->ops->queue(c, GT_CHANNEL_CONTROL, &resp);
	core_wipe(proof, sizeof(proof));
	if (r != CORE_OK) {
		c->close_now = true;
		gt_conn_fail(c, CORE_ERR_AUTH, GT_CLOSE_AUTH_FAILED, true, "auth failed");
		return;
	}
	conn_authenticated(c);
}

/* Client: check the session's AuthResponse (and its goet-v2 proof). */
static void conn_client_auth(struct gt_conn *c, const struct gt_msg *m)
{
	char reason[160];

	if (gt_hs_check_response(c->tls, c->version, c->passkey, m, reason, sizeof(reason)) !=
	    CORE_OK) {
		/* a rejected passkey needs no close from us; a failed proof does */
		gt_conn_fail(c, CORE_ERR_AUTH, GT_CLOSE_AUTH_FAILED,
			     m->u.auth_response.status == GT_AUTH_OK, "%s", reason);
		return;
	}
	conn_authenticated(c);
}

void gt_conn_set_passkey(struct gt_conn *c, const uint8_t passkey[GT_PASSKEY_LEN])
{
	if (!c->passkey_missing || c->state == GT_CS_DEAD)
		return;
	memcpy(c->passkey, passkey, GT_PASSKEY_LEN);
	c->passkey_missing = false;
	if (c->has_held_auth) {
		c->has_held_auth = false;
		conn_server_auth(c, &c->held_auth);
		core_wipe(&c->held_auth, sizeof(c->held_auth));
		gt_conn_schedule(c);
	}
}

/* ------------------------------------------------------------ delivery */

bool gt_conn_may_deliver(const struct gt_conn *c)
{
	return (c->fail_err == CORE_OK || c->flush_closed) && c->state != GT_CS_DEAD &&
	       !(c->recv_paused && c->owned && c->state == GT_CS_READY);
}

/* Keep a message for the owner-to-be (bounded). */
static void conn_hold_early(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	size_t len = GT_FRAME_HEADER_LEN + gt_msg_payload_len(m);
	struct early_msg *e;
	struct core_buf b;

	if (c->early_bytes + len > GT_CONN_EARLY_BYTES) {
		gt_conn_fail(c, CORE_ERR_TOO_LARGE, GT_CLOSE_PROTOCOL, true,
			     "peer sent more than %d bytes before the handshake finished",
			     GT_CONN_EARLY_BYTES);
		return;
	}
	e = g_new(struct early_msg, 1);
	e->ch = ch;
	e->frame = g_malloc(len);
	e->len = len;
	core_buf_init_fixed(&b, e->frame, len);
	gt_msg_encode(m, &b);
	c->early_bytes += len;
	g_queue_push_tail(&c->early, e);
}

void gt_conn_on_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	c->last_rx_us = core_time_now_us();
	switch (c->state) {
	case GT_CS_READY:
		if (c->owned && !c->handover_pending && g_queue_is_empty(&c->early)) {
			if (c->cb.message != NULL)
				c->cb.message(c, ch, m, c->cb_data);
		} else {
			conn_hold_early(c, ch, m);
		}
		return;
	case GT_CS_CLOSING: /* the owner has gone: nobody to tell */
	case GT_CS_DEAD:
		return;
	default:
		break;
	}
	/* before authentication exactly one message is allowed, on control, and on
	 * QUIC the client's SequenceHeader may overtake it on the data stream:
	 * held (bounded), delivered only if the AuthRequest passes */
	if (c->state == GT_CS_AUTH && c->is_server && ch == GT_CHANNEL_CONTROL &&
	    m->type == GT_MSG_AUTH_REQUEST)
		conn_server_auth(c, m);
	else if (c->state == GT_CS_AUTH && c->is_server && ch == GT_CHANNEL_DATA &&
		 m->type == GT_MSG_SEQUENCE_HEADER && c->early_bytes == 0)
		conn_hold_early(c, ch, m);
	else if (c->state == GT_CS_AUTH && !c->is_server && ch == GT_CHANNEL_CONTROL &&
		 m->type == GT_MSG_AUTH_RESPONSE)
		conn_client_auth(c, m);
	else
		gt_conn_fail(c, CORE_ERR_BAD_VALUE, GT_CLOSE_PROTOCOL, true,
			     "unexpected %s before authentication", gt_msg_type_name(m->type));
}

/* Deliver what came before the owner took over, while the owner lets us. */
static void conn_deliver_early(struct gt_conn *c)
{
	struct early_msg *e;
	struct gt_msg m;
	size_t used;

	while (c->owned && c->state == GT_CS_READY && gt_conn_may_deliver(c) &&
	       (e = g_queue_pop_head(&c->early)) != NULL) {
		if (gt_frame_decode(e->frame, e->len, &m, &used) == CORE_OK &&
		    c->cb.message != NULL)
			c->cb.message(c, e->ch, &m, c->cb_data);
		c->early_bytes -= e->len;
		g_free(e->frame);
		g_free(e);
	}
}

/* Hand the authenticated connection to its owner, then what came early. */
static void conn_handover(struct gt_conn *c)
{
	c->handover_pending = false;
	c->owned = true;
	if (c->is_server) {
		core_log_info(c->ops->name, c->id, "client authenticated (%s)",
			      c->version == GT_PROTO_V2 ? GT_ALPN_V2 : GT_ALPN_V1);
		c->accept(c, c->accept_data);
	} else {
		struct gt_dial *d = c->dial;

		c->dial = NULL;
		gt_dial_succeeded(d, c);
	}
	/* an owner that paused receiving at once (a dial held for a client still
	 * to come) gets them on its resume */
	conn_deliver_early(c);
}

/* ---------------------------------------------------------- processing */

void gt_conn_die(struct gt_conn *c)
{
	char esc[CORE_LOG_ESC_SHORT];
	const char *reason =
		core_log_escape(esc, sizeof(esc), c->fail_reason, strlen(c->fail_reason));
	int err = c->fail_err;

	if (c->state == GT_CS_DEAD)
		return;
	if (c->close_now)
		c->ops->write(c); /* the final answer (AuthResponse) goes out first */
	if (c->fail_send_close)
		c->ops->send_close(c, c->fail_code,
				   c->fail_code == GT_CLOSE_AUTH_FAILED ? "auth failed"
									: c->fail_reason);
	if (c->state == GT_CS_CLOSING)
		core_log_debug(c->ops->name, c->id, "closed");
	else
		core_log_info(c->ops->name, c->id, "connection closed: %s", reason);
	if (c->state != GT_CS_CLOSING && c->owned && c->cb.closed != NULL) {
		c->state = GT_CS_DEAD;
		c->cb.closed(c, err, reason, c->cb_data);
	} else if (c->dial != NULL && !c->owned) {
		struct gt_dial *d = c->dial;

		c->dial = NULL;
		c->state = GT_CS_DEAD;
		gt_dial_attempt_failed(d, c, err, reason);
	}
	c->ops->destroy(c);
}

static gboolean conn_timer_cb(gpointer p)
{
	struct gt_conn *c = p;

	c->timer = 0;
	if (c->ops->expiry(c) <= core_time_now_us())
		c->ops->on_expiry(c);
	gt_conn_process(c);
	return G_SOURCE_REMOVE;
}

/* One timer at the earliest of the transport's expiry and our deadlines. */
static void conn_arm_timer(struct gt_conn *c)
{
	int64_t now = core_time_now_us(), at = c->ops->expiry(c);

	if (core_deadline_is_set(&c->auth_deadline) && c->auth_deadline.at_us < at)
		at = c->auth_deadline.at_us;
	if (core_deadline_is_set(&c->close_deadline) && c->close_deadline.at_us < at)
		at = c->close_deadline.at_us;
	core_source_clear(&c->timer);
	if (at != INT64_MAX)
		c->timer = g_timeout_add(at <= now ? 0 : (guint)((at - now + 999) / 1000),
					 conn_timer_cb, c);
}

/* Room again after CORE_ERR_AGAIN: every queue at least half empty. */
static bool conn_has_room(const struct gt_conn *c)
{
	for (int ch = 0; ch < GT_CHANNEL_COUNT; ch++)
		if (c->ops->room(c, ch) < c->ops->queue_max(c, ch) / 2)
			return false;
	return true;
}

/*
 * The peer closed an owned connection (gracefully, or it failed on its side):
 * what it sent before comes first. While the owner pauses receiving, the
 * close waits for the resume (a predial held for its client: the session's
 * Shutdown must not be lost). Returns true while c must not die yet.
 */
static bool conn_flush_before_close(struct gt_conn *c)
{
	if (c->fail_send_close || !c->owned || c->state != GT_CS_READY)
		return false;
	if (c->recv_paused)
		return true; /* gt_conn_pause_recv(c, false) runs us again */
	c->flush_closed = true;
	conn_deliver_early(c);
	if (c->state == GT_CS_READY && gt_conn_may_deliver(c))
		c->ops->resume(c);
	if (c->state != GT_CS_DEAD)
		c->flush_closed = false;
	return false;
}

void gt_conn_process(struct gt_conn *c)
{
	int64_t now = core_time_now_us();

	if (c->state == GT_CS_DEAD)
		return;
	if (core_deadline_expired(&c->auth_deadline, now))
		gt_conn_fail(c, CORE_ERR_TIMEOUT, GT_CLOSE_AUTH_TIMEOUT, true,
			     "no authentication within %" G_GINT64_FORMAT " ms",
			     c->auth_timeout_us / 1000);
	if (c->fail_err != CORE_OK) {
		if (conn_flush_before_close(c))
			return;
		if (c->state == GT_CS_DEAD)
			return;
		goto die;
	}
	if (c->handover_pending) {
		c->ops->write(c); /* the AuthResponse goes out before the owner's first data */
		conn_handover(c);
		if (c->state == GT_CS_DEAD)
			return;
		if (c->fail_err != CORE_OK)
			goto die;
	}
	if (gt_conn_may_deliver(c)) {
		conn_deliver_early(c);
		if (c->fail_err == CORE_OK && c->state != GT_CS_DEAD && gt_conn_may_deliver(c))
			c->ops->resume(c);
	}
	if (c->state == GT_CS_DEAD)
		return;
	if (c->fail_err != CORE_OK || c->ops->write(c) != CORE_OK)
		goto die;
	if (c->state == GT_CS_CLOSING &&
	    (c->ops->drained(c) || core_deadline_expired(&c->close_deadline, now))) {
		c->ops->send_close(c, c->close_code, c->close_reason);
		c->ops->destroy(c);
		return;
	}
	if (c->want_writable && c->owned && c->state == GT_CS_READY && conn_has_room(c)) {
		c->want_writable = false;
		if (c->cb.writable != NULL)
			c->cb.writable(c, c->cb_data);
		if (c->state == GT_CS_DEAD)
			return;
		if (c->ops->write(c) != CORE_OK)
			goto die;
	}
	c->ops->arm(c);
	conn_arm_timer(c);
	return;
die:
	gt_conn_die(c);
}

/* ------------------------------------------------------- the public API */

void gt_conn_set_callbacks(struct gt_conn *c, const struct gt_conn_callbacks *cb, void *data)
{
	c->cb = *cb;
	c->cb_data = data;
}

int gt_conn_send(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	int r;

	if (c->state != GT_CS_READY || c->fail_err != CORE_OK)
		return CORE_ERR_CLOSED;
	r = c->ops->queue(c, ch, m);
	if (r == CORE_ERR_AGAIN)
		c->want_writable = true;
	if (r == CORE_OK)
		gt_conn_schedule(c);
	return r;
}

void gt_conn_want_writable(struct gt_conn *c)
{
	c->want_writable = true;
	gt_conn_schedule(c);
}

size_t gt_conn_send_room_beyond(struct gt_conn *c, enum gt_channel ch, size_t keep)
{
	size_t room;

	if (c == NULL)
		return 0;
	room = gt_conn_send_room(c, ch);
	if (room > keep)
		return room - keep;
	gt_conn_want_writable(c);
	return 0;
}

void gt_conn_fwd_end(struct gt_conn *c, uint32_t chan)
{
	if (c != NULL && c->state == GT_CS_READY && c->ops->fwd_end != NULL) {
		c->ops->fwd_end(c, chan);
		gt_conn_schedule(c);
	}
}

int gt_conn_fwd_refuse(struct gt_conn *c, uint32_t chan)
{
	if (c == NULL || c->state != GT_CS_READY || c->ops->fwd_refuse == NULL)
		return CORE_ERR_INVALID_ARG;
	return c->ops->fwd_refuse(c, chan);
}

int gt_conn_fwd_refuse_msg(struct gt_conn *c, const struct gt_msg *m)
{
	uint32_t chan;

	if (!gt_msg_fwd_chan(m, &chan))
		return CORE_ERR_INVALID_ARG;
	return gt_conn_fwd_refuse(c, chan);
}

void gt_conn_pause_recv(struct gt_conn *c, bool paused)
{
	if (c->recv_paused == paused)
		return; /* a pass per call cost the client one per output write */
	c->recv_paused = paused;
	gt_conn_schedule(c);
}

size_t gt_conn_in_flight(const struct gt_conn *c)
{
	return c->state == GT_CS_READY ? c->ops->in_flight(c) : 0;
}

size_t gt_conn_send_room(const struct gt_conn *c, enum gt_channel ch)
{
	return c->state == GT_CS_READY ? c->ops->room(c, ch) : 0;
}

void gt_conn_close(struct gt_conn *c, uint64_t code, const char *reason)
{
	/* the last ack goes with the close: a peer may be waiting for it (a session
	 * that ends once its client has every byte) */
	if (c->state == GT_CS_READY && c->ack_timer != 0 && c->ack_sent_seq != c->ack_seq)
		conn_send_heartbeat(c);
	core_source_clear(&c->heartbeat);
	core_source_clear(&c->ack_timer);
	c->owned = false;
	if (c->state == GT_CS_DEAD)
		return;
	c->state = GT_CS_CLOSING;
	c->close_code = code;
	g_strlcpy(c->close_reason, reason != NULL ? reason : "closed", sizeof(c->close_reason));
	core_deadline_set(&c->close_deadline, core_time_now_us(), GT_CONN_CLOSE_DRAIN_US);
	gt_conn_schedule(c);
}

void gt_conn_close_now(struct gt_conn *c, uint64_t code, const char *reason)
{
	gt_conn_close(c, code, reason);
	/* the next gt_conn_process (from the loop: this may run inside one of
	 * c's callbacks) writes once, sends the close and ends it */
	if (c->state == GT_CS_CLOSING)
		core_deadline_set(&c->close_deadline, core_time_now_us(), 0);
}

enum gt_proto_version gt_conn_version(const struct gt_conn *c)
{
	return c->version;
}

const char *gt_conn_transport(const struct gt_conn *c)
{
	return c->ops->name;
}

const char *gt_conn_id(const struct gt_conn *c)
{
	return c->id;
}

void gt_conn_peer(const struct gt_conn *c, struct core_addr *out)
{
	c->ops->peer(c, out);
}

void gt_conn_get_stats(const struct gt_conn *c, struct gt_conn_stats *out)
{
	c->ops->stats(c, out);
}

/* ---------------------------------------------- heartbeats, acknowledgements */

/* A Heartbeat, with the ack on goet-v2 once there is one; false when the queue was full. */
static bool conn_send_heartbeat(struct gt_conn *c)
{
	struct gt_msg m = { .type = GT_MSG_HEARTBEAT };

	m.u.heartbeat.timestamp_ms = core_time_wall_ms();
	m.u.heartbeat.has_ack = c->version == GT_PROTO_V2 && c->ack_any;
	m.u.heartbeat.ack_seq = c->ack_seq;
	if (gt_conn_send(c, GT_CHANNEL_CONTROL, &m) != CORE_OK)
		return false;
	if (m.u.heartbeat.has_ack) {
		c->ack_sent_seq = c->ack_seq;
		c->ack_bytes = 0;
	}
	return true;
}

static gboolean conn_ack_cb(gpointer p)
{
	struct gt_conn *c = p;

	if (c->ack_sent_seq != c->ack_seq && !conn_send_heartbeat(c))
		return G_SOURCE_CONTINUE; /* queue full: try again shortly */
	c->ack_timer = 0;
	return G_SOURCE_REMOVE;
}

void gt_conn_delivered(struct gt_conn *c, uint64_t seq, size_t n)
{
	if (c->version != GT_PROTO_V2)
		return;
	c->ack_seq = seq;
	c->ack_any = true;
	c->ack_bytes += n;
	if (c->ack_bytes >= GT_CONN_ACK_BYTES && conn_send_heartbeat(c))
		return;
	if (c->ack_timer == 0)
		c->ack_timer = g_timeout_add(GT_CONN_ACK_DELAY_MS, conn_ack_cb, c);
}

/* Heartbeat tick: first the silence check (as the reference), then the beat. */
static gboolean conn_heartbeat_cb(gpointer p)
{
	struct gt_conn *c = p;
	int64_t silent = core_time_now_us() - c->last_rx_us;

	if (c->hb_dead_us > 0 && silent > c->hb_dead_us) {
		c->heartbeat = 0;
		gt_conn_fail(c, CORE_ERR_TIMEOUT, GT_CLOSE_PROTOCOL, true,
			     "peer silent for %" G_GINT64_FORMAT " s", silent / CORE_USEC_PER_SEC);
		gt_conn_schedule(c);
		return G_SOURCE_REMOVE;
	}
	conn_send_heartbeat(c); /* a full queue skips one beat */
	return G_SOURCE_CONTINUE;
}

void gt_conn_set_heartbeat(struct gt_conn *c, int64_t interval_us, int64_t dead_after_us)
{
	core_source_clear(&c->heartbeat);
	c->hb_interval_us = interval_us;
	c->hb_dead_us = dead_after_us;
	c->last_rx_us = core_time_now_us();
	if (interval_us > 0)
		c->heartbeat =
			g_timeout_add((guint)((interval_us + 999) / 1000), conn_heartbeat_cb, c);
}

int64_t gt_conn_last_rx_us(const struct gt_conn *c)
{
	return c->last_rx_us;
}

unsigned gt_conn_live_count(void)
{
	return conn_live;
}
