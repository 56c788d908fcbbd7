/*
 * Fuzz target: the replay buffer against a simple model. The input is a
 * sequence of operations (store or replay) on a buffer with a small byte
 * limit; after every step the buffer must agree with the model: count within
 * the slots, bytes within the limit unless only one entry is left, the newest
 * entry equal to the last store, and replay(n) exactly the surviving entries
 * with seq > n, oldest first.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "goet/catchup.h"

#define MODEL_MAX 4096 /* more stores than any input can make */

struct model_entry {
	uint64_t seq;
	size_t len;
	uint8_t fill;
};

struct model {
	struct model_entry e[MODEL_MAX];
	size_t head, count; /* live entries are e[head .. head+count) */
	size_t bytes, max_bytes, slots;
};

static void model_store(struct model *m, uint64_t seq, size_t len, uint8_t fill)
{
	while (m->count > 0 && m->bytes + len > m->max_bytes) {
		m->bytes -= m->e[m->head].len;
		m->head++;
		m->count--;
	}
	if (m->count == m->slots) {
		m->bytes -= m->e[m->head].len;
		m->head++;
		m->count--;
	}
	m->e[m->head + m->count] = (struct model_entry){ seq, len, fill };
	m->count++;
	m->bytes += len;
}

/* How many live model entries have seq > after. */
static size_t model_count_after(const struct model *m, uint64_t after)
{
	size_t n = 0;

	for (size_t i = 0; i < m->count; i++)
		n += m->e[m->head + i].seq > after;
	return n;
}

struct replay_check {
	const struct model *m;
	uint64_t after;
	size_t next; /* index into the model's live entries */
};

/* The model entry with index >= from whose seq > after, or count if none. */
static size_t model_next(const struct model *m, uint64_t after, size_t from)
{
	while (from < m->count && m->e[m->head + from].seq <= after)
		from++;
	return from;
}

static bool replay_cb(const struct gt_catchup_entry *e, void *data)
{
	struct replay_check *rc = data;
	const struct model_entry *me;

	rc->next = model_next(rc->m, rc->after, rc->next);
	if (rc->next >= rc->m->count)
		abort();
	me = &rc->m->e[rc->m->head + rc->next];
	if (e->seq != me->seq || e->len != me->len)
		abort();
	for (size_t i = 0; i < e->len; i++)
		if (e->bytes[i] != me->fill)
			abort();
	rc->next++;
	return true;
}

/* Compare buffer and model after a step. */
static void check(const struct gt_catchup *c, const struct model *m)
{
	struct gt_catchup_entry e;

	if (gt_catchup_count(c) != m->count || gt_catchup_bytes(c) != m->bytes)
		abort();
	if (m->count > gt_catchup_slots(c))
		abort();
	if (m->count > 1 && m->bytes > m->max_bytes)
		abort();
	if (m->count == 0) {
		if (gt_catchup_oldest_seq(c) != 0 || gt_catchup_newest_seq(c) != 0)
			abort();
		return;
	}
	if (gt_catchup_oldest_seq(c) != m->e[m->head].seq ||
	    gt_catchup_newest_seq(c) != m->e[m->head + m->count - 1].seq)
		abort();
	if (gt_catchup_get(c, m->count - 1, &e) != 0 || e.len != m->e[m->head + m->count - 1].len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct gt_catchup *c;
	uint64_t seq = 0;
	uint8_t buf[300];

	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	m.max_bytes = 64 + (size_t)data[0] * 4; /* 64..1084 bytes */
	c = gt_catchup_new((int64_t)m.max_bytes);
	m.slots = gt_catchup_slots(c);
	for (size_t i = 1; i + 1 < size && i / 2 < MODEL_MAX; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];

		if (op & 1) {
			/* replay after a seq near the newest */
			struct replay_check rc = { &m, seq > arg % 16 ? seq - arg % 16 : 0, 0 };
			bool gap;
			size_t n = gt_catchup_replay(c, rc.after, replay_cb, &rc, &gap);

			if (n != model_count_after(&m, rc.after))
				abort();
		} else {
			/* store: op selects a seq jump (mostly +1, sometimes a restart at 1) */
			size_t len = (size_t)arg * ((op >> 1) & 3);
			uint8_t fill = (uint8_t)(op ^ arg);

			seq = (op & 0xf0) == 0xf0 ? 1 : seq + 1;
			if (len > sizeof(buf))
				len = sizeof(buf);
			memset(buf, fill, len);
			gt_catchup_store(c, seq, buf, len);
			model_store(&m, seq, len, fill);
		}
		check(c, &m);
	}
	gt_catchup_free(c);
	return 0;
}
