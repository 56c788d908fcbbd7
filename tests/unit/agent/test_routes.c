/*
 * Unit tests for rift/agent/routes: each refusal with its exact reason, the
 * exit-node switch, the tunnel and local-subnet overlaps, and the routes
 * accepted from a peer as the intersection of what it advertises and what
 * this device selected (the reference routed selections the peer no longer
 * advertised, and let 0.0.0.0/1 + 128.0.0.0/1 through).
 */
#include <string.h>

#include "core/err.h"
#include "rift/agent/routes.h"

/* This device: tunnel 10.0.0.2/24, eth0 192.168.1.20/24, wlan0 fd00:1::5/64. */
static const struct rg_route_local locals[] = {
	{ "eth0", { 4, { 192, 168, 1, 20 }, 24 } },
	{ "wlan0", { 6, { 0xfd, 0x00, 0x00, 0x01, [15] = 5 }, 64 } },
};

static struct rg_route_policy policy(bool exit_node)
{
	struct rg_route_policy p = {
		.tunnel = { 4, { 10, 0, 0, 2 }, 24 },
		.local = locals,
		.n_local = G_N_ELEMENTS(locals),
		.exit_node = exit_node,
	};
	return p;
}

/* Validate text from a peer; assert the code and the reason ("" when accepted). */
static void expect_origin(const char *text, enum rg_route_origin origin, bool exit_node, int code,
			  const char *reason)
{
	struct rg_route_policy pol = policy(exit_node);
	char why[RG_ROUTE_REASON_LEN], s[RG_ROUTE_STRLEN];
	struct rg_wg_prefix p;

	memset(why, 0x5a, sizeof(why));
	g_assert_cmpint(rg_route_validate(text, origin, &pol, &p, why), ==, code);
	g_assert_cmpstr(why, ==, reason);
	if (code == CORE_OK)
		g_assert_cmpstr(rg_route_format(&p, s), ==, text);
	else
		g_assert_cmpint(p.family, ==, 0);
}

static void expect(const char *text, int code, const char *reason)
{
	expect_origin(text, RG_ROUTE_PEER, false, code, reason);
}

static void test_accepted(void)
{
	expect("192.168.2.0/24", CORE_OK, "");
	expect("172.16.0.0/12", CORE_OK, "");
	expect("8.0.0.0/8", CORE_OK, "");
	expect("10.1.0.0/16", CORE_OK, "");
	expect("10.0.1.7/32", CORE_OK, "");
	expect("fd00:2::/64", CORE_OK, "");
	expect("2001:db8::/32", CORE_OK, "");
	expect("2001::/16", CORE_OK, "");
}

static void test_malformed(void)
{
	const char *bad[] = { "",
			      "10.0.0.0",
			      "10.0.0/24",
			      "10.0.0.0/33",
			      "10.0.0.0/",
			      "10.0.0.0/-1",
			      "fd00::/129",
			      "host.lan/24",
			      "/24",
			      " 10.1.0.0/16",
			      "10.1.0.0/16 ",
			      "10.1.0.0/0x10",
			      "10.1.0.0/1000",
			      "010.1.0.0/16" };
	char want[RG_ROUTE_REASON_LEN];

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_snprintf(want, sizeof(want),
			   "route \"%s\": not a prefix like 192.168.1.0/24 or fd00::/64", bad[i]);
		expect(bad[i], CORE_ERR_BAD_FORMAT, want);
	}
}

static void test_host_bits(void)
{
	expect("10.1.0.1/16", CORE_ERR_BAD_FORMAT,
	       "route \"10.1.0.1/16\": host bits set (did you mean 10.1.0.0/16?)");
	expect("192.168.2.255/24", CORE_ERR_BAD_FORMAT,
	       "route \"192.168.2.255/24\": host bits set (did you mean 192.168.2.0/24?)");
	expect("fd00:2::1/64", CORE_ERR_BAD_FORMAT,
	       "route \"fd00:2::1/64\": host bits set (did you mean fd00:2::/64?)");
	expect("0.0.0.1/0", CORE_ERR_BAD_FORMAT,
	       "route \"0.0.0.1/0\": host bits set (did you mean 0.0.0.0/0?)");
}

static void test_default_and_wide(void)
{
	expect("0.0.0.0/0", CORE_ERR_BAD_VALUE,
	       "route \"0.0.0.0/0\": a default route (allow it with exit-node = true)");
	expect("::/0", CORE_ERR_BAD_VALUE,
	       "route \"::/0\": a default route (allow it with exit-node = true)");
	/* The reference's exact-string filter let the two halves through. */
	expect("0.0.0.0/1", CORE_ERR_BAD_VALUE,
	       "route \"0.0.0.0/1\": shorter than /8, most of the internet "
	       "(allow it with exit-node = true)");
	expect("128.0.0.0/1", CORE_ERR_BAD_VALUE,
	       "route \"128.0.0.0/1\": shorter than /8, most of the internet "
	       "(allow it with exit-node = true)");
	expect("12.0.0.0/7", CORE_ERR_BAD_VALUE,
	       "route \"12.0.0.0/7\": shorter than /8, most of the internet "
	       "(allow it with exit-node = true)");
	expect("2000::/3", CORE_ERR_BAD_VALUE,
	       "route \"2000::/3\": shorter than /16, most of the internet "
	       "(allow it with exit-node = true)");
	expect("::/1", CORE_ERR_BAD_VALUE,
	       "route \"::/1\": shorter than /16, most of the internet "
	       "(allow it with exit-node = true)");
	/* Our own advertisements obey the same rule. */
	expect_origin("0.0.0.0/0", RG_ROUTE_OURS, false, CORE_ERR_BAD_VALUE,
		      "route \"0.0.0.0/0\": a default route (allow it with exit-node = true)");
}

static void test_exit_node(void)
{
	expect_origin("0.0.0.0/0", RG_ROUTE_PEER, true, CORE_OK, "");
	expect_origin("0.0.0.0/1", RG_ROUTE_PEER, true, CORE_OK, "");
	expect_origin("128.0.0.0/1", RG_ROUTE_PEER, true, CORE_OK, "");
	expect_origin("::/0", RG_ROUTE_PEER, true, CORE_OK, "");
	expect_origin("2000::/3", RG_ROUTE_PEER, true, CORE_OK, "");
	expect_origin("0.0.0.0/0", RG_ROUTE_OURS, true, CORE_OK, "");
	/* Wide, but inside multicast: containing is an exit node's job, lying inside is not. */
	expect_origin("224.0.0.0/4", RG_ROUTE_PEER, true, CORE_ERR_BAD_VALUE,
		      "route \"224.0.0.0/4\": overlaps multicast 224.0.0.0/4");
	expect_origin("224.0.0.0/5", RG_ROUTE_PEER, true, CORE_ERR_BAD_VALUE,
		      "route \"224.0.0.0/5\": overlaps multicast 224.0.0.0/4");
	expect_origin("ff00::/8", RG_ROUTE_PEER, true, CORE_ERR_BAD_VALUE,
		      "route \"ff00::/8\": overlaps multicast ff00::/8");
	/* Narrow routes are checked in full either way. */
	expect_origin("127.0.0.0/8", RG_ROUTE_PEER, true, CORE_ERR_BAD_VALUE,
		      "route \"127.0.0.0/8\": overlaps loopback 127.0.0.0/8");
	expect_origin("192.168.0.0/16", RG_ROUTE_PEER, true, CORE_ERR_BAD_VALUE,
		      "route \"192.168.0.0/16\": overlaps eth0's subnet 192.168.1.0/24");
}

static void test_reserved(void)
{
	expect("127.0.0.0/8", CORE_ERR_BAD_VALUE,
	       "route \"127.0.0.0/8\": overlaps loopback 127.0.0.0/8");
	expect("127.0.0.1/32", CORE_ERR_BAD_VALUE,
	       "route \"127.0.0.1/32\": overlaps loopback 127.0.0.0/8");
	expect("169.254.0.0/16", CORE_ERR_BAD_VALUE,
	       "route \"169.254.0.0/16\": overlaps link-local 169.254.0.0/16");
	/* Containing link-local counts too: 169.0.0.0/8 would take the cloud's 169.254.169.254. */
	expect("169.0.0.0/8", CORE_ERR_BAD_VALUE,
	       "route \"169.0.0.0/8\": overlaps link-local 169.254.0.0/16");
	expect("224.0.0.0/8", CORE_ERR_BAD_VALUE,
	       "route \"224.0.0.0/8\": overlaps multicast 224.0.0.0/4");
	expect("239.255.255.250/32", CORE_ERR_BAD_VALUE,
	       "route \"239.255.255.250/32\": overlaps multicast 224.0.0.0/4");
	expect("0.0.0.0/8", CORE_ERR_BAD_VALUE,
	       "route \"0.0.0.0/8\": overlaps \"this network\" 0.0.0.0/8");
	expect("::1/128", CORE_ERR_BAD_VALUE, "route \"::1/128\": overlaps loopback ::1/128");
	expect("::/128", CORE_ERR_BAD_VALUE, "route \"::/128\": overlaps unspecified ::/128");
	expect("fe80::/64", CORE_ERR_BAD_VALUE,
	       "route \"fe80::/64\": overlaps link-local fe80::/10");
	expect("fe80::/10", CORE_ERR_BAD_VALUE,
	       "route \"fe80::/10\": overlaps link-local fe80::/10");
	expect("ff02::/16", CORE_ERR_BAD_VALUE, "route \"ff02::/16\": overlaps multicast ff00::/8");
	expect("ff00::/8", CORE_ERR_BAD_VALUE, "route \"ff00::/8\": overlaps multicast ff00::/8");
	/* Next to the ranges, not in them. */
	expect("126.0.0.0/8", CORE_OK, "");
	expect("128.0.0.0/8", CORE_OK, "");
	expect("169.253.0.0/16", CORE_OK, "");
	expect("223.255.255.0/24", CORE_OK, "");
	expect("fe40::/16", CORE_OK, "");
	expect("fec0::/16", CORE_OK, "");
}

static void test_tunnel(void)
{
	expect("10.0.0.0/24", CORE_ERR_BAD_VALUE,
	       "route \"10.0.0.0/24\": overlaps the tunnel subnet 10.0.0.0/24");
	/* Inside: would take another peer's tunnel address. */
	expect("10.0.0.7/32", CORE_ERR_BAD_VALUE,
	       "route \"10.0.0.7/32\": overlaps the tunnel subnet 10.0.0.0/24");
	/* Containing: the peer's LAN and the tunnel share addresses. */
	expect("10.0.0.0/8", CORE_ERR_BAD_VALUE,
	       "route \"10.0.0.0/8\": overlaps the tunnel subnet 10.0.0.0/24");
	expect_origin("10.0.0.0/16", RG_ROUTE_OURS, false, CORE_ERR_BAD_VALUE,
		      "route \"10.0.0.0/16\": overlaps the tunnel subnet 10.0.0.0/24");
	expect("10.0.1.0/24", CORE_OK, "");
}

static void test_local(void)
{
	expect("192.168.1.0/24", CORE_ERR_BAD_VALUE,
	       "route \"192.168.1.0/24\": overlaps eth0's subnet 192.168.1.0/24");
	expect("192.168.1.128/25", CORE_ERR_BAD_VALUE,
	       "route \"192.168.1.128/25\": overlaps eth0's subnet 192.168.1.0/24");
	expect("192.168.0.0/16", CORE_ERR_BAD_VALUE,
	       "route \"192.168.0.0/16\": overlaps eth0's subnet 192.168.1.0/24");
	expect("fd00:1::/48", CORE_ERR_BAD_VALUE,
	       "route \"fd00:1::/48\": overlaps wlan0's subnet fd00:1::/64");
	/* The LAN this device advertises is its own: no overlap to refuse. */
	expect_origin("192.168.1.0/24", RG_ROUTE_OURS, false, CORE_OK, "");
	expect_origin("fd00:1::/64", RG_ROUTE_OURS, false, CORE_OK, "");
}

static void test_escaped_text(void)
{
	struct rg_route_policy pol = policy(false);
	char why[RG_ROUTE_REASON_LEN];
	char long_text[400];
	struct rg_wg_prefix p;

	g_assert_cmpint(rg_route_validate("10.1.0.0/16\n\"x", RG_ROUTE_PEER, &pol, &p, why), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(why, ==,
			"route \"10.1.0.0/16\\x0a\\\"x\": not a prefix like 192.168.1.0/24 or "
			"fd00::/64");
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	g_assert_cmpint(rg_route_validate(long_text, RG_ROUTE_PEER, &pol, &p, why), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(
		why, ==,
		"route \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"...\": not a prefix like 192.168.1.0/24 or fd00::/64");
}

static void test_check_prefix(void)
{
	struct rg_route_policy pol = policy(false);
	struct rg_wg_prefix bad = { 5, { 0 }, 8 }, too_long = { 4, { 10, 1 }, 33 };
	struct rg_wg_prefix ok = { 4, { 10, 1 }, 16 };
	char why[RG_ROUTE_REASON_LEN];

	g_assert_cmpint(rg_route_check(&bad, NULL, RG_ROUTE_PEER, &pol, why), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(why, ==, "route: not an IPv4 or IPv6 prefix");
	g_assert_cmpint(rg_route_check(&too_long, NULL, RG_ROUTE_PEER, &pol, why), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(rg_route_check(&ok, NULL, RG_ROUTE_PEER, &pol, why), ==, CORE_OK);
	g_assert_cmpstr(why, ==, "");
	/* Without a tunnel prefix nothing overlaps it. */
	pol.tunnel.family = 0;
	ok.addr[1] = 0;
	g_assert_cmpint(rg_route_check(&ok, "10.0.0.0/16", RG_ROUTE_PEER, &pol, why), ==, CORE_OK);
}

static void test_contains(void)
{
	struct rg_wg_prefix a = { 4, { 10 }, 8 }, b = { 4, { 10, 1 }, 16 }, c = { 4, { 11 }, 8 };
	struct rg_wg_prefix v6 = { 6, { 10 }, 8 }, all = { 4, { 0 }, 0 };

	g_assert_true(rg_route_contains(&a, &b));
	g_assert_false(rg_route_contains(&b, &a));
	g_assert_true(rg_route_overlaps(&b, &a));
	g_assert_false(rg_route_overlaps(&a, &c));
	g_assert_false(rg_route_overlaps(&a, &v6));
	g_assert_true(rg_route_contains(&all, &c));
	g_assert_true(rg_route_contains(&a, &a));
}

/* Run rg_route_accept and compare with want (routes joined by " ") and refusals (by "|"). */
static void expect_accept(const char *const *adv, const char *const *sel, bool exit_node,
			  const char *want_routes, const char *want_refused)
{
	struct rg_route_policy pol = policy(exit_node);
	GString *got = g_string_new(NULL);
	char s[RG_ROUTE_STRLEN], *refused;
	struct rg_route_set set;

	memset(&set, 0x5a, sizeof(set));
	g_assert_cmpint(rg_route_accept(adv, sel, &pol, &set), ==, CORE_OK);
	for (size_t i = 0; i < set.n_routes; i++)
		g_string_append_printf(got, "%s%s", i > 0 ? " " : "",
				       rg_route_format(&set.routes[i], s));
	g_assert_cmpstr(got->str, ==, want_routes);
	g_assert_true(set.n_routes > 0 || set.routes == NULL);
	refused = g_strjoinv("|", set.refused);
	g_assert_cmpstr(refused, ==, want_refused);
	g_free(refused);
	g_string_free(got, TRUE);
	rg_route_set_clear(&set);
	g_assert_null(set.refused);
}

static void test_accept_all(void)
{
	const char *adv[] = { "192.168.5.0/24", "0.0.0.0/0",	  "10.0.0.9/32", "192.168.1.0/24",
			      "bogus",		"192.168.5.0/24", "fd00:5::/64", NULL };

	expect_accept(adv, NULL, false, "192.168.5.0/24 fd00:5::/64",
		      "route \"bogus\": not a prefix like 192.168.1.0/24 or fd00::/64|"
		      "route \"0.0.0.0/0\": a default route (allow it with exit-node = true)|"
		      "route \"10.0.0.9/32\": overlaps the tunnel subnet 10.0.0.0/24|"
		      "route \"192.168.1.0/24\": overlaps eth0's subnet 192.168.1.0/24");
	expect_accept(adv, NULL, true, "192.168.5.0/24 0.0.0.0/0 fd00:5::/64",
		      "route \"bogus\": not a prefix like 192.168.1.0/24 or fd00::/64|"
		      "route \"10.0.0.9/32\": overlaps the tunnel subnet 10.0.0.0/24|"
		      "route \"192.168.1.0/24\": overlaps eth0's subnet 192.168.1.0/24");
	expect_accept(NULL, NULL, false, "", "");
}

static void test_accept_selected(void)
{
	const char *adv[] = { "192.168.5.0/24", "172.16.0.0/12", NULL };
	/* The reference routed 10.9.0.0/16 though the peer no longer advertised it. */
	const char *sel[] = { "10.9.0.0/16",	"192.168.5.0/24", "172.16.4.0/24",
			      "192.168.0.0/16", "192.168.5.1/24", NULL };

	expect_accept(adv, sel, false, "192.168.5.0/24 172.16.4.0/24",
		      "route \"192.168.5.1/24\": host bits set (did you mean 192.168.5.0/24?)|"
		      "route \"10.9.0.0/16\": not advertised by the peer");
	/* Selecting a part of an exit node's default route. */
	{
		const char *exit_adv[] = { "0.0.0.0/0", NULL };
		const char *exit_sel[] = { "10.5.0.0/16", "8.8.8.8/32", "0.0.0.0/0", NULL };

		expect_accept(exit_adv, exit_sel, false, "10.5.0.0/16 8.8.8.8/32",
			      "route \"0.0.0.0/0\": a default route (allow it with exit-node = "
			      "true)");
		expect_accept(exit_adv, exit_sel, true, "10.5.0.0/16 8.8.8.8/32 0.0.0.0/0", "");
	}
	/* An empty selection accepts nothing, whatever is advertised. */
	{
		const char *empty[] = { NULL };

		expect_accept(adv, empty, false, "", "");
	}
}

static void test_accept_limits(void)
{
	char **adv = g_new0(char *, RG_ROUTES_MAX + 3);
	const char *sel[] = { "10.99.0.0/16", NULL };
	struct rg_route_policy pol = policy(false);
	struct rg_route_set set;

	for (int i = 0; i < RG_ROUTES_MAX + 2; i++)
		adv[i] = g_strdup_printf("10.%d.%d.0/24", 1 + i / 256, i % 256);
	g_assert_cmpint(rg_route_accept((const char *const *)adv, NULL, &pol, &set), ==, CORE_OK);
	g_assert_cmpuint(set.n_routes, ==, RG_ROUTES_MAX);
	g_assert_cmpstr(set.refused[0], ==, "advertised: more than 256 routes, the rest ignored");
	g_assert_null(set.refused[1]);
	rg_route_set_clear(&set);
	g_assert_cmpint(rg_route_accept((const char *const *)adv, sel, &pol, &set), ==, CORE_OK);
	g_assert_cmpuint(set.n_routes, ==, 0);
	g_assert_cmpstr(set.refused[1], ==, "route \"10.99.0.0/16\": not advertised by the peer");
	rg_route_set_clear(&set);
	g_assert_cmpint(rg_route_accept(NULL, NULL, NULL, &set), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpint(rg_route_accept(NULL, NULL, &pol, NULL), ==, CORE_ERR_INVALID_ARG);
	rg_route_set_clear(NULL);
	g_strfreev(adv);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/routes/accepted", test_accepted);
	g_test_add_func("/routes/malformed", test_malformed);
	g_test_add_func("/routes/host-bits", test_host_bits);
	g_test_add_func("/routes/default-and-wide", test_default_and_wide);
	g_test_add_func("/routes/exit-node", test_exit_node);
	g_test_add_func("/routes/reserved", test_reserved);
	g_test_add_func("/routes/tunnel", test_tunnel);
	g_test_add_func("/routes/local", test_local);
	g_test_add_func("/routes/escaped-text", test_escaped_text);
	g_test_add_func("/routes/check-prefix", test_check_prefix);
	g_test_add_func("/routes/contains", test_contains);
	g_test_add_func("/routes/accept-all", test_accept_all);
	g_test_add_func("/routes/accept-selected", test_accept_selected);
	g_test_add_func("/routes/accept-limits", test_accept_limits);
	return g_test_run();
}
