/* escape.c - escape sequences at line start (contract in escape.h). */
#include "goet/escape.h"

#include <stdbool.h>

void gt_escape_reset(struct gt_escape *e)
{
	e->state = GT_ESC_LINE_START;
}

static bool is_eol(uint8_t c)
{
	return c == '\r' || c == '\n';
}

/* The command a byte after a held ~ names, or GT_ESC_NONE. */
static enum gt_escape_action escape_command(uint8_t c)
{
	switch (c) {
	case '.':
		return GT_ESC_DISCONNECT;
	case '?':
		return GT_ESC_HELP;
	case 'd':
		return GT_ESC_DETACH;
	default:
		return GT_ESC_NONE;
	}
}

size_t gt_escape_process(struct gt_escape *e, const uint8_t *in, size_t n, uint8_t *out,
			 size_t *consumed, enum gt_escape_action *action)
{
	size_t o = 0, i;

	*action = GT_ESC_NONE;
	for (i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (e->state == GT_ESC_TILDE_HELD) {
			*action = escape_command(c);
			if (*action != GT_ESC_NONE) {
				/* after a command the user may type another at once */
				e->state = GT_ESC_LINE_START;
				i++;
				break;
			}
			out[o++] = '~'; /* "~~" sends one ~; "~x" sends both */
			if (c == '~') {
				e->state = GT_ESC_MID_LINE;
				continue;
			}
		} else if (e->state == GT_ESC_LINE_START && c == '~') {
			e->state = GT_ESC_TILDE_HELD;
			continue;
		}
		out[o++] = c;
		e->state = is_eol(c) ? GT_ESC_LINE_START : GT_ESC_MID_LINE;
	}
	*consumed = i;
	return o;
}
