/*
 * setup.h - what `riftgate setup` and `riftgate devices` need of the
 * agent's side: the files a registered device runs from, join URLs, and the
 * device table.
 *
 *   riftgate.conf (0644)                 secrets.conf beside it (0600)
 *     [device] name, address               [device] private-key
 *     [server] url, fingerprint, device-id          refresh-token
 *
 * (riftgate.conf(5)); STUN and TURN come from the server with every refresh.
 * Join URLs: riftgate://join?server=URL&token=T[&fingerprint=FP], what
 * `riftgate server invite` prints and its QR code holds.
 *
 * Pure but for rg_agent_setup_write. Threading: none.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/auth/authmsg.h"

struct rg_agent_setup {
	const char *conf_path; /* riftgate.conf; secrets.conf goes beside it */
	const char *name, *address, *url, *fingerprint /* or NULL */, *device_id;
	const char *private_key; /* base64 */
	const char *refresh_token;
};

/* The configuration's text (g_free). */
char *rg_agent_setup_conf_text(const struct rg_agent_setup *s);
/* The secrets' text (g_free; wipe it). */
char *rg_agent_setup_secrets_text(const struct rg_agent_setup *s);
/*
 * Write both, each atomically: the directory (0755 if made), the secrets
 * (0600) first, then the configuration (0644). CORE_OK, or CORE_ERR_SYSTEM
 * with *error.
 */
int rg_agent_setup_write(const struct rg_agent_setup *s, GError **error);

/*
 * A join URL's parts: CORE_OK with *server and *token (g_free) and
 * *fingerprint (g_free, NULL when absent); CORE_ERR_BAD_FORMAT when it is
 * not riftgate://join?... with an http(s) server and a token.
 */
int rg_agent_join_url_parse(const char *url, char **server, char **token, char **fingerprint);

/*
 * `riftgate devices`: the server's list (d[0..n)) merged with the running
 * agent's status document (status_json, or NULL when it is not running),
 * matched by name, as the reference's table:
 *
 *   NAME                  ADDRESS      STATUS     ICE TYPE  CAPABILITIES        CREATED
 *   alice (this device)   10.0.0.1/24  online     -         -                   2026-12-04
 *   bob                   10.0.0.2/24  connected  srflx     routes: advertised  2026-12-04
 *
 * STATUS: revoked, else online (this device, the agent running), else the
 * agent's state of that peer, else offline. Names from the server are shown
 * with control characters replaced by '?' and bytes that are not UTF-8 as
 * \xNN: a hostile server cannot drive the terminal. "No devices
 * registered." for none. The text (g_free).
 */
char *rg_agent_devices_format(const struct rg_auth_device *d, size_t n, const char *self_id,
			      const char *status_json);
/* A string from elsewhere made safe for a terminal (g_free), as above. */
char *rg_agent_terminal_safe(const char *s);
