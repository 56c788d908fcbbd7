/*
 * Unit tests for rift/cmd: the edit distance behind "did you mean", which
 * command is suggested (and when none is), and the argument parser's
 * verdicts. The exact text on stdout and stderr is asserted by
 * tests/integration/rift/cli.sh against the built program.
 */
#include <glib.h>
#include <stdint.h>

#include "rift/cmd.h"

static int nop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct rg_cmd cmds[] = {
	{ "server", nop, "" },	{ "wg", nop, "" }, { "genkey", nop, "" }, { "pubkey", nop, "" },
	{ "version", nop, "" }, { "up", nop, "" }, { "down", nop, "" },	  { "status", nop, "" },
};
static const struct rg_cmd_group group = { "riftgate", cmds, G_N_ELEMENTS(cmds) };

static void test_distance(void)
{
	g_assert_cmpuint(rg_cmd_distance("", ""), ==, 0);
	g_assert_cmpuint(rg_cmd_distance("server", "server"), ==, 0);
	g_assert_cmpuint(rg_cmd_distance("sever", "server"), ==, 1);   /* deletion */
	g_assert_cmpuint(rg_cmd_distance("serverr", "server"), ==, 1); /* insertion */
	g_assert_cmpuint(rg_cmd_distance("shwo", "show"), ==, 1);      /* swap */
	g_assert_cmpuint(rg_cmd_distance("sarver", "server"), ==, 1);  /* substitution */
	g_assert_cmpuint(rg_cmd_distance("ab", "ba"), ==, 1);
	g_assert_cmpuint(rg_cmd_distance("", "wg"), ==, 2);
	g_assert_cmpuint(rg_cmd_distance("kitten", "sitting"), ==, 3);
	g_assert_cmpuint(rg_cmd_distance("ca", "abc"), ==, 3); /* OSA, not Damerau: 3 */
	g_assert_cmpuint(rg_cmd_distance("x",
					 "0123456789012345678901234567890123456789012345678901234"
					 "567890123"),
			 ==, SIZE_MAX);
}

static void test_suggest(void)
{
	g_assert_cmpstr(rg_cmd_suggest(&group, "sever"), ==, "server");
	g_assert_cmpstr(rg_cmd_suggest(&group, "srever"), ==, "server");
	g_assert_cmpstr(rg_cmd_suggest(&group, "genky"), ==, "genkey");
	g_assert_cmpstr(rg_cmd_suggest(&group, "stauts"), ==, "status");
	g_assert_cmpstr(rg_cmd_suggest(&group, "wgg"), ==, "wg");
	g_assert_cmpstr(rg_cmd_suggest(&group, "hlep"), ==, "help");
	g_assert_cmpstr(rg_cmd_suggest(&group, "dwn"), ==, "down");
	/* the closest wins: "pubkey" is 1 edit away, "genkey" 3 */
	g_assert_cmpstr(rg_cmd_suggest(&group, "pubky"), ==, "pubkey");
	/* 3 edits: too far */
	g_assert_null(rg_cmd_suggest(&group, "serve-it"));
	/* as many edits as letters: a different word, not a typo ("ls" -> "wg", "up") */
	g_assert_null(rg_cmd_suggest(&group, "ls"));
	g_assert_null(rg_cmd_suggest(&group, "x"));
	g_assert_null(rg_cmd_suggest(&group, ""));
}

/* Command lines parsed so far: options and arguments point into them. */
static GPtrArray *lines;

/* rg_cmd_parse's verdict and arguments for one command line. */
static int parse(const struct rg_cmd_spec *spec, const char *line, const char **args)
{
	char **argv = g_strsplit(line, " ", -1);

	g_ptr_array_add(lines, argv);
	return rg_cmd_parse(spec, (int)g_strv_length(argv), argv, args);
}

static void test_parse(void)
{
	const char *ifname = NULL, *args[2];
	bool daemon = false;
	const struct rg_cmd_opt opts[] = {
		{ "--ifname", NULL, &ifname, NULL },
		{ "-d", "--daemon", NULL, &daemon },
		{ 0 },
	};
	const struct rg_cmd_spec spec = { "riftgate t", "usage: riftgate t\n", opts, 1, 2,
					  "<config>" };

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		g_test_trap_assert_stderr("*riftgate t: missing <config>\nusage: riftgate t\n*");
		return;
	}
	lines = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_assert_cmpint(parse(&spec, "t a", args), ==, RG_CMD_RUN);
	g_assert_cmpstr(args[0], ==, "a");
	g_assert_null(args[1]);
	g_assert_null(ifname);
	g_assert_cmpint(parse(&spec, "t --ifname x a b", args), ==, RG_CMD_RUN);
	g_assert_cmpstr(ifname, ==, "x");
	g_assert_cmpstr(args[1], ==, "b");
	ifname = NULL;
	g_assert_cmpint(parse(&spec, "t a --ifname=y", args), ==, RG_CMD_RUN);
	g_assert_cmpstr(ifname, ==, "y");
	g_assert_cmpint(parse(&spec, "t --daemon a", args), ==, RG_CMD_RUN);
	g_assert_true(daemon);
	g_assert_cmpint(parse(&spec, "t -- -a", args), ==, RG_CMD_RUN); /* "--" ends options */
	g_assert_cmpstr(args[0], ==, "-a");
	g_assert_cmpint(parse(&spec, "t -", args), ==, RG_CMD_RUN); /* "-" is an argument */
	g_assert_cmpint(parse(&spec, "t a --help", args), ==, 0);
	g_assert_cmpint(parse(&spec, "t --bogus -h", args), ==, 0); /* help wins */
	g_assert_cmpint(parse(&spec, "t -- -h", args), ==, RG_CMD_RUN);
	g_assert_cmpint(parse(&spec, "t a b c", args), ==, 1);
	g_assert_cmpint(parse(&spec, "t --bogus a", args), ==, 1);
	g_assert_cmpint(parse(&spec, "t a --ifname", args), ==, 1);
	g_assert_cmpint(parse(&spec, "t a -d=1", args), ==, 1);
	g_assert_cmpint(parse(&spec, "t", args), ==, 1); /* last: its stderr is checked above */
	g_ptr_array_unref(lines);
}

static void test_duration(void)
{
	static const struct {
		const char *s;
		bool ok;
		int64_t secs;
	} cases[] = {
		{ "10m", true, 600 },
		{ "30s", true, 30 },
		{ "24h", true, 86400 },
		{ "7d", true, 604800 },
		{ "365d", true, 365 * 86400 },
		{ "366d", false, 0 },
		{ "0m", false, 0 },
		{ "10", false, 0 },
		{ "m", false, 0 },
		{ "-1m", false, 0 },
		{ "1.5h", false, 0 },
		{ "10M", false, 0 },
		{ "", false, 0 },
		{ "99999999999d", false, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int64_t secs = -1;

		g_assert_cmpint(rg_cmd_duration(cases[i].s, &secs), ==, cases[i].ok);
		g_assert_cmpint(secs, ==, cases[i].secs);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/cmd/distance", test_distance);
	g_test_add_func("/rift/cmd/suggest", test_suggest);
	g_test_add_func("/rift/cmd/parse", test_parse);
	g_test_add_func("/rift/cmd/duration", test_duration);
	return g_test_run();
}
