/*
 * roam-peer - one side of the goet roaming lab (tests/lab/goet-roaming.sh).
 *
 *   roam-peer server HEXKEY           listen on [::]:0, print "port N", accept
 *                                     one connection, receive until the client
 *                                     says Shutdown, then print
 *                                     "accepted=N bytes=N sha256=HEX peer=ADDR"
 *   roam-peer client HEXKEY HOST PORT MIB
 *                                     dial once, send MIB MiB of Data paced at
 *                                     about 8 MiB/s, send Shutdown, print
 *                                     "dials=1 bytes=N sha256=HEX"
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

static gboolean on_limit(gpointer p)
{
	fprintf(stderr, "roam-peer: no result within %d s\n", RUN_LIMIT_S);
	exit(2);
}

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "roam-peer: %s: %s\n", what, why);
	exit_code = 1;
	g_main_loop_quit(loop);
}

static void server_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m,
			   void *data)
{
	struct core_addr peer;
	char addr[CORE_ADDR_STRLEN];

	if (m->type == GT_MSG_DATA) {
		g_checksum_update(sum, m->u.data.bytes, m->u.data.len);
		bytes += m->u.data.len;
	} else if (m->type == GT_MSG_SHUTDOWN) {
		gt_conn_peer(c, &peer);
		printf("accepted=%u bytes=%" G_GUINT64_FORMAT " sha256=%s peer=%s\n", accepted,
		       bytes, g_checksum_get_string(sum),
		       core_addr_format(&peer, addr, sizeof(addr)));
		fflush(stdout);
		gt_conn_close(c, GT_CLOSE_OK, "closed");
		g_main_loop_quit(loop);
	}
}

static void server_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	fail("connection lost", reason);
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

/* Send one paced chunk; the last one is followed by Shutdown. */
static gboolean client_tick(gpointer p)
{
	static uint8_t chunk[CHUNK_BYTES];
	static uint32_t rng = 0x2545f491;
	struct gt_msg m = { .type = GT_MSG_DATA };

	if (conn == NULL)
		return G_SOURCE_REMOVE;
	if (bytes >= total) {
		struct gt_msg shut = { .type = GT_MSG_SHUTDOWN };

		if (gt_conn_send(conn, GT_CHANNEL_CONTROL, &shut) != CORE_OK)
			return G_SOURCE_CONTINUE;
		printf("dials=1 bytes=%" G_GUINT64_FORMAT " sha256=%s\n", bytes,
		       g_checksum_get_string(sum));
		fflush(stdout);
		return G_SOURCE_REMOVE; /* the server closes; then we quit */
	}
	if (gt_conn_send_room(conn, GT_CHANNEL_DATA) < CHUNK_BYTES + 64)
		return G_SOURCE_CONTINUE; /* back-pressure: try again next tick */
	for (size_t i = 0; i < sizeof(chunk); i++) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		chunk[i] = (uint8_t)rng;
	}
	m.u.data.seq = ++seq;
	m.u.data.bytes = chunk;
	m.u.data.len = sizeof(chunk);
	if (gt_conn_send(conn, GT_CHANNEL_DATA, &m) != CORE_OK)
		return G_SOURCE_CONTINUE;
	g_checksum_update(sum, chunk, sizeof(chunk));
	bytes += sizeof(chunk);
	return G_SOURCE_CONTINUE;
}

static void client_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	conn = NULL;
	if (bytes >= total && err == CORE_ERR_CLOSED)
		g_main_loop_quit(loop); /* the server closed after our Shutdown */
	else
		fail("connection lost", reason);
}

static const struct gt_conn_callbacks client_cb = { .closed = client_closed };

static void on_dial(struct gt_conn *c, int err, const char *reason, void *data)
{
	if (c == NULL) {
		fail("dial", reason);
		return;
	}
	conn = c;
	gt_conn_set_callbacks(c, &client_cb, NULL);
	g_timeout_add(PACE_MS, client_tick, NULL);
}

int main(int argc, char **argv)
{
	uint8_t key[GT_PASSKEY_LEN];
	struct gt_server *srv = NULL;
	GError *e = NULL;

	if (argc < 3 || gt_passkey_from_hex(key, argv[2]) != CORE_OK ||
	    (strcmp(argv[1], "client") == 0 && argc != 6)) {
		fprintf(stderr, "usage: roam-peer server HEXKEY | client HEXKEY HOST PORT MIB\n");
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
			fprintf(stderr, "roam-peer: %s\n", e->message);
			return 1;
		}
		printf("port %u\n", gt_server_port(srv));
		fflush(stdout);
	} else {
		struct gt_dial_config cfg = { .transport = GT_TRANSPORT_QUIC, .host = argv[3] };

		memcpy(cfg.passkey, key, sizeof(key));
		cfg.port = (uint16_t)atoi(argv[4]);
		total = (uint64_t)atoi(argv[5]) << 20;
		gt_dial_start(&cfg, on_dial, NULL);
	}
	g_main_loop_run(loop);
	/* let the close go out */
	for (int i = 0; i < 50 && g_main_context_iteration(NULL, FALSE); i++)
		;
	gt_server_free(srv);
	core_defer_flush();
	g_checksum_free(sum);
	g_main_loop_unref(loop);
	return exit_code;
}
