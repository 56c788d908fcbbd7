/*
 * server.h - a goet session's listeners: QUIC on UDP port P and TCP+TLS on
 * TCP port P (the same number), both handing authenticated connections to
 * one accept callback.
 *
 * With port 0 the kernel picks the UDP port; if that number is taken on TCP,
 * both are closed and another port is tried (a few times). Each connection
 * must authenticate within the auth timeout (5 s by default, TLS handshake
 * included); bad or silent clients are closed with a logged reason and
 * never delay others.
 *
 * Ownership: the caller owns the server; accepted connections belong to the
 * accept callback's callee. gt_server_free closes every connection still
 * waiting to authenticate and every accepted one (their owners get `closed`).
 * Threading: main-loop thread only.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "goet/auth.h"
#include "goet/net/conn.h"

#define GT_AUTH_TIMEOUT_US (5 * INT64_C(1000000)) /* the reference's handshake deadlines */

struct gt_server_config {
	uint8_t passkey[GT_PASSKEY_LEN];
	const char *bind_addr;	 /* numeric "[::]:0" form; NULL = every address, both families */
	uint16_t port;		 /* 0 = ephemeral */
	int64_t auth_timeout_us; /* 0 = GT_AUTH_TIMEOUT_US */
	unsigned versions;	 /* bit mask (1 << GT_PROTO_Vn); 0 = both */
	bool test_impostor;	 /* tests only: answer OK to any token, no v2 proof */
	/*
	 * The passkey comes later (gt_server_set_passkey): listen now, and let
	 * an AuthRequest that arrives first wait for it (within the auth
	 * timeout). The bootstrap prints the port before ssh has delivered
	 * the passkey: ssh sends stdin only after the exec request is answered,
	 * a round trip the client would otherwise wait for.
	 */
	bool passkey_later;
};

/* A connection authenticated; the callee now owns c. */
typedef void (*gt_server_accept_fn)(struct gt_conn *c, void *data);

struct gt_server;

struct gt_server *gt_server_new(const struct gt_server_config *cfg, gt_server_accept_fn accept,
				void *data, GError **error);
uint16_t gt_server_port(const struct gt_server *s);
/* Connections open on both transports (authenticating or accepted). */
unsigned gt_server_conn_count(const struct gt_server *s);
void gt_server_free(struct gt_server *s);
/* The passkey, for a server made with passkey_later (copied; waiting AuthRequests are checked). */
void gt_server_set_passkey(struct gt_server *s, const uint8_t passkey[GT_PASSKEY_LEN]);
