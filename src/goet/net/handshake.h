/*
 * handshake.h - the goet authentication exchange on a finished TLS 1.3
 * session, shared by the QUIC and TCP transports (docs/protocol/goet.md §4).
 *
 *   client: gt_hs_auth_request()  -> AuthRequest
 *   server: gt_hs_check_request() -> AuthResponse (OK + v2 proof, or FAILED)
 *   client: gt_hs_check_response() -> accept or refuse the session
 *
 * The version comes from the ALPN the TLS handshake agreed on.
 * Errors: CORE_ERR_TLS (no ALPN, exporter failed), CORE_ERR_AUTH (with a
 * log-safe reason). Threading: pure functions over the session.
 */
#pragma once

#include <gnutls/gnutls.h>
#include <stdbool.h>

#include "goet/auth.h"
#include "goet/net/conn.h"

/* Offer (client) or accept (server) the versions in the mask, v2 first. */
int gt_hs_set_alpn(gnutls_session_t tls, unsigned versions, bool is_server);

/* The version ALPN agreed on: CORE_OK or CORE_ERR_TLS. */
int gt_hs_version(gnutls_session_t tls, enum gt_proto_version *v);

/* The client's AuthRequest for this session. */
int gt_hs_auth_request(gnutls_session_t tls, enum gt_proto_version v,
		       const uint8_t passkey[GT_PASSKEY_LEN], struct gt_msg *req);

/*
 * Server: check req and fill the answer in *resp (its proof bytes live in
 * proof). Returns CORE_OK (resp says OK) or CORE_ERR_AUTH (resp says FAILED).
 * impostor (tests only) accepts any token and proves nothing.
 */
int gt_hs_check_request(gnutls_session_t tls, enum gt_proto_version v,
			const uint8_t passkey[GT_PASSKEY_LEN], bool impostor,
			const struct gt_msg *req, struct gt_msg *resp,
			uint8_t proof[GT_AUTH_MAC_LEN]);

/* Client: accept the session's AuthResponse, or CORE_ERR_AUTH with reason. */
int gt_hs_check_response(gnutls_session_t tls, enum gt_proto_version v,
			 const uint8_t passkey[GT_PASSKEY_LEN], const struct gt_msg *resp,
			 char *reason, size_t rlen);
