/*
 * Unit tests for tests/lab/tools/netem-sched: the lab delay tool's decisions
 * with a clock the test moves: exact due times, FIFO under jitter, loss and
 * reordering rates, replay by seed, a full ring, and the parameter checks.
 */
#include <glib.h>

#include "core/err.h"
#include "netem-sched.h"

#define MS 1000000ULL

static void sched_init(struct lab_netem_sched *s, struct lab_netem_params p, size_t cap)
{
	g_assert_cmpint(lab_netem_sched_init(s, &p, cap), ==, CORE_OK);
}

static void test_params(void)
{
	struct lab_netem_sched s;

	g_assert_cmpint(
		lab_netem_sched_init(
			&s, &(struct lab_netem_params){ .delay_ns = MS, .jitter_ns = MS + 1 }, 8),
		==, CORE_ERR_INVALID_ARG);
	g_assert_cmpint(
		lab_netem_sched_init(&s, &(struct lab_netem_params){ .loss_ppm = 1000001 }, 8), ==,
		CORE_ERR_INVALID_ARG);
	g_assert_cmpint(
		lab_netem_sched_init(&s, &(struct lab_netem_params){ .reorder_ppm = 1000001 }, 8),
		==, CORE_ERR_INVALID_ARG);
	g_assert_cmpint(lab_netem_sched_init(&s, &(struct lab_netem_params){ 0 }, 0), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(
		lab_netem_sched_init(
			&s, &(struct lab_netem_params){ .delay_ns = MS, .jitter_ns = MS }, 1),
		==, CORE_OK);
	lab_netem_sched_free(&s);
}

static void test_no_delay(void)
{
	struct lab_netem_sched s;

	sched_init(&s, (struct lab_netem_params){ 0 }, 4);
	for (uint32_t i = 0; i < 10; i++)
		g_assert_cmpint(lab_netem_sched_packet(&s, i, 1000), ==, LAB_NETEM_ACCEPT);
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 1000), ==, -1);
	g_assert_cmpuint(s.seen, ==, 10);
	g_assert_cmpuint(s.dropped, ==, 0);
	lab_netem_sched_free(&s);
}

/* Fixed delay: each packet is due exactly delay after it arrived, in order. */
static void test_delay_exact(void)
{
	struct lab_netem_sched s;
	uint32_t id;

	sched_init(&s, (struct lab_netem_params){ .delay_ns = 25 * MS }, 16);
	g_assert_cmpint(lab_netem_sched_packet(&s, 7, 100 * MS), ==, LAB_NETEM_HELD);
	g_assert_cmpint(lab_netem_sched_packet(&s, 8, 110 * MS), ==, LAB_NETEM_HELD);
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 100 * MS), ==, 25 * MS);
	g_assert_false(lab_netem_sched_pop(&s, 125 * MS - 1, &id));
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 125 * MS - 1), ==, 1);
	g_assert_true(lab_netem_sched_pop(&s, 125 * MS, &id));
	g_assert_cmpuint(id, ==, 7);
	g_assert_false(lab_netem_sched_pop(&s, 125 * MS, &id));
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 125 * MS), ==, 10 * MS);
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 200 * MS), ==, 0);
	g_assert_true(lab_netem_sched_pop(&s, 200 * MS, &id));
	g_assert_cmpuint(id, ==, 8);
	g_assert_cmpint(lab_netem_sched_wait_ns(&s, 200 * MS), ==, -1);
	g_assert_cmpuint(s.max_held, ==, 2);
	lab_netem_sched_free(&s);
}

/*
 * Jitter: delays spread over [delay - jitter, delay + jitter] (both halves
 * seen), yet packets leave in arrival order and never before they are due.
 */
static void test_jitter_fifo(void)
{
	struct lab_netem_sched s;
	uint64_t min_d = UINT64_MAX, max_d = 0, t = 0;
	uint32_t id, next = 0;
	const uint32_t n = 20000;

	sched_init(
		&s,
		(struct lab_netem_params){ .delay_ns = 50 * MS, .jitter_ns = 10 * MS, .seed = 3 },
		n);
	for (uint32_t i = 0; i < n; i++, t += MS / 10)
		g_assert_cmpint(lab_netem_sched_packet(&s, i, t), ==, LAB_NETEM_HELD);
	/* widely spaced packets show the spread itself */
	for (uint32_t i = 0; i < 200; i++) {
		struct lab_netem_sched w;
		uint64_t at = 1000 * MS;
		int64_t d;

		sched_init(&w,
			   (struct lab_netem_params){
				   .delay_ns = 50 * MS, .jitter_ns = 10 * MS, .seed = i },
			   1);
		lab_netem_sched_packet(&w, 0, at);
		d = lab_netem_sched_wait_ns(&w, at);
		min_d = MIN(min_d, (uint64_t)d);
		max_d = MAX(max_d, (uint64_t)d);
		lab_netem_sched_free(&w);
	}
	g_assert_cmpuint(min_d, >=, 40 * MS);
	g_assert_cmpuint(max_d, <=, 60 * MS);
	g_assert_cmpuint(min_d, <, 45 * MS);
	g_assert_cmpuint(max_d, >, 55 * MS);
	/* drain with a clock moving in 1 ms steps: order kept, none early */
	for (t = 0; s.count > 0; t += MS) {
		while (lab_netem_sched_pop(&s, t, &id)) {
			uint64_t arrived = (uint64_t)id * (MS / 10);

			g_assert_cmpuint(id, ==, next);
			g_assert_cmpuint(t, >=, arrived + 40 * MS);
			next++;
		}
		g_assert_cmpuint(t, <, 3000 * MS);
	}
	g_assert_cmpuint(next, ==, n);
	lab_netem_sched_free(&s);
}

static uint32_t count_dropped(uint32_t loss_ppm, uint64_t seed, uint32_t n, GString *trace)
{
	struct lab_netem_sched s;
	uint32_t dropped = 0;

	sched_init(&s, (struct lab_netem_params){ .loss_ppm = loss_ppm, .seed = seed }, 1);
	for (uint32_t i = 0; i < n; i++) {
		enum lab_netem_verdict v = lab_netem_sched_packet(&s, i, i);

		g_assert_cmpint(v, !=, LAB_NETEM_HELD);
		dropped += v == LAB_NETEM_DROP;
		if (trace != NULL)
			g_string_append_c(trace, v == LAB_NETEM_DROP ? 'x' : '.');
	}
	g_assert_cmpuint(s.dropped, ==, dropped);
	lab_netem_sched_free(&s);
	return dropped;
}

static void test_loss(void)
{
	g_autoptr(GString) a = g_string_new(NULL);
	g_autoptr(GString) b = g_string_new(NULL);
	g_autoptr(GString) c = g_string_new(NULL);
	uint32_t d;

	g_assert_cmpuint(count_dropped(0, 1, 10000, NULL), ==, 0);
	g_assert_cmpuint(count_dropped(1000000, 1, 10000, NULL), ==, 10000);
	d = count_dropped(10000, 1, 100000, NULL); /* 1 % */
	g_assert_cmpuint(d, >, 800);
	g_assert_cmpuint(d, <, 1200);
	d = count_dropped(250000, 9, 100000, NULL); /* 25 % */
	g_assert_cmpuint(d, >, 24000);
	g_assert_cmpuint(d, <, 26000);
	/* a seed replays its decisions; another seed makes others */
	count_dropped(100000, 42, 2000, a);
	count_dropped(100000, 42, 2000, b);
	count_dropped(100000, 43, 2000, c);
	g_assert_cmpstr(a->str, ==, b->str);
	g_assert_cmpstr(a->str, !=, c->str);
}

/* Reordering: a share skips the held packets; the held ones keep order. */
static void test_reorder(void)
{
	struct lab_netem_sched s;
	uint32_t accepted = 0, id, next_held = 0;
	uint32_t held_ids[1000];
	size_t n_held = 0;

	sched_init(
		&s,
		(struct lab_netem_params){ .delay_ns = 10 * MS, .reorder_ppm = 200000, .seed = 5 },
		1000);
	for (uint32_t i = 0; i < 1000; i++) {
		enum lab_netem_verdict v = lab_netem_sched_packet(&s, i, i * 1000ULL);

		if (v == LAB_NETEM_ACCEPT)
			accepted++;
		else
			held_ids[n_held++] = i;
	}
	g_assert_cmpuint(accepted, >, 150);
	g_assert_cmpuint(accepted, <, 250);
	g_assert_cmpuint(s.reordered, ==, accepted - (held_ids[0] > 0 ? held_ids[0] : 0));
	while (lab_netem_sched_pop(&s, 100 * MS, &id))
		g_assert_cmpuint(id, ==, held_ids[next_held++]);
	g_assert_cmpuint(next_held, ==, n_held);
	lab_netem_sched_free(&s);
}

/* A full ring lets packets through rather than losing them; exit drains all. */
static void test_overflow_and_drain(void)
{
	struct lab_netem_sched s;
	uint32_t id;

	sched_init(&s, (struct lab_netem_params){ .delay_ns = 1000 * MS }, 2);
	g_assert_cmpint(lab_netem_sched_packet(&s, 1, 0), ==, LAB_NETEM_HELD);
	g_assert_cmpint(lab_netem_sched_packet(&s, 2, 0), ==, LAB_NETEM_HELD);
	g_assert_cmpint(lab_netem_sched_packet(&s, 3, 0), ==, LAB_NETEM_ACCEPT);
	g_assert_cmpuint(s.overflowed, ==, 1);
	g_assert_false(lab_netem_sched_pop(&s, 0, &id));
	g_assert_true(lab_netem_sched_pop_any(&s, &id));
	g_assert_cmpuint(id, ==, 1);
	g_assert_true(lab_netem_sched_pop_any(&s, &id));
	g_assert_cmpuint(id, ==, 2);
	g_assert_false(lab_netem_sched_pop_any(&s, &id));
	/* the ring wraps */
	g_assert_cmpint(lab_netem_sched_packet(&s, 4, 10), ==, LAB_NETEM_HELD);
	g_assert_true(lab_netem_sched_pop(&s, 1000 * MS + 10, &id));
	g_assert_cmpuint(id, ==, 4);
	lab_netem_sched_free(&s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lab/netem-sched/params", test_params);
	g_test_add_func("/lab/netem-sched/no-delay", test_no_delay);
	g_test_add_func("/lab/netem-sched/delay-exact", test_delay_exact);
	g_test_add_func("/lab/netem-sched/jitter-fifo", test_jitter_fifo);
	g_test_add_func("/lab/netem-sched/loss", test_loss);
	g_test_add_func("/lab/netem-sched/reorder", test_reorder);
	g_test_add_func("/lab/netem-sched/overflow-drain", test_overflow_and_drain);
	return g_test_run();
}
