/*
 * sig-load URL CLIENTS NETWORKS OFFERS: open CLIENTS WebSockets to a
 * riftgate signaling server (device i: token "bench-token-<i>-0123456789",
 * name "d<i>", network "n<i % NETWORKS>", as bench/sig-server.sh writes the
 * config), join them all, then relay OFFERS offers between random pairs of
 * one network, one every millisecond, each carrying its send time: prints
 * the set-up time and the relay latency's p50 and p99.
 *
 * A benchmark tool, not a test. Runs on one main loop (libsoup).
 */
#include <libsoup/soup.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define KEY	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define IN_FLIGHT 128 /* connection attempts at once */

struct client {
	unsigned i;
	SoupMessage *msg;
	SoupWebsocketConnection *ws;
	bool joined;
};

static struct client *clients;
static unsigned n_clients, n_networks, next_connect, in_flight, joined, failed;
static const char *url;
static SoupSession *session;
static GArray *lat_us;

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *b, gpointer p)
{
	struct client *c = p;
	gsize n;
	const char *text = g_bytes_get_data(b, &n);
	const char *t;

	if (!c->joined && n > 16 && strncmp(text, "{\"type\":\"peers\"", 15) == 0) {
		c->joined = true;
		joined++;
		return;
	}
	t = g_strstr_len(text, (gssize)n, "\"sdp\":\"t=");
	if (t != NULL) {
		gint64 sent = g_ascii_strtoll(t + 9, NULL, 10);
		gint64 d = g_get_monotonic_time() - sent;

		g_array_append_val(lat_us, d);
	}
}

static void start_more(void);

static void on_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct client *c = p;
	GError *e = NULL;
	char join[160];

	c->ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &e);
	in_flight--;
	g_clear_object(&c->msg);
	if (c->ws == NULL) {
		if (failed++ < 3)
			fprintf(stderr, "client %u: %s\n", c->i, e->message);
		g_error_free(e);
	} else {
		g_signal_connect(c->ws, "message", G_CALLBACK(on_message), c);
		g_snprintf(join, sizeof(join),
			   "{\"type\":\"join\",\"peerId\":\"d%u\",\"publicKey\":\"%s\"}", c->i,
			   KEY);
		soup_websocket_connection_send_text(c->ws, join);
	}
	start_more();
}

static void start_more(void)
{
	while (in_flight < IN_FLIGHT && next_connect < n_clients) {
		struct client *c = &clients[next_connect];
		char *u = g_strconcat(url, "/connect", NULL), auth[96];

		c->i = next_connect++;
		c->msg = soup_message_new("GET", u);
		g_free(u);
		g_snprintf(auth, sizeof(auth), "Bearer bench-token-%u-0123456789", c->i);
		soup_message_headers_replace(soup_message_get_request_headers(c->msg),
					     "Authorization", auth);
		in_flight++;
		soup_session_websocket_connect_async(session, c->msg, NULL, NULL,
						     G_PRIORITY_DEFAULT, NULL, on_connected, c);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned offers;
	gint64 t0, t1, until;

	if (argc != 5) {
		fprintf(stderr, "usage: sig-load URL CLIENTS NETWORKS OFFERS\n");
		return 2;
	}
	url = argv[1];
	n_clients = (unsigned)atoi(argv[2]);
	n_networks = (unsigned)atoi(argv[3]);
	offers = (unsigned)atoi(argv[4]);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < n_clients + 512) {
		rl.rlim_cur = n_clients + 512;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur; /* root only */
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			perror("setrlimit (run as root for many clients)");
	}
	clients = g_new0(struct client, n_clients);
	lat_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	session = soup_session_new_with_options("max-conns", n_clients + 16, "max-conns-per-host",
						n_clients + 16, "timeout", 60, NULL);
	t0 = g_get_monotonic_time();
	start_more();
	until = t0 + 300 * G_USEC_PER_SEC;
	while (joined + failed < n_clients && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	t1 = g_get_monotonic_time();
	if (failed > 0 || joined < n_clients) {
		fprintf(stderr, "only %u of %u clients joined (%u failed)\n", joined, n_clients,
			failed);
		return 1;
	}
	/* quiet down: the join announcements are still being delivered */
	until = g_get_monotonic_time() + G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE);
	for (unsigned k = 0; k < offers; k++) {
		unsigned from = (unsigned)g_random_int_range(0, (gint32)n_clients);
		unsigned to = (from + n_networks) % n_clients; /* the same network */
		char msg[256];
		gint64 next = g_get_monotonic_time() + 1000;

		if (to == from)
			continue;
		g_snprintf(msg, sizeof(msg),
			   "{\"type\":\"offer\",\"from\":\"d%u\",\"to\":\"d%u\",\"sdp\":\"t="
			   "%" G_GINT64_FORMAT "\"}",
			   from, to, g_get_monotonic_time());
		soup_websocket_connection_send_text(clients[from].ws, msg);
		while (g_get_monotonic_time() < next)
			g_main_context_iteration(NULL, FALSE);
	}
	until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (lat_us->len < offers && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_array_sort(lat_us, cmp_i64);
	if (lat_us->len == 0) {
		fprintf(stderr, "no offer arrived\n");
		return 1;
	}
	printf("clients %u networks %u joined in %.2f s; %u offers relayed: p50 %.2f ms, p99 %.2f "
	       "ms\n",
	       n_clients, n_networks, (double)(t1 - t0) / 1e6, lat_us->len,
	       (double)g_array_index(lat_us, gint64, lat_us->len / 2) / 1000.0,
	       (double)g_array_index(lat_us, gint64, lat_us->len * 99 / 100) / 1000.0);
	return 0;
}
