/*
 * peer.c - one remote device of the agent (internals in agent-int.h): its
 * peer connection and data channel, ICE restarts and rebuilds, and its
 * WireGuard peer with the routes accepted from it.
 *
 * The connection's life, offerer side (the answerer waits for offers):
 *
 *   listed ──> conn (offer) ──> channel open: WireGuard peer, routes
 *                 │   path dead / consent lost / network changed
 *                 └─> ICE restart (1..3) ──> traffic again: counters reset
 *                          └─ 3 failed ──> rebuild: a new connection
 *
 * A rebuild keeps the WireGuard peer (its sessions survive; the new
 * channel becomes its endpoint). Only leaving (signaling says so while
 * the path is dead) or shutting down removes it.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "rift/agent/agent-int.h"
#include "rift/agent/dcbind.h"
#include "rift/tun/tun.h"
#include "rift/wgup/runner.h"

static void conn_drop(struct agent_peer *p);

/* ------------------------------------------------------------ the WireGuard peer */

static void routes_remove(struct agent_peer *p)
{
	struct rg_tun *tun = rg_wg_runner_tun(p->agent->runner);

	for (guint i = 0; i < p->routes->len; i++) {
		struct rg_wg_prefix *r = &g_array_index(p->routes, struct rg_wg_prefix, i);
		GError *e = NULL;

		if (rg_tun_del_route(tun, r->family == 4 ? AF_INET : AF_INET6, r->addr, r->len,
				     &e) != CORE_OK) {
			core_log_warn("agent", p->name, "%s", e->message);
			g_error_free(e);
		}
	}
	g_array_set_size(p->routes, 0);
}

static void wg_remove(struct agent_peer *p)
{
	routes_remove(p);
	if (p->wg == NULL)
		return;
	rg_wg_device_remove_peer(agent_device(p->agent), p->wg);
	p->wg = NULL;
	core_log_info("agent", p->name, "WireGuard peer removed");
}

/* Allowed IPs and kernel routes: its address, and the routes we accept from it. */
static void wg_routes(struct agent_peer *p)
{
	struct rg_agent *a = p->agent;
	struct rg_tun *tun = rg_wg_runner_tun(a->runner);
	GArray *accepted = agent_accepted_routes(a, p->name, p->advertised);

	rg_wg_peer_add_allowed_ip(p->wg, 4, p->address, 32);
	for (guint i = 0; i < accepted->len; i++) {
		struct rg_wg_prefix *r = &g_array_index(accepted, struct rg_wg_prefix, i);
		GError *e = NULL;

		rg_wg_peer_add_allowed_ip(p->wg, r->family, r->addr, r->len);
		if (rg_tun_add_route(tun, r->family == 4 ? AF_INET : AF_INET6, r->addr, r->len,
				     &e) != CORE_OK) {
			core_log_warn("agent", p->name, "%s", e->message);
			g_error_free(e);
			continue;
		}
		g_array_append_val(p->routes, *r);
	}
	if (accepted->len > 0)
		core_log_info("agent", p->name, "routing %u accepted route%s into the tunnel",
			      accepted->len, accepted->len == 1 ? "" : "s");
	g_array_free(accepted, TRUE);
}

/* The channel is open: the WireGuard peer goes over it (configured now if new). */
static void wg_attach(struct agent_peer *p)
{
	struct rg_agent *a = p->agent;
	struct rg_wg_endpoint ep;
	int ret;

	if (!p->has_key || !p->has_address) {
		core_log_warn("agent", p->name,
			      "channel open, but %s: no WireGuard peer until signaling tells",
			      !p->has_key ? "its public key is unknown"
					  : "it has no tunnel address");
		return;
	}
	if (p->wg == NULL) {
		ret = rg_wg_device_add_peer(agent_device(a), p->key, NULL, &p->wg);
		if (ret != CORE_OK) {
			core_log_warn("agent", p->name, "cannot add its WireGuard peer: %s",
				      core_strerror(ret));
			p->wg = NULL;
			return;
		}
		wg_routes(p);
		core_log_info("agent", p->name, "WireGuard peer added (%s)", p->address_text);
	}
	/*
	 * Turning the keepalive on with an endpoint sends one, which starts a
	 * handshake. Only the offerer does: when both sides initiate at once, each
	 * consumes the other's initiation, which replaces its own handshake, so
	 * both responses are refused and the tunnel waits out REKEY_TIMEOUT (5 s).
	 */
	rg_dcbind_endpoint(p->conn->link, &ep);
	if (p->offerer)
		rg_wg_peer_set_endpoint(p->wg, &ep);
	rg_wg_peer_set_keepalive(p->wg, AGENT_KEEPALIVE_S, rg_wg_runner_now());
	rg_wg_peer_set_endpoint(p->wg, &ep);
	agent_device_kick(a);
}

/* Its key or address changed, or what we accept from it: configure it again. */
static void wg_refresh(struct agent_peer *p)
{
	if (p->wg == NULL)
		return;
	wg_remove(p);
	if (p->conn != NULL && p->conn->link != 0)
		wg_attach(p);
}

/* ------------------------------------------------------------ signaling out */

static void send_description(struct agent_peer *p, const char *type, const char *sdp)
{
	struct rg_agent *a = p->agent;
	struct rg_sig_msg m = { .type = strcmp(type, "offer") == 0 ? RG_SIG_OFFER : RG_SIG_ANSWER };

	m.from = a->conf->name;
	m.to = p->name;
	m.sdp = (char *)sdp;
	m.public_key = a->public_b64;
	if (agent_signal(a, &m) != CORE_OK)
		core_log_info("agent", p->name, "signaling is down: %s not sent", type);
}

/* ------------------------------------------------------------ connection callbacks */

static void send_candidate(struct agent_peer *p, const char *candidate)
{
	struct rg_sig_msg m = { .type = RG_SIG_ICE_CANDIDATE };

	m.from = p->agent->conf->name;
	m.to = p->name;
	m.candidate = (char *)candidate;
	agent_signal(p->agent, &m); /* lost while down: a restart follows reconnection */
}

static void on_local_description(void *ctx, const char *type, const char *sdp)
{
	struct agent_conn *c = ctx;

	g_free(c->said_type);
	g_free(c->said_sdp);
	c->said_type = g_strdup(type);
	c->said_sdp = g_strdup(sdp);
	g_ptr_array_set_size(c->said, 0);
	if (c->peer != NULL)
		send_description(c->peer, type, sdp);
}

static void on_local_candidate(void *ctx, const char *candidate, const char *mid)
{
	struct agent_conn *c = ctx;

	if (c->peer == NULL)
		return;
	if (!agent_candidate_usable(c->peer->agent, candidate)) {
		core_log_debug("agent", c->peer->name, "not offering a candidate in the tunnel: %s",
			       candidate);
		return;
	}
	if (c->said->len < AGENT_MAX_PENDING)
		g_ptr_array_add(c->said, g_strdup(candidate));
	send_candidate(c->peer, candidate);
}

/*
 * Say our restart's offer and candidates again. Signaling routes a message to the
 * connection it knows for the peer, and drops it when it knows none: sent while
 * either side's connection was dead (a NAT renumbered, an address moved) or the peer
 * had not joined yet, they were lost, and nothing else repeats them before the
 * restart times out (AGENT_RESTART_TIMEOUT_US). The same offer again is harmless: a
 * peer that took it answers it again, and glare still keeps the offerer's.
 */
static void conn_say_again(struct agent_peer *p)
{
	struct agent_conn *c = p->conn;

	core_log_info("agent", p->name,
		      "listed again during our restart: its %s and %u candidates again",
		      c->said_type, c->said->len);
	send_description(p, c->said_type, c->said_sdp);
	for (guint i = 0; i < c->said->len; i++)
		send_candidate(p, g_ptr_array_index(c->said, i));
}

static const char *state_name(enum rg_pc_state s)
{
	static const char *const names[] = { "new",	  "connecting",	  "ice",    "secure",
					     "connected", "disconnected", "failed", "closed" };

	return (unsigned)s < G_N_ELEMENTS(names) ? names[s] : "?";
}

static void on_state(void *ctx, enum rg_pc_state st)
{
	struct agent_conn *c = ctx;
	struct agent_peer *p = c->peer;

	c->state = st;
	if (p == NULL)
		return;
	core_log_debug("agent", p->name, "connection %s", state_name(st));
	switch (st) {
	case RG_PC_CONNECTED:
		if (p->connected_since_unix == 0)
			p->connected_since_unix = g_get_real_time() / G_USEC_PER_SEC;
		break;
	case RG_PC_DISCONNECTED:
		agent_peer_restart(p, "ICE consent lost");
		break;
	case RG_PC_FAILED:
		/* failed() said why; the tick rebuilds or restarts */
		break;
	case RG_PC_CLOSED:
		core_log_info("agent", p->name, "the peer closed the connection");
		conn_drop(p);
		break;
	default:
		break;
	}
}

static void on_selected(void *ctx, const struct rg_ice_pair *pair)
{
	struct agent_conn *c = ctx;

	g_strlcpy(c->pair_type, pair->type, sizeof(c->pair_type));
	g_strlcpy(c->local_type, pair->local, sizeof(c->local_type));
	g_strlcpy(c->remote_type, pair->remote, sizeof(c->remote_type));
	g_strlcpy(c->remote_address, pair->remote_address, sizeof(c->remote_address));
	/* what wg(8) shows as the peer's endpoint */
	if (c->peer != NULL && c->link != 0)
		rg_dcbind_set_remote(c->peer->agent->bind, c->link, c->remote_address);
	if (c->peer != NULL)
		core_log_info("agent", c->peer->name, "path: %s (ours %s, theirs %s)", pair->type,
			      pair->local, pair->remote);
}

/* WireGuard straight on the ICE path, beside the channel (docs/protocol/agent.md). */
static int conn_send_direct(void *ctx, const uint8_t *const *bufs, const size_t *lens, size_t n)
{
	struct agent_conn *c = ctx;

	return rg_pc_send_datagrams(c->pc, bufs, lens, n);
}

static void on_datagram(void *ctx, const uint8_t *buf, size_t len)
{
	struct agent_conn *c = ctx;

	if (c->peer != NULL && c->link != 0)
		rg_dcbind_input_direct(c->peer->agent->bind, c->link, buf, len);
}

static void on_channel_open(void *ctx, struct rg_dc *dc)
{
	struct agent_conn *c = ctx;
	struct agent_peer *p = c->peer;
	char esc[CORE_LOG_ESC_SHORT];

	if (p == NULL)
		return;
	if (strcmp(rg_dc_label(dc), AGENT_LABEL) != 0 || c->dc != NULL) {
		core_log_warn("agent", p->name, "closing an unexpected channel \"%s\"",
			      core_log_escape(esc, sizeof(esc), rg_dc_label(dc),
					      strlen(rg_dc_label(dc))));
		rg_dc_close(dc);
		return;
	}
	c->dc = dc;
	c->link = rg_dcbind_attach(p->agent->bind, dc, p->name);
	if (p->agent->conf->wg_direct && p->direct_ok) {
		rg_dcbind_set_direct(p->agent->bind, c->link, conn_send_direct, c);
		rg_pc_batch_rx(c->pc, true);
		core_log_info("agent", p->name, "WireGuard goes straight on the ICE path");
	}
	if (c->remote_address[0] != '\0')
		rg_dcbind_set_remote(p->agent->bind, c->link, c->remote_address);
	core_log_info("agent", p->name, "channel open");
	p->connected_since_unix = g_get_real_time() / G_USEC_PER_SEC;
	wg_attach(p);
}

static void on_channel_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len,
			       bool binary)
{
	struct agent_conn *c = ctx;

	if (c->peer == NULL || dc != c->dc)
		return;
	/* a string is no datagram: the bind counts it as bad input */
	rg_dcbind_input(c->peer->agent->bind, c->link, buf, binary ? len : 0);
}

static void on_channel_closed(void *ctx, struct rg_dc *dc)
{
	struct agent_conn *c = ctx;

	if (dc != c->dc)
		return;
	if (c->peer != NULL)
		rg_dcbind_detach(c->peer->agent->bind, c->link);
	c->dc = NULL;
	c->link = 0;
	if (c->peer != NULL) {
		core_log_info("agent", c->peer->name, "the peer closed the channel");
		/* a connection without its channel carries nothing: start over */
		conn_drop(c->peer);
	}
}

static void on_failed(void *ctx, const char *reason)
{
	struct agent_conn *c = ctx;

	if (c->peer != NULL)
		core_log_warn("agent", c->peer->name, "connection failed: %s", reason);
}

static const struct rg_pc_callbacks conn_callbacks = {
	.local_description = on_local_description,
	.local_candidate = on_local_candidate,
	.state = on_state,
	.selected = on_selected,
	.channel_open = on_channel_open,
	.channel_message = on_channel_message,
	.channel_closed = on_channel_closed,
	.failed = on_failed,
	.datagram = on_datagram,
};

/* ------------------------------------------------------------ connections */

static void conn_free(gpointer data)
{
	struct agent_conn *c = data;

	rg_pc_free(c->pc);
	g_ptr_array_unref(c->pending);
	g_ptr_array_unref(c->said);
	g_free(c->said_type);
	g_free(c->said_sdp);
	g_free(c);
}

/* Drop the peer's connection: detached now, closed, freed from the loop. */
static void conn_drop(struct agent_peer *p)
{
	struct agent_conn *c = p->conn;

	if (c == NULL)
		return;
	p->conn = NULL;
	p->connected_since_unix = 0;
	p->restart_at_us = 0;
	p->unanswered_since_us = p->probe_at_us = 0;
	c->peer = NULL;
	if (c->link != 0)
		rg_dcbind_detach(p->agent->bind, c->link);
	c->link = 0;
	c->dc = NULL;
	if (c->state != RG_PC_CLOSED && c->state != RG_PC_FAILED)
		rg_pc_close(c->pc);
	core_defer_free(c, conn_free);
}

static struct agent_conn *conn_new(struct agent_peer *p, bool offerer)
{
	struct rg_pc_config cfg = { 0 };
	struct agent_conn *c = g_new0(struct agent_conn, 1);
	GError *e = NULL;

	c->pending = g_ptr_array_new_with_free_func(g_free);
	c->said = g_ptr_array_new_with_free_func(g_free);
	c->created_us = core_time_now_us();
	agent_ice_config(p->agent, &cfg.ice, offerer);
	cfg.name = p->name;
	if (rg_pc_new(&c->pc, &cfg, &conn_callbacks, c, &e) != CORE_OK) {
		core_log_warn("agent", p->name, "cannot create a peer connection: %s", e->message);
		g_error_free(e);
		conn_free(c);
		return NULL;
	}
	c->peer = p;
	p->conn = c;
	return c;
}

/* As the offerer: a new connection, its channel and the offer. */
static void conn_offer(struct agent_peer *p)
{
	struct rg_dc_options o = { .ordered = false,
				   .max_retransmits = 0,
				   .max_packet_lifetime_ms = -1 };
	struct agent_conn *c = conn_new(p, true);
	GError *e = NULL;

	if (c == NULL)
		return;
	if (rg_pc_create_channel(c->pc, AGENT_LABEL, &o, &e) != CORE_OK) {
		core_log_warn("agent", p->name, "cannot create the channel: %s", e->message);
		g_error_free(e);
		conn_drop(p);
		return;
	}
	core_log_info("agent", p->name, "offering a connection");
	rg_pc_create_offer(c->pc);
}

/* Candidates that waited for the remote description. */
static void conn_flush_pending(struct agent_conn *c)
{
	for (guint i = 0; i < c->pending->len; i++)
		rg_pc_add_remote_candidate(c->pc, g_ptr_array_index(c->pending, i));
	g_ptr_array_set_size(c->pending, 0);
}

/* Start over: a new connection from the offerer; the answerer waits for it. */
static void peer_rebuild(struct agent_peer *p, const char *why)
{
	core_log_info("agent", p->name, "rebuilding the connection: %s", why);
	conn_drop(p);
	p->restarts = 0;
	p->restart_wanted = false;
	if (p->offerer && p->listed && p->agent->sig_connected)
		conn_offer(p);
}

/* ------------------------------------------------------------ from signaling */

struct agent_peer *agent_peer_new(struct rg_agent *a, const char *name)
{
	struct agent_peer *p = g_new0(struct agent_peer, 1);

	p->agent = a;
	p->name = g_strdup(name);
	p->offerer = strcmp(a->conf->name, name) < 0;
	p->routes = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	p->advertised = g_new0(char *, 1);
	return p;
}

void agent_peer_free(struct agent_peer *p)
{
	if (p == NULL)
		return;
	wg_remove(p);
	conn_drop(p);
	g_array_free(p->routes, TRUE);
	g_strfreev(p->advertised);
	g_free(p->address_text);
	g_free(p->session);
	g_free(p->name);
	g_free(p);
}

/* A public key from signaling (base64): true if it changed ours. */
static bool set_key(struct agent_peer *p, const char *b64)
{
	uint8_t key[RG_WG_KEY_LEN];

	if (b64 == NULL || rg_wg_key_from_base64(key, b64, strlen(b64)) != CORE_OK)
		return false;
	if (p->has_key && memcmp(key, p->key, sizeof(key)) == 0)
		return false;
	memcpy(p->key, key, sizeof(key));
	p->has_key = true;
	return true;
}

/* Its address ("10.0.0.3/24"): true if it changed. */
static bool set_address(struct agent_peer *p, const char *text)
{
	struct rg_wg_prefix pr;
	bool ok = text != NULL && rg_wg_prefix_parse(text, &pr) && pr.family == 4;

	if (ok == p->has_address && (!ok || memcmp(p->address, pr.addr, 4) == 0))
		return false;
	p->has_address = ok;
	if (ok)
		memcpy(p->address, pr.addr, 4);
	g_free(p->address_text);
	p->address_text = ok ? g_strdup(text) : NULL;
	if (!ok)
		core_log_warn("agent", p->name,
			      "no usable tunnel address: it gets no WireGuard peer");
	return true;
}

static const char *meta_get(const struct rg_sig_peer *info, const char *key)
{
	for (size_t i = 0; info->meta_keys != NULL && info->meta_keys[i] != NULL; i++)
		if (strcmp(info->meta_keys[i], key) == 0)
			return info->meta_values[i];
	return NULL;
}

static bool strv_equal(char **a, char **b)
{
	size_t i = 0;

	for (; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

void agent_peer_listed(struct agent_peer *p, const struct rg_sig_peer *info)
{
	const char *session = meta_get(info, "session");
	bool restarted = p->session != NULL && session != NULL && strcmp(session, p->session) != 0;
	bool changed = false;
	char *const empty[] = { NULL };
	char **routes = info->routes != NULL ? info->routes : (char **)empty;

	p->listed = true;
	if (set_key(p, info->public_key))
		changed = true;
	if (set_address(p, info->address))
		changed = true;
	if (!strv_equal(routes, p->advertised)) {
		g_strfreev(p->advertised);
		p->advertised = g_strdupv(routes);
		changed = true;
	}
	if (session != NULL) {
		g_free(p->session);
		p->session = g_strdup(session);
	}
	p->direct_ok = g_strcmp0(meta_get(info, "wg"), "direct") == 0;
	if (changed)
		wg_refresh(p);
	if (p->conn != NULL && restarted) {
		peer_rebuild(p, "it restarted (a new session)");
		return;
	}
	if (p->conn != NULL && (p->conn->state == RG_PC_FAILED || p->conn->state == RG_PC_CLOSED)) {
		peer_rebuild(p, "its connection had failed");
		return;
	}
	if (p->conn != NULL && p->restart_at_us != 0 && !p->restart_wanted &&
	    g_strcmp0(p->conn->said_type, "offer") == 0) {
		conn_say_again(p);
		return;
	}
	if (p->conn == NULL && p->offerer)
		conn_offer(p);
}

void agent_peer_offer(struct agent_peer *p, const char *sdp, const char *key)
{
	GError *e = NULL;
	int ret;

	if (set_key(p, key))
		wg_refresh(p);
	if (p->conn != NULL) {
		ret = rg_pc_set_remote_description(p->conn->pc, "offer", sdp, &e);
		if (ret == CORE_OK) {
			p->conn->remote_set = true;
			conn_flush_pending(p->conn);
			goto out;
		}
		if (ret != CORE_ERR_BAD_VALUE) {
			/* glare lost by the peer, or out of order: ours stands */
			core_log_info("agent", p->name, "offer not taken: %s", e->message);
			goto out;
		}
		/* a new certificate: the peer made a new connection, ours is stale */
		core_log_info("agent", p->name, "a new connection from the peer (%s)", e->message);
		g_clear_error(&e);
		conn_drop(p);
	}
	if (conn_new(p, false) == NULL)
		goto out;
	if (rg_pc_set_remote_description(p->conn->pc, "offer", sdp, &e) != CORE_OK) {
		core_log_warn("agent", p->name, "refusing its offer: %s", e->message);
		conn_drop(p);
		goto out;
	}
	p->conn->remote_set = true;
	conn_flush_pending(p->conn);
	core_log_info("agent", p->name, "answering its offer");
out:
	g_clear_error(&e);
}

void agent_peer_answer(struct agent_peer *p, const char *sdp, const char *key)
{
	GError *e = NULL;
	int ret;

	if (p->conn == NULL) {
		core_log_info("agent", p->name, "an answer to no offer of ours: ignored");
		return;
	}
	if (set_key(p, key))
		wg_refresh(p);
	ret = rg_pc_set_remote_description(p->conn->pc, "answer", sdp, &e);
	if (ret == CORE_OK) {
		p->conn->remote_set = true;
		conn_flush_pending(p->conn);
	} else if (ret == CORE_ERR_BAD_VALUE) {
		peer_rebuild(p, e->message);
	} else {
		core_log_warn("agent", p->name, "refusing its answer: %s", e->message);
	}
	g_clear_error(&e);
}

void agent_peer_candidate(struct agent_peer *p, const char *candidate)
{
	struct agent_conn *c = p->conn;

	if (!agent_candidate_usable(p->agent, candidate)) {
		core_log_debug("agent", p->name, "ignoring its candidate in the tunnel");
		return;
	}
	if (c != NULL && c->remote_set) {
		rg_pc_add_remote_candidate(c->pc, candidate);
		return;
	}
	/* before the offer or answer: kept (a bounded number) until it comes */
	if (c != NULL && c->pending->len < AGENT_MAX_PENDING)
		g_ptr_array_add(c->pending, g_strdup(candidate));
	else if (c == NULL)
		core_log_debug("agent", p->name, "a candidate for no connection: dropped");
}

bool agent_peer_left(struct agent_peer *p)
{
	p->listed = false;
	if (p->conn != NULL && p->conn->state == RG_PC_CONNECTED && p->restart_at_us == 0) {
		core_log_info("agent", p->name,
			      "left signaling; its tunnel works and stays until it fails");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ restarts and liveness */

void agent_peer_restart(struct agent_peer *p, const char *why)
{
	GError *e = NULL;

	if (p->conn == NULL)
		return;
	if (!p->agent->sig_connected || !p->agent->sig_listed) {
		if (!p->restart_wanted)
			core_log_info("agent", p->name, "%s: restart when signaling is back", why);
		p->restart_wanted = true;
		return;
	}
	p->restart_wanted = false;
	if (p->restarts >= AGENT_MAX_RESTARTS) {
		peer_rebuild(p, "ICE restarts brought no traffic back");
		return;
	}
	if (rg_pc_restart_ice(p->conn->pc, &e) != CORE_OK) {
		/* never connected, or failed beyond repair */
		peer_rebuild(p, e->message);
		g_error_free(e);
		return;
	}
	p->restarts++;
	p->restart_at_us = core_time_now_us();
	p->unanswered_since_us = p->probe_at_us = 0;
	core_log_info("agent", p->name, "ICE restart %u of %u: %s", p->restarts, AGENT_MAX_RESTARTS,
		      why);
}

void agent_peer_signaling_back(struct agent_peer *p)
{
	if (p->restart_wanted)
		agent_peer_restart(p, "signaling is back");
}

/* Sample the channel: a path that takes datagrams and answers none is dead. */
static void liveness(struct agent_peer *p, int64_t now)
{
	struct agent_conn *c = p->conn;
	bool rx, tx;

	rg_dcbind_sample(p->agent->bind, c->link, &rx, &tx);
	if (rx) {
		p->last_rx_us = now;
		p->unanswered_since_us = p->probe_at_us = 0;
		if (p->restart_at_us != 0 && !rg_pc_ice_restarting(c->pc)) {
			core_log_info("agent", p->name, "traffic flows again after the restart");
			p->restart_at_us = 0;
		}
		if (p->restart_at_us == 0)
			p->restarts = 0;
		return;
	}
	if (tx && p->unanswered_since_us == 0)
		p->unanswered_since_us = now;
	if (p->unanswered_since_us == 0 || p->wg == NULL || p->restart_at_us != 0)
		return;
	if (p->probe_at_us < p->unanswered_since_us &&
	    now - p->unanswered_since_us >= AGENT_PROBE_AFTER_US) {
		/* a handshake always gets an answer, keepalives do not */
		if (rg_wg_peer_initiate(p->wg, rg_wg_runner_now()))
			p->probe_at_us = now;
		agent_device_kick(p->agent);
		return;
	}
	if (p->probe_at_us > p->unanswered_since_us &&
	    now - p->probe_at_us >= AGENT_DEAD_AFTER_PROBE_US) {
		char why[80];

		g_snprintf(why, sizeof(why), "no answer for %.1f s",
			   (double)(now - p->unanswered_since_us) / G_USEC_PER_SEC);
		agent_signaling_recheck(p->agent, p->name);
		agent_peer_restart(p, why);
	}
}

bool agent_peer_tick(struct agent_peer *p, int64_t now)
{
	struct agent_conn *c = p->conn;

	if (c == NULL) {
		/* gone from signaling and its tunnel failed since: nothing brings it back */
		if (!p->listed)
			return false;
		if (p->offerer && p->agent->sig_connected)
			conn_offer(p);
		return true;
	}
	if (c->state == RG_PC_FAILED && !rg_pc_ice_restarting(c->pc)) {
		if (p->connected_since_unix != 0 || c->link != 0)
			agent_peer_restart(p, "the connection failed");
		else
			peer_rebuild(p, "the connection failed");
		return true;
	}
	if (c->link == 0) {
		/* not up yet: a first connection that never comes is made again */
		if (now - c->created_us > AGENT_CONNECT_TIMEOUT_US)
			peer_rebuild(p, "no channel after 20 s");
		return true;
	}
	if (p->restart_at_us != 0 && now - p->restart_at_us > AGENT_RESTART_TIMEOUT_US) {
		p->restart_at_us = 0;
		agent_peer_restart(p, "the last restart brought nothing");
		return true;
	}
	liveness(p, now);
	return true;
}
