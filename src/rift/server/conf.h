/*
 * conf.h - the accounts' part of `riftgate server`'s configuration (the
 * signaling part, [server] and [device.NAME], is sig/server.h's):
 *
 *   [server]
 *   url = https://vpn.example.org:8443   the URL devices use (join URLs, the
 *                                        registration's server_url); default:
 *                                        the one the server listens on
 *   [store]
 *   path = /var/lib/riftgate/server.db   the database (the default)
 *   synchronous = full                   every commit waits for fsync (the
 *                                        default); normal: a power cut may undo
 *                                        the last commits
 *   [ice]                                what registered devices are told
 *   stun = 198.51.100.1:3478             host:port, comma-separated
 *   turn = udp:198.51.100.1:3478         udp:, tcp: or tls: then host:port
 *   turn-secret = <secret>               coturn's static-auth-secret (16+ chars)
 *   turn-ttl = 86400                     seconds TURN credentials are good for
 *   turn-fingerprint = AB:CD:...         SHA-256 of the certificate the tls:
 *                                        servers present (self-signed: agents
 *                                        pin it); without it, agents check the
 *                                        certificate against their CAs
 *
 * Devices come from the store (registration, tokens: accounts.h) when the
 * file has a [store] group or no [device.NAME] group; with [device.NAME]
 * groups and no [store], only those static tokens (the older setup, still
 * served). Both may be used together.
 *
 * Errors name the file and line; turn-secret is never quoted. CORE_OK or
 * CORE_ERR_CONFIG with *error. Ownership: rg_server_conf_clear frees (and
 * wipes the secret). Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct rg_server_conf {
	bool accounts; /* serve the store's devices */
	char *db_path;
	bool sync_normal;    /* [store] synchronous = normal */
	char *public_url;    /* NULL: the listening URL */
	char **stun, **turn; /* NULL-terminated, or NULL */
	char *turn_secret;
	char *turn_fingerprint; /* canonical "AB:CD:...", or NULL */
	int64_t turn_ttl_s;
	/* [server] cert and self-signed, for the fingerprint `invite` prints */
	char *cert_file;
	bool self_signed;
};

int rg_server_conf_load(const char *path, struct rg_server_conf *out, GError **error);
void rg_server_conf_clear(struct rg_server_conf *c);
