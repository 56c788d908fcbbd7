/*
 * Unit tests for rift/wg/kdf. Vectors: RFC 7693's BLAKE2s("abc"); the rest
 * computed independently with Python's hashlib.blake2s and hmac; the initial
 * chaining key and hash are the constants every WireGuard implementation
 * starts its handshake from.
 */
#include <glib.h>
#include <string.h>

#include "rift/wg/kdf.h"

static void hex_is(const uint8_t *got, size_t n, const char *want)
{
	char *h = g_malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		g_snprintf(h + 2 * i, 3, "%02x", got[i]);
	g_assert_cmpstr(h, ==, want);
	g_free(h);
}

static void test_hash_and_chain(void)
{
	uint8_t out[32], ck[32], h[32];

	rg_wg_hash(out, "abc", 3, NULL, 0);
	hex_is(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	rg_wg_hash(out, "a", 1, "bc", 2); /* two parts hash as one */
	hex_is(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	rg_wg_initial_chain(ck, h);
	hex_is(ck, 32, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	hex_is(h, 32, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

static void test_mac_hmac_kdf(void)
{
	static const char msg[] = "riftgate kdf test input";
	uint8_t key[100], out[32], t1[32], t2[32], t3[32], mac[16];

	for (int i = 0; i < 100; i++)
		key[i] = (uint8_t)i;
	rg_wg_mac(mac, key, 32, msg, strlen(msg));
	hex_is(mac, 16, "eaadbdf72b40ebe3529f5b4388c6e749");
	rg_wg_hmac(out, key, 32, msg, strlen(msg));
	hex_is(out, 32, "4ab2b589eca93ea32daffafdbca51534cdc2b742108b4db4bff808f45a7b8b63");
	rg_wg_hmac(out, key, 100, msg, strlen(msg)); /* a key longer than a block is hashed */
	hex_is(out, 32, "c55c687970e18a0ddb7a275753f50eb157e6c4f9349268bba73dbef033a035bb");
	rg_wg_kdf(3, t1, t2, t3, key, msg, strlen(msg));
	hex_is(t1, 32, "6821f08e7808ff2e4bd9adb60f4d10a257ee7c4776b050c7362e137519bc85a0");
	hex_is(t2, 32, "db19174df9b51ef29275e5109cfe5ecf7adc57e7bb418e24d775fe795d251ee6");
	hex_is(t3, 32, "4716e289bfca7aef1391c3040835a0606abd1eccf24ff5c5d0c08d3fd47e7820");
	memset(t2, 0, 32);
	rg_wg_kdf(1, t2, NULL, NULL, key, msg, strlen(msg)); /* KDF1 is KDF3's first output */
	g_assert_cmpmem(t2, 32, t1, 32);
}

static void test_tai64n(void)
{
	uint8_t t[12], u[12];

	rg_wg_tai64n(t, 1700000000, 123456789);
	hex_is(t, 12, "400000006553f10a07000000");
	rg_wg_tai64n(u, 1700000000, 123456789 + 1000); /* finer than 2^24 ns: the same */
	g_assert_cmpmem(t, 12, u, 12);
	rg_wg_tai64n(u, 1700000001, 0); /* later sorts higher, byte-wise */
	g_assert_cmpint(memcmp(u, t, 12), >, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/kdf/hash-and-chain", test_hash_and_chain);
	g_test_add_func("/wg/kdf/mac-hmac-kdf", test_mac_hmac_kdf);
	g_test_add_func("/wg/kdf/tai64n", test_tai64n);
	return g_test_run();
}
