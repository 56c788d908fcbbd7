/*
 * Integration tests for the goet session loop: a real session (server, PTY,
 * /bin/sh) and test clients speaking the protocol through gt_dial, all on
 * one main loop in this process.
 */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../spawn.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/net/dial.h"
#include "goet/session/session.h"

#define TEST_LIMIT_S 30

static uint8_t passkey[GT_PASSKEY_LEN];
static enum gt_transport tr; /* how test clients connect */

struct done_ctx {
	bool done;
	int code;
	char reason[160];
};

static void on_done(struct gt_session *s, int code, const char *reason, void *data)
{
	struct done_ctx *d = data;

	d->done = true;
	d->code = code;
	g_strlcpy(d->reason, reason, sizeof(d->reason));
}

/* A test client: what it received, and the protocol state it keeps. */
struct client {
	struct gt_conn *c;
	GString *out;
	uint64_t last_seq;    /* last output seq received */
	uint64_t session_has; /* the session's SequenceHeader */
	uint64_t send_seq;
	bool got_header;
	bool got_shutdown;
	bool closed;
	bool dialed;
	int dial_err;
};

static void cl_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m, void *data)
{
	struct client *cl = data;

	if (m->type == GT_MSG_DATA) {
		g_string_append_len(cl->out, (const char *)m->u.data.bytes, (gssize)m->u.data.len);
		cl->last_seq = m->u.data.seq;
		gt_conn_delivered(c, cl->last_seq, m->u.data.len); /* goet-v2 peers acknowledge */
	} else if (m->type == GT_MSG_SEQUENCE_HEADER) {
		cl->got_header = true;
		cl->session_has = m->u.sequence_header.last_seq;
	} else if (m->type == GT_MSG_SHUTDOWN) {
		cl->got_shutdown = true;
	}
}

static void cl_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	struct client *cl = data;

	cl->closed = true;
	cl->c = NULL;
}

static const struct gt_conn_callbacks cl_cb = { .message = cl_message, .closed = cl_closed };

static void cl_dialed(struct gt_conn *c, int err, const char *reason, void *data)
{
	struct client *cl = data;

	cl->dialed = true;
	cl->dial_err = err;
	cl->c = c;
	if (c != NULL)
		gt_conn_set_callbacks(c, &cl_cb, cl);
}

static gboolean on_limit(gpointer p)
{
	g_error("test did not finish within %d s", TEST_LIMIT_S);
	return G_SOURCE_REMOVE;
}

static void run_until(bool *flag)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	while (!*flag)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
}

/* Run until the client's output contains want. */
static void wait_output(struct client *cl, const char *want)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	while (strstr(cl->out->str, want) == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
}

/*
 * The shell in the test writes marker files ("... ; echo $$ > MARK") where a
 * fixed sleep would have guessed: a new path for one, in the test's runtime
 * directory (main removes it).
 */
static char *marker(void)
{
	static unsigned n;

	return g_strdup_printf("%s/mark%u-%u", g_getenv("XDG_RUNTIME_DIR"), (unsigned)getpid(),
			       n++);
}

/* Run the loop until the shell has written path (it holds its pid); return that pid. */
static int wait_marker(const char *path)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);
	char *text = NULL;
	int pid;

	while (!g_file_get_contents(path, &text, NULL, NULL) || strchr(text, '\n') == NULL) {
		g_clear_pointer(&text, g_free);
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(10 * 1000);
	}
	g_source_remove(guard);
	pid = atoi(text);
	g_free(text);
	g_unlink(path);
	return pid;
}

/* Run the loop until process pid is gone (reaped: the session has seen it exit). */
static void wait_gone(int pid)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	while (kill(pid, 0) == 0)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(10 * 1000);
	g_source_remove(guard);
}

static void cl_send(struct client *cl, enum gt_channel ch, const struct gt_msg *m)
{
	g_assert_cmpint(gt_conn_send(cl->c, ch, m), ==, CORE_OK);
}

static void cl_type(struct client *cl, const char *text)
{
	struct gt_msg m = { .type = GT_MSG_DATA };

	m.u.data.seq = ++cl->send_seq;
	m.u.data.bytes = (const uint8_t *)text;
	m.u.data.len = strlen(text);
	cl_send(cl, GT_CHANNEL_DATA, &m);
}

/* Connect and run the client side of the handshake (as the reference client). */
static void cl_connect_port(struct client *cl, uint16_t port, bool data_first)
{
	struct gt_dial_config cfg = { .transport = tr, .host = "127.0.0.1", .port = port };
	struct gt_msg hdr = { .type = GT_MSG_SEQUENCE_HEADER };
	struct gt_msg ti = { .type = GT_MSG_TERMINAL_INFO };

	memcpy(cfg.passkey, passkey, sizeof(passkey));
	if (cl->out == NULL)
		cl->out = g_string_new(NULL);
	cl->dialed = cl->got_header = cl->closed = false;
	gt_dial_start(&cfg, cl_dialed, cl);
	run_until(&cl->dialed);
	g_assert_cmpint(cl->dial_err, ==, CORE_OK);
	hdr.u.sequence_header.last_seq = cl->last_seq;
	cl_send(cl, GT_CHANNEL_DATA, &hdr);
	run_until(&cl->got_header);
	if (data_first)
		cl_type(cl, "echo early-$((40+2))\n"); /* before TerminalInfo: kept, not dropped */
	ti.u.terminal_info.term = (const uint8_t *)"xterm";
	ti.u.terminal_info.len = 5;
	cl_send(cl, GT_CHANNEL_CONTROL, &ti);
}

/* End of a test: close the client and let every connection finish, so that no
 * callback can reach this test's stack after it returns. */
static void cl_finish(struct client *cl)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	if (cl->c != NULL)
		gt_conn_close(cl->c, GT_CLOSE_OK, "test over");
	cl->c = NULL;
	while (gt_conn_live_count() > 0)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	if (cl->out != NULL)
		g_string_free(cl->out, TRUE);
	cl->out = NULL;
	core_defer_flush();
}

static void cl_connect(struct client *cl, struct gt_session *s, bool data_first)
{
	cl_connect_port(cl, gt_session_port(s), data_first);
}

static struct gt_session *session_start(struct done_ctx *d, int64_t idle_us)
{
	static const char *const argv[] = { "/bin/sh", NULL };
	struct gt_session_config cfg = { .idle_timeout_us = idle_us,
					 .argv = argv,
					 .hangup_grace_ms = 500 };
	GError *e = NULL;
	struct gt_session *s;

	memcpy(cfg.passkey, passkey, sizeof(passkey));
	s = gt_session_new(&cfg, on_done, d, &e);
	g_assert_no_error(e);
	return s;
}

/* Type a command, see its output; the shell's exit ends the session with its code. */
static void test_command_and_exit(void)
{
	struct done_ctx d = { 0 };
	struct gt_session *s = session_start(&d, 0);
	struct client cl = { 0 };

	cl_connect(&cl, s, false);
	cl_type(&cl, "stty -echo; echo hello-$((6*7)) $TERM $GOET_SESSION\n");
	wait_output(&cl, "hello-42 xterm ");
	cl_type(&cl, "printf 'bye-no-newline'; exit 0\n");
	run_until(&d.done);
	g_assert_cmpint(d.code, ==, 0);
	g_assert_cmpstr(d.reason, ==, "shell exited: exit status 0");
	run_until(&cl.closed);
	g_assert_true(cl.got_shutdown);
	/* the last output before the exit arrived, before the close */
	g_assert_true(g_str_has_suffix(cl.out->str, "bye-no-newline"));
	gt_session_free(s);
	cl_finish(&cl);
}

/* A lost connection, output while away, a new connection: the missed output is replayed once. */
static void test_reconnect_replay(void)
{
	struct done_ctx d = { 0 };
	struct gt_session *s = session_start(&d, 0);
	struct client a = { 0 }, b = { 0 };
	struct gt_msg shut = { .type = GT_MSG_SHUTDOWN };
	char *mark, *line;

	cl_connect(&a, s, false);
	cl_type(&a, "stty -echo; echo one-$((0+1))\n");
	wait_output(&a, "one-1\r\n");
	mark = marker();
	line = g_strdup_printf("sleep 0.3; echo two-$((1+1)); echo $$ > %s\n", mark);
	cl_type(&a, line);
	/* the link dies before "two" is printed (no Shutdown) */
	gt_conn_close(a.c, GT_CLOSE_OK, "network gone");
	a.c = NULL;
	wait_marker(mark); /* "two" was printed while away */
	/* a new connection that has seen what a saw */
	b.last_seq = a.last_seq;
	b.send_seq = a.send_seq;
	cl_connect(&b, s, false);
	g_assert_cmpuint(b.session_has, ==, a.send_seq); /* the session got both inputs */
	wait_output(&b, "two-2\r\n");
	g_assert_null(strstr(b.out->str, "one-1")); /* not replayed twice */
	/* a restarted client numbers from 1 again: its input is still taken */
	b.send_seq = 0;
	cl_type(&b, "echo three-$((1+2))\n");
	wait_output(&b, "three-3\r\n");
	cl_send(&b, GT_CHANNEL_CONTROL, &shut);
	run_until(&d.done);
	g_assert_cmpint(d.code, ==, 1);
	g_assert_cmpstr(d.reason, ==, "client sent shutdown");
	gt_session_free(s);
	cl_finish(&a);
	cl_finish(&b);
	g_free(mark);
	g_free(line);
}

/*
 * The shell exits while the client is away: the session waits for it and
 * delivers the last output before ending (the reference ended at once and
 * the output was lost).
 */
static void test_exit_while_away(void)
{
	struct done_ctx d = { 0 };
	struct gt_session *s = session_start(&d, 0);
	struct client a = { 0 }, b = { 0 };
	char *mark, *line;

	cl_connect(&a, s, false);
	cl_type(&a, "stty -echo; echo ready-$((0+1))\n");
	wait_output(&a, "ready-1\r\n");
	mark = marker();
	line = g_strdup_printf("sleep 0.3; echo last-$((1+1)); echo $$ > %s; exit 3\n", mark);
	cl_type(&a, line);
	gt_conn_close(a.c, GT_CLOSE_OK, "network gone");
	a.c = NULL;
	wait_gone(wait_marker(mark)); /* the shell has exited, and the session knows */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_false(d.done); /* waiting for the client */
	b.last_seq = a.last_seq;
	b.send_seq = a.send_seq;
	cl_connect(&b, s, false);
	wait_output(&b, "last-2\r\n");
	run_until(&b.got_shutdown);
	run_until(&d.done);
	g_assert_cmpint(d.code, ==, 1);
	g_assert_cmpstr(d.reason, ==, "shell exited: exit status 3");
	gt_session_free(s);
	cl_finish(&a);
	cl_finish(&b);
	g_free(mark);
	g_free(line);
}

/*
 * start_term (the ssh bootstrap's --term): the shell starts with the session,
 * before any client, with that TERM (not the client's TerminalInfo); what it
 * writes meanwhile is kept, and a shell that already ended is told to the
 * first client (its exit status with the Shutdown) before the session ends.
 */
static void test_start_term(void)
{
	static const char *const argv[] = { "/bin/sh", "-c", "echo pre-$TERM-$((6*7)); exit 5",
					    NULL };
	struct gt_session_config cfg = { .argv = argv,
					 .hangup_grace_ms = 500,
					 .start_term = "vt100" };
	struct done_ctx d = { 0 };
	struct client cl = { 0 };
	GError *e = NULL;
	struct gt_session *s;

	memcpy(cfg.passkey, passkey, sizeof(passkey));
	s = gt_session_new(&cfg, on_done, &d, &e);
	g_assert_no_error(e);
	g_usleep(300 * 1000); /* the shell has written and exited by now */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_false(d.done); /* it waits for a client to tell */
	cl_connect(&cl, s, false);
	wait_output(&cl, "pre-vt100-42");
	run_until(&cl.got_shutdown);
	run_until(&d.done);
	g_assert_cmpint(d.code, ==, 1);
	g_assert_cmpstr(d.reason, ==, "shell exited: exit status 5");
	gt_session_free(s);
	cl_finish(&cl);
}

/* Data before TerminalInfo (the reference's TCP reconnect bug) is applied, not dropped. */
static void test_data_before_terminal_info(void)
{
	struct done_ctx d = { 0 };
	struct gt_session *s = session_start(&d, 0);
	struct client cl = { 0 };

	cl_connect(&cl, s, true);
	wait_output(&cl, "early-42");
	gt_session_stop(s, "test over");
	run_until(&d.done);
	g_assert_cmpint(d.code, ==, 1);
	gt_session_free(s);
	cl_finish(&cl);
}

/* No client for the idle timeout: the session ends. */
static void test_idle_timeout(void)
{
	struct done_ctx d = { 0 };
	struct gt_session *s = session_start(&d, 1 * G_USEC_PER_SEC);
	gint64 t0 = g_get_monotonic_time();

	run_until(&d.done);
	g_assert_cmpstr(d.reason, ==, "no client for the idle timeout");
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 900 * 1000);
	gt_session_free(s);
	core_defer_flush();
}

/* ------------------------------------------------------- the program */

/* Start `goet session -f id [-c command]`, hand it the passkey, return its port. */
static GSubprocess *program_start_cmd(const char *id, const char *command, uint16_t *port)
{
	char *exe =
		g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "goet", "cli", "goet", NULL);
	char hex[GT_PASSKEY_HEX_LEN + 2], *line;
	GError *e = NULL;
	const char *argv[] = {
		exe, "session", "-f", id, "-p", "0", command != NULL ? "-c" : NULL, command, NULL
	};
	GSubprocess *p =
		itest_spawn(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				    G_SUBPROCESS_FLAGS_STDERR_PIPE,
			    &e, argv);
	GDataInputStream *out;

	g_assert_no_error(e);
	gt_passkey_to_hex(passkey, hex);
	strcat(hex, "\n");
	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), hex, strlen(hex),
						NULL, NULL, &e));
	g_output_stream_close(g_subprocess_get_stdin_pipe(p), NULL, NULL);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	line = g_data_input_stream_read_line(out, NULL, NULL, &e);
	g_assert_no_error(e);
	g_assert_nonnull(line);
	*port = (uint16_t)g_ascii_strtoull(line, NULL, 10);
	g_assert_cmpuint(*port, !=, 0);
	g_free(line);
	g_object_unref(out);
	g_free(exe);
	return p;
}

static GSubprocess *program_start(const char *id, uint16_t *port)
{
	return program_start_cmd(id, NULL, port);
}

/* Wait for the process; return its exit status and stderr (g_free). */
static int program_wait(GSubprocess *p, char **err_text)
{
	GError *e = NULL;
	char buf[4096];
	gsize n = 0;

	g_assert_true(g_subprocess_wait(p, NULL, &e));
	g_input_stream_read_all(g_subprocess_get_stderr_pipe(p), buf, sizeof(buf) - 1, &n, NULL,
				NULL);
	buf[n] = '\0';
	*err_text = g_strdup(buf);
	return g_subprocess_get_exit_status(p);
}

/* goet session: port on stdout, the shell's status as its exit code, a 0600 log while it runs. */
static void test_program_session(void)
{
	char id[32], *err_text, *log_path, *log = NULL;
	struct client cl = { 0 };
	GStatBuf st;
	uint16_t port;
	GSubprocess *p;

	g_snprintf(id, sizeof(id), "test%d", (int)getpid());
	log_path = g_strdup_printf("/tmp/goet-%s.log", id);
	p = program_start(id, &port);
	cl_connect_port(&cl, port, false);
	cl_type(&cl, "echo prog-$((2*21))\n");
	wait_output(&cl, "prog-42");
	g_assert_cmpint(g_stat(log_path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "client connected"));
	g_assert_null(strstr(log, "prog-42")); /* terminal contents never reach the log */
	cl_type(&cl, "exit 7\n");
	run_until(&cl.closed);
	g_assert_true(cl.got_shutdown);
	g_assert_cmpint(program_wait(p, &err_text), ==, 1);
	g_assert_nonnull(strstr(err_text, "session exited: shell exited: exit status 7"));
	/* the log goes with the session (they piled up in /tmp) */
	g_assert_cmpint(g_stat(log_path, &st), !=, 0);
	g_free(log);
	g_free(log_path);
	g_free(err_text);
	g_object_unref(p);
	cl_finish(&cl);
}

/*
 * The port comes before the passkey (ssh delivers stdin a round trip after
 * the command line): `goet session` prints it with nothing on stdin yet; a
 * bad key then ends it with the reference's message. The port asked for is
 * taken: another is printed (before, the session failed to start).
 */
static void test_program_port_first(void)
{
	char *exe =
		g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "goet", "cli", "goet", NULL);
	/* the port asked for is taken (the client's guess, ssh_main.c): any other is used */
	int taken = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	char port_arg[8];
	const char *argv[] = { exe,  "session", "-f",		"portfirst",
			       "-p", port_arg,	"--port-first", NULL };
	GError *e = NULL;
	GSubprocess *p;
	GPollableInputStream *out;
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char buf[64] = { 0 }, *err_text;
	gsize have = 0;

	g_assert_cmpint(bind(taken, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(getsockname(taken, (struct sockaddr *)&sin, &slen), ==, 0);
	g_snprintf(port_arg, sizeof(port_arg), "%u", ntohs(sin.sin_port));
	p = itest_spawn(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				G_SUBPROCESS_FLAGS_STDERR_PIPE,
			&e, argv);
	out = G_POLLABLE_INPUT_STREAM(g_subprocess_get_stdout_pipe(p));
	g_assert_no_error(e);
	while (strchr(buf, '\n') == NULL) {
		gssize n = g_pollable_input_stream_read_nonblocking(
			out, buf + have, sizeof(buf) - 1 - have, NULL, NULL);

		if (n > 0)
			have += (gsize)n;
		else
			g_usleep(10 * 1000);
		g_assert_cmpint(g_get_monotonic_time(), <,
				until); /* no port without a key: a bug */
	}
	g_assert_cmpuint(g_ascii_strtoull(buf, NULL, 10), >, 0);
	g_assert_cmpuint(g_ascii_strtoull(buf, NULL, 10), !=, ntohs(sin.sin_port));
	close(taken);
	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), "zz\n", 3, NULL,
						NULL, &e));
	g_output_stream_close(g_subprocess_get_stdin_pipe(p), NULL, NULL);
	g_assert_cmpint(program_wait(p, &err_text), ==, 1);
	g_assert_nonnull(strstr(err_text, "error: passkey must be 64 hex characters (32 bytes)"));
	g_free(err_text);
	g_object_unref(p);
	g_free(exe);
	unlink("/tmp/goet-portfirst.log");
}

/* SIGTERM ends the session and the client is told (exit 1, as the reference). */
static void test_program_sigterm(void)
{
	char id[32], *err_text, *log_path;
	struct client cl = { 0 };
	uint16_t port;
	GSubprocess *p;

	g_snprintf(id, sizeof(id), "term%d", (int)getpid());
	log_path = g_strdup_printf("/tmp/goet-%s.log", id);
	p = program_start(id, &port);
	cl_connect_port(&cl, port, false);
	cl_type(&cl, "echo up-$((1))\n");
	wait_output(&cl, "up-1");
	g_subprocess_send_signal(p, SIGTERM);
	run_until(&cl.closed);
	g_assert_true(cl.got_shutdown);
	g_assert_cmpint(program_wait(p, &err_text), ==, 1);
	g_assert_nonnull(strstr(err_text, "session exited: signal received"));
	unlink(log_path);
	g_free(log_path);
	g_free(err_text);
	g_object_unref(p);
	cl_finish(&cl);
}

/* ------------------------------------------------ the client program */

/* Start `goet --local` against port with the test passkey. */
static GSubprocess *client_start(uint16_t port)
{
	char *exe =
		g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "goet", "cli", "goet", NULL);
	char hex[GT_PASSKEY_HEX_LEN + 1], portstr[8];
	GError *e = NULL;
	GSubprocess *p;

	gt_passkey_to_hex(passkey, hex);
	g_snprintf(portstr, sizeof(portstr), "%u", port);
	const char *argv[] = { exe,
			       "--local",
			       "-p",
			       portstr,
			       "-k",
			       hex,
			       tr == GT_TRANSPORT_TCP ? "--tcp" : "--profile",
			       "127.0.0.1",
			       NULL };

	p = itest_spawn(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				G_SUBPROCESS_FLAGS_STDERR_PIPE,
			&e, argv);
	g_assert_no_error(e);
	g_free(exe);
	return p;
}

static void client_type(GSubprocess *p, const char *text)
{
	GError *e = NULL;

	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), text, strlen(text),
						NULL, NULL, &e));
	g_assert_no_error(e);
}

/* Read the client's stdout into out until it contains want (10 s at most). */
static void client_expect(GSubprocess *p, GString *out, const char *want)
{
	GPollableInputStream *in = G_POLLABLE_INPUT_STREAM(g_subprocess_get_stdout_pipe(p));
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char buf[4096];

	while (strstr(out->str, want) == NULL) {
		gssize n =
			g_pollable_input_stream_read_nonblocking(in, buf, sizeof(buf), NULL, NULL);

		if (n > 0)
			g_string_append_len(out, buf, n);
		else
			g_usleep(10 * 1000);
		if (g_get_monotonic_time() > until)
			g_error("no \"%s\" in the client's output: %s", want, out->str);
	}
}

/* A `goet session` program and a `goet --local` client program talking to it. */
struct pair {
	char *log_path;
	uint16_t port;
	GSubprocess *sp, *cp;
	GString *out; /* the client's stdout so far */
};

static void pair_start(struct pair *pr, const char *prefix)
{
	char id[32];

	g_snprintf(id, sizeof(id), "%s%d", prefix, (int)getpid());
	pr->log_path = g_strdup_printf("/tmp/goet-%s.log", id);
	pr->sp = program_start(id, &pr->port);
	pr->cp = client_start(pr->port);
	pr->out = g_string_new(NULL);
}

/* Both programs end: the client with client_code, the session with session_code. */
static void pair_end(struct pair *pr, int client_code, int session_code, const char *session_says)
{
	char *err_text;

	g_assert_cmpint(program_wait(pr->cp, &err_text), ==, client_code);
	g_free(err_text);
	g_assert_cmpint(program_wait(pr->sp, &err_text), ==, session_code);
	if (session_says != NULL)
		g_assert_nonnull(strstr(err_text, session_says));
	g_free(err_text);
	unlink(pr->log_path);
	g_free(pr->log_path);
	g_string_free(pr->out, TRUE);
	g_object_unref(pr->cp);
	g_object_unref(pr->sp);
}

/* Type, see the output; `~.` ends the client (0) and the session (1). */
static void test_client_program(void)
{
	struct pair pr;

	pair_start(&pr, "cli");
	client_type(pr.cp, "echo hi-$((40+2))\n");
	client_expect(pr.cp, pr.out, "hi-42");
	client_type(pr.cp, "\n~.");
	pair_end(&pr, 0, 1, "session exited: client sent shutdown");
}

/* kill -9 of the client: the session waits; a new client process resumes the same shell. */
static void test_client_restart_resumes(void)
{
	struct pair pr;

	pair_start(&pr, "res");
	client_type(pr.cp, "GOET_T=$((6*7)); echo set-$GOET_T\n");
	client_expect(pr.cp, pr.out, "set-42");
	g_subprocess_force_exit(pr.cp); /* SIGKILL: no Shutdown */
	g_subprocess_wait(pr.cp, NULL, NULL);
	g_object_unref(pr.cp);
	g_string_truncate(pr.out, 0);
	/* a new process numbers its input from 1 again; the session takes it */
	pr.cp = client_start(pr.port);
	client_type(pr.cp, "echo again-$GOET_T\n");
	client_expect(pr.cp, pr.out, "again-42");
	client_type(pr.cp, "exit 0\n");
	pair_end(&pr, 0, 0, NULL); /* the client: the session said Shutdown */
}

/*
 * Input from a pipe that ends at once (before the client has even connected):
 * every line reaches the shell, all of its output is shown, and the client
 * exits 0 when the shell's `exit` ends the session (the reference ended the
 * session at the end of input and lost the output).
 */
static void test_client_pipe_eof(void)
{
	struct pair pr;
	GError *e = NULL;

	pair_start(&pr, "eof");
	client_type(pr.cp, "sleep 0.3; echo first-$((1+1))\necho second-$((2+2))\nexit 0\n");
	g_assert_true(g_output_stream_close(g_subprocess_get_stdin_pipe(pr.cp), NULL, &e));
	g_assert_no_error(e);
	client_expect(pr.cp, pr.out, "second-4");
	g_assert_nonnull(strstr(pr.out->str, "first-2"));
	pair_end(&pr, 0, 0, NULL);
}

/* Open descriptors and resident memory (KiB) of a process. */
static void proc_usage(GPid pid, unsigned *fds, unsigned *rss_kib)
{
	char path[64], *status = NULL, *line;
	GDir *d;

	g_snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = g_dir_open(path, 0, NULL);
	g_assert_nonnull(d);
	for (*fds = 0; g_dir_read_name(d) != NULL; (*fds)++)
		;
	g_dir_close(d);
	g_snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
	line = strstr(status, "VmRSS:");
	g_assert_nonnull(line);
	*rss_kib = (unsigned)g_ascii_strtoull(line + 6, NULL, 10);
	g_free(status);
}

/*
 * 500 connect / handshake / close cycles against the session program: its
 * descriptors do not grow at all and its memory by less than 1 MiB after a
 * warm-up; the shell is still there at the end.
 */
static void test_reconnect_cycles(void)
{
	char id[32], *err_text, *log_path;
	uint16_t port;
	GSubprocess *sp;
	GPid pid;
	struct client cl = { 0 };
	unsigned fds0 = 0, rss0 = 0, fds, rss;

	g_snprintf(id, sizeof(id), "cyc%d", (int)getpid());
	log_path = g_strdup_printf("/tmp/goet-%s.log", id);
	sp = program_start(id, &port);
	pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(sp), NULL, 10);
	for (int i = 1; i <= 500; i++) {
		cl_connect_port(&cl, port, false);
		if (i == 1) {
			cl_type(&cl, "echo cycle-$((1+1))\n");
			wait_output(&cl, "cycle-2");
		}
		gt_conn_close(cl.c, GT_CLOSE_OK, "cycle");
		cl.c = NULL;
		while (gt_conn_live_count() > 0)
			g_main_context_iteration(NULL, TRUE);
		if (i == 50) {
			g_usleep(200 * 1000); /* the session handles the close (as below) */
			proc_usage(pid, &fds0, &rss0);
		}
	}
	g_usleep(200 * 1000); /* the session handles the last close */
	proc_usage(pid, &fds, &rss);
	g_test_message("session after 50 cycles: %u fds, %u KiB; after 500: %u fds, %u KiB", fds0,
		       rss0, fds, rss);
	g_assert_cmpuint(fds, <=, fds0); /* no growth (a close may still be in flight) */
#ifndef __SANITIZE_ADDRESS__ /* ASan's quarantine holds freed memory; its leak check covers this */
	g_assert_cmpuint(rss, <, rss0 + 1024);
#endif
	cl_connect_port(&cl, port, false);
	cl_type(&cl, "echo still-$((2+2)); exit 0\n");
	wait_output(&cl, "still-4");
	run_until(&cl.got_shutdown); /* after our ack of the last output */
	cl_finish(&cl);
	g_assert_cmpint(program_wait(sp, &err_text), ==, 0);
	unlink(log_path);
	g_free(log_path);
	g_free(err_text);
	g_object_unref(sp);
}

/*
 * `goet session -c CMD` (what `goet host -- cmd` starts) and a `goet --local`
 * client: the command's stdin is the client's (its end closes it), stdout
 * and stderr arrive apart with no terminal in between (no \r), the client
 * exits with the command's status, and a lost connection in the middle costs
 * nothing (the output made meanwhile is replayed).
 */
static void test_command(void)
{
	struct pair pr;
	char id[32], *err_text;
	struct client cl = { 0 };
	GError *e = NULL;

	g_snprintf(id, sizeof(id), "cmd%d", (int)getpid());
	pr.log_path = g_strdup_printf("/tmp/goet-%s.log", id);
	pr.sp = program_start_cmd(id,
				  "read x; echo out-$x; echo err-$x >&2; sleep 1; "
				  "echo after-$x; cat; exit 3",
				  &pr.port);
	pr.cp = client_start(pr.port);
	pr.out = g_string_new(NULL);
	client_type(pr.cp, "v\n");
	client_expect(pr.cp, pr.out, "out-v\n");
	/* another connection takes the session over for a moment (the client's link is lost) */
	cl_connect_port(&cl, pr.port, false);
	gt_conn_close(cl.c, GT_CLOSE_OK, "gone again");
	cl.c = NULL;
	client_type(pr.cp, "last line\n");
	g_assert_true(g_output_stream_close(g_subprocess_get_stdin_pipe(pr.cp), NULL, &e));
	g_assert_no_error(e);
	client_expect(pr.cp, pr.out, "last line\n");
	g_assert_cmpint(program_wait(pr.cp, &err_text), ==, 3);
	g_assert_cmpstr(pr.out->str + strlen(pr.out->str) - strlen("after-v\nlast line\n"), ==,
			"after-v\nlast line\n");
	g_assert_true(g_str_has_prefix(pr.out->str, "out-v\n"));
	g_assert_nonnull(strstr(err_text, "err-v\n"));
	g_assert_null(strstr(pr.out->str, "err-v"));
	g_free(err_text);
	g_assert_cmpint(program_wait(pr.sp, &err_text), ==, 1);
	g_free(err_text);
	unlink(pr.log_path);
	g_free(pr.log_path);
	g_string_free(pr.out, TRUE);
	g_object_unref(pr.cp);
	g_object_unref(pr.sp);
	cl_finish(&cl);
}

/* Register fn once per client transport: /session/<quic|tcp>/<name>. */
static void add_both(const char *name, GTestDataFunc fn)
{
	static const char *const names[] = { "quic", "tcp" };

	for (int t = 0; t < 2; t++) {
		char *path = g_strdup_printf("/session/%s/%s", names[t], name);

		g_test_add_data_func(path, GINT_TO_POINTER(t), fn);
		g_free(path);
	}
}

#define ON_TRANSPORT(fn)                                                                           \
	static void fn##_on(gconstpointer t)                                                       \
	{                                                                                          \
		tr = (enum gt_transport)GPOINTER_TO_INT(t);                                        \
		fn();                                                                              \
	}
ON_TRANSPORT(test_command_and_exit)
ON_TRANSPORT(test_reconnect_replay)
ON_TRANSPORT(test_data_before_terminal_info)
ON_TRANSPORT(test_start_term)
ON_TRANSPORT(test_client_program)
ON_TRANSPORT(test_client_restart_resumes)
ON_TRANSPORT(test_client_pipe_eof)
ON_TRANSPORT(test_reconnect_cycles)
ON_TRANSPORT(test_exit_while_away)
ON_TRANSPORT(test_command)

int main(int argc, char **argv)
{
	/* sessions register in $XDG_RUNTIME_DIR/goet (registry.h), clients write
	 * --profile files in $TMPDIR: a directory of our own for both */
	char *rt = g_dir_make_tmp("goet-test-rt-XXXXXX", NULL), *rm;
	int r;

	g_setenv("XDG_RUNTIME_DIR", rt, TRUE);
	g_setenv("TMPDIR", rt, TRUE); /* --profile's JSON files */
	g_test_init(&argc, &argv, NULL);
	core_log_set_level(g_getenv("GOET_TEST_LOG") != NULL ? CORE_LOG_DEBUG : CORE_LOG_WARN);
	gt_passkey_generate(passkey);
	add_both("command-and-exit", test_command_and_exit_on);
	add_both("reconnect-replay", test_reconnect_replay_on);
	add_both("data-before-terminal-info", test_data_before_terminal_info_on);
	add_both("start-term", test_start_term_on);
	add_both("client-program", test_client_program_on);
	add_both("client-restart-resumes", test_client_restart_resumes_on);
	add_both("client-pipe-eof", test_client_pipe_eof_on);
	add_both("reconnect-cycles", test_reconnect_cycles_on);
	add_both("exit-while-away", test_exit_while_away_on);
	add_both("command", test_command_on);
	g_test_add_func("/session/idle-timeout", test_idle_timeout);
	g_test_add_func("/session/program", test_program_session);
	g_test_add_func("/session/program-sigterm", test_program_sigterm);
	g_test_add_func("/session/program-port-first", test_program_port_first);
	r = g_test_run();
	rm = g_strdup_printf("rm -rf '%s'", rt);
	if (system(rm) != 0)
		r = 1;
	g_free(rm);
	g_free(rt);
	return r;
}
