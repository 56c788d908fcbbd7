/*
 * store.h - the server's accounts on disk: one SQLite database (Debian's
 * libsqlite3, WAL), by default /var/lib/riftgate/server.db.
 *
 *   network        one row: its name, tunnel subnet ("10.0.0.0/24"), owner
 *   owner          the one owner of the network (who issues join tokens)
 *   settings       key -> value (the generated TLS certificate, ...)
 *   signing_keys   JWT keys: kid, 32-byte secret, created_at, retired_at
 *   join_tokens    SHA-256 of one-time join tokens, expiry, use
 *   devices        id, name, address (host number in the subnet), times,
 *                  revoked_at
 *   token_families one per registration: a chain of refresh tokens
 *   refresh_tokens SHA-256 of each refresh token, its family, expiry, use;
 *                  once used, its successor's hash and, for a repeat of a
 *                  lost answer, the successor sealed with it (token.h)
 *
 * Nothing secret is stored in the clear but the signing keys and the TLS
 * key: join and refresh tokens are kept as SHA-256 hex only (a sealed
 * successor opens only with the token before it, which is not kept). The file (and
 * SQLite's -wal and -shm beside it, which take its mode) is created 0600 in
 * a directory created 0700.
 *
 * Schema versions: PRAGMA user_version counts the migrations applied; each
 * migration runs in its own transaction with the version bump, so a crash
 * leaves the previous version intact. A database newer than this program
 * is refused (CORE_ERR_CONFIG), never written.
 *
 * Durability: every operation below is one transaction, committed before
 * it returns CORE_OK. By default (synchronous=FULL) a commit waits for
 * fsync, so neither a restart, nor kill -9, nor a power cut loses what a
 * caller was told is done. rg_store_set_full_sync(false) (synchronous=NORMAL)
 * skips the fsync: a commit still survives the process, but a power cut may
 * roll back the last ones (never corrupt the file). The server runs the
 * store on a thread of its own (accounts.h), where the fsync costs its loop
 * nothing. Several processes may open one database (`riftgate server
 * invite` while the server runs): a write waits up to RG_STORE_BUSY_MS for
 * another's.
 *
 * Times are Unix seconds, passed in (tests inject them). Every operation is
 * timed (rg_store_stats).
 *
 * Errors: CORE_ERR_SYSTEM means SQLite failed (disk, lock timeout,
 * corruption); it is logged once here with SQLite's message, which never
 * contains a bound value. Other codes are documented per function.
 *
 * Ownership: the caller owns the store and what it returns (the _clear and
 * _free functions). Threading: one thread at a time per store (the
 * connection is opened without SQLite's mutexes); rg_store_stats alone may
 * be called from any thread.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define RG_STORE_DEFAULT_PATH "/var/lib/riftgate/server.db"
#define RG_STORE_BUSY_MS      2000 /* wait for another process's write */
#define RG_STORE_ID_LEN	      37   /* a UUID (36) or a family id (32 hex) and the NUL */
#define RG_STORE_HASH_LEN     65   /* SHA-256 hex and the NUL */
#define RG_STORE_KEY_LEN      32   /* a signing key's secret */
#define RG_STORE_KID_LEN      19   /* "k_" + 16 hex and the NUL */

struct rg_store;

struct rg_store_network {
	char *name;	/* the JWT's "net" and the signaling network */
	char *subnet;	/* "10.0.0.0/24" */
	char *owner_id; /* random */
	int64_t created_at;
};

struct rg_store_device {
	char device_id[RG_STORE_ID_LEN];
	char *name;
	char *address; /* "10.0.0.2/24" */
	uint32_t host; /* 2 for 10.0.0.2 */
	int64_t created_at;
	int64_t last_seen_at; /* 0: never */
	int64_t revoked_at;   /* 0: live */
};

struct rg_store_key {
	char kid[RG_STORE_KID_LEN];
	uint8_t secret[RG_STORE_KEY_LEN];
	int64_t created_at;
	int64_t retired_at; /* 0: valid; else no JWT of this key is accepted from then on */
};

/* What rg_store_register needs (hashes are SHA-256 lowercase hex). */
struct rg_store_registration {
	const char *join_hash;
	const char *name;	   /* 1..64 bytes; validated by the caller */
	const char *new_device_id; /* used when no live device has this name */
	const char *family_id;	   /* the new token family */
	const char *refresh_hash;
	int64_t refresh_expires;
	int64_t now;
};

#define RG_STORE_SEALED_MAX 256 /* a sealed successor (token.h: RG_TOKEN_SEALED_MAX) */

/* What rg_store_refresh needs. */
struct rg_store_rotation {
	const char *device_id;
	const char *old_hash; /* the refresh token presented */
	const char *new_hash; /* its successor */
	int64_t new_expires;
	int64_t now;
	const uint8_t *sealed; /* the successor sealed with the presented token, or NULL */
	size_t sealed_len;     /* at most RG_STORE_SEALED_MAX */
	int64_t grace_s;       /* a used token may be repeated once this long after its use */
};

/* What rg_store_refresh answers besides its code. */
struct rg_store_rotated {
	char family[RG_STORE_ID_LEN];
	bool repeated;			     /* a repeat: nothing new; sealed is the successor */
	uint8_t sealed[RG_STORE_SEALED_MAX]; /* as stored with the earlier rotation */
	size_t sealed_len;
};

/* A live token family: its device is not revoked, nor is the family. */
struct rg_store_family {
	char family_id[RG_STORE_ID_LEN];
	char device_id[RG_STORE_ID_LEN];
};

/* Operation latency, over the last RG_STORE_STATS_WINDOW operations. */
#define RG_STORE_STATS_WINDOW 4096
struct rg_store_stats {
	uint64_t ops;
	int64_t p50_us, p99_us, max_us;
};

/*
 * Open (creating it and its directory if missing) and migrate to the
 * current schema. CORE_OK, or with *error: CORE_ERR_SYSTEM (cannot create
 * or open, not a database, WAL refused), CORE_ERR_CONFIG (the schema is
 * newer than this program).
 */
int rg_store_open(struct rg_store **out, const char *path, GError **error);
/*
 * As rg_store_open with a given list of migrations (SQL scripts; step i
 * takes version i to i + 1). For tests of the migration mechanism. A step
 * that fails leaves the database at the version before it and returns
 * CORE_ERR_SYSTEM.
 */
int rg_store_open_with(struct rg_store **out, const char *path, const char *const *steps,
		       size_t n_steps, GError **error);
void rg_store_close(struct rg_store *s);
/* Whether commits wait for fsync (the default: yes): CORE_OK or CORE_ERR_SYSTEM. */
int rg_store_set_full_sync(struct rg_store *s, bool full);
/* The schema version (migrations applied). */
int rg_store_version(struct rg_store *s);
/* The number of migrations this program knows (the current schema version). */
int rg_store_schema_version(void);
/* This program's migrations, *n of them (tests: a database of an older version). */
const char *const *rg_store_migrations(size_t *n);

/*
 * Create the network: its row, the owner, the first signing key and the
 * owner's first join token, in one transaction. CORE_OK; CORE_ERR_BAD_VALUE
 * when the network exists already; CORE_ERR_SYSTEM.
 */
int rg_store_init(struct rg_store *s, const struct rg_store_network *n,
		  const struct rg_store_key *key, const char *join_hash, int64_t join_expires);
/* The network: CORE_OK (rg_store_network_clear it), CORE_ERR_NOT_FOUND, CORE_ERR_SYSTEM. */
int rg_store_network_get(struct rg_store *s, struct rg_store_network *out);
void rg_store_network_clear(struct rg_store_network *n);

/* A setting: CORE_OK with *value (g_free), CORE_ERR_NOT_FOUND, CORE_ERR_SYSTEM. */
int rg_store_setting_get(struct rg_store *s, const char *key, char **value);
/* CORE_OK or CORE_ERR_SYSTEM. */
int rg_store_setting_set(struct rg_store *s, const char *key, const char *value);

/* A one-time join token (its hash): CORE_OK; CORE_ERR_SYSTEM. */
int rg_store_join_add(struct rg_store *s, const char *join_hash, int64_t now, int64_t expires);

/*
 * Register a device, all or nothing: consume the join token; if a live
 * device has this name, reclaim it (same id and address; its earlier token
 * families are revoked, *reclaimed true), else create one on the lowest
 * free host number of the subnet; start the token family with its first
 * refresh token. CORE_OK with *out (rg_store_device_clear); CORE_ERR_AUTH:
 * the join token is unknown, used or expired; CORE_ERR_NO_SPACE: no free
 * address; CORE_ERR_NOT_FOUND: no network; CORE_ERR_SYSTEM. Nothing changes
 * on any error.
 */
int rg_store_register(struct rg_store *s, const struct rg_store_registration *r,
		      struct rg_store_device *out, bool *reclaimed);

/*
 * Rotate a refresh token: mark the presented one used (remembering its
 * successor and r->sealed), store the successor in the same family expiring
 * at new_expires, update last_seen_at. out->family receives the family id.
 *
 * A repeat: the presented token was used less than r->grace_s ago, its
 * successor is still unused, and it was not repeated before. The answer to
 * its rotation was lost; nothing new is stored: out->repeated, with the
 * sealed successor of that rotation in out->sealed (its seal is dropped:
 * one repeat only). Any other use of a used token is a reuse.
 *
 * Returns
 *   CORE_OK             rotated, or repeated;
 *   CORE_ERR_NOT_FOUND  the device is unknown or revoked;
 *   CORE_ERR_AUTH       no such token for this device, or its family is revoked;
 *   CORE_ERR_TIMEOUT    the token expired;
 *   CORE_ERR_CLOSED     the token was used before (and is not a repeat): a
 *                       stolen copy or a replay. Its whole family is revoked
 *                       now (committed; out->family set);
 *   CORE_ERR_INVALID_ARG  r->sealed_len over RG_STORE_SEALED_MAX;
 *   CORE_ERR_SYSTEM.
 * Only CORE_OK and CORE_ERR_CLOSED change anything.
 */
int rg_store_refresh(struct rg_store *s, const struct rg_store_rotation *r,
		     struct rg_store_rotated *out);

/*
 * Whether a JWT's session still stands: CORE_OK (device and family live),
 * CORE_ERR_NOT_FOUND (device unknown or revoked), CORE_ERR_AUTH (family
 * unknown, revoked or not this device's), CORE_ERR_SYSTEM.
 */
int rg_store_session_live(struct rg_store *s, const char *device_id, const char *family_id);

/*
 * Every live token family with its device, oldest first: CORE_OK with *out
 * (struct rg_store_family; g_array_free), CORE_ERR_SYSTEM.
 */
int rg_store_families(struct rg_store *s, GArray **out);

/* One device: CORE_OK, CORE_ERR_NOT_FOUND, CORE_ERR_SYSTEM. */
int rg_store_device_get(struct rg_store *s, const char *device_id, struct rg_store_device *out);
/* Every device, revoked ones too, by creation: CORE_OK with *out (rg_store_devices_free). */
int rg_store_devices(struct rg_store *s, GArray **out);
void rg_store_device_clear(struct rg_store_device *d);
void rg_store_devices_free(GArray *devices);

/*
 * Revoke a device and every token family of it: CORE_OK, CORE_ERR_NOT_FOUND
 * (unknown, or revoked already), CORE_ERR_SYSTEM. Its address becomes free.
 */
int rg_store_revoke(struct rg_store *s, const char *device_id, int64_t now);

/* Set last_seen_at of n devices (one transaction): CORE_OK or CORE_ERR_SYSTEM. */
int rg_store_touch(struct rg_store *s, const char *const *device_ids, size_t n, int64_t now);

/* The signing keys, newest first: CORE_OK with *out (struct rg_store_key; wipe and free). */
int rg_store_keys(struct rg_store *s, GArray **out);
/*
 * Add a signing key that becomes the newest; every key not yet retired
 * retires at retire_others_at (0: leave them). CORE_OK, CORE_ERR_SYSTEM.
 */
int rg_store_key_add(struct rg_store *s, const struct rg_store_key *key, int64_t retire_others_at);

/*
 * Forget what cannot matter any more: join tokens expired or used more
 * than a day ago, refresh tokens expired more than a day ago (and the seals
 * of those used more than a day ago), keys retired more than a day ago.
 * CORE_OK or CORE_ERR_SYSTEM.
 */
int rg_store_purge(struct rg_store *s, int64_t now);

/* The operations' latency so far; any thread. */
void rg_store_stats(struct rg_store *s, struct rg_store_stats *out);

/*
 * Pure helpers. A subnet "a.b.c.d/len" (IPv4, 8 <= len <= 30, no host bits
 * set): true with its base address (host order) and length.
 */
bool rg_store_subnet_parse(const char *text, uint32_t *base, unsigned *len);
/* "10.0.0.2/24" for host 2 of the subnet (g_free); NULL for a bad subnet or host. */
char *rg_store_host_address(const char *subnet, uint32_t host);
