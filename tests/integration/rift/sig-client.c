/*
 * sig-client URL TOKEN [PIN]: a bare signaling client for tests, used to
 * play a rogue device (tests/lab/rift-agent.sh). It connects to URL/connect
 * with the bearer TOKEN (pinning the server certificate's SHA-256 when
 * given), then sends each line of stdin as one text frame, except:
 *
 *   #sleep MS     wait MS milliseconds
 *   #big N        a text frame of N bytes ('a')
 *   #binary       a binary frame of 4 bytes
 *
 * It prints every frame it receives as "< TEXT" and, when the server closes
 * the connection, "closed CODE REASON". It exits 0 once stdin ended and 500
 * ms passed with the connection still open, 2 after a close, 1 when it
 * could not connect.
 */
#include <gio/gunixinputstream.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls.h"

struct run {
	GMainLoop *loop;
	SoupWebsocketConnection *ws;
	GDataInputStream *in;
	const char *pin;
	int rc;
};

static void read_next(struct run *r);

static gboolean later(gpointer data)
{
	read_next(data);
	return G_SOURCE_REMOVE;
}

static gboolean quit(gpointer data)
{
	struct run *r = data;

	g_main_loop_quit(r->loop);
	return G_SOURCE_REMOVE;
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
	struct run *r = data;
	char *line = g_data_input_stream_read_line_finish(r->in, res, NULL, NULL);

	if (line == NULL) {
		g_timeout_add(500, quit, r);
		return;
	}
	if (soup_websocket_connection_get_state(r->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
		g_free(line);
		return;
	}
	if (g_str_has_prefix(line, "#sleep ")) {
		g_timeout_add((guint)atoi(line + 7), later, r);
		g_free(line);
		return;
	}
	if (g_str_has_prefix(line, "#big ")) {
		size_t n = (size_t)atol(line + 5);
		char *big = g_malloc(n + 1);

		memset(big, 'a', n);
		big[n] = '\0';
		soup_websocket_connection_send_text(r->ws, big);
		g_free(big);
	} else if (strcmp(line, "#binary") == 0) {
		soup_websocket_connection_send_binary(r->ws, "\x01\x02\x03\x04", 4);
	} else {
		soup_websocket_connection_send_text(r->ws, line);
	}
	g_free(line);
	read_next(r);
}

static void read_next(struct run *r)
{
	g_data_input_stream_read_line_async(r->in, G_PRIORITY_DEFAULT, NULL, on_line, r);
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *b, gpointer data)
{
	gsize n;
	const char *text = g_bytes_get_data(b, &n);

	printf("< %.*s\n", (int)n, text != NULL ? text : "");
	fflush(stdout);
}

static void on_closed(SoupWebsocketConnection *ws, gpointer data)
{
	struct run *r = data;
	const char *why = soup_websocket_connection_get_close_data(ws);

	printf("closed %u %s\n", soup_websocket_connection_get_close_code(ws),
	       why != NULL ? why : "");
	fflush(stdout);
	r->rc = 2;
	g_main_loop_quit(r->loop);
}

static gboolean accept_cert(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errs,
			    gpointer data)
{
	struct run *r = data;
	uint8_t fp[CORE_TLS_FP_LEN], want[CORE_TLS_FP_LEN];

	return r->pin != NULL && core_tls_fingerprint_parse(r->pin, want) == 0 &&
	       core_tls_gcert_fingerprint(cert, fp) == 0 && core_tls_fingerprint_equal(fp, want);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct run *r = data;
	GError *e = NULL;
	GInputStream *stdin_stream;

	r->ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &e);
	if (r->ws == NULL) {
		fprintf(stderr, "sig-client: %s\n", e->message);
		g_error_free(e);
		r->rc = 1;
		g_main_loop_quit(r->loop);
		return;
	}
	soup_websocket_connection_set_max_incoming_payload_size(r->ws, 1 << 20);
	g_signal_connect(r->ws, "message", G_CALLBACK(on_message), r);
	g_signal_connect(r->ws, "closed", G_CALLBACK(on_closed), r);
	stdin_stream = g_unix_input_stream_new(0, FALSE);
	r->in = g_data_input_stream_new(stdin_stream);
	g_object_unref(stdin_stream);
	read_next(r);
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	SoupSession *s;
	SoupMessage *msg;
	char *url, *auth;

	if (argc < 3) {
		fprintf(stderr, "usage: sig-client URL TOKEN [PIN]\n");
		return 1;
	}
	r.pin = argc > 3 ? argv[3] : NULL;
	r.loop = g_main_loop_new(NULL, FALSE);
	s = soup_session_new();
	url = g_strconcat(argv[1], "/connect", NULL);
	msg = soup_message_new("GET", url);
	auth = g_strconcat("Bearer ", argv[2], NULL);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
	g_signal_connect(msg, "accept-certificate", G_CALLBACK(accept_cert), &r);
	soup_session_websocket_connect_async(s, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
					     on_connected, &r);
	g_main_loop_run(r.loop);
	if (r.ws != NULL && soup_websocket_connection_get_state(r.ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(r.ws, 1000, NULL);
	g_clear_object(&r.ws);
	g_clear_object(&r.in);
	g_object_unref(msg);
	g_object_unref(s);
	g_free(url);
	g_free(auth);
	g_main_loop_unref(r.loop);
	return r.rc;
}
