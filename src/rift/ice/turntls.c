/*
 * turntls.c - TLS connections to a TURN server for the bridge (contract in
 * turntls.h): connect (directly: no proxy resolver is asked), handshake,
 * then check the pin if there is one.
 *
 * Without a pin, glib-networking's own verification decides (system CAs,
 * server identity) and "accept-certificate" only records why it refused,
 * for the error. With a pin, "accept-certificate" lets every certificate
 * through the handshake and the pin is checked after it, before a byte of
 * TURN is sent: a certificate the CAs vouch for raises no signal, so only
 * a check after the handshake sees every certificate.
 */
#include "rift/ice/turntls.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "core/tls.h"

struct server {
	GSocketAddress *addr;
	GSocketConnectable *identity; /* the name and port; NULL: no name */
	char *name;
	bool pinned;
	uint8_t pin[CORE_TLS_FP_LEN];
	GTlsDatabase *database; /* NULL: the system's */
};

/* One open in progress: the GTask's data. */
struct attempt {
	struct server *s;
	GTlsConnection *tls;
	GTlsCertificateFlags refused; /* why the certificate was refused; 0: it was not */
};

static const struct {
	GTlsCertificateFlags flag;
	const char *text;
} cert_problems[] = {
	{ G_TLS_CERTIFICATE_UNKNOWN_CA, "not signed by a trusted CA" },
	{ G_TLS_CERTIFICATE_BAD_IDENTITY, "not valid for " }, /* the name follows */
	{ G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
	{ G_TLS_CERTIFICATE_EXPIRED, "expired" },
	{ G_TLS_CERTIFICATE_REVOKED, "revoked" },
	{ G_TLS_CERTIFICATE_INSECURE, "made with an insecure algorithm" },
	{ G_TLS_CERTIFICATE_GENERIC_ERROR, "not valid" },
};

/* The opener's context (ctx_free). */
static void server_free(void *p)
{
	struct server *s = p;

	g_object_unref(s->addr);
	g_clear_object(&s->identity);
	g_clear_object(&s->database);
	g_free(s->name);
	g_free(s);
}

/* The GTask's data; a connection handed over holds its own reference, without our handler. */
static void attempt_free(void *p)
{
	struct attempt *a = p;

	if (a->tls != NULL) {
		g_signal_handlers_disconnect_by_data(a->tls, a);
		g_object_unref(a->tls);
	}
	g_free(a);
}

/* "TLS certificate refused: not signed by a trusted CA, not valid for turn.example.com" */
static void return_refused(GTask *task, struct attempt *a)
{
	GString *why = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(cert_problems); i++) {
		if (!(a->refused & cert_problems[i].flag))
			continue;
		g_string_append_printf(why, "%s%s", why->len > 0 ? ", " : "",
				       cert_problems[i].text);
		if (cert_problems[i].flag == G_TLS_CERTIFICATE_BAD_IDENTITY)
			g_string_append(why, a->s->name);
	}
	g_task_return_new_error(task, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
				"TLS certificate refused: %s", why->str);
	g_string_free(why, TRUE);
}

/* The peer's certificate is the pinned one; else the error says whose it is. */
static bool pin_holds(struct attempt *a, GError **error)
{
	GTlsCertificate *cert = g_tls_connection_get_peer_certificate(a->tls);
	uint8_t fp[CORE_TLS_FP_LEN];
	char text[CORE_TLS_FP_STRLEN];

	if (cert == NULL || core_tls_gcert_fingerprint(cert, fp) != CORE_OK) {
		g_set_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
			    "TLS certificate refused: the server showed none that can be read");
		return false;
	}
	if (core_tls_fingerprint_equal(fp, a->s->pin))
		return true;
	g_set_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
		    "TLS certificate refused: not the pinned one (its SHA-256 is %s)",
		    core_tls_fingerprint_format(fp, text));
	return false;
}

/* The handshake is over: check the pin, or say why the certificate was refused. */
static void on_handshake(GObject *tls, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	struct attempt *a = g_task_get_task_data(task);
	GError *e = NULL;

	if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), res, &e)) {
		if (a->refused != 0 && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_clear_error(&e);
			return_refused(task, a);
		} else {
			g_prefix_error(&e, "TLS handshake failed: ");
			g_task_return_error(task, e);
		}
	} else if (a->s->pinned && !pin_holds(a, &e)) {
		g_task_return_error(task, e);
	} else {
		g_task_return_pointer(task, g_object_ref(a->tls), g_object_unref);
	}
	g_object_unref(task);
}

/* glib-networking doubts the certificate: a pin overrules it, else note why and refuse. */
static gboolean on_accept_certificate(GTlsConnection *tls, GTlsCertificate *cert,
				      GTlsCertificateFlags errors, gpointer data)
{
	struct attempt *a = data;

	if (a->s->pinned)
		return TRUE; /* the pin decides, after the handshake */
	a->refused = errors;
	return FALSE;
}

/* TCP is up: start TLS over it, for the name (SNI) if there is one. */
static void on_connected(GObject *client, GAsyncResult *res, gpointer data)
{
	static const char *const alpn[] = { "stun.turn", NULL };
	GTask *task = data;
	struct attempt *a = g_task_get_task_data(task);
	GError *e = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(client), res, &e);
	GIOStream *tls;

	if (conn == NULL) {
		g_prefix_error(&e, "cannot connect: ");
		g_task_return_error(task, e);
		g_object_unref(task);
		return;
	}
	g_socket_set_option(g_socket_connection_get_socket(conn), IPPROTO_TCP, TCP_NODELAY, 1,
			    NULL);
	tls = g_tls_client_connection_new(G_IO_STREAM(conn), a->s->identity, &e);
	g_object_unref(conn);
	if (tls == NULL) {
		g_prefix_error(&e, "no TLS: ");
		g_task_return_error(task, e);
		g_object_unref(task);
		return;
	}
	a->tls = G_TLS_CONNECTION(tls);
	if (a->s->database != NULL)
		g_tls_connection_set_database(a->tls, a->s->database);
	g_tls_connection_set_advertised_protocols(a->tls, alpn);
	g_signal_connect(a->tls, "accept-certificate", G_CALLBACK(on_accept_certificate), a);
	g_main_context_push_thread_default(g_task_get_context(task));
	g_tls_connection_handshake_async(a->tls, G_PRIORITY_DEFAULT, g_task_get_cancellable(task),
					 on_handshake, task);
	g_main_context_pop_thread_default(g_task_get_context(task));
}

/* open_async: connect, then TLS (on_connected, on_handshake). */
static void tls_open_async(void *ctx, GCancellable *cancel, GAsyncReadyCallback done, gpointer data)
{
	struct server *s = ctx;
	GTask *task = g_task_new(NULL, cancel, done, data);
	struct attempt *a = g_new0(struct attempt, 1);
	GSocketClient *client = g_socket_client_new();

	a->s = s;
	g_task_set_task_data(task, a, attempt_free);
	g_socket_client_set_enable_proxy(client, FALSE);
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(s->addr), cancel, on_connected,
				      task);
	g_object_unref(client);
}

/* open_finish: the TLS connection, or why there is none. */
static GIOStream *tls_open_finish(void *ctx, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

int rg_turn_tls_opener(struct rg_turn_bridge_opener *out, const struct rg_turn_tls_server *s,
		       GError **error)
{
	GInetAddress *ip = s->host != NULL ? g_inet_address_new_from_string(s->host) : NULL;
	struct server *srv;

	memset(out, 0, sizeof(*out));
	if (ip == NULL || s->port == 0 || (s->name == NULL && s->pin == NULL)) {
		core_err_to_gerror(error, CORE_ERR_CONFIG,
				   ip == NULL	  ? "TURN server \"%s\": not a numeric address"
				   : s->port == 0 ? "TURN server %s: no port"
						  : "TURN server %s over TLS: neither a name nor "
						    "a pin to verify it by",
				   s->host != NULL ? s->host : "(none)");
		g_clear_object(&ip);
		return CORE_ERR_CONFIG;
	}
	srv = g_new0(struct server, 1);
	srv->addr = g_inet_socket_address_new(ip, s->port);
	g_object_unref(ip);
	srv->name = g_strdup(s->name != NULL ? s->name : s->host);
	if (s->name != NULL)
		srv->identity = g_network_address_new(s->name, s->port);
	srv->pinned = s->pin != NULL;
	if (srv->pinned)
		memcpy(srv->pin, s->pin, CORE_TLS_FP_LEN);
	srv->database = s->database != NULL ? g_object_ref(s->database) : NULL;
	*out = (struct rg_turn_bridge_opener){ tls_open_async, tls_open_finish, srv, server_free };
	return CORE_OK;
}
