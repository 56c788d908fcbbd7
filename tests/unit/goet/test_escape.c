/* Unit tests for goet/escape and goet/term. */
#include <glib.h>
#include <string.h>

#include "goet/escape.h"
#include "goet/term.h"

/* Run s through a fresh processor in one call: output and action. */
static char *run(const char *s, enum gt_escape_action *act, size_t *consumed)
{
	struct gt_escape e;
	uint8_t out[256];
	size_t n;

	gt_escape_reset(&e);
	n = gt_escape_process(&e, (const uint8_t *)s, strlen(s), out, consumed, act);
	return g_strndup((const char *)out, n);
}

static void check(const char *in, const char *want_out, enum gt_escape_action want_act)
{
	enum gt_escape_action act;
	size_t consumed;
	char *out = run(in, &act, &consumed), *esc = g_strescape(in, NULL);

	g_test_message("input %s", esc);
	g_free(esc);
	g_assert_cmpstr(out, ==, want_out);
	g_assert_cmpint(act, ==, want_act);
	if (act == GT_ESC_NONE)
		g_assert_cmpuint(consumed, ==, strlen(in));
	g_free(out);
}

/* The reference's examples (goet.md 3.3) and the new commands. */
static void test_examples(void)
{
	check("~.", "", GT_ESC_DISCONNECT);
	check("a~.", "a~.", GT_ESC_NONE);
	check("~~.", "~.", GT_ESC_NONE);
	check("\n~x", "\n~x", GT_ESC_NONE);
	check("\n~", "\n", GT_ESC_NONE); /* tilde held */
	check("ls\r~.", "ls\r", GT_ESC_DISCONNECT);
	check("ls\n~.rest", "ls\n", GT_ESC_DISCONNECT);
	check("~\r", "~\r", GT_ESC_NONE);
	check("~?", "", GT_ESC_HELP);
	check("x\n~d", "x\n", GT_ESC_DETACH);
	check("~~~.", "~~.", GT_ESC_NONE); /* ~~ is a literal ~, then mid-line */
	check("", "", GT_ESC_NONE);
}

static void test_consumed_and_continue(void)
{
	struct gt_escape e;
	const char *in = "a\n~?b\n~.";
	uint8_t out[32];
	size_t consumed, n;
	enum gt_escape_action act;

	gt_escape_reset(&e);
	n = gt_escape_process(&e, (const uint8_t *)in, strlen(in), out, &consumed, &act);
	g_assert_cmpint(act, ==, GT_ESC_HELP);
	g_assert_cmpuint(consumed, ==, 4);
	g_assert_cmpmem(out, n, "a\n", 2);
	/* right after a command, another command is recognised */
	n = gt_escape_process(&e, (const uint8_t *)"~.", 2, out, &consumed, &act);
	g_assert_cmpint(act, ==, GT_ESC_DISCONNECT);
	gt_escape_reset(&e);
	n = gt_escape_process(&e, (const uint8_t *)in + 4, strlen(in) - 4, out, &consumed, &act);
	g_assert_cmpmem(out, n, "b\n", 2);
	g_assert_cmpint(act, ==, GT_ESC_DISCONNECT);
}

static void test_split_reads(void)
{
	struct gt_escape e;
	uint8_t out[8];
	size_t consumed, n;
	enum gt_escape_action act;

	/* a held tilde is released by the next read: one more byte out than in */
	gt_escape_reset(&e);
	n = gt_escape_process(&e, (const uint8_t *)"~", 1, out, &consumed, &act);
	g_assert_cmpuint(n, ==, 0);
	n = gt_escape_process(&e, (const uint8_t *)"x", 1, out, &consumed, &act);
	g_assert_cmpmem(out, n, "~x", 2);
	/* and an escape split over two reads still works */
	gt_escape_reset(&e);
	gt_escape_process(&e, (const uint8_t *)"\n~", 2, out, &consumed, &act);
	n = gt_escape_process(&e, (const uint8_t *)".", 1, out, &consumed, &act);
	g_assert_cmpint(act, ==, GT_ESC_DISCONNECT);
	g_assert_cmpuint(n, ==, 0);
	/* reset forgets a held tilde */
	gt_escape_process(&e, (const uint8_t *)"\n~", 2, out, &consumed, &act);
	gt_escape_reset(&e);
	n = gt_escape_process(&e, (const uint8_t *)"y", 1, out, &consumed, &act);
	g_assert_cmpmem(out, n, "y", 1);
}

static void test_term(void)
{
	char out[GT_TERM_MAX_LEN + 1];
	char *long_term = g_strnfill(129, 'x'), *max_term = g_strnfill(128, 'x');

	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"alacritty", 9, out), ==, "alacritty");
	g_assert_cmpstr(gt_term_sanitize(NULL, 0, out), ==, "xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)long_term, 129, out), ==,
			"xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)max_term, 128, out), ==, max_term);
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"a=b", 3, out), ==, "xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"vt\n", 3, out), ==, "xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"\xc3\xa9", 2, out), ==,
			"xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"x\x7f", 2, out), ==, "xterm-256color");
	g_assert_cmpstr(gt_term_sanitize((const uint8_t *)"screen.xterm ~", 14, out), ==,
			"screen.xterm ~");
	g_free(long_term);
	g_free(max_term);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/escape/examples", test_examples);
	g_test_add_func("/escape/consumed-and-continue", test_consumed_and_continue);
	g_test_add_func("/escape/split-reads", test_split_reads);
	g_test_add_func("/term/sanitize", test_term);
	return g_test_run();
}
