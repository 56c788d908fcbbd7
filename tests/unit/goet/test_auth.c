/* Unit tests for goet/auth: the reference HMAC vector, verification, hex. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"
#include "goet/auth.h"

static void test_reference_vector(void)
{
	uint8_t key[32], exporter[32], token[32];
	char hex[65];

	for (int i = 0; i < 32; i++) {
		key[i] = (uint8_t)i;
		exporter[i] = (uint8_t)(0x20 + i);
	}
	g_assert_cmpint(gt_auth_token(key, exporter, token), ==, CORE_OK);
	core_hex_encode(hex, token, 32);
	g_assert_cmpstr(hex, ==,
			"62215de7bddcea7e2c4047ff6bb94f8d18262fc8b3f3648134bb7d44158ff84d");
}

static void test_verify(void)
{
	uint8_t key[32], exporter[32], token[32];

	g_assert_cmpint(gt_passkey_generate(key), ==, CORE_OK);
	memset(exporter, 0x5c, sizeof(exporter));
	g_assert_cmpint(gt_auth_token(key, exporter, token), ==, CORE_OK);
	g_assert_true(gt_auth_verify(key, exporter, token));
	for (int bit = 0; bit < 8; bit++) {
		token[bit * 4] ^= (uint8_t)(1 << bit);
		g_assert_false(gt_auth_verify(key, exporter, token));
		token[bit * 4] ^= (uint8_t)(1 << bit);
		exporter[31 - bit] ^= 1;
		g_assert_false(gt_auth_verify(key, exporter, token));
		exporter[31 - bit] ^= 1;
		key[bit] ^= 0x80;
		g_assert_false(gt_auth_verify(key, exporter, token));
		key[bit] ^= 0x80;
	}
	g_assert_true(gt_auth_verify(key, exporter, token));
}

static void test_mac_prefix(void)
{
	uint8_t key[32] = { 1 }, msg[32] = { 2 }, a[32], b[32];

	g_assert_cmpint(gt_auth_mac(key, "server", 6, msg, 32, a), ==, CORE_OK);
	g_assert_cmpint(gt_auth_mac(key, NULL, 0, msg, 32, b), ==, CORE_OK);
	g_assert_false(memcmp(a, b, 32) == 0); /* the prefix changes the MAC */
	g_assert_cmpint(gt_auth_token(key, msg, a), ==, CORE_OK);
	g_assert_true(memcmp(a, b, 32) == 0); /* token = MAC without prefix */
}

static void test_server_proof(void)
{
	uint8_t key[32], exporter[32], proof[32], token[32];

	memset(key, 0x11, sizeof(key));
	memset(exporter, 0x22, sizeof(exporter));
	g_assert_cmpint(gt_auth_server_proof(key, exporter, proof), ==, CORE_OK);
	g_assert_true(gt_auth_server_proof_verify(key, exporter, proof, 32));
	/* the proof is not the client's token: a session cannot replay it */
	g_assert_cmpint(gt_auth_token(key, exporter, token), ==, CORE_OK);
	g_assert_false(memcmp(proof, token, 32) == 0);
	g_assert_false(gt_auth_server_proof_verify(key, exporter, token, 32));
	g_assert_false(gt_auth_server_proof_verify(key, exporter, proof, 31));
	g_assert_false(gt_auth_server_proof_verify(key, exporter, NULL, 0));
	key[0] ^= 1;
	g_assert_false(gt_auth_server_proof_verify(key, exporter, proof, 32));
}

static void test_passkey_hex(void)
{
	uint8_t key[32], back[32];
	char hex[65], id[9], *padded, *upper;

	g_assert_cmpint(gt_passkey_generate(key), ==, CORE_OK);
	gt_passkey_to_hex(key, hex);
	g_assert_cmpuint(strlen(hex), ==, 64);
	g_assert_cmpint(gt_passkey_from_hex(back, hex), ==, CORE_OK);
	g_assert_cmpmem(back, 32, key, 32);
	padded = g_strdup_printf("  %s\r\n", hex);
	g_assert_cmpint(gt_passkey_from_hex(back, padded), ==, CORE_OK);
	g_assert_cmpmem(back, 32, key, 32);
	upper = g_ascii_strup(hex, -1);
	g_assert_cmpint(gt_passkey_from_hex(back, upper), ==, CORE_OK);
	g_assert_cmpmem(back, 32, key, 32);

	hex[63] = '\0';
	g_assert_cmpint(gt_passkey_from_hex(back, hex), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_passkey_from_hex(back, ""), ==, CORE_ERR_BAD_FORMAT);
	upper[10] = 'Z';
	g_assert_cmpint(gt_passkey_from_hex(back, upper), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_passkey_from_hex(back, "00 11"), ==, CORE_ERR_BAD_FORMAT);

	memcpy(key, "\xde\xad\xbe\xef", 4);
	gt_session_id_from_passkey(key, id);
	g_assert_cmpstr(id, ==, "deadbeef");
	g_free(padded);
	g_free(upper);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/auth/reference-vector", test_reference_vector);
	g_test_add_func("/auth/verify", test_verify);
	g_test_add_func("/auth/mac-prefix", test_mac_prefix);
	g_test_add_func("/auth/server-proof", test_server_proof);
	g_test_add_func("/auth/passkey-hex", test_passkey_hex);
	return g_test_run();
}
