/* Unit tests for goet/client/textscan: the word-at-a-time scans give their byte definitions. */
#include <glib.h>
#include <string.h>

#include "goet/client/textscan.h"

/* The definitions, a byte at a time. */
static size_t ref_plain(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && ((b[i] >= 0x20 && b[i] <= 0x7e) || b[i] == '\r' || b[i] == '\n'))
		i++;
	return i;
}

static size_t ref_seps(const uint8_t *b, size_t n, unsigned *run, unsigned max)
{
	for (size_t i = 0; i < n; i++) {
		if ((b[i] >= 0x40 && b[i] <= 0x7e) || b[i] == 0x18 || b[i] == 0x1a) {
			*run = 0;
		} else if (b[i] == ';' || b[i] == ':') {
			if (*run >= max)
				return i;
			++*run;
		}
	}
	return n;
}

/* gt_textscan_run is the two definitions over the plain prefix, and a search for CR. */
static void check_run(const uint8_t *b, size_t n, unsigned start)
{
	struct gt_textscan_run got;
	size_t len = ref_plain(b, n);
	unsigned run = start;
	bool tripped = ref_seps(b, len, &run, 3) < len;

	gt_textscan_run(b, n, start, 3, &got);
	g_assert_cmpint(got.tripped, ==, tripped);
	if (tripped)
		return;
	g_assert_cmpuint(got.len, ==, len);
	g_assert_cmpint(got.cr, ==, len > 0 && memchr(b, '\r', len) != NULL);
	g_assert_cmpuint(got.seps, ==, run);
}

/* The scans of b[0..n) agree with the definitions, from every starting count. */
static void check(const uint8_t *b, size_t n)
{
	g_assert_cmpuint(gt_textscan_plain(b, n), ==, ref_plain(b, n));
	for (unsigned start = 0; start <= 3; start++) {
		unsigned run = start, want_run = start;
		size_t got = gt_textscan_seps(b, n, &run, 3);
		size_t want = ref_seps(b, n, &want_run, 3);

		g_assert_cmpuint(got, ==, want);
		g_assert_cmpuint(run, ==, want_run);
		check_run(b, n, start);
	}
}

/* Every pair of byte values side by side, at every place in a word, among plain fillers. */
static void test_pairs(void)
{
	static const uint8_t fill[] = { 'A', '0', '\r', '\n', ';', '~' };
	uint8_t b[24];

	for (size_t f = 0; f < G_N_ELEMENTS(fill); f++) {
		for (size_t at = 0; at < 9; at++) {
			for (unsigned v = 0; v < 256; v++) {
				for (unsigned w = 0; w < 256; w++) {
					memset(b, fill[f], sizeof(b));
					b[at] = (uint8_t)v;
					b[at + 1] = (uint8_t)w;
					check(b, 17);
				}
			}
		}
	}
}

/* Random text, mostly plain, at every alignment and length (the empty one too). */
static void test_random(void)
{
	static const char alphabet[] = "AZaz09+/;:;:@[~ \r\n\r\n\x18\x1a\x1b\x7f\x80\xc3\xa9\x9b";
	GRand *r = g_rand_new_with_seed(17);
	uint8_t b[200];

	g_assert_cmpuint(gt_textscan_plain(NULL, 0), ==, 0);
	for (int round = 0; round < 20000; round++) {
		size_t off = (size_t)g_rand_int_range(r, 0, 8);
		size_t n = (size_t)g_rand_int_range(r, 0, (int)(sizeof(b) - off));

		for (size_t i = 0; i < sizeof(b); i++) {
			/* long plain stretches, and sometimes a byte of any value */
			if (g_rand_int_range(r, 0, 40) == 0)
				b[i] = (uint8_t)g_rand_int_range(r, 0, 256);
			else if (g_rand_int_range(r, 0, 4) == 0)
				b[i] = (uint8_t)
					alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)];
			else
				b[i] = (uint8_t)g_rand_int_range(r, 0x20, 0x7f);
		}
		check(b + off, n);
	}
	g_rand_free(r);
}

/* The guard's count runs across calls, and resets and trips where the definition says. */
static void test_seps_examples(void)
{
	unsigned run = 0;
	const uint8_t *s = (const uint8_t *)"1;2;3;4;5;6;7;8;9";

	g_assert_cmpuint(gt_textscan_seps(s, 17, &run, 15), ==, 17);
	g_assert_cmpuint(run, ==, 8);
	g_assert_cmpuint(gt_textscan_seps(s, 17, &run, 15), ==, 15); /* the 16th ; */
	g_assert_cmpuint(run, ==, 15);
	run = 15;
	g_assert_cmpuint(gt_textscan_seps((const uint8_t *)"12345678m;", 10, &run, 15), ==, 10);
	g_assert_cmpuint(run, ==, 1);
	run = 15;
	g_assert_cmpuint(gt_textscan_seps((const uint8_t *)"12345678\r\n;", 11, &run, 15), ==, 10);
	g_assert_cmpuint(run, ==, 15);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/textscan/pairs", test_pairs);
	g_test_add_func("/textscan/random", test_random);
	g_test_add_func("/textscan/seps-examples", test_seps_examples);
	return g_test_run();
}
