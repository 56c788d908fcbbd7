/*
 * hub.h - the signaling hub: networks as rooms, peers joined under the name
 * their token grants, offers/answers/candidates routed by `to`.
 *
 *   - A connection is opened with its network and granted name (the server
 *     got both from the bearer token). Its first message must be `join` with
 *     that peerId; the joiner gets `peers` (everyone else in the network) and
 *     everyone else gets `peers` with the joiner only (the reference's way
 *     of announcing a newcomer).
 *   - A join under a name already connected replaces the old connection: it
 *     is closed ("replaced by a newer connection") with no `peer-left` (the
 *     reference announced a live peer as gone).
 *   - offer, answer and ice-candidate must come `from` the sender's own name
 *     (the reference did not check) and are forwarded verbatim to `to` in
 *     the same network; an unknown `to` is dropped, as the reference does.
 *   - A joined connection that closes: `peer-left` to the others.
 *   - Bad input (malformed, invalid, not joined, wrong name, over a limit)
 *     closes that connection with a WebSocket close code and a reason; no
 *     other connection is affected.
 *
 * Pure (sans-I/O): sending and closing are callbacks, time is a parameter.
 * Callbacks may run inside every rg_hub_* call except rg_hub_free; a close
 * callback must not call back into the hub synchronously (the server reports
 * the socket's end later through rg_hub_closed, which is then a no-op for a
 * connection the hub closed). Threading: none (one owner).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* WebSocket close codes the hub uses. */
#define RG_HUB_CLOSE_POLICY   1008 /* not joined, wrong name, network full, rate */
#define RG_HUB_CLOSE_INVALID  1007 /* the message is not a valid signaling message */
#define RG_HUB_CLOSE_TOO_BIG  1009
#define RG_HUB_CLOSE_REPLACED 4000 /* the same name joined again on a newer connection */
#define RG_HUB_CLOSE_REVOKED  4001 /* the server revoked the credentials it came with */

struct rg_hub_limits {
	unsigned max_peers;  /* per network (default 256) */
	unsigned msgs_per_s; /* sustained message rate per connection (default 50) */
	unsigned msgs_burst; /* (default 200) */
	size_t bytes_per_s;  /* sustained bytes per connection (default 256 KiB) */
	size_t bytes_burst;  /* (default 1 MiB) */
};

struct rg_hub_io {
	void (*send)(void *data, uint64_t conn, const char *text, size_t len);
	void (*close)(void *data, uint64_t conn, unsigned code, const char *reason);
	void *data;
};

struct rg_hub;

/* limits may be NULL (defaults); zero fields take their defaults. */
struct rg_hub *rg_hub_new(const struct rg_hub_limits *limits, const struct rg_hub_io *io);
void rg_hub_free(struct rg_hub *h);

/* A connection authenticated as name in network (ids are the caller's, unique). */
void rg_hub_open(struct rg_hub *h, uint64_t conn, const char *network, const char *name);
/* One text frame from conn, received at now_us (any monotonic microseconds). */
void rg_hub_message(struct rg_hub *h, uint64_t conn, const char *text, size_t len, int64_t now_us);
/*
 * Close conn for a reason of the server's own (its credentials were
 * revoked): the others in its network get `peer-left` now, not when the
 * socket's closing handshake ends, and none again then.
 */
void rg_hub_kick(struct rg_hub *h, uint64_t conn, unsigned code, const char *reason);
/* The connection is gone (closed by the peer, or after the hub's close). */
void rg_hub_closed(struct rg_hub *h, uint64_t conn);

/* Joined peers in a network (for /status). */
unsigned rg_hub_network_size(const struct rg_hub *h, const char *network);
unsigned rg_hub_connections(const struct rg_hub *h);
