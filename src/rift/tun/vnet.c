/*
 * vnet.c - the virtio-net header and GSO segmentation (contract in vnet.h).
 * Each segment is built in the caller's buffer: the first packet's headers,
 * this segment's payload, then the fields that differ per segment and the
 * checksums, as the kernel's own GSO would write them.
 */
#include "rift/tun/vnet.h"

#include <string.h>

#include "core/err.h"
#include "rift/tun/csum.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCP_FIN	     0x01
#define TCP_PSH	     0x08
#define TCP_CWR	     0x80
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define UDP_HDR	     8

static uint16_t get16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void rg_vnet_hdr_decode(const uint8_t b[RG_VNET_HDR_LEN], struct rg_vnet_hdr *h)
{
	h->flags = b[0];
	h->gso_type = b[1];
	h->hdr_len = get16le(b + 2);
	h->gso_size = get16le(b + 4);
	h->csum_start = get16le(b + 6);
	h->csum_offset = get16le(b + 8);
}

void rg_vnet_hdr_encode(const struct rg_vnet_hdr *h, uint8_t b[RG_VNET_HDR_LEN])
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	put16le(b + 2, h->hdr_len);
	put16le(b + 4, h->gso_size);
	put16le(b + 6, h->csum_start);
	put16le(b + 8, h->csum_offset);
}

/* NEEDS_CSUM without GSO: sum from csum_start, the field's pseudo-header sum included. */
static int checksum_in_place(const struct rg_vnet_hdr *h, uint8_t *pkt, size_t len)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	uint64_t sum = 0;

	if (h->csum_start > len || at + 2 > len)
		return CORE_ERR_BAD_FORMAT;
	sum = rg_csum_add(sum, pkt + at, 2);
	pkt[at] = pkt[at + 1] = 0;
	sum = rg_csum_add(sum, pkt + h->csum_start, len - h->csum_start);
	rg_csum_put(pkt + at, rg_csum_final(sum));
	return CORE_OK;
}

/* The IP header agrees with the GSO type and ends at csum_start: its version, or 0. */
static uint8_t ip_version_for(uint8_t gso, const uint8_t *pkt, size_t len, size_t l4_off)
{
	uint8_t v = len > 0 ? pkt[0] >> 4 : 0;

	if (v == 4 && (gso == RG_VNET_GSO_TCPV4 || gso == RG_VNET_GSO_UDP_L4) && len >= 20 &&
	    (size_t)(pkt[0] & 15) * 4 == l4_off && l4_off >= 20)
		return 4;
	if (v == 6 && (gso == RG_VNET_GSO_TCPV6 || gso == RG_VNET_GSO_UDP_L4) && len >= 40 &&
	    l4_off >= 40)
		return 6;
	return 0;
}

int rg_vnet_split_begin(struct rg_vnet_split *s, const struct rg_vnet_hdr *h, uint8_t *pkt,
			size_t len)
{
	uint8_t gso = h->gso_type & (uint8_t)~RG_VNET_GSO_ECN;
	size_t l4_off = h->csum_start, l4_len;

	memset(s, 0, sizeof(*s));
	s->pkt = pkt;
	s->len = len;
	if (gso == RG_VNET_GSO_NONE)
		return h->flags & RG_VNET_F_NEEDS_CSUM ? checksum_in_place(h, pkt, len) : CORE_OK;
	if (gso != RG_VNET_GSO_TCPV4 && gso != RG_VNET_GSO_TCPV6 && gso != RG_VNET_GSO_UDP_L4)
		return CORE_ERR_UNKNOWN_TYPE;
	s->ip_version = ip_version_for(gso, pkt, len, l4_off);
	if (s->ip_version == 0 || h->gso_size == 0)
		return CORE_ERR_BAD_FORMAT;
	if (gso == RG_VNET_GSO_UDP_L4) {
		s->proto = IPPROTO_UDP_;
		l4_len = UDP_HDR;
		if (h->csum_offset != UDP_CSUM_OFF)
			return CORE_ERR_BAD_FORMAT;
	} else {
		s->proto = IPPROTO_TCP_;
		if (len < l4_off + 20 || h->csum_offset != TCP_CSUM_OFF)
			return CORE_ERR_BAD_FORMAT;
		l4_len = (size_t)(pkt[l4_off + 12] >> 4) * 4;
		if (l4_len < 20)
			return CORE_ERR_BAD_FORMAT; /* (4 bits: never more than 60) */
	}
	if (l4_off + l4_len > len)
		return CORE_ERR_BAD_FORMAT;
	s->l4_off = l4_off;
	s->hdr_len = l4_off + l4_len;
	s->seg_size = h->gso_size;
	s->next = s->hdr_len;
	return CORE_OK;
}

/* The per-segment fields of the IP header in out (total bytes). */
static void fix_ip(const struct rg_vnet_split *s, uint8_t *out, size_t total)
{
	if (s->ip_version == 6) {
		put16(out + 4, (uint16_t)(total - 40));
		return;
	}
	put16(out + 2, (uint16_t)total);
	put16(out + 4, (uint16_t)(get16(s->pkt + 4) + s->index));
	out[10] = out[11] = 0;
	rg_csum_put(out + 10, rg_csum_final(rg_csum_add(0, out, s->l4_off)));
}

/* The transport header's per-segment fields and checksum; last: the final segment. */
static void fix_l4(const struct rg_vnet_split *s, uint8_t *out, size_t total, bool last)
{
	uint8_t *l4 = out + s->l4_off;
	size_t alen = s->ip_version == 4 ? 4 : 16, src = s->ip_version == 4 ? 12 : 8;
	uint32_t l4len = (uint32_t)(total - s->l4_off);
	uint16_t c;

	if (s->proto == IPPROTO_TCP_) {
		put32(l4 + 4, get32(s->pkt + s->l4_off + 4) + (uint32_t)(s->index * s->seg_size));
		if (!last)
			l4[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (s->index > 0)
			l4[13] &= (uint8_t)~TCP_CWR;
		l4[TCP_CSUM_OFF] = l4[TCP_CSUM_OFF + 1] = 0;
	} else {
		put16(l4 + 4, (uint16_t)l4len);
		l4[UDP_CSUM_OFF] = l4[UDP_CSUM_OFF + 1] = 0;
	}
	c = rg_csum_final(rg_csum_add(
		rg_csum_pseudo(0, out + src, out + src + alen, alen, s->proto, l4len), l4, l4len));
	if (s->proto == IPPROTO_UDP_ && c == 0)
		c = 0xffff; /* 0 means "no checksum" in UDP */
	rg_csum_put(l4 + (s->proto == IPPROTO_TCP_ ? TCP_CSUM_OFF : UDP_CSUM_OFF), c);
}

size_t rg_vnet_split_next(struct rg_vnet_split *s, uint8_t *out, const uint8_t **seg)
{
	size_t end, total;

	if (s->proto == 0) {
		/* no GSO: the packet itself, once */
		*seg = s->pkt;
		total = s->index++ == 0 ? s->len : 0;
		return total;
	}
	if (s->next >= s->len)
		return 0;
	end = s->len - s->next > s->seg_size ? s->next + s->seg_size : s->len;
	total = s->hdr_len + (end - s->next);
	memcpy(out, s->pkt, s->hdr_len);
	memcpy(out + s->hdr_len, s->pkt + s->next, end - s->next);
	fix_ip(s, out, total);
	fix_l4(s, out, total, end == s->len);
	s->index++;
	s->next = end;
	*seg = out;
	return total;
}
