/*
 * tcp.h - goet over TCP + TLS 1.3 (the reference's --tcp fallback).
 *
 * One TLS connection carries both channels: whole frames are written back to
 * back (never interleaved; control frames go first at frame boundaries) and
 * received frames are routed by type, Data to the data channel and every
 * other type to control. There is no "serial phase": Data frames that a
 * reconnecting client sends before TerminalInfo simply arrive in order on
 * the data channel (the reference's session dropped such clients).
 * TCP_NODELAY is set: output is already batched by the coalescer.
 *
 * Server: normally created by gt_server_new (server.h) on the same port
 * number as the QUIC listener. Client: gt_dial_start with GT_TRANSPORT_TCP.
 * Threading: main-loop thread only.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "goet/net/conn.h"
#include "goet/net/server.h"

struct gt_tcp_server;

/* Listen on cfg's address and port; NULL with *error on failure (errno kept). */
struct gt_tcp_server *gt_tcp_server_new(const struct gt_server_config *cfg,
					gt_server_accept_fn accept, void *data, GError **error);
uint16_t gt_tcp_server_port(const struct gt_tcp_server *s);
unsigned gt_tcp_server_conn_count(const struct gt_tcp_server *s);
/* Close every connection (owners of accepted ones get `closed`) and the socket. */
void gt_tcp_server_free(struct gt_tcp_server *s);
/* The passkey of a passkey_later server (server.h). */
void gt_tcp_server_set_passkey(struct gt_tcp_server *s, const uint8_t passkey[GT_PASSKEY_LEN]);

/* Tests only: queue raw bytes, bypassing the frame encoder. */
int gt_tcp_conn_test_send_raw(struct gt_conn *c, const void *p, size_t n);
