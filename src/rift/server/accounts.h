/*
 * accounts.h - the server's devices and tokens (the reference's sections
 * 7.3-7.5 with one-time join tokens in place of GitHub): what the HTTP API
 * (api.h) and the WebSocket's bearer check ask, answered from the store.
 *
 *   - Registration takes a one-time join token the owner issued
 *     (rg_accounts_invite, `riftgate server invite`) and a device name; a
 *     live device of that name is reclaimed (same id and address, older
 *     tokens void). It returns a session: the device id, an access token
 *     (JWT, jwt_ttl_s), a refresh token, the address and the ICE servers.
 *   - A refresh takes the device id and its refresh token, single use: the
 *     token is replaced by a new one (refresh_ttl_s from now: a device that
 *     refreshes keeps going), and one presented twice revokes its family,
 *     but for one repeat: the device's immediately previous token, presented
 *     again by it within RG_ACCOUNTS_REFRESH_GRACE_S of its use while its
 *     successor is still unused, gets that same successor once more (the
 *     answer to its refresh was lost). Anything older, a second repeat or a
 *     repeat after the successor was used is a reuse.
 *   - Access tokens are HS256 with a kid; the newest signing key signs. When
 *     it is older than key_rotate_s a new key takes over and the old ones
 *     retire jwt_ttl_s later, after every token they signed has expired:
 *     rotation logs nobody out. A token of a retired key is refused.
 *   - A bearer check verifies the JWT and then that its device and token
 *     family still stand (the reference trusted a JWT for its whole hour,
 *     even after revocation).
 *   - TURN credentials (turncred.h) for each configured TURN server, good
 *     for turn_ttl_s, with every session; a tls: server comes with
 *     turn_fingerprint when one is configured (its certificate, pinned by
 *     the agents).
 *
 * The store runs on a thread of its own (core/worker.h): every SQLite call,
 * the opening included, happens there, so that a commit's fsync never holds
 * the server's loop. Operations that touch the store are asynchronous: they
 * queue a job and return at once; their callback runs later on the loop,
 * in the order they were asked, after the store has committed (a device is
 * never told anything that a crash could undo). What the loop must answer
 * at once is answered from memory, kept in step with the store by those
 * callbacks: the network, the signing keys, and which devices and token
 * families still stand (so that a bearer check, the WebSocket's included,
 * never waits for the disk). The server is the only writer of devices and
 * families (`riftgate server invite` writes join tokens only), so the copy
 * cannot drift.
 *
 * Time comes from cfg->now (tests inject a clock), in Unix seconds, read on
 * the loop when an operation is asked.
 * Errors are logged by the caller (the API logs each bad request once);
 * CORE_ERR_SYSTEM (the store failed) is logged by the store.
 *
 * Ownership: the caller owns the accounts; sessions and identities are the
 * caller's (rg_auth_session_clear). Threading: the loop that opened them
 * (the thread-default main context then).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/auth/authmsg.h"
#include "rift/auth/jwt.h"
#include "rift/server/store.h"

#define RG_ACCOUNTS_JWT_TTL_S	  3600
#define RG_ACCOUNTS_REFRESH_TTL_S (30 * 86400)
#define RG_ACCOUNTS_KEY_ROTATE_S  (30 * 86400)
#define RG_ACCOUNTS_TURN_TTL_S	  86400
#define RG_ACCOUNTS_JOIN_TTL_S	  600 /* `invite` without --expires */
/* a lost refresh answer: the agent retries after 30 s (session.h), within this */
#define RG_ACCOUNTS_REFRESH_GRACE_S 60

struct rg_accounts_config {
	const char *db_path;	/* NULL: RG_STORE_DEFAULT_PATH */
	bool sync_normal;	/* commits do not wait for fsync (store.h; default: they do) */
	const char *public_url; /* "server_url" of a registration */
	int64_t jwt_ttl_s, refresh_ttl_s, key_rotate_s, turn_ttl_s; /* 0: the defaults */
	char **stun;		      /* "host:port", NULL-terminated; may be NULL */
	char **turn;		      /* "udp:host:port", "tcp:...", "tls:..."; may be NULL */
	const char *turn_secret;      /* coturn's static-auth-secret; needed with turn */
	const char *turn_fingerprint; /* "AB:CD:...": told with each tls: server; may be NULL */
	int64_t (*now)(void *data);   /* NULL: the wall clock */
	void *now_data;
};

/* Who a valid access token says is calling. */
struct rg_accounts_identity {
	struct rg_jwt_claims claims; /* sub = device id, name, net, fam */
};

/*
 * What an asynchronous operation answers. Owned by the accounts and valid
 * for the callback only: take what you keep (move it out and clear the
 * member; the rest is freed after the callback returns).
 */
struct rg_accounts_result {
	int rc;				/* the operation's code (each function lists them) */
	struct rg_auth_session session; /* register, refresh: CORE_OK */
	struct rg_store_device device;	/* register: CORE_OK */
	bool reclaimed;			/* register: the name's device again, older tokens void */
	bool repeated;			/* refresh: a repeat, the same refresh token again */
	GArray *devices;		/* devices: CORE_OK (struct rg_store_device) */
};

/* Called on the loop once the store has answered (data: the caller's). */
typedef void (*rg_accounts_done_fn)(void *data, struct rg_accounts_result *res);

struct rg_accounts;

/*
 * Start the store's thread, open the store there and load the network, its
 * keys (rotating the key if due) and the live devices and families; the
 * caller waits for it (start-up, before anything is served). CORE_OK; with
 * *error: the store's errors, CORE_ERR_NOT_FOUND (no network: `riftgate
 * server init` first), CORE_ERR_CONFIG (a TURN server without a secret, a
 * malformed stun or turn entry).
 */
int rg_accounts_open(struct rg_accounts **out, const struct rg_accounts_config *cfg,
		     GError **error);
/*
 * Write the last-seen times gathered, let the store's thread finish every
 * operation asked (their callbacks run here, before it returns), close the
 * store and free.
 */
void rg_accounts_free(struct rg_accounts *a);
int64_t rg_accounts_now(struct rg_accounts *a);
/* The store's operation latency (store.h), as GET /status shows it. */
void rg_accounts_stats(struct rg_accounts *a, struct rg_store_stats *out);
/* Operations asked whose callback has not run yet. */
unsigned rg_accounts_pending(struct rg_accounts *a);
/* The "server_url" registrations return, when the configuration gave none. */
void rg_accounts_set_public_url(struct rg_accounts *a, const char *url);
/* The network's name (the signaling network of every device). */
const char *rg_accounts_network(struct rg_accounts *a);

/*
 * Register (see above), then done: rc CORE_OK with res->session,
 * res->device and res->reclaimed; CORE_ERR_AUTH (join token unknown, used
 * or expired), CORE_ERR_NO_SPACE (subnet full), CORE_ERR_INTERNAL (no
 * access token could be made), CORE_ERR_SYSTEM. The strings are copied.
 */
void rg_accounts_register(struct rg_accounts *a, const char *name, const char *join_token,
			  rg_accounts_done_fn done, void *data);
/*
 * Refresh, then done: rc CORE_OK with res->session (res->repeated: a
 * repeat, its refresh token the one given before); CORE_ERR_NOT_FOUND
 * (device unknown or revoked), CORE_ERR_AUTH (not a live token of this
 * device), CORE_ERR_TIMEOUT (expired), CORE_ERR_CLOSED (used before: its
 * family is revoked now), CORE_ERR_INTERNAL, CORE_ERR_SYSTEM.
 */
void rg_accounts_refresh(struct rg_accounts *a, const char *device_id, const char *refresh_token,
			 rg_accounts_done_fn done, void *data);
/*
 * Check a bearer access token, from memory (at once): CORE_OK with *out;
 * CORE_ERR_BAD_FORMAT (not a JWT), CORE_ERR_AUTH (forged, an unknown or
 * retired key, another network's), CORE_ERR_TIMEOUT (expired),
 * CORE_ERR_NOT_FOUND (its device or family was revoked). why (may be NULL)
 * gets a reason for the log, never the token.
 */
int rg_accounts_verify(struct rg_accounts *a, const char *jwt, struct rg_accounts_identity *out,
		       const char **why);
/* Whether an identity verified earlier still stands (revocation), from memory. */
bool rg_accounts_live(struct rg_accounts *a, const struct rg_accounts_identity *id);
/* Every device, then done: rc CORE_OK with res->devices, CORE_ERR_SYSTEM. */
void rg_accounts_devices(struct rg_accounts *a, rg_accounts_done_fn done, void *data);
/*
 * Revoke, then done: rc CORE_OK, CORE_ERR_NOT_FOUND (unknown or revoked
 * already), CORE_ERR_SYSTEM. From the callback on, its tokens are refused.
 */
void rg_accounts_revoke(struct rg_accounts *a, const char *device_id, rg_accounts_done_fn done,
			void *data);
/* A device connected: its last_seen_at is written with the next rg_accounts_flush. */
void rg_accounts_seen(struct rg_accounts *a, const char *device_id);
/* Write the last-seen times gathered (one transaction; nothing waits for it). */
void rg_accounts_flush(struct rg_accounts *a);
/*
 * Upkeep, hourly: rotate the signing key when due (force: now), purge what
 * expired; then done (may be NULL): rc CORE_OK or CORE_ERR_SYSTEM. The new
 * key signs from the callback on.
 */
void rg_accounts_upkeep(struct rg_accounts *a, bool force_rotate, rg_accounts_done_fn done,
			void *data);

/*
 * The two commands below open the database themselves, on the caller's
 * thread (another process than the server's, or before it).
 *
 * `riftgate server init`: create the database at path with the network
 * (name, subnet) and print-ready *join_token (g_free; wipe), good for ttl_s.
 * CORE_OK; CORE_ERR_BAD_VALUE (a network exists), CORE_ERR_CONFIG (a bad
 * subnet or name), the store's errors, with *error.
 */
int rg_accounts_init(const char *path, const char *name, const char *subnet, int64_t ttl_s,
		     char **join_token, GError **error);
/* `riftgate server invite`: a new join token, as above; CORE_ERR_NOT_FOUND without a network. */
int rg_accounts_invite(const char *path, int64_t ttl_s, char **join_token, GError **error);
