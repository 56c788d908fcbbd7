/*
 * net-peer - one side of a goet transfer between two processes, for the
 * roaming lab (tests/lab/goet-roaming.sh) and the transport benchmark
 * (bench/goet-net.sh).
 *
 *   net-peer server HEXKEY            listen on [::]:0 (QUIC and TCP), print
 *                                     "port N", accept one connection, print
 *                                     "first-data peer=ADDR" at its first Data,
 *                                     receive until the client says Shutdown, print
 *                                     "accepted=N bytes=N sha256=HEX peer=ADDR rss_kib=N"
 *   net-peer client HEXKEY HOST PORT MIB [quic|tcp] [paced|fast]
 *                                     dial once, send MIB MiB of Data (paced:
 *                                     about 8 MiB/s; fast: as fast as the
 *                                     connection takes it), send Shutdown, close
 *                                     (which waits until the server has every
 *                                     byte), print "dials=1 bytes=N sha256=HEX mib_s=X"
 *
 * Exits 1 with a message on any error, 2 if the whole run takes over 60 s.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/net/dial.h"
#include "goet/net/server.h"

#define CHUNK_BYTES (64 * 1024)
#define PACE_MS	    8 /* one chunk per 8 ms: about 8 MiB/s */
#define RUN_LIMIT_S 60

static GMainLoop *loop;
static int exit_code;
static GChecksum *sum;
static uint64_t bytes, total, seq;
static unsigned accepted;
static struct gt_conn *conn;
static bool fast;
static bool shutdown_sent;
static bool got_shutdown;
static struct core_addr last_peer;
static gint64 t_start;

static gboolean on_limit(gpointer p)
{
	fprintf(stderr, "net-peer: no result within %d s\n", RUN_LIMIT_S);
	exit(2);
}

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "net-peer: %s: %s\n", what, why);
	exit_code = 1;
	g_main_loop_quit(loop);
}

/* Peak resident set size of this process (VmHWM), in KiB. */
static long peak_rss_kib(void)
{
	char *status = NULL, *line;
	long kib = -1;

	if (g_file_get_contents("/proc/self/status", &status, NULL, NULL) &&
	    (line = strstr(status, "VmHWM:")) != NULL)
		kib = strtol(line + 6, NULL, 10);
	g_free(status);
	return kib;
}

static void server_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m,
			   void *data)
{
	if (m->type == GT_MSG_DATA) {
		if (bytes == 0) { /* an event for the roaming lab: the transfer runs, from here */
			struct core_addr peer;
			char addr[CORE_ADDR_STRLEN];

			gt_conn_peer(c, &peer);
			printf("first-data peer=%s\n", core_addr_format(&peer, addr, sizeof(addr)));
			fflush(stdout);
		}
		g_checksum_update(sum, m->u.data.bytes, m->u.data.len);
		bytes += m->u.data.len;
	} else if (m->type == GT_MSG_SHUTDOWN) {
		/* Data may still be on its way on the other stream: the close marks the end */
		got_shutdown = true;
		gt_conn_peer(c, &last_peer);
	}
}

static void server_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	char addr[CORE_ADDR_STRLEN];

	if (!got_shutdown || err != CORE_ERR_CLOSED) {
		fail("connection lost", reason);
		return;
	}
	printf("accepted=%u bytes=%" G_GUINT64_FORMAT " sha256=%s peer=%s rss_kib=%ld\n", accepted,
	       bytes, g_checksum_get_string(sum), core_addr_format(&last_peer, addr, sizeof(addr)),
	       peak_rss_kib());
	fflush(stdout);
	g_main_loop_quit(loop);
}

static const struct gt_conn_callbacks server_cb = {
	.message = server_message,
	.closed = server_closed,
};

static void on_accept(struct gt_conn *c, void *data)
{
	accepted++;
	gt_conn_set_callbacks(c, &server_cb, NULL);
}

/* Queue the next chunk, or Shutdown once all is sent; false when nothing more can go now. */
static bool client_send_one(void)
{
	static uint8_t chunk[CHUNK_BYTES];
	static uint32_t rng = 0x2545f491;
	static bool pending; /* chunk holds bytes not yet accepted */
	struct gt_msg m = { .type = GT_MSG_DATA };

	if (shutdown_sent)
		return false;
	if (bytes >= total) {
		struct gt_msg shut = { .type = GT_MSG_SHUTDOWN };
		double secs = (double)(g_get_monotonic_time() - t_start) / 1e6;
		if (gt_conn_send(conn, GT_CHANNEL_CONTROL, &shut) != CORE_OK)
			return false;
		shutdown_sent = true;
		gt_conn_close(conn, GT_CLOSE_OK, "closed"); /* completes once all is acknowledged */
		conn = NULL;
		printf("dials=1 bytes=%" G_GUINT64_FORMAT " sha256=%s mib_s=%.1f\n", bytes,
		       g_checksum_get_string(sum), (double)(bytes >> 20) / secs);
		fflush(stdout);
		return false; /* the server closes; then we quit */
	}
	if (!pending) {
		for (size_t i = 0; i < sizeof(chunk); i += 4) {
			rng ^= rng << 13;
			rng ^= rng >> 17;
			rng ^= rng << 5;
			memcpy(chunk + i, &rng, 4);
		}
		pending = true;
	}
	m.u.data.seq = seq + 1;
	m.u.data.bytes = chunk;
	m.u.data.len = sizeof(chunk);
	/* CORE_ERR_AGAIN arms the writable callback; the chunk stays pending */
	if (gt_conn_send(conn, GT_CHANNEL_DATA, &m) != CORE_OK)
		return false;
	pending = false;
	seq++;
	g_checksum_update(sum, chunk, sizeof(chunk));
	bytes += sizeof(chunk);
	return true;
}

/* Paced mode: one chunk per tick. */
static gboolean client_tick(gpointer p)
{
	if (conn == NULL || shutdown_sent)
		return G_SOURCE_REMOVE;
	client_send_one();
	return G_SOURCE_CONTINUE;
}

/* Fast mode: fill the queue whenever it has room. */
static void client_writable(struct gt_conn *c, void *data)
{
	while (conn != NULL && client_send_one())
		;
}

static void client_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	conn = NULL;
	fail("connection lost", reason);
}

/* Quit once every closed connection has finished flushing. */
static gboolean wait_flushed(gpointer p)
{
	if (!shutdown_sent || gt_conn_live_count() > 0)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static const struct gt_conn_callbacks client_cb = {
	.writable = client_writable,
	.closed = client_closed,
};

static void on_dial(struct gt_conn *c, int err, const char *reason, void *data)
{
	if (c == NULL) {
		fail("dial", reason);
		return;
	}
	conn = c;
	gt_conn_set_callbacks(c, &client_cb, NULL);
	t_start = g_get_monotonic_time();
	if (fast)
		client_writable(c, NULL);
	else
		g_timeout_add(PACE_MS, client_tick, NULL);
}

int main(int argc, char **argv)
{
	uint8_t key[GT_PASSKEY_LEN];
	struct gt_server *srv = NULL;
	GError *e = NULL;

	if (argc < 3 || gt_passkey_from_hex(key, argv[2]) != CORE_OK ||
	    (strcmp(argv[1], "client") == 0 && (argc < 6 || argc > 8))) {
		fprintf(stderr, "usage: net-peer server HEXKEY | client HEXKEY HOST PORT MIB "
				"[quic|tcp] [paced|fast]\n");
		return 1;
	}
	core_log_set_level(CORE_LOG_INFO);
	loop = g_main_loop_new(NULL, FALSE);
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_timeout_add_seconds(RUN_LIMIT_S, on_limit, NULL);
	if (strcmp(argv[1], "server") == 0) {
		struct gt_server_config cfg = { 0 };

		memcpy(cfg.passkey, key, sizeof(key));
		srv = gt_server_new(&cfg, on_accept, NULL, &e);
		if (srv == NULL) {
			fprintf(stderr, "net-peer: %s\n", e->message);
			return 1;
		}
		printf("port %u\n", gt_server_port(srv));
		fflush(stdout);
	} else {
		struct gt_dial_config cfg = { .host = argv[3] };

		cfg.transport = argc > 6 && strcmp(argv[6], "tcp") == 0 ? GT_TRANSPORT_TCP
									: GT_TRANSPORT_QUIC;
		fast = argc > 7 && strcmp(argv[7], "fast") == 0;

		memcpy(cfg.passkey, key, sizeof(key));
		cfg.port = (uint16_t)atoi(argv[4]);
		total = (uint64_t)atoi(argv[5]) << 20;
		gt_dial_start(&cfg, on_dial, NULL);
		g_timeout_add(10, wait_flushed, NULL);
	}
	g_main_loop_run(loop);
	gt_server_free(srv);
	core_defer_flush();
	g_checksum_free(sum);
	g_main_loop_unref(loop);
	return exit_code;
}
