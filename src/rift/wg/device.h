/*
 * device.h - a WireGuard device without I/O: peers, sessions, timers and
 * the packet paths of the whitepaper (sections 5 and 6), driven by its
 * caller:
 *
 *   rg_wg_device_recv     a datagram arrived from an endpoint
 *   rg_wg_device_send     the TUN gave us an IP packet to send
 *   rg_wg_device_tick     time passed (call at rg_wg_device_deadline)
 *
 * and answering through the ops it was given: datagrams to send to an
 * endpoint, decrypted packets to deliver to the TUN, random bytes, and the
 * wall clock (for TAI64N and `wg show`). Every function takes the time
 * `now` in nanoseconds of a clock that never goes back and keeps counting
 * while the machine is suspended (the runner's is CLOCK_BOOTTIME, so keys
 * age during sleep as the whitepaper's timers expect); it is never 0. Tests
 * drive the timers with a fake clock.
 *
 * Endpoints are opaque (endpoint.h): the bind that received a datagram says
 * where it came from, and the device hands that back to ops->send. It keeps
 * the endpoint of the last authenticated datagram from each peer (roaming:
 * a handshake message that passed its MACs and authenticated, or transport
 * data that decrypted and was not a replay), binds cookies (mac2) to the
 * endpoint's bytes, and with an endpoint of len 0 sends nothing (counted in
 * no_endpoint).
 *
 * Bad input (bad MACs, stale counters, replays, unknown receivers,
 * truncations, sources a peer may not use) is dropped silently and counted
 * in struct rg_wg_stats, as the protocol requires.
 *
 * Ownership: the device owns its peers (rg_wg_device_free frees them and
 * wipes every key). Ops must not call back into the device.
 * Threading: none; one owner (the agent's main loop).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/wg/crypto.h"
#include "rift/wg/endpoint.h"
#include "rift/wg/keys.h"

#define RG_WG_NS(s) ((uint64_t)(s)*1000000000)

#define RG_WG_REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define RG_WG_REKEY_AFTER_TIME	   RG_WG_NS(120)
#define RG_WG_REJECT_AFTER_TIME	   RG_WG_NS(180)
#define RG_WG_REKEY_ATTEMPT_TIME   RG_WG_NS(90)
#define RG_WG_REKEY_TIMEOUT	   RG_WG_NS(5)
#define RG_WG_KEEPALIVE_TIMEOUT	   RG_WG_NS(10)
#define RG_WG_MAX_STAGED	   128 /* packets waiting for a session, per peer */
#define RG_WG_DEFAULT_MTU	   1420
#define RG_WG_MAX_PACKET	   65535
/* Room a datagram needs beyond the packet: header, padding, tag. */
#define RG_WG_OVERHEAD 48

struct rg_wg_device;
struct rg_wg_peer;

struct rg_wg_device_ops {
	/* A datagram for endpoint `to` (never "none"). What became of it is the bind's business:
	 * the device never retries a datagram. */
	void (*send)(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len);
	void (*deliver)(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len);
	void (*random)(void *ctx, void *buf, size_t len);
	void (*wallclock)(void *ctx, int64_t *unix_s, uint32_t *ns);
	/*
	 * Optional: transport data's crypto away from the device. NULL: the
	 * device seals and opens each message itself, at once. Otherwise it
	 * asks for a job (crypto.h) per message that fits one, fills it before
	 * returning, and the owner runs it (on any thread) and hands it back
	 * to rg_wg_device_crypto_done on the device's thread, every job in the
	 * order it was asked for (that keeps each peer's packets in order).
	 * NULL from it: no room, the device does that message itself.
	 */
	struct rg_wg_crypto *(*crypto)(void *ctx);
};

/* Dropped input and other events worth counting, per device. */
struct rg_wg_stats {
	uint64_t malformed;	 /* too short, unknown type, wrong size, no source endpoint */
	uint64_t bad_mac1;	 /* handshake message with a wrong mac1 */
	uint64_t cookies_sent;	 /* under load, no valid mac2: answered with a cookie */
	uint64_t bad_handshake;	 /* failed to authenticate, unknown key or index */
	uint64_t replayed_init;	 /* an initiation timestamp not newer than the last */
	uint64_t unknown_index;	 /* a response, cookie or data for no index of ours */
	uint64_t bad_data;	 /* data that failed to decrypt, or an expired key */
	uint64_t replayed_data;	 /* a counter seen before or too old */
	uint64_t bad_source;	 /* a decrypted packet its peer may not send */
	uint64_t no_route;	 /* an outbound packet no peer's allowed IPs take */
	uint64_t no_endpoint;	 /* an outbound packet for a peer with no endpoint */
	uint64_t staged_dropped; /* packets dropped waiting for a handshake */
	uint64_t gone_session;	 /* a crypto job back for a session no longer there */
};

struct rg_wg_peer_info {
	uint8_t public_key[RG_WG_KEY_LEN];
	bool has_psk;
	struct rg_wg_endpoint endpoint; /* len 0: none */
	int64_t last_handshake_s;	/* Unix time; 0: never */
	uint32_t last_handshake_ns;
	uint64_t rx_bytes, tx_bytes;	 /* datagrams */
	unsigned persistent_keepalive_s; /* 0: off */
	uint64_t handshakes;		 /* completed */
};

/*
 * CORE_OK or CORE_ERR_BAD_VALUE (a private key whose public key is
 * invalid). Starts libsodium (sodium_init) first: its fastest code for
 * this CPU, and thread safety.
 */
int rg_wg_device_new(struct rg_wg_device **out, const uint8_t private_key[RG_WG_KEY_LEN],
		     const struct rg_wg_device_ops *ops, void *ctx);
void rg_wg_device_free(struct rg_wg_device *dev);

void rg_wg_device_public_key(const struct rg_wg_device *dev, uint8_t pub[RG_WG_KEY_LEN]);
/* For the UAPI socket only (root's); the caller wipes it. */
void rg_wg_device_private_key(const struct rg_wg_device *dev, uint8_t priv[RG_WG_KEY_LEN]);
/* MTU of the tunnel (padding never goes beyond it). Default RG_WG_DEFAULT_MTU. */
void rg_wg_device_set_mtu(struct rg_wg_device *dev, unsigned mtu);
/* Handshake messages per second beyond which mac2 (cookies) is demanded. Default 128. */
void rg_wg_device_set_load_threshold(struct rg_wg_device *dev, unsigned per_second);
const struct rg_wg_stats *rg_wg_device_stats(const struct rg_wg_device *dev);

/*
 * A peer (psk may be NULL). CORE_OK; CORE_ERR_BAD_VALUE (a low-order key,
 * or our own); CORE_ERR_INVALID_ARG (a peer with this key exists).
 */
int rg_wg_device_add_peer(struct rg_wg_device *dev, const uint8_t pub[RG_WG_KEY_LEN],
			  const uint8_t psk[RG_WG_KEY_LEN], struct rg_wg_peer **out);
/*
 * Remove peer and free it (peer is invalid after): its receiver indices and
 * sessions go (a datagram for one is counted unknown_index), its allowed IPs
 * no longer route (no_route), every key it held and every packet staged for
 * it are wiped. A peer with the same key may be added again; it starts with
 * no session and handshakes afresh. Not a peer of dev: nothing happens.
 * While walking the peers (rg_wg_device_next_peer), take the next one
 * before removing this one.
 */
void rg_wg_device_remove_peer(struct rg_wg_device *dev, struct rg_wg_peer *peer);
struct rg_wg_peer *rg_wg_device_find_peer(const struct rg_wg_device *dev,
					  const uint8_t pub[RG_WG_KEY_LEN]);
/* Peers in the order they were added (NULL after the last). */
struct rg_wg_peer *rg_wg_device_next_peer(const struct rg_wg_device *dev,
					  const struct rg_wg_peer *after);

/* family 4 or 6: CORE_OK or CORE_ERR_INVALID_ARG. */
int rg_wg_peer_add_allowed_ip(struct rg_wg_peer *peer, int family, const uint8_t *addr,
			      unsigned cidr);
/*
 * Where to send the peer's datagrams until an authenticated one comes from
 * elsewhere. ep NULL or of len 0: none (nothing is sent: no_endpoint).
 * ep->len must be at most RG_WG_ENDPOINT_MAX.
 */
void rg_wg_peer_set_endpoint(struct rg_wg_peer *peer, const struct rg_wg_endpoint *ep);
/*
 * Start a handshake now (an initiation to the peer's endpoint), unless one
 * was sent within RG_WG_REKEY_TIMEOUT: then nothing. An initiation always
 * gets an answer from a live peer (a keepalive does not), so this is a
 * liveness probe: the peer's info.handshakes grows when it answers. As for
 * any initiation, an unanswered one is retried every RG_WG_REKEY_TIMEOUT
 * (plus jitter) until RG_WG_REKEY_ATTEMPT_TIME has passed. With no endpoint
 * nothing is sent (no_endpoint). True when an initiation went out now.
 */
bool rg_wg_peer_initiate(struct rg_wg_peer *peer, uint64_t now);
/*
 * Persistent keepalive every `seconds` (0: off). Turning it on sends a
 * keepalive at once, which starts a handshake (as wg set does).
 */
void rg_wg_peer_set_keepalive(struct rg_wg_peer *peer, unsigned seconds, uint64_t now);
void rg_wg_peer_info(const struct rg_wg_peer *peer, struct rg_wg_peer_info *info);
/*
 * The peer's preshared key, zeros when it has none. For the UAPI socket
 * only (root's; wireguard-go and the kernel hand it to root too, and wg(8)
 * shows "(hidden)" only for a key that is not zero); the caller wipes it.
 */
void rg_wg_peer_preshared_key(const struct rg_wg_peer *peer, uint8_t psk[RG_WG_KEY_LEN]);
/* Visit the peer's allowed IPs in address order. */
void rg_wg_peer_foreach_allowed_ip(const struct rg_wg_peer *peer,
				   void (*fn)(int family, const uint8_t *addr, unsigned cidr,
					      void *data),
				   void *data);

/*
 * A datagram of len bytes from endpoint `from` (as the bind gave it; a from
 * of len 0 or beyond RG_WG_ENDPOINT_MAX is dropped as malformed).
 */
void rg_wg_device_recv(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
		       const uint8_t *buf, size_t len, uint64_t now);
/* An IP packet from the TUN. */
void rg_wg_device_send(struct rg_wg_device *dev, const uint8_t *pkt, size_t len, uint64_t now);
/* Run the timers due at now. */
void rg_wg_device_tick(struct rg_wg_device *dev, uint64_t now);
/*
 * A job the device filled (ops.crypto) comes back done: a sealed message
 * goes to ops.send; an opened one is checked (its session still there,
 * counted gone_session if not; the tag, bad_data; the replay window and
 * the source as rg_wg_device_recv does) and delivered. Not from inside
 * an op.
 */
void rg_wg_device_crypto_done(struct rg_wg_device *dev, struct rg_wg_crypto *c, uint64_t now);
/* When rg_wg_device_tick must next run (UINT64_MAX: no timer armed). */
uint64_t rg_wg_device_deadline(const struct rg_wg_device *dev);
