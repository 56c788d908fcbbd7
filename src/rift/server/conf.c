/* conf.c - the accounts' configuration keys (contract in conf.h). */
#include "rift/server/conf.h"

#include <stdarg.h>
#include <string.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/server/store.h"

static const char *const store_keys[] = { "path", "synchronous", NULL };
static const char *const ice_keys[] = {
	"stun", "turn", "turn-secret", "turn-ttl", "turn-fingerprint", NULL
};

static int bad(GError **error, const char *path, unsigned line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static int bad(GError **error, const char *path, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s:%u: %s", path, line, msg);
	g_free(msg);
	return CORE_ERR_CONFIG;
}

static int check_ice(const struct core_config *c, const char *path, struct rg_server_conf *out,
		     GError **error)
{
	for (size_t i = 0; out->stun != NULL && out->stun[i] != NULL; i++) {
		char *host = NULL;
		uint16_t port;

		if (core_addr_split_host_port(out->stun[i], &host, &port) != CORE_OK || port == 0)
			return bad(error, path, core_config_line(c, "ice", "stun"),
				   "[ice] stun: expected host:port, got \"%s\"", out->stun[i]);
		g_free(host);
	}
	for (size_t i = 0; out->turn != NULL && out->turn[i] != NULL; i++) {
		const char *t = out->turn[i];
		char *host = NULL;
		uint16_t port;

		if ((!g_str_has_prefix(t, "udp:") && !g_str_has_prefix(t, "tcp:") &&
		     !g_str_has_prefix(t, "tls:")) ||
		    core_addr_split_host_port(t + 4, &host, &port) != CORE_OK || port == 0)
			return bad(error, path, core_config_line(c, "ice", "turn"),
				   "[ice] turn: expected udp:, tcp: or tls: then host:port, got "
				   "\"%s\"",
				   t);
		g_free(host);
	}
	if (out->turn_fingerprint != NULL) {
		uint8_t fp[CORE_TLS_FP_LEN];
		char text[CORE_TLS_FP_STRLEN];

		if (core_tls_fingerprint_parse(out->turn_fingerprint, fp) != CORE_OK)
			return bad(error, path, core_config_line(c, "ice", "turn-fingerprint"),
				   "[ice] turn-fingerprint: expected a SHA-256 fingerprint "
				   "(AB:CD:..., 32 bytes), got \"%s\"",
				   out->turn_fingerprint);
		g_free(out->turn_fingerprint);
		out->turn_fingerprint = g_strdup(core_tls_fingerprint_format(fp, text));
	}
	if (out->turn != NULL && out->turn[0] != NULL &&
	    (out->turn_secret == NULL || strlen(out->turn_secret) < 16))
		return bad(error, path, core_config_line(c, "ice", NULL), "%s",
			   "[ice] turn needs turn-secret, at least 16 characters (coturn's "
			   "static-auth-secret)");
	return CORE_OK;
}

int rg_server_conf_load(const char *path, struct rg_server_conf *out, GError **error)
{
	struct core_config *c = NULL;
	char **groups = NULL;
	bool devices = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = core_config_load(&c, path, CORE_CONFIG_DEFAULT, error)) != CORE_OK)
		return rc;
	groups = core_config_groups(c);
	for (char **g = groups; *g != NULL; g++)
		devices = devices || g_str_has_prefix(*g, "device.");
	out->accounts = core_config_has_group(c, "store") || !devices;
	if ((rc = core_config_check_keys(c, "store", store_keys, error)) != CORE_OK ||
	    (rc = core_config_check_keys(c, "ice", ice_keys, error)) != CORE_OK ||
	    (rc = core_config_get_string(c, "store", "path", RG_STORE_DEFAULT_PATH, &out->db_path,
					 error)) != CORE_OK ||
	    (rc = core_config_get_string(c, "server", "url", NULL, &out->public_url, error)) !=
		    CORE_OK ||
	    (rc = core_config_get_string(c, "server", "cert", NULL, &out->cert_file, error)) !=
		    CORE_OK ||
	    (rc = core_config_get_bool(c, "server", "self-signed", false, &out->self_signed,
				       error)) != CORE_OK ||
	    (rc = core_config_get_strv(c, "ice", "stun", &out->stun, error)) != CORE_OK ||
	    (rc = core_config_get_strv(c, "ice", "turn", &out->turn, error)) != CORE_OK ||
	    (rc = core_config_get_string(c, "ice", "turn-secret", NULL, &out->turn_secret,
					 error)) != CORE_OK ||
	    (rc = core_config_get_string(c, "ice", "turn-fingerprint", NULL, &out->turn_fingerprint,
					 error)) != CORE_OK ||
	    (rc = core_config_get_int(c, "ice", "turn-ttl", 86400, 60, 30 * 86400, &out->turn_ttl_s,
				      error)) != CORE_OK)
		goto out;
	if (out->public_url != NULL && !g_str_has_prefix(out->public_url, "https://") &&
	    !g_str_has_prefix(out->public_url, "http://")) {
		rc = bad(error, path, core_config_line(c, "server", "url"),
			 "[server] url: expected https://host:port, got \"%s\"", out->public_url);
		goto out;
	}
	while (out->public_url != NULL && g_str_has_suffix(out->public_url, "/"))
		out->public_url[strlen(out->public_url) - 1] = '\0';
	{
		char *sync = NULL;

		rc = core_config_get_string(c, "store", "synchronous", "full", &sync, error);
		if (rc == CORE_OK && strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0)
			rc = bad(error, path, core_config_line(c, "store", "synchronous"),
				 "[store] synchronous: expected normal or full, got \"%s\"", sync);
		out->sync_normal = rc == CORE_OK && strcmp(sync, "normal") == 0;
		g_free(sync);
		if (rc != CORE_OK)
			goto out;
	}
	rc = check_ice(c, path, out, error);
out:
	g_strfreev(groups);
	core_config_free(c);
	if (rc != CORE_OK)
		rg_server_conf_clear(out);
	return rc;
}

void rg_server_conf_clear(struct rg_server_conf *c)
{
	g_free(c->db_path);
	g_free(c->public_url);
	g_strfreev(c->stun);
	g_strfreev(c->turn);
	if (c->turn_secret != NULL)
		core_wipe(c->turn_secret, strlen(c->turn_secret));
	g_free(c->turn_secret);
	g_free(c->turn_fingerprint);
	g_free(c->cert_file);
	memset(c, 0, sizeof(*c));
}
