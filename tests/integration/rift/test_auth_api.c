/*
 * Integration tests for the server's accounts over real HTTP: the signaling
 * server with the /auth API on loopback (in this process, its clock
 * injected), real HTTP requests and WebSockets from libsoup clients, and
 * the real `riftgate server` program for restarts and kill -9.
 *
 * Every refusal is checked for its status, its JSON error, exactly one log
 * line, no token in any log line, and nothing changed in the store.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../spawn.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/auth/authmsg.h"
#include "rift/auth/jwt.h"
#include "rift/auth/token.h"
#include "rift/server/api.h"
#include "rift/sig/server.h"
#include "../timescale.h"

#define KEY_A	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define LIMIT_S 20
#define T0	1800000000

static int64_t now_s = T0;
static char *tmpdir;

static int64_t clock_now(void *data)
{
	return now_s;
}

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

/* ------------------------------------------------------------ the log */

static char *log_path;
static int log_fd = -1;
static off_t log_mark;

/* Lines written to the log since the last call. */
static char **log_since(void)
{
	char *all = NULL;
	gsize n = 0;
	char **lines;

	g_assert_true(g_file_get_contents(log_path, &all, &n, NULL));
	lines = g_strsplit(all + log_mark, "\n", -1);
	log_mark = (off_t)n;
	g_free(all);
	/* drop the empty string after the last newline */
	if (lines[0] != NULL && lines[g_strv_length(lines) - 1][0] == '\0') {
		guint k = g_strv_length(lines) - 1;

		g_free(lines[k]);
		lines[k] = NULL;
	}
	return lines;
}

/* Forget the lines written so far. */
static void log_skip(void)
{
	g_strfreev(log_since());
}

/* Exactly one line from the API since the last call, containing want. */
static void expect_one_log(const char *want)
{
	char **lines = log_since();
	guint api = 0;

	for (char **l = lines; *l != NULL; l++) {
		if (strstr(*l, "[api ") == NULL)
			continue;
		api++;
		if (strstr(*l, want) == NULL)
			g_error("log line \"%s\" lacks \"%s\"", *l, want);
	}
	if (api != 1)
		g_error("%u API log lines for \"%s\", expected 1", api, want);
	g_strfreev(lines);
}

/* Exactly one line of any component since the last call, containing want. */
static void expect_one_line(const char *want)
{
	char **lines = log_since();
	guint n = 0;

	for (char **l = lines; *l != NULL; l++)
		n += strstr(*l, want) != NULL;
	if (n != 1)
		g_error("%u log lines with \"%s\", expected 1", n, want);
	g_strfreev(lines);
}

/* ------------------------------------------------------------ the server */

struct srv {
	struct rg_accounts *accounts;
	struct rg_store *store; /* the test's own connection, as `riftgate server invite` has */
	struct rg_api *api;
	struct rg_sig_server *sig;
	char *url;
	char *db;
	char *owner_token;
};

static struct srv srv_start(const char *name, const char *subnet, unsigned guard_burst)
{
	struct srv s = { 0 };
	char *turn[] = { "udp:127.0.0.1:3478", "tcp:127.0.0.1:3478", "tls:127.0.0.1:5349", NULL },
	     *stun[] = { "127.0.0.1:3478", NULL };
	struct rg_accounts_config ac = { .stun = stun,
					 .turn = turn,
					 .turn_secret = "turn-secret-0123456789",
					 /* lower case: written canonical */
					 .turn_fingerprint = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:"
							     "23:45:67:89:ab:cd:ef:01:23:45:67:89:"
							     "ab:cd:ef:01:23:45:67:89",
					 .now = clock_now };
	struct rg_api_config apic = { .guard_burst = guard_burst };
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1" };
	GError *e = NULL;

	now_s = T0;
	s.db = g_build_filename(tmpdir, name, NULL);
	g_assert_cmpint(rg_accounts_init(s.db, "home", subnet, 600, &s.owner_token, &e), ==,
			CORE_OK);
	/* the owner's token is good for 600 s from the wall clock: move it to ours */
	ac.db_path = s.db;
	g_assert_cmpint(rg_accounts_open(&s.accounts, &ac, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpint(rg_store_open(&s.store, s.db, &e), ==, CORE_OK);
	{
		char h[RG_TOKEN_HASH_LEN];

		g_free(s.owner_token);
		s.owner_token = rg_token_new(RG_TOKEN_JOIN_PREFIX, RG_TOKEN_JOIN_BYTES);
		rg_token_hash(s.owner_token, h);
		g_assert_cmpint(rg_store_join_add(s.store, h, now_s, now_s + 600), ==, CORE_OK);
	}
	apic.accounts = s.accounts;
	s.api = rg_api_new(&apic);
	cfg.auth = rg_api_sig_auth(s.api);
	s.sig = rg_sig_server_new(&cfg, &e);
	g_assert_no_error(e);
	rg_api_set_server(s.api, s.sig);
	s.url = g_strdup(rg_sig_server_url(s.sig));
	rg_accounts_set_public_url(s.accounts, s.url);
	log_skip(); /* start counting after the set-up */
	return s;
}

static void srv_stop(struct srv *s)
{
	guint guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);

	while (rg_sig_server_connections(s->sig) > 0)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	rg_sig_server_free(s->sig);
	rg_api_free(s->api);
	rg_accounts_free(s->accounts);
	rg_store_close(s->store);
	g_free(s->url);
	g_free(s->db);
	g_free(s->owner_token);
	memset(s, 0, sizeof(*s));
}

/* A new join token, good for 600 s from now. */
static char *invite(struct srv *s)
{
	char *t = rg_token_new(RG_TOKEN_JOIN_PREFIX, RG_TOKEN_JOIN_BYTES);
	char h[RG_TOKEN_HASH_LEN];

	rg_token_hash(t, h);
	g_assert_cmpint(rg_store_join_add(s->store, h, now_s, now_s + 600), ==, CORE_OK);
	return t;
}

/* ------------------------------------------------------------ HTTP */

struct resp {
	unsigned status;
	char *body;
	char *retry_after;
	bool done;
};

static SoupSession *session;

static void http_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct resp *r = p;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(src), res);
	GBytes *b = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);
	const char *ra;

	r->status = soup_message_get_status(msg);
	ra = soup_message_headers_get_one(soup_message_get_response_headers(msg), "Retry-After");
	r->retry_after = g_strdup(ra);
	r->body = b != NULL ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : NULL;
	if (b != NULL)
		g_bytes_unref(b);
	r->done = true;
}

/* Start a request; body may be NULL; chunked sends it without a Content-Length. */
static SoupMessage *http_start(struct srv *s, const char *method, const char *path,
			       const char *bearer, const char *body, bool chunked, struct resp *r)
{
	char *u = g_strconcat(s->url, path, NULL);
	SoupMessage *m = soup_message_new(method, u);

	g_assert_nonnull(m);
	if (bearer != NULL) {
		char *a = g_strconcat("Bearer ", bearer, NULL);

		soup_message_headers_replace(soup_message_get_request_headers(m), "Authorization",
					     a);
		g_free(a);
	}
	if (body != NULL) {
		GBytes *b = g_bytes_new(body, strlen(body));

		if (chunked) {
			GInputStream *in = g_memory_input_stream_new_from_bytes(b);

			soup_message_set_request_body(m, "application/json", in, -1);
			g_object_unref(in);
		} else {
			soup_message_set_request_body_from_bytes(m, "application/json", b);
		}
		g_bytes_unref(b);
	}
	memset(r, 0, sizeof(*r));
	soup_session_send_and_read_async(session, m, G_PRIORITY_DEFAULT, NULL, http_done, r);
	g_free(u);
	return m;
}

static struct resp http(struct srv *s, const char *method, const char *path, const char *bearer,
			const char *body)
{
	struct resp r;
	SoupMessage *m = http_start(s, method, path, bearer, body, false, &r);

	run_until(&r.done);
	g_object_unref(m);
	return r;
}

static void resp_clear(struct resp *r)
{
	g_free(r->body);
	g_free(r->retry_after);
	memset(r, 0, sizeof(*r));
}

/* The request gets status and {"error": reason}, one log line naming it. */
static void expect_error(struct srv *s, const char *method, const char *path, const char *bearer,
			 const char *body, unsigned status, const char *reason)
{
	struct resp r = http(s, method, path, bearer, body);
	char *got = r.body != NULL ? rg_auth_error_parse(r.body, strlen(r.body)) : NULL;
	char line[64];

	if (r.status != status || g_strcmp0(got, reason) != 0)
		g_error("%s %s: %u %s, expected %u %s", method, path, r.status, r.body, status,
			reason);
	g_snprintf(line, sizeof(line), ": %u ", status);
	expect_one_log(line);
	g_free(got);
	resp_clear(&r);
}

static void session_of(const struct resp *r, bool reg, struct rg_auth_session *out)
{
	char err[128];

	if (r->status != 200)
		g_error("HTTP %u: %s", r->status, r->body);
	g_assert_cmpint(rg_auth_session_parse(r->body, strlen(r->body), reg, out, err, sizeof(err)),
			==, CORE_OK);
}

static void do_register(struct srv *s, const char *name, const char *join,
			struct rg_auth_session *out)
{
	char *body = rg_auth_register_encode(name, join);
	struct resp r = http(s, "POST", "/auth/register", NULL, body);

	session_of(&r, true, out);
	resp_clear(&r);
	g_free(body);
}

static struct resp do_refresh(struct srv *s, const char *id, const char *token)
{
	char *body = rg_auth_refresh_encode(id, token);
	struct resp r = http(s, "POST", "/auth/refresh", NULL, body);

	g_free(body);
	return r;
}

/* The device list as the API returns it (g_free). */
static char *devices_json(struct srv *s, const char *jwt)
{
	struct resp r = http(s, "GET", "/auth/devices", jwt, NULL);
	char *out;

	g_assert_cmpuint(r.status, ==, 200);
	out = g_steal_pointer(&r.body);
	resp_clear(&r);
	return out;
}

/* ------------------------------------------------------------ WebSockets */

struct wsc {
	SoupMessage *msg;
	SoupWebsocketConnection *ws;
	GPtrArray *frames;
	bool done, closed;
	unsigned status, close_code;
	char *close_reason;
	gint64 closed_at;
};

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
	c->closed_at = g_get_monotonic_time();
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

static void wsc_connect(struct wsc *c, struct srv *s, const char *jwt)
{
	char *u = g_strconcat(s->url, "/connect", NULL), *a = g_strconcat("Bearer ", jwt, NULL);

	c->frames = g_ptr_array_new_with_free_func(g_free);
	c->msg = soup_message_new("GET", u);
	soup_message_headers_replace(soup_message_get_request_headers(c->msg), "Authorization", a);
	soup_session_websocket_connect_async(session, c->msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
					     wsc_connected, c);
	run_until(&c->done);
	g_free(u);
	g_free(a);
}

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

static void wsc_join(struct wsc *c, struct srv *s, const char *jwt, const char *name)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *j;

	wsc_connect(c, s, jwt);
	g_assert_nonnull(c->ws);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "join");
	json_builder_set_member_name(b, "peerId");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, "publicKey");
	json_builder_add_string_value(b, KEY_A);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	j = json_to_string(root, FALSE);
	soup_websocket_connection_send_text(c->ws, j);
	json_node_unref(root);
	g_object_unref(b);
	g_free(j);
	g_assert_true(g_str_has_prefix(wsc_frame(c, 0), "{\"type\":\"peers\""));
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
	if (c->frames != NULL)
		g_ptr_array_free(c->frames, TRUE);
	g_free(c->close_reason);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ tests */

/* Register, refresh, rotation; a join token works exactly once. */
static void test_register_refresh(void)
{
	struct srv s = srv_start("reg.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, r1, r2;
	char *body;
	struct resp r;

	do_register(&s, "alpha", s.owner_token, &a);
	g_assert_cmpstr(a.address, ==, "10.0.0.1/24");
	g_assert_cmpstr(a.subnet, ==, "10.0.0.0/24");
	g_assert_cmpstr(a.network, ==, "home");
	g_assert_cmpstr(a.server_url, ==, s.url);
	g_assert_cmpint(a.expires_in, ==, 3600);
	g_assert_true(g_str_has_prefix(a.refresh_token, "rgr_"));
	g_assert_cmpuint(strlen(a.refresh_token), ==, 4 + 64);
	/* the server's TURN URLs for UDP, TCP and TLS, one fresh credential for all */
	g_assert_cmpuint(a.n_ice, ==, 4);
	g_assert_cmpstr(a.ice[0].url, ==, "stun:127.0.0.1:3478");
	g_assert_cmpstr(a.ice[1].url, ==, "turn:127.0.0.1:3478?transport=udp");
	g_assert_cmpstr(a.ice[2].url, ==, "turn:127.0.0.1:3478?transport=tcp");
	g_assert_cmpstr(a.ice[3].url, ==, "turns:127.0.0.1:5349?transport=tcp");
	{
		char *user = g_strdup_printf("%d:%s", T0 + 86400, a.device_id);

		for (int i = 1; i < 4; i++) {
			g_assert_cmpstr(a.ice[i].username, ==, user);
			g_assert_cmpstr(a.ice[i].credential, ==, a.ice[1].credential);
			g_assert_true(i == 3 || a.ice[i].fingerprint == NULL);
		}
		g_free(user);
	}
	g_assert_cmpstr(a.ice[3].fingerprint, ==,
			"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
			"89:AB:CD:EF:01:23:45:67:89");
	expect_one_log("registered \"alpha\" as ");
	/* the same join token again: refused, logged once */
	body = rg_auth_register_encode("bravo", s.owner_token);
	expect_error(&s, "POST", "/auth/register", NULL, body, 401, "invalid or used join token");
	g_free(body);
	/* refresh: new tokens; the JWT works for the device list */
	now_s += 100;
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &r1);
	resp_clear(&r);
	g_assert_cmpstr(r1.refresh_token, !=, a.refresh_token);
	g_assert_cmpstr(r1.access_token, !=, a.access_token);
	g_free(devices_json(&s, r1.access_token));
	r = do_refresh(&s, a.device_id, r1.refresh_token);
	session_of(&r, false, &r2);
	resp_clear(&r);
	/* a device reclaims its name: same id and address */
	{
		char *j = invite(&s);
		struct rg_auth_session again;

		do_register(&s, "alpha", j, &again);
		g_assert_cmpstr(again.device_id, ==, a.device_id);
		g_assert_cmpstr(again.address, ==, a.address);
		/* its older family is void */
		r = do_refresh(&s, a.device_id, r2.refresh_token);
		g_assert_cmpuint(r.status, ==, 401);
		resp_clear(&r);
		rg_auth_session_clear(&again);
		g_free(j);
	}
	log_skip();
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&r1);
	rg_auth_session_clear(&r2);
	srv_stop(&s);
}

/* A stolen, already-used refresh token revokes the whole family, the thief's and the owner's. */
static void test_reuse_detection(void)
{
	struct srv s = srv_start("reuse.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, b, legit, thief;
	struct wsc wa = { 0 }, wb = { 0 };
	struct resp r;
	char *j = invite(&s);

	do_register(&s, "alpha", s.owner_token, &a);
	do_register(&s, "bravo", j, &b);
	/* the device refreshes: a.refresh_token is now used */
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &legit);
	resp_clear(&r);
	wsc_join(&wa, &s, legit.access_token, "alpha");
	wsc_join(&wb, &s, b.access_token, "bravo");
	g_assert_true(g_str_has_prefix(wsc_frame(&wa, 1), "{\"type\":\"peers\""));
	log_skip();
	/* a thief replays the stolen token, used two minutes ago (too late for a repeat) */
	now_s += 120;
	r = do_refresh(&s, a.device_id, a.refresh_token);
	g_assert_cmpuint(r.status, ==, 401);
	{
		char *why = rg_auth_error_parse(r.body, strlen(r.body));

		g_assert_cmpstr(why, ==, "refresh token reused: its token family is revoked");
		g_free(why);
	}
	resp_clear(&r);
	/* the family's live WebSocket is closed, its peer told at once */
	run_until(&wa.closed);
	g_assert_cmpuint(wa.close_code, ==, 4001);
	g_assert_cmpstr(wsc_frame(&wb, 1), ==, "{\"type\":\"peer-left\",\"peerId\":\"alpha\"}");
	/* nobody gets in with the family any more: the legit token, the JWT */
	r = do_refresh(&s, a.device_id, legit.refresh_token);
	g_assert_cmpuint(r.status, ==, 401);
	resp_clear(&r);
	r = http(&s, "GET", "/auth/devices", legit.access_token, NULL);
	g_assert_cmpuint(r.status, ==, 401);
	resp_clear(&r);
	memset(&thief, 0, sizeof(thief));
	wsc_free(&wa);
	wsc_free(&wb);
	g_free(j);
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&b);
	rg_auth_session_clear(&legit);
	srv_stop(&s);
}

/* A refresh's answer, or its 401 reason (g_free). */
static char *refresh_reason(struct srv *s, const char *id, const char *token)
{
	struct resp r = do_refresh(s, id, token);
	char *why = r.status == 200 ? g_strdup("200") : rg_auth_error_parse(r.body, strlen(r.body));

	g_assert_true(r.status == 200 || r.status == 401);
	resp_clear(&r);
	return why;
}

/*
 * A refresh whose answer is lost: the device presents the same token again
 * (the agent retries 30 s later) and gets the same new refresh token, with
 * a fresh access token, and goes on from there. A third presentation, or a
 * repeat after RG_ACCOUNTS_REFRESH_GRACE_S, is a reuse: the family dies.
 */
static void test_lost_answer(void)
{
	struct srv s = srv_start("lost.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, b, lost, again, next, b1;
	char *j = invite(&s), *why;
	struct resp r;

	do_register(&s, "alpha", s.owner_token, &a);
	do_register(&s, "bravo", j, &b);
	now_s += 100;
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &lost); /* the device never sees this answer */
	resp_clear(&r);
	log_skip();
	now_s += 30;
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &again);
	resp_clear(&r);
	expect_one_log("again: the same token, its answer was lost");
	g_assert_cmpstr(again.refresh_token, ==, lost.refresh_token);
	g_assert_cmpstr(again.access_token, !=, lost.access_token);
	g_assert_cmpuint(again.n_ice, ==, 4);
	g_free(devices_json(&s, again.access_token));
	r = do_refresh(&s, a.device_id, again.refresh_token);
	session_of(&r, false, &next);
	resp_clear(&r);
	/* the first token a third time: a reuse; the family is revoked, its JWTs refused */
	why = refresh_reason(&s, a.device_id, a.refresh_token);
	g_assert_cmpstr(why, ==, "refresh token reused: its token family is revoked");
	g_free(why);
	why = refresh_reason(&s, a.device_id, next.refresh_token);
	g_assert_cmpstr(why, ==, "invalid refresh token");
	g_free(why);
	r = http(&s, "GET", "/auth/devices", next.access_token, NULL);
	g_assert_cmpuint(r.status, ==, 401);
	resp_clear(&r);
	/* bravo repeats a minute after the use: too late, a reuse */
	r = do_refresh(&s, b.device_id, b.refresh_token);
	session_of(&r, false, &b1);
	resp_clear(&r);
	now_s += RG_ACCOUNTS_REFRESH_GRACE_S;
	why = refresh_reason(&s, b.device_id, b.refresh_token);
	g_assert_cmpstr(why, ==, "refresh token reused: its token family is revoked");
	g_free(why);
	why = refresh_reason(&s, b.device_id, b1.refresh_token);
	g_assert_cmpstr(why, ==, "invalid refresh token");
	g_free(why);
	log_skip();
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&b);
	rg_auth_session_clear(&lost);
	rg_auth_session_clear(&again);
	rg_auth_session_clear(&next);
	rg_auth_session_clear(&b1);
	g_free(j);
	srv_stop(&s);
}

struct upkept {
	bool done;
	int rc;
};

static void upkeep_done(void *data, struct rg_accounts_result *res)
{
	struct upkept *u = data;

	u->rc = res->rc;
	u->done = true;
}

/* JWT expiry on the injected clock; rotation logs nobody out; a retired key is refused. */
static void test_expiry_and_rotation(void)
{
	struct srv s = srv_start("exp.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, r1;
	struct rg_store_key old;
	struct wsc w = { 0 };
	struct resp r;
	GArray *keys;

	do_register(&s, "alpha", s.owner_token, &a);
	g_assert_cmpint(rg_store_keys(s.store, &keys), ==, CORE_OK);
	old = g_array_index(keys, struct rg_store_key, 0);
	g_array_free(keys, TRUE);
	/* a new signing key: the old token still works */
	now_s += 600;
	{
		struct upkept u = { 0 };

		rg_accounts_upkeep(s.accounts, true, upkeep_done, &u);
		run_until(&u.done);
		g_assert_cmpint(u.rc, ==, CORE_OK);
	}
	g_free(devices_json(&s, a.access_token));
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &r1);
	resp_clear(&r);
	{
		char err[RG_JWT_ERR_LEN];
		struct rg_jwt j;

		g_assert_cmpint(rg_jwt_decode(r1.access_token, strlen(r1.access_token), &j, err,
					      sizeof(err)),
				==, CORE_OK);
		g_assert_cmpstr(j.kid, !=, old.kid);
	}
	/* an hour after issue the first token has expired: 401, on HTTP and on /connect */
	now_s = T0 + 3600;
	log_skip();
	expect_error(&s, "GET", "/auth/devices", a.access_token, NULL, 401,
		     "invalid or expired token");
	wsc_connect(&w, &s, a.access_token);
	g_assert_null(w.ws);
	g_assert_cmpuint(w.status, ==, 401);
	expect_one_log("GET /connect: 401 expired");
	wsc_free(&w);
	/* the retired key: a token it signs now, not yet expired, is refused all the same */
	{
		struct rg_jwt_claims c = { 0 };
		char *forged;

		g_strlcpy(c.sub, a.device_id, sizeof(c.sub));
		g_strlcpy(c.name, "alpha", sizeof(c.name));
		g_strlcpy(c.net, "home", sizeof(c.net));
		g_strlcpy(c.fam, "whatever", sizeof(c.fam));
		c.iat = now_s;
		c.exp = now_s + 3600;
		forged = rg_jwt_sign(&c, old.kid, old.secret);
		expect_error(&s, "GET", "/auth/devices", forged, NULL, 401,
			     "invalid or expired token");
		g_free(forged);
	}
	/* the new key's token is fine until its own hour is up */
	g_free(devices_json(&s, r1.access_token));
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&r1);
	srv_stop(&s);
}

/* Bad input: each refused with its status and JSON error, logged once, nothing changed. */
static void test_bad_input(void)
{
	struct srv s = srv_start("bad.db", "10.0.0.0/24", 1000);
	struct rg_auth_session a;
	char *before, *after, *none, *big, *pad, *truncated, *forged;
	const char *sig_part;
	struct resp r;
	char **lines;

	do_register(&s, "alpha", s.owner_token, &a);
	before = devices_json(&s, a.access_token);
	log_skip();
	/* JWTs: forged, truncated, alg none, garbage */
	forged = g_strdup(a.access_token);
	sig_part = strrchr(forged, '.') + 1;
	forged[sig_part - forged] = forged[sig_part - forged] == 'A' ? 'B' : 'A';
	expect_error(&s, "GET", "/auth/devices", forged, NULL, 401, "invalid or expired token");
	truncated = g_strndup(a.access_token, strlen(a.access_token) - 10);
	expect_error(&s, "GET", "/auth/devices", truncated, NULL, 401, "invalid or expired token");
	{
		char *dot = strchr(a.access_token, '.');
		char hdr[128];

		rg_b64url_encode(hdr, (const uint8_t *)"{\"alg\":\"none\",\"kid\":\"k_1\"}", 26);
		none = g_strconcat(hdr, dot, NULL);
		*strrchr(none, '.') = '\0';
		{
			char *t = g_strconcat(none, ".", NULL);

			g_free(none);
			none = t;
		}
	}
	expect_error(&s, "GET", "/auth/devices", none, NULL, 401, "invalid or expired token");
	expect_error(&s, "GET", "/auth/devices", "x'; DROP TABLE devices; --", NULL, 401,
		     "invalid or expired token");
	expect_error(&s, "GET", "/auth/devices", NULL, NULL, 401, "missing authorization");
	/* the WebSocket's door refuses the same with the same JSON, logged once */
	expect_error(&s, "GET", "/connect", forged, NULL, 401, "invalid or expired token");
	expect_error(&s, "GET", "/connect", none, NULL, 401, "invalid or expired token");
	{
		struct resp cr = http(&s, "GET", "/connect", NULL, NULL);
		char *why = rg_auth_error_parse(cr.body, strlen(cr.body));

		g_assert_cmpuint(cr.status, ==, 401);
		g_assert_cmpstr(why, ==, "missing authorization");
		expect_one_line("GET /connect: 401 missing authorization");
		g_free(why);
		resp_clear(&cr);
	}
	/* bodies: malformed, wrong types, missing, too large, chunked */
	expect_error(&s, "POST", "/auth/register", NULL, "{\"device_name\":", 400,
		     "invalid request body");
	expect_error(&s, "POST", "/auth/register", NULL, "[1,2]", 400, "invalid request body");
	expect_error(&s, "POST", "/auth/register", NULL, "{\"device_name\":7,\"join_token\":\"x\"}",
		     400, "invalid request body");
	expect_error(&s, "POST", "/auth/register", NULL, "{\"join_token\":\"x\"}", 400,
		     "device_name is required");
	expect_error(&s, "POST", "/auth/register", NULL, "{\"device_name\":\"x\"}", 400,
		     "join_token is required");
	expect_error(&s, "POST", "/auth/register", NULL,
		     "{\"device_name\":\"a/b\",\"join_token\":\"x\"}", 400,
		     "device_name must be 1 to 64 bytes of text, no '/', no space at either end");
	expect_error(&s, "POST", "/auth/refresh", NULL, "{\"device_id\":\"x\"}", 400,
		     "refresh_token is required");
	pad = g_strnfill(RG_AUTH_MAX_BODY, ' ');
	big = g_strdup_printf("{\"device_name\":\"a\",\"join_token\":\"x\"}%s", pad);
	expect_error(&s, "POST", "/auth/register", NULL, big, 413, "request body too large");
	{
		struct resp cr;
		SoupMessage *m =
			http_start(&s, "POST", "/auth/register", NULL,
				   "{\"device_name\":\"a\",\"join_token\":\"x\"}", true, &cr);

		run_until(&cr.done);
		g_assert_cmpuint(cr.status, ==, 411);
		expect_one_log(": 411 ");
		resp_clear(&cr);
		g_object_unref(m);
	}
	/* SQL metacharacters in every field */
	expect_error(&s, "POST", "/auth/register", NULL,
		     "{\"device_name\":\"x'); DROP TABLE devices; "
		     "--\",\"join_token\":\"rgj_'OR'1'='1\"}",
		     401, "invalid or used join token");
	expect_error(
		&s, "POST", "/auth/refresh", NULL,
		"{\"device_id\":\"'OR'1'='1'--\",\"refresh_token\":\"rgr_';DELETE/**/FROM/**/x;\"}",
		401, "device not found or revoked");
	expect_error(&s, "POST", "/auth/refresh", NULL,
		     "{\"device_id\":\"' OR 1=1 --\",\"refresh_token\":\"rgr_x\"}", 400,
		     "malformed token");
	expect_error(&s, "POST", "/auth/refresh", NULL,
		     "{\"device_id\":\"x\",\"refresh_token\":\"a b\"}", 400, "malformed token");
	expect_error(&s, "DELETE", "/auth/devices/1'%20OR%20'1'='1", a.access_token, NULL, 404,
		     "device not found");
	expect_error(&s, "DELETE", "/auth/devices/00000000-0000-4000-8000-000000000000",
		     a.access_token, NULL, 404, "device not found");
	expect_error(&s, "DELETE",
		     "/auth/devices/"
		     "x",
		     a.access_token, NULL, 404, "device not found");
	{
		char *self = g_strconcat("/auth/devices/", a.device_id, NULL);

		expect_error(&s, "DELETE", self, a.access_token, NULL, 400,
			     "cannot revoke your own device");
		g_free(self);
	}
	/* unknown paths and methods */
	expect_error(&s, "GET", "/auth/register", NULL, NULL, 405, "method not allowed");
	expect_error(&s, "GET", "/auth/nothing", NULL, NULL, 404, "not found");
	/* nothing changed: the same list, and the device's token still refreshes */
	after = devices_json(&s, a.access_token);
	g_assert_cmpstr(before, ==, after);
	r = do_refresh(&s, a.device_id, a.refresh_token);
	g_assert_cmpuint(r.status, ==, 200);
	resp_clear(&r);
	/* no token in any log line */
	lines = log_since();
	g_strfreev(lines);
	{
		char *all = NULL;

		g_assert_true(g_file_get_contents(log_path, &all, NULL, NULL));
		g_assert_null(strstr(all, "rgj_"));
		g_assert_null(strstr(all, "rgr_"));
		g_assert_null(strstr(all, a.refresh_token));
		g_assert_null(strstr(all, strrchr(a.access_token, '.') + 1));
		g_assert_null(strstr(all, s.owner_token + 4));
		g_free(all);
	}
	g_free(before);
	g_free(after);
	g_free(none);
	g_free(big);
	g_free(pad);
	g_free(truncated);
	g_free(forged);
	rg_auth_session_clear(&a);
	srv_stop(&s);
}

/* Wrong tokens from one address: after the burst, refused (429) whatever the token. */
static void test_guessing(void)
{
	struct srv s = srv_start("guess.db", "10.0.0.0/24", 3);
	char *good =
		g_strdup_printf("{\"device_name\":\"a\",\"join_token\":\"%s\"}", s.owner_token);
	struct resp r;

	for (int i = 0; i < 3; i++)
		expect_error(&s, "POST", "/auth/register", NULL,
			     "{\"device_name\":\"a\",\"join_token\":\"rgj_guess\"}", 401,
			     "invalid or used join token");
	r = http(&s, "POST", "/auth/register", NULL, good);
	g_assert_cmpuint(r.status, ==, 429);
	g_assert_cmpstr(r.retry_after, ==, "10");
	{
		char *why = rg_auth_error_parse(r.body, strlen(r.body));

		g_assert_cmpstr(why, ==, "too many wrong tokens from this address; retry later");
		g_free(why);
	}
	expect_one_log(": 429 ");
	resp_clear(&r);
	/* forged bearers count too, on /connect as well */
	r = http(&s, "GET", "/auth/devices", "a.b.c", NULL);
	g_assert_cmpuint(r.status, ==, 429);
	resp_clear(&r);
	r = http(&s, "GET", "/connect", "a.b.c", NULL);
	g_assert_cmpuint(r.status, ==, 429);
	g_assert_cmpstr(r.retry_after, ==, "10");
	{
		char *why = rg_auth_error_parse(r.body, strlen(r.body));

		g_assert_cmpstr(why, ==, "too many wrong tokens from this address; retry later");
		g_free(why);
	}
	resp_clear(&r);
	{
		struct wsc w = { 0 };

		wsc_connect(&w, &s, "a.b.c");
		g_assert_cmpuint(w.status, ==, 429);
		wsc_free(&w);
	}
	g_free(good);
	srv_stop(&s);
}

static void reg_done(GObject *src, GAsyncResult *res, gpointer p)
{
	http_done(src, res, p);
}

/* Forty registrations at once never share an address. */
static void test_concurrent(void)
{
	enum { N = 40 };
	struct srv s = srv_start("conc.db", "10.0.0.0/24", 0);
	struct resp r[N];
	SoupMessage *m[N];
	char *tok[N];
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (int i = 0; i < N; i++) {
		char *u = g_strconcat(s.url, "/auth/register", NULL),
		     *name = g_strdup_printf("d%d", i);
		char *body;
		GBytes *b;

		tok[i] = invite(&s);
		body = rg_auth_register_encode(name, tok[i]);
		b = g_bytes_new_take(body, strlen(body));
		m[i] = soup_message_new("POST", u);
		soup_message_set_request_body_from_bytes(m[i], "application/json", b);
		memset(&r[i], 0, sizeof(r[i]));
		soup_session_send_and_read_async(session, m[i], G_PRIORITY_DEFAULT, NULL, reg_done,
						 &r[i]);
		g_bytes_unref(b);
		g_free(u);
		g_free(name);
	}
	for (int i = 0; i < N; i++) {
		struct rg_auth_session a;

		run_until(&r[i].done);
		session_of(&r[i], true, &a);
		if (!g_hash_table_add(seen, g_strdup(a.address)))
			g_error("%s given twice", a.address);
		rg_auth_session_clear(&a);
		resp_clear(&r[i]);
		g_object_unref(m[i]);
		g_free(tok[i]);
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, N);
	g_assert_true(g_hash_table_contains(seen, "10.0.0.40/24"));
	g_hash_table_unref(seen);
	log_skip();
	srv_stop(&s);
}

/* Names with quotes, SQL and unicode: stored, listed and joined byte for byte. */
static void test_hostile_names(void)
{
	static const char *const names[] = { "x'); DROP TABLE devices; --", "\"quoted\" `back`",
					     "名前-ノード ✓" };
	struct srv s = srv_start("names.db", "10.0.0.0/24", 0);
	struct rg_auth_session a[G_N_ELEMENTS(names)];
	struct rg_auth_device *d;
	struct wsc w = { 0 };
	char *list, err[128];
	size_t n;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *j = invite(&s);

		do_register(&s, names[i], j, &a[i]);
		g_free(j);
	}
	list = devices_json(&s, a[0].access_token);
	g_assert_cmpint(rg_auth_devices_parse(list, strlen(list), &d, &n, err, sizeof(err)), ==,
			CORE_OK);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(names));
	for (size_t i = 0; i < n; i++)
		g_assert_cmpstr(d[i].device_name, ==, names[i]);
	rg_auth_devices_free(d, n);
	/* the JWT's name is the peer name: the unicode one joins under it */
	wsc_join(&w, &s, a[2].access_token, names[2]);
	wsc_free(&w);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		rg_auth_session_clear(&a[i]);
	g_free(list);
	log_skip();
	srv_stop(&s);
}

/* Revocation: the live WebSocket closes within 1 s, its peers hear peer-left within 1 s. */
static void test_revocation(void)
{
	struct srv s = srv_start("revoke.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, b, c, d;
	struct wsc wb = { 0 }, wc = { 0 }, again = { 0 };
	char *jb = invite(&s), *jc = invite(&s), *jd = invite(&s), *path, *list;
	gint64 t0;
	struct resp r;

	do_register(&s, "alpha", s.owner_token, &a);
	do_register(&s, "bravo", jb, &b);
	do_register(&s, "charlie", jc, &c);
	wsc_join(&wb, &s, b.access_token, "bravo");
	wsc_join(&wc, &s, c.access_token, "charlie");
	wsc_frame(&wb, 1); /* charlie's arrival */
	log_skip();
	path = g_strconcat("/auth/devices/", b.device_id, NULL);
	t0 = g_get_monotonic_time();
	r = http(&s, "DELETE", path, a.access_token, NULL);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpstr(r.body, ==, "{\"ok\":true}");
	resp_clear(&r);
	g_assert_cmpstr(wsc_frame(&wc, 1), ==, "{\"type\":\"peer-left\",\"peerId\":\"bravo\"}");
	g_assert_cmpint(g_get_monotonic_time() - t0, <, ITEST_SCALED_US(G_USEC_PER_SEC));
	run_until(&wb.closed);
	g_assert_cmpint(wb.closed_at - t0, <, G_USEC_PER_SEC);
	g_assert_cmpuint(wb.close_code, ==, 4001);
	g_assert_cmpstr(wb.close_reason, ==, "credentials revoked");
	g_test_message("revocation: peer-left and close %.1f ms after the request",
		       (wb.closed_at - t0) / 1000.0);
	/* bravo cannot come back: not with its JWT, not with its refresh token */
	wsc_connect(&again, &s, b.access_token);
	g_assert_cmpuint(again.status, ==, 401);
	wsc_free(&again);
	r = do_refresh(&s, b.device_id, b.refresh_token);
	g_assert_cmpuint(r.status, ==, 401);
	g_assert_nonnull(strstr(r.body, "device not found or revoked"));
	resp_clear(&r);
	log_skip();
	expect_error(&s, "DELETE", path, a.access_token, NULL, 404, "device not found");
	/* listed as revoked; its address goes to the next device */
	list = devices_json(&s, a.access_token);
	g_assert_nonnull(strstr(list, "\"device_name\":\"bravo\",\"address\":\"10.0.0.2/24\""));
	g_assert_nonnull(strstr(list, "\"revoked\":true"));
	do_register(&s, "delta", jd, &d);
	g_assert_cmpstr(d.address, ==, "10.0.0.2/24");
	wsc_free(&wb);
	wsc_free(&wc);
	g_free(list);
	g_free(path);
	g_free(jb);
	g_free(jc);
	g_free(jd);
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&b);
	rg_auth_session_clear(&c);
	rg_auth_session_clear(&d);
	log_skip();
	srv_stop(&s);
}

/* Iterate the loop for ms milliseconds. */
static void run_for(unsigned ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE);
}

/*
 * The store waits on its own thread: a registration stuck behind another
 * process's write lock (`riftgate server invite` may hold it, a slow fsync
 * acts alike) holds neither GET /status nor a WebSocket's bearer check and
 * join; it is answered once the lock is released. With the store on the
 * loop, SQLite's busy wait held everything for up to RG_STORE_BUSY_MS.
 */
static void test_store_off_loop(void)
{
	struct srv s = srv_start("busy.db", "10.0.0.0/24", 0);
	struct rg_auth_session a, b;
	struct wsc w = { 0 };
	struct resp reg, st;
	char *j = invite(&s), *body = rg_auth_register_encode("bravo", j);
	SoupMessage *m;
	sqlite3 *db;
	gint64 t0, took;

	do_register(&s, "alpha", s.owner_token, &a);
	g_assert_cmpint(sqlite3_open(s.db, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
	t0 = g_get_monotonic_time();
	m = http_start(&s, "POST", "/auth/register", NULL, body, false, &reg);
	run_for(100); /* the registration reaches the store and waits for the lock */
	g_assert_false(reg.done);
	g_assert_cmpuint(rg_accounts_pending(s.accounts), ==, 1);
	st = http(&s, "GET", "/status", NULL, NULL);
	g_assert_cmpuint(st.status, ==, 200);
	wsc_join(&w, &s, a.access_token, "alpha");
	took = g_get_monotonic_time() - t0;
	g_test_message("100 ms of loop, a status and a join: %.1f ms while the store waits",
		       (double)took / 1000.0);
	g_assert_cmpint(took, <, ITEST_SCALED_US(RG_STORE_BUSY_MS * 1000 / 4));
	g_assert_false(reg.done);
	g_assert_cmpint(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
	run_until(&reg.done);
	session_of(&reg, true, &b);
	g_assert_cmpstr(b.address, ==, "10.0.0.2/24");
	sqlite3_close(db);
	wsc_free(&w);
	resp_clear(&reg);
	resp_clear(&st);
	g_object_unref(m);
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&b);
	g_free(body);
	g_free(j);
	log_skip();
	srv_stop(&s);
}

/* ------------------------------------------------------------ the program */

static char *rg_exe(void)
{
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "rift", "riftgate", NULL);
}

/* riftgate ARGS...: its stdout (g_free), the exit status asserted 0. */
static char *run_rg(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *exe = rg_exe(), *out = NULL;
	const char *argv[] = { exe, a1, a2, a3, a4, NULL };
	int status = -1;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				   NULL, &out, NULL, &status, NULL));
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_free(exe);
	return out;
}

static char *line_value(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);

	g_assert_nonnull(p);
	p += strlen(prefix);
	return g_strndup(p, strcspn(p, " \n"));
}

/* Start riftgate server -c conf; its URL in s->url. */
static GSubprocess *program_start(const char *conf, struct srv *s)
{
	char *exe = rg_exe(), *line;
	const char *argv[] = { exe, "server", "-c", conf, NULL };
	GError *e = NULL;
	GSubprocess *p = itest_spawn(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &e, argv);
	GDataInputStream *in;

	g_assert_no_error(e);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	line = g_data_input_stream_read_line(in, NULL, NULL, &e);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "listening on http://127.0.0.1:"));
	g_free(s->url);
	s->url = g_strdup(line + strlen("listening on "));
	g_free(line);
	line = g_data_input_stream_read_line(in, NULL, NULL, &e);
	g_assert_true(g_str_has_prefix(line, "network lab, devices in "));
	g_free(line);
	g_object_unref(in);
	g_free(exe);
	return p;
}

/* kill -9 and a restart lose nothing committed: registrations, rotations, invites. */
static void test_program_kill9(void)
{
	char *db = g_build_filename(tmpdir, "prog", "server.db", NULL);
	char *conf = g_build_filename(tmpdir, "prog.conf", NULL);
	char *text =
		g_strdup_printf("[server]\nlisten = 127.0.0.1\nport = 0\n[store]\npath = %s\n", db);
	struct srv s = { 0 };
	struct rg_auth_session a, b, a2;
	char *out, *owner, *join;
	GSubprocess *p;
	GError *e = NULL;
	struct resp r;

	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	out = run_rg("server", "init", "-c", conf);
	g_assert_true(g_str_has_prefix(out, "network default (10.0.0.0/24) created in "));
	g_free(out);
	/* a second init refuses */
	{
		char *exe = rg_exe(), *err = NULL;
		const char *argv[] = { exe, "server", "init", "-c", conf, "--name", "lab", NULL };
		int status;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
					   NULL, NULL, NULL, &err, &status, NULL));
		g_assert_false(g_spawn_check_wait_status(status, NULL));
		g_assert_nonnull(strstr(err, "the network exists already"));
		g_free(err);
		g_free(exe);
	}
	/* start over with a named network */
	{
		char *cmd = g_strdup_printf("rm -rf '%s/prog'", tmpdir);

		g_assert_cmpint(system(cmd), ==, 0);
		g_free(cmd);
	}
	{
		char *exe = rg_exe();
		const char *argv[] = { exe, "server", "init", "-c", conf, "--name", "lab", NULL };
		int status;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
					   NULL, NULL, &out, NULL, &status, NULL));
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		g_free(exe);
	}
	owner = line_value(out, "join token: ");
	g_free(out);
	p = program_start(conf, &s);
	do_register(&s, "alpha", owner, &a);
	/* an invitation from another process while the server runs */
	out = run_rg("server", "invite", "-c", conf);
	join = line_value(out, "join token: ");
	/* port 0: only [server] url could say where devices find the server */
	g_assert_nonnull(strstr(out, "(set [server] url in "));
	g_free(out);
	do_register(&s, "bravo", join, &b);
	r = do_refresh(&s, a.device_id, a.refresh_token);
	session_of(&r, false, &a2);
	resp_clear(&r);
	/* kill -9 right after the answers */
	g_subprocess_force_exit(p);
	g_assert_true(g_subprocess_wait(p, NULL, &e));
	g_assert_false(g_subprocess_get_if_exited(p));
	g_object_unref(p);
	p = program_start(conf, &s);
	/* everything answered is there: the rotation, both devices, the used tokens */
	r = do_refresh(&s, a.device_id, a2.refresh_token);
	g_assert_cmpuint(r.status, ==, 200);
	resp_clear(&r);
	{
		char *list = devices_json(&s, b.access_token);

		g_assert_nonnull(
			strstr(list, "\"device_name\":\"alpha\",\"address\":\"10.0.0.1/24\""));
		g_assert_nonnull(
			strstr(list, "\"device_name\":\"bravo\",\"address\":\"10.0.0.2/24\""));
		g_free(list);
	}
	{
		char *body = rg_auth_register_encode("carol", join);

		r = http(&s, "POST", "/auth/register", NULL, body);
		g_assert_cmpuint(r.status, ==, 401); /* used before the crash: still used */
		resp_clear(&r);
		g_free(body);
	}
	g_subprocess_send_signal(p, SIGTERM);
	g_assert_true(g_subprocess_wait(p, NULL, &e));
	g_assert_true(g_subprocess_get_if_exited(p));
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	g_object_unref(p);
	rg_auth_session_clear(&a);
	rg_auth_session_clear(&a2);
	rg_auth_session_clear(&b);
	g_free(s.url);
	g_free(owner);
	g_free(join);
	g_free(text);
	g_free(conf);
	g_free(db);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("rg-auth-XXXXXX", NULL);
	log_path = g_build_filename(tmpdir, "log", NULL);
	log_fd = g_open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	core_log_set_output_fd(log_fd);
	session = soup_session_new();
	g_test_add_func("/auth-api/register-refresh", test_register_refresh);
	g_test_add_func("/auth-api/reuse-detection", test_reuse_detection);
	g_test_add_func("/auth-api/lost-answer", test_lost_answer);
	g_test_add_func("/auth-api/expiry-and-rotation", test_expiry_and_rotation);
	g_test_add_func("/auth-api/bad-input", test_bad_input);
	g_test_add_func("/auth-api/guessing", test_guessing);
	g_test_add_func("/auth-api/concurrent", test_concurrent);
	g_test_add_func("/auth-api/hostile-names", test_hostile_names);
	g_test_add_func("/auth-api/revocation", test_revocation);
	g_test_add_func("/auth-api/store-off-loop", test_store_off_loop);
	g_test_add_func("/auth-api/program-kill9", test_program_kill9);
	rc = g_test_run();
	g_object_unref(session);
	core_log_set_output_fd(-1);
	close(log_fd);
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			rc = 1;
		g_free(cmd);
	}
	g_free(log_path);
	g_free(tmpdir);
	return rc;
}
