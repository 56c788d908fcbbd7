/*
 * packet.c - the device's receive and send paths (contract in device.h):
 * handshake messages with their MAC and load checks, cookie replies,
 * transport data with the replay window and the allowed-IPs source check;
 * outbound packets routed by allowed IPs, staged while a handshake runs.
 */
#include "device-private.h"

#include <string.h>

#include "core/ct.h"
#include "core/err.h"

#define INITIATION_RATE_NS (RG_WG_NS(1) / 50) /* at most 50 initiations/s per peer */
#define LOAD_WINDOW_NS	   RG_WG_NS(1)

/* Count a handshake message; true while the device is under load. */
static bool under_load(struct rg_wg_device *dev, uint64_t now)
{
	if (now - dev->load_window_start >= LOAD_WINDOW_NS) {
		dev->load_window_start = now;
		dev->load_count = 0;
	}
	if (++dev->load_count > dev->load_threshold)
		dev->under_load_until = now + LOAD_WINDOW_NS;
	return now < dev->under_load_until;
}

/* mac1, then under load mac2 (or a cookie reply). true: go on. */
static bool check_macs(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
		       const struct rg_wg_msg *m, const uint8_t *buf, size_t len, uint64_t now)
{
	uint8_t nonce[RG_WG_COOKIE_NONCE_LEN], secret[32], reply[RG_WG_COOKIE_LEN];

	if (!rg_wg_cookie_check_mac1(&dev->id, buf, len)) {
		dev->stats.bad_mac1++;
		return false;
	}
	if (!under_load(dev, now) ||
	    rg_wg_cookie_check_mac2(&dev->checker, buf, len, from->bytes, from->len, now))
		return true;
	dev->ops.random(dev->ctx, nonce, sizeof(nonce));
	dev->ops.random(dev->ctx, secret, sizeof(secret));
	/* the cookie is bound to the endpoint's bytes: only who receives there can use it */
	rg_wg_cookie_make_reply(&dev->checker, &dev->id, m, from->bytes, from->len, nonce, secret,
				now, reply);
	core_wipe(secret, sizeof(secret));
	dev->ops.send(dev->ctx, from, reply, sizeof(reply));
	dev->stats.cookies_sent++;
	return false;
}

static void send_response(struct rg_wg_peer *peer, uint64_t now)
{
	struct rg_wg_device *dev = peer->dev;
	uint8_t eph[32], out[RG_WG_RESPONSE_LEN];
	struct rg_wg_keypair kp;

	wg_index_del(dev, &peer->hs_index);
	wg_index_add(dev, &peer->hs_index);
	dev->ops.random(dev->ctx, eph, sizeof(eph));
	if (rg_wg_noise_response(&peer->hs, &peer->remote, eph, peer->hs_index.value, out, &kp) !=
	    CORE_OK) {
		wg_index_del(dev, &peer->hs_index);
		dev->stats.bad_handshake++;
		goto out;
	}
	rg_wg_cookie_add_macs(&peer->jar, &peer->remote, out, sizeof(out), now);
	wg_session_begin(peer, &kp, now);
	wg_timers_session_derived(peer, now);
	wg_timers_any_authenticated_traversal(peer, now);
	wg_timers_any_authenticated_sent(peer);
	wg_peer_send_datagram(peer, out, sizeof(out));
out:
	core_wipe(eph, sizeof(eph));
	rg_wg_keypair_clear(&kp);
}

static void recv_initiation(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
			    const struct rg_wg_msg *m, size_t len, uint64_t now)
{
	struct rg_wg_initiation info;
	struct rg_wg_peer *peer;
	int ret;

	if (rg_wg_noise_open_initiation(&dev->id, m, &info) != CORE_OK ||
	    (peer = rg_wg_device_find_peer(dev, info.remote_static)) == NULL) {
		dev->stats.bad_handshake++;
		goto out;
	}
	if (peer->last_initiation_consumed != 0 &&
	    now - peer->last_initiation_consumed < INITIATION_RATE_NS) {
		dev->stats.bad_handshake++;
		goto out;
	}
	ret = rg_wg_noise_accept_initiation(&peer->hs, &peer->remote, m, &info);
	if (ret != CORE_OK) {
		if (ret == CORE_ERR_BAD_VALUE)
			dev->stats.replayed_init++;
		else
			dev->stats.bad_handshake++;
		goto out;
	}
	peer->last_initiation_consumed = now;
	peer->endpoint = *from;
	peer->rx_bytes += len;
	wg_timers_any_authenticated_traversal(peer, now);
	wg_timers_any_authenticated_received(peer);
	send_response(peer, now);
out:
	core_wipe(&info, sizeof(info));
}

static void recv_response(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
			  const struct rg_wg_msg *m, size_t len, uint64_t now)
{
	struct wg_index *ix = wg_index_find(dev, m->receiver);
	struct rg_wg_keypair kp;
	struct rg_wg_peer *peer;

	if (ix == NULL || ix->kind != WG_INDEX_HANDSHAKE) {
		dev->stats.unknown_index++;
		return;
	}
	peer = ix->peer;
	if (rg_wg_noise_consume_response(&peer->hs, &dev->id, &peer->remote, m, &kp) != CORE_OK) {
		dev->stats.bad_handshake++;
		return;
	}
	peer->endpoint = *from;
	peer->rx_bytes += len;
	wg_session_begin(peer, &kp, now);
	rg_wg_keypair_clear(&kp);
	wg_timers_session_derived(peer, now);
	wg_timers_handshake_complete(peer);
	wg_timers_any_authenticated_traversal(peer, now);
	wg_timers_any_authenticated_received(peer);
	wg_send_keepalive(peer, now); /* confirms the session; sends what waited */
}

static void recv_cookie(struct rg_wg_device *dev, const struct rg_wg_msg *m, uint64_t now)
{
	struct wg_index *ix = wg_index_find(dev, m->receiver);

	if (ix == NULL) {
		dev->stats.unknown_index++;
		return;
	}
	if (rg_wg_cookie_consume_reply(&ix->peer->jar, &ix->peer->remote, m, now) != CORE_OK)
		dev->stats.bad_handshake++;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The IP packet inside: its length without padding, and its family and
 * source address. 0 when it is not a complete IPv4 or IPv6 packet.
 */
static size_t inner_packet(const uint8_t *p, size_t len, int *family, const uint8_t **src)
{
	size_t total;

	if (len >= 20 && p[0] >> 4 == 4) {
		total = be16(p + 2);
		*family = 4;
		*src = p + 12;
		return total >= 20 && total <= len ? total : 0;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		total = 40 + (size_t)be16(p + 4);
		*family = 6;
		*src = p + 8;
		return total <= len ? total : 0;
	}
	return 0;
}

static void keep_key_fresh_receiving(struct rg_wg_peer *peer, uint64_t now)
{
	struct wg_session *s = peer->current;

	if (peer->sent_last_minute_handshake || s == NULL || !s->kp.initiator)
		return;
	if (now - s->created >
	    RG_WG_REJECT_AFTER_TIME - RG_WG_KEEPALIVE_TIMEOUT - RG_WG_REKEY_TIMEOUT) {
		peer->sent_last_minute_handshake = true;
		wg_send_initiation(peer, false, now);
	}
}

/*
 * Transport data that authenticated (pt, plen bytes, from a message of len
 * bytes with this counter): the replay window, the session's confirmation,
 * roaming, timers, then the packet if its source is the peer's.
 */
static void data_authenticated(struct rg_wg_device *dev, struct rg_wg_peer *peer,
			       struct wg_session *s, const struct rg_wg_endpoint *from,
			       const uint8_t *pt, size_t plen, uint64_t counter, size_t len,
			       uint64_t now)
{
	const uint8_t *src;
	size_t total;
	int family;

	if (!rg_wg_replay_accept(&s->replay, counter)) {
		dev->stats.replayed_data++;
		return;
	}
	if (s == peer->next) {
		wg_session_confirm(peer, s);
		wg_timers_handshake_complete(peer);
		wg_send_staged(peer, now);
	}
	peer->endpoint = *from; /* roaming: the last authenticated source wins */
	peer->rx_bytes += len;
	keep_key_fresh_receiving(peer, now);
	wg_timers_any_authenticated_traversal(peer, now);
	wg_timers_any_authenticated_received(peer);
	if (plen == 0)
		return; /* a keepalive */
	wg_timers_data_received(peer, now);
	total = inner_packet(pt, plen, &family, &src);
	if (total == 0 || rg_allowedips_lookup(dev->allowed, family, src) != peer) {
		dev->stats.bad_source++;
		return;
	}
	dev->ops.deliver(dev->ctx, peer, pt, total);
}

/* A job to open the message of len bytes at buf for session s, or NULL: do it here. */
static struct rg_wg_crypto *open_job(struct rg_wg_device *dev, const struct wg_session *s,
				     const struct rg_wg_endpoint *from, const struct rg_wg_msg *m,
				     const uint8_t *buf, size_t len)
{
	struct rg_wg_crypto *c;

	if (dev->ops.crypto == NULL || len > RG_WG_CRYPTO_BUF ||
	    (c = dev->ops.crypto(dev->ctx)) == NULL)
		return NULL;
	c->op = RG_WG_OPEN;
	memcpy(c->key, s->kp.recv, RG_WG_KEY_LEN);
	c->counter = m->counter;
	c->len = len;
	memcpy(c->msg, buf, len);
	c->ep = *from;
	c->receiver = m->receiver;
	c->session = s->id;
	return c;
}

static void recv_data(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
		      const struct rg_wg_msg *m, const uint8_t *buf, size_t len, uint64_t now)
{
	struct wg_index *ix = wg_index_find(dev, m->receiver);
	struct wg_session *s;
	size_t plen;

	if (ix == NULL || ix->kind != WG_INDEX_SESSION) {
		dev->stats.unknown_index++;
		return;
	}
	s = ix->session;
	if (now - s->created >= RG_WG_REJECT_AFTER_TIME ||
	    m->counter >= RG_WG_REJECT_AFTER_MESSAGES) {
		dev->stats.bad_data++;
		return;
	}
	if (open_job(dev, s, from, m, buf, len) != NULL)
		return; /* rg_wg_device_crypto_done goes on */
	if (rg_wg_transport_open(&s->kp, m, dev->scratch, &plen) != CORE_OK) {
		dev->stats.bad_data++;
		return;
	}
	data_authenticated(dev, ix->peer, s, from, dev->scratch, plen, m->counter, len, now);
}

void rg_wg_device_crypto_done(struct rg_wg_device *dev, struct rg_wg_crypto *c, uint64_t now)
{
	struct wg_index *ix;

	if (c->op == RG_WG_SEAL) {
		dev->ops.send(dev->ctx, &c->ep, c->msg, c->out);
		return;
	}
	/* the session may have been replaced or zeroed while the job ran */
	ix = wg_index_find(dev, c->receiver);
	if (ix == NULL || ix->kind != WG_INDEX_SESSION || ix->session->id != c->session) {
		dev->stats.gone_session++;
		return;
	}
	if (!c->ok) {
		dev->stats.bad_data++;
		return;
	}
	data_authenticated(dev, ix->peer, ix->session, &c->ep, c->msg + RG_WG_DATA_HEADER, c->out,
			   c->counter, c->len, now);
}

void rg_wg_device_recv(struct rg_wg_device *dev, const struct rg_wg_endpoint *from,
		       const uint8_t *buf, size_t len, uint64_t now)
{
	struct rg_wg_msg m;

	/* a bind's bug, not the peer's: no endpoint to roam to or to bind a cookie to */
	if (from->len == 0 || from->len > RG_WG_ENDPOINT_MAX ||
	    rg_wg_msg_decode(buf, len, &m) != CORE_OK) {
		dev->stats.malformed++;
		return;
	}
	switch (m.type) {
	case RG_WG_INITIATION:
		if (check_macs(dev, from, &m, buf, len, now))
			recv_initiation(dev, from, &m, len, now);
		break;
	case RG_WG_RESPONSE:
		if (check_macs(dev, from, &m, buf, len, now))
			recv_response(dev, from, &m, len, now);
		break;
	case RG_WG_COOKIE:
		recv_cookie(dev, &m, now);
		break;
	case RG_WG_DATA:
		recv_data(dev, from, &m, buf, len, now);
		break;
	}
}

void wg_send_initiation(struct rg_wg_peer *peer, bool retry, uint64_t now)
{
	struct rg_wg_device *dev = peer->dev;
	uint8_t eph[32], tai[RG_WG_TAI64N_LEN], out[RG_WG_INITIATION_LEN];
	int64_t unix_s;
	uint32_t ns;

	if (!retry)
		peer->handshake_attempts = 0;
	if (peer->last_initiation_sent != 0 &&
	    now - peer->last_initiation_sent < RG_WG_REKEY_TIMEOUT)
		return;
	if (peer->endpoint.len == 0) {
		dev->stats.no_endpoint++;
		return;
	}
	peer->last_initiation_sent = now;
	wg_index_del(dev, &peer->hs_index);
	wg_index_add(dev, &peer->hs_index);
	dev->ops.random(dev->ctx, eph, sizeof(eph));
	dev->ops.wallclock(dev->ctx, &unix_s, &ns);
	rg_wg_tai64n(tai, unix_s, ns);
	if (rg_wg_noise_initiation(&peer->hs, &dev->id, &peer->remote, eph, tai,
				   peer->hs_index.value, out) == CORE_OK) {
		rg_wg_cookie_add_macs(&peer->jar, &peer->remote, out, sizeof(out), now);
		wg_peer_send_datagram(peer, out, sizeof(out));
		wg_timers_any_authenticated_traversal(peer, now);
		wg_timers_any_authenticated_sent(peer);
		wg_timers_handshake_initiated(peer, now);
	}
	core_wipe(eph, sizeof(eph));
}

/* Padding to a multiple of 16, never beyond the MTU (whitepaper 5.4.6). */
static size_t padded(const struct rg_wg_device *dev, size_t len)
{
	size_t p = (len + 15) & ~(size_t)15;

	if (p > dev->mtu)
		p = len > dev->mtu ? len : dev->mtu;
	return p;
}

static void keep_key_fresh_sending(struct rg_wg_peer *peer, uint64_t now)
{
	struct wg_session *s = peer->current;

	if (s == NULL)
		return;
	if (s->send_counter > RG_WG_REKEY_AFTER_MESSAGES ||
	    (s->kp.initiator && now - s->created > RG_WG_REKEY_AFTER_TIME))
		wg_send_initiation(peer, false, now);
}

/* A job to seal len bytes at pkt, padded to pad, with session s, or NULL: do it here. */
static struct rg_wg_crypto *seal_job(struct rg_wg_peer *peer, struct wg_session *s,
				     const uint8_t *pkt, size_t len, size_t pad)
{
	struct rg_wg_device *dev = peer->dev;
	struct rg_wg_crypto *c;

	if (dev->ops.crypto == NULL || peer->endpoint.len == 0 ||
	    RG_WG_DATA_HEADER + pad + 16 > RG_WG_CRYPTO_BUF ||
	    (c = dev->ops.crypto(dev->ctx)) == NULL)
		return NULL;
	c->op = RG_WG_SEAL;
	memcpy(c->key, s->kp.send, RG_WG_KEY_LEN);
	c->counter = s->send_counter++;
	c->remote_index = s->kp.remote_index;
	c->len = len;
	c->pad = pad;
	if (len > 0)
		memcpy(c->msg + RG_WG_DATA_HEADER, pkt, len);
	c->ep = peer->endpoint;
	peer->tx_bytes += RG_WG_DATA_HEADER + pad + 16;
	return c;
}

/* Encrypt and send one packet with the current session (usable). */
static void seal_and_send(struct rg_wg_peer *peer, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct rg_wg_device *dev = peer->dev;
	struct wg_session *s = peer->current;
	size_t n, pad = padded(dev, len);

	if (seal_job(peer, s, pkt, len, pad) == NULL) {
		n = rg_wg_transport_seal(&s->kp, s->send_counter++, pkt, len, pad, dev->scratch);
		wg_peer_send_datagram(peer, dev->scratch, n);
	}
	if (len > 0)
		wg_timers_data_sent(peer, now);
	wg_timers_any_authenticated_traversal(peer, now);
	wg_timers_any_authenticated_sent(peer);
}

void wg_send_staged(struct rg_wg_peer *peer, uint64_t now)
{
	struct wg_staged *p;

	if (g_queue_is_empty(&peer->staged))
		return;
	if (!wg_session_usable(peer->current, now)) {
		wg_send_initiation(peer, false, now);
		return;
	}
	while ((p = g_queue_pop_head(&peer->staged)) != NULL) {
		seal_and_send(peer, p->data, p->len, now);
		core_wipe(p->data, p->len);
		g_free(p);
		if (!wg_session_usable(peer->current, now))
			break;
	}
	keep_key_fresh_sending(peer, now);
}

static void stage(struct rg_wg_peer *peer, const uint8_t *pkt, size_t len)
{
	struct wg_staged *p = g_malloc(sizeof(*p) + len);

	p->len = len;
	if (len > 0)
		memcpy(p->data, pkt, len);
	g_queue_push_tail(&peer->staged, p);
	while (g_queue_get_length(&peer->staged) > RG_WG_MAX_STAGED) {
		p = g_queue_pop_head(&peer->staged);
		core_wipe(p->data, p->len);
		g_free(p);
		peer->dev->stats.staged_dropped++;
	}
}

void wg_send_keepalive(struct rg_wg_peer *peer, uint64_t now)
{
	if (g_queue_is_empty(&peer->staged))
		stage(peer, NULL, 0);
	wg_send_staged(peer, now);
}

void rg_wg_device_send(struct rg_wg_device *dev, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct rg_wg_peer *peer = NULL;

	if (len > RG_WG_MAX_PACKET) {
		dev->stats.no_route++;
		return;
	}
	if (len >= 20 && pkt[0] >> 4 == 4)
		peer = rg_allowedips_lookup(dev->allowed, 4, pkt + 16);
	else if (len >= 40 && pkt[0] >> 4 == 6)
		peer = rg_allowedips_lookup(dev->allowed, 6, pkt + 24);
	if (peer == NULL) {
		dev->stats.no_route++;
		return;
	}
	if (peer->endpoint.len == 0) {
		dev->stats.no_endpoint++;
		return;
	}
	if (g_queue_is_empty(&peer->staged) && wg_session_usable(peer->current, now)) {
		seal_and_send(peer, pkt, len, now);
		keep_key_fresh_sending(peer, now);
		return;
	}
	stage(peer, pkt, len);
	wg_send_staged(peer, now);
}
