/*
 * Integration tests for rift/ice/turnbridge: real sockets on 127.0.0.1.
 * This test plays libnice (it dials the bridge) and the TURN server (the
 * openers connect to the test's listener over plain TCP), so every byte
 * and every close can be watched from both ends:
 *  - bytes cross both ways byte-exact, at the same time;
 *  - back-pressure: a libnice that stops reading stops the server's
 *    writes after a bounded amount, which then all arrives;
 *  - either side closing closes the other;
 *  - a server that cannot be reached, or not in time, is logged with the
 *    bridge's name and why; the connection toward libnice is held (not
 *    closed) until libnice closes it, or the hold is over;
 *  - a freed bridge stops listening, keeps open connections working until
 *    they end or the linger is over, and only then frees its opener;
 *  - connections past the maximum are refused.
 */
#include <gio/gio.h>
#include <stdbool.h>
#include <string.h>

#include "../capture.h"
#include "../loop.h"
#include "../sock.h"
#include "core/err.h"
#include "rift/ice/turnbridge.h"

/* Bytes written while the reader does not read, at most; far above every kernel buffer. */
#define STALL_CAP (64u << 20)
#define STALL_MS  300 /* no write got through for this long: stalled */

/* The test's TURN "server": where the openers connect. */
struct upstream {
	guint16 port; /* 0: the "never" opener (opens complete only when cancelled) */
	unsigned opens;
	bool freed; /* ctx_free was called */
};

static void on_connected(GObject *client, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	GError *e = NULL;
	GSocketConnection *c = g_socket_client_connect_finish(G_SOCKET_CLIENT(client), res, &e);

	if (c != NULL)
		g_task_return_pointer(task, c, g_object_unref);
	else
		g_task_return_error(task, e);
	g_object_unref(task);
}

static void on_cancelled(GCancellable *cancel, gpointer data)
{
	g_task_return_new_error(data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

static void up_open_async(void *ctx, GCancellable *cancel, GAsyncReadyCallback done, gpointer data)
{
	struct upstream *u = ctx;
	GTask *task = g_task_new(NULL, cancel, done, data);
	GSocketClient *client;

	u->opens++;
	if (u->port == 0) {
		/* completes from inside the cancel, the hardest case for the bridge */
		g_cancellable_connect(cancel, G_CALLBACK(on_cancelled), task, g_object_unref);
		return;
	}
	client = g_socket_client_new();
	g_socket_client_connect_to_host_async(client, "127.0.0.1", u->port, cancel, on_connected,
					      task);
	g_object_unref(client);
}

static GIOStream *up_open_finish(void *ctx, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static void up_free(void *ctx)
{
	struct upstream *u = ctx;

	g_assert_false(u->freed);
	u->freed = true;
}

static struct rg_turn_bridge *bridge_new(struct upstream *u)
{
	struct rg_turn_bridge_opener op = { up_open_async, up_open_finish, u, up_free };
	struct rg_turn_bridge *b = NULL;
	GError *e = NULL;

	g_assert_cmpint(rg_turn_bridge_new(&b, "turns:test", &op, NULL, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpuint(rg_turn_bridge_port(b), >, 0);
	return b;
}

static struct rg_turn_bridge_stats stats_of(const struct rg_turn_bridge *b)
{
	struct rg_turn_bridge_stats st;

	rg_turn_bridge_get_stats(b, &st);
	return st;
}

/* One end of a connection, written and read with the byte pattern, checked as it comes. */
struct end {
	GSocket *s;
	guint64 sent, got;
	bool eof;
};

static uint8_t pattern(guint64 off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

/* Write up to len more pattern bytes, as many as go without blocking; the count written. */
static gssize end_send(struct end *e, guint64 len)
{
	uint8_t buf[8192];
	gssize n;
	size_t want = (size_t)MIN(len, sizeof(buf));

	for (size_t i = 0; i < want; i++)
		buf[i] = pattern(e->sent + i);
	n = g_socket_send(e->s, (const gchar *)buf, want, NULL, NULL);
	if (n > 0)
		e->sent += (guint64)n;
	return n;
}

/* Read what has arrived, asserting the pattern; true (for use in a condition). */
static bool end_recv(struct end *e)
{
	uint8_t buf[8192];
	gssize n;

	while ((n = g_socket_receive(e->s, (gchar *)buf, sizeof(buf), NULL, NULL)) > 0) {
		for (gssize i = 0; i < n; i++)
			g_assert_cmpuint(buf[i], ==, pattern(e->got + (guint64)i));
		e->got += (guint64)n;
	}
	if (n == 0)
		e->eof = true;
	return true;
}

/* The test's side of the server: accept what the opener dialed. */
static GSocket *server_accept(GSocket *l)
{
	GSocket *s = NULL;

	ITEST_RUN_UNTIL((s = s != NULL ? s : g_socket_accept(l, NULL, NULL)) != NULL, 5);
	g_socket_set_blocking(s, FALSE);
	return s;
}

/* libnice dials the bridge, the bridge dials the server: both ends, connected. */
static void connect_through(struct rg_turn_bridge *b, GSocket *l, struct end *nice, struct end *srv)
{
	nice->s = itest_dial_tcp(rg_turn_bridge_port(b));
	g_assert_nonnull(nice->s);
	srv->s = server_accept(l);
	ITEST_RUN_UNTIL(stats_of(b).opened == stats_of(b).accepted, 5);
}

static void end_close(struct end *e)
{
	g_clear_object(&e->s);
}

/* Run the loop a while and make sure e sees no end of its connection meanwhile. */
static void assert_open_for(struct end *e, unsigned ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < until) {
		g_main_context_iteration(NULL, FALSE);
		end_recv(e);
		g_assert_false(e->eof);
		g_usleep(1000);
	}
}

/* Nothing listens on port. */
static bool refused(guint16 port)
{
	GSocket *s = itest_dial_tcp(port);

	bool none = s == NULL;

	g_clear_object(&s);
	return none;
}

static void bridge_gone(struct rg_turn_bridge *b, struct upstream *u)
{
	rg_turn_bridge_free(b);
	ITEST_RUN_UNTIL(u->freed, RG_TURN_BRIDGE_LINGER_MS / 1000 + 5);
}

/*
 * A server that writes while libnice reads nothing is stopped within a
 * bounded amount (the bridge holds at most a chunk per direction; the rest
 * is kernel buffers), and everything it wrote arrives, in order; then a
 * few MiB go both ways at once.
 */
static void test_pipe(void)
{
	struct upstream u = { 0 };
	GSocket *l = itest_listen_tcp(&u.port);
	struct rg_turn_bridge *b = bridge_new(&u);
	struct end nice = { 0 }, srv = { 0 };
	gint64 stalled = 0;
	const guint64 both = 3u << 20;

	connect_through(b, l, &nice, &srv);
	while (srv.sent < STALL_CAP) {
		gint64 now = g_get_monotonic_time();

		if (end_send(&srv, STALL_CAP - srv.sent) > 0) {
			stalled = 0;
			continue;
		}
		if (stalled == 0)
			stalled = now;
		else if (now - stalled > STALL_MS * 1000)
			break;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	g_test_message("the server stalled after %" G_GUINT64_FORMAT " bytes", srv.sent);
	g_assert_cmpuint(srv.sent, <, STALL_CAP);
	g_assert_cmpuint(stats_of(b).to_client, <=, srv.sent);
	ITEST_RUN_UNTIL(end_recv(&nice) && nice.got == srv.sent, 10);
	/* both ways at once */
	srv.sent = srv.got = nice.sent = nice.got = 0;
	ITEST_RUN_UNTIL((end_send(&srv, both - srv.sent), end_send(&nice, both - nice.sent),
			 end_recv(&srv), end_recv(&nice)) &&
				srv.got == both && nice.got == both,
			20);
	ITEST_RUN_UNTIL(stats_of(b).to_server == both, 5); /* counted once the write is done */
	g_assert_false(nice.eof || srv.eof);
	end_close(&nice);
	ITEST_RUN_UNTIL(end_recv(&srv) && srv.eof, 5);
	end_close(&srv);
	ITEST_RUN_UNTIL(stats_of(b).active == 0, 5);
	g_assert_cmpuint(stats_of(b).failed, ==, 0);
	bridge_gone(b, &u);
	g_object_unref(l);
}

/* The server ending an answered connection ends libnice's too. */
static void test_server_closes(void)
{
	struct upstream u = { 0 };
	GSocket *l = itest_listen_tcp(&u.port);
	struct rg_turn_bridge *b = bridge_new(&u);
	struct end nice = { 0 }, srv = { 0 };

	connect_through(b, l, &nice, &srv);
	g_assert_cmpint(end_send(&srv, 100), ==, 100);
	ITEST_RUN_UNTIL(end_recv(&nice) && nice.got == 100, 5);
	end_close(&srv);
	ITEST_RUN_UNTIL(end_recv(&nice) && nice.eof, 5);
	ITEST_RUN_UNTIL(stats_of(b).active == 0, 5);
	end_close(&nice);
	bridge_gone(b, &u);
	g_object_unref(l);
}

/*
 * A server that cannot be reached: logged with the bridge's name and why;
 * libnice's connection is held (its bytes dropped) until libnice closes it.
 * A server that hangs up without having answered is held the same way.
 */
static void test_unreachable(void)
{
	struct upstream u = { 0 };
	GSocket *l = itest_listen_tcp(&u.port);
	struct rg_turn_bridge *b;
	struct end nice = { 0 }, srv = { 0 };
	char *path, *log;
	int fd;

	g_object_unref(l); /* nobody listens there now */
	b = bridge_new(&u);
	fd = itest_log_begin(&path);
	nice.s = itest_dial_tcp(rg_turn_bridge_port(b));
	ITEST_RUN_UNTIL(stats_of(b).failed == 1, 5);
	log = itest_log_end(fd, path);
	g_assert_nonnull(strstr(log, "WARN  [turn turns:test] connection 1: "));
	g_assert_nonnull(strstr(log, "refused"));
	g_assert_cmpint(end_send(&nice, 1000), ==, 1000);
	assert_open_for(&nice, 500);
	g_assert_cmpuint(stats_of(b).active, ==, 1);
	end_close(&nice);
	ITEST_RUN_UNTIL(stats_of(b).active == 0, 5);
	g_free(log);
	bridge_gone(b, &u);

	/* the server hangs up at once */
	l = itest_listen_tcp(&u.port);
	u.freed = false;
	b = bridge_new(&u);
	connect_through(b, l, &nice, &srv);
	end_close(&srv);
	assert_open_for(&nice, 500);
	g_assert_cmpuint(stats_of(b).active, ==, 1);
	end_close(&nice);
	ITEST_RUN_UNTIL(stats_of(b).active == 0, 5);
	bridge_gone(b, &u);
	g_object_unref(l);
}

/* An open that takes too long is given up (logged), and the connection held. */
static void test_open_timeout(void)
{
	struct upstream u = { 0 }; /* opens never complete */
	struct rg_turn_bridge *b = bridge_new(&u);
	struct end nice = { 0 };
	gint64 t0 = g_get_monotonic_time();
	char *path, *log;
	int fd;

	fd = itest_log_begin(&path);
	nice.s = itest_dial_tcp(rg_turn_bridge_port(b));
	ITEST_RUN_UNTIL(stats_of(b).failed == 1, RG_TURN_BRIDGE_OPEN_MS / 1000 + 3);
	log = itest_log_end(fd, path);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, RG_TURN_BRIDGE_OPEN_MS * 1000);
	g_assert_nonnull(strstr(log, "connection 1: no connection to the server in time"));
	assert_open_for(&nice, 200);
	/* a lost bridge ends what it holds */
	rg_turn_bridge_free(b);
	ITEST_RUN_UNTIL(end_recv(&nice) && nice.eof && u.freed, 5);
	end_close(&nice);
	g_free(log);
}

/*
 * A freed bridge listens no more and drops opens in progress, but an open
 * connection still carries bytes both ways until it ends; the opener goes
 * with the last connection.
 */
static void test_lost(void)
{
	struct upstream u = { 0 }, never = { 0 };
	GSocket *l = itest_listen_tcp(&u.port);
	struct rg_turn_bridge *b = bridge_new(&u), *nb = bridge_new(&never);
	struct end nice = { 0 }, srv = { 0 }, opening = { 0 };
	guint16 port = rg_turn_bridge_port(b);

	connect_through(b, l, &nice, &srv);
	opening.s = itest_dial_tcp(rg_turn_bridge_port(nb));
	ITEST_RUN_UNTIL(never.opens == 1, 5);
	rg_turn_bridge_free(b);
	rg_turn_bridge_free(nb);
	g_assert_false(u.freed);
	/* the open in progress is dropped, its connection closed */
	ITEST_RUN_UNTIL(end_recv(&opening) && opening.eof && never.freed, 5);
	end_close(&opening);
	/* no more connections; the open one still works */
	ITEST_RUN_UNTIL(refused(port), 5);
	g_assert_cmpint(end_send(&nice, 5000), ==, 5000);
	g_assert_cmpint(end_send(&srv, 7000), ==, 7000);
	ITEST_RUN_UNTIL(end_recv(&nice) && end_recv(&srv) && nice.got == 7000 && srv.got == 5000,
			5);
	g_assert_false(u.freed);
	end_close(&nice);
	ITEST_RUN_UNTIL(end_recv(&srv) && srv.eof && u.freed, 5);
	end_close(&srv);
	g_object_unref(l);
}

/*
 * The time limits, side by side: a connection still open when the linger
 * is over is closed on both sides (then the bridge goes); one held for a
 * server that never answered is closed when the hold is over.
 */
static void test_limits(void)
{
	struct upstream u = { 0 }, gone = { 0 };
	GSocket *l = itest_listen_tcp(&u.port), *dead = itest_listen_tcp(&gone.port);
	struct rg_turn_bridge *b = bridge_new(&u), *hb;
	struct end nice = { 0 }, srv = { 0 }, held = { 0 };
	gint64 t0;

	g_object_unref(dead);
	hb = bridge_new(&gone);
	connect_through(b, l, &nice, &srv);
	held.s = itest_dial_tcp(rg_turn_bridge_port(hb));
	ITEST_RUN_UNTIL(stats_of(hb).failed == 1, 5);
	t0 = g_get_monotonic_time();
	rg_turn_bridge_free(b);
	ITEST_RUN_UNTIL(end_recv(&nice) && end_recv(&srv) && end_recv(&held) && nice.eof &&
				srv.eof && held.eof && u.freed,
			MAX(RG_TURN_BRIDGE_LINGER_MS, RG_TURN_BRIDGE_HOLD_MS) / 1000 + 5);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=,
			MIN(RG_TURN_BRIDGE_LINGER_MS, RG_TURN_BRIDGE_HOLD_MS) * 1000 - 500000);
	end_close(&nice);
	end_close(&srv);
	end_close(&held);
	bridge_gone(hb, &gone);
	g_object_unref(l);
}

/* Past RG_TURN_BRIDGE_MAX_CONNS, connections are refused (closed at once) and logged. */
static void test_max_conns(void)
{
	struct upstream u = { 0 }; /* opens never complete: every connection stays */
	struct rg_turn_bridge *b = bridge_new(&u);
	struct end nice[RG_TURN_BRIDGE_MAX_CONNS + 1] = { 0 };
	char *path, *log;
	int fd;

	for (unsigned i = 0; i < RG_TURN_BRIDGE_MAX_CONNS; i++) {
		/* one at a time: a blocking connect waits while the listen backlog is full */
		nice[i].s = itest_dial_tcp(rg_turn_bridge_port(b));
		ITEST_RUN_UNTIL(stats_of(b).accepted == i + 1, 5);
	}
	fd = itest_log_begin(&path);
	nice[RG_TURN_BRIDGE_MAX_CONNS].s = itest_dial_tcp(rg_turn_bridge_port(b));
	ITEST_RUN_UNTIL(
		end_recv(&nice[RG_TURN_BRIDGE_MAX_CONNS]) && nice[RG_TURN_BRIDGE_MAX_CONNS].eof, 5);
	log = itest_log_end(fd, path);
	g_assert_nonnull(strstr(log, "refused a connection: 32 are open"));
	g_assert_cmpuint(stats_of(b).accepted, ==, RG_TURN_BRIDGE_MAX_CONNS);
	bridge_gone(b, &u);
	for (unsigned i = 0; i <= RG_TURN_BRIDGE_MAX_CONNS; i++)
		end_close(&nice[i]);
	g_free(log);
}

/* A bridge freed with nothing open goes from the loop, not under its caller's feet. */
static void test_free_idle(void)
{
	struct upstream u = { 0 };
	struct rg_turn_bridge *b = bridge_new(&u);

	rg_turn_bridge_free(b);
	g_assert_false(u.freed);
	ITEST_RUN_UNTIL(u.freed, 5);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/turn-bridge/pipe", test_pipe);
	g_test_add_func("/turn-bridge/server-closes", test_server_closes);
	g_test_add_func("/turn-bridge/unreachable", test_unreachable);
	g_test_add_func("/turn-bridge/open-timeout", test_open_timeout);
	g_test_add_func("/turn-bridge/lost", test_lost);
	g_test_add_func("/turn-bridge/limits", test_limits);
	g_test_add_func("/turn-bridge/max-conns", test_max_conns);
	g_test_add_func("/turn-bridge/free-idle", test_free_idle);
	return g_test_run();
}
