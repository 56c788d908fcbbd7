/*
 * agent.c - the agent (contract in agent.h): start-up and shut-down, the
 * signaling client, the table of peers and the liveness tick. Each peer's
 * own life is in peer.c; what the tunnel carries besides (routes,
 * candidates, the gateway) in carry.c; the status document in report.c.
 */
#include "rift/agent/agent.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/tlspin.h"
#include "core/log.h"
#include "rift/agent/agent-int.h"
#include "rift/agent/control.h"
#include "rift/agent/dcbind.h"
#include "rift/agent/session.h"
#include "rift/tun/gateway.h"
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
	ice->stun_port = a->stun_port;
	ice->turn = a->n_turn > 0 ? &a->turn : NULL;
	ice->n_turn = a->n_turn;
	ice->relay_only = a->conf->relay_only;
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
		a->auth_refusals = 0;
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

/* Stop for good: the server will not take this device's credentials again. */
static void revoked(struct rg_agent *a, const char *why)
{
	char *reason = g_strdup_printf("device revoked or expired, run riftgate setup (%s)", why);

	a->revoked = true;
	a->fatal(a->fatal_data, reason);
	g_free(reason);
}

/* /connect answered 401: the access token expired (a suspend) or was revoked. */
static void on_sig_unauthorized(struct rg_sig_client *c, void *data)
{
	struct rg_agent *a = data;

	if (++a->auth_refusals > AGENT_MAX_AUTH_REFRESH) {
		revoked(a, "the server refused fresh access tokens");
		return;
	}
	core_log_info("agent", a->conf->name, "access token refused: refreshing (%u of %d)",
		      a->auth_refusals, AGENT_MAX_AUTH_REFRESH);
	rg_session_refresh(a->auth);
}

static int start_signaling(struct rg_agent *a)
{
	struct rg_sig_client_callbacks cb = { on_sig_message, on_sig_state,
					      a->auth != NULL ? on_sig_unauthorized : NULL };
	/* "wg": "direct" says we take WireGuard straight on the ICE path (agent.md) */
	char *meta_keys[] = { "session", "wg", NULL },
	     *meta_values[] = { a->session, "direct", NULL };
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
		.token = a->auth != NULL ? rg_session_token(a->auth) : a->conf->token,
		.pin = a->conf->fingerprint,
		.self = &self,
		/* after a NAT's mappings are lost, the next frame out opens ours again: until
		 * then the server's messages to us (a peer's restart offer) are dropped */
		.ping_interval_s = AGENT_SIG_PING_S,
	};

	if (!a->conf->wg_direct)
		meta_keys[1] = meta_values[1] = NULL;
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

GPtrArray *agent_peers(struct rg_agent *a)
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
	GPtrArray *all = agent_peers(a);

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
	a->stun_port = c->stun_port;
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

static void server_ice(struct rg_agent *a, const struct rg_auth_session *s)
{
	static const struct {
		const char *name;
		enum rg_ice_relay relay;
	} relays[] = { { "udp", RG_ICE_TURN_UDP },
		       { "tcp", RG_ICE_TURN_TCP },
		       { "tls", RG_ICE_TURN_TLS } };
	bool stun = a->conf->stun_host != NULL, turn = a->conf->turn_host != NULL;

	for (size_t i = 0; i < s->n_ice; i++) {
		const char *tr;
		char *host = NULL, *addr = NULL;
		GError *e = NULL;
		uint16_t port;
		bool is_turn;

		if (rg_auth_ice_url_parse(s->ice[i].url, &host, &port, &is_turn, &tr) != CORE_OK ||
		    (is_turn ? turn : stun) || (is_turn && s->ice[i].username == NULL)) {
			g_free(host);
			continue;
		}
		if ((addr = resolve(is_turn ? "TURN" : "STUN", host, &e)) == NULL) {
			core_log_warn("agent", a->conf->name, "%s", e->message);
			g_clear_error(&e);
			g_free(host);
			continue;
		}
		if (!is_turn) {
			g_free(a->stun_host);
			a->stun_host = addr;
			a->stun_port = port;
			stun = true;
			g_free(host);
			continue;
		}
		g_free(a->turn_host);
		g_free(a->srv_turn_user);
		if (a->srv_turn_pass != NULL)
			core_wipe(a->srv_turn_pass, strlen(a->srv_turn_pass));
		g_free(a->srv_turn_pass);
		g_free((char *)a->turn.tls_name);
		a->turn_host = addr;
		a->srv_turn_user = g_strdup(s->ice[i].username);
		a->srv_turn_pass = g_strdup(s->ice[i].credential);
		a->turn = (struct rg_ice_turn){ .host = a->turn_host,
						.port = port,
						.username = a->srv_turn_user,
						.password = a->srv_turn_pass,
						.tls_name = host };
		for (size_t k = 0; k < G_N_ELEMENTS(relays); k++)
			if (strcmp(relays[k].name, tr) == 0)
				a->turn.transport = relays[k].relay;
		a->n_turn = 1;
		turn = true;
	}
}

static void on_session(void *data, enum rg_session_event ev, const char *detail)
{
	struct rg_agent *a = data;

	if (ev == RG_SESSION_REVOKED) {
		revoked(a, detail);
		return;
	}
	server_ice(a, rg_session_current(a->auth));
	if (a->sig == NULL) {
		start_signaling(a);
		return;
	}
	rg_sig_client_set_token(a->sig, rg_session_token(a->auth));
	if (a->auth_refusals > 0)
		rg_sig_client_reconnect(a->sig); /* it waits since the 401 */
}

int rg_agent_exit_status(const struct rg_agent *a)
{
	return a != NULL && a->revoked ? 0 : 1;
}

static char *control_handler(void *data, const char *path)
{
	struct rg_agent *a = data;

	/* the CLI borrows the access token: a refresh of its own would void the agent's */
	if (strcmp(path, "/auth/token") == 0 && a->auth != NULL &&
	    rg_session_token(a->auth) != NULL)
		return g_strdup_printf("{\"device_id\":\"%s\",\"access_token\":\"%s\","
				       "\"expires_at\":%" G_GINT64_FORMAT "}",
				       a->conf->device_id, rg_session_token(a->auth),
				       rg_session_expires(a->auth));
	if (strcmp(path, "/auth/refresh") == 0 && a->auth != NULL) {
		rg_session_refresh(a->auth);
		return g_strdup("{\"refreshing\":true}");
	}

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
	/* as `riftgate wg up`: super-packets from the TUN, crypto on every core */
	rc.offload = true;
	rc.crypto_workers = g_get_num_processors() - 1;
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
	agent_gateway_start(a); /* its state file goes beside the control socket */
	ret = rg_netwatch_new(&a->netwatch, rg_tun_ifindex(rg_wg_runner_tun(a->runner)),
			      on_network_change, a, error);
	if (ret != CORE_OK)
		goto out;
	if (conf->refresh_token != NULL) {
		/* signaling starts with the first access token */
		struct rg_session_config sc = { conf->url,	    conf->fingerprint,
						conf->device_id,    conf->refresh_token,
						conf->secrets_path, conf->name };

		a->auth = rg_session_new(&sc, on_session, a);
	} else {
		start_signaling(a);
	}
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
	rg_session_free(a->auth);
	/* every peer in the reference's order, then the interface */
	g_hash_table_destroy(a->peers);
	core_defer_flush();
	core_source_clear(&a->gw_watchdog);
	rg_gw_free(a->gw);
	rg_wg_runner_free(a->runner);
	g_free(a->gw_state);
	g_free(a->stun_host);
	g_free(a->turn_host);
	g_free(a->srv_turn_user);
	if (a->srv_turn_pass != NULL)
		core_wipe(a->srv_turn_pass, strlen(a->srv_turn_pass));
	g_free(a->srv_turn_pass);
	if (a->turn.tls_name != a->conf->turn_host)
		g_free((char *)a->turn.tls_name);
	rg_agent_conf_free(a->conf);
	core_wipe(a, sizeof(*a));
	g_free(a);
}
