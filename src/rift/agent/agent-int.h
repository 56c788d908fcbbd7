/*
 * agent-int.h - what the agent's files share: agent.c (start, signaling,
 * the peer table, the liveness tick), peer.c (one remote device: its peer
 * connection, restarts, WireGuard peer and routes), carry.c (accepted
 * routes, unusable candidates, the gateway), report.c (the status
 * document), session.c/authc.c (the account's tokens). Internal to
 * src/rift/agent.
 *
 * Ownership: the agent owns its peers (table by name); a peer owns its
 * current connection. A connection that is dropped is detached from its
 * peer at once (its callbacks then do nothing) and freed from the loop
 * later, because the peer connection may be inside one of its callbacks.
 * Threading: the agent's main context only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/agent/agent.h"
#include "rift/agent/conf.h"
#include "rift/ice/ice.h"
#include "rift/rtc/pc.h"
#include "rift/sig/client.h"
#include "rift/wg/device.h"

#define AGENT_LABEL "riftgate" /* the data channel's label */
/* WireGuard persistent keepalive: the reference's 25 s, shortened so that a side with nothing
 * to send still sends, and so notices a dead path, within about 12 s */
#define AGENT_KEEPALIVE_S	  10
#define AGENT_MAX_RESTARTS	  3		/* ICE restarts before a rebuild (reference) */
#define AGENT_TICK_MS		  500		/* liveness sampling */
#define AGENT_PROBE_AFTER_US	  (1000 * 1000) /* unanswered sends: send a handshake */
#define AGENT_DEAD_AFTER_PROBE_US (1500 * 1000) /* ... and none answers it: dead path */
#define AGENT_RESTART_TIMEOUT_US  (5 * G_USEC_PER_SEC)	/* a restart that has not connected */
#define AGENT_SIG_RECHECK_US	  (10 * G_USEC_PER_SEC) /* reconnect signaling at most this often */
#define AGENT_CONNECT_TIMEOUT_US  (20 * G_USEC_PER_SEC) /* a first connection that has not */
#define AGENT_MAX_PENDING	  128	      /* candidates kept before the remote description */
#define AGENT_SIG_PING_S	  5	      /* signaling keepalive */
#define AGENT_SIG_RETRY_MS	  (60 * 1000) /* signaling gave up: start over after this */
#define AGENT_MAX_AUTH_REFRESH	  3 /* refreshes after a 401 in a row, then revoked (reference) */

struct agent_peer;

/* One peer connection to a peer, and its data channel. */
struct agent_conn {
	struct agent_peer *peer; /* NULL once dropped: callbacks do nothing */
	struct rg_pc *pc;
	struct rg_dc *dc;   /* the "riftgate" channel once open */
	uint32_t link;	    /* its dcbind link (0: none) */
	bool remote_set;    /* a remote description was applied */
	GPtrArray *pending; /* candidates that came before it (char *) */
	/* what we last said through signaling: a description and the candidates since
	 * (char *, at most AGENT_MAX_PENDING), repeated when it may have been lost */
	char *said_type, *said_sdp;
	GPtrArray *said;
	enum rg_pc_state state;
	char pair_type[8], local_type[8], remote_type[8];
	char remote_address[RG_ICE_ADDRSTRLEN]; /* the peer's end of the selected pair */
	int64_t created_us;
};

struct agent_peer {
	struct rg_agent *agent;
	char *name;
	bool offerer; /* our name is the smaller one */
	/* what signaling says of it */
	bool listed; /* joined, as far as we know */
	bool has_key;
	uint8_t key[RG_WG_KEY_LEN];
	bool has_address;
	uint8_t address[4]; /* its tunnel address (IPv4) */
	char *address_text;
	char **advertised; /* routes it advertises, NULL-terminated */
	char *session;	   /* its session id, or NULL */
	bool direct_ok;	   /* it takes WireGuard straight on the ICE path (metadata wg=direct) */
	/* the connection */
	struct agent_conn *conn;
	int64_t connected_since_unix; /* wall clock, 0: not since the last loss */
	/* WireGuard */
	struct rg_wg_peer *wg;
	GArray *routes; /* struct rg_wg_prefix: kernel routes we added for it */
	/* liveness and restarts */
	unsigned restarts;	     /* ICE restarts since traffic last flowed */
	bool restart_wanted;	     /* waits for signaling to come back */
	int64_t restart_at_us;	     /* when the current restart began (0: none) */
	int64_t unanswered_since_us; /* first send after the last receive (0: answered) */
	int64_t probe_at_us;	     /* handshake sent as a probe (0: none) */
	int64_t last_rx_us;
};

struct rg_agent {
	struct rg_agent_conf *conf;
	rg_agent_fatal_fn fatal;
	void *fatal_data;
	char session[17];
	uint8_t public_key[RG_WG_KEY_LEN];
	char public_b64[RG_WG_KEY_B64_LEN + 1];
	/* ICE servers, numeric (the configuration's, else the server's) */
	char *stun_host;
	uint16_t stun_port;
	char *srv_turn_user, *srv_turn_pass; /* the server's TURN credentials */
	struct rg_ice_turn turn;
	size_t n_turn;
	char *turn_host;
	/* WireGuard */
	struct rg_wg_runner *runner;
	struct rg_wg_bind *bind; /* the runner's (dcbind) */
	/* a registered device's access token (session.h); NULL with a static token */
	struct rg_session *auth;
	unsigned auth_refusals; /* 401s on /connect since the last connection */
	bool revoked;		/* the server refuses our credentials: exit 0 */
	/* signaling */
	struct rg_sig_client *sig;
	bool sig_connected;
	bool sig_listed;	  /* the peers list after our join has arrived */
	bool sig_ever;		  /* joined at least once */
	int64_t sig_rechecked_us; /* last reconnect because a path died */
	guint sig_retry;
	/* peers */
	GHashTable *peers; /* name -> struct agent_peer * */
	guint tick;
	struct rg_agent_control *control;
	struct rg_netwatch *netwatch;
	struct rg_gw *gw;
	char *gw_state; /* the gateway's state file: CONTROL-DIR/IFNAME.gateway */
	guint gw_watchdog;
	int64_t started_us;
};

/* peer.c */
struct agent_peer *agent_peer_new(struct rg_agent *a, const char *name);
/* Remove in the reference's order: routes, WireGuard peer, channel, connection. */
void agent_peer_free(struct agent_peer *p);
/* The server lists it (joined, or in our list after joining): connect if we offer;
 * during our restart, say its offer and candidates again (they may have been lost). */
void agent_peer_listed(struct agent_peer *p, const struct rg_sig_peer *info);
void agent_peer_offer(struct agent_peer *p, const char *sdp, const char *key);
void agent_peer_answer(struct agent_peer *p, const char *sdp, const char *key);
void agent_peer_candidate(struct agent_peer *p, const char *candidate);
/* It left signaling: true when the peer should be removed (its tunnel is not working). */
bool agent_peer_left(struct agent_peer *p);
/* Liveness and timeouts, every AGENT_TICK_MS: false when the peer should go (it left
 * signaling and its connection is gone too). */
bool agent_peer_tick(struct agent_peer *p, int64_t now_us);
/* Restart ICE now (or when signaling is back); why goes to the log. */
void agent_peer_restart(struct agent_peer *p, const char *why);
/* Signaling is back and listed us: what waited for it. */
void agent_peer_signaling_back(struct agent_peer *p);

/* agent.c */
/* Send to the peer through signaling: CORE_OK or CORE_ERR_CLOSED (not connected). */
int agent_signal(struct rg_agent *a, struct rg_sig_msg *m);
struct rg_wg_device *agent_device(struct rg_agent *a);
/* The device changed (peers, endpoints): flush and re-arm its timer. */
void agent_device_kick(struct rg_agent *a);
/*
 * The routes to route to peer: what it advertises that our [peer.NAME]
 * accepts, valid against our tunnel and interfaces (routes.h); refusals
 * logged with their reason. An array of struct rg_wg_prefix (g_array_free).
 */
GArray *agent_accepted_routes(struct rg_agent *a, const char *peer, char **advertised);
/* A candidate whose address the tunnel does not carry (cand.h says why that matters). */
bool agent_candidate_usable(struct rg_agent *a, const char *line);
/*
 * A path died: the signaling connection, often through the same NAT, may
 * have died with it without TCP noticing for minutes, and a restart's offer
 * would go nowhere. Reconnect it (at most every AGENT_SIG_RECHECK_US).
 */
void agent_signaling_recheck(struct rg_agent *a, const char *peer);
/* The peers, in an array (the table may change while they are visited: g_ptr_array_unref). */
GPtrArray *agent_peers(struct rg_agent *a);
/*
 * carry.c: clean up after an earlier run's gateway, then start the gateway
 * when this device advertises routes (a failure is logged, not fatal).
 */
void agent_gateway_start(struct rg_agent *a);
/* Fill the ICE part of a peer connection's configuration. */
void agent_ice_config(struct rg_agent *a, struct rg_ice_config *ice, bool controlling);
