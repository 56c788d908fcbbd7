/*
 * Unit tests for rift/tun's offload code: csum (the Internet checksum, against
 * RFC 1071's example and a byte-at-a-time reference), vnet (the virtio-net
 * header's exact bytes; GSO segmentation of hand-built TCP and UDP
 * super-packets over IPv4 and IPv6, TCP with options, odd sizes; checksum
 * completion without GSO; refusals of malformed headers) and gro
 * (coalescing: split and joined back byte-exact, what must stay apart: bad
 * checksums, PSH, short segments, gaps, other IP fields, other flows,
 * packets that are no candidates, the size and count limits).
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/tun/csum.h"
#include "rift/tun/gro.h"
#include "rift/tun/vnet.h"

#define MAXPKT 65535

/* --- a reference checksum and packet builders ----------------------------- */

/* RFC 1071 one byte pair at a time, big-endian: the folded sum as a number. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static size_t iph_of(const uint8_t *p)
{
	return p[0] >> 4 == 4 ? (size_t)(p[0] & 15) * 4 : 40;
}

/* The pseudo header's sum for the packet's transport part. */
static uint32_t ref_pseudo(const uint8_t *p, size_t len)
{
	size_t iph = iph_of(p), alen = p[0] >> 4 == 4 ? 4 : 16;
	uint8_t proto = p[0] >> 4 == 4 ? p[9] : p[6];
	uint32_t sum = ref_sum(0, p + (alen == 4 ? 12 : 8), 2 * alen);

	return sum + (uint32_t)(len - iph) + proto;
}

/* The packet's transport checksum verifies (and, IPv4, its header checksum). */
static gboolean ref_valid(const uint8_t *p, size_t len)
{
	size_t iph = iph_of(p);

	if (p[0] >> 4 == 4 && ref_sum(0, p, iph) != 0xffff)
		return FALSE;
	return ref_sum(ref_pseudo(p, len), p + iph, len - iph) == 0xffff;
}

/* Fill in the IPv4 header checksum and the transport checksum (field at l4 + off). */
static void ref_seal(uint8_t *p, size_t len, size_t off)
{
	size_t iph = iph_of(p);

	if (p[0] >> 4 == 4) {
		wr16(p + 10, 0);
		wr16(p + 10, (uint16_t)~ref_sum(0, p, iph));
	}
	wr16(p + iph + off, 0);
	wr16(p + iph + off, (uint16_t)~ref_sum(ref_pseudo(p, len), p + iph, len - iph));
}

struct spec {
	int version;	   /* 4 or 6 */
	int proto;	   /* 6 or 17 */
	size_t opts;	   /* TCP option bytes (multiple of 4) */
	size_t payload;	   /* bytes */
	uint32_t seq;	   /* TCP */
	uint8_t flags;	   /* TCP */
	uint16_t sport;	   /* 0: 40000 */
	uint8_t ttl;	   /* 0: 64 */
	uint8_t fill_base; /* payload byte i is fill_base + i */
};

/* An IP packet as the spec says, checksums right; its length. */
static size_t build(uint8_t *p, const struct spec *s)
{
	size_t iph = s->version == 4 ? 20 : 40;
	size_t l4h = s->proto == 6 ? 20 + s->opts : 8;
	size_t len = iph + l4h + s->payload;
	uint8_t *l4 = p + iph;

	memset(p, 0, iph + l4h);
	if (s->version == 4) {
		p[0] = 0x45;
		wr16(p + 2, (uint16_t)len);
		wr16(p + 4, 0x1234);
		p[6] = 0x40; /* DF */
		p[8] = s->ttl ? s->ttl : 64;
		p[9] = (uint8_t)s->proto;
		memcpy(p + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	} else {
		p[0] = 0x60;
		p[1] = 0x01; /* a flow label */
		wr16(p + 4, (uint16_t)(len - 40));
		p[6] = (uint8_t)s->proto;
		p[7] = s->ttl ? s->ttl : 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	}
	wr16(l4, s->sport ? s->sport : 40000);
	wr16(l4 + 2, 5201);
	if (s->proto == 6) {
		wr32(l4 + 4, s->seq);
		wr32(l4 + 8, 0xa0b0c0d0);
		l4[12] = (uint8_t)(l4h / 4) << 4;
		l4[13] = s->flags;
		wr16(l4 + 14, 502);
		for (size_t i = 0; i < s->opts; i++)
			l4[20 + i] = (uint8_t)(i == 0 ? 1 : 0x10 + i); /* NOP, then anything */
	} else {
		wr16(l4 + 4, (uint16_t)(l4h + s->payload));
	}
	for (size_t i = 0; i < s->payload; i++)
		p[iph + l4h + i] = (uint8_t)(s->fill_base + i);
	ref_seal(p, len, s->proto == 6 ? 16 : 6);
	return len;
}

/* What the kernel does with NEEDS_CSUM: complete the sum from csum_start. */
static void kernel_complete(uint8_t *p, size_t len, const struct rg_vnet_hdr *h)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	uint32_t sum = ref_sum(0, p + h->csum_start, len - h->csum_start);

	wr16(p + at, (uint16_t)~sum);
}

/* --- csum -------------------------------------------------------------------- */

static void test_csum_rfc1071(void)
{
	/* RFC 1071, 3: the sum of 0001 f203 f4f5 f6f7 is ddf2 */
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* a classic IPv4 header whose checksum is b861 */
	uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t out[2];

	rg_csum_put(out, rg_csum_fold(rg_csum_add(0, data, sizeof(data))));
	g_assert_cmpmem(out, 2, ((uint8_t[]){ 0xdd, 0xf2 }), 2);
	rg_csum_put(ip + 10, rg_csum_final(rg_csum_add(0, ip, sizeof(ip))));
	g_assert_cmpuint(ip[10], ==, 0xb8);
	g_assert_cmpuint(ip[11], ==, 0x61);
	g_assert_cmpuint(rg_csum_fold(rg_csum_add(0, ip, sizeof(ip))), ==, 0xffff);
}

/* Any length, in even pieces then an odd tail, against the reference. */
static void test_csum_lengths(void)
{
	uint8_t data[300], out[2];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(data); len++) {
		uint32_t want = ref_sum(0, data, len);
		size_t half = (len / 2) & ~(size_t)1;
		uint64_t sum = rg_csum_add(rg_csum_add(0, data, half), data + half, len - half);

		rg_csum_put(out, rg_csum_fold(sum));
		g_assert_cmpuint(be16(out), ==, want);
	}
	/* the pseudo header: addresses, zero, protocol, length */
	{
		const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
		const uint8_t ph[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0x05, 0xdc };

		rg_csum_put(out, rg_csum_fold(rg_csum_pseudo(0, src, dst, 4, 6, 1500)));
		g_assert_cmpuint(be16(out), ==, ref_sum(0, ph, sizeof(ph)));
	}
}

/* --- the virtio-net header -------------------------------------------------------- */

static void test_vnet_hdr_bytes(void)
{
	const struct rg_vnet_hdr h = {
		RG_VNET_F_NEEDS_CSUM, RG_VNET_GSO_TCPV6, 0x0102, 1368, 40, 16
	};
	static const uint8_t want[RG_VNET_HDR_LEN] = { 0x01, 0x04, 0x02, 0x01, 0x58,
						       0x05, 0x28, 0x00, 0x10, 0x00 };
	struct rg_vnet_hdr back;
	uint8_t b[RG_VNET_HDR_LEN];

	rg_vnet_hdr_encode(&h, b);
	g_assert_cmpmem(b, sizeof(b), want, sizeof(want));
	rg_vnet_hdr_decode(b, &back);
	g_assert_cmpmem(&back, sizeof(back), &h, sizeof(h));
}

/* --- segmentation ----------------------------------------------------------------- */

/* Split p (len bytes, header h) into segs (each MAXPKT bytes); their count. */
static unsigned split_all(const struct rg_vnet_hdr *h, uint8_t *p, size_t len, uint8_t **segs,
			  size_t *lens, unsigned max)
{
	struct rg_vnet_split s;
	const uint8_t *seg;
	unsigned n = 0;
	size_t l;

	g_assert_cmpint(rg_vnet_split_begin(&s, h, p, len), ==, CORE_OK);
	while ((l = rg_vnet_split_next(&s, segs[n], &seg)) > 0) {
		if (seg != segs[n])
			memcpy(segs[n], seg, l);
		lens[n++] = l;
		g_assert_cmpuint(n, <=, max);
	}
	return n;
}

static uint8_t **seg_bufs(unsigned n)
{
	uint8_t **b = g_new(uint8_t *, n);

	for (unsigned i = 0; i < n; i++)
		b[i] = g_malloc(MAXPKT);
	return b;
}

static void seg_bufs_free(uint8_t **b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		g_free(b[i]);
	g_free(b);
}

/*
 * A super-packet as the kernel hands it: headers of the whole, the
 * transport checksum field holding the pseudo-header sum.
 */
static size_t super_packet(uint8_t *p, const struct spec *s, struct rg_vnet_hdr *h,
			   uint16_t gso_size)
{
	size_t len = build(p, s), iph = s->version == 4 ? 20 : 40;
	size_t off = s->proto == 6 ? 16 : 6;
	uint32_t ps = ref_pseudo(p, len);

	while (ps >> 16)
		ps = (ps & 0xffff) + (ps >> 16);
	wr16(p + iph + off, (uint16_t)ps);
	h->flags = RG_VNET_F_NEEDS_CSUM;
	h->gso_type = s->proto == 17	? RG_VNET_GSO_UDP_L4
		      : s->version == 4 ? RG_VNET_GSO_TCPV4
					: RG_VNET_GSO_TCPV6;
	h->hdr_len = (uint16_t)len; /* as the kernel may say: not to be trusted */
	h->gso_size = gso_size;
	h->csum_start = (uint16_t)iph;
	h->csum_offset = (uint16_t)off;
	return len;
}

/* Check every segment of a split spec against segments built one by one. */
static void check_split(const struct spec *s, uint16_t gso_size, unsigned want_segs)
{
	uint8_t *p = g_malloc(MAXPKT), *want = g_malloc(MAXPKT), **segs = seg_bufs(64);
	size_t lens[64], iph = s->version == 4 ? 20 : 40, l4h = s->proto == 6 ? 20 + s->opts : 8;
	struct rg_vnet_hdr h;
	size_t len = super_packet(p, s, &h, gso_size);
	unsigned n = split_all(&h, p, len, segs, lens, 64);

	g_assert_cmpuint(n, ==, want_segs);
	for (unsigned i = 0; i < n; i++) {
		struct spec one = *s;
		size_t wlen;

		one.payload = MIN((size_t)gso_size, s->payload - i * gso_size);
		one.seq = s->seq + (uint32_t)(i * gso_size);
		one.fill_base = (uint8_t)(s->fill_base + i * gso_size);
		if (i + 1 < n)
			one.flags &= (uint8_t) ~(0x01 | 0x08); /* FIN, PSH: the last only */
		if (i > 0)
			one.flags &= (uint8_t)~0x80; /* CWR: the first only */
		wlen = build(want, &one);
		if (s->version == 4) {
			wr16(want + 4, (uint16_t)(0x1234 + i)); /* the identification counts up */
			ref_seal(want, wlen, s->proto == 6 ? 16 : 6);
		}
		g_assert_cmpuint(lens[i], ==, wlen);
		g_assert_cmpuint(lens[i], ==, iph + l4h + one.payload);
		g_assert_true(ref_valid(segs[i], lens[i]));
		g_assert_cmpmem(segs[i], lens[i], want, wlen);
	}
	seg_bufs_free(segs, 64);
	g_free(want);
	g_free(p);
}

static void test_split_tcp4_options(void)
{
	/* timestamps-sized options; an odd payload: 1368, 1368, then 513 bytes */
	check_split(&(struct spec){ 4, 6, 12, 2 * 1368 + 513, 1000, 0x18 | 0x80, 0, 0, 7 }, 1368,
		    3);
	/* FIN and PSH stay on the last, CWR on the first */
	check_split(&(struct spec){ 4, 6, 0, 4000, 0xfffffff0, 0x19 | 0x80, 0, 0, 1 }, 1000, 4);
}

static void test_split_tcp6(void)
{
	check_split(&(struct spec){ 6, 6, 12, 5 * 1348 + 1, 77, 0x18, 0, 0, 3 }, 1348, 6);
	check_split(&(struct spec){ 6, 6, 40, 1, 77, 0x10, 0, 0, 3 }, 1348, 1);
}

static void test_split_udp(void)
{
	check_split(&(struct spec){ 4, 17, 0, 3 * 1200 + 17, 0, 0, 0, 0, 9 }, 1200, 4);
	check_split(&(struct spec){ 6, 17, 0, 2 * 1200, 0, 0, 0, 0, 9 }, 1200, 2);
}

/* Without GSO: the packet itself, checksummed in place only when asked. */
static void test_split_none(void)
{
	uint8_t p[2000], want[2000];
	const struct spec s = { 4, 6, 0, 999, 5, 0x18, 0, 0, 0 };
	size_t len = build(want, &s);
	struct rg_vnet_hdr h;
	struct rg_vnet_split sp;
	const uint8_t *seg;

	/* NEEDS_CSUM: the field holds the pseudo-header sum */
	super_packet(p, &s, &h, 0);
	h.gso_type = RG_VNET_GSO_NONE;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, len), ==, CORE_OK);
	g_assert_cmpuint(rg_vnet_split_next(&sp, NULL, &seg), ==, len);
	g_assert_true(seg == p);
	g_assert_cmpmem(p, len, want, len);
	g_assert_cmpuint(rg_vnet_split_next(&sp, NULL, &seg), ==, 0);
	/* no flags: untouched, even a wrong checksum */
	p[30] ^= 1;
	memset(&h, 0, sizeof(h));
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, len), ==, CORE_OK);
	g_assert_cmpuint(rg_vnet_split_next(&sp, NULL, &seg), ==, len);
	g_assert_cmpuint(p[30], ==, want[30] ^ 1);
	/* a checksum field beyond the end */
	h.flags = RG_VNET_F_NEEDS_CSUM;
	h.csum_start = 20;
	h.csum_offset = (uint16_t)(len - 21);
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, len), ==, CORE_ERR_BAD_FORMAT);
	h.csum_start = (uint16_t)(len + 1);
	h.csum_offset = 0;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, len), ==, CORE_ERR_BAD_FORMAT);
}

static void test_split_refused(void)
{
	uint8_t p[4000];
	struct rg_vnet_hdr h, bad;
	struct rg_vnet_split sp;
	size_t len = super_packet(p, &(struct spec){ 4, 6, 0, 3000, 1, 0x10, 0, 0, 0 }, &h, 1000);

	bad = h;
	bad.gso_type = RG_VNET_GSO_UDP; /* UFO: never asked for */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_UNKNOWN_TYPE);
	bad.gso_type = 9;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_UNKNOWN_TYPE);
	bad = h;
	bad.gso_type = RG_VNET_GSO_TCPV6; /* an IPv4 packet */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_BAD_FORMAT);
	bad = h;
	bad.gso_size = 0;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_BAD_FORMAT);
	bad = h;
	bad.csum_start = 24; /* not where the IPv4 header ends */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_BAD_FORMAT);
	bad = h;
	bad.csum_offset = 6; /* not TCP's checksum */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &bad, p, len), ==, CORE_ERR_BAD_FORMAT);
	/* headers longer than the packet */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, 39), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, 0), ==, CORE_ERR_BAD_FORMAT);
	/* a TCP header length below 20 */
	p[20 + 12] = 0x40;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, len), ==, CORE_ERR_BAD_FORMAT);
	p[20 + 12] = 0xf0; /* 60: beyond what the packet has room for only when short */
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, 70), ==, CORE_ERR_BAD_FORMAT);
	/* headers only, no payload: nothing to send */
	p[20 + 12] = 0x50;
	g_assert_cmpint(rg_vnet_split_begin(&sp, &h, p, 40), ==, CORE_OK);
	g_assert_cmpuint(rg_vnet_split_next(&sp, p + 100, &(const uint8_t *){ NULL }), ==, 0);
}

/* --- coalescing --------------------------------------------------------------- */

/* What one packet out of the coalescer says. */
struct out {
	struct rg_vnet_hdr h;
	const uint8_t *pkt;
	size_t len;
};

static struct out out_of(struct rg_gro *g, unsigned i)
{
	struct out o;
	size_t len;
	const uint8_t *b = rg_gro_get(g, i, &len);

	g_assert_cmpuint(len, >=, RG_VNET_HDR_LEN);
	rg_vnet_hdr_decode(b, &o.h);
	o.pkt = b + RG_VNET_HDR_LEN;
	o.len = len - RG_VNET_HDR_LEN;
	return o;
}

/* Split a super-packet, coalesce the segments, and get the same one back. */
static void check_round_trip(const struct spec *s, uint16_t gso_size, unsigned flags)
{
	uint8_t *p = g_malloc(MAXPKT), *orig = g_malloc(MAXPKT), **segs = seg_bufs(64);
	uint8_t *done = g_malloc(MAXPKT);
	size_t lens[64], iph = s->version == 4 ? 20 : 40, l4h = s->proto == 6 ? 20 + s->opts : 8;
	struct rg_vnet_hdr h;
	size_t len = super_packet(p, s, &h, gso_size);
	unsigned n;
	struct rg_gro *g = rg_gro_new(8, flags);
	struct out o;

	memcpy(orig, p, len);
	n = split_all(&h, p, len, segs, lens, 64);
	g_assert_cmpuint(n, >, 1);
	for (unsigned i = 0; i < n; i++)
		g_assert_true(rg_gro_add(g, segs[i], lens[i]));
	g_assert_cmpuint(rg_gro_count(g), ==, 1);
	o = out_of(g, 0);
	g_assert_cmpuint(o.h.flags, ==, RG_VNET_F_NEEDS_CSUM);
	g_assert_cmpuint(o.h.gso_type, ==, h.gso_type);
	g_assert_cmpuint(o.h.gso_size, ==, gso_size);
	g_assert_cmpuint(o.h.hdr_len, ==, iph + l4h);
	g_assert_cmpuint(o.h.csum_start, ==, iph);
	g_assert_cmpuint(o.h.csum_offset, ==, h.csum_offset);
	/* the super-packet again, its checksum field the pseudo-header sum */
	g_assert_cmpuint(o.len, ==, len);
	g_assert_cmpmem(o.pkt, o.len, orig, len);
	/* and once the kernel completes it, valid */
	memcpy(done, o.pkt, o.len);
	kernel_complete(done, o.len, &o.h);
	g_assert_true(ref_valid(done, o.len));
	rg_gro_free(g);
	seg_bufs_free(segs, 64);
	g_free(done);
	g_free(orig);
	g_free(p);
}

static void test_gro_round_trip(void)
{
	check_round_trip(&(struct spec){ 4, 6, 12, 10 * 1368, 5, 0x18, 0, 0, 1 }, 1368, 0);
	check_round_trip(&(struct spec){ 4, 6, 0, 3 * 1380 + 7, 5, 0x10, 0, 0, 1 }, 1380, 0);
	check_round_trip(&(struct spec){ 6, 6, 12, 40 * 1348 + 100, 0xffffff00, 0x18, 0, 0, 2 },
			 1348, 0);
	check_round_trip(&(struct spec){ 4, 17, 0, 5 * 1392 + 3, 0, 0, 0, 0, 3 }, 1392, RG_GRO_UDP);
	check_round_trip(&(struct spec){ 6, 17, 0, 2 * 1392, 0, 0, 0, 0, 3 }, 1392, RG_GRO_UDP);
}

/* Segments of one TCP flow, seq following on: segment i of a run. */
static size_t seg(uint8_t *p, int version, size_t i, size_t payload, uint8_t flags)
{
	return build(p, &(struct spec){ version, 6, 12, payload, (uint32_t)(1000 + i * 1000), flags,
					0, 0, (uint8_t)i });
}

/* The coalescer's packets: each one's segment count, by its length. */
static void assert_outs(struct rg_gro *g, const size_t *want_len, const uint8_t *want_gso,
			unsigned n)
{
	g_assert_cmpuint(rg_gro_count(g), ==, n);
	for (unsigned i = 0; i < n; i++) {
		struct out o = out_of(g, i);

		g_assert_cmpuint(o.len, ==, want_len[i]);
		g_assert_cmpuint(o.h.gso_type, ==, want_gso[i]);
		if (want_gso[i] == RG_VNET_GSO_NONE)
			g_assert_cmpuint(o.h.flags, ==, 0);
	}
}

static void test_gro_bad_checksum(void)
{
	uint8_t p[2000], bad[2000];
	struct rg_gro *g = rg_gro_new(8, 0);
	size_t l, hl = 20 + 32;

	/* 1 and 2 join; 3 is corrupt: alone, unchanged; 4 follows 3, so it cannot join 1+2 */
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 1000, 0x10)));
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 1, 1000, 0x10)));
	l = seg(bad, 4, 2, 1000, 0x10);
	bad[100] ^= 0xff;
	g_assert_true(rg_gro_add(g, bad, l));
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 3, 1000, 0x10)));
	assert_outs(g, (size_t[]){ hl + 2000, hl + 1000, hl + 1000 },
		    (uint8_t[]){ RG_VNET_GSO_TCPV4, 0, 0 }, 3);
	g_assert_cmpmem(out_of(g, 1).pkt, l, bad, l);
	/* the first one corrupt: alone; the rest join from the second */
	rg_gro_reset(g);
	l = seg(bad, 4, 0, 1000, 0x10);
	bad[100] ^= 0xff;
	g_assert_true(rg_gro_add(g, bad, l));
	for (size_t i = 1; i < 4; i++)
		g_assert_true(rg_gro_add(g, p, seg(p, 4, i, 1000, 0x10)));
	/* 2..4 cannot join 1, which stays alone: the newest of the flow is 1 until 2 came */
	assert_outs(g, (size_t[]){ hl + 1000, hl + 3000 }, (uint8_t[]){ 0, RG_VNET_GSO_TCPV4 }, 2);
	g_assert_cmpmem(out_of(g, 0).pkt, l, bad, l);
	rg_gro_free(g);
}

static void test_gro_ends(void)
{
	uint8_t p[2000];
	struct rg_gro *g = rg_gro_new(8, 0);
	size_t hl = 40 + 32;
	struct out o;

	/* PSH ends a packet (and is kept on it); a short segment ends one too */
	g_assert_true(rg_gro_add(g, p, seg(p, 6, 0, 1000, 0x10)));
	g_assert_true(rg_gro_add(g, p, seg(p, 6, 1, 1000, 0x18)));
	g_assert_true(rg_gro_add(g, p, seg(p, 6, 2, 1000, 0x10)));
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 6, 6, 12, 500, 4000, 0x10, 0, 0, 3 })));
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 6, 6, 12, 1000, 4500, 0x10, 0, 0, 4 })));
	assert_outs(g, (size_t[]){ hl + 2000, hl + 1500, hl + 1000 },
		    (uint8_t[]){ RG_VNET_GSO_TCPV6, RG_VNET_GSO_TCPV6, 0 }, 3);
	o = out_of(g, 0);
	g_assert_cmpuint(o.pkt[40 + 13], ==, 0x18);
	g_assert_cmpuint(out_of(g, 1).pkt[40 + 13], ==, 0x10);
	/* a larger segment after a smaller first one, and a gap in the sequence */
	rg_gro_reset(g);
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 500, 0x10)));
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 4, 6, 12, 1000, 1500, 0x10, 0, 0, 0 })));
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 4, 6, 12, 1000, 2500, 0x10, 0, 0, 0 })));
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 4, 1000, 0x10)));
	assert_outs(g, (size_t[]){ 52 + 500, 52 + 2000, 52 + 1000 },
		    (uint8_t[]){ 0, RG_VNET_GSO_TCPV4, 0 }, 3);
	rg_gro_free(g);
}

static void test_gro_apart(void)
{
	uint8_t p[2000], q[2000];
	struct rg_gro *g = rg_gro_new(8, 0);
	size_t l;

	/* another TTL, another window, other options, another ack: no join */
	for (int v = 0; v < 4; v++) {
		rg_gro_reset(g);
		g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 1000, 0x10)));
		l = seg(q, 4, 1, 1000, 0x10);
		if (v == 0)
			q[8] = 63;
		else if (v == 1)
			wr16(q + 20 + 14, 503);
		else if (v == 2)
			q[20 + 25] ^= 1;
		else
			q[20 + 11] ^= 1;
		ref_seal(q, l, 16);
		g_assert_true(ref_valid(q, l));
		g_assert_true(rg_gro_add(g, q, l));
		g_assert_cmpuint(rg_gro_count(g), ==, 2);
	}
	/* two flows interleaved: each joins its own, in the order they began */
	rg_gro_reset(g);
	for (size_t i = 0; i < 3; i++) {
		g_assert_true(rg_gro_add(g, p, seg(p, 4, i, 1000, 0x10)));
		g_assert_true(
			rg_gro_add(g, p,
				   build(p, &(struct spec){ 4, 6, 12, 900, (uint32_t)(7 + i * 900),
							    0x10, 40001, 0, 0 })));
	}
	assert_outs(g, (size_t[]){ 52 + 3000, 52 + 2700 },
		    (uint8_t[]){ RG_VNET_GSO_TCPV4, RG_VNET_GSO_TCPV4 }, 2);
	g_assert_cmpuint(be16(out_of(g, 1).pkt + 20), ==, 40001);
	/* no candidates: a pure ACK of the flow between two segments keeps them apart */
	rg_gro_reset(g);
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 1000, 0x10)));
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 4, 6, 12, 0, 2000, 0x10, 0, 0, 0 })));
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 1, 1000, 0x10)));
	g_assert_cmpuint(rg_gro_count(g), ==, 3);
	/* SYN, FIN, ICMP, IPv4 options: alone */
	rg_gro_reset(g);
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 1000, 0x11)));
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 1, 1000, 0x12)));
	l = seg(p, 4, 2, 100, 0x10);
	p[9] = 1; /* ICMP */
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_cmpuint(rg_gro_count(g), ==, 4);
	for (unsigned i = 0; i < 4; i++)
		g_assert_cmpuint(out_of(g, i).h.gso_type, ==, RG_VNET_GSO_NONE);
	g_assert_cmpmem(out_of(g, 3).pkt, l, p, l);
	rg_gro_free(g);
}

static void test_gro_udp(void)
{
	uint8_t p[2000];
	struct rg_gro *g = rg_gro_new(8, 0);
	const struct spec s = { 4, 17, 0, 1000, 0, 0, 0, 0, 0 };
	size_t l = build(p, &s);

	/* UDP joins only when the TUN takes USO */
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_cmpuint(rg_gro_count(g), ==, 2);
	rg_gro_free(g);
	g = rg_gro_new(8, RG_GRO_UDP);
	for (int i = 0; i < 70; i++)
		g_assert_true(rg_gro_add(g, p, l));
	/* at most 64 datagrams to a packet */
	assert_outs(g, (size_t[]){ 28 + 64 * 1000, 28 + 6 * 1000 },
		    (uint8_t[]){ RG_VNET_GSO_UDP_L4, RG_VNET_GSO_UDP_L4 }, 2);
	g_assert_cmpuint(be16(out_of(g, 0).pkt + 20 + 4), ==, 8 + 64 * 1000);
	/* an IPv4 datagram without a checksum is nothing we could vouch for */
	rg_gro_reset(g);
	wr16(p + 26, 0);
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_true(rg_gro_add(g, p, l));
	g_assert_cmpuint(rg_gro_count(g), ==, 2);
	rg_gro_free(g);
}

static void test_gro_limits(void)
{
	uint8_t p[2000];
	struct rg_gro *g = rg_gro_new(2, 0);

	/* 65,535 bytes at most: 52 + 46 * 1400 = 64,452; one more would be 65,852 */
	for (size_t i = 0; i < 47; i++)
		g_assert_true(
			rg_gro_add(g, p,
				   build(p, &(struct spec){ 4, 6, 12, 1400, (uint32_t)(i * 1400),
							    0x10, 0, 0, 0 })));
	assert_outs(g, (size_t[]){ 52 + 46 * 1400, 52 + 1400 }, (uint8_t[]){ RG_VNET_GSO_TCPV4, 0 },
		    2);
	/* full: a packet that would need a third takes nothing; empty and go on */
	g_assert_false(rg_gro_add(g, p, seg(p, 4, 0, 100, 0x10)));
	g_assert_false(rg_gro_add(g, p, 0));
	rg_gro_reset(g);
	g_assert_cmpuint(rg_gro_count(g), ==, 0);
	g_assert_true(rg_gro_add(g, p, seg(p, 4, 0, 100, 0x10)));
	/* a packet already taken out is final: nothing joins it */
	(void)out_of(g, 0);
	g_assert_true(
		rg_gro_add(g, p, build(p, &(struct spec){ 4, 6, 12, 100, 1100, 0x10, 0, 0, 0 })));
	g_assert_cmpuint(rg_gro_count(g), ==, 2);
	rg_gro_free(g);
	rg_gro_free(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tun/csum/rfc1071", test_csum_rfc1071);
	g_test_add_func("/tun/csum/lengths", test_csum_lengths);
	g_test_add_func("/tun/vnet/header-bytes", test_vnet_hdr_bytes);
	g_test_add_func("/tun/vnet/split-tcp4-options", test_split_tcp4_options);
	g_test_add_func("/tun/vnet/split-tcp6", test_split_tcp6);
	g_test_add_func("/tun/vnet/split-udp", test_split_udp);
	g_test_add_func("/tun/vnet/split-none", test_split_none);
	g_test_add_func("/tun/vnet/split-refused", test_split_refused);
	g_test_add_func("/tun/gro/round-trip", test_gro_round_trip);
	g_test_add_func("/tun/gro/bad-checksum", test_gro_bad_checksum);
	g_test_add_func("/tun/gro/ends", test_gro_ends);
	g_test_add_func("/tun/gro/apart", test_gro_apart);
	g_test_add_func("/tun/gro/udp", test_gro_udp);
	g_test_add_func("/tun/gro/limits", test_gro_limits);
	return g_test_run();
}
