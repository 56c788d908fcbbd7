/*
 * uapi.h - WireGuard's cross-platform userspace API, the text protocol
 * wg(8) speaks to userspace implementations over a UNIX socket at
 * /var/run/wireguard/NAME.sock ("get=1\n\n" -> key=value lines, then
 * "errno=0\n\n"). Speaking it lets the stock `wg show NAME` inspect a
 * riftgate interface; `riftgate wg show` reads it with rg_wg_uapi_parse and
 * prints it as wg(8) does with rg_wg_uapi_show.
 *
 * Pure: text in, text out. Ownership: results are the caller's (g_free,
 * rg_wg_uapi_state_free). Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/addr.h"
#include "rift/wg/bind.h"
#include "rift/wg/device.h"

#define RG_WG_UAPI_DIR "/var/run/wireguard"

/* A peer as parsed from an answer (info.endpoint is unused: the text is an address). */
struct rg_wg_uapi_peer {
	struct rg_wg_peer_info info;
	struct core_addr endpoint; /* len 0: none */
	GPtrArray *allowed;	   /* of char * ("10.0.0.2/32") */
};

struct rg_wg_uapi_state {
	uint8_t public_key[RG_WG_KEY_LEN]; /* derived from private_key */
	uint16_t listen_port;
	uint32_t fwmark;  /* 0: none */
	GPtrArray *peers; /* of struct rg_wg_uapi_peer * */
};

/*
 * The answer to "get=1": every field wg(8) reads, ending "errno=0\n\n",
 * with the private and preshared keys as wireguard-go sends them (the
 * socket is root's; the caller wipes the text). Each peer's endpoint is
 * written as bind formats it (rg_wg_bind_format), with no endpoint= line
 * when it says there is none (or bind is NULL). listen_port 0 writes
 * "listen_port=0", which wg(8) does not show.
 */
char *rg_wg_uapi_get(const struct rg_wg_device *dev, const struct rg_wg_bind *bind,
		     uint16_t listen_port);
/*
 * Parse an answer to "get=1". CORE_OK, CORE_ERR_BAD_FORMAT (a line that is
 * not key=value, a bad key, number, endpoint or allowed IP prefix) or
 * CORE_ERR_BAD_VALUE (errno != 0: wireguard-go sends a negative one).
 * Unknown keys are skipped, as the protocol allows.
 */
int rg_wg_uapi_parse(const char *text, size_t len, struct rg_wg_uapi_state **out);
void rg_wg_uapi_state_free(struct rg_wg_uapi_state *st);
/*
 * Format byte for byte as `wg show` does without colours: "interface:
 * NAME", its public key, port and fwmark, then the peers, latest handshake
 * first and those that never had one last, each with "preshared key:
 * (hidden)" when it has a non-zero one (wireguard-go sends zeros for none),
 * endpoint, allowed ips, latest handshake ("1 hour, 2 seconds ago"
 * relative to now_unix; "Now"; a warning when it is ahead of now_unix),
 * transfer and keepalive ("every 1 minute, 5 seconds").
 */
char *rg_wg_uapi_show(const struct rg_wg_uapi_state *st, const char *ifname, int64_t now_unix);
