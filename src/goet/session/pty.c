/* pty.c - the shell on a pseudo-terminal (contract in pty.h). */
#include "goet/session/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"

/* Reads after the shell's exit, to deliver its last output (up to 2 MiB). */
#define PTY_FINAL_READS 64

struct gt_pty {
	struct gt_pty_callbacks cb;
	void *user;
	int master;
	pid_t pid;
	guint watch;
	guint child_watch;
	guint kill_timer;
	struct core_buf in; /* input waiting for the master */
	bool want_writable;
	bool output_paused;
	bool exited;
	int status;
};

/* argv and envp for the shell, built before fork (the child may only exec). */
static char **pty_build_env(const struct gt_pty_config *cfg)
{
	char **env = g_get_environ();

	env = g_environ_unsetenv(env, "TERM");
	env = g_environ_setenv(env, "TERM", cfg->term, TRUE);
	env = g_environ_setenv(env, "GOET_SESSION", cfg->session_id, TRUE);
	return env;
}

static char **pty_build_argv(const struct gt_pty_config *cfg, char **path)
{
	const char *shell = g_getenv("SHELL");
	char **argv, *base;

	if (cfg->argv != NULL) {
		*path = g_strdup(cfg->argv[0]);
		return g_strdupv((char **)cfg->argv);
	}
	if (shell == NULL || shell[0] == '\0')
		shell = "/bin/sh";
	*path = g_strdup(shell);
	base = g_path_get_basename(shell);
	argv = g_new0(char *, 2);
	argv[0] = g_strconcat("-", base, NULL); /* a login shell */
	g_free(base);
	return argv;
}

/* Hand the shell's output to the owner; false at EOF (EIO) or on an error. */
static bool pty_read_some(struct gt_pty *p)
{
	uint8_t buf[GT_PTY_READ_BYTES];
	ssize_t n;

	if (p->master < 0)
		return false;
	do
		n = read(p->master, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		p->cb.output(p, buf, (size_t)n, p->user);
		return true;
	}
	/* EAGAIN: nothing now; EIO: every slave fd is closed */
	return false;
}

/* Write queued input as far as the master takes it. */
static void pty_flush_input(struct gt_pty *p)
{
	while (core_buf_len(&p->in) > 0 && p->master >= 0) {
		ssize_t n = write(p->master, core_buf_ptr(&p->in), core_buf_len(&p->in));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: wait for writable; EIO: the shell is gone */
		core_buf_skip(&p->in, (size_t)n);
	}
	if (core_buf_len(&p->in) == 0)
		core_buf_reset(&p->in);
}

static void pty_update_watch(struct gt_pty *p)
{
	if (p->watch != 0)
		core_fd_watch_set(p->watch, (p->output_paused ? 0 : G_IO_IN) |
						    (core_buf_len(&p->in) > 0 ? G_IO_OUT : 0));
}

static gboolean pty_io_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_pty *p = data;

	if (cond & G_IO_OUT)
		pty_flush_input(p);
	if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !p->output_paused) {
		/* a bounded number of reads per wake-up keeps the loop fair */
		for (int i = 0; i < 4 && pty_read_some(p); i++)
			;
	}
	if (cond & (G_IO_HUP | G_IO_ERR) && !(cond & G_IO_IN)) {
		p->watch = 0; /* EOF: the child watch reports the exit */
		return G_SOURCE_REMOVE;
	}
	pty_update_watch(p);
	if (p->want_writable && core_buf_avail(&p->in) >= GT_PTY_QUEUE_BYTES / 2) {
		p->want_writable = false;
		if (p->cb.writable != NULL)
			p->cb.writable(p, p->user);
	}
	return G_SOURCE_CONTINUE;
}

/* The shell exited: deliver what it left in the PTY, then report. */
static void pty_child_cb(GPid pid, gint status, gpointer data)
{
	struct gt_pty *p = data;

	p->child_watch = 0;
	core_source_clear(&p->kill_timer);
	/* bounded: a leftover background job could write for ever */
	for (int i = 0; i < PTY_FINAL_READS && pty_read_some(p); i++)
		;
	p->exited = true;
	p->status = status;
	core_source_clear(&p->watch);
	p->cb.exited(p, status, p->user);
}

int gt_pty_spawn(const struct gt_pty_config *cfg, const struct gt_pty_callbacks *cb, void *user,
		 struct gt_pty **out, GError **error)
{
	struct winsize ws = { .ws_row = GT_PTY_ROWS, .ws_col = GT_PTY_COLS };
	char *path = NULL, **argv = pty_build_argv(cfg, &path), **env = pty_build_env(cfg);
	struct gt_pty *p = g_new0(struct gt_pty, 1);
	int master = -1, r = CORE_OK;
	pid_t pid;

	*out = NULL;
	pid = forkpty(&master, NULL, NULL, &ws);
	if (pid == 0) {
		/* child: only async-signal-safe calls until exec */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execve(path, argv, env);
		_exit(127);
	}
	if (pid < 0) {
		r = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, r, "cannot start a shell on a PTY: %s",
			    g_strerror(errno));
		g_free(p);
		goto out;
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	fcntl(master, F_SETFD, FD_CLOEXEC);
	p->cb = *cb;
	p->user = user;
	p->master = master;
	p->pid = pid;
	core_buf_init_growable(&p->in, GT_PTY_QUEUE_BYTES);
	p->watch = core_fd_watch_add(master, G_IO_IN, pty_io_cb, p);
	p->child_watch = g_child_watch_add(pid, pty_child_cb, p);
	*out = p;
out:
	g_free(path);
	g_strfreev(argv);
	g_strfreev(env);
	return r;
}

void gt_pty_free(struct gt_pty *p)
{
	if (p == NULL)
		return;
	core_source_clear(&p->watch);
	core_source_clear(&p->kill_timer);
	if (p->child_watch != 0) {
		/* still running: make sure it does not outlive us */
		kill(-p->pid, SIGKILL);
		core_source_clear(&p->child_watch);
		waitpid(p->pid, NULL, 0);
	}
	if (p->master >= 0)
		close(p->master);
	core_buf_free(&p->in);
	g_free(p);
}

pid_t gt_pty_pid(const struct gt_pty *p)
{
	return p->pid;
}

int gt_pty_resize(struct gt_pty *p, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (p->master < 0 || ioctl(p->master, TIOCSWINSZ, &ws) != 0)
		return CORE_ERR_SYSTEM;
	return CORE_OK;
}

int gt_pty_size(struct gt_pty *p, uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	if (p->master < 0 || ioctl(p->master, TIOCGWINSZ, &ws) != 0)
		return CORE_ERR_SYSTEM;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return CORE_OK;
}

int gt_pty_bounce(struct gt_pty *p)
{
	struct winsize ws;

	if (p->master < 0 || ioctl(p->master, TIOCGWINSZ, &ws) != 0)
		return CORE_ERR_SYSTEM;
	if (ws.ws_row <= 1)
		return CORE_OK;
	ws.ws_row--; /* keep columns and pixel sizes */
	return ioctl(p->master, TIOCSWINSZ, &ws) == 0 ? CORE_OK : CORE_ERR_SYSTEM;
}

void gt_pty_pause_output(struct gt_pty *p, bool paused)
{
	p->output_paused = paused;
	pty_update_watch(p);
}

int gt_pty_write(struct gt_pty *p, const void *data, size_t n)
{
	int r;

	if (p->master < 0 || p->exited)
		return CORE_ERR_CLOSED;
	r = core_buf_put_bytes(&p->in, data, n);
	if (r == CORE_ERR_NO_SPACE) {
		p->want_writable = true;
		return CORE_ERR_AGAIN;
	}
	pty_flush_input(p);
	pty_update_watch(p);
	return r;
}

/* The grace period is over: end the shell and everything in its process group. */
static gboolean pty_kill_cb(gpointer data)
{
	struct gt_pty *p = data;

	p->kill_timer = 0;
	core_log_info("pty", NULL, "shell %d ignored SIGHUP; sending SIGKILL", (int)p->pid);
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	return G_SOURCE_REMOVE;
}

void gt_pty_hangup(struct gt_pty *p, unsigned grace_ms)
{
	if (p->exited)
		return;
	core_source_clear(&p->watch);
	if (p->master >= 0)
		close(p->master); /* the kernel hangs up the session: SIGHUP */
	p->master = -1;
	if (p->kill_timer == 0)
		p->kill_timer = g_timeout_add(grace_ms, pty_kill_cb, p);
}
