/* gwstate.c - the gateway's state file (see gwstate.h). */
#include "rift/tun/gwstate.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <net/if.h>
#include <string.h>

#include "core/err.h"
#include "rift/tun/nft.h"

#define GWSTATE_GROUP	"gateway"
#define GWSTATE_COMMENT " riftgate gateway: undone by the next start if riftgate stops uncleanly"
#define GWSTATE_MAX	4096 /* bytes: a table name and a few dozen interfaces */

char *rg_gwstate_format(const char *table, const char *const *forwarding, size_t n)
{
	GKeyFile *kf = g_key_file_new();
	char *text;

	g_key_file_set_comment(kf, NULL, NULL, GWSTATE_COMMENT, NULL);
	if (table != NULL)
		g_key_file_set_string(kf, GWSTATE_GROUP, "table", table);
	g_key_file_set_string_list(kf, GWSTATE_GROUP, "forwarding", forwarding, n);
	text = g_key_file_to_data(kf, NULL, NULL);
	g_key_file_free(kf);
	return text;
}

/* Whether s could be an interface name (what the kernel's dev_valid_name takes). */
static bool gwstate_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < IFNAMSIZ && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strpbrk(s, "/: \t\n\r\v\f") == NULL;
}

/* Fill st from the parsed key file; CORE_ERR_CONFIG with *why on a bad value. */
static int gwstate_take(GKeyFile *kf, struct rg_gwstate *st, const char **why)
{
	st->table = g_key_file_get_string(kf, GWSTATE_GROUP, "table", NULL);
	if (st->table != NULL && !rg_nft_table_name_ok(st->table)) {
		*why = "table is not a table name of ours";
		return CORE_ERR_CONFIG;
	}
	st->forwarding = g_key_file_get_string_list(kf, GWSTATE_GROUP, "forwarding", NULL, NULL);
	if (st->forwarding == NULL)
		st->forwarding = g_new0(char *, 1);
	for (size_t i = 0; st->forwarding[i] != NULL; i++) {
		if (!gwstate_ifname_ok(st->forwarding[i])) {
			*why = "forwarding names something that is not an interface";
			return CORE_ERR_CONFIG;
		}
	}
	return CORE_OK;
}

int rg_gwstate_parse(const char *text, size_t len, const char *name, struct rg_gwstate *st,
		     GError **error)
{
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	const char *why = NULL;
	int rc = CORE_ERR_CONFIG;

	memset(st, 0, sizeof(*st));
	if (len > GWSTATE_MAX)
		why = "larger than 4096 bytes";
	else if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &err))
		why = err->message;
	else if (!g_key_file_has_group(kf, GWSTATE_GROUP))
		why = "no [" GWSTATE_GROUP "] group";
	else
		rc = gwstate_take(kf, st, &why);
	if (rc != CORE_OK) {
		g_set_error(error, CORE_ERROR, rc, "%s: not a gateway state file: %s", name, why);
		rg_gwstate_clear(st);
	}
	g_clear_error(&err);
	g_key_file_free(kf);
	return rc;
}

int rg_gwstate_write(const char *path, const char *table, const char *const *forwarding, size_t n,
		     GError **error)
{
	char *text = rg_gwstate_format(table, forwarding, n), *dir = g_path_get_dirname(path);
	GError *err = NULL;
	int rc = CORE_OK;

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		rc = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, rc, "cannot write %s: %s", path, g_strerror(errno));
		goto out;
	}
	/* A temporary file beside it, fsync'd and renamed over it: never half a file. */
	if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
		rc = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, rc, "cannot write %s: %s", path, err->message);
	}
out:
	g_clear_error(&err);
	g_free(dir);
	g_free(text);
	return rc;
}

int rg_gwstate_read(const char *path, struct rg_gwstate *st, GError **error)
{
	GError *err = NULL;
	char *text = NULL;
	gsize len = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!g_file_get_contents(path, &text, &len, &err)) {
		rc = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? CORE_ERR_NOT_FOUND
									    : CORE_ERR_SYSTEM;
		if (rc == CORE_ERR_SYSTEM)
			g_set_error(error, CORE_ERROR, rc, "cannot read %s: %s", path,
				    err->message);
		goto out;
	}
	rc = rg_gwstate_parse(text, len, path, st, error);
out:
	g_clear_error(&err);
	g_free(text);
	return rc;
}

int rg_gwstate_remove(const char *path, GError **error)
{
	if (g_unlink(path) == 0 || errno == ENOENT)
		return CORE_OK;
	g_set_error(error, CORE_ERROR, CORE_ERR_SYSTEM, "cannot remove %s: %s", path,
		    g_strerror(errno));
	return CORE_ERR_SYSTEM;
}

void rg_gwstate_clear(struct rg_gwstate *st)
{
	if (st == NULL)
		return;
	g_free(st->table);
	g_strfreev(st->forwarding);
	memset(st, 0, sizeof(*st));
}
