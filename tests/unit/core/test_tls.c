/* Unit tests for core/tls: certificate fields, fingerprints, a real TLS 1.3 handshake. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/tls.h"

#define DAY_S (24 * 3600)

static void test_certificate_fields(void)
{
	struct core_tls_cert *c = NULL;
	gnutls_x509_crt_t crt;
	uint8_t serial[32];
	size_t serial_len = sizeof(serial), dn_len = 0;
	unsigned bits = 0, ku = 0, critical = 0;
	char oid[128], dn[8];
	size_t oid_len = sizeof(oid);
	gnutls_ecc_curve_t curve;
	time_t now = time(NULL);

	g_assert_cmpint(core_tls_cert_generate(&c, 0), ==, CORE_ERR_INVALID_ARG);
	g_assert_null(c);
	g_assert_cmpint(core_tls_cert_generate(&c, DAY_S), ==, CORE_OK);
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_import(crt, core_tls_cert_der(c), GNUTLS_X509_FMT_DER), ==,
			0);

	g_assert_cmpint(gnutls_x509_crt_get_version(crt), ==, 3);
	g_assert_cmpint(gnutls_x509_crt_get_pk_algorithm(crt, &bits), ==, GNUTLS_PK_ECDSA);
	g_assert_cmpint(gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL), ==, 0);
	g_assert_cmpint(curve, ==, GNUTLS_ECC_CURVE_SECP256R1);
	g_assert_cmpint(gnutls_x509_crt_get_serial(crt, serial, &serial_len), ==, 0);
	g_assert_cmpuint(serial_len, ==, 16);
	g_assert_cmpuint(serial[0] & 0x80, ==, 0);
	g_assert_cmpint(gnutls_x509_crt_get_activation_time(crt), >=, now - 61);
	g_assert_cmpint(gnutls_x509_crt_get_activation_time(crt), <=, now - 59);
	g_assert_cmpint(gnutls_x509_crt_get_expiration_time(crt), >=, now + DAY_S - 1);
	g_assert_cmpint(gnutls_x509_crt_get_expiration_time(crt), <=, now + DAY_S + 1);
	g_assert_cmpint(gnutls_x509_crt_get_key_usage(crt, &ku, &critical), >=, 0);
	g_assert_cmpuint(ku, ==, GNUTLS_KEY_DIGITAL_SIGNATURE);
	g_assert_cmpint(gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &oid_len, NULL), ==, 0);
	g_assert_cmpstr(oid, ==, GNUTLS_KP_TLS_WWW_SERVER);
	/* empty subject: GnuTLS has no DN to return */
	g_assert_cmpint(gnutls_x509_crt_get_dn(crt, dn, &dn_len), ==,
			GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
	g_assert_cmpint(gnutls_x509_crt_get_signature_algorithm(crt), ==, GNUTLS_SIGN_ECDSA_SHA256);
	gnutls_x509_crt_deinit(crt);
	core_tls_cert_free(c);
}

static void test_fingerprints(void)
{
	struct core_tls_cert *c = NULL, *c2 = NULL;
	uint8_t fp[32], want[32], parsed[32], fp2[32];
	size_t want_len = sizeof(want);
	char s[CORE_TLS_FP_STRLEN], *lower, *sdp;
	char *cpem, *kpem;

	g_assert_cmpint(core_tls_cert_generate(&c, 60), ==, CORE_OK);
	g_assert_cmpint(core_tls_cert_generate(&c2, 60), ==, CORE_OK);
	core_tls_cert_fingerprint(c, fp);
	g_assert_cmpint(
		gnutls_fingerprint(GNUTLS_DIG_SHA256, core_tls_cert_der(c), want, &want_len), ==,
		0);
	g_assert_cmpmem(fp, 32, want, want_len);

	core_tls_fingerprint_format(fp, s);
	g_assert_cmpuint(strlen(s), ==, 95);
	g_assert_true(g_regex_match_simple("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", s, 0, 0));
	g_assert_cmpint(core_tls_fingerprint_parse(s, parsed), ==, CORE_OK);
	g_assert_true(core_tls_fingerprint_equal(fp, parsed));
	lower = g_ascii_strdown(s, -1);
	sdp = g_strconcat("SHA-256 ", lower, NULL);
	g_assert_cmpint(core_tls_fingerprint_parse(sdp, parsed), ==, CORE_OK);
	g_assert_true(core_tls_fingerprint_equal(fp, parsed));
	core_tls_cert_fingerprint(c2, fp2);
	g_assert_false(core_tls_fingerprint_equal(fp, fp2));

	/* malformed: short, bad separator, bad hex, trailing junk */
	g_assert_cmpint(core_tls_fingerprint_parse("AB:CD", parsed), ==, CORE_ERR_BAD_FORMAT);
	lower[2] = '-';
	g_assert_cmpint(core_tls_fingerprint_parse(lower, parsed), ==, CORE_ERR_BAD_FORMAT);
	lower[2] = ':';
	lower[0] = 'g';
	g_assert_cmpint(core_tls_fingerprint_parse(lower, parsed), ==, CORE_ERR_BAD_FORMAT);
	g_free(sdp);
	sdp = g_strconcat(s, ":", NULL);
	g_assert_cmpint(core_tls_fingerprint_parse(sdp, parsed), ==, CORE_ERR_BAD_FORMAT);

	g_assert_cmpint(core_tls_cert_pem(c, &cpem, &kpem), ==, CORE_OK);
	g_assert_true(g_str_has_prefix(cpem, "-----BEGIN CERTIFICATE-----"));
	g_assert_true(g_str_has_prefix(kpem, "-----BEGIN PRIVATE KEY-----"));
	g_free(cpem);
	g_free(kpem);
	g_free(lower);
	g_free(sdp);
	core_tls_cert_free(c);
	core_tls_cert_free(c2);
}

/* Run both handshakes over a non-blocking socketpair until both finish. */
static void handshake_pair(gnutls_session_t cli, gnutls_session_t srv)
{
	int rc = GNUTLS_E_AGAIN, rs = GNUTLS_E_AGAIN;

	for (int i = 0; i < 1000 && (rc != 0 || rs != 0); i++) {
		if (rc != 0)
			rc = gnutls_handshake(cli);
		if (rs != 0)
			rs = gnutls_handshake(srv);
		g_assert_true(rc == 0 || rc == GNUTLS_E_AGAIN);
		g_assert_true(rs == 0 || rs == GNUTLS_E_AGAIN);
	}
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpint(rs, ==, 0);
}

static void test_tls13_handshake_pins(void)
{
	struct core_tls_cert *c = NULL;
	gnutls_session_t cli, srv;
	gnutls_certificate_credentials_t ccred;
	int sv[2];
	uint8_t fp[32], peer[32];
	char buf[16];

	g_assert_cmpint(core_tls_cert_generate(&c, DAY_S), ==, CORE_OK);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);

	g_assert_cmpint(gnutls_init(&srv, GNUTLS_SERVER | GNUTLS_NONBLOCK), ==, 0);
	g_assert_cmpint(gnutls_priority_set_direct(srv, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL), ==,
			0);
	g_assert_cmpint(
		gnutls_credentials_set(srv, GNUTLS_CRD_CERTIFICATE, core_tls_cert_credentials(c)),
		==, 0);
	gnutls_transport_set_int(srv, sv[1]);

	g_assert_cmpint(gnutls_certificate_allocate_credentials(&ccred), ==, 0);
	g_assert_cmpint(gnutls_init(&cli, GNUTLS_CLIENT | GNUTLS_NONBLOCK), ==, 0);
	g_assert_cmpint(gnutls_priority_set_direct(cli, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL), ==,
			0);
	g_assert_cmpint(gnutls_credentials_set(cli, GNUTLS_CRD_CERTIFICATE, ccred), ==, 0);
	gnutls_transport_set_int(cli, sv[0]);

	handshake_pair(cli, srv);
	g_assert_cmpint(gnutls_protocol_get_version(cli), ==, GNUTLS_TLS1_3);
	core_tls_cert_fingerprint(c, fp);
	g_assert_cmpint(core_tls_peer_fingerprint(cli, peer), ==, CORE_OK);
	g_assert_true(core_tls_fingerprint_equal(fp, peer));
	g_assert_cmpint(core_tls_peer_fingerprint(srv, peer), ==,
			CORE_ERR_TLS); /* no client cert */

	g_assert_cmpint(gnutls_record_send(cli, "ping", 4), ==, 4);
	g_assert_cmpint(gnutls_record_recv(srv, buf, sizeof(buf)), ==, 4);
	g_assert_cmpmem(buf, 4, "ping", 4);

	gnutls_deinit(cli);
	gnutls_deinit(srv);
	gnutls_certificate_free_credentials(ccred);
	close(sv[0]);
	close(sv[1]);
	core_tls_cert_free(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	gnutls_global_init();
	g_test_add_func("/tls/certificate-fields", test_certificate_fields);
	g_test_add_func("/tls/fingerprints", test_fingerprints);
	g_test_add_func("/tls/tls13-handshake-pins", test_tls13_handshake_pins);
	return g_test_run();
}
