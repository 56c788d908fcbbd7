/*
 * conf.h - the wg-quick(8) style configuration of `riftgate wg up`:
 *
 *   [Interface]
 *   PrivateKey = <base64>         required
 *   Address = 10.0.0.1/24, fd00::1/64
 *   ListenPort = 51820            default: any free port
 *   MTU = 1420                    default 1420
 *
 *   [Peer]                        any number
 *   PublicKey = <base64>          required
 *   PresharedKey = <base64>
 *   AllowedIPs = 10.0.0.2/32, 192.168.1.0/24
 *   Endpoint = host:port
 *   PersistentKeepalive = 25      seconds, or "off"
 *
 * wg-quick's keys that configure the host rather than the tunnel (DNS,
 * Table, FwMark, SaveConfig, PreUp, PostUp, PreDown, PostDown) are
 * accepted and reported in `ignored`; any other key is an error naming the
 * file and line.
 *
 * Pure (rg_wg_conf_load reads the file). Ownership: rg_wg_conf_free.
 * Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/wg/keys.h"

struct rg_wg_prefix {
	int family; /* 4 or 6 */
	uint8_t addr[16];
	unsigned len;
};

/*
 * "10.0.0.1/24" or "fd00::1/64": the address as written (host bits kept),
 * its family and prefix length. False for anything else.
 */
bool rg_wg_prefix_parse(const char *s, struct rg_wg_prefix *p);

struct rg_wg_conf_peer {
	uint8_t public_key[RG_WG_KEY_LEN];
	bool has_psk;
	uint8_t psk[RG_WG_KEY_LEN];
	struct rg_wg_prefix *allowed;
	size_t n_allowed;
	char *endpoint; /* "host:port", unresolved; NULL: none */
	unsigned keepalive_s;
};

struct rg_wg_conf {
	uint8_t private_key[RG_WG_KEY_LEN];
	struct rg_wg_prefix *addresses; /* host bits kept: 10.0.0.1/24 */
	size_t n_addresses;
	uint16_t listen_port;
	unsigned mtu;
	struct rg_wg_conf_peer *peers;
	size_t n_peers;
	char **ignored; /* "DNS", ... (NULL-terminated) */
};

/*
 * CORE_OK, or CORE_ERR_CONFIG with *error naming the file, line and key.
 * Bad values are quoted (escaped), except PrivateKey and PresharedKey,
 * which no message ever shows, whole or in part.
 */
int rg_wg_conf_load(struct rg_wg_conf **out, const char *path, GError **error);
int rg_wg_conf_load_data(struct rg_wg_conf **out, const char *data, size_t len, const char *name,
			 GError **error);
void rg_wg_conf_free(struct rg_wg_conf *conf);
