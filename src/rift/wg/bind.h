/*
 * bind.h - where WireGuard datagrams travel: a "bind" sends datagrams to
 * endpoints and hands the ones it receives to a callback, on the GLib main
 * context it was created on. The UDP bind (udp.c) is the first; the agent's
 * data-channel bind is another, behind the same interface.
 *
 * Ownership: the creator frees the bind with rg_wg_bind_free. Threading: the
 * bind's main context only.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

struct rg_wg_bind;

/* A datagram arrived. The buffer is valid during the call only. */
typedef void (*rg_wg_bind_recv_fn)(void *ctx, const struct core_addr *from, const uint8_t *buf,
				   size_t len);
/* The bind finished a burst of received datagrams (a good moment to flush). */
typedef void (*rg_wg_bind_idle_fn)(void *ctx);

struct rg_wg_bind_vtable {
	/* Queue or send one datagram. CORE_OK or a core error (the datagram is lost). */
	int (*send)(struct rg_wg_bind *b, const struct core_addr *to, const uint8_t *buf,
		    size_t len);
	/* Send what send queued. */
	void (*flush)(struct rg_wg_bind *b);
	void (*free)(struct rg_wg_bind *b);
};

struct rg_wg_bind {
	const struct rg_wg_bind_vtable *vt;
	rg_wg_bind_recv_fn recv;
	rg_wg_bind_idle_fn idle;
	void *ctx;
};

static inline int rg_wg_bind_send(struct rg_wg_bind *b, const struct core_addr *to,
				  const uint8_t *buf, size_t len)
{
	return b->vt->send(b, to, buf, len);
}

static inline void rg_wg_bind_flush(struct rg_wg_bind *b)
{
	b->vt->flush(b);
}

static inline void rg_wg_bind_free(struct rg_wg_bind *b)
{
	if (b != NULL)
		b->vt->free(b);
}

/*
 * A UDP bind on port (0: any) of every local address, dual-stack when the
 * system has IPv6. Endpoints may be IPv4 or IPv6; IPv4 ones are sent as
 * v4-mapped on a dual-stack socket and reported as such. CORE_OK or
 * CORE_ERR_SYSTEM with *error set ("cannot bind UDP port 51820: Address
 * already in use").
 */
int rg_wg_udp_bind_new(struct rg_wg_bind **out, uint16_t port, GMainContext *context,
		       rg_wg_bind_recv_fn recv, rg_wg_bind_idle_fn idle, void *ctx, GError **error);
/* The bound port (after port 0). */
uint16_t rg_wg_udp_bind_port(const struct rg_wg_bind *b);
