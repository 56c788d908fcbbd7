/*
 * turnws.h - the upstream of a TURN-over-WebSocket bridge (turnbridge.h):
 * one WebSocket to the server's /turn (the reference's section 8.1; the
 * Worker in worker/ serves it) per connection libnice makes.
 *
 * libnice speaks TURN over TCP to the bridge: STUN messages and ChannelData
 * frames (padded to 4 bytes) back to back in a byte stream. The stream this
 * opener returns cuts what libnice writes into those frames and sends each
 * as one binary WebSocket message; each binary message received is one
 * frame, given back to libnice in the same TCP framing (ChannelData padded).
 * A write that is not a STUN message or ChannelData fails the stream
 * (G_IO_ERROR_INVALID_DATA); text messages are ignored. What arrives while
 * libnice is not reading waits, up to RG_TURN_WS_MAX_QUEUED bytes; frames
 * beyond that are dropped whole, as UDP would (TURN carries datagrams).
 *
 * The upgrade carries "Authorization: Bearer <token>", the token asked of
 * token() at each open (the device's current access token; NULL: none). TLS
 * (wss:) is verified against the system's CAs and the URL's host, or, with
 * a pin, is that certificate and no other. A refused upgrade fails the open
 * with the HTTP status in the reason ("HTTP 401"), which the bridge logs.
 *
 * Ownership: rg_turn_ws_opener copies url and pin; the opener's ctx belongs
 * to whoever receives the opener (rg_turn_bridge_new); token_data is
 * borrowed and must outlive it. Threading: the GMainContext that is
 * thread-default at the first open_async (the opener's SoupSession lives
 * there); every callback comes back on it.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "rift/ice/turnbridge.h"

/* bytes received and not yet read by libnice, per connection */
#define RG_TURN_WS_MAX_QUEUED (1024 * 1024)

struct rg_turn_ws_server {
	const char *url;	    /* "wss://host[:port]/turn" or "ws://..." */
	const uint8_t *pin;	    /* CORE_TLS_FP_LEN bytes, or NULL: verify by CA and host */
	char *(*token)(void *data); /* the bearer token (g_free'd), or NULL */
	void *token_data;
};

/*
 * Fill *out with an opener of WebSockets to s. CORE_OK, or CORE_ERR_CONFIG
 * with *error: the URL is not ws:// or wss:// with a host.
 */
int rg_turn_ws_opener(struct rg_turn_bridge_opener *out, const struct rg_turn_ws_server *s,
		      GError **error);
