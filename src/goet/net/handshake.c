/* handshake.c - goet authentication over a TLS session (contract in handshake.h). */
#include "goet/net/handshake.h"

#include <glib.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"

int gt_hs_set_alpn(gnutls_session_t tls, unsigned versions, bool is_server)
{
	gnutls_datum_t alpn[2];
	unsigned n = 0;

	if (versions & (1u << GT_PROTO_V2))
		alpn[n++] = (gnutls_datum_t){ (unsigned char *)GT_ALPN_V2, strlen(GT_ALPN_V2) };
	if (versions & (1u << GT_PROTO_V1))
		alpn[n++] = (gnutls_datum_t){ (unsigned char *)GT_ALPN_V1, strlen(GT_ALPN_V1) };
	return gnutls_alpn_set_protocols(
		       tls, alpn, n,
		       is_server ? GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE : 0) == 0
		       ? CORE_OK
		       : CORE_ERR_TLS;
}

int gt_hs_version(gnutls_session_t tls, enum gt_proto_version *v)
{
	gnutls_datum_t alpn = { NULL, 0 };

	if (gnutls_alpn_get_selected_protocol(tls, &alpn) != 0)
		return CORE_ERR_TLS;
	*v = alpn.size == strlen(GT_ALPN_V2) && memcmp(alpn.data, GT_ALPN_V2, alpn.size) == 0
		     ? GT_PROTO_V2
		     : GT_PROTO_V1;
	return CORE_OK;
}

/* The TLS exporter bytes for version v's label. */
static int hs_exporter(gnutls_session_t tls, enum gt_proto_version v,
		       uint8_t out[GT_AUTH_EXPORTER_LEN])
{
	const char *label = v == GT_PROTO_V2 ? GT_AUTH_EXPORTER_LABEL_V2 : GT_AUTH_EXPORTER_LABEL;

	if (gnutls_prf_rfc5705(tls, strlen(label), label, 0, NULL, GT_AUTH_EXPORTER_LEN,
			       (char *)out) != 0)
		return CORE_ERR_TLS;
	return CORE_OK;
}

int gt_hs_auth_request(gnutls_session_t tls, enum gt_proto_version v,
		       const uint8_t passkey[GT_PASSKEY_LEN], struct gt_msg *req)
{
	uint8_t exporter[GT_AUTH_EXPORTER_LEN];
	int r = hs_exporter(tls, v, exporter);

	*req = (struct gt_msg){ .type = GT_MSG_AUTH_REQUEST };
	if (r == CORE_OK)
		r = gt_auth_token(passkey, exporter, req->u.auth_request.token);
	core_wipe(exporter, sizeof(exporter));
	return r;
}

int gt_hs_check_request(gnutls_session_t tls, enum gt_proto_version v,
			const uint8_t passkey[GT_PASSKEY_LEN], bool impostor,
			const struct gt_msg *req, struct gt_msg *resp,
			uint8_t proof[GT_AUTH_MAC_LEN])
{
	uint8_t exporter[GT_AUTH_EXPORTER_LEN];
	int r = CORE_ERR_AUTH;

	*resp = (struct gt_msg){ .type = GT_MSG_AUTH_RESPONSE };
	resp->u.auth_response.status = GT_AUTH_FAILED;
	if (hs_exporter(tls, v, exporter) != CORE_OK)
		goto out;
	if (!impostor && !gt_auth_verify(passkey, exporter, req->u.auth_request.token))
		goto out;
	resp->u.auth_response.status = GT_AUTH_OK;
	if (v == GT_PROTO_V2 && !impostor &&
	    gt_auth_server_proof(passkey, exporter, proof) == CORE_OK) {
		resp->u.auth_response.extra = proof;
		resp->u.auth_response.extra_len = GT_AUTH_MAC_LEN;
	}
	r = CORE_OK;
out:
	core_wipe(exporter, sizeof(exporter));
	return r;
}

int gt_hs_check_response(gnutls_session_t tls, enum gt_proto_version v,
			 const uint8_t passkey[GT_PASSKEY_LEN], const struct gt_msg *resp,
			 char *reason, size_t rlen)
{
	uint8_t exporter[GT_AUTH_EXPORTER_LEN];
	int r = CORE_OK;

	if (resp->u.auth_response.status != GT_AUTH_OK) {
		g_snprintf(reason, rlen, "session rejected the passkey (status %u)",
			   resp->u.auth_response.status);
		return CORE_ERR_AUTH;
	}
	if (v == GT_PROTO_V2 &&
	    (hs_exporter(tls, v, exporter) != CORE_OK ||
	     !gt_auth_server_proof_verify(passkey, exporter, resp->u.auth_response.extra,
					  resp->u.auth_response.extra_len))) {
		g_snprintf(reason, rlen,
			   "session did not prove it knows the passkey (possible impostor)");
		r = CORE_ERR_AUTH;
	}
	core_wipe(exporter, sizeof(exporter));
	return r;
}
