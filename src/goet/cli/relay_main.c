/*
 * relay_main.c - `goet relay --to HOST:PORT [--idle-timeout D]`: the
 * forwarder a `goet -J jump host` client starts on the jump host over ssh
 * (relay.h says what it forwards and when it ends).
 *
 * HOST is resolved here, once, as the jump host resolves it (the first
 * address getaddrinfo gives). The port it listens on (UDP and TCP) is the
 * only line written to stdout; then stdin and stdout are /dev/null and the
 * log goes to /tmp/goet-relay-PORT.log (removed at the end unless
 * $GOET_KEEP_LOG is set), so that a dead ssh can neither stop nor block it.
 * Exit status: 0 when it ended by itself or on SIGINT/SIGTERM, 1 when it
 * could not start (a message on stderr).
 */
#include "goet/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/net/relay.h"

#define RELAY_IDLE_DEFAULT_US (7 * 24 * 3600 * INT64_C(1000000)) /* the session's default */

/* Resolve "host:port" (port 1..65535) into *to: 0, or 1 with a message. */
static int resolve_target(const char *spec, struct core_addr *to)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	char *host = NULL;
	uint16_t port = 0;
	int r = 1, gr;

	if (core_addr_split_host_port(spec, &host, &port) != CORE_OK || port == 0) {
		fprintf(stderr, "goet relay: bad --to \"%s\" (expected HOST:PORT)\n", spec);
		goto out;
	}
	gr = getaddrinfo(host, NULL, &hints, &res);
	if (gr != 0 || res == NULL ||
	    core_addr_from_sockaddr(to, res->ai_addr, res->ai_addrlen) != CORE_OK) {
		fprintf(stderr, "goet relay: cannot resolve %s: %s\n", host,
			gr != 0 ? gai_strerror(gr) : "no address");
		goto out;
	}
	core_addr_set_port(to, port);
	r = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	g_free(host);
	return r;
}

/* stdin, stdout to /dev/null; the log to a file of its own (its path, or NULL). */
static char *detach(uint16_t port)
{
	char *path = g_strdup_printf("/tmp/goet-relay-%u.log", port);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(fd >= 0 ? fd : null_fd, STDERR_FILENO);
		close(null_fd);
	}
	if (fd >= 0) {
		core_log_set_output_fd(fd);
	} else {
		core_log_set_output_fd(STDERR_FILENO);
		g_clear_pointer(&path, g_free);
	}
	return path;
}

static void relay_done(struct gt_relay *r, const char *reason, void *data)
{
	g_main_loop_quit(data);
}

static gboolean relay_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

int gt_cli_relay(const struct gt_args *a)
{
	struct gt_relay_config cfg = { .name = NULL };
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	struct gt_relay *r = NULL;
	GError *e = NULL;
	char *log_path = NULL, name[32];
	guint sigint = 0, sigterm = 0;
	int code = 1;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN); /* the ssh that started it goes away */
	if (resolve_target(a->relay_to, &cfg.target) != 0)
		goto out;
	cfg.idle_us = a->idle_timeout_us > 0 ? a->idle_timeout_us : RELAY_IDLE_DEFAULT_US;
	cfg.first_wait_us = a->connect_timeout_us > 0 ? a->connect_timeout_us : 0;
	g_snprintf(name, sizeof(name), "to %s", a->relay_to);
	cfg.name = name;
	r = gt_relay_new(&cfg, relay_done, loop, &e);
	if (r == NULL) {
		fprintf(stderr, "goet relay: %s\n", e->message);
		g_error_free(e);
		goto out;
	}
	printf("%u\n", gt_relay_port(r));
	fflush(stdout);
	log_path = detach(gt_relay_port(r));
	core_log_info("relay", name, "listening on port %u (UDP and TCP)", gt_relay_port(r));
	sigint = core_signal_add(SIGINT, relay_signal, loop);
	sigterm = core_signal_add(SIGTERM, relay_signal, loop);
	g_main_loop_run(loop);
	code = 0;
out:
	core_source_clear(&sigint);
	core_source_clear(&sigterm);
	gt_relay_free(r);
	if (log_path != NULL && g_getenv("GOET_KEEP_LOG") == NULL)
		unlink(log_path);
	g_free(log_path);
	g_main_loop_unref(loop);
	return code;
}
