/*
 * Unit tests for rift/server/store: migrations, registration and address
 * allocation, one-time join tokens, refresh-token rotation, reuse and the
 * repeat of a lost answer, revocation, hostile names, and nothing committed
 * lost to kill -9.
 * A real SQLite file in a temporary directory.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "rift/server/store.h"

#define T0   1800000000 /* "now" in these tests */
#define DAYS 86400

static char *tmpdir;

static char *db_path(const char *name)
{
	return g_build_filename(tmpdir, name, NULL);
}

static struct rg_store *open_store(const char *path)
{
	struct rg_store *s = NULL;
	GError *e = NULL;

	g_assert_cmpint(rg_store_open(&s, path, &e), ==, CORE_OK);
	g_assert_no_error(e);
	return s;
}

/* A 64-character "hash" from a short tag (the store never looks inside). */
static const char *h(const char *tag)
{
	static char buf[8][RG_STORE_HASH_LEN];
	static unsigned n;
	char *out = buf[n++ % 8];

	g_snprintf(out, RG_STORE_HASH_LEN, "%-64s", tag);
	for (char *p = out; *p; p++)
		if (*p == ' ')
			*p = '.';
	return out;
}

/* A store with a network on subnet, and join tokens "j0" (the owner's) .. */
static struct rg_store *new_network(const char *file, const char *subnet)
{
	char *path = db_path(file);
	struct rg_store *s = open_store(path);
	struct rg_store_network n = { "home", (char *)subnet, "owner-1", T0 };
	struct rg_store_key k = { .kid = "k_0000000000000001", .created_at = T0 };

	memset(k.secret, 7, sizeof(k.secret));
	g_assert_cmpint(rg_store_init(s, &n, &k, h("j0"), T0 + 600), ==, CORE_OK);
	g_free(path);
	return s;
}

/* Register name with join token tag and refresh token rtag; the store's answer. */
static int reg(struct rg_store *s, const char *jtag, const char *name, const char *id,
	       const char *family, const char *rtag, int64_t now, struct rg_store_device *d,
	       bool *reclaimed)
{
	struct rg_store_registration r = {
		h(jtag), name, id, family, h(rtag), now + 30 * DAYS, now
	};
	struct rg_store_device tmp;
	bool rec;
	int rc = rg_store_register(s, &r, d != NULL ? d : &tmp,
				   reclaimed != NULL ? reclaimed : &rec);

	if (d == NULL)
		rg_store_device_clear(&tmp);
	return rc;
}

static void test_open_and_migrate(void)
{
	static const char *const steps3[] = {
		"CREATE TABLE a(x INTEGER);",
		"CREATE TABLE b(y INTEGER);",
		"CREATE TABLE c(z INTEGER); THIS IS NOT SQL;",
	};
	char *path = db_path("mig.db"), *dir = db_path("sub/dir"), *nested;
	struct rg_store *s = NULL;
	GError *e = NULL;
	struct stat st;

	/* two steps: version 2 */
	rg_store_open_with(&s, path, steps3, 2, &e);
	g_assert_no_error(e);
	g_assert_cmpint(rg_store_version(s), ==, 2);
	rg_store_close(s);
	/* a third that fails: refused, still version 2, table c not created */
	g_assert_cmpint(rg_store_open_with(&s, path, steps3, 3, &e), ==, CORE_ERR_SYSTEM);
	g_assert_nonnull(strstr(e->message, "migration to schema version 3 failed"));
	g_clear_error(&e);
	g_assert_null(s);
	g_assert_cmpint(rg_store_open_with(&s, path, steps3, 2, &e), ==, CORE_OK);
	g_assert_cmpint(rg_store_version(s), ==, 2);
	rg_store_close(s);
	/* an older program (one step) refuses a newer database */
	g_assert_cmpint(rg_store_open_with(&s, path, steps3, 1, &e), ==, CORE_ERR_CONFIG);
	g_assert_nonnull(strstr(e->message, "schema version 2 is newer than this riftgate's (1)"));
	g_clear_error(&e);
	/* the real schema, in directories it creates: 0700 and 0600 */
	nested = g_build_filename(dir, "server.db", NULL);
	s = open_store(nested);
	g_assert_cmpint(rg_store_version(s), ==, rg_store_schema_version());
	g_assert_cmpint(rg_store_schema_version(), >=, 1);
	rg_store_close(s);
	g_assert_cmpint(stat(dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_cmpint(stat(nested, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	/* not a database */
	g_assert_true(
		g_file_set_contents(path, "this is not a database, not at all........", -1, NULL));
	g_assert_cmpint(rg_store_open(&s, path, &e), ==, CORE_ERR_SYSTEM);
	g_clear_error(&e);
	g_free(nested);
	g_free(dir);
	g_free(path);
}

static void test_init_once(void)
{
	struct rg_store *s = new_network("init.db", "10.0.0.0/24");
	struct rg_store_network n = { "other", "10.9.0.0/24", "owner-2", T0 };
	struct rg_store_key k = { .kid = "k_0000000000000002", .created_at = T0 };
	struct rg_store_network got;

	g_assert_cmpint(rg_store_init(s, &n, &k, h("jx"), T0 + 600), ==, CORE_ERR_BAD_VALUE);
	g_assert_cmpint(rg_store_network_get(s, &got), ==, CORE_OK);
	g_assert_cmpstr(got.name, ==, "home");
	g_assert_cmpstr(got.subnet, ==, "10.0.0.0/24");
	g_assert_cmpstr(got.owner_id, ==, "owner-1");
	rg_store_network_clear(&got);
	/* the failed init added nothing: its join token does not exist */
	g_assert_cmpint(reg(s, "jx", "a", "id-a", "f-a", "r-a", T0, NULL, NULL), ==, CORE_ERR_AUTH);
	rg_store_close(s);
}

static void test_register_and_addresses(void)
{
	struct rg_store *s = new_network("reg.db", "10.0.0.0/24");
	struct rg_store_device d;
	bool rec;
	GArray *all;

	/* the owner's token, exactly once */
	g_assert_cmpint(reg(s, "j0", "alpha", "id-a", "f-a", "r-a", T0, &d, &rec), ==, CORE_OK);
	g_assert_cmpstr(d.device_id, ==, "id-a");
	g_assert_cmpstr(d.address, ==, "10.0.0.1/24");
	g_assert_false(rec);
	rg_store_device_clear(&d);
	g_assert_cmpint(reg(s, "j0", "beta", "id-b", "f-b", "r-b", T0, NULL, NULL), ==,
			CORE_ERR_AUTH);
	/* unknown and expired tokens */
	g_assert_cmpint(reg(s, "nope", "beta", "id-b", "f-b", "r-b", T0, NULL, NULL), ==,
			CORE_ERR_AUTH);
	g_assert_cmpint(rg_store_join_add(s, h("j1"), T0, T0 + 60), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j1", "beta", "id-b", "f-b", "r-b", T0 + 60, NULL, NULL), ==,
			CORE_ERR_AUTH);
	g_assert_cmpint(reg(s, "j1", "beta", "id-b", "f-b", "r-b", T0 + 59, &d, NULL), ==, CORE_OK);
	g_assert_cmpstr(d.address, ==, "10.0.0.2/24");
	rg_store_device_clear(&d);
	g_assert_cmpint(rg_store_join_add(s, h("j2"), T0, T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j2", "gamma", "id-c", "f-c", "r-c", T0, &d, NULL), ==, CORE_OK);
	g_assert_cmpstr(d.address, ==, "10.0.0.3/24");
	rg_store_device_clear(&d);
	/* revoking beta frees .2 for the next newcomer */
	g_assert_cmpint(rg_store_revoke(s, "id-b", T0 + 1), ==, CORE_OK);
	g_assert_cmpint(rg_store_revoke(s, "id-b", T0 + 2), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_store_revoke(s, "id-zz", T0 + 2), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_store_join_add(s, h("j3"), T0, T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j3", "delta", "id-d", "f-d", "r-d", T0 + 3, &d, NULL), ==, CORE_OK);
	g_assert_cmpstr(d.address, ==, "10.0.0.2/24");
	rg_store_device_clear(&d);
	/* alpha again: the same id and address, its old family void */
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-a"), ==, CORE_OK);
	g_assert_cmpint(rg_store_join_add(s, h("j4"), T0, T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j4", "alpha", "id-new", "f-a2", "r-a2", T0 + 4, &d, &rec), ==,
			CORE_OK);
	g_assert_true(rec);
	g_assert_cmpstr(d.device_id, ==, "id-a");
	g_assert_cmpstr(d.address, ==, "10.0.0.1/24");
	rg_store_device_clear(&d);
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-a"), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-a2"), ==, CORE_OK);
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-d"), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_store_session_live(s, "id-b", "f-b"), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_store_session_live(s, "id-zz", "f-b"), ==, CORE_ERR_NOT_FOUND);
	/* the list: in creation order, revoked included */
	g_assert_cmpint(rg_store_devices(s, &all), ==, CORE_OK);
	g_assert_cmpuint(all->len, ==, 4);
	g_assert_cmpstr(g_array_index(all, struct rg_store_device, 0).name, ==, "alpha");
	/* created at T0, T0, T0 + 3, T0 + 59 */
	g_assert_cmpstr(g_array_index(all, struct rg_store_device, 1).name, ==, "gamma");
	g_assert_cmpstr(g_array_index(all, struct rg_store_device, 2).name, ==, "delta");
	g_assert_cmpint(g_array_index(all, struct rg_store_device, 2).last_seen_at, ==, T0 + 3);
	g_assert_cmpstr(g_array_index(all, struct rg_store_device, 3).name, ==, "beta");
	g_assert_cmpint(g_array_index(all, struct rg_store_device, 3).revoked_at, ==, T0 + 1);
	rg_store_devices_free(all);
	rg_store_close(s);
}

static void test_subnet_full(void)
{
	struct rg_store *s = new_network("full.db", "10.5.0.0/30"); /* hosts 1 and 2 */
	struct rg_store_device d;

	g_assert_cmpint(reg(s, "j0", "a", "id-a", "f-a", "r-a", T0, NULL, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_store_join_add(s, h("j1"), T0, T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j1", "b", "id-b", "f-b", "r-b", T0, NULL, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_store_join_add(s, h("j2"), T0, T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j2", "c", "id-c", "f-c", "r-c", T0, NULL, NULL), ==,
			CORE_ERR_NO_SPACE);
	/* the refusal consumed nothing: after a revocation the same token works */
	g_assert_cmpint(rg_store_revoke(s, "id-a", T0), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j2", "c", "id-c", "f-c", "r-c", T0, &d, NULL), ==, CORE_OK);
	g_assert_cmpstr(d.address, ==, "10.5.0.1/30");
	rg_store_device_clear(&d);
	rg_store_close(s);
}

/* Rotate old to new, strictly (no repeat); the family into family (may be NULL). */
static int rot(struct rg_store *s, const char *id, const char *old, const char *new, int64_t now,
	       char *family)
{
	struct rg_store_rotation r = { .device_id = id,
				       .old_hash = h(old),
				       .new_hash = h(new),
				       .new_expires = now + 30 * DAYS,
				       .now = now };
	struct rg_store_rotated out;
	int rc = rg_store_refresh(s, &r, &out);

	if (family != NULL)
		g_strlcpy(family, out.family, RG_STORE_ID_LEN);
	return rc;
}

#define GRACE_S 60

/*
 * Rotate old to new keeping "seal:<new>" as the seal, repeats allowed for
 * GRACE_S; *seal gets what a repeat hands back ("" when not a repeat).
 */
static int rot_g(struct rg_store *s, const char *id, const char *old, const char *new, int64_t now,
		 char seal[64])
{
	char box[64];
	struct rg_store_rotation r = { .device_id = id,
				       .old_hash = h(old),
				       .new_hash = h(new),
				       .new_expires = now + 30 * DAYS,
				       .now = now,
				       .sealed = (const uint8_t *)box,
				       .grace_s = GRACE_S };
	struct rg_store_rotated out;
	int rc;

	g_snprintf(box, sizeof(box), "seal:%s", new);
	r.sealed_len = strlen(box);
	rc = rg_store_refresh(s, &r, &out);
	g_assert_true(out.repeated == (rc == CORE_OK && out.sealed_len > 0));
	g_assert_cmpuint(out.sealed_len, <, 64);
	memcpy(seal, out.sealed, out.sealed_len);
	seal[out.sealed_len] = '\0';
	return rc;
}

static void test_refresh_rotation(void)
{
	struct rg_store *s = new_network("rot.db", "10.0.0.0/24");
	struct rg_store_device d;
	char fam[RG_STORE_ID_LEN];

	g_assert_cmpint(reg(s, "j0", "a", "id-a", "f-a", "r1", T0, NULL, NULL), ==, CORE_OK);
	/* r1 -> r2 -> r3 (sliding: each rotation is good for 30 more days) */
	g_assert_cmpint(rot(s, "id-a", "r1", "r2", T0 + 10, fam), ==, CORE_OK);
	g_assert_cmpstr(fam, ==, "f-a");
	g_assert_cmpint(rot(s, "id-a", "r2", "r3", T0 + 29 * DAYS, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_store_device_get(s, "id-a", &d), ==, CORE_OK);
	g_assert_cmpint(d.last_seen_at, ==, T0 + 29 * DAYS);
	rg_store_device_clear(&d);
	/* wrong device, unknown token: refused, nothing revoked */
	g_assert_cmpint(rot(s, "id-x", "r3", "r4", T0 + 29 * DAYS, NULL), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rot(s, "id-a", "zz", "r4", T0 + 29 * DAYS, NULL), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-a"), ==, CORE_OK);
	/* r1 again (stolen and replayed): the family dies, r3 with it */
	g_assert_cmpint(rot(s, "id-a", "r1", "r9", T0 + 29 * DAYS, fam), ==, CORE_ERR_CLOSED);
	g_assert_cmpstr(fam, ==, "f-a");
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-a"), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rot(s, "id-a", "r3", "r4", T0 + 29 * DAYS, NULL), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rot(s, "id-a", "r9", "r4", T0 + 29 * DAYS, NULL), ==, CORE_ERR_AUTH);
	/* a new registration (same name) starts a new family; it expires after 30 days */
	g_assert_cmpint(rg_store_join_add(s, h("j1"), T0, T0 + 60 * DAYS), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j1", "a", "id-?", "f-b", "s1", T0 + 30 * DAYS, NULL, NULL), ==,
			CORE_OK);
	g_assert_cmpint(rot(s, "id-a", "s1", "s2", T0 + 60 * DAYS, NULL), ==, CORE_ERR_TIMEOUT);
	g_assert_cmpint(rot(s, "id-a", "s1", "s2", T0 + 60 * DAYS - 1, NULL), ==, CORE_OK);
	/* revoked device: not found, whatever the token */
	g_assert_cmpint(rg_store_revoke(s, "id-a", T0 + 60 * DAYS), ==, CORE_OK);
	g_assert_cmpint(rot(s, "id-a", "s2", "s3", T0 + 60 * DAYS, NULL), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_store_session_live(s, "id-a", "f-b"), ==, CORE_ERR_NOT_FOUND);
	rg_store_close(s);
}

/*
 * A lost answer: the immediately previous token, presented again by its
 * device within the grace and before its successor is used, gets the same
 * successor back, once. Everything else stays a reuse that kills the family.
 */
static void test_refresh_repeat(void)
{
	struct rg_store *s = new_network("repeat.db", "10.0.0.0/24");
	char seal[64];

	for (int i = 1; i <= 5; i++) {
		char jt[8], id[8], f[8], r[8];

		g_snprintf(jt, sizeof(jt), "j%d", i);
		g_snprintf(id, sizeof(id), "id-%d", i);
		g_snprintf(f, sizeof(f), "f-%d", i);
		g_snprintf(r, sizeof(r), "%d.1", i);
		g_assert_cmpint(rg_store_join_add(s, h(jt), T0, T0 + 600), ==, CORE_OK);
		g_assert_cmpint(reg(s, jt, id, id, f, r, T0, NULL, NULL), ==, CORE_OK);
	}
	/* 1: a repeat 59 s after the use gets the successor; it goes on from there */
	g_assert_cmpint(rot_g(s, "id-1", "1.1", "1.2", T0 + 10, seal), ==, CORE_OK);
	g_assert_cmpstr(seal, ==, "");
	g_assert_cmpint(rot_g(s, "id-1", "1.1", "1.x", T0 + 69, seal), ==, CORE_OK);
	g_assert_cmpstr(seal, ==, "seal:1.2");
	g_assert_cmpint(rot(s, "id-1", "1.x", "1.y", T0 + 69, NULL), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rg_store_session_live(s, "id-1", "f-1"), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-1", "1.2", "1.3", T0 + 70, seal), ==, CORE_OK);
	g_assert_cmpstr(seal, ==, "");
	/* ... and once only: the same token a third time is a reuse */
	g_assert_cmpint(rot_g(s, "id-1", "1.1", "1.z", T0 + 71, seal), ==, CORE_ERR_CLOSED);
	g_assert_cmpint(rg_store_session_live(s, "id-1", "f-1"), ==, CORE_ERR_AUTH);
	/* 2: 60 s after the use is too late */
	g_assert_cmpint(rot_g(s, "id-2", "2.1", "2.2", T0, seal), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-2", "2.1", "2.x", T0 + GRACE_S, seal), ==, CORE_ERR_CLOSED);
	g_assert_cmpint(rot_g(s, "id-2", "2.2", "2.3", T0 + GRACE_S, seal), ==, CORE_ERR_AUTH);
	/* 3: older than the immediately previous one (its successor is used): a reuse */
	g_assert_cmpint(rot_g(s, "id-3", "3.1", "3.2", T0, seal), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-3", "3.2", "3.3", T0 + 5, seal), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-3", "3.1", "3.x", T0 + 10, seal), ==, CORE_ERR_CLOSED);
	g_assert_cmpint(rg_store_session_live(s, "id-3", "f-3"), ==, CORE_ERR_AUTH);
	/* 4: presented by another device: not its token, nothing changes; then the repeat,
	 * then a second repeat is a reuse */
	g_assert_cmpint(rot_g(s, "id-4", "4.1", "4.2", T0, seal), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-5", "4.1", "4.x", T0 + 1, seal), ==, CORE_ERR_AUTH);
	g_assert_cmpint(rot_g(s, "id-4", "4.1", "4.x", T0 + 2, seal), ==, CORE_OK);
	g_assert_cmpstr(seal, ==, "seal:4.2");
	g_assert_cmpint(rot_g(s, "id-4", "4.1", "4.x", T0 + 3, seal), ==, CORE_ERR_CLOSED);
	/* 5: a rotation without a seal (strict) has no repeat */
	g_assert_cmpint(rot(s, "id-5", "5.1", "5.2", T0, NULL), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-5", "5.1", "5.x", T0 + 1, seal), ==, CORE_ERR_CLOSED);
	/* a seal larger than the store keeps: refused, nothing changed */
	{
		uint8_t big[RG_STORE_SEALED_MAX + 1] = { 0 };
		struct rg_store_rotation r = { .device_id = "id-1",
					       .old_hash = h("1.3"),
					       .new_hash = h("1.4"),
					       .now = T0,
					       .sealed = big,
					       .sealed_len = sizeof(big) };
		struct rg_store_rotated out;

		g_assert_cmpint(rg_store_refresh(s, &r, &out), ==, CORE_ERR_INVALID_ARG);
	}
	rg_store_close(s);
}

/*
 * A database of schema version 1 (before seals) moves to the current one
 * with its rows, and its tokens rotate and repeat afterwards.
 */
static void test_migrate_keeps_rows(void)
{
	char *path = db_path("v1.db"), seal[64];
	size_t n;
	const char *const *steps = rg_store_migrations(&n);
	struct rg_store_network net = { "home", "10.0.0.0/24", "owner-1", T0 };
	struct rg_store_key k = { .kid = "k_0000000000000001", .created_at = T0 };
	struct rg_store *s = NULL;
	struct rg_store_device d;
	GError *e = NULL;

	g_assert_cmpuint(n, >=, 2);
	g_assert_cmpint(rg_store_open_with(&s, path, steps, 1, &e), ==, CORE_OK);
	g_assert_cmpint(rg_store_version(s), ==, 1);
	g_assert_cmpint(rg_store_init(s, &net, &k, h("j0"), T0 + 600), ==, CORE_OK);
	g_assert_cmpint(reg(s, "j0", "a", "id-a", "f-a", "r1", T0, NULL, NULL), ==, CORE_OK);
	rg_store_close(s);
	s = open_store(path);
	g_assert_cmpint(rg_store_version(s), ==, rg_store_schema_version());
	g_assert_cmpint(rg_store_device_get(s, "id-a", &d), ==, CORE_OK);
	g_assert_cmpstr(d.address, ==, "10.0.0.1/24");
	rg_store_device_clear(&d);
	g_assert_cmpint(rot_g(s, "id-a", "r1", "r2", T0 + 1, seal), ==, CORE_OK);
	g_assert_cmpint(rot_g(s, "id-a", "r1", "r9", T0 + 2, seal), ==, CORE_OK);
	g_assert_cmpstr(seal, ==, "seal:r2");
	rg_store_close(s);
	g_free(path);
}

/* Names are bound values: quotes, SQL and unicode come back byte for byte. */
static void test_hostile_names(void)
{
	static const char *const names[] = {
		"x'); DROP TABLE devices; --",
		"\"quoted\" 'single' `back`",
		"名前-ノード ✓",
		"Robert'); DELETE FROM refresh_tokens WHERE ('1'='1",
	};
	struct rg_store *s = new_network("names.db", "10.0.0.0/24");
	GArray *all;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char jt[8], id[8], f[8], r[8];

		g_snprintf(jt, sizeof(jt), "j%zu", i + 10);
		g_snprintf(id, sizeof(id), "id%zu", i);
		g_snprintf(f, sizeof(f), "f%zu", i);
		g_snprintf(r, sizeof(r), "r%zu", i);
		g_assert_cmpint(rg_store_join_add(s, h(jt), T0, T0 + 60), ==, CORE_OK);
		g_assert_cmpint(reg(s, jt, names[i], id, f, r, T0, NULL, NULL), ==, CORE_OK);
	}
	g_assert_cmpint(rot(s, "id3", "r3", "r3b", T0 + 1, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_store_devices(s, &all), ==, CORE_OK);
	g_assert_cmpuint(all->len, ==, G_N_ELEMENTS(names));
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_cmpstr(g_array_index(all, struct rg_store_device, i).name, ==, names[i]);
	rg_store_devices_free(all);
	rg_store_close(s);
}

static void test_keys_settings_purge(void)
{
	struct rg_store *s = new_network("keys.db", "10.0.0.0/24");
	struct rg_store_key k2 = { .kid = "k_0000000000000002", .created_at = T0 + 100 };
	GArray *keys;
	char *v = NULL;

	memset(k2.secret, 9, sizeof(k2.secret));
	g_assert_cmpint(rg_store_key_add(s, &k2, T0 + 100 + 3600), ==, CORE_OK);
	g_assert_cmpint(rg_store_keys(s, &keys), ==, CORE_OK);
	g_assert_cmpuint(keys->len, ==, 2);
	g_assert_cmpstr(g_array_index(keys, struct rg_store_key, 0).kid, ==, "k_0000000000000002");
	g_assert_cmpint(g_array_index(keys, struct rg_store_key, 0).retired_at, ==, 0);
	g_assert_cmpint(g_array_index(keys, struct rg_store_key, 0).secret[31], ==, 9);
	g_assert_cmpint(g_array_index(keys, struct rg_store_key, 1).retired_at, ==, T0 + 3700);
	g_array_free(keys, TRUE);
	g_assert_cmpint(rg_store_setting_get(s, "tls-cert", &v), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_store_setting_set(s, "tls-cert", "PEM"), ==, CORE_OK);
	g_assert_cmpint(rg_store_setting_get(s, "tls-cert", &v), ==, CORE_OK);
	g_assert_cmpstr(v, ==, "PEM");
	g_free(v);
	/* purge: the retired key a day after, the unused expired join token */
	g_assert_cmpint(rg_store_purge(s, T0 + 3700 + DAYS + 1), ==, CORE_OK);
	g_assert_cmpint(rg_store_keys(s, &keys), ==, CORE_OK);
	g_assert_cmpuint(keys->len, ==, 1);
	g_array_free(keys, TRUE);
	g_assert_cmpint(reg(s, "j0", "a", "id-a", "f-a", "r-a", T0, NULL, NULL), ==, CORE_ERR_AUTH);
	rg_store_close(s);
}

static void test_touch_and_stats(void)
{
	struct rg_store *s = new_network("touch.db", "10.0.0.0/24");
	const char *ids[] = { "id-a" };
	struct rg_store_device d;
	struct rg_store_stats st;

	g_assert_cmpint(reg(s, "j0", "a", "id-a", "f-a", "r-a", T0, NULL, NULL), ==, CORE_OK);
	g_assert_cmpint(rg_store_touch(s, ids, 1, T0 + 50), ==, CORE_OK);
	g_assert_cmpint(rg_store_device_get(s, "id-a", &d), ==, CORE_OK);
	g_assert_cmpint(d.last_seen_at, ==, T0 + 50);
	rg_store_device_clear(&d);
	rg_store_stats(s, &st);
	g_assert_cmpuint(st.ops, >=, 4);
	g_assert_cmpint(st.max_us, >=, st.p99_us);
	g_assert_cmpint(st.p99_us, >=, st.p50_us);
	g_assert_cmpint(st.p50_us, >, 0);
	rg_store_close(s);
}

static void test_subnet_helpers(void)
{
	uint32_t base;
	unsigned len;
	char *a;

	g_assert_true(rg_store_subnet_parse("10.0.0.0/24", &base, &len));
	g_assert_cmphex(base, ==, 0x0a000000);
	g_assert_cmpuint(len, ==, 24);
	g_assert_false(rg_store_subnet_parse("10.0.0.1/24", &base, &len)); /* host bits */
	g_assert_false(rg_store_subnet_parse("10.0.0.0/31", &base, &len));
	g_assert_false(rg_store_subnet_parse("10.0.0.0/7", &base, &len));
	g_assert_false(rg_store_subnet_parse("10.0.0.0/", &base, &len));
	g_assert_false(rg_store_subnet_parse("10.0.0.0/+8", &base, &len));
	g_assert_false(rg_store_subnet_parse("10.0.0/24", &base, &len));
	g_assert_false(rg_store_subnet_parse("fd00::/64", &base, &len));
	a = rg_store_host_address("10.0.0.0/24", 254);
	g_assert_cmpstr(a, ==, "10.0.0.254/24");
	g_free(a);
	g_assert_null(rg_store_host_address("10.0.0.0/24", 255));
	g_assert_null(rg_store_host_address("10.0.0.0/24", 0));
}

/*
 * kill -9 in the middle of registrations: every registration the child
 * reported as committed is there after reopening, and the database opens.
 */
static void test_kill9(void)
{
	char *path = db_path("kill9.db");
	struct rg_store *s = new_network("kill9.db", "10.0.0.0/16");
	int fds[2], status;
	GString *got = g_string_new(NULL);
	char buf[256];
	pid_t pid;
	GArray *all;
	char **ids;

	rg_store_close(s);
	g_assert_cmpint(pipe(fds), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		close(fds[0]);
		s = open_store(path);
		for (unsigned i = 0;; i++) {
			char jt[16], id[16], f[16], r[16], name[16];

			g_snprintf(jt, sizeof(jt), "k%u", i);
			g_snprintf(id, sizeof(id), "d%u", i);
			g_snprintf(f, sizeof(f), "f%u", i);
			g_snprintf(r, sizeof(r), "r%u", i);
			g_snprintf(name, sizeof(name), "n%u", i);
			if (rg_store_join_add(s, h(jt), T0, T0 + 600) != CORE_OK ||
			    reg(s, jt, name, id, f, r, T0, NULL, NULL) != CORE_OK)
				_exit(3);
			/* reported only after the commit returned */
			g_snprintf(buf, sizeof(buf), "%s\n", id);
			if (write(fds[1], buf, strlen(buf)) < 0)
				_exit(4);
		}
	}
	close(fds[1]);
	/* let it commit some, then kill it wherever it is */
	while (g_strstr_len(got->str, -1, "d40\n") == NULL) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		g_assert_cmpint(n, >, 0);
		g_string_append_len(got, buf, n);
	}
	kill(pid, SIGKILL);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));
	for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
		g_string_append_len(got, buf, n);
	close(fds[0]);
	s = open_store(path);
	g_assert_cmpint(rg_store_devices(s, &all), ==, CORE_OK);
	ids = g_strsplit(got->str, "\n", -1);
	for (char **id = ids; *id != NULL && **id != '\0'; id++) {
		struct rg_store_device d;

		if (rg_store_device_get(s, *id, &d) != CORE_OK)
			g_error("committed device %s lost", *id);
		rg_store_device_clear(&d);
	}
	/* at most the one in flight beyond what was reported */
	g_assert_cmpuint(all->len, <=, g_strv_length(ids));
	g_test_message("%u registrations committed before kill -9, all there", all->len);
	rg_store_devices_free(all);
	g_strfreev(ids);
	g_string_free(got, TRUE);
	rg_store_close(s);
	g_free(path);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("rg-store-XXXXXX", NULL);
	g_test_add_func("/store/open-and-migrate", test_open_and_migrate);
	g_test_add_func("/store/init-once", test_init_once);
	g_test_add_func("/store/register-and-addresses", test_register_and_addresses);
	g_test_add_func("/store/subnet-full", test_subnet_full);
	g_test_add_func("/store/refresh-rotation", test_refresh_rotation);
	g_test_add_func("/store/refresh-repeat", test_refresh_repeat);
	g_test_add_func("/store/migrate-keeps-rows", test_migrate_keeps_rows);
	g_test_add_func("/store/hostile-names", test_hostile_names);
	g_test_add_func("/store/keys-settings-purge", test_keys_settings_purge);
	g_test_add_func("/store/touch-and-stats", test_touch_and_stats);
	g_test_add_func("/store/subnet-helpers", test_subnet_helpers);
	g_test_add_func("/store/kill9", test_kill9);
	rc = g_test_run();
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			rc = 1;
		g_free(cmd);
	}
	g_free(tmpdir);
	return rc;
}
