/* Unit tests for core/addr: parse, format, split, compare, GIO conversion. */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>

#include "core/addr.h"
#include "core/err.h"

static void check_roundtrip(const char *in, const char *want, int family, uint16_t port)
{
	struct core_addr a;
	char out[CORE_ADDR_STRLEN];

	g_assert_cmpint(core_addr_parse(&a, in), ==, CORE_OK);
	g_assert_cmpint(core_addr_family(&a), ==, family);
	g_assert_cmpuint(core_addr_port(&a), ==, port);
	g_assert_cmpstr(core_addr_format(&a, out, sizeof(out)), ==, want);
}

static void test_parse_format(void)
{
	check_roundtrip("192.0.2.1:80", "192.0.2.1:80", AF_INET, 80);
	check_roundtrip("0.0.0.0:0", "0.0.0.0:0", AF_INET, 0);
	check_roundtrip("[2001:db8::1]:443", "[2001:db8::1]:443", AF_INET6, 443);
	check_roundtrip("[::1]:65535", "[::1]:65535", AF_INET6, 65535);
	check_roundtrip("[2001:DB8:0:0::1]:1", "[2001:db8::1]:1", AF_INET6, 1);
	check_roundtrip("[fe80::1%1]:80", "[fe80::1%1]:80", AF_INET6, 80);
	check_roundtrip("[fe80::1%lo]:80", "[fe80::1%1]:80", AF_INET6, 80);
	check_roundtrip("[::ffff:1.2.3.4]:9", "1.2.3.4:9", AF_INET6, 9); /* v4-mapped */
}

static void test_parse_errors(void)
{
	static const struct {
		const char *in;
		int err;
	} cases[] = {
		{ "", CORE_ERR_BAD_FORMAT },
		{ "1.2.3.4", CORE_ERR_BAD_FORMAT },
		{ "1.2.3.4:", CORE_ERR_BAD_FORMAT },
		{ "1.2.3.4:65536", CORE_ERR_BAD_VALUE },
		{ "1.2.3.4:123456", CORE_ERR_BAD_VALUE },
		{ "1.2.3.4:8a", CORE_ERR_BAD_FORMAT },
		{ "1.2.3.4:-1", CORE_ERR_BAD_FORMAT },
		{ "1.2.3:80", CORE_ERR_BAD_FORMAT },
		{ "256.1.1.1:80", CORE_ERR_BAD_FORMAT },
		{ "::1:80", CORE_ERR_BAD_FORMAT },
		{ "[::1]80", CORE_ERR_BAD_FORMAT },
		{ "[::1", CORE_ERR_BAD_FORMAT },
		{ "[]:80", CORE_ERR_BAD_FORMAT },
		{ "[1.2.3.4]:80", CORE_ERR_BAD_FORMAT },
		{ "[::1%nosuchif0]:80", CORE_ERR_BAD_VALUE },
		{ "example.com:80", CORE_ERR_BAD_FORMAT },
		{ ":80", CORE_ERR_BAD_FORMAT },
	};
	struct core_addr a;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("input '%s'", cases[i].in);
		g_assert_cmpint(core_addr_parse(&a, cases[i].in), ==, cases[i].err);
		g_assert_cmpint(core_addr_family(&a), ==, AF_UNSPEC);
	}
}

static void test_split(void)
{
	char *host;
	uint16_t port;

	g_assert_cmpint(core_addr_split_host_port("example.com:2222", &host, &port), ==, CORE_OK);
	g_assert_cmpstr(host, ==, "example.com");
	g_assert_cmpuint(port, ==, 2222);
	g_free(host);
	g_assert_cmpint(core_addr_split_host_port("[::1]:22", &host, &port), ==, CORE_OK);
	g_assert_cmpstr(host, ==, "::1");
	g_free(host);
	g_assert_cmpint(core_addr_split_host_port("example.com", &host, &port), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_null(host);
}

static void test_equal_port_sockaddr(void)
{
	struct core_addr a, b;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7) };
	char out[CORE_ADDR_STRLEN];

	g_assert_cmpint(core_addr_parse(&a, "10.0.0.1:7"), ==, CORE_OK);
	sin.sin_addr.s_addr = htonl(0x0a000001);
	g_assert_cmpint(core_addr_from_sockaddr(&b, (struct sockaddr *)&sin, sizeof(sin)), ==,
			CORE_OK);
	g_assert_true(core_addr_equal(&a, &b));
	core_addr_set_port(&b, 8);
	g_assert_false(core_addr_equal(&a, &b));
	g_assert_cmpstr(core_addr_format(&b, out, sizeof(out)), ==, "10.0.0.1:8");
	g_assert_cmpint(core_addr_from_sockaddr(&b, (struct sockaddr *)&sin, 4), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpint(core_addr_parse(&b, "[::a00:1]:7"), ==, CORE_OK);
	g_assert_false(core_addr_equal(&a, &b));
	memset(&b, 0, sizeof(b));
	g_assert_cmpstr(core_addr_format(&b, out, sizeof(out)), ==, "?");
}

static void test_gio(void)
{
	struct core_addr a, b;
	GSocketAddress *g;
	GInetAddress *ia;
	char *s;

	g_assert_cmpint(core_addr_parse(&a, "[2001:db8::5]:4433"), ==, CORE_OK);
	g = core_addr_to_gsocketaddress(&a);
	g_assert_nonnull(g);
	ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(g));
	s = g_inet_address_to_string(ia);
	g_assert_cmpstr(s, ==, "2001:db8::5");
	g_assert_cmpuint(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(g)), ==, 4433);
	g_assert_cmpint(core_addr_from_gsocketaddress(&b, g), ==, CORE_OK);
	g_assert_true(core_addr_equal(&a, &b));
	g_free(s);
	g_object_unref(g);
	g_assert_cmpint(core_addr_from_gsocketaddress(&b, NULL), ==, CORE_ERR_INVALID_ARG);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/addr/parse-format", test_parse_format);
	g_test_add_func("/addr/parse-errors", test_parse_errors);
	g_test_add_func("/addr/split", test_split);
	g_test_add_func("/addr/equal-port-sockaddr", test_equal_port_sockaddr);
	g_test_add_func("/addr/gio", test_gio);
	return g_test_run();
}
