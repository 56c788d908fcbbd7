/*
 * api.h - the server's /auth endpoints over HTTP (libsoup, on the
 * signaling server's port), and the WebSocket authenticator for the
 * accounts' access tokens (docs/protocol/auth.md has the bodies).
 *
 *   POST   /auth/register       {"device_name","join_token"}     no auth
 *   POST   /auth/refresh        {"device_id","refresh_token"}    no auth
 *   GET    /auth/devices        Authorization: Bearer <access token>
 *   DELETE /auth/devices/<id>   Authorization: Bearer <access token>
 *
 * Every error is a JSON {"error": reason} with its status: 400 (a malformed
 * body or id), 401 (a wrong or expired token), 404, 405, 411 (a chunked
 * body), 413 (a body over 4 KiB, refused before it is read), 429 (too many
 * wrong tokens from this address: Retry-After), 500 (the store failed),
 * 507 (no free address). Each is logged once, naming the source address and
 * never a token; a refused request changes nothing stored.
 *
 * Revocation takes effect at once: after DELETE /auth/devices/<id>, a
 * refresh token presented twice (its family revoked) or a re-registration
 * (the device's older tokens void), the signaling server closes every
 * WebSocket that came with the voided credentials and its peers get
 * `peer-left` (rg_sig_server_recheck).
 *
 * Upkeep on timers: last-seen times written every RG_API_FLUSH_S, the
 * signing key rotated and expired tokens purged every RG_API_UPKEEP_S.
 *
 * The loop never waits for the database: bearer checks (HTTP and
 * WebSocket) are answered from the accounts' memory; a request that needs
 * the store is paused and answered when the store's thread has committed
 * (accounts.h), so every answer still describes what is on disk. A client
 * that goes away meanwhile is answered to nobody; what it asked is done and
 * logged all the same.
 *
 * Ownership: the caller owns the api and the accounts it borrows (free the
 * api first: requests still waiting are dropped, and rg_accounts_free then
 * runs their callbacks, which only free them). Threading: the server's
 * main loop.
 */
#pragma once

#include <stdint.h>

#include "rift/server/accounts.h"
#include "rift/sig/server.h"

#define RG_API_FLUSH_S	60
#define RG_API_UPKEEP_S 3600

struct rg_api_config {
	struct rg_accounts *accounts; /* borrowed */
	unsigned guard_burst,
		guard_per_minute; /* wrong tokens per address (guard.h); 0: defaults */
};

struct rg_api;

struct rg_api *rg_api_new(const struct rg_api_config *cfg);
void rg_api_free(struct rg_api *api);
/* The authenticator for rg_sig_server_config.auth (lives as long as api). */
const struct rg_sig_auth *rg_api_sig_auth(struct rg_api *api);
/* The server whose connections revocations close (after rg_sig_server_new). */
void rg_api_set_server(struct rg_api *api, struct rg_sig_server *server);
