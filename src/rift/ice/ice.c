/*
 * ice.c - the libnice agent behind rg_ice (contract in ice.h). ICE-TCP off
 * (libnice would otherwise silently drop browsers' UDP-only expectations);
 * trickle and consent freshness on.
 *
 * Each ICE generation is its own libnice stream with one component. A
 * restart adds a new stream (fresh credentials, fresh gathering: new
 * interfaces, new server-reflexive and relay candidates) while the current
 * one keeps carrying data; when the new one connects it becomes current and
 * the old one is removed after RETIRE_MS, so datagrams still in flight on
 * it, or sent by a peer that switched a moment later, are not lost.
 * (libnice's own nice_agent_restart_stream keeps the old candidates: its
 * gathering runs once per stream, so a restart after an address change
 * would never find the new address.)
 *
 * A TURN-over-TLS server is given to libnice as the TCP TURN server its
 * bridge offers on 127.0.0.1 (turnbridge.h), for every generation.
 */
#include "rift/ice/ice.h"

#include <agent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tls.h"
#include "rift/ice/batchrx.h"
#include "rift/ice/ice-priv.h"
#include "rift/ice/turnbridge.h"
#include "rift/ice/turntls.h"
#include "rift/ice/turnws.h"

/*
 * Socket buffers of the selected pair's socket. The kernel's default (208 KiB)
 * holds about 5 ms of a busy data channel: a receiver that loses the CPU that
 * long drops packets, which an unreliable channel never gets back. Privileged
 * processes (the agent) may exceed net.core.rmem_max/wmem_max.
 */
#define SOCKET_BUFFER_BYTES (2 * 1024 * 1024)
/*
 * Pacing of connectivity checks (RFC 8445 §14.2 allows 5 ms; libnice's default is 20):
 * with a few host candidates on each side the working pair was often the second
 * checked, 20 ms after the first, most of a loopback set-up.
 */
#define CHECK_PACING_MS 5

#define RETIRE_MS 2000 /* an old generation keeps receiving this long */

/*
 * libnice 0.1.21 (Debian 12) gives consent up 10 s after the last answered
 * check, not RFC 7675's 30 s (libnice 0.1.22 fixed it), and sends each
 * check once, every 4 to 6 s: one or two answers lost on a congested path
 * fail the pair while the peer's datagrams still pour in. A consent loss on
 * the current generation is taken as that when its datagrams (from the
 * peer's candidates only: libnice drops the rest) came within this many ms:
 * the same pair is selected again, which gives libnice's consent back, and
 * the next 10 s decide anew. A silent path is lost as before.
 */
#define CONSENT_PROOF_MS 2000

struct generation {
	guint stream; /* libnice stream id; 0: none */
	char *ufrag, *pwd;
	bool connected;		     /* a pair works */
	struct rg_ice_pair reported; /* the last pair reported; type NULL: none */
};

struct rg_ice {
	char *name; /* our object in log lines */
	NiceAgent *agent;
	struct generation cur;	/* carries data */
	struct generation next; /* a restart in progress, or stream 0 */
	guint retired;		/* the previous generation's stream, until retire_timer */
	guint retire_timer;
	struct rg_ice_turn *turn;	 /* owned copies, n_turn */
	struct rg_turn_bridge **bridges; /* n_turn: a TLS server's bridge, else NULL */
	size_t n_turn;
	struct rg_ice_callbacks cb;
	void *ctx;
	GMainContext *context;
	enum rg_ice_state state;
	gulong handlers[4];
	bool gso_off; /* UDP_SEGMENT refused on the selected pair's socket: libnice sends */
	/* batch receive (batchrx.h): wanted, its receiver while open, counts of closed ones */
	bool batch_want, batch_refused, gro_logged;
	struct rg_ice_batchrx *batch;
	struct rg_ice_batchrx_counts batch_past;
	int64_t rx_at_us; /* a datagram of the current generation last came; 0: none yet */
	bool reselecting; /* consent_keep is selecting the same pair again */
};

static void batch_update(struct rg_ice *ice);

static const char *type_name(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST:
		return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED:
		return "relay";
	}
	return "unknown";
}

/* The generation that signaling talks about: the restart's, else the current one. */
static struct generation *newest(struct rg_ice *ice)
{
	return ice->next.stream != 0 ? &ice->next : &ice->cur;
}

/* The generation of a libnice stream, or NULL (retired, or none). */
static struct generation *generation_of(struct rg_ice *ice, guint stream)
{
	return stream == 0		    ? NULL
	       : stream == ice->cur.stream  ? &ice->cur
	       : stream == ice->next.stream ? &ice->next
					    : NULL;
}

static void set_state(struct rg_ice *ice, enum rg_ice_state s)
{
	if (ice->state == s)
		return;
	ice->state = s;
	if (ice->cb.state != NULL)
		ice->cb.state(ice->ctx, s);
}

/*
 * Our candidate's type as reported (ice.h): a peer-reflexive one is srflx
 * unless a server-reflexive candidate from its base shows another mapping
 * (or its base is one of our relays: libnice can learn one through TURN).
 */
static const char *local_type(struct rg_ice *ice, guint stream, const NiceCandidate *c)
{
	GSList *all, *i;
	const char *t = "srflx";

	if (c->type != NICE_CANDIDATE_TYPE_PEER_REFLEXIVE)
		return type_name(c->type);
	all = nice_agent_get_local_candidates(ice->agent, stream, 1);
	for (i = all; i != NULL; i = i->next) {
		const NiceCandidate *o = i->data;

		if (o->type == NICE_CANDIDATE_TYPE_RELAYED &&
		    nice_address_equal(&o->addr, &c->base_addr)) {
			t = "relay";
			break;
		}
		if (o->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
		    nice_address_equal(&o->base_addr, &c->base_addr) &&
		    !nice_address_equal(&o->addr, &c->addr))
			t = "prflx";
	}
	g_slist_free_full(all, (GDestroyNotify)nice_candidate_free);
	return t;
}

/* Report generation g's pair (local, remote) if it differs from what was reported last. */
static void report_pair(struct rg_ice *ice, struct generation *g, const NiceCandidate *local,
			const NiceCandidate *remote)
{
	struct rg_ice_pair p = { .local = local_type(ice, g->stream, local),
				 .remote = type_name(remote->type) };
	char host[NICE_ADDRESS_STRING_LEN];

	p.type =
		strcmp(p.local, "relay") == 0 || strcmp(p.remote, "relay") == 0 ? "relay" : p.local;
	nice_address_to_string(&remote->addr, host);
	g_snprintf(p.remote_address, sizeof(p.remote_address),
		   nice_address_ip_version(&remote->addr) == 6 ? "[%s]:%u" : "%s:%u", host,
		   nice_address_get_port(&remote->addr));
	if (g->reported.type != NULL && strcmp(p.local, g->reported.local) == 0 &&
	    strcmp(p.remote, g->reported.remote) == 0 &&
	    strcmp(p.remote_address, g->reported.remote_address) == 0)
		return;
	g->reported = p;
	if (ice->cb.selected != NULL)
		ice->cb.selected(ice->ctx, &p);
}

/* A candidate of g's selected pair may have changed type: report it again if so. */
static void recheck_pair(struct rg_ice *ice, struct generation *g)
{
	NiceCandidate *local, *remote;

	if (g != NULL && g->reported.type != NULL &&
	    nice_agent_get_selected_pair(ice->agent, g->stream, 1, &local, &remote))
		report_pair(ice, g, local, remote);
}

static void on_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
	struct rg_ice *ice = data;
	char *line;
	const char *text;

	if (cand->stream_id != newest(ice)->stream)
		return;
	line = nice_agent_generate_local_candidate_sdp(agent, cand);
	text = line;
	if (text != NULL && g_str_has_prefix(text, "a="))
		text += 2;
	if (text != NULL && ice->cb.candidate != NULL)
		ice->cb.candidate(ice->ctx, text);
	g_free(line);
	/* a server-reflexive candidate may show that a peer-reflexive one is not srflx */
	recheck_pair(ice, generation_of(ice, cand->stream_id));
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct rg_ice *ice = data;

	if (stream == newest(ice)->stream && ice->cb.gathering_done != NULL)
		ice->cb.gathering_done(ice->ctx);
}

static void generation_clear(struct generation *g)
{
	g_free(g->ufrag);
	g_free(g->pwd);
	memset(g, 0, sizeof(*g));
}

static void remove_stream(struct rg_ice *ice, guint stream)
{
	if (stream == 0)
		return;
	nice_agent_attach_recv(ice->agent, stream, 1, ice->context, NULL, NULL);
	nice_agent_remove_stream(ice->agent, stream);
}

static gboolean on_retire(gpointer data)
{
	struct rg_ice *ice = data;

	ice->retire_timer = 0;
	remove_stream(ice, ice->retired);
	ice->retired = 0;
	return G_SOURCE_REMOVE;
}

static void retire_now(struct rg_ice *ice)
{
	if (ice->retire_timer != 0)
		g_source_remove(ice->retire_timer);
	on_retire(ice);
}

/* The restart's generation works: it carries data from now on. */
static void promote(struct rg_ice *ice)
{
	GSource *t;

	retire_now(ice);
	ice->retired = ice->cur.stream;
	g_free(ice->cur.ufrag);
	g_free(ice->cur.pwd);
	ice->cur = ice->next;
	memset(&ice->next, 0, sizeof(ice->next));
	ice->rx_at_us = 0; /* what came on the old one proves nothing of the new pair */
	t = g_timeout_source_new(RETIRE_MS);
	g_source_set_callback(t, on_retire, ice, NULL);
	ice->retire_timer = g_source_attach(t, ice->context);
	g_source_unref(t);
	core_log_info("ice", ice->name, "restart done: stream %u carries the data",
		      ice->cur.stream);
	batch_update(ice);
}

/* Whether a candidate with c's foundation is c itself: the first of list with it. */
static bool foundation_names(GSList *list, const NiceCandidate *c)
{
	for (GSList *l = list; l != NULL; l = l->next) {
		const NiceCandidate *o = l->data;

		if (strncmp(o->foundation, c->foundation, NICE_CANDIDATE_MAX_FOUNDATION) == 0)
			return nice_address_equal(&o->addr, &c->addr);
	}
	return false;
}

/*
 * The current generation lost consent: keep its pair if the peer's
 * datagrams came within CONSENT_PROOF_MS (see there). libnice selects a
 * pair by foundations, so only when they name this pair. True: kept.
 */
static bool consent_keep(struct rg_ice *ice)
{
	int64_t quiet_ms = (core_time_now_us() - ice->rx_at_us) / CORE_USEC_PER_MSEC;
	NiceCandidate *local, *remote;
	char lf[NICE_CANDIDATE_MAX_FOUNDATION], rf[NICE_CANDIDATE_MAX_FOUNDATION];
	GSList *locals = NULL, *remotes = NULL;
	bool ok = false;

	if (ice->rx_at_us == 0 || quiet_ms > CONSENT_PROOF_MS ||
	    !nice_agent_get_selected_pair(ice->agent, ice->cur.stream, 1, &local, &remote))
		goto out;
	locals = nice_agent_get_local_candidates(ice->agent, ice->cur.stream, 1);
	remotes = nice_agent_get_remote_candidates(ice->agent, ice->cur.stream, 1);
	if (!foundation_names(locals, local) || !foundation_names(remotes, remote))
		goto out;
	g_strlcpy(lf, local->foundation, sizeof(lf));
	g_strlcpy(rf, remote->foundation, sizeof(rf));
	ice->reselecting = true;
	ok = nice_agent_set_selected_pair(ice->agent, ice->cur.stream, 1, lf, rf);
	ice->reselecting = false;
	if (ok) {
		core_log_info("ice", ice->name,
			      "consent lost (checks unanswered), but the peer's datagrams came "
			      "%" G_GINT64_FORMAT " ms ago: the pair stays",
			      quiet_ms);
	}
out:
	g_slist_free_full(locals, (GDestroyNotify)nice_candidate_free);
	g_slist_free_full(remotes, (GDestroyNotify)nice_candidate_free);
	return ok;
}

static void generation_failed(struct rg_ice *ice, struct generation *g)
{
	if (g == &ice->next) {
		/* the restart found nothing; the current generation may still work */
		core_log_warn("ice", ice->name, "ICE restart failed: no candidate pair works");
		remove_stream(ice, ice->next.stream);
		generation_clear(&ice->next);
		if (!ice->cur.connected)
			set_state(ice, RG_ICE_FAILED);
		return;
	}
	if (g->connected && g == &ice->cur && consent_keep(ice))
		return;
	if (g->connected) {
		g->connected = false;
		set_state(ice, RG_ICE_DISCONNECTED);
	} else if (ice->next.stream == 0)
		set_state(ice, RG_ICE_FAILED);
}

static void on_component_state(NiceAgent *agent, guint stream, guint comp, guint state,
			       gpointer data)
{
	struct rg_ice *ice = data;
	struct generation *g = generation_of(ice, stream);

	if (g == NULL)
		return; /* a retired generation */
	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTING:
		if (ice->state == RG_ICE_NEW)
			set_state(ice, RG_ICE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		g->connected = true;
		if (g == &ice->next)
			promote(ice);
		set_state(ice, RG_ICE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		generation_failed(ice, g);
		break;
	default:
		break;
	}
	batch_update(ice);
}

/* Set one socket buffer size: forced where we may, else as far as the system allows. */
static void set_buffer(GSocket *sock, int forced, int plain)
{
	if (!g_socket_set_option(sock, SOL_SOCKET, forced, SOCKET_BUFFER_BYTES, NULL))
		g_socket_set_option(sock, SOL_SOCKET, plain, SOCKET_BUFFER_BYTES, NULL);
}

/* Enlarge the socket buffers of stream's selected pair (none for a relayed pair: TURN's socket). */
static void size_buffers(struct rg_ice *ice, guint stream)
{
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, stream, 1);

	if (sock == NULL)
		return;
	set_buffer(sock, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(sock, SO_SNDBUFFORCE, SO_SNDBUF);
	g_object_unref(sock);
}

int rg_ice_socket_buffer(struct rg_ice *ice, int optname)
{
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->cur.stream, 1);
	gint value = -1;

	if (sock == NULL)
		return -1;
	if (!g_socket_get_option(sock, SOL_SOCKET, optname, &value, NULL))
		value = -1;
	g_object_unref(sock);
	return value;
}

static void on_selected(NiceAgent *agent, guint stream, guint comp, NiceCandidate *local,
			NiceCandidate *remote, gpointer data)
{
	struct rg_ice *ice = data;
	struct generation *g = generation_of(ice, stream);

	if (ice->reselecting)
		return; /* the same pair again (consent_keep): nothing to report */
	size_buffers(ice, stream);
	if (g != NULL) {
		g->reported.type = NULL; /* a new pair: always reported */
		report_pair(ice, g, local, remote);
	}
	batch_update(ice);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
		    gpointer data)
{
	struct rg_ice *ice = data;

	if (stream == ice->cur.stream)
		ice->rx_at_us = core_time_now_us();
	if (ice->cb.data != NULL)
		ice->cb.data(ice->ctx, (const uint8_t *)buf, len);
}

static NiceRelayType relay_type(enum rg_ice_relay r)
{
	return r == RG_ICE_TURN_TCP ? NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP;
}

/* A new libnice stream for generation g: relays, receiver, credentials. */
static int add_generation(struct rg_ice *ice, struct generation *g, GError **error)
{
	g->stream = nice_agent_add_stream(ice->agent, 1);
	if (g->stream == 0) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "libnice cannot add a stream");
		return CORE_ERR_SYSTEM;
	}
	for (size_t i = 0; i < ice->n_turn; i++) {
		const struct rg_ice_turn *t = &ice->turn[i];
		const struct rg_turn_bridge *b = ice->bridges[i];

		/* libnice would speak cleartext to a TLS port: it gets the bridge instead */
		if (!nice_agent_set_relay_info(
			    ice->agent, g->stream, 1, b != NULL ? "127.0.0.1" : t->host,
			    b != NULL ? rg_turn_bridge_port(b) : t->port, t->username, t->password,
			    b != NULL ? NICE_RELAY_TYPE_TURN_TCP : relay_type(t->transport))) {
			core_err_to_gerror(error, CORE_ERR_CONFIG,
					   "TURN server %s:%u: not a numeric address", t->host,
					   t->port);
			return CORE_ERR_CONFIG;
		}
	}
	nice_agent_attach_recv(ice->agent, g->stream, 1, ice->context, on_recv, ice);
	nice_agent_get_local_credentials(ice->agent, g->stream, &g->ufrag, &g->pwd);
	return CORE_OK;
}

static void turn_copy(struct rg_ice_turn *to, const struct rg_ice_turn *from)
{
	*to = *from;
	to->host = g_strdup(from->host);
	to->username = g_strdup(from->username);
	to->password = g_strdup(from->password);
	to->tls_name = g_strdup(from->tls_name);
	to->tls_pin = from->tls_pin != NULL ? g_memdup2(from->tls_pin, CORE_TLS_FP_LEN) : NULL;
	to->ws_url = g_strdup(from->ws_url);
}

static void turn_clear(struct rg_ice_turn *t)
{
	g_free((char *)t->host);
	g_free((char *)t->username);
	g_free((char *)t->password);
	g_free((char *)t->tls_name);
	g_free((uint8_t *)t->tls_pin);
	g_free((char *)t->ws_url);
}

/* The bridge that carries libnice's TURN-over-TCP to t over TLS or a WebSocket. */
static int bridge_new(struct rg_ice *ice, const struct rg_ice_turn *t, struct rg_turn_bridge **out,
		      GError **error)
{
	const struct rg_turn_tls_server s = { t->host, t->port, t->tls_name, t->tls_pin, NULL };
	const struct rg_turn_ws_server w = { t->ws_url, t->tls_pin, t->ws_token, t->ws_token_data };
	struct rg_turn_bridge_opener op;
	char *name;
	int ret = t->transport == RG_ICE_TURN_WS ? rg_turn_ws_opener(&op, &w, error)
						 : rg_turn_tls_opener(&op, &s, error);

	if (ret != CORE_OK)
		return ret;
	/* the agent's name first: one process can hold many agents using the same server */
	if (t->transport == RG_ICE_TURN_WS)
		name = g_strdup_printf("%s %s", ice->name, t->ws_url);
	else if (t->tls_name != NULL)
		name = g_strdup_printf("%s turns:%s:%u (%s)", ice->name, t->host, t->port,
				       t->tls_name);
	else
		name = g_strdup_printf("%s turns:%s:%u", ice->name, t->host, t->port);
	ret = rg_turn_bridge_new(out, name, &op, ice->context, error);
	g_free(name);
	return ret;
}

static int configure(struct rg_ice *ice, const struct rg_ice_config *cfg, GError **error)
{
	for (size_t i = 0; cfg->local_addresses != NULL && cfg->local_addresses[i] != NULL; i++) {
		NiceAddress a;

		if (!nice_address_set_from_string(&a, cfg->local_addresses[i])) {
			core_err_to_gerror(error, CORE_ERR_CONFIG, "not a local address: \"%s\"",
					   cfg->local_addresses[i]);
			return CORE_ERR_CONFIG;
		}
		nice_agent_add_local_address(ice->agent, &a);
	}
	if (cfg->stun_host != NULL)
		g_object_set(ice->agent, "stun-server", cfg->stun_host, "stun-server-port",
			     (guint)cfg->stun_port, NULL);
	ice->turn = g_new0(struct rg_ice_turn, cfg->n_turn);
	ice->bridges = g_new0(struct rg_turn_bridge *, cfg->n_turn);
	ice->n_turn = cfg->n_turn;
	for (size_t i = 0; i < cfg->n_turn; i++) {
		int ret;

		turn_copy(&ice->turn[i], &cfg->turn[i]);
		if (cfg->turn[i].transport != RG_ICE_TURN_TLS &&
		    cfg->turn[i].transport != RG_ICE_TURN_WS)
			continue;
		ret = bridge_new(ice, &ice->turn[i], &ice->bridges[i], error);
		if (ret != CORE_OK)
			return ret;
	}
	return add_generation(ice, &ice->cur, error);
}

int rg_ice_new(struct rg_ice **out, const struct rg_ice_config *cfg,
	       const struct rg_ice_callbacks *cb, void *ctx, GMainContext *context, GError **error)
{
	static unsigned next_id;
	struct rg_ice *ice = g_new0(struct rg_ice, 1);
	int ret;

	*out = NULL;
	ice->name = cfg->name != NULL ? g_strdup(cfg->name) : g_strdup_printf("ice-%u", ++next_id);
	ice->cb = *cb;
	ice->ctx = ctx;
	ice->context =
		context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	ice->agent = nice_agent_new_full(ice->context, NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_ICE_TRICKLE |
						 NICE_AGENT_OPTION_CONSENT_FRESHNESS);
	g_object_set(ice->agent, "stun-pacing-timer", CHECK_PACING_MS, "ice-tcp", FALSE, "upnp",
		     FALSE, "controlling-mode", cfg->controlling, "force-relay", cfg->relay_only,
		     NULL);
	ice->handlers[0] =
		g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_candidate), ice);
	ice->handlers[1] = g_signal_connect(ice->agent, "candidate-gathering-done",
					    G_CALLBACK(on_gathering_done), ice);
	ice->handlers[2] = g_signal_connect(ice->agent, "component-state-changed",
					    G_CALLBACK(on_component_state), ice);
	ice->handlers[3] = g_signal_connect(ice->agent, "new-selected-pair-full",
					    G_CALLBACK(on_selected), ice);
	ret = configure(ice, cfg, error);
	if (ret != CORE_OK) {
		rg_ice_free(ice);
		return ret;
	}
	*out = ice;
	return CORE_OK;
}

static void on_closed(GObject *agent, GAsyncResult *res, gpointer data)
{
	g_object_unref(agent);
}

void rg_ice_free(struct rg_ice *ice)
{
	if (ice == NULL)
		return;
	rg_ice_batchrx_close(ice->batch);
	for (size_t i = 0; i < G_N_ELEMENTS(ice->handlers); i++)
		if (ice->handlers[i] != 0)
			g_signal_handler_disconnect(ice->agent, ice->handlers[i]);
	if (ice->retire_timer != 0)
		g_source_remove(ice->retire_timer);
	{
		guint streams[] = { ice->cur.stream, ice->next.stream, ice->retired };

		for (size_t i = 0; i < G_N_ELEMENTS(streams); i++)
			if (streams[i] != 0)
				nice_agent_attach_recv(ice->agent, streams[i], 1, ice->context,
						       NULL, NULL);
	}
	/* TURN allocations are released in the background; the agent frees itself after */
	nice_agent_close_async(ice->agent, on_closed, NULL);
	g_main_context_unref(ice->context);
	generation_clear(&ice->cur);
	generation_clear(&ice->next);
	for (size_t i = 0; i < ice->n_turn; i++) {
		/* lost, not freed: it carries libnice's last Refresh, then goes */
		rg_turn_bridge_free(ice->bridges[i]);
		turn_clear(&ice->turn[i]);
	}
	g_free(ice->bridges);
	g_free(ice->turn);
	g_free(ice->name);
	g_free(ice);
}

const char *rg_ice_ufrag(const struct rg_ice *ice)
{
	return newest((struct rg_ice *)ice)->ufrag;
}

const char *rg_ice_pwd(const struct rg_ice *ice)
{
	return newest((struct rg_ice *)ice)->pwd;
}

int rg_ice_gather(struct rg_ice *ice)
{
	return nice_agent_gather_candidates(ice->agent, newest(ice)->stream) ? CORE_OK
									     : CORE_ERR_SYSTEM;
}

int rg_ice_set_remote_credentials(struct rg_ice *ice, const char *ufrag, const char *pwd)
{
	if (ufrag == NULL || pwd == NULL || ufrag[0] == '\0' || pwd[0] == '\0' ||
	    strlen(ufrag) > 256 || strlen(pwd) > 256)
		return CORE_ERR_BAD_VALUE;
	return nice_agent_set_remote_credentials(ice->agent, newest(ice)->stream, ufrag, pwd)
		       ? CORE_OK
		       : CORE_ERR_BAD_VALUE;
}

int rg_ice_add_remote_candidate(struct rg_ice *ice, const char *line)
{
	guint stream = newest(ice)->stream;
	char *text = g_str_has_prefix(line, "a=") ? g_strdup(line) : g_strconcat("a=", line, NULL);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, stream, text);
	GSList one = { 0 };
	int ret = CORE_ERR_BAD_FORMAT;

	if (c == NULL)
		goto out;
	ret = CORE_ERR_NOT_FOUND;
	if (c->component_id != 1 || c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		goto out;
	one.data = c;
	ret = nice_agent_set_remote_candidates(ice->agent, stream, 1, &one) == 1
		      ? CORE_OK
		      : CORE_ERR_NOT_FOUND;
out:
	if (c != NULL)
		nice_candidate_free(c);
	g_free(text);
	return ret;
}

void rg_ice_remote_gathering_done(struct rg_ice *ice)
{
	nice_agent_peer_candidate_gathering_done(ice->agent, newest(ice)->stream);
}

/* Datagrams handed to libnice in one call at most (a sendmmsg's worth). */
#define RG_ICE_SEND_BATCH 64

int rg_ice_send(struct rg_ice *ice, const uint8_t *buf, size_t len)
{
	if (!ice->cur.connected)
		return CORE_ERR_AGAIN;
	return nice_agent_send(ice->agent, ice->cur.stream, 1, (guint)len, (const gchar *)buf) ==
			       (gint)len
		       ? CORE_OK
		       : CORE_ERR_AGAIN;
}

/* Segments of one UDP_SEGMENT send at most (the kernel's UDP_MAX_SEGMENTS), and its bytes. */
#define GSO_SEGS  64
#define GSO_BYTES 65000

/*
 * How many of the n datagrams, from the first, are one UDP_SEGMENT send:
 * all of the first's size but the last, which may be shorter.
 */
static size_t gso_run(const size_t *lens, size_t n)
{
	size_t k = 1, total = lens[0];

	while (k < n && k < GSO_SEGS && lens[k - 1] == lens[0] && lens[k] <= lens[0] &&
	       total + lens[k] <= GSO_BYTES)
		total += lens[k++];
	return k;
}

/* UDP_SEGMENT refused: libnice sends from now on, said once. */
static void gso_refused(struct rg_ice *ice, int err)
{
	ice->gso_off = true;
	core_log_info("ice", ice->name,
		      "segmentation offload refused (%s): one datagram per message",
		      g_strerror(err));
}

/*
 * Send the datagrams straight on the selected pair's UDP socket (not
 * through a relay), runs of equal size with UDP_SEGMENT, as the UDP bind
 * does: the number sent, from the first; *full when the socket's buffer
 * filled (the rest are lost), else libnice sends the rest.
 */
static size_t send_gso(struct rg_ice *ice, const uint8_t *const *bufs, const size_t *lens, size_t n,
		       bool *full)
{
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->cur.stream, 1);
	NiceCandidate *local, *remote;
	struct sockaddr_storage to;
	struct iovec iov[GSO_SEGS];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	size_t done = 0;

	if (sock == NULL)
		return 0;
	*full = false;
	if (!nice_agent_get_selected_pair(ice->agent, ice->cur.stream, 1, &local, &remote) ||
	    local->type == NICE_CANDIDATE_TYPE_RELAYED ||
	    remote->type == NICE_CANDIDATE_TYPE_RELAYED ||
	    local->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		goto out;
	memset(&to, 0, sizeof(to));
	nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&to);
	while (done < n && !ice->gso_off) {
		size_t k = gso_run(lens + done, n - done);
		struct msghdr m = { .msg_name = &to,
				    .msg_namelen = to.ss_family == AF_INET6
							   ? sizeof(struct sockaddr_in6)
							   : sizeof(struct sockaddr_in),
				    .msg_iov = iov,
				    .msg_iovlen = k };
		ssize_t r;

		for (size_t i = 0; i < k; i++)
			iov[i] = (struct iovec){ (void *)bufs[done + i], lens[done + i] };
		if (k > 1) {
			struct cmsghdr *c;
			uint16_t seg = (uint16_t)lens[done];

			memset(&ctl, 0, sizeof(ctl));
			m.msg_control = ctl.buf;
			m.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
		r = sendmsg(g_socket_get_fd(sock), &m, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && k > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT))
			gso_refused(ice, errno); /* the route's device cannot checksum, or no GSO */
		*full = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
		if (r < 0)
			break; /* full, or for libnice to say */
		done += k;
	}
out:
	g_object_unref(sock);
	return done;
}

int rg_ice_send_many(struct rg_ice *ice, const uint8_t *const *bufs, const size_t *lens, size_t n)
{
	NiceOutputMessage msgs[RG_ICE_SEND_BATCH];
	GOutputVector vecs[RG_ICE_SEND_BATCH];
	size_t done = 0;
	bool full = false;
	gint sent;

	if (!ice->cur.connected)
		return CORE_ERR_AGAIN;
	if (!ice->gso_off && n > 1) {
		done = send_gso(ice, bufs, lens, n, &full);
		if (done == n || full)
			return (int)done;
	}
	while (done < n) {
		size_t k = MIN(n - done, (size_t)RG_ICE_SEND_BATCH);

		for (size_t i = 0; i < k; i++) {
			vecs[i].buffer = bufs[done + i];
			vecs[i].size = lens[done + i];
			msgs[i].buffers = &vecs[i];
			msgs[i].n_buffers = 1;
		}
		sent = nice_agent_send_messages_nonblocking(ice->agent, ice->cur.stream, 1, msgs,
							    (guint)k, NULL, NULL);
		if (sent <= 0)
			break;
		done += (size_t)sent;
		if ((size_t)sent < k)
			break;
	}
	return (int)done;
}

int rg_ice_restart(struct rg_ice *ice, GError **error)
{
	int ret;

	/* a restart the peer never answered is replaced */
	remove_stream(ice, ice->next.stream);
	generation_clear(&ice->next);
	ret = add_generation(ice, &ice->next, error);
	if (ret != CORE_OK) {
		remove_stream(ice, ice->next.stream);
		generation_clear(&ice->next);
		return ret;
	}
	if (!ice->cur.connected)
		set_state(ice, RG_ICE_CHECKING);
	return CORE_OK;
}

bool rg_ice_restarting(const struct rg_ice *ice)
{
	return ice->next.stream != 0;
}

unsigned rg_ice_generations(const struct rg_ice *ice)
{
	return (ice->cur.stream != 0) + (ice->next.stream != 0) + (ice->retired != 0);
}

/* --- batch receive (batchrx.h) ------------------------------------------------ */

static void batch_close(struct rg_ice *ice, const char *why)
{
	if (ice->batch == NULL)
		return;
	rg_ice_batchrx_counts(ice->batch, &ice->batch_past);
	rg_ice_batchrx_close(ice->batch);
	ice->batch = NULL;
	core_log_info("ice", ice->name, "batch receive off (%s): libnice reads the pair", why);
}

static void batch_deliver(void *ctx, const uint8_t *buf, size_t len)
{
	struct rg_ice *ice = ctx;

	ice->rx_at_us = core_time_now_us(); /* the current pair's remote address only */
	if (ice->cb.data != NULL)
		ice->cb.data(ice->ctx, buf, len);
}

static void batch_failed(void *ctx, int err)
{
	struct rg_ice *ice = ctx;

	core_log_warn("ice", ice->name, "batch receive socket failed (%s)", g_strerror(err));
	ice->batch_refused = true; /* not again on this agent: libnice's path works */
	batch_close(ice, "socket failed");
}

static void batch_gro_off(void *ctx)
{
	struct rg_ice *ice = ctx;

	if (ice->gro_logged)
		return; /* each rest is counted (stray); the first says why */
	ice->gro_logged = true;
	core_log_info("ice", ice->name,
		      "a STUN or DTLS datagram came coalesced behind WireGuard: receive offload "
		      "off for 60 s (and after each such datagram)");
}

static const struct rg_ice_batchrx_callbacks batch_cbs = { batch_deliver, batch_failed,
							   batch_gro_off };

/*
 * The pair a batch receiver would serve: libnice's socket of the current
 * generation's selected pair and the remote address, when that pair is
 * UDP host or server-reflexive on both sides (a relay's datagrams come
 * wrapped from the TURN server: libnice unwraps them). The socket is
 * returned with a reference; NULL: none.
 */
static GSocket *batch_pair(struct rg_ice *ice, struct sockaddr_storage *remote, socklen_t *len)
{
	NiceCandidate *local, *rem;
	GSocket *sock;

	if (!ice->cur.connected || ice->state != RG_ICE_CONNECTED ||
	    !nice_agent_get_selected_pair(ice->agent, ice->cur.stream, 1, &local, &rem) ||
	    local->type == NICE_CANDIDATE_TYPE_RELAYED ||
	    rem->type == NICE_CANDIDATE_TYPE_RELAYED ||
	    local->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		return NULL;
	sock = nice_agent_get_selected_socket(ice->agent, ice->cur.stream, 1);
	if (sock == NULL)
		return NULL;
	memset(remote, 0, sizeof(*remote));
	nice_address_copy_to_sockaddr(&rem->addr, (struct sockaddr *)remote);
	*len = remote->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					     : sizeof(struct sockaddr_in);
	return sock;
}

/* Open, keep, move or close the batch receiver to match the selected pair. */
static void batch_update(struct rg_ice *ice)
{
	struct sockaddr_storage remote;
	socklen_t rlen = 0;
	GSocket *sock = NULL;
	const char *why;
	int fd;

	if (ice->batch_want && !ice->batch_refused)
		sock = batch_pair(ice, &remote, &rlen);
	if (sock == NULL) {
		batch_close(ice, ice->batch_want ? "no direct UDP pair" : "not wanted");
		return;
	}
	fd = g_socket_get_fd(sock);
	if (!rg_ice_batchrx_serves(ice->batch, fd, (struct sockaddr *)&remote, rlen)) {
		batch_close(ice, "the pair changed");
		if (rg_ice_batchrx_open(&ice->batch, fd, (struct sockaddr *)&remote, rlen,
					ice->context, &batch_cbs, ice, &why) == CORE_OK)
			core_log_info("ice", ice->name,
				      "batch receive on for the pair's WireGuard");
		else {
			/* logged once: libnice's path carries everything, as before */
			core_log_warn("ice", ice->name,
				      "no batch receive beside libnice's socket (%s: %s): one "
				      "datagram per read",
				      why, g_strerror(errno));
			ice->batch_refused = true;
		}
	}
	g_object_unref(sock);
}

void rg_ice_test_gro_rest(unsigned ms)
{
	rg_ice_batchrx_test_gro_rest(ms);
}

void rg_ice_batch_rx(struct rg_ice *ice, bool on)
{
	ice->batch_want = on;
	batch_update(ice);
}

void rg_ice_batch_rx_counts(const struct rg_ice *ice, struct rg_ice_rx_counts *out)
{
	struct rg_ice_batchrx_counts c = ice->batch_past;

	rg_ice_batchrx_counts(ice->batch, &c);
	out->active = ice->batch != NULL;
	out->datagrams = c.datagrams;
	out->messages = c.messages;
	out->foreign = c.foreign;
	out->stray = c.stray;
}
