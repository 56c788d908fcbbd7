/*
 * ice.c - the libnice agent behind rg_ice (contract in ice.h). One stream
 * with one component; ICE-TCP off (libnice would otherwise silently drop
 * browsers' UDP-only expectations); trickle and consent freshness on.
 */
#include "rift/ice/ice.h"

#include <agent.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/ice/ice-priv.h"

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

struct rg_ice {
	NiceAgent *agent;
	guint stream;
	struct rg_ice_callbacks cb;
	void *ctx;
	GMainContext *context;
	char *ufrag, *pwd;
	enum rg_ice_state state;
	gulong handlers[4];
};

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

static void set_state(struct rg_ice *ice, enum rg_ice_state s)
{
	if (ice->state == s)
		return;
	ice->state = s;
	if (ice->cb.state != NULL)
		ice->cb.state(ice->ctx, s);
}

static void on_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
	struct rg_ice *ice = data;
	char *line = nice_agent_generate_local_candidate_sdp(agent, cand);
	const char *text = line;

	if (text != NULL && g_str_has_prefix(text, "a="))
		text += 2;
	if (text != NULL && ice->cb.candidate != NULL)
		ice->cb.candidate(ice->ctx, text);
	g_free(line);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct rg_ice *ice = data;

	if (ice->cb.gathering_done != NULL)
		ice->cb.gathering_done(ice->ctx);
}

static void on_component_state(NiceAgent *agent, guint stream, guint comp, guint state,
			       gpointer data)
{
	struct rg_ice *ice = data;

	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTING:
		if (ice->state == RG_ICE_NEW)
			set_state(ice, RG_ICE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		set_state(ice, RG_ICE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		set_state(ice,
			  ice->state == RG_ICE_CONNECTED ? RG_ICE_DISCONNECTED : RG_ICE_FAILED);
		break;
	default:
		break;
	}
}

/* Set one socket buffer size: forced where we may, else as far as the system allows. */
static void set_buffer(GSocket *sock, int forced, int plain)
{
	if (!g_socket_set_option(sock, SOL_SOCKET, forced, SOCKET_BUFFER_BYTES, NULL))
		g_socket_set_option(sock, SOL_SOCKET, plain, SOCKET_BUFFER_BYTES, NULL);
}

/* Enlarge the selected pair's socket buffers (none for a relayed pair: TURN's socket). */
static void size_buffers(struct rg_ice *ice)
{
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);

	if (sock == NULL)
		return;
	set_buffer(sock, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(sock, SO_SNDBUFFORCE, SO_SNDBUF);
	g_object_unref(sock);
}

int rg_ice_socket_buffer(struct rg_ice *ice, int optname)
{
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
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

	size_buffers(ice);
	if (ice->cb.selected != NULL)
		ice->cb.selected(ice->ctx, type_name(local->type), type_name(remote->type));
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
		    gpointer data)
{
	struct rg_ice *ice = data;

	if (ice->cb.data != NULL)
		ice->cb.data(ice->ctx, (const uint8_t *)buf, len);
}

static void load_credentials(struct rg_ice *ice)
{
	g_free(ice->ufrag);
	g_free(ice->pwd);
	ice->ufrag = ice->pwd = NULL;
	nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd);
}

static NiceRelayType relay_type(enum rg_ice_relay r)
{
	return r == RG_ICE_TURN_TCP   ? NICE_RELAY_TYPE_TURN_TCP
	       : r == RG_ICE_TURN_TLS ? NICE_RELAY_TYPE_TURN_TLS
				      : NICE_RELAY_TYPE_TURN_UDP;
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
	for (size_t i = 0; i < cfg->n_turn; i++) {
		const struct rg_ice_turn *t = &cfg->turn[i];

		if (!nice_agent_set_relay_info(ice->agent, ice->stream, 1, t->host, t->port,
					       t->username, t->password,
					       relay_type(t->transport))) {
			core_err_to_gerror(error, CORE_ERR_CONFIG,
					   "TURN server %s:%u: not a numeric address", t->host,
					   t->port);
			return CORE_ERR_CONFIG;
		}
	}
	return CORE_OK;
}

int rg_ice_new(struct rg_ice **out, const struct rg_ice_config *cfg,
	       const struct rg_ice_callbacks *cb, void *ctx, GMainContext *context, GError **error)
{
	struct rg_ice *ice = g_new0(struct rg_ice, 1);
	int ret;

	*out = NULL;
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
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	ice->handlers[0] =
		g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_candidate), ice);
	ice->handlers[1] = g_signal_connect(ice->agent, "candidate-gathering-done",
					    G_CALLBACK(on_gathering_done), ice);
	ice->handlers[2] = g_signal_connect(ice->agent, "component-state-changed",
					    G_CALLBACK(on_component_state), ice);
	ice->handlers[3] = g_signal_connect(ice->agent, "new-selected-pair-full",
					    G_CALLBACK(on_selected), ice);
	nice_agent_attach_recv(ice->agent, ice->stream, 1, ice->context, on_recv, ice);
	ret = configure(ice, cfg, error);
	if (ret != CORE_OK) {
		rg_ice_free(ice);
		return ret;
	}
	load_credentials(ice);
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
	for (size_t i = 0; i < G_N_ELEMENTS(ice->handlers); i++)
		if (ice->handlers[i] != 0)
			g_signal_handler_disconnect(ice->agent, ice->handlers[i]);
	nice_agent_attach_recv(ice->agent, ice->stream, 1, ice->context, NULL, NULL);
	/* TURN allocations are released in the background; the agent frees itself after */
	nice_agent_close_async(ice->agent, on_closed, NULL);
	g_main_context_unref(ice->context);
	g_free(ice->ufrag);
	g_free(ice->pwd);
	g_free(ice);
}

const char *rg_ice_ufrag(const struct rg_ice *ice)
{
	return ice->ufrag;
}

const char *rg_ice_pwd(const struct rg_ice *ice)
{
	return ice->pwd;
}

int rg_ice_gather(struct rg_ice *ice)
{
	return nice_agent_gather_candidates(ice->agent, ice->stream) ? CORE_OK : CORE_ERR_SYSTEM;
}

int rg_ice_set_remote_credentials(struct rg_ice *ice, const char *ufrag, const char *pwd)
{
	if (ufrag == NULL || pwd == NULL || ufrag[0] == '\0' || pwd[0] == '\0' ||
	    strlen(ufrag) > 256 || strlen(pwd) > 256)
		return CORE_ERR_BAD_VALUE;
	return nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd)
		       ? CORE_OK
		       : CORE_ERR_BAD_VALUE;
}

int rg_ice_add_remote_candidate(struct rg_ice *ice, const char *line)
{
	char *text = g_str_has_prefix(line, "a=") ? g_strdup(line) : g_strconcat("a=", line, NULL);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, text);
	GSList one = { 0 };
	int ret = CORE_ERR_BAD_FORMAT;

	if (c == NULL)
		goto out;
	ret = CORE_ERR_NOT_FOUND;
	if (c->component_id != 1 || c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		goto out;
	one.data = c;
	ret = nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, &one) == 1
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
	nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

int rg_ice_send(struct rg_ice *ice, const uint8_t *buf, size_t len)
{
	if (ice->state != RG_ICE_CONNECTED)
		return CORE_ERR_AGAIN;
	return nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)buf) ==
			       (gint)len
		       ? CORE_OK
		       : CORE_ERR_AGAIN;
}

int rg_ice_restart(struct rg_ice *ice)
{
	if (!nice_agent_restart_stream(ice->agent, ice->stream))
		return CORE_ERR_SYSTEM;
	load_credentials(ice);
	ice->state = RG_ICE_NEW;
	return rg_ice_gather(ice);
}
