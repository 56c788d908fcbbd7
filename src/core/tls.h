/*
 * tls.h - ephemeral self-signed certificates and SHA-256 fingerprints.
 *
 * core_tls_cert_generate makes the certificate goet's session uses (and
 * riftgate's DTLS and development HTTPS): ECDSA P-256 key, random positive
 * 128-bit serial, empty subject and issuer, valid from 60 s before now for
 * validity_s seconds, keyUsage digitalSignature, extKeyUsage serverAuth, no
 * SAN, X.509 v3, signed with SHA-256. Nothing touches the disk.
 *
 * Fingerprints are the SHA-256 of the DER certificate, shown as 32 uppercase
 * hex pairs joined by colons (the SDP a=fingerprint form). Comparison is
 * constant time.
 *
 * Ownership: a core_tls_cert owns its key, certificate and credentials;
 * borrowed pointers live until core_tls_cert_free. Threading: none.
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdint.h>

#define CORE_TLS_FP_LEN	   32
#define CORE_TLS_FP_STRLEN 96 /* 95 characters + NUL */

struct core_tls_cert;

/* Generate a certificate; CORE_OK, CORE_ERR_TLS or CORE_ERR_INVALID_ARG. */
int core_tls_cert_generate(struct core_tls_cert **out, unsigned validity_s);
void core_tls_cert_free(struct core_tls_cert *cert);

/* Credentials holding this certificate and key (borrowed). */
gnutls_certificate_credentials_t core_tls_cert_credentials(const struct core_tls_cert *cert);
/* The DER certificate (borrowed). */
const gnutls_datum_t *core_tls_cert_der(const struct core_tls_cert *cert);
/* The certificate and its PKCS#8 private key as PEM (g_free both): CORE_OK or CORE_ERR_TLS. */
int core_tls_cert_pem(const struct core_tls_cert *cert, char **cert_pem, char **key_pem);
/* SHA-256 fingerprint of the certificate. */
void core_tls_cert_fingerprint(const struct core_tls_cert *cert, uint8_t fp[CORE_TLS_FP_LEN]);

/* SHA-256 of DER bytes: CORE_OK or CORE_ERR_TLS. */
int core_tls_fingerprint_der(const gnutls_datum_t *der, uint8_t fp[CORE_TLS_FP_LEN]);
/* "AB:CD:..." into out (CORE_TLS_FP_STRLEN bytes); returns out. */
const char *core_tls_fingerprint_format(const uint8_t fp[CORE_TLS_FP_LEN], char *out);
/*
 * Parse 32 colon-separated hex pairs (either case), optionally preceded by
 * "sha-256 " (any case) as in SDP. CORE_OK or CORE_ERR_BAD_FORMAT.
 */
int core_tls_fingerprint_parse(const char *s, uint8_t fp[CORE_TLS_FP_LEN]);
/* Constant-time equality. */
bool core_tls_fingerprint_equal(const uint8_t a[CORE_TLS_FP_LEN], const uint8_t b[CORE_TLS_FP_LEN]);

/* Fingerprint of a GIO certificate (what GTlsConnection and libsoup hand over): CORE_OK, CORE_ERR_TLS. */
int core_tls_gcert_fingerprint(GTlsCertificate *cert, uint8_t fp[CORE_TLS_FP_LEN]);

/* Fingerprint of the peer's first certificate on a session: CORE_OK, CORE_ERR_TLS. */
int core_tls_peer_fingerprint(gnutls_session_t session, uint8_t fp[CORE_TLS_FP_LEN]);
