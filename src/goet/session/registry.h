/*
 * registry.h - the sessions of one user on one machine, for `goet list` and
 * `goet attach`.
 *
 * Directory: $XDG_RUNTIME_DIR/goet, else /tmp/goet-UID; mode 0700, owned by
 * the user (anything else is refused: another user could read or plant
 * entries). A session outlives the login that started it, and systemd-logind
 * removes /run/user/UID when the user's last login ends: the session then
 * registers again in the next directory that works (it checks every
 * GT_REGISTRY_CHECK_MS), so readers look in every directory. Per session two files, both 0600 and written atomically (a
 * temporary file, then rename):
 *
 *   ID.session   GKeyFile [session]: id, started (Unix seconds), pid,
 *                shell-pid, port, attached, command
 *   ID.key       the passkey as 64 hex characters and a newline
 *
 * The passkey is only ever in ID.key: never in a command line, the
 * .session file or a log. An entry whose pid is gone is stale (the session
 * was killed) and is removed by gt_registry_list.
 *
 * Threading: none (plain blocking file I/O). Ownership: returned strings and
 * entries belong to the caller.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "goet/auth.h"

#define GT_REGISTRY_ID_MAX   64	  /* longest session id accepted (letters, digits, - and _) */
#define GT_REGISTRY_CHECK_MS 2000 /* how often a session checks that its entry still exists */

struct gt_registry_entry {
	char *id;
	int64_t started; /* Unix seconds */
	int pid;	 /* the session process */
	int shell_pid;	 /* 0 until the first client started the shell */
	uint16_t port;
	bool attached; /* a client is connected now */
	char *command; /* the shell's command line ("" before it started) */
};

/* True when id can name registry files (1 to 64 of [A-Za-z0-9_-]). */
bool gt_registry_id_valid(const char *id);

/* The candidate directories, preferred first (NULL-terminated; g_strfreev). */
char **gt_registry_dirs(void);

/*
 * Check dir (with create, make it, 0700, when missing): CORE_OK, or an error
 * with *error when it cannot be made or is unsafe (not a directory, not
 * ours, or open to others).
 */
int gt_registry_dir_check(const char *dir, bool create, GError **error);

/* The first candidate directory that passes the check (allocated), or NULL with *error. */
char *gt_registry_dir(bool create, GError **error);

/* Write (or replace) e's .session file: CORE_OK or CORE_ERR_SYSTEM with *error. */
int gt_registry_put(const char *dir, const struct gt_registry_entry *e, GError **error);

/* Write ID.key: CORE_OK or CORE_ERR_SYSTEM with *error. */
int gt_registry_put_key(const char *dir, const char *id, const uint8_t key[GT_PASSKEY_LEN],
			GError **error);

/* Read ID.key: CORE_OK, CORE_ERR_NOT_FOUND, CORE_ERR_BAD_FORMAT. */
int gt_registry_get_key(const char *dir, const char *id, uint8_t key[GT_PASSKEY_LEN]);

/* Read one entry: CORE_OK, CORE_ERR_NOT_FOUND (no such file, or stale), CORE_ERR_BAD_FORMAT. */
int gt_registry_get(const char *dir, const char *id, struct gt_registry_entry *e);

/* Remove both files of id (missing files are fine). */
void gt_registry_remove(const char *dir, const char *id);

/*
 * Every live entry in dir, oldest first (GPtrArray of gt_registry_entry,
 * freeing them with the array). Stale entries are removed on the way.
 */
GPtrArray *gt_registry_list(const char *dir);

/* Every live entry of every candidate directory (an id once), oldest first. */
GPtrArray *gt_registry_list_all(void);

/* Find id in any candidate directory: its entry and key. CORE_OK or CORE_ERR_NOT_FOUND. */
int gt_registry_find(const char *id, struct gt_registry_entry *e, uint8_t key[GT_PASSKEY_LEN]);

/* Free the strings of e (not e itself). */
void gt_registry_entry_clear(struct gt_registry_entry *e);

/*
 * What the session's terminal runs now: the foreground process's command
 * line, read from /proc through the shell's terminal (allocated; NULL when
 * unknown).
 */
char *gt_registry_foreground(int shell_pid);
