/*
 * report.c - the agent's status document, served at GET /status
 * (rg_agent_status_json; fields in docs/protocol/agent.md).
 */
#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "core/clock.h"
#include "rift/agent/agent-int.h"
#include "rift/agent/dcbind.h"
#include "rift/wgup/runner.h"

static void add_strv(JsonBuilder *b, const char *name, char **v)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_builder_add_string_value(b, v[i]);
	json_builder_end_array(b);
}

static const char *peer_state(const struct agent_peer *p)
{
	const struct agent_conn *c = p->conn;

	if (c == NULL)
		return p->listed ? "waiting" : "offline";
	if (c->link != 0 && c->state == RG_PC_CONNECTED)
		return p->restart_at_us != 0 ? "restarting" : "connected";
	if (c->state == RG_PC_DISCONNECTED || p->restart_at_us != 0)
		return "restarting";
	if (c->state == RG_PC_FAILED)
		return "failed";
	return "connecting";
}

static void add_peer(JsonBuilder *b, struct rg_agent *a, struct agent_peer *p)
{
	struct rg_dcbind_link_info li = { 0 };
	struct rg_wg_peer_info wi = { 0 };
	struct rg_ice_rx_counts bx = { 0 };
	const struct agent_conn *c = p->conn;

	if (p->wg != NULL)
		rg_wg_peer_info(p->wg, &wi);
	if (c != NULL && c->link != 0)
		rg_dcbind_link_info(a->bind, c->link, &li);
	if (c != NULL && c->pc != NULL)
		rg_pc_batch_rx_counts(c->pc, &bx);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, p->name);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, p->address_text != NULL ? p->address_text : "");
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, peer_state(p));
	json_builder_set_member_name(b, "ice_type");
	json_builder_add_string_value(b, c != NULL && c->pair_type[0] ? c->pair_type : "");
	json_builder_set_member_name(b, "ice_local");
	json_builder_add_string_value(b, c != NULL ? c->local_type : "");
	json_builder_set_member_name(b, "ice_remote");
	json_builder_add_string_value(b, c != NULL ? c->remote_type : "");
	json_builder_set_member_name(b, "endpoint");
	json_builder_add_string_value(b, c != NULL ? c->remote_address : "");
	json_builder_set_member_name(b, "rtt_ms");
	json_builder_add_int_value(b, c != NULL && c->dc != NULL ? rg_dc_rtt_ms(c->dc) : -1);
	json_builder_set_member_name(b, "transport");
	json_builder_add_string_value(b, c == NULL || c->link == 0 ? ""
					 : li.direct		   ? "ice"
								   : "channel");
	json_builder_set_member_name(b, "path");
	json_builder_add_string_value(b, c == NULL || c->pair_type[0] == '\0' ? ""
					 : strcmp(c->pair_type, "relay") == 0 ? "relayed"
									      : "direct");
	add_strv(b, "routes", p->advertised);
	json_builder_set_member_name(b, "accepted_routes");
	json_builder_begin_array(b);
	for (guint i = 0; i < p->routes->len; i++) {
		const struct rg_wg_prefix *r = &g_array_index(p->routes, struct rg_wg_prefix, i);
		char text[INET6_ADDRSTRLEN + 8];

		inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, text, sizeof(text));
		g_snprintf(text + strlen(text), 8, "/%u", r->len);
		json_builder_add_string_value(b, text);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "connected_since");
	json_builder_add_int_value(b, p->connected_since_unix);
	json_builder_set_member_name(b, "restarts");
	json_builder_add_int_value(b, p->restarts);
	json_builder_set_member_name(b, "rx_bytes");
	json_builder_add_int_value(b, (gint64)wi.rx_bytes);
	json_builder_set_member_name(b, "tx_bytes");
	json_builder_add_int_value(b, (gint64)wi.tx_bytes);
	json_builder_set_member_name(b, "last_handshake");
	json_builder_add_int_value(b, wi.last_handshake_s);
	json_builder_set_member_name(b, "dropped");
	json_builder_add_int_value(b, (gint64)li.dropped_full);
	json_builder_set_member_name(b, "rx_batched");
	json_builder_add_int_value(b, (gint64)bx.datagrams);
	json_builder_set_member_name(b, "rx_batch_messages");
	json_builder_add_int_value(b, (gint64)bx.messages);
	json_builder_end_object(b);
}

static gint by_name(gconstpointer x, gconstpointer y)
{
	const struct agent_peer *a = *(struct agent_peer *const *)x;
	const struct agent_peer *b = *(struct agent_peer *const *)y;

	return strcmp(a->name, b->name);
}

char *rg_agent_status_json(struct rg_agent *a)
{
	JsonBuilder *b = json_builder_new();
	GPtrArray *all = agent_peers(a);
	JsonNode *root;
	char *text;

	g_ptr_array_sort(all, by_name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "device");
	json_builder_add_string_value(b, a->conf->name);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, a->conf->address_text);
	json_builder_set_member_name(b, "interface");
	json_builder_add_string_value(b, rg_wg_runner_ifname(a->runner));
	json_builder_set_member_name(b, "public_key");
	json_builder_add_string_value(b, a->public_b64);
	add_strv(b, "routes", a->conf->routes);
	json_builder_set_member_name(b, "server_url");
	json_builder_add_string_value(b, a->conf->url);
	json_builder_set_member_name(b, "server_connected");
	json_builder_add_boolean_value(b, a->sig_connected);
	json_builder_set_member_name(b, "uptime_seconds");
	json_builder_add_int_value(b, (core_time_now_us() - a->started_us) / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "peers");
	json_builder_begin_array(b);
	for (guint i = 0; i < all->len; i++)
		add_peer(b, a, g_ptr_array_index(all, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	g_ptr_array_unref(all);
	return text;
}
