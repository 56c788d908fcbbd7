/* Unit tests for core/err: every code has its own text; GError conversion. */
#include <glib.h>

#include "core/err.h"

static void test_texts_distinct(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int e = CORE_OK; e >= CORE_ERR_TIMEOUT; e--) {
		const char *t = core_strerror(e);

		g_assert_nonnull(t);
		g_assert_cmpstr(t, !=, "unknown error");
		g_assert_false(g_hash_table_contains(seen, t));
		g_hash_table_add(seen, (gpointer)t);
	}
	g_hash_table_destroy(seen);
	g_assert_cmpstr(core_strerror(1), ==, "unknown error");
	g_assert_cmpstr(core_strerror(-999), ==, "unknown error");
	g_assert_cmpstr(core_strerror(CORE_ERR_TRUNCATED), ==, "truncated input");
}

static void test_gerror(void)
{
	GError *e = NULL;

	core_err_to_gerror(NULL, CORE_ERR_AUTH, "ignored");
	core_err_to_gerror(&e, CORE_ERR_AUTH, "peer %s", "x");
	g_assert_error(e, CORE_ERROR, CORE_ERR_AUTH);
	g_assert_cmpstr(e->message, ==, "peer x: authentication failed");
	g_error_free(e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/err/texts-distinct", test_texts_distinct);
	g_test_add_func("/err/gerror", test_gerror);
	return g_test_run();
}
