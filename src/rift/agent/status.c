/* status.c - the status document for people (contract in status.h). */
#include "rift/agent/status.h"

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <string.h>

#include "core/err.h"

#define STATUS_COLUMNS 13

const char *rg_agent_duration(int64_t s, char *out, size_t outlen)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		g_snprintf(out, outlen, "%" G_GINT64_FORMAT "s", s);
	else if (s < 3600)
		g_snprintf(out, outlen, "%" G_GINT64_FORMAT "m%" G_GINT64_FORMAT "s", s / 60,
			   s % 60);
	else
		g_snprintf(out, outlen, "%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", s / 3600,
			   s / 60 % 60);
	return out;
}

static char *bytes_text(int64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned u = 0;

	if (n < 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " B", n);
	while (v >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
		v /= 1024;
		u++;
	}
	return g_strdup_printf("%.1f %s", v, units[u]);
}

static const char *str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return "";
	return json_node_get_string(n);
}

static int64_t num(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(n);
}

/* "a, b" of an array of strings, or dflt when empty or absent. */
static char *list(JsonObject *o, const char *name, const char *dflt)
{
	JsonNode *n = json_object_get_member(o, name);
	GString *s = g_string_new(NULL);
	JsonArray *a;

	if (n != NULL && JSON_NODE_HOLDS_ARRAY(n)) {
		a = json_node_get_array(n);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *e = json_array_get_element(a, i);

			if (!JSON_NODE_HOLDS_VALUE(e) ||
			    json_node_get_value_type(e) != G_TYPE_STRING)
				continue;
			g_string_append_printf(s, "%s%s", s->len > 0 ? "," : "",
					       json_node_get_string(e));
		}
	}
	if (s->len == 0)
		g_string_append(s, dflt);
	return g_string_free(s, FALSE);
}

static char *ago(int64_t then, int64_t now)
{
	char d[32];

	if (then <= 0)
		return g_strdup("-");
	return g_strdup_printf("%s ago", rg_agent_duration(now - then, d, sizeof(d)));
}

/* The channel's round-trip time: "<1 ms", "23 ms", or "-" when unknown. */
static char *rtt_text(JsonObject *p)
{
	JsonNode *n = json_object_get_member(p, "rtt_ms");
	int64_t ms = n != NULL && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_int(n) : -1;

	if (n == NULL || ms < 0 || *str(p, "path") == '\0')
		return g_strdup("-");
	return ms == 0 ? g_strdup("<1 ms") : g_strdup_printf("%" G_GINT64_FORMAT " ms", ms);
}

/* One row of cells (g_free each) for a peer. */
static void peer_row(JsonObject *p, int64_t now, char **cells)
{
	const char *type = str(p, "ice_type"), *path = str(p, "path");

	cells[0] = g_strdup(str(p, "id"));
	cells[1] = g_strdup(*str(p, "address") ? str(p, "address") : "-");
	cells[2] = g_strdup(str(p, "state"));
	cells[3] = g_strdup(*type ? type : "-");
	cells[4] = g_strdup(*path ? path : "-");
	cells[5] = g_strdup(*str(p, "transport") ? str(p, "transport") : "-");
	cells[6] = rtt_text(p);
	cells[7] = bytes_text(num(p, "rx_bytes"));
	cells[8] = bytes_text(num(p, "tx_bytes"));
	cells[9] = ago(num(p, "last_handshake"), now);
	cells[10] = list(p, "accepted_routes", "-");
	cells[11] = ago(num(p, "connected_since"), now);
	cells[12] = NULL;
}

static void table(GString *out, GPtrArray *rows)
{
	size_t width[STATUS_COLUMNS] = { 0 };

	for (guint r = 0; r < rows->len; r++) {
		char **cells = g_ptr_array_index(rows, r);

		for (size_t c = 0; cells[c] != NULL; c++)
			width[c] = MAX(width[c], strlen(cells[c]));
	}
	for (guint r = 0; r < rows->len; r++) {
		char **cells = g_ptr_array_index(rows, r);

		for (size_t c = 0; cells[c] != NULL; c++) {
			if (cells[c + 1] == NULL)
				g_string_append_printf(out, "%s\n", cells[c]);
			else
				g_string_append_printf(out, "%-*s  ", (int)width[c], cells[c]);
		}
	}
}

static void header(GString *out, JsonObject *o, int64_t now)
{
	char *routes = list(o, "routes", "none"), d[32];
	JsonNode *conn = json_object_get_member(o, "server_connected");
	bool up = conn != NULL && JSON_NODE_HOLDS_VALUE(conn) &&
		  json_node_get_value_type(conn) == G_TYPE_BOOLEAN && json_node_get_boolean(conn);

	g_string_append_printf(out, "Device:   %s\n", str(o, "device"));
	g_string_append_printf(out, "Address:  %s\n", str(o, "address"));
	g_string_append_printf(out, "Routes:   %s\n", routes);
	g_string_append_printf(out, "Server:   %s (%s)\n", str(o, "server_url"),
			       up ? "connected" : "not connected");
	g_string_append_printf(out, "Uptime:   %s\n",
			       rg_agent_duration(num(o, "uptime_seconds"), d, sizeof(d)));
	g_free(routes);
}

char *rg_agent_status_format(const char *json, int64_t now, GError **error)
{
	static const char *const titles[] = { "PEER", "ADDRESS",   "STATE",  "ICE TYPE",
					      "PATH", "VIA",	   "RTT",    "RX",
					      "TX",   "HANDSHAKE", "ROUTES", "CONNECTED",
					      NULL };
	JsonParser *parser = json_parser_new();
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	JsonNode *root, *peers;
	JsonObject *o;
	GString *out = NULL;
	JsonArray *a;

	if (!json_parser_load_from_data(parser, json, -1, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		core_err_to_gerror(error, CORE_ERR_BAD_FORMAT, "not a status document");
		goto out;
	}
	o = json_node_get_object(root);
	peers = json_object_get_member(o, "peers");
	a = peers != NULL && JSON_NODE_HOLDS_ARRAY(peers) ? json_node_get_array(peers) : NULL;
	out = g_string_new(NULL);
	header(out, o, now);
	g_string_append_printf(out, "Peers:    %u\n\n", a != NULL ? json_array_get_length(a) : 0);
	if (a == NULL || json_array_get_length(a) == 0) {
		g_string_append(out, "No peers.\n");
		goto out;
	}
	g_ptr_array_add(rows, g_strdupv((char **)titles));
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		char **cells;

		if (!JSON_NODE_HOLDS_OBJECT(e))
			continue;
		cells = g_new0(char *, STATUS_COLUMNS);
		peer_row(json_node_get_object(e), now, cells);
		g_ptr_array_add(rows, cells);
	}
	table(out, rows);
out:
	g_ptr_array_unref(rows);
	g_object_unref(parser);
	return out != NULL ? g_string_free(out, FALSE) : NULL;
}
