/* Unit tests for goet/session/registry: files, modes, stale entries, the key file. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "goet/session/registry.h"

static char *dir_setup(void)
{
	char *base = g_dir_make_tmp("goet-reg-XXXXXX", NULL);

	g_assert_nonnull(base);
	g_setenv("XDG_RUNTIME_DIR", base, TRUE);
	return base;
}

static void dir_teardown(char *base)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", base);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(base);
	g_unsetenv("XDG_RUNTIME_DIR");
}

static mode_t file_mode(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	struct stat st;

	g_assert_cmpint(stat(p, &st), ==, 0);
	g_free(p);
	return st.st_mode & 0777;
}

static void test_ids(void)
{
	g_assert_true(gt_registry_id_valid("1a2b3c4d"));
	g_assert_true(gt_registry_id_valid("tmux_1-2"));
	g_assert_false(gt_registry_id_valid(""));
	g_assert_false(gt_registry_id_valid("../x"));
	g_assert_false(gt_registry_id_valid("a b"));
	g_assert_false(gt_registry_id_valid(NULL));
}

static void test_roundtrip(void)
{
	char *base = dir_setup(), *dir = gt_registry_dir(true, NULL);
	struct gt_registry_entry e = { .id = "cafe0001",
				       .started = 1000,
				       .pid = (int)getpid(),
				       .port = 40000,
				       .attached = true,
				       .command = "-bash" };
	struct gt_registry_entry got;
	uint8_t key[GT_PASSKEY_LEN], back[GT_PASSKEY_LEN];
	GPtrArray *l;

	g_assert_nonnull(dir);
	g_assert_cmpint(file_mode(base, "goet"), ==, 0700);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7);
	g_assert_cmpint(gt_registry_put(dir, &e, NULL), ==, CORE_OK);
	g_assert_cmpint(gt_registry_put_key(dir, e.id, key, NULL), ==, CORE_OK);
	g_assert_cmpint(file_mode(dir, "cafe0001.session"), ==, 0600);
	g_assert_cmpint(file_mode(dir, "cafe0001.key"), ==, 0600);
	g_assert_cmpint(gt_registry_get(dir, "cafe0001", &got), ==, CORE_OK);
	g_assert_cmpint(got.port, ==, 40000);
	g_assert_true(got.attached);
	g_assert_cmpstr(got.command, ==, "-bash");
	gt_registry_entry_clear(&got);
	g_assert_cmpint(gt_registry_get_key(dir, "cafe0001", back), ==, CORE_OK);
	g_assert_cmpmem(key, sizeof(key), back, sizeof(back));

	/* a stale entry (its process is gone) is not listed and is removed */
	e.id = "dead0002";
	e.pid = 0x3ffffff0; /* above pid_max: never a live process */
	e.started = 500;
	g_assert_cmpint(gt_registry_put(dir, &e, NULL), ==, CORE_OK);
	l = gt_registry_list(dir);
	g_assert_cmpuint(l->len, ==, 1);
	g_assert_cmpstr(((struct gt_registry_entry *)l->pdata[0])->id, ==, "cafe0001");
	g_ptr_array_unref(l);
	g_assert_cmpint(gt_registry_get(dir, "dead0002", &got), ==, CORE_ERR_NOT_FOUND);

	gt_registry_remove(dir, "cafe0001");
	g_assert_cmpint(gt_registry_get_key(dir, "cafe0001", back), ==, CORE_ERR_NOT_FOUND);
	l = gt_registry_list(dir);
	g_assert_cmpuint(l->len, ==, 0);
	g_ptr_array_unref(l);
	g_free(dir);
	dir_teardown(base);
}

/* The candidates: $XDG_RUNTIME_DIR/goet first, /tmp/goet-UID always. */
static void test_dirs(void)
{
	char **d;

	g_setenv("XDG_RUNTIME_DIR", "/run/user/4242", TRUE);
	d = gt_registry_dirs();
	g_assert_cmpuint(g_strv_length(d), ==, 2);
	g_assert_cmpstr(d[0], ==, "/run/user/4242/goet");
	g_assert_true(g_str_has_prefix(d[1], "/tmp/goet-"));
	g_strfreev(d);
	g_unsetenv("XDG_RUNTIME_DIR");
	d = gt_registry_dirs();
	g_assert_cmpuint(g_strv_length(d), ==, 1);
	g_strfreev(d);
}

/* A directory others can read is refused. */
static void test_unsafe_dir(void)
{
	char *base = dir_setup(), *dir = g_build_filename(base, "goet", NULL);
	GError *e = NULL;

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	g_assert_cmpint(chmod(dir, 0755), ==, 0);
	g_assert_cmpint(gt_registry_dir_check(dir, true, &e), ==, CORE_ERR_SYSTEM);
	g_assert_nonnull(e);
	g_clear_error(&e);
	g_assert_cmpint(chmod(dir, 0700), ==, 0);
	g_assert_cmpint(gt_registry_dir_check(dir, false, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_free(dir);
	dir_teardown(base);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/registry/ids", test_ids);
	g_test_add_func("/registry/roundtrip", test_roundtrip);
	g_test_add_func("/registry/unsafe-dir", test_unsafe_dir);
	g_test_add_func("/registry/dirs", test_dirs);
	return g_test_run();
}
