/*
 * endpoint.h - where a peer's datagrams go, as opaque bytes. The bind that
 * carries the datagrams (bind.h) defines what the bytes mean: the UDP bind
 * puts an address and a port there, the agent's data-channel bind a link
 * number. The device (device.h) never interprets them: it keeps the endpoint
 * an authenticated datagram came from (roaming), sends to it, binds cookies
 * (mac2) to its bytes, and treats len 0 as "none".
 *
 * A bind gives each path exactly one encoding, so two endpoints name the
 * same path exactly when rg_wg_endpoint_equal says so.
 *
 * Pure, header only. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define RG_WG_ENDPOINT_MAX 24

/* Where a peer's datagrams go, in the bind's own terms (a UDP bind: address and port; the
 * agent's data-channel bind: a link number). The device never interprets one: it keeps the
 * endpoint an authenticated datagram came from (roaming), sends to it, binds cookies (mac2)
 * to its bytes, and treats len 0 as "none" (nothing is sent, counted in no_endpoint). */
struct rg_wg_endpoint {
	uint8_t len; /* 0: none; at most RG_WG_ENDPOINT_MAX */
	uint8_t bytes[RG_WG_ENDPOINT_MAX];
};

/* Same length and same bytes (two "none" endpoints are equal). Not constant time. */
static inline bool rg_wg_endpoint_equal(const struct rg_wg_endpoint *a,
					const struct rg_wg_endpoint *b)
{
	return a->len == b->len && a->len <= RG_WG_ENDPOINT_MAX &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

/*
 * Set ep to len bytes (the rest zeroed, so whole structs compare and hash
 * alike). false, and ep "none", when len > RG_WG_ENDPOINT_MAX.
 */
static inline bool rg_wg_endpoint_set(struct rg_wg_endpoint *ep, const void *bytes, size_t len)
{
	memset(ep, 0, sizeof(*ep));
	if (len > RG_WG_ENDPOINT_MAX)
		return false;
	if (len > 0)
		memcpy(ep->bytes, bytes, len);
	ep->len = (uint8_t)len;
	return true;
}
