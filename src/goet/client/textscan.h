/*
 * textscan.h - the byte classes predict.c scans terminal output for, a block
 * at a time where the bytes allow (16 bytes with SSE2, else 8 in a 64-bit
 * word; GT_TEXTSCAN_SWAR forces the latter): bulk output (base64, logs,
 * `seq`) is almost all printable ASCII, and a byte-at-a-time loop over it
 * cost the client more than the rest of its work on each byte.
 *
 * Each function gives exactly what its byte-at-a-time definition below
 * gives, for any bytes and any alignment (tests/unit/goet/test_textscan.c
 * checks both builds against those definitions).
 *
 * Pure: no state, no allocation; any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The length of the longest prefix of b[0..n) made of plain bytes: printable
 * ASCII (0x20-0x7e), CR and LF. b may be NULL when n is 0.
 */
size_t gt_textscan_plain(const uint8_t *b, size_t n);

/*
 * libvterm 0.1.4's CSI argument guard (predict.c model_write): *run counts
 * the separators (';' ':') since the last byte that ends any CSI (0x40-0x7e,
 * CAN 0x18, SUB 0x1a), which resets it to 0. Walks b[0..n) updating *run
 * and returns the index of the first separator that would make *run exceed
 * max (*run is then the count before it), or n when none does.
 */
size_t gt_textscan_seps(const uint8_t *b, size_t n, unsigned *run, unsigned max);

/* What gt_textscan_run finds in a plain run. */
struct gt_textscan_run {
	size_t len;    /* the plain prefix's length (gt_textscan_plain) */
	bool cr;       /* a CR is in it */
	bool tripped;  /* the guard (gt_textscan_seps from run, max) trips in it: then
			* len and cr are not set */
	unsigned seps; /* the guard's count after it (when not tripped) */
};

/*
 * Both scans at once over a plain run, for output that is mostly plain: the
 * plain prefix of b[0..n), whether it holds a CR, and the guard's count
 * after it from run, in one pass (the guard is only applied to that prefix).
 */
void gt_textscan_run(const uint8_t *b, size_t n, unsigned run, unsigned max,
		     struct gt_textscan_run *out);
