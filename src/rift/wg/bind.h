/*
 * bind.h - where WireGuard datagrams travel: a "bind" sends datagrams to
 * endpoints (endpoint.h) and hands the ones it receives to a callback, on
 * the GLib main context it was created on. The UDP bind (udp.h) is one; the
 * agent's data-channel bind is another, behind the same interface. The
 * device never looks inside an endpoint: the bind that made it is the only
 * one that can send to it or print it.
 *
 * Receiving: for each datagram the bind calls recv(ctx, from, buf, len),
 * then, once the burst is over and before it returns to the main loop,
 * idle(ctx): the owner sends what the datagrams caused and re-arms its
 * timers there, so a bind must call idle after every burst of recv calls.
 * recv, idle and ctx are the owner's to set, also after creation (the
 * runner, runner.h, sets them on the bind it is given); a bind with no recv
 * drops what arrives.
 *
 * Sending: send's result says what became of the datagram, and the device
 * never retries one (as with UDP):
 *   CORE_OK               sent, or queued until flush
 *   CORE_ERR_AGAIN        the path is congested (a full data channel or
 *                         socket buffer): dropped, and the bind counts it;
 *                         WireGuard's timers and TCP inside the tunnel recover
 *   CORE_ERR_NOT_FOUND    the endpoint names no path (a closed channel)
 *   CORE_ERR_INVALID_ARG  an endpoint this bind cannot use (another bind's,
 *                         or an IPv6 address on an IPv4-only socket)
 *   CORE_ERR_SYSTEM       the system refused it (UDP: no route to the host)
 * Any error means the datagram is lost. send never calls recv or idle (a
 * bind that loops back delivers from its main context later), so the
 * device is never entered twice.
 *
 * Ownership: the creator frees the bind with rg_wg_bind_free (or hands it to
 * a runner, which frees it). Threading: the bind's main context only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/wg/endpoint.h"

struct rg_wg_bind;

/* A datagram arrived from `from`. Both are valid during the call only. */
typedef void (*rg_wg_bind_recv_fn)(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf,
				   size_t len);
/* The bind finished a burst of received datagrams: flush, re-arm timers. */
typedef void (*rg_wg_bind_idle_fn)(void *ctx);

struct rg_wg_bind_vtable {
	/* Send or queue one datagram to `to`: codes as above. */
	int (*send)(struct rg_wg_bind *b, const struct rg_wg_endpoint *to, const uint8_t *buf,
		    size_t len);
	/* Send what send queued. */
	void (*flush)(struct rg_wg_bind *b);
	/* wg(8)'s text for ep ("192.0.2.1:51820"); false when there is none (no endpoint= line).
	 * wg(8) resolves the text with getaddrinfo and refuses the whole answer if that fails,
	 * so a bind whose endpoints are no address says false. */
	bool (*format)(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep, char *out,
		       size_t outlen);
	void (*free)(struct rg_wg_bind *b);
};

struct rg_wg_bind {
	const struct rg_wg_bind_vtable *vt;
	rg_wg_bind_recv_fn recv;
	rg_wg_bind_idle_fn idle;
	void *ctx;
};

/* Room for rg_wg_bind_format's text, with the NUL. */
#define RG_WG_BIND_TEXT_MAX 80

static inline int rg_wg_bind_send(struct rg_wg_bind *b, const struct rg_wg_endpoint *to,
				  const uint8_t *buf, size_t len)
{
	return b->vt->send(b, to, buf, len);
}

static inline void rg_wg_bind_flush(struct rg_wg_bind *b)
{
	b->vt->flush(b);
}

/* Text for ep into out (outlen: RG_WG_BIND_TEXT_MAX is enough); false: none (also len 0). */
static inline bool rg_wg_bind_format(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep,
				     char *out, size_t outlen)
{
	return ep->len != 0 && b->vt->format(b, ep, out, outlen);
}

/* NULL-safe. */
static inline void rg_wg_bind_free(struct rg_wg_bind *b)
{
	if (b != NULL)
		b->vt->free(b);
}
