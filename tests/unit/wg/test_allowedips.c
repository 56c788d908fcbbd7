/* Unit tests for rift/wg/allowedips: longest-prefix match, replace, remove, walk, parse. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "rift/wg/allowedips.h"

static int A, B, C, D; /* peers: their addresses are all that matters */

static void add(struct rg_allowedips *t, const char *prefix, void *peer)
{
	int fam;
	uint8_t a[16];
	unsigned cidr;

	g_assert_cmpint(core_cidr_parse(prefix, &fam, a, &cidr), ==, CORE_OK);
	g_assert_cmpint(rg_allowedips_insert(t, fam, a, cidr, peer), ==, CORE_OK);
}

static void *find(struct rg_allowedips *t, const char *ip)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		return rg_allowedips_lookup(t, 4, a);
	g_assert_cmpint(inet_pton(AF_INET6, ip, a), ==, 1);
	return rg_allowedips_lookup(t, 6, a);
}

static void test_longest_prefix(void)
{
	struct rg_allowedips *t = rg_allowedips_new();

	add(t, "10.0.0.0/8", &A);
	add(t, "10.1.0.0/16", &B);
	add(t, "10.1.2.3/32", &C);
	add(t, "fd00::/64", &A);
	add(t, "fd00::1/128", &B);
	g_assert_true(find(t, "10.9.9.9") == &A);
	g_assert_true(find(t, "10.1.9.9") == &B);
	g_assert_true(find(t, "10.1.2.3") == &C);
	g_assert_true(find(t, "10.1.2.4") == &B);
	g_assert_null(find(t, "11.0.0.1"));
	g_assert_true(find(t, "fd00::2") == &A);
	g_assert_true(find(t, "fd00::1") == &B);
	g_assert_null(find(t, "fd01::1"));
	g_assert_null(find(t, "::ffff:10.0.0.1")); /* families never mix */
	add(t, "0.0.0.0/0", &D);
	g_assert_true(find(t, "11.0.0.1") == &D);
	g_assert_cmpuint(rg_allowedips_count(t), ==, 6);
	/* the same prefix again moves it (wg set ... allowed-ips) */
	add(t, "10.1.0.0/16", &C);
	g_assert_true(find(t, "10.1.9.9") == &C);
	g_assert_cmpuint(rg_allowedips_count(t), ==, 6);
	/* a removed peer's prefixes fall back to shorter ones */
	g_assert_cmpuint(rg_allowedips_remove_peer(t, &C), ==, 2);
	g_assert_true(find(t, "10.1.2.3") == &A);
	g_assert_cmpuint(rg_allowedips_count(t), ==, 4);
	g_assert_cmpint(rg_allowedips_insert(t, 5, (const uint8_t *)"abcd", 1, &A), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(rg_allowedips_insert(t, 4, (const uint8_t *)"abcd", 33, &A), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(rg_allowedips_insert(t, 4, (const uint8_t *)"abcd", 3, NULL), ==,
			CORE_ERR_INVALID_ARG);
	rg_allowedips_free(t);
}

static void collect(int family, const uint8_t *addr, unsigned cidr, void *data)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip, sizeof(ip));
	g_string_append_printf(data, "%s/%u ", ip, cidr);
}

static void test_walk_and_parse(void)
{
	struct rg_allowedips *t = rg_allowedips_new();
	GString *s = g_string_new(NULL);
	int fam;
	uint8_t a[16];
	unsigned cidr;

	add(t, "192.168.7.9/24", &A); /* host bits cleared */
	add(t, "10.0.0.2/32", &A);
	add(t, "2001:db8::5/32", &A);
	add(t, "10.0.0.3/32", &B);
	rg_allowedips_foreach(t, &A, collect, s);
	g_assert_cmpstr(s->str, ==, "10.0.0.2/32 192.168.7.0/24 2001:db8::/32 ");
	g_assert_cmpint(core_cidr_parse("10.0.0.0/33", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("10.0.0.0", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("10.0.0.0/", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("10.0.0/8", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("::/129", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("::/128x", &fam, a, &cidr), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(core_cidr_parse("::/0", &fam, a, &cidr), ==, CORE_OK);
	g_assert_cmpint(fam, ==, 6);
	g_assert_cmpuint(cidr, ==, 0);
	g_string_free(s, TRUE);
	rg_allowedips_free(t);
}

/* Against a linear scan: 300 random prefixes, 20,000 random lookups. */
static void test_random_vs_linear(void)
{
	struct rg_allowedips *t = rg_allowedips_new();
	struct {
		uint32_t net;
		unsigned len;
		int *peer;
	} p[300];
	static int peers[300];
	GRand *r = g_rand_new_with_seed(42);

	for (int i = 0; i < 300; i++) {
		unsigned len = (unsigned)g_rand_int_range(r, 0, 33);
		uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
		uint32_t net = (g_rand_int(r) & 0x0fffffff) & mask; /* dense: many overlaps */
		uint8_t a[4];

		p[i].net = net;
		p[i].len = len;
		p[i].peer = &peers[i];
		for (int j = 0; j < i; j++) /* a later insert of the same prefix wins */
			if (p[j].net == net && p[j].len == len)
				p[j].len = 99;
		a[0] = (uint8_t)(net >> 24);
		a[1] = (uint8_t)(net >> 16);
		a[2] = (uint8_t)(net >> 8);
		a[3] = (uint8_t)net;
		g_assert_cmpint(rg_allowedips_insert(t, 4, a, len, p[i].peer), ==, CORE_OK);
	}
	for (int k = 0; k < 20000; k++) {
		uint32_t ip = g_rand_int(r) & 0x0fffffff;
		uint8_t a[4] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
				 (uint8_t)ip };
		int *want = NULL;
		int best = -1;

		for (int i = 0; i < 300; i++) {
			uint32_t mask;

			if (p[i].len > 32) /* overridden */
				continue;
			mask = p[i].len == 0 ? 0 : 0xffffffffu << (32 - p[i].len);
			if ((int)p[i].len > best && (ip & mask) == p[i].net) {
				best = (int)p[i].len;
				want = p[i].peer;
			}
		}
		g_assert_true(rg_allowedips_lookup(t, 4, a) == want);
	}
	g_rand_free(r);
	rg_allowedips_free(t);
}

/*
 * The last answers are kept, and forgotten when the table changes: a more
 * specific prefix for another peer, a peer removed, the same prefix moved.
 */
static void test_cached(void)
{
	struct rg_allowedips *t = rg_allowedips_new();

	add(t, "10.0.0.0/8", &A);
	add(t, "fd00::/8", &C);
	for (int i = 0; i < 3; i++) {
		g_assert_true(find(t, "10.1.2.3") == &A);
		g_assert_true(find(t, "fd00::5") == &C);
		g_assert_true(find(t, "10.9.9.9") == &A);
	}
	add(t, "10.1.2.0/24", &B);
	g_assert_true(find(t, "10.1.2.3") == &B);
	g_assert_true(find(t, "10.9.9.9") == &A);
	rg_allowedips_remove_peer(t, &B);
	g_assert_true(find(t, "10.1.2.3") == &A);
	add(t, "10.0.0.0/8", &D);
	g_assert_true(find(t, "10.1.2.3") == &D);
	rg_allowedips_remove_peer(t, &D);
	g_assert_null(find(t, "10.1.2.3"));
	g_assert_true(find(t, "fd00::5") == &C);
	/* IPv4 and IPv6 keys never meet, even with the same first bytes */
	g_assert_null(find(t, "::a01:203"));
	rg_allowedips_free(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/allowedips/longest-prefix", test_longest_prefix);
	g_test_add_func("/wg/allowedips/walk-and-parse", test_walk_and_parse);
	g_test_add_func("/wg/allowedips/random-vs-linear", test_random_vs_linear);
	g_test_add_func("/wg/allowedips/cached", test_cached);
	return g_test_run();
}
