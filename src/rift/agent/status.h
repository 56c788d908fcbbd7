/*
 * status.h - `riftgate status` as a person reads it: the agent's status
 * document (GET /status, rg_agent_status_json) laid out as the
 * reference's header lines and a table of peers:
 *
 *   Device:   alice
 *   Address:  10.0.0.1/24
 *   Routes:   none
 *   Server:   https://198.51.100.1:8443 (connected)
 *   Uptime:   3m12s
 *   Peers:    1
 *
 *   PEER  ADDRESS      STATE      ICE TYPE  PATH    VIA  RTT    RX       TX       HANDSHAKE ...
 *   bob   10.0.0.2/24  connected  srflx     direct  ice  23 ms  1.2 MiB  3.4 MiB  5s ago    ...
 *
 * VIA: "ice" when WireGuard goes straight on the ICE path, "channel" when in
 * the data channel.
 *
 * Durations as the reference prints them: under a minute "Ns", under an
 * hour "MmSs", else "HhMm".
 *
 * Pure: JSON text in, text out; now_unix is the wall clock. Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* The text (g_free), or NULL with *error: CORE_ERR_BAD_FORMAT (not a status document). */
char *rg_agent_status_format(const char *json, int64_t now_unix, GError **error);
/* "45s", "3m12s", "2h05m" into out (at least 16 bytes); returns out. */
const char *rg_agent_duration(int64_t seconds, char *out, size_t outlen);
