/*
 * ice.h - one ICE component for a WebRTC data channel, on libnice: UDP
 * only (as browsers do), trickle candidates both ways, STUN and TURN
 * (UDP, TCP, TLS) servers, RFC 7675 consent freshness, ICE restart.
 * Candidates travel as SDP attribute text ("candidate:..."); credentials
 * as the ice-ufrag / ice-pwd strings.
 *
 * ICE restart is make-before-break: rg_ice_restart starts a new
 * generation (new credentials, a fresh gathering, so a changed address or
 * a new TURN allocation is found) while the current pair keeps carrying
 * data; the new pair takes over when it connects, and the old one still
 * receives for 2 s. Signaling calls (credentials, candidates, gathering)
 * always address the newest generation.
 *
 * States: CHECKING until a pair works, then CONNECTED. A working pair
 * that fails, or loses consent (libnice 0.1.21: no answer to its checks
 * for 10 s) while nothing came from the peer for 2 s, makes DISCONNECTED:
 * sends are refused until a restart connects (CONNECTED again). A consent
 * loss while the peer's datagrams still come keeps the pair (ice.c,
 * CONSENT_PROOF_MS, logged at INFO). FAILED: nothing ever worked, or a
 * restart failed with no working pair left; a restart may still be tried.
 *
 * The selected pair is reported as three types, each "host", "srflx",
 * "prflx" or "relay" (struct rg_ice_pair), by these rules, which say how
 * the packets go rather than how libnice happened to learn a candidate
 * (tests/lab/rtc-nat.sh shows them through real NATs, and
 * tests/integration/rift/test_ice.c on loopback):
 *  - local: our candidate. libnice names a NAT mapping "prflx" when the
 *    peer's answer to a check reveals it before the STUN server's answer
 *    does, and then drops the server's identical answer as redundant, so
 *    a hole-punched path would say "prflx". We report such a candidate as
 *    "srflx", unless one of our server-reflexive candidates from the same
 *    base has another address: then our NAT maps per destination
 *    (symmetric) and the mapping really is one only the peer has seen.
 *  - remote: the peer's candidate. A check that arrives before the peer's
 *    candidate was signaled makes a "prflx" remote candidate; when the
 *    candidate arrives libnice gives it its real type and selects the pair
 *    again, so it is reported again.
 *  - type: the connection's, for users (the reference's "ICE TYPE"):
 *    "relay" when either candidate is a relay (the path goes through a
 *    TURN server), else the local type. (The reference shows the local
 *    type alone, so the side whose peer holds the relay would show
 *    "prflx" or "srflx" for a relayed connection.)
 * A pair is reported each time a generation selects it, and again when a
 * candidate gathered later changes its local type (a server-reflexive
 * candidate that shows our NAT maps per destination).
 *
 * TURN over WebSocket (RG_ICE_TURN_WS, the Worker's /turn; turnws.h) goes
 * through a bridge the same way, each connection libnice makes one
 * WebSocket carrying one STUN message or ChannelData frame per message.
 *
 * TURN over TLS (RG_ICE_TURN_TLS, a "turns:" server): libnice 0.1.21 in
 * RFC 5245 mode sends its TURN_TLS in cleartext, exactly as TURN_TCP, so
 * each such server gets a bridge (turnbridge.h) made at rg_ice_new and
 * shared by every generation: libnice is given a TCP TURN server on
 * 127.0.0.1, and each connection it makes there goes on to the real server
 * over TLS (turntls.h), verified against the system's CAs and tls_name
 * (also the SNI), or against tls_pin alone when set. A server that fails
 * verification (or cannot be reached) is logged at WARN with the agent's
 * name, the server's address and name, and the reason ("[turn laptop
 * turns:192.0.2.1:5349 (turn.example.com)] ..."); ICE just gets no relay
 * candidate from it. libnice reaches the bridge from its IPv4 host
 * candidates, so TURN over TLS needs one IPv4 interface (loopback not
 * counted unless listed in local_addresses); the relayed address is the
 * server's choice.
 *
 * Every log line names the agent (cfg->name), so that many agents can
 * share one process. Events arrive on the GLib main context given at
 * creation, through the callbacks. Servers are given as numeric addresses:
 * resolving names is the caller's job (libnice resolves TURN names, but not
 * STUN ones, and not on our terms).
 *
 * Ownership: rg_ice_free closes the agent (TURN allocations are released
 * asynchronously; the bridges carry those last requests, then go by
 * themselves within RG_TURN_BRIDGE_LINGER_MS) and never calls a callback
 * afterwards. Callbacks must not free the object. Threading: the context's
 * thread only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rg_ice_state {
	RG_ICE_NEW,
	RG_ICE_CHECKING,
	RG_ICE_CONNECTED,
	RG_ICE_FAILED,
	RG_ICE_DISCONNECTED, /* consent lost, or the pair stopped working */
};

enum rg_ice_relay { RG_ICE_TURN_UDP, RG_ICE_TURN_TCP, RG_ICE_TURN_TLS, RG_ICE_TURN_WS };

struct rg_ice_turn {
	const char *host; /* numeric */
	uint16_t port;
	const char *username, *password;
	enum rg_ice_relay transport;
	/* RG_ICE_TURN_TLS only (turntls.h): the certificate's name (SNI, verification) */
	const char *tls_name;
	/* ... or its SHA-256 (CORE_TLS_FP_LEN bytes), which then wins; one of them is needed */
	const uint8_t *tls_pin;
	/* RG_ICE_TURN_WS only (turnws.h): "wss://host/turn" (host and port above are
	 * for logs), tls_pin pins its certificate; ws_token gives the bearer token at
	 * each connection and must outlive the agent's bridges (ws_token_data borrowed) */
	const char *ws_url;
	char *(*ws_token)(void *data);
	void *ws_token_data;
};

struct rg_ice_config {
	const char *name;      /* the agent's object in log lines (copied); NULL: "ice-N" */
	bool controlling;      /* the offerer controls */
	const char *stun_host; /* numeric, or NULL */
	uint16_t stun_port;
	const struct rg_ice_turn *turn; /* n_turn servers */
	size_t n_turn;
	bool relay_only;		    /* gather relay candidates only */
	const char *const *local_addresses; /* NULL: every interface; else only these */
};

/* The selected pair, as reported (rules above); static strings. */
#define RG_ICE_ADDRSTRLEN 56 /* "[ffff:...:ffff]:65535" with the NUL */

struct rg_ice_pair {
	const char *type;   /* the connection's */
	const char *local;  /* our candidate's */
	const char *remote; /* the peer's candidate's */
	char remote_address
		[RG_ICE_ADDRSTRLEN]; /* where we send: "198.51.100.3:40123", "[v6]:port" */
};

struct rg_ice_callbacks {
	void (*candidate)(void *ctx, const char *line); /* "candidate:..." */
	void (*gathering_done)(void *ctx);
	void (*state)(void *ctx, enum rg_ice_state state);
	void (*selected)(void *ctx, const struct rg_ice_pair *pair);
	void (*data)(void *ctx, const uint8_t *buf, size_t len);
};

struct rg_ice;

/*
 * CORE_OK; CORE_ERR_CONFIG with *error: a server address libnice refuses, or
 * a TURN-over-TLS server with neither tls_name nor tls_pin; CORE_ERR_SYSTEM
 * with *error: no loopback port for a TLS server's bridge. cfg is copied.
 */
int rg_ice_new(struct rg_ice **out, const struct rg_ice_config *cfg,
	       const struct rg_ice_callbacks *cb, void *ctx, GMainContext *context, GError **error);
void rg_ice_free(struct rg_ice *ice);

/* Our ice-ufrag and ice-pwd, of the newest generation. */
const char *rg_ice_ufrag(const struct rg_ice *ice);
const char *rg_ice_pwd(const struct rg_ice *ice);
/* Start gathering (the newest generation); candidates arrive through cb->candidate.
 * CORE_OK or CORE_ERR_SYSTEM. */
int rg_ice_gather(struct rg_ice *ice);
/* CORE_OK or CORE_ERR_BAD_VALUE (empty or too long). */
int rg_ice_set_remote_credentials(struct rg_ice *ice, const char *ufrag, const char *pwd);
/*
 * A remote candidate ("candidate:..." with or without "a="). CORE_OK;
 * CORE_ERR_BAD_FORMAT (libnice cannot parse it); CORE_ERR_NOT_FOUND for a
 * candidate this agent ignores (TCP, another component).
 */
int rg_ice_add_remote_candidate(struct rg_ice *ice, const char *line);
void rg_ice_remote_gathering_done(struct rg_ice *ice);
/* Send a datagram on the current selected pair: CORE_OK or CORE_ERR_AGAIN (no working pair). */
int rg_ice_send(struct rg_ice *ice, const uint8_t *buf, size_t len);
/*
 * Send n datagrams (bufs[i], lens[i]) on the current selected pair. On a
 * pair of UDP host or server-reflexive candidates they go straight on its
 * socket, each run of equal sizes (the last may be shorter, at most 64)
 * in one sendmsg with UDP_SEGMENT; if the kernel refuses that (EIO: the
 * route's device cannot checksum; EINVAL: segments beyond the route's
 * MTU) it is logged once and libnice sends from then on, one sendmsg per
 * datagram, as it does through a relay.
 * The number sent, in order (fewer than n when the socket's buffer
 * filled: the rest are not sent), or CORE_ERR_AGAIN (no working pair:
 * none sent).
 */
int rg_ice_send_many(struct rg_ice *ice, const uint8_t *const *bufs, const size_t *lens, size_t n);
/*
 * Start a new generation: new local credentials (read them with
 * rg_ice_ufrag / rg_ice_pwd and signal them), then rg_ice_gather; the
 * peer restarts too and its credentials and candidates go to the new
 * generation. A restart that was never answered is replaced. CORE_OK, or
 * CORE_ERR_SYSTEM / CORE_ERR_CONFIG with *error (the current pair stays).
 */
int rg_ice_restart(struct rg_ice *ice, GError **error);
/* A restart is in progress (its generation has not connected yet). */
bool rg_ice_restarting(const struct rg_ice *ice);
/*
 * Generations alive (libnice streams): the current one, a restart's not
 * yet connected, and the previous one in its last 2 s of receiving. 1 when
 * settled, 0 before any.
 */
unsigned rg_ice_generations(const struct rg_ice *ice);

/*
 * Batch receive (for WireGuard beside the data channel): while on and the
 * current generation's selected pair is UDP host or server-reflexive on
 * both sides, WireGuard-shaped datagrams (rtc/demux.h) from the pair's
 * remote address are read beside libnice, in recvmmsg batches with
 * UDP_GRO, on a second socket bound to the same address and port
 * (SO_REUSEPORT, a kernel steering program: batchrx.h), and reach
 * cb->data as before; STUN (consent), DTLS and TURN stay with libnice. It
 * follows the pair: closed when the pair changes, a restart connects, the
 * path is lost or the pair is relayed, reopened for the next direct pair.
 * A STUN or DTLS datagram that the kernel coalesced behind WireGuard (a
 * NIC's GRO) still reaches cb->data, and receive offload goes off on that
 * socket for 60 s, twice the consent timeout (counted as stray; batchrx.h).
 * A kernel that refuses (or a socket that fails) is logged once at WARN
 * with the agent's name and libnice reads everything from then on. Off at
 * creation.
 */
void rg_ice_batch_rx(struct rg_ice *ice, bool on);

struct rg_ice_rx_counts {
	bool active;		      /* the batch receiver is open now */
	uint64_t datagrams, messages; /* received by it so far, and the messages holding them */
	uint64_t foreign;	      /* dropped: from another address than the pair's */
	uint64_t stray; /* not WireGuard but coalesced behind it (batchrx.h): offload then off */
};
void rg_ice_batch_rx_counts(const struct rg_ice *ice, struct rg_ice_rx_counts *out);
