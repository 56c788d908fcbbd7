/* config.c - INI configuration files (contract in config.h). */
#include "core/config.h"

#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

struct core_config {
	char *name;
	GKeyFile *kf;
	GPtrArray *groups; /* char *, file order, after renaming */
	GHashTable *lines; /* "group" or "group\x1fkey" -> line (GUINT_TO_POINTER) */
};

/* Longest excerpt of an offending line quoted in an error. */
#define CONFIG_QUOTE_MAX 80
/* Longest key name (ours are at most 19: PersistentKeepalive). */
#define CONFIG_KEY_MAX 32

/* Key for the lines table; g_free. */
static char *config_line_key(const char *group, const char *key)
{
	return key != NULL ? g_strconcat(group, "\x1f", key, NULL) : g_strdup(group);
}

/* Set a CORE_ERR_CONFIG error prefixed with "name:line: " (line 0: "name: "). */
static int config_fail(GError **error, const char *name, unsigned line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static int config_fail(GError **error, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s:%u: %s", name, line, msg);
	else
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s: %s", name, msg);
	g_free(msg);
	return CORE_ERR_CONFIG;
}

/* Parse a "[group]" header line (already trimmed); returns the name or NULL. */
static char *config_group_name(const char *line)
{
	size_t n = strlen(line);

	if (n < 3 || line[0] != '[' || line[n - 1] != ']')
		return NULL;
	if (memchr(line + 1, '[', n - 2) != NULL || memchr(line + 1, ']', n - 2) != NULL)
		return NULL;
	return g_strndup(line + 1, n - 2);
}

/* Record a group header; rename repeats or fail. Appends "[name]" to text. */
static int config_scan_group(struct core_config *cfg, char *gname, unsigned lineno, unsigned flags,
			     GHashTable *seen, GString *text, char **cur, GError **error)
{
	unsigned count = GPOINTER_TO_UINT(g_hash_table_lookup(seen, gname));
	char *final;

	if (count > 0 && !(flags & CORE_CONFIG_REPEATED_GROUPS)) {
		unsigned first = GPOINTER_TO_UINT(g_hash_table_lookup(cfg->lines, gname));
		int r = config_fail(error, cfg->name, lineno,
				    "duplicate group [%s] (first at line %u)", gname, first);
		g_free(gname);
		return r;
	}
	g_hash_table_insert(seen, g_strdup(gname), GUINT_TO_POINTER(count + 1));
	final = count == 0 ? g_strdup(gname) : g_strdup_printf("%s#%u", gname, count + 1);
	g_free(gname);
	g_hash_table_insert(cfg->lines, g_strdup(final), GUINT_TO_POINTER(lineno));
	g_ptr_array_add(cfg->groups, g_strdup(final));
	g_string_append_printf(text, "[%s]\n", final);
	g_free(*cur);
	*cur = final;
	return CORE_OK;
}

/*
 * A key name, as every message may quote it: 1..CONFIG_KEY_MAX letters,
 * digits, '-', '_' or '.'. Anything else before an "=" is likely a value
 * whose own "=" was taken for the separator (base64 ends in "=").
 */
static bool config_key_name_ok(const char *key)
{
	size_t n = strlen(key);

	if (n > CONFIG_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(key[i]) && key[i] != '-' && key[i] != '_' && key[i] != '.')
			return false;
	return true;
}

/* Record a key=value line inside the current group. */
static int config_scan_key(struct core_config *cfg, const char *line, unsigned lineno,
			   const char *cur, GString *text, GError **error)
{
	const char *eq = strchr(line, '=');
	char *key, *lk;
	unsigned first;

	key = g_strstrip(g_strndup(line, (size_t)(eq - line)));
	if (key[0] == '\0') {
		g_free(key);
		return config_fail(error, cfg->name, lineno, "empty key name");
	}
	if (!config_key_name_ok(key)) {
		/* not quoted: "PrivateKey <base64>=" puts a secret before the "=" */
		g_free(key);
		return config_fail(error, cfg->name, lineno,
				   "not a key=value pair, group, or comment");
	}
	if (cur == NULL) {
		int r = config_fail(error, cfg->name, lineno, "key \"%s\" is outside any [group]",
				    key);
		g_free(key);
		return r;
	}
	lk = config_line_key(cur, key);
	first = GPOINTER_TO_UINT(g_hash_table_lookup(cfg->lines, lk));
	if (first > 0) {
		int r = config_fail(error, cfg->name, lineno,
				    "duplicate key \"%s\" in [%s] (first at line %u)", key, cur,
				    first);
		g_free(key);
		g_free(lk);
		return r;
	}
	g_hash_table_insert(cfg->lines, lk, GUINT_TO_POINTER(lineno));
	g_string_append_printf(text, "%s=%s\n", key, eq + 1);
	g_free(key);
	return CORE_OK;
}

/*
 * Walk the text line by line as GKeyFile would, recording where each group
 * and key is, so that every later error can name its line.
 */
static int config_scan(struct core_config *cfg, const char *data, size_t len, unsigned flags,
		       GString *text, GError **error)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char **lines = NULL, *cur = NULL, *copy = g_strndup(data, len);
	int r = CORE_OK;

	if (strlen(copy) != len) {
		r = config_fail(error, cfg->name, 0, "contains a NUL byte");
		goto out;
	}
	lines = g_strsplit(copy, "\n", -1);
	for (unsigned i = 0; lines[i] != NULL && r == CORE_OK; i++) {
		char *line = g_strstrip(lines[i]);
		char *gname, quoted[CONFIG_QUOTE_MAX + 8];

		if (line[0] == '\0' || line[0] == '#' || line[0] == ';') {
			g_string_append_c(text, '\n');
		} else if (line[0] == '[') {
			gname = config_group_name(line);
			if (gname == NULL)
				r = config_fail(error, cfg->name, i + 1,
						"malformed group header: \"%s\"",
						core_log_escape(quoted, sizeof(quoted), line,
								strlen(line)));
			else
				r = config_scan_group(cfg, gname, i + 1, flags, seen, text, &cur,
						      error);
		} else if (strchr(line, '=') != NULL) {
			r = config_scan_key(cfg, line, i + 1, cur, text, error);
		} else {
			/* not quoted: it may be a key or token that lost its "=" */
			r = config_fail(error, cfg->name, i + 1,
					"not a key=value pair, group, or comment");
		}
	}
out:
	g_strfreev(lines);
	g_free(copy);
	g_free(cur);
	g_hash_table_destroy(seen);
	return r;
}

int core_config_load_data(struct core_config **out, const char *data, size_t len, const char *name,
			  unsigned flags, GError **error)
{
	struct core_config *cfg = g_new0(struct core_config, 1);
	GString *text = g_string_new(NULL);
	GError *gerr = NULL;
	int r;

	*out = NULL;
	cfg->name = g_strdup(name);
	cfg->kf = g_key_file_new();
	cfg->groups = g_ptr_array_new_with_free_func(g_free);
	cfg->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_key_file_set_list_separator(cfg->kf, ',');

	r = config_scan(cfg, data, len, flags, text, error);
	if (r != CORE_OK)
		goto out;
	if (!g_key_file_load_from_data(cfg->kf, text->str, text->len, G_KEY_FILE_NONE, &gerr)) {
		r = config_fail(error, name, 0, "%s", gerr->message);
		goto out;
	}
	*out = cfg;
	cfg = NULL;
out:
	g_clear_error(&gerr);
	g_string_free(text, TRUE);
	core_config_free(cfg);
	return r;
}

int core_config_load(struct core_config **out, const char *path, unsigned flags, GError **error)
{
	char *data = NULL;
	gsize len = 0;
	GError *gerr = NULL;
	int r;

	*out = NULL;
	if (!g_file_get_contents(path, &data, &len, &gerr)) {
		r = config_fail(error, path, 0, "cannot read: %s", gerr->message);
		g_error_free(gerr);
		return r;
	}
	r = core_config_load_data(out, data, len, path, flags, error);
	g_free(data);
	return r;
}

void core_config_free(struct core_config *cfg)
{
	if (cfg == NULL)
		return;
	g_key_file_free(cfg->kf);
	g_ptr_array_free(cfg->groups, TRUE);
	g_hash_table_destroy(cfg->lines);
	g_free(cfg->name);
	g_free(cfg);
}

char **core_config_groups(const struct core_config *cfg)
{
	char **v = g_new0(char *, cfg->groups->len + 1);

	for (guint i = 0; i < cfg->groups->len; i++)
		v[i] = g_strdup(g_ptr_array_index(cfg->groups, i));
	return v;
}

bool core_config_has_group(const struct core_config *cfg, const char *group)
{
	return core_config_line(cfg, group, NULL) > 0;
}

bool core_config_has_key(const struct core_config *cfg, const char *group, const char *key)
{
	return core_config_line(cfg, group, key) > 0;
}

unsigned core_config_line(const struct core_config *cfg, const char *group, const char *key)
{
	char *lk = config_line_key(group, key);
	unsigned line = GPOINTER_TO_UINT(g_hash_table_lookup(cfg->lines, lk));

	g_free(lk);
	return line;
}

int core_config_check_keys(const struct core_config *cfg, const char *group,
			   const char *const *allowed, GError **error)
{
	char **keys = g_key_file_get_keys(cfg->kf, group, NULL, NULL);
	int r = CORE_OK;

	for (size_t i = 0; keys != NULL && keys[i] != NULL && r == CORE_OK; i++) {
		if (!g_strv_contains(allowed, keys[i]))
			r = config_fail(error, cfg->name, core_config_line(cfg, group, keys[i]),
					"[%s] %s: unknown key", group, keys[i]);
	}
	g_strfreev(keys);
	return r;
}

/* Fail naming file:line, [group] key, the expectation and the value found. */
static int config_bad_value(const struct core_config *cfg, const char *group, const char *key,
			    const char *value, const char *expected, GError **error)
{
	char quoted[CONFIG_QUOTE_MAX + 8];

	return config_fail(error, cfg->name, core_config_line(cfg, group, key),
			   "[%s] %s: expected %s, got \"%s\"", group, key, expected,
			   core_log_escape(quoted, sizeof(quoted), value, strlen(value)));
}

int core_config_get_string(const struct core_config *cfg, const char *group, const char *key,
			   const char *def, char **out, GError **error)
{
	GError *gerr = NULL;
	char *v;

	*out = NULL;
	if (!core_config_has_key(cfg, group, key)) {
		*out = g_strdup(def);
		return CORE_OK;
	}
	/* with a bad escape GKeyFile returns part of the value and an error */
	v = g_key_file_get_string(cfg->kf, group, key, &gerr);
	if (gerr != NULL) {
		/* GKeyFile's own message quotes the value, which may be a secret */
		bool utf8 =
			g_error_matches(gerr, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING);
		int r = config_fail(error, cfg->name, core_config_line(cfg, group, key),
				    "[%s] %s: %s", group, key,
				    utf8 ? "the value is not valid UTF-8"
					 : "the value has an invalid escape sequence (a backslash "
					   "starts \\s, \\t, \\n, \\r or \\\\)");
		g_error_free(gerr);
		g_free(v);
		return r;
	}
	*out = v;
	return CORE_OK;
}

int core_config_get_int(const struct core_config *cfg, const char *group, const char *key,
			int64_t def, int64_t min, int64_t max, int64_t *out, GError **error)
{
	char *v = NULL, *end = NULL, expected[96];
	gint64 n;
	int r = CORE_OK;

	*out = def;
	if (!core_config_has_key(cfg, group, key))
		return CORE_OK;
	v = g_strstrip(g_key_file_get_value(cfg->kf, group, key, NULL));
	errno = 0;
	n = g_ascii_strtoll(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		g_snprintf(expected, sizeof(expected),
			   "an integer in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, min, max);
		r = config_bad_value(cfg, group, key, v, expected, error);
		goto out;
	}
	*out = n;
out:
	g_free(v);
	return r;
}

int core_config_get_bool(const struct core_config *cfg, const char *group, const char *key,
			 bool def, bool *out, GError **error)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	char *raw, *v;
	int r = CORE_OK;

	*out = def;
	if (!core_config_has_key(cfg, group, key))
		return CORE_OK;
	raw = g_key_file_get_value(cfg->kf, group, key, NULL);
	v = g_ascii_strdown(g_strstrip(raw), -1);
	g_free(raw);
	if (g_strv_contains(yes, v))
		*out = true;
	else if (g_strv_contains(no, v))
		*out = false;
	else
		r = config_bad_value(cfg, group, key, v, "true or false", error);
	g_free(v);
	return r;
}

int core_config_get_port(const struct core_config *cfg, const char *group, const char *key,
			 uint16_t def, uint16_t *out, GError **error)
{
	int64_t v;
	int r = core_config_get_int(cfg, group, key, def, 0, 65535, &v, error);

	*out = r == CORE_OK ? (uint16_t)v : def;
	return r;
}

int core_config_get_strv(const struct core_config *cfg, const char *group, const char *key,
			 char ***out, GError **error)
{
	char *v = NULL, **items;
	size_t n = 0;
	int r;

	*out = NULL;
	if (!core_config_has_key(cfg, group, key))
		return CORE_OK;
	r = core_config_get_string(cfg, group, key, NULL, &v, error);
	if (r != CORE_OK)
		return r;
	items = g_strsplit(v, ",", -1);
	for (size_t i = 0; items[i] != NULL; i++) {
		char *item = g_strstrip(items[i]);

		if (item[0] != '\0')
			items[n++] = item;
		else
			g_free(item);
	}
	items[n] = NULL;
	*out = items;
	g_free(v);
	return CORE_OK;
}
