/* base64.c - constant-time base64 (contract in base64.h). */
#include "core/base64.h"

#include <stdbool.h>

#include "core/ct.h"
#include "core/err.h"

/* Mask of all ones when lo <= x <= hi, else 0 (x, lo, hi in 0..255). */
static int ct_range(int x, int lo, int hi)
{
	return ((lo - 1 - x) & (x - hi - 1)) >> 8;
}

/* 6-bit value to its base64 character, branch-free. */
static char b64_char(int v)
{
	int c = v + 'A';

	c += ((25 - v) >> 8) & 6;  /* 26..51 -> 'a'..'z' */
	c -= ((51 - v) >> 8) & 75; /* 52..61 -> '0'..'9' */
	c -= ((61 - v) >> 8) & 15; /* 62 -> '+' */
	c += ((62 - v) >> 8) & 3;  /* 63 -> '/' */
	return (char)c;
}

/* Base64 character to its 6-bit value, or -1 when not in the alphabet. */
static int b64_value(unsigned char ch)
{
	int c = ch, v = -1;

	v += ct_range(c, 'A', 'Z') & (c - 'A' + 1);
	v += ct_range(c, 'a', 'z') & (c - 'a' + 26 + 1);
	v += ct_range(c, '0', '9') & (c - '0' + 52 + 1);
	v += ct_range(c, '+', '+') & (62 + 1);
	v += ct_range(c, '/', '/') & (63 + 1);
	return v;
}

size_t core_base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void core_base64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i = 0, o = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_char((int)(w >> 18) & 63);
		out[o++] = b64_char((int)(w >> 12) & 63);
		out[o++] = b64_char((int)(w >> 6) & 63);
		out[o++] = b64_char((int)w & 63);
	}
	if (n - i == 1) {
		out[o++] = b64_char(in[i] >> 2);
		out[o++] = b64_char((in[i] & 3) << 4);
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		out[o++] = b64_char(in[i] >> 2);
		out[o++] = b64_char((in[i] & 3) << 4 | in[i + 1] >> 4);
		out[o++] = b64_char((in[i + 1] & 15) << 2);
		out[o++] = '=';
	}
	out[o] = '\0';
}

int core_base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen)
{
	size_t pad = 0, n, o = 0;
	int bad = 0, ret;

	*outlen = 0;
	if (inlen % 4 != 0)
		return CORE_ERR_BAD_FORMAT;
	if (inlen > 0 && in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	n = inlen / 4 * 3 - pad;
	if (n > outcap)
		return CORE_ERR_NO_SPACE;

	for (size_t i = 0; i < inlen; i += 4) {
		bool last = i + 4 == inlen;
		int a = b64_value((unsigned char)in[i]);
		int b = b64_value((unsigned char)in[i + 1]);
		/* '=' is allowed only as the final one or two characters */
		int c = last && pad == 2 ? 0 : b64_value((unsigned char)in[i + 2]);
		int d = last && pad >= 1 ? 0 : b64_value((unsigned char)in[i + 3]);
		uint32_t w;

		bad |= (a | b | c | d) >> 31;
		w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 | (uint32_t)(c & 63) << 6 |
		    (uint32_t)(d & 63);
		if (last && pad == 2) {
			bad |= (b & 15) != 0; /* non-canonical: unused bits set */
			out[o++] = (uint8_t)(w >> 16);
		} else if (last && pad == 1) {
			bad |= (c & 3) != 0;
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
		} else {
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
			out[o++] = (uint8_t)w;
		}
	}
	ret = bad ? CORE_ERR_BAD_FORMAT : CORE_OK;
	if (ret != CORE_OK)
		core_wipe(out, n);
	else
		*outlen = n;
	return ret;
}
