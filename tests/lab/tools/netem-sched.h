/*
 * lab_netem_sched: what the lab's delay/loss tool (tests/lab/tools/netem.c)
 * does with each packet, without I/O or a clock: the caller passes the time.
 *
 * A packet is dropped with probability loss; otherwise, with probability
 * reorder, it is released at once (passing the packets held before it, as
 * netem's reorder does); otherwise it is held until now + delay + a uniform
 * jitter in [-jitter, +jitter], but never released before a packet that
 * arrived earlier and was held (so jitter alone never reorders: a TCP flow
 * sees varying delay, not a storm of duplicate ACKs). Random draws come from
 * a seeded xorshift64* generator, so a seed replays the same decisions.
 *
 * Ownership: the caller owns struct lab_netem_sched; lab_netem_sched_init
 * allocates the ring of held packets, lab_netem_sched_free releases it.
 * Not thread-safe: one thread drives one scheduler.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Probabilities are parts per million (1 % = 10000). */
struct lab_netem_params {
	uint64_t delay_ns;
	uint64_t jitter_ns; /* at most delay_ns: a packet is never due before it arrived */
	uint32_t loss_ppm;
	uint32_t reorder_ppm;
	uint64_t seed;
};

enum lab_netem_verdict {
	LAB_NETEM_DROP,
	LAB_NETEM_ACCEPT, /* release now */
	LAB_NETEM_HELD,	  /* queued; lab_netem_sched_pop releases it when due */
};

struct lab_netem_held {
	uint32_t id;
	uint64_t due_ns;
};

struct lab_netem_sched {
	struct lab_netem_params p;
	uint64_t rng;
	struct lab_netem_held *ring;
	size_t cap, head, count;
	uint64_t last_due_ns;
	/* counters for the summary */
	uint64_t seen, dropped, reordered, overflowed;
	size_t max_held;
};

/*
 * Checks the parameters and allocates room for capacity held packets.
 * Returns CORE_OK, CORE_ERR_INVALID_ARG (jitter above delay, a probability
 * above 1000000, or a capacity of 0) or CORE_ERR_NOMEM.
 */
int lab_netem_sched_init(struct lab_netem_sched *s, const struct lab_netem_params *p,
			 size_t capacity);
void lab_netem_sched_free(struct lab_netem_sched *s);

/*
 * Decides for packet id arriving at now_ns. When the ring is full the packet
 * is accepted at once (counted in overflowed) rather than lost.
 */
enum lab_netem_verdict lab_netem_sched_packet(struct lab_netem_sched *s, uint32_t id,
					      uint64_t now_ns);

/* Takes the oldest held packet if it is due at now_ns; false when none is. */
bool lab_netem_sched_pop(struct lab_netem_sched *s, uint64_t now_ns, uint32_t *id);

/* Takes the oldest held packet whether due or not (for release at exit). */
bool lab_netem_sched_pop_any(struct lab_netem_sched *s, uint32_t *id);

/* Nanoseconds from now_ns until the oldest held packet is due (0 if it
 * already is); -1 when nothing is held. */
int64_t lab_netem_sched_wait_ns(const struct lab_netem_sched *s, uint64_t now_ns);
