/* catchup.c - replay ring buffer (contract in catchup.h). */
#include "goet/catchup.h"

#include <glib.h>
#include <string.h>

#include "core/err.h"

struct gt_catchup {
	struct gt_catchup_entry *ring; /* slots entries; bytes owned */
	size_t slots;
	size_t head; /* index of the oldest entry */
	size_t count;
	size_t bytes; /* payload bytes stored */
	size_t max_bytes;
};

struct gt_catchup *gt_catchup_new(int64_t max_bytes)
{
	struct gt_catchup *c = g_new0(struct gt_catchup, 1);
	int64_t slots;

	if (max_bytes <= 0)
		max_bytes = GT_CATCHUP_DEFAULT_BYTES;
	slots = max_bytes / 1024;
	if (slots > GT_CATCHUP_MAX_SLOTS)
		slots = GT_CATCHUP_MAX_SLOTS;
	if (slots < GT_CATCHUP_MIN_SLOTS)
		slots = GT_CATCHUP_MIN_SLOTS;
	c->max_bytes = (size_t)max_bytes;
	c->slots = (size_t)slots;
	c->ring = g_new0(struct gt_catchup_entry, c->slots);
	return c;
}

/* Drop the oldest entry. */
static void catchup_evict(struct gt_catchup *c)
{
	struct gt_catchup_entry *e = &c->ring[c->head];

	c->bytes -= e->len;
	g_free((void *)e->bytes);
	memset(e, 0, sizeof(*e));
	c->head = (c->head + 1) % c->slots;
	c->count--;
}

void gt_catchup_free(struct gt_catchup *c)
{
	if (c == NULL)
		return;
	while (c->count > 0)
		catchup_evict(c);
	g_free(c->ring);
	g_free(c);
}

int gt_catchup_store(struct gt_catchup *c, uint64_t seq, const void *p, size_t n)
{
	struct gt_catchup_entry *e;

	while (c->count > 0 && c->bytes + n > c->max_bytes)
		catchup_evict(c);
	if (c->count == c->slots)
		catchup_evict(c);
	e = &c->ring[(c->head + c->count) % c->slots];
	e->seq = seq;
	e->len = n;
	e->bytes = n > 0 ? g_memdup2(p, n) : NULL;
	c->bytes += n;
	c->count++;
	return CORE_OK;
}

size_t gt_catchup_max_bytes(const struct gt_catchup *c)
{
	return c->max_bytes;
}

size_t gt_catchup_slots(const struct gt_catchup *c)
{
	return c->slots;
}

size_t gt_catchup_count(const struct gt_catchup *c)
{
	return c->count;
}

size_t gt_catchup_bytes(const struct gt_catchup *c)
{
	return c->bytes;
}

uint64_t gt_catchup_oldest_seq(const struct gt_catchup *c)
{
	return c->count > 0 ? c->ring[c->head].seq : 0;
}

uint64_t gt_catchup_newest_seq(const struct gt_catchup *c)
{
	return c->count > 0 ? c->ring[(c->head + c->count - 1) % c->slots].seq : 0;
}

int gt_catchup_get(const struct gt_catchup *c, size_t i, struct gt_catchup_entry *e)
{
	if (i >= c->count)
		return CORE_ERR_NOT_FOUND;
	*e = c->ring[(c->head + i) % c->slots];
	return CORE_OK;
}

size_t gt_catchup_replay(const struct gt_catchup *c, uint64_t after, gt_catchup_replay_fn fn,
			 void *data, bool *gap)
{
	size_t sent = 0;
	bool found_next = false, later = false;

	for (size_t i = 0; i < c->count; i++) {
		const struct gt_catchup_entry *e = &c->ring[(c->head + i) % c->slots];

		if (e->seq <= after)
			continue;
		later = true;
		if (e->seq == after + 1)
			found_next = true;
		if (!fn(e, data))
			break;
		sent++;
	}
	if (gap != NULL)
		*gap = later && !found_next && gt_catchup_oldest_seq(c) > after + 1;
	return sent;
}
