/*
 * pty.c - the shell on a pseudo-terminal, or a command on pipes (contract in
 * pty.h). Three descriptors: in_fd (its stdin), out_fd (its stdout), err_fd
 * (its stderr); on a PTY the first two are the master and the third is -1.
 * Each has its own watch: out and err for reading (paused together), in for
 * writing while input is queued.
 */
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
/* Reads per wake-up: a PTY read gives at most a few KiB; fewer wake-ups under load. */
#define PTY_READS_PER_WAKE 16

struct gt_pty {
	struct gt_pty_callbacks cb;
	void *user;
	bool pipes;
	int master; /* PTY mode: the master; -1 on pipes or after a hangup */
	int in_fd, out_fd, err_fd;
	pid_t pid;
	guint in_watch, out_watch, err_watch;
	guint child_watch;
	guint kill_timer;
	struct core_buf in; /* input waiting for in_fd */
	bool want_writable;
	bool output_paused;
	bool close_input; /* pipes: close stdin once the queue is written */
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

/* Close fd and forget its watch. */
static void pty_close_fd(int *fd, guint *watch)
{
	core_source_clear(watch);
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Hand output to the owner; false at EOF (EIO, or 0 on a pipe), on an error or EAGAIN. */
static bool pty_read_some(struct gt_pty *p, int fd, bool err)
{
	uint8_t buf[GT_PTY_READ_BYTES];
	ssize_t n;

	if (fd < 0)
		return false;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (err && p->cb.err_output != NULL)
			p->cb.err_output(p, buf, (size_t)n, p->user);
		else
			p->cb.output(p, buf, (size_t)n, p->user);
		return true;
	}
	/* EAGAIN: nothing now; EIO: every slave fd is closed; 0: a pipe's end */
	return false;
}

/* Write queued input as far as in_fd takes it; on pipes, close stdin when asked. */
static void pty_flush_input(struct gt_pty *p)
{
	while (core_buf_len(&p->in) > 0 && p->in_fd >= 0) {
		ssize_t n = write(p->in_fd, core_buf_ptr(&p->in), core_buf_len(&p->in));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: wait for writable; EIO, EPIPE: the reader is gone */
		core_buf_skip(&p->in, (size_t)n);
	}
	if (core_buf_len(&p->in) == 0) {
		core_buf_reset(&p->in);
		if (p->pipes && p->close_input)
			pty_close_fd(&p->in_fd, &p->in_watch);
	}
}

static void pty_update_watch(struct gt_pty *p)
{
	GIOCondition rd = p->output_paused ? 0 : G_IO_IN;

	if (p->out_watch != 0)
		core_fd_watch_set(p->out_watch, rd);
	if (p->err_watch != 0)
		core_fd_watch_set(p->err_watch, rd);
	if (p->in_watch != 0)
		core_fd_watch_set(p->in_watch, core_buf_len(&p->in) > 0 ? G_IO_OUT : 0);
}

/* Output (or errors) readable: a bounded number of reads per wake keeps the loop fair. */
static gboolean pty_out_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_pty *p = data;
	bool err = fd == p->err_fd && fd != p->out_fd;
	bool more = true;

	if (!p->output_paused)
		for (int i = 0; i < PTY_READS_PER_WAKE && (more = pty_read_some(p, fd, err)); i++)
			;
	if (!more && (cond & (G_IO_HUP | G_IO_ERR)) && !p->output_paused) {
		/* the end of this output: the child watch reports the exit */
		if (err)
			p->err_watch = 0;
		else
			p->out_watch = 0;
		if (p->pipes)
			close(fd);
		if (p->pipes && err)
			p->err_fd = -1;
		else if (p->pipes)
			p->out_fd = -1;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Input can be written. */
static gboolean pty_in_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_pty *p = data;

	pty_flush_input(p);
	pty_update_watch(p);
	if (p->want_writable && core_buf_avail(&p->in) >= GT_PTY_QUEUE_BYTES / 2) {
		p->want_writable = false;
		if (p->cb.writable != NULL)
			p->cb.writable(p, p->user);
	}
	return G_SOURCE_CONTINUE;
}

/* The shell exited: deliver what it left in the PTY (or pipes), then report. */
static void pty_child_cb(GPid pid, gint status, gpointer data)
{
	struct gt_pty *p = data;

	p->child_watch = 0;
	core_source_clear(&p->kill_timer);
	/* bounded: a leftover background job could write for ever */
	for (int i = 0; i < PTY_FINAL_READS && pty_read_some(p, p->out_fd, false); i++)
		;
	for (int i = 0; i < PTY_FINAL_READS && pty_read_some(p, p->err_fd, true); i++)
		;
	p->exited = true;
	p->status = status;
	core_source_clear(&p->out_watch);
	core_source_clear(&p->err_watch);
	core_source_clear(&p->in_watch);
	p->cb.exited(p, status, p->user);
}

/* Fork the command with its stdio on three pipes, in a session of its own. */
static pid_t pty_fork_pipes(struct gt_pty *p)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	pid_t pid = -1;

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		setsid();
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		return 0; /* the caller execs */
	}
	if (pid > 0) {
		p->in_fd = in[1];
		p->out_fd = out[0];
		p->err_fd = err[0];
		in[1] = out[0] = err[0] = -1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return pid;
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
	p->master = p->in_fd = p->out_fd = p->err_fd = -1;
	p->pipes = cfg->pipes;
	pid = p->pipes ? pty_fork_pipes(p) : forkpty(&master, NULL, NULL, &ws);
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
		g_set_error(error, CORE_ERROR, r, "cannot start %s: %s",
			    p->pipes ? "the command" : "a shell on a PTY", g_strerror(errno));
		g_free(p);
		goto out;
	}
	if (!p->pipes)
		p->master = p->in_fd = p->out_fd = master;
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? p->in_fd : i == 1 ? p->out_fd : p->err_fd;

		if (fd >= 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
	}
	p->cb = *cb;
	p->user = user;
	p->pid = pid;
	core_buf_init_growable(&p->in, GT_PTY_QUEUE_BYTES);
	p->out_watch = core_fd_watch_add(p->out_fd, G_IO_IN, pty_out_cb, p);
	if (p->err_fd >= 0)
		p->err_watch = core_fd_watch_add(p->err_fd, G_IO_IN, pty_out_cb, p);
	p->in_watch = core_fd_watch_add(p->in_fd, 0, pty_in_cb, p);
	p->child_watch = g_child_watch_add(pid, pty_child_cb, p);
	*out = p;
out:
	g_free(path);
	g_strfreev(argv);
	g_strfreev(env);
	return r;
}

/* Close every descriptor (the master once: it is in_fd and out_fd). */
static void pty_close_all(struct gt_pty *p)
{
	core_source_clear(&p->in_watch);
	core_source_clear(&p->out_watch);
	core_source_clear(&p->err_watch);
	if (p->pipes) {
		pty_close_fd(&p->in_fd, &p->in_watch);
		pty_close_fd(&p->out_fd, &p->out_watch);
		pty_close_fd(&p->err_fd, &p->err_watch);
	} else if (p->master >= 0) {
		close(p->master);
	}
	p->master = p->in_fd = p->out_fd = p->err_fd = -1;
}

void gt_pty_free(struct gt_pty *p)
{
	if (p == NULL)
		return;
	core_source_clear(&p->kill_timer);
	if (p->child_watch != 0) {
		/* still running: make sure it does not outlive us */
		kill(-p->pid, SIGKILL);
		core_source_clear(&p->child_watch);
		waitpid(p->pid, NULL, 0);
	}
	pty_close_all(p);
	core_buf_free(&p->in);
	g_free(p);
}

pid_t gt_pty_pid(const struct gt_pty *p)
{
	return p->pid;
}

bool gt_pty_is_pipes(const struct gt_pty *p)
{
	return p->pipes;
}

int gt_pty_resize(struct gt_pty *p, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (p->pipes)
		return CORE_OK; /* no terminal */
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

	if (p->pipes)
		return CORE_OK;
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

	if (p->in_fd < 0 || p->exited || p->close_input)
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

void gt_pty_close_input(struct gt_pty *p)
{
	if (!p->pipes || p->close_input)
		return;
	p->close_input = true;
	pty_flush_input(p);
	pty_update_watch(p);
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
	pty_close_all(p); /* a PTY: the kernel hangs up the session (SIGHUP) */
	if (p->pipes)
		kill(-p->pid, SIGHUP); /* pipes: as a terminal's hangup would */
	if (p->kill_timer == 0)
		p->kill_timer = g_timeout_add(grace_ms, pty_kill_cb, p);
}
