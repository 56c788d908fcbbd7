/* textscan.c - plain-text and CSI-separator scans, a word at a time (contract in textscan.h). */
#include "goet/client/textscan.h"

#include <string.h>

#define TS_ONES	 0x0101010101010101ull
#define TS_HIGHS 0x8080808080808080ull

static inline uint64_t ts_load(const uint8_t *b)
{
	uint64_t x;

	memcpy(&x, b, sizeof(x));
	return x;
}

/*
 * Whether some byte of x is below n (n <= 0x80), and whether some byte is
 * above n (n <= 0x7f): exact as yes/no answers (a borrow or carry only
 * crosses into the next byte from a byte that already answers yes).
 */
static inline bool ts_has_below(uint64_t x, unsigned n)
{
	return ((x - TS_ONES * n) & ~x & TS_HIGHS) != 0;
}

static inline bool ts_has_above(uint64_t x, unsigned n)
{
	return (((x + TS_ONES * (0x7f - n)) | x) & TS_HIGHS) != 0;
}

/* The bytes of x that are 0 (their top bit set), exactly: no carry crosses a byte. */
static inline uint64_t ts_zeros(uint64_t x)
{
	return ~(((x & ~TS_HIGHS) + ~TS_HIGHS) | x) & TS_HIGHS;
}

/*
 * The bytes of x that are plain (their top bit set): printable ASCII
 * (0x20-0x7e), CR or LF, exactly (as ts_zeros); *cr: those that are CR.
 */
static inline uint64_t ts_plain_mask(uint64_t x, uint64_t *cr)
{
	uint64_t lo = x & ~TS_HIGHS;
	uint64_t printable = (lo + TS_ONES * 0x60) & ~(lo + TS_ONES) & ~x & TS_HIGHS;

	*cr = ts_zeros(x ^ (TS_ONES * '\r'));
	return printable | *cr | ts_zeros(x ^ (TS_ONES * '\n'));
}

/* Every byte of x is plain. */
static inline bool ts_plain_word(uint64_t x)
{
	uint64_t cr;

	return ts_plain_mask(x, &cr) == TS_HIGHS;
}

/* Some byte of x is ';' (0x3b) or ':' (0x3a): a zero byte in (x | 1) ^ ";;;;;;;;". */
static inline bool ts_has_sep(uint64_t x)
{
	return ts_has_below((x | TS_ONES) ^ (TS_ONES * ';'), 1);
}

static bool ts_plain_byte(uint8_t b)
{
	return (b >= 0x20 && b <= 0x7e) || b == '\r' || b == '\n';
}

size_t gt_textscan_plain(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t end;

		while (i + 8 <= n && ts_plain_word(ts_load(b + i)))
			i += 8;
		end = i + 8 < n ? i + 8 : n; /* the word with the end: byte by byte */
		for (; i < end; i++)
			if (!ts_plain_byte(b[i]))
				return i;
	}
	return n;
}

/* The byte ends any CSI: the separator count starts again. */
static bool ts_ends_csi(uint8_t b)
{
	return (b >= 0x40 && b <= 0x7e) || b == 0x18 || b == 0x1a;
}

size_t gt_textscan_seps(const uint8_t *b, size_t n, unsigned *run, unsigned max)
{
	size_t i = 0;

	while (i < n) {
		size_t end;

		for (; i + 8 <= n; i += 8) {
			uint64_t x = ts_load(b + i);

			if (!ts_plain_word(x) || ts_has_sep(x))
				break;
			if (ts_has_above(x, 0x3f)) /* plain: 0x40-0x7e */
				*run = 0;
		}
		end = i + 8 < n ? i + 8 : n;
		for (; i < end; i++) {
			if (ts_ends_csi(b[i])) {
				*run = 0;
			} else if (b[i] == ';' || b[i] == ':') {
				if (*run >= max)
					return i;
				++*run;
			}
		}
	}
	return n;
}

/* The guard over one plain byte: false when it trips. */
static bool ts_guard_byte(uint8_t b, unsigned *run, unsigned max)
{
	if (b >= 0x40) { /* plain: 0x40-0x7e */
		*run = 0;
	} else if (b == ';' || b == ':') {
		if (*run >= max)
			return false;
		++*run;
	}
	return true;
}

void gt_textscan_run(const uint8_t *b, size_t n, unsigned run, unsigned max,
		     struct gt_textscan_run *out)
{
	size_t i = 0;
	bool cr = false;

	*out = (struct gt_textscan_run){ .tripped = true };
	while (i < n) {
		size_t end;

		for (; i + 8 <= n; i += 8) {
			uint64_t x = ts_load(b + i), crs;

			if (ts_plain_mask(x, &crs) != TS_HIGHS || ts_has_sep(x))
				break;
			cr |= crs != 0;
			if (((x + TS_ONES * 0x40) & TS_HIGHS) != 0) /* plain: a byte 0x40-0x7e */
				run = 0;
		}
		end = i + 8 < n ? i + 8 : n; /* a separator, or the end: byte by byte */
		for (; i < end; i++) {
			if (!ts_plain_byte(b[i]))
				goto done;
			if (!ts_guard_byte(b[i], &run, max))
				return;
			cr |= b[i] == '\r';
		}
	}
done:
	*out = (struct gt_textscan_run){ .len = i, .cr = cr, .seps = run };
}
