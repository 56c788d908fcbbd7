/*
 * config.h - INI configuration files (GKeyFile underneath), with errors that
 * name the file and the line or the [group] key.
 *
 *   riftgate.conf:12: not a key=value pair, group, or comment
 *   riftgate.conf:7: [server] port: expected an integer in 1..65535, got "http"
 *
 * Values are quoted (escaped) only by the typed getters (integers, booleans,
 * ports). A line that is not key=value and a string value are never quoted,
 * whatever is wrong with them: either may be a private key or token (one
 * that lost its "=", one with a byte that is not UTF-8). Key names are
 * 1..32 letters, digits, '-', '_' or '.'; a line whose text before "=" is
 * not one ("PrivateKey <base64>=", a bare base64 key) is "not a key=value
 * pair", unquoted.
 *
 * GKeyFile silently merges repeated groups and lets a repeated key win; both
 * are usually typos, so they are errors here, except that with
 * CORE_CONFIG_REPEATED_GROUPS a group may repeat (wg-quick's [Peer]) and the
 * repeats are named "Peer#2", "Peer#3", ... in file order. Lists are
 * comma-separated, items trimmed.
 *
 * Every function that can fail returns CORE_OK or CORE_ERR_CONFIG and sets
 * *error (CORE_ERROR domain) with the message above; getters of a missing key
 * return the default. Ownership: core_config_free frees the object; strings
 * returned through out-parameters are the caller's (g_free / g_strfreev).
 * Threading: none (one owner).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct core_config;

enum core_config_flags {
	CORE_CONFIG_DEFAULT = 0,
	CORE_CONFIG_REPEATED_GROUPS = 1 << 0,
};

int core_config_load(struct core_config **out, const char *path, unsigned flags, GError **error);
/* name is used in error messages in place of a path. */
int core_config_load_data(struct core_config **out, const char *data, size_t len, const char *name,
			  unsigned flags, GError **error);
void core_config_free(struct core_config *cfg);

/* Group names in file order (repeats renamed as above); g_strfreev. */
char **core_config_groups(const struct core_config *cfg);
bool core_config_has_group(const struct core_config *cfg, const char *group);
bool core_config_has_key(const struct core_config *cfg, const char *group, const char *key);
/* Line of a key (or of the group header when key is NULL); 0 if absent. */
unsigned core_config_line(const struct core_config *cfg, const char *group, const char *key);

/* Fail with "unknown key" naming file:line if group has a key not in allowed (NULL-terminated). */
int core_config_check_keys(const struct core_config *cfg, const char *group,
			   const char *const *allowed, GError **error);

int core_config_get_string(const struct core_config *cfg, const char *group, const char *key,
			   const char *def, char **out, GError **error);
int core_config_get_int(const struct core_config *cfg, const char *group, const char *key,
			int64_t def, int64_t min, int64_t max, int64_t *out, GError **error);
int core_config_get_bool(const struct core_config *cfg, const char *group, const char *key,
			 bool def, bool *out, GError **error);
int core_config_get_port(const struct core_config *cfg, const char *group, const char *key,
			 uint16_t def, uint16_t *out, GError **error);
/* Comma-separated list; *out is NULL when the key is absent. */
int core_config_get_strv(const struct core_config *cfg, const char *group, const char *key,
			 char ***out, GError **error);
