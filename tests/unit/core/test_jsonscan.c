/*
 * Unit tests for core/jsonscan: nesting depth outside strings (brackets in
 * strings and escaped quotes do not count; one level is counted once), and
 * \u0000 escapes.
 */
#include <glib.h>
#include <string.h>

#include "core/jsonscan.h"

static int depth(const char *s)
{
	return core_json_depth(s, strlen(s));
}

static void test_depth(void)
{
	g_assert_cmpint(depth("1"), ==, 0);
	g_assert_cmpint(depth("{}"), ==, 1);
	g_assert_cmpint(depth("[[[]]]"), ==, 3);
	/* siblings do not add up (a MAX(max, ++depth) counted the second twice) */
	g_assert_cmpint(depth("{\"a\":[{\"m\":{}},{\"m\":{}}]}"), ==, 4);
	g_assert_cmpint(depth("[{},{},{},{},{},{}]"), ==, 2);
	/* brackets in strings, escaped quotes and backslashes */
	g_assert_cmpint(depth("[\"[[[{{{\"]"), ==, 1);
	g_assert_cmpint(depth("[\"a\\\"[[[\"]"), ==, 1);
	g_assert_cmpint(depth("[\"a\\\\\",[[]]]"), ==, 3);
	/* only the first len bytes count */
	g_assert_cmpint(core_json_depth("[[[[", 2), ==, 2);
}

static void test_nul(void)
{
	g_assert_true(core_json_escaped_nul("\"a\\u0000b\"", 10));
	g_assert_true(core_json_escaped_nul("\"\\U0000\"", 8));
	g_assert_false(core_json_escaped_nul("\"a\\u0001\"", 9));
	g_assert_false(core_json_escaped_nul("\"\\u000\"", 7));
	g_assert_false(core_json_escaped_nul("\\u0000", 5)); /* cut before its end */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/jsonscan/depth", test_depth);
	g_test_add_func("/jsonscan/nul", test_nul);
	return g_test_run();
}
