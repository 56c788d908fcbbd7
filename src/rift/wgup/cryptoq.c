/*
 * cryptoq.c - crypto workers for the runner (contract in cryptoq.h).
 *
 * Batches cycle: free list -> being filled (cur) -> submitted, in `order`
 * by sequence number and in `pending` until a thread claims it -> run by
 * a worker, or by the loop thread itself -> done (an atomic flag) -> handed
 * back in sequence order -> free list.
 *
 * Who runs what: workers take the oldest pending batch, the loop thread
 * (rg_wg_cryptoq_submit's help) the newest, so the two meet in the middle
 * and the oldest, which must go back first, is done first. A worker is
 * woken only when there is more than the loop would do itself (a full
 * batch, or two pending), so a lone small batch never costs a thread
 * switch; a worker wakes the loop only for the batch handed back next.
 *
 * Shared: `pending`, `sleepers`, `stop` and `loop_waiting` under `lock`; a
 * batch's `done` and `next_back` atomically. A batch is the loop's until it
 * is submitted and again once it is done; in between, only the thread that
 * claimed it touches it.
 */
#include "rift/wgup/cryptoq.h"

#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "rift/wg/device.h"

/* A device call takes at most this many jobs: a staged queue and two more. */
#define CALL_JOBS   (RG_WG_MAX_STAGED + 2)
#define MAX_WORKERS 64

struct batch {
	uint64_t seq;
	unsigned n;
	gint done; /* atomic: set by whoever ran it */
	struct rg_wg_crypto jobs[RG_WG_CRYPTOQ_JOBS];
};

struct rg_wg_cryptoq {
	/* shared with the workers */
	GMutex lock;
	GCond work_cond; /* pending is no longer empty, or stop */
	GCond done_cond; /* a batch is done (only while loop_waiting) */
	GQueue pending;	 /* of struct batch, submitted and unclaimed (lock) */
	unsigned sleepers;
	bool stop, loop_waiting;
	gsize next_back; /* the sequence number handed back next (atomic; the loop writes) */
	GMainContext *context;
	/* the loop thread's */
	GThread *threads[MAX_WORKERS];
	unsigned nthreads;
	GSource *source;
	rg_wg_cryptoq_done_fn done;
	rg_wg_cryptoq_ready_fn ready;
	void *data;
	struct batch *all[RG_WG_CRYPTOQ_BATCHES]; /* every batch made */
	unsigned made;
	GPtrArray *free;			    /* of struct batch */
	struct batch *cur;			    /* being filled */
	struct batch *order[RG_WG_CRYPTOQ_BATCHES]; /* submitted, by seq % BATCHES */
	uint64_t next_seq;			    /* to submit */
	unsigned out;				    /* batches taken, not handed back */
};

/* Run batch b and mark it done; wake the loop if it is the one it hands back next. */
static void run_batch(struct rg_wg_cryptoq *q, struct batch *b, bool on_loop)
{
	uint64_t seq = b->seq; /* b is the loop's again as soon as it is done */

	for (unsigned i = 0; i < b->n; i++)
		rg_wg_crypto_run(&b->jobs[i]);
	/*
	 * No wake-up is lost: the loop stores next_back before it looks at
	 * `done` again (the source's check), this stores `done` before it
	 * loads next_back, so one of them sees the other's write.
	 */
	g_atomic_int_set(&b->done, 1);
	if (!on_loop && (gsize)g_atomic_pointer_get(&q->next_back) == (gsize)seq)
		g_main_context_wakeup(q->context);
}

static gpointer worker(gpointer data)
{
	struct rg_wg_cryptoq *q = data;
	struct batch *b;

	g_mutex_lock(&q->lock);
	for (;;) {
		while (g_queue_is_empty(&q->pending) && !q->stop) {
			q->sleepers++;
			g_cond_wait(&q->work_cond, &q->lock);
			q->sleepers--;
		}
		if (q->stop)
			break;
		b = g_queue_pop_head(&q->pending);
		g_mutex_unlock(&q->lock);
		run_batch(q, b, false);
		g_mutex_lock(&q->lock);
		if (q->loop_waiting)
			g_cond_broadcast(&q->done_cond);
	}
	g_mutex_unlock(&q->lock);
	return NULL;
}

/* The batch handed back next, if it is done. */
static struct batch *head_done(const struct rg_wg_cryptoq *q)
{
	struct batch *b = q->order[q->next_back % RG_WG_CRYPTOQ_BATCHES];

	return b != NULL && b->seq == q->next_back && g_atomic_int_get(&b->done) ? b : NULL;
}

/* The source: ready when the batch to hand back next is done. */
static gboolean src_prepare(GSource *s, gint *timeout)
{
	*timeout = -1;
	return head_done(*(struct rg_wg_cryptoq **)(s + 1)) != NULL;
}

static gboolean src_check(GSource *s)
{
	return head_done(*(struct rg_wg_cryptoq **)(s + 1)) != NULL;
}

static gboolean src_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	struct rg_wg_cryptoq *q = *(struct rg_wg_cryptoq **)(s + 1);

	q->ready(q->data);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs src_funcs = { src_prepare, src_check, src_dispatch, NULL, NULL, NULL };

int rg_wg_cryptoq_new(struct rg_wg_cryptoq **out, unsigned workers, GMainContext *context,
		      rg_wg_cryptoq_done_fn done, rg_wg_cryptoq_ready_fn ready, void *data,
		      GError **error)
{
	struct rg_wg_cryptoq *q = g_new0(struct rg_wg_cryptoq, 1);
	GError *e = NULL;

	*out = NULL;
	g_mutex_init(&q->lock);
	g_cond_init(&q->work_cond);
	g_cond_init(&q->done_cond);
	g_queue_init(&q->pending);
	q->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
	q->done = done;
	q->ready = ready;
	q->data = data;
	q->free = g_ptr_array_new();
	for (unsigned i = 0; i < MIN(MAX(workers, 1u), (unsigned)MAX_WORKERS); i++) {
		q->threads[i] = g_thread_try_new("rg-crypto", worker, q, &e);
		if (q->threads[i] == NULL) {
			core_err_to_gerror(error, CORE_ERR_SYSTEM, "cannot start crypto thread: %s",
					   e->message);
			g_error_free(e);
			rg_wg_cryptoq_free(q);
			return CORE_ERR_SYSTEM;
		}
		q->nthreads++;
	}
	q->source = g_source_new(&src_funcs, sizeof(GSource) + sizeof(q));
	*(struct rg_wg_cryptoq **)(q->source + 1) = q;
	g_source_attach(q->source, q->context);
	*out = q;
	return CORE_OK;
}

void rg_wg_cryptoq_free(struct rg_wg_cryptoq *q)
{
	if (q == NULL)
		return;
	g_mutex_lock(&q->lock);
	q->stop = true; /* what is pending is dropped */
	g_cond_broadcast(&q->work_cond);
	g_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->nthreads; i++)
		g_thread_join(q->threads[i]);
	if (q->source != NULL) {
		g_source_destroy(q->source);
		g_source_unref(q->source);
	}
	for (unsigned i = 0; i < q->made; i++) {
		core_wipe(q->all[i], sizeof(*q->all[i]));
		g_free(q->all[i]);
	}
	g_queue_clear(&q->pending);
	g_ptr_array_unref(q->free);
	g_main_context_unref(q->context);
	g_mutex_clear(&q->lock);
	g_cond_clear(&q->work_cond);
	g_cond_clear(&q->done_cond);
	g_free(q);
}

/* A batch to fill: a free one, a new one, or NULL when all are out. */
static struct batch *take(struct rg_wg_cryptoq *q)
{
	struct batch *b = NULL;

	if (q->free->len > 0)
		b = g_ptr_array_steal_index_fast(q->free, q->free->len - 1);
	else if (q->made < RG_WG_CRYPTOQ_BATCHES)
		b = q->all[q->made++] = g_new(struct batch, 1);
	if (b == NULL)
		return NULL;
	b->n = 0;
	q->out++;
	return b;
}

struct rg_wg_crypto *rg_wg_cryptoq_job(struct rg_wg_cryptoq *q)
{
	if (q->cur != NULL && q->cur->n == RG_WG_CRYPTOQ_JOBS)
		rg_wg_cryptoq_submit(q);
	if (q->cur == NULL && (q->cur = take(q)) == NULL)
		return NULL;
	return &q->cur->jobs[q->cur->n++];
}

void rg_wg_cryptoq_submit(struct rg_wg_cryptoq *q)
{
	struct batch *b = q->cur;
	bool full;

	if (b == NULL || b->n == 0)
		return;
	q->cur = NULL;
	b->seq = q->next_seq++;
	b->done = 0;
	q->order[b->seq % RG_WG_CRYPTOQ_BATCHES] = b;
	if (q->out == 1 && b->n <= RG_WG_CRYPTOQ_INLINE) {
		/* nothing else in flight: no order to keep, no thread to wake */
		run_batch(q, b, true);
		return;
	}
	full = b->n == RG_WG_CRYPTOQ_JOBS;
	g_mutex_lock(&q->lock);
	g_queue_push_tail(&q->pending, b);
	/* more than the loop will do itself when it helps: a worker's turn */
	if (q->sleepers > 0 && (full || q->pending.length > 1))
		g_cond_signal(&q->work_cond);
	g_mutex_unlock(&q->lock);
}

void rg_wg_cryptoq_help(struct rg_wg_cryptoq *q)
{
	struct batch *b;

	for (;;) {
		g_mutex_lock(&q->lock);
		b = g_queue_pop_tail(&q->pending);
		g_mutex_unlock(&q->lock);
		if (b == NULL)
			return;
		run_batch(q, b, true);
	}
}

/* Hand back batch b's jobs and free it. */
static void give_back(struct rg_wg_cryptoq *q, struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		q->done(q->data, &b->jobs[i]);
		core_wipe(b->jobs[i].key, sizeof(b->jobs[i].key));
	}
	b->n = 0;
	g_ptr_array_add(q->free, b);
	q->out--;
}

unsigned rg_wg_cryptoq_drain(struct rg_wg_cryptoq *q)
{
	struct batch *b;
	unsigned n = 0;

	while ((b = head_done(q)) != NULL) {
		q->order[b->seq % RG_WG_CRYPTOQ_BATCHES] = NULL;
		g_atomic_pointer_set(&q->next_back, q->next_back + 1);
		n += b->n;
		give_back(q, b);
	}
	return n;
}

/* Jobs that fit before every batch is out. */
static unsigned room(const struct rg_wg_cryptoq *q)
{
	unsigned r = (RG_WG_CRYPTOQ_BATCHES - q->out) * RG_WG_CRYPTOQ_JOBS;

	return q->cur != NULL ? r + RG_WG_CRYPTOQ_JOBS - q->cur->n : r;
}

/* Wait until the batch handed back next is done (a worker has it). */
static void wait_head(struct rg_wg_cryptoq *q)
{
	g_mutex_lock(&q->lock);
	q->loop_waiting = true;
	while (q->out > 0 && head_done(q) == NULL)
		g_cond_wait(&q->done_cond, &q->lock);
	q->loop_waiting = false;
	g_mutex_unlock(&q->lock);
}

void rg_wg_cryptoq_make_room(struct rg_wg_cryptoq *q)
{
	while (room(q) < CALL_JOBS) {
		rg_wg_cryptoq_submit(q);
		rg_wg_cryptoq_help(q);
		if (rg_wg_cryptoq_drain(q) == 0)
			wait_head(q);
	}
}

unsigned rg_wg_cryptoq_in_flight(const struct rg_wg_cryptoq *q)
{
	return q->out;
}
