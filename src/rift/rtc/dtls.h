/*
 * dtls.h - DTLS 1.2 for WebRTC over an abstract datagram path (GnuTLS).
 *
 * Packet in, packet out: the owner feeds datagrams from the wire with
 * rg_dtls_input and puts the records handed to cb->send on the wire (later a
 * libnice ICE component; in tests an in-memory queue or a UDP socket).
 * Handshake retransmission runs from a GLib timeout on the given main
 * context, re-armed from gnutls_dtls_get_timeout after each handshake step.
 * The handshake budget is kept on CLOCK_BOOTTIME (core/clock.h): time spent
 * suspended counts, so a handshake still unfinished at the first timer or
 * datagram after a wake-up past the budget fails.
 *
 * Security: both sides present a certificate (the server requires one) and
 * the peer's is accepted only if the SHA-256 of its DER equals peer_fp (the
 * SDP a=fingerprint); the chain, names and dates are not checked, since
 * WebRTC certificates are self-signed. Priority: DTLS 1.2 only, ECDHE-ECDSA
 * with AES-128-GCM, AES-256-GCM or CHACHA20-POLY1305. Record MTU 1280 bytes.
 * The use_srtp extension (RFC 5764) is offered and answered with profile
 * SRTP_AES128_CM_HMAC_SHA1_80, as browsers do, for peers that insist on it
 * (werift); no SRTP keys are ever exported.
 * Known limit: epoch-0 (cleartext) handshake records are unauthenticated by
 * design, so whoever can inject datagrams into the path can stall the
 * handshake (e.g. by moving GnuTLS's replay window); it then times out.
 * Junk that is not whole DTLS records never reaches GnuTLS.
 *
 * Callbacks (cb, ctx): send for each outgoing datagram; connected once after
 * the handshake (peer fingerprint verified); data for each decrypted
 * application datagram; failed at most once with a reason, after which the
 * object is dead; closed once when the peer sends close_notify. Exact failure
 * reasons: "certificate fingerprint mismatch" (the peer's certificate is not
 * peer_fp), "handshake timed out", "peer sent fatal alert: <GnuTLS alert
 * name>" (e.g. "Certificate is bad"), or "handshake failed: <gnutls_strerror>"
 * / "receive failed: <gnutls_strerror>". cb->send must not feed datagrams
 * back into this same object synchronously (queue them instead). Callbacks
 * may call rg_dtls_free: the object is then marked dead (no more callbacks)
 * and released when the outermost rg_dtls_* call returns.
 *
 * Logging: one DEBUG line when the handshake is done, naming the endpoint
 * (name at rg_dtls_new); failures go to cb->failed, for the owner to log.
 *
 * Ownership: cert is borrowed and must outlive the object; cb is copied.
 * Threading: one thread, the one running `context` (NULL = the thread-default
 * context at rg_dtls_new); every call happens there.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tls.h"

/*
 * Datagrams we send are at most this big: 1,280 (IPv6's minimum MTU) - 40 (IPv6)
 * - 8 (UDP) - 4 (TURN ChannelData). An AES-GCM record adds 37 bytes to its payload
 * (13 of header, 8 of explicit nonce, 16 of tag), ChaCha20-Poly1305 29: an SCTP
 * packet of RG_SCTP_MTU (sctp.h) fits either.
 */
#define RG_DTLS_MTU		      1228
#define RG_DTLS_HANDSHAKE_TIMEOUT_MS  30000 /* give up after this long since rg_dtls_start */
#define RG_DTLS_RETRANSMIT_TIMEOUT_MS 1000  /* first retransmission (RFC 6347 4.2.4.1); doubles */
#define RG_DTLS_REASON_FP_MISMATCH    "certificate fingerprint mismatch"
#define RG_DTLS_REASON_TIMEOUT	      "handshake timed out"

struct rg_dtls;

/* From SDP a=setup: active = client, passive = server. */
enum rg_dtls_role { RG_DTLS_CLIENT, RG_DTLS_SERVER };

struct rg_dtls_callbacks {
	void (*send)(void *ctx, const uint8_t *buf, size_t len);
	void (*connected)(void *ctx);
	void (*data)(void *ctx, const uint8_t *buf, size_t len);
	void (*failed)(void *ctx, const char *reason);
	void (*closed)(void *ctx);
};

/*
 * Create an endpoint (nothing is sent yet). All five callbacks are required.
 * name: the endpoint's object in log lines (copied), e.g. its peer
 * connection's; NULL: "dtls-N". CORE_OK, CORE_ERR_INVALID_ARG (a NULL
 * argument or callback) or CORE_ERR_TLS (GnuTLS setup failed); on error
 * *error is set and *out is NULL.
 */
int rg_dtls_new(struct rg_dtls **out, enum rg_dtls_role role, const struct core_tls_cert *cert,
		const uint8_t peer_fp[CORE_TLS_FP_LEN], const struct rg_dtls_callbacks *cb,
		void *ctx, const char *name, GMainContext *context, GError **error);

/* Before rg_dtls_start: total handshake budget (default RG_DTLS_HANDSHAKE_TIMEOUT_MS). */
void rg_dtls_set_handshake_timeout(struct rg_dtls *d, unsigned ms);
/* Before rg_dtls_start: first retransmission delay (default RG_DTLS_RETRANSMIT_TIMEOUT_MS). */
void rg_dtls_set_retransmit_timeout(struct rg_dtls *d, unsigned ms);

/*
 * Framing check of one datagram (pure; no state): it must be a sequence of
 * whole DTLS records (RFC 6347 4.1: a record never spans datagrams), each
 * with a content type in 20..63 (RFC 7983), version major 0xfe, and a length
 * within 2^14 + 2048 that the datagram holds completely; application data in
 * epoch 0 (never valid) is refused too, since GnuTLS would let its random
 * sequence number move the replay window. In an epoch-0 (cleartext)
 * handshake record, each handshake fragment header must fit, its fragment
 * must fit the record and lie within the message (offset + length <=
 * message length), be non-empty unless the message is empty, and the message
 * length must be at most 16384: GnuTLS 3.7.9 as installed here
 * (3.7.9-2+deb12u6, without the CVE-2026-33845 fix) reads out of bounds on an
 * empty fragment at a non-zero offset (found by the rg_dtls_input fuzz
 * target).
 * CORE_OK; CORE_ERR_UNKNOWN_TYPE (first byte or a record type outside
 * 20..63, i.e. not DTLS); CORE_ERR_TRUNCATED (empty, or a record or fragment
 * cut short); CORE_ERR_BAD_VALUE (not a DTLS version, epoch-0 application
 * data, or a fragment outside its message); CORE_ERR_TOO_LARGE (a record or
 * handshake message length over the limit).
 */
int rg_dtls_datagram_check(const uint8_t *buf, size_t len);

/* Begin: the client sends its ClientHello, the server waits; both start the handshake clock. Once. */
void rg_dtls_start(struct rg_dtls *d);

/*
 * One datagram from the wire. Datagrams that fail rg_dtls_datagram_check, and
 * any datagram before start or after failure or close, are ignored and
 * counted (rg_dtls_ignored). Records that are well framed but malformed or
 * unauthenticated are discarded by GnuTLS, as DTLS requires.
 */
void rg_dtls_input(struct rg_dtls *d, const uint8_t *buf, size_t len);

/*
 * Encrypt and send one datagram (cb->send is called before this returns).
 * CORE_OK; CORE_ERR_AGAIN before connected; CORE_ERR_CLOSED after failure
 * or close; CORE_ERR_TOO_LARGE if len exceeds rg_dtls_max_payload;
 * CORE_ERR_INVALID_ARG for NULL buf with len > 0; CORE_ERR_TLS otherwise.
 */
int rg_dtls_send(struct rg_dtls *d, const uint8_t *buf, size_t len);

/* Largest datagram rg_dtls_send accepts (0 before connected). */
size_t rg_dtls_max_payload(const struct rg_dtls *d);

/* Send close_notify (if connected); afterwards the object sends and delivers nothing. */
void rg_dtls_close(struct rg_dtls *d);

/* Release; NULL-safe; never calls callbacks (safe from inside one, see above). */
void rg_dtls_free(struct rg_dtls *d);

/* GnuTLS session description once connected, e.g. "(DTLS1.2)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)"; NULL before. */
const char *rg_dtls_cipher(const struct rg_dtls *d);

/* Datagrams ignored by rg_dtls_input (see there). */
uint64_t rg_dtls_ignored(const struct rg_dtls *d);

/* True once connected and until failure or close. */
gboolean rg_dtls_is_connected(const struct rg_dtls *d);
