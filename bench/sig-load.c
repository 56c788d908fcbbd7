/*
 * sig-load URL CLIENTS NETWORKS OFFERS [JOIN-TOKENS AUTH-RATE]: open CLIENTS
 * WebSockets to a riftgate signaling server (device i: token
 * "bench-token-<i>-0123456789", name "d<i>", network "n<i % NETWORKS>", as
 * bench/sig-server.sh writes the config), join them all, then relay OFFERS
 * offers between random pairs of one network, one every millisecond, each
 * carrying its send time: prints the set-up time and the relay latency's
 * p50 and p99.
 *
 * With JOIN-TOKENS (a file of join tokens, one a line) the server's
 * accounts work at the same time, AUTH-RATE operations a second during the
 * relay: registrations with those tokens, and refreshes of the devices
 * registered (rotating their tokens). Prints their latency as the client
 * sees it, and the store's own timing from GET /status.
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

/* the accounts' load */
static char **join_tokens;
static unsigned next_join, auth_busy;
static GPtrArray *devs;		/* struct dev * registered */
static GArray *reg_us, *ref_us; /* latencies */
static unsigned auth_failed;

struct dev {
	char *id, *refresh;
};

struct op {
	SoupMessage *msg;
	gint64 t0;
	bool reg;
	struct dev *d;
};

/* the value of "name":"..." in a JSON body (g_free), or NULL (the bodies are ours) */
static char *json_field(const char *body, const char *name)
{
	char *key = g_strdup_printf("\"%s\":\"", name);
	const char *p = strstr(body, key), *e;

	g_free(key);
	if (p == NULL)
		return NULL;
	p += strlen(name) + 4;
	e = strchr(p, '"');
	return e != NULL ? g_strndup(p, (gsize)(e - p)) : NULL;
}

static void auth_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct op *o = p;
	GBytes *b = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);
	gint64 d = g_get_monotonic_time() - o->t0;
	char *body = b != NULL ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : NULL;

	auth_busy--;
	if (b == NULL || soup_message_get_status(o->msg) != 200) {
		if (auth_failed++ < 3)
			fprintf(stderr, "auth: HTTP %u %s\n", soup_message_get_status(o->msg),
				body != NULL ? body : "");
	} else if (o->reg) {
		struct dev *dv = g_new0(struct dev, 1);

		dv->id = json_field(body, "device_id");
		dv->refresh = json_field(body, "refresh_token");
		g_ptr_array_add(devs, dv);
		g_array_append_val(reg_us, d);
	} else {
		g_free(o->d->refresh);
		o->d->refresh = json_field(body, "refresh_token");
		g_array_append_val(ref_us, d);
	}
	if (o->d != NULL)
		g_ptr_array_add(devs, o->d); /* back in the pool */
	if (b != NULL)
		g_bytes_unref(b);
	g_free(body);
	g_object_unref(o->msg);
	g_free(o);
}

/* One accounts operation: a refresh of a registered device every other time, else a registration. */
static void auth_one(void)
{
	static unsigned k;
	struct op *o = g_new0(struct op, 1);
	char *u, *body;
	GBytes *b;

	if (devs->len > 0 && (k++ % 2 == 0 || join_tokens[next_join] == NULL)) {
		o->d = g_ptr_array_steal_index_fast(
			devs, (guint)g_random_int_range(0, (gint32)devs->len));
		body = g_strdup_printf("{\"device_id\":\"%s\",\"refresh_token\":\"%s\"}", o->d->id,
				       o->d->refresh);
		u = g_strconcat(url, "/auth/refresh", NULL);
	} else if (join_tokens[next_join] != NULL) {
		o->reg = true;
		body = g_strdup_printf("{\"device_name\":\"a%u\",\"join_token\":\"%s\"}", next_join,
				       join_tokens[next_join]);
		next_join++;
		u = g_strconcat(url, "/auth/register", NULL);
	} else {
		g_free(o);
		return;
	}
	o->msg = soup_message_new("POST", u);
	b = g_bytes_new_take(body, strlen(body));
	soup_message_set_request_body_from_bytes(o->msg, "application/json", b);
	g_bytes_unref(b);
	g_free(u);
	o->t0 = g_get_monotonic_time();
	auth_busy++;
	soup_session_send_and_read_async(session, o->msg, G_PRIORITY_DEFAULT, NULL, auth_done, o);
}

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

/* "p50 X ms, p99 Y ms" of a, sorted here. */
static void print_lat(const char *what, GArray *a)
{
	if (a->len == 0) {
		printf("; %s: none", what);
		return;
	}
	g_array_sort(a, cmp_i64);
	printf("; %u %s: p50 %.2f ms, p99 %.2f ms", a->len, what,
	       (double)g_array_index(a, gint64, a->len / 2) / 1000.0,
	       (double)g_array_index(a, gint64, a->len * 99 / 100) / 1000.0);
}

/* The server's own store timing, from GET /status. */
static void print_store(void)
{
	char *u = g_strconcat(url, "/status", NULL), *body, *p;
	SoupMessage *m = soup_message_new("GET", u);
	GBytes *b = soup_session_send_and_read(session, m, NULL, NULL);

	body = b != NULL ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : g_strdup("");
	p = strstr(body, "\"store\":");
	if (p != NULL)
		printf("; server %.*s", (int)(strlen(p) - 1), p);
	if (b != NULL)
		g_bytes_unref(b);
	g_free(body);
	g_object_unref(m);
	g_free(u);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned offers;
	gint64 t0, t1, until;

	unsigned auth_rate = 0, auth_started = 0;
	gint64 relay_t0;

	if (argc != 5 && argc != 7) {
		fprintf(stderr,
			"usage: sig-load URL CLIENTS NETWORKS OFFERS [JOIN-TOKENS AUTH-RATE]\n");
		return 2;
	}
	if (argc == 7) {
		char *text = NULL;

		if (!g_file_get_contents(argv[5], &text, NULL, NULL)) {
			fprintf(stderr, "cannot read %s\n", argv[5]);
			return 2;
		}
		join_tokens = g_strsplit(g_strstrip(text), "\n", -1);
		g_free(text);
		auth_rate = (unsigned)atoi(argv[6]);
	}
	devs = g_ptr_array_new();
	reg_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	ref_us = g_array_new(FALSE, FALSE, sizeof(gint64));
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
	relay_t0 = g_get_monotonic_time();
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
		/* the accounts' operations at their rate, at most 8 in flight */
		while (auth_rate > 0 && auth_busy < 8 &&
		       (g_get_monotonic_time() - relay_t0) * auth_rate / G_USEC_PER_SEC >
			       auth_started) {
			auth_one();
			auth_started++;
		}
		while (g_get_monotonic_time() < next)
			g_main_context_iteration(NULL, FALSE);
	}
	until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (auth_busy > 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (lat_us->len < offers && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_array_sort(lat_us, cmp_i64);
	if (lat_us->len == 0) {
		fprintf(stderr, "no offer arrived\n");
		return 1;
	}
	printf("clients %u networks %u joined in %.2f s; %u offers relayed: p50 %.2f ms, p99 %.2f "
	       "ms",
	       n_clients, n_networks, (double)(t1 - t0) / 1e6, lat_us->len,
	       (double)g_array_index(lat_us, gint64, lat_us->len / 2) / 1000.0,
	       (double)g_array_index(lat_us, gint64, lat_us->len * 99 / 100) / 1000.0);
	if (auth_rate > 0) {
		print_lat("registrations", reg_us);
		print_lat("refreshes", ref_us);
		if (auth_failed > 0)
			printf("; %u accounts operations failed", auth_failed);
		print_store();
	}
	printf("\n");
	return auth_failed > 0 ? 1 : 0;
}
