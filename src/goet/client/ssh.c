/* ssh.c - the system ssh as goet's bootstrap (contract in ssh.h). */
#include "goet/client/ssh.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/glue.h"

#define SSH_RUN_OUT_MAX	 (64 * 1024) /* more than any probe or listing prints */
#define SSH_POLL_STEP_MS 10	     /* how often a waited-for exit is checked */

/* ------------------------------------------------------------ pure parts */

int gt_ssh_parse_dest(const char *dest, char **user, char **host)
{
	const char *at = strrchr(dest, '@');
	const char *h = at != NULL ? at + 1 : dest;

	*user = NULL;
	*host = NULL;
	if (h[0] == '\0' || h[0] == '-')
		return CORE_ERR_BAD_FORMAT;
	if (at != NULL && at > dest)
		*user = g_strndup(dest, (gsize)(at - dest));
	*host = g_strdup(h);
	return CORE_OK;
}

void gt_ssh_hop_clear(struct gt_ssh_hop *h)
{
	g_clear_pointer(&h->user, g_free);
	g_clear_pointer(&h->host, g_free);
	h->port = 0;
}

/* A host name or address character (a bare IPv6 address only inside brackets). */
static bool host_char(char c, bool bracketed)
{
	return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == '%' ||
	       (bracketed && c == ':');
}

/* Parse one hop of n bytes at s into h: CORE_OK or an error with err set. */
static int hop_parse(const char *s, size_t n, struct gt_ssh_hop *h, char *err, size_t errlen)
{
	char *hop = g_strndup(s, n), *p = hop, *at, *end;
	bool br = false;
	guint64 port = 0;
	int r = CORE_ERR_BAD_FORMAT;

	if (g_str_has_prefix(p, "ssh://"))
		p += 6;
	at = strrchr(p, '@');
	if (at != NULL) {
		h->user = g_strndup(p, (gsize)(at - p));
		if (at == p || strpbrk(h->user, " \t/") != NULL)
			goto bad;
		p = at + 1;
	}
	br = p[0] == '[';
	p += br;
	end = p;
	while (*end != '\0' && host_char(*end, br))
		end++;
	if (end == p || p[0] == '-' || (br && *end++ != ']'))
		goto bad;
	h->host = g_strndup(p, (gsize)(end - p - br));
	if (*end == ':') {
		if (!g_ascii_string_to_unsigned(end + 1, 10, 1, 65535, &port, NULL)) {
			snprintf(err, errlen, "invalid -J \"%s\": bad port \"%s\" (1-65535)", hop,
				 end + 1);
			r = CORE_ERR_BAD_VALUE;
			goto out;
		}
		h->port = (uint16_t)port;
	} else if (*end != '\0') {
		goto bad;
	}
	r = CORE_OK;
	goto out;
bad:
	snprintf(err, errlen, "invalid -J \"%s\" (expected [user@]host[:port][,...])", hop);
out:
	if (r != CORE_OK)
		gt_ssh_hop_clear(h);
	g_free(hop);
	return r;
}

int gt_ssh_jump_parse(const char *spec, struct gt_ssh_hop *first, char *err, size_t errlen)
{
	const char *s = spec;
	int r = CORE_OK;

	memset(first, 0, sizeof(*first));
	if (spec[0] == '\0') {
		snprintf(err, errlen, "invalid -J \"\" (expected [user@]host[:port][,...])");
		return CORE_ERR_BAD_FORMAT;
	}
	for (int i = 0; r == CORE_OK; i++) {
		const char *comma = strchr(s, ',');
		size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		struct gt_ssh_hop h = { 0 };

		r = hop_parse(s, n, &h, err, errlen);
		if (r == CORE_OK && i == 0)
			*first = h;
		else
			gt_ssh_hop_clear(&h);
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	if (r != CORE_OK)
		gt_ssh_hop_clear(first);
	return r;
}

char **gt_ssh_base(GError **error)
{
	const char *env = g_getenv("GOET_SSH");
	char **argv = NULL;

	if (env == NULL || env[0] == '\0') {
		argv = g_new0(char *, 2);
		argv[0] = g_strdup("ssh");
		return argv;
	}
	if (!g_shell_parse_argv(env, NULL, &argv, error))
		return NULL;
	return argv;
}

char **gt_ssh_argv(const char *const *base, const char *user, const char *host,
		   const char *const *words)
{
	GPtrArray *a = g_ptr_array_new();

	for (; *base != NULL; base++)
		g_ptr_array_add(a, g_strdup(*base));
	if (user != NULL) {
		g_ptr_array_add(a, g_strdup("-l"));
		g_ptr_array_add(a, g_strdup(user));
	}
	g_ptr_array_add(a, g_strdup("-o"));
	g_ptr_array_add(a, g_strdup("BatchMode=yes"));
	g_ptr_array_add(a, g_strdup(host));
	for (; words != NULL && *words != NULL; words++)
		g_ptr_array_add(a, g_strdup(*words));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

int gt_ssh_parse_version(const char *text, char **commit)
{
	char **f = g_strsplit_set(text, " \t\r\n", -1);
	GPtrArray *w = g_ptr_array_new();
	int r = CORE_ERR_BAD_FORMAT;

	*commit = NULL;
	for (char **p = f; *p != NULL; p++)
		if (**p != '\0')
			g_ptr_array_add(w, *p);
	if (w->len < 2 || strcmp(g_ptr_array_index(w, 0), "goet") != 0)
		goto out;
	if (w->len == 3) { /* goet VERSION (COMMIT) */
		const char *c = g_ptr_array_index(w, 2);
		size_t n = strlen(c);

		if (n < 3 || c[0] != '(' || c[n - 1] != ')')
			goto out;
		*commit = g_strndup(c + 1, n - 2);
	} else if (w->len == 2) { /* the old format: goet COMMIT */
		*commit = g_strdup(g_ptr_array_index(w, 1));
	} else {
		goto out;
	}
	r = CORE_OK;
out:
	g_ptr_array_free(w, TRUE); /* pointers into f, freed with it */
	g_strfreev(f);
	return r;
}

int gt_ssh_parse_uname(const char *text, char **os, char **machine)
{
	char **f = g_strsplit_set(text, " \t\r\n", -1);
	const char *w[3] = { NULL, NULL, NULL };
	int n = 0, r = CORE_ERR_BAD_FORMAT;

	*os = *machine = NULL;
	for (char **p = f; *p != NULL; p++) {
		if (**p == '\0')
			continue;
		if (n == 2)
			goto out; /* exactly two words */
		w[n++] = *p;
	}
	if (n != 2)
		goto out;
	*os = g_strdup(w[0]);
	*machine = g_strdup(w[1]);
	r = CORE_OK;
out:
	g_strfreev(f);
	return r;
}

char *gt_ssh_config_hostname(const char *out)
{
	char **lines = g_strsplit(out, "\n", -1);
	char *host = NULL;

	for (char **l = lines; *l != NULL && host == NULL; l++)
		if (g_str_has_prefix(*l, "hostname "))
			host = g_strstrip(g_strdup(*l + 9));
	g_strfreev(lines);
	if (host != NULL && host[0] == '\0')
		g_clear_pointer(&host, g_free);
	return host;
}

/* ------------------------------------------------------------ processes */

int gt_ssh_spawn(char **argv, int stdin_fd, bool capture_err, struct gt_ssh_proc *p, GError **error)
{
	p->pid = 0;
	p->in_fd = p->out_fd = p->err_fd = -1;
	if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv, NULL,
					      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, NULL,
					      NULL, stdin_fd, -1, -1, NULL, NULL, 0, &p->pid,
					      stdin_fd < 0 ? &p->in_fd : NULL, &p->out_fd,
					      capture_err ? &p->err_fd : NULL, error))
		return CORE_ERR_SYSTEM;
	return CORE_OK;
}

/* Milliseconds left until deadline (a g_get_monotonic_time value), >= 0. */
static int ms_left(int64_t deadline)
{
	int64_t left = deadline - g_get_monotonic_time();

	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

int gt_ssh_read_line(int fd, char *buf, size_t len, int64_t timeout_us)
{
	int64_t deadline = g_get_monotonic_time() + timeout_us;
	size_t have = 0;

	buf[0] = '\0';
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;
		int pr = poll(&pfd, 1, ms_left(deadline));

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return CORE_ERR_TIMEOUT;
		n = read(fd, buf + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CORE_ERR_CLOSED;
		have += (size_t)n;
		buf[have] = '\0';
		nl = memchr(buf, '\n', have);
		if (nl != NULL) {
			*nl = '\0';
			return CORE_OK;
		}
		if (have == len - 1)
			return CORE_ERR_TOO_LARGE;
	}
}

struct line_wait {
	char *buf;
	size_t len, have;
	int result; /* CORE_ERR_AGAIN while waiting */
};

static gboolean line_readable(int fd, GIOCondition cond, void *data)
{
	struct line_wait *w = data;
	ssize_t n = read(fd, w->buf + w->have, w->len - 1 - w->have);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		w->result = CORE_ERR_CLOSED;
		return G_SOURCE_REMOVE;
	}
	w->have += (size_t)n;
	w->buf[w->have] = '\0';
	nl = memchr(w->buf, '\n', w->have);
	if (nl != NULL) {
		*nl = '\0';
		w->result = CORE_OK;
	} else if (w->have == w->len - 1) {
		w->result = CORE_ERR_TOO_LARGE;
	}
	return w->result == CORE_ERR_AGAIN ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean line_timeout(gpointer data)
{
	struct line_wait *w = data;

	if (w->result == CORE_ERR_AGAIN)
		w->result = CORE_ERR_TIMEOUT;
	return G_SOURCE_REMOVE;
}

int gt_ssh_read_line_looping(int fd, char *buf, size_t len, int64_t timeout_us)
{
	struct line_wait w = { .buf = buf, .len = len, .result = CORE_ERR_AGAIN };
	guint watch = core_fd_watch_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, line_readable, &w);
	guint timer = g_timeout_add((guint)(timeout_us / 1000), line_timeout, &w);

	buf[0] = '\0';
	while (w.result == CORE_ERR_AGAIN)
		g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
	core_source_clear(&watch); /* either may be gone already: then nothing happens */
	core_source_clear(&timer);
	return w.result;
}

/* Read what fds[i] have until each ends or the deadline passes; -1 entries are skipped. */
static void drain_fds(const int fds[2], GString *bufs[2], int64_t deadline)
{
	bool open_[2] = { fds[0] >= 0, fds[1] >= 0 };

	while (open_[0] || open_[1]) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int idx[2], pr;

		for (int i = 0; i < 2; i++) {
			if (!open_[i])
				continue;
			pfd[n] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			idx[n++] = i;
		}
		pr = poll(pfd, n, ms_left(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return; /* out of time */
		for (nfds_t k = 0; k < n; k++) {
			char buf[4096];
			ssize_t r;

			if (pfd[k].revents == 0)
				continue;
			r = read(pfd[k].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				open_[idx[k]] = false;
				continue;
			}
			if (bufs[idx[k]]->len + (size_t)r <= SSH_RUN_OUT_MAX)
				g_string_append_len(bufs[idx[k]], buf, r);
		}
	}
}

char *gt_ssh_drain(int fd, int64_t timeout_us)
{
	int fds[2] = { fd, -1 };
	GString *bufs[2] = { g_string_new(NULL), NULL };

	drain_fds(fds, bufs, g_get_monotonic_time() + timeout_us);
	return g_strstrip(g_string_free(bufs[0], FALSE));
}

int gt_ssh_finish(struct gt_ssh_proc *p, int64_t wait_us)
{
	int64_t deadline = g_get_monotonic_time() + wait_us;
	int status = -1;
	pid_t w = 0;

	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->in_fd = p->out_fd = p->err_fd = -1;
	if (p->pid <= 0)
		return -1;
	while ((w = waitpid(p->pid, &status, WNOHANG)) == 0 && ms_left(deadline) > 0)
		g_usleep(SSH_POLL_STEP_MS * 1000);
	if (w == 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		status = -1;
	}
	g_spawn_close_pid(p->pid);
	p->pid = 0;
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int gt_ssh_run(char **argv, int stdin_fd, char **out, char **err, int64_t timeout_us)
{
	int64_t deadline = g_get_monotonic_time() + timeout_us;
	GString *bufs[2] = { g_string_new(NULL), g_string_new(NULL) };
	struct gt_ssh_proc p;
	GError *e = NULL;
	int status = -1, null_fd = -1;

	if (stdin_fd < 0)
		stdin_fd = null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (gt_ssh_spawn(argv, stdin_fd, true, &p, &e) != CORE_OK) {
		g_string_append(bufs[1], e->message);
		g_error_free(e);
		goto out;
	}
	drain_fds((int[2]){ p.out_fd, p.err_fd }, bufs, deadline);
	status = gt_ssh_finish(&p, ms_left(deadline) * INT64_C(1000));
out:
	if (null_fd >= 0)
		close(null_fd);
	*out = g_strstrip(g_string_free(bufs[0], FALSE));
	*err = g_strstrip(g_string_free(bufs[1], FALSE));
	return status;
}
