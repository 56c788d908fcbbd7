/* Unit tests for goet/client/ssh (the pure helpers), sshlog and profile. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/client/profile.h"
#include "goet/client/ssh.h"
#include "goet/client/sshlog.h"

static void test_dest(void)
{
	char *u, *h;

	g_assert_cmpint(gt_ssh_parse_dest("alice@box", &u, &h), ==, CORE_OK);
	g_assert_cmpstr(u, ==, "alice");
	g_assert_cmpstr(h, ==, "box");
	g_free(u);
	g_free(h);
	g_assert_cmpint(gt_ssh_parse_dest("a@b@box", &u, &h), ==, CORE_OK); /* the last @ */
	g_assert_cmpstr(u, ==, "a@b");
	g_assert_cmpstr(h, ==, "box");
	g_free(u);
	g_free(h);
	g_assert_cmpint(gt_ssh_parse_dest("box", &u, &h), ==, CORE_OK);
	g_assert_null(u);
	g_assert_cmpstr(h, ==, "box");
	g_free(h);
	g_assert_cmpint(gt_ssh_parse_dest("@box", &u, &h), ==, CORE_OK); /* empty user: no -l */
	g_assert_null(u);
	g_free(h);
	g_assert_cmpint(gt_ssh_parse_dest("alice@", &u, &h), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(gt_ssh_parse_dest("x@-oProxyCommand=sh", &u, &h), ==, CORE_ERR_BAD_FORMAT);
	g_assert_null(u);
	g_assert_null(h);
}

/* The reference's vector: ssh [-l USER] -o BatchMode=yes HOST words... */
static void test_argv(void)
{
	const char *base[] = { "ssh", "-F", "/x/cfg", NULL };
	const char *words[] = { "goet", "session", "-f", "abcd1234", "-p", "0", NULL };
	char **v = gt_ssh_argv(base, "alice", "box", words);
	char *joined = g_strjoinv(" ", v);

	g_assert_cmpstr(
		joined, ==,
		"ssh -F /x/cfg -l alice -o BatchMode=yes box goet session -f abcd1234 -p 0");
	g_free(joined);
	g_strfreev(v);
	v = gt_ssh_argv(base + 2 /* {"/x/cfg"} */, NULL, "h", NULL);
	joined = g_strjoinv(" ", v);
	g_assert_cmpstr(joined, ==, "/x/cfg -o BatchMode=yes h");
	g_free(joined);
	g_strfreev(v);
}

static void test_base(void)
{
	GError *e = NULL;
	char **v;

	g_setenv("GOET_SSH", "ssh -F '/tmp/a b/config' -o Port=2222", TRUE);
	v = gt_ssh_base(&e);
	g_assert_no_error(e);
	g_assert_cmpint(g_strv_length(v), ==, 5);
	g_assert_cmpstr(v[2], ==, "/tmp/a b/config");
	g_strfreev(v);
	g_setenv("GOET_SSH", "ssh 'unterminated", TRUE);
	g_assert_null(gt_ssh_base(&e));
	g_assert_nonnull(e);
	g_clear_error(&e);
	g_unsetenv("GOET_SSH");
	v = gt_ssh_base(&e);
	g_assert_cmpint(g_strv_length(v), ==, 1);
	g_assert_cmpstr(v[0], ==, "ssh");
	g_strfreev(v);
}

/* As the reference's install_test.go. */
static void test_version(void)
{
	static const struct {
		const char *text, *commit;
	} ok[] = { { "goet 0.4.0 (abc1234)", "abc1234" },
		   { "goet dev (4bf4dab)\n", "4bf4dab" },
		   { "goet abc1234", "abc1234" },
		   { "goet dev", "dev" } };
	static const char *const bad[] = {
		"", "goet", "abc1234", "goet 1 (a) b c", "ssh 1.0 (x)", "goet 1.0 abc"
	};
	char *c;

	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_assert_cmpint(gt_ssh_parse_version(ok[i].text, &c), ==, CORE_OK);
		g_assert_cmpstr(c, ==, ok[i].commit);
		g_free(c);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(gt_ssh_parse_version(bad[i], &c), ==, CORE_ERR_BAD_FORMAT);
		g_assert_null(c);
	}
}

static void test_uname(void)
{
	static const char *const bad[] = { "", "Linux", "Linux x86_64 extra" };
	char *os, *m;

	g_assert_cmpint(gt_ssh_parse_uname("Linux x86_64\n", &os, &m), ==, CORE_OK);
	g_assert_cmpstr(os, ==, "Linux");
	g_assert_cmpstr(m, ==, "x86_64");
	g_free(os);
	g_free(m);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(gt_ssh_parse_uname(bad[i], &os, &m), ==, CORE_ERR_BAD_FORMAT);
		g_assert_null(os);
	}
}

static void test_config_hostname(void)
{
	char *h = gt_ssh_config_hostname("user root\nhostname 10.1.2.3\nport 2222\n");

	g_assert_cmpstr(h, ==, "10.1.2.3");
	g_free(h);
	g_assert_null(gt_ssh_config_hostname("user root\nport 22\n"));
	g_assert_null(gt_ssh_config_hostname(""));
}

/* As the reference's TestFormatBytes, and the other formats. */
static void test_profile_formats(void)
{
	static const struct {
		uint64_t n;
		const char *s;
	} bytes[] = { { 0, "0B" },	 { 512, "512B" },      { 1024, "1.0KB" },
		      { 1536, "1.5KB" }, { 1 << 20, "1.0MB" }, { 1 << 30, "1.0GB" } };
	char buf[64];

	for (size_t i = 0; i < G_N_ELEMENTS(bytes); i++) {
		gt_profile_bytes(bytes[i].n, buf, sizeof(buf));
		g_assert_cmpstr(buf, ==, bytes[i].s);
	}
	gt_profile_ms(0, buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "0ms");
	gt_profile_ms(1250, buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "1.2ms");
	gt_profile_duration(45, buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "45s");
	gt_profile_duration(154, buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "2m34s");
	gt_profile_duration(3605, buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "1h0m5s");
}

static void test_profile_summary(void)
{
	struct gt_profile p = { .started_us = 0, .ended_us = 2500000 };
	struct gt_conn_stats a = { .has_rtt = true,
				   .rtt_min_us = 900,
				   .rtt_latest_us = 1200,
				   .rtt_smoothed_us = 1100,
				   .rtt_var_us = 300,
				   .bytes_sent = 2048,
				   .bytes_recv = 100,
				   .pkts_sent = 10,
				   .pkts_recv = 9,
				   .pkts_lost = 1 };
	struct gt_conn_stats b = a;
	char line[GT_PROFILE_LINE_MAX], *s, *j;

	gt_profile_line(&a, line, sizeof(line));
	g_assert_cmpstr(
		line, ==,
		"[profile] rtt=1.2ms (min=0.9ms smooth=1.1ms jitter=0.3ms) loss=1/10pkts\r\n");
	b.rtt_min_us = 500;
	b.rtt_latest_us = 700;
	gt_profile_add(&p, &a, "quic");
	gt_profile_add(&p, &b, "quic");
	g_assert_cmpuint(p.total.bytes_sent, ==, 4096);
	g_assert_cmpint(p.total.rtt_min_us, ==, 500);
	g_assert_cmpint(p.total.rtt_latest_us, ==, 700);
	s = gt_profile_summary(&p);
	g_assert_nonnull(strstr(s, "[profile] === Connection Profile ===\r\n"));
	g_assert_nonnull(strstr(s, "[profile] Duration: 2s\r\n"));
	g_assert_nonnull(
		strstr(s, "[profile] Traffic: sent=4.0KB/20pkts recv=200B/18pkts lost=2pkts"));
	j = gt_profile_json(&p, "2026-01-02T03:04:05Z", "abc1234", "h\"o\nst");
	g_assert_nonnull(strstr(j, "\"host\": \"h\\\"o\\u000ast\""));
	g_assert_nonnull(strstr(j, "\"duration_s\": 2.500"));
	g_assert_nonnull(strstr(j, "\"min_ms\": 0.500"));
	g_assert_nonnull(strstr(j, "\"pkts_lost\": 2\n"));
	g_free(j);
	g_free(s);
}

/* A held --profile line goes after the last full line, never into a full-screen program. */
static void test_profile_splice(void)
{
	bool alt = false;
#define SPLICE(str) gt_profile_splice_point(&alt, (const uint8_t *)(str), strlen(str))

	g_assert_cmpint(SPLICE("$ ls"), ==, -1); /* mid-line: wait */
	g_assert_cmpint(SPLICE("a\r\nb\r\n$ "), ==, 6);
	g_assert_cmpint(SPLICE("x\n\033[?1049h\033[Hvim\r\n"), ==, 2); /* before it starts */
	g_assert_true(alt);
	g_assert_cmpint(SPLICE("more\r\nlines\r\n"), ==, -1); /* inside it: never */
	g_assert_cmpint(SPLICE("\033[?1049l$ \r\n$ "), ==, 12);
	g_assert_false(alt);
	g_assert_cmpint(SPLICE("\033[?25h\n"), ==, 7); /* other modes change nothing */
	g_assert_cmpint(SPLICE("\033[?47hq\n\033[?47l"), ==, -1);
	g_assert_false(alt);
#undef SPLICE
}

/* gt_profile_splice_point's definition, a byte at a time. */
static long ref_splice(bool *alt, const uint8_t *p, size_t n)
{
	long at = -1;

	for (size_t i = 0; i < n; i++) {
		static const char *const modes[] = { "\033[?1049", "\033[?1047", "\033[?47" };

		if (p[i] == '\n' && !*alt)
			at = (long)i + 1;
		for (size_t m = 0; m < G_N_ELEMENTS(modes) && p[i] == 0x1b; m++) {
			size_t k = strlen(modes[m]);

			if (i + k < n && memcmp(p + i, modes[m], k) == 0 &&
			    (p[i + k] == 'h' || p[i + k] == 'l'))
				*alt = p[i + k] == 'h';
		}
	}
	return at;
}

/* Random output of newlines, ESCs and the screen switches, cut anywhere: as the definition. */
static void test_profile_splice_random(void)
{
	static const char *const bits[] = { "\n",	   "\r\n",	   "\033",
					    "\033[?1049h", "\033[?1049l",  "\033[?47h",
					    "\033[?47l",   "\033[?1047h",  "\033[?1047l",
					    "\033[?25h",   "\033[?10490h", "abc",
					    "\033[1049h",  "\033[?",	   "x\033\033[?1049h" };
	GRand *r = g_rand_new_with_seed(11);
	bool alt = false, ref_alt = false;

	for (int round = 0; round < 20000; round++) {
		GString *s = g_string_new(NULL);

		for (int k = g_rand_int_range(r, 0, 8); k > 0; k--)
			g_string_append(s, bits[g_rand_int_range(r, 0, G_N_ELEMENTS(bits))]);
		g_assert_cmpint(gt_profile_splice_point(&alt, (const uint8_t *)s->str, s->len), ==,
				ref_splice(&ref_alt, (const uint8_t *)s->str, s->len));
		g_assert_cmpint(alt, ==, ref_alt);
		g_string_free(s, TRUE);
	}
	g_rand_free(r);
}

/* -J values: the first hop's parts; every hop checked. */
static void test_jump(void)
{
	static const struct {
		const char *spec, *user, *host;
		uint16_t port;
	} ok[] = {
		{ "jump", NULL, "jump", 0 },
		{ "bob@jump", "bob", "jump", 0 },
		{ "bob@jump:2222", "bob", "jump", 2222 },
		{ "10.0.0.1:22,other", NULL, "10.0.0.1", 22 },
		{ "a@[fd00::1]:22", "a", "fd00::1", 22 },
		{ "[fd00::1]", NULL, "fd00::1", 0 },
		{ "ssh://bob@jump:7", "bob", "jump", 7 },
		{ "a@b@jump", "a@b", "jump", 0 }, /* the last @, as ssh */
	};
	static const char *const bad[] = {
		"",	    ",",       "jump,",	 ",jump",      "@jump",	   "bob@",
		"-jump",    "jump:",   "jump:x", "jump:65536", "jump:0",   "ju mp",
		"[fd00::1", "fd00::1", "jump/x", "jump;rm",    "a b@jump",
	};
	char err[160];

	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		struct gt_ssh_hop h;

		g_assert_cmpint(gt_ssh_jump_parse(ok[i].spec, &h, err, sizeof(err)), ==, CORE_OK);
		g_assert_cmpstr(h.user, ==, ok[i].user);
		g_assert_cmpstr(h.host, ==, ok[i].host);
		g_assert_cmpint(h.port, ==, ok[i].port);
		gt_ssh_hop_clear(&h);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct gt_ssh_hop h;

		err[0] = '\0';
		g_assert_cmpint(gt_ssh_jump_parse(bad[i], &h, err, sizeof(err)), <, 0);
		g_assert_null(h.host);
		g_assert_null(h.user);
		g_assert_true(g_str_has_prefix(err, "invalid -J \""));
	}
}

/* What OpenSSH 9.2's -v printed for a bootstrap that failed, as it came. */
static const char sshlog_text[] =
	"OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n"
	"debug1: Reading configuration data /tmp/x/ssh_config\n"
	"Warning: Permanently added '10.98.0.1' (ED25519) to the list of known hosts.\r\n"
	"Authenticated to 10.98.0.1 ([10.98.0.1]:22) using \"publickey\".\n"
	"debug1: Entering interactive session.\n"
	"debug1: Sending command: exec sh -c 'command -v goet' goet session -p 61234\n"
	"debug1: client_input_channel_req: channel 0 rtype exit-status reply 0\n"
	"sh: 1: exec: /home/u/.local/bin/goet: not found\n"
	"Transferred: sent 3460, received 3348 bytes, in 0.6 seconds\n"
	"Bytes per second: sent 5367.4, received 5193.7\n"
	"debug1: Exit status 127\n";
static const char sshlog_kept[] =
	"Warning: Permanently added '10.98.0.1' (ED25519) to the list of known hosts.\n"
	"sh: 1: exec: /home/u/.local/bin/goet: not found";

/* Fed in chunks of every size: the same text kept, the command seen once, where it ends. */
static void test_sshlog_chunks(void)
{
	size_t len = strlen(sshlog_text);
	const char *sent = strstr(sshlog_text, "debug1: Sending command:");
	size_t sent_end = (size_t)(strchr(sent, '\n') - sshlog_text); /* its newline */

	for (size_t step = 1; step <= len; step++) {
		struct gt_sshlog l;
		int seen = 0;
		char *kept;

		gt_sshlog_init(&l);
		for (size_t at = 0; at < len; at += step) {
			size_t n = MIN(step, len - at);

			if (gt_sshlog_feed(&l, sshlog_text + at, n)) {
				seen++;
				g_assert_cmpuint(at, <=, sent_end);
				g_assert_cmpuint(at + n, >, sent_end);
			}
		}
		g_assert_cmpint(seen, ==, 1);
		kept = gt_sshlog_take(&l);
		g_assert_cmpstr(kept, ==, sshlog_kept);
		g_free(kept);
	}
}

/* An unfinished last line is kept; no command line, no signal; long lines are cut. */
static void test_sshlog_edges(void)
{
	struct gt_sshlog l;
	char *kept, *big = g_strnfill(GT_SSHLOG_LINE_MAX + 100, 'x');

	gt_sshlog_init(&l);
	g_assert_false(gt_sshlog_feed(&l, "debug1: Sending command", 23)); /* not the line yet */
	g_assert_false(gt_sshlog_feed(&l, "s are not it\n", 13));
	g_assert_false(
		gt_sshlog_feed(&l, "ssh: connect to host b port 22: Connection refused", 50));
	kept = gt_sshlog_take(&l);
	g_assert_cmpstr(kept, ==, "ssh: connect to host b port 22: Connection refused");
	g_free(kept);

	gt_sshlog_init(&l);
	g_assert_false(gt_sshlog_feed(&l, big, strlen(big)));
	g_assert_false(gt_sshlog_feed(&l, "\nend\n", 5));
	kept = gt_sshlog_take(&l);
	g_assert_cmpuint(strlen(kept), ==, GT_SSHLOG_LINE_MAX + 4); /* the cut line, \n, "end" */
	g_assert_true(g_str_has_suffix(kept, "x\nend"));
	g_free(kept);
	g_free(big);

	gt_sshlog_init(&l);
	g_assert_true(gt_sshlog_feed(&l, "debug1: Sending command: true\n", 30));
	g_assert_false(gt_sshlog_feed(&l, "debug1: Sending command: true\n", 30)); /* once */
	kept = gt_sshlog_take(&l);
	g_assert_cmpstr(kept, ==, "");
	g_free(kept);
}

static void test_sshlog_openssh(void)
{
	const char *plain[] = { "ssh", NULL }, *path[] = { "/usr/bin/ssh", "-F", "c", NULL };
	const char *other[] = { "dbclient", NULL }, *pass[] = { "sshpass", "-p", "x", "ssh", NULL };
	const char *empty[] = { NULL };

	g_assert_true(gt_sshlog_base_is_openssh(plain));
	g_assert_true(gt_sshlog_base_is_openssh(path));
	g_assert_false(gt_sshlog_base_is_openssh(other));
	g_assert_false(gt_sshlog_base_is_openssh(pass));
	g_assert_false(gt_sshlog_base_is_openssh(empty));
	g_assert_false(gt_sshlog_base_is_openssh(NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ssh/dest", test_dest);
	g_test_add_func("/ssh/argv", test_argv);
	g_test_add_func("/ssh/base", test_base);
	g_test_add_func("/ssh/version", test_version);
	g_test_add_func("/ssh/uname", test_uname);
	g_test_add_func("/ssh/config-hostname", test_config_hostname);
	g_test_add_func("/ssh/jump", test_jump);
	g_test_add_func("/ssh/log-chunks", test_sshlog_chunks);
	g_test_add_func("/ssh/log-edges", test_sshlog_edges);
	g_test_add_func("/ssh/log-openssh", test_sshlog_openssh);
	g_test_add_func("/profile/formats", test_profile_formats);
	g_test_add_func("/profile/summary", test_profile_summary);
	g_test_add_func("/profile/splice", test_profile_splice);
	g_test_add_func("/profile/splice-random", test_profile_splice_random);
	return g_test_run();
}
