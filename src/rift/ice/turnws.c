/*
 * turnws.c - WebSocket connections to a TURN server for the bridge
 * (contract in turnws.h). The stream handed to the bridge is a GIOStream of
 * our own whose halves implement the asynchronous calls the bridge makes
 * (read_async, write_async, close_async) on the loop, without GIO's worker
 * threads: libsoup must only be touched from its context.
 */
#include "rift/ice/turnws.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/err.h"
#include "core/tls.h"

#define STUN_HEADER 20

struct server {
	char *url;
	gboolean pinned;
	uint8_t pin[CORE_TLS_FP_LEN];
	char *(*token)(void *data);
	void *token_data;
	SoupSession *session; /* made at the first open, on its context */
};

/* ------------------------------------------------------------ the stream */

typedef struct _RgWsStream RgWsStream;

typedef struct {
	GInputStream parent;
	RgWsStream *owner; /* not a reference: the owner holds ours */
} RgWsIn;
typedef struct {
	GInputStreamClass parent_class;
} RgWsInClass;

typedef struct {
	GOutputStream parent;
	RgWsStream *owner;
} RgWsOut;
typedef struct {
	GOutputStreamClass parent_class;
} RgWsOutClass;

struct _RgWsStream {
	GIOStream parent;
	SoupWebsocketConnection *ws;
	RgWsIn *in;
	RgWsOut *out;
	GByteArray *rx; /* received frames, TCP framing, not yet read */
	GByteArray *tx; /* written bytes not yet a whole frame */
	GTask *reader;	/* a read waiting for data */
	void *rbuf;
	gsize rcount;
	gboolean eof;
	gulong msg_id, closed_id;
};
typedef struct {
	GIOStreamClass parent_class;
} RgWsStreamClass;

static GType rg_ws_in_get_type(void);
static GType rg_ws_out_get_type(void);
static GType rg_ws_stream_get_type(void);
G_DEFINE_TYPE(RgWsIn, rg_ws_in, G_TYPE_INPUT_STREAM)
G_DEFINE_TYPE(RgWsOut, rg_ws_out, G_TYPE_OUTPUT_STREAM)
G_DEFINE_TYPE(RgWsStream, rg_ws_stream, G_TYPE_IO_STREAM)

/* Move up to count received bytes to buf. */
static gsize take(RgWsStream *s, void *buf, gsize count)
{
	gsize n = MIN(count, s->rx->len);

	memcpy(buf, s->rx->data, n);
	g_byte_array_remove_range(s->rx, 0, (guint)n);
	return n;
}

/* A waiting read gets what there is now (or the end). */
static void feed_reader(RgWsStream *s)
{
	GTask *t = s->reader;

	if (t == NULL || (s->rx->len == 0 && !s->eof))
		return;
	s->reader = NULL;
	g_task_return_int(t, (gssize)take(s, s->rbuf, s->rcount));
	g_object_unref(t);
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer p)
{
	RgWsStream *s = p;
	gsize len;
	const uint8_t *b = g_bytes_get_data(message, &len);
	static const uint8_t zeros[3];

	if (type != SOUP_WEBSOCKET_DATA_BINARY || len == 0)
		return;
	if (s->rx->len + len + 3 > RG_TURN_WS_MAX_QUEUED)
		return; /* libnice is not reading: drop the datagram whole */
	g_byte_array_append(s->rx, b, (guint)len);
	/* ChannelData on a stream is padded to 4 bytes (RFC 5766 §11.5) */
	if (b[0] >= 0x40 && b[0] <= 0x7f && len % 4 != 0)
		g_byte_array_append(s->rx, zeros, (guint)(4 - len % 4));
	feed_reader(s);
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer p)
{
	RgWsStream *s = p;

	s->eof = TRUE;
	feed_reader(s);
}

/* The length of the frame at the start of b (0: not all there yet), or -1: not TURN. */
static gssize frame_len(const uint8_t *b, gsize n)
{
	gsize len;

	if (n < 4)
		return 0;
	if (b[0] >= 0x40 && b[0] <= 0x7f) {
		len = 4 + (((gsize)b[2] << 8) | b[3]);
		len = (len + 3) & ~(gsize)3;
	} else if ((b[0] & 0xc0) == 0) {
		len = STUN_HEADER + (((gsize)b[2] << 8) | b[3]);
	} else {
		return -1;
	}
	return n >= len ? (gssize)len : 0;
}

static void in_read_async(GInputStream *stream, void *buffer, gsize count, int io_priority,
			  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer data)
{
	RgWsStream *s = ((RgWsIn *)stream)->owner;
	GTask *t = g_task_new(stream, cancellable, callback, data);
	GError *e = NULL;

	if (g_cancellable_set_error_if_cancelled(cancellable, &e)) {
		g_task_return_error(t, e);
		g_object_unref(t);
		return;
	}
	if (s == NULL || s->reader != NULL) {
		g_task_return_new_error(t, G_IO_ERROR, G_IO_ERROR_PENDING, "a read is pending");
		g_object_unref(t);
		return;
	}
	s->reader = t;
	s->rbuf = buffer;
	s->rcount = count;
	feed_reader(s);
}

static gssize in_read_finish(GInputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_int(G_TASK(result), error);
}

/* Synchronous reads are not for this stream (the bridge reads asynchronously). */
static gssize in_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
		      GError **error)
{
	RgWsStream *s = ((RgWsIn *)stream)->owner;

	if (s != NULL && (s->rx->len > 0 || s->eof))
		return (gssize)take(s, buffer, count);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "no data yet");
	return -1;
}

/* No close_fn in either half: GIO's close then does nothing and succeeds, which
 * is all they need (the stream's close ends the WebSocket). */
static void rg_ws_in_class_init(RgWsInClass *k)
{
	GInputStreamClass *c = G_INPUT_STREAM_CLASS(k);

	c->read_fn = in_read;
	c->read_async = in_read_async;
	c->read_finish = in_read_finish;
}

static void rg_ws_in_init(RgWsIn *self)
{
}

/* Cut whole frames off s->tx and send each as one binary message. */
static int send_frames(RgWsStream *s, GError **error)
{
	gssize len;

	while ((len = frame_len(s->tx->data, s->tx->len)) > 0) {
		soup_websocket_connection_send_binary(s->ws, s->tx->data, (gsize)len);
		g_byte_array_remove_range(s->tx, 0, (guint)len);
	}
	if (len < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not TURN: a frame starts with 0x%02x", s->tx->data[0]);
		return CORE_ERR_BAD_FORMAT;
	}
	return CORE_OK;
}

static gssize out_write(GOutputStream *stream, const void *buffer, gsize count,
			GCancellable *cancellable, GError **error)
{
	RgWsStream *s = ((RgWsOut *)stream)->owner;

	if (s == NULL || s->eof ||
	    soup_websocket_connection_get_state(s->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "the WebSocket is closed");
		return -1;
	}
	g_byte_array_append(s->tx, buffer, (guint)count);
	if (send_frames(s, error) != CORE_OK)
		return -1;
	return (gssize)count;
}

static void out_write_async(GOutputStream *stream, const void *buffer, gsize count, int io_priority,
			    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer data)
{
	GTask *t = g_task_new(stream, cancellable, callback, data);
	GError *e = NULL;
	gssize n = g_cancellable_set_error_if_cancelled(cancellable, &e)
			   ? -1
			   : out_write(stream, buffer, count, cancellable, &e);

	if (n < 0)
		g_task_return_error(t, e);
	else
		g_task_return_int(t, n);
	g_object_unref(t);
}

static gssize out_write_finish(GOutputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_int(G_TASK(result), error);
}

static void rg_ws_out_class_init(RgWsOutClass *k)
{
	GOutputStreamClass *c = G_OUTPUT_STREAM_CLASS(k);

	c->write_fn = out_write;
	c->write_async = out_write_async;
	c->write_finish = out_write_finish;
}

static void rg_ws_out_init(RgWsOut *self)
{
}

static GInputStream *stream_input(GIOStream *io)
{
	return G_INPUT_STREAM(((RgWsStream *)io)->in);
}

static GOutputStream *stream_output(GIOStream *io)
{
	return G_OUTPUT_STREAM(((RgWsStream *)io)->out);
}

/* Close the WebSocket (its closing handshake goes on by itself); a waiting read ends. */
static gboolean stream_close(GIOStream *io, GCancellable *cancellable, GError **error)
{
	RgWsStream *s = (RgWsStream *)io;

	if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(s->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	s->eof = TRUE;
	feed_reader(s);
	return TRUE;
}

/* GIO's default runs close in a worker thread: this one stays on the loop. */
static void stream_close_async(GIOStream *io, int io_priority, GCancellable *cancellable,
			       GAsyncReadyCallback callback, gpointer data)
{
	GTask *t = g_task_new(io, cancellable, callback, data);

	g_input_stream_close(G_INPUT_STREAM(((RgWsStream *)io)->in), NULL, NULL);
	g_output_stream_close(G_OUTPUT_STREAM(((RgWsStream *)io)->out), NULL, NULL);
	stream_close(io, NULL, NULL);
	g_task_return_boolean(t, TRUE);
	g_object_unref(t);
}

static gboolean stream_close_finish(GIOStream *io, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void stream_finalize(GObject *o)
{
	RgWsStream *s = (RgWsStream *)o;

	if (s->reader != NULL) {
		g_task_return_new_error(s->reader, G_IO_ERROR, G_IO_ERROR_CLOSED, "closed");
		g_object_unref(s->reader);
	}
	g_signal_handler_disconnect(s->ws, s->msg_id);
	g_signal_handler_disconnect(s->ws, s->closed_id);
	if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(s->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	g_object_unref(s->ws);
	s->in->owner = NULL;
	s->out->owner = NULL;
	g_object_unref(s->in);
	g_object_unref(s->out);
	g_byte_array_unref(s->rx);
	g_byte_array_unref(s->tx);
	G_OBJECT_CLASS(rg_ws_stream_parent_class)->finalize(o);
}

static void rg_ws_stream_class_init(RgWsStreamClass *k)
{
	GIOStreamClass *c = G_IO_STREAM_CLASS(k);

	G_OBJECT_CLASS(k)->finalize = stream_finalize;
	c->get_input_stream = stream_input;
	c->get_output_stream = stream_output;
	c->close_fn = stream_close;
	c->close_async = stream_close_async;
	c->close_finish = stream_close_finish;
}

static void rg_ws_stream_init(RgWsStream *self)
{
}

static GIOStream *stream_new(SoupWebsocketConnection *ws)
{
	RgWsStream *s = g_object_new(rg_ws_stream_get_type(), NULL);

	s->ws = g_object_ref(ws);
	s->in = g_object_new(rg_ws_in_get_type(), NULL);
	s->out = g_object_new(rg_ws_out_get_type(), NULL);
	s->in->owner = s->out->owner = s;
	s->rx = g_byte_array_new();
	s->tx = g_byte_array_new();
	/* each frame is at most 64 KiB plus a header */
	soup_websocket_connection_set_max_incoming_payload_size(ws, 65536 + 64);
	s->msg_id = g_signal_connect(ws, "message", G_CALLBACK(on_message), s);
	s->closed_id = g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), s);
	return G_IO_STREAM(s);
}

/* ------------------------------------------------------------ the opener */

static gboolean pin_matches(struct server *srv, GTlsCertificate *cert)
{
	uint8_t fp[CORE_TLS_FP_LEN];

	return cert != NULL && core_tls_gcert_fingerprint(cert, fp) == CORE_OK &&
	       core_tls_fingerprint_equal(fp, srv->pin);
}

static gboolean on_accept_certificate(SoupMessage *msg, GTlsCertificate *cert,
				      GTlsCertificateFlags errors, gpointer p)
{
	return ((struct server *)p)->pinned && pin_matches(p, cert);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	GTask *t = p;
	struct server *srv = g_task_get_task_data(t);
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(src), res);
	GError *e = NULL;
	SoupWebsocketConnection *ws =
		soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &e);

	if (ws == NULL) {
		unsigned status = msg != NULL ? soup_message_get_status(msg) : 0;

		if (status >= 300 && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_task_return_new_error(t, CORE_ERROR, CORE_ERR_AUTH, "HTTP %u from %s",
						status, srv->url);
			g_error_free(e);
		} else {
			g_task_return_error(t, e);
		}
	} else if (srv->pinned && g_str_has_prefix(srv->url, "wss:") &&
		   !pin_matches(srv, soup_message_get_tls_peer_certificate(msg))) {
		/* a certificate the CAs vouch for raises no signal: check it here too */
		soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
		g_task_return_new_error(t, CORE_ERROR, CORE_ERR_AUTH,
					"not the pinned certificate: %s", srv->url);
	} else {
		g_task_return_pointer(t, stream_new(ws), g_object_unref);
	}
	g_clear_object(&ws);
	g_object_unref(t);
}

static void ws_open_async(void *ctx, GCancellable *cancel, GAsyncReadyCallback done, gpointer data)
{
	struct server *srv = ctx;
	GTask *t = g_task_new(NULL, cancel, done, data);
	SoupMessage *msg = soup_message_new("GET", srv->url);
	char *token = srv->token != NULL ? srv->token(srv->token_data) : NULL;

	g_task_set_task_data(t, srv, NULL);
	if (srv->session == NULL)
		srv->session = soup_session_new_with_options("timeout", 10, "idle-timeout", 0,
							     "user-agent", "riftgate", NULL);
	if (token != NULL) {
		char *h = g_strdup_printf("Bearer %s", token);

		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     h);
		g_free(h);
		g_free(token);
	}
	g_signal_connect(msg, "accept-certificate", G_CALLBACK(on_accept_certificate), srv);
	soup_session_websocket_connect_async(srv->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
					     cancel, on_connected, t);
	g_object_unref(msg);
}

static GIOStream *ws_open_finish(void *ctx, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void server_free(void *p)
{
	struct server *srv = p;

	if (srv->session != NULL) {
		soup_session_abort(srv->session);
		g_object_unref(srv->session);
	}
	g_free(srv->url);
	g_free(srv);
}

int rg_turn_ws_opener(struct rg_turn_bridge_opener *out, const struct rg_turn_ws_server *s,
		      GError **error)
{
	GUri *u = s->url != NULL ? g_uri_parse(s->url, G_URI_FLAGS_NONE, NULL) : NULL;
	struct server *srv;
	gboolean ok =
		u != NULL && g_uri_get_host(u) != NULL && g_uri_get_host(u)[0] != '\0' &&
		(strcmp(g_uri_get_scheme(u), "ws") == 0 || strcmp(g_uri_get_scheme(u), "wss") == 0);

	if (u != NULL)
		g_uri_unref(u);
	memset(out, 0, sizeof(*out));
	if (!ok) {
		core_err_to_gerror(error, CORE_ERR_CONFIG,
				   "TURN over WebSocket: not a ws:// or "
				   "wss:// URL: \"%s\"",
				   s->url != NULL ? s->url : "");
		return CORE_ERR_CONFIG;
	}
	srv = g_new0(struct server, 1);
	srv->url = g_strdup(s->url);
	srv->token = s->token;
	srv->token_data = s->token_data;
	if (s->pin != NULL) {
		srv->pinned = TRUE;
		memcpy(srv->pin, s->pin, CORE_TLS_FP_LEN);
	}
	*out = (struct rg_turn_bridge_opener){ ws_open_async, ws_open_finish, srv, server_free };
	return CORE_OK;
}
