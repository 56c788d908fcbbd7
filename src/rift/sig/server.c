/* server.c - the signaling server on libsoup 3 (contract in server.h). */
#include "rift/sig/server.h"

#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "core/config.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "rift/sig/bearer.h"
#include "rift/sig/msg.h"

#define SERVER_PING_S	    20
#define SERVER_BACKLOG	    1024 /* pending connections (GSocket: 10) */
#define SERVER_SHUTDOWN_MS  2000
#define SERVER_CLOSE_GOING  1001
#define SERVER_CLOSE_BINARY 1003
#define SERVER_TOO_MANY	    429 /* HTTP: libsoup 3.2 has no name for it */

struct rg_sig_server {
	SoupServer *soup;
	GSocketService *service; /* accepts; connections go to soup */
	GTlsCertificate *cert;	 /* NULL: plain HTTP */
	struct rg_hub *hub;
	struct rg_sig_device *devices;
	size_t n_devices;
	struct rg_sig_bearer *bearer; /* a static token -> its device */
	struct rg_sig_auth auth;      /* auth.bearer NULL: none */
	unsigned ping_s;
	GHashTable *conns;  /* id -> SoupWebsocketConnection * (a reference) */
	GHashTable *idents; /* id -> struct rg_sig_identity * (the authenticator's) */
	uint64_t next_id;
	uint16_t port;
	char url[96];
	char fingerprint[CORE_TLS_FP_LEN * 3];
	bool has_fingerprint;
	void (*shutdown_done)(void *data);
	void *shutdown_data;
	guint shutdown_timer;
};

/* ------------------------------------------------------------ devices */

#define IDENT_KEY "rg-sig-identity" /* the early handler's verdict, on the message */

static void identity_free(gpointer p)
{
	struct rg_sig_identity *id = p;

	if (id == NULL)
		return;
	g_free(id->network);
	g_free(id->name);
	g_free(id->subject);
	if (id->priv_free != NULL)
		id->priv_free(id->priv);
	g_free(id);
}

/*
 * Who the request's bearer token says it is: CORE_OK with *out (g_malloc'ed;
 * identity_free), CORE_ERR_NOT_FOUND (no bearer token at all: 401),
 * CORE_ERR_AUTH (no valid token: 401), CORE_ERR_AGAIN (the authenticator
 * makes the source wait: 429, *retry_after seconds). A static token is
 * found as bearer.h does (by its SHA-256, then compared in constant time);
 * anything else goes to the authenticator, which logs its refusals; those
 * decided here are logged here, once.
 */
static int server_identify(struct rg_sig_server *s, SoupServerMessage *msg,
			   struct rg_sig_identity **out, unsigned *retry_after)
{
	const char *auth = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Authorization");
	const struct rg_sig_device *d;
	struct rg_sig_identity *id;
	int rc;

	*out = NULL;
	*retry_after = 0;
	if (auth == NULL || g_ascii_strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
		core_log_warn("sig", soup_server_message_get_remote_host(msg),
			      "GET /connect: 401 missing authorization");
		return CORE_ERR_NOT_FOUND;
	}
	d = rg_sig_bearer_lookup(s->bearer, auth);
	if (d != NULL) {
		id = g_new0(struct rg_sig_identity, 1);
		id->network = g_strdup(d->network);
		id->name = g_strdup(d->name);
		*out = id;
		return CORE_OK;
	}
	if (s->auth.bearer == NULL) {
		core_log_warn("sig", soup_server_message_get_remote_host(msg),
			      "GET /connect: 401 not a device's token");
		return CORE_ERR_AUTH;
	}
	id = g_new0(struct rg_sig_identity, 1);
	rc = s->auth.bearer(s->auth.data, auth + 7, soup_server_message_get_remote_host(msg), id);
	if (rc != CORE_OK || id->network == NULL || id->name == NULL) {
		*retry_after = id->retry_after_s;
		identity_free(id);
		return rc == CORE_ERR_AGAIN ? rc : CORE_ERR_AUTH;
	}
	*out = id;
	return CORE_OK;
}

/* ------------------------------------------------------------ the hub's I/O */

static void hub_send(void *data, uint64_t id, const char *text, size_t len)
{
	struct rg_sig_server *s = data;
	SoupWebsocketConnection *ws = g_hash_table_lookup(s->conns, &id);
	GBytes *b;

	if (ws == NULL || soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	b = g_bytes_new(text, len);
	soup_websocket_connection_send_message(ws, SOUP_WEBSOCKET_DATA_TEXT, b);
	g_bytes_unref(b);
}

static void hub_close(void *data, uint64_t id, unsigned code, const char *reason)
{
	struct rg_sig_server *s = data;
	SoupWebsocketConnection *ws = g_hash_table_lookup(s->conns, &id);
	char obj[24];

	g_snprintf(obj, sizeof(obj), "ws%" G_GUINT64_FORMAT, id);
	core_log_info("sig", obj, "closing (%u): %s", code, reason);
	if (ws != NULL && soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(ws, (gushort)code, reason);
}

/* ------------------------------------------------------------ WebSockets */

struct ws_ctx {
	struct rg_sig_server *s;
	uint64_t id;
};

static void ws_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer p)
{
	struct ws_ctx *x = p;
	gsize len;
	const char *text = g_bytes_get_data(message, &len);

	if (type != SOUP_WEBSOCKET_DATA_TEXT) {
		hub_close(x->s, x->id, SERVER_CLOSE_BINARY, "binary frames are not signaling");
		return;
	}
	rg_hub_message(x->s->hub, x->id, text != NULL ? text : "", len, g_get_monotonic_time());
}

static void server_check_shutdown(struct rg_sig_server *s);

static void ws_closed(SoupWebsocketConnection *ws, gpointer p)
{
	struct ws_ctx *x = p;
	struct rg_sig_server *s = x->s;
	char obj[24];

	g_snprintf(obj, sizeof(obj), "ws%" G_GUINT64_FORMAT, x->id);
	core_log_info("sig", obj, "closed (%u)", soup_websocket_connection_get_close_code(ws));
	rg_hub_closed(s->hub, x->id);
	g_hash_table_remove(s->idents, &x->id);
	g_hash_table_remove(s->conns, &x->id); /* drops our reference; x goes with it */
	server_check_shutdown(s);
}

static void ws_ctx_free(gpointer p, GClosure *closure)
{
	g_free(p);
}

static void ws_cb(SoupServer *soup, SoupServerMessage *msg, const char *path,
		  SoupWebsocketConnection *ws, gpointer p)
{
	struct rg_sig_server *s = p;
	/* the early handler's verdict (it refused the upgrade without one) */
	struct rg_sig_identity *id = g_object_steal_data(G_OBJECT(msg), IDENT_KEY);
	struct ws_ctx *x;
	uint64_t *key;
	char obj[24], esc[CORE_LOG_ESC_SHORT];

	if (id == NULL || s->shutdown_done != NULL) {
		identity_free(id);
		soup_websocket_connection_close(ws, SERVER_CLOSE_GOING, "not accepted");
		return;
	}
	/* revoked since the early check: a revocation's recheck did not see it yet */
	if (id->subject != NULL && s->auth.live != NULL && !s->auth.live(s->auth.data, id)) {
		core_log_info("sig", soup_server_message_get_remote_host(msg),
			      "credentials revoked during the upgrade");
		identity_free(id);
		soup_websocket_connection_close(ws, RG_HUB_CLOSE_REVOKED, "credentials revoked");
		return;
	}
	x = g_new0(struct ws_ctx, 1);
	x->s = s;
	x->id = ++s->next_id;
	key = g_new(uint64_t, 1);
	*key = x->id;
	g_hash_table_insert(s->conns, key, g_object_ref(ws));
	/* the hub refuses above RG_SIG_MAX_MESSAGE with 1009 and a reason; libsoup drops
	 * what is far beyond without one */
	soup_websocket_connection_set_max_incoming_payload_size(ws, 2 * RG_SIG_MAX_MESSAGE);
	soup_websocket_connection_set_keepalive_interval(ws, s->ping_s);
	g_signal_connect_data(ws, "message", G_CALLBACK(ws_message), x, NULL, 0);
	g_signal_connect_data(ws, "closed", G_CALLBACK(ws_closed), x, ws_ctx_free, 0);
	g_snprintf(obj, sizeof(obj), "ws%" G_GUINT64_FORMAT, x->id);
	core_log_info("sig", obj, "%s connected as %s in network %s",
		      soup_server_message_get_remote_host(msg),
		      core_log_escape(esc, sizeof(esc), id->name, strlen(id->name)), id->network);
	rg_hub_open(s->hub, x->id, id->network, id->name);
	if (id->subject != NULL && s->auth.opened != NULL)
		s->auth.opened(s->auth.data, id);
	key = g_new(uint64_t, 1);
	*key = x->id;
	g_hash_table_insert(s->idents, key, id);
}

/* The upgrade refused: the status with a JSON error, as /auth answers (reasons are ours). */
static void refuse(SoupServerMessage *msg, unsigned status, const char *reason,
		   unsigned retry_after)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	char *body = g_strdup_printf("{\"error\":\"%s\"}", reason);

	if (status == SOUP_STATUS_UNAUTHORIZED)
		soup_message_headers_replace(h, "WWW-Authenticate", "Bearer");
	if (retry_after > 0) {
		char secs[16];

		g_snprintf(secs, sizeof(secs), "%u", retry_after);
		soup_message_headers_replace(h, "Retry-After", secs);
	}
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

/*
 * Before the upgrade: no valid token, HTTP 401 (clients refresh their token
 * on it); too many wrong ones from this source, 429. The verdict waits on
 * the message for ws_cb.
 */
static void early_cb(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		     gpointer p)
{
	struct rg_sig_server *s = p;
	struct rg_sig_identity *id = NULL;
	unsigned retry_after;
	int rc;

	if (s->shutdown_done != NULL) {
		refuse(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "server shutting down", 0);
		return;
	}
	rc = server_identify(s, msg, &id, &retry_after);
	if (rc == CORE_OK)
		g_object_set_data_full(G_OBJECT(msg), IDENT_KEY, id, identity_free);
	else if (rc == CORE_ERR_AGAIN)
		refuse(msg, SERVER_TOO_MANY, "too many wrong tokens from this address; retry later",
		       retry_after);
	else
		refuse(msg, SOUP_STATUS_UNAUTHORIZED,
		       rc == CORE_ERR_NOT_FOUND ? "missing authorization"
						: "invalid or expired token",
		       0);
}

static void status_cb(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		      gpointer p)
{
	struct rg_sig_server *s = p;
	char *extra = s->auth.status != NULL ? s->auth.status(s->auth.data) : NULL;
	char *body = g_strdup_printf("{\"connections\":%u,\"version\":\"%s\"%s}",
				     rg_hub_connections(s->hub), RIFTGATE_VERSION,
				     extra != NULL ? extra : "");

	g_free(extra);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

/* ------------------------------------------------------------ lifecycle */

static int server_tls(struct rg_sig_server *s, const struct rg_sig_server_config *cfg,
		      GTlsCertificate **out, GError **error)
{
	struct core_tls_cert *gen = NULL;
	char *cert_pem = NULL, *key_pem = NULL, *pem = NULL;
	uint8_t fp[CORE_TLS_FP_LEN];
	int rc = CORE_OK;

	*out = NULL;
	/* one without the other must not fall back to plain HTTP */
	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "%s is set without %s: TLS needs both files",
			    cfg->cert_file != NULL ? "cert" : "key",
			    cfg->cert_file != NULL ? "key" : "cert");
		return CORE_ERR_CONFIG;
	}
	if (cfg->cert_file != NULL) {
		*out = g_tls_certificate_new_from_files(cfg->cert_file, cfg->key_file, error);
		return *out != NULL ? CORE_OK : CORE_ERR_CONFIG;
	}
	if (cfg->cert_pem != NULL) {
		*out = g_tls_certificate_new_from_pem(cfg->cert_pem, -1, error);
		if (*out == NULL || core_tls_gcert_fingerprint(*out, fp) != CORE_OK)
			return CORE_ERR_CONFIG;
		core_tls_fingerprint_format(fp, s->fingerprint);
		s->has_fingerprint = true;
		return CORE_OK;
	}
	if (!cfg->self_signed)
		return CORE_OK;
	rc = core_tls_cert_generate(&gen, 365 * 24 * 3600);
	if (rc == CORE_OK)
		rc = core_tls_cert_pem(gen, &cert_pem, &key_pem);
	if (rc != CORE_OK) {
		g_set_error(error, CORE_ERROR, rc, "cannot generate a certificate");
		goto out;
	}
	pem = g_strconcat(cert_pem, key_pem, NULL);
	*out = g_tls_certificate_new_from_pem(pem, -1, error);
	if (*out == NULL) {
		rc = CORE_ERR_TLS;
		goto out;
	}
	core_tls_cert_fingerprint(gen, fp);
	core_tls_fingerprint_format(fp, s->fingerprint);
	s->has_fingerprint = true;
out:
	if (key_pem != NULL)
		core_wipe(key_pem, strlen(key_pem));
	if (pem != NULL)
		core_wipe(pem, strlen(pem));
	g_free(cert_pem);
	g_free(key_pem);
	g_free(pem);
	core_tls_cert_free(gen);
	return rc;
}

/*
 * A new TCP connection: wrapped in TLS if we serve HTTPS, then handed to
 * libsoup. We accept rather than soup_server_listen_socket because
 * libsoup 3.2's listener leaks every accepted GSocket (fixed in 3.4).
 */
static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
			    gpointer data)
{
	struct rg_sig_server *s = data;
	GSocketAddress *local = g_socket_connection_get_local_address(conn, NULL);
	GSocketAddress *remote = g_socket_connection_get_remote_address(conn, NULL);
	GIOStream *stream = G_IO_STREAM(g_object_ref(conn));
	GError *e = NULL;

	if (local == NULL || remote == NULL)
		goto out;
	g_socket_set_option(g_socket_connection_get_socket(conn), IPPROTO_TCP, TCP_NODELAY, TRUE,
			    NULL);
	if (s->cert != NULL) {
		GIOStream *tls = g_tls_server_connection_new(stream, s->cert, &e);

		g_object_unref(stream);
		stream = tls;
		if (stream == NULL) {
			core_log_warn("sig", NULL, "cannot start TLS: %s", e->message);
			goto out;
		}
		g_object_set(stream, "require-close-notify", FALSE, NULL);
	}
	if (!soup_server_accept_iostream(s->soup, stream, local, remote, &e))
		core_log_warn("sig", NULL, "cannot accept a connection: %s", e->message);
out:
	g_clear_error(&e);
	g_clear_object(&stream);
	g_clear_object(&local);
	g_clear_object(&remote);
	return TRUE;
}

struct rg_sig_server *rg_sig_server_new(const struct rg_sig_server_config *cfg, GError **error)
{
	struct rg_sig_server *s = g_new0(struct rg_sig_server, 1);
	struct rg_hub_io io = { hub_send, hub_close, s };
	GTlsCertificate *cert = NULL;
	GInetAddress *ia;
	GSocketAddress *sa;
	GSocket *sock;
	bool ok;

	s->devices = g_new0(struct rg_sig_device, MAX(cfg->n_devices, 1));
	for (size_t i = 0; i < cfg->n_devices; i++) {
		s->devices[i].name = g_strdup(cfg->devices[i].name);
		s->devices[i].network = g_strdup(cfg->devices[i].network);
		s->devices[i].token = g_strdup(cfg->devices[i].token);
	}
	s->n_devices = cfg->n_devices;
	s->bearer = rg_sig_bearer_new();
	for (size_t i = 0; i < s->n_devices; i++)
		rg_sig_bearer_add(s->bearer, s->devices[i].token, &s->devices[i]);
	s->ping_s = cfg->ping_interval_s != 0 ? cfg->ping_interval_s : SERVER_PING_S;
	s->hub = rg_hub_new(&cfg->limits, &io);
	s->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_object_unref);
	s->idents = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, identity_free);
	if (cfg->auth != NULL)
		s->auth = *cfg->auth;
	if (server_tls(s, cfg, &cert, error) != CORE_OK)
		goto fail;
	s->soup = soup_server_new("server-header", "riftgate", NULL);
	s->cert = cert;
	cert = NULL;
	soup_server_add_early_handler(s->soup, "/connect", early_cb, s, NULL);
	soup_server_add_websocket_handler(s->soup, "/connect", NULL, NULL, ws_cb, s, NULL);
	soup_server_add_handler(s->soup, "/status", status_cb, s, NULL);
	if (s->auth.attach != NULL)
		s->auth.attach(s->auth.data, s->soup);
	ia = g_inet_address_new_from_string(cfg->listen != NULL ? cfg->listen : "127.0.0.1");
	if (ia == NULL) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "listen: not an IP address: %s",
			    cfg->listen);
		goto fail;
	}
	sa = g_inet_socket_address_new(ia, cfg->port);
	/* our own socket: GSocket's default backlog of 10 resets bursts of connections */
	sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM,
			    G_SOCKET_PROTOCOL_TCP, error);
	ok = sock != NULL;
	if (ok) {
		g_socket_set_listen_backlog(sock, SERVER_BACKLOG);
		s->service = g_socket_service_new();
		g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
		ok = g_socket_bind(sock, sa, TRUE, error) && g_socket_listen(sock, error) &&
		     g_socket_listener_add_socket(G_SOCKET_LISTENER(s->service), sock, NULL, error);
	}
	if (ok) {
		/* from our socket: libsoup 3.2's soup_server_get_uris leaks an address too */
		GSocketAddress *bound = g_socket_get_local_address(sock, error);
		const char *host = cfg->listen != NULL ? cfg->listen : "127.0.0.1";
		bool v6 = strchr(host, ':') != NULL;

		ok = bound != NULL;
		if (ok) {
			s->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
			g_snprintf(s->url, sizeof(s->url), "%s://%s%s%s:%u",
				   s->cert != NULL ? "https" : "http", v6 ? "[" : "", host,
				   v6 ? "]" : "", s->port);
			g_object_unref(bound);
		}
	}
	if (sock != NULL)
		g_object_unref(sock);
	g_object_unref(sa);
	g_object_unref(ia);
	if (!ok)
		goto fail;
	if (cert != NULL)
		g_object_unref(cert);
	return s;
fail:
	if (cert != NULL)
		g_object_unref(cert);
	rg_sig_server_free(s);
	return NULL;
}

uint16_t rg_sig_server_port(const struct rg_sig_server *s)
{
	return s->port;
}

const char *rg_sig_server_url(const struct rg_sig_server *s)
{
	return s->url;
}

const char *rg_sig_server_fingerprint(const struct rg_sig_server *s)
{
	return s->has_fingerprint ? s->fingerprint : NULL;
}

unsigned rg_sig_server_connections(const struct rg_sig_server *s)
{
	return g_hash_table_size(s->conns);
}

unsigned rg_sig_server_recheck(struct rg_sig_server *s, const char *subject)
{
	GHashTableIter it;
	gpointer k, v;
	GArray *gone = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	unsigned n;

	if (s->auth.live == NULL)
		goto out;
	g_hash_table_iter_init(&it, s->idents);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct rg_sig_identity *id = v;

		if (id->subject != NULL && strcmp(id->subject, subject) == 0 &&
		    !s->auth.live(s->auth.data, id))
			g_array_append_val(gone, *(uint64_t *)k);
	}
	/* the hub's close callback does not come back here: kicking while iterating is safe,
	 * but collect first all the same */
	for (guint i = 0; i < gone->len; i++)
		rg_hub_kick(s->hub, g_array_index(gone, uint64_t, i), RG_HUB_CLOSE_REVOKED,
			    "credentials revoked");
out:
	n = gone->len;
	g_array_free(gone, TRUE);
	return n;
}

static void server_check_shutdown(struct rg_sig_server *s)
{
	void (*done)(void *) = s->shutdown_done;

	if (done == NULL || g_hash_table_size(s->conns) > 0 || s->shutdown_timer == 0)
		return;
	core_source_clear(&s->shutdown_timer);
	done(s->shutdown_data);
}

static gboolean shutdown_timeout(gpointer p)
{
	struct rg_sig_server *s = p;

	s->shutdown_timer = 0;
	s->shutdown_done(s->shutdown_data);
	return G_SOURCE_REMOVE;
}

void rg_sig_server_shutdown(struct rg_sig_server *s, void (*done)(void *data), void *data)
{
	GHashTableIter it;
	gpointer v;

	s->shutdown_done = done;
	s->shutdown_data = data;
	s->shutdown_timer = g_timeout_add(SERVER_SHUTDOWN_MS, shutdown_timeout, s);
	g_hash_table_iter_init(&it, s->conns);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (soup_websocket_connection_get_state(v) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(v, SERVER_CLOSE_GOING,
							"server shutting down");
	server_check_shutdown(s);
}

void rg_sig_server_free(struct rg_sig_server *s)
{
	GHashTableIter it;
	gpointer v;

	if (s == NULL)
		return;
	core_source_clear(&s->shutdown_timer);
	if (s->idents != NULL)
		g_hash_table_unref(s->idents);
	if (s->conns != NULL) {
		g_hash_table_iter_init(&it, s->conns);
		while (g_hash_table_iter_next(&it, NULL, &v))
			g_signal_handlers_disconnect_matched(v, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
							     (gpointer)ws_closed, NULL);
		g_hash_table_unref(s->conns);
	}
	if (s->service != NULL) {
		g_socket_service_stop(s->service);
		g_socket_listener_close(G_SOCKET_LISTENER(s->service));
		g_object_unref(s->service);
	}
	if (s->soup != NULL) {
		soup_server_disconnect(s->soup);
		g_object_unref(s->soup);
	}
	g_clear_object(&s->cert);
	rg_hub_free(s->hub);
	rg_sig_bearer_free(s->bearer);
	for (size_t i = 0; i < s->n_devices; i++) {
		g_free(s->devices[i].name);
		g_free(s->devices[i].network);
		core_wipe(s->devices[i].token, strlen(s->devices[i].token));
		g_free(s->devices[i].token);
	}
	g_free(s->devices);
	g_free(s);
}

/* ------------------------------------------------------------ config */

/* Room for a value quoted in an error message (longer ones end "..."). */
#define CONFIG_QUOTE_MAX 128

/* [server] listen must be an IP address (a name would be resolved nowhere). */
static int check_listen(const struct core_config *c, const char *path, const char *listen,
			GError **error)
{
	GInetAddress *ia = g_inet_address_new_from_string(listen);
	char quoted[CONFIG_QUOTE_MAX];

	if (ia != NULL) {
		g_object_unref(ia);
		return CORE_OK;
	}
	g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
		    "%s:%u: [server] listen: expected an IPv4 or IPv6 address, got \"%s\"", path,
		    core_config_line(c, "server", "listen"),
		    core_log_escape(quoted, sizeof(quoted), listen, strlen(listen)));
	return CORE_ERR_CONFIG;
}

/*
 * Every device names its network: a device that silently joined a network
 * called "default" could meet devices it was never meant to.
 */
static int check_network(const struct core_config *c, const char *path, const char *group,
			 const char *network, GError **error)
{
	if (network == NULL) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s:%u: [%s] network is required",
			    path, core_config_line(c, group, NULL), group);
		return CORE_ERR_CONFIG;
	}
	if (network[0] == '\0') {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "%s:%u: [%s] network: expected a name, got \"\"", path,
			    core_config_line(c, group, "network"), group);
		return CORE_ERR_CONFIG;
	}
	return CORE_OK;
}

int rg_sig_server_config_load(const char *path, struct rg_sig_server_config *cfg, GError **error)
{
	/* url, [store] and [ice] are the accounts' (server/conf.h) */
	static const char *const server_keys[] = { "listen",	  "port", "cert", "key",
						   "self-signed", "url",  NULL };
	static const char *const device_keys[] = { "network", "token", NULL };
	struct core_config *c = NULL;
	char **groups = NULL, *listen = NULL, *cert = NULL, *key = NULL;
	GArray *devs = g_array_new(FALSE, TRUE, sizeof(struct rg_sig_device));
	bool self_signed = false;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = core_config_load(&c, path, CORE_CONFIG_DEFAULT, error);
	if (rc == CORE_OK)
		rc = core_config_check_keys(c, "server", server_keys, error);
	if (rc == CORE_OK)
		rc = core_config_get_string(c, "server", "listen", "127.0.0.1", &listen, error);
	if (rc == CORE_OK)
		rc = check_listen(c, path, listen, error);
	if (rc == CORE_OK)
		rc = core_config_get_port(c, "server", "port", 8443, &cfg->port, error);
	if (rc == CORE_OK)
		rc = core_config_get_string(c, "server", "cert", NULL, &cert, error);
	if (rc == CORE_OK)
		rc = core_config_get_string(c, "server", "key", NULL, &key, error);
	if (rc == CORE_OK)
		rc = core_config_get_bool(c, "server", "self-signed", false, &self_signed, error);
	if (rc == CORE_OK && (cert == NULL) != (key == NULL)) {
		const char *set = cert != NULL ? "cert" : "key";

		rc = CORE_ERR_CONFIG;
		g_set_error(error, CORE_ERROR, rc,
			    "%s:%u: [server] %s is set without %s: TLS needs both files", path,
			    core_config_line(c, "server", set), set, cert != NULL ? "key" : "cert");
	}
	if (rc != CORE_OK)
		goto out;
	groups = core_config_groups(c);
	for (char **g = groups; *g != NULL && rc == CORE_OK; g++) {
		struct rg_sig_device d = { 0 };

		if (strcmp(*g, "server") == 0 || strcmp(*g, "store") == 0 || strcmp(*g, "ice") == 0)
			continue;
		if (!g_str_has_prefix(*g, "device.") || (*g)[7] == '\0') {
			rc = CORE_ERR_CONFIG;
			g_set_error(error, CORE_ERROR, rc, "%s:%u: unknown group [%s]", path,
				    core_config_line(c, *g, NULL), *g);
			break;
		}
		d.name = g_strdup(*g + 7);
		rc = core_config_check_keys(c, *g, device_keys, error);
		if (rc == CORE_OK)
			rc = core_config_get_string(c, *g, "network", NULL, &d.network, error);
		if (rc == CORE_OK)
			rc = check_network(c, path, *g, d.network, error);
		if (rc == CORE_OK)
			rc = core_config_get_string(c, *g, "token", NULL, &d.token, error);
		if (rc == CORE_OK && (d.token == NULL || strlen(d.token) < 16)) {
			rc = CORE_ERR_CONFIG;
			g_set_error(error, CORE_ERROR, rc,
				    "%s:%u: [%s] token: at least 16 characters are required", path,
				    core_config_line(c, *g, NULL), *g);
		}
		for (guint i = 0; rc == CORE_OK && i < devs->len; i++) {
			if (g_strcmp0(g_array_index(devs, struct rg_sig_device, i).token,
				      d.token) == 0) {
				rc = CORE_ERR_CONFIG;
				g_set_error(error, CORE_ERROR, rc,
					    "%s:%u: [%s] token: the same as [device.%s]'s", path,
					    core_config_line(c, *g, "token"), *g,
					    g_array_index(devs, struct rg_sig_device, i).name);
			}
		}
		g_array_append_val(devs, d);
	}
out:
	cfg->listen = listen;
	cfg->cert_file = cert;
	cfg->key_file = key;
	cfg->self_signed = self_signed;
	cfg->n_devices = devs->len;
	cfg->devices = (struct rg_sig_device *)(void *)g_array_free(devs, FALSE);
	g_strfreev(groups);
	core_config_free(c);
	if (rc != CORE_OK)
		rg_sig_server_config_clear(cfg);
	return rc;
}

void rg_sig_server_config_clear(struct rg_sig_server_config *cfg)
{
	struct rg_sig_device *d = (struct rg_sig_device *)cfg->devices;

	for (size_t i = 0; i < cfg->n_devices; i++) {
		g_free(d[i].name);
		g_free(d[i].network);
		if (d[i].token != NULL)
			core_wipe(d[i].token, strlen(d[i].token));
		g_free(d[i].token);
	}
	g_free(d);
	g_free((char *)cfg->listen);
	g_free((char *)cfg->cert_file);
	g_free((char *)cfg->key_file);
	memset(cfg, 0, sizeof(*cfg));
}
