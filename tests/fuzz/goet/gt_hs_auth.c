/*
 * Fuzz target for goet's authentication exchange (goet/net/handshake.h) on
 * a real TLS 1.3 session: one client and one server session, joined in
 * memory and handshaken once, hold the exporters the tokens are bound to.
 * The first input byte chooses:
 *   bit 0  who checks: the session (an AuthRequest) or the client (an
 *          AuthResponse)
 *   bit 1  goet-v1 or goet-v2
 *   bit 2  the message: the real one (the client's token; the session's
 *          answer with its proof) damaged as the next bytes say (offset,
 *          xor, a status, a proof length), or the rest of the input decoded
 *          as the message's payload
 * Invariants: the session accepts a request exactly when its token is the
 * client's (with the passkey, on this connection), answers OK exactly then
 * and, in goet-v2, with its proof; the client accepts an answer exactly when
 * it says OK and, in goet-v2, carries the session's proof, and says why
 * when it refuses.
 */
#include <errno.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "core/tls.h"
#include "goet/auth.h"
#include "goet/net/handshake.h"
#include "goet/proto/frame.h"

static const uint8_t passkey[GT_PASSKEY_LEN] = { 0x6b, 0x65, 0x79 };
static gnutls_session_t client, server;

/* One direction of the in-memory wire. */
struct pipe {
	GByteArray *bytes;
};
static struct pipe to_client, to_server;

static ssize_t push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	g_byte_array_append(((struct pipe *)p)->bytes, buf, (guint)len);
	return (ssize_t)len;
}

static ssize_t pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	GByteArray *b = ((struct pipe *)p)->bytes;
	size_t n = MIN(len, b->len);

	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	memcpy(buf, b->data, n);
	g_byte_array_remove_range(b, 0, (guint)n);
	return (ssize_t)n;
}

static void session(gnutls_session_t *s, unsigned flags, struct pipe *in, struct pipe *out,
		    gnutls_certificate_credentials_t cred)
{
	if (gnutls_init(s, flags | GNUTLS_NONBLOCK) != 0 ||
	    gnutls_priority_set_direct(*s, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL) != 0 ||
	    gnutls_credentials_set(*s, GNUTLS_CRD_CERTIFICATE, cred) != 0)
		abort();
	gnutls_transport_set_ptr2(*s, in, out);
	gnutls_transport_set_pull_function(*s, pull);
	gnutls_transport_set_push_function(*s, push);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static gnutls_certificate_credentials_t none;
	static struct core_tls_cert *cert; /* static: the sessions use it until exit */
	bool c_done = false, s_done = false;

	to_client.bytes = g_byte_array_new();
	to_server.bytes = g_byte_array_new();
	if (core_tls_cert_generate(&cert, 3600) != CORE_OK ||
	    gnutls_certificate_allocate_credentials(&none) != 0)
		abort();
	session(&server, GNUTLS_SERVER, &to_server, &to_client, core_tls_cert_credentials(cert));
	session(&client, GNUTLS_CLIENT, &to_client, &to_server, none);
	for (int i = 0; i < 100 && !(c_done && s_done); i++) {
		int r;

		if (!c_done && (r = gnutls_handshake(client)) == 0)
			c_done = true;
		else if (!c_done && gnutls_error_is_fatal(r))
			abort();
		if (!s_done && (r = gnutls_handshake(server)) == 0)
			s_done = true;
		else if (!s_done && gnutls_error_is_fatal(r))
			abort();
	}
	if (!c_done || !s_done)
		abort();
	return 0; /* the sessions and cert live as long as the process */
}

/* The parameters after the first byte, zeros once the input ends. */
static const uint8_t *in;
static size_t in_left;

static uint8_t u8(void)
{
	if (in_left == 0)
		return 0;
	in_left--;
	return *in++;
}

static void check_request(enum gt_proto_version v, bool real)
{
	struct gt_msg truth, req, resp;
	uint8_t proof[GT_AUTH_MAC_LEN];
	char reason[128];
	bool genuine;
	int r;

	if (gt_hs_auth_request(client, v, passkey, &truth) != CORE_OK)
		abort();
	if (real) {
		uint8_t at = u8() % GT_AUTH_TOKEN_LEN, x = u8();

		req = truth;
		req.u.auth_request.token[at] ^= x;
	} else if (gt_msg_decode(GT_MSG_AUTH_REQUEST, in, in_left, &req) != CORE_OK) {
		return;
	}
	genuine = memcmp(req.u.auth_request.token, truth.u.auth_request.token, GT_AUTH_TOKEN_LEN) ==
		  0;
	r = gt_hs_check_request(server, v, passkey, false, &req, &resp, proof);
	if ((r == CORE_OK) != genuine || resp.type != GT_MSG_AUTH_RESPONSE ||
	    (resp.u.auth_response.status == GT_AUTH_OK) != genuine)
		abort(); /* a wrong token let in, or the right one refused */
	if (!genuine || v != GT_PROTO_V2)
		return;
	/* goet-v2: the answer proves the session knows the passkey (the client checks it) */
	if (resp.u.auth_response.extra_len != GT_AUTH_MAC_LEN ||
	    gt_hs_check_response(client, v, passkey, &resp, reason, sizeof(reason)) != CORE_OK)
		abort();
}

static void check_response(enum gt_proto_version v, bool real)
{
	struct gt_msg req, truth, resp;
	uint8_t proof[GT_AUTH_MAC_LEN], extra[GT_AUTH_MAC_LEN + 8];
	char reason[128] = "";
	bool genuine;
	int r;

	if (gt_hs_auth_request(client, v, passkey, &req) != CORE_OK ||
	    gt_hs_check_request(server, v, passkey, false, &req, &truth, proof) != CORE_OK)
		abort();
	if (real) {
		uint8_t status = u8(), at = u8(), x = u8(), len = u8();

		resp = truth;
		memset(extra, 0, sizeof(extra));
		if (truth.u.auth_response.extra_len > 0)
			memcpy(extra, truth.u.auth_response.extra, GT_AUTH_MAC_LEN);
		extra[at % sizeof(extra)] ^= x;
		resp.u.auth_response.status = status < 0x80 ? GT_AUTH_OK : status;
		resp.u.auth_response.extra = extra;
		resp.u.auth_response.extra_len =
			len < 0x80 ? truth.u.auth_response.extra_len : len % sizeof(extra);
	} else if (gt_msg_decode(GT_MSG_AUTH_RESPONSE, in, in_left, &resp) != CORE_OK) {
		return;
	}
	genuine = resp.u.auth_response.status == GT_AUTH_OK;
	if (v == GT_PROTO_V2)
		genuine = genuine && resp.u.auth_response.extra_len == GT_AUTH_MAC_LEN &&
			  memcmp(resp.u.auth_response.extra, proof, GT_AUTH_MAC_LEN) == 0;
	r = gt_hs_check_response(client, v, passkey, &resp, reason, sizeof(reason));
	if ((r == CORE_OK) != genuine || (r != CORE_OK && reason[0] == '\0'))
		abort(); /* an impostor accepted, or the session refused without a reason */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum gt_proto_version v;

	if (client == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	in = data + 1, in_left = size - 1;
	v = data[0] & 2 ? GT_PROTO_V2 : GT_PROTO_V1;
	if (data[0] & 1)
		check_response(v, data[0] & 4);
	else
		check_request(v, data[0] & 4);
	return 0;
}
