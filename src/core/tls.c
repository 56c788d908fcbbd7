/* tls.c - self-signed certificates and fingerprints (contract in tls.h). */
#include "core/tls.h"

#include <glib.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <time.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/hex.h"

/* Certificates start this long before "now" so that small clock skew is harmless. */
#define TLS_BACKDATE_S 60
#define TLS_SERIAL_LEN 16

struct core_tls_cert {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t der;
};

/* Fill the certificate's fields and self-sign it. */
static int tls_cert_build(struct core_tls_cert *c, unsigned validity_s)
{
	uint8_t serial[TLS_SERIAL_LEN];
	time_t now = time(NULL);

	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) != 0)
		return CORE_ERR_TLS;
	serial[0] &= 0x7f; /* DER INTEGER: keep it positive */
	serial[0] |= 0x40; /* and exactly 16 bytes long (no leading zero to strip) */
	if (gnutls_x509_crt_set_version(c->crt, 3) != 0 ||
	    gnutls_x509_crt_set_serial(c->crt, serial, sizeof(serial)) != 0 ||
	    gnutls_x509_crt_set_activation_time(c->crt, now - TLS_BACKDATE_S) != 0 ||
	    gnutls_x509_crt_set_expiration_time(c->crt, now + (time_t)validity_s) != 0 ||
	    gnutls_x509_crt_set_key(c->crt, c->key) != 0 ||
	    gnutls_x509_crt_set_key_usage(c->crt, GNUTLS_KEY_DIGITAL_SIGNATURE) != 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(c->crt, GNUTLS_KP_TLS_WWW_SERVER, 0) != 0 ||
	    gnutls_x509_crt_sign2(c->crt, c->crt, c->key, GNUTLS_DIG_SHA256, 0) != 0)
		return CORE_ERR_TLS;
	return CORE_OK;
}

int core_tls_cert_generate(struct core_tls_cert **out, unsigned validity_s)
{
	struct core_tls_cert *c = g_new0(struct core_tls_cert, 1);
	int r = CORE_ERR_TLS;

	*out = NULL;
	if (validity_s == 0) {
		r = CORE_ERR_INVALID_ARG;
		goto out;
	}
	if (gnutls_x509_privkey_init(&c->key) != 0 || gnutls_x509_crt_init(&c->crt) != 0 ||
	    gnutls_certificate_allocate_credentials(&c->cred) != 0)
		goto out;
	if (gnutls_x509_privkey_generate(c->key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) != 0)
		goto out;
	r = tls_cert_build(c, validity_s);
	if (r != CORE_OK)
		goto out;
	r = CORE_ERR_TLS;
	if (gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_DER, &c->der) != 0 ||
	    gnutls_certificate_set_x509_key(c->cred, &c->crt, 1, c->key) < 0)
		goto out;
	*out = c;
	c = NULL;
	r = CORE_OK;
out:
	core_tls_cert_free(c);
	return r;
}

void core_tls_cert_free(struct core_tls_cert *c)
{
	if (c == NULL)
		return;
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->crt != NULL)
		gnutls_x509_crt_deinit(c->crt);
	if (c->key != NULL)
		gnutls_x509_privkey_deinit(c->key);
	gnutls_free(c->der.data);
	g_free(c);
}

gnutls_certificate_credentials_t core_tls_cert_credentials(const struct core_tls_cert *c)
{
	return c->cred;
}

const gnutls_datum_t *core_tls_cert_der(const struct core_tls_cert *c)
{
	return &c->der;
}

int core_tls_cert_pem(const struct core_tls_cert *c, char **cert_pem, char **key_pem)
{
	gnutls_datum_t crt = { NULL, 0 }, key = { NULL, 0 };
	int r = CORE_ERR_TLS;

	*cert_pem = *key_pem = NULL;
	if (gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &crt) != 0 ||
	    gnutls_x509_privkey_export2_pkcs8(c->key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
					      &key) != 0)
		goto out;
	*cert_pem = g_strndup((const char *)crt.data, crt.size);
	*key_pem = g_strndup((const char *)key.data, key.size);
	r = CORE_OK;
out:
	gnutls_free(crt.data);
	if (key.data != NULL) {
		core_wipe(key.data, key.size);
		gnutls_free(key.data);
	}
	return r;
}

void core_tls_cert_fingerprint(const struct core_tls_cert *c, uint8_t fp[CORE_TLS_FP_LEN])
{
	/* cannot fail for a certificate we exported ourselves */
	if (core_tls_fingerprint_der(&c->der, fp) != CORE_OK)
		memset(fp, 0, CORE_TLS_FP_LEN);
}

int core_tls_fingerprint_der(const gnutls_datum_t *der, uint8_t fp[CORE_TLS_FP_LEN])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, fp) != 0)
		return CORE_ERR_TLS;
	return CORE_OK;
}

const char *core_tls_fingerprint_format(const uint8_t fp[CORE_TLS_FP_LEN], char *out)
{
	char hex[3];

	for (size_t i = 0; i < CORE_TLS_FP_LEN; i++) {
		core_hex_encode(hex, &fp[i], 1);
		out[3 * i] = g_ascii_toupper(hex[0]);
		out[3 * i + 1] = g_ascii_toupper(hex[1]);
		out[3 * i + 2] = i + 1 < CORE_TLS_FP_LEN ? ':' : '\0';
	}
	return out;
}

int core_tls_fingerprint_parse(const char *s, uint8_t fp[CORE_TLS_FP_LEN])
{
	if (g_ascii_strncasecmp(s, "sha-256 ", 8) == 0)
		s += 8;
	if (strlen(s) != CORE_TLS_FP_STRLEN - 1)
		goto bad;
	for (size_t i = 0; i < CORE_TLS_FP_LEN; i++) {
		if (i + 1 < CORE_TLS_FP_LEN && s[3 * i + 2] != ':')
			goto bad;
		if (core_hex_decode(&fp[i], 1, s + 3 * i, 2) != CORE_OK)
			goto bad;
	}
	return CORE_OK;
bad:
	memset(fp, 0, CORE_TLS_FP_LEN);
	return CORE_ERR_BAD_FORMAT;
}

bool core_tls_fingerprint_equal(const uint8_t a[CORE_TLS_FP_LEN], const uint8_t b[CORE_TLS_FP_LEN])
{
	return core_ct_equal(a, b, CORE_TLS_FP_LEN);
}

int core_tls_peer_fingerprint(gnutls_session_t session, uint8_t fp[CORE_TLS_FP_LEN])
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);

	if (certs == NULL || n == 0)
		return CORE_ERR_TLS;
	return core_tls_fingerprint_der(&certs[0], fp);
}

int core_tls_gcert_fingerprint(GTlsCertificate *cert, uint8_t fp[CORE_TLS_FP_LEN])
{
	GByteArray *der = NULL;
	gnutls_datum_t d;
	int rc;

	g_object_get(cert, "certificate", &der, NULL);
	if (der == NULL)
		return CORE_ERR_TLS;
	d.data = der->data;
	d.size = der->len;
	rc = core_tls_fingerprint_der(&d, fp);
	g_byte_array_unref(der);
	return rc;
}
