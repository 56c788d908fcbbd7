/*
 * authmsg.h - the bodies of the server's /auth endpoints (the reference's
 * section 7.2, with "join_token" in place of "github_token"), both ways:
 * the server parses requests and encodes responses, the agent and the CLI
 * encode requests and parse responses. docs/protocol/auth.md has them all.
 *
 *   POST /auth/register {"device_name","join_token"}
 *        -> {"device_id","access_token","refresh_token","expires_in",
 *            "address","subnet","network","server_url","ice_servers"}
 *   POST /auth/refresh  {"device_id","refresh_token"}
 *        -> {"access_token","refresh_token","expires_in","ice_servers"}
 *   GET  /auth/devices  -> {"devices":[{"device_id","device_name","address",
 *                           "created_at","last_seen_at","revoked"}]}
 *   any error           -> {"error":"<reason>"}
 *
 * "ice_servers" is a list of RTCIceServer-like objects, {"urls":["stun:h:p"]}
 * or {"urls":["turn:h:p?transport=udp"],"username":"...","credential":"..."};
 * a "turns:" server may add "fingerprint":"AB:CD:..." (the SHA-256 of the
 * certificate it presents, which the agent then pins: a self-signed one).
 *
 * Limits: a body of at most RG_AUTH_MAX_BODY bytes; a device name is 1..64
 * bytes of UTF-8 with no control character, no '/' and no space at either
 * end (a configuration file would lose it); tokens and ids at
 * most 128 bytes of printable ASCII. Errors are fixed strings (they never
 * quote a token); the request parsers' are what the server sends back.
 *
 * Pure: no I/O. Ownership: parsed structures own their strings (the _clear
 * functions; tokens are wiped). Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_AUTH_MAX_BODY     4096  /* request bodies */
#define RG_AUTH_MAX_RESPONSE 65536 /* response bodies (a device list) */
#define RG_AUTH_MAX_NAME     64
#define RG_AUTH_MAX_TOKEN    128
#define RG_AUTH_MAX_ICE	     8 /* ICE servers in a response */

/* Reasons the request parsers give (the server's {"error": ...}). */
#define RG_AUTH_ERR_BODY	 "invalid request body"
#define RG_AUTH_ERR_NAME_MISSING "device_name is required"
#define RG_AUTH_ERR_NAME_BAD                                                                       \
	"device_name must be 1 to 64 bytes of text, no '/', no space at either end"
#define RG_AUTH_ERR_JOIN_MISSING "join_token is required"
#define RG_AUTH_ERR_ID_MISSING	 "device_id is required"
#define RG_AUTH_ERR_RT_MISSING	 "refresh_token is required"
#define RG_AUTH_ERR_TOKEN_BAD	 "malformed token"

struct rg_auth_register_req {
	char *device_name;
	char *join_token;
};

struct rg_auth_refresh_req {
	char *device_id;
	char *refresh_token;
};

struct rg_auth_ice_server {
	char *url;	   /* one URL per entry here (a list of one on the wire) */
	char *username;	   /* NULL for STUN */
	char *credential;  /* NULL for STUN */
	char *fingerprint; /* "AB:CD:..." or NULL (a "turns:" server's certificate) */
};

/* A register or refresh response. */
struct rg_auth_session {
	char *device_id;    /* register only */
	char *access_token; /* the JWT */
	char *refresh_token;
	int64_t expires_in; /* seconds the JWT is good for */
	char *address;	    /* register only: "10.0.0.2/24" */
	char *subnet;	    /* register only */
	char *network;	    /* register only */
	char *server_url;   /* register only */
	struct rg_auth_ice_server ice[RG_AUTH_MAX_ICE];
	size_t n_ice;
};

struct rg_auth_device {
	char *device_id, *device_name, *address;
	int64_t created_at;
	int64_t last_seen_at; /* 0: never */
	bool revoked;
};

/* True for a device name the server accepts (see the limits above). */
bool rg_auth_name_ok(const char *name);

/*
 * Parse a request body: CORE_OK with *out; else CORE_ERR_BAD_FORMAT (not a
 * JSON object, a field of the wrong type, too large), CORE_ERR_NOT_FOUND (a
 * field is missing or empty) or CORE_ERR_BAD_VALUE (a field out of its
 * limits), with *err pointing at one of the RG_AUTH_ERR_ strings and *out
 * cleared.
 */
int rg_auth_register_parse(const char *body, size_t len, struct rg_auth_register_req *out,
			   const char **err);
int rg_auth_refresh_parse(const char *body, size_t len, struct rg_auth_refresh_req *out,
			  const char **err);
void rg_auth_register_req_clear(struct rg_auth_register_req *r);
void rg_auth_refresh_req_clear(struct rg_auth_refresh_req *r);
/* The request bodies (g_free; wipe them after sending). */
char *rg_auth_register_encode(const char *device_name, const char *join_token);
char *rg_auth_refresh_encode(const char *device_id, const char *refresh_token);

/*
 * Encode a session (registration: true adds the register-only fields).
 * g_free (wipe: it holds tokens).
 */
char *rg_auth_session_encode(const struct rg_auth_session *s, bool registration);
/*
 * Parse a response: CORE_OK with *out; CORE_ERR_BAD_FORMAT or
 * CORE_ERR_NOT_FOUND (a required field missing) with a reason in err.
 */
int rg_auth_session_parse(const char *body, size_t len, bool registration,
			  struct rg_auth_session *out, char *err, size_t errlen);
void rg_auth_session_clear(struct rg_auth_session *s);

/* {"devices":[...]} (g_free). */
char *rg_auth_devices_encode(const struct rg_auth_device *d, size_t n);
/* CORE_OK with *out (an array of struct rg_auth_device: rg_auth_devices_free), or an error. */
int rg_auth_devices_parse(const char *body, size_t len, struct rg_auth_device **out, size_t *n,
			  char *err, size_t errlen);
void rg_auth_devices_free(struct rg_auth_device *d, size_t n);

/* {"error":"reason"} (g_free). */
char *rg_auth_error_encode(const char *reason);
/* The reason of an error body (g_free), or NULL when body is not one. */
char *rg_auth_error_parse(const char *body, size_t len);

/*
 * An ICE server URL: "stun:host:port", "turn:host:port?transport=udp|tcp",
 * "turns:host:port?transport=tcp" (host a name, an IPv4 address or [IPv6]),
 * or TURN over WebSocket, "wss://host[:port]/path" or "ws://..." (the
 * Worker's /turn; port 443 or 80 by default, no query). CORE_OK with *host
 * (g_free), *port, *turn and *transport ("udp", "tcp", "tls", "ws" or
 * "wss"); CORE_ERR_BAD_FORMAT.
 */
int rg_auth_ice_url_parse(const char *url, char **host, uint16_t *port, bool *turn,
			  const char **transport);
