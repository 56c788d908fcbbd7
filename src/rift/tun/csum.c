/*
 * csum.c - the Internet checksum (contract in csum.h). Words are summed as
 * native 32-bit loads into a 64-bit accumulator, which cannot overflow for
 * fewer than 2^32 bytes; folding adds the halves back together.
 */
#include "rift/tun/csum.h"

#include <string.h>

uint64_t rg_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint32_t w32;
	uint16_t w16;
	uint8_t last[2] = { 0, 0 };

	for (; len >= 16; p += 16, len -= 16) {
		uint32_t w[4];

		memcpy(w, p, sizeof(w));
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
	}
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		last[0] = p[0];
		memcpy(&w16, last, 2);
		sum += w16;
	}
	return sum;
}

uint64_t rg_csum_pseudo(uint64_t sum, const uint8_t *src, const uint8_t *dst, size_t alen,
			uint8_t proto, uint32_t l4len)
{
	const uint8_t tail[8] = { 0,
				  0,
				  (uint8_t)(l4len >> 24),
				  (uint8_t)(l4len >> 16),
				  (uint8_t)(l4len >> 8),
				  (uint8_t)l4len,
				  0,
				  proto };

	sum = rg_csum_add(sum, src, alen);
	sum = rg_csum_add(sum, dst, alen);
	return rg_csum_add(sum, tail, sizeof(tail));
}

uint16_t rg_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void rg_csum_put(uint8_t *p, uint16_t folded)
{
	memcpy(p, &folded, 2);
}
