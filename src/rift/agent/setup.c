/* setup.c - a registered device's files, join URLs, the device table (contract in setup.h). */
#include "rift/agent/setup.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "rift/agent/conf.h"

/* ------------------------------------------------------------ files */

char *rg_agent_setup_conf_text(const struct rg_agent_setup *s)
{
	/* GKeyFile escapes what a name may hold (a backslash, spaces at either end) */
	GKeyFile *k = g_key_file_new();
	char *text;

	g_key_file_set_string(k, "device", "name", s->name);
	g_key_file_set_string(k, "device", "address", s->address);
	g_key_file_set_string(k, "server", "url", s->url);
	if (s->fingerprint != NULL)
		g_key_file_set_string(k, "server", "fingerprint", s->fingerprint);
	g_key_file_set_string(k, "server", "device-id", s->device_id);
	g_key_file_set_comment(k, NULL, NULL,
			       " written by riftgate setup; riftgate.conf(5) has every key", NULL);
	text = g_key_file_to_data(k, NULL, NULL);
	g_key_file_free(k);
	return text;
}

char *rg_agent_setup_secrets_text(const struct rg_agent_setup *s)
{
	return g_strdup_printf("# written by riftgate setup: keep it 0600\n[device]\n"
			       "private-key = %s\nrefresh-token = %s\n",
			       s->private_key, s->refresh_token);
}

int rg_agent_setup_write(const struct rg_agent_setup *s, GError **error)
{
	char *dir = g_path_get_dirname(s->conf_path);
	char *secrets_path = g_build_filename(dir, "secrets.conf", NULL);
	char *conf = rg_agent_setup_conf_text(s), *secrets = rg_agent_setup_secrets_text(s);
	int rc = CORE_OK;

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		rc = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, rc, "cannot create %s: %s", dir, g_strerror(errno));
		goto out;
	}
	if ((rc = rg_agent_conf_write_file(secrets_path, secrets, 0600, error)) != CORE_OK)
		goto out;
	rc = rg_agent_conf_write_file(s->conf_path, conf, 0644, error);
out:
	core_wipe(secrets, strlen(secrets));
	g_free(secrets);
	g_free(conf);
	g_free(secrets_path);
	g_free(dir);
	return rc;
}

/* ------------------------------------------------------------ join URLs */

int rg_agent_join_url_parse(const char *url, char **server, char **token, char **fingerprint)
{
	GHashTable *params = NULL;
	const char *sv, *tk, *fp;
	int rc = CORE_ERR_BAD_FORMAT;

	*server = *token = *fingerprint = NULL;
	if (!g_str_has_prefix(url, "riftgate://join?"))
		return rc;
	params = g_uri_parse_params(url + strlen("riftgate://join?"), -1, "&", G_URI_PARAMS_NONE,
				    NULL);
	if (params == NULL)
		return rc;
	sv = g_hash_table_lookup(params, "server");
	tk = g_hash_table_lookup(params, "token");
	fp = g_hash_table_lookup(params, "fingerprint");
	if (sv != NULL && tk != NULL && tk[0] != '\0' &&
	    (g_str_has_prefix(sv, "https://") || g_str_has_prefix(sv, "http://"))) {
		*server = g_strdup(sv);
		*token = g_strdup(tk);
		*fingerprint = g_strdup(fp);
		rc = CORE_OK;
	}
	g_hash_table_unref(params);
	return rc;
}

/* ------------------------------------------------------------ the device table */

char *rg_agent_terminal_safe(const char *s)
{
	GString *out = g_string_new(NULL);
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
			p++;
			continue;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			g_string_append_c(out, '?');
		else
			g_string_append_unichar(out, c);
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
}

static const char *jstr(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return "";
	return json_node_get_string(n);
}

static bool jarray_nonempty(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) &&
	       json_array_get_length(json_node_get_array(n)) > 0;
}

/* The agent's entry for peer name, or NULL. */
static JsonObject *peer_of(JsonObject *status, const char *name)
{
	JsonNode *n = status != NULL ? json_object_get_member(status, "peers") : NULL;
	JsonArray *a;

	if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
		return NULL;
	a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_OBJECT(e) &&
		    strcmp(jstr(json_node_get_object(e), "id"), name) == 0)
			return json_node_get_object(e);
	}
	return NULL;
}

enum { COL_NAME, COL_ADDR, COL_STATUS, COL_ICE, COL_CAPS, COL_CREATED, N_COLS };

char *rg_agent_devices_format(const struct rg_auth_device *d, size_t n, const char *self_id,
			      const char *status_json)
{
	static const char *const head[N_COLS] = { "NAME",     "ADDRESS",      "STATUS",
						  "ICE TYPE", "CAPABILITIES", "CREATED" };
	JsonParser *p = NULL;
	JsonObject *status = NULL;
	GPtrArray *rows;
	size_t width[N_COLS] = { 0 };
	GString *out;

	if (n == 0)
		return g_strdup("No devices registered.\n");
	rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	if (status_json != NULL) {
		p = json_parser_new_immutable();
		if (json_parser_load_from_data(p, status_json, -1, NULL) &&
		    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
			status = json_node_get_object(json_parser_get_root(p));
	}
	g_ptr_array_add(rows, g_strdupv((char **)head));
	for (size_t i = 0; i < n; i++) {
		bool self = self_id != NULL && strcmp(d[i].device_id, self_id) == 0;
		char *name = rg_agent_terminal_safe(d[i].device_name);
		JsonObject *peer = self ? NULL : peer_of(status, d[i].device_name);
		GPtrArray *caps = g_ptr_array_new();
		GDateTime *t = g_date_time_new_from_unix_utc(d[i].created_at);
		char **row = g_new0(char *, N_COLS + 1);
		const char *st = d[i].revoked		  ? "revoked"
				 : self && status != NULL ? "online"
				 : peer != NULL		  ? jstr(peer, "state")
							  : "offline";

		if ((self && jarray_nonempty(status, "routes")) || jarray_nonempty(peer, "routes"))
			g_ptr_array_add(caps, "routes: advertised");
		if (jarray_nonempty(peer, "accepted_routes"))
			g_ptr_array_add(caps, "routes: accepted");
		g_ptr_array_add(caps, NULL);
		row[COL_NAME] = self ? g_strconcat(name, " (this device)", NULL) : g_strdup(name);
		row[COL_ADDR] = rg_agent_terminal_safe(d[i].address[0] ? d[i].address : "-");
		row[COL_STATUS] = rg_agent_terminal_safe(st[0] ? st : "offline");
		row[COL_ICE] = g_strdup(
			peer != NULL && jstr(peer, "ice_type")[0] ? jstr(peer, "ice_type") : "-");
		row[COL_CAPS] =
			caps->len > 1 ? g_strjoinv(", ", (char **)caps->pdata) : g_strdup("-");
		row[COL_CREATED] = t != NULL ? g_date_time_format(t, "%Y-%m-%d") : g_strdup("-");
		g_ptr_array_add(rows, row);
		if (t != NULL)
			g_date_time_unref(t);
		g_ptr_array_free(caps, TRUE);
		g_free(name);
	}
	for (guint r = 0; r < rows->len; r++)
		for (int c = 0; c < N_COLS; c++)
			width[c] = MAX(width[c],
				       (size_t)g_utf8_strlen(((char **)rows->pdata[r])[c], -1));
	out = g_string_new(NULL);
	for (guint r = 0; r < rows->len; r++) {
		char **row = rows->pdata[r];

		for (int c = 0; c < N_COLS; c++) {
			g_string_append(out, row[c]);
			if (c + 1 < N_COLS)
				for (size_t k = (size_t)g_utf8_strlen(row[c], -1); k < width[c] + 2;
				     k++)
					g_string_append_c(out, ' ');
		}
		g_string_append_c(out, '\n');
	}
	g_ptr_array_unref(rows);
	if (p != NULL)
		g_object_unref(p);
	return g_string_free(out, FALSE);
}
