/*
 * quic.h - goet over QUIC (ngtcp2 0.12 + GnuTLS), on the GLib main loop.
 *
 * Server: one UDP socket (dual-stack [::]:port unless told otherwise)
 * serving any number of connections, routed by connection ID. Each new
 * connection must authenticate (AuthRequest on stream 0) within the auth
 * timeout; then it is handed to the accept callback as a gt_conn. Bad
 * clients are closed with a logged reason and never block others.
 *
 * Client: gt_quic_dial resolves the host (IPv4 and IPv6), tries each address
 * in turn, authenticates, and calls back with a ready gt_conn or an error.
 * The client's address may change under a live connection (NAT rebinding, a
 * new address on the interface): QUIC migrates the path and the connection
 * continues.
 *
 * Channels: control = client-opened bidirectional stream 0, data = stream 4
 * (opened when the client first sends on it). ALPN "goet-v2" is preferred,
 * "goet-v1" accepted. Idle timeout 30 s, keep-alive PING every 10 s,
 * initial packets of 1200 bytes.
 *
 * Threading: main-loop thread only. Ownership: the caller owns servers and
 * dials; connections are handed over as gt_conn.h describes.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "goet/auth.h"
#include "goet/net/conn.h"

/* Connection timeouts (the reference's values). */
#define GT_QUIC_IDLE_TIMEOUT_US (30 * INT64_C(1000000))
#define GT_QUIC_KEEPALIVE_US	(10 * INT64_C(1000000))
#define GT_QUIC_AUTH_TIMEOUT_US (5 * INT64_C(1000000))
#define GT_QUIC_DIAL_TIMEOUT_US (10 * INT64_C(1000000))

struct gt_quic_server;

struct gt_quic_server_config {
	uint8_t passkey[GT_PASSKEY_LEN];
	const char *bind_addr;	 /* numeric "[::]:0" form; NULL = all addresses, any family */
	uint16_t port;		 /* 0 = ephemeral */
	int64_t auth_timeout_us; /* 0 = GT_QUIC_AUTH_TIMEOUT_US */
	unsigned versions;	 /* bit mask (1 << GT_PROTO_Vn); 0 = both */
	bool test_impostor;	 /* tests only: answer OK to any token, no v2 proof */
};

/* A connection authenticated; the callee now owns c. */
typedef void (*gt_quic_accept_fn)(struct gt_quic_server *s, struct gt_conn *c, void *data);

/* Bind and start serving: NULL with *error set on failure. */
struct gt_quic_server *gt_quic_server_new(const struct gt_quic_server_config *cfg,
					  gt_quic_accept_fn accept, void *data, GError **error);
/* The UDP port actually bound. */
uint16_t gt_quic_server_port(const struct gt_quic_server *s);
/* Connections not yet accepted plus accepted ones still open. */
unsigned gt_quic_server_conn_count(const struct gt_quic_server *s);
/* Close every connection not yet accepted and the socket. Accepted conns live on. */
void gt_quic_server_free(struct gt_quic_server *s);

struct gt_quic_dial;

struct gt_quic_dial_config {
	const char *host; /* name or numeric address */
	uint16_t port;
	uint8_t passkey[GT_PASSKEY_LEN];
	enum gt_proto_version max_version; /* 0 = GT_PROTO_V2; GT_PROTO_V1 offers only goet-v1 */
	int64_t timeout_us;		   /* 0 = GT_QUIC_DIAL_TIMEOUT_US */
	bool test_stall;		   /* tests only: never send AuthRequest */
};

/* Result of a dial: c (owned by the callee) or NULL with err and reason. */
typedef void (*gt_quic_dial_fn)(struct gt_conn *c, int err, const char *reason, void *data);

/* Start dialing; the callback runs exactly once unless the dial is cancelled. */
struct gt_quic_dial *gt_quic_dial_start(const struct gt_quic_dial_config *cfg, gt_quic_dial_fn fn,
					void *data);
/* Abandon a dial whose callback has not run yet. */
void gt_quic_dial_cancel(struct gt_quic_dial *d);

/* Tests only: queue raw bytes on a channel, bypassing the frame encoder. */
int gt_quic_conn_test_send_raw(struct gt_conn *c, enum gt_channel ch, const void *p, size_t n);

/*
 * Move a client connection to a new local socket (a new interface or
 * address): QUIC validates the new path and the streams continue.
 * CORE_OK, CORE_ERR_INVALID_ARG (not a client conn), CORE_ERR_SYSTEM.
 */
int gt_quic_conn_migrate(struct gt_conn *c);
