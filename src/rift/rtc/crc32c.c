/*
 * crc32c.c - CRC32c; see crc32c.h.
 *
 * The reflected polynomial 0x82f63b78, initial value and final XOR all
 * ones (RFC 9260 Appendix A). The portable form consumes a nibble per
 * step: entry i of the table is i shifted through four rounds of the
 * polynomial division.
 */
#include "rift/rtc/crc32c.h"

#include <string.h>

static const uint32_t nibble_table[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3,
	0x61c69362, 0x7198540d, 0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t rg_crc32c_portable(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		crc = (crc >> 4) ^ nibble_table[crc & 0x0f];
		crc = (crc >> 4) ^ nibble_table[crc & 0x0f];
	}
	return ~crc;
}

#if defined(__x86_64__)
/* With the SSE4.2 instruction, 8 bytes a step (it takes them little-endian, as x86 is). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *buf, size_t len)
{
	uint64_t crc = 0xffffffffu;
	uint64_t word;

	for (; len >= 8; buf += 8, len -= 8) {
		memcpy(&word, buf, 8);
		crc = __builtin_ia32_crc32di(crc, word);
	}
	for (; len > 0; buf++, len--)
		crc = __builtin_ia32_crc32qi((uint32_t)crc, *buf);
	return ~(uint32_t)crc;
}
#endif

uint32_t rg_crc32c(const uint8_t *buf, size_t len)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_sse42(buf, len);
#endif
	return rg_crc32c_portable(buf, len);
}
