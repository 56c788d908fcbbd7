/*
 * escape.h - the client's escape sequences, recognised at the start of a line
 * (after CR or LF, or at connection start), as ssh does:
 *
 *   ~.  end the session            ~?  list the escapes
 *   ~~  send one ~                 ~d  detach (leave the session running)
 *
 * A ~ at line start is held until the next byte decides what it is; the
 * state carries across reads, so an escape split over two reads still works
 * and one call may emit one byte more than it consumed (the released ~).
 * Reset at every (re)connection: a tilde held when the link dropped is lost,
 * as in the reference.
 *
 * Pure: no I/O. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum gt_escape_state {
	GT_ESC_LINE_START = 0,
	GT_ESC_MID_LINE,
	GT_ESC_TILDE_HELD,
};

enum gt_escape_action {
	GT_ESC_NONE = 0,
	GT_ESC_DISCONNECT, /* ~. */
	GT_ESC_HELP,	   /* ~? */
	GT_ESC_DETACH,	   /* ~d */
};

struct gt_escape {
	enum gt_escape_state state;
};

/* Start (or restart, at a reconnection) at line start. */
void gt_escape_reset(struct gt_escape *e);

/*
 * Filter n input bytes into out, which must hold n + 1 bytes. Stops right
 * after an escape command: *action says which (GT_ESC_NONE when the whole
 * input was filtered) and *consumed how many input bytes were used, so the
 * caller can act and then pass in + *consumed again. Returns the number of
 * bytes written to out. On GT_ESC_DISCONNECT the reference discards the
 * output of the whole chunk; that choice is the caller's.
 */
size_t gt_escape_process(struct gt_escape *e, const uint8_t *in, size_t n, uint8_t *out,
			 size_t *consumed, enum gt_escape_action *action);
