/* registry.c - the user's goet sessions on this machine (contract in registry.h). */
#include "goet/session/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ct.h"
#include "core/err.h"

#define REG_GROUP	 "session"
#define REG_KEY_FILE_MAX 256 /* a key file is 65 bytes */

bool gt_registry_id_valid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > GT_REGISTRY_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
			return false;
	return true;
}

char **gt_registry_dirs(void)
{
	const char *rt = g_getenv("XDG_RUNTIME_DIR");
	GPtrArray *a = g_ptr_array_new();

	if (rt != NULL && rt[0] == '/')
		g_ptr_array_add(a, g_build_filename(rt, "goet", NULL));
	g_ptr_array_add(a, g_strdup_printf("/tmp/goet-%u", (unsigned)getuid()));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

int gt_registry_dir_check(const char *dir, bool create, GError **error)
{
	struct stat st;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "mkdir %s: %s", dir,
			    g_strerror(errno));
		return CORE_ERR_SYSTEM;
	}
	if (lstat(dir, &st) != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_NOT_FOUND, "%s: %s", dir,
			    g_strerror(errno));
		return CORE_ERR_NOT_FOUND;
	}
	/* someone else's directory could show us their entries or read ours */
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM,
			    "%s is not a private directory of this user (mode 0700)", dir);
		return CORE_ERR_SYSTEM;
	}
	return CORE_OK;
}

char *gt_registry_dir(bool create, GError **error)
{
	char **dirs = gt_registry_dirs(), *found = NULL;
	GError *e = NULL;

	for (char **d = dirs; *d != NULL && found == NULL; d++) {
		g_clear_error(&e);
		if (gt_registry_dir_check(*d, create, &e) == CORE_OK)
			found = g_strdup(*d);
	}
	if (found == NULL)
		g_propagate_error(error, e);
	else
		g_clear_error(&e);
	g_strfreev(dirs);
	return found;
}

/* Write data to dir/name atomically with mode 0600. */
static int reg_write(const char *dir, const char *name, const char *data, size_t len,
		     GError **error)
{
	char *path = g_build_filename(dir, name, NULL);
	char *tmp = g_strdup_printf("%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = CORE_ERR_SYSTEM;

	if (fd < 0)
		goto out;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		goto out;
	}
	r = CORE_OK;
out:
	if (r != CORE_OK)
		g_set_error(error, CORE_ERROR, r, "%s: %s", path, g_strerror(errno));
	g_free(tmp);
	g_free(path);
	return r;
}

int gt_registry_put(const char *dir, const struct gt_registry_entry *e, GError **error)
{
	GKeyFile *kf = g_key_file_new();
	char *name = g_strconcat(e->id, ".session", NULL);
	char *data;
	gsize len;
	int r;

	g_key_file_set_string(kf, REG_GROUP, "id", e->id);
	g_key_file_set_int64(kf, REG_GROUP, "started", e->started);
	g_key_file_set_integer(kf, REG_GROUP, "pid", e->pid);
	g_key_file_set_integer(kf, REG_GROUP, "shell-pid", e->shell_pid);
	g_key_file_set_integer(kf, REG_GROUP, "port", e->port);
	g_key_file_set_boolean(kf, REG_GROUP, "attached", e->attached);
	g_key_file_set_string(kf, REG_GROUP, "command", e->command != NULL ? e->command : "");
	data = g_key_file_to_data(kf, &len, NULL);
	r = reg_write(dir, name, data, len, error);
	g_free(data);
	g_free(name);
	g_key_file_free(kf);
	return r;
}

int gt_registry_put_key(const char *dir, const char *id, const uint8_t key[GT_PASSKEY_LEN],
			GError **error)
{
	char line[GT_PASSKEY_HEX_LEN + 2];
	char *name = g_strconcat(id, ".key", NULL);
	int r;

	gt_passkey_to_hex(key, line);
	line[GT_PASSKEY_HEX_LEN] = '\n';
	line[GT_PASSKEY_HEX_LEN + 1] = '\0';
	r = reg_write(dir, name, line, GT_PASSKEY_HEX_LEN + 1, error);
	core_wipe(line, sizeof(line));
	g_free(name);
	return r;
}

int gt_registry_get_key(const char *dir, const char *id, uint8_t key[GT_PASSKEY_LEN])
{
	char *name = g_strconcat(id, ".key", NULL);
	char *path = g_build_filename(dir, name, NULL);
	char buf[REG_KEY_FILE_MAX];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = CORE_ERR_NOT_FOUND;
	ssize_t n;

	if (fd < 0)
		goto out;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	r = CORE_ERR_BAD_FORMAT;
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	r = gt_passkey_from_hex(key, buf);
out:
	core_wipe(buf, sizeof(buf));
	g_free(path);
	g_free(name);
	return r;
}

/* Is the session process pid still there? */
static bool reg_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int gt_registry_get(const char *dir, const char *id, struct gt_registry_entry *e)
{
	char *name = g_strconcat(id, ".session", NULL);
	char *path = g_build_filename(dir, name, NULL);
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	int r = CORE_ERR_NOT_FOUND, port;

	memset(e, 0, sizeof(*e));
	if (!gt_registry_id_valid(id) ||
	    !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		goto out;
	r = CORE_ERR_BAD_FORMAT;
	e->id = g_key_file_get_string(kf, REG_GROUP, "id", &err);
	e->started = g_key_file_get_int64(kf, REG_GROUP, "started", err != NULL ? NULL : &err);
	e->pid = g_key_file_get_integer(kf, REG_GROUP, "pid", err != NULL ? NULL : &err);
	e->shell_pid = g_key_file_get_integer(kf, REG_GROUP, "shell-pid", NULL);
	port = g_key_file_get_integer(kf, REG_GROUP, "port", err != NULL ? NULL : &err);
	e->attached = g_key_file_get_boolean(kf, REG_GROUP, "attached", NULL);
	e->command = g_key_file_get_string(kf, REG_GROUP, "command", NULL);
	if (err != NULL || port <= 0 || port > 65535 || e->id == NULL || strcmp(e->id, id) != 0)
		goto out;
	e->port = (uint16_t)port;
	if (e->command == NULL)
		e->command = g_strdup("");
	r = reg_alive(e->pid) ? CORE_OK : CORE_ERR_NOT_FOUND;
	if (r == CORE_ERR_NOT_FOUND)
		gt_registry_remove(dir, id); /* stale: the session was killed */
out:
	if (r != CORE_OK)
		gt_registry_entry_clear(e);
	g_clear_error(&err);
	g_key_file_free(kf);
	g_free(path);
	g_free(name);
	return r;
}

void gt_registry_remove(const char *dir, const char *id)
{
	static const char *const suffixes[] = { ".session", ".key" };

	if (!gt_registry_id_valid(id))
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		char *name = g_strconcat(id, suffixes[i], NULL);
		char *path = g_build_filename(dir, name, NULL);

		unlink(path);
		g_free(path);
		g_free(name);
	}
}

void gt_registry_entry_clear(struct gt_registry_entry *e)
{
	g_clear_pointer(&e->id, g_free);
	g_clear_pointer(&e->command, g_free);
}

/* GDestroyNotify for list entries (NULL: an entry moved elsewhere). */
static void reg_entry_free(gpointer p)
{
	if (p == NULL)
		return;
	gt_registry_entry_clear(p);
	g_free(p);
}

/* Oldest first; ties by id. */
static gint reg_by_start(gconstpointer a, gconstpointer b)
{
	const struct gt_registry_entry *x = *(struct gt_registry_entry *const *)a;
	const struct gt_registry_entry *y = *(struct gt_registry_entry *const *)b;

	return x->started < y->started ? -1 : x->started > y->started ? 1 : strcmp(x->id, y->id);
}

GPtrArray *gt_registry_list(const char *dir)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(reg_entry_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		struct gt_registry_entry *e;
		char *id;

		if (!g_str_has_suffix(name, ".session"))
			continue;
		id = g_strndup(name, strlen(name) - strlen(".session"));
		e = g_new0(struct gt_registry_entry, 1);
		if (gt_registry_get(dir, id, e) == CORE_OK)
			g_ptr_array_add(out, e);
		else
			g_free(e);
		g_free(id);
	}
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(out, reg_by_start);
	return out;
}

GPtrArray *gt_registry_list_all(void)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(reg_entry_free);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	char **dirs = gt_registry_dirs();

	for (char **d = dirs; *d != NULL; d++) {
		GPtrArray *l;

		if (gt_registry_dir_check(*d, false, NULL) != CORE_OK)
			continue;
		l = gt_registry_list(*d);
		for (guint i = 0; i < l->len; i++) {
			struct gt_registry_entry *e = l->pdata[i];

			if (g_hash_table_contains(seen, e->id))
				continue;
			l->pdata[i] = NULL; /* moved to all */
			g_hash_table_add(seen, e->id);
			g_ptr_array_add(all, e);
		}
		g_ptr_array_unref(l);
	}
	g_hash_table_destroy(seen);
	g_strfreev(dirs);
	g_ptr_array_sort(all, reg_by_start);
	return all;
}

int gt_registry_find(const char *id, struct gt_registry_entry *e, uint8_t key[GT_PASSKEY_LEN])
{
	char **dirs = gt_registry_dirs();
	int r = CORE_ERR_NOT_FOUND;

	memset(e, 0, sizeof(*e));
	for (char **d = dirs; *d != NULL && r != CORE_OK; d++) {
		if (gt_registry_dir_check(*d, false, NULL) != CORE_OK ||
		    gt_registry_get(*d, id, e) != CORE_OK)
			continue;
		r = gt_registry_get_key(*d, id, key) == CORE_OK ? CORE_OK : CORE_ERR_NOT_FOUND;
		if (r != CORE_OK)
			gt_registry_entry_clear(e);
	}
	g_strfreev(dirs);
	return r;
}

/* The 8th field of /proc/PID/stat: the terminal's foreground process group. */
static int reg_tpgid(int pid)
{
	char *path = g_strdup_printf("/proc/%d/stat", pid), *text = NULL, *p;
	int tpgid = -1;

	if (g_file_get_contents(path, &text, NULL, NULL) && (p = strrchr(text, ')')) != NULL) {
		int fields = sscanf(p + 1, " %*c %*d %*d %*d %*d %d", &tpgid);

		if (fields != 1)
			tpgid = -1;
	}
	g_free(text);
	g_free(path);
	return tpgid;
}

char *gt_registry_foreground(int shell_pid)
{
	int fg = shell_pid > 0 ? reg_tpgid(shell_pid) : -1;
	char *path, *text = NULL;
	gsize len = 0;

	if (fg <= 0)
		return NULL;
	path = g_strdup_printf("/proc/%d/cmdline", fg);
	if (!g_file_get_contents(path, &text, &len, NULL) || len == 0) {
		g_free(text);
		text = NULL;
	} else {
		for (gsize i = 0; i + 1 < len; i++) /* NULs between the words become spaces */
			if (text[i] == '\0')
				text[i] = ' ';
	}
	g_free(path);
	return text;
}
