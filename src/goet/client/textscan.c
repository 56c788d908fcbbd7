/* textscan.c - plain-text and CSI-separator scans, a block at a time (contract in textscan.h). */
#include "goet/client/textscan.h"

#include <string.h>
#if defined(__SSE2__) && !defined(GT_TEXTSCAN_SWAR)
#include <emmintrin.h>
#endif

/* What a block of TS_STEP bytes holds, for the loops below. */
struct ts_block {
	bool plain; /* every byte is plain */
	bool cr;    /* ... and one is CR */
	bool sep;   /* one is ';' or ':' */
	bool high;  /* one is 0x40 or above (in a plain block: 0x40-0x7e) */
};

#if defined(__SSE2__) && !defined(GT_TEXTSCAN_SWAR)
/* x86-64 always has SSE2: 16 bytes a step (signed compares: bytes >= 0x80 are below 0). */
#define TS_STEP 16

static inline void ts_scan(const uint8_t *b, struct ts_block *k)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)b);
	__m128i pr = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
				   _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
	__m128i cr = _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'));
	__m128i lf = _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'));
	__m128i sep = _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(1)), _mm_set1_epi8(';'));

	k->plain = _mm_movemask_epi8(_mm_or_si128(pr, _mm_or_si128(cr, lf))) == 0xffff;
	k->cr = _mm_movemask_epi8(cr) != 0;
	k->sep = _mm_movemask_epi8(sep) != 0;
	k->high = _mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x3f))) != 0;
}
#else
/* Elsewhere 8 bytes a step in a 64-bit word. */
#define TS_STEP	 8
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

/* Some byte of x is ';' (0x3b) or ':' (0x3a): a zero byte in (x | 1) ^ ";;;;;;;;". */
static inline bool ts_has_sep(uint64_t x)
{
	return ts_has_below((x | TS_ONES) ^ (TS_ONES * ';'), 1);
}

static inline void ts_scan(const uint8_t *b, struct ts_block *k)
{
	uint64_t x = ts_load(b), cr;

	k->plain = ts_plain_mask(x, &cr) == TS_HIGHS;
	k->cr = cr != 0;
	k->sep = ts_has_sep(x);
	k->high = ts_has_above(x, 0x3f);
}
#endif

static bool ts_plain_byte(uint8_t b)
{
	return (b >= 0x20 && b <= 0x7e) || b == '\r' || b == '\n';
}

/*
 * From i, whole blocks while they are plain (and, with stop_sep, hold no
 * separator): the index of the first block that is not, or of the last,
 * partial one. A block with a byte 0x40-0x7e sets *run to 0 (it ends any
 * CSI); one with a CR sets *cr. Inlined with constant stop_sep.
 */
static inline size_t ts_skip(const uint8_t *b, size_t i, size_t n, bool stop_sep, unsigned *run,
			     bool *cr)
{
	struct ts_block k;

	for (; i + TS_STEP <= n; i += TS_STEP) {
		ts_scan(b + i, &k);
		if (!k.plain || (stop_sep && k.sep))
			break;
		*cr |= k.cr;
		if (k.high)
			*run = 0;
	}
	return i;
}

/* The end of the block at i: what the byte-by-byte loops look at. */
static inline size_t ts_block_end(size_t i, size_t n)
{
	return i + TS_STEP < n ? i + TS_STEP : n;
}

size_t gt_textscan_plain(const uint8_t *b, size_t n)
{
	size_t i = 0;
	unsigned run = 0;
	bool cr = false;

	while (i < n) {
		size_t end;

		i = ts_skip(b, i, n, false, &run, &cr);
		for (end = ts_block_end(i, n); i < end; i++)
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
	bool cr = false;

	while (i < n) {
		size_t end;

		i = ts_skip(b, i, n, true, run, &cr);
		for (end = ts_block_end(i, n); i < end; i++) {
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

		i = ts_skip(b, i, n, true, &run, &cr);
		/* a separator, or the end: byte by byte */
		for (end = ts_block_end(i, n); i < end; i++) {
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
