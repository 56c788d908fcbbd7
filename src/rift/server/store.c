/*
 * store.c - the server's accounts in SQLite (contract in store.h).
 *
 * Every public operation is one transaction on cached prepared statements.
 * Writes begin IMMEDIATE (the write lock is taken first, so two processes
 * never deadlock upgrading a read) and every value is bound, never pasted
 * into SQL: a device name full of quotes and semicolons is only text.
 */
#include "rift/server/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"

#define DAY_S 86400

/* Migration i takes user_version i to i + 1. Append only; never edit a shipped step. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE owner(owner_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);"
	"CREATE TABLE network(id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,"
	"  subnet TEXT NOT NULL, owner_id TEXT NOT NULL REFERENCES owner(owner_id),"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE signing_keys(kid TEXT PRIMARY KEY,"
	"  secret BLOB NOT NULL CHECK (length(secret) = 32), created_at INTEGER NOT NULL,"
	"  retired_at INTEGER);"
	"CREATE TABLE join_tokens(hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, used_at INTEGER, device_id TEXT);"
	"CREATE TABLE devices(device_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  host INTEGER NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER,"
	"  revoked_at INTEGER);"
	/* what the allocation relies on, enforced again by the database */
	"CREATE UNIQUE INDEX devices_live_name ON devices(name) WHERE revoked_at IS NULL;"
	"CREATE UNIQUE INDEX devices_live_host ON devices(host) WHERE revoked_at IS NULL;"
	"CREATE TABLE token_families(family_id TEXT PRIMARY KEY,"
	"  device_id TEXT NOT NULL REFERENCES devices(device_id), created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER);"
	"CREATE INDEX token_families_device ON token_families(device_id);"
	"CREATE TABLE refresh_tokens(hash TEXT PRIMARY KEY,"
	"  family_id TEXT NOT NULL REFERENCES token_families(family_id),"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);"
	"CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);",
	/* 2: a used refresh token remembers its successor, sealed with it, for a repeat */
	"ALTER TABLE refresh_tokens ADD COLUMN successor TEXT;"
	"ALTER TABLE refresh_tokens ADD COLUMN sealed BLOB;",
};

/* The statements, prepared once. */
enum q {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_NETWORK_GET,
	Q_NETWORK_ADD,
	Q_OWNER_ADD,
	Q_SETTING_GET,
	Q_SETTING_SET,
	Q_JOIN_ADD,
	Q_JOIN_USE,
	Q_JOIN_DEVICE,
	Q_DEVICE_BY_NAME,
	Q_DEVICE_GET,
	Q_DEVICE_HOSTS,
	Q_DEVICE_ADD,
	Q_DEVICE_SEEN,
	Q_DEVICE_REVOKE,
	Q_DEVICES,
	Q_FAMILY_ADD,
	Q_FAMILIES_REVOKE,
	Q_FAMILY_REVOKE,
	Q_TOKEN_ADD,
	Q_TOKEN_GET,
	Q_TOKEN_USE,
	Q_SESSION,
	Q_FAMILIES_LIVE,
	Q_KEYS,
	Q_KEY_ADD,
	Q_KEYS_RETIRE,
	Q_PURGE_JOIN,
	Q_PURGE_REFRESH,
	Q_PURGE_KEYS,
	Q_PURGE_SEALED,
	Q_TOKEN_UNSEAL,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_NETWORK_GET] = "SELECT name, subnet, owner_id, created_at FROM network WHERE id = 1",
	[Q_NETWORK_ADD] = "INSERT INTO network(id, name, subnet, owner_id, created_at) "
			  "VALUES (1, ?1, ?2, ?3, ?4)",
	[Q_OWNER_ADD] = "INSERT INTO owner(owner_id, created_at) VALUES (?1, ?2)",
	[Q_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[Q_SETTING_SET] = "INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)",
	[Q_JOIN_ADD] = "INSERT INTO join_tokens(hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
	[Q_JOIN_USE] = "UPDATE join_tokens SET used_at = ?2 "
		       "WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
	[Q_JOIN_DEVICE] = "UPDATE join_tokens SET device_id = ?2 WHERE hash = ?1",
	[Q_DEVICE_BY_NAME] = "SELECT device_id FROM devices WHERE name = ?1 AND revoked_at IS NULL",
	[Q_DEVICE_GET] = "SELECT device_id, name, host, created_at, last_seen_at, revoked_at "
			 "FROM devices WHERE device_id = ?1",
	[Q_DEVICE_HOSTS] = "SELECT host FROM devices WHERE revoked_at IS NULL ORDER BY host",
	[Q_DEVICE_ADD] = "INSERT INTO devices(device_id, name, host, created_at) "
			 "VALUES (?1, ?2, ?3, ?4)",
	[Q_DEVICE_SEEN] = "UPDATE devices SET last_seen_at = ?2 WHERE device_id = ?1",
	[Q_DEVICE_REVOKE] = "UPDATE devices SET revoked_at = ?2 "
			    "WHERE device_id = ?1 AND revoked_at IS NULL",
	[Q_DEVICES] = "SELECT device_id, name, host, created_at, last_seen_at, revoked_at "
		      "FROM devices ORDER BY created_at, rowid",
	[Q_FAMILY_ADD] = "INSERT INTO token_families(family_id, device_id, created_at) "
			 "VALUES (?1, ?2, ?3)",
	[Q_FAMILIES_REVOKE] = "UPDATE token_families SET revoked_at = ?2 "
			      "WHERE device_id = ?1 AND revoked_at IS NULL",
	[Q_FAMILY_REVOKE] = "UPDATE token_families SET revoked_at = ?2 "
			    "WHERE family_id = ?1 AND revoked_at IS NULL",
	[Q_TOKEN_ADD] = "INSERT INTO refresh_tokens(hash, family_id, created_at, expires_at) "
			"VALUES (?1, ?2, ?3, ?4)",
	[Q_TOKEN_GET] = "SELECT t.family_id, t.expires_at, t.used_at, f.revoked_at, f.device_id, "
			"t.sealed, n.used_at IS NULL AND n.hash IS NOT NULL "
			"FROM refresh_tokens t JOIN token_families f USING (family_id) "
			"LEFT JOIN refresh_tokens n ON n.hash = t.successor "
			"WHERE t.hash = ?1",
	[Q_TOKEN_USE] = "UPDATE refresh_tokens SET used_at = ?2, successor = ?3, sealed = ?4 "
			"WHERE hash = ?1",
	[Q_TOKEN_UNSEAL] = "UPDATE refresh_tokens SET sealed = NULL WHERE hash = ?1",
	[Q_SESSION] = "SELECT d.revoked_at, f.device_id, f.revoked_at FROM devices d "
		      "LEFT JOIN token_families f ON f.family_id = ?2 WHERE d.device_id = ?1",
	[Q_FAMILIES_LIVE] = "SELECT f.family_id, f.device_id FROM token_families f "
			    "JOIN devices d USING (device_id) "
			    "WHERE f.revoked_at IS NULL AND d.revoked_at IS NULL ORDER BY f.rowid",
	[Q_KEYS] = "SELECT kid, secret, created_at, retired_at FROM signing_keys "
		   "ORDER BY created_at DESC, rowid DESC",
	[Q_KEY_ADD] = "INSERT INTO signing_keys(kid, secret, created_at) VALUES (?1, ?2, ?3)",
	[Q_KEYS_RETIRE] = "UPDATE signing_keys SET retired_at = ?1 WHERE retired_at IS NULL",
	[Q_PURGE_JOIN] = "DELETE FROM join_tokens WHERE expires_at < ?1 OR used_at < ?1",
	[Q_PURGE_REFRESH] = "DELETE FROM refresh_tokens WHERE expires_at < ?1",
	[Q_PURGE_KEYS] = "DELETE FROM signing_keys WHERE retired_at < ?1",
	[Q_PURGE_SEALED] = "UPDATE refresh_tokens SET sealed = NULL "
			   "WHERE sealed IS NOT NULL AND used_at < ?1",
};

struct rg_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[Q_COUNT];
	char *subnet; /* cached once known: it never changes */
	int64_t op_start_us;
	/* latency of the last RG_STORE_STATS_WINDOW operations; read from any thread */
	GMutex stats_lock;
	int64_t lat_us[RG_STORE_STATS_WINDOW];
	uint64_t ops;
};

/* ------------------------------------------------------------ plumbing */

/* Log SQLite's complaint once and turn it into CORE_ERR_SYSTEM. */
static int fail(struct rg_store *s, const char *what)
{
	core_log_error("store", s->path, "%s: %s", what, sqlite3_errmsg(s->db));
	return CORE_ERR_SYSTEM;
}

/* The statement, reset and unbound, ready to bind; NULL after logging a failure. */
static sqlite3_stmt *q(struct rg_store *s, enum q which)
{
	sqlite3_stmt *st = s->stmt[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			fail(s, "prepare");
			return NULL;
		}
		s->stmt[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Run a statement that returns no row: CORE_OK or CORE_ERR_SYSTEM. */
static int run(struct rg_store *s, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return CORE_ERR_SYSTEM;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? CORE_OK : fail(s, "write");
}

/* Step to the next row: CORE_OK (a row), CORE_ERR_NOT_FOUND (done), CORE_ERR_SYSTEM. */
static int row(struct rg_store *s, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return CORE_ERR_SYSTEM;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return CORE_OK;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? CORE_ERR_NOT_FOUND : fail(s, "read");
}

static void op_begin(struct rg_store *s)
{
	s->op_start_us = g_get_monotonic_time();
}

static int op_end(struct rg_store *s, int rc)
{
	int64_t took = g_get_monotonic_time() - s->op_start_us;

	g_mutex_lock(&s->stats_lock);
	s->lat_us[s->ops % RG_STORE_STATS_WINDOW] = took;
	s->ops++;
	g_mutex_unlock(&s->stats_lock);
	return rc;
}

/* Begin a write transaction: CORE_OK or CORE_ERR_SYSTEM (e.g. another writer for too long). */
static int tx_begin(struct rg_store *s)
{
	return run(s, q(s, Q_BEGIN));
}

/* Commit when rc is CORE_OK (or keep is set), else roll back; returns rc (or the commit's failure). */
static int tx_end(struct rg_store *s, int rc, bool keep)
{
	if (rc == CORE_OK || keep) {
		int c = run(s, q(s, Q_COMMIT));

		if (c == CORE_OK)
			return rc;
		rc = c;
	}
	if (!sqlite3_get_autocommit(s->db))
		run(s, q(s, Q_ROLLBACK));
	return rc;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return g_strdup(t != NULL ? (const char *)t : "");
}

/* ------------------------------------------------------------ subnets */

bool rg_store_subnet_parse(const char *text, uint32_t *base, unsigned *len)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(text, '/');
	struct in_addr ia;
	unsigned long n;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr) || slash[1] == '\0')
		return false;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 || !g_ascii_isdigit(slash[1]) || n < 8 || n > 30 ||
	    inet_pton(AF_INET, addr, &ia) != 1)
		return false;
	*base = ntohl(ia.s_addr);
	*len = (unsigned)n;
	return (*base & ((1u << (32 - n)) - 1)) == 0; /* no host bits */
}

char *rg_store_host_address(const char *subnet, uint32_t host)
{
	char text[INET_ADDRSTRLEN];
	struct in_addr ia;
	uint32_t base;
	unsigned len;

	if (!rg_store_subnet_parse(subnet, &base, &len) || host == 0 ||
	    host >= (1u << (32 - len)) - 1)
		return NULL;
	ia.s_addr = htonl(base | host);
	inet_ntop(AF_INET, &ia, text, sizeof(text));
	return g_strdup_printf("%s/%u", text, len);
}

/* ------------------------------------------------------------ open */

static int pragma(struct rg_store *s, const char *text, GError **error)
{
	if (sqlite3_exec(s->db, text, NULL, NULL, NULL) == SQLITE_OK)
		return CORE_OK;
	g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "%s: %s: %s", s->path, text,
		    sqlite3_errmsg(s->db));
	return CORE_ERR_SYSTEM;
}

static int user_version(struct rg_store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Apply steps[version..n) each in its own transaction with its version bump. */
static int migrate(struct rg_store *s, const char *const *steps, size_t n, GError **error)
{
	int v = user_version(s);

	if (v < 0)
		return pragma(s, "PRAGMA user_version", error);
	if ((size_t)v > n) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "%s: schema version %d is newer than this riftgate's (%zu): "
			    "use a newer riftgate",
			    s->path, v, n);
		return CORE_ERR_CONFIG;
	}
	for (size_t i = (size_t)v; i < n; i++) {
		char *bump = g_strdup_printf("PRAGMA user_version = %zu", i + 1);
		char *msg = NULL;
		bool ok = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) == SQLITE_OK &&
			  sqlite3_exec(s->db, steps[i], NULL, NULL, &msg) == SQLITE_OK &&
			  sqlite3_exec(s->db, bump, NULL, NULL, &msg) == SQLITE_OK &&
			  sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK;

		g_free(bump);
		if (!ok) {
			g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM,
				    "%s: migration to schema version %zu failed: %s", s->path,
				    i + 1, msg != NULL ? msg : "?");
			sqlite3_free(msg);
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return CORE_ERR_SYSTEM;
		}
		core_log_info("store", s->path, "schema version %zu", i + 1);
	}
	return CORE_OK;
}

/* The directory 0700 and the file 0600 before SQLite sees them (its files take the mode). */
static int create_file(const char *path, GError **error)
{
	char *dir = g_path_get_dirname(path);
	int fd, rc = CORE_OK;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "cannot create %s: %s", dir,
			    g_strerror(errno));
		rc = CORE_ERR_SYSTEM;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "cannot create %s: %s", path,
			    g_strerror(errno));
		rc = CORE_ERR_SYSTEM;
		goto out;
	}
	close(fd);
out:
	g_free(dir);
	return rc;
}

int rg_store_open_with(struct rg_store **out, const char *path, const char *const *steps,
		       size_t n_steps, GError **error)
{
	struct rg_store *s = g_new0(struct rg_store, 1);
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	g_mutex_init(&s->stats_lock);
	s->path = g_strdup(path);
	if ((rc = create_file(path, error)) != CORE_OK)
		goto out;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "%s: %s", path,
			    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		rc = CORE_ERR_SYSTEM;
		goto out;
	}
	sqlite3_busy_timeout(s->db, RG_STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	/* WAL: readers never wait for the writer; FULL: a commit survives a power cut
	 * (rg_store_set_full_sync(false): NORMAL, a commit survives the process only) */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    g_ascii_strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "%s: cannot use WAL: %s", path,
			    sqlite3_errmsg(s->db));
		rc = CORE_ERR_SYSTEM;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = pragma(s, "PRAGMA synchronous = FULL", error)) != CORE_OK ||
	    (rc = pragma(s, "PRAGMA foreign_keys = ON", error)) != CORE_OK)
		goto out;
	rc = migrate(s, steps, n_steps, error);
out:
	sqlite3_finalize(st);
	if (rc == CORE_OK)
		*out = s;
	else
		rg_store_close(s);
	return rc;
}

int rg_store_open(struct rg_store **out, const char *path, GError **error)
{
	return rg_store_open_with(out, path, migrations, G_N_ELEMENTS(migrations), error);
}

void rg_store_close(struct rg_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	g_free(s->subnet);
	g_free(s->path);
	g_mutex_clear(&s->stats_lock);
	g_free(s);
}

int rg_store_set_full_sync(struct rg_store *s, bool full)
{
	const char *p = full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";

	return sqlite3_exec(s->db, p, NULL, NULL, NULL) == SQLITE_OK ? CORE_OK
								     : fail(s, "synchronous");
}

int rg_store_version(struct rg_store *s)
{
	return user_version(s);
}

int rg_store_schema_version(void)
{
	return (int)G_N_ELEMENTS(migrations);
}

const char *const *rg_store_migrations(size_t *n)
{
	*n = G_N_ELEMENTS(migrations);
	return migrations;
}

/* ------------------------------------------------------------ network and settings */

static int network_read(struct rg_store *s, struct rg_store_network *out)
{
	sqlite3_stmt *st = q(s, Q_NETWORK_GET);
	int rc = row(s, st);

	memset(out, 0, sizeof(*out));
	if (rc != CORE_OK)
		return rc;
	out->name = col_text(st, 0);
	out->subnet = col_text(st, 1);
	out->owner_id = col_text(st, 2);
	out->created_at = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (s->subnet == NULL)
		s->subnet = g_strdup(out->subnet);
	return CORE_OK;
}

/* The subnet (cached): CORE_OK, CORE_ERR_NOT_FOUND (no network), CORE_ERR_SYSTEM. */
static int subnet(struct rg_store *s, const char **out)
{
	struct rg_store_network n;
	int rc = CORE_OK;

	if (s->subnet == NULL && (rc = network_read(s, &n)) == CORE_OK)
		rg_store_network_clear(&n);
	*out = s->subnet;
	return rc;
}

static int key_insert(struct rg_store *s, const struct rg_store_key *k, int64_t retire_at)
{
	sqlite3_stmt *st;
	int rc = CORE_OK;

	if (retire_at != 0) {
		st = q(s, Q_KEYS_RETIRE);
		if (st != NULL)
			sqlite3_bind_int64(st, 1, retire_at);
		rc = run(s, st);
	}
	if (rc != CORE_OK)
		return rc;
	st = q(s, Q_KEY_ADD);
	if (st != NULL) {
		bind_text(st, 1, k->kid);
		sqlite3_bind_blob(st, 2, k->secret, RG_STORE_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, k->created_at);
	}
	return run(s, st);
}

static int join_insert(struct rg_store *s, const char *hash, int64_t now, int64_t expires)
{
	sqlite3_stmt *st = q(s, Q_JOIN_ADD);

	if (st != NULL) {
		bind_text(st, 1, hash);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, expires);
	}
	return run(s, st);
}

int rg_store_init(struct rg_store *s, const struct rg_store_network *n,
		  const struct rg_store_key *key, const char *join_hash, int64_t join_expires)
{
	struct rg_store_network old;
	sqlite3_stmt *st;
	int rc;

	op_begin(s);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	rc = network_read(s, &old);
	if (rc == CORE_OK) {
		rg_store_network_clear(&old);
		rc = CORE_ERR_BAD_VALUE;
		goto out;
	}
	if (rc != CORE_ERR_NOT_FOUND)
		goto out;
	st = q(s, Q_OWNER_ADD);
	if (st != NULL) {
		bind_text(st, 1, n->owner_id);
		sqlite3_bind_int64(st, 2, n->created_at);
	}
	if ((rc = run(s, st)) != CORE_OK)
		goto out;
	st = q(s, Q_NETWORK_ADD);
	if (st != NULL) {
		bind_text(st, 1, n->name);
		bind_text(st, 2, n->subnet);
		bind_text(st, 3, n->owner_id);
		sqlite3_bind_int64(st, 4, n->created_at);
	}
	if ((rc = run(s, st)) == CORE_OK && (rc = key_insert(s, key, 0)) == CORE_OK)
		rc = join_insert(s, join_hash, n->created_at, join_expires);
out:
	return op_end(s, tx_end(s, rc, false));
}

int rg_store_network_get(struct rg_store *s, struct rg_store_network *out)
{
	int rc;

	op_begin(s);
	rc = network_read(s, out);
	return op_end(s, rc);
}

void rg_store_network_clear(struct rg_store_network *n)
{
	g_free(n->name);
	g_free(n->subnet);
	g_free(n->owner_id);
	memset(n, 0, sizeof(*n));
}

int rg_store_setting_get(struct rg_store *s, const char *key, char **value)
{
	sqlite3_stmt *st = q(s, Q_SETTING_GET);
	int rc;

	op_begin(s);
	*value = NULL;
	if (st != NULL)
		bind_text(st, 1, key);
	rc = row(s, st);
	if (rc == CORE_OK) {
		*value = col_text(st, 0);
		sqlite3_reset(st);
	}
	return op_end(s, rc);
}

int rg_store_setting_set(struct rg_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = q(s, Q_SETTING_SET);

	op_begin(s);
	if (st != NULL) {
		bind_text(st, 1, key);
		bind_text(st, 2, value);
	}
	return op_end(s, run(s, st));
}

int rg_store_join_add(struct rg_store *s, const char *join_hash, int64_t now, int64_t expires)
{
	op_begin(s);
	return op_end(s, join_insert(s, join_hash, now, expires));
}

/* ------------------------------------------------------------ devices */

static int device_read(struct rg_store *s, sqlite3_stmt *st, struct rg_store_device *d)
{
	const char *net = NULL;
	int rc = subnet(s, &net);

	memset(d, 0, sizeof(*d));
	g_strlcpy(d->device_id, (const char *)sqlite3_column_text(st, 0), sizeof(d->device_id));
	d->name = col_text(st, 1);
	d->host = (uint32_t)sqlite3_column_int64(st, 2);
	d->created_at = sqlite3_column_int64(st, 3);
	d->last_seen_at = sqlite3_column_int64(st, 4);
	d->revoked_at = sqlite3_column_int64(st, 5);
	d->address = net != NULL ? rg_store_host_address(net, d->host) : NULL;
	if (d->address == NULL)
		d->address = g_strdup("");
	return rc;
}

static int device_get(struct rg_store *s, const char *id, struct rg_store_device *out)
{
	sqlite3_stmt *st = q(s, Q_DEVICE_GET);
	int rc;

	if (st != NULL)
		bind_text(st, 1, id);
	if ((rc = row(s, st)) != CORE_OK)
		return rc;
	/* the network is read in between: this statement is reset only after */
	rc = device_read(s, st, out);
	sqlite3_reset(st);
	return rc;
}

/* The lowest host number no live device holds, or 0 when the subnet is full. */
static int free_host(struct rg_store *s, unsigned len, uint32_t *host)
{
	sqlite3_stmt *st = q(s, Q_DEVICE_HOSTS);
	uint32_t want = 1, last = (1u << (32 - len)) - 2;
	int rc;

	while ((rc = row(s, st)) == CORE_OK) {
		uint32_t h = (uint32_t)sqlite3_column_int64(st, 0);

		if (h > want)
			break;
		want = h + 1;
	}
	if (rc == CORE_OK)
		sqlite3_reset(st);
	else if (rc != CORE_ERR_NOT_FOUND)
		return rc;
	*host = want <= last ? want : 0;
	return CORE_OK;
}

static int seen(struct rg_store *s, const char *id, int64_t now)
{
	sqlite3_stmt *st = q(s, Q_DEVICE_SEEN);

	if (st != NULL) {
		bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
	}
	return run(s, st);
}

static int by_id(struct rg_store *s, enum q which, const char *id, int64_t now)
{
	sqlite3_stmt *st = q(s, which);

	if (st != NULL) {
		bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
	}
	return run(s, st);
}

/* A new device named r->name on a free host: CORE_OK, CORE_ERR_NO_SPACE, ... */
static int device_create(struct rg_store *s, const struct rg_store_registration *r)
{
	const char *net;
	sqlite3_stmt *st;
	uint32_t base, host;
	unsigned len;
	int rc;

	if ((rc = subnet(s, &net)) != CORE_OK)
		return rc;
	if (!rg_store_subnet_parse(net, &base, &len))
		return CORE_ERR_INTERNAL;
	if ((rc = free_host(s, len, &host)) != CORE_OK)
		return rc;
	if (host == 0)
		return CORE_ERR_NO_SPACE;
	st = q(s, Q_DEVICE_ADD);
	if (st != NULL) {
		bind_text(st, 1, r->new_device_id);
		bind_text(st, 2, r->name);
		sqlite3_bind_int64(st, 3, host);
		sqlite3_bind_int64(st, 4, r->now);
	}
	return run(s, st);
}

static int family_start(struct rg_store *s, const char *family, const char *device,
			const char *hash, int64_t expires, int64_t now)
{
	sqlite3_stmt *st = q(s, Q_FAMILY_ADD);
	int rc;

	if (st != NULL) {
		bind_text(st, 1, family);
		bind_text(st, 2, device);
		sqlite3_bind_int64(st, 3, now);
	}
	if ((rc = run(s, st)) != CORE_OK)
		return rc;
	st = q(s, Q_TOKEN_ADD);
	if (st != NULL) {
		bind_text(st, 1, hash);
		bind_text(st, 2, family);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, expires);
	}
	return run(s, st);
}

int rg_store_register(struct rg_store *s, const struct rg_store_registration *r,
		      struct rg_store_device *out, bool *reclaimed)
{
	char id[RG_STORE_ID_LEN];
	const char *net;
	sqlite3_stmt *st;
	int rc;

	op_begin(s);
	memset(out, 0, sizeof(*out));
	*reclaimed = false;
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	if ((rc = subnet(s, &net)) != CORE_OK)
		goto out;
	/* the token first: nothing else happens for a wrong one */
	st = q(s, Q_JOIN_USE);
	if (st != NULL) {
		bind_text(st, 1, r->join_hash);
		sqlite3_bind_int64(st, 2, r->now);
	}
	if ((rc = run(s, st)) != CORE_OK)
		goto out;
	if (sqlite3_changes(s->db) != 1) {
		rc = CORE_ERR_AUTH;
		goto out;
	}
	st = q(s, Q_DEVICE_BY_NAME);
	if (st != NULL)
		bind_text(st, 1, r->name);
	rc = row(s, st);
	if (rc == CORE_OK) {
		/* the same name again: the same device, its older credentials void */
		g_strlcpy(id, (const char *)sqlite3_column_text(st, 0), sizeof(id));
		sqlite3_reset(st);
		*reclaimed = true;
		rc = by_id(s, Q_FAMILIES_REVOKE, id, r->now);
	} else if (rc == CORE_ERR_NOT_FOUND) {
		g_strlcpy(id, r->new_device_id, sizeof(id));
		rc = device_create(s, r);
	}
	if (rc != CORE_OK)
		goto out;
	st = q(s, Q_JOIN_DEVICE);
	if (st != NULL) {
		bind_text(st, 1, r->join_hash);
		bind_text(st, 2, id);
	}
	if ((rc = run(s, st)) != CORE_OK ||
	    (rc = family_start(s, r->family_id, id, r->refresh_hash, r->refresh_expires, r->now)) !=
		    CORE_OK ||
	    (rc = seen(s, id, r->now)) != CORE_OK)
		goto out;
	rc = device_get(s, id, out);
out:
	rc = tx_end(s, rc, false);
	if (rc != CORE_OK) {
		rg_store_device_clear(out);
		*reclaimed = false;
	}
	return op_end(s, rc);
}

/*
 * A used token presented again. Within r->grace_s of its use, while its
 * successor is still unused and it was not repeated before: the answer was
 * lost, hand back the sealed successor (once: the seal is dropped). Else a
 * stolen copy or a replay: one of the two holders is a thief, and neither
 * keeps the family. CORE_OK (a repeat), CORE_ERR_CLOSED (revoked), ...
 */
static int reused(struct rg_store *s, const struct rg_store_rotation *r, sqlite3_stmt *tok,
		  int64_t used, struct rg_store_rotated *out)
{
	const void *sealed = sqlite3_column_blob(tok, 5);
	int sealed_len = sqlite3_column_bytes(tok, 5);
	bool next_unused = sqlite3_column_int(tok, 6) != 0;
	sqlite3_stmt *st;

	if (r->grace_s > 0 && r->now < used + r->grace_s && next_unused && sealed != NULL &&
	    sealed_len > 0 && (size_t)sealed_len <= sizeof(out->sealed)) {
		memcpy(out->sealed, sealed, (size_t)sealed_len);
		out->sealed_len = (size_t)sealed_len;
		out->repeated = true;
		sqlite3_reset(tok);
		st = q(s, Q_TOKEN_UNSEAL);
		if (st != NULL)
			bind_text(st, 1, r->old_hash);
		return run(s, st);
	}
	sqlite3_reset(tok);
	return by_id(s, Q_FAMILY_REVOKE, out->family, r->now) == CORE_OK ? CORE_ERR_CLOSED
									 : CORE_ERR_SYSTEM;
}

/* Mark the presented token used (with its successor, sealed) and store the successor. */
static int rotate(struct rg_store *s, const struct rg_store_rotation *r, const char *family)
{
	sqlite3_stmt *st = q(s, Q_TOKEN_USE);
	int rc;

	if (st != NULL) {
		bind_text(st, 1, r->old_hash);
		sqlite3_bind_int64(st, 2, r->now);
		bind_text(st, 3, r->new_hash);
		if (r->sealed != NULL)
			sqlite3_bind_blob(st, 4, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
	}
	if ((rc = run(s, st)) != CORE_OK)
		return rc;
	st = q(s, Q_TOKEN_ADD);
	if (st != NULL) {
		bind_text(st, 1, r->new_hash);
		bind_text(st, 2, family);
		sqlite3_bind_int64(st, 3, r->now);
		sqlite3_bind_int64(st, 4, r->new_expires);
	}
	return run(s, st);
}

int rg_store_refresh(struct rg_store *s, const struct rg_store_rotation *r,
		     struct rg_store_rotated *out)
{
	struct rg_store_device d = { 0 };
	int64_t expires, used, fam_revoked;
	sqlite3_stmt *st;
	bool keep = false;
	int rc;

	op_begin(s);
	memset(out, 0, sizeof(*out));
	if (r->sealed_len > sizeof(out->sealed))
		return op_end(s, CORE_ERR_INVALID_ARG);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	rc = device_get(s, r->device_id, &d);
	if (rc == CORE_OK && d.revoked_at != 0)
		rc = CORE_ERR_NOT_FOUND;
	if (rc != CORE_OK)
		goto out;
	st = q(s, Q_TOKEN_GET);
	if (st != NULL)
		bind_text(st, 1, r->old_hash);
	if ((rc = row(s, st)) != CORE_OK) {
		rc = rc == CORE_ERR_NOT_FOUND ? CORE_ERR_AUTH : rc;
		goto out;
	}
	g_strlcpy(out->family, (const char *)sqlite3_column_text(st, 0), sizeof(out->family));
	expires = sqlite3_column_int64(st, 1);
	used = sqlite3_column_int64(st, 2);
	fam_revoked = sqlite3_column_int64(st, 3);
	if (strcmp((const char *)sqlite3_column_text(st, 4), r->device_id) != 0 ||
	    fam_revoked != 0) {
		sqlite3_reset(st);
		rc = CORE_ERR_AUTH;
		goto out;
	}
	if (used != 0) {
		rc = reused(s, r, st, used, out);
		keep = rc == CORE_ERR_CLOSED; /* the revocation is committed */
		if (rc == CORE_OK)
			rc = seen(s, r->device_id, r->now);
		goto out;
	}
	sqlite3_reset(st);
	if (expires <= r->now) {
		rc = CORE_ERR_TIMEOUT;
		goto out;
	}
	if ((rc = rotate(s, r, out->family)) == CORE_OK)
		rc = seen(s, r->device_id, r->now);
out:
	rg_store_device_clear(&d);
	rc = tx_end(s, rc, keep);
	if (rc != CORE_OK && rc != CORE_ERR_CLOSED)
		out->family[0] = '\0';
	if (rc != CORE_OK) {
		out->repeated = false;
		out->sealed_len = 0;
	}
	return op_end(s, rc);
}

int rg_store_session_live(struct rg_store *s, const char *device_id, const char *family_id)
{
	sqlite3_stmt *st = q(s, Q_SESSION);
	int rc;

	op_begin(s);
	if (st != NULL) {
		bind_text(st, 1, device_id);
		bind_text(st, 2, family_id);
	}
	rc = row(s, st);
	if (rc != CORE_OK)
		return op_end(s, rc);
	if (sqlite3_column_int64(st, 0) != 0)
		rc = CORE_ERR_NOT_FOUND;
	else if (sqlite3_column_type(st, 1) == SQLITE_NULL ||
		 strcmp((const char *)sqlite3_column_text(st, 1), device_id) != 0 ||
		 sqlite3_column_int64(st, 2) != 0)
		rc = CORE_ERR_AUTH;
	sqlite3_reset(st);
	return op_end(s, rc);
}

int rg_store_families(struct rg_store *s, GArray **out)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct rg_store_family));
	sqlite3_stmt *st = q(s, Q_FAMILIES_LIVE);
	int rc;

	op_begin(s);
	*out = NULL;
	while ((rc = row(s, st)) == CORE_OK) {
		struct rg_store_family f = { 0 };

		g_strlcpy(f.family_id, (const char *)sqlite3_column_text(st, 0),
			  sizeof(f.family_id));
		g_strlcpy(f.device_id, (const char *)sqlite3_column_text(st, 1),
			  sizeof(f.device_id));
		g_array_append_val(a, f);
	}
	if (rc == CORE_ERR_NOT_FOUND) {
		*out = a;
		return op_end(s, CORE_OK);
	}
	g_array_free(a, TRUE);
	return op_end(s, rc);
}

int rg_store_device_get(struct rg_store *s, const char *device_id, struct rg_store_device *out)
{
	int rc;

	op_begin(s);
	rc = device_get(s, device_id, out);
	return op_end(s, rc);
}

int rg_store_devices(struct rg_store *s, GArray **out)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct rg_store_device));
	const char *net;
	sqlite3_stmt *st;
	int rc;

	op_begin(s);
	*out = NULL;
	/* the subnet before the loop: reading it would reset nothing of ours */
	rc = subnet(s, &net);
	st = q(s, Q_DEVICES);
	while (rc == CORE_OK && (rc = row(s, st)) == CORE_OK) {
		struct rg_store_device d;

		device_read(s, st, &d);
		g_array_append_val(a, d);
	}
	if (rc == CORE_ERR_NOT_FOUND) {
		*out = a;
		a = NULL;
		rc = CORE_OK;
	}
	rg_store_devices_free(a);
	return op_end(s, rc);
}

void rg_store_device_clear(struct rg_store_device *d)
{
	g_free(d->name);
	g_free(d->address);
	memset(d, 0, sizeof(*d));
}

void rg_store_devices_free(GArray *devices)
{
	if (devices == NULL)
		return;
	for (guint i = 0; i < devices->len; i++)
		rg_store_device_clear(&g_array_index(devices, struct rg_store_device, i));
	g_array_free(devices, TRUE);
}

int rg_store_revoke(struct rg_store *s, const char *device_id, int64_t now)
{
	int rc;

	op_begin(s);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	if ((rc = by_id(s, Q_DEVICE_REVOKE, device_id, now)) != CORE_OK)
		goto out;
	if (sqlite3_changes(s->db) != 1) {
		rc = CORE_ERR_NOT_FOUND;
		goto out;
	}
	rc = by_id(s, Q_FAMILIES_REVOKE, device_id, now);
out:
	return op_end(s, tx_end(s, rc, false));
}

int rg_store_touch(struct rg_store *s, const char *const *device_ids, size_t n, int64_t now)
{
	int rc;

	op_begin(s);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	for (size_t i = 0; i < n && rc == CORE_OK; i++)
		rc = seen(s, device_ids[i], now);
	return op_end(s, tx_end(s, rc, false));
}

/* ------------------------------------------------------------ keys and upkeep */

int rg_store_keys(struct rg_store *s, GArray **out)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct rg_store_key));
	sqlite3_stmt *st = q(s, Q_KEYS);
	int rc;

	op_begin(s);
	*out = NULL;
	while ((rc = row(s, st)) == CORE_OK) {
		struct rg_store_key k = { 0 };

		if (sqlite3_column_bytes(st, 1) != RG_STORE_KEY_LEN)
			continue; /* the schema's CHECK makes this impossible */
		g_strlcpy(k.kid, (const char *)sqlite3_column_text(st, 0), sizeof(k.kid));
		memcpy(k.secret, sqlite3_column_blob(st, 1), RG_STORE_KEY_LEN);
		k.created_at = sqlite3_column_int64(st, 2);
		k.retired_at = sqlite3_column_int64(st, 3);
		g_array_append_val(a, k);
		core_wipe(&k, sizeof(k));
	}
	if (rc == CORE_ERR_NOT_FOUND) {
		*out = a;
		return op_end(s, CORE_OK);
	}
	core_wipe(a->data, a->len * sizeof(struct rg_store_key));
	g_array_free(a, TRUE);
	return op_end(s, rc);
}

int rg_store_key_add(struct rg_store *s, const struct rg_store_key *key, int64_t retire_others_at)
{
	int rc;

	op_begin(s);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	rc = key_insert(s, key, retire_others_at);
	return op_end(s, tx_end(s, rc, false));
}

int rg_store_purge(struct rg_store *s, int64_t now)
{
	static const enum q purges[] = { Q_PURGE_JOIN, Q_PURGE_REFRESH, Q_PURGE_KEYS,
					 Q_PURGE_SEALED };
	int rc;

	op_begin(s);
	if ((rc = tx_begin(s)) != CORE_OK)
		return op_end(s, rc);
	for (size_t i = 0; i < G_N_ELEMENTS(purges) && rc == CORE_OK; i++) {
		sqlite3_stmt *st = q(s, purges[i]);

		if (st != NULL)
			sqlite3_bind_int64(st, 1, now - DAY_S);
		rc = run(s, st);
	}
	return op_end(s, tx_end(s, rc, false));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void rg_store_stats(struct rg_store *s, struct rg_store_stats *out)
{
	int64_t *v;
	size_t n;

	memset(out, 0, sizeof(*out));
	g_mutex_lock(&s->stats_lock);
	out->ops = s->ops;
	n = s->ops < RG_STORE_STATS_WINDOW ? (size_t)s->ops : RG_STORE_STATS_WINDOW;
	v = n > 0 ? g_memdup2(s->lat_us, n * sizeof(int64_t)) : NULL;
	g_mutex_unlock(&s->stats_lock);
	if (n == 0)
		return;
	qsort(v, n, sizeof(int64_t), cmp_i64);
	out->p50_us = v[n / 2];
	out->p99_us = v[MIN(n - 1, n * 99 / 100)];
	out->max_us = v[n - 1];
	g_free(v);
}
