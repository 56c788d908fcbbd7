/*
 * cmd_agent.c - `riftgate up`, `down` and `status`: the agent in the
 * foreground or as the systemd unit, and its state (contract in cmd.h; the
 * agent in agent/agent.h).
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/agent/agent.h"
#include "rift/agent/conf.h"
#include "rift/agent/control.h"
#include "rift/agent/status.h"
#include "rift/cmd.h"

#define SERVICE "riftgate.service"

static const char up_usage[] =
	"usage: riftgate up [-c <config>] [-v] [-d]\n"
	"\n"
	"Run the agent until SIGINT or SIGTERM: join the signaling server, connect to\n"
	"every other device of the network over WebRTC and carry WireGuard between\n"
	"them on the interface the configuration names. The configuration is\n"
	"/etc/riftgate/riftgate.conf unless -c names another; riftgate.conf(5)\n"
	"describes it. -v logs debug lines. -d enables and starts the systemd unit\n"
	"riftgate.service instead (which reads /etc/riftgate/riftgate.conf).\n";

static const char down_usage[] = "usage: riftgate down\n"
				 "\n"
				 "Stop and disable the systemd unit riftgate.service.\n";

static const char status_usage[] =
	"usage: riftgate status [--json] [-s <socket>]\n"
	"\n"
	"Show the running agent's device, signaling server and peers: each peer's\n"
	"state, ICE path (direct or relayed), bytes each way and last handshake.\n"
	"--json prints the document the agent serves instead. The agent's control\n"
	"socket is /run/riftgate/riftgate.sock unless -s names another.\n";

/* systemctl VERB --now riftgate.service, its output passed through. */
static int systemctl(const char *verb)
{
	const char *argv[] = { "systemctl", verb, "--now", SERVICE, NULL };
	GError *e = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
			  NULL, &status, &e)) {
		fprintf(stderr,
			"riftgate: cannot run systemctl (%s): without systemd, run `riftgate "
			"up` in the foreground\n",
			e->message);
		g_error_free(e);
		return 1;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		fprintf(stderr, "riftgate: systemctl %s --now %s failed\n", verb, SERVICE);
		return 1;
	}
	return 0;
}

struct up_run {
	GMainLoop *loop;
	struct rg_agent *agent;
	int rc;
};

static gboolean on_signal(gpointer data)
{
	struct up_run *r = data;

	g_main_loop_quit(r->loop);
	return G_SOURCE_CONTINUE;
}

static void on_fatal(void *data, const char *reason)
{
	struct up_run *r = data;

	fprintf(stderr, "riftgate: %s\n", reason);
	/* 0 when the device was revoked: a service manager must not restart it in a loop */
	r->rc = rg_agent_exit_status(r->agent);
	g_main_loop_quit(r->loop);
}

/* The agent until a signal (0) or a fatal error (1). */
static int up_foreground(const char *path)
{
	struct rg_agent_conf *conf = NULL;
	struct up_run r = { 0 };
	GError *e = NULL;
	guint sigs[2];

	if (rg_agent_conf_load(&conf, path, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	r.loop = g_main_loop_new(NULL, FALSE);
	if (rg_agent_new(&r.agent, conf, on_fatal, &r, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		r.rc = 1;
		goto out;
	}
	sigs[0] = g_unix_signal_add(SIGTERM, on_signal, &r);
	sigs[1] = g_unix_signal_add(SIGINT, on_signal, &r);
	g_main_loop_run(r.loop);
	g_source_remove(sigs[0]);
	g_source_remove(sigs[1]);
	rg_agent_free(r.agent);
out:
	g_main_loop_unref(r.loop);
	return r.rc;
}

int rg_cmd_up(int argc, char **argv)
{
	const char *path = RG_AGENT_DEFAULT_CONF;
	bool daemon = false, verbose = false;
	const struct rg_cmd_opt opts[] = {
		{ "-c", "--config", &path, NULL },
		{ "-v", "--verbose", NULL, &verbose },
		{ "-d", "--daemon", NULL, &daemon },
		{ NULL, NULL, NULL, NULL },
	};
	const struct rg_cmd_spec spec = { "riftgate up", up_usage, opts, 0, 0, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (verbose)
		core_log_set_level(CORE_LOG_DEBUG);
	if (daemon) {
		if (strcmp(path, RG_AGENT_DEFAULT_CONF) != 0)
			return rg_cmd_misuse(&spec, "-c does not go with -d: the unit reads %s",
					     RG_AGENT_DEFAULT_CONF);
		return systemctl("enable");
	}
	return up_foreground(path);
}

int rg_cmd_down(int argc, char **argv)
{
	const struct rg_cmd_spec spec = { "riftgate down", down_usage, NULL, 0, 0, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	return rc != RG_CMD_RUN ? rc : systemctl("disable");
}

int rg_cmd_status(int argc, char **argv)
{
	const char *socket = RG_AGENT_DEFAULT_CONTROL;
	bool json = false;
	const struct rg_cmd_opt opts[] = {
		{ "--json", NULL, NULL, &json },
		{ "-s", "--socket", &socket, NULL },
		{ NULL, NULL, NULL, NULL },
	};
	const struct rg_cmd_spec spec = { "riftgate status", status_usage, opts, 0, 0, NULL };
	GError *e = NULL;
	char *doc = NULL, *text = NULL;
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	rc = 1;
	doc = rg_agent_control_get(socket, "/status", &e);
	if (doc == NULL)
		goto out;
	if (json) {
		printf("%s\n", doc);
		rc = 0;
		goto out;
	}
	text = rg_agent_status_format(doc, g_get_real_time() / G_USEC_PER_SEC, &e);
	if (text == NULL)
		goto out;
	fputs(text, stdout);
	rc = 0;
out:
	if (e != NULL)
		fprintf(stderr, "riftgate: %s\n", e->message);
	g_clear_error(&e);
	g_free(doc);
	g_free(text);
	return rc;
}
