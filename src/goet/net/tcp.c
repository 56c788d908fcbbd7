/*
 * tcp.c - goet over TCP + TLS 1.3 with GnuTLS on a non-blocking socket
 * (contract in tcp.h).
 *
 * The connection's life (authentication, handover, delivery, close, the
 * timer) is conn.c's (conn-priv.h): every event ends in gt_conn_process,
 * which calls back into the ops below. What is TCP's own: the socket and its
 * watch, TLS records, the frame writer that never interleaves frames, and
 * routing received frames to channels by type.
 */
#include "goet/net/tcp.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* (not netinet/tcp.h: its tcp_info lacks tcpi_min_rtt) */
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
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
#include "goet/proto/framer.h"

#define TCP_CONTROL_QUEUE (64 * 1024)
#define TCP_DATA_QUEUE	  (2 * 1024 * 1024)
#define TCP_FWD_QUEUE	  (2 * 1024 * 1024)
/*
 * Unsent bytes the kernel may hold (TCP_NOTSENT_LOWAT): beyond them the
 * socket is not writable and frames wait in our queues, where a terminal
 * frame goes before forwarded ones. Without it the kernel took megabytes of
 * forwarded data ahead of a keystroke (tests/integration/goet/test_net.c,
 * fwd-load: 6 MiB); bytes in flight are still cwnd's, not bounded by this.
 */
#define TCP_UNSENT_MAX	    (128 * 1024)
#define TCP_RECORD_BYTES    16384 /* one TLS record per send call */
#define TCP_READS_PER_WAKE  64
#define TCP_BACKLOG	    64
#define TCP_CERT_VALIDITY_S (24 * 3600)
#define TCP_PRIORITY	    "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct tcp_conn {
	struct gt_conn base; /* the life: state, auth, owner (conn-priv.h) */
	struct gt_tcp_server *server;
	int fd;
	guint watch;
	gnutls_certificate_credentials_t client_cred;
	bool eof;
	struct core_buf q[GT_CHANNEL_COUNT]; /* whole encoded frames, per channel */
	int cur;			     /* channel of the frame being written, or -1 */
	size_t cur_left;		     /* bytes of that frame still to write */
	size_t tls_pending;		     /* bytes GnuTLS took but could not send yet */
	struct gt_framer rx;
	struct core_addr peer;
	struct gt_conn_stats ctr;
};

struct gt_tcp_server {
	struct gt_server_config cfg;
	int fd;
	guint watch;
	struct core_addr local;
	struct core_tls_cert *cert;
	GHashTable *conns;
	gt_server_accept_fn accept;
	void *accept_data;
};

static const struct gt_conn_ops tcp_ops;

/* Record that c must die (TCP has no close codes: the peer sees the socket close). */
#define tcp_fail(c, err, ...) gt_conn_fail(&(c)->base, err, GT_CLOSE_PROTOCOL, false, __VA_ARGS__)

static gboolean tcp_io_cb(int fd, GIOCondition cond, void *data);

static struct tcp_conn *tcp_alloc(int fd, bool is_server, const uint8_t *passkey)
{
	struct tcp_conn *c = g_new0(struct tcp_conn, 1);
	int one = 1;

	gt_conn_base_init(&c->base, &tcp_ops, is_server, "t", passkey);
	c->fd = fd;
	c->cur = -1;
	core_buf_init_growable(&c->q[GT_CHANNEL_CONTROL], TCP_CONTROL_QUEUE);
	core_buf_init_growable(&c->q[GT_CHANNEL_DATA], TCP_DATA_QUEUE);
	core_buf_init_growable(&c->q[GT_CHANNEL_FWD], TCP_FWD_QUEUE);
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &(int){ TCP_UNSENT_MAX }, sizeof(int));
	gt_framer_init(&c->rx, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->watch = core_fd_watch_add(fd, G_IO_IN | G_IO_OUT, tcp_io_cb, c);
	return c;
}

/* Release everything; the memory goes on the next loop turn. */
static void tcp_destroy(struct tcp_conn *c)
{
	core_source_clear(&c->watch);
	if (c->server != NULL)
		g_hash_table_remove(c->server->conns, c);
	if (c->base.tls != NULL)
		gnutls_deinit(c->base.tls);
	c->base.tls = NULL;
	if (c->client_cred != NULL)
		gnutls_certificate_free_credentials(c->client_cred);
	c->client_cred = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (int ch = 0; ch < GT_CHANNEL_COUNT; ch++)
		core_buf_free(&c->q[ch]);
	gt_framer_free(&c->rx);
	gt_conn_base_finish(&c->base);
	core_defer_free(c, g_free);
}

/* Set up the TLS session; CORE_OK or CORE_ERR_TLS. */
static int tcp_tls_init(struct tcp_conn *c, gnutls_certificate_credentials_t cred,
			unsigned versions)
{
	if (gnutls_init(&c->base.tls, (c->base.is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
					      GNUTLS_NONBLOCK) != 0 ||
	    gnutls_priority_set_direct(c->base.tls, TCP_PRIORITY, NULL) != 0 ||
	    gnutls_credentials_set(c->base.tls, GNUTLS_CRD_CERTIFICATE, cred) != 0 ||
	    gt_hs_set_alpn(c->base.tls, versions, c->base.is_server) != CORE_OK)
		return CORE_ERR_TLS;
	gnutls_transport_set_int(c->base.tls, c->fd);
	return CORE_OK;
}

/* ------------------------------------------------------------ messages */

static int tcp_queue(struct tcp_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	size_t need = GT_FRAME_HEADER_LEN + gt_msg_payload_len(m);

	if (need > c->q[ch].max)
		return CORE_ERR_TOO_LARGE;
	if (need > core_buf_avail(&c->q[ch]))
		return CORE_ERR_AGAIN;
	return gt_msg_encode(m, &c->q[ch]);
}

/* Frames are routed by type (gt_msg_channel: Data, forwarding, the rest to control). */
static enum gt_channel tcp_channel_of(const struct gt_msg *m)
{
	return gt_msg_channel(m->type);
}

/* May frames be taken out of the reassembler now? */
static bool tcp_may_read(const struct tcp_conn *c)
{
	return gt_conn_may_deliver(&c->base) && !c->base.handover_pending;
}

/* Take complete frames out of the reassembler while the connection may read. */
static void tcp_drain_frames(struct tcp_conn *c)
{
	struct gt_msg m;
	int r;
	while (tcp_may_read(c) && (r = gt_framer_next(&c->rx, &m)) != CORE_ERR_AGAIN) {
		if (r != CORE_OK) {
			tcp_fail(c, r, "bad frame: %s", core_strerror(r));
			return;
		}
		gt_conn_on_message(&c->base, tcp_channel_of(&m), &m);
	}
}

/* ------------------------------------------------------------------ I/O */

/* Drive the TLS handshake; on completion learn the version, start auth. */
static void tcp_handshake(struct tcp_conn *c)
{
	int r = gnutls_handshake(c->base.tls), sys_err = errno;

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return;
	if (r != 0) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		/* a refused or unreachable connect shows up as GnuTLS's push error */
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0)
			tcp_fail(c, CORE_ERR_CLOSED, "connect: %s", g_strerror(soerr));
		else if ((r == GNUTLS_E_PUSH_ERROR || r == GNUTLS_E_PULL_ERROR) && sys_err != 0)
			tcp_fail(c, CORE_ERR_CLOSED, "connect: %s", g_strerror(sys_err));
		else
			tcp_fail(c, CORE_ERR_TLS, "TLS handshake: %s", gnutls_strerror(r));
		return;
	}
	gt_conn_tls_done(&c->base);
}

/* Read TLS records into the reassembler and dispatch frames. */
static void tcp_read(struct tcp_conn *c)
{
	uint8_t buf[TCP_RECORD_BYTES];
	for (int i = 0; i < TCP_READS_PER_WAKE && tcp_may_read(c); i++) {
		ssize_t n = gnutls_record_recv(c->base.tls, buf, sizeof(buf));
		size_t off = 0;

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			c->eof = true;
			/* not a refusal (that is an AuthResponse): a session ending, a timeout */
			tcp_fail(c, CORE_ERR_CLOSED,
				 c->base.state == GT_CS_AUTH && !c->base.is_server
					 ? "session closed the connection during authentication"
					 : "peer closed");
			return;
		}
		if (n < 0) {
			tcp_fail(c, CORE_ERR_TLS, "TLS receive: %s", gnutls_strerror((int)n));
			return;
		}
		c->ctr.bytes_recv += (uint64_t)n;
		while (off < (size_t)n && c->base.fail_err == CORE_OK) {
			size_t acc = 0;
			int r = gt_framer_feed(&c->rx, buf + off, (size_t)n - off, &acc);

			off += acc;
			if (r != CORE_OK) {
				tcp_fail(c, r, "bad frame: %s", core_strerror(r));
				return;
			} /* while the owner is being handed the conn or has paused, bytes wait here */
			tcp_drain_frames(c);
			if (acc == 0 && !tcp_may_read(c))
				tcp_fail(c, CORE_ERR_NO_SPACE,
					 "reassembler full while not delivering");
		}
	}
}

/*
 * Next queue to send from: finish the current frame, else control, then the
 * terminal's data, then forwarding: a terminal frame waits for one
 * forwarding frame (at most GT_FWD_CHUNK bytes) at most.
 */
static int tcp_pick_queue(struct tcp_conn *c)
{
	uint32_t len;

	if (c->cur >= 0)
		return c->cur;
	for (int ch = 0; ch < GT_CHANNEL_COUNT; ch++) {
		if (core_buf_len(&c->q[ch]) >= GT_FRAME_HEADER_LEN &&
		    core_buf_peek_u32(&c->q[ch], 0, &len) == CORE_OK) {
			c->cur = ch;
			c->cur_left = GT_FRAME_HEADER_LEN + len;
			return ch;
		}
	}
	return -1;
}

/* Write queued frames until the socket is full; whole frames never interleave. */
static void tcp_write(struct tcp_conn *c)
{
	for (;;) {
		ssize_t n;
		size_t want;
		int ch;

		if (c->tls_pending > 0) {
			n = gnutls_record_send(c->base.tls, NULL,
					       0); /* finish the record GnuTLS holds */
			want = c->tls_pending;
			ch = c->cur;
		} else {
			ch = tcp_pick_queue(c);
			if (ch < 0)
				return;
			want = MIN(MIN(c->cur_left, core_buf_len(&c->q[ch])), TCP_RECORD_BYTES);
			n = gnutls_record_send(c->base.tls, core_buf_ptr(&c->q[ch]), want);
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			c->tls_pending = want;
			return;
		}
		if (n < 0) {
			tcp_fail(c, CORE_ERR_TLS, "TLS send: %s", gnutls_strerror((int)n));
			return;
		}
		/* with NULL, 0 GnuTLS reports the pending record's length */
		n = (ssize_t)want;
		c->tls_pending = 0;
		core_buf_skip(&c->q[ch], (size_t)n);
		c->ctr.bytes_sent += (uint64_t)n;
		c->cur_left -= (size_t)n;
		if (c->cur_left == 0)
			c->cur = -1;
	}
}

static bool tcp_queues_empty(const struct tcp_conn *c)
{
	for (int ch = 0; ch < GT_CHANNEL_COUNT; ch++)
		if (core_buf_len(&c->q[ch]) != 0)
			return false;
	return c->tls_pending == 0;
}

/* Watch for reading always, and for writing while something waits to go out. */
static void tcp_update_watch(struct tcp_conn *c)
{
	GIOCondition cond = c->base.recv_paused && c->base.owned ? 0 : G_IO_IN;

	if (c->base.state == GT_CS_HANDSHAKE ? gnutls_record_get_direction(c->base.tls) == 1
					     : !tcp_queues_empty(c))
		cond |= G_IO_OUT;
	core_fd_watch_set(c->watch, cond);
}

static gboolean tcp_io_cb(int fd, GIOCondition cond, void *data)
{
	struct tcp_conn *c = data;
	if (c->base.state == GT_CS_HANDSHAKE)
		tcp_handshake(c);
	/* always try: GnuTLS may hold records that arrived with the handshake */
	if (c->base.state != GT_CS_HANDSHAKE && c->base.fail_err == CORE_OK)
		tcp_read(c);
	gt_conn_process(&c->base);
	return G_SOURCE_CONTINUE; /* tcp_destroy removes the source itself */
}

/* ---------------------------------------------------------------- server */

static gboolean tcp_accept_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_tcp_server *s = data;

	for (int i = 0; i < TCP_BACKLOG; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd =
			accept4(s->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tcp_conn *c;

		if (cfd < 0)
			break; /* EAGAIN, or a connection reset before we took it */
		c = tcp_alloc(cfd, true, s->cfg.passkey);
		c->base.passkey_missing = s->cfg.passkey_later;
		c->server = s;
		c->base.impostor = s->cfg.test_impostor;
		core_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss, len);
		c->base.accept = s->accept;
		c->base.accept_data = s->accept_data;
		gt_conn_expect_auth(&c->base, s->cfg.auth_timeout_us);
		g_hash_table_add(s->conns, c);
		if (tcp_tls_init(c, core_tls_cert_credentials(s->cert), s->cfg.versions) != CORE_OK)
			tcp_fail(c, CORE_ERR_TLS, "TLS set-up failed");
		gt_conn_schedule(&c->base);
	}
	return G_SOURCE_CONTINUE;
}

struct gt_tcp_server *gt_tcp_server_new(const struct gt_server_config *cfg,
					gt_server_accept_fn accept, void *data, GError **error)
{
	struct gt_tcp_server *s = g_new0(struct gt_tcp_server, 1);
	struct core_addr addr;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1, off = 0, e;

	s->cfg = *cfg;
	if (s->cfg.versions == 0)
		s->cfg.versions = (1u << GT_PROTO_V1) | (1u << GT_PROTO_V2);
	s->accept = accept;
	s->accept_data = data;
	s->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	core_addr_parse(&addr, cfg->bind_addr != NULL ? cfg->bind_addr : "[::]:0");
	core_addr_set_port(&addr, cfg->port);
	s->fd = socket(core_addr_family(&addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd >= 0) {
		setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (core_addr_family(&addr) == AF_INET6)
			setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr.ss, addr.len) != 0 ||
	    listen(s->fd, TCP_BACKLOG) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) {
		e = errno;
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "TCP listen on port %u: %s",
			    cfg->port, g_strerror(e));
		gt_tcp_server_free(s);
		errno = e;
		return NULL;
	}
	core_addr_from_sockaddr(&s->local, (struct sockaddr *)&ss, len);
	if (core_tls_cert_generate(&s->cert, TCP_CERT_VALIDITY_S) != CORE_OK) {
		g_set_error(error, CORE_ERROR, CORE_ERR_TLS, "cannot make a certificate");
		gt_tcp_server_free(s);
		return NULL;
	}
	s->watch = core_fd_watch_add(s->fd, G_IO_IN, tcp_accept_cb, s);
	return s;
}

void gt_tcp_server_set_passkey(struct gt_tcp_server *s, const uint8_t passkey[GT_PASSKEY_LEN])
{
	GHashTableIter it;
	gpointer k;

	memcpy(s->cfg.passkey, passkey, GT_PASSKEY_LEN);
	s->cfg.passkey_later = false;
	g_hash_table_iter_init(&it, s->conns);
	while (g_hash_table_iter_next(&it, &k, NULL))
		gt_conn_set_passkey(&((struct tcp_conn *)k)->base, passkey);
}

uint16_t gt_tcp_server_port(const struct gt_tcp_server *s)
{
	return core_addr_port(&s->local);
}

unsigned gt_tcp_server_conn_count(const struct gt_tcp_server *s)
{
	return g_hash_table_size(s->conns);
}

void gt_tcp_server_free(struct gt_tcp_server *s)
{
	GList *conns;

	if (s == NULL)
		return;
	conns = g_hash_table_get_keys(s->conns);
	for (GList *l = conns; l != NULL; l = l->next) {
		struct tcp_conn *c = l->data;

		tcp_fail(c, CORE_ERR_CLOSED, "server shutting down");
		gt_conn_die(&c->base);
	}
	g_list_free(conns);
	core_source_clear(&s->watch);
	if (s->fd >= 0)
		close(s->fd);
	g_hash_table_destroy(s->conns);
	core_tls_cert_free(s->cert);
	core_wipe(s->cfg.passkey, sizeof(s->cfg.passkey));
	g_free(s);
}

/* ---------------------------------------------------------------- client */

static int tcp_dial_start(struct gt_dial *d, const struct core_addr *to, void **attempt,
			  char *reason, size_t rlen)
{
	const struct gt_dial_config *cfg = gt_dial_get_config(d);
	unsigned versions = cfg->max_version == GT_PROTO_V1
				    ? 1u << GT_PROTO_V1
				    : (1u << GT_PROTO_V1) | (1u << GT_PROTO_V2);
	int fd = socket(core_addr_family(to), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct tcp_conn *c;

	if (fd < 0 ||
	    (connect(fd, (const struct sockaddr *)&to->ss, to->len) != 0 && errno != EINPROGRESS)) {
		g_snprintf(reason, rlen, "connect: %s", g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return CORE_ERR_SYSTEM;
	}
	c = tcp_alloc(fd, false, cfg->passkey);
	c->peer = *to;
	c->base.stall = cfg->test_stall;
	if (gnutls_certificate_allocate_credentials(&c->client_cred) != 0 ||
	    tcp_tls_init(c, c->client_cred, versions) != CORE_OK) {
		g_snprintf(reason, rlen, "cannot set up TLS");
		tcp_destroy(c);
		return CORE_ERR_TLS;
	}
	c->base.dial = d;
	*attempt = c;
	return CORE_OK; /* the fd watch fires when the connect completes */
}

static void tcp_dial_abort(void *attempt)
{
	struct tcp_conn *c = attempt;

	c->base.dial = NULL;
	tcp_destroy(c);
}

const struct gt_dial_transport gt_tcp_dial_transport = {
	.start = tcp_dial_start,
	.abort = tcp_dial_abort,
};

int gt_tcp_conn_test_send_raw(struct gt_conn *base, const void *p, size_t n)
{
	struct tcp_conn *c = (struct tcp_conn *)base;
	int r;

	if (base->ops != &tcp_ops || c->base.state != GT_CS_READY || c->cur >= 0)
		return CORE_ERR_INVALID_ARG;
	r = core_buf_put_bytes(&c->q[GT_CHANNEL_DATA], p, n);
	/* treat the raw bytes as one "frame" so the writer sends them whole */
	c->cur = GT_CHANNEL_DATA;
	c->cur_left = core_buf_len(&c->q[GT_CHANNEL_DATA]);
	gt_conn_schedule(&c->base);
	return r;
}

/* ------------------------------------------------------------------ ops */

#define TC(b) ((struct tcp_conn *)(b))

static int tcp_queue_op(struct gt_conn *b, enum gt_channel ch, const struct gt_msg *m)
{
	return tcp_queue(TC(b), ch, m);
}

static size_t tcp_room(const struct gt_conn *b, enum gt_channel ch)
{
	return core_buf_avail(&TC(b)->q[ch]);
}

static size_t tcp_queue_max(const struct gt_conn *b, enum gt_channel ch)
{
	return TC(b)->q[ch].max;
}

static int tcp_write_op(struct gt_conn *b)
{
	struct tcp_conn *c = TC(b);

	/* nothing before TLS is up; nothing to a peer that has gone */
	if (c->base.state == GT_CS_HANDSHAKE || c->eof)
		return c->base.fail_err;
	tcp_write(c);
	return c->base.fail_err;
}

static bool tcp_drained(const struct gt_conn *b)
{
	return tcp_queues_empty(TC(b));
}

static size_t tcp_in_flight(const struct gt_conn *b)
{
	const struct tcp_conn *c = TC(b);
	int outq = 0;

	/* ours, then the kernel's: unsent plus unacknowledged */
	if (c->fd >= 0 && ioctl(c->fd, SIOCOUTQ, &outq) != 0)
		outq = 0;
	return core_buf_len(&c->q[GT_CHANNEL_DATA]) + c->tls_pending + (size_t)MAX(outq, 0);
}

static void tcp_send_close(struct gt_conn *b, uint64_t code, const char *reason)
{
	struct tcp_conn *c = TC(b);

	if (c->base.state != GT_CS_HANDSHAKE && !c->eof)
		gnutls_bye(c->base.tls, GNUTLS_SHUT_WR); /* best effort close_notify */
}

static int64_t tcp_expiry(const struct gt_conn *b)
{
	return INT64_MAX; /* the kernel keeps TCP's timers */
}

static void tcp_on_expiry(struct gt_conn *b)
{
}

/* After a resume or the handover: frames held, then records GnuTLS holds. */
static void tcp_resume(struct gt_conn *b)
{
	struct tcp_conn *c = TC(b);

	if (c->base.state == GT_CS_HANDSHAKE)
		return;
	tcp_drain_frames(c);
	tcp_read(c);
}

static void tcp_arm(struct gt_conn *b)
{
	tcp_update_watch(TC(b));
}

static void tcp_destroy_op(struct gt_conn *b)
{
	tcp_destroy(TC(b));
}

static void tcp_peer(const struct gt_conn *base, struct core_addr *out)
{
	*out = ((const struct tcp_conn *)base)->peer;
}

static void tcp_stats(const struct gt_conn *base, struct gt_conn_stats *out)
{
	const struct tcp_conn *c = (const struct tcp_conn *)base;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	*out = c->ctr;
	if (c->fd < 0 || getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return;
	out->has_rtt = true;
	out->rtt_latest_us = ti.tcpi_rtt;
	out->rtt_smoothed_us = ti.tcpi_rtt;
	out->rtt_min_us = ti.tcpi_min_rtt > 0 ? ti.tcpi_min_rtt : ti.tcpi_rtt;
	out->rtt_var_us = ti.tcpi_rttvar;
	out->pkts_lost = ti.tcpi_total_retrans;
}

static const struct gt_conn_ops tcp_ops = {
	.name = "tcp",
	.queue = tcp_queue_op,
	.room = tcp_room,
	.queue_max = tcp_queue_max,
	.write = tcp_write_op,
	.drained = tcp_drained,
	.in_flight = tcp_in_flight,
	.send_close = tcp_send_close,
	.expiry = tcp_expiry,
	.on_expiry = tcp_on_expiry,
	.resume = tcp_resume,
	.arm = tcp_arm,
	.peer = tcp_peer,
	.stats = tcp_stats,
	.destroy = tcp_destroy_op,
};
