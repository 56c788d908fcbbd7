/*
 * cmd_server.c - `riftgate server -c <config>`: the signaling server in the
 * foreground until SIGINT or SIGTERM, with the devices of its store
 * (registration, tokens: server/api.h) and/or the static tokens of its
 * configuration; `riftgate server init` creates the network and
 * `riftgate server invite` issues one-time join tokens (contract in cmd.h;
 * the server in sig/server.h, the accounts in server/accounts.h).
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tls.h"
#include "rift/auth/qr.h"
#include "rift/cmd.h"
#include "rift/server/api.h"
#include "rift/server/conf.h"
#include "rift/sig/server.h"

#define SETTING_TLS    "tls-pem"	    /* the generated certificate and key, kept */
#define TLS_VALIDITY_S (10 * 365 * 86400LL) /* devices pin it: it outlives them */

static const char server_usage[] =
	"usage: riftgate server -c <config>\n"
	"\n"
	"Run the signaling server, which introduces the devices of a network to each\n"
	"other and relays their WebRTC offers, answers and ICE candidates, until\n"
	"SIGINT or SIGTERM. Devices register with one-time join tokens (riftgate\n"
	"server init, riftgate server invite) and are kept in a database; or the\n"
	"configuration names them with static tokens. The configuration is an INI\n"
	"file with these keys:\n"
	"\n"
	"  [server]\n"
	"  listen = <address>    IPv4 or IPv6 address to bind; default 127.0.0.1\n"
	"  port = <port>         default 8443; 0: any free port\n"
	"  cert = <file>         TLS from PEM files: cert and key go together\n"
	"  key = <file>\n"
	"  self-signed = true    or TLS with a generated certificate (kept in the database)\n"
	"  url = <url>           the URL devices use; default: the one it listens on\n"
	"  [store]\n"
	"  path = <file>         the database; default /var/lib/riftgate/server.db\n"
	"  synchronous = full    every commit waits for the disk (the default), or normal\n"
	"  [ice]                 what registered devices are told\n"
	"  stun = <host:port>    STUN servers, comma-separated\n"
	"  turn = udp:<host:port>  TURN servers (udp:, tcp: or tls:), comma-separated\n"
	"  turn-secret = <secret>  coturn's static-auth-secret\n"
	"  turn-ttl = <seconds>  how long TURN credentials last; default 86400\n"
	"  turn-fingerprint = AB:CD:...  the certificate of the tls: TURN servers (pinned)\n"
	"  [device.<name>]       static tokens: one group per device\n"
	"  network = <network>   required\n"
	"  token = <secret>      required, at least 16 characters\n"
	"\n"
	"With neither cert and key nor self-signed it speaks plain HTTP (for loopback,\n"
	"or behind a proxy that terminates TLS).\n";

static const char init_usage[] =
	"usage: riftgate server init -c <config> [--name <network>] [--subnet <cidr>] [--expires "
	"<duration>]\n"
	"\n"
	"Create the network in the database the configuration names: its name (default\n"
	"\"default\"), its tunnel subnet (default 10.0.0.0/24, addresses given from .1\n"
	"up) and the owner's first join token, which is printed with a join URL and a\n"
	"QR code. The token works once and expires after the duration (default 24h).\n";

static const char invite_usage[] =
	"usage: riftgate server invite -c <config> [--expires <duration>]\n"
	"\n"
	"Print a new one-time join token, a join URL and (on standard error) a QR code\n"
	"for a new device, which joins with riftgate setup. The token expires after\n"
	"the duration (10m, 2h, 7d; default 10m).\n";

/* ------------------------------------------------------------ TLS and join URLs */

/* The kept self-signed certificate (and key) as PEM, made on first use (g_free; wipe). */
static char *stored_pem(struct rg_store *st, GError **error)
{
	struct core_tls_cert *gen = NULL;
	char *pem = NULL, *cert = NULL, *key = NULL;
	int rc = rg_store_setting_get(st, SETTING_TLS, &pem);

	if (rc == CORE_OK)
		return pem;
	if (rc != CORE_ERR_NOT_FOUND) {
		g_set_error(error, CORE_ERROR, rc, "cannot read the certificate from the database");
		return NULL;
	}
	rc = core_tls_cert_generate(&gen, TLS_VALIDITY_S);
	if (rc == CORE_OK)
		rc = core_tls_cert_pem(gen, &cert, &key);
	if (rc == CORE_OK) {
		pem = g_strconcat(cert, key, NULL);
		rc = rg_store_setting_set(st, SETTING_TLS, pem);
	}
	if (rc != CORE_OK) {
		g_set_error(error, CORE_ERROR, rc, "cannot make or keep a certificate");
		if (pem != NULL)
			core_wipe(pem, strlen(pem));
		g_clear_pointer(&pem, g_free);
	}
	if (key != NULL)
		core_wipe(key, strlen(key));
	g_free(cert);
	g_free(key);
	core_tls_cert_free(gen);
	return pem;
}

/* "AB:CD:..." of the certificate devices will see, or NULL (plain HTTP, unreadable). */
static char *server_fingerprint(const struct rg_server_conf *sc)
{
	GTlsCertificate *c = NULL;
	struct rg_store *st = NULL;
	uint8_t fp[CORE_TLS_FP_LEN];
	char text[CORE_TLS_FP_LEN * 3], *pem = NULL, *out = NULL;

	if (sc->cert_file != NULL) {
		c = g_tls_certificate_new_from_file(sc->cert_file, NULL);
	} else if (sc->self_signed && rg_store_open(&st, sc->db_path, NULL) == CORE_OK &&
		   (pem = stored_pem(st, NULL)) != NULL) {
		c = g_tls_certificate_new_from_pem(pem, -1, NULL);
		core_wipe(pem, strlen(pem));
		g_free(pem);
	}
	if (c != NULL && core_tls_gcert_fingerprint(c, fp) == CORE_OK)
		out = g_strdup(core_tls_fingerprint_format(fp, text));
	g_clear_object(&c);
	rg_store_close(st);
	return out;
}

/* The URL devices use: [server] url, else what the listen address and port make (or NULL). */
static char *server_url(const struct rg_server_conf *sc, const struct rg_sig_server_config *cfg)
{
	const char *host = cfg->listen != NULL ? cfg->listen : "127.0.0.1";
	bool v6 = strchr(host, ':') != NULL;

	if (sc->public_url != NULL)
		return g_strdup(sc->public_url);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || cfg->port == 0)
		return NULL; /* only [server] url can say where devices find it */
	return g_strdup_printf("%s://%s%s%s:%u",
			       cfg->cert_file != NULL || cfg->self_signed ? "https" : "http",
			       v6 ? "[" : "", host, v6 ? "]" : "", cfg->port);
}

/* Print a join token: the token, a join URL, the setup line; the QR code on stderr. */
static void print_join(const char *config, const char *token, int64_t ttl)
{
	struct rg_sig_server_config cfg;
	struct rg_server_conf sc;
	char *url = NULL, *fp = NULL, *join, *eu, *ef, *qr;
	GDateTime *exp = g_date_time_new_from_unix_utc(g_get_real_time() / G_USEC_PER_SEC + ttl);
	char *when = g_date_time_format(exp, "%Y-%m-%d %H:%M:%S UTC");

	if (rg_sig_server_config_load(config, &cfg, NULL) == CORE_OK) {
		if (rg_server_conf_load(config, &sc, NULL) == CORE_OK) {
			url = server_url(&sc, &cfg);
			fp = server_fingerprint(&sc);
			rg_server_conf_clear(&sc);
		}
		rg_sig_server_config_clear(&cfg);
	}
	printf("join token: %s\n", token);
	printf("expires:    %s (one use)\n", when);
	if (url == NULL) {
		printf("(set [server] url in %s for a join URL and a setup line)\n", config);
		goto out;
	}
	/* ':' and '/' may stand in a query (RFC 3986): a shorter URL, a smaller code */
	eu = g_uri_escape_string(url, ":/[]", FALSE);
	ef = fp != NULL ? g_uri_escape_string(fp, ":", FALSE) : NULL;
	join = g_strdup_printf("riftgate://join?server=%s&token=%s%s%s", eu, token,
			       ef != NULL ? "&fingerprint=" : "", ef != NULL ? ef : "");
	printf("join URL:   %s\n", join);
	printf("on the new device, as root:\n  riftgate setup --server %s --token %s%s%s\n", url,
	       token, fp != NULL ? " --fingerprint " : "", fp != NULL ? fp : "");
	fflush(stdout);
	qr = rg_qr_render(join);
	if (qr != NULL)
		fputs(qr, stderr);
	core_wipe(join, strlen(join));
	g_free(qr);
	g_free(join);
	g_free(eu);
	g_free(ef);
out:
	fflush(stdout);
	g_free(url);
	g_free(fp);
	g_free(when);
	g_date_time_unref(exp);
}

/* ------------------------------------------------------------ serve */

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

/* The accounts and their API, when the configuration serves them. */
static int open_accounts(const struct rg_server_conf *sc, struct rg_sig_server_config *cfg,
			 struct rg_accounts **accounts, struct rg_api **api, char **pem,
			 GError **error)
{
	struct rg_accounts_config ac = { .db_path = sc->db_path,
					 .sync_normal = sc->sync_normal,
					 .public_url = sc->public_url,
					 .stun = sc->stun,
					 .turn = sc->turn,
					 .turn_secret = sc->turn_secret,
					 .turn_fingerprint = sc->turn_fingerprint,
					 .turn_ttl_s = sc->turn_ttl_s };
	struct rg_api_config apic = { 0 };
	int rc = rg_accounts_open(accounts, &ac, error);

	if (rc != CORE_OK)
		return rc;
	if (cfg->self_signed && cfg->cert_file == NULL) {
		/* a certificate devices pin must not change at every start (kept in the
		 * database; read before serving, on a connection of its own) */
		struct rg_store *st = NULL;

		if ((rc = rg_store_open(&st, sc->db_path, error)) != CORE_OK)
			return rc;
		*pem = stored_pem(st, error);
		rg_store_close(st);
		if (*pem == NULL)
			return CORE_ERR_SYSTEM;
		cfg->cert_pem = *pem;
		cfg->self_signed = false;
	}
	apic.accounts = *accounts;
	*api = rg_api_new(&apic);
	cfg->auth = rg_api_sig_auth(*api);
	return CORE_OK;
}

/* Load config, print the URL (and fingerprint), serve until a signal. */
static int serve(const char *config_path)
{
	struct rg_sig_server_config cfg;
	struct rg_server_conf sc = { 0 };
	struct rg_accounts *accounts = NULL;
	struct rg_api *api = NULL;
	struct run r = { 0 };
	char *pem = NULL;
	GError *e = NULL;
	guint sigs[2];
	int rc = 1;

	if (rg_sig_server_config_load(config_path, &cfg, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	if (rg_server_conf_load(config_path, &sc, &e) != CORE_OK ||
	    (sc.accounts && open_accounts(&sc, &cfg, &accounts, &api, &pem, &e) != CORE_OK)) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	r.server = rg_sig_server_new(&cfg, &e);
	if (r.server == NULL) {
		fprintf(stderr, "riftgate: cannot start the server: %s\n", e->message);
		goto out;
	}
	printf("listening on %s\n", rg_sig_server_url(r.server));
	if (rg_sig_server_fingerprint(r.server) != NULL)
		printf("certificate sha-256 %s\n", rg_sig_server_fingerprint(r.server));
	if (accounts != NULL) {
		rg_api_set_server(api, r.server);
		if (sc.public_url == NULL)
			rg_accounts_set_public_url(accounts, rg_sig_server_url(r.server));
		printf("network %s, devices in %s\n", rg_accounts_network(accounts), sc.db_path);
	}
	fflush(stdout);
	r.loop = g_main_loop_new(NULL, FALSE);
	sigs[0] = g_unix_signal_add(SIGTERM, on_signal, &r);
	sigs[1] = g_unix_signal_add(SIGINT, on_signal, &r);
	g_main_loop_run(r.loop);
	g_source_remove(sigs[0]);
	g_source_remove(sigs[1]);
	g_main_loop_unref(r.loop);
	rc = 0;
out:
	g_clear_error(&e);
	rg_sig_server_free(r.server);
	rg_api_free(api);
	rg_accounts_free(accounts);
	rg_sig_server_config_clear(&cfg);
	rg_server_conf_clear(&sc);
	if (pem != NULL)
		core_wipe(pem, strlen(pem));
	g_free(pem);
	return rc;
}

/* ------------------------------------------------------------ init and invite */

/* The store's path from the configuration (g_free), or NULL after the error. */
static char *db_path_of(const char *config)
{
	struct rg_server_conf sc;
	GError *e = NULL;
	char *path;

	if (rg_server_conf_load(config, &sc, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		g_error_free(e);
		return NULL;
	}
	path = g_strdup(sc.db_path);
	rg_server_conf_clear(&sc);
	return path;
}

/*
 * The common part of `init` and `invite`: parse, then the config's database
 * path (*path, g_free it) and the token's lifetime from --expires (*ttl).
 * RG_CMD_RUN, or the exit status to return: rg_cmd_parse's (--help: 0), 1 on
 * misuse (rg_cmd_misuse) or when the path cannot be found.
 */
static int token_cmd_parse(const struct rg_cmd_spec *spec, int argc, char **argv,
			   const char *const *config, const char *const *expires, int64_t *ttl,
			   char **path)
{
	int rc = rg_cmd_parse(spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	if (*config == NULL)
		return rg_cmd_misuse(spec, "missing -c <config>");
	if (!rg_cmd_duration(*expires, ttl))
		return rg_cmd_misuse(spec, "--expires: expected a duration like 10m, 2h or 7d");
	if ((*path = db_path_of(*config)) == NULL)
		return 1;
	return RG_CMD_RUN;
}

static int server_init(int argc, char **argv)
{
	const char *config = NULL, *name = "default", *subnet = "10.0.0.0/24", *expires = "24h";
	const struct rg_cmd_opt opts[] = { { "-c", "--config", &config, NULL },
					   { "--name", NULL, &name, NULL },
					   { "--subnet", NULL, &subnet, NULL },
					   { "--expires", NULL, &expires, NULL },
					   { 0 } };
	const struct rg_cmd_spec spec = { "riftgate server init", init_usage, opts, 0, 0, NULL };
	char *path = NULL, *token = NULL;
	GError *e = NULL;
	int64_t ttl;
	int rc = token_cmd_parse(&spec, argc, argv, &config, &expires, &ttl, &path);

	if (rc != RG_CMD_RUN)
		return rc;
	rc = 1;
	if (rg_accounts_init(path, name, subnet, ttl, &token, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	printf("network %s (%s) created in %s\n", name, subnet, path);
	print_join(config, token, ttl);
	rc = 0;
out:
	g_clear_error(&e);
	if (token != NULL)
		core_wipe(token, strlen(token));
	g_free(token);
	g_free(path);
	return rc;
}

static int server_invite(int argc, char **argv)
{
	const char *config = NULL, *expires = "10m";
	const struct rg_cmd_opt opts[] = { { "-c", "--config", &config, NULL },
					   { "--expires", NULL, &expires, NULL },
					   { 0 } };
	const struct rg_cmd_spec spec = {
		"riftgate server invite", invite_usage, opts, 0, 0, NULL
	};
	char *path = NULL, *token = NULL;
	GError *e = NULL;
	int64_t ttl;
	int rc = token_cmd_parse(&spec, argc, argv, &config, &expires, &ttl, &path);

	if (rc != RG_CMD_RUN)
		return rc;
	rc = 1;
	if (rg_accounts_invite(path, ttl, &token, &e) != CORE_OK) {
		fprintf(stderr, "riftgate: %s\n", e->message);
		goto out;
	}
	print_join(config, token, ttl);
	rc = 0;
out:
	g_clear_error(&e);
	if (token != NULL)
		core_wipe(token, strlen(token));
	g_free(token);
	g_free(path);
	return rc;
}

int rg_cmd_server(int argc, char **argv)
{
	const char *config = NULL;
	const struct rg_cmd_opt opts[] = { { "-c", NULL, &config, NULL }, { 0 } };
	const struct rg_cmd_spec spec = { "riftgate server", server_usage, opts, 0, 0, NULL };
	int rc;

	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return server_init(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "invite") == 0)
		return server_invite(argc - 1, argv + 1);
	rc = rg_cmd_parse(&spec, argc, argv, NULL);
	if (rc != RG_CMD_RUN)
		return rc;
	if (config == NULL)
		return rg_cmd_misuse(&spec, "missing -c <config>");
	return serve(config);
}
