/*
 * Integration tests for rift/ice/turntls: the opener against a TLS server
 * in this process (GTlsServerConnection on 127.0.0.1) whose certificate is
 * made here for "turn.rift.test" and is its own CA, given to the opener as
 * the trust database in place of the system's:
 *  - the right name: open, ALPN "stun.turn" agreed, bytes echoed;
 *  - another name: refused as not valid for it (the reason says so);
 *  - a pin wins: the right pin opens without a name or a trusted CA; a
 *    wrong pin refuses even a certificate the CA and the name vouch for;
 *  - configurations that cannot be verified or reached are refused.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../loop.h"
#include "../sock.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/ice/turntls.h"

#define NAME "turn.rift.test"

/* A self-signed CA certificate for NAME (subject and DNS SAN) with its key, as PEM. */
static void make_cert(char **cert_pem, char **key_pem)
{
	static const unsigned char serial[] = { 0x42, 1, 2, 3, 4, 5, 6, 7 };
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t out;
	time_t now = time(NULL);

	g_assert_cmpint(gnutls_x509_privkey_init(&key), ==, 0);
	g_assert_cmpint(
		gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
		==, 0);
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_version(crt, 3), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_activation_time(crt, now - 60), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_expiration_time(crt, now + 3600), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_key(crt, key), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, NAME,
						      strlen(NAME)),
			==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, NAME,
							     strlen(NAME), GNUTLS_FSAN_SET),
			==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_basic_constraints(crt, 1, -1), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
								   GNUTLS_KEY_KEY_CERT_SIGN),
			==, 0);
	g_assert_cmpint(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out), ==, 0);
	*cert_pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	g_assert_cmpint(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
							  GNUTLS_PKCS_PLAIN, &out),
			==, 0);
	*key_pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

/* The TLS server: accepts one connection at a time, echoes what it reads once. */
struct server {
	GSocketListener *listener;
	GCancellable *cancel; /* the accept, handshakes and reads: nothing outlives server_stop */
	guint16 port;
	GTlsCertificate *cert;
	GTlsDatabase *database; /* the certificate as the only CA */
	char *ca_path;		/* its file, read when verifying */
	uint8_t fp[CORE_TLS_FP_LEN];
	GIOStream *tls;
	uint8_t buf[64];
};

static void on_server_read(GObject *in, GAsyncResult *res, gpointer data)
{
	struct server *s = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(in), res, NULL);

	if (n > 0)
		g_output_stream_write_all(g_io_stream_get_output_stream(s->tls), s->buf, (gsize)n,
					  NULL, NULL, NULL);
}

static void on_server_handshake(GObject *tls, GAsyncResult *res, gpointer data)
{
	struct server *s = data;

	if (g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), res, NULL))
		g_input_stream_read_async(g_io_stream_get_input_stream(s->tls), s->buf,
					  sizeof(s->buf), G_PRIORITY_DEFAULT, s->cancel,
					  on_server_read, s);
}

static void on_server_accept(GObject *listener, GAsyncResult *res, gpointer data)
{
	static const char *const alpn[] = { "stun.turn", NULL };
	struct server *s = data;
	GSocketConnection *c =
		g_socket_listener_accept_finish(G_SOCKET_LISTENER(listener), res, NULL, NULL);

	if (c == NULL)
		return; /* the test is over */
	g_clear_object(&s->tls);
	s->tls = g_tls_server_connection_new(G_IO_STREAM(c), s->cert, NULL);
	g_object_unref(c);
	g_assert_nonnull(s->tls);
	g_tls_connection_set_advertised_protocols(G_TLS_CONNECTION(s->tls), alpn);
	g_tls_connection_handshake_async(G_TLS_CONNECTION(s->tls), G_PRIORITY_DEFAULT, s->cancel,
					 on_server_handshake, s);
	g_socket_listener_accept_async(s->listener, s->cancel, on_server_accept, s);
}

static void server_start(struct server *s)
{
	char *cert_pem, *key_pem, *both;
	GSocket *l = itest_listen_tcp(&s->port);
	GError *e = NULL;
	int fd;

	make_cert(&cert_pem, &key_pem);
	both = g_strconcat(cert_pem, key_pem, NULL);
	s->cert = g_tls_certificate_new_from_pem(both, -1, &e);
	g_assert_no_error(e);
	g_assert_cmpint(core_tls_gcert_fingerprint(s->cert, s->fp), ==, CORE_OK);
	fd = g_file_open_tmp("rift-turn-tls-ca-XXXXXX", &s->ca_path, &e);
	g_assert_no_error(e);
	close(fd);
	g_assert_true(g_file_set_contents(s->ca_path, cert_pem, -1, NULL));
	s->database = g_tls_file_database_new(s->ca_path, &e);
	g_assert_no_error(e);
	s->listener = g_socket_listener_new();
	g_socket_set_blocking(l, TRUE);
	g_assert_true(g_socket_listener_add_socket(s->listener, l, NULL, &e));
	g_assert_no_error(e);
	g_object_unref(l);
	s->cancel = g_cancellable_new();
	g_socket_listener_accept_async(s->listener, s->cancel, on_server_accept, s);
	g_free(both);
	g_free(cert_pem);
	g_free(key_pem);
}

static void server_stop(struct server *s)
{
	/* a handshake still pending (a client that gave up) would call back into s, which
	 * is the caller's stack, during a later test: it crashed 1 run in 7 with
	 * MALLOC_PERTURB_ set */
	g_cancellable_cancel(s->cancel);
	/* the cancelled accept, handshake and read come back (and are ignored) */
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(NULL, FALSE);
	g_socket_listener_close(s->listener);
	g_object_unref(s->listener);
	g_object_unref(s->cancel);
	g_clear_object(&s->tls);
	g_object_unref(s->cert);
	g_object_unref(s->database);
	g_unlink(s->ca_path);
	g_free(s->ca_path);
}

struct result {
	bool done;
	GIOStream *stream;
	GError *error;
	uint8_t buf[64];
	gssize got;
};

static void on_opened(GObject *source, GAsyncResult *res, gpointer data)
{
	struct rg_turn_bridge_opener *op = ((void **)data)[0];
	struct result *r = ((void **)data)[1];

	r->stream = op->open_finish(op->ctx, res, &r->error);
	r->done = true;
}

/* Open with the opener for s; *r holds the stream or the error. */
static void open_with(const struct rg_turn_tls_server *s, struct result *r)
{
	struct rg_turn_bridge_opener op;
	void *both[2] = { &op, r };
	GError *e = NULL;

	g_assert_cmpint(rg_turn_tls_opener(&op, s, &e), ==, CORE_OK);
	g_assert_no_error(e);
	op.open_async(op.ctx, NULL, on_opened, both);
	ITEST_RUN_UNTIL(r->done, 10);
	op.ctx_free(op.ctx);
}

static void on_client_read(GObject *in, GAsyncResult *res, gpointer data)
{
	struct result *r = data;

	r->got = g_input_stream_read_finish(G_INPUT_STREAM(in), res, NULL);
}

/* The stream is open, TLS with ALPN "stun.turn", and bytes come back from the server. */
static void assert_echo(struct result *r)
{
	static const char ping[] = "a STUN message, say";

	g_assert_no_error(r->error);
	g_assert_true(G_IS_TLS_CONNECTION(r->stream));
	g_assert_cmpstr(g_tls_connection_get_negotiated_protocol(G_TLS_CONNECTION(r->stream)), ==,
			"stun.turn");
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(r->stream), ping,
						sizeof(ping), NULL, NULL, NULL));
	r->got = -2;
	g_input_stream_read_async(g_io_stream_get_input_stream(r->stream), r->buf, sizeof(r->buf),
				  G_PRIORITY_DEFAULT, NULL, on_client_read, r);
	ITEST_RUN_UNTIL(r->got != -2, 10);
	g_assert_cmpmem(r->buf, r->got, ping, sizeof(ping));
	g_clear_object(&r->stream);
}

static void assert_refused(struct result *r, const char *why)
{
	g_assert_null(r->stream);
	g_assert_error(r->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_test_message("refused: %s", r->error->message);
	g_assert_cmpstr(r->error->message, ==, why);
	g_clear_error(&r->error);
}

static void test_verify(void)
{
	struct server srv = { 0 };
	struct rg_turn_tls_server s = { "127.0.0.1", 0, NAME, NULL, NULL };
	struct result r = { 0 };
	uint8_t wrong[CORE_TLS_FP_LEN];
	char fp[CORE_TLS_FP_STRLEN], *why;

	server_start(&srv);
	s.port = srv.port;
	s.database = srv.database;
	/* the CA and the name vouch for it */
	open_with(&s, &r);
	assert_echo(&r);
	/* another name */
	memset(&r, 0, sizeof(r));
	s.name = "other.rift.test";
	open_with(&s, &r);
	assert_refused(&r, "TLS certificate refused: not valid for other.rift.test");
	/* the system's CAs know nothing of it */
	memset(&r, 0, sizeof(r));
	s.name = NAME;
	s.database = NULL;
	open_with(&s, &r);
	assert_refused(&r, "TLS certificate refused: not signed by a trusted CA");
	/* pinned: no name, no CA needed */
	memset(&r, 0, sizeof(r));
	s.name = NULL;
	s.pin = srv.fp;
	open_with(&s, &r);
	assert_echo(&r);
	/* a wrong pin refuses even what the CA and the name vouch for */
	memset(&r, 0, sizeof(r));
	memcpy(wrong, srv.fp, sizeof(wrong));
	wrong[31] ^= 0x80;
	s.name = NAME;
	s.pin = wrong;
	s.database = srv.database;
	open_with(&s, &r);
	why = g_strdup_printf("TLS certificate refused: not the pinned one (its SHA-256 is %s)",
			      core_tls_fingerprint_format(srv.fp, fp));
	assert_refused(&r, why);
	g_free(why);
	server_stop(&srv);
}

/* Nobody listening: the reason says the connection failed. */
static void test_unreachable(void)
{
	guint16 port;
	GSocket *l = itest_listen_tcp(&port);
	struct rg_turn_tls_server s = { "127.0.0.1", port, NAME, NULL, NULL };
	struct result r = { 0 };

	g_object_unref(l);
	open_with(&s, &r);
	g_assert_null(r.stream);
	g_assert_nonnull(r.error);
	g_assert_true(g_str_has_prefix(r.error->message, "cannot connect: "));
	g_clear_error(&r.error);
}

static void test_config(void)
{
	static const uint8_t pin[CORE_TLS_FP_LEN] = { 0 };
	static const struct {
		struct rg_turn_tls_server s;
		const char *why;
	} bad[] = {
		{ { "turn.example.com", 5349, NAME, NULL, NULL }, "not a numeric address" },
		{ { NULL, 5349, NAME, NULL, NULL }, "not a numeric address" },
		{ { "127.0.0.1", 0, NAME, NULL, NULL }, "no port" },
		{ { "127.0.0.1", 5349, NULL, NULL, NULL }, "neither a name nor a pin" },
	};
	struct rg_turn_bridge_opener op;
	GError *e = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(rg_turn_tls_opener(&op, &bad[i].s, &e), ==, CORE_ERR_CONFIG);
		g_assert_error(e, CORE_ERROR, CORE_ERR_CONFIG);
		g_assert_nonnull(strstr(e->message, bad[i].why));
		g_assert_null(op.ctx);
		g_clear_error(&e);
	}
	/* a pin alone, an IPv6 address */
	g_assert_cmpint(
		rg_turn_tls_opener(
			&op, &(struct rg_turn_tls_server){ "::1", 5349, NULL, pin, NULL }, &e),
		==, CORE_OK);
	op.ctx_free(op.ctx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/turn-tls/verify", test_verify);
	g_test_add_func("/turn-tls/unreachable", test_unreachable);
	g_test_add_func("/turn-tls/config", test_config);
	return g_test_run();
}
