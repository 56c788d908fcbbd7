/* hex.c - constant-time hex (contract in hex.h). */
#include "core/hex.h"

#include "core/ct.h"
#include "core/err.h"

/* Nibble 0..15 to '0'..'9','a'..'f' without branching on the value. */
static char hex_digit(unsigned v)
{
	/* (9 - v) >> 8 is all ones when v > 9: add the gap 'a' - '0' - 10. */
	return (char)('0' + v + (((9u - v) >> 8) & ('a' - '0' - 10)));
}

void core_hex_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digit(in[i] >> 4);
		out[2 * i + 1] = hex_digit(in[i] & 0xf);
	}
	out[2 * n] = '\0';
}

/*
 * Character to its value, or a value >= 256 when c is not a hex digit.
 * Each range test yields an all-ones mask via an arithmetic shift of a
 * difference, so no branch depends on c.
 */
static unsigned hex_value(unsigned char c)
{
	int x = c;
	/* mask is -1 when lo <= x <= hi, else 0 */
#define IN_RANGE(lo, hi) ((((lo)-1 - x) & (x - (hi)-1)) >> 8)
	int digit = IN_RANGE('0', '9');
	int upper = IN_RANGE('A', 'F');
	int lower = IN_RANGE('a', 'f');
#undef IN_RANGE
	int val = (digit & (x - '0')) | (upper & (x - 'A' + 10)) | (lower & (x - 'a' + 10));
	int valid = digit | upper | lower;

	/* invalid characters map to 256, which no valid nibble reaches */
	return (unsigned)((val & valid) | (~valid & 256));
}

int core_hex_decode(uint8_t *out, size_t outlen, const char *hex, size_t hexlen)
{
	unsigned bad = 0;

	if (hexlen != 2 * outlen) {
		core_wipe(out, outlen);
		return CORE_ERR_BAD_FORMAT;
	}
	for (size_t i = 0; i < outlen; i++) {
		unsigned hi = hex_value((unsigned char)hex[2 * i]);
		unsigned lo = hex_value((unsigned char)hex[2 * i + 1]);

		bad |= (hi | lo) & 256;
		out[i] = (uint8_t)(hi << 4 | (lo & 0xf));
	}
	if (bad != 0) {
		core_wipe(out, outlen);
		return CORE_ERR_BAD_FORMAT;
	}
	return CORE_OK;
}
