/*
 * gro.c - coalescing packets for the TUN (contract in gro.h). Each output
 * packet has a slot: a buffer of a virtio-net header and up to 65,535
 * bytes, allocated when first used and kept. A packet joins the newest
 * slot of its flow, found by scanning the slots from the newest (a burst
 * holds few), or starts a slot of its own.
 */
#include "rift/tun/gro.h"

#include <glib.h>
#include <string.h>

#include "rift/tun/csum.h"
#include "rift/tun/vnet.h"

#define IP_MAX	    65535
#define UDP_MAX_SEG 64 /* the kernel's UDP_MAX_SEGMENTS */
#define PROTO_TCP   6
#define PROTO_UDP   17
#define TCP_ACK	    0x10
#define TCP_PSH	    0x08
#define KEY_LEN	    36 /* two IPv6 addresses and two ports */

/* What add needs to know of a packet. */
struct pkt_info {
	uint8_t version, proto; /* proto 0: no flow (not TCP or UDP, or too short) */
	uint8_t key[KEY_LEN];
	size_t iph, l4h, payload;
	uint32_t seq;
	bool candidate; /* may join, and be joined */
	bool psh;
};

struct slot {
	uint8_t *buf; /* RG_VNET_HDR_LEN + IP_MAX bytes */
	size_t len;   /* of the packet, after the header */
	struct pkt_info first;
	size_t gso_size;
	unsigned segs;
	uint32_t next_seq;
	bool closed;   /* nothing more joins */
	bool checked;  /* the first segment's checksum is good */
	bool finished; /* headers written for the TUN */
};

struct rg_gro {
	unsigned max, n, flags;
	struct slot slots[];
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct rg_gro *rg_gro_new(unsigned max_out, unsigned flags)
{
	struct rg_gro *g = g_malloc0(sizeof(*g) + (size_t)max_out * sizeof(struct slot));

	g->max = max_out;
	g->flags = flags;
	return g;
}

void rg_gro_free(struct rg_gro *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < g->max; i++)
		g_free(g->slots[i].buf);
	g_free(g);
}

unsigned rg_gro_count(const struct rg_gro *g)
{
	return g->n;
}

void rg_gro_reset(struct rg_gro *g)
{
	g->n = 0;
}

/* The IP header: version, header length, protocol; false if not whole or not plain. */
static bool parse_ip(const uint8_t *p, size_t len, struct pkt_info *pi, bool *plain)
{
	pi->version = p[0] >> 4;
	if (pi->version == 4 && len >= 20 && (p[0] & 15) >= 5) {
		pi->iph = (size_t)(p[0] & 15) * 4;
		pi->proto = p[9];
		/* no options, the whole packet, not a fragment */
		*plain = pi->iph == 20 && get16(p + 2) == len && (get16(p + 6) & 0x3fff) == 0;
		memcpy(pi->key, p + 12, 8);
		return pi->iph <= len;
	}
	if (pi->version == 6 && len >= 40) {
		pi->iph = 40;
		pi->proto = p[6]; /* an extension header is no flow of ours */
		*plain = get16(p + 4) + 40u == len;
		memcpy(pi->key, p + 8, 32);
		return true;
	}
	return false;
}

/* Parse pkt into pi: its flow (if TCP or UDP) and whether it may be coalesced. */
static void parse(const struct rg_gro *g, const uint8_t *p, size_t len, struct pkt_info *pi)
{
	bool plain = false;
	uint8_t flags;

	memset(pi, 0, sizeof(*pi));
	if (!parse_ip(p, len, pi, &plain) || (pi->proto != PROTO_TCP && pi->proto != PROTO_UDP) ||
	    len < pi->iph + 8) {
		pi->proto = 0;
		return;
	}
	memcpy(pi->key + 32, p + pi->iph, 4); /* the ports */
	if (!plain)
		return;
	if (pi->proto == PROTO_UDP) {
		pi->l4h = 8;
		pi->payload = len - pi->iph - 8;
		pi->candidate = (g->flags & RG_GRO_UDP) &&
				get16(p + pi->iph + 4) == len - pi->iph && pi->payload > 0;
		return;
	}
	if (len < pi->iph + 20)
		return;
	pi->l4h = (size_t)(p[pi->iph + 12] >> 4) * 4;
	flags = p[pi->iph + 13];
	if (pi->l4h < 20 || pi->iph + pi->l4h > len)
		return;
	pi->payload = len - pi->iph - pi->l4h;
	pi->seq = (uint32_t)get16(p + pi->iph + 4) << 16 | get16(p + pi->iph + 6);
	pi->psh = flags & TCP_PSH;
	pi->candidate = (flags == TCP_ACK || flags == (TCP_ACK | TCP_PSH)) && pi->payload > 0;
}

/* The transport checksum of the packet at p (of len bytes) is right. */
static bool checksum_ok(const uint8_t *p, size_t len, const struct pkt_info *pi)
{
	size_t alen = pi->version == 4 ? 4 : 16;
	const uint8_t *src = p + (pi->version == 4 ? 12 : 8);
	uint64_t sum;

	/* an IPv4 UDP checksum of 0 is "none": nothing we could vouch for */
	if (pi->proto == PROTO_UDP && pi->version == 4 && get16(p + pi->iph + 6) == 0)
		return false;
	sum = rg_csum_pseudo(0, src, src + alen, alen, pi->proto, (uint32_t)(len - pi->iph));
	return rg_csum_fold(rg_csum_add(sum, p + pi->iph, len - pi->iph)) == 0xffff;
}

/* The IP fields that must agree for two packets to be one. */
static bool same_ip(const uint8_t *a, const uint8_t *b, uint8_t version)
{
	if (version == 4)
		return a[1] == b[1] && (a[6] & 0xe0) == (b[6] & 0xe0) && a[8] == b[8];
	return memcmp(a, b, 4) == 0 && a[7] == b[7];
}

/* The TCP fields that must agree, and the sequence that must follow. */
static bool tcp_continues(const struct slot *s, const uint8_t *p, const struct pkt_info *pi)
{
	const uint8_t *a = s->buf + RG_VNET_HDR_LEN + s->first.iph, *b = p + pi->iph;

	return pi->l4h == s->first.l4h && pi->seq == s->next_seq &&
	       memcmp(a + 8, b + 8, 4) == 0 &&	 /* acknowledgement number */
	       memcmp(a + 14, b + 14, 2) == 0 && /* window */
	       memcmp(a + 20, b + 20, pi->l4h - 20) == 0;
}

/* Whether pkt may join slot s (checking checksums, which may close s). */
static bool can_join(struct slot *s, const uint8_t *p, size_t len, const struct pkt_info *pi)
{
	const uint8_t *first = s->buf + RG_VNET_HDR_LEN;

	if (s->closed || pi->payload > s->gso_size || s->len + pi->payload > IP_MAX ||
	    !same_ip(first, p, pi->version))
		return false;
	if (pi->proto == PROTO_TCP ? !tcp_continues(s, p, pi) : s->segs >= UDP_MAX_SEG)
		return false;
	if (!s->checked) {
		s->checked = checksum_ok(first, s->len, &s->first);
		if (!s->checked) {
			s->closed = true; /* it stays alone, for the kernel to judge */
			return false;
		}
	}
	return checksum_ok(p, len, pi);
}

static void join(struct slot *s, const uint8_t *p, const struct pkt_info *pi)
{
	uint8_t *first = s->buf + RG_VNET_HDR_LEN;

	memcpy(first + s->len, p + pi->iph + pi->l4h, pi->payload);
	s->len += pi->payload;
	s->segs++;
	s->next_seq += (uint32_t)pi->payload;
	if (pi->payload < s->gso_size)
		s->closed = true; /* a short segment ends the packet */
	if (pi->psh) {
		first[s->first.iph + 13] |= TCP_PSH;
		s->closed = true;
	}
}

/* The newest slot of pi's flow, or NULL. */
static struct slot *flow_slot(struct rg_gro *g, const struct pkt_info *pi)
{
	for (unsigned i = g->n; i-- > 0;) {
		struct slot *s = &g->slots[i];

		if (s->first.proto == pi->proto && s->first.version == pi->version &&
		    memcmp(s->first.key, pi->key, KEY_LEN) == 0)
			return s;
	}
	return NULL;
}

bool rg_gro_add(struct rg_gro *g, const uint8_t *p, size_t len)
{
	struct pkt_info pi;
	struct slot *s;

	if (len == 0 || len > IP_MAX)
		return false;
	parse(g, p, len, &pi);
	s = pi.proto != 0 ? flow_slot(g, &pi) : NULL;
	if (s != NULL && pi.candidate && can_join(s, p, len, &pi)) {
		join(s, p, &pi);
		return true;
	}
	if (g->n == g->max)
		return false;
	s = &g->slots[g->n++];
	if (s->buf == NULL)
		s->buf = g_malloc(RG_VNET_HDR_LEN + IP_MAX);
	memcpy(s->buf + RG_VNET_HDR_LEN, p, len);
	s->len = len;
	s->first = pi;
	s->gso_size = pi.payload;
	s->segs = 1;
	s->next_seq = pi.seq + (uint32_t)pi.payload;
	s->closed = !pi.candidate;
	s->checked = false;
	s->finished = false;
	return true;
}

/* Headers of a coalesced packet for the whole, and its virtio-net header. */
static void finish(struct slot *s)
{
	uint8_t *p = s->buf + RG_VNET_HDR_LEN;
	const struct pkt_info *pi = &s->first;
	size_t alen = pi->version == 4 ? 4 : 16, csum_off = pi->proto == PROTO_TCP ? 16 : 6;
	const uint8_t *src = p + (pi->version == 4 ? 12 : 8);
	uint32_t l4len = (uint32_t)(s->len - pi->iph);
	struct rg_vnet_hdr h = { 0 };

	if (pi->version == 4) {
		put16(p + 2, (uint16_t)s->len);
		p[10] = p[11] = 0;
		rg_csum_put(p + 10, rg_csum_final(rg_csum_add(0, p, pi->iph)));
		h.gso_type = pi->proto == PROTO_TCP ? RG_VNET_GSO_TCPV4 : RG_VNET_GSO_UDP_L4;
	} else {
		put16(p + 4, (uint16_t)(s->len - 40));
		h.gso_type = pi->proto == PROTO_TCP ? RG_VNET_GSO_TCPV6 : RG_VNET_GSO_UDP_L4;
	}
	if (pi->proto == PROTO_UDP)
		put16(p + pi->iph + 4, (uint16_t)l4len);
	/* the kernel completes the sum from csum_start (CHECKSUM_PARTIAL) */
	rg_csum_put(p + pi->iph + csum_off,
		    rg_csum_fold(rg_csum_pseudo(0, src, src + alen, alen, pi->proto, l4len)));
	h.flags = RG_VNET_F_NEEDS_CSUM;
	h.hdr_len = (uint16_t)(pi->iph + pi->l4h);
	h.gso_size = (uint16_t)s->gso_size;
	h.csum_start = (uint16_t)pi->iph;
	h.csum_offset = (uint16_t)csum_off;
	rg_vnet_hdr_encode(&h, s->buf);
}

const uint8_t *rg_gro_get(struct rg_gro *g, unsigned i, size_t *len)
{
	struct slot *s = &g->slots[i];

	if (!s->finished) {
		s->finished = s->closed = true; /* final: nothing joins it any more */
		if (s->segs > 1)
			finish(s);
		else
			memset(s->buf, 0, RG_VNET_HDR_LEN); /* as it came: GSO_NONE */
	}
	*len = RG_VNET_HDR_LEN + s->len;
	return s->buf;
}
