/*
 * Integration tests for goet/fwd/hub: a client hub and a session hub joined
 * by an in-memory link (frames encoded and decoded, delivered from the main
 * loop, with a byte budget as a transport's room), real TCP sockets on
 * loopback for the forwarded connections and their targets. The link is cut
 * (in-flight frames lost, both hubs told) and restored during transfers.
 * Byte streams are compared by SHA-256 at both ends.
 */
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "goet/fwd/hub.h"

#define LINK_BUDGET (512 * 1024)

/* One direction of the link: frames queued for the peer hub. */
struct side {
	struct link *link;
	struct gt_fwd_hub *hub;
	struct side *peer;
	GQueue q; /* GBytes frames for peer */
	size_t queued;
	GByteArray *log; /* message types this side sent */
	unsigned refuse; /* refuse this many FwdAck/FwdClose (a full transport) */
};

struct link {
	struct side c, s;
	bool up;
	guint idle;
	unsigned cuts;
	uint64_t delivered; /* frame bytes handed over */
};

static gboolean link_deliver(gpointer data);

static int side_send(void *user, const struct gt_msg *m)
{
	struct side *sd = user;
	struct core_buf b;

	if (!sd->link->up)
		return CORE_ERR_CLOSED;
	if (sd->refuse > 0 && (m->type == GT_MSG_FWD_ACK || m->type == GT_MSG_FWD_CLOSE)) {
		sd->refuse--; /* as a transport's CORE_ERR_AGAIN, then `writable` (a pump) */
		if (sd->link->idle == 0)
			sd->link->idle = g_idle_add(link_deliver, sd->link);
		return CORE_ERR_AGAIN;
	}
	core_buf_init_growable(&b, GT_FRAME_HEADER_LEN + GT_FRAME_MAX_PAYLOAD);
	g_assert_cmpint(gt_msg_encode(m, &b), ==, CORE_OK);
	g_queue_push_tail(&sd->q, g_bytes_new(core_buf_ptr(&b), core_buf_len(&b)));
	sd->queued += core_buf_len(&b);
	g_byte_array_append(sd->log, &m->type, 1);
	core_buf_free(&b);
	if (sd->link->idle == 0)
		sd->link->idle = g_idle_add(link_deliver, sd->link);
	return CORE_OK;
}

static size_t side_room(void *user)
{
	struct side *sd = user;

	return sd->queued >= LINK_BUDGET ? 0 : LINK_BUDGET - sd->queued;
}

static const struct gt_fwd_hub_ops side_ops = { side_send, side_room, NULL, NULL };

/* Hand a batch of queued frames to the other hub, then let senders refill. */
static void side_deliver(struct side *from)
{
	for (int i = 0; i < 64 && !g_queue_is_empty(&from->q); i++) {
		GBytes *f = g_queue_pop_head(&from->q);
		gsize n;
		const uint8_t *p = g_bytes_get_data(f, &n);
		struct gt_msg m;
		size_t used;

		from->queued -= n;
		from->link->delivered += n;
		g_assert_cmpint(gt_frame_decode(p, n, &m, &used), ==, CORE_OK);
		g_assert_cmpint(gt_fwd_hub_on_message(from->peer->hub, &m), ==, CORE_OK);
		g_bytes_unref(f);
	}
}

static gboolean link_deliver(gpointer data)
{
	struct link *l = data;

	side_deliver(&l->c);
	side_deliver(&l->s);
	gt_fwd_hub_pump(l->c.hub);
	gt_fwd_hub_pump(l->s.hub);
	if (g_queue_is_empty(&l->c.q) && g_queue_is_empty(&l->s.q)) {
		l->idle = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void link_set(struct link *l, bool up)
{
	l->up = up;
	if (!up) { /* everything in flight is lost */
		for (struct side *sd = &l->c; sd != NULL; sd = sd == &l->c ? &l->s : NULL) {
			g_queue_clear_full(&sd->q, (GDestroyNotify)g_bytes_unref);
			sd->queued = 0;
		}
		l->cuts++;
	}
	gt_fwd_hub_set_connected(l->c.hub, up);
	gt_fwd_hub_set_connected(l->s.hub, up);
}

static void link_init(struct link *l)
{
	memset(l, 0, sizeof(*l));
	l->c.link = l->s.link = l;
	l->c.peer = &l->s;
	l->s.peer = &l->c;
	l->c.log = g_byte_array_new();
	l->s.log = g_byte_array_new();
	l->c.hub = gt_fwd_hub_new(true, "client", &side_ops, &l->c);
	l->s.hub = gt_fwd_hub_new(false, "session", &side_ops, &l->s);
	link_set(l, true);
}

static void link_free(struct link *l)
{
	if (l->idle != 0)
		g_source_remove(l->idle);
	gt_fwd_hub_free(l->c.hub);
	gt_fwd_hub_free(l->s.hub);
	for (struct side *sd = &l->c; sd != NULL; sd = sd == &l->c ? &l->s : NULL) {
		g_queue_clear_full(&sd->q, (GDestroyNotify)g_bytes_unref);
		g_byte_array_free(sd->log, TRUE);
	}
}

/* ---- blocking peers on their own threads ---- */

/* Byte i of stream `seed`. */
static uint8_t pattern(uint32_t seed, uint64_t i)
{
	return (uint8_t)((i * 2654435761u + seed * 40503u) >> 11);
}

struct xfer {
	uint32_t out_seed;
	uint64_t out_len;
	GChecksum *in_sum;
	uint64_t in_len;
	int err;
};

/* Send out_len bytes of the pattern and read to EOF, at once, with poll. */
static void xfer_run(int fd, struct xfer *x)
{
	uint8_t buf[65536];
	uint64_t sent = 0;
	bool rd_done = false, wr_done = x->out_len == 0;
	gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

	if (wr_done)
		shutdown(fd, SHUT_WR);
	while ((!rd_done || !wr_done) && g_get_monotonic_time() < deadline) {
		struct pollfd p = { fd, (rd_done ? 0 : POLLIN) | (wr_done ? 0 : POLLOUT), 0 };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		if (!rd_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n < 0) {
				x->err = errno;
				return;
			}
			if (n == 0)
				rd_done = true;
			g_checksum_update(x->in_sum, buf, n);
			x->in_len += (uint64_t)n;
		}
		if (!wr_done && (p.revents & POLLOUT)) {
			size_t n = (size_t)MIN(sizeof(buf), x->out_len - sent);
			ssize_t w;

			for (size_t i = 0; i < n; i++)
				buf[i] = pattern(x->out_seed, sent + i);
			w = write(fd, buf, n);
			if (w < 0) {
				x->err = errno;
				return;
			}
			sent += (uint64_t)w;
			if (sent == x->out_len) {
				shutdown(fd, SHUT_WR);
				wr_done = true;
			}
		}
	}
	if (!rd_done || !wr_done)
		x->err = ETIMEDOUT;
}

static char *pattern_sum(uint32_t seed, uint64_t len)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	uint8_t buf[65536];
	char *s;

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = (size_t)MIN(sizeof(buf), len - off);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(seed, off + i);
		g_checksum_update(c, buf, n);
	}
	s = g_strdup(g_checksum_get_string(c));
	g_checksum_free(c);
	return s;
}

/* A target server: accepts `count` connections, each sends out_len of seed
 * (its index + 1000) and reads to EOF; results in xs[]. */
struct target {
	int lfd;
	uint16_t port;
	unsigned count;
	uint64_t out_len;
	struct xfer *xs;
	GThread *th;
	gint finished; /* set when every connection has ended */
};

static gpointer target_conn(gpointer data)
{
	void **a = data;
	int fd = GPOINTER_TO_INT(a[0]);

	xfer_run(fd, a[1]);
	close(fd);
	g_free(a);
	return NULL;
}

static gpointer target_main(gpointer data)
{
	struct target *t = data;
	GPtrArray *ths = g_ptr_array_new();

	for (unsigned i = 0; i < t->count; i++) {
		struct pollfd p = { t->lfd, POLLIN, 0 };
		void **a;
		int fd;

		if (poll(&p, 1, 30000) <= 0)
			break;
		fd = accept(t->lfd, NULL, NULL);
		if (fd < 0)
			break;
		a = g_new(void *, 2);
		a[0] = GINT_TO_POINTER(fd);
		a[1] = &t->xs[i];
		g_ptr_array_add(ths, g_thread_new("target", target_conn, a));
	}
	for (guint i = 0; i < ths->len; i++)
		g_thread_join(g_ptr_array_index(ths, i));
	g_ptr_array_free(ths, TRUE);
	g_atomic_int_set(&t->finished, 1);
	g_main_context_wakeup(NULL);
	return NULL;
}

static void target_start(struct target *t, unsigned count, uint64_t out_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	t->count = count;
	t->out_len = out_len;
	t->xs = g_new0(struct xfer, count);
	for (unsigned i = 0; i < count; i++) {
		t->xs[i].out_seed = 1000 + i;
		t->xs[i].out_len = out_len;
		t->xs[i].in_sum = g_checksum_new(G_CHECKSUM_SHA256);
	}
	t->lfd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert_cmpint(bind(t->lfd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(t->lfd, 256), ==, 0);
	getsockname(t->lfd, (struct sockaddr *)&a, &al);
	t->port = ntohs(a.sin_port);
	t->th = g_thread_new("target", target_main, t);
}

static void target_join(struct target *t)
{
	g_thread_join(t->th);
	close(t->lfd);
}

static void target_free(struct target *t)
{
	for (unsigned i = 0; i < t->count; i++)
		g_checksum_free(t->xs[i].in_sum);
	g_free(t->xs);
}

/* Clients: count connections to port, each sending out_len of seed i and
 * reading to EOF. */
struct clients {
	uint16_t port;
	unsigned count;
	uint64_t out_len;
	struct xfer *xs;
	GThread **th;
	gint done;
};

struct client_arg {
	struct clients *cs;
	unsigned i;
};

static gpointer client_main(gpointer data)
{
	struct client_arg *a = data;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(a->cs->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		a->cs->xs[a->i].err = errno;
	else
		xfer_run(fd, &a->cs->xs[a->i]);
	close(fd);
	g_atomic_int_inc(&a->cs->done);
	g_free(a);
	g_main_context_wakeup(NULL);
	return NULL;
}

static void clients_start(struct clients *cs, uint16_t port, unsigned count, uint64_t out_len)
{
	cs->port = port;
	cs->count = count;
	cs->out_len = out_len;
	cs->xs = g_new0(struct xfer, count);
	cs->th = g_new0(GThread *, count);
	for (unsigned i = 0; i < count; i++) {
		struct client_arg *a = g_new(struct client_arg, 1);

		cs->xs[i].out_seed = i;
		cs->xs[i].out_len = out_len;
		cs->xs[i].in_sum = g_checksum_new(G_CHECKSUM_SHA256);
		a->cs = cs;
		a->i = i;
		cs->th[i] = g_thread_new("client", client_main, a);
	}
}

/* Run the loop until every client and the target (if any) ended: the hubs
 * must keep running until the last byte reached both ends. Cut the link each
 * time another cut_every bytes crossed it (0: never). */
static void clients_wait(struct clients *cs, struct target *t, struct link *l, uint64_t cut_every)
{
	gint64 deadline = g_get_monotonic_time() + 90 * G_USEC_PER_SEC;
	uint64_t next_cut = l->delivered + cut_every;

	while ((unsigned)g_atomic_int_get(&cs->done) < cs->count ||
	       (t != NULL && !g_atomic_int_get(&t->finished))) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
		if (cut_every > 0 && l->delivered >= next_cut) {
			link_set(l, false);
			for (int i = 0; i < 20; i++) /* 20 ms down */
				g_main_context_iteration(NULL, FALSE), g_usleep(1000);
			link_set(l, true);
			next_cut = l->delivered + cut_every;
		}
		if (!g_main_context_pending(NULL))
			g_usleep(200);
	}
	for (unsigned i = 0; i < cs->count; i++)
		g_thread_join(cs->th[i]);
}

static void clients_free(struct clients *cs)
{
	for (unsigned i = 0; i < cs->count; i++)
		g_checksum_free(cs->xs[i].in_sum);
	g_free(cs->xs);
	g_free(cs->th);
}

/* Both ends of each connection got exactly the other's bytes. */
static void check_streams(struct clients *cs, struct target *t)
{
	for (unsigned i = 0; i < cs->count; i++) {
		g_autofree char *want_up = pattern_sum(i, cs->out_len);
		bool found = false;

		g_assert_cmpint(cs->xs[i].err, ==, 0);
		g_assert_cmpuint(cs->xs[i].in_len, ==, t->out_len);
		/* the target's i-th accept is not necessarily client i: match by sum */
		for (unsigned j = 0; j < t->count && !found; j++)
			found = strcmp(g_checksum_get_string(t->xs[j].in_sum), want_up) == 0;
		g_assert_true(found);
	}
	for (unsigned j = 0; j < t->count; j++) {
		g_autofree char *want_down = pattern_sum(1000 + j, t->out_len);
		bool found = false;

		g_assert_cmpint(t->xs[j].err, ==, 0);
		for (unsigned i = 0; i < cs->count && !found; i++)
			found = strcmp(g_checksum_get_string(cs->xs[i].in_sum), want_down) == 0;
		g_assert_true(found);
	}
}

static struct gt_fwd_spec spec_to(char dir, uint16_t port, uint16_t target_port)
{
	struct gt_fwd_spec s = { .dir = (enum gt_fwd_dir)dir,
				 .port = port,
				 .host_port = target_port };

	g_strlcpy(s.host, "127.0.0.1", sizeof(s.host));
	return s;
}

static void wait_channels_zero(struct link *l)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (gt_fwd_hub_n_channels(l->c.hub) + gt_fwd_hub_n_channels(l->s.hub) > 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
}

/* -L: 12 MiB up and 12 MiB down through one connection, the link cut every 3 MiB. */
static void test_local_through_cuts(void)
{
	struct link l;
	struct target t = { 0 };
	struct clients cs = { 0 };
	struct gt_fwd_spec spec;
	g_autoptr(GError) err = NULL;

	link_init(&l);
	target_start(&t, 1, 12u << 20);
	spec = spec_to('L', 0, t.port);
	g_assert_cmpint(gt_fwd_hub_listen_local(l.c.hub, &spec, &err), ==, CORE_OK);
	g_assert_cmpuint(gt_fwd_hub_local_port(l.c.hub, 0), >, 0);
	clients_start(&cs, gt_fwd_hub_local_port(l.c.hub, 0), 1, 12u << 20);
	clients_wait(&cs, &t, &l, 3u << 20);
	target_join(&t);
	check_streams(&cs, &t);
	g_test_message("%u cuts", l.cuts);
	g_assert_cmpuint(l.cuts, >=, 6);
	wait_channels_zero(&l);
	clients_free(&cs);
	target_free(&t);
	link_free(&l);
}

/*
 * A transport that refuses acks and ends now and then (full for a moment):
 * each goes at the next pump. Before, a refused FwdAck was lost: the
 * sender, out of window, waited for it forever.
 */
static void test_acks_refused(void)
{
	struct link l;
	struct target t = { 0 };
	struct clients cs = { 0 };
	struct gt_fwd_spec spec;
	g_autoptr(GError) err = NULL;

	link_init(&l);
	l.c.refuse = l.s.refuse = 40;
	target_start(&t, 1, 6u << 20);
	spec = spec_to('L', 0, t.port);
	g_assert_cmpint(gt_fwd_hub_listen_local(l.c.hub, &spec, &err), ==, CORE_OK);
	clients_start(&cs, gt_fwd_hub_local_port(l.c.hub, 0), 1, 6u << 20);
	clients_wait(&cs, &t, &l, 0);
	target_join(&t);
	check_streams(&cs, &t);
	g_assert_cmpuint(l.c.refuse + l.s.refuse, <, 80);
	wait_channels_zero(&l);
	clients_free(&cs);
	target_free(&t);
	link_free(&l);
}

/* -R: the session listens (port 0: it picks), the client connects to the target. */
static void test_remote_through_cuts(void)
{
	struct link l;
	struct target t = { 0 };
	struct clients cs = { 0 };
	struct gt_fwd_spec spec;
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	link_init(&l);
	target_start(&t, 1, 4u << 20);
	spec = spec_to('R', 0, t.port);
	gt_fwd_hub_request_remote(l.c.hub, &spec);
	while (gt_fwd_hub_remote_port(l.c.hub, 0) == 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	clients_start(&cs, gt_fwd_hub_remote_port(l.c.hub, 0), 1, 4u << 20);
	clients_wait(&cs, &t, &l, 3u << 20);
	target_join(&t);
	check_streams(&cs, &t);
	g_assert_cmpuint(l.cuts, >=, 2);
	wait_channels_zero(&l);
	clients_free(&cs);
	target_free(&t);
	link_free(&l);
}

/* 100 connections at once through one -L, 64 KiB each way each. */
static void test_hundred(void)
{
	struct link l;
	struct target t = { 0 };
	struct clients cs = { 0 };
	struct gt_fwd_spec spec;
	g_autoptr(GError) err = NULL;

	link_init(&l);
	target_start(&t, 100, 64 * 1024);
	spec = spec_to('L', 0, t.port);
	g_assert_cmpint(gt_fwd_hub_listen_local(l.c.hub, &spec, &err), ==, CORE_OK);
	clients_start(&cs, gt_fwd_hub_local_port(l.c.hub, 0), 100, 64 * 1024);
	clients_wait(&cs, &t, &l, 0);
	target_join(&t);
	check_streams(&cs, &t);
	wait_channels_zero(&l);
	clients_free(&cs);
	target_free(&t);
	link_free(&l);
}

/* A refused target closes that one connection; FwdOpenResult says refused. */
static void test_refused(void)
{
	struct link l;
	struct gt_fwd_spec spec;
	g_autoptr(GError) err = NULL;
	struct clients cs = { 0 };
	int dead = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	/* a port nobody listens on: bound, never listening */
	bind(dead, (struct sockaddr *)&a, sizeof(a));
	getsockname(dead, (struct sockaddr *)&a, &al);
	link_init(&l);
	spec = spec_to('L', 0, ntohs(a.sin_port));
	g_assert_cmpint(gt_fwd_hub_listen_local(l.c.hub, &spec, &err), ==, CORE_OK);
	clients_start(&cs, gt_fwd_hub_local_port(l.c.hub, 0), 1, 1000);
	clients_wait(&cs, NULL, &l, 0);
	g_assert_cmpuint(cs.xs[0].in_len, ==, 0); /* closed without a byte */
	g_assert_nonnull(memchr(l.s.log->data, GT_MSG_FWD_OPEN_RESULT, l.s.log->len));
	wait_channels_zero(&l);
	close(dead);
	clients_free(&cs);
	link_free(&l);
}

/* A session that opens a connection the client never asked for is refused. */
static void test_unrequested(void)
{
	struct link l;
	struct gt_msg m = { .type = GT_MSG_FWD_OPEN };

	link_init(&l);
	m.u.fwd_open.chan = 2;
	m.u.fwd_open.listen_id = 9;
	g_assert_cmpint(gt_fwd_hub_on_message(l.c.hub, &m), ==, CORE_OK);
	g_assert_cmpuint(gt_fwd_hub_n_channels(l.c.hub), ==, 0);
	g_assert_cmpuint(l.c.log->len, ==, 1);
	g_assert_cmpuint(l.c.log->data[0], ==, GT_MSG_FWD_OPEN_RESULT);
	/* numbered as the client's own, or a listener request to a client: protocol errors */
	m.u.fwd_open.chan = 3;
	g_assert_cmpint(gt_fwd_hub_on_message(l.c.hub, &m), ==, CORE_ERR_BAD_VALUE);
	m = (struct gt_msg){ .type = GT_MSG_FWD_LISTEN };
	g_assert_cmpint(gt_fwd_hub_on_message(l.c.hub, &m), ==, CORE_ERR_BAD_VALUE);
	link_free(&l);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/goet/fwd-hub/local-through-cuts", test_local_through_cuts);
	g_test_add_func("/goet/fwd-hub/remote-through-cuts", test_remote_through_cuts);
	g_test_add_func("/goet/fwd-hub/hundred", test_hundred);
	g_test_add_func("/goet/fwd-hub/refused", test_refused);
	g_test_add_func("/goet/fwd-hub/unrequested", test_unrequested);
	g_test_add_func("/goet/fwd-hub/acks-refused", test_acks_refused);
	return g_test_run();
}
