/*
 * authc.h - the client side of the server's /auth endpoints
 * (docs/protocol/auth.md): one HTTP request at a time over libsoup, to the
 * server URL of the configuration, its certificate pinned when a
 * fingerprint is given (else the system's CAs decide).
 *
 * The agent uses the asynchronous form on its loop (session.c); the CLI
 * (setup, devices, refresh) the blocking one. Neither logs a body: they
 * carry tokens.
 *
 * Ownership: the caller owns the client; a request in flight is cancelled
 * by rg_authc_free or rg_authc_cancel (done is then not called).
 * Threading: the thread-default main context at creation.
 */
#pragma once

#include <glib.h>

#define RG_AUTHC_TIMEOUT_S 10

struct rg_authc;

/*
 * A request ended: status (0 when no answer came, with transport_error
 * saying why), the body (borrowed for the call; not NUL-terminated).
 */
typedef void (*rg_authc_done_fn)(void *data, unsigned status, const char *body, size_t len,
				 const char *transport_error);

/* url: "https://host:port"; pin: "AB:CD:..." or NULL. NULL when url is not http(s). */
struct rg_authc *rg_authc_new(const char *url, const char *pin);
void rg_authc_free(struct rg_authc *c);
/* Start METHOD path with an optional bearer token and JSON body; one at a time. */
void rg_authc_request(struct rg_authc *c, const char *method, const char *path, const char *bearer,
		      const char *body, rg_authc_done_fn done, void *data);
void rg_authc_cancel(struct rg_authc *c);

/*
 * The same, blocking (at most RG_AUTHC_TIMEOUT_S): the HTTP status with
 * *resp (g_free; wipe it), or 0 with *error (CORE_ERR_CLOSED: no answer:
 * "cannot reach URL: REASON").
 */
unsigned rg_authc_call(const char *url, const char *pin, const char *method, const char *path,
		       const char *bearer, const char *body, char **resp, GError **error);
