/*
 * Integration tests for the signaling server: a real libsoup server on
 * loopback and real WebSocket clients (libsoup's), exact frames asserted.
 */
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../loop.h"
#include "../spawn.h"
#include "../timescale.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/sig/client.h"
#include "rift/sig/server.h"

#define KEY_A	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B	"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define LIMIT_S 20

static const struct rg_sig_device devices[] = {
	{ "alpha", "home", "alpha-token-0123456789" },
	{ "bravo", "home", "bravo-token-0123456789" },
	{ "charlie", "home", "charlie-token-0123456789" },
	{ "delta", "home", "delta-token-0123456789" },
	{ "other", "work", "other-token-0123456789" },
};

/* A client: every text frame it received, and how it ended. */
struct wsc {
	SoupSession *session;
	SoupMessage *msg;
	SoupWebsocketConnection *ws;
	GPtrArray *frames;
	bool done, closed;
	unsigned status, close_code;
	char *close_reason;
	const char *pin; /* accept a TLS certificate with this fingerprint */
};

static gboolean on_limit(gpointer p)
{
	g_error("test did not finish within %d s", LIMIT_S);
	return G_SOURCE_REMOVE;
}

static void run_until(bool *flag)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	while (!*flag)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
}

static void wsc_message(SoupWebsocketConnection *ws, gint type, GBytes *b, gpointer p)
{
	struct wsc *c = p;
	gsize n;
	const char *d = g_bytes_get_data(b, &n);

	g_ptr_array_add(c->frames, g_strndup(d, n));
}

static void wsc_closed(SoupWebsocketConnection *ws, gpointer p)
{
	struct wsc *c = p;

	c->close_code = soup_websocket_connection_get_close_code(ws);
	c->close_reason = g_strdup(soup_websocket_connection_get_close_data(ws));
	c->closed = true;
}

static void wsc_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct wsc *c = p;

	c->ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, NULL);
	c->status = soup_message_get_status(c->msg);
	if (c->ws != NULL) {
		g_signal_connect(c->ws, "message", G_CALLBACK(wsc_message), c);
		g_signal_connect(c->ws, "closed", G_CALLBACK(wsc_closed), c);
	}
	c->done = true;
}

static gboolean wsc_accept_cert(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errs,
				gpointer p)
{
	struct wsc *c = p;
	uint8_t fp[CORE_TLS_FP_LEN];
	char text[CORE_TLS_FP_LEN * 3];

	core_tls_gcert_fingerprint(cert, fp);
	return c->pin != NULL && strcmp(core_tls_fingerprint_format(fp, text), c->pin) == 0;
}

/* Connect to url with a token (NULL: none); returns with c->ws set, or c->status. */
static void wsc_connect(struct wsc *c, const char *url, const char *token)
{
	char *u = g_strconcat(url, "/connect", NULL), *auth;

	c->session = soup_session_new();
	c->frames = g_ptr_array_new_with_free_func(g_free);
	c->msg = soup_message_new("GET", u);
	if (token != NULL) {
		auth = g_strconcat("Bearer ", token, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(c->msg),
					     "Authorization", auth);
		g_free(auth);
	}
	g_signal_connect(c->msg, "accept-certificate", G_CALLBACK(wsc_accept_cert), c);
	soup_session_websocket_connect_async(c->session, c->msg, NULL, NULL, G_PRIORITY_DEFAULT,
					     NULL, wsc_connected, c);
	run_until(&c->done);
	g_free(u);
}

static void wsc_send(struct wsc *c, const char *text)
{
	soup_websocket_connection_send_text(c->ws, text);
}

/* Wait for the n-th frame (0-based) and return it. */
static const char *wsc_frame(struct wsc *c, guint n)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	while (c->frames->len <= n && !c->closed)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	if (c->frames->len <= n)
		g_error("closed (%u %s) before frame %u", c->close_code, c->close_reason, n);
	return c->frames->pdata[n];
}

static void wsc_join(struct wsc *c, const char *url, const char *token, const char *name,
		     const char *key)
{
	char *j = g_strdup_printf("{\"type\":\"join\",\"peerId\":\"%s\",\"publicKey\":\"%s\"}",
				  name, key);

	wsc_connect(c, url, token);
	g_assert_nonnull(c->ws);
	wsc_send(c, j);
	g_free(j);
}

static void wsc_free(struct wsc *c)
{
	if (c->ws != NULL &&
	    soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
		soup_websocket_connection_close(c->ws, 1000, NULL);
		run_until(&c->closed);
	}
	g_clear_object(&c->ws);
	g_clear_object(&c->msg);
	g_clear_object(&c->session);
	if (c->frames != NULL)
		g_ptr_array_free(c->frames, TRUE);
	g_free(c->close_reason);
	memset(c, 0, sizeof(*c));
}

static struct rg_sig_server *server_start_ping(bool tls, struct rg_hub_limits *lim, unsigned ping_s)
{
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1",
					    .self_signed = tls,
					    .devices = devices,
					    .n_devices = G_N_ELEMENTS(devices),
					    .ping_interval_s = ping_s };
	GError *e = NULL;
	struct rg_sig_server *s;

	if (lim != NULL)
		cfg.limits = *lim;
	s = rg_sig_server_new(&cfg, &e);
	g_assert_no_error(e);
	return s;
}

static struct rg_sig_server *server_start(bool tls, struct rg_hub_limits *lim)
{
	return server_start_ping(tls, lim, 0);
}

/* Let the server see every close before it is freed. */
static void server_stop(struct rg_sig_server *s)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	while (rg_sig_server_connections(s) > 0)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	rg_sig_server_free(s);
}

static void test_join_offer_leave(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	const char *url = rg_sig_server_url(s);
	struct wsc a = { 0 }, b = { 0 };
	const char *offer =
		"{\"type\":\"offer\",\"from\":\"alpha\",\"to\":\"bravo\",\"sdp\":\"v=0\\r\\n\","
		"\"publicKey\":\"" KEY_A "\"}";

	wsc_join(&b, url, devices[1].token, "bravo", KEY_B);
	g_assert_cmpstr(wsc_frame(&b, 0), ==, "{\"type\":\"peers\",\"peers\":[]}");
	wsc_join(&a, url, devices[0].token, "alpha", KEY_A);
	g_assert_cmpstr(
		wsc_frame(&a, 0), ==,
		"{\"type\":\"peers\",\"peers\":[{\"peerId\":\"bravo\",\"publicKey\":\"" KEY_B
		"\"}]}");
	g_assert_cmpstr(
		wsc_frame(&b, 1), ==,
		"{\"type\":\"peers\",\"peers\":[{\"peerId\":\"alpha\",\"publicKey\":\"" KEY_A
		"\"}]}");
	wsc_send(&a, offer);
	g_assert_cmpstr(wsc_frame(&b, 2), ==, offer);
	wsc_free(&b);
	g_assert_cmpstr(wsc_frame(&a, 1), ==, "{\"type\":\"peer-left\",\"peerId\":\"bravo\"}");
	wsc_free(&a);
	server_stop(s);
}

/* An authenticator that accepts "fake-device-token" and revokes it right after. */
static bool fake_live;

static int fake_bearer(void *data, const char *token, const char *source,
		       struct rg_sig_identity *id)
{
	if (strcmp(token, "fake-device-token") != 0)
		return CORE_ERR_AUTH;
	id->network = g_strdup("home");
	id->name = g_strdup("echo");
	id->subject = g_strdup("dev-echo");
	fake_live = false; /* a revocation lands between the check and the upgrade */
	return CORE_OK;
}

static bool fake_is_live(void *data, const struct rg_sig_identity *id)
{
	return fake_live;
}

/*
 * Credentials revoked between the early check and the upgrade: the
 * connection is closed with 4001 before it joins (the revocation's recheck
 * could not see it yet); the network never hears of it.
 */
static void test_revoked_during_upgrade(void)
{
	struct rg_sig_auth auth = { .bearer = fake_bearer, .live = fake_is_live };
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1",
					    .auth = &auth,
					    .devices = devices,
					    .n_devices = G_N_ELEMENTS(devices) };
	struct wsc b = { 0 }, e = { 0 };
	struct rg_sig_server *s;
	GError *err = NULL;

	s = rg_sig_server_new(&cfg, &err);
	g_assert_no_error(err);
	wsc_join(&b, rg_sig_server_url(s), devices[1].token, "bravo", KEY_B);
	g_assert_cmpstr(wsc_frame(&b, 0), ==, "{\"type\":\"peers\",\"peers\":[]}");
	fake_live = true;
	wsc_join(&e, rg_sig_server_url(s), "fake-device-token", "echo", KEY_A);
	run_until(&e.closed);
	g_assert_cmpuint(e.close_code, ==, 4001);
	g_assert_cmpstr(e.close_reason, ==, "credentials revoked");
	g_assert_cmpuint(e.frames->len, ==, 0);
	/* bravo heard nothing of echo: its next frame is a peer's that did join */
	{
		struct wsc a = { 0 };

		wsc_join(&a, rg_sig_server_url(s), devices[0].token, "alpha", KEY_A);
		g_assert_true(g_str_has_prefix(wsc_frame(&b, 1), "{\"type\":\"peers\""));
		g_assert_null(strstr(wsc_frame(&b, 1), "echo"));
		wsc_free(&a);
	}
	wsc_free(&e);
	wsc_free(&b);
	server_stop(s);
}

/* Three peers: each learns the others; answer and candidate reach only their `to`. */
static void test_three_peers(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	const char *url = rg_sig_server_url(s);
	struct wsc a = { 0 }, b = { 0 }, c = { 0 };
	const char *answer = "{\"type\":\"answer\",\"from\":\"charlie\",\"to\":\"alpha\","
			     "\"sdp\":\"v=0\"}";
	const char *cand = "{\"type\":\"ice-candidate\",\"from\":\"alpha\",\"to\":\"charlie\","
			   "\"candidate\":\"candidate:2 1 udp 9 192.0.2.1 40000 typ srflx\"}";

	wsc_join(&a, url, devices[0].token, "alpha", KEY_A);
	wsc_frame(&a, 0);
	wsc_join(&b, url, devices[1].token, "bravo", KEY_B);
	wsc_frame(&b, 0);
	wsc_frame(&a, 1);
	wsc_join(&c, url, devices[2].token, "charlie", KEY_A);
	g_assert_cmpstr(
		wsc_frame(&c, 0), ==,
		"{\"type\":\"peers\",\"peers\":[{\"peerId\":\"alpha\",\"publicKey\":\"" KEY_A
		"\"},{\"peerId\":\"bravo\",\"publicKey\":\"" KEY_B "\"}]}");
	g_assert_cmpstr(
		wsc_frame(&a, 2), ==,
		"{\"type\":\"peers\",\"peers\":[{\"peerId\":\"charlie\",\"publicKey\":\"" KEY_A
		"\"}]}");
	g_assert_cmpstr(wsc_frame(&b, 1), ==, a.frames->pdata[2]);
	wsc_send(&c, answer);
	g_assert_cmpstr(wsc_frame(&a, 3), ==, answer);
	wsc_send(&a, cand);
	g_assert_cmpstr(wsc_frame(&c, 1), ==, cand);
	wsc_free(&c);
	g_assert_cmpstr(wsc_frame(&a, 4), ==, "{\"type\":\"peer-left\",\"peerId\":\"charlie\"}");
	g_assert_cmpstr(wsc_frame(&b, 2), ==, "{\"type\":\"peer-left\",\"peerId\":\"charlie\"}");
	g_assert_cmpuint(b.frames->len, ==, 3); /* nothing meant for others reached bravo */
	wsc_free(&a);
	wsc_free(&b);
	server_stop(s);
}

/* A plain GET /connect (no upgrade): its status, WWW-Authenticate and body. */
struct plain {
	unsigned status;
	char *www_auth, *body;
	bool done;
};

static void plain_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct plain *r = p;
	SoupMessage *m = soup_session_get_async_result_message(SOUP_SESSION(src), res);
	GBytes *b = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);

	r->status = soup_message_get_status(m);
	r->www_auth = g_strdup(soup_message_headers_get_one(soup_message_get_response_headers(m),
							    "WWW-Authenticate"));
	r->body = b != NULL ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : NULL;
	if (b != NULL)
		g_bytes_unref(b);
	r->done = true;
}

static void plain_get(struct plain *r, const char *url, const char *token)
{
	char *u = g_strconcat(url, "/connect", NULL);
	SoupSession *ss = soup_session_new();
	SoupMessage *m = soup_message_new("GET", u);

	if (token != NULL) {
		char *a = g_strconcat("Bearer ", token, NULL);

		soup_message_headers_replace(soup_message_get_request_headers(m), "Authorization",
					     a);
		g_free(a);
	}
	soup_session_send_and_read_async(ss, m, G_PRIORITY_DEFAULT, NULL, plain_done, r);
	run_until(&r->done);
	g_object_unref(m);
	g_object_unref(ss);
	g_free(u);
}

static const struct {
	const char *token, *body;
} refusals[] = {
	{ NULL, "{\"error\":\"missing authorization\"}" },
	{ "alpha-token-0123456788", "{\"error\":\"invalid or expired token\"}" },
};

static void test_tokens(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	struct wsc c = { 0 };

	wsc_connect(&c, rg_sig_server_url(s), NULL);
	g_assert_null(c.ws);
	g_assert_cmpuint(c.status, ==, 401);
	wsc_free(&c);
	wsc_connect(&c, rg_sig_server_url(s), "alpha-token-0123456788");
	g_assert_cmpuint(c.status, ==, 401);
	wsc_free(&c);
	/* the refusals carry a JSON error, as /auth's do */
	for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++) {
		struct plain r = { 0 };

		plain_get(&r, rg_sig_server_url(s), refusals[i].token);
		g_assert_cmpuint(r.status, ==, 401);
		g_assert_cmpstr(r.www_auth, ==, "Bearer");
		g_assert_cmpstr(r.body, ==, refusals[i].body);
		g_free(r.body);
		g_free(r.www_auth);
	}
	/* alpha's token cannot act as bravo */
	wsc_join(&c, rg_sig_server_url(s), devices[0].token, "bravo", KEY_B);
	run_until(&c.closed);
	g_assert_cmpuint(c.close_code, ==, 1008);
	g_assert_cmpstr(c.close_reason, ==,
			"join: peerId \"bravo\" is not the name your token grants (\"alpha\")");
	wsc_free(&c);
	server_stop(s);
}

/*
 * Every invalid vector closes its sender with the code the protocol gives
 * (1009 for the frame over 64 KiB, 1007 for the rest) and a reason that
 * holds the text invalid.tsv names for it; every vector has a line there. A
 * joined pair carries on.
 */
static void test_invalid_vectors(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	const char *url = rg_sig_server_url(s);
	char *dir = g_test_build_filename(G_TEST_DIST, "data", "sig", "invalid", NULL);
	char *tsv = g_test_build_filename(G_TEST_DIST, "data", "sig", "invalid.tsv", NULL);
	GHashTable *reasons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	struct wsc a = { 0 }, b = { 0 };
	char *manifest, **lines;
	const char *name;
	unsigned n = 0;

	g_assert_nonnull(d);
	g_assert_true(g_file_get_contents(tsv, &manifest, NULL, NULL));
	lines = g_strsplit(manifest, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **f = g_strsplit(*l, "\t", 2);

		if ((*l)[0] != '#' && (*l)[0] != '\0') {
			g_assert_nonnull(f[1]);
			g_hash_table_insert(reasons, g_strconcat(f[0], ".json", NULL),
					    g_strdup(f[1]));
		}
		g_strfreev(f);
	}
	wsc_join(&a, url, devices[0].token, "alpha", KEY_A);
	wsc_join(&b, url, devices[1].token, "bravo", KEY_B);
	wsc_frame(&a, 1);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL), *text;
		const char *reason = g_hash_table_lookup(reasons, name);
		unsigned code = strcmp(name, "too-large.json") == 0 ? 1009 : 1007;
		gsize len;
		struct wsc c = { 0 };
		GBytes *bytes;

		if (reason == NULL)
			g_error("%s: no line in invalid.tsv", name);
		g_assert_true(g_file_get_contents(path, &text, &len, NULL));
		wsc_connect(&c, url, devices[2].token);
		bytes = g_bytes_new_take(text, len);
		soup_websocket_connection_send_message(c.ws, SOUP_WEBSOCKET_DATA_TEXT, bytes);
		g_bytes_unref(bytes);
		run_until(&c.closed);
		if (c.close_code != code || c.close_reason == NULL ||
		    strstr(c.close_reason, reason) == NULL)
			g_error("%s: closed with %u \"%s\", not %u with \"%s\"", name, c.close_code,
				c.close_reason, code, reason);
		wsc_free(&c);
		g_free(path);
		n++;
	}
	g_assert_cmpuint(n, ==, g_hash_table_size(reasons));
	g_assert_cmpuint(n, >=, 30);
	wsc_send(&a, "{\"type\":\"ice-candidate\",\"from\":\"alpha\",\"to\":\"bravo\","
		     "\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\"}");
	g_assert_true(g_str_has_prefix(wsc_frame(&b, 1), "{\"type\":\"ice-candidate\""));
	g_strfreev(lines);
	g_free(manifest);
	g_free(tsv);
	g_hash_table_unref(reasons);
	g_dir_close(d);
	g_free(dir);
	wsc_free(&a);
	wsc_free(&b);
	server_stop(s);
}

/* GET url's /status: the status code, the body (g_free) and its content type (g_free). */
struct get_ctx {
	bool done;
	GBytes *body;
};

static void got_status(GObject *src, GAsyncResult *res, gpointer p)
{
	struct get_ctx *g = p;

	g->body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);
	g->done = true;
}

static char *get_status(const char *url, unsigned *code, char **type)
{
	char *u = g_strconcat(url, "/status", NULL), *body;
	SoupSession *session = soup_session_new();
	SoupMessage *msg = soup_message_new("GET", u);
	struct get_ctx g = { 0 };
	gsize n;
	const char *d;

	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL, got_status, &g);
	run_until(&g.done);
	g_assert_nonnull(g.body);
	d = g_bytes_get_data(g.body, &n);
	body = g_strndup(d, n);
	*code = soup_message_get_status(msg);
	*type = g_strdup(soup_message_headers_get_content_type(
		soup_message_get_response_headers(msg), NULL));
	g_bytes_unref(g.body);
	g_object_unref(msg);
	g_object_unref(session);
	g_free(u);
	return body;
}

/* Run the loop until the server counts n WebSockets. */
static void wait_connections(struct rg_sig_server *s, unsigned n)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	while (rg_sig_server_connections(s) != n)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
}

/* GET /status: {"connections":N,"version":V}, no token needed, N the live WebSockets. */
static void test_status(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	const char *url = rg_sig_server_url(s);
	struct wsc a = { 0 }, b = { 0 };
	char *want[3], *body, *type;
	unsigned code;

	for (int i = 0; i < 3; i++)
		want[i] = g_strdup_printf("{\"connections\":%d,\"version\":\"%s\"}", i,
					  g_getenv("RG_PROJECT_VERSION"));
	body = get_status(url, &code, &type);
	g_assert_cmpuint(code, ==, 200);
	g_assert_cmpstr(type, ==, "application/json");
	g_assert_cmpstr(body, ==, want[0]);
	g_free(body);
	g_free(type);
	wsc_join(&a, url, devices[0].token, "alpha", KEY_A);
	wsc_join(&b, url, devices[1].token, "bravo", KEY_B);
	wait_connections(s, 2);
	body = get_status(url, &code, &type);
	g_assert_cmpstr(body, ==, want[2]);
	g_free(body);
	g_free(type);
	wsc_free(&b);
	wait_connections(s, 1);
	body = get_status(url, &code, &type);
	g_assert_cmpstr(body, ==, want[1]);
	g_free(body);
	g_free(type);
	wsc_free(&a);
	for (int i = 0; i < 3; i++)
		g_free(want[i]);
	server_stop(s);
}

/* A WebSocket spoken by hand: the server runs on this thread, so reads never block. */
static GSocket *raw_ws_connect(uint16_t port, const char *token)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, port);
	GSocket *sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
				     G_SOCKET_PROTOCOL_TCP, NULL);
	char *req = g_strdup_printf("GET /connect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				    "Sec-WebSocket-Version: 13\r\n"
				    "Authorization: Bearer %s\r\n\r\n",
				    token);

	g_assert_nonnull(sock);
	g_assert_true(g_socket_connect(sock, sa, NULL, NULL));
	g_assert_cmpint(g_socket_send(sock, req, strlen(req), NULL, NULL), ==, (gssize)strlen(req));
	g_socket_set_blocking(sock, FALSE);
	g_free(req);
	g_object_unref(sa);
	g_object_unref(lo);
	return sock;
}

/* Turn the loop and read what came, until buf holds at least n bytes (or 10 s pass). */
static void raw_read(GSocket *sock, GByteArray *buf, gsize n)
{
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char chunk[512];

	while (buf->len < n && g_get_monotonic_time() < until) {
		gssize r = g_socket_receive(sock, chunk, sizeof(chunk), NULL, NULL);

		if (r > 0)
			g_byte_array_append(buf, (const guint8 *)chunk, (guint)r);
		else if (r == 0)
			break;
		else if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
	g_assert_cmpuint(buf->len, >=, n);
}

/* The next whole frame's opcode (the header and payload taken from buf); the time it came. */
static unsigned raw_frame(GSocket *sock, GByteArray *buf, gint64 *when)
{
	unsigned op, len;

	raw_read(sock, buf, 2);
	*when = g_get_monotonic_time();
	op = buf->data[0] & 0x0f;
	len = buf->data[1] & 0x7f;
	g_assert_cmpuint(buf->data[1] & 0x80, ==, 0); /* a server never masks */
	g_assert_cmpuint(len, <, 126);		      /* a control frame is short */
	raw_read(sock, buf, 2 + len);
	g_byte_array_remove_range(buf, 0, 2 + len);
	return op;
}

/*
 * An idle WebSocket is pinged every ping_interval_s (1 s here; 20 by
 * default), from the first interval on, as NATs need: read on the wire, as
 * libsoup's client answers pings without telling.
 */
static void test_pings(void)
{
	struct rg_sig_server *s = server_start_ping(false, NULL, 1);
	/* before the request: the server's interval starts after it, never before */
	gint64 t0 = g_get_monotonic_time(), t1, t2;
	GSocket *sock = raw_ws_connect(rg_sig_server_port(s), devices[0].token);
	GByteArray *buf = g_byte_array_new();
	char *head;

	raw_read(sock, buf, 4);
	while (g_strstr_len((const char *)buf->data, buf->len, "\r\n\r\n") == NULL)
		raw_read(sock, buf, buf->len + 1);
	head = g_strndup((const char *)buf->data, buf->len);
	g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101 "));
	g_byte_array_remove_range(buf, 0, (guint)(strstr(head, "\r\n\r\n") + 4 - head));
	g_assert_cmpuint(raw_frame(sock, buf, &t1), ==, 0x9); /* ping */
	g_assert_cmpuint(raw_frame(sock, buf, &t2), ==, 0x9);
	/*
	 * Counted from before the request. libsoup's keepalive is a GLib seconds
	 * timer, which rounds each expiry to a whole second (plus a per-process
	 * offset): it may fire up to 250 ms early, every time (788 ms was seen
	 * for the first one). Never earlier than that.
	 */
	g_assert_cmpint(t1 - t0, >=, 700 * 1000);
	g_assert_cmpint(t2 - t0, >=, 1400 * 1000);
	g_assert_cmpint(t2 - t0, <, ITEST_SCALED_US(4 * G_USEC_PER_SEC));
	g_free(head);
	g_byte_array_unref(buf);
	g_socket_close(sock, NULL);
	g_object_unref(sock);
	server_stop(s);
}

/* A flood closes the flooder (1008); a re-join replaces without peer-left. */
static void test_flood_and_rejoin(void)
{
	struct rg_hub_limits lim = { .msgs_per_s = 10, .msgs_burst = 20 };
	struct rg_sig_server *s = server_start(false, &lim);
	const char *url = rg_sig_server_url(s);
	struct wsc a = { 0 }, b = { 0 }, a2 = { 0 };

	wsc_join(&a, url, devices[0].token, "alpha", KEY_A);
	wsc_join(&b, url, devices[1].token, "bravo", KEY_B);
	wsc_frame(&b, 0);
	wsc_frame(&a, 1);
	/* alpha again (its old socket not yet gone): old one closed 4000, bravo re-told */
	wsc_join(&a2, url, devices[0].token, "alpha", KEY_A);
	run_until(&a.closed);
	g_assert_cmpuint(a.close_code, ==, 4000);
	g_assert_true(g_str_has_prefix(wsc_frame(&b, 1), "{\"type\":\"peers\""));
	for (int i = 0; i < 40 && !b.closed; i++)
		wsc_send(&b, "{\"type\":\"ice-candidate\",\"from\":\"bravo\",\"to\":\"alpha\","
			     "\"candidate\":\"candidate:x\"}");
	run_until(&b.closed);
	g_assert_cmpuint(b.close_code, ==, 1008);
	g_assert_true(g_str_has_prefix(b.close_reason, "rate limit"));
	/* alpha (new) hears of bravo's end, nothing of its own replacement */
	for (guint i = 0; strstr(wsc_frame(&a2, i), "peer-left") == NULL; i++)
		;
	g_assert_cmpstr(a2.frames->pdata[a2.frames->len - 1], ==,
			"{\"type\":\"peer-left\",\"peerId\":\"bravo\"}");
	for (guint i = 0; i < a2.frames->len; i++)
		g_assert_null(strstr(a2.frames->pdata[i], "\"peerId\":\"alpha\"}"));
	wsc_free(&a);
	wsc_free(&b);
	wsc_free(&a2);
	server_stop(s);
}

static void on_shut(void *data)
{
	*(bool *)data = true;
}

/* TLS with a generated certificate the client pins; SIGTERM-style shutdown closes 1001. */
static void test_tls_and_shutdown(void)
{
	struct rg_sig_server *s = server_start(true, NULL);
	struct wsc a = { 0 }, bad = { 0 };
	bool shut = false;

	g_assert_true(g_str_has_prefix(rg_sig_server_url(s), "https://127.0.0.1:"));
	g_assert_nonnull(rg_sig_server_fingerprint(s));
	bad.pin = "00:11";
	wsc_connect(&bad, rg_sig_server_url(s), devices[0].token);
	g_assert_null(bad.ws); /* certificate refused */
	wsc_free(&bad);
	a.pin = rg_sig_server_fingerprint(s);
	wsc_join(&a, rg_sig_server_url(s), devices[0].token, "alpha", KEY_A);
	g_assert_cmpstr(wsc_frame(&a, 0), ==, "{\"type\":\"peers\",\"peers\":[]}");
	rg_sig_server_shutdown(s, on_shut, &shut);
	run_until(&a.closed);
	g_assert_cmpuint(a.close_code, ==, 1001);
	g_assert_cmpstr(a.close_reason, ==, "server shutting down");
	run_until(&shut);
	wsc_free(&a);
	rg_sig_server_free(s);
}

/* ------------------------------------------------------------ the client */

struct cl {
	struct rg_sig_client *c;
	GPtrArray *types; /* "peers", "offer", ... in arrival order */
	unsigned connected, retrying, unauthorized;
	bool failed;
	char reason[200];
	char offer_from[64];
};

static void cl_message(struct rg_sig_client *c, const struct rg_sig_msg *m, void *data)
{
	struct cl *x = data;

	g_ptr_array_add(x->types, g_strdup(rg_sig_type_name(m->type)));
	if (m->type == RG_SIG_OFFER)
		g_strlcpy(x->offer_from, m->from, sizeof(x->offer_from));
}

static void cl_state(struct rg_sig_client *c, enum rg_sig_client_state st, const char *reason,
		     void *data)
{
	struct cl *x = data;

	if (st == RG_SIG_CLIENT_CONNECTED)
		x->connected++;
	else if (st == RG_SIG_CLIENT_RETRYING)
		x->retrying++;
	else
		x->failed = true;
	g_strlcpy(x->reason, reason, sizeof(x->reason));
}

static void cl_start(struct cl *x, const char *url, const char *token, const char *name,
		     const char *key, const char *pin)
{
	static const struct rg_sig_client_callbacks cb = { cl_message, cl_state, NULL };
	struct rg_sig_peer self = { .peer_id = (char *)name, .public_key = (char *)key };
	struct rg_sig_client_config cfg = { .url = url,
					    .token = token,
					    .pin = pin,
					    .self = &self,
					    .backoff_initial_ms = 100,
					    .backoff_max_ms = 400 };

	x->types = g_ptr_array_new_with_free_func(g_free);
	x->c = rg_sig_client_new(&cfg, &cb, x);
}

static void cl_stop(struct cl *x)
{
	rg_sig_client_free(x->c);
	g_ptr_array_free(x->types, TRUE);
	memset(x, 0, sizeof(*x));
}

/* Run until x has received n messages of type t. */
static void cl_wait(struct cl *x, const char *t, unsigned n)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	for (;;) {
		unsigned k = 0;

		for (guint i = 0; i < x->types->len; i++)
			k += strcmp(x->types->pdata[i], t) == 0;
		if (k >= n)
			break;
		g_main_context_iteration(NULL, TRUE);
	}
	g_source_remove(guard);
}

static void test_backoff(void)
{
	g_assert_cmpuint(rg_sig_backoff_ms(1, 1000, 30000, 0.5), ==, 1000);
	g_assert_cmpuint(rg_sig_backoff_ms(2, 1000, 30000, 0.5), ==, 2000);
	g_assert_cmpuint(rg_sig_backoff_ms(5, 1000, 30000, 0.5), ==, 16000);
	g_assert_cmpuint(rg_sig_backoff_ms(6, 1000, 30000, 0.5), ==, 30000);
	/* the reference's 2^N overflowed to no delay after suspend: never here */
	g_assert_cmpuint(rg_sig_backoff_ms(100000, 1000, 30000, 0.5), ==, 30000);
	g_assert_cmpuint(rg_sig_backoff_ms(1, 1000, 30000, 0.0), ==, 800);
	g_assert_cmpuint(rg_sig_backoff_ms(1, 1000, 30000, 0.999), ==, 1199);
}

/* Two clients route an offer; the server restarts; both reconnect and re-join. */
static void test_client_restart(void)
{
	struct rg_sig_server *s = server_start(false, NULL);
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1",
					    .port = rg_sig_server_port(s),
					    .devices = devices,
					    .n_devices = G_N_ELEMENTS(devices) };
	char *url = g_strdup(rg_sig_server_url(s));
	struct rg_sig_msg offer = { .type = RG_SIG_OFFER,
				    .from = (char *)"alpha",
				    .to = (char *)"bravo",
				    .sdp = (char *)"v=0\r\n" };
	struct cl a = { 0 }, b = { 0 };
	GError *e = NULL;

	cl_start(&a, url, devices[0].token, "alpha", KEY_A, NULL);
	cl_wait(&a, "peers", 1);
	cl_start(&b, url, devices[1].token, "bravo", KEY_B, NULL);
	cl_wait(&b, "peers", 1);
	cl_wait(&a, "peers", 2); /* told of bravo */
	g_assert_cmpint(rg_sig_client_send(a.c, &offer), ==, 0);
	cl_wait(&b, "offer", 1);
	g_assert_cmpstr(b.offer_from, ==, "alpha");
	/* the server goes away and comes back on the same port */
	rg_sig_server_free(s);
	while (a.retrying == 0 || b.retrying == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(rg_sig_client_send(a.c, &offer), !=, 0); /* not connected */
	s = rg_sig_server_new(&cfg, &e);
	g_assert_no_error(e);
	cl_wait(&a, "peers", 3);
	cl_wait(&b, "peers", 2);
	g_assert_cmpuint(a.connected, ==, 2);
	g_assert_cmpuint(b.connected, ==, 2);
	g_assert_false(a.failed || b.failed);
	cl_stop(&a);
	cl_stop(&b);
	server_stop(s);
	g_free(url);
}

/* Permanent failures end at once: a refused token, a certificate that does not match the pin. */
static void test_client_permanent(void)
{
	struct rg_sig_server *s = server_start(true, NULL);
	struct cl x = { 0 }, y = { 0 };

	cl_start(&x, rg_sig_server_url(s), "not-a-token-at-all", "alpha", KEY_A,
		 rg_sig_server_fingerprint(s));
	run_until(&x.failed);
	g_assert_cmpstr(x.reason, ==, "token refused (HTTP 401)");
	g_assert_cmpuint(x.retrying, ==, 0);
	cl_start(&y, rg_sig_server_url(s), devices[0].token, "alpha", KEY_A,
		 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
		 "AA:BB:CC:DD:EE:FF");
	run_until(&y.failed);
	g_assert_cmpstr(y.reason, ==,
			"the server's certificate does not match the pinned fingerprint");
	cl_stop(&x);
	cl_stop(&y);
	server_stop(s);
}

static void cl_unauthorized(struct rg_sig_client *c, void *data)
{
	struct cl *x = data;

	x->unauthorized++;
}

/*
 * With an unauthorized callback a 401 is not the end: the client reports it,
 * tries nothing by itself, and connects with the token it is given next.
 */
static void test_client_unauthorized(void)
{
	static const struct rg_sig_client_callbacks cb = { cl_message, cl_state, cl_unauthorized };
	struct rg_sig_server *s = server_start(false, NULL);
	struct rg_sig_peer self = { .peer_id = "alpha", .public_key = KEY_A };
	struct rg_sig_client_config cfg = { .url = rg_sig_server_url(s),
					    .token = "expired-token-0123456789",
					    .self = &self,
					    .backoff_initial_ms = 100 };
	struct cl x = { 0 };
	gint64 until;

	x.types = g_ptr_array_new_with_free_func(g_free);
	x.c = rg_sig_client_new(&cfg, &cb, &x);
	ITEST_RUN_UNTIL(x.unauthorized == 1, LIMIT_S);
	/* a second and more: nothing happens by itself (no retry, no failure) */
	until = g_get_monotonic_time() + 500 * 1000;
	while (g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), 0);
	g_assert_cmpuint(x.unauthorized, ==, 1);
	g_assert_cmpuint(x.retrying + x.connected, ==, 0);
	g_assert_false(x.failed);
	rg_sig_client_set_token(x.c, devices[0].token);
	rg_sig_client_reconnect(x.c);
	cl_wait(&x, "peers", 1);
	g_assert_cmpuint(x.connected, ==, 1);
	cl_stop(&x);
	server_stop(s);
}

/* ------------------------------------------------------------ the program */

static char *write_config(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("riftgate-test-XXXXXX.conf", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	close(fd);
	return path;
}

static int run_program(const char *config, char **out, char **err)
{
	char *exe = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "rift", "riftgate", NULL);
	const char *argv[] = { exe, "server", "-c", config, NULL };
	int status = -1;

	g_assert_true(
		g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, out, err, &status, NULL));
	g_free(exe);
	return status;
}

/* riftgate server: the URL on stdout, a client joins, SIGTERM closes it with 1001, exit 0. */
static void test_program(void)
{
	char *exe = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "rift", "riftgate", NULL);
	char *conf =
		write_config("[server]\nport = 0\nself-signed = true\n"
			     "[device.alpha]\nnetwork = home\ntoken = alpha-token-0123456789\n");
	char *bad = write_config("[server]\nport = 0\n[device.a]\nnetwork = n\n"
				 "token = same-token-0123456789\n"
				 "[device.b]\nnetwork = n\ntoken = same-token-0123456789\n");
	char *line, *fp, *out = NULL, *err = NULL;
	GError *e = NULL;
	const char *argv[] = { exe, "server", "-c", conf, NULL };
	GSubprocess *p = itest_spawn(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &e, argv);
	GDataInputStream *in;
	struct wsc a = { 0 };

	g_assert_no_error(e);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	line = g_data_input_stream_read_line(in, NULL, NULL, &e);
	g_assert_true(g_str_has_prefix(line, "listening on https://127.0.0.1:"));
	fp = g_data_input_stream_read_line(in, NULL, NULL, &e);
	g_assert_true(g_str_has_prefix(fp, "certificate sha-256 "));
	a.pin = fp + strlen("certificate sha-256 ");
	wsc_join(&a, line + strlen("listening on "), "alpha-token-0123456789", "alpha", KEY_A);
	g_assert_cmpstr(wsc_frame(&a, 0), ==, "{\"type\":\"peers\",\"peers\":[]}");
	g_subprocess_send_signal(p, SIGTERM);
	run_until(&a.closed);
	g_assert_cmpuint(a.close_code, ==, 1001);
	g_assert_true(g_subprocess_wait(p, NULL, &e));
	g_assert_true(g_subprocess_get_if_exited(p));
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	/* configuration errors name the file and line, exit 1 */
	g_assert_cmpint(run_program(bad, &out, &err), !=, 0);
	g_assert_nonnull(strstr(err, ":8: [device.b] token: the same as [device.a]'s"));
	wsc_free(&a);
	g_object_unref(in);
	g_object_unref(p);
	unlink(conf);
	unlink(bad);
	g_free(line);
	g_free(fp);
	g_free(out);
	g_free(err);
	g_free(conf);
	g_free(bad);
	g_free(exe);
}

/* A certificate without its key (or the reverse) is refused, never served as plain HTTP. */
static void test_cert_without_key(void)
{
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1", .cert_file = "server.pem" };
	GError *e = NULL;

	g_assert_null(rg_sig_server_new(&cfg, &e));
	g_assert_error(e, CORE_ERROR, CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==, "cert is set without key: TLS needs both files");
	g_clear_error(&e);
	cfg.cert_file = NULL;
	cfg.key_file = "server.key";
	cfg.self_signed = true;
	g_assert_null(rg_sig_server_new(&cfg, &e));
	g_assert_error(e, CORE_ERROR, CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==, "key is set without cert: TLS needs both files");
	g_clear_error(&e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sig-server/join-offer-leave", test_join_offer_leave);
	g_test_add_func("/sig-server/three-peers", test_three_peers);
	g_test_add_func("/sig-server/tokens", test_tokens);
	g_test_add_func("/sig-server/status", test_status);
	g_test_add_func("/sig-server/pings", test_pings);
	g_test_add_func("/sig-server/invalid-vectors", test_invalid_vectors);
	g_test_add_func("/sig-server/flood-and-rejoin", test_flood_and_rejoin);
	g_test_add_func("/sig-server/tls-and-shutdown", test_tls_and_shutdown);
	g_test_add_func("/sig-server/revoked-during-upgrade", test_revoked_during_upgrade);
	g_test_add_func("/sig-client/backoff", test_backoff);
	g_test_add_func("/sig-client/restart", test_client_restart);
	g_test_add_func("/sig-client/permanent", test_client_permanent);
	g_test_add_func("/sig-client/unauthorized", test_client_unauthorized);
	g_test_add_func("/sig-server/program", test_program);
	g_test_add_func("/sig-server/cert-without-key", test_cert_without_key);
	return g_test_run();
}
