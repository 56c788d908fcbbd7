/* device.c - the device's peers, receiver indices and sessions (contract in device.h). */
#include "device-private.h"

#include <sodium.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"

int rg_wg_device_new(struct rg_wg_device **out, const uint8_t private_key[RG_WG_KEY_LEN],
		     const struct rg_wg_device_ops *ops, void *ctx)
{
	struct rg_wg_device *dev;

	/*
	 * Until sodium_init, libsodium runs its portable reference code (it
	 * picks the CPU's vector ChaCha20 and Poly1305 there) and is not safe
	 * to use from several threads.
	 */
	if (sodium_init() < 0)
		g_error("libsodium cannot start");
	dev = g_new0(struct rg_wg_device, 1);
	*out = NULL;
	if (rg_wg_static_init(&dev->id, private_key) != CORE_OK) {
		g_free(dev);
		return CORE_ERR_BAD_VALUE;
	}
	dev->ops = *ops;
	dev->ctx = ctx;
	dev->allowed = rg_allowedips_new();
	dev->peers = g_ptr_array_new();
	dev->indices = g_hash_table_new(g_direct_hash, g_direct_equal);
	dev->mtu = RG_WG_DEFAULT_MTU;
	dev->load_threshold = 128;
	*out = dev;
	return CORE_OK;
}

void wg_peer_wipe(struct rg_wg_peer *peer)
{
	struct rg_wg_device *dev = peer->dev;

	wg_peer_zero_keys(peer);
	wg_peer_flush_staged(peer);
	rg_allowedips_remove_peer(dev->allowed, peer);
	core_wipe(peer, sizeof(*peer));
}

static void peer_free(struct rg_wg_peer *peer)
{
	wg_peer_wipe(peer);
	g_free(peer);
}

void rg_wg_device_free(struct rg_wg_device *dev)
{
	if (dev == NULL)
		return;
	for (guint i = 0; i < dev->peers->len; i++)
		peer_free(g_ptr_array_index(dev->peers, i));
	g_ptr_array_free(dev->peers, TRUE);
	g_hash_table_destroy(dev->indices);
	rg_allowedips_free(dev->allowed);
	core_wipe(dev, sizeof(*dev));
	g_free(dev);
}

void rg_wg_device_public_key(const struct rg_wg_device *dev, uint8_t pub[RG_WG_KEY_LEN])
{
	memcpy(pub, dev->id.pub, RG_WG_KEY_LEN);
}

void rg_wg_device_private_key(const struct rg_wg_device *dev, uint8_t priv[RG_WG_KEY_LEN])
{
	memcpy(priv, dev->id.priv, RG_WG_KEY_LEN);
}

void rg_wg_device_set_mtu(struct rg_wg_device *dev, unsigned mtu)
{
	dev->mtu = mtu < 576 ? 576 : mtu > RG_WG_MAX_PACKET ? RG_WG_MAX_PACKET : mtu;
}

void rg_wg_device_set_load_threshold(struct rg_wg_device *dev, unsigned per_second)
{
	dev->load_threshold = per_second;
}

const struct rg_wg_stats *rg_wg_device_stats(const struct rg_wg_device *dev)
{
	return &dev->stats;
}

int rg_wg_device_add_peer(struct rg_wg_device *dev, const uint8_t pub[RG_WG_KEY_LEN],
			  const uint8_t psk[RG_WG_KEY_LEN], struct rg_wg_peer **out)
{
	struct rg_wg_peer *peer;

	if (out != NULL)
		*out = NULL;
	if (rg_wg_device_find_peer(dev, pub) != NULL)
		return CORE_ERR_INVALID_ARG;
	if (core_ct_equal(pub, dev->id.pub, RG_WG_KEY_LEN))
		return CORE_ERR_BAD_VALUE;
	peer = g_new0(struct rg_wg_peer, 1);
	if (rg_wg_remote_init(&peer->remote, &dev->id, pub, psk) != CORE_OK) {
		g_free(peer);
		return CORE_ERR_BAD_VALUE;
	}
	peer->dev = dev;
	peer->has_psk = psk != NULL;
	peer->hs_index.kind = WG_INDEX_HANDSHAKE;
	peer->hs_index.peer = peer;
	g_queue_init(&peer->staged);
	g_ptr_array_add(dev->peers, peer);
	if (out != NULL)
		*out = peer;
	return CORE_OK;
}

void rg_wg_device_remove_peer(struct rg_wg_device *dev, struct rg_wg_peer *peer)
{
	if (g_ptr_array_remove(dev->peers, peer))
		peer_free(peer);
}

struct rg_wg_peer *rg_wg_device_find_peer(const struct rg_wg_device *dev,
					  const uint8_t pub[RG_WG_KEY_LEN])
{
	for (guint i = 0; i < dev->peers->len; i++) {
		struct rg_wg_peer *peer = g_ptr_array_index(dev->peers, i);

		if (memcmp(peer->remote.pub, pub, RG_WG_KEY_LEN) == 0)
			return peer;
	}
	return NULL;
}

struct rg_wg_peer *rg_wg_device_next_peer(const struct rg_wg_device *dev,
					  const struct rg_wg_peer *after)
{
	guint i = 0;

	if (after != NULL) {
		if (!g_ptr_array_find(dev->peers, after, &i))
			return NULL;
		i++;
	}
	return i < dev->peers->len ? g_ptr_array_index(dev->peers, i) : NULL;
}

int rg_wg_peer_add_allowed_ip(struct rg_wg_peer *peer, int family, const uint8_t *addr,
			      unsigned cidr)
{
	return rg_allowedips_insert(peer->dev->allowed, family, addr, cidr, peer);
}

void rg_wg_peer_set_endpoint(struct rg_wg_peer *peer, const struct rg_wg_endpoint *ep)
{
	if (ep == NULL || ep->len == 0) {
		memset(&peer->endpoint, 0, sizeof(peer->endpoint));
		return;
	}
	g_return_if_fail(ep->len <= RG_WG_ENDPOINT_MAX);
	peer->endpoint = *ep;
}

bool rg_wg_peer_initiate(struct rg_wg_peer *peer, uint64_t now)
{
	uint64_t before = peer->last_initiation_sent;

	wg_send_initiation(peer, false, now);
	return peer->last_initiation_sent != before;
}

void rg_wg_peer_set_keepalive(struct rg_wg_peer *peer, unsigned seconds, uint64_t now)
{
	bool was_off = peer->keepalive_s == 0;

	peer->keepalive_s = seconds;
	if (seconds == 0)
		peer->t_persistent = 0;
	else if (was_off && peer->endpoint.len != 0)
		wg_send_keepalive(peer, now);
}

void rg_wg_peer_preshared_key(const struct rg_wg_peer *peer, uint8_t psk[RG_WG_KEY_LEN])
{
	memcpy(psk, peer->remote.psk, RG_WG_KEY_LEN);
}

void rg_wg_peer_info(const struct rg_wg_peer *peer, struct rg_wg_peer_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->public_key, peer->remote.pub, RG_WG_KEY_LEN);
	info->has_psk = peer->has_psk;
	info->endpoint = peer->endpoint;
	info->last_handshake_s = peer->last_handshake_s;
	info->last_handshake_ns = peer->last_handshake_ns;
	info->rx_bytes = peer->rx_bytes;
	info->tx_bytes = peer->tx_bytes;
	info->persistent_keepalive_s = peer->keepalive_s;
	info->handshakes = peer->handshakes;
}

void rg_wg_peer_foreach_allowed_ip(const struct rg_wg_peer *peer,
				   void (*fn)(int family, const uint8_t *addr, unsigned cidr,
					      void *data),
				   void *data)
{
	rg_allowedips_foreach(peer->dev->allowed, peer, fn, data);
}

/* A fresh, unused, non-zero receiver index for ix. */
void wg_index_add(struct rg_wg_device *dev, struct wg_index *ix)
{
	uint32_t v;

	do
		dev->ops.random(dev->ctx, &v, sizeof(v));
	while (v == 0 || g_hash_table_contains(dev->indices, GUINT_TO_POINTER(v)));
	ix->value = v;
	g_hash_table_insert(dev->indices, GUINT_TO_POINTER(v), ix);
}

void wg_index_del(struct rg_wg_device *dev, struct wg_index *ix)
{
	if (ix->value != 0 && g_hash_table_lookup(dev->indices, GUINT_TO_POINTER(ix->value)) == ix)
		g_hash_table_remove(dev->indices, GUINT_TO_POINTER(ix->value));
	ix->value = 0;
}

struct wg_index *wg_index_find(struct rg_wg_device *dev, uint32_t value)
{
	return value == 0 ? NULL : g_hash_table_lookup(dev->indices, GUINT_TO_POINTER(value));
}

static void session_free(struct rg_wg_device *dev, struct wg_session *s)
{
	if (s == NULL)
		return;
	wg_index_del(dev, &s->index);
	core_wipe(s, sizeof(*s));
	g_free(s);
}

/*
 * The session takes over the index its handshake used (the keypair's
 * local_index is that value), so a cookie or data message finds it.
 */
void wg_session_begin(struct rg_wg_peer *peer, const struct rg_wg_keypair *kp, uint64_t now)
{
	struct rg_wg_device *dev = peer->dev;
	struct wg_session *s = g_new0(struct wg_session, 1);

	s->id = ++dev->next_session_id;
	s->kp = *kp;
	s->created = now;
	s->index.kind = WG_INDEX_SESSION;
	s->index.peer = peer;
	s->index.session = s;
	s->index.value = kp->local_index;
	wg_index_del(dev, &peer->hs_index);
	g_hash_table_insert(dev->indices, GUINT_TO_POINTER(s->index.value), &s->index);
	rg_wg_replay_init(&s->replay);
	if (kp->initiator) {
		/* usable at once: the response proved the responder has it */
		if (peer->next != NULL) {
			session_free(dev, peer->previous);
			peer->previous = peer->next;
			peer->next = NULL;
			session_free(dev, peer->current);
		} else {
			session_free(dev, peer->previous);
			peer->previous = peer->current;
		}
		peer->current = s;
	} else {
		/* not until the initiator's first data packet proves it has it */
		session_free(dev, peer->next);
		session_free(dev, peer->previous);
		peer->previous = NULL;
		peer->next = s;
	}
}

void wg_session_confirm(struct rg_wg_peer *peer, struct wg_session *s)
{
	struct rg_wg_device *dev = peer->dev;

	if (s != peer->next)
		return;
	session_free(dev, peer->previous);
	peer->previous = peer->current;
	peer->current = s;
	peer->next = NULL;
}

bool wg_session_usable(const struct wg_session *s, uint64_t now)
{
	return s != NULL && s->send_counter < RG_WG_REJECT_AFTER_MESSAGES &&
	       now - s->created < RG_WG_REJECT_AFTER_TIME;
}

void wg_peer_zero_keys(struct rg_wg_peer *peer)
{
	struct rg_wg_device *dev = peer->dev;

	session_free(dev, peer->previous);
	session_free(dev, peer->current);
	session_free(dev, peer->next);
	peer->previous = peer->current = peer->next = NULL;
	wg_index_del(dev, &peer->hs_index);
	rg_wg_handshake_clear(&peer->hs);
}

void wg_peer_send_datagram(struct rg_wg_peer *peer, const uint8_t *buf, size_t len)
{
	if (peer->endpoint.len == 0) {
		peer->dev->stats.no_endpoint++;
		return;
	}
	peer->tx_bytes += len;
	peer->dev->ops.send(peer->dev->ctx, &peer->endpoint, buf, len);
}

void wg_peer_flush_staged(struct rg_wg_peer *peer)
{
	struct wg_staged *p;

	while ((p = g_queue_pop_head(&peer->staged)) != NULL) {
		core_wipe(p->data, p->len);
		g_free(p);
	}
}
