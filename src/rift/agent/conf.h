/*
 * conf.h - the agent's configuration: /etc/riftgate/riftgate.conf (INI,
 * documented in riftgate.conf(5)) and the secrets file beside it.
 *
 *   [device]
 *   name = laptop                  required: the name the server's token grants
 *   address = 10.0.0.2/24          required: the tunnel address and subnet
 *   routes = 192.168.1.0/24        subnets this device advertises (and masquerades for)
 *   interface = riftgate0          the TUN's name
 *   mtu = 1128                     the tunnel's MTU (see below)
 *
 *   [server]
 *   url = https://sig.example:8443 required
 *   fingerprint = AB:CD:...        pin the server's certificate (SHA-256)
 *   device-id = <uuid>             registered (riftgate setup): with refresh-token
 *
 *   [ice]                          none: the servers a registered device is told
 *   stun = 198.51.100.1:3478       host:port (a name is resolved at start)
 *   turn = udp:198.51.100.1:3478   udp:, tcp: or tls: then host:port
 *   turn-user = riftgate           (its password is a secret)
 *   relay-only = false
 *
 *   [agent]
 *   control = /run/riftgate/riftgate.sock
 *   secrets = /etc/riftgate/secrets.conf    default: secrets.conf beside this file
 *   exit-node = false              accept default routes from peers
 *   wg-direct = true               WireGuard straight on the ICE path when the
 *                                  peer offers it too (else in the data channel)
 *
 *   [peer.home]                    one group per peer whose routes we accept
 *   accept-routes = 192.168.1.0/24 or "all" (what it advertises)
 *
 * The secrets file (mode 0600 or 0640, not writable by others) holds
 *
 *   [device]
 *   private-key = <base64>          required
 *   token = <bearer token>          a static token, or
 *   refresh-token = rgr_...         a registered device's (rewritten at each refresh)
 *   [ice]
 *   turn-password = ...
 *
 * An MTU of 1128 puts one WireGuard packet in one SCTP packet in one DTLS
 * record in one UDP datagram that fits IPv6's minimum MTU, also through a
 * TURN channel (docs/protocol/webrtc.md has the budget); a bigger one
 * splits each packet over two messages' worth of datagrams.
 *
 * Errors name the file and line ("riftgate.conf:4: [device] address:
 * expected an address with a prefix length like 10.0.0.2/24, got
 * \"10.0.0\""); secret values are never quoted. Every loader returns
 * CORE_OK or CORE_ERR_CONFIG with *error set.
 *
 * Ownership: rg_agent_conf_free frees everything and wipes the secrets.
 * Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/wg/conf.h"
#include "rift/wg/keys.h"

#define RG_AGENT_DEFAULT_CONF	 "/etc/riftgate/riftgate.conf"
#define RG_AGENT_DEFAULT_CONTROL "/run/riftgate/riftgate.sock"
#define RG_AGENT_DEFAULT_IFNAME	 "riftgate0"
#define RG_AGENT_DEFAULT_MTU	 1128

enum rg_agent_turn_transport { RG_AGENT_TURN_UDP, RG_AGENT_TURN_TCP, RG_AGENT_TURN_TLS };

/* Routes accepted from one peer ([peer.NAME]). */
struct rg_agent_conf_peer {
	char *name;
	bool accept_all; /* accept-routes = all */
	char **accept;	 /* NULL-terminated prefixes as written (validated later against the
			    tunnel and the local interfaces) */
};

struct rg_agent_conf {
	char *path; /* the file loaded */
	/* [device] */
	char *name;
	struct rg_wg_prefix address; /* host bits kept: 10.0.0.2/24 */
	char *address_text;
	char **routes; /* advertised, NULL-terminated (maybe empty) */
	char *ifname;
	unsigned mtu;
	/* [server] */
	char *url;
	char *fingerprint; /* NULL: the system's CAs */
	char *device_id;   /* NULL: a static token */
	/* [ice] */
	char *stun_host; /* NULL: none */
	uint16_t stun_port;
	char *turn_host; /* NULL: none */
	uint16_t turn_port;
	enum rg_agent_turn_transport turn_transport;
	char *turn_user;
	bool relay_only;
	/* [agent] */
	char *control;
	char *secrets_path;
	bool exit_node;
	bool wg_direct;
	/* [peer.NAME] */
	struct rg_agent_conf_peer *peers;
	size_t n_peers;
	/* secrets */
	uint8_t private_key[RG_WG_KEY_LEN];
	char *token;	     /* a static bearer token, or NULL */
	char *refresh_token; /* or a registered device's refresh token (with device_id) */
	char *turn_password;
};

/*
 * Load path and its secrets file. CORE_OK, or CORE_ERR_CONFIG with *error:
 * a missing file, a syntax error, an unknown group or key, a missing or
 * malformed value, a secrets file others may read or write.
 */
int rg_agent_conf_load(struct rg_agent_conf **out, const char *path, GError **error);
/* As rg_agent_conf_load, from text (name stands for the path in errors; secrets from secrets_text). */
int rg_agent_conf_load_data(struct rg_agent_conf **out, const char *text, const char *name,
			    const char *secrets_text, const char *secrets_name, GError **error);
void rg_agent_conf_free(struct rg_agent_conf *c);

/*
 * Replace the refresh token in the secrets file at path (its
 * "refresh-token = " line of [device]): written beside it with the same
 * mode and renamed over it, both synced, so a crash leaves the old file or
 * the new one. CORE_OK, or CORE_ERR_SYSTEM / CORE_ERR_CONFIG (no such line)
 * with *error, which never quotes the file.
 */
int rg_agent_conf_save_refresh(const char *path, const char *token, GError **error);
/* Write text to path atomically (temporary file, fsync, rename, fsync of the directory), mode. */
int rg_agent_conf_write_file(const char *path, const char *text, unsigned mode, GError **error);

/* The [peer.NAME] group of name, or NULL. */
const struct rg_agent_conf_peer *rg_agent_conf_peer(const struct rg_agent_conf *c,
						    const char *name);
