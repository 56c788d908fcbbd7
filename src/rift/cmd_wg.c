/* cmd_wg.c - riftgate wg up / wg show (contract in cmd_wg.h). */
#include "rift/cmd_wg.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/wg/uapi.h"
#include "rift/wgup/tunnel.h"
#include "rift/wgup/uapi_server.h"

static const char wg_usage[] =
	"usage:\n"
	"  riftgate wg up <config> [--ifname <name>]   run a WireGuard interface until\n"
	"                                             SIGINT/SIGTERM (name: the config's\n"
	"                                             file name without .conf)\n"
	"  riftgate wg show [<name>]                  peers, endpoints, handshakes, transfer\n";

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

static int wg_up(const char *path, const char *ifname)
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
	    rg_wg_tunnel_up(&t, conf, name, &e) != CORE_OK) {
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

int rg_cmd_wg(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "up") == 0)
		return wg_up(argv[1], NULL);
	if (argc == 4 && strcmp(argv[0], "up") == 0 && strcmp(argv[2], "--ifname") == 0)
		return wg_up(argv[1], argv[3]);
	if (argc == 1 && strcmp(argv[0], "show") == 0)
		return show_all();
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return show_one(argv[1], false);
	fputs(wg_usage, stderr);
	return 1;
}
