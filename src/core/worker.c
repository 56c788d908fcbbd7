/*
 * worker.c - one worker thread, jobs in order, completions back to the
 * loop (contract in worker.h).
 *
 * Two GAsyncQueues: the loop pushes to `in`, the thread pops; the thread
 * pushes finished jobs to `out` and wakes the loop by setting the ready
 * time of our GSource (g_source_set_ready_time takes the context's lock:
 * safe from any thread); the source's dispatch drains `out`. The dispatch
 * clears the ready time before it drains, so a completion pushed during
 * the drain either is drained now or sets the ready time again: none is
 * left waiting.
 */
#include "core/worker.h"

struct item {
	core_worker_run_fn run; /* NULL: the thread's last item */
	core_worker_done_fn done;
	void *job;
	bool sync; /* core_worker_call: the caller waits for finished */
	bool finished;
};

struct done_source {
	GSource src;
	struct core_worker *w;
};

struct core_worker {
	void *ctx;
	GThread *thread;
	GAsyncQueue *in, *out;
	GSource *src;
	GMutex lock; /* finished, for core_worker_call */
	GCond cond;
	unsigned pending; /* pushed, done not yet called (loop thread only) */
};

/* On the loop: call the job's done and forget the item. */
static void deliver(struct core_worker *w, struct item *it)
{
	w->pending--;
	if (it->done != NULL)
		it->done(it->job);
	g_free(it);
}

static gboolean done_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct core_worker *w = ((struct done_source *)src)->w;
	struct item *it;

	g_source_set_ready_time(src, -1);
	for (unsigned n = 0; n < CORE_WORKER_BATCH && (it = g_async_queue_try_pop(w->out)); n++)
		deliver(w, it);
	if (g_async_queue_length(w->out) > 0)
		g_source_set_ready_time(src, 0); /* the rest after the loop's other sources */
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs done_funcs = { .dispatch = done_dispatch };

static gpointer worker_main(gpointer p)
{
	struct core_worker *w = p;
	struct item *it;

	while ((it = g_async_queue_pop(w->in))->run != NULL) {
		it->run(w->ctx, it->job);
		if (it->sync) {
			g_mutex_lock(&w->lock);
			it->finished = true;
			g_cond_broadcast(&w->cond);
			g_mutex_unlock(&w->lock);
			continue;
		}
		g_async_queue_push(w->out, it);
		g_source_set_ready_time(w->src, 0);
	}
	g_free(it);
	return NULL;
}

struct core_worker *core_worker_new(const char *name, void *ctx)
{
	struct core_worker *w = g_new0(struct core_worker, 1);

	w->ctx = ctx;
	w->in = g_async_queue_new();
	w->out = g_async_queue_new();
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->src = g_source_new(&done_funcs, sizeof(struct done_source));
	((struct done_source *)w->src)->w = w;
	g_source_set_name(w->src, name);
	g_source_attach(w->src, g_main_context_get_thread_default());
	w->thread = g_thread_new(name, worker_main, w);
	return w;
}

void core_worker_push(struct core_worker *w, core_worker_run_fn run, core_worker_done_fn done,
		      void *job)
{
	struct item *it = g_new0(struct item, 1);

	it->run = run;
	it->done = done;
	it->job = job;
	w->pending++;
	g_async_queue_push(w->in, it);
}

void core_worker_call(struct core_worker *w, core_worker_run_fn run, void *job)
{
	struct item it = { .run = run, .job = job, .sync = true };

	g_async_queue_push(w->in, &it);
	g_mutex_lock(&w->lock);
	while (!it.finished)
		g_cond_wait(&w->cond, &w->lock);
	g_mutex_unlock(&w->lock);
}

unsigned core_worker_pending(const struct core_worker *w)
{
	return w->pending;
}

void core_worker_free(struct core_worker *w)
{
	struct item *it;

	if (w == NULL)
		return;
	g_async_queue_push(w->in, g_new0(struct item, 1)); /* run NULL: the last one */
	g_thread_join(w->thread);
	while ((it = g_async_queue_try_pop(w->out)) != NULL)
		deliver(w, it);
	g_source_destroy(w->src);
	g_source_unref(w->src);
	g_async_queue_unref(w->in);
	g_async_queue_unref(w->out);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	g_free(w);
}
