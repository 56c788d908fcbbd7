/*
 * sctp.c - the SCTP association over usrsctp (AF_CONN); see sctp.h.
 *
 * Design. usrsctp is process-global: the first association initialises it
 * (usrsctp_init_nothreads) and starts one GLib timeout that calls
 * usrsctp_handle_timers; the last association stops the timer and finishes
 * usrsctp. The timeout ticks every TIMER_BUSY_MS while packets come and go;
 * after IDLE_AFTER_MS with none, in or out, every TIMER_IDLE_MS (an idle
 * tunnel then wakes the process 4 times a second, not 100), and the next
 * packet makes it busy again. A packet only sets a flag; the tick reads the
 * clock. Idle, nothing is in flight that a timer would retransmit soon: at
 * worst a retransmission already backed off past a second, or a heartbeat,
 * fires up to TIMER_IDLE_MS late.
 *
 * Time is CLOCK_BOOTTIME (rg_sctp_now_us, core/clock.h): each tick hands
 * usrsctp the time since the last one, a suspend included, so the timers
 * that fell due while the machine slept (retransmission, heartbeat) fire at
 * the first tick after it wakes, not that long again later.
 *
 * Each association registers its own struct as its AF_CONN address and
 * uses that one pointer as both the local and the remote sconn_addr, so
 * conn_output receives it and usrsctp_conninput is called with it.
 *
 * The socket is never read from inside usrsctp (no receive callback, no
 * upcall): after every input packet and every timer tick it is polled with
 * usrsctp_recvv until EWOULDBLOCK, and the whole messages are dispatched.
 * That keeps every callback on the GLib thread with no usrsctp lock held.
 *
 * Channels (DCEP, queues, stream resets) are channel.c's: this file hands
 * it every data message (rg_dc_input) and stream reset read, and calls
 * rg_dc_flush after each input packet and timer tick.
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

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/rtc/crc32c.h"
#include "rift/rtc/sctp-int.h"
#include "rift/rtc/sctp-priv.h"

#define COMP "sctp"

/* The SCTP common header (RFC 9260 §3.1): ports, verification tag, checksum. */
#define SCTP_COMMON_HEADER_LEN 12
#define SCTP_CHECKSUM_OFFSET   8

/* usrsctp timer granularity we drive it with: while busy (and when finishing), and idle. */
#define TIMER_BUSY_MS 10
#define TIMER_IDLE_MS 250
/* no packet in or out for this long: idle */
#define IDLE_AFTER_MS 1000
/*
 * Time handed to usrsctp in one tick at most. Only a suspend makes a longer
 * one, and then every timer usrsctp runs for us (the longest, the heartbeat,
 * is 30 s and an RTO) is due anyway; usrsctp counts its ticks in an int.
 */
#define TICK_MAX_MS (10 * 60 * 1000)
/* Streams we ask for in both directions (the WebRTC usual). */
#define NUM_STREAMS 1024
/* Socket buffers: large enough for a few max-size messages in flight. */
#define SOCKET_BUFFER_BYTES (1024 * 1024)
/* One recvv read; longer messages are reassembled. */
#define READ_CHUNK (64 * 1024)
/* Largest SCTP packet we accept from DTLS (a DTLS record cannot carry more). */
#define MAX_PACKET 65536
/*
 * RTO bounds (ms): WebRTC runs on RTTs far below usrsctp's 1 s minimum. The
 * maximum bounds how long a sender stays silent after its path comes back:
 * each timeout during an outage doubles the RTO, and nothing new goes out
 * until the armed one expires, so with usrsctp's 60 s (or our former 10 s)
 * a tunnel whose ICE path was restored after a few seconds stayed dead for
 * as long again.
 */
#define RTO_INITIAL_MS 1000
#define RTO_MIN_MS     250
#define RTO_MAX_MS     2000
/* Retransmissions in a row before the association is given up: with RTO_MAX_MS, about 55 s
 * without an answer (usrsctp's 10 would end it after 17 s). */
#define ASSOC_MAX_RETRANS 30
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

/* Process-wide usrsctp state. */
static unsigned g_users;
static bool g_inited;
static guint g_timer;
static guint g_interval;      /* g_timer's, ms */
static int64_t g_last_tick;   /* rg_sctp_now_us */
static bool g_packet_seen;    /* a packet in or out since the last tick */
static int64_t g_last_packet; /* rg_sctp_now_us of the tick that last saw one */
static GHashTable *g_live;    /* set of live struct rg_sctp* */
static unsigned g_next_id;
static int64_t g_clock_skew_us; /* test hook: rg_sctp_clock_advance */
static int64_t g_frozen_us; /* test hook rg_sctp_clock_freeze: the real clock's reading; 0: off */

static void destroy(struct rg_sctp *s);
static void drain(struct rg_sctp *s);
static gboolean timer_tick(gpointer unused);

int64_t rg_sctp_now_us(void)
{
	return (g_frozen_us != 0 ? g_frozen_us : core_time_now_us()) + g_clock_skew_us;
}

void rg_sctp_clock_freeze(void)
{
	if (g_frozen_us == 0)
		g_frozen_us = core_time_now_us();
}

void rg_sctp_clock_advance(int64_t us)
{
	if (us > 0)
		g_clock_skew_us += us;
}

/* (Re)start the process-wide timer ticking every interval_ms. */
static void pace(guint interval_ms)
{
	if (g_timer != 0 && g_interval == interval_ms)
		return;
	/* also from inside timer_tick: GLib lets a source be removed while it dispatches */
	if (g_timer != 0)
		g_source_remove(g_timer);
	g_interval = interval_ms;
	g_timer = g_timeout_add(interval_ms, timer_tick, NULL);
}

/* A packet came in or went out: tick busy. */
static void note_packet(void)
{
	g_packet_seen = true;
	if (g_interval != TIMER_BUSY_MS)
		pace(TIMER_BUSY_MS);
}

/* usrsctp's debug printf: silenced (it is very chatty). */
static void debug_noop(const char *format, ...)
{
}

/* Fill in an outgoing packet's checksum (usrsctp leaves it to us: see global_ref). */
static void set_checksum(uint8_t *pkt, size_t len)
{
	uint32_t crc;

	if (len < SCTP_COMMON_HEADER_LEN)
		return;
	memset(pkt + SCTP_CHECKSUM_OFFSET, 0, 4);
	crc = rg_crc32c(pkt, len);
	for (int i = 0; i < 4; i++)
		pkt[SCTP_CHECKSUM_OFFSET + i] = (uint8_t)(crc >> (8 * i));
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
	note_packet();
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
	int64_t now = rg_sctp_now_us();
	int64_t elapsed_ms = (now - g_last_tick) / CORE_USEC_PER_MSEC;
	GList *all, *l;

	if (elapsed_ms <= 0)
		return G_SOURCE_CONTINUE;
	g_last_tick += elapsed_ms * CORE_USEC_PER_MSEC;
	usrsctp_handle_timers((uint32_t)MIN(elapsed_ms, TICK_MAX_MS));
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
	if (g_packet_seen) {
		g_packet_seen = false;
		g_last_packet = now;
	} else if (g_timer != 0 && (now - g_last_packet) / CORE_USEC_PER_MSEC >= IDLE_AFTER_MS) {
		/* (g_timer 0: a callback freed the last association, and the timer with it) */
		pace(TIMER_IDLE_MS);
	}
	return G_SOURCE_CONTINUE;
}

void rg_sctp_tick(void)
{
	if (g_users > 0)
		timer_tick(NULL);
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
	g_last_tick = g_last_packet = rg_sctp_now_us();
	g_packet_seen = false;
	pace(TIMER_BUSY_MS);
}

/* Drop a reference; the last one stops the timer and finishes usrsctp. */
static void global_unref(void)
{
	if (--g_users > 0)
		return;
	g_source_remove(g_timer);
	g_timer = 0;
	g_interval = 0;
	g_hash_table_destroy(g_live);
	g_live = NULL;
	/* closed associations go away on usrsctp's timers: run them until it agrees */
	for (int i = 0; i < FINISH_ATTEMPTS; i++) {
		if (usrsctp_finish() == 0) {
			g_inited = false;
			return;
		}
		usrsctp_handle_timers(TIMER_BUSY_MS);
		g_usleep(1000);
	}
	core_log_warn(COMP, "usrsctp", "usrsctp_finish still busy; usrsctp stays initialised");
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

int rg_sctp_sendv(struct rg_sctp *s, uint16_t sid, uint32_t ppid, uint16_t flags,
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
	return rg_sctp_sendv(s, sid, ppid, 0, NULL, buf, len);
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
			rg_dc_stream_reset(s, (const struct sctp_stream_reset_event *)buf, len);
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

/* A complete message or notification was read. */
static void dispatch(struct rg_sctp *s, const uint8_t *buf, size_t len, int flags,
		     const struct sctp_rcvinfo *info)
{
	if (flags & MSG_NOTIFICATION)
		handle_notification(s, buf, len);
	else
		rg_dc_input(s, info->rcv_sid, ntohl(info->rcv_ppid), buf, len);
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
	rg_dc_flush(s);
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
	struct sctp_assocparams ap = { .sasoc_assoc_id = SCTP_FUTURE_ASSOC,
				       .sasoc_asocmaxrxt = ASSOC_MAX_RETRANS };
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
	       setopt(s, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof(ap), "SCTP_ASSOCINFO") &&
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
		const char *name, GError **error)
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
	s->name = name != NULL ? g_strdup(name)
			       : g_strdup_printf("%u%s", ++g_next_id, dtls_client ? "c" : "s");
	s->cb = *cb;
	s->ctx = ctx;
	s->client = dtls_client;
	s->local_port = local_port;
	s->remote_port = remote_port;
	s->max_message = max_message_size != 0 ? max_message_size : DEFAULT_MAX_MESSAGE;
	s->out_streams = NUM_STREAMS;
	s->channels = rg_dc_table_new();
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
 * path MTU, never discovered, so no packet is too big for DTLS. Without it
 * usrsctp sends 1,500-byte packets that DTLS refuses, and only small
 * messages ever arrive. On AF_CONN usrsctp adds the 12-byte common header
 * to spp_pathmtu and rounds packets down to a multiple of 4: packets are
 * then at most 1,188 bytes (RG_SCTP_MTU, browsers' 1,191, rounded).
 */
static void set_path_mtu(struct rg_sctp *s, const struct sockaddr_conn *remote)
{
	struct sctp_paddrparams spp;

	memset(&spp, 0, sizeof(spp));
	memcpy(&spp.spp_address, remote, sizeof(*remote));
	spp.spp_flags = SPP_PMTUD_DISABLE;
	spp.spp_pathmtu = RG_SCTP_MTU - SCTP_COMMON_HEADER_LEN;
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &spp,
			       (socklen_t)sizeof(spp)) != 0)
		core_log_warn(COMP, s->name, "cannot fix the path MTU: %s", g_strerror(errno));
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
	note_packet();
	usrsctp_conninput(s, pkt, len, 0);
	drain(s);
	leave(s);
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
	g_free(s->name);
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

guint rg_sctp_timer_interval_ms(void)
{
	return g_timer != 0 ? g_interval : 0;
}
