/* authmsg.c - /auth request and response bodies (contract in authmsg.h). */
#include "rift/auth/authmsg.h"

#include <stdarg.h>
#include <string.h>

#include "core/addr.h"
#include "core/ct.h"
#include "core/err.h"
#include "rift/auth/json-int.h"

/* ------------------------------------------------------------ checks */

bool rg_auth_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > RG_AUTH_MAX_NAME || !g_utf8_validate(name, (gssize)n, NULL) ||
	    g_ascii_isspace(name[0]) || g_ascii_isspace(name[n - 1]))
		return false; /* a configuration file would lose spaces at either end */
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return false;
	/* C1 controls too: they move terminals' cursors as well */
	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x80 && c < 0xa0)
			return false;
	}
	return true;
}

static bool token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > RG_AUTH_MAX_TOKEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return false;
	return true;
}

static void wipe_free(char *s)
{
	if (s != NULL)
		core_wipe(s, strlen(s));
	g_free(s);
}

/* ------------------------------------------------------------ requests */

/*
 * Two string fields of a flat object: CORE_OK with copies; else the code
 * and the reason for the first that is wrong. name_first: the first is a
 * device name (else an id or token, like the second).
 */
static int two_fields(const char *body, size_t len, const char *f1, const char *missing1,
		      bool name_first, const char *f2, const char *missing2, char **v1, char **v2,
		      const char **err)
{
	JsonParser *p = NULL;
	JsonObject *o;
	const char *a = NULL, *b = NULL;
	int rc, r1, r2;

	*v1 = *v2 = NULL;
	*err = RG_AUTH_ERR_BODY;
	if (len > RG_AUTH_MAX_BODY || (o = rg_authjson_object(body, len, &p)) == NULL) {
		rc = CORE_ERR_BAD_FORMAT;
		goto out;
	}
	r1 = rg_authjson_string(o, f1, &a);
	r2 = rg_authjson_string(o, f2, &b);
	if (r1 == CORE_ERR_BAD_FORMAT || r2 == CORE_ERR_BAD_FORMAT) {
		rc = CORE_ERR_BAD_FORMAT;
	} else if (r1 != CORE_OK || a[0] == '\0') {
		rc = CORE_ERR_NOT_FOUND;
		*err = missing1;
	} else if (r2 != CORE_OK || b[0] == '\0') {
		rc = CORE_ERR_NOT_FOUND;
		*err = missing2;
	} else if (name_first ? !rg_auth_name_ok(a) : !token_ok(a)) {
		rc = CORE_ERR_BAD_VALUE;
		*err = name_first ? RG_AUTH_ERR_NAME_BAD : RG_AUTH_ERR_TOKEN_BAD;
	} else if (!token_ok(b)) {
		rc = CORE_ERR_BAD_VALUE;
		*err = RG_AUTH_ERR_TOKEN_BAD;
	} else {
		*v1 = g_strdup(a);
		*v2 = g_strdup(b);
		*err = NULL;
		rc = CORE_OK;
	}
out:
	if (p != NULL)
		g_object_unref(p);
	return rc;
}

int rg_auth_register_parse(const char *body, size_t len, struct rg_auth_register_req *out,
			   const char **err)
{
	return two_fields(body, len, "device_name", RG_AUTH_ERR_NAME_MISSING, true, "join_token",
			  RG_AUTH_ERR_JOIN_MISSING, &out->device_name, &out->join_token, err);
}

int rg_auth_refresh_parse(const char *body, size_t len, struct rg_auth_refresh_req *out,
			  const char **err)
{
	return two_fields(body, len, "device_id", RG_AUTH_ERR_ID_MISSING, false, "refresh_token",
			  RG_AUTH_ERR_RT_MISSING, &out->device_id, &out->refresh_token, err);
}

void rg_auth_register_req_clear(struct rg_auth_register_req *r)
{
	g_free(r->device_name);
	wipe_free(r->join_token);
	memset(r, 0, sizeof(*r));
}

void rg_auth_refresh_req_clear(struct rg_auth_refresh_req *r)
{
	g_free(r->device_id);
	wipe_free(r->refresh_token);
	memset(r, 0, sizeof(*r));
}

static void member_str(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value != NULL ? value : "");
}

static char *pair(const char *k1, const char *v1, const char *k2, const char *v2)
{
	JsonBuilder *b = json_builder_new();
	char *text;

	json_builder_begin_object(b);
	member_str(b, k1, v1);
	member_str(b, k2, v2);
	json_builder_end_object(b);
	text = rg_authjson_finish(b);
	g_object_unref(b);
	return text;
}

char *rg_auth_register_encode(const char *device_name, const char *join_token)
{
	return pair("device_name", device_name, "join_token", join_token);
}

char *rg_auth_refresh_encode(const char *device_id, const char *refresh_token)
{
	return pair("device_id", device_id, "refresh_token", refresh_token);
}

/* ------------------------------------------------------------ sessions */

char *rg_auth_session_encode(const struct rg_auth_session *s, bool registration)
{
	JsonBuilder *b = json_builder_new();
	char *text;

	json_builder_begin_object(b);
	if (registration)
		member_str(b, "device_id", s->device_id);
	member_str(b, "access_token", s->access_token);
	member_str(b, "refresh_token", s->refresh_token);
	json_builder_set_member_name(b, "expires_in");
	json_builder_add_int_value(b, s->expires_in);
	if (registration) {
		member_str(b, "address", s->address);
		member_str(b, "subnet", s->subnet);
		member_str(b, "network", s->network);
		member_str(b, "server_url", s->server_url);
	}
	json_builder_set_member_name(b, "ice_servers");
	json_builder_begin_array(b);
	for (size_t i = 0; i < s->n_ice; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "urls");
		json_builder_begin_array(b);
		json_builder_add_string_value(b, s->ice[i].url);
		json_builder_end_array(b);
		if (s->ice[i].username != NULL) {
			member_str(b, "username", s->ice[i].username);
			member_str(b, "credential", s->ice[i].credential);
		}
		if (s->ice[i].fingerprint != NULL)
			member_str(b, "fingerprint", s->ice[i].fingerprint);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	text = rg_authjson_finish(b);
	g_object_unref(b);
	return text;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		g_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* A required (or optional) string field copied into *dst. */
static int copy_field(JsonObject *o, const char *name, bool required, char **dst, char *err,
		      size_t errlen)
{
	const char *v;
	int rc = rg_authjson_string(o, name, &v);

	if (!required && (rc == CORE_ERR_NOT_FOUND || (rc == CORE_OK && v[0] == '\0')))
		return CORE_OK;
	if (rc == CORE_ERR_BAD_FORMAT)
		return fail(err, errlen, rc, "\"%s\" must be a string", name);
	if (rc != CORE_OK || v[0] == '\0')
		return fail(err, errlen, CORE_ERR_NOT_FOUND, "\"%s\" is missing", name);
	*dst = g_strdup(v);
	return CORE_OK;
}

/* One ICE server object: its first URL and (for TURN) credentials. */
static int parse_ice(JsonNode *n, struct rg_auth_ice_server *out, char *err, size_t errlen)
{
	JsonObject *o;
	JsonNode *urls;
	JsonArray *a;
	JsonNode *first;
	int rc;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return fail(err, errlen, CORE_ERR_BAD_FORMAT, "an ICE server is not an object");
	o = json_node_get_object(n);
	urls = json_object_get_member(o, "urls");
	if (urls == NULL || !JSON_NODE_HOLDS_ARRAY(urls) ||
	    json_array_get_length(a = json_node_get_array(urls)) == 0)
		return fail(err, errlen, CORE_ERR_BAD_FORMAT, "\"urls\" must be a list of URLs");
	first = json_array_get_element(a, 0);
	if (!JSON_NODE_HOLDS_VALUE(first) || json_node_get_value_type(first) != G_TYPE_STRING ||
	    !g_utf8_validate(json_node_get_string(first), -1, NULL))
		return fail(err, errlen, CORE_ERR_BAD_FORMAT, "\"urls\" must be a list of URLs");
	out->url = g_strdup(json_node_get_string(first));
	if ((rc = copy_field(o, "username", false, &out->username, err, errlen)) != CORE_OK ||
	    (rc = copy_field(o, "credential", false, &out->credential, err, errlen)) != CORE_OK ||
	    (rc = copy_field(o, "fingerprint", false, &out->fingerprint, err, errlen)) != CORE_OK)
		return rc;
	if ((out->username == NULL) != (out->credential == NULL))
		return fail(err, errlen, CORE_ERR_BAD_FORMAT,
			    "an ICE server has a username without a credential or the reverse");
	return CORE_OK;
}

int rg_auth_session_parse(const char *body, size_t len, bool registration,
			  struct rg_auth_session *out, char *err, size_t errlen)
{
	JsonParser *p = NULL;
	JsonObject *o;
	JsonNode *ice;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (len > RG_AUTH_MAX_RESPONSE || (o = rg_authjson_object(body, len, &p)) == NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "the response is not a JSON object");
		goto out;
	}
	if ((rc = copy_field(o, "access_token", true, &out->access_token, err, errlen)) !=
		    CORE_OK ||
	    (rc = copy_field(o, "refresh_token", true, &out->refresh_token, err, errlen)) !=
		    CORE_OK)
		goto out;
	if (rg_authjson_int(o, "expires_in", &out->expires_in) != CORE_OK || out->expires_in <= 0) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT,
			  "\"expires_in\" must be a positive integer");
		goto out;
	}
	if (registration &&
	    ((rc = copy_field(o, "device_id", true, &out->device_id, err, errlen)) != CORE_OK ||
	     (rc = copy_field(o, "address", true, &out->address, err, errlen)) != CORE_OK ||
	     (rc = copy_field(o, "subnet", false, &out->subnet, err, errlen)) != CORE_OK ||
	     (rc = copy_field(o, "network", false, &out->network, err, errlen)) != CORE_OK ||
	     (rc = copy_field(o, "server_url", false, &out->server_url, err, errlen)) != CORE_OK))
		goto out;
	ice = json_object_get_member(o, "ice_servers");
	if (ice != NULL && !JSON_NODE_HOLDS_NULL(ice)) {
		JsonArray *a;

		if (!JSON_NODE_HOLDS_ARRAY(ice)) {
			rc = fail(err, errlen, CORE_ERR_BAD_FORMAT,
				  "\"ice_servers\" must be a list");
			goto out;
		}
		a = json_node_get_array(ice);
		for (guint i = 0; i < json_array_get_length(a) && i < RG_AUTH_MAX_ICE; i++) {
			rc = parse_ice(json_array_get_element(a, i), &out->ice[i], err, errlen);
			out->n_ice = i + 1;
			if (rc != CORE_OK)
				goto out;
		}
	}
	rc = CORE_OK;
out:
	if (p != NULL)
		g_object_unref(p);
	if (rc != CORE_OK)
		rg_auth_session_clear(out);
	return rc;
}

void rg_auth_session_clear(struct rg_auth_session *s)
{
	g_free(s->device_id);
	wipe_free(s->access_token);
	wipe_free(s->refresh_token);
	g_free(s->address);
	g_free(s->subnet);
	g_free(s->network);
	g_free(s->server_url);
	for (size_t i = 0; i < s->n_ice; i++) {
		g_free(s->ice[i].url);
		g_free(s->ice[i].username);
		wipe_free(s->ice[i].credential);
		g_free(s->ice[i].fingerprint);
	}
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ devices */

char *rg_auth_devices_encode(const struct rg_auth_device *d, size_t n)
{
	JsonBuilder *b = json_builder_new();
	char *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "devices");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++) {
		json_builder_begin_object(b);
		member_str(b, "device_id", d[i].device_id);
		member_str(b, "device_name", d[i].device_name);
		member_str(b, "address", d[i].address);
		json_builder_set_member_name(b, "created_at");
		json_builder_add_int_value(b, d[i].created_at);
		json_builder_set_member_name(b, "last_seen_at");
		if (d[i].last_seen_at != 0)
			json_builder_add_int_value(b, d[i].last_seen_at);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "revoked");
		json_builder_add_boolean_value(b, d[i].revoked);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	text = rg_authjson_finish(b);
	g_object_unref(b);
	return text;
}

static int parse_device(JsonNode *n, struct rg_auth_device *d, char *err, size_t errlen)
{
	JsonObject *o;
	int rc;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return fail(err, errlen, CORE_ERR_BAD_FORMAT, "a device is not an object");
	o = json_node_get_object(n);
	if ((rc = copy_field(o, "device_id", true, &d->device_id, err, errlen)) != CORE_OK ||
	    (rc = copy_field(o, "device_name", true, &d->device_name, err, errlen)) != CORE_OK ||
	    (rc = copy_field(o, "address", false, &d->address, err, errlen)) != CORE_OK)
		return rc;
	if (rg_authjson_int(o, "created_at", &d->created_at) != CORE_OK ||
	    rg_authjson_int(o, "last_seen_at", &d->last_seen_at) == CORE_ERR_BAD_FORMAT ||
	    rg_authjson_bool(o, "revoked", &d->revoked) == CORE_ERR_BAD_FORMAT)
		return fail(err, errlen, CORE_ERR_BAD_FORMAT,
			    "a device's created_at, last_seen_at or revoked is mistyped");
	if (d->address == NULL)
		d->address = g_strdup("");
	return CORE_OK;
}

int rg_auth_devices_parse(const char *body, size_t len, struct rg_auth_device **out, size_t *n,
			  char *err, size_t errlen)
{
	JsonParser *p = NULL;
	JsonObject *o;
	JsonNode *list;
	JsonArray *a;
	struct rg_auth_device *d = NULL;
	size_t count = 0;
	int rc = CORE_OK;

	*out = NULL;
	*n = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (len > RG_AUTH_MAX_RESPONSE || (o = rg_authjson_object(body, len, &p)) == NULL) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "the response is not a JSON object");
		goto out;
	}
	list = json_object_get_member(o, "devices");
	if (list == NULL || !JSON_NODE_HOLDS_ARRAY(list)) {
		rc = fail(err, errlen, CORE_ERR_BAD_FORMAT, "\"devices\" must be a list");
		goto out;
	}
	a = json_node_get_array(list);
	d = g_new0(struct rg_auth_device, json_array_get_length(a) + 1);
	for (guint i = 0; i < json_array_get_length(a) && rc == CORE_OK; i++) {
		rc = parse_device(json_array_get_element(a, i), &d[i], err, errlen);
		count = i + 1;
	}
out:
	if (p != NULL)
		g_object_unref(p);
	if (rc != CORE_OK) {
		rg_auth_devices_free(d, count);
		return rc;
	}
	*out = d;
	*n = count;
	return CORE_OK;
}

void rg_auth_devices_free(struct rg_auth_device *d, size_t n)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(d[i].device_id);
		g_free(d[i].device_name);
		g_free(d[i].address);
	}
	g_free(d);
}

/* ------------------------------------------------------------ errors and URLs */

char *rg_auth_error_encode(const char *reason)
{
	JsonBuilder *b = json_builder_new();
	char *text;

	json_builder_begin_object(b);
	member_str(b, "error", reason);
	json_builder_end_object(b);
	text = rg_authjson_finish(b);
	g_object_unref(b);
	return text;
}

char *rg_auth_error_parse(const char *body, size_t len)
{
	JsonParser *p = NULL;
	JsonObject *o = len <= RG_AUTH_MAX_RESPONSE ? rg_authjson_object(body, len, &p) : NULL;
	const char *v = NULL;
	char *out = NULL;

	if (o != NULL && rg_authjson_string(o, "error", &v) == CORE_OK)
		out = g_strdup(v);
	if (p != NULL)
		g_object_unref(p);
	return out;
}

int rg_auth_ice_url_parse(const char *url, char **host, uint16_t *port, bool *turn,
			  const char **transport)
{
	const char *rest, *q;
	char *hp;
	int rc;

	*host = NULL;
	*port = 0;
	*transport = "udp";
	if (g_str_has_prefix(url, "ws://") || g_str_has_prefix(url, "wss://")) {
		/* TURN over WebSocket (the Worker's /turn): the URL as it is */
		GUri *u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
		bool tls = g_str_has_prefix(url, "wss:");

		if (u == NULL || g_uri_get_host(u) == NULL || g_uri_get_host(u)[0] == '\0' ||
		    g_uri_get_query(u) != NULL || g_uri_get_userinfo(u) != NULL) {
			if (u != NULL)
				g_uri_unref(u);
			return CORE_ERR_BAD_FORMAT;
		}
		*host = g_strdup(g_uri_get_host(u));
		*port = g_uri_get_port(u) > 0 ? (uint16_t)g_uri_get_port(u) : tls ? 443 : 80;
		*turn = true;
		*transport = tls ? "wss" : "ws";
		g_uri_unref(u);
		return CORE_OK;
	}
	if (g_str_has_prefix(url, "stun:")) {
		*turn = false;
		rest = url + 5;
	} else if (g_str_has_prefix(url, "turn:")) {
		*turn = true;
		rest = url + 5;
	} else if (g_str_has_prefix(url, "turns:")) {
		*turn = true;
		*transport = "tls";
		rest = url + 6;
	} else {
		return CORE_ERR_BAD_FORMAT;
	}
	q = strchr(rest, '?');
	if (q != NULL) {
		if (!*turn)
			return CORE_ERR_BAD_FORMAT;
		if (strcmp(q, "?transport=tcp") == 0)
			*transport = strcmp(*transport, "tls") == 0 ? "tls" : "tcp";
		else if (strcmp(q, "?transport=udp") != 0 || strcmp(*transport, "tls") == 0)
			return CORE_ERR_BAD_FORMAT;
	}
	hp = g_strndup(rest, q != NULL ? (size_t)(q - rest) : strlen(rest));
	rc = core_addr_split_host_port(hp, host, port);
	g_free(hp);
	if (rc != CORE_OK || *port == 0) {
		g_clear_pointer(host, g_free);
		return CORE_ERR_BAD_FORMAT;
	}
	return CORE_OK;
}
