/* Unit tests for goet/cli/args: the reference's single-pass flag rules. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/cli/args.h"

static char **argv_store; /* the last command line; args point into it */

/* Parse a space-separated command line. */
static int parse(const char *line, struct gt_args *a, char *err)
{
	char **argv;
	int r;

	g_strfreev(argv_store);
	argv = argv_store = g_strsplit(line, " ", -1);
	r = gt_args_parse((int)g_strv_length(argv), argv, a, err, 256);
	return r;
}

static void test_modes(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet --version", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_VERSION);
	g_assert_cmpint(parse("goet version", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_VERSION);
	g_assert_cmpint(parse("goet host --version", &a, err), ==, 0); /* anywhere */
	g_assert_cmpint(a.mode, ==, GT_MODE_VERSION);
	g_assert_cmpint(parse("goet", &a, err), ==, 1);
	g_assert_cmpint(a.mode, ==, GT_MODE_USAGE);
	g_assert_cmpint(parse("goet --tcp --replay-size 4096 alice@example.com", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SSH);
	g_assert_cmpstr(a.host, ==, "alice@example.com"); /* 4096 is not the host */
	g_assert_true(a.tcp);
	g_assert_cmpint(a.replay_size, ==, 4096);
	g_assert_cmpint(parse("goet host --replay-size=banana", &a, err), ==, 0);
	g_assert_cmpint(a.replay_size, ==, 0); /* unparsable: the default */
	/* an unknown flag is named, wherever it stands (it printed only the usage) */
	g_assert_cmpint(parse("goet --bogus", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "flag provided but not defined: --bogus");
	g_assert_cmpint(parse("goet --bogus host", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "flag provided but not defined: --bogus");
	g_assert_cmpint(parse("goet host -x", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "flag provided but not defined: -x");
	g_assert_cmpint(parse("goet host other", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "unexpected argument: other");
	/* a command after --: none of its words are goet's */
	g_assert_cmpint(parse("goet -t host -- sh -c exit --tcp", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SSH);
	g_assert_cmpstr(a.host, ==, "host");
	g_assert_true(a.tty);
	g_assert_false(a.tcp);
	g_assert_cmpint(a.command_len, ==, 4);
	g_assert_cmpstr(a.command[0], ==, "sh");
	g_assert_cmpstr(a.command[3], ==, "--tcp");
	g_assert_cmpint(parse("goet host --", &a, err), ==, 2);
	g_assert_cmpint(parse("goet -- ls", &a, err), ==, 2);
	g_assert_cmpint(parse("goet session -f x --port-first", &a, err), ==, 0);
	g_assert_true(a.port_first);
	g_assert_null(a.term);
	/* the ssh bootstrap starts the shell at once with the client's TERM */
	g_assert_cmpint(parse("goet session -f x --port-first --term xterm-256color", &a, err), ==,
			0);
	g_assert_cmpstr(a.term, ==, "xterm-256color");
	g_assert_cmpint(parse("goet session -f x --term=vt100", &a, err), ==, 0);
	g_assert_cmpstr(a.term, ==, "vt100");
	g_assert_cmpint(parse("goet session -f x --term", &a, err), ==, 2);
	g_assert_cmpint(parse("goet session -f x -t -c ls", &a, err), ==, 0);
	g_assert_cmpstr(a.command_line, ==, "ls");
	g_assert_true(a.tty);
	g_assert_cmpint(parse("/usr/bin/goet-session -f abc", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SESSION);
	g_assert_cmpstr(a.session_id, ==, "abc");
}

/* --connect-timeout: a duration anywhere; 0 means never give up; nonsense is refused. */
static void test_connect_timeout(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet host", &a, err), ==, 0);
	g_assert_cmpint(a.connect_timeout_us, ==, 0); /* the default (30 s) */
	g_assert_cmpint(parse("goet --connect-timeout 2m host", &a, err), ==, 0);
	g_assert_cmpint(a.connect_timeout_us, ==, INT64_C(120) * 1000000);
	g_assert_cmpstr(a.host, ==, "host");
	g_assert_cmpint(parse("goet --local -p 1 -k x --connect-timeout=0", &a, err), ==, 0);
	g_assert_cmpint(a.connect_timeout_us, ==, -1);
	g_assert_cmpint(parse("goet --connect-timeout=soon host", &a, err), ==, 2);
	g_assert_nonnull(strstr(err, "invalid --connect-timeout \"soon\""));
}

static void test_forward_flags(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet -L 8080:db:5432 -R0:localhost:22 --tcp -L *:2222:[::1]:22 host "
			      "-- ls -L",
			      &a, err),
			==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SSH);
	g_assert_cmpstr(a.host, ==, "host");
	g_assert_true(a.tcp);
	g_assert_cmpuint(a.n_fwd, ==, 3); /* the command's -L is the command's */
	g_assert_cmpint(a.fwd[0].dir, ==, GT_FWD_LOCAL);
	g_assert_cmpuint(a.fwd[0].port, ==, 8080);
	g_assert_cmpstr(a.fwd[0].host, ==, "db");
	g_assert_cmpint(a.fwd[1].dir, ==, GT_FWD_REMOTE);
	g_assert_cmpuint(a.fwd[1].port, ==, 0);
	g_assert_cmpint(a.fwd[2].bind, ==, GT_FWD_BIND_ANY);
	g_assert_cmpstr(a.fwd[2].host, ==, "::1");
	g_assert_cmpint(parse("goet --local -p 1 -k x -L 1:h:2 10.0.0.1", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_LOCAL);
	g_assert_cmpuint(a.n_fwd, ==, 1);
	/* ssh's words, exit 2 */
	g_assert_cmpint(parse("goet -L 8080 host", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "Bad local forwarding specification '8080'");
	g_assert_cmpint(parse("goet -Rx:h:1 host", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "Bad remote forwarding specification 'x:h:1'");
	g_assert_cmpint(parse("goet host -L", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "option requires an argument -- L");
}

/* --predict: adaptive unless asked; a mode anywhere among the globals; nonsense exits 2. */
static void test_predict(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet host", &a, err), ==, 0);
	g_assert_cmpint(a.predict, ==, GT_PREDICT_ADAPTIVE);
	g_assert_cmpint(parse("goet --predict never host", &a, err), ==, 0);
	g_assert_cmpint(a.predict, ==, GT_PREDICT_NEVER);
	g_assert_cmpstr(a.host, ==, "host");
	g_assert_cmpint(parse("goet host --predict=always", &a, err), ==, 0);
	g_assert_cmpint(a.predict, ==, GT_PREDICT_ALWAYS);
	g_assert_cmpint(parse("goet --local -p 1 -k x --predict=adaptive", &a, err), ==, 0);
	g_assert_cmpint(a.predict, ==, GT_PREDICT_ADAPTIVE);
	g_assert_cmpint(parse("goet --predict=sometimes host", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "invalid --predict \"sometimes\" (adaptive, always or never)");
	/* after --, it is the command's */
	g_assert_cmpint(parse("goet host -- ls --predict=never", &a, err), ==, 0);
	g_assert_cmpint(a.predict, ==, GT_PREDICT_ADAPTIVE);
}

static void test_session_flags(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet session -f deadbeef -p 0 -replay-size 65536", &a, err), ==, 0);
	g_assert_cmpstr(a.session_id, ==, "deadbeef");
	g_assert_cmpint(a.port, ==, 0);
	g_assert_cmpint(a.replay_size, ==, 65536);
	g_assert_cmpint(a.idle_timeout_us, ==, -1);
	g_assert_cmpint(parse("goet session --f=x -p=2222 --idle-timeout 12h", &a, err), ==, 0);
	g_assert_cmpstr(a.session_id, ==, "x");
	g_assert_cmpint(a.port, ==, 2222);
	g_assert_cmpint(a.idle_timeout_us, ==, INT64_C(12) * 3600 * 1000000);
	g_assert_cmpint(parse("goet session --idle-timeout=0 -f x", &a, err), ==, 0);
	g_assert_cmpint(a.idle_timeout_us, ==, 0);
	/* one documented spelling, --replay-size; the reference's -replay-size still works */
	g_assert_cmpint(parse("goet session -f x --replay-size 100", &a, err), ==, 0);
	g_assert_cmpint(a.replay_size, ==, 100);
	g_assert_cmpint(parse("goet session -p 1", &a, err), ==, 1);
	g_assert_cmpstr(err, ==, "error: -f <session-id> is required");
	g_assert_cmpint(parse("goet session -f x -p 70000", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "invalid value \"70000\" for flag -p");
	g_assert_cmpint(parse("goet session -f x -z", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "flag provided but not defined: -z");
	g_assert_cmpint(parse("goet session -f x --idle-timeout 3w", &a, err), ==, 2);
	g_assert_true(g_str_has_prefix(err, "invalid --idle-timeout \"3w\""));
	g_assert_cmpint(parse("goet session -h", &a, err), ==, 0);
	g_assert_true(a.help);
	/* top-level help: the usage on stdout, exit 0; no arguments at all stay usage + 1 */
	g_assert_cmpint(parse("goet --help", &a, err), ==, 0);
	g_assert_true(a.help);
	g_assert_cmpint(parse("goet -h", &a, err), ==, 0);
	g_assert_true(a.help);
	g_assert_cmpint(parse("goet", &a, err), ==, 1);
	g_assert_false(a.help);
}

static void test_local_flags(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet --local -p 4000 -k 00ff", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_LOCAL);
	g_assert_cmpint(a.port, ==, 4000);
	g_assert_cmpstr(a.key_hex, ==, "00ff");
	g_assert_cmpstr(a.host, ==, "127.0.0.1");
	/* host before the flags works too (the reference's bug 14) */
	g_assert_cmpint(parse("goet --local example.org -p 4000 -k 00ff", &a, err), ==, 0);
	g_assert_cmpstr(a.host, ==, "example.org");
	g_assert_cmpint(parse("goet --local -k 00", &a, err), ==, 1);
	g_assert_cmpstr(err, ==, "error: -p <port> is required");
	g_assert_cmpint(parse("goet --local -p 1", &a, err), ==, 1);
	g_assert_cmpstr(err, ==, "error: -k <passkey-hex> is required");
	/* the passkey off the command line: a 0600 file, or a line on stdin */
	g_assert_cmpint(parse("goet --local -p 1 --key-file /k/f h", &a, err), ==, 0);
	g_assert_cmpstr(a.key_file, ==, "/k/f");
	g_assert_null(a.key_hex);
	g_assert_cmpstr(a.host, ==, "h");
	g_assert_cmpint(parse("goet --local -p 1 -k -", &a, err), ==, 0);
	g_assert_cmpstr(a.key_hex, ==, "-");
	g_assert_cmpint(parse("goet --local -p 1 -k 00 --key-file=f", &a, err), ==, 1);
	g_assert_cmpstr(err, ==, "error: -k and --key-file are exclusive");
}

static void test_durations(void)
{
	int64_t us;

	g_assert_cmpint(gt_args_duration("90", &us), ==, CORE_OK);
	g_assert_cmpint(us, ==, 90000000);
	g_assert_cmpint(gt_args_duration("30m", &us), ==, CORE_OK);
	g_assert_cmpint(us, ==, INT64_C(1800000000));
	g_assert_cmpint(gt_args_duration("7d", &us), ==, CORE_OK);
	g_assert_cmpint(us, ==, INT64_C(7) * 86400 * 1000000);
	g_assert_cmpint(gt_args_duration("", &us), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_args_duration("-5", &us), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_args_duration("5x", &us), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_args_duration("5ms", &us), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_args_duration("99999999999", &us), ==, CORE_ERR_BAD_FORMAT);
}

static void test_list_attach(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet list alice@box", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_LIST);
	g_assert_cmpstr(a.host, ==, "alice@box");
	g_assert_cmpint(parse("goet list --local", &a, err), ==, 0);
	g_assert_true(a.local);
	g_assert_null(a.host);
	g_assert_cmpint(parse("goet list", &a, err), ==, 1);
	g_assert_cmpint(parse("goet list a b", &a, err), ==, 2);
	g_assert_cmpint(parse("goet attach --tcp box 1a2b3c4d", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_ATTACH);
	g_assert_cmpstr(a.host, ==, "box");
	g_assert_cmpstr(a.attach_id, ==, "1a2b3c4d");
	g_assert_true(a.tcp);
	g_assert_cmpint(parse("goet attach --print-secret 1a2b3c4d", &a, err), ==, 0);
	g_assert_true(a.print_secret);
	g_assert_null(a.host);
	g_assert_cmpstr(a.attach_id, ==, "1a2b3c4d");
	g_assert_cmpint(parse("goet attach --local 1a2b3c4d", &a, err), ==, 0);
	g_assert_cmpstr(a.attach_id, ==, "1a2b3c4d");
	g_assert_cmpint(parse("goet attach box", &a, err), ==, 1);
	g_assert_cmpint(parse("goet attach --bogus box id", &a, err), ==, 2);
	g_assert_cmpint(parse("goet --install box", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SSH);
	g_assert_true(a.install);
}

/* -J as ssh's ProxyJump: any position, attached or not; bad values exit 2 with a message. */
static void test_jump(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet -J jump target", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_SSH);
	g_assert_cmpstr(a.jump, ==, "jump");
	g_assert_cmpstr(a.host, ==, "target");
	g_assert_cmpint(parse("goet target -Jbob@jump:2222,[fd00::1]:22 -- true", &a, err), ==, 0);
	g_assert_cmpstr(a.jump, ==, "bob@jump:2222,[fd00::1]:22");
	g_assert_cmpint(a.command_len, ==, 1);
	g_assert_cmpint(parse("goet host -- ssh -J x y", &a, err), ==, 0); /* the command's */
	g_assert_null(a.jump);
	g_assert_cmpint(parse("goet list -J jump target", &a, err), ==, 0);
	g_assert_cmpstr(a.jump, ==, "jump");
	g_assert_cmpint(parse("goet attach -J jump target ID", &a, err), ==, 0);
	g_assert_cmpstr(a.jump, ==, "jump");
	g_assert_cmpint(parse("goet target -J", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "option requires an argument -- J");
	g_assert_cmpint(parse("goet -J jump:0 target", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "invalid -J \"jump:0\": bad port \"0\" (1-65535)");
	g_assert_cmpint(parse("goet -J jump,,x target", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "invalid -J \"\" (expected [user@]host[:port][,...])");
	g_assert_cmpint(parse("goet -J -oProxyCommand=x target", &a, err), ==, 2);
	g_assert_cmpstr(err, ==,
			"invalid -J \"-oProxyCommand=x\" (expected [user@]host[:port][,...])");
	g_assert_cmpint(parse("goet --local -J jump -p 1 -k 00", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "error: -J needs an ssh destination ([user@]host)");
	g_assert_cmpint(parse("goet session -J jump -f x", &a, err), ==, 2);
}

static void test_relay(void)
{
	struct gt_args a;
	char err[256];

	g_assert_cmpint(parse("goet relay --to box:4000 --idle-timeout 60", &a, err), ==, 0);
	g_assert_cmpint(a.mode, ==, GT_MODE_RELAY);
	g_assert_cmpstr(a.relay_to, ==, "box:4000");
	g_assert_cmpint(a.idle_timeout_us, ==, 60 * G_USEC_PER_SEC);
	g_assert_cmpint(parse("goet relay --to=[::1]:9", &a, err), ==, 0);
	g_assert_cmpstr(a.relay_to, ==, "[::1]:9");
	g_assert_cmpint(parse("goet relay", &a, err), ==, 1);
	g_assert_cmpstr(err, ==, "error: goet relay needs --to HOST:PORT");
	g_assert_cmpint(parse("goet relay --to x:1 --bogus", &a, err), ==, 2);
	g_assert_cmpstr(err, ==, "flag provided but not defined: --bogus");
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/args/modes", test_modes);
	g_test_add_func("/args/session-flags", test_session_flags);
	g_test_add_func("/args/connect-timeout", test_connect_timeout);
	g_test_add_func("/args/forward-flags", test_forward_flags);
	g_test_add_func("/args/predict", test_predict);
	g_test_add_func("/args/local-flags", test_local_flags);
	g_test_add_func("/args/durations", test_durations);
	g_test_add_func("/args/list-attach", test_list_attach);
	g_test_add_func("/args/jump", test_jump);
	g_test_add_func("/args/relay", test_relay);
	r = g_test_run();
	g_strfreev(argv_store);
	return r;
}
