/*
 * cmd_wg.c - `riftgate wg up <config> [--ifname <name>] [--no-offload]` and `riftgate wg
 * show [<name>]`: a plain WireGuard interface in the foreground, and its
 * state as wg(8) prints it (contract in cmd.h).
 */

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/cmd.h"
#include "rift/wg/uapi.h"
#include "rift/wgup/tunnel.h"
#include "rift/wgup/uapi_server.h"

static const char up_usage[] =
	"usage: riftgate wg up <config> [--ifname <name>] [--no-offload] [--workers <n>]\n"
	"\n"
	"Bring up a plain WireGuard interface from a wg-quick(8) style file, in\n"
	"userspace, and run it in the foreground until SIGINT or SIGTERM, which remove\n"
	"it. The interface is named after the file (wg0.conf makes wg0) unless\n"
	"--ifname says otherwise. It uses the kernel's offloads (TCP and UDP\n"
	"segmentation on the TUN and on the UDP socket) where the kernel has them;\n"
	"--no-offload turns them off (one packet per system call). It encrypts and\n"
	"decrypts on every core: on its main thread and on as many more threads as\n"
	"there are other cores, unless --workers says how many (0: none).\n";

#define WG_MAX_WORKERS 64 /* crypto threads (--workers) */

static const char show_usage[] =
	"usage: riftgate wg show [<name>]\n"
	"\n"
	"Print the interface's peers, endpoints, allowed IPs, latest handshakes,\n"
	"transfer and keepalive as wg show does; with no name, every interface with a\n"
	"socket in /var/run/wireguard.\n";

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

/* wg-quick's rule: the interface is named after the file ("wg0.conf" -> "wg0"). */
static char *name_from_path(const char *path)
{
	char *base = g_path_get_basename(path);

	if (g_str_has_suffix(base, ".conf"))
		base[strlen(base) - 5] = '\0';
	return base;
}

static int wg_up(const char *path, const char *ifname, const struct rg_wg_tunnel_opts *opts)
{
	struct rg_wg_conf *conf = NULL;
	struct rg_wg_tunnel *t = NULL;
	GMainLoop *loop = NULL;
	char *name = ifname != NULL ? g_strdup(ifname) : name_from_path(path);
	char pub[RG_WG_KEY_B64_LEN + 1];
	uint8_t key[RG_WG_KEY_LEN];
	GError *e = NULL;
	guint sigs[2];
	int rc = 1;

	if (rg_wg_conf_load(&conf, path, &e) != CORE_OK ||
	    rg_wg_tunnel_up(&t, conf, name, opts, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	for (size_t i = 0; conf->ignored[i] != NULL; i++)
		core_log_warn("wg", name, "%s: [Interface] %s is wg-quick's; ignored", path,
			      conf->ignored[i]);
	rg_wg_device_public_key(rg_wg_tunnel_device(t), key);
	rg_wg_key_to_base64(key, pub);
	printf("interface %s up: public key %s, UDP port %u, %zu peer%s\n", rg_wg_tunnel_ifname(t),
	       pub, rg_wg_tunnel_port(t), conf->n_peers, conf->n_peers == 1 ? "" : "s");
	fflush(stdout);
	loop = g_main_loop_new(NULL, FALSE);
	sigs[0] = g_unix_signal_add(SIGTERM, on_signal, loop);
	sigs[1] = g_unix_signal_add(SIGINT, on_signal, loop);
	g_main_loop_run(loop);
	g_source_remove(sigs[0]);
	g_source_remove(sigs[1]);
	printf("interface %s down\n", rg_wg_tunnel_ifname(t));
	rc = 0;
out:
	rg_wg_tunnel_down(t);
	rg_wg_conf_free(conf);
	if (loop != NULL)
		g_main_loop_unref(loop);
	g_clear_error(&e);
	g_free(name);
	return rc;
}

static int show_one(const char *name, bool blank_before)
{
	struct rg_wg_uapi_state *st = NULL;
	GError *e = NULL;
	char *reply = rg_wg_uapi_query(name, &e), *text;
	int rc = 1;

	if (reply == NULL) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	if (rg_wg_uapi_parse(reply, strlen(reply), &st) != CORE_OK) {
		fprintf(stderr, "riftgate: %s: malformed answer from its socket\n", name);
		goto out;
	}
	text = rg_wg_uapi_show(st, name, g_get_real_time() / G_USEC_PER_SEC);
	printf("%s%s", blank_before ? "\n" : "", text);
	g_free(text);
	rc = 0;
out:
	if (reply != NULL)
		core_wipe(reply, strlen(reply)); /* it holds the private key */
	g_free(reply);
	rg_wg_uapi_state_free(st);
	g_clear_error(&e);
	return rc;
}

/* Every interface with a socket in the UAPI directory. */
static int show_all(void)
{
	GDir *dir = g_dir_open(RG_WG_UAPI_DIR, 0, NULL);
	const char *f;
	int rc = 0, n = 0;

	if (dir == NULL)
		return 0;
	while ((f = g_dir_read_name(dir)) != NULL) {
		char *name;

		if (!g_str_has_suffix(f, ".sock"))
			continue;
		name = g_strndup(f, strlen(f) - 5);
		rc |= show_one(name, n++ > 0);
		g_free(name);
	}
	g_dir_close(dir);
	return rc;
}

static int cmd_up(int argc, char **argv)
{
	struct rg_wg_tunnel_opts topts = RG_WG_TUNNEL_OPTS_DEFAULT;
	const char *ifname = NULL, *workers = NULL, *args[1];
	const struct rg_cmd_opt opts[] = { { "--ifname", NULL, &ifname, NULL },
					   { "--no-offload", NULL, NULL, &topts.no_offload },
					   { "--workers", NULL, &workers, NULL },
					   { 0 } };
	const struct rg_cmd_spec spec = { "riftgate wg up", up_usage, opts, 1, 1, "<config>" };
	int rc = rg_cmd_parse(&spec, argc, argv, args);
	char q[CORE_LOG_ESC_SHORT];
	guint64 n;

	if (rc != RG_CMD_RUN)
		return rc;
	if (workers != NULL) {
		if (!g_ascii_string_to_unsigned(workers, 10, 0, WG_MAX_WORKERS, &n, NULL))
			return rg_cmd_misuse(
				&spec, "--workers takes a number from 0 to %d, not '%s'",
				WG_MAX_WORKERS,
				core_log_escape(q, sizeof(q), workers, strlen(workers)));
		topts.crypto_workers = (int)n;
	}
	return wg_up(args[0], ifname, &topts);
}

static int cmd_show(int argc, char **argv)
{
	const char *args[1];
	const struct rg_cmd_spec spec = { "riftgate wg show", show_usage, NULL, 0, 1, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, args);

	if (rc != RG_CMD_RUN)
		return rc;
	return args[0] != NULL ? show_one(args[0], false) : show_all();
}

static const struct rg_cmd wg_cmds[] = {
	{ "up", cmd_up, "run a plain WireGuard interface from a wg-quick style file" },
	{ "show", cmd_show, "print interfaces as wg show does" },
};

int rg_cmd_wg(int argc, char **argv)
{
	static const struct rg_cmd_group wg = { "riftgate wg", wg_cmds, G_N_ELEMENTS(wg_cmds) };

	return rg_cmd_dispatch(&wg, argc, argv);
}
