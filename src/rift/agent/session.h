/*
 * session.h - a registered device's access token (docs/protocol/auth.md):
 * refreshed at once, again RG_SESSION_EARLY_S before it expires, and
 * whenever the owner asks (the server refused it: HTTP 401 on /connect).
 *
 *   - Every refresh token is single use: the new one is written to the
 *     secrets file (atomically: conf.h) as soon as it arrives, before the
 *     access token is used.
 *   - The server refusing the refresh token (HTTP 401: revoked, expired, or
 *     its family revoked) is final: RG_SESSION_REVOKED, with the server's
 *     reason, and nothing more is tried.
 *   - No answer, or any other status: tried again RG_SESSION_RETRY_S later
 *     (the reference's 30 s), logged, with the same refresh token: if the
 *     server had rotated it and only its answer was lost, the server gives
 *     the same successor again (a repeat within its 60 s, accounts.h).
 *
 * Nothing here logs a token. Ownership: the caller owns the session; the
 * callback may not free it (use an idle). Threading: the thread-default
 * main context at creation.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rift/auth/authmsg.h"

#define RG_SESSION_EARLY_S 600 /* refresh this long before the access token expires */
#define RG_SESSION_RETRY_S 30

enum rg_session_event {
	RG_SESSION_READY = 1, /* a new access token and ICE servers */
	RG_SESSION_REVOKED,   /* the server refused the refresh token: setup must run again */
};

struct rg_session_config {
	const char *url, *pin; /* the server, its certificate's fingerprint (or NULL) */
	const char *device_id;
	const char *refresh_token;
	const char *secrets_path; /* where the refresh token is kept */
	const char *name;	  /* for logs */
};

struct rg_session;

/* detail: for REVOKED, the server's reason ("device not found or revoked"). */
typedef void (*rg_session_fn)(void *data, enum rg_session_event ev, const char *detail);

/* Start, with a refresh at once. */
struct rg_session *rg_session_new(const struct rg_session_config *cfg, rg_session_fn fn,
				  void *data);
void rg_session_free(struct rg_session *s);
/* Refresh now (nothing when one is in flight or the session was revoked). */
void rg_session_refresh(struct rg_session *s);
/* The current access token, or NULL before the first READY. */
const char *rg_session_token(const struct rg_session *s);
/* The last refresh's answer (its ICE servers), or NULL before the first READY. */
const struct rg_auth_session *rg_session_current(const struct rg_session *s);
/* Wall-clock Unix time the access token expires (0: none yet). */
int64_t rg_session_expires(const struct rg_session *s);
