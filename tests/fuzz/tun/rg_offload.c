/*
 * Fuzz target for rift/tun's offload code (vnet.h, gro.h): an input is a
 * virtio-net header (10 bytes), one byte choosing how many packets the
 * coalescer may hold (1..8), then the packet the TUN handed over.
 *
 * Invariants: splitting never reads or writes outside the packet and the
 * segment buffer; every segment of a GSO packet carries the headers and at
 * most gso_size bytes of payload, the payloads add up to the packet's, and
 * its checksums verify (checked here with a byte-at-a-time reference). The
 * segments, coalesced and split again, come back byte-exact (for IPv6
 * only when the transport header follows the IPv6 header, as the kernel
 * hands it); every coalesced packet, its checksum completed as the kernel
 * would, verifies too. The raw input packet also goes through the
 * coalescer, twice, for its parser's sake.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/tun/gro.h"
#include "rift/tun/vnet.h"

#define MAXPKT 65535

/* RFC 1071, one byte pair at a time: the folded sum. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The transport checksum at l4 (proto, l4len bytes) of an IP packet verifies. */
static bool l4_valid(const uint8_t *p, size_t l4, size_t len, uint8_t proto)
{
	size_t alen = p[0] >> 4 == 4 ? 4 : 16, src = alen == 4 ? 12 : 8;
	uint32_t sum = ref_sum(0, p + src, 2 * alen) + (uint32_t)(len - l4) + proto;

	return ref_sum(sum, p + l4, len - l4) == 0xffff;
}

/* A growing list of packets. */
struct pkts {
	GByteArray *bytes;
	GArray *ends; /* of size_t */
};

static void pkts_add(struct pkts *l, const uint8_t *p, size_t len)
{
	size_t end;

	g_byte_array_append(l->bytes, p, (guint)len);
	end = l->bytes->len;
	g_array_append_val(l->ends, end);
}

/* The segments of one split: checked against its header. */
static void split_checked(const struct rg_vnet_hdr *h, uint8_t *pkt, size_t len, uint8_t *out,
			  struct pkts *segs)
{
	struct rg_vnet_split s;
	const uint8_t *seg;
	size_t n, payload = 0, hdr = 0;
	uint8_t proto = 0;

	if (rg_vnet_split_begin(&s, h, pkt, len) != CORE_OK)
		return;
	if (s.proto != 0) {
		hdr = s.hdr_len;
		proto = s.proto;
	}
	while ((n = rg_vnet_split_next(&s, out, &seg)) > 0) {
		if (n > len || (proto != 0 && (n <= hdr || n - hdr > h->gso_size)))
			abort();
		if (proto != 0 && (!l4_valid(seg, h->csum_start, n, proto) ||
				   (seg[0] >> 4 == 4 && ref_sum(0, seg, h->csum_start) != 0xffff)))
			abort();
		payload += n - hdr;
		pkts_add(segs, seg, n);
	}
	if (proto != 0 && payload != len - hdr)
		abort();
}

/* Take everything out of the coalescer into outs, checking each packet. */
static void drain(struct rg_gro *g, struct pkts *outs)
{
	for (unsigned i = 0; i < rg_gro_count(g); i++) {
		size_t len;
		const uint8_t *b = rg_gro_get(g, i, &len);
		struct rg_vnet_hdr h;
		uint32_t sum;
		uint8_t *p;

		if (len <= RG_VNET_HDR_LEN || len > RG_VNET_HDR_LEN + MAXPKT)
			abort();
		rg_vnet_hdr_decode(b, &h);
		if (h.gso_type != RG_VNET_GSO_NONE) {
			/* complete the checksum as the kernel would, then it verifies */
			size_t at = (size_t)h.csum_start + h.csum_offset,
			       plen = len - RG_VNET_HDR_LEN;

			if (h.flags != RG_VNET_F_NEEDS_CSUM || h.gso_size == 0 || at + 2 > plen ||
			    h.hdr_len > plen)
				abort();
			p = g_memdup2(b + RG_VNET_HDR_LEN, plen);
			sum = ~ref_sum(0, p + h.csum_start, plen - h.csum_start);
			p[at] = (uint8_t)(sum >> 8);
			p[at + 1] = (uint8_t)sum;
			if (!l4_valid(p, h.csum_start, plen, h.csum_offset == 16 ? 6 : 17) ||
			    (p[0] >> 4 == 4 && ref_sum(0, p, h.csum_start) != 0xffff))
				abort();
			g_free(p);
		}
		pkts_add(outs, b, len);
	}
	rg_gro_reset(g);
}

/* Coalesce the packets of in into outs (header + packet each). */
static void coalesce(const struct pkts *in, unsigned max_out, struct pkts *outs)
{
	struct rg_gro *g = rg_gro_new(max_out, RG_GRO_UDP);
	size_t start = 0;

	for (guint i = 0; i < in->ends->len; i++) {
		size_t end = g_array_index(in->ends, size_t, i);

		if (!rg_gro_add(g, in->bytes->data + start, end - start)) {
			drain(g, outs);
			if (!rg_gro_add(g, in->bytes->data + start, end - start))
				abort();
		}
		start = end;
	}
	drain(g, outs);
	rg_gro_free(g);
}

static struct pkts pkts_new(void)
{
	return (struct pkts){ g_byte_array_new(), g_array_new(FALSE, FALSE, sizeof(size_t)) };
}

static void pkts_free(struct pkts *l)
{
	g_byte_array_unref(l->bytes);
	g_array_unref(l->ends);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkts segs = pkts_new(), outs = pkts_new(), again = pkts_new(), raw = pkts_new();
	uint8_t *pkt = NULL, *out = NULL;
	struct rg_vnet_hdr h;
	size_t len, start = 0;
	unsigned max_out;

	if (size < RG_VNET_HDR_LEN + 2 || size - RG_VNET_HDR_LEN - 1 > MAXPKT)
		goto done;
	rg_vnet_hdr_decode(data, &h);
	max_out = 1 + data[RG_VNET_HDR_LEN] % 8;
	len = size - RG_VNET_HDR_LEN - 1;
	/* the packet in a buffer of its own size, so ASan sees any overrun */
	pkt = g_memdup2(data + RG_VNET_HDR_LEN + 1, len);
	out = g_malloc(len);
	/* the raw packet, twice, through the coalescer's parser */
	pkts_add(&raw, pkt, len);
	pkts_add(&raw, pkt, len);
	coalesce(&raw, max_out, &outs);
	pkts_free(&outs);
	outs = pkts_new();

	split_checked(&h, pkt, len, out, &segs);
	coalesce(&segs, max_out, &outs);
	/* split again: the same segments, byte for byte */
	for (guint i = 0; i < outs.ends->len; i++) {
		size_t end = g_array_index(outs.ends, size_t, i);
		struct rg_vnet_hdr oh;
		uint8_t *o = g_memdup2(outs.bytes->data + start, end - start);
		uint8_t *obuf = g_malloc(end - start);

		rg_vnet_hdr_decode(o, &oh);
		split_checked(&oh, o + RG_VNET_HDR_LEN, end - start - RG_VNET_HDR_LEN, obuf,
			      &again);
		g_free(obuf);
		g_free(o);
		start = end;
	}
	if ((h.gso_type & 0x7f) == RG_VNET_GSO_NONE || pkt[0] >> 4 == 4 || h.csum_start == 40) {
		if (again.bytes->len != segs.bytes->len || again.ends->len != segs.ends->len ||
		    (segs.bytes->len > 0 &&
		     memcmp(again.bytes->data, segs.bytes->data, segs.bytes->len) != 0))
			abort();
	}
done:
	g_free(out);
	g_free(pkt);
	pkts_free(&segs);
	pkts_free(&outs);
	pkts_free(&again);
	pkts_free(&raw);
	return 0;
}
