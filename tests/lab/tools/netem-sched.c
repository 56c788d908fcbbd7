/* lab_netem_sched: see netem-sched.h. */
#include "netem-sched.h"

#include <stdlib.h>

#include "core/err.h"

#define LAB_NETEM_PPM 1000000u

/* xorshift64*: a seed replays the same sequence; never zero state. */
static uint64_t sched_rand(struct lab_netem_sched *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1DULL;
}

/* splitmix64's finaliser: neighbouring seeds start far apart; never zero. */
static uint64_t sched_mix(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return z != 0 ? z : 1;
}

/* True with probability ppm / 1e6 (and no draw at all when ppm is 0, so
 * adding loss leaves the jitter sequence of a seed unchanged). */
static bool sched_chance(struct lab_netem_sched *s, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return (sched_rand(s) >> 32) % LAB_NETEM_PPM < ppm;
}

int lab_netem_sched_init(struct lab_netem_sched *s, const struct lab_netem_params *p,
			 size_t capacity)
{
	*s = (struct lab_netem_sched){ 0 };
	if (p->jitter_ns > p->delay_ns || p->loss_ppm > LAB_NETEM_PPM ||
	    p->reorder_ppm > LAB_NETEM_PPM || capacity == 0)
		return CORE_ERR_INVALID_ARG;
	s->ring = calloc(capacity, sizeof(*s->ring));
	if (s->ring == NULL)
		return CORE_ERR_NOMEM;
	s->p = *p;
	s->cap = capacity;
	s->rng = sched_mix(p->seed);
	return CORE_OK;
}

void lab_netem_sched_free(struct lab_netem_sched *s)
{
	free(s->ring);
	s->ring = NULL;
	s->cap = s->count = 0;
}

static uint64_t sched_due(struct lab_netem_sched *s, uint64_t now_ns)
{
	uint64_t due = now_ns + s->p.delay_ns;

	if (s->p.jitter_ns > 0) {
		uint64_t span = 2 * s->p.jitter_ns + 1;

		due = due - s->p.jitter_ns + sched_rand(s) % span;
	}
	/* FIFO: never before a packet held earlier */
	if (s->count > 0 && due < s->last_due_ns)
		due = s->last_due_ns;
	return due;
}

enum lab_netem_verdict lab_netem_sched_packet(struct lab_netem_sched *s, uint32_t id,
					      uint64_t now_ns)
{
	uint64_t due;

	s->seen++;
	if (sched_chance(s, s->p.loss_ppm)) {
		s->dropped++;
		return LAB_NETEM_DROP;
	}
	if (s->p.delay_ns == 0)
		return LAB_NETEM_ACCEPT;
	if (sched_chance(s, s->p.reorder_ppm)) {
		if (s->count > 0)
			s->reordered++;
		return LAB_NETEM_ACCEPT;
	}
	if (s->count == s->cap) {
		s->overflowed++;
		return LAB_NETEM_ACCEPT;
	}
	due = sched_due(s, now_ns);
	s->ring[(s->head + s->count) % s->cap] = (struct lab_netem_held){ id, due };
	s->last_due_ns = due;
	if (++s->count > s->max_held)
		s->max_held = s->count;
	return LAB_NETEM_HELD;
}

bool lab_netem_sched_pop_any(struct lab_netem_sched *s, uint32_t *id)
{
	if (s->count == 0)
		return false;
	*id = s->ring[s->head].id;
	s->head = (s->head + 1) % s->cap;
	s->count--;
	return true;
}

bool lab_netem_sched_pop(struct lab_netem_sched *s, uint64_t now_ns, uint32_t *id)
{
	if (s->count == 0 || s->ring[s->head].due_ns > now_ns)
		return false;
	return lab_netem_sched_pop_any(s, id);
}

int64_t lab_netem_sched_wait_ns(const struct lab_netem_sched *s, uint64_t now_ns)
{
	uint64_t due;

	if (s->count == 0)
		return -1;
	due = s->ring[s->head].due_ns;
	return due <= now_ns ? 0 : (int64_t)(due - now_ns);
}
