/*
 * local_main.c - `goet --local -p PORT -k HEX|-k -|--key-file F [host]`: the
 * client, talking to a session whose port and passkey the user already has
 * ("direct mode"). The passkey comes from the command line (visible in ps),
 * a line on stdin ("-", not echoed on a terminal), or a file that only the
 * user can read (mode 0600, else refused).
 * Raw mode when stdin is a terminal (restored on the way out), plain pipes
 * otherwise; SIGWINCH sends the new size; SIGINT/SIGTERM end the session.
 */
#include "goet/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "version.h"

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/client/client.h"
#include "goet/net/conn.h"

#define FLUSH_LIMIT_US (3 * G_USEC_PER_SEC)
#define KEY_LINE_MAX   256 /* a passkey line: 64 hex characters, spaces, newline */

struct run {
	GMainLoop *loop;
	int code;
	char reason[160];
};

static void on_done(struct gt_client *c, int code, const char *reason, void *data)
{
	struct run *r = data;

	r->code = code;
	g_strlcpy(r->reason, reason, sizeof(r->reason));
	g_main_loop_quit(r->loop);
}

static gboolean on_stop_signal(gpointer data)
{
	gt_client_stop(data, "signal received");
	return G_SOURCE_CONTINUE;
}

static gboolean on_winch(gpointer data)
{
	gt_client_resized(data);
	return G_SOURCE_CONTINUE;
}

/* --profile at exit: the summary on stderr and the JSON file in $TMPDIR (/tmp). */
static void write_profile(struct gt_client *c, const char *host)
{
	struct gt_profile p;
	GDateTime *now = g_date_time_new_now_utc();
	GDateTime *local = g_date_time_to_local(now);
	char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	char *stamp = g_date_time_format(local, "%Y%m%d-%H%M%S");
	char *path = NULL, *text, *json;
	int fd = -1;

	gt_client_profile(c, &p);
	text = gt_profile_summary(&p);
	fputs(text, stderr);
	json = gt_profile_json(&p, ts, CORE_VERSION_COMMIT, host);
	/* never through a symlink or over another file: /tmp is shared */
	for (int i = 0; i < 100 && fd < 0; i++) {
		g_free(path);
		path = i == 0 ? g_strdup_printf("%s/goet-profile-%s.json", g_get_tmp_dir(), stamp)
			      : g_strdup_printf("%s/goet-profile-%s-%d.json", g_get_tmp_dir(),
						stamp, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json))
		fprintf(stderr, "[profile] wrote %s\r\n", path);
	else
		fprintf(stderr, "[profile] could not write %s: %s\r\n", path, g_strerror(errno));
	if (fd >= 0)
		close(fd);
	g_free(json);
	g_free(text);
	g_free(path);
	g_free(stamp);
	g_free(ts);
	g_date_time_unref(local);
	g_date_time_unref(now);
}

/* The first connection: the session has the passkey, the bootstrap's ssh may go. */
static void on_connected(void *data)
{
	struct gt_ssh_proc *p = data;

	if (p != NULL && p->pid > 0)
		gt_ssh_finish(p, 0);
}

int gt_cli_client(const struct gt_args *a, const char *host, uint16_t port,
		  const uint8_t passkey[GT_PASSKEY_LEN], const char *detach_hint,
		  struct gt_ssh_proc *bootstrap, struct gt_predial *predial)
{
	struct gt_client_config cfg = { .host = host,
					.port = port,
					.transport = a->tcp ? GT_TRANSPORT_TCP : GT_TRANSPORT_QUIC,
					.replay_bytes = a->replay_size,
					.in_fd = STDIN_FILENO,
					.out_fd = STDOUT_FILENO,
					.err_fd = STDERR_FILENO,
					.term = g_getenv("TERM"),
					.tty = isatty(STDIN_FILENO) &&
					       (a->command_len == 0 || a->tty),
					.out_tty = isatty(STDOUT_FILENO),
					.err_tty = isatty(STDERR_FILENO),
					.profile = a->profile,
					.connect_timeout_us = a->connect_timeout_us,
					.command = a->command_len > 0,
					.command_tty = a->tty,
					.predict = a->predict,
					.connected = on_connected,
					.connected_data = bootstrap,
					.predial = predial };
	struct run r = { .code = 1 };
	struct termios saved, raw;
	struct gt_client *c;
	guint sigs[3];
	gint64 until;
	GError *ferr = NULL;

	memcpy(cfg.passkey, passkey, sizeof(cfg.passkey));
	core_log_set_level(a->profile ? CORE_LOG_INFO : CORE_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (cfg.tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	r.loop = g_main_loop_new(NULL, FALSE);
	c = gt_client_new(&cfg, on_done, &r);
	core_wipe(cfg.passkey, sizeof(cfg.passkey));
	sigs[0] = core_signal_add(SIGINT, on_stop_signal, c);
	sigs[1] = core_signal_add(SIGTERM, on_stop_signal, c);
	sigs[2] = core_signal_add(SIGWINCH, on_winch, c);
	if (gt_client_forward(c, a->fwd, a->n_fwd, &ferr) == CORE_OK) {
		g_main_loop_run(r.loop);
	} else { /* as ssh with ExitOnForwardFailure: a forward that cannot be is an error */
		g_snprintf(r.reason, sizeof(r.reason), "cannot forward: %s", ferr->message);
		g_error_free(ferr);
		gt_client_stop(c, r.reason);
	}
	/* the last keystrokes and Shutdown are queued: let them reach the session */
	until = g_get_monotonic_time() + FLUSH_LIMIT_US;
	while (gt_conn_live_count() > 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	for (int i = 0; i < 3; i++)
		core_source_clear(&sigs[i]);
	if (cfg.tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (a->profile)
		write_profile(c, host);
	if (gt_client_detached(c))
		fprintf(stderr, "\r\n[detached; the session keeps running%s%s]\r\n",
			detach_hint != NULL ? ": " : "", detach_hint != NULL ? detach_hint : "");
	gt_client_free(c);
	on_connected(bootstrap); /* never connected: ssh goes now */
	core_defer_flush();
	g_main_loop_unref(r.loop);
	if (r.code != 0)
		fprintf(stderr, "goet: %s\n", r.reason);
	return r.code;
}

/* One line from fd, byte by byte (what follows is keystrokes): its length, or -1. */
static ssize_t read_line_fd(int fd, char *line, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return n > 0 ? (ssize_t)n : -1;
}

/* "-k -": the passkey line on stdin (not echoed on a terminal). */
static int key_from_stdin(char *line, size_t len)
{
	struct termios saved, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	ssize_t n;

	if (tty) {
		fputs("passkey: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	n = read_line_fd(STDIN_FILENO, line, len);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fputs("\n", stderr);
	}
	if (n < 0) {
		fprintf(stderr, "goet: no passkey on standard input\n");
		return 1;
	}
	return 0;
}

/* --key-file: a regular file of ours that nobody else can read. */
static int key_from_file(const char *path, char *line, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int r = 1;

	if (fd < 0) {
		fprintf(stderr, "goet: %s: %s\n", path, g_strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid()) {
		fprintf(stderr, "goet: %s is not a file of yours\n", path);
	} else if ((st.st_mode & 077) != 0) {
		fprintf(stderr,
			"goet: %s can be read by others (mode %04o): chmod 600 it and use a "
			"new passkey\n",
			path, (unsigned)(st.st_mode & 07777));
	} else if (read_line_fd(fd, line, len) < 0) {
		fprintf(stderr, "goet: %s holds no passkey\n", path);
	} else {
		r = 0;
	}
	close(fd);
	return r;
}

int gt_cli_local(const struct gt_args *a)
{
	uint8_t key[GT_PASSKEY_LEN];
	char line[KEY_LINE_MAX];
	int code, r;

	if (a->key_file != NULL)
		r = key_from_file(a->key_file, line, sizeof(line));
	else if (strcmp(a->key_hex, "-") == 0)
		r = key_from_stdin(line, sizeof(line));
	else
		r = g_strlcpy(line, a->key_hex, sizeof(line)) < sizeof(line) ? 0 : -1;
	if (r > 0) {
		core_wipe(line, sizeof(line));
		return 1;
	}
	r = r == 0 ? gt_passkey_from_hex(key, line) : CORE_ERR_BAD_FORMAT;
	core_wipe(line, sizeof(line));
	if (r != CORE_OK) {
		fprintf(stderr, "error: passkey must be 64 hex characters (32 bytes)\n");
		return 1;
	}
	code = gt_cli_client(a, a->host, (uint16_t)a->port, key, NULL, NULL, NULL);
	core_wipe(key, sizeof(key));
	return code;
}
