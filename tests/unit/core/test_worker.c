/*
 * Unit tests for core/worker on a real GMainContext: jobs run on the
 * worker thread in order, their dones on the loop thread in the same order
 * and in bounded batches; a slow job never stalls the loop; a synchronous
 * call waits for the jobs before it; free delivers what is left.
 */
#include <glib.h>
#include <unistd.h>

#include "core/worker.h"

#define LIMIT_US (10 * G_USEC_PER_SEC)

struct ctx {
	GThread *loop_thread;
	GThread *worker_thread; /* seen by the first run */
	GArray *ran;		/* indices, appended on the worker */
	GArray *delivered;	/* indices, appended on the loop */
	unsigned slow_ms;	/* each run sleeps this long */
};

struct job {
	struct ctx *c;
	unsigned index;
};

static void job_run(void *ctxp, void *p)
{
	struct ctx *c = ctxp;
	struct job *j = p;

	g_assert_true(g_thread_self() != c->loop_thread);
	if (c->worker_thread == NULL)
		c->worker_thread = g_thread_self();
	g_assert_true(g_thread_self() == c->worker_thread);
	if (c->slow_ms > 0)
		g_usleep(c->slow_ms * 1000);
	g_array_append_val(c->ran, j->index);
}

static void job_done(void *p)
{
	struct job *j = p;

	g_assert_true(g_thread_self() == j->c->loop_thread);
	g_array_append_val(j->c->delivered, j->index);
	g_free(j);
}

static void push(struct core_worker *w, struct ctx *c, unsigned index)
{
	struct job *j = g_new0(struct job, 1);

	j->c = c;
	j->index = index;
	core_worker_push(w, job_run, job_done, j);
}

static void ctx_init(struct ctx *c)
{
	*c = (struct ctx){ .loop_thread = g_thread_self() };
	c->ran = g_array_new(FALSE, FALSE, sizeof(unsigned));
	c->delivered = g_array_new(FALSE, FALSE, sizeof(unsigned));
}

static void ctx_clear(struct ctx *c)
{
	g_array_free(c->ran, TRUE);
	g_array_free(c->delivered, TRUE);
}

/* Iterate the default context until n dones arrived (bounded). */
static void wait_delivered(struct ctx *c, unsigned n)
{
	gint64 until = g_get_monotonic_time() + LIMIT_US;

	while (c->delivered->len < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, until);
		g_main_context_iteration(NULL, TRUE);
	}
}

static void noop(void *ctxp, void *p)
{
}

/* A thousand jobs: run on the worker, in order; done on the loop, in order. */
static void test_order(void)
{
	struct ctx c;
	struct core_worker *w;

	ctx_init(&c);
	w = core_worker_new("test-worker", &c);
	for (unsigned i = 0; i < 1000; i++)
		push(w, &c, i);
	/* nothing is delivered from inside push: only from the loop */
	g_assert_cmpuint(c.delivered->len, ==, 0);
	g_assert_cmpuint(core_worker_pending(w), ==, 1000);
	wait_delivered(&c, 1000);
	g_assert_cmpuint(core_worker_pending(w), ==, 0);
	for (unsigned i = 0; i < 1000; i++) {
		g_assert_cmpuint(g_array_index(c.ran, unsigned, i), ==, i);
		g_assert_cmpuint(g_array_index(c.delivered, unsigned, i), ==, i);
	}
	core_worker_free(w);
	ctx_clear(&c);
}

/* Finished jobs come back at most CORE_WORKER_BATCH per dispatch. */
static void test_batches(void)
{
	struct ctx c;
	struct core_worker *w;
	unsigned n = 3 * CORE_WORKER_BATCH + 5, before;

	ctx_init(&c);
	w = core_worker_new("test-worker", &c);
	for (unsigned i = 0; i < n; i++)
		push(w, &c, i);
	core_worker_call(w, noop, NULL); /* every job above has run */
	g_assert_cmpuint(c.ran->len, ==, n);
	while (c.delivered->len < n) {
		before = c.delivered->len;
		g_main_context_iteration(NULL, TRUE);
		g_assert_cmpuint(c.delivered->len - before, <=, CORE_WORKER_BATCH);
	}
	g_assert_cmpuint(c.delivered->len, ==, n);
	core_worker_free(w);
	ctx_clear(&c);
}

static gboolean tick(gpointer p)
{
	(*(unsigned *)p)++;
	return G_SOURCE_CONTINUE;
}

/* A job of 300 ms: the loop keeps its 10 ms timer going meanwhile. */
static void test_slow_job_loop_runs(void)
{
	struct ctx c;
	struct core_worker *w;
	unsigned ticks = 0;
	guint t;

	ctx_init(&c);
	c.slow_ms = 300;
	w = core_worker_new("test-worker", &c);
	t = g_timeout_add(10, tick, &ticks);
	push(w, &c, 7);
	wait_delivered(&c, 1);
	g_source_remove(t);
	/* 300 ms of ticks every 10 ms: far more than a stalled loop's one or two */
	g_assert_cmpuint(ticks, >=, 10);
	core_worker_free(w);
	ctx_clear(&c);
}

static void record_call(void *ctxp, void *p)
{
	struct ctx *c = ctxp;

	*(unsigned *)p = c->ran->len;
	g_assert_true(g_thread_self() != c->loop_thread);
}

/* core_worker_call runs after what was pushed before it and returns with its result. */
static void test_call(void)
{
	struct ctx c;
	struct core_worker *w;
	unsigned seen = 0;

	ctx_init(&c);
	c.slow_ms = 20;
	w = core_worker_new("test-worker", &c);
	for (unsigned i = 0; i < 5; i++)
		push(w, &c, i);
	core_worker_call(w, record_call, &seen);
	g_assert_cmpuint(seen, ==, 5);
	g_assert_cmpuint(c.delivered->len, ==, 0); /* dones wait for the loop */
	wait_delivered(&c, 5);
	core_worker_free(w);
	ctx_clear(&c);
}

/* Free runs what is queued and delivers every done before it returns. */
static void test_free_delivers(void)
{
	struct ctx c;
	struct core_worker *w;

	ctx_init(&c);
	c.slow_ms = 5;
	w = core_worker_new("test-worker", &c);
	for (unsigned i = 0; i < 20; i++)
		push(w, &c, i);
	core_worker_push(w, noop, NULL, NULL); /* done may be NULL */
	core_worker_free(w);
	g_assert_cmpuint(c.ran->len, ==, 20);
	g_assert_cmpuint(c.delivered->len, ==, 20);
	for (unsigned i = 0; i < 20; i++)
		g_assert_cmpuint(g_array_index(c.delivered, unsigned, i), ==, i);
	/* and nothing of it is left on the context */
	g_assert_false(g_main_context_iteration(NULL, FALSE));
	ctx_clear(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/worker/order", test_order);
	g_test_add_func("/worker/batches", test_batches);
	g_test_add_func("/worker/slow-job-loop-runs", test_slow_job_loop_runs);
	g_test_add_func("/worker/call", test_call);
	g_test_add_func("/worker/free-delivers", test_free_delivers);
	return g_test_run();
}
