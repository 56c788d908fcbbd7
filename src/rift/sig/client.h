/*
 * client.h - the agent's signaling client: connect to a riftgate server (or
 * anything speaking docs/protocol/signaling.md), join, deliver messages, and
 * reconnect after any loss with exponential backoff and jitter, re-joining
 * each time (the reference's section 5.5).
 *
 *   - Backoff: initial * 2^(attempt-1), capped (1 s -> 30 s), times a jitter
 *     in [0.8, 1.2); at most max_attempts failed attempts in a row (20),
 *     then RG_SIG_CLIENT_FAILED. A successful connection resets the count.
 *   - Permanent failures end at once (FAILED, no retry): HTTP 401 (token
 *     refused; with an `unauthorized` callback the client instead reports
 *     it there and waits for rg_sig_client_set_token and
 *     rg_sig_client_reconnect), a certificate that does not match the pinned fingerprint,
 *     close 1008 (a policy the server will apply again) and 4000 (this
 *     device connected elsewhere: retrying would fight it).
 *   - Received messages are parsed and validated (msg.h); an invalid one is
 *     logged and skipped, as the reference does.
 *
 * Ownership: the caller owns the client; callbacks may not free it (use an
 * idle). Threading: the thread-default main context at creation.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rift/sig/msg.h"

enum rg_sig_client_state {
	RG_SIG_CLIENT_CONNECTED = 1, /* WebSocket open, join sent */
	RG_SIG_CLIENT_RETRYING,	     /* lost or refused: next attempt after a delay */
	RG_SIG_CLIENT_FAILED,	     /* gave up (permanent error, or too many attempts) */
};

struct rg_sig_client_config {
	const char *url;   /* "https://host:port" or "http://host:port" (no path) */
	const char *token; /* Bearer token; NULL: none */
	const char *pin;   /* "AB:CD:..." SHA-256 of the server certificate; NULL: system CAs */
	const struct rg_sig_peer *self; /* what `join` announces */
	unsigned max_attempts;		/* 0: 20 */
	unsigned backoff_initial_ms;	/* 0: 1000 */
	unsigned backoff_max_ms;	/* 0: 30000 */
	unsigned ping_interval_s; /* WebSocket pings (they also keep NAT mappings open); 0: 20 */
};

struct rg_sig_client;

struct rg_sig_client_callbacks {
	/* A valid message from the server (borrowed for the call). */
	void (*message)(struct rg_sig_client *c, const struct rg_sig_msg *m, void *data);
	/* State changes; reason is for logs ("closed 1006", "HTTP 401", ...). */
	void (*state)(struct rg_sig_client *c, enum rg_sig_client_state st, const char *reason,
		      void *data);
	/*
	 * The server refused the token (HTTP 401), which may have expired: the
	 * client does nothing more until rg_sig_client_reconnect (after
	 * rg_sig_client_set_token). NULL: a 401 is permanent (FAILED).
	 */
	void (*unauthorized)(struct rg_sig_client *c, void *data);
};

/* The delay before attempt number `attempt` (1 = first retry); jitter01 in [0, 1). */
unsigned rg_sig_backoff_ms(unsigned attempt, unsigned initial_ms, unsigned max_ms, double jitter01);

struct rg_sig_client *rg_sig_client_new(const struct rg_sig_client_config *cfg,
					const struct rg_sig_client_callbacks *cb, void *data);
/* Send m now: CORE_OK, or CORE_ERR_CLOSED while not connected (the caller re-sends later). */
int rg_sig_client_send(struct rg_sig_client *c, const struct rg_sig_msg *m);
/* The bearer token for the next connection (an access token after a refresh). */
void rg_sig_client_set_token(struct rg_sig_client *c, const char *token);
/* Close now and reconnect at once (e.g. the network changed). */
void rg_sig_client_reconnect(struct rg_sig_client *c);
void rg_sig_client_free(struct rg_sig_client *c);
