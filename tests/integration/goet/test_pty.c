/*
 * Integration tests for goet/session/pty: a real /bin/sh on a real PTY.
 */
#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "goet/session/pty.h"
#include "../timescale.h"

#define TEST_LIMIT_S 30

struct shell {
	GString *out;
	GString *err; /* pipes: stderr */
	bool exited;
	int status;
	unsigned writable;
};

static void on_output(struct gt_pty *p, const uint8_t *d, size_t n, void *user)
{
	g_string_append_len(((struct shell *)user)->out, (const char *)d, (gssize)n);
}

static void on_writable(struct gt_pty *p, void *user)
{
	((struct shell *)user)->writable++;
}

static void on_exited(struct gt_pty *p, int status, void *user)
{
	struct shell *s = user;

	s->exited = true;
	s->status = status;
}

static void on_err_output(struct gt_pty *p, const uint8_t *d, size_t n, void *user)
{
	g_string_append_len(((struct shell *)user)->err, (const char *)d, (gssize)n);
}

static const struct gt_pty_callbacks cbs = { on_output, on_writable, on_exited, NULL };
static const struct gt_pty_callbacks pipe_cbs = { on_output, on_writable, on_exited,
						  on_err_output };

static gboolean on_limit(gpointer p)
{
	g_error("test did not finish within %d s", TEST_LIMIT_S);
	return G_SOURCE_REMOVE;
}

/* Run the loop until the output contains want (or the shell exited). */
static void wait_for(struct shell *s, const char *want)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	while (strstr(s->out->str, want) == NULL && !s->exited)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	g_assert_nonnull(strstr(s->out->str, want));
}

static void wait_exit(struct shell *s)
{
	guint guard = g_timeout_add_seconds(TEST_LIMIT_S, on_limit, NULL);

	while (!s->exited)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
}

static struct gt_pty *spawn(struct shell *s, const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct gt_pty_config cfg = { .term = "vt100", .session_id = "deadbeef", .argv = argv };
	struct gt_pty *p = NULL;
	GError *e = NULL;

	memset(s, 0, sizeof(*s));
	s->out = g_string_new(NULL);
	g_assert_cmpint(gt_pty_spawn(&cfg, &cbs, s, &p, &e), ==, CORE_OK);
	g_assert_no_error(e);
	return p;
}

/* Environment, size, input, and the last output before exit. */
static void test_shell_basics(void)
{
	struct shell s;
	struct gt_pty *p = spawn(&s, "stty size; echo \"T=$TERM S=$GOET_SESSION\"; read line; "
				     "echo \"got [$line]\"; printf 'last words'; exit 3");

	wait_for(&s, "S=deadbeef");
	g_assert_nonnull(strstr(s.out->str, "24 80"));
	g_assert_nonnull(strstr(s.out->str, "T=vt100 S=deadbeef"));
	g_assert_cmpint(gt_pty_write(p, "hello\n", 6), ==, CORE_OK);
	wait_exit(&s);
	g_assert_nonnull(strstr(s.out->str, "got [hello]"));
	/* no newline, written right before exit: still delivered */
	g_assert_true(g_str_has_suffix(s.out->str, "last words"));
	g_assert_true(WIFEXITED(s.status));
	g_assert_cmpint(WEXITSTATUS(s.status), ==, 3);
	g_assert_cmpint(gt_pty_write(p, "x", 1), ==, CORE_ERR_CLOSED);
	gt_pty_free(p);
	g_string_free(s.out, TRUE);
}

/* Resize and the shrink-by-one bounce, as the shell sees them. */
static void test_resize_bounce(void)
{
	struct shell s;
	struct gt_pty *p = spawn(&s, "read a; stty size; read b; stty size; read c; stty size");
	uint16_t rows, cols;

	g_assert_cmpint(gt_pty_resize(p, 50, 132), ==, CORE_OK);
	g_assert_cmpint(gt_pty_write(p, "\n", 1), ==, CORE_OK);
	wait_for(&s, "50 132");
	g_assert_cmpint(gt_pty_bounce(p), ==, CORE_OK);
	g_assert_cmpint(gt_pty_size(p, &rows, &cols), ==, CORE_OK);
	g_assert_cmpuint(rows, ==, 49);
	g_assert_cmpuint(cols, ==, 132);
	g_assert_cmpint(gt_pty_write(p, "\n", 1), ==, CORE_OK);
	wait_for(&s, "49 132");
	/* a 1-row terminal is not shrunk */
	g_assert_cmpint(gt_pty_resize(p, 1, 10), ==, CORE_OK);
	g_assert_cmpint(gt_pty_bounce(p), ==, CORE_OK);
	g_assert_cmpint(gt_pty_size(p, &rows, &cols), ==, CORE_OK);
	g_assert_cmpuint(rows, ==, 1);
	g_assert_cmpint(gt_pty_write(p, "\n", 1), ==, CORE_OK);
	wait_exit(&s);
	g_assert_nonnull(strstr(s.out->str, "1 10"));
	gt_pty_free(p);
	g_string_free(s.out, TRUE);
}

/* True if pid no longer runs: gone, or a zombie waiting for its new parent. */
static bool process_dead(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%d/stat", (int)pid), *stat = NULL, *state;
	bool dead = true;

	if (g_file_get_contents(path, &stat, NULL, NULL) && (state = strrchr(stat, ')')) != NULL)
		dead = state[2] == 'Z' || state[2] == 'X';
	g_free(stat);
	g_free(path);
	return dead;
}

/* Hang-up: a shell that obeys SIGHUP goes at once; one that ignores it is killed. */
static void test_hangup(void)
{
	struct shell s;
	struct gt_pty *p = spawn(&s, "echo ready; sleep 60");
	gint64 t0;

	wait_for(&s, "ready");
	t0 = g_get_monotonic_time();
	gt_pty_hangup(p, 5000);
	wait_exit(&s);
	g_assert_true(WIFSIGNALED(s.status));
	g_assert_cmpint(WTERMSIG(s.status), ==, SIGHUP);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, ITEST_SCALED_US(2 * G_USEC_PER_SEC));
	gt_pty_free(p);
	g_string_free(s.out, TRUE);

	/* ignores SIGHUP, and so does its child: SIGKILL reaches both */
	p = spawn(&s, "trap '' HUP; sleep 60 & echo child=$!; wait");
	wait_for(&s, "child=");
	wait_for(&s, "\n");
	{
		long child = strtol(strstr(s.out->str, "child=") + 6, NULL, 10);

		t0 = g_get_monotonic_time();
		gt_pty_hangup(p, 300);
		wait_exit(&s);
		g_assert_true(WIFSIGNALED(s.status));
		g_assert_cmpint(WTERMSIG(s.status), ==, SIGKILL);
		g_assert_cmpint(g_get_monotonic_time() - t0, >=, 250 * 1000);
		g_usleep(100 * 1000);
		g_assert_true(process_dead((pid_t)child)); /* the child is gone too */
	}
	gt_pty_free(p);
	g_string_free(s.out, TRUE);
}

/* Input the shell does not read fills the queue; writes never block. */
static void test_input_backpressure(void)
{
	struct shell s;
	struct gt_pty *p = spawn(&s, "stty -echo -icanon; echo ready; sleep 60");
	char chunk[4096];
	size_t queued = 0;
	int r = CORE_OK;
	gint64 t0 = g_get_monotonic_time();

	wait_for(&s, "ready");
	memset(chunk, 'x', sizeof(chunk));
	while ((r = gt_pty_write(p, chunk, sizeof(chunk))) == CORE_OK && queued < (64u << 20))
		queued += sizeof(chunk);
	g_assert_cmpint(r, ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(queued, <=, GT_PTY_QUEUE_BYTES + 64 * 1024);
	g_assert_cmpint(g_get_monotonic_time() - t0, <,
			ITEST_SCALED_US(5 * G_USEC_PER_SEC)); /* never blocked */
	gt_pty_hangup(p, 200);
	wait_exit(&s);
	gt_pty_free(p);
	g_string_free(s.out, TRUE);
}

/*
 * A command on pipes: stdout and stderr apart, no terminal (no \r added, no
 * echo), its stdin's end when asked, its exit status, and resize a no-op.
 */
static void test_pipes(void)
{
	const char *argv[] = { "/bin/sh", "-c",
			       "test -t 0 && echo tty; cat; echo to-err >&2; exit 3", NULL };
	struct gt_pty_config cfg = {
		.term = "vt100", .session_id = "x", .argv = argv, .pipes = true
	};
	struct shell sh = { 0 };
	struct gt_pty *p = NULL;
	GError *e = NULL;

	sh.out = g_string_new(NULL);
	sh.err = g_string_new(NULL);
	g_assert_cmpint(gt_pty_spawn(&cfg, &pipe_cbs, &sh, &p, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_true(gt_pty_is_pipes(p));
	g_assert_cmpint(gt_pty_resize(p, 10, 10), ==, CORE_OK);
	g_assert_cmpint(gt_pty_bounce(p), ==, CORE_OK);
	g_assert_cmpint(gt_pty_write(p, "line\n", 5), ==, CORE_OK);
	wait_for(&sh, "line\n");
	g_assert_false(sh.exited); /* cat waits for more */
	gt_pty_close_input(p);
	g_assert_cmpint(gt_pty_write(p, "x", 1), ==, CORE_ERR_CLOSED);
	wait_exit(&sh);
	g_assert_cmpstr(sh.out->str, ==, "line\n");
	g_assert_cmpstr(sh.err->str, ==, "to-err\n");
	g_assert_true(WIFEXITED(sh.status));
	g_assert_cmpint(WEXITSTATUS(sh.status), ==, 3);
	gt_pty_free(p);
	g_string_free(sh.out, TRUE);
	g_string_free(sh.err, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pty/shell-basics", test_shell_basics);
	g_test_add_func("/pty/resize-bounce", test_resize_bounce);
	g_test_add_func("/pty/hangup", test_hangup);
	g_test_add_func("/pty/input-backpressure", test_input_backpressure);
	g_test_add_func("/pty/pipes", test_pipes);
	return g_test_run();
}
