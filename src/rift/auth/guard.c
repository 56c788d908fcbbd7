/* guard.c - per-source limits on wrong tokens (contract in guard.h). */
#include "rift/auth/guard.h"

#include <glib.h>

/*
 * A bucket as a theoretical arrival time (GCRA): each failure pushes tat one
 * interval further; a source may try while tat is less than burst intervals
 * ahead of now. Integer microseconds: no rounding at the edges.
 */
struct bucket {
	int64_t tat_us;
};

struct rg_guard {
	int64_t interval_us, burst;
	size_t max;
	GHashTable *sources; /* address -> struct bucket */
};

struct rg_guard *rg_guard_new(unsigned burst, unsigned per_minute, size_t max_sources)
{
	struct rg_guard *g = g_new0(struct rg_guard, 1);

	g->burst = burst != 0 ? burst : RG_GUARD_BURST;
	g->interval_us = 60 * G_USEC_PER_SEC / (per_minute != 0 ? per_minute : RG_GUARD_PER_MINUTE);
	g->max = max_sources != 0 ? max_sources : RG_GUARD_MAX_SOURCES;
	g->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return g;
}

void rg_guard_free(struct rg_guard *g)
{
	if (g == NULL)
		return;
	g_hash_table_unref(g->sources);
	g_free(g);
}

bool rg_guard_allow(struct rg_guard *g, const char *source, int64_t now_us, unsigned *retry_after_s)
{
	struct bucket *b = g_hash_table_lookup(g->sources, source);
	int64_t wait;

	*retry_after_s = 0;
	if (b == NULL)
		return true;
	wait = b->tat_us - now_us - (g->burst - 1) * g->interval_us;
	if (wait <= 0)
		return true;
	*retry_after_s = (unsigned)((wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
	return false;
}

/* Make room for one more source: a full bucket goes first, else the stalest. */
static void evict(struct rg_guard *g, int64_t now_us)
{
	GHashTableIter it;
	gpointer k, v;
	const char *stalest = NULL;
	int64_t oldest = INT64_MAX;

	g_hash_table_iter_init(&it, g->sources);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct bucket *b = v;

		if (b->tat_us <= now_us) {
			g_hash_table_iter_remove(&it);
			return;
		}
		if (b->tat_us < oldest) {
			oldest = b->tat_us;
			stalest = k;
		}
	}
	if (stalest != NULL)
		g_hash_table_remove(g->sources, stalest);
}

void rg_guard_fail(struct rg_guard *g, const char *source, int64_t now_us)
{
	struct bucket *b = g_hash_table_lookup(g->sources, source);

	if (b == NULL) {
		if (g_hash_table_size(g->sources) >= g->max)
			evict(g, now_us);
		b = g_new0(struct bucket, 1);
		g_hash_table_insert(g->sources, g_strdup(source), b);
	}
	/* never more than a full burst of debt: guessing on does not dig deeper */
	b->tat_us =
		MIN(MAX(b->tat_us, now_us) + g->interval_us, now_us + g->burst * g->interval_us);
}

size_t rg_guard_size(const struct rg_guard *g)
{
	return g_hash_table_size(g->sources);
}
