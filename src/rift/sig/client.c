/* client.c - the signaling client (contract in client.h). */
#include "rift/sig/client.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/tlspin.h"
#include "rift/sig/hub.h" /* the close codes a server applies again */

#define CLIENT_PING_S 20
#define CLOSE_NORMAL  1000

struct rg_sig_client {
	char *url, *token, *pin;
	char *join_text; /* the encoded join, re-sent on every connection */
	unsigned max_attempts, initial_ms, max_ms, ping_s;
	struct rg_sig_client_callbacks cb;
	void *data;
	SoupSession *session;
	SoupMessage *msg;
	GCancellable *cancel;
	SoupWebsocketConnection *ws;
	unsigned attempts; /* failed attempts in a row */
	guint retry_timer;
	bool pin_refused; /* the last attempt's certificate did not match */
	bool failed;
};

unsigned rg_sig_backoff_ms(unsigned attempt, unsigned initial_ms, unsigned max_ms, double jitter01)
{
	double d = initial_ms;

	/* doubling stops at the cap: no overflow to zero (a reference bug) */
	for (unsigned i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	return (unsigned)(d * (0.8 + 0.4 * jitter01));
}

static void client_connect(struct rg_sig_client *c);

static void client_state(struct rg_sig_client *c, enum rg_sig_client_state st, const char *reason)
{
	core_log_info("sigc", NULL, "%s: %s",
		      st == RG_SIG_CLIENT_CONNECTED  ? "connected"
		      : st == RG_SIG_CLIENT_RETRYING ? "retrying"
						     : "failed",
		      reason);
	if (c->cb.state != NULL)
		c->cb.state(c, st, reason, c->data);
}

static gboolean client_retry_cb(gpointer p)
{
	struct rg_sig_client *c = p;

	c->retry_timer = 0;
	client_connect(c);
	return G_SOURCE_REMOVE;
}

/* An attempt failed or a connection ended: retry later, or give up. */
static void client_lost(struct rg_sig_client *c, bool permanent, const char *reason)
{
	char line[200];
	unsigned delay;

	g_clear_object(&c->ws);
	if (c->failed)
		return;
	c->attempts++;
	if (permanent || c->attempts > c->max_attempts) {
		c->failed = true;
		g_snprintf(line, sizeof(line), "%s%s", reason,
			   permanent ? "" : " (too many attempts)");
		client_state(c, RG_SIG_CLIENT_FAILED, line);
		return;
	}
	delay = rg_sig_backoff_ms(c->attempts, c->initial_ms, c->max_ms, g_random_double());
	g_snprintf(line, sizeof(line), "%s; attempt %u in %u ms", reason, c->attempts + 1, delay);
	client_state(c, RG_SIG_CLIENT_RETRYING, line);
	c->retry_timer = g_timeout_add(delay, client_retry_cb, c);
}

static void ws_message(SoupWebsocketConnection *ws, gint type, GBytes *b, gpointer p)
{
	struct rg_sig_client *c = p;
	struct rg_sig_msg m;
	char err[200];
	gsize n;
	const char *text = g_bytes_get_data(b, &n);

	if (type != SOUP_WEBSOCKET_DATA_TEXT ||
	    rg_sig_parse(text != NULL ? text : "", n, &m, err, sizeof(err)) != CORE_OK) {
		core_log_warn("sigc", NULL, "skipping a message: %s",
			      type != SOUP_WEBSOCKET_DATA_TEXT ? "binary frame" : err);
		return;
	}
	if (c->cb.message != NULL)
		c->cb.message(c, &m, c->data);
	rg_sig_msg_clear(&m);
}

static void ws_closed(SoupWebsocketConnection *ws, gpointer p)
{
	struct rg_sig_client *c = p;
	unsigned code = soup_websocket_connection_get_close_code(ws);
	const char *why = soup_websocket_connection_get_close_data(ws);
	char reason[200];

	g_snprintf(reason, sizeof(reason), "closed %u%s%s", code, why != NULL ? " " : "",
		   why != NULL ? why : "");
	g_signal_handlers_disconnect_by_data(ws, c);
	c->attempts = 0; /* it was connected: the backoff starts over */
	client_lost(c, code == RG_HUB_CLOSE_POLICY || code == RG_HUB_CLOSE_REPLACED, reason);
}

static void client_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct rg_sig_client *c = p;
	GError *e = NULL;
	SoupWebsocketConnection *ws =
		soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &e);
	unsigned status;
	char reason[200];

	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(e);
		return; /* freed or reconnecting: c may be gone, touch nothing */
	}
	status = c->msg != NULL ? soup_message_get_status(c->msg) : 0;
	g_clear_object(&c->msg);
	g_clear_object(&c->cancel);
	if (ws == NULL && status == SOUP_STATUS_UNAUTHORIZED && !c->pin_refused &&
	    c->cb.unauthorized != NULL) {
		/* the owner gets a new token and calls rg_sig_client_reconnect */
		g_clear_error(&e);
		core_log_info("sigc", NULL, "token refused (HTTP 401): waiting for a new one");
		c->cb.unauthorized(c, c->data);
		return;
	}
	if (ws == NULL) {
		bool permanent = status == SOUP_STATUS_UNAUTHORIZED || c->pin_refused;

		if (c->pin_refused)
			g_snprintf(
				reason, sizeof(reason),
				"the server's certificate does not match the pinned fingerprint");
		else if (status == SOUP_STATUS_UNAUTHORIZED)
			g_snprintf(reason, sizeof(reason), "token refused (HTTP 401)");
		else
			g_snprintf(reason, sizeof(reason), "connect failed: %s",
				   e != NULL ? e->message : "?");
		g_clear_error(&e);
		client_lost(c, permanent, reason);
		return;
	}
	c->ws = ws;
	c->attempts = 0;
	soup_websocket_connection_set_keepalive_interval(ws, c->ping_s);
	soup_websocket_connection_set_max_incoming_payload_size(ws, 2 * RG_SIG_MAX_MESSAGE);
	g_signal_connect(ws, "message", G_CALLBACK(ws_message), c);
	g_signal_connect(ws, "closed", G_CALLBACK(ws_closed), c);
	soup_websocket_connection_send_text(ws, c->join_text);
	client_state(c, RG_SIG_CLIENT_CONNECTED, c->url);
}

static gboolean accept_cert(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errs,
			    gpointer p)
{
	struct rg_sig_client *c = p;
	uint8_t fp[CORE_TLS_FP_LEN], want[CORE_TLS_FP_LEN];
	bool ok;

	if (c->pin == NULL || core_tls_fingerprint_parse(c->pin, want) != CORE_OK)
		return FALSE; /* no pin: only what the system CAs vouch for */
	ok = core_tls_gcert_fingerprint(cert, fp) == CORE_OK &&
	     core_tls_fingerprint_equal(fp, want);
	c->pin_refused = !ok;
	return ok;
}

static void client_connect(struct rg_sig_client *c)
{
	char *u = g_strconcat(c->url, "/connect", NULL), *auth;

	c->pin_refused = false;
	c->msg = soup_message_new("GET", u);
	g_free(u);
	if (c->msg == NULL) {
		client_lost(c, true, "bad server URL");
		return;
	}
	if (c->token != NULL) {
		auth = g_strconcat("Bearer ", c->token, NULL);
		soup_message_headers_replace(soup_message_get_request_headers(c->msg),
					     "Authorization", auth);
		core_wipe(auth, strlen(auth));
		g_free(auth);
	}
	g_signal_connect(c->msg, "accept-certificate", G_CALLBACK(accept_cert), c);
	c->cancel = g_cancellable_new();
	soup_session_websocket_connect_async(c->session, c->msg, NULL, NULL, G_PRIORITY_DEFAULT,
					     c->cancel, client_connected, c);
}

struct rg_sig_client *rg_sig_client_new(const struct rg_sig_client_config *cfg,
					const struct rg_sig_client_callbacks *cb, void *data)
{
	struct rg_sig_client *c = g_new0(struct rg_sig_client, 1);
	struct rg_sig_msg join = { .type = RG_SIG_JOIN, .self = *cfg->self };
	uint8_t fp[CORE_TLS_FP_LEN];

	c->url = g_strdup(cfg->url);
	c->token = g_strdup(cfg->token);
	c->pin = g_strdup(cfg->pin);
	c->join_text = rg_sig_encode(&join);
	c->max_attempts = cfg->max_attempts != 0 ? cfg->max_attempts : 20;
	c->initial_ms = cfg->backoff_initial_ms != 0 ? cfg->backoff_initial_ms : 1000;
	c->max_ms = cfg->backoff_max_ms != 0 ? cfg->backoff_max_ms : 30000;
	c->ping_s = cfg->ping_interval_s != 0 ? cfg->ping_interval_s : CLIENT_PING_S;
	c->cb = *cb;
	c->data = data;
	c->session = soup_session_new_with_options("timeout", 10, "idle-timeout", 0, NULL);
	if (c->pin != NULL && core_tls_fingerprint_parse(c->pin, fp) == CORE_OK) {
		/* the pin decides: the system's trust store need not be loaded at all */
		GTlsDatabase *db = core_tls_pin_database_new(fp);

		soup_session_set_tls_database(c->session, db);
		g_object_unref(db);
	}
	client_connect(c);
	return c;
}

int rg_sig_client_send(struct rg_sig_client *c, const struct rg_sig_msg *m)
{
	char *text;

	if (c->ws == NULL ||
	    soup_websocket_connection_get_state(c->ws) != SOUP_WEBSOCKET_STATE_OPEN)
		return CORE_ERR_CLOSED;
	text = rg_sig_encode(m);
	if (text == NULL)
		return CORE_ERR_INVALID_ARG;
	soup_websocket_connection_send_text(c->ws, text);
	g_free(text);
	return CORE_OK;
}

/* Drop the connection or the attempt in progress without any callback. */
static void client_drop(struct rg_sig_client *c)
{
	core_source_clear(&c->retry_timer);
	if (c->cancel != NULL)
		g_cancellable_cancel(c->cancel);
	g_clear_object(&c->cancel);
	g_clear_object(&c->msg);
	if (c->ws != NULL) {
		g_signal_handlers_disconnect_by_data(c->ws, c);
		if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(c->ws, CLOSE_NORMAL, NULL);
		g_clear_object(&c->ws);
	}
}

void rg_sig_client_set_token(struct rg_sig_client *c, const char *token)
{
	if (c->token != NULL)
		core_wipe(c->token, strlen(c->token));
	g_free(c->token);
	c->token = g_strdup(token);
}

void rg_sig_client_reconnect(struct rg_sig_client *c)
{
	client_drop(c);
	c->failed = false;
	c->attempts = 0;
	client_connect(c);
}

void rg_sig_client_free(struct rg_sig_client *c)
{
	if (c == NULL)
		return;
	client_drop(c);
	g_clear_object(&c->session);
	g_free(c->url);
	if (c->token != NULL)
		core_wipe(c->token, strlen(c->token));
	g_free(c->token);
	g_free(c->pin);
	g_free(c->join_text);
	g_free(c);
}
