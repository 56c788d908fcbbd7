/* relay.c - a jump host's forwarder for one session (contract in relay.h). */
#include "goet/net/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"

#define RELAY_DATAGRAM_MAX   65536
#define RELAY_READS_PER_WAKE 64
#define RELAY_SOCKBUF	     (4 * 1024 * 1024) /* a burst of QUIC at full speed */
#define RELAY_REFUSED_END    2		       /* probes refused in a row: the session is gone */
#define RELAY_LISTEN_TRIES   8		       /* UDP port taken on TCP: try another */

struct gt_relay {
	struct gt_relay_config cfg;
	char *name;
	gt_relay_done_fn done;
	void *data;
	int udp_fd, tcp_fd, up_fd; /* clients' UDP, clients' TCP, UDP to the target */
	guint udp_watch, tcp_watch, up_watch, tick;
	uint16_t port;
	struct core_addr client; /* where the target's datagrams go (empty: nowhere yet) */
	struct sockaddr_storage client_ss; /* the same as the kernel gave it (v4-mapped) */
	socklen_t client_len;
	bool seen_client, ended;
	int64_t start, last_activity, last_from_target;
	int64_t last_move_log; /* "client at" lines: at most one a second (spoofers) */
	unsigned moves_unlogged;
	int refused; /* probes answered by port unreachable, in a row */
	unsigned tcp_open;
	GPtrArray *pairs; /* struct tcp_pair, open ones */
	GSocketClient *connector;
	GCancellable *cancel;
	uint8_t buf[RELAY_DATAGRAM_MAX];
};

/*
 * One TCP client, from accept until its splice ends. r is NULL once the relay
 * is freed (the pair then only waits for its cancelled operation to report).
 */
struct tcp_pair {
	struct gt_relay *r;
	GSocketConnection *down;
};

static void relay_end(struct gt_relay *r, const char *reason)
{
	if (r->ended)
		return;
	r->ended = true;
	core_log_info("relay", r->name, "ending: %s", reason);
	r->done(r, reason, r->data);
}

/* Client to target: a datagram that looks like QUIC moves the reply address. */
static gboolean udp_readable(int fd, GIOCondition cond, void *data)
{
	struct gt_relay *r = data;

	for (int i = 0; i < RELAY_READS_PER_WAKE; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		struct core_addr from;
		ssize_t n = recvfrom(fd, r->buf, sizeof(r->buf), 0, (struct sockaddr *)&ss, &slen);

		if (n < 0)
			break; /* EAGAIN (or an ICMP error about a client: nothing to do) */
		if (n < GT_RELAY_MIN_DATAGRAM ||
		    core_addr_from_sockaddr(&from, (struct sockaddr *)&ss, slen) != CORE_OK)
			continue; /* not QUIC: dropped, the reply address stays */
		if (!core_addr_equal(&from, &r->client)) {
			char a[CORE_ADDR_STRLEN];
			int64_t now = g_get_monotonic_time();

			if (now - r->last_move_log >= G_USEC_PER_SEC) {
				core_log_info("relay", r->name, "client at %s (%u moves unlogged)",
					      core_addr_format(&from, a, sizeof(a)),
					      r->moves_unlogged);
				r->last_move_log = now;
				r->moves_unlogged = 0;
			} else {
				r->moves_unlogged++;
			}
			r->client = from;
			memcpy(&r->client_ss, &ss, slen);
			r->client_len = slen;
		}
		r->seen_client = true;
		r->last_activity = g_get_monotonic_time();
		if (send(r->up_fd, r->buf, (size_t)n, 0) < 0 && errno == ECONNREFUSED)
			r->refused++;
	}
	return G_SOURCE_CONTINUE;
}

/* Target to client (the last address that sent); ICMP port unreachable counts. */
static gboolean up_readable(int fd, GIOCondition cond, void *data)
{
	struct gt_relay *r = data;

	for (int i = 0; i < RELAY_READS_PER_WAKE; i++) {
		ssize_t n = recv(fd, r->buf, sizeof(r->buf), 0);

		if (n < 0 && errno == ECONNREFUSED) {
			r->refused++;
			continue; /* the error is consumed; more may wait */
		}
		if (n < 0)
			break;
		r->refused = 0;
		r->last_activity = r->last_from_target = g_get_monotonic_time();
		if (r->client_len > 0)
			sendto(r->udp_fd, r->buf, (size_t)n, 0, (struct sockaddr *)&r->client_ss,
			       r->client_len);
	}
	if (r->refused >= RELAY_REFUSED_END)
		relay_end(r, "the session is gone (its port is unreachable)");
	return G_SOURCE_CONTINUE;
}

/* The pair is over (spliced, failed or cancelled): forget it. */
static void pair_end(struct tcp_pair *p)
{
	if (p->r != NULL) {
		g_ptr_array_remove_fast(p->r->pairs, p);
		p->r->tcp_open--;
		p->r->last_activity = g_get_monotonic_time();
	}
	g_clear_object(&p->down);
	g_free(p);
}

static void tcp_spliced(GObject *src, GAsyncResult *res, gpointer data)
{
	g_io_stream_splice_finish(res, NULL);
	pair_end(data);
}

static void tcp_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct tcp_pair *p = data;
	GError *e = NULL;
	GSocketConnection *up = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &e);

	if (up == NULL || p->r == NULL) {
		if (p->r != NULL)
			core_log_warn("relay", p->r->name, "TCP to the session: %s", e->message);
		g_clear_error(&e);
		g_clear_object(&up);
		pair_end(p);
		return;
	}
	g_io_stream_splice_async(G_IO_STREAM(p->down), G_IO_STREAM(up),
				 G_IO_STREAM_SPLICE_CLOSE_STREAM1 |
					 G_IO_STREAM_SPLICE_CLOSE_STREAM2,
				 G_PRIORITY_DEFAULT, p->r->cancel, tcp_spliced, p);
	g_object_unref(up);
}

/* A TCP client: its own connection to the target, then splice. */
static gboolean tcp_acceptable(int fd, GIOCondition cond, void *data)
{
	struct gt_relay *r = data;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	GSocketAddress *ga;
	struct tcp_pair *p;
	GSocket *s;

	if (c < 0)
		return G_SOURCE_CONTINUE;
	if (r->tcp_open >= GT_RELAY_TCP_MAX) {
		core_log_warn("relay", r->name, "%u TCP connections already: one refused",
			      r->tcp_open);
		close(c);
		return G_SOURCE_CONTINUE;
	}
	s = g_socket_new_from_fd(c, NULL);
	if (s == NULL) {
		close(c);
		return G_SOURCE_CONTINUE;
	}
	r->seen_client = true;
	r->tcp_open++;
	core_log_info("relay", r->name, "TCP client %u", r->tcp_open);
	p = g_new0(struct tcp_pair, 1);
	p->r = r;
	p->down = g_socket_connection_factory_create_connection(s);
	g_ptr_array_add(r->pairs, p);
	g_object_unref(s);
	ga = core_addr_to_gsocketaddress(&r->cfg.target);
	g_socket_client_connect_async(r->connector, G_SOCKET_CONNECTABLE(ga), r->cancel,
				      tcp_connected, p);
	g_object_unref(ga);
	return G_SOURCE_CONTINUE;
}

/* Once a second: the limits, and a probe when the target was silent. */
static gboolean relay_tick(gpointer data)
{
	struct gt_relay *r = data;
	int64_t now = g_get_monotonic_time();
	static const uint8_t probe = 0; /* no fixed bit: QUIC drops it */

	if (!r->seen_client && now - r->start >= r->cfg.first_wait_us) {
		relay_end(r, "no client came");
		return G_SOURCE_CONTINUE;
	}
	if (r->tcp_open > 0)
		r->last_activity = now;
	if (now - r->last_activity >= r->cfg.idle_us) {
		relay_end(r, "idle");
		return G_SOURCE_CONTINUE;
	}
	if (now - r->last_from_target >= GT_RELAY_PROBE_MS * INT64_C(1000) &&
	    send(r->up_fd, &probe, 1, 0) < 0 && errno == ECONNREFUSED)
		r->refused++;
	if (r->refused >= RELAY_REFUSED_END)
		relay_end(r, "the session is gone (its port is unreachable)");
	return G_SOURCE_CONTINUE;
}

/* A socket of type on [::]:port (both families), bound: fd or -1 with errno. */
static int listen_socket(int type, uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), off = 0, one = 1, e;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    (type != SOCK_STREAM || listen(fd, 16) == 0))
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* UDP on a port the kernel picks, TCP on the same number: CORE_OK or CORE_ERR_SYSTEM. */
static int relay_listen(struct gt_relay *r)
{
	int bufsz = RELAY_SOCKBUF;

	for (int i = 0; i < RELAY_LISTEN_TRIES; i++) {
		struct sockaddr_in6 sa;
		socklen_t len = sizeof(sa);

		r->udp_fd = listen_socket(SOCK_DGRAM, 0);
		if (r->udp_fd < 0 || getsockname(r->udp_fd, (struct sockaddr *)&sa, &len) != 0)
			return CORE_ERR_SYSTEM;
		r->port = ntohs(sa.sin6_port);
		r->tcp_fd = listen_socket(SOCK_STREAM, r->port);
		if (r->tcp_fd >= 0) {
			setsockopt(r->udp_fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
			setsockopt(r->udp_fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
			return CORE_OK;
		}
		close(r->udp_fd); /* that number is taken on TCP: another */
		r->udp_fd = -1;
	}
	return CORE_ERR_SYSTEM;
}

/* The UDP socket connected to the target (so that ICMP errors come back). */
static int relay_up(struct gt_relay *r)
{
	int bufsz = RELAY_SOCKBUF;

	r->up_fd = socket(core_addr_family(&r->cfg.target),
			  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->up_fd < 0 ||
	    connect(r->up_fd, (struct sockaddr *)&r->cfg.target.ss, r->cfg.target.len) != 0)
		return CORE_ERR_SYSTEM;
	setsockopt(r->up_fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(r->up_fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	return CORE_OK;
}

struct gt_relay *gt_relay_new(const struct gt_relay_config *cfg, gt_relay_done_fn done, void *data,
			      GError **error)
{
	struct gt_relay *r = g_new0(struct gt_relay, 1);

	r->cfg = *cfg;
	r->name = g_strdup(cfg->name != NULL ? cfg->name : "relay");
	r->cfg.name = r->name;
	if (r->cfg.first_wait_us <= 0)
		r->cfg.first_wait_us = GT_RELAY_FIRST_WAIT_US;
	r->done = done;
	r->data = data;
	r->udp_fd = r->tcp_fd = r->up_fd = -1;
	if (relay_up(r) != CORE_OK || relay_listen(r) != CORE_OK) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "relay: %s", g_strerror(errno));
		gt_relay_free(r);
		return NULL;
	}
	r->start = r->last_activity = r->last_from_target = g_get_monotonic_time();
	r->connector = g_socket_client_new();
	g_socket_client_set_enable_proxy(r->connector, FALSE);
	g_socket_client_set_timeout(r->connector, 10);
	r->cancel = g_cancellable_new();
	r->pairs = g_ptr_array_new();
	r->udp_watch = core_fd_watch_add(r->udp_fd, G_IO_IN, udp_readable, r);
	r->up_watch = core_fd_watch_add(r->up_fd, G_IO_IN | G_IO_ERR, up_readable, r);
	r->tcp_watch = core_fd_watch_add(r->tcp_fd, G_IO_IN, tcp_acceptable, r);
	r->tick = g_timeout_add(GT_RELAY_PROBE_MS, relay_tick, r);
	return r;
}

uint16_t gt_relay_port(const struct gt_relay *r)
{
	return r->port;
}

void gt_relay_free(struct gt_relay *r)
{
	if (r == NULL)
		return;
	core_source_clear(&r->udp_watch);
	core_source_clear(&r->up_watch);
	core_source_clear(&r->tcp_watch);
	core_source_clear(&r->tick);
	for (guint i = 0; r->pairs != NULL && i < r->pairs->len; i++)
		((struct tcp_pair *)g_ptr_array_index(r->pairs, i))->r = NULL; /* see tcp_pair */
	if (r->pairs != NULL)
		g_ptr_array_free(r->pairs, TRUE);
	if (r->cancel != NULL)
		g_cancellable_cancel(r->cancel);
	g_clear_object(&r->cancel);
	g_clear_object(&r->connector);
	if (r->udp_fd >= 0)
		close(r->udp_fd);
	if (r->tcp_fd >= 0)
		close(r->tcp_fd);
	if (r->up_fd >= 0)
		close(r->up_fd);
	g_free(r->name);
	g_free(r);
}
