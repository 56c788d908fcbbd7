/*
 * turnbridge.h - a plain TCP TURN server on loopback for libnice, carried
 * to the real TURN server over a stream libnice cannot make itself.
 *
 * libnice 0.1.21 speaks TURN over plain TCP only: in RFC 5245 mode its
 * NICE_RELAY_TYPE_TURN_TLS sends the same cleartext as TURN_TCP (its
 * pseudo-TLS wrapper is for the Google and OC2007 dialects), so a `turns:`
 * server never answers. A bridge listens on 127.0.0.1:<ephemeral port>,
 * libnice is told that this is a TCP TURN server, and for each connection
 * libnice makes the bridge opens one upstream stream through the caller's
 * opener (TLS to the server: turntls.h; TURN over a WebSocket would be a
 * framing stream behind another opener) and copies bytes both ways.
 * The bridge knows nothing of TURN: the bytes are libnice's, framing
 * included (RFC 5766 §2.1: STUN messages and ChannelData, padded, on TCP).
 *
 * Per connection: nothing is read from libnice until the upstream is open
 * (its first Allocate waits in the kernel); then each direction reads at
 * most RG_TURN_BRIDGE_CHUNK bytes and reads again only once they are
 * written on, so a slow side stops the other one (back-pressure) and a
 * connection holds at most two chunks. When either side ends or fails,
 * both are closed together (TLS with its close_notify).
 *
 * A failed open (or one not done within RG_TURN_BRIDGE_OPEN_MS) is logged
 * at WARN with the bridge's name and the opener's reason, and libnice gets
 * no relay candidate from that connection. Its end is held back, though:
 * libnice 0.1.21 never finishes gathering if a TCP TURN connection hangs
 * up while its Allocate is unanswered, so a connection the server never
 * answered stays open toward libnice (its bytes read and dropped) until
 * libnice closes it or RG_TURN_BRIDGE_HOLD_MS pass; libnice itself gives
 * up on the Allocate after its reliable STUN timeout (2 s by default).
 *
 * Lifetime ("lost" before "freed"): rg_turn_bridge_free stops listening
 * and ends the connections that are opening or held, but open ones keep
 * carrying bytes (libnice, closing asynchronously, sends its final Refresh
 * with lifetime 0 through them) until one side ends them or
 * RG_TURN_BRIDGE_LINGER_MS pass; the memory goes, from the loop, with the
 * last of them. Nothing the bridge does after rg_turn_bridge_free reaches
 * its caller except opener.ctx_free.
 *
 * Ownership: the bridge owns opener.ctx from rg_turn_bridge_new on (also
 * when that fails) and calls opener.ctx_free once, when it is freed.
 * Threading: the thread of the GMainContext given at creation; every
 * callback and every asynchronous call is on it.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

/* bytes in flight per direction and connection */
#define RG_TURN_BRIDGE_CHUNK 16384
/* an upstream not open by then is given up */
#define RG_TURN_BRIDGE_OPEN_MS 5000
/* a connection the server never answered stays open toward libnice this long at most */
#define RG_TURN_BRIDGE_HOLD_MS 10000
/* open connections outlive rg_turn_bridge_free this long at most */
#define RG_TURN_BRIDGE_LINGER_MS 10000
/* libnice opens one per IPv4 host candidate and generation; more are refused */
#define RG_TURN_BRIDGE_MAX_CONNS 32

/* How to reach the real server: one new stream per connection libnice makes. */
struct rg_turn_bridge_opener {
	/* Start opening; call done(NULL, result, data) on the context, even when cancelled. */
	void (*open_async)(void *ctx, GCancellable *cancel, GAsyncReadyCallback done,
			   gpointer data);
	/* The stream (the caller's reference) or NULL with *error: the reason that is logged. */
	GIOStream *(*open_finish)(void *ctx, GAsyncResult *result, GError **error);
	void *ctx;
	GDestroyNotify ctx_free; /* may be NULL */
};

struct rg_turn_bridge_stats {
	unsigned accepted;	       /* connections from libnice */
	unsigned opened;	       /* ... whose upstream opened */
	unsigned failed;	       /* ... whose upstream did not (refused, timed out) */
	unsigned active;	       /* connections now (opening, open or closing) */
	uint64_t to_server, to_client; /* bytes carried */
};

struct rg_turn_bridge;

/*
 * Listen on 127.0.0.1 for a TURN server; name (copied) is the bridge's
 * object in log lines: its owner and the server, as rg_ice makes it ("laptop
 * turns:192.0.2.1:5349 (turn.example.com)"). context: NULL for the
 * thread-default one. CORE_OK, or CORE_ERR_SYSTEM with *error (cannot
 * listen).
 */
int rg_turn_bridge_new(struct rg_turn_bridge **out, const char *name,
		       const struct rg_turn_bridge_opener *opener, GMainContext *context,
		       GError **error);
/* Lose the bridge (see above); NULL is ignored. */
void rg_turn_bridge_free(struct rg_turn_bridge *b);

/* The loopback port to give libnice as a TCP TURN server on 127.0.0.1. */
uint16_t rg_turn_bridge_port(const struct rg_turn_bridge *b);
/* Counters since creation. */
void rg_turn_bridge_get_stats(const struct rg_turn_bridge *b, struct rg_turn_bridge_stats *out);
