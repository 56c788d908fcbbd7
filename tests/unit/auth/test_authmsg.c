/*
 * Unit tests for rift/auth: the /auth bodies (requests with every kind of
 * bad field, responses round trip), ICE URLs, TURN credentials against a
 * vector computed with Python's hmac (coturn's use-auth-secret scheme), the
 * guard against token guessing, and sealed tokens.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/auth/authmsg.h"
#include "rift/auth/guard.h"
#include "rift/auth/token.h"
#include "rift/auth/turncred.h"

struct req_case {
	const char *body;
	int code;
	const char *err;
};

static void test_register_req(void)
{
	static const struct req_case cases[] = {
		{ "{\"device_name\":\"laptop\",\"join_token\":\"rgj_00\"}", CORE_OK, NULL },
		{ "{\"device_name\":\"x'); DROP TABLE devices; --\",\"join_token\":\"rgj_'--\"}",
		  CORE_OK, NULL },
		{ "{\"device_name\":\"名前 \\\"q\\\"\",\"join_token\":\"t\",\"extra\":[1,{}]}",
		  CORE_OK, NULL },
		{ "", CORE_ERR_BAD_FORMAT, RG_AUTH_ERR_BODY },
		{ "[]", CORE_ERR_BAD_FORMAT, RG_AUTH_ERR_BODY },
		{ "{\"device_name\":\"a\",", CORE_ERR_BAD_FORMAT, RG_AUTH_ERR_BODY },
		{ "{\"device_name\":1,\"join_token\":\"t\"}", CORE_ERR_BAD_FORMAT,
		  RG_AUTH_ERR_BODY },
		{ "{\"device_name\":\"a\",\"join_token\":[\"t\"]}", CORE_ERR_BAD_FORMAT,
		  RG_AUTH_ERR_BODY },
		{ "{\"join_token\":\"t\"}", CORE_ERR_NOT_FOUND, RG_AUTH_ERR_NAME_MISSING },
		{ "{\"device_name\":null,\"join_token\":\"t\"}", CORE_ERR_NOT_FOUND,
		  RG_AUTH_ERR_NAME_MISSING },
		{ "{\"device_name\":\"\",\"join_token\":\"t\"}", CORE_ERR_NOT_FOUND,
		  RG_AUTH_ERR_NAME_MISSING },
		{ "{\"device_name\":\"a\"}", CORE_ERR_NOT_FOUND, RG_AUTH_ERR_JOIN_MISSING },
		{ "{\"device_name\":\"a/b\",\"join_token\":\"t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_NAME_BAD },
		{ "{\"device_name\":\"a\\nb\",\"join_token\":\"t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_NAME_BAD },
		{ "{\"device_name\":\" a\",\"join_token\":\"t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_NAME_BAD },
		{ "{\"device_name\":\"a \",\"join_token\":\"t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_NAME_BAD },
		{ "{\"device_name\":\"a\\u0085b\",\"join_token\":\"t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_NAME_BAD },
		{ "{\"device_name\":\"a\\u0000b\",\"join_token\":\"t\"}", CORE_ERR_BAD_FORMAT,
		  RG_AUTH_ERR_BODY },
		{ "{\"device_name\":\"a\",\"join_token\":\"t t\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_TOKEN_BAD },
		{ "{\"device_name\":\"a\",\"join_token\":\"é\"}", CORE_ERR_BAD_VALUE,
		  RG_AUTH_ERR_TOKEN_BAD },
		{ "{\"a\":[[[[[[[[1]]]]]]]],\"device_name\":\"a\",\"join_token\":\"t\"}",
		  CORE_ERR_BAD_FORMAT, RG_AUTH_ERR_BODY },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct rg_auth_register_req r;
		const char *err;
		int rc = rg_auth_register_parse(cases[i].body, strlen(cases[i].body), &r, &err);

		if (rc != cases[i].code)
			g_error("%s: %d, expected %d", cases[i].body, rc, cases[i].code);
		g_assert_cmpstr(err, ==, cases[i].err);
		if (rc == CORE_OK)
			g_assert_nonnull(r.device_name);
		else
			g_assert_null(r.device_name);
		rg_auth_register_req_clear(&r);
	}
	{
		/* 65 bytes of name, a body beyond 4 KiB */
		char *n65 = g_strnfill(65, 'n'), *n64 = g_strnfill(64, 'n');
		char *b = g_strdup_printf("{\"device_name\":\"%s\",\"join_token\":\"t\"}", n65);
		char *pad = g_strnfill(RG_AUTH_MAX_BODY, ' ');
		char *big = g_strdup_printf("{\"device_name\":\"a\",\"join_token\":\"t\"}%s", pad);
		struct rg_auth_register_req r;
		const char *err;

		g_assert_cmpint(rg_auth_register_parse(b, strlen(b), &r, &err), ==,
				CORE_ERR_BAD_VALUE);
		g_free(b);
		b = g_strdup_printf("{\"device_name\":\"%s\",\"join_token\":\"t\"}", n64);
		g_assert_cmpint(rg_auth_register_parse(b, strlen(b), &r, &err), ==, CORE_OK);
		rg_auth_register_req_clear(&r);
		g_assert_cmpint(rg_auth_register_parse(big, strlen(big), &r, &err), ==,
				CORE_ERR_BAD_FORMAT);
		g_free(b);
		g_free(n65);
		g_free(n64);
		g_free(pad);
		g_free(big);
	}
}

static void test_refresh_req(void)
{
	struct rg_auth_refresh_req r;
	const char *err;
	char *body = rg_auth_refresh_encode("id-1", "rgr_ab");

	g_assert_cmpstr(body, ==, "{\"device_id\":\"id-1\",\"refresh_token\":\"rgr_ab\"}");
	g_assert_cmpint(rg_auth_refresh_parse(body, strlen(body), &r, &err), ==, CORE_OK);
	g_assert_cmpstr(r.device_id, ==, "id-1");
	g_assert_cmpstr(r.refresh_token, ==, "rgr_ab");
	rg_auth_refresh_req_clear(&r);
	g_free(body);
	g_assert_cmpint(rg_auth_refresh_parse("{\"device_id\":\"x\"}", 17, &r, &err), ==,
			CORE_ERR_NOT_FOUND);
	g_assert_cmpstr(err, ==, RG_AUTH_ERR_RT_MISSING);
	g_assert_cmpint(rg_auth_refresh_parse("{\"refresh_token\":\"x\"}", 21, &r, &err), ==,
			CORE_ERR_NOT_FOUND);
	g_assert_cmpstr(err, ==, RG_AUTH_ERR_ID_MISSING);
	body = rg_auth_register_encode("名前", "rgj_1");
	g_assert_cmpstr(body, ==, "{\"device_name\":\"名前\",\"join_token\":\"rgj_1\"}");
	g_free(body);
}

static void test_session(void)
{
	struct rg_auth_session s = {
		.device_id = "d1",
		.access_token = "a.b.c",
		.refresh_token = "rgr_1",
		.expires_in = 3600,
		.address = "10.0.0.2/24",
		.subnet = "10.0.0.0/24",
		.network = "home",
		.server_url = "https://h:8443",
		.ice = { { "stun:198.51.100.1:3478", NULL, NULL, NULL },
			 { "turn:198.51.100.1:3478?transport=udp", "1800086400:d1", "pw==", NULL } },
		.n_ice = 2,
	};
	struct rg_auth_session got;
	char err[128];
	char *reg = rg_auth_session_encode(&s, true), *ref = rg_auth_session_encode(&s, false);

	g_assert_cmpstr(
		ref, ==,
		"{\"access_token\":\"a.b.c\",\"refresh_token\":\"rgr_1\",\"expires_in\":3600,"
		"\"ice_servers\":[{\"urls\":[\"stun:198.51.100.1:3478\"]},{\"urls\":[\"turn:"
		"198.51.100.1:3478?transport=udp\"],\"username\":\"1800086400:d1\","
		"\"credential\":\"pw==\"}]}");
	g_assert_cmpint(rg_auth_session_parse(reg, strlen(reg), true, &got, err, sizeof(err)), ==,
			CORE_OK);
	g_assert_cmpstr(got.device_id, ==, "d1");
	g_assert_cmpstr(got.address, ==, "10.0.0.2/24");
	g_assert_cmpstr(got.server_url, ==, "https://h:8443");
	g_assert_cmpuint(got.n_ice, ==, 2);
	g_assert_cmpstr(got.ice[1].credential, ==, "pw==");
	g_assert_null(got.ice[0].username);
	rg_auth_session_clear(&got);
	/* a refresh response lacks the register-only fields */
	g_assert_cmpint(rg_auth_session_parse(ref, strlen(ref), true, &got, err, sizeof(err)), ==,
			CORE_ERR_NOT_FOUND);
	g_assert_cmpstr(err, ==, "\"device_id\" is missing");
	g_assert_cmpint(rg_auth_session_parse(ref, strlen(ref), false, &got, err, sizeof(err)), ==,
			CORE_OK);
	rg_auth_session_clear(&got);
	g_assert_cmpint(rg_auth_session_parse("{\"access_token\":\"a\",\"refresh_token\":\"r\","
					      "\"expires_in\":0}",
					      60, false, &got, err, sizeof(err)),
			==, CORE_ERR_BAD_FORMAT);
	g_free(reg);
	g_free(ref);
}

/* A turns: server with the fingerprint of its certificate, both ways. */
static void test_session_turn_fingerprint(void)
{
	static const char fp[] = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"
				 "45:67:89:AB:CD:EF:01:23:45:67:89";
	struct rg_auth_session s = {
		.access_token = "a.b.c",
		.refresh_token = "rgr_1",
		.expires_in = 3600,
		.ice = { { "turns:198.51.100.1:5349?transport=tcp", "1:d1", "pw==", (char *)fp } },
		.n_ice = 1,
	};
	struct rg_auth_session got;
	char err[128];
	char *ref = rg_auth_session_encode(&s, false);

	g_assert_nonnull(strstr(ref, "\"credential\":\"pw==\",\"fingerprint\":\"AB:CD:EF:01:"));
	g_assert_cmpint(rg_auth_session_parse(ref, strlen(ref), false, &got, err, sizeof(err)), ==,
			CORE_OK);
	g_assert_cmpstr(got.ice[0].fingerprint, ==, fp);
	rg_auth_session_clear(&got);
	g_assert_cmpint(rg_auth_session_parse("{\"access_token\":\"a\",\"refresh_token\":\"r\","
					      "\"expires_in\":1,\"ice_servers\":[{\"urls\":[\"t\"],"
					      "\"fingerprint\":7}]}",
					      102, false, &got, err, sizeof(err)),
			==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(err, ==, "\"fingerprint\" must be a string");
	g_free(ref);
}

static void test_devices_and_errors(void)
{
	struct rg_auth_device d[2] = { { "d1", "a\"b", "10.0.0.1/24", 100, 0, false },
				       { "d2", "名前", "10.0.0.2/24", 200, 300, true } };
	struct rg_auth_device *got;
	size_t n;
	char err[128], *text = rg_auth_devices_encode(d, 2), *reason;

	g_assert_cmpstr(
		text, ==,
		"{\"devices\":[{\"device_id\":\"d1\",\"device_name\":\"a\\\"b\",\"address\":"
		"\"10.0.0.1/24\",\"created_at\":100,\"last_seen_at\":null,\"revoked\":false},"
		"{\"device_id\":\"d2\",\"device_name\":\"名前\",\"address\":\"10.0.0.2/24\","
		"\"created_at\":200,\"last_seen_at\":300,\"revoked\":true}]}");
	g_assert_cmpint(rg_auth_devices_parse(text, strlen(text), &got, &n, err, sizeof(err)), ==,
			CORE_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(got[0].device_name, ==, "a\"b");
	g_assert_cmpint(got[0].last_seen_at, ==, 0);
	g_assert_true(got[1].revoked);
	rg_auth_devices_free(got, n);
	g_free(text);
	g_assert_cmpint(rg_auth_devices_parse("{\"devices\":[1]}", 15, &got, &n, err, sizeof(err)),
			==, CORE_ERR_BAD_FORMAT);
	text = rg_auth_error_encode("invalid \"x\"");
	g_assert_cmpstr(text, ==, "{\"error\":\"invalid \\\"x\\\"\"}");
	reason = rg_auth_error_parse(text, strlen(text));
	g_assert_cmpstr(reason, ==, "invalid \"x\"");
	g_free(reason);
	g_free(text);
	g_assert_null(rg_auth_error_parse("Not Found", 9));
}

static void test_ice_urls(void)
{
	static const struct {
		const char *url;
		int rc;
		const char *host;
		uint16_t port;
		bool turn;
		const char *transport;
	} cases[] = {
		{ "stun:198.51.100.1:3478", CORE_OK, "198.51.100.1", 3478, false, "udp" },
		{ "turn:turn.example:3478?transport=udp", CORE_OK, "turn.example", 3478, true,
		  "udp" },
		{ "turn:[2001:db8::1]:3478?transport=tcp", CORE_OK, "2001:db8::1", 3478, true,
		  "tcp" },
		{ "turns:turn.example:5349?transport=tcp", CORE_OK, "turn.example", 5349, true,
		  "tls" },
		{ "turns:turn.example:5349", CORE_OK, "turn.example", 5349, true, "tls" },
		{ "stun:h:3478?transport=udp", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "turn:h:3478?transport=sctp", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "turns:h:5349?transport=udp", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "turn:h", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "turn:h:0", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "http://h:80", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		/* TURN over WebSocket (the Worker's /turn) */
		{ "wss://rg.example.workers.dev/turn", CORE_OK, "rg.example.workers.dev", 443, true,
		  "wss" },
		{ "ws://198.51.100.1:8787/turn", CORE_OK, "198.51.100.1", 8787, true, "ws" },
		{ "wss:///turn", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "wss://h/turn?x=1", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
		{ "wss://u@h/turn", CORE_ERR_BAD_FORMAT, NULL, 0, false, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *host;
		uint16_t port;
		bool turn = false;
		const char *tr;
		int rc = rg_auth_ice_url_parse(cases[i].url, &host, &port, &turn, &tr);

		if (rc != cases[i].rc)
			g_error("%s: %d", cases[i].url, rc);
		if (rc != CORE_OK) {
			g_assert_null(host);
			continue;
		}
		g_assert_cmpstr(host, ==, cases[i].host);
		g_assert_cmpuint(port, ==, cases[i].port);
		g_assert_cmpint(turn, ==, cases[i].turn);
		g_assert_cmpstr(tr, ==, cases[i].transport);
		g_free(host);
	}
}

static void test_turn_credentials(void)
{
	char *u = rg_turn_username(1800086400, "6f1c2b1e-0000-4000-8000-000000000001");
	char *p = rg_turn_password("lab-turn-secret-0123", 20, u);

	g_assert_cmpstr(u, ==, "1800086400:6f1c2b1e-0000-4000-8000-000000000001");
	g_assert_cmpstr(p, ==, "oHCX84Cw6AsxfkvGELHpVtmnf0M=");
	g_free(u);
	g_free(p);
}

static void test_guard(void)
{
	struct rg_guard *g = rg_guard_new(3, 6, 2);
	unsigned after;
	int64_t t = 1000000;

	g_assert_true(rg_guard_allow(g, "192.0.2.1", t, &after));
	for (int i = 0; i < 3; i++) {
		g_assert_true(rg_guard_allow(g, "192.0.2.1", t, &after));
		rg_guard_fail(g, "192.0.2.1", t);
	}
	/* the fourth try waits 10 s (6 a minute); another source is not affected */
	g_assert_false(rg_guard_allow(g, "192.0.2.1", t, &after));
	g_assert_cmpuint(after, ==, 10);
	g_assert_false(rg_guard_allow(g, "192.0.2.1", t + 9 * G_USEC_PER_SEC, &after));
	g_assert_cmpuint(after, ==, 1);
	g_assert_true(rg_guard_allow(g, "192.0.2.2", t, &after));
	g_assert_true(rg_guard_allow(g, "192.0.2.1", t + 10 * G_USEC_PER_SEC, &after));
	rg_guard_fail(g, "192.0.2.1", t + 10 * G_USEC_PER_SEC);
	g_assert_false(rg_guard_allow(g, "192.0.2.1", t + 10 * G_USEC_PER_SEC, &after));
	/* at most 2 sources: a third evicts the stalest (.1 was seen last) */
	rg_guard_fail(g, "192.0.2.2", t + 11 * G_USEC_PER_SEC);
	rg_guard_fail(g, "192.0.2.3", t + 12 * G_USEC_PER_SEC);
	g_assert_cmpuint(rg_guard_size(g), ==, 2);
	rg_guard_free(g);
}

/* A sealed token opens with the token it was sealed with, and with nothing else. */
static void test_token_seal(void)
{
	char *prev = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	char *next = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	char *other = rg_token_new(RG_TOKEN_REFRESH_PREFIX, RG_TOKEN_REFRESH_BYTES);
	char *long_one = g_strnfill(129, 'x'), *got = NULL, hash[RG_TOKEN_HASH_LEN];
	uint8_t box[RG_TOKEN_SEALED_MAX], box2[RG_TOKEN_SEALED_MAX];
	size_t n = 0, n2 = 0;

	g_assert_cmpint(rg_token_seal(prev, next, box, &n), ==, CORE_OK);
	g_assert_cmpuint(n, ==, strlen(next) + RG_TOKEN_SEAL_OVERHEAD);
	/* the token is not in the box, and two seals differ (a random nonce) */
	g_assert_null(g_strstr_len((const char *)box, (gssize)n, next + 4));
	g_assert_cmpint(rg_token_seal(prev, next, box2, &n2), ==, CORE_OK);
	g_assert_cmpuint(n2, ==, n);
	g_assert_cmpint(memcmp(box, box2, n), !=, 0);
	g_assert_cmpint(rg_token_unseal(prev, box, n, &got), ==, CORE_OK);
	g_assert_cmpstr(got, ==, next);
	g_free(got);
	/* another token, the stored SHA-256 of the right one, a flipped bit, a cut */
	g_assert_cmpint(rg_token_unseal(other, box, n, &got), ==, CORE_ERR_AUTH);
	g_assert_null(got);
	rg_token_hash(prev, hash);
	g_assert_cmpint(rg_token_unseal(hash, box, n, &got), ==, CORE_ERR_AUTH);
	box[n - 1] ^= 1;
	g_assert_cmpint(rg_token_unseal(prev, box, n, &got), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_token_unseal(prev, box2, RG_TOKEN_SEAL_OVERHEAD - 1, &got), ==,
			CORE_ERR_TRUNCATED);
	g_assert_cmpint(rg_token_unseal(prev, box2, n2 - 1, &got), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_token_seal(prev, long_one, box, &n), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpuint(n, ==, 0);
	g_free(prev);
	g_free(next);
	g_free(other);
	g_free(long_one);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/authmsg/register-request", test_register_req);
	g_test_add_func("/authmsg/refresh-request", test_refresh_req);
	g_test_add_func("/authmsg/session", test_session);
	g_test_add_func("/authmsg/devices-and-errors", test_devices_and_errors);
	g_test_add_func("/authmsg/ice-urls", test_ice_urls);
	g_test_add_func("/turncred/vector", test_turn_credentials);
	g_test_add_func("/authmsg/session-turn-fingerprint", test_session_turn_fingerprint);
	g_test_add_func("/guard/limits", test_guard);
	g_test_add_func("/token/seal", test_token_seal);
	return g_test_run();
}
