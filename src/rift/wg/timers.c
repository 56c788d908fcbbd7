/*
 * timers.c - the whitepaper's timers (section 6), as wireguard-go arranges
 * them: events from the packet paths arm or disarm five deadlines per peer,
 * and rg_wg_device_tick runs those that are due. A deadline of 0 is off, so
 * `now` is always > 0.
 */
#include "device-private.h"

#define JITTER_MAX_MS	       334
#define MAX_HANDSHAKE_ATTEMPTS (RG_WG_REKEY_ATTEMPT_TIME / RG_WG_REKEY_TIMEOUT)

uint64_t wg_jitter(struct rg_wg_device *dev)
{
	uint32_t r;

	dev->ops.random(dev->ctx, &r, sizeof(r));
	return (uint64_t)(r % JITTER_MAX_MS) * 1000000;
}

/* We sent data: expect an answer within KEEPALIVE + REKEY_TIMEOUT, else re-handshake. */
void wg_timers_data_sent(struct rg_wg_peer *peer, uint64_t now)
{
	if (peer->t_new_handshake == 0)
		peer->t_new_handshake =
			now + RG_WG_KEEPALIVE_TIMEOUT + RG_WG_REKEY_TIMEOUT + wg_jitter(peer->dev);
}

/* We received data: if we have nothing to say within KEEPALIVE, say a keepalive. */
void wg_timers_data_received(struct rg_wg_peer *peer, uint64_t now)
{
	if (peer->t_send_keepalive == 0)
		peer->t_send_keepalive = now + RG_WG_KEEPALIVE_TIMEOUT;
	else
		peer->need_another_keepalive = true;
}

void wg_timers_any_authenticated_sent(struct rg_wg_peer *peer)
{
	peer->t_send_keepalive = 0;
}

void wg_timers_any_authenticated_received(struct rg_wg_peer *peer)
{
	peer->t_new_handshake = 0;
}

void wg_timers_any_authenticated_traversal(struct rg_wg_peer *peer, uint64_t now)
{
	if (peer->keepalive_s > 0)
		peer->t_persistent = now + RG_WG_NS(peer->keepalive_s);
}

void wg_timers_handshake_initiated(struct rg_wg_peer *peer, uint64_t now)
{
	peer->t_retransmit = now + RG_WG_REKEY_TIMEOUT + wg_jitter(peer->dev);
}

void wg_timers_handshake_complete(struct rg_wg_peer *peer)
{
	struct rg_wg_device *dev = peer->dev;

	peer->t_retransmit = 0;
	peer->handshake_attempts = 0;
	peer->sent_last_minute_handshake = false;
	peer->handshakes++;
	dev->ops.wallclock(dev->ctx, &peer->last_handshake_s, &peer->last_handshake_ns);
}

void wg_timers_session_derived(struct rg_wg_peer *peer, uint64_t now)
{
	peer->t_zero_keys = now + 3 * RG_WG_REJECT_AFTER_TIME;
}

static void expired_retransmit(struct rg_wg_peer *peer, uint64_t now)
{
	if (peer->handshake_attempts >= MAX_HANDSHAKE_ATTEMPTS) {
		/* give up for now: the next packet to send starts again */
		peer->t_send_keepalive = 0;
		wg_peer_flush_staged(peer);
		if (peer->t_zero_keys == 0)
			peer->t_zero_keys = now + 3 * RG_WG_REJECT_AFTER_TIME;
		return;
	}
	peer->handshake_attempts++;
	wg_send_initiation(peer, true, now);
}

static void expired_send_keepalive(struct rg_wg_peer *peer, uint64_t now)
{
	wg_send_keepalive(peer, now);
	if (peer->need_another_keepalive) {
		peer->need_another_keepalive = false;
		peer->t_send_keepalive = now + RG_WG_KEEPALIVE_TIMEOUT;
	}
}

/* Take a due deadline: true (and cleared) when *t is set and <= now. */
static bool due(uint64_t *t, uint64_t now)
{
	if (*t == 0 || *t > now)
		return false;
	*t = 0;
	return true;
}

static void peer_tick(struct rg_wg_peer *peer, uint64_t now)
{
	if (due(&peer->t_retransmit, now))
		expired_retransmit(peer, now);
	if (due(&peer->t_send_keepalive, now))
		expired_send_keepalive(peer, now);
	if (due(&peer->t_new_handshake, now))
		wg_send_initiation(peer, false, now);
	if (due(&peer->t_zero_keys, now))
		wg_peer_zero_keys(peer);
	if (due(&peer->t_persistent, now) && peer->keepalive_s > 0)
		wg_send_keepalive(peer, now);
}

void rg_wg_device_tick(struct rg_wg_device *dev, uint64_t now)
{
	for (guint i = 0; i < dev->peers->len; i++)
		peer_tick(g_ptr_array_index(dev->peers, i), now);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return b != 0 && b < a ? b : a;
}

uint64_t rg_wg_device_deadline(const struct rg_wg_device *dev)
{
	uint64_t t = UINT64_MAX;

	for (guint i = 0; i < dev->peers->len; i++) {
		const struct rg_wg_peer *p = g_ptr_array_index(dev->peers, i);

		t = earliest(t, p->t_retransmit);
		t = earliest(t, p->t_send_keepalive);
		t = earliest(t, p->t_new_handshake);
		t = earliest(t, p->t_zero_keys);
		t = earliest(t, p->t_persistent);
	}
	return t;
}
