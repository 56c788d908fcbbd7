/* Unit tests for core/hex, core/base64 and core/ct. */
#include <glib.h>
#include <string.h>

#include "core/base64.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/hex.h"

static void test_hex_roundtrip_all_bytes(void)
{
	uint8_t in[256], back[256];
	char hex[513];

	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	core_hex_encode(hex, in, sizeof(in));
	g_assert_cmpuint(strlen(hex), ==, 512);
	g_assert_true(g_str_has_prefix(hex, "000102030405060708090a0b0c0d0e0f10"));
	g_assert_true(g_str_has_suffix(hex, "f9fafbfcfdfeff"));
	g_assert_cmpint(core_hex_decode(back, sizeof(back), hex, 512), ==, CORE_OK);
	g_assert_cmpmem(back, sizeof(back), in, sizeof(in));
}

static void test_hex_decode_cases_and_errors(void)
{
	uint8_t out[4];

	g_assert_cmpint(core_hex_decode(out, 4, "DeAdBeEf", 8), ==, CORE_OK);
	g_assert_cmpmem(out, 4, "\xde\xad\xbe\xef", 4);
	/* wrong length, each kind of bad character next to every range edge */
	g_assert_cmpint(core_hex_decode(out, 4, "deadbee", 7), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpmem(out, 4, "\0\0\0\0", 4);
	const char *bad[] = { "deadbeeg", "/eadbeef", ":eadbeef", "@eadbeef",
			      "Geadbeef", "`eadbeef", "deadbe f", "deadbe\x80\x66" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		memset(out, 0xff, sizeof(out));
		g_assert_cmpint(core_hex_decode(out, 4, bad[i], 8), ==, CORE_ERR_BAD_FORMAT);
		g_assert_cmpmem(out, 4, "\0\0\0\0", 4);
	}
	g_assert_cmpint(core_hex_decode(out, 0, "", 0), ==, CORE_OK);
}

/* RFC 4648 section 10 test vectors. */
static void test_base64_rfc4648(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "",	       "Zg==",	   "Zm8=",    "Zm9v",
					   "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];
	uint8_t dec[16];
	size_t n;

	for (size_t i = 0; i < G_N_ELEMENTS(plain); i++) {
		g_assert_cmpuint(core_base64_encoded_len(strlen(plain[i])), ==, strlen(enc[i]));
		core_base64_encode(out, (const uint8_t *)plain[i], strlen(plain[i]));
		g_assert_cmpstr(out, ==, enc[i]);
		g_assert_cmpint(core_base64_decode(dec, sizeof(dec), &n, enc[i], strlen(enc[i])),
				==, CORE_OK);
		g_assert_cmpmem(dec, n, plain[i], strlen(plain[i]));
	}
}

static void test_base64_alphabet_and_key(void)
{
	uint8_t all[48], back[48], key[32];
	char out[65], kout[45];
	size_t n;

	/* 0x00,0x10,0x83,... covers every 6-bit value once */
	for (int i = 0; i < 16; i++) {
		uint32_t w = (uint32_t)(4 * i) << 18 | (uint32_t)(4 * i + 1) << 12 |
			     (uint32_t)(4 * i + 2) << 6 | (uint32_t)(4 * i + 3);
		all[3 * i] = (uint8_t)(w >> 16);
		all[3 * i + 1] = (uint8_t)(w >> 8);
		all[3 * i + 2] = (uint8_t)w;
	}
	core_base64_encode(out, all, sizeof(all));
	g_assert_cmpstr(out, ==,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	g_assert_cmpint(core_base64_decode(back, sizeof(back), &n, out, 64), ==, CORE_OK);
	g_assert_cmpmem(back, n, all, sizeof(all));

	/* a WireGuard-style 32-byte key is 44 characters with one '=' */
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xff - i);
	core_base64_encode(kout, key, 32);
	g_assert_cmpuint(strlen(kout), ==, 44);
	g_assert_cmpint(kout[43], ==, '=');
	g_assert_cmpint(core_base64_decode(back, 32, &n, kout, 44), ==, CORE_OK);
	g_assert_cmpmem(back, n, key, 32);
}

static void test_base64_errors(void)
{
	static const char *const bad[] = {
		"Zg=",	    /* length not a multiple of 4 */
		"Zh==",	    /* non-canonical: unused bits set */
		"Zm9=",	    /* non-canonical, one pad */
		"Z===",	    /* too much padding */
		"=m9v",	    /* padding at the start */
		"Zm=v",	    /* padding in the middle */
		"Zm9v====", /* a whole group of padding */
		"Zm9*",	    /* not in the alphabet */
		"Zm9v\n",   /* whitespace */
		"Zm 9",
	};
	uint8_t out[8];
	size_t n = 99;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("input %s", bad[i]);
		g_assert_cmpint(core_base64_decode(out, sizeof(out), &n, bad[i], strlen(bad[i])),
				==, CORE_ERR_BAD_FORMAT);
		g_assert_cmpuint(n, ==, 0);
	}
	g_assert_cmpint(core_base64_decode(out, 2, &n, "Zm9v", 4), ==, CORE_ERR_NO_SPACE);
}

static void test_ct(void)
{
	uint8_t a[33], b[33];

	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	g_assert_true(core_ct_equal(a, b, sizeof(a)));
	b[32] ^= 0x80;
	g_assert_false(core_ct_equal(a, b, sizeof(a)));
	g_assert_true(core_ct_equal(a, b, 32));
	b[0] ^= 1;
	g_assert_false(core_ct_equal(a, b, 32));
	g_assert_true(core_ct_equal(a, b, 0));
	core_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		g_assert_cmpuint(a[i], ==, 0);
	core_wipe(NULL, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hex/roundtrip-all-bytes", test_hex_roundtrip_all_bytes);
	g_test_add_func("/hex/decode-cases-and-errors", test_hex_decode_cases_and_errors);
	g_test_add_func("/base64/rfc4648", test_base64_rfc4648);
	g_test_add_func("/base64/alphabet-and-key", test_base64_alphabet_and_key);
	g_test_add_func("/base64/errors", test_base64_errors);
	g_test_add_func("/ct/equal-and-wipe", test_ct);
	return g_test_run();
}
