/*
 * session_main.c - `goet session -f ID [-p PORT] [-replay-size N]
 * [--idle-timeout D]`: read the passkey line from stdin, log to
 * /tmp/goet-ID.log (removed when the session ends, unless $GOET_KEEP_LOG is
 * set; kept when it could not listen), listen, print the port on stdout (the only line ever
 * written there), and run until the session ends.
 */
#include "goet/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/net/conn.h"
#include "goet/session/registry.h"
#include "goet/session/session.h"

/* Longest passkey line accepted (64 hex characters, spaces, newline). */
#define PASSKEY_LINE_MAX 256
/* How long a finished session waits for its last bytes to reach the client. */
#define FLUSH_LIMIT_US (3 * G_USEC_PER_SEC)

struct run {
	GMainLoop *loop;
	int code;
	char reason[160];
	char *reg_dir; /* the registry directory (NULL: not registered) */
	struct gt_registry_entry reg;
	uint8_t reg_key[GT_PASSKEY_LEN]; /* to register again (see registry.h) */
	guint reg_timer;
};

static void on_done(struct gt_session *s, int code, const char *reason, void *data)
{
	struct run *r = data;

	r->code = code;
	g_strlcpy(r->reason, reason, sizeof(r->reason));
	g_main_loop_quit(r->loop);
}

static gboolean on_signal(gpointer data)
{
	gt_session_stop(data, "signal received");
	return G_SOURCE_CONTINUE;
}

static void reg_open(struct run *r, const char *id, uint16_t port, const uint8_t *key);

/* Read "<64 hex>\n" from stdin: 0, or 1 with the reference's message. */
static int read_passkey(uint8_t key[GT_PASSKEY_LEN])
{
	char line[PASSKEY_LINE_MAX];
	int r = 1;

	if (fgets(line, sizeof(line), stdin) == NULL || strchr(line, '\n') == NULL) {
		fprintf(stderr, "error reading passkey from stdin: %s\n",
			ferror(stdin) ? g_strerror(errno) : "unexpected end of input");
		goto out;
	}
	if (gt_passkey_from_hex(key, line) != CORE_OK) {
		fprintf(stderr, "error: passkey must be 64 hex characters (32 bytes)\n");
		goto out;
	}
	r = 0;
out:
	core_wipe(line, sizeof(line));
	return r;
}

/*
 * --port-first: the passkey line, read from stdin while the session already
 * listens: ssh delivers stdin only once the remote command runs, a round trip
 * after the command line, so the port goes out first and a client's
 * AuthRequest that arrives before the key waits for it (server.h,
 * passkey_later). Only for a client that keeps ssh running until it has
 * connected (a client that kills ssh at the port line could lose the key).
 */
struct key_reader {
	struct run *r;
	struct gt_session *s;
	const char *id;
	guint watch;
	char line[PASSKEY_LINE_MAX];
	size_t n;
};

/* The key line is in (or stdin failed): use it, or end the session with the reference's words. */
static void key_done(struct key_reader *k, const char *error)
{
	uint8_t key[GT_PASSKEY_LEN];

	k->watch = 0;
	if (error == NULL && gt_passkey_from_hex(key, k->line) != CORE_OK)
		error = "";
	core_wipe(k->line, sizeof(k->line));
	if (error != NULL) {
		if (error[0] != '\0')
			fprintf(stderr, "error reading passkey from stdin: %s\n", error);
		else
			fprintf(stderr, "error: passkey must be 64 hex characters (32 bytes)\n");
		gt_session_stop(k->s, "no passkey");
		return;
	}
	gt_session_set_passkey(k->s, key);
	reg_open(k->r, k->id, gt_session_port(k->s), key);
	core_wipe(key, sizeof(key));
}

static gboolean key_readable(int fd, GIOCondition cond, void *data)
{
	struct key_reader *k = data;
	ssize_t n = read(fd, k->line + k->n, sizeof(k->line) - 1 - k->n);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		key_done(k, n < 0 ? g_strerror(errno) : "unexpected end of input");
		return G_SOURCE_REMOVE;
	}
	k->n += (size_t)n;
	k->line[k->n] = '\0';
	if (strchr(k->line, '\n') != NULL) {
		*strchr(k->line, '\n') = '\0';
		key_done(k, NULL);
		return G_SOURCE_REMOVE;
	}
	if (k->n == sizeof(k->line) - 1) {
		key_done(k, "line too long");
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Send the log to /tmp/goet-ID.log (0600, never through a symlink); its path, or NULL. */
static char *open_log(const char *id)
{
	char *path = g_strdup_printf("/tmp/goet-%s.log", id);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "warning: could not open log file %s: %s\n", path,
			g_strerror(errno));
		g_clear_pointer(&path, g_free);
	} else {
		core_log_set_output_fd(fd);
	}
	return path;
}

/* Rewrite this session's registry entry (a failure is only logged). */
static void reg_update(struct run *r)
{
	GError *e = NULL;

	if (r->reg_dir != NULL && gt_registry_put(r->reg_dir, &r->reg, &e) != CORE_OK) {
		core_log_warn("session", r->reg.id, "registry: %s", e->message);
		g_error_free(e);
	}
}

/* The session's state changed (attached, shell started): update the entry. */
static void on_state(bool attached, int shell_pid, void *data)
{
	struct run *r = data;

	r->reg.attached = attached;
	if (shell_pid != r->reg.shell_pid) {
		r->reg.shell_pid = shell_pid;
		g_free(r->reg.command);
		r->reg.command = gt_registry_foreground(shell_pid); /* the shell itself, now */
		if (r->reg.command == NULL)
			r->reg.command = g_strdup("");
	}
	reg_update(r);
}

/* Register (again) for `goet list` / `goet attach`: the entry, and the key in its own 0600 file. */
static void reg_write(struct run *r)
{
	GError *e = NULL;

	g_clear_pointer(&r->reg_dir, g_free);
	r->reg_dir = gt_registry_dir(true, &e);
	if (r->reg_dir != NULL &&
	    gt_registry_put_key(r->reg_dir, r->reg.id, r->reg_key, &e) != CORE_OK)
		g_clear_pointer(&r->reg_dir, g_free);
	if (r->reg_dir == NULL) {
		core_log_warn("session", r->reg.id, "not registered: %s", e->message);
		g_error_free(e);
		return;
	}
	reg_update(r);
	core_log_info("session", r->reg.id, "registered in %s", r->reg_dir);
}

/* The directory may vanish (logind removes /run/user/UID at the last logout): register again. */
static gboolean reg_check(gpointer data)
{
	struct run *r = data;
	char *path =
		r->reg_dir != NULL ? g_strdup_printf("%s/%s.session", r->reg_dir, r->reg.id) : NULL;

	if (path == NULL || !g_file_test(path, G_FILE_TEST_EXISTS))
		reg_write(r);
	g_free(path);
	return G_SOURCE_CONTINUE;
}

/* Register once listening; re-checked every GT_REGISTRY_CHECK_MS. */
static void reg_open(struct run *r, const char *id, uint16_t port, const uint8_t *key)
{
	if (!gt_registry_id_valid(id)) {
		core_log_warn("session", id, "not registered: the id is not [A-Za-z0-9_-]{1,64}");
		return;
	}
	memcpy(r->reg_key, key, sizeof(r->reg_key));
	r->reg.id = g_strdup(id);
	r->reg.started = g_get_real_time() / G_USEC_PER_SEC;
	r->reg.pid = (int)getpid();
	r->reg.port = port;
	r->reg.command = g_strdup("");
	reg_write(r);
	r->reg_timer = g_timeout_add(GT_REGISTRY_CHECK_MS, reg_check, r);
}

/* The session ended: its entry and key file go. */
static void reg_close(struct run *r)
{
	core_source_clear(&r->reg_timer);
	core_wipe(r->reg_key, sizeof(r->reg_key));
	if (r->reg_dir != NULL)
		gt_registry_remove(r->reg_dir, r->reg.id);
	g_clear_pointer(&r->reg_dir, g_free);
	gt_registry_entry_clear(&r->reg);
}

int gt_cli_session(const struct gt_args *a)
{
	struct gt_session_config cfg = { .port = (uint16_t)a->port,
					 .replay_bytes = a->replay_size,
					 .idle_timeout_us = a->idle_timeout_us,
					 .command = a->command_line,
					 .command_tty = a->tty,
					 .start_term = a->term,
					 .id = a->session_id };
	struct run r = { .code = 1 };
	struct key_reader k = { .r = &r, .id = a->session_id };
	struct gt_session *s;
	GError *e = NULL;
	guint sigint, sigterm;
	gint64 until;
	char *log_path;

	cfg.passkey_later = a->port_first;
	if (!a->port_first && read_passkey(cfg.passkey) != 0)
		return 1;
	log_path = open_log(a->session_id);
	signal(SIGPIPE, SIG_IGN); /* stdout and stderr are dead pipes once ssh is gone */
	r.loop = g_main_loop_new(NULL, FALSE);
	cfg.state = on_state;
	cfg.state_data = &r;
	s = gt_session_new(&cfg, on_done, &r, &e);
	if (s == NULL && a->port_first && cfg.port != 0) {
		/* the client's guess (it dials it while ssh connects) is taken: any port */
		core_log_info("session", a->session_id, "port %u: %s; taking any port", cfg.port,
			      e->message);
		g_clear_error(&e);
		cfg.port = 0;
		s = gt_session_new(&cfg, on_done, &r, &e);
	}
	if (s != NULL && !a->port_first)
		reg_open(&r, a->session_id, gt_session_port(s), cfg.passkey);
	core_wipe(cfg.passkey, sizeof(cfg.passkey));
	if (s == NULL) {
		core_log_error("session", a->session_id, "listen: %s", e->message);
		fprintf(stderr, "session exited: listen: %s\n", e->message);
		g_error_free(e);
		g_main_loop_unref(r.loop);
		g_free(log_path); /* kept: it says why */
		return 1;
	}
	printf("%u\n", gt_session_port(s));
	fflush(stdout);
	k.s = s;
	if (a->port_first)
		k.watch = core_fd_watch_add(STDIN_FILENO, G_IO_IN, key_readable, &k);
	sigint = core_signal_add(SIGINT, on_signal, s);
	sigterm = core_signal_add(SIGTERM, on_signal, s);
	g_main_loop_run(r.loop);
	/* the last output and Shutdown are queued: let them reach the client */
	until = g_get_monotonic_time() + FLUSH_LIMIT_US;
	while (gt_conn_live_count() > 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	core_source_clear(&sigint);
	core_source_clear(&sigterm);
	core_source_clear(&k.watch);
	core_wipe(k.line, sizeof(k.line));
	gt_session_free(s);
	reg_close(&r);
	core_defer_flush();
	g_main_loop_unref(r.loop);
	/* the session ran and ended: its log goes with it (they piled up in /tmp) */
	core_log_info("session", a->session_id, "session exited: %s", r.reason);
	if (log_path != NULL && g_getenv("GOET_KEEP_LOG") == NULL)
		unlink(log_path);
	g_free(log_path);
	if (r.code != 0)
		fprintf(stderr, "session exited: %s\n", r.reason);
	return r.code;
}
