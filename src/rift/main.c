/*
 * main.c - riftgate: a WireGuard VPN over WebRTC data channels. Commands so
 * far: `riftgate server -c CONFIG` (the signaling server) and `riftgate
 * version`.
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "version.h"
#include "core/err.h"
#include "core/log.h"
#include "core/ct.h"
#include "rift/cmd_wg.h"
#include "rift/sig/server.h"
#include "rift/wg/keys.h"

static const char usage[] =
	"usage:\n"
	"  riftgate server -c <config>   run the signaling server\n"
	"  riftgate wg up <config> [--ifname <name>]\n"
	"                                run a plain WireGuard interface (wg-quick file)\n"
	"  riftgate wg show [<name>]     its peers, handshakes and transfer\n"
	"  riftgate genkey | pubkey      keys, as wg genkey / wg pubkey\n"
	"  riftgate version              print the version\n"
	"\n"
	"The server's configuration (INI):\n"
	"  [server]\n"
	"  listen = 127.0.0.1          address to bind\n"
	"  port = 8443                 0 = any\n"
	"  cert = server.pem           TLS from PEM files (with key = ...),\n"
	"  self-signed = true          or a generated certificate (development)\n"
	"  [device.laptop]             one group per device\n"
	"  network = home\n"
	"  token = <secret, 16+ characters>\n"
	"\n"
	"See riftgate(1) and docs/protocol/signaling.md.\n";

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

static int cmd_server(const char *config_path)
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

static int cmd_genkey(void)
{
	uint8_t key[RG_WG_KEY_LEN];
	char text[RG_WG_KEY_B64_LEN + 1];

	rg_wg_key_generate(key);
	rg_wg_key_to_base64(key, text);
	printf("%s\n", text);
	core_wipe(key, sizeof(key));
	core_wipe(text, sizeof(text));
	return fflush(stdout) == 0 ? 0 : 1;
}

/* As wg pubkey: one key on stdin (surrounding white space allowed), its public key out. */
static int cmd_pubkey(void)
{
	char in[128];
	uint8_t key[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN];
	char text[RG_WG_KEY_B64_LEN + 1];
	size_t n = fread(in, 1, sizeof(in) - 1, stdin);
	char *p = in;
	int rc = 1;

	in[n] = '\0';
	p = g_strstrip(p);
	if (!feof(stdin) || rg_wg_key_from_base64(key, p, strlen(p)) != CORE_OK) {
		fprintf(stderr, "pubkey: Key is not the correct length or format\n");
		goto out;
	}
	if (rg_wg_key_public(pub, key) != CORE_OK) {
		fprintf(stderr, "pubkey: Key is not usable\n");
		goto out;
	}
	rg_wg_key_to_base64(pub, text);
	printf("%s\n", text);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	core_wipe(in, sizeof(in));
	core_wipe(key, sizeof(key));
	return rc;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("riftgate %s (%s)\n", RIFTGATE_VERSION, CORE_VERSION_COMMIT);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "genkey") == 0)
		return cmd_genkey();
	if (argc == 2 && strcmp(argv[1], "pubkey") == 0)
		return cmd_pubkey();
	if (argc >= 2 && strcmp(argv[1], "wg") == 0)
		return rg_cmd_wg(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "server") == 0 && strcmp(argv[2], "-c") == 0)
		return cmd_server(argv[3]);
	fputs(usage, stderr);
	return 1;
}
