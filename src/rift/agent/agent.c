/*
 * agent.c - the agent (contract in agent.h): start-up and shut-down, the
 * signaling client, the table of peers, the liveness tick and the status
 * document. Each peer's own life is in peer.c.
 */
#include "rift/agent/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <malloc.h>
#include <netdb.h>
#include <sodium.h>
#include <string.h>

#include "core/addr.h"
#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/tlspin.h"
#include "core/log.h"
#include "rift/agent/agent-int.h"
#include "rift/agent/cand.h"
#include "rift/agent/control.h"
#include "rift/agent/dcbind.h"
#include "rift/agent/routes.h"
#include "rift/tun/gateway.h"
#include "rift/tun/ifaddr.h"
#include "rift/tun/netwatch.h"
#include "rift/wgup/runner.h"

/* ------------------------------------------------------------ helpers for peer.c */

int agent_signal(struct rg_agent *a, struct rg_sig_msg *m)
{
	if (!a->sig_connected)
		return CORE_ERR_CLOSED;
	return rg_sig_client_send(a->sig, m);
}

struct rg_wg_device *agent_device(struct rg_agent *a)
{
	return rg_wg_runner_device(a->runner);
}

void agent_device_kick(struct rg_agent *a)
{
	rg_wg_runner_kick(a->runner);
}

void agent_ice_config(struct rg_agent *a, struct rg_ice_config *ice, bool controlling)
{
	memset(ice, 0, sizeof(*ice));
	ice->controlling = controlling;
	ice->stun_host = a->stun_host;
	ice->stun_port = a->conf->stun_port;
	ice->turn = a->n_turn > 0 ? &a->turn : NULL;
	ice->n_turn = a->n_turn;
	ice->relay_only = a->conf->relay_only;
}

GArray *agent_accepted_routes(struct rg_agent *a, const char *peer, char **advertised)
{
	const struct rg_agent_conf_peer *cp = rg_agent_conf_peer(a->conf, peer);
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	GArray *ifaddrs = NULL, *locals = g_array_new(FALSE, FALSE, sizeof(struct rg_route_local));
	struct rg_route_policy policy = { .tunnel = a->conf->address,
					  .exit_node = a->conf->exit_node };
	struct rg_route_set set = { 0 };
	struct rg_nl *nl = NULL;
	GError *e = NULL;

	if (advertised[0] == NULL)
		goto out;
	if (cp == NULL) {
		core_log_info("agent", peer,
			      "it advertises routes; accept them with [peer.%s] accept-routes",
			      peer);
		goto out;
	}
	/* our interfaces now: a peer's route must not cover a subnet of ours */
	if (rg_nl_open(&nl) != CORE_OK || rg_ifaddr_list(nl, &ifaddrs, &e) != CORE_OK) {
		core_log_warn("agent", peer, "not routing its routes: %s",
			      e != NULL ? e->message : g_strerror(errno));
		goto out;
	}
	for (guint i = 0; i < ifaddrs->len; i++) {
		const struct rg_ifaddr *ia = &g_array_index(ifaddrs, struct rg_ifaddr, i);
		struct rg_route_local l = { ia->ifname, ia->prefix };

		if (ia->prefix.family != 0 && !ia->loopback &&
		    strcmp(ia->ifname, rg_wg_runner_ifname(a->runner)) != 0)
			g_array_append_val(locals, l);
	}
	policy.local = (const struct rg_route_local *)(void *)locals->data;
	policy.n_local = locals->len;
	rg_route_accept((const char *const *)advertised,
			cp->accept_all ? NULL : (const char *const *)cp->accept, &policy, &set);
	for (size_t i = 0; set.refused[i] != NULL; i++)
		core_log_warn("agent", peer, "%s", set.refused[i]);
	g_array_append_vals(out, set.routes, set.n_routes);
	rg_route_set_clear(&set);
out:
	if (ifaddrs != NULL)
		g_array_free(ifaddrs, TRUE);
	g_array_free(locals, TRUE);
	rg_nl_close(nl);
	g_clear_error(&e);
	return out;
}

bool agent_candidate_usable(struct rg_agent *a, const char *line)
{
	GArray *carried = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	struct rg_wg_prefix addr, tunnel = a->conf->address;
	GHashTableIter it;
	gpointer v;
	bool ok;

	if (!rg_agent_candidate_address(line, &addr))
		return true; /* a name, or nothing libnice will use: its business */
	g_array_append_val(carried, tunnel);
	g_hash_table_iter_init(&it, a->peers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct agent_peer *p = v;

		g_array_append_vals(carried, p->routes->data, p->routes->len);
	}
	ok = !rg_agent_prefixes_hold((struct rg_wg_prefix *)(void *)carried->data, carried->len,
				     &addr);
	g_array_free(carried, TRUE);
	return ok;
}

/* ------------------------------------------------------------ signaling */

static struct agent_peer *peer_get(struct rg_agent *a, const char *name, bool create)
{
	struct agent_peer *p = g_hash_table_lookup(a->peers, name);

	if (p == NULL && create && strcmp(name, a->conf->name) != 0) {
		p = agent_peer_new(a, name);
		g_hash_table_insert(a->peers, p->name, p);
	}
	return p;
}

static void on_peers(struct rg_agent *a, const struct rg_sig_msg *m)
{
	bool first = !a->sig_listed;
	GHashTableIter it;
	gpointer v;

	a->sig_listed = true;
	for (size_t i = 0; i < m->n_peers; i++) {
		struct agent_peer *p = peer_get(a, m->peers[i].peer_id, true);

		if (p != NULL) /* ourselves (a server may list us after a hibernation) */
			agent_peer_listed(p, &m->peers[i]);
	}
	if (!first)
		return;
	core_log_info("agent", a->conf->name, "joined: %zu other device%s online", m->n_peers,
		      m->n_peers == 1 ? "" : "s");
	g_hash_table_iter_init(&it, a->peers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		agent_peer_signaling_back(v);
}

static void on_sig_message(struct rg_sig_client *c, const struct rg_sig_msg *m, void *data)
{
	struct rg_agent *a = data;
	struct agent_peer *p;
	char esc[CORE_LOG_ESC_SHORT];

	switch (m->type) {
	case RG_SIG_PEERS:
		on_peers(a, m);
		return;
	case RG_SIG_PEER_LEFT:
		p = peer_get(a, m->peer_id, false);
		if (p != NULL && agent_peer_left(p)) {
			core_log_info("agent", p->name, "left");
			g_hash_table_remove(a->peers, p->name);
		}
		return;
	case RG_SIG_OFFER:
	case RG_SIG_ANSWER:
	case RG_SIG_ICE_CANDIDATE:
		break;
	default:
		core_log_warn("agent", a->conf->name, "ignoring a %s message from the server",
			      rg_sig_type_name(m->type));
		return;
	}
	if (strcmp(m->to, a->conf->name) != 0 || strcmp(m->from, a->conf->name) == 0) {
		core_log_warn("agent", a->conf->name, "ignoring a %s addressed to \"%s\"",
			      rg_sig_type_name(m->type),
			      core_log_escape(esc, sizeof(esc), m->to, strlen(m->to)));
		return;
	}
	/* an answer or candidate only for a peer we know; an offer may come first */
	p = peer_get(a, m->from, m->type == RG_SIG_OFFER);
	if (p == NULL) {
		core_log_info("agent", a->conf->name, "a %s from unknown \"%s\": ignored",
			      rg_sig_type_name(m->type),
			      core_log_escape(esc, sizeof(esc), m->from, strlen(m->from)));
		return;
	}
	if (m->type == RG_SIG_OFFER)
		agent_peer_offer(p, m->sdp, m->public_key);
	else if (m->type == RG_SIG_ANSWER)
		agent_peer_answer(p, m->sdp, m->public_key);
	else
		agent_peer_candidate(p, m->candidate);
}

static gboolean sig_retry_cb(gpointer data)
{
	struct rg_agent *a = data;

	a->sig_retry = 0;
	core_log_info("agent", a->conf->name, "trying signaling again");
	rg_sig_client_reconnect(a->sig);
	return G_SOURCE_REMOVE;
}

static void on_sig_state(struct rg_sig_client *c, enum rg_sig_client_state st, const char *reason,
			 void *data)
{
	struct rg_agent *a = data;

	a->sig_connected = st == RG_SIG_CLIENT_CONNECTED;
	a->sig_listed = false;
	if (st == RG_SIG_CLIENT_CONNECTED) {
		a->sig_ever = true;
		/* what the TLS handshake freed goes back to the system */
		malloc_trim(0);
		return;
	}
	if (st != RG_SIG_CLIENT_FAILED)
		return;
	if (!a->sig_ever) {
		/* never joined: a configuration error more likely than an outage */
		char *why = g_strdup_printf("signaling: %s", reason);

		a->fatal(a->fatal_data, why);
		g_free(why);
		return;
	}
	/* tunnels keep working without it; try again later, forever */
	core_log_warn("agent", a->conf->name, "signaling gave up (%s); again in %u s", reason,
		      AGENT_SIG_RETRY_MS / 1000);
	core_source_clear(&a->sig_retry);
	a->sig_retry = g_timeout_add(AGENT_SIG_RETRY_MS, sig_retry_cb, a);
}

/*
 * With the server pinned and no TURN server over TLS, nothing in the agent
 * needs the system's trust store; GIO would still decode all of it (about
 * 150 CA certificates, 4-6 MiB of heap for the process's life) when the
 * first TLS connection is made, whatever database is set on it afterwards.
 * Make the pin the process's default database instead.
 */
static void pin_default_database(struct rg_agent *a)
{
	uint8_t fp[CORE_TLS_FP_LEN];
	GTlsDatabase *db;

	if (a->conf->fingerprint == NULL ||
	    (a->n_turn > 0 && a->turn.transport == RG_ICE_TURN_TLS) ||
	    core_tls_fingerprint_parse(a->conf->fingerprint, fp) != CORE_OK)
		return;
	db = core_tls_pin_database_new(fp);
	g_tls_backend_set_default_database(g_tls_backend_get_default(), db);
	g_object_unref(db);
}

static int start_signaling(struct rg_agent *a)
{
	struct rg_sig_client_callbacks cb = { on_sig_message, on_sig_state };
	char *meta_keys[] = { "session", NULL }, *meta_values[] = { a->session, NULL };
	struct rg_sig_peer self = {
		.peer_id = a->conf->name,
		.public_key = a->public_b64,
		.address = a->conf->address_text,
		.routes = a->conf->routes[0] != NULL ? a->conf->routes : NULL,
		.meta_keys = meta_keys,
		.meta_values = meta_values,
	};
	struct rg_sig_client_config cfg = {
		.url = a->conf->url,
		.token = a->conf->token,
		.pin = a->conf->fingerprint,
		.self = &self,
		/* after a NAT's mappings are lost, the next frame out opens ours again: until
		 * then the server's messages to us (a peer's restart offer) are dropped */
		.ping_interval_s = AGENT_SIG_PING_S,
	};

	pin_default_database(a);
	a->sig = rg_sig_client_new(&cfg, &cb, a);
	return CORE_OK;
}

void agent_signaling_recheck(struct rg_agent *a, const char *peer)
{
	int64_t now = core_time_now_us();

	if (a->sig_rechecked_us != 0 && now - a->sig_rechecked_us < AGENT_SIG_RECHECK_US)
		return;
	a->sig_rechecked_us = now;
	core_log_info("agent", a->conf->name,
		      "the path to %s died: reconnecting to signaling too, in case it died as well",
		      peer);
	a->sig_connected = a->sig_listed = false;
	rg_sig_client_reconnect(a->sig);
}

/* ------------------------------------------------------------ ticks and events */

/* The peers, in an array (the table may change while they are visited). */
static GPtrArray *all_peers(struct rg_agent *a)
{
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, a->peers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(all, v);
	return all;
}

static gboolean tick_cb(gpointer data)
{
	struct rg_agent *a = data;
	int64_t now = core_time_now_us();
	GPtrArray *all = all_peers(a);

	for (guint i = 0; i < all->len; i++) {
		struct agent_peer *p = g_ptr_array_index(all, i);

		if (!agent_peer_tick(p, now)) {
			core_log_info("agent", p->name, "left, and its tunnel is down: removed");
			g_hash_table_remove(a->peers, p->name);
		}
	}
	g_ptr_array_unref(all);
	return G_SOURCE_CONTINUE;
}

/* The machine's addresses or default routes changed: every path may be gone. */
static void on_network_change(void *data, const char *why)
{
	struct rg_agent *a = data;
	GHashTableIter it;
	gpointer v;

	core_log_info("agent", a->conf->name, "the network changed (%s): restarting every path",
		      why);
	g_hash_table_iter_init(&it, a->peers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		agent_peer_restart(v, "the network changed");
	/* the signaling connection may be on an address that is gone too */
	rg_sig_client_reconnect(a->sig);
}

/* ------------------------------------------------------------ start and stop */

/* A host name or address to a numeric address (IPv4 first). NULL with *error. */
static char *resolve(const char *what, const char *host, GError **error)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL, *r;
	char text[INET6_ADDRSTRLEN];
	char *out = NULL;
	int gai = getaddrinfo(host, NULL, &hints, &res);

	if (gai != 0) {
		core_err_to_gerror(error, CORE_ERR_NOT_FOUND, "cannot resolve the %s server %s: %s",
				   what, host, gai_strerror(gai));
		return NULL;
	}
	for (int pass = 0; pass < 2 && out == NULL; pass++)
		for (r = res; r != NULL && out == NULL; r = r->ai_next) {
			int fam = r->ai_family;
			const void *addr =
				fam == AF_INET ? (const void *)&((struct sockaddr_in *)r->ai_addr)
							 ->sin_addr
					       : (const void *)&((struct sockaddr_in6 *)r->ai_addr)
							 ->sin6_addr;

			if ((pass == 0) != (fam == AF_INET))
				continue;
			if (inet_ntop(fam, addr, text, sizeof(text)) != NULL)
				out = g_strdup(text);
		}
	freeaddrinfo(res);
	if (out == NULL)
		core_err_to_gerror(error, CORE_ERR_NOT_FOUND, "the %s server %s has no address",
				   what, host);
	return out;
}

static int resolve_servers(struct rg_agent *a, GError **error)
{
	const struct rg_agent_conf *c = a->conf;
	static const enum rg_ice_relay relays[] = { RG_ICE_TURN_UDP, RG_ICE_TURN_TCP,
						    RG_ICE_TURN_TLS };

	if (c->stun_host != NULL && (a->stun_host = resolve("STUN", c->stun_host, error)) == NULL)
		return CORE_ERR_NOT_FOUND;
	if (c->turn_host == NULL)
		return CORE_OK;
	if ((a->turn_host = resolve("TURN", c->turn_host, error)) == NULL)
		return CORE_ERR_NOT_FOUND;
	a->turn.host = a->turn_host;
	a->turn.port = c->turn_port;
	a->turn.username = c->turn_user;
	a->turn.password = c->turn_password;
	a->turn.transport = relays[c->turn_transport];
	a->turn.tls_name = c->turn_host; /* verified against the system's CAs */
	a->n_turn = 1;
	return CORE_OK;
}

static gboolean gw_watchdog_cb(gpointer data)
{
	struct rg_agent *a = data;
	GError *e = NULL;

	if (rg_gw_watchdog(a->gw, &e) != CORE_OK) {
		core_log_warn("agent", a->conf->name, "gateway: %s", e->message);
		g_error_free(e);
	}
	return G_SOURCE_CONTINUE;
}

/*
 * What a crashed earlier run left (forwarding, the masquerade table) goes
 * first; then, when this device advertises routes, the gateway. Its failure
 * is logged, not fatal: the tunnel between peers works without it.
 */
static void start_gateway(struct rg_agent *a)
{
	const struct rg_agent_conf *c = a->conf;
	GArray *routes = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	struct rg_gw_config gc = { .tun = rg_wg_runner_ifname(a->runner),
				   .tunnel = c->address,
				   .state_path = a->gw_state };
	GError *e = NULL;

	if (rg_gw_cleanup(a->gw_state, NULL, &e) != CORE_OK) {
		core_log_warn("agent", c->name, "cleaning up after an earlier run: %s", e->message);
		g_clear_error(&e);
	}
	for (size_t i = 0; c->routes[i] != NULL; i++) {
		struct rg_wg_prefix p;

		/* validated with the configuration: it parses */
		if (rg_wg_prefix_parse(c->routes[i], &p))
			g_array_append_val(routes, p);
	}
	if (routes->len == 0)
		goto out;
	gc.routes = (const struct rg_wg_prefix *)(void *)routes->data;
	gc.n_routes = routes->len;
	if (rg_gw_start(&a->gw, &gc, &e) != CORE_OK) {
		core_log_error("agent", c->name, "no gateway for the advertised routes: %s",
			       e->message);
		g_error_free(e);
		goto out;
	}
	a->gw_watchdog = g_timeout_add_seconds(RG_GW_WATCHDOG_S, gw_watchdog_cb, a);
out:
	g_array_free(routes, TRUE);
}

static char *control_handler(void *data, const char *path)
{
	struct rg_agent *a = data;

	if (strcmp(path, "/status") == 0)
		return rg_agent_status_json(a);
	return NULL;
}

int rg_agent_new(struct rg_agent **out, struct rg_agent_conf *conf, rg_agent_fatal_fn fatal,
		 void *data, GError **error)
{
	struct rg_agent *a = g_new0(struct rg_agent, 1);
	struct rg_wg_runner_config rc = { 0 };
	uint8_t id[8];
	int ret;

	*out = NULL;
	a->conf = conf;
	a->fatal = fatal;
	a->fatal_data = data;
	a->started_us = core_time_now_us();
	a->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 (GDestroyNotify)agent_peer_free);
	randombytes_buf(id, sizeof(id));
	for (size_t i = 0; i < sizeof(id); i++)
		g_snprintf(a->session + 2 * i, 3, "%02x", id[i]);
	if ((ret = rg_wg_key_public(a->public_key, conf->private_key)) != CORE_OK) {
		core_err_to_gerror(error, ret, "the private key has no usable public key");
		goto out;
	}
	rg_wg_key_to_base64(a->public_key, a->public_b64);
	if ((ret = resolve_servers(a, error)) != CORE_OK)
		goto out;
	rc.ifname = conf->ifname;
	rc.mtu = conf->mtu;
	rc.private_key = conf->private_key;
	rc.addresses = &conf->address;
	rc.n_addresses = 1;
	a->bind = rg_dcbind_new();
	ret = rg_wg_runner_new(&a->runner, &rc, a->bind, error);
	if (ret != CORE_OK) {
		a->bind = NULL; /* the runner freed it */
		goto out;
	}
	{
		char *dir = g_path_get_dirname(conf->control);

		a->gw_state = g_strdup_printf("%s/%s.gateway", dir, rg_wg_runner_ifname(a->runner));
		g_free(dir);
	}
	ret = rg_agent_control_new(&a->control, conf->control, control_handler, a, error);
	if (ret != CORE_OK)
		goto out;
	start_gateway(a); /* its state file goes beside the control socket */
	ret = rg_netwatch_new(&a->netwatch, rg_tun_ifindex(rg_wg_runner_tun(a->runner)),
			      on_network_change, a, error);
	if (ret != CORE_OK)
		goto out;
	start_signaling(a);
	a->tick = g_timeout_add(AGENT_TICK_MS, tick_cb, a);
	core_log_info("agent", conf->name, "up on %s as %s, public key %s, session %s",
		      rg_wg_runner_ifname(a->runner), conf->address_text, a->public_b64,
		      a->session);
	*out = a;
	a = NULL;
out:
	if (a != NULL)
		rg_agent_free(a);
	return ret;
}

void rg_agent_free(struct rg_agent *a)
{
	if (a == NULL)
		return;
	core_source_clear(&a->tick);
	core_source_clear(&a->sig_retry);
	rg_agent_control_free(a->control);
	rg_netwatch_free(a->netwatch);
	rg_sig_client_free(a->sig);
	/* every peer in the reference's order, then the interface */
	g_hash_table_destroy(a->peers);
	core_defer_flush();
	core_source_clear(&a->gw_watchdog);
	rg_gw_free(a->gw);
	rg_wg_runner_free(a->runner);
	g_free(a->gw_state);
	g_free(a->stun_host);
	g_free(a->turn_host);
	rg_agent_conf_free(a->conf);
	core_wipe(a, sizeof(*a));
	g_free(a);
}

/* ------------------------------------------------------------ status */

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
	const struct agent_conn *c = p->conn;

	if (p->wg != NULL)
		rg_wg_peer_info(p->wg, &wi);
	if (c != NULL && c->link != 0)
		rg_dcbind_link_info(a->bind, c->link, &li);
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
	GPtrArray *all = all_peers(a);
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
