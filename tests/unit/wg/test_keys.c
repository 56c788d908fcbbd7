/* Unit tests for rift/wg/keys: RFC 7748's vector, clamping, the base64 form. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/wg/keys.h"

static void hex(const char *h, uint8_t *out)
{
	for (size_t i = 0; i < RG_WG_KEY_LEN; i++) {
		char b[3] = { h[2 * i], h[2 * i + 1], 0 };

		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
}

/* RFC 7748 section 6.1: Alice's key pair. */
static void test_rfc7748(void)
{
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN], want[RG_WG_KEY_LEN];

	hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", priv);
	hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want);
	g_assert_cmpint(rg_wg_key_public(pub, priv), ==, CORE_OK);
	g_assert_cmpmem(pub, RG_WG_KEY_LEN, want, RG_WG_KEY_LEN);
}

static void test_generate_and_text(void)
{
	uint8_t a[RG_WG_KEY_LEN], b[RG_WG_KEY_LEN], back[RG_WG_KEY_LEN];
	char text[RG_WG_KEY_B64_LEN + 1];

	rg_wg_key_generate(a);
	rg_wg_key_generate(b);
	g_assert_true(memcmp(a, b, RG_WG_KEY_LEN) != 0);
	g_assert_cmpuint(a[0] & 7, ==, 0); /* clamped */
	g_assert_cmpuint(a[31] & 0xc0, ==, 0x40);
	rg_wg_key_to_base64(a, text);
	g_assert_cmpuint(strlen(text), ==, RG_WG_KEY_B64_LEN);
	g_assert_cmpint(rg_wg_key_from_base64(back, text, strlen(text)), ==, CORE_OK);
	g_assert_cmpmem(back, RG_WG_KEY_LEN, a, RG_WG_KEY_LEN);
	/* 43 characters, 45, a bad character, 33 bytes: refused */
	g_assert_cmpint(rg_wg_key_from_base64(back, text, 43), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_wg_key_from_base64(back, "AAAA", 4), ==, CORE_ERR_BAD_FORMAT);
	text[5] = '*';
	g_assert_cmpint(rg_wg_key_from_base64(back, text, 44), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(
		rg_wg_key_from_base64(back, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44), ==,
		CORE_ERR_BAD_FORMAT);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/keys/rfc7748", test_rfc7748);
	g_test_add_func("/wg/keys/generate-and-text", test_generate_and_text);
	return g_test_run();
}
