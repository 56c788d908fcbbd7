/*
 * cmd_account.c - a device's account on the server: `riftgate setup`
 * (register with a join token, write the configuration and secrets),
 * `riftgate devices [list|revoke]`, `riftgate qr` and `riftgate refresh`
 * (contract in cmd.h; the endpoints in docs/protocol/auth.md).
 *
 * The access token the CLI needs is borrowed from the running agent
 * (GET /auth/token on its control socket): refresh tokens are single use,
 * and a refresh of the CLI's own would void the agent's. Only when no agent
 * runs does the CLI refresh, and then it keeps the new refresh token.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tls.h"
#include "rift/agent/authc.h"
#include "rift/agent/conf.h"
#include "rift/agent/control.h"
#include "rift/agent/setup.h"
#include "rift/auth/authmsg.h"
#include "rift/auth/qr.h"
#include "rift/cmd.h"
#include "rift/wg/keys.h"

#define REFRESH_WAIT_S 10 /* riftgate refresh waits this long for the agent's */

static const char setup_usage[] =
	"usage: riftgate setup --server <url> --token <token> [--fingerprint <sha256>] [--name "
	"<name>] [-c <config>] [--force]\n"
	"\n"
	"Register this device with a signaling server using a one-time join token\n"
	"(riftgate server invite prints one, with the line to run here), then write the\n"
	"configuration (/etc/riftgate/riftgate.conf unless -c names another) and, mode\n"
	"0600, secrets.conf beside it: a new private key and the device's refresh\n"
	"token. The device is named after the host unless --name says otherwise; the\n"
	"server gives it its tunnel address. --server also takes the join URL\n"
	"(riftgate://join?...), which holds the token and the fingerprint. An existing\n"
	"configuration is replaced only with --force (the device registers again under\n"
	"its name and keeps its address).\n";

static const char devices_usage[] =
	"usage: riftgate devices [list | revoke <device>] [-c <config>]\n"
	"\n"
	"List the devices of the network, as the server knows them and as the running\n"
	"agent sees them: name, address, status (revoked, online, the connection's\n"
	"state, offline), ICE type, capabilities and the day each registered. revoke\n"
	"takes a device's id or name and revokes it at once: its connections close and\n"
	"it cannot come back without a new join token.\n";

static const char qr_usage[] =
	"usage: riftgate qr [-c <config>]\n"
	"\n"
	"Show the server of this device's configuration as a QR code on standard error\n"
	"(a join URL without a token, to fill in a new device's setup) and its URL on\n"
	"standard output.\n";

static const char refresh_usage[] =
	"usage: riftgate refresh [-c <config>]\n"
	"\n"
	"Check this device's credentials with the server: the running agent refreshes\n"
	"its access token (or, with no agent running, this command does and keeps the\n"
	"new refresh token), and the time it is good until is printed. A device that\n"
	"was revoked is told to run riftgate setup.\n";

/* ------------------------------------------------------------ the configuration */

/* What the CLI reads of riftgate.conf (no secrets: members of the group may run it). */
struct acct {
	char *path, *url, *fingerprint, *device_id, *name, *control, *secrets;
};

static void acct_clear(struct acct *a)
{
	g_free(a->path);
	g_free(a->url);
	g_free(a->fingerprint);
	g_free(a->device_id);
	g_free(a->name);
	g_free(a->control);
	g_free(a->secrets);
	memset(a, 0, sizeof(*a));
}

/* Read path: CORE_OK, or 1-style failure after printing why. */
static int acct_load(struct acct *a, const char *path, bool need_id)
{
	struct core_config *c = NULL;
	char *dir = g_path_get_dirname(path), *def = g_build_filename(dir, "secrets.conf", NULL);
	GError *e = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	a->path = g_strdup(path);
	if ((rc = core_config_load(&c, path, CORE_CONFIG_DEFAULT, &e)) == CORE_OK &&
	    (rc = core_config_get_string(c, "server", "url", NULL, &a->url, &e)) == CORE_OK &&
	    (rc = core_config_get_string(c, "server", "fingerprint", NULL, &a->fingerprint, &e)) ==
		    CORE_OK &&
	    (rc = core_config_get_string(c, "server", "device-id", NULL, &a->device_id, &e)) ==
		    CORE_OK &&
	    (rc = core_config_get_string(c, "device", "name", NULL, &a->name, &e)) == CORE_OK &&
	    (rc = core_config_get_string(c, "agent", "control", RG_AGENT_DEFAULT_CONTROL,
					 &a->control, &e)) == CORE_OK)
		rc = core_config_get_string(c, "agent", "secrets", def, &a->secrets, &e);
	if (rc == CORE_OK && a->url == NULL) {
		rc = CORE_ERR_CONFIG;
		g_set_error(&e, CORE_ERROR, rc, "%s: [server] url is required", path);
	}
	if (rc == CORE_OK && need_id && a->device_id == NULL) {
		rc = CORE_ERR_CONFIG;
		g_set_error(&e, CORE_ERROR, rc,
			    "%s: no [server] device-id: this device uses a static token, not "
			    "a registration (riftgate setup)",
			    path);
	}
	if (rc != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		acct_clear(a);
	}
	core_config_free(c);
	g_free(dir);
	g_free(def);
	return rc;
}

/* The server's reason from an error body, or "HTTP N" (g_free). */
static char *reason_of(unsigned status, const char *body)
{
	char *why = body != NULL ? rg_auth_error_parse(body, strlen(body)) : NULL;
	char *safe;

	if (why == NULL)
		return g_strdup_printf("HTTP %u", status);
	safe = rg_agent_terminal_safe(why);
	g_free(why);
	return safe;
}

/*
 * Refresh here (no agent runs): the new refresh token written to the
 * secrets file before the access token is used. CORE_OK with *out;
 * otherwise printed.
 */
static int refresh_here(const struct acct *a, struct rg_auth_session *out)
{
	struct rg_agent_conf *conf = NULL;
	char *body = NULL, *resp = NULL, *why, err[128];
	GError *e = NULL;
	unsigned status;
	int rc = 1;

	memset(out, 0, sizeof(*out));
	if (rg_agent_conf_load(&conf, a->path, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	if (conf->refresh_token == NULL) {
		fprintf(stderr, "riftgate: %s has no refresh-token: run riftgate setup\n",
			conf->secrets_path);
		goto out;
	}
	body = rg_auth_refresh_encode(conf->device_id, conf->refresh_token);
	status = rg_authc_call(a->url, a->fingerprint, "POST", "/auth/refresh", NULL, body, &resp,
			       &e);
	if (status == 0) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	if (status == 401) {
		why = reason_of(status, resp);
		fprintf(stderr, "riftgate: device revoked or expired, run riftgate setup (%s)\n",
			why);
		g_free(why);
		goto out;
	}
	if (status != 200 ||
	    rg_auth_session_parse(resp, strlen(resp), false, out, err, sizeof(err)) != CORE_OK) {
		why = reason_of(status, resp);
		fprintf(stderr, "riftgate: the server refused the refresh: %s\n", why);
		g_free(why);
		goto out;
	}
	if (rg_agent_conf_save_refresh(conf->secrets_path, out->refresh_token, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s: run riftgate setup again\n", e->message);
		rg_auth_session_clear(out);
		goto out;
	}
	rc = CORE_OK;
out:
	g_clear_error(&e);
	if (body != NULL)
		core_wipe(body, strlen(body));
	if (resp != NULL)
		core_wipe(resp, strlen(resp));
	g_free(body);
	g_free(resp);
	rg_agent_conf_free(conf);
	return rc;
}

/* The agent's current access token (g_free), or NULL when no agent answers. */
static char *borrow_token(const struct acct *a, int64_t *expires_at)
{
	char *doc = rg_agent_control_get(a->control, "/auth/token", NULL), *tok = NULL;
	JsonParser *p = NULL;
	JsonNode *root;

	*expires_at = 0;
	if (doc == NULL)
		return NULL;
	p = json_parser_new_immutable();
	if (json_parser_load_from_data(p, doc, -1, NULL) &&
	    (root = json_parser_get_root(p)) != NULL && JSON_NODE_HOLDS_OBJECT(root)) {
		JsonObject *o = json_node_get_object(root);

		if (json_object_has_member(o, "access_token"))
			tok = g_strdup(json_object_get_string_member(o, "access_token"));
		if (json_object_has_member(o, "expires_at"))
			*expires_at = json_object_get_int_member(o, "expires_at");
	}
	g_object_unref(p);
	core_wipe(doc, strlen(doc));
	g_free(doc);
	return tok;
}

/* An access token: the agent's, else one of our own refresh (NULL after printing why). */
static char *access_token(const struct acct *a)
{
	struct rg_auth_session s;
	int64_t exp;
	char *tok = borrow_token(a, &exp);

	if (tok != NULL)
		return tok;
	fprintf(stderr, "riftgate: the agent is not running: refreshing the credentials here\n");
	if (refresh_here(a, &s) != CORE_OK)
		return NULL;
	tok = g_strdup(s.access_token);
	rg_auth_session_clear(&s);
	return tok;
}

/* ------------------------------------------------------------ setup */

static int setup(const char *path, const char *server, const char *token, const char *fp,
		 const char *name, bool force)
{
	struct rg_auth_session s = { 0 };
	struct rg_agent_setup st = { 0 };
	uint8_t key[RG_WG_KEY_LEN];
	char key_b64[RG_WG_KEY_B64_LEN + 1], err[128], *body, *resp = NULL, *why;
	GError *e = NULL;
	unsigned status;
	int rc = 1;

	if (!force && g_file_test(path, G_FILE_TEST_EXISTS)) {
		fprintf(stderr,
			"riftgate: %s exists: riftgate setup --force replaces it (the device "
			"registers again under its name and keeps its address)\n",
			path);
		return 1;
	}
	body = rg_auth_register_encode(name, token);
	status = rg_authc_call(server, fp, "POST", "/auth/register", NULL, body, &resp, &e);
	core_wipe(body, strlen(body));
	g_free(body);
	if (status == 0) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	if (status != 200 ||
	    rg_auth_session_parse(resp, strlen(resp), true, &s, err, sizeof(err)) != CORE_OK) {
		why = reason_of(status, resp);
		fprintf(stderr, "riftgate: registration refused: %s\n", why);
		g_free(why);
		goto out;
	}
	rg_wg_key_generate(key);
	rg_wg_key_to_base64(key, key_b64);
	st = (struct rg_agent_setup){ path, name,	 s.address, server,
				      fp,   s.device_id, key_b64,   s.refresh_token };
	if (rg_agent_setup_write(&st, &e) != CORE_OK) {
		fprintf(stderr,
			"riftgate: registered, but %s: run riftgate setup again with a new join "
			"token\n",
			e->message);
		goto out;
	}
	{
		char *safe = rg_agent_terminal_safe(s.network != NULL ? s.network : "");
		char *dir = g_path_get_dirname(path);

		printf("registered %s: device %s, tunnel address %s in network %s\n", name,
		       s.device_id, s.address, safe);
		printf("wrote %s and %s/secrets.conf (0600)\n", path, dir);
		printf("start the agent: riftgate up -d (or riftgate up in the foreground)\n");
		g_free(safe);
		g_free(dir);
	}
	rc = 0;
out:
	g_clear_error(&e);
	core_wipe(key, sizeof(key));
	core_wipe(key_b64, sizeof(key_b64));
	if (resp != NULL)
		core_wipe(resp, strlen(resp));
	g_free(resp);
	rg_auth_session_clear(&s);
	return rc;
}

int rg_cmd_setup(int argc, char **argv)
{
	const char *path = RG_AGENT_DEFAULT_CONF, *server = NULL, *token = NULL, *fp = NULL,
		   *name = NULL;
	bool force = false;
	const struct rg_cmd_opt opts[] = { { "--server", NULL, &server, NULL },
					   { "--token", NULL, &token, NULL },
					   { "--fingerprint", NULL, &fp, NULL },
					   { "--name", NULL, &name, NULL },
					   { "-c", "--config", &path, NULL },
					   { "--force", NULL, NULL, &force },
					   { 0 } };
	const struct rg_cmd_spec spec = { "riftgate setup", setup_usage, opts, 0, 0, NULL };
	char *j_server = NULL, *j_token = NULL, *j_fp = NULL, *host = NULL, *srv = NULL;
	uint8_t fpb[CORE_TLS_FP_LEN];
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (server == NULL)
		return rg_cmd_misuse(&spec, "missing --server <url>");
	if (g_str_has_prefix(server, "riftgate://")) {
		if (rg_agent_join_url_parse(server, &j_server, &j_token, &j_fp) != CORE_OK) {
			rc = rg_cmd_misuse(&spec, "--server: not a join URL "
						  "(riftgate://join?server=...&token=...)");
			goto out;
		}
		server = j_server;
		token = token != NULL ? token : j_token;
		fp = fp != NULL ? fp : j_fp;
	}
	if (!g_str_has_prefix(server, "https://") && !g_str_has_prefix(server, "http://")) {
		rc = rg_cmd_misuse(&spec, "--server: expected https://host:port or a join URL");
		goto out;
	}
	if (token == NULL) {
		rc = rg_cmd_misuse(&spec, "missing --token <token>");
		goto out;
	}
	if (fp != NULL && core_tls_fingerprint_parse(fp, fpb) != CORE_OK) {
		rc = rg_cmd_misuse(&spec, "--fingerprint: expected a SHA-256 fingerprint like "
					  "AB:CD:... (32 bytes)");
		goto out;
	}
	host = g_strdup(name != NULL ? name : g_get_host_name());
	if (!rg_auth_name_ok(host)) {
		rc = rg_cmd_misuse(&spec, "--name: a device name is 1 to 64 bytes of text, no '/', "
					  "no space at either "
					  "end");
		goto out;
	}
	srv = g_strdup(server);
	while (g_str_has_suffix(srv, "/"))
		srv[strlen(srv) - 1] = '\0';
	rc = setup(path, srv, token, fp, host, force);
out:
	g_free(srv);
	g_free(host);
	g_free(j_server);
	if (j_token != NULL)
		core_wipe(j_token, strlen(j_token));
	g_free(j_token);
	g_free(j_fp);
	return rc;
}

/* ------------------------------------------------------------ devices */

static int devices_list(const struct acct *a)
{
	struct rg_auth_device *d = NULL;
	char *tok = access_token(a), *resp = NULL, *status_doc = NULL, *text, err[128], *why;
	GError *e = NULL;
	size_t n = 0;
	unsigned st;
	int rc = 1;

	if (tok == NULL)
		return 1;
	st = rg_authc_call(a->url, a->fingerprint, "GET", "/auth/devices", tok, NULL, &resp, &e);
	if (st == 0) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	if (st != 200 ||
	    rg_auth_devices_parse(resp, strlen(resp), &d, &n, err, sizeof(err)) != CORE_OK) {
		why = reason_of(st, resp);
		fprintf(stderr, "riftgate: the server refused the list: %s\n", why);
		g_free(why);
		goto out;
	}
	status_doc = rg_agent_control_get(a->control, "/status", NULL);
	text = rg_agent_devices_format(d, n, a->device_id, status_doc);
	fputs(text, stdout);
	g_free(text);
	rc = 0;
out:
	g_clear_error(&e);
	rg_auth_devices_free(d, n);
	core_wipe(tok, strlen(tok));
	g_free(tok);
	g_free(resp);
	g_free(status_doc);
	return rc;
}

static int devices_revoke(const struct acct *a, const char *which)
{
	struct rg_auth_device *d = NULL;
	const struct rg_auth_device *target = NULL;
	char *tok = access_token(a), *resp = NULL, *path = NULL, *why, err[128];
	GError *e = NULL;
	size_t n = 0;
	unsigned st;
	int rc = 1;

	if (tok == NULL)
		return 1;
	st = rg_authc_call(a->url, a->fingerprint, "GET", "/auth/devices", tok, NULL, &resp, &e);
	if (st != 200 ||
	    rg_auth_devices_parse(resp, strlen(resp), &d, &n, err, sizeof(err)) != CORE_OK) {
		why = st == 0 ? g_strdup(e->message) : reason_of(st, resp);
		fprintf(stderr, "riftgate: cannot list the devices: %s\n", why);
		g_free(why);
		goto out;
	}
	/* an id, or the name of a device not revoked */
	for (size_t i = 0; i < n && target == NULL; i++)
		if (strcmp(d[i].device_id, which) == 0)
			target = &d[i];
	for (size_t i = 0; i < n && target == NULL; i++)
		if (!d[i].revoked && strcmp(d[i].device_name, which) == 0)
			target = &d[i];
	if (target == NULL) {
		char *safe = rg_agent_terminal_safe(which);

		fprintf(stderr, "riftgate: no device \"%s\" (riftgate devices lists them)\n", safe);
		g_free(safe);
		goto out;
	}
	g_free(resp);
	resp = NULL;
	path = g_strconcat("/auth/devices/", target->device_id, NULL);
	st = rg_authc_call(a->url, a->fingerprint, "DELETE", path, tok, NULL, &resp, &e);
	if (st != 200) {
		why = st == 0 ? g_strdup(e->message) : reason_of(st, resp);
		fprintf(stderr, "riftgate: cannot revoke it: %s\n", why);
		g_free(why);
		goto out;
	}
	{
		char *safe = rg_agent_terminal_safe(target->device_name);

		printf("Device \"%s\" has been revoked.\n", safe);
		g_free(safe);
	}
	rc = 0;
out:
	g_clear_error(&e);
	rg_auth_devices_free(d, n);
	core_wipe(tok, strlen(tok));
	g_free(tok);
	g_free(resp);
	g_free(path);
	return rc;
}

int rg_cmd_devices(int argc, char **argv)
{
	const char *path = RG_AGENT_DEFAULT_CONF, *args[2] = { NULL, NULL };
	const struct rg_cmd_opt opts[] = { { "-c", "--config", &path, NULL }, { 0 } };
	const struct rg_cmd_spec spec = { "riftgate devices", devices_usage, opts, 0, 2, NULL };
	struct acct a;
	int rc = rg_cmd_parse(&spec, argc, argv, args);

	if (rc != RG_CMD_RUN)
		return rc;
	if (args[0] != NULL && strcmp(args[0], "list") != 0 && strcmp(args[0], "revoke") != 0)
		return rg_cmd_misuse(&spec, "expected list or revoke, got '%s'", args[0]);
	if (args[0] != NULL && strcmp(args[0], "revoke") == 0 && args[1] == NULL)
		return rg_cmd_misuse(&spec, "revoke needs a device's id or name");
	if ((args[0] == NULL || strcmp(args[0], "list") == 0) && args[1] != NULL)
		return rg_cmd_misuse(&spec, "unexpected argument '%s'", args[1]);
	if (acct_load(&a, path, true) != CORE_OK)
		return 1;
	rc = args[0] != NULL && strcmp(args[0], "revoke") == 0 ? devices_revoke(&a, args[1])
							       : devices_list(&a);
	acct_clear(&a);
	return rc;
}

/* ------------------------------------------------------------ qr and refresh */

int rg_cmd_qr(int argc, char **argv)
{
	const char *path = RG_AGENT_DEFAULT_CONF;
	const struct rg_cmd_opt opts[] = { { "-c", "--config", &path, NULL }, { 0 } };
	const struct rg_cmd_spec spec = { "riftgate qr", qr_usage, opts, 0, 0, NULL };
	char *eu, *ef = NULL, *url, *qr;
	struct acct a;
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (acct_load(&a, path, false) != CORE_OK)
		return 1;
	eu = g_uri_escape_string(a.url, ":/[]", FALSE);
	if (a.fingerprint != NULL)
		ef = g_uri_escape_string(a.fingerprint, ":", FALSE);
	url = g_strdup_printf("riftgate://join?server=%s%s%s", eu,
			      ef != NULL ? "&fingerprint=" : "", ef != NULL ? ef : "");
	qr = rg_qr_render(url);
	printf("Server: %s\n", a.url);
	fflush(stdout);
	if (qr != NULL)
		fputs(qr, stderr);
	g_free(qr);
	g_free(url);
	g_free(eu);
	g_free(ef);
	acct_clear(&a);
	return 0;
}

static void print_until(int64_t expires_at)
{
	GDateTime *t = g_date_time_new_from_unix_utc(expires_at);
	char *when = g_date_time_format(t, "%Y-%m-%d %H:%M:%S UTC");

	printf("credentials valid: the access token is good until %s\n", when);
	g_free(when);
	g_date_time_unref(t);
}

int rg_cmd_refresh(int argc, char **argv)
{
	const char *path = RG_AGENT_DEFAULT_CONF;
	const struct rg_cmd_opt opts[] = { { "-c", "--config", &path, NULL }, { 0 } };
	const struct rg_cmd_spec spec = { "riftgate refresh", refresh_usage, opts, 0, 0, NULL };
	struct rg_auth_session s;
	int64_t before, after;
	char *tok, *doc;
	struct acct a;
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (acct_load(&a, path, true) != CORE_OK)
		return 1;
	tok = borrow_token(&a, &before);
	if (tok != NULL) {
		/* the agent's own refresh: ask for it, then watch its token change */
		gint64 until = g_get_monotonic_time() + REFRESH_WAIT_S * G_USEC_PER_SEC;

		core_wipe(tok, strlen(tok));
		g_free(tok);
		doc = rg_agent_control_get(a.control, "/auth/refresh", NULL);
		g_free(doc);
		rc = 1;
		while (g_get_monotonic_time() < until) {
			tok = borrow_token(&a, &after);
			if (tok != NULL) {
				core_wipe(tok, strlen(tok));
				g_free(tok);
			}
			if (tok != NULL && after != before) {
				printf("the agent refreshed its access token\n");
				print_until(after);
				rc = 0;
				break;
			}
			if (tok == NULL)
				break; /* the agent stopped: revoked, its log says */
			g_usleep(200 * 1000);
		}
		if (rc != 0)
			fprintf(stderr,
				"riftgate: the agent did not refresh within %d s: see its "
				"log\n",
				REFRESH_WAIT_S);
		goto out;
	}
	rc = refresh_here(&a, &s) == CORE_OK ? 0 : 1;
	if (rc == 0) {
		print_until(g_get_real_time() / G_USEC_PER_SEC + s.expires_in);
		rg_auth_session_clear(&s);
	}
out:
	acct_clear(&a);
	return rc;
}
