/*
 * Unit tests for goet/fwdspec: ssh's -L/-R grammar, the bind rules
 * (loopback unless an address is given), IPv6 in brackets, the ports'
 * ranges, ssh's error text, and format/parse round trips.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "goet/fwdspec.h"

struct good {
	char dir;
	const char *text;
	enum gt_fwd_bind bind;
	const char *bind_addr;
	unsigned port;
	const char *host;
	unsigned host_port;
	const char *canonical;
};

static const struct good goods[] = {
	{ 'L', "8080:localhost:80", GT_FWD_BIND_LOOPBACK, "", 8080, "localhost", 80,
	  "8080:localhost:80" },
	{ 'L', "localhost:8080:db.example:5432", GT_FWD_BIND_LOOPBACK, "", 8080, "db.example", 5432,
	  "8080:db.example:5432" },
	{ 'L', "*:2222:10.0.0.7:22", GT_FWD_BIND_ANY, "", 2222, "10.0.0.7", 22,
	  "*:2222:10.0.0.7:22" },
	{ 'L', ":2222:10.0.0.7:22", GT_FWD_BIND_ANY, "", 2222, "10.0.0.7", 22,
	  "*:2222:10.0.0.7:22" },
	{ 'L', "192.168.1.5:65535:my_host-1:1", GT_FWD_BIND_ADDRESS, "192.168.1.5", 65535,
	  "my_host-1", 1, "192.168.1.5:65535:my_host-1:1" },
	{ 'L', "[::1]:8080:[fe80::1%eth0]:80", GT_FWD_BIND_ADDRESS, "::1", 8080, "fe80::1%eth0", 80,
	  "[::1]:8080:[fe80::1%eth0]:80" },
	{ 'R', "0:localhost:22", GT_FWD_BIND_LOOPBACK, "", 0, "localhost", 22, "0:localhost:22" },
	{ 'R', "9000:[2001:db8::2]:443", GT_FWD_BIND_LOOPBACK, "", 9000, "2001:db8::2", 443,
	  "9000:[2001:db8::2]:443" },
};

static void test_good(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(goods); i++) {
		const struct good *g = &goods[i];
		struct gt_fwd_spec s, again;
		char err[256] = "", out[600];

		g_test_message("%c %s", g->dir, g->text);
		g_assert_cmpint(
			gt_fwd_spec_parse((enum gt_fwd_dir)g->dir, g->text, &s, err, sizeof(err)),
			==, CORE_OK);
		g_assert_cmpstr(err, ==, "");
		g_assert_cmpint(s.dir, ==, g->dir);
		g_assert_cmpint(s.bind, ==, g->bind);
		g_assert_cmpstr(s.bind_addr, ==, g->bind_addr);
		g_assert_cmpuint(s.port, ==, g->port);
		g_assert_cmpstr(s.host, ==, g->host);
		g_assert_cmpuint(s.host_port, ==, g->host_port);
		g_assert_cmpint(gt_fwd_spec_format(&s, out, sizeof(out)), ==,
				(int)strlen(g->canonical));
		g_assert_cmpstr(out, ==, g->canonical);
		g_assert_cmpint(gt_fwd_spec_parse(s.dir, out, &again, err, sizeof(err)), ==,
				CORE_OK);
		g_assert_cmpmem(&s, sizeof(s), &again, sizeof(again));
	}
}

static void expect_bad(char dir, const char *text, const char *want)
{
	struct gt_fwd_spec s;
	char err[256];

	g_test_message("%c %s", dir, text);
	g_assert_cmpint(gt_fwd_spec_parse((enum gt_fwd_dir)dir, text, &s, err, sizeof(err)), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(err, ==, want);
	g_assert_cmpuint(s.port, ==, 0);
	g_assert_cmpstr(s.host, ==, "");
}

static void test_bad(void)
{
	static const char *local[] = {
		"",
		"8080",
		"8080:host",
		"0:host:80",	      /* -L needs a port */
		"8080:host:0",	      /* the target needs one */
		"65536:host:80",      /* out of range */
		"8080:host:123456",   /* too long */
		"-1:host:80",	      /* not a number */
		"8080:host:+80",      /* not a number */
		"a:b:8080:host:80",   /* five fields */
		"8080::80",	      /* empty host */
		"8080:ho st:80",      /* a space */
		"8080:host/x:80",     /* not a name character */
		"8080:[host]:80",     /* brackets are for IPv6 */
		"8080:[::1:80",	      /* unclosed */
		"8080:::1:80",	      /* IPv6 without brackets */
		"8080:[::1]x:80",     /* text after the bracket */
		"[8080]:host:80",     /* a bracketed port */
		"8080:ho[st:80",      /* a stray bracket */
		"8080:localhost:80:", /* a trailing colon makes five fields */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(local); i++) {
		g_autofree char *want =
			g_strdup_printf("Bad local forwarding specification '%s'", local[i]);

		expect_bad('L', local[i], want);
	}
	expect_bad('R', "x:host:22", "Bad remote forwarding specification 'x:host:22'");
}

/* The error never carries a control character nor more than 80 bytes of input. */
static void test_error_quoting(void)
{
	char long_spec[300];

	memset(long_spec, 'a', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	expect_bad('L', "80\x1b[2J:h:\n1", "Bad local forwarding specification '80?[2J:h:?1'");
	{
		g_autofree char *want =
			g_strdup_printf("Bad local forwarding specification '%.80s...'", long_spec);

		expect_bad('L', long_spec, want);
	}
}

/* A host of exactly 255 bytes is taken; 256 is refused. */
static void test_host_length(void)
{
	struct gt_fwd_spec s;
	char name[257], text[300], err[256];

	memset(name, 'h', 255);
	name[255] = '\0';
	snprintf(text, sizeof(text), "1:%s:2", name);
	g_assert_cmpint(gt_fwd_spec_parse(GT_FWD_LOCAL, text, &s, err, sizeof(err)), ==, CORE_OK);
	g_assert_cmpuint(strlen(s.host), ==, 255);
	memset(name, 'h', 256);
	name[256] = '\0';
	snprintf(text, sizeof(text), "1:%s:2", name);
	g_assert_cmpint(gt_fwd_spec_parse(GT_FWD_LOCAL, text, &s, err, sizeof(err)), ==,
			CORE_ERR_BAD_FORMAT);
}

static void test_host_valid(void)
{
	g_assert_true(gt_fwd_host_valid("db.example", 10));
	g_assert_true(gt_fwd_host_valid("fe80::1%eth0", 12));
	g_assert_true(gt_fwd_host_valid("10.0.0.1", 8));
	g_assert_false(gt_fwd_host_valid("", 0));
	g_assert_false(gt_fwd_host_valid("a b", 3));
	g_assert_false(gt_fwd_host_valid("a\nb", 3));
	g_assert_false(gt_fwd_host_valid("[::1]", 5));
	g_assert_false(gt_fwd_host_valid("::1_", 4)); /* no '_' in an address */
	g_assert_false(gt_fwd_host_valid("a%b", 3));  /* a zone only on IPv6 */
}

static void test_format_small(void)
{
	struct gt_fwd_spec s;
	char err[64], out[8];

	g_assert_cmpint(gt_fwd_spec_parse(GT_FWD_LOCAL, "8080:localhost:80", &s, err, sizeof(err)),
			==, CORE_OK);
	g_assert_cmpint(gt_fwd_spec_format(&s, out, sizeof(out)), ==, -1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/goet/fwdspec/good", test_good);
	g_test_add_func("/goet/fwdspec/bad", test_bad);
	g_test_add_func("/goet/fwdspec/error-quoting", test_error_quoting);
	g_test_add_func("/goet/fwdspec/host-length", test_host_length);
	g_test_add_func("/goet/fwdspec/host-valid", test_host_valid);
	g_test_add_func("/goet/fwdspec/format-small", test_format_small);
	return g_test_run();
}
