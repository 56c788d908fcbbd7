/*
 * gw-tool - drive the riftgate gateway (src/rift/tun/gateway.h) from a
 * script, as the agent will: tests/lab/rift-gateway.sh. Not installed.
 *
 *   gw-tool start --tun T --tunnel 10.0.0.1/24 [--route 192.168.1.0/24]...
 *                 [--table NAME] [--state PATH] [--watchdog-ms N]
 *       Start the gateway; print "started lans=eth0,eth1" (stdout, flushed);
 *       run the watchdog every N ms (default 30000), printing "watchdog ok
 *       lans=..." after each pass; on SIGTERM or SIGINT stop cleanly and
 *       print "stopped". Exit 0, or 1 with the error on stderr.
 *   gw-tool cleanup [--table NAME] [--state PATH]
 *       What the agent does at start: undo what a killed gateway left.
 *       Print "cleanup ok"; exit 0, or 1 with the error.
 *
 * Log lines (core_log, level info) go to stderr. Exit 2: bad usage.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "rift/tun/gateway.h"

struct tool {
	GMainLoop *loop;
	struct rg_gw *gw;
	int status;
};

/* "eth0,eth1" of the gateway's LAN interfaces (g_free). */
static char *tool_lans(const struct rg_gw *gw)
{
	return g_strjoinv(",", (char **)rg_gw_lans(gw));
}

static gboolean tool_watchdog(void *data)
{
	struct tool *t = data;
	GError *err = NULL;
	char *lans;

	if (rg_gw_watchdog(t->gw, &err) != CORE_OK) {
		fprintf(stderr, "gw-tool: watchdog: %s\n", err->message);
		g_clear_error(&err);
		return G_SOURCE_CONTINUE;
	}
	lans = tool_lans(t->gw);
	printf("watchdog ok lans=%s\n", lans);
	fflush(stdout);
	g_free(lans);
	return G_SOURCE_CONTINUE;
}

static gboolean tool_stop(void *data)
{
	struct tool *t = data;
	GError *err = NULL;

	if (rg_gw_stop(t->gw, &err) != CORE_OK) {
		fprintf(stderr, "gw-tool: stop: %s\n", err->message);
		g_clear_error(&err);
		t->status = 1;
	} else {
		printf("stopped\n");
		fflush(stdout);
	}
	g_main_loop_quit(t->loop);
	return G_SOURCE_REMOVE;
}

/* Parse the --route texts into a new array of n prefixes; false on a bad one. */
static bool tool_routes(char **texts, struct rg_wg_prefix **routes, size_t *n)
{
	size_t count = texts != NULL ? g_strv_length(texts) : 0;

	*routes = g_new0(struct rg_wg_prefix, count + 1);
	*n = count;
	for (size_t i = 0; i < count; i++) {
		struct rg_wg_prefix *p = &(*routes)[i];

		if (core_cidr_parse(texts[i], &p->family, p->addr, &p->len) != CORE_OK) {
			fprintf(stderr, "gw-tool: not a prefix: %s\n", texts[i]);
			return false;
		}
	}
	return true;
}

static int tool_start(const struct rg_gw_config *cfg, int watchdog_ms)
{
	struct tool t = { NULL, NULL, 0 };
	GError *err = NULL;
	char *lans;

	if (rg_gw_start(&t.gw, cfg, &err) != CORE_OK) {
		fprintf(stderr, "gw-tool: start: %s\n", err->message);
		g_clear_error(&err);
		return 1;
	}
	lans = tool_lans(t.gw);
	printf("started lans=%s\n", lans);
	fflush(stdout);
	g_free(lans);
	t.loop = g_main_loop_new(NULL, FALSE);
	core_signal_add(SIGTERM, tool_stop, &t);
	core_signal_add(SIGINT, tool_stop, &t);
	g_timeout_add((guint)watchdog_ms, tool_watchdog, &t);
	g_main_loop_run(t.loop);
	g_main_loop_unref(t.loop);
	rg_gw_free(t.gw);
	return t.status;
}

static int tool_cleanup(const char *state, const char *table)
{
	GError *err = NULL;

	if (rg_gw_cleanup(state, table, &err) != CORE_OK) {
		fprintf(stderr, "gw-tool: cleanup: %s\n", err->message);
		g_clear_error(&err);
		return 1;
	}
	printf("cleanup ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	char *tun = NULL, *tunnel = NULL, *table = NULL, *state = NULL, **route_texts = NULL;
	int watchdog_ms = RG_GW_WATCHDOG_S * 1000, status = 2;
	GOptionEntry entries[] = {
		{ "tun", 0, 0, G_OPTION_ARG_STRING, &tun, "TUN interface", "NAME" },
		{ "tunnel", 0, 0, G_OPTION_ARG_STRING, &tunnel, "tunnel prefix", "PREFIX" },
		{ "route", 0, 0, G_OPTION_ARG_STRING_ARRAY, &route_texts, "advertised route",
		  "PREFIX" },
		{ "table", 0, 0, G_OPTION_ARG_STRING, &table, "nftables table", "NAME" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &state, "state file", "PATH" },
		{ "watchdog-ms", 0, 0, G_OPTION_ARG_INT, &watchdog_ms, "watchdog period", "MS" },
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *ctx = g_option_context_new("start|cleanup");
	struct rg_gw_config cfg = { 0 };
	struct rg_wg_prefix *routes = NULL;
	GError *err = NULL;

	core_log_set_level(CORE_LOG_INFO);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2 || watchdog_ms <= 0) {
		fprintf(stderr, "usage: gw-tool start|cleanup [options] (--help)%s%s\n",
			err != NULL ? ": " : "", err != NULL ? err->message : "");
		goto out;
	}
	if (strcmp(argv[1], "cleanup") == 0) {
		status = tool_cleanup(state, table);
		goto out;
	}
	if (strcmp(argv[1], "start") != 0 || tun == NULL || tunnel == NULL ||
	    !tool_routes(route_texts, &routes, &cfg.n_routes) ||
	    core_cidr_parse(tunnel, &cfg.tunnel.family, cfg.tunnel.addr, &cfg.tunnel.len) !=
		    CORE_OK) {
		fprintf(stderr, "usage: gw-tool start --tun NAME --tunnel PREFIX [options]\n");
		goto out;
	}
	cfg.tun = tun;
	cfg.routes = routes;
	cfg.table = table;
	cfg.state_path = state;
	status = tool_start(&cfg, watchdog_ms);
out:
	g_clear_error(&err);
	g_option_context_free(ctx);
	g_free(routes);
	g_strfreev(route_texts);
	g_free(tun);
	g_free(tunnel);
	g_free(table);
	g_free(state);
	return status;
}
