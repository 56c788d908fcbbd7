/*
 * quic.c - goet over QUIC with ngtcp2 0.12 and GnuTLS (contract in quic.h).
 *
 * Shape (after ngtcp2's examples/simpleclient.c, written anew for GLib):
 *   endpoint: one UDP socket and its fd watch; a server endpoint routes
 *             datagrams to connections by destination connection ID, a client
 *             endpoint feeds its single connection.
 *   connection: an ngtcp2_conn, its GnuTLS session, two streams (control and
 *             data) each with a bounded send queue that keeps bytes until the
 *             peer acknowledges them, and a frame reassembler; and the
 *             forwarding streams: one unidirectional stream per forwarded
 *             connection (chan) and direction, opened by its sender at the
 *             chan's first message and ended (FIN) when the hub forgets the
 *             chan (gt_conn_fwd_end). Terminal streams are always written
 *             first; forwarding streams share the rest in turn, and a loss on
 *             one stalls only that stream (docs/protocol/goet.md sections 1 and 8).
 * The connection's life (authentication, handover, delivery, close, the
 * timer) is conn.c's (conn-priv.h): every event ends in gt_conn_process,
 * which calls back into the ops below. ngtcp2 callbacks only record what
 * happened; nothing is freed inside them (dead connections are freed later,
 * from the loop).
 */
#include "goet/net/quic.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "core/tls.h"
#include "goet/net/conn-priv.h"
#include "goet/net/dial-priv.h"
#include "goet/net/handshake.h"
#include "goet/net/sendq.h"
#include "goet/proto/framer.h"

#define QUIC_SCID_LEN	     18
#define QUIC_RECV_BUF	     65536
#define QUIC_MAX_UDP_PAYLOAD 1452	       /* PMTU discovery ceiling; Initials stay at 1200 */
#define QUIC_READS_PER_WAKE  64		       /* datagrams read before yielding to the loop */
#define QUIC_WRITES_PER_PASS 256	       /* packets written before yielding to the loop */
#define QUIC_SOCKBUF_BYTES   (7 * 1024 * 1024) /* what quic-go asks for */
#define QUIC_CONTROL_QUEUE   (64 * 1024)
#define QUIC_DATA_QUEUE	     (2 * 1024 * 1024) /* bounds unacknowledged data too */
#define QUIC_CERT_VALIDITY_S (24 * 3600)
/*
 * Forwarding: the hub's channels at once (GT_FWD_MAX_CHANNELS), each with at
 * most one stream per direction; the peer may open a few more streams than
 * that (closing ones not yet counted out), beyond which QUIC itself refuses
 * (STREAM_LIMIT_ERROR). A stream's window is the channel's (2 MiB, fwdchan.h)
 * plus its frames' headers and acks; ngtcp2 widens it as it is used.
 */
#define QUIC_FWD_MAX_STREAMS   1024
#define QUIC_FWD_SPARE_STREAMS 64
#define QUIC_FWD_STREAM_WINDOW (2 * 1024 * 1024 + 256 * 1024)
#define QUIC_FWD_QUEUE	       (2 * 1024 * 1024) /* all forwarding streams' unacknowledged bytes */
#define QUIC_MAX_VECS	       16		 /* stream ranges offered to ngtcp2 per packet */
#define QUIC_GSO_MAX_SEGS      32		 /* packets in one GSO send (at most 64 KiB) */
#define QUIC_INITIAL_RTT_MS    100		 /* before any sample (RFC 9002 says 333) */
#define QUIC_PAUSED_READ_US    2000		 /* a paused client reads at least this often */
/*
 * The server (the session), after a small receive (a keystroke): an ack
 * alone waits this long for the reply to carry it. The PTY echoes a few
 * microseconds after the session's write, but ngtcp2 acks after srtt / 8
 * (40 us at 0 ms RTT), so the ack left first and the echo ~50 us later (its
 * send, and the client waking for it). More than QUIC_REPLY_WAIT_BYTES in one
 * read pass is bulk: acked at once. Not the client: nothing answers the
 * session's output, and the session batches output while some is unacked.
 */
#define QUIC_REPLY_WAIT_US    1000
#define QUIC_REPLY_WAIT_BYTES 4096
#define QUIC_PRIORITY	      "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct quic_stream {
	int64_t id;	      /* -1 until opened */
	struct gt_sendq send; /* bytes stay put until acknowledged: ngtcp2 points into them */
	uint64_t acked;	      /* stream offset acknowledged so far */
	struct gt_framer recv;
	GByteArray *held; /* received while paused: not yet fed, credit not yet returned */
	size_t held_off;  /* held bytes before this one were fed already */
};

/* A forwarding stream (unidirectional): ours to send chan's messages, or the peer's. */
struct quic_fwd {
	struct quic_stream s; /* s.id is the hash key */
	uint32_t chan;
	bool has_chan; /* the peer's: chan known from its first message */
	bool local;
	bool fin; /* local: the chan ended here, FIN after what is queued */
	bool fin_sent;
	bool blocked; /* local: flow control, this write pass */
	bool refused; /* the peer's: broke the rules, read no more */
	GList *link;  /* local: in quic_conn.fwd_send */
};

struct quic_endpoint {
	int fd;
	guint watch;
	struct core_addr local;
	struct core_addr peer;	       /* client endpoints: the server */
	struct gt_quic_server *server; /* server endpoints */
	struct quic_conn *client;      /* client endpoints: their one connection */
};

struct quic_conn {
	struct gt_conn base; /* the life: state, auth, owner (conn-priv.h) */
	struct quic_endpoint *ep;
	struct gt_quic_server *server; /* server side */
	ngtcp2_conn *nc;
	gnutls_certificate_credentials_t client_cred;
	ngtcp2_crypto_conn_ref ref;
	ngtcp2_path_storage ps;
	struct quic_stream st[2]; /* indexed by enum gt_channel: control, data */
	GHashTable *fwd;	  /* stream id -> struct quic_fwd (owned) */
	GHashTable *fwd_out;	  /* chan -> our stream for it (not ended) */
	GQueue fwd_send;	  /* our forwarding streams, the next to write first */
	size_t fwd_queued;	  /* their unacknowledged bytes, <= QUIC_FWD_QUEUE */
	unsigned fwd_remote;	  /* the peer's forwarding streams open */
	GArray *cids;		  /* server: registered connection IDs (ngtcp2_cid) */
	struct core_buf scratch;  /* frames are encoded here, then queued */
	struct gt_conn_stats ctr;
	size_t gso_too_big; /* the smallest GSO segment its path refused; 0: none yet */
	/* a predial (dial.h): the first datagram, sent again until the server answers */
	uint8_t *resend;
	size_t resend_len;
	guint resend_timer;
	int64_t resend_until;
	bool predial;
	bool predial_quiet; /* no resend timer before the first poke */
	/*
	 * ngtcp2's clock is ours minus skew: a predial holds it still while it
	 * resends (ngtcp2 is not called), then sets skew at the first answer so
	 * that the Initial seems sent QUIC_INITIAL_RTT_MS before it, not when the
	 * first copy went out (that sample was the whole ssh set-up, ~0.8 s at
	 * 50 ms RTT, and paced the first transfer at cwnd / 0.8 s)
	 */
	ngtcp2_tstamp skew, first_ts;
	bool clock_held;
	size_t pass_rx;		/* stream bytes received in this read pass */
	int64_t ack_wait_until; /* a lone ack waits for a reply until then (us); 0: none */
	/*
	 * A client whose owner paused receiving (its terminal is behind) leaves
	 * its socket unread until then, QUIC_PAUSED_READ_US after its last read
	 * (0: reading; the next pass that finds it paused starts a wait).
	 */
	int64_t rx_wait_until;
};

struct gt_quic_server {
	struct gt_server_config cfg;
	struct quic_endpoint ep;
	struct core_tls_cert *cert;
	GHashTable *by_cid; /* GBytes(cid) -> quic_conn */
	GHashTable *conns;  /* quic_conn set, accepted or not */
	gt_server_accept_fn accept;
	void *accept_data;
	uint8_t reset_secret[32];
};

static const struct gt_conn_ops quic_ops;

/* ---------------------------------------------------------------- helpers */

static ngtcp2_tstamp quic_now(void)
{
	return (ngtcp2_tstamp)core_time_now_ns();
}

/* ngtcp2's time for c (see quic_conn.skew). */
static ngtcp2_tstamp conn_now(const struct quic_conn *c)
{
	return quic_now() - c->skew;
}

/* Hash key for a connection ID. */
static GBytes *cid_key(const uint8_t *data, size_t len)
{
	return g_bytes_new(data, len);
}

static void server_register_cid(struct quic_conn *c, const ngtcp2_cid *cid)
{
	if (c->server == NULL)
		return;
	g_hash_table_insert(c->server->by_cid, cid_key(cid->data, cid->datalen), c);
	g_array_append_val(c->cids, *cid);
}

static void server_unregister_cid(struct quic_conn *c, const ngtcp2_cid *cid)
{
	GBytes *k;

	if (c->server == NULL)
		return;
	k = cid_key(cid->data, cid->datalen);
	if (g_hash_table_lookup(c->server->by_cid, k) == c)
		g_hash_table_remove(c->server->by_cid, k);
	g_bytes_unref(k);
}

/* ---------------------------------------------------------------- sockets */

/* Raise the socket buffers; warn once per process when the kernel refuses. */
static void udp_raise_buffers(int fd)
{
	static bool warned;
	static const int opts[2][2] = { { SO_RCVBUFFORCE, SO_RCVBUF },
					{ SO_SNDBUFFORCE, SO_SNDBUF } };
	int want = QUIC_SOCKBUF_BYTES, got = 0;
	socklen_t len = sizeof(got);
	bool short_buf = false;

	for (int i = 0; i < 2; i++) {
		if (setsockopt(fd, SOL_SOCKET, opts[i][0], &want, sizeof(want)) != 0)
			setsockopt(fd, SOL_SOCKET, opts[i][1], &want, sizeof(want));
		len = sizeof(got);
		/* Linux reports twice the value it accepted */
		if (getsockopt(fd, SOL_SOCKET, opts[i][1], &got, &len) == 0 && got / 2 < want)
			short_buf = true;
	}
	if (short_buf && !warned) {
		warned = true;
		core_log_warn("quic", NULL,
			      "UDP socket buffers are smaller than %d bytes; for full speed run: "
			      "sysctl -w net.core.rmem_max=26214400 net.core.wmem_max=26214400",
			      want);
	}
}

/* Open a non-blocking UDP socket bound to addr; CORE_OK or CORE_ERR_SYSTEM. */
static int udp_open(struct quic_endpoint *ep, const struct core_addr *addr)
{
	int fd, off = 0;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	fd = socket(core_addr_family(addr), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CORE_ERR_SYSTEM;
	if (core_addr_family(addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)); /* dual stack */
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    core_addr_from_sockaddr(&ep->local, (struct sockaddr *)&ss, len) != CORE_OK) {
		int e = errno;

		close(fd);
		errno = e;
		return CORE_ERR_SYSTEM;
	}
	udp_raise_buffers(fd);
	ep->fd = fd;
	return CORE_OK;
}

static void udp_close(struct quic_endpoint *ep)
{
	core_source_clear(&ep->watch);
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
}

/* Send one datagram on c's current path; errors other than EAGAIN are logged. */
static void conn_send_datagram(struct quic_conn *c, const uint8_t *p, size_t n)
{
	const ngtcp2_addr *to = &c->ps.path.remote;
	ssize_t w;

	do
		w = sendto(c->ep->fd, p, n, 0, to->addr, to->addrlen);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		/* a full socket buffer is a lost packet: QUIC retransmits */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			core_log_debug("quic", c->base.id, "sendto: %s", g_strerror(errno));
		return;
	}
	c->ctr.bytes_sent += n;
	c->ctr.pkts_sent++;
}

/*
 * Packets of one size, back to back in one buffer, go out in one sendmsg
 * with UDP_SEGMENT (GSO): the kernel cuts them (a bulk transfer made one
 * sendto per 1,400-byte packet). The last one may be shorter. Without GSO
 * support (EINVAL, EIO) the batch goes packet by packet, and never in GSO
 * again for this process. A path whose device MTU is below the packets (a
 * riftgate tunnel: 1,128, less than a 1,200-byte Initial) refuses GSO with
 * EMSGSIZE, as GSO never fragments: that batch goes packet by packet (the
 * kernel fragments each), and so does every later batch of packets as large
 * on that connection. Dropping the batch instead lost every full-size packet:
 * nothing but small ones crossed such a path (tests/lab/goet-mtu.sh).
 */
struct quic_batch {
	uint8_t buf[QUIC_GSO_MAX_SEGS * QUIC_MAX_UDP_PAYLOAD];
	size_t len;	/* bytes in buf */
	size_t seg;	/* the size of each packet but the last */
	unsigned count; /* packets in buf */
	bool closed;	/* a shorter packet ended it */
};

static bool quic_no_gso;

/* Send the batch's packets one by one. */
static void batch_one_by_one(struct quic_conn *c, struct quic_batch *b)
{
	for (size_t off = 0; off < b->len; off += b->seg)
		conn_send_datagram(c, b->buf + off, MIN(b->seg, b->len - off));
}

static void batch_flush(struct quic_conn *c, struct quic_batch *b)
{
	const ngtcp2_addr *to = &c->ps.path.remote;
	char ctl[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { b->buf, b->len };
	struct msghdr mh = {
		.msg_name = to->addr, .msg_namelen = to->addrlen, .msg_iov = &iov, .msg_iovlen = 1
	};
	struct cmsghdr *cm;
	uint16_t seg = (uint16_t)b->seg;
	ssize_t w;

	if (b->count == 0)
		return;
	if (b->count == 1 || quic_no_gso || (c->gso_too_big != 0 && b->seg >= c->gso_too_big)) {
		batch_one_by_one(c, b);
		goto out;
	}
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	do
		w = sendmsg(c->ep->fd, &mh, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0 && (errno == EINVAL || errno == EIO || errno == EOPNOTSUPP)) {
		quic_no_gso = true; /* the path cannot: one by one from now on */
		batch_one_by_one(c, b);
		goto out;
	}
	if (w < 0 && errno == EMSGSIZE) {
		/* larger than the device's MTU: only one by one can the kernel fragment them */
		if (c->gso_too_big == 0 || b->seg < c->gso_too_big) {
			core_log_info("quic", c->base.id,
				      "%zu-byte packets exceed the path's MTU: sent without GSO",
				      b->seg);
			c->gso_too_big = b->seg;
		}
		batch_one_by_one(c, b);
		goto out;
	}
	if (w >= 0) {
		c->ctr.bytes_sent += b->len;
		c->ctr.pkts_sent += b->count;
	}
out:
	b->len = b->seg = b->count = 0;
	b->closed = false;
}

/* Room for the next packet, flushing first when the batch cannot take one more. */
static uint8_t *batch_room(struct quic_conn *c, struct quic_batch *b)
{
	if (b->closed || b->count == QUIC_GSO_MAX_SEGS)
		batch_flush(c, b);
	return b->buf + b->len;
}

/* A packet of n bytes was written at batch_room's pointer. */
static void batch_add(struct quic_conn *c, struct quic_batch *b, size_t n)
{
	if (b->count > 0 && n > b->seg) {
		/* larger than the batch's size: the batch goes, this one starts the next */
		uint8_t pkt[QUIC_MAX_UDP_PAYLOAD];

		memcpy(pkt, b->buf + b->len, n);
		batch_flush(c, b);
		memcpy(b->buf, pkt, n);
	}
	if (b->count == 0)
		b->seg = n;
	b->len += n;
	b->count++;
	b->closed = n < b->seg;
}

/* ---------------------------------------------------------------- streams */

static void stream_init(struct quic_stream *s, size_t queue_max)
{
	s->id = -1;
	s->acked = 0;
	gt_sendq_init(&s->send, queue_max);
	gt_framer_init(&s->recv, 0);
	s->held = g_byte_array_new();
	s->held_off = 0;
}

static void stream_free(struct quic_stream *s)
{
	gt_sendq_free(&s->send);
	gt_framer_free(&s->recv);
	g_byte_array_unref(s->held);
}

/* Channel of a stream id, or -1 when it is not one of ours. */
static int conn_channel_of(const struct quic_conn *c, int64_t sid)
{
	for (int ch = 0; ch < 2; ch++)
		if (c->st[ch].id == sid)
			return ch;
	return -1;
}

/* Client-opened bidirectional streams 0 and 4 are control and data. */
static int conn_adopt_remote_stream(struct quic_conn *c, int64_t sid)
{
	if (!c->base.is_server)
		return -1;
	if (sid == 0 && c->st[GT_CHANNEL_CONTROL].id < 0)
		c->st[GT_CHANNEL_CONTROL].id = 0;
	else if (sid == 4 && c->st[GT_CHANNEL_DATA].id < 0)
		c->st[GT_CHANNEL_DATA].id = 4;
	return conn_channel_of(c, sid);
}

/* ------------------------------------------------------ forwarding streams */

static void fwd_free(gpointer p)
{
	struct quic_fwd *f = p;

	stream_free(&f->s);
	g_free(f);
}

static struct quic_fwd *fwd_new(struct quic_conn *c, int64_t sid, bool local)
{
	struct quic_fwd *f = g_new0(struct quic_fwd, 1);

	stream_init(&f->s, QUIC_FWD_QUEUE);
	f->s.id = sid;
	f->local = local;
	g_hash_table_insert(c->fwd, &f->s.id, f);
	if (local) {
		g_queue_push_tail(&c->fwd_send, f);
		f->link = c->fwd_send.tail;
	} else {
		c->fwd_remote++;
	}
	return f;
}

static struct quic_fwd *fwd_find(const struct quic_conn *c, int64_t sid)
{
	return c->fwd != NULL ? g_hash_table_lookup(c->fwd, &sid) : NULL;
}

/* The stream is closed (both sides done, or reset): forget it. */
static void fwd_drop(struct quic_conn *c, struct quic_fwd *f)
{
	if (f->has_chan && f->local &&
	    g_hash_table_lookup(c->fwd_out, GUINT_TO_POINTER(f->chan)) == f)
		g_hash_table_remove(c->fwd_out, GUINT_TO_POINTER(f->chan));
	if (f->local) {
		c->fwd_queued -= gt_sendq_len(&f->s.send);
		g_queue_delete_link(&c->fwd_send, f->link);
	} else {
		c->fwd_remote--;
	}
	g_hash_table_remove(c->fwd, &f->s.id);
}

/* A stream the peer must not send on this way: STOP_SENDING, the rest ignored. */
static void fwd_refuse(struct quic_conn *c, struct quic_fwd *f, const char *why)
{
	if (f->refused)
		return;
	f->refused = true;
	core_log_warn("quic", c->base.id, "refused forwarding stream %" G_GINT64_FORMAT ": %s",
		      f->s.id, why);
	g_byte_array_set_size(f->s.held, 0);
	f->s.held_off = 0;
	if (c->nc != NULL)
		ngtcp2_conn_shutdown_stream_read(c->nc, f->s.id, GT_STREAM_REFUSED);
}

/* The peer's unidirectional stream sid: its forwarding stream (new ones counted), or NULL. */
static struct quic_fwd *fwd_remote(struct quic_conn *c, int64_t sid)
{
	struct quic_fwd *f = fwd_find(c, sid);

	if (f != NULL || (sid & 2) == 0 || (sid & 1) == (c->base.is_server ? 1 : 0))
		return f; /* a bidirectional one, or one of ours */
	f = fwd_new(c, sid, false);
	if (c->fwd_remote > QUIC_FWD_MAX_STREAMS)
		fwd_refuse(c, f, "more forwarding streams than forwarded connections allowed");
	return f;
}

/* A message on the peer's forwarding stream: one chan's (FwdOpen..FwdClose), always the same. */
static bool fwd_check(struct quic_conn *c, struct quic_fwd *f, const struct gt_msg *m)
{
	uint32_t chan;

	if (!gt_msg_fwd_chan(m, &chan)) {
		fwd_refuse(c, f, gt_msg_type_name(m->type));
		return false;
	}
	if (f->has_chan && chan != f->chan) {
		fwd_refuse(c, f, "a second forwarded connection");
		return false;
	}
	f->chan = chan;
	f->has_chan = true;
	return true;
}

/* Queue a forwarding message on its chan's stream (opened now if need be). */
static int conn_queue_fwd(struct quic_conn *c, const struct gt_msg *m, size_t need)
{
	struct quic_fwd *f;
	uint32_t chan;
	int64_t sid;
	int r;

	if (need > QUIC_FWD_QUEUE)
		return CORE_ERR_TOO_LARGE;
	if (need > QUIC_FWD_QUEUE - c->fwd_queued)
		return CORE_ERR_AGAIN;
	gt_msg_fwd_chan(m, &chan);
	f = g_hash_table_lookup(c->fwd_out, GUINT_TO_POINTER(chan));
	if (f == NULL) {
		/* at the peer's limit: extend_max_local_streams_uni says when there is room */
		if (c->nc == NULL || ngtcp2_conn_open_uni_stream(c->nc, &sid, NULL) != 0)
			return CORE_ERR_AGAIN;
		f = fwd_new(c, sid, true);
		f->chan = chan;
		f->has_chan = true;
		g_hash_table_insert(c->fwd_out, GUINT_TO_POINTER(chan), f);
	}
	core_buf_reset(&c->scratch);
	r = gt_msg_encode(m, &c->scratch);
	if (r == CORE_OK)
		r = gt_sendq_append(&f->s.send, core_buf_ptr(&c->scratch),
				    core_buf_len(&c->scratch));
	if (r == CORE_OK)
		c->fwd_queued += core_buf_len(&c->scratch);
	return r;
}

/* The hub forgot chan: its stream ends after what is queued (a new one if it speaks again). */
static void conn_fwd_end(struct quic_conn *c, uint32_t chan)
{
	struct quic_fwd *f = g_hash_table_lookup(c->fwd_out, GUINT_TO_POINTER(chan));

	if (f == NULL)
		return;
	g_hash_table_remove(c->fwd_out, GUINT_TO_POINTER(chan));
	f->fin = true;
}

/* ------------------------------------------------------------- messages */

/* Append an encoded frame to a channel's queue: CORE_OK, AGAIN or TOO_LARGE. */
static int conn_queue(struct quic_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	struct quic_stream *s;
	size_t need = GT_FRAME_HEADER_LEN + gt_msg_payload_len(m);
	uint32_t chan;
	int r;

	if (ch == GT_CHANNEL_FWD && gt_msg_fwd_chan(m, &chan))
		return conn_queue_fwd(c, m, need);
	if (ch == GT_CHANNEL_FWD) /* FwdListen, FwdListenResult: with control */
		ch = GT_CHANNEL_CONTROL;
	s = &c->st[ch];

	if (need > s->send.max)
		return CORE_ERR_TOO_LARGE;
	if (need > gt_sendq_avail(&s->send))
		return CORE_ERR_AGAIN;
	/* the client opens each stream when it first sends on it */
	if (!c->base.is_server && s->id < 0) {
		if (ngtcp2_conn_open_bidi_stream(c->nc, &s->id, NULL) != 0) {
			s->id = -1;
			return CORE_ERR_AGAIN;
		}
	}
	core_buf_reset(&c->scratch);
	r = gt_msg_encode(m, &c->scratch);
	if (r == CORE_OK)
		r = gt_sendq_append(&s->send, core_buf_ptr(&c->scratch), core_buf_len(&c->scratch));
	return r;
}

/*
 * Deliver the complete messages stream s's reassembler holds, while allowed;
 * f: s is the peer's forwarding stream (its messages checked, ch is FWD).
 */
static void conn_deliver_framed(struct quic_conn *c, struct quic_stream *s, int ch,
				struct quic_fwd *f)
{
	struct gt_msg m;
	int r;

	while (gt_conn_may_deliver(&c->base) && (f == NULL || !f->refused) &&
	       (r = gt_framer_next(&s->recv, &m)) != CORE_ERR_AGAIN) {
		if (r != CORE_OK && f != NULL) {
			fwd_refuse(c, f, core_strerror(r));
			return;
		}
		if (f != NULL && !fwd_check(c, f, &m))
			return;
		if (r != CORE_OK) {
			gt_conn_fail(
				&c->base, r, GT_CLOSE_PROTOCOL, true, "bad frame on %s stream: %s",
				ch == GT_CHANNEL_CONTROL ? "control" : "data", core_strerror(r));
			return;
		}
		gt_conn_on_message(&c->base, (enum gt_channel)ch, &m);
	}
}

/*
 * Feed stream bytes to the channel's reassembler and deliver what comes out,
 * as far as the owner takes them. Returns how many bytes were taken (all of
 * them when the stream is refused: dropped), for flow-control credit.
 */
static size_t conn_feed_stream(struct quic_conn *c, struct quic_stream *s, int ch,
			       struct quic_fwd *f, const uint8_t *p, size_t n)
{
	size_t taken = 0, acc;

	conn_deliver_framed(c, s, ch, f);
	while (n > 0 && gt_conn_may_deliver(&c->base)) {
		if (f != NULL && f->refused)
			break;
		if (gt_framer_feed(&s->recv, p, n, &acc) != CORE_OK || acc == 0)
			break; /* a sticky error, reported by the delivery below */
		p += acc;
		n -= acc;
		taken += acc;
		conn_deliver_framed(c, s, ch, f);
	}
	return f != NULL && f->refused ? taken + n : taken;
}

/*
 * conn_feed_stream, and the bytes that cannot be taken now (paused owner)
 * are kept in held. Returns how many bytes were taken.
 */
static size_t conn_on_stream_bytes(struct quic_conn *c, struct quic_stream *s, int ch,
				   struct quic_fwd *f, const uint8_t *p, size_t n)
{
	size_t taken = conn_feed_stream(c, s, ch, f, p, n);

	if (taken < n && c->base.fail_err == CORE_OK)
		g_byte_array_append(s->held, p + taken, (guint)(n - taken));
	return taken;
}

/*
 * After a resume: feed stream s's held bytes, then give the peer back their
 * credit. What is fed is skipped, not moved: the rest stays where it is for
 * the next resume (copying it to a new array each time cost a bulk transfer
 * more page faults than anything else), and the array is compacted only once
 * half of it was fed.
 */
static void conn_resume_stream(struct quic_conn *c, struct quic_stream *s, int ch,
			       struct quic_fwd *f)
{
	GByteArray *held = s->held;
	size_t taken;

	conn_deliver_framed(c, s, ch, f);
	if (held->len == 0)
		return;
	taken = conn_feed_stream(c, s, ch, f, held->data + s->held_off, held->len - s->held_off);
	s->held_off += taken;
	/* >=: a refusal during the delivery emptied held (fwd_refuse) */
	if (s->held_off >= held->len || c->base.fail_err != CORE_OK) {
		g_byte_array_set_size(held, 0);
		s->held_off = 0;
	} else if (s->held_off > held->len / 2) {
		g_byte_array_remove_range(held, 0, (guint)s->held_off);
		s->held_off = 0;
	}
	if (taken > 0 && s->id >= 0 && c->nc != NULL) {
		ngtcp2_conn_extend_max_stream_offset(c->nc, s->id, taken);
		ngtcp2_conn_extend_max_offset(c->nc, taken);
	}
}

/* After a resume: every stream's held bytes, terminal streams first. */
static void conn_resume_streams(struct quic_conn *c)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	GHashTableIter it;
	gpointer v;

	for (int ch = 0; ch < 2 && gt_conn_may_deliver(&c->base); ch++)
		conn_resume_stream(c, &c->st[ch], ch, NULL);
	/* by id: delivering may open streams (the owner answers) or close them */
	g_hash_table_iter_init(&it, c->fwd);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (!((struct quic_fwd *)v)->local)
			g_array_append_val(ids, ((struct quic_fwd *)v)->s.id);
	for (guint i = 0; i < ids->len && gt_conn_may_deliver(&c->base); i++) {
		struct quic_fwd *f = fwd_find(c, g_array_index(ids, int64_t, i));

		if (f != NULL && !f->refused)
			conn_resume_stream(c, &f->s, GT_CHANNEL_FWD, f);
	}
	g_array_free(ids, TRUE);
}

/* ------------------------------------------------------- ngtcp2 callbacks */

static ngtcp2_conn *get_conn_cb(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic_conn *)ref->user_data)->nc;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int get_new_cid_cb(ngtcp2_conn *nc, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
			  void *user)
{
	struct quic_conn *c = user;
	uint8_t secret[32];

	if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	cid->datalen = cidlen;
	if (c->server != NULL)
		memcpy(secret, c->server->reset_secret, sizeof(secret));
	else
		gnutls_rnd(GNUTLS_RND_RANDOM, secret, sizeof(secret));
	if (ngtcp2_crypto_generate_stateless_reset_token(token, secret, sizeof(secret), cid) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	server_register_cid(c, cid);
	return 0;
}

static int remove_cid_cb(ngtcp2_conn *nc, const ngtcp2_cid *cid, void *user)
{
	server_unregister_cid(user, cid);
	return 0;
}

/* TLS done: the common part learns the version and starts authenticating. */
static int handshake_completed_cb(ngtcp2_conn *nc, void *user)
{
	struct quic_conn *c = user;

	gt_conn_tls_done(&c->base);
	return 0;
}

static int recv_stream_data_cb(ngtcp2_conn *nc, uint32_t flags, int64_t sid, uint64_t offset,
			       const uint8_t *data, size_t len, void *user, void *stream_user)
{
	struct quic_conn *c = user;
	int ch = conn_channel_of(c, sid);
	struct quic_fwd *f = NULL;

	c->pass_rx += len;
	if (ch < 0)
		ch = conn_adopt_remote_stream(c, sid);
	if (ch < 0 && (f = fwd_remote(c, sid)) != NULL && !f->local) {
		size_t taken = len;

		if (!f->refused && c->base.state != GT_CS_DEAD) {
			if (f->s.held->len > 0)
				g_byte_array_append(f->s.held, data, (guint)len), taken = 0;
			else
				taken = conn_on_stream_bytes(c, &f->s, GT_CHANNEL_FWD, f, data,
							     len);
		}
		ngtcp2_conn_extend_max_stream_offset(nc, sid, taken);
		ngtcp2_conn_extend_max_offset(nc, taken);
		return 0; /* its FIN: the peer's chan is over; stream_close forgets it */
	}
	if (ch < 0) {
		gt_conn_fail(&c->base, CORE_ERR_BAD_VALUE, GT_CLOSE_PROTOCOL, true,
			     "data on unexpected stream %" G_GINT64_FORMAT, sid);
		return 0;
	}
	if (c->base.state != GT_CS_DEAD) {
		size_t taken = 0;

		/* bytes behind held ones wait their turn; conn_on_stream_bytes holds what it leaves */
		if (c->st[ch].held->len > 0)
			g_byte_array_append(c->st[ch].held, data, (guint)len);
		else
			taken = conn_on_stream_bytes(c, &c->st[ch], ch, NULL, data, len);
		/* credit returns only for bytes taken; held ones get it on resume */
		ngtcp2_conn_extend_max_stream_offset(nc, sid, taken);
		ngtcp2_conn_extend_max_offset(nc, taken);
	}
	if (flags & NGTCP2_STREAM_DATA_FLAG_FIN)
		gt_conn_fail(&c->base, CORE_ERR_CLOSED, GT_CLOSE_PROTOCOL, true,
			     "peer finished the %s stream",
			     ch == GT_CHANNEL_CONTROL ? "control" : "data");
	return 0;
}

static int acked_cb(ngtcp2_conn *nc, int64_t sid, uint64_t offset, uint64_t len, void *user,
		    void *stream_user)
{
	struct quic_conn *c = user;
	int ch = conn_channel_of(c, sid);
	struct quic_fwd *f = ch < 0 ? fwd_find(c, sid) : NULL;
	struct quic_stream *s;

	if (ch < 0 && (f == NULL || !f->local))
		return 0;
	s = f != NULL ? &f->s : &c->st[ch];
	/* ngtcp2 reports acknowledged data contiguously from the start */
	if (offset != s->acked || gt_sendq_ack(&s->send, len) != CORE_OK)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	s->acked += len;
	if (f != NULL)
		c->fwd_queued -= len;
	return 0;
}

static int stream_reset_cb(ngtcp2_conn *nc, int64_t sid, uint64_t final_size, uint64_t code,
			   void *user, void *stream_user)
{
	if (fwd_find(user, sid) != NULL)
		return 0; /* a forwarding stream alone: stream_close forgets it */
	gt_conn_fail(&((struct quic_conn *)user)->base, CORE_ERR_CLOSED, GT_CLOSE_PROTOCOL, true,
		     "peer reset stream %" G_GINT64_FORMAT, sid);
	return 0;
}

static int stream_close_cb(ngtcp2_conn *nc, uint32_t flags, int64_t sid, uint64_t code, void *user,
			   void *stream_user)
{
	struct quic_conn *c = user;
	struct quic_fwd *f = fwd_find(c, sid);

	if (f != NULL) {
		fwd_drop(c, f);
		return 0;
	}
	if (conn_channel_of(c, sid) >= 0 && c->base.state != GT_CS_CLOSING)
		gt_conn_fail(&c->base, CORE_ERR_CLOSED, GT_CLOSE_PROTOCOL, true,
			     "stream %" G_GINT64_FORMAT " closed", sid);
	return 0;
}

/* The peer allows more of our streams: a forwarding send that waited may go. */
static int extend_max_uni_cb(ngtcp2_conn *nc, uint64_t max_streams, void *user)
{
	gt_conn_schedule(&((struct quic_conn *)user)->base);
	return 0;
}

static const ngtcp2_callbacks quic_callbacks_client = {
	.client_initial = ngtcp2_crypto_client_initial_cb,
	.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
	.handshake_completed = handshake_completed_cb,
	.encrypt = ngtcp2_crypto_encrypt_cb,
	.decrypt = ngtcp2_crypto_decrypt_cb,
	.hp_mask = ngtcp2_crypto_hp_mask_cb,
	.recv_stream_data = recv_stream_data_cb,
	.acked_stream_data_offset = acked_cb,
	.stream_close = stream_close_cb,
	.recv_retry = ngtcp2_crypto_recv_retry_cb,
	.rand = rand_cb,
	.get_new_connection_id = get_new_cid_cb,
	.remove_connection_id = remove_cid_cb,
	.update_key = ngtcp2_crypto_update_key_cb,
	.stream_reset = stream_reset_cb,
	.extend_max_local_streams_uni = extend_max_uni_cb,
	.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
	.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
	.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
	.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
};

static const ngtcp2_callbacks quic_callbacks_server = {
	.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
	.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
	.handshake_completed = handshake_completed_cb,
	.encrypt = ngtcp2_crypto_encrypt_cb,
	.decrypt = ngtcp2_crypto_decrypt_cb,
	.hp_mask = ngtcp2_crypto_hp_mask_cb,
	.recv_stream_data = recv_stream_data_cb,
	.acked_stream_data_offset = acked_cb,
	.stream_close = stream_close_cb,
	.rand = rand_cb,
	.get_new_connection_id = get_new_cid_cb,
	.remove_connection_id = remove_cid_cb,
	.update_key = ngtcp2_crypto_update_key_cb,
	.stream_reset = stream_reset_cb,
	.extend_max_local_streams_uni = extend_max_uni_cb,
	.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
	.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
	.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
	.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
};

/* ------------------------------------------------------------ TLS set-up */

/* Configure c->base.tls for QUIC with our ALPN list; CORE_OK or CORE_ERR_TLS. */
static int conn_tls_init(struct quic_conn *c, gnutls_certificate_credentials_t cred,
			 unsigned versions)
{
	unsigned flags = GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA;
	int rv;

	rv = gnutls_init(&c->base.tls, (c->base.is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) | flags);
	if (rv != 0)
		return CORE_ERR_TLS;
	rv = c->base.is_server ? ngtcp2_crypto_gnutls_configure_server_session(c->base.tls)
			       : ngtcp2_crypto_gnutls_configure_client_session(c->base.tls);
	if (rv != 0 || gnutls_priority_set_direct(c->base.tls, QUIC_PRIORITY, NULL) != 0 ||
	    gnutls_credentials_set(c->base.tls, GNUTLS_CRD_CERTIFICATE, cred) != 0 ||
	    gt_hs_set_alpn(c->base.tls, versions, c->base.is_server) != CORE_OK)
		return CORE_ERR_TLS;
	/*
	 * The client does not verify the certificate: the token binds the TLS
	 * session instead, and goet-v2 adds the session's proof. GnuTLS verifies
	 * nothing unless asked, which is what we want here.
	 */
	c->ref.get_conn = get_conn_cb;
	c->ref.user_data = c;
	gnutls_session_set_ptr(c->base.tls, &c->ref);
	return CORE_OK;
}

/* Settings and transport parameters shared by both sides. */
static void conn_defaults(ngtcp2_settings *st, ngtcp2_transport_params *tp, int64_t hs_timeout_us)
{
	ngtcp2_settings_default(st);
	ngtcp2_transport_params_default(tp);
	st->initial_ts = quic_now();
	st->max_tx_udp_payload_size = QUIC_MAX_UDP_PAYLOAD;
	st->handshake_timeout = (ngtcp2_duration)hs_timeout_us * NGTCP2_MICROSECONDS;
	st->cc_algo = NGTCP2_CC_ALGO_BBR2;
	st->max_window = 24 * 1024 * 1024;
	/* 100 ms, not RFC 9002's 333: a lost handshake packet is sent again after
	 * 0.3 s instead of 1 s (at 1 % loss the set-up took a second more, now and
	 * then); on a slower path the cost is one spurious Initial */
	st->initial_rtt = QUIC_INITIAL_RTT_MS * NGTCP2_MILLISECONDS;
	st->max_stream_window = 16 * 1024 * 1024;
	tp->initial_max_data = 8 * 1024 * 1024;
	tp->initial_max_stream_data_bidi_local = 4 * 1024 * 1024;
	tp->initial_max_stream_data_bidi_remote = 4 * 1024 * 1024;
	tp->initial_max_streams_uni = QUIC_FWD_MAX_STREAMS + QUIC_FWD_SPARE_STREAMS;
	tp->initial_max_stream_data_uni = QUIC_FWD_STREAM_WINDOW;
	tp->max_idle_timeout = (ngtcp2_duration)GT_QUIC_IDLE_TIMEOUT_US * NGTCP2_MICROSECONDS;
}

/* A connection object with its streams; no ngtcp2 or TLS state yet. */
static struct quic_conn *conn_alloc(struct quic_endpoint *ep, bool is_server,
				    const uint8_t passkey[GT_PASSKEY_LEN])
{
	struct quic_conn *c = g_new0(struct quic_conn, 1);

	gt_conn_base_init(&c->base, &quic_ops, is_server, "q", passkey);
	c->ep = ep;
	stream_init(&c->st[GT_CHANNEL_CONTROL], QUIC_CONTROL_QUEUE);
	stream_init(&c->st[GT_CHANNEL_DATA], QUIC_DATA_QUEUE);
	c->fwd = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, fwd_free);
	c->fwd_out = g_hash_table_new(NULL, NULL);
	g_queue_init(&c->fwd_send);
	c->cids = g_array_new(FALSE, FALSE, sizeof(ngtcp2_cid));
	core_buf_init_growable(&c->scratch, GT_FRAME_HEADER_LEN + GT_FRAME_MAX_PAYLOAD);
	return c;
}

/* Release everything c holds; the memory itself goes on the next loop turn. */
static void conn_destroy(struct quic_conn *c)
{
	for (guint i = 0; i < c->cids->len; i++)
		server_unregister_cid(c, &g_array_index(c->cids, ngtcp2_cid, i));
	if (c->server != NULL)
		g_hash_table_remove(c->server->conns, c);
	if (c->nc != NULL)
		ngtcp2_conn_del(c->nc);
	c->nc = NULL;
	if (c->base.tls != NULL)
		gnutls_deinit(c->base.tls);
	c->base.tls = NULL;
	if (c->client_cred != NULL)
		gnutls_certificate_free_credentials(c->client_cred);
	c->client_cred = NULL;
	stream_free(&c->st[0]);
	stream_free(&c->st[1]);
	g_queue_clear(&c->fwd_send);
	g_clear_pointer(&c->fwd_out, g_hash_table_destroy);
	g_clear_pointer(&c->fwd, g_hash_table_destroy);
	c->fwd_queued = 0;
	core_buf_free(&c->scratch);
	core_source_clear(&c->resend_timer);
	g_clear_pointer(&c->resend, g_free);
	if (!c->base.is_server && c->ep != NULL) {
		udp_close(c->ep);
		g_free(c->ep);
	}
	c->ep = NULL;
	core_defer_free(c->cids, (GDestroyNotify)g_array_unref);
	gt_conn_base_finish(&c->base);
	core_defer_free(c, g_free);
}

/* -------------------------------------------------------------- predial */

/*
 * A predial's session may not listen yet: its first Initial is sent again
 * every GT_DIAL_PREDIAL_RESEND_MS until the server answers, so that one
 * arrives within that much of the session's start, not after QUIC's
 * backed-off probe timer (the session starts while ssh is still connecting).
 * The copies are the same packet: the server takes the first one that finds
 * it listening and drops the rest as duplicates.
 */
static bool predial_waiting(const struct quic_conn *c)
{
	return c->predial && c->resend != NULL && c->ctr.pkts_recv == 0 &&
	       c->base.state == GT_CS_HANDSHAKE;
}

/* The first answer: ngtcp2's clock resumes as if QUIC_INITIAL_RTT_MS had passed. */
static void predial_answered(struct quic_conn *c)
{
	ngtcp2_tstamp at = c->first_ts + QUIC_INITIAL_RTT_MS * NGTCP2_MILLISECONDS;

	if (!c->clock_held)
		return;
	c->clock_held = false;
	if (quic_now() > at)
		c->skew = quic_now() - at;
}

static gboolean predial_resend_cb(gpointer p)
{
	struct quic_conn *c = p;

	if (!predial_waiting(c) || core_time_now_us() > c->resend_until) {
		c->resend_timer = 0;
		c->clock_held = false; /* QUIC's own probes from here on */
		gt_conn_schedule(&c->base);
		return G_SOURCE_REMOVE;
	}
	conn_send_datagram(c, c->resend, c->resend_len);
	return G_SOURCE_CONTINUE;
}

/* Keep the first datagram (the Initial with the ClientHello) and start resending it. */
static void predial_keep(struct quic_conn *c, const uint8_t *pkt, size_t n)
{
	c->resend = g_memdup2(pkt, n);
	c->resend_len = n;
	c->resend_until = core_time_now_us() + GT_DIAL_PREDIAL_RESEND_US;
	c->first_ts = conn_now(c);
	c->clock_held = true;
	if (!c->predial_quiet)
		c->resend_timer = g_timeout_add(GT_DIAL_PREDIAL_RESEND_MS, predial_resend_cb, c);
}

/* The session listens now: one more copy at once, resends from now on (gt_dial_transport.poke). */
static void quic_dial_poke(void *attempt)
{
	struct quic_conn *c = attempt;

	if (!predial_waiting(c))
		return;
	conn_send_datagram(c, c->resend, c->resend_len);
	if (c->resend_timer == 0)
		c->resend_timer = g_timeout_add(GT_DIAL_PREDIAL_RESEND_MS, predial_resend_cb, c);
}

/* -------------------------------------------------------------- writing */

/* Write packets until ngtcp2 has nothing more (or the burst limit). */
/*
 * After a read pass on the server: a small receive lets the ack wait for the
 * reply (once: a trickle of keystrokes does not push it back); a large one
 * is acked now.
 */
static void conn_read_pass_done(struct quic_conn *c)
{
	if (c->pass_rx > QUIC_REPLY_WAIT_BYTES)
		c->ack_wait_until = 0;
	else if (c->pass_rx > 0 && c->ack_wait_until == 0 && c->base.is_server && c->nc != NULL &&
		 ngtcp2_conn_get_handshake_completed(c->nc))
		c->ack_wait_until = core_time_now_us() + QUIC_REPLY_WAIT_US;
	c->pass_rx = 0;
}

/* True when terminal stream s is open and has bytes not yet handed to ngtcp2. */
static bool stream_has_unsent(const struct quic_stream *s)
{
	return s->id >= 0 && gt_sendq_unsent(&s->send) > 0;
}

/* True when our forwarding stream f has bytes, or its FIN, not yet handed to ngtcp2. */
static bool fwd_has_unsent(const struct quic_fwd *f)
{
	return !f->fin_sent && (gt_sendq_unsent(&f->s.send) > 0 || f->fin);
}

/* True when a stream of c has something for conn_write (flow control aside). */
static bool conn_has_unsent(const struct quic_conn *c)
{
	for (int i = 0; i < 2; i++)
		if (stream_has_unsent(&c->st[i]))
			return true;
	for (GList *l = c->fwd_send.head; l != NULL; l = l->next)
		if (fwd_has_unsent(l->data))
			return true;
	return false;
}

/* True while an ack waits for a reply (conn_read_pass_done): nothing of ours to send. */
static bool conn_ack_waits(const struct quic_conn *c)
{
	if (c->ack_wait_until == 0 || core_time_now_us() >= c->ack_wait_until)
		return false;
	return !conn_has_unsent(c);
}

static int conn_write(struct quic_conn *c)
{
	static struct quic_batch batch; /* one loop thread; empty between calls */
	bool blocked[2] = { false, false };
	ngtcp2_tstamp now = conn_now(c);
	ngtcp2_pkt_info pi;

	if (c->clock_held)
		return CORE_OK; /* a predial resends its first datagram itself */
	if (conn_ack_waits(c))
		return CORE_OK; /* the timer (quic_expiry) ends the wait */
	c->ack_wait_until = 0;
	for (GList *l = c->fwd_send.head; l != NULL; l = l->next)
		((struct quic_fwd *)l->data)->blocked = false;
	for (int pkts = 0; pkts < QUIC_WRITES_PER_PASS;) {
		int64_t sid = -1;
		uint32_t flags = 0;
		struct gt_sendq_vec sv[QUIC_MAX_VECS];
		ngtcp2_vec v[QUIC_MAX_VECS];
		size_t nv = 0, vlen = 0;
		ngtcp2_ssize datalen = -1, n;
		int ch = -1;
		struct quic_stream *ws = NULL;
		struct quic_fwd *wf = NULL;

		/* the terminal's streams first, then forwarding ones in turn */
		for (int i = 0; i < 2 && ws == NULL; i++) {
			struct quic_stream *s = &c->st[i];

			if (blocked[i] || !stream_has_unsent(s))
				continue;
			ch = i;
			ws = s;
		}
		for (GList *l = c->fwd_send.head; l != NULL && ws == NULL; l = l->next) {
			struct quic_fwd *f = l->data;

			if (f->blocked || !fwd_has_unsent(f))
				continue;
			wf = f;
			ws = &f->s;
		}
		if (ws != NULL) {
			sid = ws->id;
			nv = gt_sendq_peek_unsent(&ws->send, sv, QUIC_MAX_VECS);
			for (size_t k = 0; k < nv; k++) {
				v[k] = (ngtcp2_vec){ (uint8_t *)sv[k].base, sv[k].len };
				vlen += sv[k].len;
			}
			flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
			/* the end only with the last of its bytes */
			if (wf != NULL && wf->fin && vlen == gt_sendq_unsent(&ws->send))
				flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		}
		uint8_t *pkt = batch_room(c, &batch);

		n = ngtcp2_conn_writev_stream(c->nc, &c->ps.path, &pi, pkt, QUIC_MAX_UDP_PAYLOAD,
					      &datalen, flags, sid, nv > 0 ? v : NULL, nv, now);
		if (wf != NULL && (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && datalen >= 0 &&
		    (size_t)datalen == vlen && (n > 0 || n == NGTCP2_ERR_WRITE_MORE))
			wf->fin_sent = true;
		if (wf != NULL && datalen > 0) { /* its turn is over: to the back */
			g_queue_unlink(&c->fwd_send, wf->link);
			g_queue_push_tail_link(&c->fwd_send, wf->link);
		}
		if (n < 0) {
			if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
			    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
				if (wf != NULL)
					wf->blocked = true;
				else
					blocked[ch] = true;
				continue;
			}
			if (n == NGTCP2_ERR_WRITE_MORE) {
				gt_sendq_mark_sent(&ws->send, (size_t)datalen);
				continue;
			}
			batch_flush(c, &batch);
			gt_conn_fail(&c->base, CORE_ERR_INTERNAL, GT_CLOSE_PROTOCOL, false,
				     "write: %s", ngtcp2_strerror((int)n));
			return CORE_ERR_INTERNAL;
		}
		if (ws != NULL && datalen > 0)
			gt_sendq_mark_sent(&ws->send, (size_t)datalen);
		if (n == 0)
			break;
		if (c->predial && c->resend == NULL && c->ctr.pkts_recv == 0)
			predial_keep(c, pkt, (size_t)n);
		batch_add(c, &batch, (size_t)n);
		pkts++;
		if (pkts == QUIC_WRITES_PER_PASS)
			gt_conn_schedule(&c->base); /* more to do: yield to the loop first */
	}
	batch_flush(c, &batch);
	/*
	 * Pacing only once the handshake is done: before any RTT sample ngtcp2
	 * paces at its initial 333 ms RTT, one packet every ~30 ms, and the
	 * server's second handshake datagram waited for the client's probe (a
	 * connection took 50-70 ms on loopback instead of 2).
	 */
	if (ngtcp2_conn_get_handshake_completed(c->nc))
		ngtcp2_conn_update_pkt_tx_time(c->nc, now);
	return CORE_OK;
}

/* Send CONNECTION_CLOSE with an application code and reason. */
static void conn_write_close(struct quic_conn *c, uint64_t code, const char *reason)
{
	uint8_t buf[QUIC_MAX_UDP_PAYLOAD];
	ngtcp2_connection_close_error ccerr;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (c->nc == NULL || ngtcp2_conn_is_in_closing_period(c->nc) ||
	    ngtcp2_conn_is_in_draining_period(c->nc))
		return;
	ngtcp2_connection_close_error_default(&ccerr);
	ngtcp2_connection_close_error_set_application_error(&ccerr, code, (const uint8_t *)reason,
							    strlen(reason));
	n = ngtcp2_conn_write_connection_close(c->nc, &c->ps.path, &pi, buf, sizeof(buf), &ccerr,
					       conn_now(c));
	if (n > 0)
		conn_send_datagram(c, buf, (size_t)n);
}

/* -------------------------------------------------------- processing */

/* True when everything queued has been acknowledged. */
static bool conn_all_acked(const struct quic_conn *c)
{
	return gt_sendq_len(&c->st[0].send) == 0 && gt_sendq_len(&c->st[1].send) == 0 &&
	       c->fwd_queued == 0;
}

/* ngtcp2's next deadline (loss detection, acks, pacing, idle, keep-alive). */
static int64_t conn_expiry_us(const struct quic_conn *c)
{
	ngtcp2_tstamp exp = c->nc != NULL ? ngtcp2_conn_get_expiry(c->nc) : UINT64_MAX;

	if (c->clock_held || exp == UINT64_MAX)
		return INT64_MAX;
	return (int64_t)((exp + c->skew) / NGTCP2_MICROSECONDS);
}

static void conn_on_expiry(struct quic_conn *c)
{
	int rv;

	if (c->clock_held)
		return;
	rv = ngtcp2_conn_handle_expiry(c->nc, conn_now(c));

	if (rv == NGTCP2_ERR_IDLE_CLOSE)
		gt_conn_fail(&c->base, CORE_ERR_TIMEOUT, 0, false,
			     "idle timeout (peer silent for %d s)",
			     (int)(GT_QUIC_IDLE_TIMEOUT_US / CORE_USEC_PER_SEC));
	else if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT)
		gt_conn_fail(&c->base, CORE_ERR_TIMEOUT, 0, false, "handshake timed out");
	else if (rv != 0)
		gt_conn_fail(&c->base, CORE_ERR_INTERNAL, 0, false, "timer: %s",
			     ngtcp2_strerror(rv));
}

/* Feed one datagram to c. */
static void conn_read(struct quic_conn *c, const struct core_addr *from, const uint8_t *p, size_t n)
{
	ngtcp2_path path = {
		.local = { (ngtcp2_sockaddr *)&c->ep->local.ss, c->ep->local.len },
		.remote = { (ngtcp2_sockaddr *)&from->ss, from->len },
	};
	ngtcp2_pkt_info pi = { 0 };
	ngtcp2_connection_close_error ccerr;
	char reason[64];
	int rv;

	if (c->base.state == GT_CS_DEAD)
		return;
	c->ctr.bytes_recv += n;
	c->ctr.pkts_recv++;
	predial_answered(c);
	rv = ngtcp2_conn_read_pkt(c->nc, &path, &pi, p, n, conn_now(c));
	if (rv == 0)
		return;
	if (rv == NGTCP2_ERR_DRAINING) {
		ngtcp2_conn_get_connection_close_error(c->nc, &ccerr);
		g_snprintf(reason, sizeof(reason), "%.*s", (int)MIN(ccerr.reasonlen, 60),
			   ccerr.reason != NULL ? (const char *)ccerr.reason : "");
		if (ccerr.error_code == GT_CLOSE_AUTH_FAILED && !c->base.is_server)
			/* the AuthResponse may have been paced behind the close: same verdict */
			gt_conn_fail(&c->base, CORE_ERR_AUTH, 0, false,
				     "session rejected the passkey (status 1)");
		else
			gt_conn_fail(&c->base,
				     ccerr.error_code == GT_CLOSE_AUTH_FAILED ? CORE_ERR_AUTH
									      : CORE_ERR_CLOSED,
				     0, false, "peer closed (code %" G_GUINT64_FORMAT "%s%s)",
				     ccerr.error_code, reason[0] ? ": " : "", reason);
	} else if (rv == NGTCP2_ERR_DROP_CONN) {
		gt_conn_fail(&c->base, CORE_ERR_CLOSED, 0, false, "dropped");
	} else if (rv == NGTCP2_ERR_CRYPTO) {
		gt_conn_fail(&c->base, CORE_ERR_TLS, 0, true, "TLS alert %u",
			     ngtcp2_conn_get_tls_alert(c->nc));
	} else if (rv != NGTCP2_ERR_DISCARD_PKT) {
		gt_conn_fail(&c->base, CORE_ERR_BAD_FORMAT, 0, true, "read: %s",
			     ngtcp2_strerror(rv));
	}
}

/* Read every pending datagram on an endpoint; route each to its connection. */
static void endpoint_read(struct quic_endpoint *ep, GPtrArray *touched);

/* Empty the socket's error queue (IP_RECVERR), or its POLLERR would never end. */
static void endpoint_drain_errors(struct quic_endpoint *ep)
{
	uint8_t buf[512], ctl[512];

	for (int i = 0; i < QUIC_READS_PER_WAKE && ep->fd >= 0; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };

		if (recvmsg(ep->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
}

static gboolean endpoint_readable(int fd, GIOCondition cond, void *data)
{
	struct quic_endpoint *ep = data;
	GPtrArray *touched = g_ptr_array_new();

	endpoint_read(ep, touched);
	if (cond & G_IO_ERR)
		endpoint_drain_errors(ep);
	/* process each connection once, after all its datagrams */
	for (guint i = 0; i < touched->len; i++) {
		struct quic_conn *c = g_ptr_array_index(touched, i);

		conn_read_pass_done(c);
		gt_conn_process(&c->base);
	}
	g_ptr_array_free(touched, TRUE);
	return G_SOURCE_CONTINUE;
}

/* ----------------------------------------------------------------- server */

/* A new Initial packet from an unknown client: make a connection for it. */
static struct quic_conn *server_accept(struct gt_quic_server *s, const struct core_addr *from,
				       const uint8_t *p, size_t n)
{
	ngtcp2_pkt_hd hd;
	ngtcp2_cid scid;
	ngtcp2_settings st;
	ngtcp2_transport_params tp;
	struct quic_conn *c;
	int64_t auth_timeout =
		s->cfg.auth_timeout_us > 0 ? s->cfg.auth_timeout_us : GT_AUTH_TIMEOUT_US;

	if (ngtcp2_accept(&hd, p, n) != 0)
		return NULL; /* not a valid Initial: ignore it */
	c = conn_alloc(&s->ep, true, s->cfg.passkey);
	c->base.passkey_missing = s->cfg.passkey_later;
	c->server = s;
	c->base.impostor = s->cfg.test_impostor;
	scid.datalen = QUIC_SCID_LEN;
	gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
	conn_defaults(&st, &tp, auth_timeout);
	tp.initial_max_streams_bidi = 2; /* control and data, nothing more */
	tp.original_dcid = hd.dcid;
	ngtcp2_path_storage_init(&c->ps, (ngtcp2_sockaddr *)&s->ep.local.ss, s->ep.local.len,
				 (ngtcp2_sockaddr *)&from->ss, from->len, NULL);
	if (ngtcp2_conn_server_new(&c->nc, &hd.scid, &scid, &c->ps.path, hd.version,
				   &quic_callbacks_server, &st, &tp, NULL, c) != 0 ||
	    conn_tls_init(c, core_tls_cert_credentials(s->cert), s->cfg.versions) != CORE_OK) {
		conn_destroy(c);
		return NULL;
	}
	ngtcp2_conn_set_tls_native_handle(c->nc, c->base.tls);
	ngtcp2_conn_set_keep_alive_timeout(c->nc, (ngtcp2_duration)GT_QUIC_KEEPALIVE_US *
							  NGTCP2_MICROSECONDS);
	c->base.accept = s->accept;
	c->base.accept_data = s->accept_data;
	gt_conn_expect_auth(&c->base, auth_timeout);
	g_hash_table_add(s->conns, c);
	server_register_cid(c, &scid);
	server_register_cid(c, &hd.dcid); /* the client's first choice, until it learns ours */
	return c;
}

static void endpoint_read(struct quic_endpoint *ep, GPtrArray *touched)
{
	uint8_t buf[QUIC_RECV_BUF];

	for (int i = 0; i < QUIC_READS_PER_WAKE && ep->fd >= 0; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		struct core_addr from;
		ngtcp2_version_cid vc;
		struct quic_conn *c = NULL;
		ssize_t n = recvfrom(ep->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &slen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* the server's ICMP port unreachable (IP_RECVERR) */
			if (errno == ECONNREFUSED && ep->client != NULL &&
			    ep->client->base.state == GT_CS_HANDSHAKE) {
				gt_conn_fail(&ep->client->base, CORE_ERR_SYSTEM, 0, false,
					     "nothing answers on UDP port %u (port unreachable)",
					     core_addr_port(&ep->peer));
				g_ptr_array_add(touched, ep->client);
			}
			break; /* EAGAIN, or an ICMP error: nothing to read */
		}
		if (core_addr_from_sockaddr(&from, (struct sockaddr *)&ss, slen) != CORE_OK)
			continue;
		if (ep->server == NULL) {
			c = ep->client;
		} else if (ngtcp2_pkt_decode_version_cid(&vc, buf, (size_t)n, QUIC_SCID_LEN) == 0) {
			GBytes *k = cid_key(vc.dcid, vc.dcidlen);

			c = g_hash_table_lookup(ep->server->by_cid, k);
			g_bytes_unref(k);
			if (c == NULL)
				c = server_accept(ep->server, &from, buf, (size_t)n);
		}
		if (c == NULL || c->base.state == GT_CS_DEAD)
			continue; /* garbage, or for a connection that is gone */
		conn_read(c, &from, buf, (size_t)n);
		c->rx_wait_until = 0; /* read: a paused client's next wait starts */
		if (!g_ptr_array_find(touched, c, NULL))
			g_ptr_array_add(touched, c);
		if (ep->server == NULL && ep->fd < 0)
			break;
	}
}

struct gt_quic_server *gt_quic_server_new(const struct gt_server_config *cfg,
					  gt_server_accept_fn accept, void *data, GError **error)
{
	struct gt_quic_server *s = g_new0(struct gt_quic_server, 1);
	struct core_addr bind_addr;
	int r;

	s->cfg = *cfg;
	if (s->cfg.versions == 0)
		s->cfg.versions = (1u << GT_PROTO_V1) | (1u << GT_PROTO_V2);
	s->accept = accept;
	s->accept_data = data;
	s->ep.fd = -1;
	s->ep.server = s;
	s->by_cid = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					  (GDestroyNotify)g_bytes_unref, NULL);
	s->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	gnutls_rnd(GNUTLS_RND_KEY, s->reset_secret, sizeof(s->reset_secret));
	r = core_addr_parse(&bind_addr, cfg->bind_addr != NULL ? cfg->bind_addr : "[::]:0");
	if (r != CORE_OK) {
		core_err_to_gerror(error, r, "bad bind address");
		goto fail;
	}
	core_addr_set_port(&bind_addr, cfg->port);
	if (udp_open(&s->ep, &bind_addr) != CORE_OK) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "UDP bind to port %u: %s",
			    cfg->port, g_strerror(errno));
		goto fail;
	}
	r = core_tls_cert_generate(&s->cert, QUIC_CERT_VALIDITY_S);
	if (r != CORE_OK) {
		core_err_to_gerror(error, r, "certificate");
		goto fail;
	}
	s->ep.watch = core_fd_watch_add(s->ep.fd, G_IO_IN, endpoint_readable, &s->ep);
	return s;
fail:
	gt_quic_server_free(s);
	return NULL;
}

void gt_quic_server_set_passkey(struct gt_quic_server *s, const uint8_t passkey[GT_PASSKEY_LEN])
{
	GHashTableIter it;
	gpointer k;

	memcpy(s->cfg.passkey, passkey, GT_PASSKEY_LEN);
	s->cfg.passkey_later = false;
	g_hash_table_iter_init(&it, s->conns);
	while (g_hash_table_iter_next(&it, &k, NULL))
		gt_conn_set_passkey(&((struct quic_conn *)k)->base, passkey);
}

uint16_t gt_quic_server_port(const struct gt_quic_server *s)
{
	return core_addr_port(&s->ep.local);
}

unsigned gt_quic_server_conn_count(const struct gt_quic_server *s)
{
	return g_hash_table_size(s->conns);
}

void gt_quic_server_free(struct gt_quic_server *s)
{
	GList *conns;

	if (s == NULL)
		return;
	conns = g_hash_table_get_keys(s->conns);
	for (GList *l = conns; l != NULL; l = l->next) {
		struct quic_conn *c = l->data;

		gt_conn_fail(&c->base, CORE_ERR_CLOSED, GT_CLOSE_OK, true, "server shutting down");
		gt_conn_die(&c->base);
	}
	g_list_free(conns);
	udp_close(&s->ep);
	g_hash_table_destroy(s->by_cid);
	g_hash_table_destroy(s->conns);
	core_tls_cert_free(s->cert);
	core_wipe(s->cfg.passkey, sizeof(s->cfg.passkey));
	core_wipe(s->reset_secret, sizeof(s->reset_secret));
	g_free(s);
}

/* ----------------------------------------------------------------- client */

/* Start one connection attempt to `to` for dial d (gt_dial_transport.start). */
static int quic_dial_start(struct gt_dial *d, const struct core_addr *to, void **attempt,
			   char *reason, size_t rlen)
{
	const struct gt_dial_config *cfg = gt_dial_get_config(d);
	struct quic_endpoint *ep = g_new0(struct quic_endpoint, 1);
	struct core_addr local;
	ngtcp2_cid dcid, scid;
	ngtcp2_settings st;
	ngtcp2_transport_params tp;
	struct quic_conn *c;
	unsigned versions = cfg->max_version == GT_PROTO_V1
				    ? 1u << GT_PROTO_V1
				    : (1u << GT_PROTO_V1) | (1u << GT_PROTO_V2);

	ep->fd = -1;
	core_addr_parse(&local, core_addr_family(to) == AF_INET6 ? "[::]:0" : "0.0.0.0:0");
	if (udp_open(ep, &local) != CORE_OK) {
		g_snprintf(reason, rlen, "socket: %s", g_strerror(errno));
		g_free(ep);
		return CORE_ERR_SYSTEM;
	}
	/*
	 * ICMP errors reported on the (unconnected) socket, so that a closed
	 * port fails the dial at once. Not connect(): a connected socket keeps
	 * its source address, and the connection could not follow an address
	 * change (tests/lab/goet-roaming.sh). Not for a predial: its port is
	 * closed until the session starts.
	 */
	if (!cfg->predial)
		setsockopt(ep->fd, core_addr_family(to) == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
			   core_addr_family(to) == AF_INET6 ? IPV6_RECVERR : IP_RECVERR,
			   &(int){ 1 }, sizeof(int));
	ep->peer = *to;
	c = conn_alloc(ep, false, cfg->passkey);
	ep->client = c;
	c->base.stall = cfg->test_stall;
	c->base.early_ok = true;
	c->predial = cfg->predial;
	c->predial_quiet = cfg->predial && cfg->predial_quiet;
	dcid.datalen = QUIC_SCID_LEN;
	scid.datalen = QUIC_SCID_LEN;
	gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen);
	gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
	conn_defaults(&st, &tp, gt_dial_remaining_us(d));
	ngtcp2_path_storage_init(&c->ps, (ngtcp2_sockaddr *)&ep->local.ss, ep->local.len,
				 (ngtcp2_sockaddr *)&to->ss, to->len, NULL);
	if (gnutls_certificate_allocate_credentials(&c->client_cred) != 0 ||
	    ngtcp2_conn_client_new(&c->nc, &dcid, &scid, &c->ps.path, NGTCP2_PROTO_VER_V1,
				   &quic_callbacks_client, &st, &tp, NULL, c) != 0 ||
	    conn_tls_init(c, c->client_cred, versions) != CORE_OK) {
		g_snprintf(reason, rlen, "cannot set up QUIC/TLS");
		conn_destroy(c);
		return CORE_ERR_TLS;
	}
	ngtcp2_conn_set_tls_native_handle(c->nc, c->base.tls);
	ngtcp2_conn_set_keep_alive_timeout(c->nc, (ngtcp2_duration)GT_QUIC_KEEPALIVE_US *
							  NGTCP2_MICROSECONDS);
	ep->watch = core_fd_watch_add(ep->fd, G_IO_IN, endpoint_readable, ep);
	c->base.dial = d;
	*attempt = c;
	gt_conn_schedule(&c->base); /* sends the first Initial from the loop */
	return CORE_OK;
}

/* End an attempt that has not reported yet (gt_dial_transport.abort). */
static void quic_dial_abort(void *attempt)
{
	struct quic_conn *c = attempt;

	c->base.dial = NULL;
	conn_destroy(c);
}

const struct gt_dial_transport gt_quic_dial_transport = {
	.start = quic_dial_start,
	.abort = quic_dial_abort,
	.poke = quic_dial_poke,
};

int gt_quic_conn_migrate(struct gt_conn *base)
{
	struct quic_conn *c = (struct quic_conn *)base;
	struct quic_endpoint fresh = { .fd = -1 };
	struct core_addr any;
	ngtcp2_path path;

	if (base->ops != &quic_ops || c->base.is_server || c->base.state != GT_CS_READY)
		return CORE_ERR_INVALID_ARG;
	core_addr_parse(&any, core_addr_family(&c->ep->local) == AF_INET6 ? "[::]:0" : "0.0.0.0:0");
	if (udp_open(&fresh, &any) != CORE_OK)
		return CORE_ERR_SYSTEM;
	path = (ngtcp2_path){
		.local = { (ngtcp2_sockaddr *)&fresh.local.ss, fresh.local.len },
		.remote = c->ps.path.remote,
	};
	if (ngtcp2_conn_initiate_immediate_migration(c->nc, &path, conn_now(c)) != 0) {
		udp_close(&fresh);
		return CORE_ERR_INVALID_ARG;
	}
	udp_close(c->ep);
	c->ep->fd = fresh.fd;
	c->ep->local = fresh.local;
	ngtcp2_path_storage_init(&c->ps, (ngtcp2_sockaddr *)&c->ep->local.ss, c->ep->local.len,
				 path.remote.addr, path.remote.addrlen, NULL);
	c->ep->watch = core_fd_watch_add(c->ep->fd, G_IO_IN, endpoint_readable, c->ep);
	gt_conn_schedule(&c->base);
	return CORE_OK;
}

int gt_quic_conn_test_send_raw(struct gt_conn *base, enum gt_channel ch, const void *p, size_t n)
{
	struct quic_conn *c = (struct quic_conn *)base;
	int r;

	if (base->ops != &quic_ops || c->base.state != GT_CS_READY)
		return CORE_ERR_INVALID_ARG;
	if (ch == GT_CHANNEL_FWD) {
		struct quic_fwd *f;
		int64_t sid;

		if (ngtcp2_conn_open_uni_stream(c->nc, &sid, NULL) != 0)
			return CORE_ERR_AGAIN;
		f = fwd_new(c, sid, true);
		r = gt_sendq_append(&f->s.send, p, n);
		if (r == CORE_OK)
			c->fwd_queued += n;
		gt_conn_schedule(&c->base);
		return r;
	}
	if (!c->base.is_server && c->st[ch].id < 0) {
		int64_t sid;

		if (ngtcp2_conn_open_bidi_stream(c->nc, &sid, NULL) != 0)
			return CORE_ERR_AGAIN;
		c->st[ch].id = sid;
	}
	r = gt_sendq_append(&c->st[ch].send, p, n);
	gt_conn_schedule(&c->base);
	return r;
}

/* ----------------------------------------------------------------- ops */

#define QC(b) ((struct quic_conn *)(b))

static int quic_queue(struct gt_conn *b, enum gt_channel ch, const struct gt_msg *m)
{
	return conn_queue(QC(b), ch, m);
}

static size_t quic_room(const struct gt_conn *b, enum gt_channel ch)
{
	if (ch == GT_CHANNEL_FWD)
		return QUIC_FWD_QUEUE - QC(b)->fwd_queued;
	return gt_sendq_avail(&QC(b)->st[ch].send);
}

static size_t quic_queue_max(const struct gt_conn *b, enum gt_channel ch)
{
	return ch == GT_CHANNEL_FWD ? QUIC_FWD_QUEUE : QC(b)->st[ch].send.max;
}

static void quic_fwd_end(struct gt_conn *b, uint32_t chan)
{
	conn_fwd_end(QC(b), chan);
}

static int quic_fwd_refuse(struct gt_conn *b, uint32_t chan)
{
	struct quic_conn *c = QC(b);
	GHashTableIter it;
	gpointer v;
	int r = CORE_ERR_INVALID_ARG;

	g_hash_table_iter_init(&it, c->fwd);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct quic_fwd *f = v;

		if (!f->local && f->has_chan && f->chan == chan && !f->refused) {
			fwd_refuse(c, f, "its forwarded connection is not the peer's to open");
			r = CORE_OK;
		}
	}
	return r;
}

static int quic_write(struct gt_conn *b)
{
	return conn_write(QC(b));
}

static bool quic_drained(const struct gt_conn *b)
{
	return conn_all_acked(QC(b));
}

static size_t quic_in_flight(const struct gt_conn *b)
{
	return gt_sendq_len(&QC(b)->st[GT_CHANNEL_DATA].send);
}

static void quic_send_close(struct gt_conn *b, uint64_t code, const char *reason)
{
	conn_write_close(QC(b), code, reason);
}

static int64_t quic_expiry(const struct gt_conn *b)
{
	const struct quic_conn *c = QC(b);
	int64_t at = conn_expiry_us(c);

	/*
	 * The transport's own waits: a server's lone ack waits for the reply
	 * (conn_read_pass_done), so none of ngtcp2's deadlines comes before
	 * ack_wait_until; a paused client's socket stays unread until
	 * rx_wait_until (quic_arm), whose end is a deadline unless it is over
	 * already (then the socket is read).
	 */
	at = MAX(at, c->ack_wait_until);
	if (c->rx_wait_until > core_time_now_us())
		at = MIN(at, c->rx_wait_until);
	return at;
}

static void quic_on_expiry(struct gt_conn *b)
{
	conn_on_expiry(QC(b));
}

static void quic_resume(struct gt_conn *b)
{
	conn_resume_streams(QC(b));
}

/*
 * A client paused by its owner (the terminal is more than its queue's half
 * behind) reads its socket once per QUIC_PAUSED_READ_US, not at each
 * datagram: what it reads is only held meanwhile, and a batch costs one
 * wake-up instead of dozens. The peer's acknowledgements wait as long at
 * most, well within its loss timers.
 */
static void quic_arm(struct gt_conn *b)
{
	struct quic_conn *c = QC(b);
	bool hold = b->recv_paused && b->owned && b->state == GT_CS_READY && c->ep->client == c;

	if (!hold)
		c->rx_wait_until = 0;
	else if (c->rx_wait_until == 0)
		c->rx_wait_until = core_time_now_us() + QUIC_PAUSED_READ_US;
	if (c->ep->watch != 0)
		core_fd_watch_set(c->ep->watch,
				  c->rx_wait_until > core_time_now_us() ? 0 : G_IO_IN);
}

static void quic_destroy(struct gt_conn *b)
{
	conn_destroy(QC(b));
}

static void quic_peer(const struct gt_conn *base, struct core_addr *out)
{
	const struct quic_conn *c = (const struct quic_conn *)base;
	const ngtcp2_path *p = c->nc != NULL ? ngtcp2_conn_get_path(c->nc) : NULL;

	memset(out, 0, sizeof(*out));
	if (p != NULL)
		core_addr_from_sockaddr(out, (const struct sockaddr *)p->remote.addr,
					p->remote.addrlen);
}

static void quic_stats(const struct gt_conn *base, struct gt_conn_stats *out)
{
	const struct quic_conn *c = (const struct quic_conn *)base;
	ngtcp2_conn_stat cs;

	*out = c->ctr;
	if (c->nc == NULL)
		return;
	ngtcp2_conn_get_conn_stat(c->nc, &cs);
	out->has_rtt = true;
	out->rtt_latest_us = (int64_t)(cs.latest_rtt / NGTCP2_MICROSECONDS);
	out->rtt_min_us = (int64_t)(cs.min_rtt / NGTCP2_MICROSECONDS);
	out->rtt_smoothed_us = (int64_t)(cs.smoothed_rtt / NGTCP2_MICROSECONDS);
	out->rtt_var_us = (int64_t)(cs.rttvar / NGTCP2_MICROSECONDS);
	for (int ch = 0; ch < 2; ch++)
		if (c->st[ch].id >= 0)
			out->pkts_lost += ngtcp2_conn_get_stream_loss_count(c->nc, c->st[ch].id);
}

static const struct gt_conn_ops quic_ops = {
	.name = "quic",
	.queue = quic_queue,
	.room = quic_room,
	.queue_max = quic_queue_max,
	.write = quic_write,
	.drained = quic_drained,
	.in_flight = quic_in_flight,
	.fwd_end = quic_fwd_end,
	.fwd_refuse = quic_fwd_refuse,
	.send_close = quic_send_close,
	.expiry = quic_expiry,
	.on_expiry = quic_on_expiry,
	.resume = quic_resume,
	.arm = quic_arm,
	.peer = quic_peer,
	.stats = quic_stats,
	.destroy = quic_destroy,
};
