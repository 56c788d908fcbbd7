/*
 * turntls.h - the upstream of a TURN-over-TLS bridge (turnbridge.h): one
 * TLS connection (GIO, glib-networking) to the server per call.
 *
 * Verification, as for any TLS server, unless pinned:
 *  - without a pin: the certificate chain must lead to a trusted CA (the
 *    system's store, or the database given) and be valid for `name`, which
 *    is also sent as SNI. libnice only knows the numeric address; the name
 *    is what the certificate is for.
 *  - with a pin (the SHA-256 of the server's DER certificate, as
 *    core_tls_fingerprint_parse reads it): that certificate and no other,
 *    whoever signed it and whatever names it holds (self-signed servers);
 *    `name`, if given, is still sent as SNI.
 * The ALPN offered is "stun.turn" (RFC 7443). A refused certificate fails
 * the open with a reason that says why ("not signed by a trusted CA", "not
 * valid for turn.example.com", "not the pinned certificate: its SHA-256 is
 * AB:CD:..."); the bridge logs it with the server's name.
 *
 * Ownership: rg_turn_tls_opener copies everything it is given (the
 * database is referenced); the opener's ctx belongs to whoever receives the
 * opener (rg_turn_bridge_new). Threading: the GMainContext that is
 * thread-default when open_async is called; glib-networking runs each
 * handshake in a worker thread of its own, but every callback comes back
 * on that context.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "rift/ice/turnbridge.h"

struct rg_turn_tls_server {
	const char *host; /* numeric IPv4 or IPv6 address */
	uint16_t port;
	const char *name;	/* SNI and the name verified; may be NULL only with a pin */
	const uint8_t *pin;	/* CORE_TLS_FP_LEN bytes, or NULL: verify by CA and name */
	GTlsDatabase *database; /* trust anchors; NULL: the system's */
};

/*
 * Fill *out with an opener of TLS connections to s. CORE_OK, or
 * CORE_ERR_CONFIG with *error: host is not a numeric address, port is 0,
 * or there is neither a name nor a pin.
 */
int rg_turn_tls_opener(struct rg_turn_bridge_opener *out, const struct rg_turn_tls_server *s,
		       GError **error);
