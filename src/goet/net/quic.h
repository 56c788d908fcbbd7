/*
 * quic.h - goet over QUIC (ngtcp2 0.12 + GnuTLS), on the GLib main loop.
 *
 * Server: one UDP socket (dual-stack [::]:port unless told otherwise)
 * serving any number of connections, routed by connection ID; normally
 * created by gt_server_new (server.h) together with the TCP listener.
 *
 * Client: gt_dial_start (dial.h) with GT_TRANSPORT_QUIC. The client's
 * address may change under a live connection (NAT rebinding, a
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
#include "goet/net/server.h"

/* Connection timeouts (the reference's values). */
#define GT_QUIC_IDLE_TIMEOUT_US (30 * INT64_C(1000000))
#define GT_QUIC_KEEPALIVE_US	(10 * INT64_C(1000000))
#define GT_QUIC_AUTH_TIMEOUT_US (5 * INT64_C(1000000))
#define GT_QUIC_DIAL_TIMEOUT_US (10 * INT64_C(1000000))

struct gt_quic_server;

/* Bind the UDP port and serve: NULL with *error set on failure. */
struct gt_quic_server *gt_quic_server_new(const struct gt_server_config *cfg,
					  gt_server_accept_fn accept, void *data, GError **error);
/* The UDP port actually bound. */
uint16_t gt_quic_server_port(const struct gt_quic_server *s);
/* Connections authenticating plus accepted ones still open. */
unsigned gt_quic_server_conn_count(const struct gt_quic_server *s);
/* Close every connection (owners of accepted ones get `closed`) and the socket. */
void gt_quic_server_free(struct gt_quic_server *s);
/* The passkey of a passkey_later server (server.h). */
void gt_quic_server_set_passkey(struct gt_quic_server *s, const uint8_t passkey[GT_PASSKEY_LEN]);

/*
 * Tests only: queue raw bytes on a channel, bypassing the frame encoder;
 * GT_CHANNEL_FWD: on a new forwarding stream of their own (never ended).
 */
int gt_quic_conn_test_send_raw(struct gt_conn *c, enum gt_channel ch, const void *p, size_t n);

/*
 * Move a client connection to a new local socket (a new interface or
 * address): QUIC validates the new path and the streams continue.
 * CORE_OK, CORE_ERR_INVALID_ARG (not a client conn), CORE_ERR_SYSTEM.
 */
int gt_quic_conn_migrate(struct gt_conn *c);
