/* Unit tests for core/glue on a real GMainLoop: fd watches, signals, deferred free. */
#include <glib.h>
#include <stdbool.h>
#include <signal.h>
#include <unistd.h>

#include "core/glue.h"

struct ctx {
	GMainLoop *loop;
	int fired;
	GIOCondition cond;
	char got[16];
};

/* Read from fd into c->got (a string), note cond, count the call; keep watching. */
static gboolean on_drain(int fd, GIOCondition cond, void *data)
{
	struct ctx *c = data;
	ssize_t n = read(fd, c->got, sizeof(c->got) - 1);

	c->got[n > 0 ? n : 0] = '\0';
	c->cond = cond;
	c->fired++;
	return G_SOURCE_CONTINUE;
}

/* on_drain once: then quit c->loop and remove the watch. */
static gboolean on_readable(int fd, GIOCondition cond, void *data)
{
	struct ctx *c = data;

	on_drain(fd, cond, c);
	g_main_loop_quit(c->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_timeout_fail(gpointer data)
{
	g_error("test timed out");
	return G_SOURCE_REMOVE;
}

static void test_fd_watch(void)
{
	struct ctx c = { .loop = g_main_loop_new(NULL, FALSE) };
	int p[2];
	guint id, guard;

	g_assert_cmpint(pipe(p), ==, 0);
	id = core_fd_watch_add(p[0], G_IO_IN, on_readable, &c);
	g_assert_cmpuint(id, !=, 0);
	g_assert_cmpint(write(p[1], "hello", 5), ==, 5);
	guard = g_timeout_add_seconds(5, on_timeout_fail, NULL);
	g_main_loop_run(c.loop);
	g_source_remove(guard);
	g_assert_cmpint(c.fired, ==, 1);
	g_assert_true(c.cond & G_IO_IN);
	g_assert_cmpstr(c.got, ==, "hello");
	close(p[0]);
	close(p[1]);
	g_main_loop_unref(c.loop);
}

static gboolean on_writable(int fd, GIOCondition cond, void *data)
{
	struct ctx *c = data;

	c->cond = cond;
	c->fired++;
	g_main_loop_quit(c->loop);
	return G_SOURCE_CONTINUE;
}

static void test_fd_watch_set_and_clear(void)
{
	struct ctx c = { .loop = g_main_loop_new(NULL, FALSE) };
	int p[2];
	guint id, guard;

	g_assert_cmpint(pipe(p), ==, 0);
	/* a watch for no conditions never fires */
	id = core_fd_watch_add(p[1], 0, on_writable, &c);
	g_assert_false(g_main_context_iteration(NULL, FALSE));
	g_assert_cmpint(c.fired, ==, 0);
	/* switch the watch on: the write end is writable */
	core_fd_watch_set(id, G_IO_OUT);
	guard = g_timeout_add_seconds(5, on_timeout_fail, NULL);
	g_main_loop_run(c.loop);
	g_source_remove(guard);
	g_assert_cmpint(c.fired, ==, 1);
	g_assert_true(c.cond & G_IO_OUT);
	core_source_clear(&id);
	g_assert_cmpuint(id, ==, 0);
	core_source_clear(&id); /* safe on 0 */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(c.fired, ==, 1);
	close(p[0]);
	close(p[1]);
	g_main_loop_unref(c.loop);
}

/* True when the thread-default loop would wake now (its wakeup or a watch ready). */
static bool loop_would_wake(void)
{
	GMainContext *ctx = g_main_context_default();
	GPollFD fds[16];
	gint prio, timeout, n;
	bool woke = false;

	g_assert_true(g_main_context_acquire(ctx));
	g_main_context_prepare(ctx, &prio);
	n = g_main_context_query(ctx, prio, &timeout, fds, G_N_ELEMENTS(fds));
	g_assert_cmpint(n, <=, (gint)G_N_ELEMENTS(fds));
	woke = g_poll(fds, (guint)n, 0) > 0;
	g_main_context_check(ctx, prio, fds, n);
	g_main_context_dispatch(ctx);
	g_main_context_release(ctx);
	return woke;
}

/*
 * Setting a watch's conditions does not wake the loop, to the same or to new
 * ones: GLib signals its wakeup on every change (an eventfd write and a spare
 * poll), and the PTY and stdin watches are set on every pump, the client's
 * terminal watch at every full terminal. A change takes effect all the same.
 */
static void test_fd_watch_set_quiet(void)
{
	struct ctx c = { .loop = g_main_loop_new(NULL, FALSE) };
	int p[2];
	guint id;

	g_assert_cmpint(pipe(p), ==, 0);
	id = core_fd_watch_add(p[0], G_IO_IN, on_readable, &c);
	while (loop_would_wake())
		;
	for (int i = 0; i < 3; i++)
		core_fd_watch_set(id, G_IO_IN);
	g_assert_false(loop_would_wake());
	core_fd_watch_set(id, 0);
	g_assert_false(loop_would_wake()); /* a change wakes nobody either */
	g_assert_cmpint(write(p[1], "x", 1), ==, 1);
	g_assert_false(loop_would_wake()); /* not watched */
	core_fd_watch_set(id, G_IO_IN);
	while (c.fired == 0)
		g_assert_true(loop_would_wake());
	g_assert_cmpstr(c.got, ==, "x");
	close(p[0]);
	close(p[1]);
	g_main_loop_unref(c.loop);
}

/*
 * Dispatching a watch does not wake the loop again: GLib blocks a source
 * while it dispatches unless it may recurse, and blocking and unblocking
 * each signal the loop's wakeup (two eventfd writes and a spare poll).
 */
static void test_fd_watch_dispatch_quiet(void)
{
	struct ctx c = { 0 };
	int p[2];
	guint id;

	g_assert_cmpint(pipe(p), ==, 0);
	id = core_fd_watch_add(p[0], G_IO_IN, on_drain, &c);
	while (loop_would_wake())
		;
	for (int i = 0; i < 3; i++) {
		g_assert_cmpint(write(p[1], "y", 1), ==, 1);
		g_assert_true(loop_would_wake()); /* the watch: dispatched */
		g_assert_cmpint(c.fired, ==, i + 1);
		g_assert_false(loop_would_wake()); /* nothing left to wake for */
	}
	core_source_clear(&id);
	close(p[0]);
	close(p[1]);
}

static gboolean on_signal(gpointer data)
{
	struct ctx *c = data;

	c->fired++;
	g_main_loop_quit(c->loop);
	return G_SOURCE_CONTINUE;
}

static void test_signal(void)
{
	struct ctx c = { .loop = g_main_loop_new(NULL, FALSE) };
	guint id = core_signal_add(SIGUSR1, on_signal, &c), guard;

	raise(SIGUSR1);
	guard = g_timeout_add_seconds(5, on_timeout_fail, NULL);
	g_main_loop_run(c.loop);
	g_source_remove(guard);
	g_assert_cmpint(c.fired, ==, 1);
	core_source_clear(&id);
	g_main_loop_unref(c.loop);
}

static gboolean on_once(gpointer data)
{
	struct ctx *c = data;

	c->fired++;
	g_main_loop_quit(c->loop);
	return G_SOURCE_CONTINUE; /* ignored: one-shot */
}

static void test_timer_once(void)
{
	struct ctx c = { .loop = g_main_loop_new(NULL, FALSE) };
	gint64 t0 = g_get_monotonic_time();

	core_timer_once(20, on_once, &c);
	g_main_loop_run(c.loop);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 20000);
	/* it does not fire again */
	g_usleep(30000);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(c.fired, ==, 1);
	g_main_loop_unref(c.loop);
}

struct obj {
	int *freed;
	int *order;
	int id;
};

static void obj_free(gpointer p)
{
	struct obj *o = p;

	*o->order = *o->order * 10 + o->id;
	(*o->freed)++;
	g_free(o);
}

struct defer_ctx {
	GMainLoop *loop;
	int freed;
	int order;
	int freed_inside_callback;
};

static gboolean defer_cb(gpointer data)
{
	struct defer_ctx *d = data;

	for (int i = 1; i <= 3; i++) {
		struct obj *o = g_new(struct obj, 1);

		*o = (struct obj){ &d->freed, &d->order, i };
		core_defer_free(o, obj_free);
	}
	core_defer_free(NULL, obj_free); /* ignored */
	d->freed_inside_callback = d->freed;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

static void test_defer_free(void)
{
	struct defer_ctx d = { .loop = g_main_loop_new(NULL, FALSE) };

	g_idle_add(defer_cb, &d);
	g_main_loop_run(d.loop);
	g_assert_cmpint(d.freed_inside_callback, ==, 0); /* not under the caller's feet */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(d.freed, ==, 3);
	g_assert_cmpint(d.order, ==, 123); /* in call order */
	g_assert_cmpuint(core_defer_flush(), ==, 0);
	g_main_loop_unref(d.loop);
}

static void test_defer_flush(void)
{
	int freed = 0, order = 0;
	struct obj *o = g_new(struct obj, 1);

	*o = (struct obj){ &freed, &order, 7 };
	core_defer_free(o, obj_free);
	g_assert_cmpuint(core_defer_flush(), ==, 1);
	g_assert_cmpint(freed, ==, 1);
	/* the idle source has nothing left to do */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(freed, ==, 1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/glue/fd-watch", test_fd_watch);
	g_test_add_func("/glue/fd-watch-set-and-clear", test_fd_watch_set_and_clear);
	g_test_add_func("/glue/fd-watch-set-quiet", test_fd_watch_set_quiet);
	g_test_add_func("/glue/fd-watch-dispatch-quiet", test_fd_watch_dispatch_quiet);
	g_test_add_func("/glue/signal", test_signal);
	g_test_add_func("/glue/timer-once", test_timer_once);
	g_test_add_func("/glue/defer-free", test_defer_free);
	g_test_add_func("/glue/defer-flush", test_defer_flush);
	return g_test_run();
}
