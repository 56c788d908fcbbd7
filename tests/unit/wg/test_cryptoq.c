/*
 * Unit tests for rift/wgup/cryptoq: crypto jobs come back in the order
 * they were taken, whoever ran them (three workers and the loop thread),
 * sealed as rg_wg_data_seal seals and opened back; a lone small batch is
 * done at once, on the loop thread; the source wakes the loop for what the
 * workers finish; make_room keeps a device call's worth of room with every
 * batch out; freeing with batches out drops them.
 */
#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "rift/wg/msg.h"
#include "rift/wg/noise.h"
#include "rift/wgup/cryptoq.h"

#define WAIT_US (10 * G_USEC_PER_SEC)

struct state {
	struct rg_wg_cryptoq *q;
	uint64_t next; /* the counter expected back next */
	unsigned readies;
	GThread *loop_thread;
};

static const uint8_t key[RG_WG_KEY_LEN] = { 1, 2, 3 };

/* Job i: a packet of 100 + i % 900 bytes of i's pattern, counter i. */
static void fill(struct rg_wg_crypto *c, uint64_t i)
{
	c->op = RG_WG_SEAL;
	memcpy(c->key, key, sizeof(key));
	c->counter = i;
	c->remote_index = 0x01020304;
	c->len = 100 + i % 900;
	c->pad = (c->len + 15) & ~(size_t)15;
	memset(c->msg + RG_WG_DATA_HEADER, (int)(i * 7), c->len);
}

static void on_done(void *data, struct rg_wg_crypto *c)
{
	struct state *st = data;
	uint8_t pkt[1000], want[RG_WG_CRYPTO_BUF], back[RG_WG_CRYPTO_BUF];
	size_t n, plen;

	g_assert_true(g_thread_self() == st->loop_thread);
	g_assert_cmpuint(c->counter, ==, st->next);
	st->next++;
	g_assert_true(c->ok);
	memset(pkt, (int)(c->counter * 7), c->len);
	n = rg_wg_data_seal(key, 0x01020304, c->counter, pkt, c->len, c->pad, want);
	g_assert_cmpmem(c->msg, c->out, want, n);
	g_assert_cmpint(rg_wg_data_open(key, c->counter, c->msg + RG_WG_DATA_HEADER,
					c->out - RG_WG_DATA_HEADER, back, &plen),
			==, CORE_OK);
	g_assert_cmpmem(back, c->len, pkt, c->len);
}

static void on_ready(void *data)
{
	struct state *st = data;

	st->readies++;
	rg_wg_cryptoq_drain(st->q);
}

static void test_order(void)
{
	struct state st = { .loop_thread = g_thread_self() };
	gint64 until = g_get_monotonic_time() + WAIT_US;
	uint64_t i = 0;

	g_assert_cmpint(sodium_init(), >=, 0);
	g_assert_cmpint(rg_wg_cryptoq_new(&st.q, 3, NULL, on_done, on_ready, &st, NULL), ==,
			CORE_OK);
	/* a lone small batch: done at once, on this thread */
	fill(rg_wg_cryptoq_job(st.q), i++);
	rg_wg_cryptoq_submit(st.q);
	g_assert_cmpuint(rg_wg_cryptoq_drain(st.q), ==, 1);
	g_assert_cmpuint(st.next, ==, 1);
	g_assert_cmpuint(rg_wg_cryptoq_in_flight(st.q), ==, 0);
	/* bursts of every size, room kept as a runner keeps it, some helped */
	for (unsigned burst = 1; burst < 300; burst += 37) {
		for (unsigned k = 0; k < burst; k++) {
			struct rg_wg_crypto *c;

			rg_wg_cryptoq_make_room(st.q);
			c = rg_wg_cryptoq_job(st.q);
			g_assert_nonnull(c);
			fill(c, i++);
		}
		rg_wg_cryptoq_submit(st.q);
		if (burst % 2)
			rg_wg_cryptoq_help(st.q);
	}
	while (st.next < i && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(st.next, ==, i);
	g_assert_cmpuint(rg_wg_cryptoq_in_flight(st.q), ==, 0);
	rg_wg_cryptoq_free(st.q);
	rg_wg_cryptoq_free(NULL);
}

/* Every batch out: no job until one comes back; freed with batches out. */
static void test_full_and_free(void)
{
	struct state st = { .loop_thread = g_thread_self() };
	unsigned taken = 0;
	struct rg_wg_crypto *c;

	g_assert_cmpint(rg_wg_cryptoq_new(&st.q, 1, NULL, on_done, on_ready, &st, NULL), ==,
			CORE_OK);
	while ((c = rg_wg_cryptoq_job(st.q)) != NULL)
		fill(c, taken++);
	g_assert_cmpuint(taken, ==, RG_WG_CRYPTOQ_BATCHES * RG_WG_CRYPTOQ_JOBS);
	g_assert_cmpuint(rg_wg_cryptoq_in_flight(st.q), ==, RG_WG_CRYPTOQ_BATCHES);
	/* room for a device call: the oldest come back, in order */
	rg_wg_cryptoq_make_room(st.q);
	g_assert_cmpuint(st.next, >=, RG_WG_CRYPTOQ_JOBS);
	g_assert_nonnull(rg_wg_cryptoq_job(st.q));
	rg_wg_cryptoq_free(st.q);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/cryptoq/order", test_order);
	g_test_add_func("/wg/cryptoq/full-and-free", test_full_and_free);
	return g_test_run();
}
