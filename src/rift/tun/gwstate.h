/*
 * gwstate.h - the gateway's state file: what a running gateway changed, so
 * that the next start can undo it after a crash (kill -9, power loss of a
 * process, not of the machine: the file belongs in /run).
 *
 *   # riftgate gateway: undone by the next start if riftgate stops uncleanly
 *   [gateway]
 *   table=riftgate
 *   forwarding=riftgate0;eth0;
 *
 * `forwarding` lists the interfaces whose IPv4 forwarding the gateway
 * switched on (they were off); `table` is its nftables table (family ip).
 * The file is written before the changes it describes, atomically
 * (a temporary file renamed over it), mode 0600.
 *
 * Ownership: rg_gwstate_parse/read fill a struct the caller clears with
 * rg_gwstate_clear. Threading: none.
 */
#pragma once

#include <glib.h>

struct rg_gwstate {
	char *table;	   /* NULL: none */
	char **forwarding; /* interface names, NULL-terminated; never NULL after parse */
};

/* The file's text for table (NULL: none) and the n names of forwarding; g_free it. */
char *rg_gwstate_format(const char *table, const char *const *forwarding, size_t n);

/*
 * Parse the text of a state file (name for messages). CORE_OK with *st;
 * CORE_ERR_CONFIG ("gateway.state: not a gateway state file: ...") for
 * anything else, *st cleared. Names that are not interface names (empty,
 * 16 bytes or more, with '/' or blanks) and table names that are not ours
 * (rg_nft_table_name_ok) are refused.
 */
int rg_gwstate_parse(const char *text, size_t len, const char *name, struct rg_gwstate *st,
		     GError **error);

/*
 * Write the state atomically to path (its directory is created 0755 if
 * missing). CORE_OK, or CORE_ERR_SYSTEM ("cannot write
 * /run/riftgate/gateway.state: Permission denied").
 */
int rg_gwstate_write(const char *path, const char *table, const char *const *forwarding, size_t n,
		     GError **error);

/*
 * Read path into *st. CORE_OK; CORE_ERR_NOT_FOUND when there is no file (no
 * error set); CORE_ERR_SYSTEM (unreadable); CORE_ERR_CONFIG (unparsable).
 */
int rg_gwstate_read(const char *path, struct rg_gwstate *st, GError **error);

/* Remove path: CORE_OK (also when absent) or CORE_ERR_SYSTEM with *error. */
int rg_gwstate_remove(const char *path, GError **error);

/* Free what st holds and zero it. NULL-safe. */
void rg_gwstate_clear(struct rg_gwstate *st);
