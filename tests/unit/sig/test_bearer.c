/*
 * Unit tests for rift/sig/bearer: the header names a device only with the
 * Bearer scheme (in any case) and exactly its token; a prefix, an extension,
 * a second space, another scheme or no header names nobody; a token added
 * again names its last device.
 */
#include <glib.h>

#include "rift/sig/bearer.h"

static const char alice[] = "alice", bob[] = "bob";

static void test_lookup(void)
{
	struct rg_sig_bearer *b = rg_sig_bearer_new();

	rg_sig_bearer_add(b, "alice-token-0123456789", alice);
	rg_sig_bearer_add(b, "bob-token-0123456789", bob);
	g_assert_true(rg_sig_bearer_lookup(b, "Bearer alice-token-0123456789") == alice);
	g_assert_true(rg_sig_bearer_lookup(b, "bearer bob-token-0123456789") == bob);
	g_assert_true(rg_sig_bearer_lookup(b, "BEARER bob-token-0123456789") == bob);
	g_assert_null(rg_sig_bearer_lookup(b, NULL));
	g_assert_null(rg_sig_bearer_lookup(b, ""));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer"));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer "));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer alice-token-012345678"));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer alice-token-0123456789x"));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer alice-token-0123456789 "));
	g_assert_null(rg_sig_bearer_lookup(b, "Bearer  alice-token-0123456789"));
	g_assert_null(rg_sig_bearer_lookup(b, "Basic alice-token-0123456789"));
	g_assert_null(rg_sig_bearer_lookup(b, "alice-token-0123456789"));
	rg_sig_bearer_add(b, "alice-token-0123456789", bob);
	g_assert_true(rg_sig_bearer_lookup(b, "Bearer alice-token-0123456789") == bob);
	rg_sig_bearer_free(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sig/bearer/lookup", test_lookup);
	return g_test_run();
}
