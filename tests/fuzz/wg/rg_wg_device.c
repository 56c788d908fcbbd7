/*
 * Fuzz target for rift/wg/device's receive path: a device with one peer
 * whose session is established (by a real handshake with a second device,
 * deterministic randomness), then fed the input as datagrams framed by a
 * 2-byte big-endian length; a length of 0xffff advances the clock 10 s
 * (timers run). Whatever arrives, nothing crashes, nothing is delivered
 * that the peer may not send, and the established peer still works.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/wg/device.h"

/* UDP-style endpoints (udp.h): 192.0.2.1:51820 and 192.0.2.2:51820, the bytes cookies bind to */
static const struct rg_wg_endpoint ep_peer = { 6, { 192, 0, 2, 1, 0xca, 0x6c } };
static const struct rg_wg_endpoint ep_dut = { 6, { 192, 0, 2, 2, 0xca, 0x6c } };

static uint32_t rng_state;
static uint64_t now;
static struct rg_wg_device *peer_dev, *dut;
static int tag_peer, tag_dut; /* the devices' ops contexts */
static size_t delivered;

/* Datagrams between the devices, in the order sent (one send may emit two: data, then a
 * rekeying initiation). */
#define WIRE_SLOTS 16
static struct {
	uint8_t data[2048];
	size_t len;
	bool to_dut;
} wire[WIRE_SLOTS];
static size_t wire_head, wire_count;

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	size_t slot = (wire_head + wire_count) % WIRE_SLOTS;

	/* a full wire drops the datagram (the loop below resets it before the final check) */
	if (len > sizeof(wire[0].data) || wire_count == WIRE_SLOTS)
		return;
	memcpy(wire[slot].data, buf, len);
	wire[slot].len = len;
	wire[slot].to_dut = ctx == &tag_peer;
	wire_count++;
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	if (len < 20 || pkt[12] != 10 || pkt[15] != 1)
		abort(); /* only 10.0.0.1/32 is allowed from the peer */
	delivered++;
}

static void op_random(void *ctx, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		rng_state = rng_state * 1103515245 + 12345;
		((uint8_t *)buf)[i] = (uint8_t)(rng_state >> 16);
	}
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	*s = 1700000000 + (int64_t)(now / 1000000000);
	*ns = 0;
}

static const struct rg_wg_device_ops ops = { op_send, op_deliver, op_random, op_wallclock, NULL };

/* Deliver what the devices send each other, in order, until both are quiet (bounded). */
static void pump(void)
{
	uint8_t buf[2048];
	for (int i = 0; i < 64 && wire_count > 0; i++) {
		size_t n = wire[wire_head].len;
		struct rg_wg_device *to = wire[wire_head].to_dut ? dut : peer_dev;

		memcpy(buf, wire[wire_head].data, n);
		wire_head = (wire_head + 1) % WIRE_SLOTS;
		wire_count--;
		rg_wg_device_recv(to, &ep_peer, buf, n, now);
	}
}

static size_t ipv4(uint8_t *p, int src, int dst)
{
	memset(p, 0, 40);
	p[0] = 0x45, p[3] = 40, p[8] = 64, p[9] = 17;
	p[12] = 10, p[15] = (uint8_t)src, p[16] = 10, p[19] = (uint8_t)dst;
	return 40;
}

static void setup(void)
{
	uint8_t k1[32], k2[32], p1[32], p2[32], addr[16] = { 10, 0, 0, 0 };
	struct rg_wg_peer *p;
	uint8_t pkt[64];

	rng_state = 1;
	now = 1000000000;
	wire_head = wire_count = 0;
	delivered = 0;
	memset(k1, 1, 32);
	memset(k2, 2, 32);
	rg_wg_device_new(&peer_dev, k1, &ops, &tag_peer);
	rg_wg_device_new(&dut, k2, &ops, &tag_dut);
	rg_wg_device_public_key(peer_dev, p1);
	rg_wg_device_public_key(dut, p2);
	rg_wg_device_add_peer(peer_dev, p2, NULL, &p);
	rg_wg_peer_set_endpoint(p, &ep_dut);
	addr[3] = 2;
	rg_wg_peer_add_allowed_ip(p, 4, addr, 32);
	rg_wg_device_add_peer(dut, p1, NULL, &p);
	addr[3] = 1;
	rg_wg_peer_add_allowed_ip(p, 4, addr, 32);
	rg_wg_device_send(peer_dev, pkt, ipv4(pkt, 1, 2), now);
	pump();
	if (delivered != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[64];

	setup();
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (n == 0xffff) {
			now += 10000000000ULL;
			rg_wg_device_tick(dut, now);
			continue;
		}
		if (n > size)
			n = size;
		rg_wg_device_recv(dut, &ep_peer, data, n, now);
		data += n, size -= n;
	}
	/* the session (or a new handshake) still carries a packet */
	wire_head = wire_count = 0;
	delivered = 0;
	rg_wg_device_send(peer_dev, pkt, ipv4(pkt, 1, 2), now);
	pump();
	if (delivered != 1)
		abort();
	rg_wg_device_free(dut);
	rg_wg_device_free(peer_dev);
	return 0;
}
