/*
 * notice.h - the client's "connection lost" line (after mosh): drawn over the
 * terminal's top line in reverse video between a cursor save and restore, so
 * that the cursor and everything the session draws stay where they were, and
 * erased again when contact returns.
 *
 * Pure: builds the bytes to write; the caller writes them to the terminal.
 * Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GT_NOTICE_AFTER_US (2 * INT64_C(1000000)) /* silence before the notice shows */
#define GT_NOTICE_MAX	   512			  /* bytes gt_notice_show writes at most */

/*
 * The notice for silent_us of silence on a terminal cols wide (0: unknown,
 * taken as 80): "goet: connection lost, retrying; last contact N s ago",
 * cut to fit one line. Writes at most GT_NOTICE_MAX bytes to out (NUL
 * terminated) and returns the length.
 */
size_t gt_notice_show(char *out, int64_t silent_us, unsigned cols);
/* The bytes that erase it (NUL terminated, returns the length). */
size_t gt_notice_clear(char *out);
