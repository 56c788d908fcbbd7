/*
 * server.h - `riftgate server`: the signaling hub (hub.h) on HTTP and
 * WebSocket (libsoup 3).
 *
 *   GET /connect   WebSocket; `Authorization: Bearer <token>` is required and
 *                  must be a device's token from the configuration, or one
 *                  the authenticator (struct rg_sig_auth: the accounts'
 *                  access tokens) accepts, else the upgrade is refused with
 *                  HTTP 401 (429 when the authenticator says the source
 *                  must wait, with Retry-After), each with a JSON error as
 *                  /auth's ({"error":"missing authorization"}, "invalid or
 *                  expired token", "too many wrong tokens from this address;
 *                  retry later"; 503 "server shutting down"), logged once.
 *                  The token grants the network and the peer name (the name
 *                  a client claims in `join` must be that one).
 *   GET /status    {"connections":N,"version":"..."} and what the
 *                  authenticator adds
 *
 * TLS from PEM files, or a generated self-signed certificate (development;
 * its SHA-256 fingerprint is what clients pin), or none (loopback, or behind
 * a proxy that terminates TLS). Idle WebSockets are pinged every 20 s so
 * that NATs keep them open. Text frames above RG_SIG_MAX_MESSAGE close the
 * connection (1009); binary frames close it (1003).
 *
 * Ownership: the caller owns the server. Threading: the thread-default main
 * context at rg_sig_server_new (all callbacks run there).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/tls.h"
#include "rift/sig/hub.h"

struct rg_sig_device {
	char *name;
	char *network;
	char *token;
};

struct _SoupServer; /* libsoup's SoupServer */

/* Who a connection is, as an authenticator says. */
struct rg_sig_identity {
	char *network, *name; /* the hub's network and granted peer name */
	char *subject;	      /* what rg_sig_server_recheck finds it by (a device id) */
	void *priv;	      /* the authenticator's own, freed with priv_free */
	void (*priv_free)(void *priv);
	unsigned retry_after_s; /* with CORE_ERR_AGAIN: seconds the source must wait */
};

/*
 * An authenticator besides the static tokens (the accounts, api.h). Every
 * callback runs on the server's loop.
 */
struct rg_sig_auth {
	/*
	 * A bearer token that is none of the static ones, from source (the
	 * client's address): CORE_OK filling *id (g_malloc'ed strings: the
	 * server frees them), CORE_ERR_AGAIN (the source must wait: HTTP 429,
	 * id->retry_after_s set), anything else: HTTP 401. It logs its refusals.
	 */
	int (*bearer)(void *data, const char *token, const char *source,
		      struct rg_sig_identity *id);
	/*
	 * Whether an identity accepted earlier still stands (rg_sig_server_recheck,
	 * and once more when the upgrade completes: a connection revoked in between
	 * is closed with 4001 before it joins).
	 */
	bool (*live)(void *data, const struct rg_sig_identity *id);
	/* A WebSocket of id opened (may be NULL). */
	void (*opened)(void *data, const struct rg_sig_identity *id);
	/* Add HTTP handlers; called once, from rg_sig_server_new (may be NULL). */
	void (*attach)(void *data, struct _SoupServer *soup);
	/* Members appended to GET /status: ",\"store\":{...}" (g_free), or NULL. */
	char *(*status)(void *data);
	void *data;
};

struct rg_sig_server_config {
	const char *listen;		     /* address to bind, default "127.0.0.1" */
	uint16_t port;			     /* 0: any */
	const char *cert_file, *key_file;    /* PEM: TLS with these */
	const char *cert_pem;		     /* or a PEM certificate and key in memory */
	bool self_signed;		     /* none of those: TLS with a generated certificate */
	const struct rg_sig_auth *auth;	     /* NULL: the static tokens only */
	const struct rg_sig_device *devices; /* n_devices entries */
	size_t n_devices;
	struct rg_hub_limits limits;
	unsigned ping_interval_s; /* 0: 20 */
};

struct rg_sig_server;

/*
 * Listen and serve. NULL with *error when: cert_file and key_file are not
 * both set or both NULL (CORE_ERROR, CORE_ERR_CONFIG: never plain HTTP by
 * accident); listen is not an IP address (CORE_ERROR, CORE_ERR_CONFIG); the
 * PEM files or cert_pem cannot be read or used, or no certificate can be generated
 * (GLib's file or TLS error, or CORE_ERROR); the address cannot be bound
 * (G_IO_ERROR).
 */
struct rg_sig_server *rg_sig_server_new(const struct rg_sig_server_config *cfg, GError **error);
uint16_t rg_sig_server_port(const struct rg_sig_server *s);
/* "https://127.0.0.1:8443" or "http://..." (static until the server is freed). */
const char *rg_sig_server_url(const struct rg_sig_server *s);
/* The self-signed certificate's fingerprint ("AB:CD:..."), or NULL. */
const char *rg_sig_server_fingerprint(const struct rg_sig_server *s);
/* Close every WebSocket (1001 "server shutting down"); done() runs when all are gone (<= 2 s). */
void rg_sig_server_shutdown(struct rg_sig_server *s, void (*done)(void *data), void *data);
unsigned rg_sig_server_connections(const struct rg_sig_server *s);
/*
 * Ask the authenticator again about every connection whose identity has
 * this subject; each that no longer stands is closed (4001 "credentials
 * revoked") and its peers get `peer-left` at once. Returns how many.
 */
unsigned rg_sig_server_recheck(struct rg_sig_server *s, const char *subject);
void rg_sig_server_free(struct rg_sig_server *s);

/*
 * Devices from an INI file: one group per device,
 *   [device.laptop]
 *   network = home          required
 *   token = <secret>        required, 16 characters or more
 * and [server] listen, port, cert, key, self-signed. Fills cfg (strings owned
 * by *devices_out / the returned strings: free with rg_sig_server_config_clear).
 * CORE_OK, or CORE_ERR_CONFIG with *error naming the file and line: a
 * syntax error, an unknown group or key, a bad value (listen must be an
 * IPv4 or IPv6 address, not a name), a device without a network (there is
 * no default network), cert without key or
 * key without cert, a token shorter than 16 characters or shared by two
 * devices. No message ever contains a token.
 */
int rg_sig_server_config_load(const char *path, struct rg_sig_server_config *cfg, GError **error);
void rg_sig_server_config_clear(struct rg_sig_server_config *cfg);
