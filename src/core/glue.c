/* glue.c - GLib main-loop helpers (contract in glue.h). */
#include "core/glue.h"

struct defer_item {
	void *obj;
	GDestroyNotify fn;
};

struct timer_once {
	GSourceFunc fn;
	void *data;
};

static GArray *defer_queue; /* of struct defer_item */
static guint defer_source;

/* Find a source by id on the thread-default context (or the global default). */
static GSource *glue_find(guint id)
{
	GMainContext *ctx = g_main_context_get_thread_default();

	return g_main_context_find_source_by_id(ctx != NULL ? ctx : g_main_context_default(), id);
}

/*
 * An fd source whose conditions can change, built so that GLib adds no
 * wake-ups of its own (eventfd writes, spare polls) for it:
 * - The GPollFD is ours (g_source_add_poll), so a change of conditions is a
 *   store that the loop's next poll picks up: g_source_modify_unix_fd woke
 *   the loop through its eventfd (a write, a spare poll and a read) on every
 *   change, and the client's terminal watch changes at every full terminal
 *   in bulk output.
 * - It can recurse: GLib blocks a source that cannot while it dispatches,
 *   taking its fds out of the poll set and putting them back, and each step
 *   wakes the loop (two eventfd writes and a spare poll per dispatch, four
 *   on a keystroke's way through the session). Our callbacks never iterate
 *   the loop (glue.h), so there is nothing to block.
 */
struct fd_source {
	GSource base;
	GPollFD pfd;
};

/* Check: ready when poll saw a wanted condition (GLib masks revents by events). */
static gboolean fd_source_check(GSource *src)
{
	return ((struct fd_source *)src)->pfd.revents != 0;
}

/* Dispatch: hand the ready conditions to the core_fd_func callback. */
static gboolean fd_source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct fd_source *fs = (struct fd_source *)src;
	core_fd_func fn = (core_fd_func)(void *)cb;
	GIOCondition cond = (GIOCondition)fs->pfd.revents;

	fs->pfd.revents = 0;
	if (fn == NULL)
		return G_SOURCE_REMOVE;
	return fn(fs->pfd.fd, cond, data);
}

static const char fd_source_name[] = "core-fd";

static GSourceFuncs fd_source_funcs = {
	.check = fd_source_check,
	.dispatch = fd_source_dispatch,
};

guint core_fd_watch_add(int fd, GIOCondition cond, core_fd_func fn, void *data)
{
	GSource *src = g_source_new(&fd_source_funcs, sizeof(struct fd_source));
	struct fd_source *fs = (struct fd_source *)src;
	guint id;

	g_source_set_static_name(src, fd_source_name);
	fs->pfd.fd = fd;
	fs->pfd.events = (gushort)cond;
	g_source_add_poll(src, &fs->pfd);
	g_source_set_callback(src, (GSourceFunc)(void *)fn, data, NULL);
	g_source_set_can_recurse(src, TRUE); /* never blocked: why at struct fd_source */
	id = g_source_attach(src, g_main_context_get_thread_default());
	g_source_unref(src);
	return id;
}

void core_fd_watch_set(guint id, GIOCondition cond)
{
	GSource *src = id != 0 ? glue_find(id) : NULL;

	if (src == NULL || g_source_get_name(src) != fd_source_name)
		return;
	((struct fd_source *)src)->pfd.events = (gushort)cond; /* the next poll's */
}

void core_source_clear(guint *id)
{
	GSource *src;

	if (*id == 0)
		return;
	src = glue_find(*id);
	if (src != NULL)
		g_source_destroy(src);
	*id = 0;
}

guint core_signal_add(int signum, GSourceFunc fn, void *data)
{
	GSource *src = g_unix_signal_source_new(signum);
	guint id;

	g_source_set_callback(src, fn, data, NULL);
	id = g_source_attach(src, g_main_context_get_thread_default());
	g_source_unref(src);
	return id;
}

/* Run a one-shot timer's callback and drop it. */
static gboolean timer_once_fire(gpointer p)
{
	struct timer_once *t = p;

	t->fn(t->data);
	return G_SOURCE_REMOVE;
}

guint core_timer_once(unsigned ms, GSourceFunc fn, void *data)
{
	GSource *src = g_timeout_source_new(ms);
	struct timer_once *t = g_new(struct timer_once, 1);
	guint id;

	t->fn = fn;
	t->data = data;
	g_source_set_callback(src, timer_once_fire, t, g_free);
	id = g_source_attach(src, g_main_context_get_thread_default());
	g_source_unref(src);
	return id;
}

unsigned core_defer_flush(void)
{
	unsigned n = 0;

	/* frees may queue more frees: loop until the queue stays empty */
	while (defer_queue != NULL && defer_queue->len > 0) {
		GArray *q = defer_queue;

		defer_queue = NULL;
		for (guint i = 0; i < q->len; i++) {
			struct defer_item *it = &g_array_index(q, struct defer_item, i);

			it->fn(it->obj);
			n++;
		}
		g_array_free(q, TRUE);
	}
	return n;
}

/* Idle callback: free the queue once the current dispatch has returned. */
static gboolean defer_idle(gpointer unused)
{
	defer_source = 0;
	core_defer_flush();
	return G_SOURCE_REMOVE;
}

void core_defer_free(void *obj, GDestroyNotify fn)
{
	struct defer_item it = { obj, fn };

	if (obj == NULL)
		return;
	if (defer_queue == NULL)
		defer_queue = g_array_new(FALSE, FALSE, sizeof(struct defer_item));
	g_array_append_val(defer_queue, it);
	if (defer_source == 0) {
		GSource *src = g_idle_source_new();

		g_source_set_priority(src, G_PRIORITY_HIGH_IDLE);
		g_source_set_callback(src, defer_idle, NULL, NULL);
		defer_source = g_source_attach(src, g_main_context_get_thread_default());
		g_source_unref(src);
	}
}
