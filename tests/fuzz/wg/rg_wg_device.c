/*
 * Fuzz target for rift/wg/device, structure-aware: the device under test
 * (DUT) has two peers, A and B (B with a preshared key), and the harness
 * plays them (puppet.h) plus U, a peer the device does not know. The input
 * is a script of operations; each reads its parameters from the bytes
 * after it (zeros once the input ends):
 *
 *   INIT    a puppet's initiation: timestamp (newer, replayed, older, far
 *           future, zero, any), ephemeral key (or a low-order point), sender
 *           index, one damaged byte, MACs recomputed after the damage, before
 *           it, or left out; sent from one of the puppet's endpoints or an
 *           attacker's
 *   RESP    a puppet's response to the device's last initiation, likewise
 *   COOKIE  a cookie reply to the device's last handshake message
 *   DATA    transport data under a puppet's keys (or forged ones): counter
 *           (next, repeated, behind, ahead, at the reject limits), inner
 *           packet (own or spoofed source, IPv6, truncated, keepalive, any
 *           header), padding, one damaged byte
 *   TIME    the clock moves on; timers run when they fall due
 *   SEND    the device is given a packet to send (starts handshakes)
 *   REPLAY  a datagram sent before, again, from any endpoint
 *   RAW     any datagram (optionally typed, to an index the device uses)
 *   ADMIN   remove and re-add B, persistent keepalive, initiate, load
 *           threshold (cookies), MTU, set an endpoint
 *   DROP    lose the device's next datagrams
 *
 * What the device sends is handed to the puppets after every operation
 * (they consume responses, cookies and data, and keep initiations for RESP).
 * The first input byte chooses whether A and B start with a session.
 *
 * Invariants (abort on violation):
 *   - a delivered packet was sealed by the puppet of the peer it is
 *     delivered from, delivered once, from an allowed source, under a key
 *     younger than REJECT_AFTER_TIME and a counter below the reject limit;
 *   - a datagram the device accepted once is never accepted again (replay),
 *     and an accepted initiation's timestamp is newer than the last one;
 *   - a damaged datagram is accepted only when the damage is in a field no
 *     MAC or AEAD covers (a handshake sender index, or mac2 not checked);
 *   - a datagram from one puppet changes nothing of another peer, and a raw
 *     datagram, a cookie, or U's messages are never accepted;
 *   - a peer's endpoint is one its authenticated datagrams came from;
 *   - what the device sends a puppet is for that puppet (mac1, destination);
 *   - at the end, after every key expired, a fresh handshake the device
 *     starts still carries a packet each way for A and for B.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "puppet.h"
#include "rift/wg/device.h"
#include "rift/wg/replay.h"

enum { PA, PB, PU, N_PUPPETS };
#define N_KNOWN 2 /* A and B: the device's peers */

#define TAG_PUPPET    0x10 /* endpoint {0x10 + puppet, k} */
#define TAG_ATTACKER  0xee /* endpoint {0xee, k}: nobody forwards what goes there */
#define MAX_OPS	      160
#define MAX_TICKS     4096 /* timer runs per input, so that no input runs for long */
#define WIRE_SLOTS    32
#define HISTORY	      48
#define RECORDS	      512
#define KEYPAIRS      512
#define MAX_ENDPOINTS 16
#define PT_MAX	      512 /* plaintext the puppets seal, with its padding */

static const uint8_t magic_puppet[4] = { 'R', 'G', 'F', 'Z' };
static const uint8_t magic_dut[4] = { 'D', 'U', 'T', 'Z' };
static const uint8_t dut_src[2] = { 0xd0, 0 }; /* the device's endpoint, as puppets see it */

/* An invariant does not hold: say which (the fuzzer keeps the input), and stop. */
static _Noreturn void fail(const char *what)
{
	fprintf(stderr, "rg_wg_device: %s\n", what);
	abort();
}

/* The input, read as parameters: zeros once it is exhausted. */
static const uint8_t *in;
static size_t in_left;

static uint8_t u8(void)
{
	if (in_left == 0)
		return 0;
	in_left--;
	return *in++;
}

static uint32_t u32(void)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)u8() << (8 * i);
	return v;
}

static uint64_t u64(void)
{
	uint64_t lo = u32();

	return lo | (uint64_t)u32() << 32;
}

/* A datagram the device sent. */
struct dgram {
	struct rg_wg_endpoint to;
	size_t len;
	uint8_t data[2048];
};

/* A datagram a puppet sent, for REPLAY. */
struct sent {
	int puppet;
	unsigned epoch;	 /* of the puppet when sent */
	bool may_accept; /* could be accepted at all (undamaged, known peer) */
	bool accepted;	 /* was, once */
	bool is_init;
	uint8_t tai[RG_WG_TAI64N_LEN]; /* initiation: its timestamp */
	int kp_id;		       /* response: the keys the device derives from it; or -1 */
	size_t len;
	uint8_t data[512];
};

/* A plaintext a puppet sealed, to judge deliveries. */
struct record {
	int puppet;
	bool forged, delivered;
	int kp_id;
	uint64_t counter;
	uint32_t serial; /* 0: no serial in it */
	size_t len;
	uint8_t pt[PT_MAX];
};

struct known {
	unsigned epoch;				/* bumped when the device re-adds the peer */
	uint8_t accepted_tai[RG_WG_TAI64N_LEN]; /* newest initiation accepted */
	struct rg_wg_endpoint endpoints[MAX_ENDPOINTS]; /* the device may send there */
	unsigned n_endpoints;
	unsigned inits_seen;	/* initiations the device sent us */
	bool final_packet_seen; /* the device's last packet came through */
	uint32_t final_serial;
};

static struct {
	uint64_t now;
	uint32_t rng;
	unsigned ticks;
	struct rg_wg_device *dut;
	struct puppet pp[N_PUPPETS];
	struct known kn[N_KNOWN];
	struct dgram wire[WIRE_SLOTS];
	size_t wire_head, wire_count;
	unsigned drop_next;
	bool discard; /* the puppets ignore what the device sends */
	struct sent hist[HISTORY];
	size_t hist_count, hist_next;
	struct record rec[RECORDS];
	size_t n_rec;
	uint64_t kp_created[KEYPAIRS];
	int n_kp;
	uint32_t serial;
	size_t delivered;
} h;

static uint8_t dut_pub[RG_WG_KEY_LEN];
static bool tracing; /* RG_WG_FUZZ_TRACE is set */
static const uint8_t psk_b[RG_WG_KEY_LEN] = { 0x5b, 0x5b, 0x5b };

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	struct dgram *d;

	if (len > sizeof(h.wire[0].data))
		fail("the device sent more than a packet and its overhead");
	if (h.wire_count == WIRE_SLOTS)
		return; /* a full wire drops it */
	d = &h.wire[(h.wire_head + h.wire_count++) % WIRE_SLOTS];
	d->to = *to;
	d->len = len;
	memcpy(d->data, buf, len);
}

static int puppet_of_key(const uint8_t pub[RG_WG_KEY_LEN])
{
	for (int p = 0; p < N_PUPPETS; p++)
		if (memcmp(h.pp[p].id.pub, pub, RG_WG_KEY_LEN) == 0)
			return p;
	fail("a packet delivered from a peer the harness does not know");
}

/* Is src (family 4 or 6) inside the allowed IPs the device has for puppet p? */
static bool allowed_source(int p, const uint8_t *pkt, size_t len)
{
	static const uint8_t b6[16] = { 0xfd, 0, [15] = 3 };

	if (pkt[0] >> 4 == 4)
		return pkt[12] == 10 && pkt[13] == 0 && pkt[14] == 0 &&
		       pkt[15] == (p == PA ? 1 : 3);
	return p == PB && len >= 40 && memcmp(pkt + 8, b6, 16) == 0;
}

/* The serial a puppet wrote after the IP header, or 0. */
static uint32_t serial_in(const uint8_t *pkt, size_t len, const uint8_t magic[4])
{
	static const size_t at[] = { 20, 40 };

	for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
		uint32_t s;

		if (len < at[i] + 8 || memcmp(pkt + at[i], magic, 4) != 0)
			continue;
		memcpy(&s, pkt + at[i] + 4, 4);
		return s;
	}
	return 0;
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	struct rg_wg_peer_info info;
	uint32_t serial = serial_in(pkt, len, magic_puppet);
	struct record *r = NULL;
	int p;

	rg_wg_peer_info(from, &info);
	p = puppet_of_key(info.public_key);
	if (len < 20 || !allowed_source(p, pkt, len))
		fail("a packet delivered from a source its peer may not use");
	for (size_t i = 0; i < h.n_rec && r == NULL; i++) {
		struct record *c = &h.rec[i];

		if (c->puppet == p && !c->delivered && !c->forged && len <= c->len &&
		    memcmp(c->pt, pkt, len) == 0 && (serial == 0 || serial == c->serial))
			r = c;
	}
	if (tracing)
		fprintf(stderr, "deliver from %d len %zu serial %u found %d\n", p, len, serial,
			r != NULL);
	if (r == NULL)
		fail("a packet delivered that its peer did not seal, or delivered twice");
	if (h.now - h.kp_created[r->kp_id] >= RG_WG_REJECT_AFTER_TIME ||
	    r->counter >= RG_WG_REJECT_AFTER_MESSAGES)
		fail("a packet delivered under an expired key or a counter past the limit");
	r->delivered = true;
	h.delivered++;
}

static void op_random(void *ctx, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h.rng = h.rng * 1103515245 + 12345;
		((uint8_t *)buf)[i] = (uint8_t)(h.rng >> 16);
	}
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	*s = 1700000000 + (int64_t)(h.now / 1000000000);
	*ns = (uint32_t)(h.now % 1000000000);
}

static const struct rg_wg_device_ops ops = { op_send, op_deliver, op_random, op_wallclock, NULL };

static struct rg_wg_endpoint endpoint(uint8_t tag, uint8_t k)
{
	struct rg_wg_endpoint ep = { 0 };
	uint8_t b[2] = { tag, k };

	rg_wg_endpoint_set(&ep, b, sizeof(b));
	return ep;
}

/* Where puppet p sends from, as the fuzzer chose: one of its own four, or an attacker's. */
static struct rg_wg_endpoint endpoint_of(int p, uint8_t choice)
{
	return endpoint(choice & 0x80 ? TAG_ATTACKER : TAG_PUPPET + p, choice & 3);
}

static void allow_endpoint(int p, const struct rg_wg_endpoint *ep)
{
	struct known *k = &h.kn[p];

	for (unsigned i = 0; i < k->n_endpoints; i++)
		if (rg_wg_endpoint_equal(&k->endpoints[i], ep))
			return;
	if (k->n_endpoints < MAX_ENDPOINTS)
		k->endpoints[k->n_endpoints++] = *ep;
}

static struct rg_wg_peer *dut_peer(int p)
{
	return p < N_KNOWN ? rg_wg_device_find_peer(h.dut, h.pp[p].id.pub) : NULL;
}

static uint64_t rx_of(int p)
{
	struct rg_wg_peer *peer = dut_peer(p);
	struct rg_wg_peer_info info;

	if (peer == NULL)
		return 0;
	rg_wg_peer_info(peer, &info);
	return info.rx_bytes;
}

/* Every peer's endpoint is one its authenticated datagrams came from (or we set). */
static void check_endpoints(void)
{
	for (int p = 0; p < N_KNOWN; p++) {
		struct rg_wg_peer_info info;
		bool ok = false;

		rg_wg_peer_info(dut_peer(p), &info);
		for (unsigned i = 0; i < h.kn[p].n_endpoints; i++)
			ok |= rg_wg_endpoint_equal(&h.kn[p].endpoints[i], &info.endpoint);
		if (!ok)
			fail("a peer's endpoint is not one its authenticated datagrams came from");
	}
}

/* Data the device sent puppet p: a keepalive, or a packet for p's addresses. */
static void check_dut_data(int p, const uint8_t *pt, size_t len)
{
	static const uint8_t b6[16] = { 0xfd, 0, [15] = 3 };
	uint32_t serial;

	if (len == 0)
		return;
	serial = serial_in(pt, len, magic_dut);
	if (serial == 0)
		fail("the device sent a puppet data without the device's packet in it");
	if (pt[0] >> 4 == 4 &&
	    !(pt[16] == 10 && pt[17] == 0 && pt[18] == 0 && pt[19] == (p == PA ? 1 : 3)))
		fail("the device sent a puppet an IPv4 packet for another address");
	if (pt[0] >> 4 == 6 && !(p == PB && memcmp(pt + 24, b6, 16) == 0))
		fail("the device sent a puppet an IPv6 packet for another address");
	if (serial == h.kn[p].final_serial)
		h.kn[p].final_packet_seen = true;
}

static int new_kp_id(void)
{
	if (h.n_kp == KEYPAIRS)
		fail("more keypairs than MAX_OPS allows");
	h.kp_created[h.n_kp] = h.now;
	return h.n_kp++;
}

/* Hand what the device sent to the puppets it was sent to. */
static void pump(void)
{
	static uint8_t pt[2048];

	for (int i = 0; i < 256 && h.wire_count > 0; i++) {
		struct dgram *d = &h.wire[h.wire_head];
		enum puppet_got got;
		size_t ptlen = 0;
		int p;

		h.wire_head = (h.wire_head + 1) % WIRE_SLOTS;
		h.wire_count--;
		if (h.drop_next > 0) {
			h.drop_next--;
			continue;
		}
		if (h.discard || d->to.bytes[0] == TAG_ATTACKER)
			continue;
		p = d->to.bytes[0] - TAG_PUPPET;
		if (p == PU && d->data[0] == RG_WG_COOKIE)
			continue; /* under load, anyone's handshake message gets a cookie reply */
		if (d->to.len != 2 || p < 0 || p >= N_KNOWN)
			fail("the device sent to an endpoint no datagram of its peer came from");
		got = puppet_receive(&h.pp[p], d->data, d->len, h.now, pt, &ptlen);
		if (got == PUPPET_GOT_BAD_MAC1)
			fail("the device sent a puppet a handshake message with another's mac1");
		if (got == PUPPET_GOT_INIT)
			h.kn[p].inits_seen++;
		if (got == PUPPET_GOT_RESPONSE)
			h.pp[p].kps[0].id = new_kp_id();
		if (got == PUPPET_GOT_DATA)
			check_dut_data(p, pt, ptlen);
	}
}

/* Run the timers due up to t, handing out what they send; then the clock reads t. */
static void advance_to(uint64_t t)
{
	for (;;) {
		uint64_t d = rg_wg_device_deadline(h.dut);

		if (d > t || h.ticks >= MAX_TICKS)
			break;
		if (d > h.now)
			h.now = d;
		h.ticks++;
		rg_wg_device_tick(h.dut, h.now);
		pump();
	}
	h.now = t;
	rg_wg_device_tick(h.dut, h.now);
	pump();
}

static struct sent *remember(int p, const uint8_t *buf, size_t len, bool may_accept)
{
	struct sent *s = &h.hist[h.hist_next];

	if (len > sizeof(s->data))
		return NULL;
	memset(s, 0, sizeof(*s));
	s->puppet = p;
	s->epoch = p < N_KNOWN ? h.kn[p].epoch : 0;
	s->may_accept = may_accept;
	s->kp_id = -1;
	s->len = len;
	memcpy(s->data, buf, len);
	h.hist_next = (h.hist_next + 1) % HISTORY;
	if (h.hist_count < HISTORY)
		h.hist_count++;
	return s;
}

/*
 * Send a datagram of puppet p (-1: nobody's) from ep and judge it: accepted
 * (its peer's received bytes grew) only when it may be, never for another
 * peer; an accepted one's source becomes an endpoint the device may use.
 * Returns whether it was accepted.
 */
static bool send_to_dut(int p, const struct rg_wg_endpoint *ep, const uint8_t *buf, size_t len,
			bool may_accept)
{
	uint64_t before[N_KNOWN], after;
	bool accepted = false;

	for (int q = 0; q < N_KNOWN; q++)
		before[q] = rx_of(q);
	rg_wg_device_recv(h.dut, ep, buf, len, h.now);
	for (int q = 0; q < N_KNOWN; q++) {
		after = rx_of(q);
		if (after == before[q])
			continue;
		if (q != p || !may_accept)
			fail("accepted a datagram forged, replayed, damaged, or for another peer");
		accepted = true;
		allow_endpoint(q, ep);
	}
	pump();
	check_endpoints();
	return accepted;
}

/* One damaged byte: offset and xor (0: none). */
struct damage {
	size_t at;
	uint8_t x;
};

static struct damage read_damage(size_t len)
{
	struct damage d;

	d.at = len > 0 ? u8() % len : 0;
	d.x = len > 0 ? u8() : 0;
	if (u8() & 1) /* half the time, leave the message whole */
		d.x = 0;
	return d;
}

static bool damage_in(const struct damage *d, size_t from, size_t to)
{
	return d->x == 0 || (d->at >= from && d->at < to);
}

enum mac_mode { MACS_AFTER, MACS_BEFORE, MACS_NONE };

/* Damage msg, with its MACs computed after the damage, before it, or not at all. */
static void damage_and_mac(int p, uint8_t *msg, size_t len, const struct damage *d,
			   enum mac_mode mode)
{
	if (mode == MACS_BEFORE)
		puppet_macs(&h.pp[p], msg, len, h.now);
	msg[d->at] ^= d->x;
	if (mode == MACS_AFTER)
		puppet_macs(&h.pp[p], msg, len, h.now);
}

/*
 * May a handshake message damaged so be accepted? Only when the damage is
 * in the sender index (no MAC or AEAD covers it but mac1, recomputed) or in
 * bytes the MACs overwrote, or in mac2 (checked only under load).
 */
static bool damage_allowed(const struct damage *d, size_t len, enum mac_mode mode)
{
	if (mode == MACS_NONE)
		return false;
	if (d->x == 0)
		return true;
	if (mode == MACS_AFTER)
		return damage_in(d, 4, 8) || damage_in(d, len - 2 * RG_WG_MAC_LEN, len);
	return damage_in(d, len - RG_WG_MAC_LEN, len);
}

/* A low-order point, or none: the ephemeral key the fuzzer chose to force. */
static const uint8_t *low_order(uint8_t choice)
{
	static const uint8_t zero[32], one[32] = { 1 };

	switch (choice % 4) {
	case 1:
		return zero;
	case 2:
		return one;
	default:
		return NULL;
	}
}

static void ephemeral(uint8_t eph[32], int p, uint8_t seed)
{
	uint8_t b[3] = { (uint8_t)p, seed, (uint8_t)h.n_rec };

	rg_wg_hash(eph, "ephemeral", 9, b, sizeof(b));
}

/* The timestamp of an initiation, as the fuzzer chose it. */
static void timestamp(int p, uint8_t tai[RG_WG_TAI64N_LEN], uint8_t mode)
{
	int64_t s;
	uint32_t ns;

	switch (mode % 6) {
	case 0: /* now, and newer than our last */
		op_wallclock(NULL, &s, &ns);
		rg_wg_tai64n(tai, s, ns);
		if (memcmp(tai, h.pp[p].last_tai, RG_WG_TAI64N_LEN) <= 0) {
			memcpy(tai, h.pp[p].last_tai, RG_WG_TAI64N_LEN);
			for (int i = RG_WG_TAI64N_LEN - 1; i >= 0 && ++tai[i] == 0; i--)
				;
		}
		break;
	case 1: /* our last again */
		memcpy(tai, h.pp[p].last_tai, RG_WG_TAI64N_LEN);
		break;
	case 2: /* a second older */
		op_wallclock(NULL, &s, &ns);
		rg_wg_tai64n(tai, s - 1, ns);
		break;
	case 3: /* far in the future */
		memset(tai, 0x7f, RG_WG_TAI64N_LEN);
		break;
	case 4:
		memset(tai, 0, RG_WG_TAI64N_LEN);
		break;
	default:
		for (int i = 0; i < RG_WG_TAI64N_LEN; i++)
			tai[i] = u8();
	}
}

static void op_init(void)
{
	int p = u8() % N_PUPPETS;
	struct rg_wg_endpoint ep = endpoint_of(p, u8());
	uint8_t tai[RG_WG_TAI64N_LEN], eph[32], msg[RG_WG_INITIATION_LEN];
	uint8_t tmode = u8(), seed = u8();
	uint32_t sender = u32();
	const uint8_t *forced = low_order(u8());
	struct damage d = read_damage(sizeof(msg));
	enum mac_mode mode = u8() % 3;
	bool may, accepted;
	struct sent *s;

	timestamp(p, tai, tmode);
	ephemeral(eph, p, seed);
	if (puppet_initiation(&h.pp[p], eph, tai, sender, msg) != CORE_OK)
		return;
	if (forced != NULL)
		memcpy(msg + 8, forced, 32); /* the ephemeral public key */
	damage_and_mac(p, msg, sizeof(msg), &d, mode);
	may = p < N_KNOWN && forced == NULL && damage_allowed(&d, sizeof(msg), mode);
	s = remember(p, msg, sizeof(msg), may);
	if (s != NULL) {
		s->is_init = true;
		memcpy(s->tai, tai, sizeof(tai));
	}
	accepted = send_to_dut(p, &ep, msg, sizeof(msg), may);
	if (accepted) {
		/* a replayed or older timestamp must never pass */
		if (memcmp(tai, h.kn[p].accepted_tai, sizeof(tai)) <= 0)
			fail("accepted an initiation whose timestamp is not newer than the last");
		memcpy(h.kn[p].accepted_tai, tai, sizeof(tai));
	}
	if (s != NULL)
		s->accepted = accepted;
}

static void op_resp(void)
{
	int p = u8() % N_PUPPETS;
	struct rg_wg_endpoint ep = endpoint_of(p, u8());
	uint8_t eph[32], msg[RG_WG_RESPONSE_LEN], seed = u8();
	uint32_t sender = u32();
	const uint8_t *forced = low_order(u8());
	struct damage d = read_damage(sizeof(msg));
	enum mac_mode mode = u8() % 3;
	struct sent *s;
	bool may;
	int id;

	ephemeral(eph, p, seed);
	if (puppet_response(&h.pp[p], eph, sender, h.now, msg) != CORE_OK)
		return;
	id = h.pp[p].kps[0].id = new_kp_id();
	if (forced != NULL)
		memcpy(msg + 12, forced, 32);
	damage_and_mac(p, msg, sizeof(msg), &d, mode);
	may = p < N_KNOWN && forced == NULL && damage_allowed(&d, sizeof(msg), mode);
	s = remember(p, msg, sizeof(msg), may);
	if (s != NULL)
		s->kp_id = id;
	if (send_to_dut(p, &ep, msg, sizeof(msg), may) && s != NULL)
		s->accepted = true;
}

static void op_cookie(void)
{
	int p = u8() % N_PUPPETS;
	struct rg_wg_endpoint ep = endpoint_of(p, u8());
	uint8_t nonce[32], secret[32], msg[RG_WG_COOKIE_LEN]; /* nonce: the first 24 bytes */
	uint8_t seed = u8();
	uint32_t receiver = u32();
	bool other_receiver = u8() & 1;
	struct damage d = read_damage(sizeof(msg));

	rg_wg_hash(nonce, "nonce", 5, &seed, 1);
	rg_wg_hash(secret, "secret", 6, &seed, 1);
	if (!puppet_cookie_reply(&h.pp[p], dut_src, sizeof(dut_src), nonce, secret, h.now, msg))
		return;
	if (other_receiver)
		memcpy(msg + 4, &receiver, 4);
	msg[d.at] ^= d.x;
	remember(p, msg, sizeof(msg), false);
	send_to_dut(p, &ep, msg, sizeof(msg), false); /* cookies authenticate nobody */
}

/* The counter of a data message, as the fuzzer chose it. */
static uint64_t counter(const struct puppet_keypair *kp, uint8_t mode)
{
	uint64_t next = kp != NULL ? kp->next_counter : 0, jump;

	switch (mode % 8) {
	case 0:
		return next;
	case 1:
		return next > 0 ? next - 1 : 0;
	case 2:
		return next - (u8() + 1u);
	case 3:
		jump = u32();
		return next + (jump << (u8() % 40));
	case 4:
		return RG_WG_REJECT_AFTER_MESSAGES - 1;
	case 5:
		return RG_WG_REJECT_AFTER_MESSAGES;
	case 6:
		return UINT64_MAX;
	default:
		return u64();
	}
}

/* Build the inner packet of shape `shape` from puppet p into pt; returns its length. */
static size_t inner(int p, uint8_t shape, uint32_t serial, uint8_t *pt)
{
	static const uint8_t b6[16] = { 0xfd, 0, [15] = 3 }, a6[16] = { 0xfd, 0, [15] = 1 };
	size_t extra = u8() % 64, hl, len;

	memset(pt, 0, PT_MAX);
	switch (shape % 8) {
	case 2: /* IPv6 from B's address (A has none) */
	case 6: /* IPv6 whose payload length runs past the end */
		hl = 40;
		pt[0] = 0x60;
		memcpy(pt + 8, p == PB ? b6 : a6, 16);
		memcpy(pt + 24, a6, 16);
		break;
	case 4: /* a keepalive */
		return 0;
	case 5: /* any IPv4-sized header */
		hl = 20;
		for (size_t i = 0; i < hl; i++)
			pt[i] = u8();
		break;
	default: /* IPv4 from the own address (or the other puppet's: shape 1) */
		hl = 20;
		pt[0] = 0x45;
		pt[8] = 64;
		pt[9] = 17;
		pt[12] = 10;
		pt[15] = (uint8_t)((p == PA) != (shape % 8 == 1) ? 1 : 3);
		pt[16] = 10;
		pt[19] = 2;
	}
	memcpy(pt + hl, magic_puppet, 4);
	memcpy(pt + hl + 4, &serial, 4);
	len = hl + 8 + extra;
	if (shape % 8 == 2 || shape % 8 == 6)
		pt[5] = (uint8_t)(len - 40 + (shape % 8 == 6 ? 1 : 0));
	else if (shape % 8 != 5)
		pt[3] = (uint8_t)(len + (shape % 8 == 3 ? 1 : 0) - (shape % 8 == 7 ? extra : 0));
	return len;
}

static void op_data(void)
{
	int p = u8() % N_PUPPETS;
	struct rg_wg_endpoint ep = endpoint_of(p, u8());
	uint8_t slot = u8() % 5, cmode = u8(), shape = u8(), pad = u8();
	uint8_t pt[PT_MAX], out[RG_WG_DATA_HEADER + PT_MAX + 16];
	struct puppet_keypair *kp = slot < PUPPET_KEYPAIRS ? &h.pp[p].kps[slot] : NULL;
	struct rg_wg_keypair forged = { 0 };
	struct record *r = &h.rec[h.n_rec];
	uint64_t c;
	size_t len, padded, n;
	struct damage d;
	struct sent *s;
	bool may;

	if (kp != NULL && !kp->valid)
		kp = NULL;
	c = counter(kp, cmode);
	len = inner(p, shape, ++h.serial, pt);
	padded = pad % 3 == 0 ? len : pad % 3 == 1 ? (len + 15) & ~(size_t)15 : len + u8();
	if (kp != NULL) {
		n = puppet_seal(&h.pp[p], slot, c, pt, len, padded, out);
	} else {
		/* keys nobody has, to an index the device uses (or any) */
		rg_wg_hash(forged.send, "forged", 6, &pad, 1);
		forged.remote_index =
			slot == 3 && h.pp[p].kps[0].valid ? h.pp[p].kps[0].kp.remote_index : u32();
		n = rg_wg_transport_seal(&forged, c, pt, len, padded, out);
	}
	d = read_damage(n);
	out[d.at] ^= d.x;
	if (h.n_rec < RECORDS) {
		*r = (struct record){ .puppet = p,
				      .forged = kp == NULL,
				      .counter = c,
				      .serial = h.serial,
				      .len = padded };
		r->kp_id = kp != NULL ? kp->id : 0;
		memcpy(r->pt, pt, padded); /* the padding too: a length field may take it in */
		h.n_rec++;
	}
	may = p < N_KNOWN && kp != NULL && d.x == 0 && c < RG_WG_REJECT_AFTER_MESSAGES &&
	      h.now - h.kp_created[kp->id] < RG_WG_REJECT_AFTER_TIME;
	s = remember(p, out, n, may);
	if (send_to_dut(p, &ep, out, n, may) && s != NULL)
		s->accepted = true;
}

/* Time steps worth trying: around every timer of the whitepaper. */
static const uint64_t steps_ms[] = {
	1,     20,    500,    1000,   5000,   5400,   10000,  15000,
	60000, 90000, 120000, 125000, 165000, 175000, 180000, 540000,
};

static void op_time(void)
{
	uint8_t code = u8();
	uint64_t ms = code < 0xf0 ? steps_ms[code % G_N_ELEMENTS(steps_ms)] : u8() * 100u + 1;

	advance_to(h.now + ms * 1000000);
}

/* Give the device a packet to send: to A, B (IPv4, IPv6), or nobody. */
static void dut_send(uint8_t dest, size_t extra, uint32_t serial)
{
	static const uint8_t b6[16] = { 0xfd, 0, [15] = 3 }, x6[16] = { 0xfd, 0, [15] = 9 };
	uint8_t pkt[40 + 8 + 256] = { 0 };
	size_t hl = dest % 5 >= 3 ? 40 : 20, len = hl + 8 + extra;

	if (hl == 20) {
		pkt[0] = 0x45;
		pkt[3] = (uint8_t)len;
		pkt[12] = 10;
		pkt[15] = 2;
		pkt[16] = 10;
		pkt[19] = dest % 5 == 0 ? 1 : dest % 5 == 1 ? 3 : 9;
	} else {
		pkt[0] = 0x60;
		pkt[5] = (uint8_t)(len - 40);
		memcpy(pkt + 24, dest % 5 == 3 ? b6 : x6, 16);
	}
	memcpy(pkt + hl, magic_dut, 4);
	memcpy(pkt + hl + 4, &serial, 4);
	rg_wg_device_send(h.dut, pkt, len, h.now);
	pump();
}

static void op_send_packet(void)
{
	uint8_t dest = u8();

	dut_send(dest, u8() % 200, ++h.serial);
}

static void op_replay(void)
{
	struct sent *s;
	struct rg_wg_endpoint ep;
	bool may, accepted;

	if (h.hist_count == 0)
		return;
	s = &h.hist[u8() % h.hist_count];
	ep = endpoint_of(s->puppet < N_KNOWN ? s->puppet : PU, u8());
	/* accepted once, never again; a re-added peer starts afresh */
	may = s->may_accept && (!s->accepted || h.kn[s->puppet].epoch != s->epoch);
	accepted = send_to_dut(s->puppet, &ep, s->data, s->len, may);
	if (!accepted)
		return;
	if (s->is_init) {
		if (memcmp(s->tai, h.kn[s->puppet].accepted_tai, RG_WG_TAI64N_LEN) <= 0)
			fail("accepted a replayed initiation whose timestamp is not newer than the "
			     "last");
		memcpy(h.kn[s->puppet].accepted_tai, s->tai, RG_WG_TAI64N_LEN);
	}
	if (s->kp_id >= 0)
		h.kp_created[s->kp_id] = h.now; /* the device derives its keys now */
	s->accepted = true;
	s->epoch = h.kn[s->puppet].epoch;
}

/* A receiver index the device uses, as seen by a puppet (or any). */
static uint32_t known_index(uint8_t choice)
{
	struct puppet *pp = &h.pp[choice % N_KNOWN];
	uint32_t v;

	switch (choice / 2 % 3) {
	case 0:
		if (pp->kps[0].valid)
			return pp->kps[0].kp.remote_index;
		break;
	case 1:
		if (pp->dut_hs_len > 0) {
			memcpy(&v, pp->dut_hs + 4, 4); /* the device's sender index */
			return v;
		}
		break;
	}
	return u32();
}

static void op_raw(void)
{
	static const size_t sizes[] = { 0, RG_WG_INITIATION_LEN, RG_WG_RESPONSE_LEN,
					RG_WG_COOKIE_LEN };
	int p = u8() % N_PUPPETS;
	struct rg_wg_endpoint ep = endpoint_of(p, u8());
	uint8_t buf[256], type = u8() % 5;
	size_t len = u8();
	uint32_t rx;

	for (size_t i = 0; i < len; i++)
		buf[i] = u8();
	if (type > 0) {
		/* a typed message of the right size, to an index the device uses */
		if (type < 4)
			len = sizes[type];
		else if (len < RG_WG_DATA_MIN)
			len = RG_WG_DATA_MIN;
		buf[0] = type;
		buf[1] = buf[2] = buf[3] = 0;
		rx = known_index(u8());
		if (type > 1)
			memcpy(buf + (type == 2 ? 8 : 4), &rx, 4);
	}
	send_to_dut(-1, &ep, buf, len, false);
}

static void add_peer(int p)
{
	uint8_t addr[16] = { 10, 0, 0, p == PA ? 1 : 3 };
	uint8_t a6[16] = { 0xfd, 0, [15] = 3 };
	struct rg_wg_endpoint ep = endpoint(TAG_PUPPET + p, 0);
	struct rg_wg_peer *peer;

	if (rg_wg_device_add_peer(h.dut, h.pp[p].id.pub, p == PB ? psk_b : NULL, &peer) != CORE_OK)
		fail("the harness could not add a peer");
	rg_wg_peer_add_allowed_ip(peer, 4, addr, 32);
	if (p == PB)
		rg_wg_peer_add_allowed_ip(peer, 6, a6, 128);
	rg_wg_peer_set_endpoint(peer, &ep);
	memset(&h.kn[p].accepted_tai, 0, RG_WG_TAI64N_LEN);
	h.kn[p].n_endpoints = 0;
	allow_endpoint(p, &ep);
}

static void op_admin(void)
{
	static const unsigned thresholds[] = { 0, 1, 2, 128 };
	uint8_t what = u8() % 6, arg = u8();
	int p = u8() % N_KNOWN;
	struct rg_wg_peer *peer = dut_peer(p);
	struct rg_wg_endpoint ep;

	switch (what) {
	case 0: /* the peer goes and comes back: it forgets every key and timestamp */
		rg_wg_device_remove_peer(h.dut, peer);
		h.kn[p].epoch++;
		add_peer(p);
		break;
	case 1:
		rg_wg_peer_set_keepalive(peer, arg % 26, h.now);
		break;
	case 2:
		rg_wg_peer_initiate(peer, h.now);
		break;
	case 3:
		rg_wg_device_set_load_threshold(h.dut, thresholds[arg % 4]);
		break;
	case 4:
		rg_wg_device_set_mtu(h.dut, 500 + arg * 8u);
		break;
	default:
		ep = endpoint(TAG_PUPPET + p, arg & 3);
		rg_wg_peer_set_endpoint(peer, &ep);
		allow_endpoint(p, &ep);
	}
	pump();
}

static void op_drop(void)
{
	h.drop_next = u8() % 8;
}

static void (*const op_table[])(void) = {
	op_init,	op_resp,   op_cookie, op_data,	op_time,
	op_send_packet, op_replay, op_raw,    op_admin, op_drop,
};

static const char *const op_names[] = {
	"init", "resp", "cookie", "data", "time", "send", "replay", "raw", "admin", "drop",
};

static void setup(void)
{
	uint8_t key[RG_WG_KEY_LEN];

	memset(&h, 0, sizeof(h));
	h.rng = 1;
	h.now = RG_WG_NS(1);
	memset(key, 2, sizeof(key));
	if (rg_wg_device_new(&h.dut, key, &ops, NULL) != CORE_OK)
		fail("the harness could not make the device");
	rg_wg_device_public_key(h.dut, dut_pub);
	for (int p = 0; p < N_PUPPETS; p++) {
		memset(key, p == PA ? 1 : p == PB ? 3 : 4, sizeof(key));
		puppet_init(&h.pp[p], key, dut_pub, p == PB ? psk_b : NULL);
	}
	add_peer(PA);
	add_peer(PB);
	h.n_kp = 1; /* id 0: forged keys */
}

/* A handshake puppet p starts, answered, then a packet from p: a session as a real peer has. */
static void establish(int p)
{
	static const uint8_t script[] = {
		0,		  /* INIT: endpoint 0, timestamp now, ephemeral 0 */
		0, 0, 0, 0, 0, 0, /* sender 0 */
		0,		  /* no forced ephemeral */
		0, 0, 1,	  /* no damage */
		0,		  /* MACs after */
	};
	static const uint8_t data[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t *saved = in;
	size_t left = in_left;
	uint8_t buf[32];

	buf[0] = (uint8_t)p;
	memcpy(buf + 1, script, sizeof(script));
	in = buf, in_left = 1 + sizeof(script);
	op_init();
	buf[0] = (uint8_t)p;
	memcpy(buf + 1, data, sizeof(data));
	in = buf, in_left = 1 + sizeof(data);
	op_data();
	in = saved, in_left = left;
}

/* After every key expired, a handshake the device starts carries a packet each way for p. */
static void final_check(int p)
{
	struct rg_wg_peer *peer = dut_peer(p);
	struct rg_wg_endpoint ep = endpoint(TAG_PUPPET + p, 0);
	uint8_t eph[32], msg[RG_WG_RESPONSE_LEN], pt[PT_MAX], out[256];
	unsigned inits = h.kn[p].inits_seen;
	size_t delivered = h.delivered, len, n;
	struct record *r = &h.rec[h.n_rec];

	rg_wg_peer_set_endpoint(peer, &ep);
	allow_endpoint(p, &ep);
	h.kn[p].final_serial = ++h.serial;
	dut_send((uint8_t)p, 0, h.kn[p].final_serial);
	if (h.kn[p].inits_seen != inits + 1)
		fail("the device did not start a handshake for a packet");
	ephemeral(eph, p, 0xff);
	if (puppet_response(&h.pp[p], eph, 0x1000 + p, h.now, msg) != CORE_OK)
		fail("the puppet could not answer the device's initiation");
	h.pp[p].kps[0].id = new_kp_id();
	puppet_macs(&h.pp[p], msg, sizeof(msg), h.now);
	if (!send_to_dut(p, &ep, msg, sizeof(msg), true) || !h.kn[p].final_packet_seen)
		fail("the response was refused, or the packet waiting for it did not follow");
	len = inner(p, 0, ++h.serial, pt);
	n = puppet_seal(&h.pp[p], 0, h.pp[p].kps[0].next_counter, pt, len, len, out);
	if (h.n_rec == RECORDS)
		fail("more records than MAX_OPS allows");
	*r = (struct record){
		.puppet = p, .kp_id = h.pp[p].kps[0].id, .serial = h.serial, .len = len
	};
	memcpy(r->pt, pt, len);
	h.n_rec++;
	send_to_dut(p, &ep, out, n, true);
	if (h.delivered != delivered + 1)
		fail("a packet under a fresh session was not delivered");
}

static void finish(void)
{
	for (int p = 0; p < N_KNOWN; p++)
		rg_wg_peer_set_keepalive(dut_peer(p), 0, h.now);
	rg_wg_device_set_load_threshold(h.dut, 128);
	h.discard = true;
	h.ticks = 0;
	advance_to(h.now + 3 * RG_WG_REJECT_AFTER_TIME + RG_WG_NS(60));
	advance_to(h.now + RG_WG_REKEY_ATTEMPT_TIME + RG_WG_NS(10));
	h.discard = false;
	h.wire_count = 0;
	h.drop_next = 0;
	final_check(PA);
	final_check(PB);
}

/* RG_WG_FUZZ_TRACE=1: what each input did, on stderr (to check a seed does what it says). */
static void trace(void)
{
	const struct rg_wg_stats *st = rg_wg_device_stats(h.dut);

	if (!tracing)
		return;
	fprintf(stderr,
		"delivered %zu; malformed %" PRIu64 " bad_mac1 %" PRIu64 " cookies_sent %" PRIu64
		" bad_handshake %" PRIu64 " replayed_init %" PRIu64 " unknown_index %" PRIu64
		" bad_data %" PRIu64 " replayed_data %" PRIu64 " bad_source %" PRIu64 "\n",
		h.delivered, st->malformed, st->bad_mac1, st->cookies_sent, st->bad_handshake,
		st->replayed_init, st->unknown_index, st->bad_data, st->replayed_data,
		st->bad_source);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;

	setup();
	tracing = getenv("RG_WG_FUZZ_TRACE") != NULL;
	in = data, in_left = size;
	flags = u8();
	if (flags & 1)
		establish(PA);
	if (flags & 2)
		establish(PB);
	for (int i = 0; i < MAX_OPS && in_left > 0; i++) {
		uint8_t op = u8() % G_N_ELEMENTS(op_table);

		if (tracing)
			fprintf(stderr, "t=%.3f %s\n", h.now / 1e9, op_names[op]);
		op_table[op]();
	}
	finish();
	trace();
	rg_wg_device_free(h.dut);
	for (int p = 0; p < N_PUPPETS; p++)
		puppet_clear(&h.pp[p]);
	return 0;
}
