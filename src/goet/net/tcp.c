/*
 * tcp.c - goet over TCP + TLS 1.3 with GnuTLS on a non-blocking socket
 * (contract in tcp.h).
 *
 * Like quic.c, every event ends in tcp_process(), which acts on failures,
 * hands authenticated connections over, writes, closes and re-arms. Until
 * the owner has taken the connection no further frame is read, so nothing
 * needs to be held for it.
 */
#include "goet/net/tcp.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* (not netinet/tcp.h: its tcp_info lacks tcpi_min_rtt) */
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
#include "goet/proto/framer.h"

#define TCP_CONTROL_QUEUE   (64 * 1024)
#define TCP_DATA_QUEUE	    (2 * 1024 * 1024)
#define TCP_RECORD_BYTES    16384 /* one TLS record per send call */
#define TCP_READS_PER_WAKE  64
#define TCP_CLOSE_DRAIN_US  (2 * CORE_USEC_PER_SEC)
#define TCP_BACKLOG	    64
#define TCP_CERT_VALIDITY_S (24 * 3600)
#define TCP_PRIORITY	    "NORMAL:-VERS-ALL:+VERS-TLS1.3"

enum tcp_state { TS_HANDSHAKE, TS_AUTH, TS_READY, TS_CLOSING, TS_DEAD };

struct tcp_conn {
	struct gt_conn base;
	struct gt_tcp_server *server;
	struct gt_dial *dial;
	int fd;
	guint watch;
	guint timer;
	guint idle;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t client_cred;
	enum tcp_state state;
	bool is_server;
	bool owned;
	bool handover_pending;
	bool want_writable;
	bool close_now;
	bool impostor;
	bool stall;
	bool eof;
	bool recv_paused;
	uint8_t passkey[GT_PASSKEY_LEN];
	struct core_buf q[2]; /* whole encoded frames, per channel */
	int cur;	      /* channel of the frame being written, or -1 */
	size_t cur_left;      /* bytes of that frame still to write */
	size_t tls_pending;   /* bytes GnuTLS took but could not send yet */
	struct gt_framer rx;
	struct core_deadline auth_deadline;
	int64_t auth_timeout_us;
	struct core_deadline close_deadline;
	int fail_err;
	char fail_reason[160];
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

static const struct gt_conn_vtable tcp_vtable;
static void tcp_process(struct tcp_conn *c);

/* Record that c must die (the first reason wins). */
static void tcp_fail(struct tcp_conn *c, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void tcp_fail(struct tcp_conn *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->fail_err != CORE_OK || c->state == TS_DEAD)
		return;
	c->fail_err = err;
	va_start(ap, fmt);
	g_vsnprintf(c->fail_reason, sizeof(c->fail_reason), fmt, ap);
	va_end(ap);
}

static gboolean tcp_idle_cb(gpointer p)
{
	struct tcp_conn *c = p;

	c->idle = 0;
	tcp_process(c);
	return G_SOURCE_REMOVE;
}

static void tcp_schedule(struct tcp_conn *c)
{
	if (c->idle == 0 && c->state != TS_DEAD)
		c->idle = g_idle_add(tcp_idle_cb, c);
}

static gboolean tcp_io_cb(int fd, GIOCondition cond, void *data);

static struct tcp_conn *tcp_alloc(int fd, bool is_server, const uint8_t *passkey)
{
	struct tcp_conn *c = g_new0(struct tcp_conn, 1);
	static unsigned serial;
	char id[24];
	int one = 1;

	g_snprintf(id, sizeof(id), "%s%u", is_server ? "t" : "tc", ++serial);
	gt_conn_base_init(&c->base, &tcp_vtable, id);
	c->fd = fd;
	c->is_server = is_server;
	c->cur = -1;
	memcpy(c->passkey, passkey, GT_PASSKEY_LEN);
	core_buf_init_growable(&c->q[GT_CHANNEL_CONTROL], TCP_CONTROL_QUEUE);
	core_buf_init_growable(&c->q[GT_CHANNEL_DATA], TCP_DATA_QUEUE);
	gt_framer_init(&c->rx, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->watch = core_fd_watch_add(fd, G_IO_IN | G_IO_OUT, tcp_io_cb, c);
	return c;
}

/* Release everything; the memory goes on the next loop turn. */
static void tcp_destroy(struct tcp_conn *c)
{
	c->state = TS_DEAD;
	core_source_clear(&c->watch);
	core_source_clear(&c->timer);
	core_source_clear(&c->idle);
	if (c->server != NULL)
		g_hash_table_remove(c->server->conns, c);
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	c->tls = NULL;
	if (c->client_cred != NULL)
		gnutls_certificate_free_credentials(c->client_cred);
	c->client_cred = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	core_buf_free(&c->q[0]);
	core_buf_free(&c->q[1]);
	gt_framer_free(&c->rx);
	core_wipe(c->passkey, sizeof(c->passkey));
	gt_conn_base_finish(&c->base);
	core_defer_free(c, g_free);
}

/* Set up the TLS session; CORE_OK or CORE_ERR_TLS. */
static int tcp_tls_init(struct tcp_conn *c, gnutls_certificate_credentials_t cred,
			unsigned versions)
{
	if (gnutls_init(&c->tls,
			(c->is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK) != 0 ||
	    gnutls_priority_set_direct(c->tls, TCP_PRIORITY, NULL) != 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred) != 0 ||
	    gt_hs_set_alpn(c->tls, versions, c->is_server) != CORE_OK)
		return CORE_ERR_TLS;
	gnutls_transport_set_int(c->tls, c->fd);
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

/* Server: check the AuthRequest and answer it. */
static void tcp_server_auth(struct tcp_conn *c, const struct gt_msg *m)
{
	uint8_t proof[GT_AUTH_MAC_LEN];
	struct gt_msg resp;
	int r = gt_hs_check_request(c->tls, c->base.version, c->passkey, c->impostor, m, &resp,
				    proof);

	tcp_queue(c, GT_CHANNEL_CONTROL, &resp);
	if (r != CORE_OK) {
		c->close_now = true;
		tcp_fail(c, CORE_ERR_AUTH, "auth failed");
		return;
	}
	c->state = TS_READY;
	c->handover_pending = true;
	core_deadline_clear(&c->auth_deadline);
}

/* Client: accept or refuse the session's AuthResponse. */
static void tcp_client_auth(struct tcp_conn *c, const struct gt_msg *m)
{
	char reason[160];

	if (gt_hs_check_response(c->tls, c->base.version, c->passkey, m, reason, sizeof(reason)) !=
	    CORE_OK) {
		tcp_fail(c, CORE_ERR_AUTH, "%s", reason);
		return;
	}
	c->state = TS_READY;
	c->handover_pending = true;
	core_deadline_clear(&c->auth_deadline);
}

/* One frame arrived: authenticate, or route it by type to the owner. */
static void tcp_on_message(struct tcp_conn *c, const struct gt_msg *m)
{
	enum gt_channel ch = m->type == GT_MSG_DATA ? GT_CHANNEL_DATA : GT_CHANNEL_CONTROL;

	gt_conn_base_rx(&c->base);
	if (c->state == TS_READY) {
		if (c->owned && c->base.cb.message != NULL)
			c->base.cb.message(&c->base, ch, m, c->base.cb_data);
	} else if (c->state == TS_AUTH && c->is_server && m->type == GT_MSG_AUTH_REQUEST) {
		tcp_server_auth(c, m);
	} else if (c->state == TS_AUTH && !c->is_server && m->type == GT_MSG_AUTH_RESPONSE) {
		tcp_client_auth(c, m);
	} else if (c->state != TS_CLOSING) {
		tcp_fail(c, CORE_ERR_BAD_VALUE, "unexpected %s before authentication",
			 gt_msg_type_name(m->type));
	}
}

/* Take complete frames out of the reassembler while the connection may read. */
static void tcp_drain_frames(struct tcp_conn *c)
{
	struct gt_msg m;
	int r;
	while (c->fail_err == CORE_OK && !c->handover_pending && c->state != TS_DEAD &&
	       !(c->recv_paused && c->owned) &&
	       (r = gt_framer_next(&c->rx, &m)) != CORE_ERR_AGAIN) {
		if (r != CORE_OK) {
			tcp_fail(c, r, "bad frame: %s", core_strerror(r));
			return;
		}
		tcp_on_message(c, &m);
	}
}

/* ------------------------------------------------------------------ I/O */

/* Drive the TLS handshake; on completion learn the version, start auth. */
static void tcp_handshake(struct tcp_conn *c)
{
	struct gt_msg m;
	int r = gnutls_handshake(c->tls), sys_err = errno;

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
	if (gt_hs_version(c->tls, &c->base.version) != CORE_OK) {
		tcp_fail(c, CORE_ERR_TLS, "no ALPN agreed");
		return;
	}
	c->state = TS_AUTH;
	if (c->is_server || c->stall)
		return;
	if (gt_hs_auth_request(c->tls, c->base.version, c->passkey, &m) != CORE_OK) {
		tcp_fail(c, CORE_ERR_TLS, "cannot compute the auth token");
		return;
	}
	tcp_queue(c, GT_CHANNEL_CONTROL, &m);
}

/* Read TLS records into the reassembler and dispatch frames. */
static void tcp_read(struct tcp_conn *c)
{
	uint8_t buf[TCP_RECORD_BYTES];
	for (int i = 0; i < TCP_READS_PER_WAKE && c->fail_err == CORE_OK && !c->handover_pending &&
			!(c->recv_paused && c->owned);
	     i++) {
		ssize_t n = gnutls_record_recv(c->tls, buf, sizeof(buf));
		size_t off = 0;

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			c->eof = true;
			/* not a refusal (that is an AuthResponse): a session ending, a timeout */
			tcp_fail(c, CORE_ERR_CLOSED,
				 c->state == TS_AUTH && !c->is_server
					 ? "session closed the connection during authentication"
					 : "peer closed");
			return;
		}
		if (n < 0) {
			tcp_fail(c, CORE_ERR_TLS, "TLS receive: %s", gnutls_strerror((int)n));
			return;
		}
		c->ctr.bytes_recv += (uint64_t)n;
		while (off < (size_t)n && c->fail_err == CORE_OK) {
			size_t acc = 0;
			int r = gt_framer_feed(&c->rx, buf + off, (size_t)n - off, &acc);

			off += acc;
			if (r != CORE_OK) {
				tcp_fail(c, r, "bad frame: %s", core_strerror(r));
				return;
			} /* while the owner is being handed the conn or has paused, bytes wait here */
			tcp_drain_frames(c);
			if (acc == 0 && (c->handover_pending || c->recv_paused))
				tcp_fail(c, CORE_ERR_NO_SPACE,
					 "reassembler full while not delivering");
		}
	}
}

/* Next queue to send from: finish the current frame, else control first. */
static int tcp_pick_queue(struct tcp_conn *c)
{
	uint32_t len;

	if (c->cur >= 0)
		return c->cur;
	for (int ch = 0; ch < 2; ch++) {
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
			n = gnutls_record_send(c->tls, NULL,
					       0); /* finish the record GnuTLS holds */
			want = c->tls_pending;
			ch = c->cur;
		} else {
			ch = tcp_pick_queue(c);
			if (ch < 0)
				return;
			want = MIN(MIN(c->cur_left, core_buf_len(&c->q[ch])), TCP_RECORD_BYTES);
			n = gnutls_record_send(c->tls, core_buf_ptr(&c->q[ch]), want);
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
	return core_buf_len(&c->q[0]) == 0 && core_buf_len(&c->q[1]) == 0 && c->tls_pending == 0;
}

/* Watch for reading always, and for writing while something waits to go out. */
static void tcp_update_watch(struct tcp_conn *c)
{
	GIOCondition cond = c->recv_paused && c->owned ? 0 : G_IO_IN;

	if (c->state == TS_HANDSHAKE ? gnutls_record_get_direction(c->tls) == 1
				     : !tcp_queues_empty(c))
		cond |= G_IO_OUT;
	core_fd_watch_set(c->watch, cond);
}

static gboolean tcp_timer_cb(gpointer p)
{
	struct tcp_conn *c = p;

	c->timer = 0;
	tcp_process(c);
	return G_SOURCE_REMOVE;
}

static void tcp_arm_timer(struct tcp_conn *c)
{
	int64_t now = core_time_now_us(), at = INT64_MAX;

	if (core_deadline_is_set(&c->auth_deadline))
		at = c->auth_deadline.at_us;
	if (core_deadline_is_set(&c->close_deadline) && c->close_deadline.at_us < at)
		at = c->close_deadline.at_us;
	core_source_clear(&c->timer);
	if (at != INT64_MAX)
		c->timer = g_timeout_add(at <= now ? 0 : (guint)((at - now + 999) / 1000),
					 tcp_timer_cb, c);
}

/* The connection is over: report to whoever cares, then free it. */
static void tcp_die(struct tcp_conn *c)
{
	char esc[CORE_LOG_ESC_SHORT];
	const char *reason =
		core_log_escape(esc, sizeof(esc), c->fail_reason, strlen(c->fail_reason));

	if (c->close_now && !c->eof)
		tcp_write(c); /* the final AuthResponse goes out before we close */
	core_log_info("tcp", c->base.id, "connection closed: %s", reason);
	if (c->owned && c->base.cb.closed != NULL) {
		c->state = TS_DEAD;
		c->base.cb.closed(&c->base, c->fail_err, reason, c->base.cb_data);
	} else if (c->dial != NULL) {
		struct gt_dial *d = c->dial;

		c->dial = NULL;
		c->state = TS_DEAD;
		gt_dial_attempt_failed(d, c->fail_err, reason);
	}
	tcp_destroy(c);
}

/* Hand over an authenticated connection, then let it read again. */
static void tcp_handover(struct tcp_conn *c)
{
	c->handover_pending = false;
	c->owned = true;
	if (c->is_server) {
		core_log_info("tcp", c->base.id, "client authenticated (%s)",
			      c->base.version == GT_PROTO_V2 ? GT_ALPN_V2 : GT_ALPN_V1);
		c->server->accept(&c->base, c->server->accept_data);
	} else {
		struct gt_dial *d = c->dial;

		c->dial = NULL;
		gt_dial_succeeded(d, &c->base);
	}
	if (c->state == TS_READY) {
		tcp_drain_frames(c); /* frames that arrived with the auth exchange */
		tcp_read(c);	     /* and records GnuTLS may already hold */
	}
}

static void tcp_process(struct tcp_conn *c)
{
	int64_t now = core_time_now_us();

	if (c->state == TS_DEAD)
		return;
	if (core_deadline_expired(&c->auth_deadline, now))
		tcp_fail(c, CORE_ERR_TIMEOUT, "no authentication within %" G_GINT64_FORMAT " ms",
			 c->auth_timeout_us / 1000);
	if (c->fail_err != CORE_OK) {
		tcp_die(c);
		return;
	}
	if (c->handover_pending) {
		tcp_write(c); /* AuthResponse first */
		tcp_handover(c);
		if (c->state == TS_DEAD)
			return;
		if (c->fail_err != CORE_OK) {
			tcp_die(c);
			return;
		}
	}
	if (c->state == TS_READY && !c->recv_paused) {
		tcp_drain_frames(c); /* after a resume: frames held, then records GnuTLS holds */
		tcp_read(c);
	}
	if (c->state != TS_HANDSHAKE)
		tcp_write(c);
	if (c->fail_err != CORE_OK) {
		tcp_die(c);
		return;
	}
	if (c->state == TS_CLOSING &&
	    (tcp_queues_empty(c) || core_deadline_expired(&c->close_deadline, now))) {
		gnutls_bye(c->tls, GNUTLS_SHUT_WR); /* best effort close_notify */
		tcp_destroy(c);
		return;
	}
	if (c->want_writable && c->owned && c->state == TS_READY &&
	    core_buf_avail(&c->q[GT_CHANNEL_DATA]) >= TCP_DATA_QUEUE / 2 &&
	    core_buf_avail(&c->q[GT_CHANNEL_CONTROL]) >= TCP_CONTROL_QUEUE / 2) {
		c->want_writable = false;
		if (c->base.cb.writable != NULL)
			c->base.cb.writable(&c->base, c->base.cb_data);
		if (c->state == TS_DEAD)
			return;
		tcp_write(c);
	}
	tcp_update_watch(c);
	tcp_arm_timer(c);
}

static gboolean tcp_io_cb(int fd, GIOCondition cond, void *data)
{
	struct tcp_conn *c = data;
	if (c->state == TS_HANDSHAKE)
		tcp_handshake(c);
	/* always try: GnuTLS may hold records that arrived with the handshake */
	if (c->state != TS_HANDSHAKE && c->fail_err == CORE_OK)
		tcp_read(c);
	tcp_process(c);
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
		c->server = s;
		c->impostor = s->cfg.test_impostor;
		core_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss, len);
		c->auth_timeout_us =
			s->cfg.auth_timeout_us > 0 ? s->cfg.auth_timeout_us : GT_AUTH_TIMEOUT_US;
		core_deadline_set(&c->auth_deadline, core_time_now_us(), c->auth_timeout_us);
		g_hash_table_add(s->conns, c);
		if (tcp_tls_init(c, core_tls_cert_credentials(s->cert), s->cfg.versions) != CORE_OK)
			tcp_fail(c, CORE_ERR_TLS, "TLS set-up failed");
		tcp_schedule(c);
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
		tcp_die(c);
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
	c->stall = cfg->test_stall;
	if (gnutls_certificate_allocate_credentials(&c->client_cred) != 0 ||
	    tcp_tls_init(c, c->client_cred, versions) != CORE_OK) {
		g_snprintf(reason, rlen, "cannot set up TLS");
		tcp_destroy(c);
		return CORE_ERR_TLS;
	}
	c->dial = d;
	*attempt = c;
	return CORE_OK; /* the fd watch fires when the connect completes */
}

static void tcp_dial_abort(void *attempt)
{
	struct tcp_conn *c = attempt;

	c->dial = NULL;
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

	if (base->vt != &tcp_vtable || c->state != TS_READY || c->cur >= 0)
		return CORE_ERR_INVALID_ARG;
	r = core_buf_put_bytes(&c->q[GT_CHANNEL_DATA], p, n);
	/* treat the raw bytes as one "frame" so the writer sends them whole */
	c->cur = GT_CHANNEL_DATA;
	c->cur_left = core_buf_len(&c->q[GT_CHANNEL_DATA]);
	tcp_schedule(c);
	return r;
}

/* ---------------------------------------------------------------- vtable */

static int tcp_send(struct gt_conn *base, enum gt_channel ch, const struct gt_msg *m)
{
	struct tcp_conn *c = (struct tcp_conn *)base;
	int r;

	if (c->state != TS_READY || c->fail_err != CORE_OK)
		return CORE_ERR_CLOSED;
	r = tcp_queue(c, ch, m);
	if (r == CORE_ERR_AGAIN)
		c->want_writable = true;
	if (r == CORE_OK)
		tcp_schedule(c);
	return r;
}

static void tcp_fail_op(struct gt_conn *base, int err, const char *reason)
{
	struct tcp_conn *c = (struct tcp_conn *)base;

	tcp_fail(c, err, "%s", reason);
	tcp_schedule(c);
}

static void tcp_pause_recv(struct gt_conn *base, bool paused)
{
	struct tcp_conn *c = (struct tcp_conn *)base;

	c->recv_paused = paused;
	tcp_schedule(c);
}

static size_t tcp_send_room(const struct gt_conn *base, enum gt_channel ch)
{
	const struct tcp_conn *c = (const struct tcp_conn *)base;

	return c->state == TS_READY ? core_buf_avail(&c->q[ch]) : 0;
}

static void tcp_close(struct gt_conn *base, uint64_t code, const char *reason)
{
	struct tcp_conn *c = (struct tcp_conn *)base;

	c->owned = false;
	if (c->state == TS_DEAD)
		return;
	c->state = TS_CLOSING;
	core_deadline_set(&c->close_deadline, core_time_now_us(), TCP_CLOSE_DRAIN_US);
	tcp_schedule(c);
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

static const struct gt_conn_vtable tcp_vtable = {
	.name = "tcp",
	.send = tcp_send,
	.send_room = tcp_send_room,
	.pause_recv = tcp_pause_recv,
	.fail = tcp_fail_op,
	.close = tcp_close,
	.peer = tcp_peer,
	.stats = tcp_stats,
};
