/*
 * channel.c - data channels on an SCTP association (RFC 8831, DCEP RFC
 * 8832); see sctp.h for the API and sctp.c for the association under it.
 *
 * Opening: the DTLS client uses even stream ids, the server odd ones. Our
 * OPEN, and the ACK to the peer's, go first on the stream, ordered and
 * reliable; until the ACK (or a message implying it) arrives, our messages
 * stay ordered behind the OPEN.
 *
 * Sending: usrsctp keeps one send buffer per association, which says
 * nothing about whose bytes it holds. So each channel has its own queue in
 * front of it: a message goes straight to usrsctp while the channel's queue
 * is empty and usrsctp takes it; otherwise it waits in the queue, and after
 * every input packet and timer tick (rg_dc_flush) the queues are moved into
 * usrsctp, one message per channel in turn, until usrsctp refuses. A
 * channel's buffered amount is exactly the bytes in its queue; buffered_low
 * fires as the queue drains past the threshold, so a CORE_ERR_AGAIN (the
 * queue is full) is always followed by one. DCEP OPEN and ACK take the same
 * queue, so they are never lost to a full send buffer and stay ahead of the
 * channel's data.
 *
 * Closing (RFC 8831 §6.7): our outgoing stream is reset once the channel's
 * queue is empty; the peer's reset of its stream closes ours too; the
 * channel is closed and freed when both directions are reset.
 *
 * Ownership: the association's table owns its channels. Threading: the
 * association's (sctp.h).
 */
#include <errno.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/rtc/dcep.h"
#include "rift/rtc/sctp-int.h"

#define COMP "sctp"

/* usrsctp supports this option, its public header does not declare it. */
#ifndef SCTP_GET_SNDBUF_USE
#define SCTP_GET_SNDBUF_USE 0x00001101
struct sctp_sockstat {
	sctp_assoc_t ss_assoc_id;
	uint32_t ss_total_sndbuf;
	uint32_t ss_total_recv_buf;
};
#endif

/* A message waiting in its channel's queue. */
struct out_msg {
	uint32_t ppid;
	uint32_t len;
	int64_t queued_us; /* rg_sctp_now_us when queued (a timed channel's lifetime runs from then) */
	uint8_t data[];
};

/* Free a channel's memory (already out of the table and out of s->busy). */
static void dc_free(struct rg_dc *dc)
{
	g_queue_clear_full(&dc->out, g_free);
	g_free(dc->label);
	g_free(dc->protocol);
	g_free(dc);
}

/* Hash table value destructor. */
static void dc_free_cb(gpointer p)
{
	dc_free(p);
}

GHashTable *rg_dc_table_new(void)
{
	return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, dc_free_cb);
}

/* The channel on stream sid, or NULL. */
static struct rg_dc *lookup(struct rg_sctp *s, uint16_t sid)
{
	return g_hash_table_lookup(s->channels, GUINT_TO_POINTER(sid));
}

/* Create a channel on sid and add it to the table. */
static struct rg_dc *dc_new(struct rg_sctp *s, uint16_t sid, const uint8_t *label, size_t label_len,
			    const uint8_t *protocol, size_t protocol_len, uint8_t channel_type,
			    uint32_t reliability, bool ours)
{
	struct rg_dc *dc = g_new0(struct rg_dc, 1);

	dc->s = s;
	dc->sid = sid;
	dc->label = g_malloc(label_len + 1);
	if (label_len > 0)
		memcpy(dc->label, label, label_len);
	dc->label[label_len] = '\0';
	dc->protocol = g_malloc(protocol_len + 1);
	if (protocol_len > 0)
		memcpy(dc->protocol, protocol, protocol_len);
	dc->protocol[protocol_len] = '\0';
	dc->channel_type = channel_type;
	dc->reliability = reliability;
	dc->ours = ours;
	dc->busy_link.data = dc;
	g_hash_table_insert(s->channels, GUINT_TO_POINTER(sid), dc);
	return dc;
}

/* Bytes of a message that count in the buffered amount (user data, not DCEP). */
static size_t user_bytes(uint32_t ppid, size_t len)
{
	return ppid == RG_PPID_DCEP ? 0 : len;
}

/*
 * Hand one of dc's messages to usrsctp; queued_us: when it was queued (0: not
 * queued). CORE_OK (taken, or its lifetime ran out in the queue), CORE_ERR_AGAIN
 * (no room), CORE_ERR_TOO_LARGE or CORE_ERR_CLOSED.
 */
static int dc_send_now(struct rg_dc *dc, uint32_t ppid, const uint8_t *buf, size_t len,
		       int64_t queued_us)
{
	struct sctp_prinfo pr = { .pr_value = dc->reliability };
	uint8_t kind = dc->channel_type & 0x7f;
	uint16_t flags = 0;

	if (ppid == RG_PPID_DCEP) /* ordered and reliable on any channel (RFC 8832 §6) */
		return rg_sctp_sendv(dc->s, dc->sid, ppid, 0, NULL, buf, len);
	/* before the ACK, messages must stay behind the OPEN (RFC 8832 §6) */
	if ((dc->channel_type & RG_DCEP_UNORDERED_BIT) && dc->open)
		flags |= SCTP_UNORDERED;
	if (kind == RG_DCEP_PARTIAL_RELIABLE_REXMIT) {
		pr.pr_policy = SCTP_PR_SCTP_RTX;
	} else if (kind == RG_DCEP_PARTIAL_RELIABLE_TIMED) {
		/* the lifetime runs from rg_dc_send: time in the queue counts, asleep too */
		int64_t waited_ms =
			queued_us != 0 ? (rg_sctp_now_us() - queued_us) / CORE_USEC_PER_MSEC : 0;

		if (waited_ms > 0 && waited_ms >= (int64_t)dc->reliability)
			return CORE_OK; /* abandoned, as SCTP would have */
		pr.pr_policy = SCTP_PR_SCTP_TTL;
		pr.pr_value = dc->reliability - (uint32_t)waited_ms;
	}
	return rg_sctp_sendv(dc->s, dc->sid, ppid, flags, pr.pr_policy != 0 ? &pr : NULL, buf, len);
}

/* Put a message at the end of dc's queue. */
static void dc_enqueue(struct rg_dc *dc, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct out_msg *m = g_malloc(sizeof(*m) + len);

	m->ppid = ppid;
	m->len = (uint32_t)len;
	m->queued_us = rg_sctp_now_us();
	memcpy(m->data, buf, len);
	if (g_queue_is_empty(&dc->out))
		g_queue_push_tail_link(&dc->s->busy, &dc->busy_link);
	g_queue_push_tail(&dc->out, m);
	dc->buffered += user_bytes(ppid, len);
	if (dc->buffered > dc->low)
		dc->above = true;
}

/* Send a message now if nothing of dc's waits and usrsctp takes it, else queue it. */
static int dc_submit(struct rg_dc *dc, uint32_t ppid, const uint8_t *buf, size_t len)
{
	if (g_queue_is_empty(&dc->out)) {
		int rc = dc_send_now(dc, ppid, buf, len, 0);

		if (rc != CORE_ERR_AGAIN)
			return rc;
	}
	dc_enqueue(dc, ppid, buf, len);
	return CORE_OK;
}

/* Ask usrsctp to reset every stream waiting in pending_resets. */
/*
 * Whether the send buffer holds DATA: sent and not yet acknowledged, or not
 * sent yet (its TSN may be assigned already). A reset request
 * names the last TSN we assigned; a receiver whose cumulative TSN is behind
 * it (a packet lost, its retransmission due) defers the reset (RFC 6525
 * §5.2.2) and holds every later DATA chunk until it catches up. usrsctp
 * 0.9.5 mishandles several deferred requests (channels closed on both
 * sides while a packet was lost): a message sent just before the close is
 * lost, or the association stays up but delivers nothing more (found by the
 * rg_sctp_peer fuzz target; its seed close-during-loss and the test
 * /rtc/sctp/close-during-loss replay it). So a reset waits until the send
 * buffer is empty (then the request names only DATA the peer has): it is
 * retried on every read and timer tick. Under a send that never pauses, a
 * close waits for it.
 */
static bool unacked_data(struct rg_sctp *s)
{
	struct sctp_sockstat ss = { 0 };
	socklen_t len = sizeof(ss);

	/* the whole send buffer: DATA sent and not acknowledged, and DATA not sent yet (its
	 * TSN may be assigned already, and the request may travel ahead of it) */
	return usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_GET_SNDBUF_USE, &ss, &len) == 0 &&
	       ss.ss_total_sndbuf > 0;
}

static void flush_resets(struct rg_sctp *s)
{
	struct sctp_reset_streams *srs;
	size_t n = s->pending_resets->len;
	size_t size = sizeof(*srs) + n * sizeof(uint16_t);

	if (n == 0 || !s->connected || s->failed || unacked_data(s))
		return;
	srs = g_malloc0(size);
	srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	srs->srs_number_streams = (uint16_t)n;
	memcpy(srs->srs_stream_list, s->pending_resets->data, n * sizeof(uint16_t));
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)size) ==
	    0)
		g_array_set_size(s->pending_resets, 0);
	else /* one reset in flight at a time: retried on the next tick */
		core_log_debug(COMP, s->name, "stream reset deferred: %s", g_strerror(errno));
	g_free(srs);
}

/* Queue an outgoing reset of sid (once). */
static void queue_reset(struct rg_sctp *s, uint16_t sid)
{
	for (guint i = 0; i < s->pending_resets->len; i++)
		if (g_array_index(s->pending_resets, uint16_t, i) == sid)
			return;
	g_array_append_val(s->pending_resets, sid);
}

/* Stop sending on dc; its stream is reset once its queue is empty (RFC 8831 §6.7). */
static void close_out(struct rg_dc *dc)
{
	dc->closing = true;
	if (g_queue_is_empty(&dc->out) && !dc->reset_queued) {
		dc->reset_queued = true;
		queue_reset(dc->s, dc->sid);
	}
}

/* Refuse what the peer tried on stream sid: log why and reset the stream. */
static void refuse(struct rg_sctp *s, uint16_t sid, const char *reason)
{
	core_log_warn(COMP, s->name, "stream %u refused: %s", sid, reason);
	if (lookup(s, sid) == NULL)
		queue_reset(s, sid);
}

/* Whether sid has the parity of channels the peer opens. */
static bool peer_parity(const struct rg_sctp *s, uint16_t sid)
{
	/* RFC 8832 §6: the DTLS client uses even ids, the server odd ones */
	return (sid & 1) == (s->client ? 1 : 0);
}

/* A DCEP OPEN from the peer on sid. */
static void handle_open(struct rg_sctp *s, uint16_t sid, const struct rg_dcep_open *o)
{
	struct rg_dc *dc;
	uint8_t ack[1];
	char esc[CORE_LOG_ESC_SHORT];

	if (lookup(s, sid) != NULL) {
		core_log_warn(COMP, s->name, "OPEN on stream %u already in use: ignored", sid);
		return;
	}
	if (!peer_parity(s, sid)) {
		refuse(s, sid, "OPEN on a stream id of our parity");
		return;
	}
	dc = dc_new(s, sid, o->label, o->label_len, o->protocol, o->protocol_len, o->channel_type,
		    o->reliability, false);
	dc->open = true;
	/* the ACK goes first on the stream, before any message of ours (RFC 8832 §6) */
	rg_dcep_encode_ack(ack, sizeof(ack));
	if (dc_submit(dc, RG_PPID_DCEP, ack, sizeof(ack)) != CORE_OK)
		core_log_warn(COMP, s->name, "stream %u: cannot send the DCEP ACK", sid);
	core_log_info(COMP, s->name, "channel \"%s\" opened by the peer on stream %u",
		      core_log_escape(esc, sizeof(esc), o->label, o->label_len), sid);
	if (s->cb.channel_open != NULL)
		s->cb.channel_open(s->ctx, dc);
}

/* Our channel dc counts as open: an ACK, or a message implying one, arrived. */
static void our_channel_opened(struct rg_sctp *s, struct rg_dc *dc)
{
	dc->open = true;
	if (s->cb.channel_open != NULL)
		s->cb.channel_open(s->ctx, dc);
}

/* A DCEP message (PPID 50) on sid. */
static void handle_dcep(struct rg_sctp *s, uint16_t sid, const uint8_t *buf, size_t len)
{
	enum rg_dcep_type type;
	struct rg_dcep_open o;
	struct rg_dc *dc;
	char reason[96];
	int rc = rg_dcep_decode(buf, len, &type, &o);

	if (rc != CORE_OK) {
		g_snprintf(reason, sizeof(reason), "malformed DCEP message (%zu bytes): %s", len,
			   core_strerror(rc));
		refuse(s, sid, reason);
		return;
	}
	if (type == RG_DCEP_OPEN) {
		handle_open(s, sid, &o);
		return;
	}
	dc = lookup(s, sid);
	if (dc == NULL || !dc->ours || dc->open) {
		core_log_debug(COMP, s->name, "stream %u: unexpected DCEP ACK ignored", sid);
		return;
	}
	our_channel_opened(s, dc);
}

/* A user message (PPID 51/53/56/57) on sid. */
static void handle_user(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
			size_t len)
{
	struct rg_dc *dc = lookup(s, sid);
	bool binary = ppid == RG_PPID_BINARY || ppid == RG_PPID_BINARY_EMPTY;

	if (dc == NULL) {
		core_log_debug(COMP, s->name, "stream %u: message without a channel dropped", sid);
		return;
	}
	/* a message on our channel implies the ACK (RFC 8832 §6) */
	if (dc->ours && !dc->open)
		our_channel_opened(s, dc);
	if (ppid == RG_PPID_STRING_EMPTY || ppid == RG_PPID_BINARY_EMPTY)
		len = 0;
	if (s->cb.channel_message != NULL && !s->dead)
		s->cb.channel_message(s->ctx, dc, buf, len, binary);
}

void rg_dc_input(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	switch (ppid) {
	case RG_PPID_DCEP:
		handle_dcep(s, sid, buf, len);
		break;
	case RG_PPID_STRING:
	case RG_PPID_BINARY:
	case RG_PPID_STRING_EMPTY:
	case RG_PPID_BINARY_EMPTY:
		handle_user(s, sid, ppid, buf, len);
		break;
	default:
		core_log_debug(COMP, s->name, "stream %u: PPID %u dropped", sid, ppid);
	}
}

/* Fire channel_closed and free dc once both directions are reset. */
static void maybe_closed(struct rg_sctp *s, struct rg_dc *dc)
{
	if (!dc->in_reset || !dc->out_reset)
		return;
	g_hash_table_steal(s->channels, GUINT_TO_POINTER(dc->sid));
	if (!g_queue_is_empty(&dc->out))
		g_queue_unlink(&s->busy, &dc->busy_link);
	core_log_info(COMP, s->name, "channel on stream %u closed", dc->sid);
	if (s->cb.channel_closed != NULL && !s->dead)
		s->cb.channel_closed(s->ctx, dc);
	dc_free(dc);
}

void rg_dc_stream_reset(struct rg_sctp *s, const struct sctp_stream_reset_event *e, size_t len)
{
	size_t n = (len - sizeof(*e)) / sizeof(uint16_t);

	if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
		/* try again: the peer may have had a reset of its own in flight */
		for (size_t i = 0; i < n; i++)
			queue_reset(s, e->strreset_stream_list[i]);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint16_t sid = e->strreset_stream_list[i];
		struct rg_dc *dc = lookup(s, sid);

		if (dc == NULL)
			continue;
		if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
			dc->in_reset = true;
			/* the peer closed: close our direction too (RFC 8831 §6.7) */
			if (!dc->closing)
				close_out(dc);
		}
		if (e->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)
			dc->out_reset = true;
		maybe_closed(s, dc);
	}
}

/* Fire buffered_low for each channel in due (s may be freed by a callback: checked). */
static void fire_lows(struct rg_sctp *s, GPtrArray *due)
{
	for (guint i = 0; i < due->len && !s->dead; i++)
		if (s->cb.buffered_low != NULL)
			s->cb.buffered_low(s->ctx, g_ptr_array_index(due, i));
}

/* Move queued messages into usrsctp, one channel's at a time in turn, until it refuses. */
static void flush_queues(struct rg_sctp *s)
{
	GPtrArray *due = NULL;
	GList *l;

	while (!s->failed && (l = g_queue_peek_head_link(&s->busy)) != NULL) {
		struct rg_dc *dc = l->data;
		struct out_msg *m = g_queue_peek_head(&dc->out);
		int rc = dc_send_now(dc, m->ppid, m->data, m->len, m->queued_us);

		if (rc == CORE_ERR_AGAIN)
			break;
		if (rc != CORE_OK) /* taken or not, it leaves the queue */
			core_log_warn(COMP, s->name, "stream %u: queued message dropped: %s",
				      dc->sid, core_strerror(rc));
		g_queue_pop_head(&dc->out);
		dc->buffered -= user_bytes(m->ppid, m->len);
		g_free(m);
		g_queue_unlink(&s->busy, l);
		if (!g_queue_is_empty(&dc->out))
			g_queue_push_tail_link(&s->busy, l);
		else if (dc->closing)
			close_out(dc);
		if (dc->buffered <= dc->low && (dc->above || dc->want_low)) {
			dc->above = dc->want_low = false;
			if (due == NULL)
				due = g_ptr_array_new();
			g_ptr_array_add(due, dc);
		}
	}
	if (due == NULL)
		return;
	fire_lows(s, due);
	g_ptr_array_free(due, TRUE);
}

void rg_dc_flush(struct rg_sctp *s)
{
	flush_queues(s);
	if (!s->dead)
		flush_resets(s);
}

/* The DCEP channel type and reliability parameter for options o. */
static void channel_type_of(const struct rg_dc_options *o, uint8_t *type, uint32_t *rel)
{
	*type = RG_DCEP_RELIABLE;
	*rel = 0;
	if (o->max_retransmits >= 0) {
		*type = RG_DCEP_PARTIAL_RELIABLE_REXMIT;
		*rel = (uint32_t)o->max_retransmits;
	} else if (o->max_packet_lifetime_ms >= 0) {
		*type = RG_DCEP_PARTIAL_RELIABLE_TIMED;
		*rel = (uint32_t)o->max_packet_lifetime_ms;
	}
	if (!o->ordered)
		*type |= RG_DCEP_UNORDERED_BIT;
}

/* The lowest free stream id of our parity, or -1. */
static int free_stream(struct rg_sctp *s)
{
	for (unsigned sid = s->client ? 0 : 1; sid < s->out_streams; sid += 2)
		if (lookup(s, (uint16_t)sid) == NULL)
			return (int)sid;
	return -1;
}

struct rg_dc *rg_sctp_open_channel(struct rg_sctp *s, const char *label,
				   const struct rg_dc_options *o, GError **error)
{
	static const struct rg_dc_options defaults = { true, -1, -1, NULL };
	const char *proto;
	struct rg_dcep_open open;
	struct rg_dc *dc = NULL;
	uint8_t *msg = NULL;
	size_t msg_len;
	int sid, rc;

	o = o != NULL ? o : &defaults;
	proto = o->protocol != NULL ? o->protocol : "";
	label = label != NULL ? label : "";
	if (strlen(label) > UINT16_MAX || strlen(proto) > UINT16_MAX ||
	    (o->max_retransmits >= 0 && o->max_packet_lifetime_ms >= 0)) {
		core_err_to_gerror(error, CORE_ERR_INVALID_ARG,
				   "channel options: label/protocol over 65535 bytes, or both "
				   "max_retransmits and max_packet_lifetime_ms set");
		goto out;
	}
	if (s->failed || s->dead) {
		core_err_to_gerror(error, CORE_ERR_CLOSED, "the SCTP association has failed");
		goto out;
	}
	sid = free_stream(s);
	if (sid < 0) {
		core_err_to_gerror(error, CORE_ERR_NO_SPACE, "no free SCTP stream (%u streams)",
				   s->out_streams);
		goto out;
	}
	memset(&open, 0, sizeof(open));
	channel_type_of(o, &open.channel_type, &open.reliability);
	open.label = (const uint8_t *)label;
	open.label_len = (uint16_t)strlen(label);
	open.protocol = (const uint8_t *)proto;
	open.protocol_len = (uint16_t)strlen(proto);
	msg_len = RG_DCEP_OPEN_HEADER_LEN + open.label_len + open.protocol_len;
	msg = g_malloc(msg_len);
	rg_dcep_encode_open(&open, msg, msg_len);
	dc = dc_new(s, (uint16_t)sid, open.label, open.label_len, open.protocol, open.protocol_len,
		    open.channel_type, open.reliability, true);
	rc = dc_submit(dc, RG_PPID_DCEP, msg, msg_len);
	if (rc != CORE_OK) {
		core_err_to_gerror(error, rc, "cannot send DCEP OPEN on stream %d: %s", sid,
				   core_strerror(rc));
		g_hash_table_remove(s->channels, GUINT_TO_POINTER(sid));
		dc = NULL;
		goto out;
	}
	core_log_debug(COMP, s->name, "OPEN sent on stream %d", sid);
out:
	g_free(msg);
	return dc;
}

int rg_dc_send(struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary)
{
	static const uint8_t zero[1] = { 0 };
	uint32_t ppid = binary ? RG_PPID_BINARY : RG_PPID_STRING;

	if (dc->closing || dc->s->failed)
		return CORE_ERR_CLOSED;
	if (len > dc->s->max_message)
		return CORE_ERR_TOO_LARGE;
	if (len == 0) { /* one zero byte with the "empty" PPID (RFC 8831 §6.6) */
		ppid = binary ? RG_PPID_BINARY_EMPTY : RG_PPID_STRING_EMPTY;
		buf = zero;
		len = 1;
	}
	/* a message always fits an empty queue, so none is refused for ever */
	if (!g_queue_is_empty(&dc->out) && dc->buffered + len > RG_DC_MAX_BUFFERED) {
		dc->want_low = true;
		return CORE_ERR_AGAIN;
	}
	return dc_submit(dc, ppid, buf, len);
}

size_t rg_dc_buffered_amount(const struct rg_dc *dc)
{
	return dc->buffered;
}

size_t rg_dc_association_unacked(const struct rg_dc *dc)
{
	struct sctp_sockstat ss = { 0 };
	socklen_t len = sizeof(ss);
	size_t n = 0;
	GHashTableIter it;
	gpointer v;

	/* what usrsctp holds: unsent, or sent and neither acknowledged nor abandoned */
	if (usrsctp_getsockopt(dc->s->sock, IPPROTO_SCTP, SCTP_GET_SNDBUF_USE, &ss, &len) == 0)
		n = ss.ss_total_sndbuf;
	g_hash_table_iter_init(&it, dc->s->channels);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((const struct rg_dc *)v)->buffered;
	return n;
}

/* The association's SCTP_STATUS into *st; false (errno set) when usrsctp has none. */
static bool association_status(const struct rg_dc *dc, struct sctp_status *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	return usrsctp_getsockopt(dc->s->sock, IPPROTO_SCTP, SCTP_STATUS, st, &len) == 0;
}

int rg_dc_rtt_ms(const struct rg_dc *dc)
{
	struct sctp_status st;

	if (!association_status(dc, &st))
		return -1;
	return (int)st.sstat_primary.spinfo_srtt;
}

char *rg_dc_association_describe(const struct rg_dc *dc)
{
	struct sctp_status st;

	if (!association_status(dc, &st))
		return g_strdup_printf("no association status: %s", g_strerror(errno));
	return g_strdup_printf("state 0x%x, peer window %u, cwnd %u, chunks unacked %u, "
			       "pending %u, path 0x%x, rto %u ms, srtt %u ms",
			       (unsigned)st.sstat_state, st.sstat_rwnd,
			       st.sstat_primary.spinfo_cwnd, st.sstat_unackdata, st.sstat_penddata,
			       (unsigned)st.sstat_primary.spinfo_state, st.sstat_primary.spinfo_rto,
			       st.sstat_primary.spinfo_srtt);
}

void rg_dc_set_buffered_low(struct rg_dc *dc, size_t threshold)
{
	dc->low = threshold;
	dc->above = dc->buffered > threshold;
}

const char *rg_dc_label(const struct rg_dc *dc)
{
	return dc->label;
}

const char *rg_dc_protocol(const struct rg_dc *dc)
{
	return dc->protocol;
}

uint16_t rg_dc_stream(const struct rg_dc *dc)
{
	return dc->sid;
}

bool rg_dc_ordered(const struct rg_dc *dc)
{
	return !(dc->channel_type & RG_DCEP_UNORDERED_BIT);
}

int rg_dc_max_retransmits(const struct rg_dc *dc)
{
	if ((dc->channel_type & 0x7f) != RG_DCEP_PARTIAL_RELIABLE_REXMIT)
		return -1;
	return (int)MIN(dc->reliability, (uint32_t)G_MAXINT);
}

int rg_dc_max_packet_lifetime_ms(const struct rg_dc *dc)
{
	if ((dc->channel_type & 0x7f) != RG_DCEP_PARTIAL_RELIABLE_TIMED)
		return -1;
	return (int)MIN(dc->reliability, (uint32_t)G_MAXINT);
}

void rg_dc_close(struct rg_dc *dc)
{
	struct rg_sctp *s = dc->s;

	if (dc->closing)
		return;
	close_out(dc);
	flush_resets(s);
}
