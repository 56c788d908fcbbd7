/*
 * turncred.h - time-limited TURN credentials in the "TURN REST API" form
 * that coturn checks with use-auth-secret / static-auth-secret:
 *
 *   username = "<expiry unix seconds>:<device id>"
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * The server hands them to an agent with every session (register, refresh);
 * coturn needs only the shared secret, no list of users. The device id, not
 * the name, follows the colon: it is ASCII without a colon, whatever the
 * device is called (coturn reads the expiry up to the first colon).
 *
 * Pure. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The username (g_free) for device_id, good until expiry. */
char *rg_turn_username(int64_t expiry, const char *device_id);
/* base64(HMAC-SHA1(secret, username)) (g_free; wipe it). */
char *rg_turn_password(const char *secret, size_t secret_len, const char *username);
