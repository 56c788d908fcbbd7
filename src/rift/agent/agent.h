/*
 * agent.h - the riftgate agent (`riftgate up`): a WireGuard interface whose
 * peers are reached over WebRTC data channels, set up through a signaling
 * server, so that devices behind NATs reach each other with no inbound
 * port (docs/protocol/agent.md has the whole protocol).
 *
 *   - Joins signaling as the configured device, announcing its WireGuard
 *     public key, tunnel address, advertised routes and a session id (a
 *     random id per start, in metadata "session", so that peers can tell a
 *     restarted agent from a reconnected one).
 *   - For every other device, the one with the smaller name (byte order)
 *     offers one data channel labelled "riftgate", unordered with
 *     maxRetransmits 0; each WireGuard datagram is one message on it (the
 *     data-channel bind, dcbind.h). When the channel opens, the WireGuard
 *     peer is configured: AllowedIPs = the peer's tunnel address plus the
 *     routes accepted from it (a peer without an address gets no WireGuard
 *     peer), and those routes go into the kernel through the TUN.
 *   - A lost signaling connection never drops a working tunnel; after
 *     re-joining, tunnels that work are kept.
 *   - Liveness: a path that takes datagrams and answers none for about 4
 *     s (a WireGuard handshake is sent as a probe after 1.5 s), a lost ICE
 *     consent, or a change of the machine's addresses or default routes
 *     (rtnetlink) restarts ICE at once; after 3 restarts that do not bring
 *     traffic back, the peer connection is rebuilt.
 *   - A device that advertises routes runs the gateway (forwarding and a
 *     masquerade rule), restored at exit and after a crash.
 *   - Status on the control socket (control.h).
 *   - A registered device (refresh-token in its secrets) refreshes its
 *     access token at start, before it expires and after the server
 *     refuses it (session.h); TURN and STUN servers come from the server
 *     unless the configuration names some. A refused access token (HTTP 401
 *     on /connect) is refreshed, at most AGENT_MAX_AUTH_REFRESH times in a
 *     row (until a connection succeeds); the refusal after those, or a
 *     refused refresh, stops it: "device revoked or expired, run riftgate
 *     setup", exit status 0.
 *
 * Ownership: rg_agent_new takes conf; rg_agent_free tears everything down
 * in the reference's order (peers: routes, WireGuard peer, channel,
 * peer connection; then the interface, the gateway). Threading: the
 * thread-default main context of the caller.
 */
#pragma once

#include <glib.h>

#include "rift/agent/conf.h"

struct rg_agent;

/* The agent cannot go on (reason for the log and the exit message). */
typedef void (*rg_agent_fatal_fn)(void *data, const char *reason);

/*
 * Start: resolve the STUN/TURN servers, create the interface, the
 * gateway, the control socket, and connect to signaling. Takes conf (also
 * on failure). CORE_OK, or an error with *error for the user: the
 * interface (CORE_ERR_SYSTEM: not root, name taken), a server name that
 * does not resolve (CORE_ERR_NOT_FOUND), a route refused by validation or
 * the control socket (CORE_ERR_CONFIG / CORE_ERR_SYSTEM).
 */
int rg_agent_new(struct rg_agent **out, struct rg_agent_conf *conf, rg_agent_fatal_fn fatal,
		 void *data, GError **error);
void rg_agent_free(struct rg_agent *a);
/*
 * The exit status after a fatal callback: 0 when the server refused the
 * device's credentials for good (revoked or expired: riftgate setup must run
 * again, and a service manager must not restart it in a loop, as the
 * reference), else 1.
 */
int rg_agent_exit_status(const struct rg_agent *a);

/* The status document served at GET /status (g_free); see riftgate(8) for its fields. */
char *rg_agent_status_json(struct rg_agent *a);
