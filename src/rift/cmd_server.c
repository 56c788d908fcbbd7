/*
 * cmd_server.c - `riftgate server -c <config>`: the signaling server in the
 * foreground until SIGINT or SIGTERM (contract in cmd.h; the server in
 * sig/server.h).
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/cmd.h"
#include "rift/sig/server.h"

static const char server_usage[] =
	"usage: riftgate server -c <config>\n"
	"\n"
	"Run the signaling server, which introduces the devices of a network to each\n"
	"other and relays their WebRTC offers, answers and ICE candidates, until\n"
	"SIGINT or SIGTERM. The configuration is an INI file with these keys:\n"
	"\n"
	"  [server]\n"
	"  listen = <address>    IPv4 or IPv6 address to bind; default 127.0.0.1\n"
	"  port = <port>         default 8443; 0: any free port\n"
	"  cert = <file>         TLS from PEM files: cert and key go together\n"
	"  key = <file>\n"
	"  self-signed = true    or TLS with a generated certificate (development)\n"
	"  [device.<name>]       one group per device\n"
	"  network = <network>   required\n"
	"  token = <secret>      required, at least 16 characters\n"
	"\n"
	"With neither cert and key nor self-signed it speaks plain HTTP (for loopback,\n"
	"or behind a proxy that terminates TLS).\n";

struct run {
	GMainLoop *loop;
	struct rg_sig_server *server;
	bool stopping;
};

static void on_shutdown_done(void *data)
{
	struct run *r = data;

	g_main_loop_quit(r->loop);
}

/* SIGINT/SIGTERM: close every WebSocket (1001), then leave the loop. */
static gboolean on_signal(gpointer data)
{
	struct run *r = data;

	if (!r->stopping) {
		r->stopping = true;
		core_log_info("server", NULL, "signal: closing %u connections",
			      rg_sig_server_connections(r->server));
		rg_sig_server_shutdown(r->server, on_shutdown_done, r);
	}
	return G_SOURCE_CONTINUE;
}

/* Load config, print the URL (and fingerprint), serve until a signal. */
static int serve(const char *config_path)
{
	struct rg_sig_server_config cfg;
	struct run r = { 0 };
	GError *e = NULL;
	guint sigs[2];

	if (rg_sig_server_config_load(config_path, &cfg, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	r.server = rg_sig_server_new(&cfg, &e);
	rg_sig_server_config_clear(&cfg);
	if (r.server == NULL) {
		fprintf(stderr, "riftgate: cannot start the server: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	printf("listening on %s\n", rg_sig_server_url(r.server));
	if (rg_sig_server_fingerprint(r.server) != NULL)
		printf("certificate sha-256 %s\n", rg_sig_server_fingerprint(r.server));
	fflush(stdout);
	r.loop = g_main_loop_new(NULL, FALSE);
	sigs[0] = g_unix_signal_add(SIGTERM, on_signal, &r);
	sigs[1] = g_unix_signal_add(SIGINT, on_signal, &r);
	g_main_loop_run(r.loop);
	g_source_remove(sigs[0]);
	g_source_remove(sigs[1]);
	rg_sig_server_free(r.server);
	g_main_loop_unref(r.loop);
	return 0;
}

int rg_cmd_server(int argc, char **argv)
{
	const char *config = NULL;
	const struct rg_cmd_opt opts[] = { { "-c", NULL, &config, NULL }, { 0 } };
	const struct rg_cmd_spec spec = { "riftgate server", server_usage, opts, 0, 0, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (config == NULL)
		return rg_cmd_misuse(&spec, "missing -c <config>");
	return serve(config);
}
