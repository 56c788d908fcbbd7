/*
 * ssh_main.c - the commands that reach a host through the system ssh:
 *
 *   goet [--install] [--tcp] [--profile] [user@]host   start a session, then attach
 *   goet list [user@]host                              the host's sessions
 *   goet attach [--tcp] [user@]host ID                 resume a detached session
 *
 * The bootstrap (the reference's §2.7): a fresh passkey goes to the remote
 * `goet session` on ssh's stdin, the port comes back on its stdout, ssh is
 * killed, and the client dials the host ssh really connected to (`ssh -G`
 * resolves aliases). Attach asks the remote `goet attach --print-secret ID`
 * for "PORT KEY" the same way. --install (§2.8) copies this very binary to
 * ~/.local/bin/goet when the remote has none or another version.
 *
 * Without --install the remote command is `goet`, then ~/.local/bin/goet if
 * the remote shell did not find it (the reference tried only `goet`, which
 * is often not on a non-interactive PATH).
 *
 * -J HOPS: every ssh (the bootstrap, ssh -G, list, attach, --install) gets
 * ssh's own -J HOPS. The session's port is then reached through a `goet
 * relay` that a second ssh starts on the first hop (the host the client
 * reaches directly), forwarding to the target's address as that hop
 * resolves it. With -J the client always goes through the relay: one rule,
 * no direct attempt to wait for (the target is unreachable, or one would
 * not jump).
 */
#include "goet/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "version.h"
#include "core/ct.h"
#include "core/glue.h"
#include "core/err.h"
#include "goet/client/predial.h"
#include "goet/client/ssh.h"
#include "goet/client/sshlog.h"
#include "goet/session/registry.h"

#define REMOTE_HOME_GOET "~/.local/bin/goet"
#define LOCAL_VERSION	 "goet " GOET_VERSION " (" CORE_VERSION_COMMIT ")"
#define SSH_G_TIMEOUT_US (10 * INT64_C(1000000))
#define SSH_EXIT_WAIT_US (5 * INT64_C(1000000)) /* ssh ends soon after its output */
#define PORT_LINE_MAX	 256

struct dest {
	const char *text; /* as the user typed it */
	const char *what; /* what answers the port line there: "session" or "relay" */
	char *user, *host;
	char **base; /* the ssh command */
	/* OpenSSH: the bootstrap's ssh runs with -v, read as it comes (sshlog.h) */
	bool ssh_log;
};

/* Free what dest_open allocated. */
static void dest_clear(struct dest *d)
{
	g_free(d->user);
	g_free(d->host);
	g_strfreev(d->base);
}

/* Split the destination and find ssh (with -J jump when not NULL): 0, or 1 with a message. */
static int dest_open(struct dest *d, const char *text, const char *jump)
{
	GError *e = NULL;

	memset(d, 0, sizeof(*d));
	d->text = text;
	d->what = "session";
	if (gt_ssh_parse_dest(text, &d->user, &d->host) != CORE_OK) {
		fprintf(stderr, "goet: bad destination \"%s\" (expected [user@]host)\n", text);
		return 1;
	}
	d->base = gt_ssh_base(&e);
	if (d->base == NULL) {
		fprintf(stderr, "goet: GOET_SSH: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	if (jump != NULL) {
		guint n = g_strv_length(d->base);

		d->base = g_renew(char *, d->base, n + 3);
		d->base[n] = g_strdup("-J");
		d->base[n + 1] = g_strdup(jump);
		d->base[n + 2] = NULL;
	}
	d->ssh_log = gt_sshlog_base_is_openssh((const char *const *)d->base);
	signal(SIGPIPE, SIG_IGN); /* a dead ssh must not kill us while we write to it */
	return 0;
}

/* Run words on the remote host; stdout in *out, stderr in *err. */
static int remote_run(const struct dest *d, const char *const *words, int stdin_fd, char **out,
		      char **err, int64_t timeout_us)
{
	char **argv = gt_ssh_argv((const char *const *)d->base, d->user, d->host, words);
	int status = gt_ssh_run(argv, stdin_fd, out, err, timeout_us);

	g_strfreev(argv);
	return status;
}

/* ssh failed (status 255, or killed): say so with ssh's own words. */
static void ssh_failed(const struct dest *d, int status, const char *err)
{
	if (err != NULL && err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	if (status < 0)
		fprintf(stderr, "goet: no answer from %s over ssh in time\n", d->host);
	else
		fprintf(stderr, "goet: cannot reach %s over ssh (ssh exited with status %d)\n",
			d->host, status);
}

/*
 * The host the direct connection dials: ssh -G's hostname (aliases), else
 * host. Started right after the bootstrap's ssh and read at once: it runs
 * while that ssh connects, which is on the set-up's path and goes first.
 * dest_real_host_start never fails; a failure shows as the destination's
 * own name.
 */
static void dest_real_host_start(const struct dest *d, struct gt_ssh_proc *p)
{
	GPtrArray *a = g_ptr_array_new();
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (char **b = d->base; *b != NULL; b++)
		g_ptr_array_add(a, *b);
	g_ptr_array_add(a, "-G");
	g_ptr_array_add(a, d->host);
	g_ptr_array_add(a, NULL);
	if (gt_ssh_spawn((char **)a->pdata, null_fd, true, p, NULL) != CORE_OK)
		p->pid = 0;
	if (null_fd >= 0)
		close(null_fd);
	g_ptr_array_free(a, TRUE);
}

static char *dest_real_host_finish(const struct dest *d, struct gt_ssh_proc *p)
{
	char *out = p->pid > 0 ? gt_ssh_drain(p->out_fd, SSH_G_TIMEOUT_US) : NULL;
	char *host = out != NULL ? gt_ssh_config_hostname(out) : NULL;

	if (p->pid > 0)
		gt_ssh_finish(p, SSH_G_TIMEOUT_US);
	g_free(out);
	return host != NULL ? host : g_strdup(d->host);
}

/* ------------------------------------------------------------- install */

/* 1 when the remote goet at path is this very version, 0 when another, -1 when none. */
static int remote_probe(const struct dest *d, const char *path, int *ssh_status)
{
	const char *words[] = { path, "--version", NULL };
	char *out = NULL, *err = NULL, *commit = NULL;
	int r = -1;

	*ssh_status = remote_run(d, words, -1, &out, &err, GT_SSH_RUN_TIMEOUT_US);
	if (*ssh_status == GT_SSH_EXIT_SSH_ERROR || *ssh_status < 0)
		ssh_failed(d, *ssh_status, err);
	else if (*ssh_status == 0 && gt_ssh_parse_version(out, &commit) == CORE_OK)
		r = strcmp(out, LOCAL_VERSION) == 0 ? 1 : 0;
	g_free(commit);
	g_free(out);
	g_free(err);
	return r;
}

/* The remote system must run this binary: 0, or 1 with a message naming both. */
static int check_arch(const struct dest *d)
{
	const char *words[] = { "uname", "-sm", NULL };
	char *out = NULL, *err = NULL, *os = NULL, *machine = NULL;
	struct utsname me;
	int r = 1, st = remote_run(d, words, -1, &out, &err, GT_SSH_RUN_TIMEOUT_US);

	uname(&me);
	if (st != 0 || gt_ssh_parse_uname(out, &os, &machine) != CORE_OK) {
		fprintf(stderr, "install goet on remote: cannot tell %s's system (uname -sm: %s)\n",
			d->host, st == 0 ? out : err);
		goto out;
	}
	if (g_ascii_strcasecmp(os, me.sysname) != 0 || strcmp(machine, me.machine) != 0) {
		fprintf(stderr,
			"install goet on remote: %s is %s %s but this goet is built for %s %s; "
			"build goet on %s (or for %s) and install it there\n",
			d->host, os, machine, me.sysname, me.machine, d->host, machine);
		goto out;
	}
	r = 0;
out:
	g_free(os);
	g_free(machine);
	g_free(out);
	g_free(err);
	return r;
}

/* Copy /proc/self/exe to ~/.local/bin/goet: a temporary name, then mv (atomic). */
static int upload(const struct dest *d)
{
	uint8_t rnd[GT_PASSKEY_LEN];
	char hex[GT_PASSKEY_HEX_LEN + 1], *tmp, *cmd, *out = NULL, *err = NULL;
	const char *words[2] = { NULL, NULL };
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), st, r = 1;

	if (fd < 0) {
		fprintf(stderr, "install goet on remote: /proc/self/exe: %s\n", g_strerror(errno));
		return 1;
	}
	gt_passkey_generate(rnd);
	gt_passkey_to_hex(rnd, hex);
	hex[8] = '\0';
	tmp = g_strdup_printf("~/.local/bin/.goet-install-%s", hex);
	cmd = g_strdup_printf("mkdir -p ~/.local/bin && cat > %s && chmod 755 %s && "
			      "mv -f %s " REMOTE_HOME_GOET " || (rm -f %s; exit 1)",
			      tmp, tmp, tmp, tmp);
	words[0] = cmd;
	st = remote_run(d, words, fd, &out, &err, GT_SSH_COPY_TIMEOUT_US);
	if (st != 0)
		fprintf(stderr, "install goet on remote: copying to %s failed (status %d)%s%s\n",
			d->host, st, err[0] != '\0' ? ": " : "", err);
	else
		r = 0;
	close(fd);
	g_free(out);
	g_free(err);
	g_free(cmd);
	g_free(tmp);
	return r;
}

/*
 * --install: make sure the remote runs this version. Returns the remote path
 * to use (static), or NULL after a message.
 */
static const char *install(const struct dest *d)
{
	static const char *const paths[] = { "goet", REMOTE_HOME_GOET };
	bool had = false;
	int st;

	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		int r = remote_probe(d, paths[i], &st);

		if (st == GT_SSH_EXIT_SSH_ERROR || st < 0)
			return NULL;
		if (r == 1) {
			fprintf(stderr, "goet is up to date on %s (%s)\n", d->host, LOCAL_VERSION);
			return paths[i];
		}
		had |= r == 0;
	}
	fprintf(stderr, "%s goet on %s\n", had ? "upgrading" : "installing", d->host);
	if (check_arch(d) != 0 || upload(d) != 0)
		return NULL;
	/* the copy must run there and be this version */
	if (remote_probe(d, REMOTE_HOME_GOET, &st) != 1) {
		fprintf(stderr, "install goet on remote: the copied goet does not report %s\n",
			LOCAL_VERSION);
		return NULL;
	}
	if (had) {
		fprintf(stderr, "upgraded goet on %s\n", d->host);
	} else {
		fprintf(stderr, "installed goet to " REMOTE_HOME_GOET " on %s\n", d->host);
		fprintf(stderr, "  add ~/.local/bin to PATH for bare 'goet' invocations\n");
	}
	return REMOTE_HOME_GOET;
}

/* ------------------------------------------------------------ bootstrap */

/*
 * The first words of a remote goet command: the installed path, else one
 * shell line that runs `goet` from the remote PATH or, failing that,
 * ~/.local/bin/goet (exit 127 when neither exists). It used to take two ssh
 * connections when goet was only in ~/.local/bin (as after --install, on a
 * non-interactive PATH): one ssh set-up more, about 190 ms on a LAN.
 */
static void remote_goet_words(GPtrArray *w, const char *installed)
{
	static char *launcher;

	g_ptr_array_add(w, "exec"); /* the user's shell need not wait for it: no fork */
	if (installed != NULL) {
		g_ptr_array_add(w, (gpointer)installed);
		return;
	}
	if (launcher == NULL) /* quoted for the remote user's shell, whatever it is */
		launcher = g_shell_quote("command -v goet >/dev/null 2>&1 && exec goet \"$@\"; "
					 "exec " REMOTE_HOME_GOET " \"$@\"");
	g_ptr_array_add(w, "sh");
	g_ptr_array_add(w, "-c");
	g_ptr_array_add(w, launcher);
	g_ptr_array_add(w, "goet"); /* $0 */
}

/* What the bootstrap's ssh is doing (see struct boot). */
enum remote_event {
	REMOTE_RUNS,	     /* ssh started: its line is awaited next */
	REMOTE_COMMAND_SENT, /* ssh -v logged that the command left (sshlog.h) */
};
typedef void (*remote_event_fn)(void *data, enum remote_event ev);

/*
 * Run words remotely with secret_line (may be NULL) on ssh's stdin, which is
 * then closed; with verbose, ssh -v (sshlog.h). CORE_OK with *p running, or
 * CORE_ERR_SYSTEM after a message.
 */
static int remote_spawn(const struct dest *d, const char *const *words, const char *secret_line,
			bool verbose, struct gt_ssh_proc *p)
{
	const char *const *base = (const char *const *)d->base;
	GPtrArray *b = g_ptr_array_new();
	char **argv;
	GError *e = NULL;
	int r;

	for (; *base != NULL; base++)
		g_ptr_array_add(b, (gpointer)*base);
	if (verbose)
		g_ptr_array_add(b, "-v");
	g_ptr_array_add(b, NULL);
	argv = gt_ssh_argv((const char *const *)b->pdata, d->user, d->host, words);
	g_ptr_array_free(b, TRUE);
	r = gt_ssh_spawn(argv, -1, true, p, &e);
	g_strfreev(argv);
	if (r != CORE_OK) {
		fprintf(stderr, "goet: cannot run ssh: %s\n", e->message);
		g_error_free(e);
		return r;
	}
	if (secret_line != NULL) {
		ssize_t w = write(p->in_fd, secret_line, strlen(secret_line));

		(void)w; /* a dead ssh shows in remote_wait */
	}
	close(p->in_fd); /* stdin carries nothing else */
	p->in_fd = -1;
	return CORE_OK;
}

/* ssh's stderr while its line is awaited: read as it comes under -v. */
struct remote_err {
	struct gt_sshlog log;
	int fd;
	guint watch; /* 0 when not watched (no -v), or once it ended */
	remote_event_fn fn;
	void *data;
};

static gboolean remote_err_readable(int fd, GIOCondition cond, void *data)
{
	struct remote_err *re = data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		re->watch = 0; /* the rest (nothing) is drained at the end */
		return G_SOURCE_REMOVE;
	}
	if (gt_sshlog_feed(&re->log, buf, (size_t)n))
		re->fn(re->data, REMOTE_COMMAND_SENT);
	return G_SOURCE_CONTINUE;
}

/*
 * Stop reading ssh's stderr as it comes, first reading the rest of it when
 * drain: what ssh printed but what -v adds (allocated).
 */
static char *remote_err_finish(struct remote_err *re, bool drain)
{
	core_source_clear(&re->watch);
	if (drain) {
		char *rest = gt_ssh_drain(re->fd, SSH_EXIT_WAIT_US);

		gt_sshlog_feed(&re->log, rest, strlen(rest));
		g_free(rest);
	}
	re->fd = -1;
	return gt_sshlog_take(&re->log);
}

/* Stop reading ssh's stderr as it comes. NULL or ended: a no-op. */
static void remote_err_end(struct remote_err *re)
{
	if (re != NULL && re->fd >= 0)
		g_free(remote_err_finish(re, false));
}

/*
 * Everything ssh printed on fd, its stderr, but what -v adds (allocated);
 * re (NULL when nothing was read as it came, else reading fd) ends.
 */
static char *remote_err_take(struct remote_err *re, int fd)
{
	if (re == NULL)
		return gt_ssh_drain(fd, SSH_EXIT_WAIT_US);
	return remote_err_finish(re, true);
}

/*
 * Read one line of p's stdout into line, the main context running meanwhile.
 * CORE_OK (p kept running in *keep when not NULL, else ended); CORE_ERR_NOT_FOUND
 * when the remote shell found no such command; CORE_ERR_UNKNOWN_TYPE from a
 * remote goet too old for a flag; any other error after a message. p is
 * ended in every case but a kept one; re (may be NULL: ssh's stderr is read
 * at the end) ends in every case.
 */
static int remote_wait(const struct dest *d, struct gt_ssh_proc *p, struct remote_err *re,
		       char *line, size_t len, struct gt_ssh_proc *keep)
{
	char *err = NULL;
	int r = gt_ssh_read_line_looping(p->out_fd, line, len, GT_SSH_PORT_TIMEOUT_US), st;

	if (r == CORE_OK) {
		remote_err_end(re);
		if (keep != NULL) /* the caller ends it (see gt_cli_ssh) */
			*keep = *p;
		else
			gt_ssh_finish(p, 0); /* its job is done: kill it (the session lives on) */
		return CORE_OK;
	}
	if (r == CORE_ERR_TIMEOUT || r == CORE_ERR_TOO_LARGE) {
		remote_err_end(re);
		gt_ssh_finish(p, 0);
		if (r == CORE_ERR_TIMEOUT)
			fprintf(stderr, "goet: timeout (10s) waiting for the %s's port from ssh\n",
				d->what);
		else
			fprintf(stderr, "goet: invalid port from the %s: \"%.40s...\"\n", d->what,
				line);
		return r;
	}
	err = remote_err_take(re, p->err_fd);
	st = gt_ssh_finish(p, SSH_EXIT_WAIT_US);
	if (st == GT_SSH_EXIT_NOT_FOUND) {
		r = CORE_ERR_NOT_FOUND;
	} else if (st == GT_SSH_EXIT_SSH_ERROR || st < 0) {
		ssh_failed(d, st, err);
	} else if (st == 2 && strstr(err, "flag provided but not defined: --") != NULL) {
		r = CORE_ERR_UNKNOWN_TYPE; /* an older remote goet: the caller asks again */
	} else if (err[0] != '\0') {
		fprintf(stderr, "%s\n", err); /* the remote goet said why: that is all */
	} else {
		fprintf(stderr, "goet: the remote goet exited with status %d without an answer\n",
			st);
	}
	g_free(err);
	return r;
}

/*
 * remote_spawn, then remote_wait. With fn (may be NULL): REMOTE_RUNS once ssh
 * runs, and for OpenSSH (under -v) REMOTE_COMMAND_SENT when the command left.
 */
static int remote_line(const struct dest *d, const char *const *words, const char *secret_line,
		       char *line, size_t len, struct gt_ssh_proc *keep, remote_event_fn fn,
		       void *data)
{
	bool verbose = fn != NULL && d->ssh_log;
	struct remote_err re = { .fd = -1, .fn = fn, .data = data };
	struct gt_ssh_proc p;
	int r = remote_spawn(d, words, secret_line, verbose, &p);

	if (r != CORE_OK)
		return r;
	gt_sshlog_init(&re.log);
	re.fd = p.err_fd;
	if (verbose)
		re.watch = core_fd_watch_add(p.err_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
					     remote_err_readable, &re);
	if (fn != NULL)
		fn(data, REMOTE_RUNS);
	return remote_wait(d, &p, &re, line, len, keep);
}

/* "goet is not installed" as the reference says it. */
static void not_installed(const struct dest *d)
{
	fprintf(stderr, "goet is not installed on %s\n  Run: goet --install %s\n", d->host,
		d->text);
}

/* A decimal port 1..65535: 0, or 1 with the reference's message. */
static int parse_port(const char *s, uint16_t *port)
{
	guint64 n = 0;

	if (!g_ascii_string_to_unsigned(s, 10, 1, 65535, &n, NULL)) {
		fprintf(stderr, "goet: invalid port from the session: \"%s\"\n", s);
		return 1;
	}
	*port = (uint16_t)n;
	return 0;
}

/* A random session id: 8 hex characters, independent of the passkey (a fix). */
static void new_session_id(char out[GT_SESSION_ID_LEN + 1])
{
	uint8_t rnd[GT_PASSKEY_LEN];
	char hex[GT_PASSKEY_HEX_LEN + 1];

	gt_passkey_generate(rnd);
	gt_passkey_to_hex(rnd, hex);
	memcpy(out, hex, GT_SESSION_ID_LEN);
	out[GT_SESSION_ID_LEN] = '\0';
}

/*
 * `goet host -- word...`: the command line the session runs with $SHELL -c,
 * quoted for the remote shell that ssh hands its words to (allocated; NULL
 * without a command). One word is a command line as it is (`goet host --
 * 'ls | wc -l'`); several are quoted one by one, so that each reaches the
 * command as it was typed (`goet host -- sh -c 'exit 3'` exits 3; ssh would
 * join them with spaces and run `sh -c exit 3`).
 */
static char *remote_command(const struct gt_args *a)
{
	GString *line = g_string_new(NULL);
	char *quoted;

	if (a->command_len == 0) {
		g_string_free(line, TRUE);
		return NULL;
	}
	if (a->command_len == 1) {
		g_string_append(line, a->command[0]);
	} else {
		for (int i = 0; i < a->command_len; i++) {
			char *q = g_shell_quote(a->command[i]);

			g_string_append_printf(line, "%s%s", i > 0 ? " " : "", q);
			g_free(q);
		}
	}
	quoted = g_shell_quote(line->str);
	g_string_free(line, TRUE);
	return quoted;
}

/*
 * -J: `goet relay --to TARGET:PORT` on the first hop, over an ssh of its own
 * (no -J: the client reaches that hop directly), and ssh -G for the hop's
 * real name: what the client dials.
 */
struct relay_boot {
	struct dest j;
	struct gt_ssh_hop hop;
	struct gt_ssh_proc ssh, ssh_g;
	uint16_t to_port; /* the session port it forwards to (0: not started) */
};

/* End what relay_spawn started (the remote relay, if any, ends by itself). */
static void relay_abandon(struct relay_boot *rb)
{
	if (rb->ssh.pid > 0)
		gt_ssh_finish(&rb->ssh, 0);
	if (rb->ssh_g.pid > 0)
		gt_ssh_finish(&rb->ssh_g, 0);
	dest_clear(&rb->j);
	gt_ssh_hop_clear(&rb->hop);
	memset(rb, 0, sizeof(*rb));
}

/* Start the relay's ssh towards target:port: 0, or 1 after a message (rb cleared). */
static int relay_spawn(const struct gt_args *a, const char *target, uint16_t port,
		       struct relay_boot *rb)
{
	GPtrArray *w = g_ptr_array_new();
	char err[160], hop_port[8];
	char *to_raw = strchr(target, ':') != NULL ? g_strdup_printf("[%s]:%u", target, port)
						   : g_strdup_printf("%s:%u", target, port);
	char *to = g_shell_quote(to_raw); /* a word for the hop's shell ([v6] is a glob) */
	int code = 1;

	memset(rb, 0, sizeof(*rb));
	if (gt_ssh_jump_parse(a->jump, &rb->hop, err, sizeof(err)) !=
	    CORE_OK) { /* args.c checked */
		fprintf(stderr, "goet: %s\n", err);
		goto out;
	}
	if (dest_open(&rb->j, rb->hop.host, NULL) != 0)
		goto out;
	rb->j.text = a->jump;
	rb->j.what = "relay";
	if (rb->hop.user != NULL)
		rb->j.user = g_strdup(rb->hop.user);
	if (rb->hop.port != 0) { /* ssh -p PORT, before the host */
		guint n = g_strv_length(rb->j.base);

		g_snprintf(hop_port, sizeof(hop_port), "%u", rb->hop.port);
		rb->j.base = g_renew(char *, rb->j.base, n + 3);
		rb->j.base[n] = g_strdup("-p");
		rb->j.base[n + 1] = g_strdup(hop_port);
		rb->j.base[n + 2] = NULL;
	}
	dest_real_host_start(&rb->j, &rb->ssh_g);
	remote_goet_words(w, NULL);
	g_ptr_array_add(w, "relay");
	g_ptr_array_add(w, "--to");
	g_ptr_array_add(w, to);
	g_ptr_array_add(w, NULL);
	if (remote_spawn(&rb->j, (const char *const *)w->pdata, NULL, false, &rb->ssh) != CORE_OK)
		goto out;
	rb->to_port = port;
	code = 0;
out:
	if (code != 0)
		relay_abandon(rb);
	g_ptr_array_free(w, TRUE);
	g_free(to);
	g_free(to_raw);
	return code;
}

/* Wait for the relay's port line: 0 with *host (allocated) and *port, or 1 after a message. */
static int relay_finish(struct relay_boot *rb, char **host, uint16_t *port)
{
	char line[PORT_LINE_MAX];
	int r = remote_wait(&rb->j, &rb->ssh, NULL, line, sizeof(line), NULL), code = 1;

	*host = NULL;
	if (r == CORE_ERR_NOT_FOUND)
		fprintf(stderr,
			"goet is not installed on the jump host %s (-J needs it there)\n"
			"  Run: goet --install %s%s%s\n",
			rb->hop.host, rb->hop.user != NULL ? rb->hop.user : "",
			rb->hop.user != NULL ? "@" : "", rb->hop.host);
	if (r == CORE_OK && parse_port(line, port) == 0) {
		*host = dest_real_host_finish(&rb->j, &rb->ssh_g);
		code = 0;
	}
	relay_abandon(rb);
	return code;
}

/*
 * Run the client against real (the host as ssh resolves it), or with -J
 * against a relay on the jump host: rb's when it was started for this port
 * (taken over), else a new one. The resume hint names id.
 */
static int connect_client(const struct gt_args *a, const struct dest *d, const char *id,
			  const char *real, uint16_t port, const uint8_t key[GT_PASSKEY_LEN],
			  struct gt_ssh_proc *boot, struct gt_predial *pre, struct relay_boot *rb)
{
	struct relay_boot own = { .to_port = 0 };
	char *hint, *relay_host = NULL;
	int code;

	if (a->jump != NULL) {
		gt_predial_free(pre); /* it dials the target: not reachable from here */
		pre = NULL;
		if (rb == NULL || rb->to_port != port) {
			if (rb != NULL)
				relay_abandon(rb); /* for another port: that relay ends by itself */
			rb = &own;
			if (relay_spawn(a, real, port, rb) != 0)
				return 1;
		}
		if (relay_finish(rb, &relay_host, &port) != 0)
			return 1;
		real = relay_host;
		hint = g_strdup_printf("goet attach -J %s %s %s", a->jump, d->text, id);
	} else {
		hint = g_strdup_printf("goet attach %s %s", d->text, id);
	}
	code = gt_cli_client(a, real, port, key, hint, boot, pre);
	g_free(relay_host);
	g_free(hint);
	return code;
}

/*
 * The bootstrap's head start: the client picks the session's port (the
 * session takes another only when that one is taken) and, once ssh runs,
 * dials it (predial.h): the QUIC handshake overlaps ssh's set-up instead of
 * following the port line. Over TCP, or with a remote goet too old for
 * --port-first, the client dials once the port line came, as before. With
 * -J the relay's ssh starts at the same moment, towards the guessed port
 * (one ssh set-up less to wait for; a relay for a port the session did not
 * take is abandoned and ends by itself).
 */
struct boot {
	const struct gt_args *a;
	const struct dest *d;
	struct gt_ssh_proc *ssh_g;
	char *real; /* the host to dial (ssh -G), once known */
	bool want_predial;
	uint16_t guess; /* the port asked for (0: none) */
	const uint8_t *key;
	const char *term;
	struct gt_predial *pre;
	bool want_relay;
	struct relay_boot relay; /* -J: started towards guess (relay.to_port), or zeroed */
};

/* Ports above the kernel's ephemeral range (32768-60999): rarely taken. */
#define GUESS_PORT_MIN 61000
#define GUESS_PORT_END 65536

static void boot_started(void *data, enum remote_event ev)
{
	struct boot *b = data;
	struct gt_dial_config dc = { .transport = GT_TRANSPORT_QUIC,
				     .port = b->guess,
				     /* ssh connects, then the port wait: both bounded */
				     .timeout_us = 2 * GT_SSH_PORT_TIMEOUT_US,
				     .n_early = 2 };

	if (ev == REMOTE_COMMAND_SENT) {
		gt_predial_hurry(b->pre); /* the session listens in a few ms (sshlog.h) */
		return;
	}
	if (b->real == NULL) {
		dest_real_host_start(b->d, b->ssh_g);
		b->real = dest_real_host_finish(b->d, b->ssh_g); /* ssh is connecting */
	}
	if (b->want_relay && b->guess != 0 && b->relay.to_port == 0)
		relay_spawn(b->a, b->real, b->guess, &b->relay); /* a failure: again, later */
	if (!b->want_predial || b->guess == 0 || b->pre != NULL)
		return;
	dc.host = b->real;
	/* ssh -v tells when the command leaves (remote_line): nothing before it */
	dc.predial_quiet = b->d->ssh_log;
	memcpy(dc.passkey, b->key, sizeof(dc.passkey));
	/* what the client sends first on a fresh connection (client.h) */
	dc.early_ch[0] = GT_CHANNEL_DATA;
	dc.early[0] = (struct gt_msg){ .type = GT_MSG_SEQUENCE_HEADER };
	dc.early_ch[1] = GT_CHANNEL_CONTROL;
	dc.early[1] = (struct gt_msg){ .type = GT_MSG_TERMINAL_INFO };
	dc.early[1].u.terminal_info.term = (const uint8_t *)b->term;
	dc.early[1].u.terminal_info.len = strlen(b->term);
	b->pre = gt_predial_start(&dc);
	core_wipe(dc.passkey, sizeof(dc.passkey));
}

int gt_cli_ssh(const struct gt_args *a)
{
	struct gt_ssh_proc ssh_g = { .pid = 0, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	struct gt_ssh_proc boot = { .pid = 0, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	struct dest d;
	uint8_t key[GT_PASSKEY_LEN];
	char hex[GT_PASSKEY_HEX_LEN + 2], sid[GT_SESSION_ID_LEN + 1], line[PORT_LINE_MAX];
	char replay[32], guess[8];
	const char *term = g_getenv("TERM");
	char *term_q = g_shell_quote(term != NULL ? term : ""); /* a word for the remote shell */
	struct boot b = {
		.a = a, .d = &d, .ssh_g = &ssh_g, .key = key, .term = term != NULL ? term : ""
	};
	const char *installed = NULL;
	char *cmdline = NULL;
	uint16_t port = 0;
	int code = 1, r = CORE_ERR_NOT_FOUND;

	if (dest_open(&d, a->host, a->jump) != 0)
		return 1;
	if (a->install && (installed = install(&d)) == NULL)
		goto out;
	if (gt_passkey_generate(key) != CORE_OK) {
		fprintf(stderr, "goet: no randomness for the passkey\n");
		goto out;
	}
	gt_passkey_to_hex(key, hex);
	strcat(hex, "\n");
	new_session_id(sid);
	g_snprintf(replay, sizeof(replay), "%" G_GINT64_FORMAT, a->replay_size);
	cmdline = remote_command(a);
	b.guess = (uint16_t)g_random_int_range(GUESS_PORT_MIN, GUESS_PORT_END);
	g_snprintf(guess, sizeof(guess), "%u", b.guess);
	for (int port_first = 1; port_first >= 0 && r == CORE_ERR_NOT_FOUND; port_first--) {
		GPtrArray *w = g_ptr_array_new();

		remote_goet_words(w, installed);
		g_ptr_array_add(w, "session");
		g_ptr_array_add(w, "-f");
		g_ptr_array_add(w, sid);
		g_ptr_array_add(w, "-p");
		/* with --port-first a taken port means any other (session_main.c) */
		g_ptr_array_add(w, port_first ? guess : "0");
		b.want_predial = port_first && !a->tcp && a->jump == NULL;
		b.want_relay = port_first && a->jump != NULL;
		/* the port before the passkey: ssh stays until we are connected (a round
		 * trip less: ssh hands stdin over only once the command runs); an older
		 * remote goet refuses the flag, and is asked again without it */
		if (port_first) {
			g_ptr_array_add(w, "--port-first");
			/* the shell starts at once, while we connect (a remote goet
			 * that knows neither flag is asked again without them) */
			g_ptr_array_add(w, "--term");
			g_ptr_array_add(w, term_q);
		}
		if (a->replay_size > 0 && a->replay_size != 4096) {
			g_ptr_array_add(w, "--replay-size");
			g_ptr_array_add(w, replay);
		}
		if (cmdline != NULL) {
			if (a->tty)
				g_ptr_array_add(w, "-t");
			g_ptr_array_add(w, "-c");
			g_ptr_array_add(w, cmdline);
		}
		g_ptr_array_add(w, NULL);
		r = remote_line(&d, (const char *const *)w->pdata, hex, line, sizeof(line),
				port_first ? &boot : NULL, boot_started, &b);
		g_ptr_array_free(w, TRUE);
		if (r != CORE_OK) {
			gt_predial_free(b.pre); /* its session never said it listens */
			b.pre = NULL;
			relay_abandon(&b.relay);
		}
		if (r == CORE_ERR_UNKNOWN_TYPE)
			r = CORE_ERR_NOT_FOUND; /* again, without --port-first */
		else if (r == CORE_ERR_NOT_FOUND)
			break; /* no goet there at all */
	}
	g_free(cmdline);
	core_wipe(hex, sizeof(hex));
	if (r == CORE_ERR_NOT_FOUND)
		not_installed(&d);
	if (r != CORE_OK || parse_port(line, &port) != 0)
		goto out;
	if (port == b.guess) {
		gt_predial_poke(b.pre); /* it listens now: no need to wait for the next resend */
	} else {
		gt_predial_free(b.pre); /* the session took another port: dial that */
		b.pre = NULL;
	}
	if (a->command_len == 0) /* a command's stderr is the command's alone */
		fprintf(stderr, "session %s (log: /tmp/goet-%s.log on %s)\n", sid, sid, d.host);
	code = connect_client(a, &d, sid, b.real, port, key, &boot, b.pre, &b.relay);
	b.pre = NULL; /* the client took it */
out:
	gt_predial_free(b.pre);
	relay_abandon(&b.relay);
	g_free(b.real);
	g_free(term_q);
	if (ssh_g.pid > 0)
		gt_ssh_finish(&ssh_g, 0);
	if (boot.pid > 0)
		gt_ssh_finish(&boot, 0);
	core_wipe(key, sizeof(key));
	dest_clear(&d);
	return code;
}

/* ---------------------------------------------------------- list, attach */

/* Run goet's words remotely (`goet`, then ~/.local/bin/goet): status; output in *out. */
static int remote_goet(const struct dest *d, const char *const *args, char **out)
{
	static const char *const paths[] = { "goet", REMOTE_HOME_GOET };
	char *err = NULL;
	int st = -1;

	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		const char *words[8] = { paths[i] };

		for (size_t k = 0; args[k] != NULL && k + 2 < G_N_ELEMENTS(words); k++)
			words[k + 1] = args[k];
		g_free(*out);
		g_free(err);
		st = remote_run(d, words, -1, out, &err, GT_SSH_RUN_TIMEOUT_US);
		if (st != GT_SSH_EXIT_NOT_FOUND)
			break;
	}
	if (st == GT_SSH_EXIT_NOT_FOUND)
		not_installed(d);
	else if (st == GT_SSH_EXIT_SSH_ERROR || st < 0)
		ssh_failed(d, st, err);
	else if (st != 0 && err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	g_free(err);
	return st;
}

int gt_cli_list_remote(const struct gt_args *a)
{
	static const char *const args[] = { "list", "--local", NULL };
	struct dest d;
	char *out = NULL;
	int st;

	if (dest_open(&d, a->host, a->jump) != 0)
		return 1;
	st = remote_goet(&d, args, &out);
	if (out[0] != '\0')
		printf("%s\n", out);
	g_free(out);
	dest_clear(&d);
	return st == 0 ? 0 : 1;
}

int gt_cli_attach_remote(const struct gt_args *a)
{
	struct gt_ssh_proc ssh_g = { .pid = 0, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	GPtrArray *w = g_ptr_array_new();
	struct dest d;
	uint8_t key[GT_PASSKEY_LEN];
	char line[PORT_LINE_MAX], **f = NULL, *real;
	uint16_t port = 0;
	int code = 1, r = CORE_ERR_NOT_FOUND;

	if (!gt_registry_id_valid(a->attach_id)) {
		fprintf(stderr, "goet: bad session id \"%s\"\n", a->attach_id);
		return 1;
	}
	if (dest_open(&d, a->host, a->jump) != 0) {
		g_ptr_array_free(w, TRUE);
		return 1;
	}
	dest_real_host_start(&d, &ssh_g);
	remote_goet_words(w, NULL);
	g_ptr_array_add(w, "attach");
	g_ptr_array_add(w, "--print-secret");
	g_ptr_array_add(w, (gpointer)a->attach_id);
	g_ptr_array_add(w, NULL);
	r = remote_line(&d, (const char *const *)w->pdata, NULL, line, sizeof(line), NULL, NULL,
			NULL);
	g_ptr_array_free(w, TRUE);
	if (r == CORE_ERR_NOT_FOUND)
		not_installed(&d);
	if (r != CORE_OK)
		goto out;
	f = g_strsplit(line, " ", 3);
	if (g_strv_length(f) != 2 || parse_port(f[0], &port) != 0 ||
	    gt_passkey_from_hex(key, f[1]) != CORE_OK) {
		fprintf(stderr, "goet: unexpected answer from %s's goet attach\n", d.host);
		goto out;
	}
	fprintf(stderr, "attaching to session %s on %s\n", a->attach_id, d.host);
	real = dest_real_host_finish(&d, &ssh_g);
	code = connect_client(a, &d, a->attach_id, real, port, key, NULL, NULL, NULL);
	g_free(real);
out:
	if (ssh_g.pid > 0)
		gt_ssh_finish(&ssh_g, 0);
	if (f != NULL)
		core_wipe(f[1] != NULL ? f[1] : f[0], strlen(f[1] != NULL ? f[1] : f[0]));
	g_strfreev(f);
	core_wipe(line, sizeof(line));
	core_wipe(key, sizeof(key));
	dest_clear(&d);
	return code;
}
