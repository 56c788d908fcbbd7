/* Unit tests for core/log: format, levels, escaping of hostile text. */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"

static int pipefd[2];

/* Read what the logger wrote since the last call. */
static char *drain(void)
{
	char buf[8192];
	ssize_t n;

	core_log_set_output_fd(-1);
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	g_assert_cmpint(pipe(pipefd), ==, 0);
	core_log_set_output_fd(pipefd[1]);
	buf[n > 0 ? n : 0] = '\0';
	return g_strdup(buf);
}

static void test_format(void)
{
	char *out;

	core_log_set_level(CORE_LOG_INFO);
	core_log_info("session", "3f2a1b9c", "client connected (last_seq=%d)", 0);
	out = drain();
	/* 2026-11-24T14:03:07.123Z INFO  [session 3f2a1b9c] client connected (last_seq=0) */
	g_assert_true(g_regex_match_simple(
		"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[session 3f2a1b9c\\] "
		"client connected \\(last_seq=0\\)\n$",
		out, 0, 0));
	g_free(out);

	core_log_warn("quic", NULL, "plain");
	out = drain();
	g_assert_true(g_str_has_suffix(out, " WARN  [quic] plain\n"));
	g_free(out);
}

static int evaluated;

static int side_effect(void)
{
	return ++evaluated;
}

static void test_levels(void)
{
	enum core_log_level l;
	char *out;

	core_log_set_level(CORE_LOG_WARN);
	evaluated = 0;
	core_log_info("x", NULL, "hidden %d", side_effect());
	core_log_debug("x", NULL, "hidden %d", side_effect());
	g_assert_cmpint(evaluated, ==, 0); /* arguments not evaluated below threshold */
	core_log_error("x", NULL, "shown %d", side_effect());
	g_assert_cmpint(evaluated, ==, 1);
	out = drain();
	g_assert_nonnull(strstr(out, "ERROR [x] shown 1\n"));
	g_assert_null(strstr(out, "hidden"));
	g_free(out);

	g_assert_cmpint(core_log_level_parse("debug", &l), ==, CORE_OK);
	g_assert_cmpint(l, ==, CORE_LOG_DEBUG);
	g_assert_cmpint(core_log_level_parse("TRACE", &l), ==, CORE_OK);
	g_assert_cmpint(l, ==, CORE_LOG_TRACE);
	g_assert_cmpint(core_log_level_parse("warning", &l), ==, CORE_OK);
	g_assert_cmpint(l, ==, CORE_LOG_WARN);
	g_assert_cmpint(core_log_level_parse("loud", &l), ==, CORE_ERR_BAD_VALUE);
	core_log_set_level(CORE_LOG_INFO);
}

static void test_escape(void)
{
	char out[64], small[8];

	g_assert_cmpstr(core_log_escape(out, sizeof(out), "a\"b\\c\n\x1b[2J\xff", 11), ==,
			"a\\\"b\\\\c\\x0a\\x1b[2J\\xff");
	g_assert_cmpstr(core_log_escape(out, sizeof(out), "nul\0x", 5), ==, "nul\\x00x");
	/* truncation keeps "..." and never splits an escape */
	g_assert_cmpstr(core_log_escape(small, sizeof(small), "abcdefghij", 10), ==, "abcd...");
	g_assert_cmpstr(core_log_escape(small, sizeof(small), "ab\x01zzzz", 7), ==, "ab...");
	g_assert_cmpstr(core_log_escape(out, 3, "abc", 3), ==, "");
}

static void test_line_cannot_be_forged(void)
{
	char *out;

	core_log_info("sig", "peer", "name=%s",
		      "evil\n2026-01-01T00:00:00.000Z ERROR [x] forged\x1b]0;t\x07");
	out = drain();
	/* exactly one line; control bytes shown as \xNN */
	g_assert_cmpint(strchr(out, '\n') - out, ==, (long)strlen(out) - 1);
	g_assert_nonnull(strstr(out, "evil\\x0a2026-01-01"));
	g_assert_nonnull(strstr(out, "forged\\x1b]0;t\\x07\n"));
	g_free(out);
}

static void test_long_line_truncated(void)
{
	char *big = g_strnfill(CORE_LOG_LINE_MAX * 2, 'z'), *out;

	core_log_info("x", NULL, "%s", big);
	out = drain();
	g_assert_cmpuint(strlen(out), <=, CORE_LOG_LINE_MAX);
	g_assert_true(g_str_has_suffix(out, "zzz...\n"));
	g_free(out);
	g_free(big);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(pipe(pipefd), ==, 0);
	core_log_set_output_fd(pipefd[1]);
	g_test_add_func("/log/format", test_format);
	g_test_add_func("/log/levels", test_levels);
	g_test_add_func("/log/escape", test_escape);
	g_test_add_func("/log/line-cannot-be-forged", test_line_cannot_be_forged);
	g_test_add_func("/log/long-line-truncated", test_long_line_truncated);
	r = g_test_run();
	core_log_set_output_fd(-1);
	close(pipefd[0]);
	close(pipefd[1]);
	return r;
}
