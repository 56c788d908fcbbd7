/*
 * sctp.c - data channels over usrsctp (AF_CONN); see sctp.h.
 *
 * Design. usrsctp is process-global: the first association initialises it
 * (usrsctp_init_nothreads) and starts one 10 ms GLib timeout that calls
 * usrsctp_handle_timers; the last association stops the timer and finishes
 * usrsctp. Each association registers its own struct as its AF_CONN address
 * and uses that one pointer as both the local and the remote sconn_addr, so
 * conn_output receives it and usrsctp_conninput is called with it.
 *
 * The socket is never read from inside usrsctp (no receive callback, no
 * upcall): after every input packet and every timer tick it is polled with
 * usrsctp_recvv until EWOULDBLOCK, and the whole messages are dispatched.
 * That keeps every callback on the GLib thread with no usrsctp lock held.
 *
 * Sending: usrsctp keeps one send buffer per association, which says
 * nothing about whose bytes it holds. So each channel has its own queue in
 * front of it: a message goes straight to usrsctp while the channel's queue
 * is empty and usrsctp takes it; otherwise it waits in the queue, and after
 * every input packet and timer tick the queues are moved into usrsctp, one
 * message per channel in turn, until usrsctp refuses. A channel's buffered
 * amount is exactly the bytes in its queue; buffered_low fires as the queue
 * drains past the threshold, so a CORE_ERR_AGAIN (the queue is full) is
 * always followed by one. DCEP OPEN and ACK take the same queue, so they are
 * never lost to a full send buffer and stay ahead of the channel's data.
 *
 * Re-entrancy: entry points that can fire callbacks hold s->depth; a
 * rg_sctp_free during a callback only marks the association dead, and the
 * outermost entry point finishes the free.
 */
#include "rift/rtc/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <usrsctp.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/rtc/dcep.h"
#include "rift/rtc/sctp-priv.h"

/* usrsctp supports this option, its public header does not declare it. */
#ifndef SCTP_GET_SNDBUF_USE
#define SCTP_GET_SNDBUF_USE 0x00001101
struct sctp_sockstat {
	sctp_assoc_t ss_assoc_id;
	uint32_t ss_total_sndbuf;
	uint32_t ss_total_recv_buf;
};
#endif

#define COMP "sctp"

/* The SCTP common header (RFC 9260 §3.1): ports, verification tag, checksum. */
#define SCTP_COMMON_HEADER_LEN 12
#define SCTP_CHECKSUM_OFFSET   8

/* usrsctp timer granularity we drive it with. */
#define TIMER_INTERVAL_MS 10
/* Streams we ask for in both directions (the WebRTC usual). */
#define NUM_STREAMS 1024
/* Socket buffers: large enough for a few max-size messages in flight. */
#define SOCKET_BUFFER_BYTES (1024 * 1024)
/* One recvv read; longer messages are reassembled. */
#define READ_CHUNK (64 * 1024)
/* Largest SCTP packet we accept from DTLS (a DTLS record cannot carry more). */
#define MAX_PACKET 65536
/* RTO bounds (ms): WebRTC runs on RTTs far below usrsctp's 1 s minimum. */
#define RTO_INITIAL_MS 1000
#define RTO_MIN_MS     250
#define RTO_MAX_MS     10000
/* Attempts to finish usrsctp after the last association is gone. */
#define FINISH_ATTEMPTS 300
/* Peer's max message size when the SDP has none (RFC 8841 §6.1). */
#define DEFAULT_MAX_MESSAGE 65536
/* Chunks queued or in flight per association (usrsctp's default, 512, refuses sends long before
 * SOCKET_BUFFER_BYTES is used: at 358 KiB of 1,400-byte messages, two chunks each). */
#define MAX_CHUNKS_ON_QUEUE (SOCKET_BUFFER_BYTES / 128)
/* Initial congestion window, packets (RFC 6928; usrsctp's default is about 3). */
#define INITIAL_CWND_PACKETS 10
/* Delayed-SACK timer, ms (usrsctp's default is 200: a sender waiting on the last odd packet's
 * SACK would idle that long). */
#define DELAYED_SACK_MS 20

struct rg_dc {
	struct rg_sctp *s;
	uint16_t sid;
	char *label;
	char *protocol;
	uint8_t channel_type;
	uint32_t reliability;
	bool ours;	   /* we opened it */
	bool open;	   /* ACK received (ours) or sent (theirs) */
	bool closing;	   /* closed by rg_dc_close or the peer: no more sends */
	bool out_reset;	   /* our outgoing stream reset done */
	bool in_reset;	   /* peer reset its outgoing stream */
	bool reset_queued; /* our outgoing reset queued (once out is empty) */
	GQueue out;	   /* struct out_msg*: waiting for room in usrsctp, oldest first */
	GList busy_link;   /* in s->busy while out is not empty */
	size_t buffered;   /* bytes in out */
	size_t low;	   /* buffered_low threshold */
	bool above;	   /* buffered was above low since the last buffered_low */
	bool want_low;	   /* a send got CORE_ERR_AGAIN: report the next low */
};

/* A message waiting in its channel's queue. */
struct out_msg {
	uint32_t ppid;
	uint32_t len;
	gint64 queued_us; /* when it was queued (a timed channel's lifetime runs from then) */
	uint8_t data[];
};

struct rg_sctp {
	struct socket *sock;
	struct rg_sctp_callbacks cb;
	void *ctx;
	char name[16];
	bool client;
	uint16_t local_port, remote_port;
	uint32_t max_message;
	GHashTable *channels; /* sid -> struct rg_dc* (owned) */
	uint16_t out_streams;
	bool connected, failed, dead;
	bool aborting; /* inside usrsctp_close: its ABORT may still go out */
	int depth;
	GArray *pending_resets; /* uint16_t sids awaiting SCTP_RESET_STREAMS */
	GQueue busy;		/* struct rg_dc* with queued messages, in turn order */
	uint8_t *chunk;		/* READ_CHUNK bytes */
	GByteArray *rx;		/* the message being reassembled */
	bool rx_overflow;	/* the current message exceeded our limit: drop it */
};

/* Process-wide usrsctp state. */
static unsigned g_users;
static bool g_inited;
static guint g_timer;
static gint64 g_last_tick;
static GHashTable *g_live; /* set of live struct rg_sctp* */
static unsigned g_next_id;

static void destroy(struct rg_sctp *s);
static void drain(struct rg_sctp *s);

/* usrsctp's debug printf: silenced (it is very chatty). */
static void debug_noop(const char *format, ...)
{
}

#if defined(__x86_64__)
/* CRC32c with the SSE4.2 instruction, 8 bytes a step. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *buf, size_t len)
{
	uint64_t crc = 0xffffffffu;
	uint64_t word;

	for (; len >= 8; buf += 8, len -= 8) {
		memcpy(&word, buf, 8);
		crc = __builtin_ia32_crc32di(crc, word);
	}
	for (; len > 0; buf++, len--)
		crc = __builtin_ia32_crc32qi((uint32_t)crc, *buf);
	return ~(uint32_t)crc;
}
#endif

uint32_t rg_sctp_crc32c(const uint8_t *buf, size_t len)
{
#if defined(__x86_64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_sse42(buf, len);
#endif
	return usrsctp_crc32c((void *)buf, len);
}

/* Fill in an outgoing packet's checksum (usrsctp leaves it to us: see global_ref). */
static void set_checksum(uint8_t *pkt, size_t len)
{
	uint32_t crc = 0;

	if (len < SCTP_COMMON_HEADER_LEN)
		return;
	memcpy(pkt + SCTP_CHECKSUM_OFFSET, &crc, sizeof(crc));
	crc = rg_sctp_crc32c(pkt, len);
	memcpy(pkt + SCTP_CHECKSUM_OFFSET, &crc, sizeof(crc));
}

/* usrsctp wants to send a packet for the association whose address is addr. */
static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df)
{
	struct rg_sctp *s = addr;

	/* after rg_sctp_free, a late timer may still emit for the address */
	if (g_live == NULL || !g_hash_table_contains(g_live, s))
		return 0;
	if (s->dead && !s->aborting)
		return 0;
	/* usrsctp copied the packet into this buffer for us: it is ours to finish */
	set_checksum(buffer, length);
	s->cb.send(s->ctx, buffer, length);
	return 0;
}

/* Mark the start of a call that may fire callbacks. */
static void enter(struct rg_sctp *s)
{
	s->depth++;
}

/* End such a call; finish a free requested from inside a callback. */
static void leave(struct rg_sctp *s)
{
	if (--s->depth == 0 && s->dead)
		destroy(s);
}

/* The process-wide timer: run usrsctp's timers, then read every socket. */
static gboolean timer_tick(gpointer unused)
{
	gint64 now = g_get_monotonic_time();
	gint64 elapsed_ms = (now - g_last_tick) / 1000;
	GList *all, *l;

	if (elapsed_ms <= 0)
		return G_SOURCE_CONTINUE;
	g_last_tick += elapsed_ms * 1000;
	usrsctp_handle_timers((uint32_t)elapsed_ms);
	all = g_hash_table_get_keys(g_live);
	for (l = all; l != NULL; l = l->next) {
		struct rg_sctp *s = l->data;

		/* a callback of an earlier one may have freed this one (or all) */
		if (g_live == NULL)
			break;
		if (!g_hash_table_contains(g_live, s) || s->dead)
			continue;
		enter(s);
		drain(s);
		leave(s);
	}
	g_list_free(all);
	return G_SOURCE_CONTINUE;
}

/* usrsctp's process-wide settings, applied at initialisation. */
static const struct {
	int (*set)(uint32_t value);
	uint32_t value;
} tuning[] = {
	{ usrsctp_sysctl_set_sctp_ecn_enable, 0 }, /* WebRTC stacks do not use ECN */
	{ usrsctp_sysctl_set_sctp_max_chunks_on_queue, MAX_CHUNKS_ON_QUEUE },
	{ usrsctp_sysctl_set_sctp_initial_cwnd, INITIAL_CWND_PACKETS },
	{ usrsctp_sysctl_set_sctp_delayed_sack_time_default, DELAYED_SACK_MS },
	/* not NR-SACK (usrsctp's default, off): with it, FORWARD-TSNs for an unreliable
	 * channel lost or stalled a reliable channel's message on a lossy path (test
	 * lossy-wire-mixed) */
};

/* Take a reference on usrsctp, initialising it for the first user. */
static void global_ref(void)
{
	if (g_users++ > 0)
		return;
	if (!g_inited) {
		usrsctp_init_nothreads(0, conn_output, debug_noop);
		/*
		 * "Offload": usrsctp neither computes nor verifies CRC32c. Every packet
		 * rg_sctp_input gets was authenticated by DTLS, so verifying the CRC adds
		 * nothing; outgoing ones get theirs from conn_output (peers verify it), in
		 * hardware where the CPU can. usrsctp's software CRC was a tenth of the
		 * instructions on each side.
		 */
		usrsctp_enable_crc32c_offload();
		for (size_t i = 0; i < G_N_ELEMENTS(tuning); i++)
			tuning[i].set(tuning[i].value);
		g_inited = true;
	}
	g_live = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_last_tick = g_get_monotonic_time();
	g_timer = g_timeout_add(TIMER_INTERVAL_MS, timer_tick, NULL);
}

/* Drop a reference; the last one stops the timer and finishes usrsctp. */
static void global_unref(void)
{
	if (--g_users > 0)
		return;
	g_source_remove(g_timer);
	g_timer = 0;
	g_hash_table_destroy(g_live);
	g_live = NULL;
	/* closed associations go away on usrsctp's timers: run them until it agrees */
	for (int i = 0; i < FINISH_ATTEMPTS; i++) {
		if (usrsctp_finish() == 0) {
			g_inited = false;
			return;
		}
		usrsctp_handle_timers(TIMER_INTERVAL_MS);
		g_usleep(1000);
	}
	core_log_warn(COMP, NULL, "usrsctp_finish still busy; usrsctp stays initialised");
}

/* Report the association as failed (once). */
static void fail(struct rg_sctp *s, const char *reason)
{
	if (s->failed)
		return;
	s->failed = true;
	core_log_warn(COMP, s->name, "association failed: %s", reason);
	if (!s->dead && s->cb.failed != NULL)
		s->cb.failed(s->ctx, reason);
}

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

/* Map a failed usrsctp send's errno to our codes. */
static int send_errno(struct rg_sctp *s, int err)
{
	if (err == EWOULDBLOCK || err == EAGAIN)
		return CORE_ERR_AGAIN;
	if (err == EMSGSIZE)
		return CORE_ERR_TOO_LARGE;
	core_log_warn(COMP, s->name, "usrsctp_sendv: %s", g_strerror(err));
	return CORE_ERR_CLOSED;
}

/* Send one message with the given send info (and PR info when pr is not NULL). */
static int send_msg(struct rg_sctp *s, uint16_t sid, uint32_t ppid, uint16_t flags,
		    const struct sctp_prinfo *pr, const uint8_t *buf, size_t len)
{
	struct sctp_sendv_spa spa;

	if (s->failed || s->dead)
		return CORE_ERR_CLOSED;
	memset(&spa, 0, sizeof(spa));
	spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
	spa.sendv_sndinfo.snd_sid = sid;
	spa.sendv_sndinfo.snd_ppid = htonl(ppid);
	spa.sendv_sndinfo.snd_flags = flags;
	if (pr != NULL) {
		spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
		spa.sendv_prinfo = *pr;
	}
	if (usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, (socklen_t)sizeof(spa), SCTP_SENDV_SPA,
			  0) < 0)
		return send_errno(s, errno);
	return CORE_OK;
}

int rg_sctp_send_raw(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	return send_msg(s, sid, ppid, 0, NULL, buf, len);
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
		       gint64 queued_us)
{
	struct sctp_prinfo pr = { .pr_value = dc->reliability };
	uint8_t kind = dc->channel_type & 0x7f;
	uint16_t flags = 0;

	if (ppid == RG_PPID_DCEP) /* ordered and reliable on any channel (RFC 8832 §6) */
		return send_msg(dc->s, dc->sid, ppid, 0, NULL, buf, len);
	/* before the ACK, messages must stay behind the OPEN (RFC 8832 §6) */
	if ((dc->channel_type & RG_DCEP_UNORDERED_BIT) && dc->open)
		flags |= SCTP_UNORDERED;
	if (kind == RG_DCEP_PARTIAL_RELIABLE_REXMIT) {
		pr.pr_policy = SCTP_PR_SCTP_RTX;
	} else if (kind == RG_DCEP_PARTIAL_RELIABLE_TIMED) {
		/* the lifetime runs from rg_dc_send: time in the queue counts */
		gint64 waited_ms = queued_us != 0 ? (g_get_monotonic_time() - queued_us) / 1000 : 0;

		if (waited_ms > 0 && waited_ms >= (gint64)dc->reliability)
			return CORE_OK; /* abandoned, as SCTP would have */
		pr.pr_policy = SCTP_PR_SCTP_TTL;
		pr.pr_value = dc->reliability - (uint32_t)waited_ms;
	}
	return send_msg(dc->s, dc->sid, ppid, flags, pr.pr_policy != 0 ? &pr : NULL, buf, len);
}

/* Put a message at the end of dc's queue. */
static void dc_enqueue(struct rg_dc *dc, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct out_msg *m = g_malloc(sizeof(*m) + len);

	m->ppid = ppid;
	m->len = (uint32_t)len;
	m->queued_us = g_get_monotonic_time();
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
static void flush_resets(struct rg_sctp *s)
{
	struct sctp_reset_streams *srs;
	size_t n = s->pending_resets->len;
	size_t size = sizeof(*srs) + n * sizeof(uint16_t);

	if (n == 0 || !s->connected || s->failed)
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

/* One whole data message. */
static void handle_data(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
			size_t len)
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

/* SCTP_STREAM_RESET_EVENT. */
static void handle_stream_reset(struct rg_sctp *s, const struct sctp_stream_reset_event *e,
				size_t len)
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

/* SCTP_ASSOC_CHANGE. */
static void handle_assoc_change(struct rg_sctp *s, const struct sctp_assoc_change *ac)
{
	switch (ac->sac_state) {
	case SCTP_COMM_UP:
		if (s->connected)
			return;
		s->connected = true;
		s->out_streams = ac->sac_outbound_streams;
		core_log_info(COMP, s->name, "association up, streams out=%u in=%u",
			      ac->sac_outbound_streams, ac->sac_inbound_streams);
		if (s->cb.connected != NULL)
			s->cb.connected(s->ctx);
		break;
	case SCTP_COMM_LOST:
		fail(s, "association lost");
		break;
	case SCTP_SHUTDOWN_COMP:
		fail(s, "association shut down");
		break;
	case SCTP_CANT_STR_ASSOC:
		fail(s, "cannot start the association");
		break;
	default:
		core_log_debug(COMP, s->name, "association state %u", ac->sac_state);
	}
}

/* One whole notification. */
static void handle_notification(struct rg_sctp *s, const uint8_t *buf, size_t len)
{
	union sctp_notification n;

	memset(&n, 0, sizeof(n));
	if (len < sizeof(n.sn_header))
		return;
	memcpy(&n, buf, len < sizeof(n) ? len : sizeof(n));
	switch (n.sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		handle_assoc_change(s, &n.sn_assoc_change);
		break;
	case SCTP_STREAM_RESET_EVENT:
		/* the stream list follows the struct: read it in place (aligned by usrsctp) */
		if (len >= sizeof(struct sctp_stream_reset_event))
			handle_stream_reset(s, (const struct sctp_stream_reset_event *)buf, len);
		break;
	case SCTP_STREAM_CHANGE_EVENT:
		s->out_streams = n.sn_strchange_event.strchange_outstrms;
		break;
	case SCTP_REMOTE_ERROR:
		core_log_warn(COMP, s->name, "remote error %u", n.sn_remote_error.sre_error);
		break;
	default:
		break;
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

/* A complete message or notification was read. */
static void dispatch(struct rg_sctp *s, const uint8_t *buf, size_t len, int flags,
		     const struct sctp_rcvinfo *info)
{
	if (flags & MSG_NOTIFICATION)
		handle_notification(s, buf, len);
	else
		handle_data(s, info->rcv_sid, ntohl(info->rcv_ppid), buf, len);
}

/* Append a partial read to the reassembly buffer (bounded). */
static void rx_append(struct rg_sctp *s, const uint8_t *buf, size_t len)
{
	if (s->rx_overflow)
		return;
	if (s->rx->len + len > RG_SCTP_MAX_RECV_MESSAGE) {
		core_log_warn(COMP, s->name, "message over %u bytes dropped",
			      RG_SCTP_MAX_RECV_MESSAGE);
		s->rx_overflow = true;
		g_byte_array_set_size(s->rx, 0);
		return;
	}
	g_byte_array_append(s->rx, buf, (guint)len);
}

/* Read one chunk; false when nothing more is readable. */
static bool read_one(struct rg_sctp *s)
{
	struct sctp_rcvinfo info;
	struct sockaddr_conn from;
	socklen_t fromlen = sizeof(from), infolen = sizeof(info);
	unsigned int infotype = 0;
	int flags = 0;
	ssize_t n;

	/* most calls find nothing (half a fragmented message, a SACK): ask cheaply first */
	if (!(usrsctp_get_events(s->sock) & SCTP_EVENT_READ))
		return false;
	memset(&info, 0, sizeof(info));
	n = usrsctp_recvv(s->sock, s->chunk, READ_CHUNK, (struct sockaddr *)&from, &fromlen, &info,
			  &infolen, &infotype, &flags);
	if (n <= 0)
		return false;
	if (!(flags & MSG_EOR)) {
		rx_append(s, s->chunk, (size_t)n);
		return true;
	}
	if (s->rx->len == 0 && !s->rx_overflow) {
		dispatch(s, s->chunk, (size_t)n, flags, &info);
	} else {
		rx_append(s, s->chunk, (size_t)n);
		if (!s->rx_overflow)
			dispatch(s, s->rx->data, s->rx->len, flags, &info);
		g_byte_array_set_size(s->rx, 0);
		s->rx_overflow = false;
	}
	return true;
}

/* Read and dispatch everything readable, then update buffers and resets. */
static void drain(struct rg_sctp *s)
{
	while (!s->dead && read_one(s))
		;
	if (s->dead)
		return;
	flush_queues(s);
	if (!s->dead)
		flush_resets(s);
}

/* Set one socket option; log and return false on failure. */
static bool setopt(struct rg_sctp *s, int level, int name, const void *val, socklen_t len,
		   const char *what)
{
	if (usrsctp_setsockopt(s->sock, level, name, val, len) == 0)
		return true;
	core_log_warn(COMP, s->name, "setsockopt %s: %s", what, g_strerror(errno));
	return false;
}

/* Subscribe to the notifications we handle. */
static bool subscribe_events(struct rg_sctp *s)
{
	/* not SEND_FAILED: each abandoned message of a partially reliable channel
	 * would come back whole, to be read and dropped */
	static const uint16_t types[] = { SCTP_ASSOC_CHANGE, SCTP_REMOTE_ERROR, SCTP_SHUTDOWN_EVENT,
					  SCTP_STREAM_RESET_EVENT, SCTP_STREAM_CHANGE_EVENT };
	struct sctp_event ev;

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.se_assoc_id = SCTP_ALL_ASSOC;
		ev.se_type = types[i];
		ev.se_on = 1;
		if (!setopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev), "SCTP_EVENT"))
			return false;
	}
	return true;
}

/* Apply the WebRTC socket options (deps.md §4). */
static bool configure_socket(struct rg_sctp *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sctp_assoc_value av = { .assoc_id = SCTP_ALL_ASSOC,
				       .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ };
	struct sctp_initmsg init = { .sinit_num_ostreams = NUM_STREAMS,
				     .sinit_max_instreams = NUM_STREAMS };
	struct sctp_rtoinfo rto = { .srto_initial = RTO_INITIAL_MS,
				    .srto_max = RTO_MAX_MS,
				    .srto_min = RTO_MIN_MS };
	int one = 1, bufsize = SOCKET_BUFFER_BYTES;

	if (usrsctp_set_non_blocking(s->sock, 1) != 0)
		return false;
	return setopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg), "SO_LINGER") &&
	       setopt(s, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize), "SO_SNDBUF") &&
	       setopt(s, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize), "SO_RCVBUF") &&
	       setopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av),
		      "SCTP_ENABLE_STREAM_RESET") &&
	       setopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one), "SCTP_NODELAY") &&
	       setopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one), "SCTP_RECVRCVINFO") &&
	       setopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG") &&
	       setopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO") &&
	       subscribe_events(s);
}

/* Our AF_CONN address with the given port: the association pointer itself. */
static struct sockaddr_conn sconn(struct rg_sctp *s, uint16_t port)
{
	struct sockaddr_conn a;

	memset(&a, 0, sizeof(a));
	a.sconn_family = AF_CONN;
#ifdef HAVE_SCONN_LEN
	a.sconn_len = sizeof(a);
#endif
	a.sconn_port = htons(port);
	a.sconn_addr = s;
	return a;
}

/* Create, configure and bind the socket. */
static int open_socket(struct rg_sctp *s, GError **error)
{
	struct sockaddr_conn local = sconn(s, s->local_port);

	s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (s->sock == NULL) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "usrsctp_socket: %s", g_strerror(errno));
		return CORE_ERR_SYSTEM;
	}
	if (!configure_socket(s)) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "cannot configure the SCTP socket");
		return CORE_ERR_SYSTEM;
	}
	if (usrsctp_bind(s->sock, (struct sockaddr *)&local, sizeof(local)) != 0) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "usrsctp_bind port %u: %s",
				   s->local_port, g_strerror(errno));
		return CORE_ERR_SYSTEM;
	}
	return CORE_OK;
}

int rg_sctp_new(struct rg_sctp **out, bool dtls_client, uint16_t local_port, uint16_t remote_port,
		uint32_t max_message_size, const struct rg_sctp_callbacks *cb, void *ctx,
		GError **error)
{
	struct rg_sctp *s = NULL;
	int rc;

	*out = NULL;
	if (cb == NULL || cb->send == NULL || local_port == 0 || remote_port == 0) {
		core_err_to_gerror(error, CORE_ERR_INVALID_ARG,
				   "rg_sctp_new: a send callback and non-zero ports are required");
		return CORE_ERR_INVALID_ARG;
	}
	s = g_new0(struct rg_sctp, 1);
	g_snprintf(s->name, sizeof(s->name), "%u%s", ++g_next_id, dtls_client ? "c" : "s");
	s->cb = *cb;
	s->ctx = ctx;
	s->client = dtls_client;
	s->local_port = local_port;
	s->remote_port = remote_port;
	s->max_message = max_message_size != 0 ? max_message_size : DEFAULT_MAX_MESSAGE;
	s->out_streams = NUM_STREAMS;
	s->channels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, dc_free_cb);
	s->pending_resets = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	g_queue_init(&s->busy);
	s->chunk = g_malloc(READ_CHUNK);
	s->rx = g_byte_array_new();
	global_ref();
	g_hash_table_add(g_live, s);
	usrsctp_register_address(s);
	rc = open_socket(s, error);
	if (rc != CORE_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	if (s != NULL)
		destroy(s);
	return rc;
}

/*
 * SCTP packets ride in DTLS records of at most RG_DTLS_MTU bytes: a fixed
 * path MTU of RG_SCTP_MTU (as browsers use), never discovered, so no
 * packet is too big for DTLS. Without it usrsctp sends 1,500-byte packets
 * that DTLS refuses, and only small messages ever arrive.
 */
static void set_path_mtu(struct rg_sctp *s, const struct sockaddr_conn *remote)
{
	struct sctp_paddrparams spp;

	memset(&spp, 0, sizeof(spp));
	memcpy(&spp.spp_address, remote, sizeof(*remote));
	spp.spp_flags = SPP_PMTUD_DISABLE;
	spp.spp_pathmtu = RG_SCTP_MTU;
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &spp,
			       (socklen_t)sizeof(spp)) != 0)
		core_log_warn("sctp", NULL, "cannot fix the path MTU: %s", g_strerror(errno));
}

void rg_sctp_start(struct rg_sctp *s)
{
	struct sockaddr_conn remote = sconn(s, s->remote_port);

	enter(s);
	if (usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof(remote)) != 0 &&
	    errno != EINPROGRESS) {
		char reason[96];

		g_snprintf(reason, sizeof(reason), "usrsctp_connect: %s", g_strerror(errno));
		fail(s, reason);
	}
	set_path_mtu(s, &remote);
	drain(s);
	leave(s);
}

void rg_sctp_input(struct rg_sctp *s, const uint8_t *pkt, size_t len)
{
	if (s->dead || len == 0 || len > MAX_PACKET)
		return;
	enter(s);
	usrsctp_conninput(s, pkt, len, 0);
	drain(s);
	leave(s);
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

/* Release everything; the association must not be inside a callback. */
static void destroy(struct rg_sctp *s)
{
	s->dead = true;
	if (s->sock != NULL) {
		/* SO_LINGER {1, 0}: the close sends an ABORT, the peer's last word from us */
		s->aborting = true;
		usrsctp_close(s->sock);
		s->aborting = false;
	}
	g_hash_table_remove(g_live, s);
	usrsctp_deregister_address(s);
	g_hash_table_destroy(s->channels);
	g_array_free(s->pending_resets, TRUE);
	g_free(s->chunk);
	g_byte_array_free(s->rx, TRUE);
	g_free(s);
	global_unref();
}

void rg_sctp_free(struct rg_sctp *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0) {
		s->dead = true;
		return;
	}
	destroy(s);
}
