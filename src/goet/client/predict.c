/* predict.c - predictive local echo over a libvterm model (contract in predict.h). */
#include "goet/client/predict.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <vterm.h>

#include "core/err.h"
#include "goet/client/textscan.h"

#define PRED_OPAQUE    0xffffffffu /* a cell the overlay cannot restore (wide, combined) */
#define SCAN_MAX_ARG   100000u	   /* CSI parameters are clamped here while scanning */
#define PRED_REP_FINAL "~"	   /* a CSI final byte libvterm 0.1.4 ignores */
/* libvterm 0.1.4 keeps 16 CSI arguments and writes past them (heap corruption) */
#define PRED_CSI_MAX_SEPS 15
/* Output held back from libvterm while nothing is pending, at most (model_input). */
#define PRED_LAG_MAX (256 * 1024)

enum pred_kind { PRED_CELL, PRED_CURSOR };

/* One predicted key: a cell's new content and/or a cursor move, on the run's line. */
struct pred {
	enum pred_kind kind;
	int col;	   /* the cell (PRED_CELL) */
	uint32_t ch;	   /* its predicted content: printable ASCII (' ' for a blank) */
	uint32_t orig;	   /* what the overlay held there before */
	int before, after; /* the cursor column before and after the key */
	int64_t made_us;
};

/* The output scanner: the state libvterm keeps but does not let us read. */
enum scan_state { SC_GROUND, SC_ESC, SC_ESC_INTER, SC_CSI, SC_STRING, SC_STRING_ESC, SC_SHIFT };

enum key_kind { KEY_CHAR, KEY_BS, KEY_LEFT, KEY_RIGHT, KEY_OTHER };

/* What the model is given for one byte of output. */
enum scan_action {
	SCAN_FEED = 0, /* the byte */
	SCAN_SKIP,     /* nothing (an ESC held until the next byte, a string's byte) */
	SCAN_ESC_FEED, /* the held ESC, then the byte */
	SCAN_REP,      /* REP's final byte: an unknown final, then the repeats */
	SCAN_DROP,     /* nothing: an argument past PRED_CSI_MAX_SEPS */
	SCAN_CUT,      /* a cut CSI's final byte: an unknown final instead */
	SCAN_CANCEL,   /* a CAN instead of the byte (libvterm would read it otherwise) */
	SCAN_RESET,    /* an ESC ends a sequence libvterm has begun: a CAN ends it now */
};

/* The pen's (or a cell's) look, as far as the overlay must preserve it. */
struct look {
	unsigned bold, underline, italic, blink, reverse, strike, font;
	VTermColor fg, bg;
};

struct gt_predict {
	VTerm *vt;
	VTermScreen *screen;
	VTermState *state;
	enum gt_predict_mode mode;
	int rows, cols;
	int64_t srtt_us;
	bool rtt_high; /* adaptive: the RTT is above the threshold (with hysteresis) */
	struct pred e[GT_PREDICT_MAX];
	size_t n;
	bool open;	/* the run takes more predictions */
	bool trusted;	/* a confirmation changed the screen: the run's predictions are drawn */
	bool drawn;	/* the pending predictions are on the terminal now */
	bool was_drawn; /* ... they were before this chunk's undo */
	int row, floor; /* the run's line and leftmost column */
	bool size_ok;	/* the last resize was within the limits */
	bool synced;	/* a CR seen since the start or the last resize */
	bool disturbed; /* this chunk moved the run's line or used an unknown sequence */
	bool altscreen;
	struct core_buf lag; /* bytes for libvterm not given yet (model_input) */
	size_t lag_plain;    /* ... its last this many bytes known to be plain */
	bool lag_cut;	     /* ... its front dropped (model_input_known): a CR LF goes first */
	bool tail_ok;	     /* libvterm's cursor is on the bottom row of a full-screen region */
	bool lagging;	     /* nothing is pending: libvterm's bytes wait in lag */
	bool probing;	     /* the next scroll is the test of model_collapse */
	bool probe_full;     /* ... and it moved the whole screen up one line */
	enum scan_state sc;
	unsigned sc_param, sc_seps;
	uint8_t sc_inter;  /* an ESC sequence's first intermediate byte ('(': G0) */
	unsigned seps_run; /* ';' and ':' given to libvterm since a byte that ends any CSI */
	bool sc_private, sc_has4, sc_cut;
	bool irm, g0_special, shifted;
	uint8_t last_char; /* the last character printed, if ASCII (for REP) */
	uint8_t u8buf[4];  /* the UTF-8 character being collected (never given in part) */
	unsigned u8len, u8need;
	uint8_t prefix[8]; /* bytes to give libvterm before the current one */
	size_t prefix_len;
	struct gt_predict_stats st;
};

/* ---------------------------------------------------------------- model */

static int cb_moverect(VTermRect dest, VTermRect src, void *user)
{
	struct gt_predict *p = user;

	if (p->probing)
		p->probe_full = dest.start_row == 0 && dest.end_row == p->rows - 1 &&
				src.start_row == 1 && src.end_row == p->rows &&
				dest.start_col == 0 && src.start_col == 0 &&
				dest.end_col == p->cols && src.end_col == p->cols;
	if ((p->row >= dest.start_row && p->row < dest.end_row) ||
	    (p->row >= src.start_row && p->row < src.end_row))
		p->disturbed = true;
	return 0;
}

static int cb_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct gt_predict *p = user;

	if (prop == VTERM_PROP_ALTSCREEN)
		p->altscreen = val->boolean != 0;
	return 1;
}

static int fb_csi(const char *leader, const long args[], int argcount, const char *intermed,
		  char command, void *user)
{
	((struct gt_predict *)user)->disturbed = true;
	return 1;
}

static int fb_control(unsigned char control, void *user)
{
	((struct gt_predict *)user)->disturbed = true;
	return 1;
}

/* OSC and DCS strings the model does not know change nothing on the screen. */
static int fb_string(const char *command, size_t cmdlen, void *user)
{
	return 1;
}

/* The model's replies (to DA, DSR...) are the real terminal's to give. */
static void vt_discard(const char *s, size_t len, void *user)
{
}

static const VTermScreenCallbacks screen_cb = {
	.moverect = cb_moverect,
	.settermprop = cb_settermprop,
};

static const VTermParserCallbacks fallback_cb = {
	.control = fb_control,
	.csi = fb_csi,
	.osc = fb_string,
	.dcs = fb_string,
};

static VTermPos model_cursor(const struct gt_predict *p)
{
	VTermPos pos;

	vterm_state_get_cursorpos(p->state, &pos);
	return pos;
}

/* A cell of the run's line: its ASCII character (' ' for empty), or PRED_OPAQUE. */
static uint32_t model_char(const struct gt_predict *p, int col)
{
	VTermScreenCell c;
	VTermPos pos = { .row = p->row, .col = col };

	memset(&c, 0, sizeof(c)); /* libvterm writes chars[] only up to the first 0 */
	if (!vterm_screen_get_cell(p->screen, pos, &c) || c.width != 1)
		return PRED_OPAQUE;
	if (c.chars[0] == 0)
		return ' ';
	if (c.chars[1] != 0)
		return PRED_OPAQUE; /* combining characters */
	return c.chars[0] >= 0x20 && c.chars[0] <= 0x7e ? c.chars[0] : PRED_OPAQUE;
}

static void pen_look(const struct gt_predict *p, struct look *l)
{
	VTermValue v;

	memset(l, 0, sizeof(*l));
	vterm_state_get_penattr(p->state, VTERM_ATTR_BOLD, &v);
	l->bold = v.boolean != 0;
	vterm_state_get_penattr(p->state, VTERM_ATTR_UNDERLINE, &v);
	l->underline = (unsigned)v.number;
	vterm_state_get_penattr(p->state, VTERM_ATTR_ITALIC, &v);
	l->italic = v.boolean != 0;
	vterm_state_get_penattr(p->state, VTERM_ATTR_BLINK, &v);
	l->blink = v.boolean != 0;
	vterm_state_get_penattr(p->state, VTERM_ATTR_REVERSE, &v);
	l->reverse = v.boolean != 0;
	vterm_state_get_penattr(p->state, VTERM_ATTR_STRIKE, &v);
	l->strike = v.boolean != 0;
	vterm_state_get_penattr(p->state, VTERM_ATTR_FONT, &v);
	l->font = (unsigned)v.number;
	vterm_state_get_penattr(p->state, VTERM_ATTR_FOREGROUND, &v);
	l->fg = v.color;
	vterm_state_get_penattr(p->state, VTERM_ATTR_BACKGROUND, &v);
	l->bg = v.color;
}

/*
 * The cell can be drawn over and put back with the pen as it is: ASCII or
 * blank, and looking as the pen would write it (a blank: the same
 * background, reverse, underline and strike).
 */
static bool cell_fits(const struct gt_predict *p, int col, const struct look *pen)
{
	VTermScreenCell c;
	VTermPos pos = { .row = p->row, .col = col };
	bool blank;

	memset(&c, 0, sizeof(c));
	if (model_char(p, col) == PRED_OPAQUE || !vterm_screen_get_cell(p->screen, pos, &c))
		return false;
	blank = c.chars[0] == 0 || c.chars[0] == ' ';
	if (!vterm_color_is_equal(&c.bg, &pen->bg) || c.attrs.reverse != pen->reverse ||
	    c.attrs.underline != pen->underline || c.attrs.strike != pen->strike)
		return false;
	if (blank && !c.attrs.reverse)
		return true;
	return c.attrs.bold == pen->bold && c.attrs.italic == pen->italic &&
	       c.attrs.blink == pen->blink && c.attrs.font == pen->font &&
	       vterm_color_is_equal(&c.fg, &pen->fg);
}

/* A C0 control that a terminal executes inside an escape sequence. */
static bool scan_c0_inside(struct gt_predict *p, uint8_t b)
{
	if (b >= 0x20 || b == 0x1b || b == 0x18 || b == 0x1a)
		return false;
	p->synced |= b == '\r';
	if (b == 0x0e || b == 0x0f)
		p->shifted = b == 0x0e;
	return true;
}

/* The byte after an ESC (held, not yet given to the model). */
static enum scan_action scan_esc(struct gt_predict *p, uint8_t b)
{
	if (scan_c0_inside(p, b))
		return SCAN_FEED; /* the ESC stays held */
	if (b == 0x1b || b >= 0x7f)
		return SCAN_SKIP; /* a new ESC replaces the held one; DEL, 8-bit: ignored */
	p->sc = SC_GROUND;
	if (b == 0x18 || b == 0x1a)
		return SCAN_SKIP; /* cancelled */
	if (b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X') {
		p->sc = SC_STRING; /* OSC, DCS, APC, PM, SOS: never given to the model */
		return SCAN_SKIP;
	}
	if (b == '[') {
		p->sc = SC_CSI;
		p->sc_param = p->sc_seps = 0;
		p->sc_private = p->sc_has4 = p->sc_cut = false;
	} else if (b >= 0x20 && b <= 0x2f) {
		p->sc = SC_ESC_INTER; /* intermediates, up to a final byte */
		p->sc_inter = b;
	} else if (b == 'N' || b == 'O') {
		p->sc = SC_SHIFT;
	} else if (b == 'c') { /* RIS: everything back to the start, cursor home */
		p->irm = p->g0_special = p->shifted = false;
		p->synced = true;
	}
	return SCAN_ESC_FEED;
}

/* A byte inside a CSI. */
static enum scan_action scan_csi(struct gt_predict *p, uint8_t b)
{
	if (b >= 0x80) {
		/* libvterm ends the CSI here, eating the byte, and takes what follows
		 * as text: that must go through scan_utf8 (a CAN ends it, as it does) */
		p->sc = SC_GROUND;
		return SCAN_RESET;
	}
	if (b >= 0x40 && b <= 0x7e) {
		p->sc_has4 |= p->sc_param == 4;
		if (!p->sc_private && !p->sc_cut && p->sc_has4 && (b == 'h' || b == 'l'))
			p->irm = b == 'h';
		p->sc = SC_GROUND;
		if (p->sc_cut)
			return SCAN_CUT;
		return b == 'b' && !p->sc_private ? SCAN_REP : SCAN_FEED;
	}
	if (b >= 0x20 && b <= 0x3f &&
	    (p->sc_cut || ((b == ';' || b == ':') && ++p->sc_seps > PRED_CSI_MAX_SEPS))) {
		p->sc_cut = true;
		return SCAN_DROP;
	}
	if (b >= '0' && b <= '9') {
		p->sc_param = MIN(p->sc_param * 10 + (unsigned)(b - '0'), SCAN_MAX_ARG);
	} else if (b == ';' || b == ':') {
		p->sc_has4 |= p->sc_param == 4;
		p->sc_param = 0;
	} else if ((b >= 0x3c && b <= 0x3f) || (b >= 0x20 && b <= 0x2f)) {
		p->sc_private = true; /* DEC private modes, intermediates: not SM/RM 4 */
	} else if (b == 0x1b) {
		p->sc = SC_ESC; /* cancels the CSI; held */
		return SCAN_RESET;
	} else if (b == 0x18 || b == 0x1a) {
		p->sc = SC_GROUND;
	} else {
		scan_c0_inside(p, b);
	}
	return SCAN_FEED;
}

/* Bytes for libvterm ahead of the current one (what was held, or U+FFFD). */
static void scan_prefix(struct gt_predict *p, const uint8_t *b, size_t n)
{
	if (p->prefix_len + n <= sizeof(p->prefix)) {
		memcpy(p->prefix + p->prefix_len, b, n);
		p->prefix_len += n;
	}
}

/* A second byte that keeps a UTF-8 character well formed (no overlong, surrogate, > U+10FFFF). */
static bool utf8_second_ok(uint8_t lead, uint8_t b)
{
	if (lead == 0xe0)
		return b >= 0xa0;
	if (lead == 0xed)
		return b <= 0x9f;
	if (lead == 0xf0)
		return b >= 0x90;
	if (lead == 0xf4)
		return b <= 0x8f;
	return true;
}

/*
 * A byte >= 0x80 in the ground state, or one after a character begun. libvterm
 * 0.1.4 is only given whole, well-formed characters other than the C1
 * controls U+0080-U+009F (it gives those width -1, moving its cursor left,
 * past the margin from column 0; a terminal shows nothing); anything
 * malformed becomes U+FFFD. Its own decoder would otherwise keep half a
 * character across controls and sequences and complete it later.
 * *done: b was taken here (else it is a byte < 0x80 for the caller).
 */
static enum scan_action scan_utf8(struct gt_predict *p, uint8_t b, bool *done)
{
	static const uint8_t fffd[] = { 0xef, 0xbf, 0xbd };

	*done = true;
	if (p->u8len > 0) {
		if (b >= 0x80 && b <= 0xbf && (p->u8len > 1 || utf8_second_ok(p->u8buf[0], b))) {
			p->u8buf[p->u8len++] = b;
			if (p->u8len < p->u8need)
				return SCAN_SKIP;
			p->u8len = 0;
			if (p->u8need == 2 && p->u8buf[0] == 0xc2 && b <= 0x9f)
				return SCAN_SKIP; /* a C1 control */
			scan_prefix(p, p->u8buf, p->u8need - 1);
			return SCAN_FEED; /* the character's last byte, after the others */
		}
		p->u8len = 0; /* cut short: U+FFFD, and b starts afresh */
		scan_prefix(p, fffd, sizeof(fffd));
	}
	if (b < 0x80) {
		*done = false;
		return SCAN_FEED;
	}
	p->last_char = 0; /* not ASCII: not repeatable here */
	if (b >= 0xc2 && b <= 0xf4) {
		p->u8buf[0] = b;
		p->u8len = 1;
		p->u8need = b >= 0xf0 ? 4u : b >= 0xe0 ? 3u : 2u;
		return SCAN_SKIP;
	}
	scan_prefix(p, fffd, sizeof(fffd)); /* a byte that never starts a character */
	return SCAN_SKIP;
}

/* A printed byte or a control in the ground state. */
static enum scan_action scan_ground(struct gt_predict *p, uint8_t b)
{
	bool done;
	enum scan_action a = scan_utf8(p, b, &done);

	if (done)
		return a;
	if (b == 0x1b) {
		p->sc = SC_ESC;
		return SCAN_SKIP; /* held: a string introducer must not reach libvterm */
	}
	if (b == '\r')
		p->synced = true;
	else if (b == 0x0e || b == 0x0f)
		p->shifted = b == 0x0e;
	if (b >= 0x20)
		p->last_char = b < 0x7f ? b : 0; /* DEL: nothing to repeat */
	return SCAN_FEED;
}

/*
 * Track what libvterm does not expose (CR seen, IRM, G0 designation, SO/SI,
 * the last character printed) and say what the model may be given of b.
 */
static enum scan_action scan_byte(struct gt_predict *p, uint8_t b)
{
	switch (p->sc) {
	case SC_GROUND:
		return scan_ground(p, b);
	case SC_SHIFT: /* SS2/SS3: the next character comes from G2/G3 */
		p->sc = SC_GROUND;
		return scan_ground(p, b);
	case SC_ESC:
		return scan_esc(p, b);
	case SC_CSI:
		return scan_csi(p, b);
	case SC_ESC_INTER:
		if (scan_c0_inside(p, b) || (b >= 0x20 && b <= 0x2f))
			return SCAN_FEED;
		if (b == 0x1b) {
			p->sc = SC_ESC; /* cancels the sequence; held */
			return SCAN_RESET;
		}
		if (b >= 0x7f)
			return SCAN_SKIP;
		p->sc = SC_GROUND;
		/* a terminal ends the sequence here; libvterm would start a CSI or a
		 * string (and keep a pointer into this write for its end) */
		if (b == '[' || b == ']' || b == 'P')
			return SCAN_CANCEL;
		if (p->sc_inter == '(' && b >= 0x30) /* G0 designation: ASCII or not */
			p->g0_special = b != 'B';
		return SCAN_FEED;
	case SC_STRING:
		if (b == 0x07 || b == 0x18 || b == 0x1a)
			p->sc = SC_GROUND;
		else if (b == 0x1b)
			p->sc = SC_STRING_ESC;
		return SCAN_SKIP;
	case SC_STRING_ESC:
		if (b == '\\') { /* ST */
			p->sc = SC_GROUND;
			return SCAN_SKIP;
		}
		p->sc = SC_ESC; /* the string ended; this ESC starts a sequence */
		return scan_esc(p, b);
	}
	return SCAN_FEED;
}

/* Text that cannot move the cursor up, change a mode or the margins. */
static bool plain_byte(uint8_t b)
{
	return (b >= 0x20 && b <= 0x7e) || b == '\r' || b == '\n';
}

/* The length of the SGR (CSI, parameters 0-9 ; : only, m) at b[0..n), or 0. */
static size_t sgr_len(const uint8_t *b, size_t n)
{
	size_t i = 2;

	if (n < 3 || b[0] != 0x1b || b[1] != '[')
		return 0;
	while (i < n && ((b[i] >= '0' && b[i] <= '9') || b[i] == ';' || b[i] == ':'))
		i++;
	return i < n && b[i] == 'm' ? i + 1 : 0;
}

/* The SGRs of a text run (text_end), alone and in order, into libvterm. */
static void model_input_sgrs(struct gt_predict *p, const uint8_t *b, size_t n)
{
	for (const uint8_t *e; n > 0 && (e = memchr(b, 0x1b, n)) != NULL;) {
		size_t len = sgr_len(e, n - (size_t)(e - b));

		n -= (size_t)(e - b);
		b = e;
		if (len == 0) /* not in a text run; skipped as text */
			len = 1;
		else
			vterm_input_write(p->vt, (const char *)b, len);
		b += len;
		n -= len;
	}
}

/*
 * A run of plain bytes into libvterm, the middle of a long one left out.
 * Each line feed at the bottom of a full-screen scroll region costs libvterm
 * a move of the whole screen (rows x cols cells): `seq 1 2000000` went
 * through the model at 2 MB/s. Once CR LFs have put the cursor at the
 * bottom row, column 0 (at most H, the rows, of them: the model is fed a
 * line at a time until its cursor is on the bottom row before a CR LF's
 * LF), and that LF scrolled the whole screen (the margins are the screen's:
 * checked on the scroll itself, not tracked), plain text can only scroll;
 * the last H CR LFs of the run then scroll everything the middle wrote off
 * the screen, and start where the middle would have left the cursor
 * (bottom row, column 0, no pending wrap, the same pen). So the middle is
 * skipped: the screen ends the same. (Output held back while nothing is
 * pending comes here once per PRED_LAG_MAX, its cursor mostly on the
 * bottom row already: one line, not H, before the skip.) The run may hold
 * SGRs (text_end): they change only the pen, so the middle's are given
 * alone, in order, and the tail starts with the pen it would have had.
 */
static bool model_collapse(struct gt_predict *p, const uint8_t *b, size_t n)
{
	size_t head = 0, tail = 0, seen = 0, fed = 0;
	VTermPos pos;
	bool skip;

	for (size_t i = n - 1; i > 0 && seen <= (size_t)p->rows; i--)
		if (b[i] == '\n' && b[i - 1] == '\r' && ++seen == (size_t)p->rows + 1)
			tail = i + 1; /* after it come H more CR LFs */
	seen = 0;
	for (size_t i = 1; p->rows >= 2 && i + 1 < tail && seen < (size_t)p->rows; i++) {
		if (b[i] != '\n' || b[i - 1] != '\r')
			continue;
		vterm_input_write(p->vt, (const char *)b + fed, i - fed);
		fed = i;
		vterm_state_get_cursorpos(p->state, &pos);
		if (pos.row == p->rows - 1 || ++seen == (size_t)p->rows)
			head = i; /* this LF: the probe */
		if (head != 0)
			break;
	}
	if (head == 0) {
		vterm_input_write(p->vt, (const char *)b + fed, n - fed);
		return false;
	}
	p->probing = true;
	p->probe_full = false;
	vterm_input_write(p->vt, "\n", 1);
	p->probing = false;
	vterm_state_get_cursorpos(p->state, &pos);
	skip = p->probe_full && pos.row == p->rows - 1 && pos.col == 0;
	if (skip) {
		p->st.collapsed += tail - (head + 1);
		model_input_sgrs(p, b + head + 1, tail - (head + 1));
		b += tail;
		n -= tail;
	} else {
		b += head + 1;
		n -= head + 1;
	}
	vterm_input_write(p->vt, (const char *)b, n);
	return skip;
}

/* The end of the plain run at b[i], where b[known..n) is known to be plain. */
static size_t plain_end(const uint8_t *b, size_t i, size_t n, size_t known)
{
	size_t j;

	if (i >= known)
		return n;
	j = i + gt_textscan_plain(b + i, known - i);
	return j == known ? n : j;
}

/*
 * The end of the text run at b[i]: plain bytes and whole SGRs (coloured
 * output, `ls --color` or a compiler's, is text with an SGR every few
 * lines: without them in the run, no run was long enough to skip and each
 * line scrolled libvterm's whole screen, 30 MB/s through the model).
 */
static size_t text_end(const uint8_t *b, size_t i, size_t n, size_t known)
{
	for (;;) {
		size_t j = plain_end(b, i, n, known), len;

		if (j >= n || (len = sgr_len(b + j, n - j)) == 0)
			return j;
		i = j + len;
	}
}

/*
 * Bytes into libvterm, b[known..n) known to be plain (not scanned again):
 * the long plain runs through model_collapse. tail_ok: the last thing given
 * was a run whose skip succeeded (then plain text keeps the cursor on the
 * bottom row of a full-screen region), or plain text after one.
 */
static void model_input_now(struct gt_predict *p, const uint8_t *b, size_t n, size_t known)
{
	size_t i = 0;

	while (i < n) {
		size_t j = text_end(b, i, n, known), k;

		if (j - i >= 4 * (size_t)p->rows) /* room for the 2 x rows + 1 CR LFs it needs */
			p->tail_ok = model_collapse(p, b + i, j - i);
		else
			vterm_input_write(p->vt, (const char *)b + i, j - i);
		for (k = j; k < n && !plain_byte(b[k]); k++)
			;
		if (k > j) {
			vterm_input_write(p->vt, (const char *)b + j, k - j);
			p->tail_ok = false;
		}
		i = k;
	}
}

static void judge(struct gt_predict *p);

/*
 * The model made current: what waits in lag goes to libvterm (one long run
 * of it skipped as model_collapse does), and the run is judged as
 * gt_predict_end_output would have (nothing was pending, so only whether it
 * stays open).
 */
static void model_catch_up(struct gt_predict *p)
{
	p->lagging = false;
	if (core_buf_len(&p->lag) == 0)
		return;
	p->disturbed = false;
	if (p->lag_cut) /* where the dropped lines would have left the cursor (tail_ok) */
		vterm_input_write(p->vt, "\r\n", 2);
	model_input_now(p, core_buf_ptr(&p->lag), core_buf_len(&p->lag),
			core_buf_len(&p->lag) - p->lag_plain);
	core_buf_reset(&p->lag);
	p->lag_plain = 0;
	p->lag_cut = false;
	judge(p);
}

/*
 * Bytes into libvterm, or into lag while nothing is pending: with no
 * prediction to judge, nobody reads the model until the next key (or a
 * resize), so output is given to libvterm then, all at once, and a long
 * run of it costs 2 x rows lines, not 2 x rows lines a chunk of output
 * (bulk output comes in chunks of a few KiB). Past PRED_LAG_MAX, or when
 * lag cannot grow, the model catches up at once. plain: the caller knows
 * the bytes are plain (feed_plain), so they are not scanned again.
 */
/*
 * Where plain text may be cut so that what follows still writes the whole
 * screen: after the (rows + 1)-th last CR LF of b[0..n) (rows CR LFs
 * follow), or 0 when there are not that many.
 */
static size_t plain_keep(const struct gt_predict *p, const uint8_t *b, size_t n)
{
	size_t seen = 0;

	for (const uint8_t *lf; n > 1 && (lf = memrchr(b + 1, '\n', n - 1)) != NULL;) {
		n = (size_t)(lf - b);
		if (b[n - 1] == '\r' && ++seen == (size_t)p->rows + 1)
			return n + 1;
	}
	return 0;
}

/*
 * Held back while libvterm's cursor is on the bottom row of a full-screen
 * region (tail_ok) and lag is all plain: a plain chunk with rows + 1 CR LFs
 * replaces what lag holds by what follows its (rows + 1)-th last (the
 * argument of model_collapse: those rows CR LFs, given from the bottom row,
 * column 0, scroll everything before them off the screen; the CR LF given
 * first at the catch-up brings the cursor there). Bulk output then costs
 * neither the copy into lag nor a catch-up every PRED_LAG_MAX.
 */
static void lag_cut(struct gt_predict *p, const uint8_t **b, size_t *n)
{
	size_t keep;

	if (!p->tail_ok || p->rows < 2 || p->lag_plain != core_buf_len(&p->lag) ||
	    (keep = plain_keep(p, *b, *n)) == 0)
		return;
	p->st.collapsed += core_buf_len(&p->lag) + keep;
	core_buf_reset(&p->lag);
	p->lag_plain = 0;
	p->lag_cut = true;
	*b += keep;
	*n -= keep;
}

static void model_input_known(struct gt_predict *p, const uint8_t *b, size_t n, bool plain)
{
	if (p->lagging && plain)
		lag_cut(p, &b, &n);
	if (!p->lagging) {
		model_input_now(p, b, n, plain ? 0 : n);
		return;
	}
	if (core_buf_len(&p->lag) + n > PRED_LAG_MAX ||
	    core_buf_put_bytes(&p->lag, b, n) != CORE_OK) {
		model_catch_up(p);
		model_input_now(p, b, n, plain ? 0 : n);
		p->lagging = true;
		return;
	}
	p->lag_plain = plain ? p->lag_plain + n : 0;
}

static void model_input(struct gt_predict *p, const uint8_t *b, size_t n)
{
	model_input_known(p, b, n, false);
}

/* The last printable byte of b[i..j) is the one REP would repeat. */
static void scan_last_char(struct gt_predict *p, const uint8_t *b, size_t i, size_t j)
{
	for (size_t k = j; k > i; k--) {
		if (b[k - 1] >= 0x20) {
			p->last_char = b[k - 1];
			return;
		}
	}
}

/*
 * What scan_byte does to a run of plain bytes from the ground state (each
 * is fed as it is; a CR syncs, the last printable one is the one REP would
 * repeat), at a fraction of its cost per byte: bulk output is mostly this.
 * Returns the end of the run (> i).
 */
static size_t scan_plain(struct gt_predict *p, const uint8_t *b, size_t i, size_t n)
{
	size_t j = i + gt_textscan_plain(b + i, n - i);

	if (memchr(b + i, '\r', j - i) != NULL)
		p->synced = true;
	scan_last_char(p, b, i, j);
	return j;
}

/*
 * A plain run at b[i] with nothing before it waiting for model_write: its
 * scan, model_write's guard and model_input in one pass (what scan_plain,
 * then model_write would do), when the guard does not trip in it (else
 * false, and nothing done: the caller takes the long way). *end: the run's end.
 */
static bool feed_plain(struct gt_predict *p, const uint8_t *b, size_t i, size_t n, size_t *end)
{
	struct gt_textscan_run r;

	gt_textscan_run(b + i, n - i, p->seps_run, PRED_CSI_MAX_SEPS, &r);
	if (r.tripped)
		return false;
	p->synced |= r.cr;
	scan_last_char(p, b, i, i + r.len);
	p->seps_run = r.seps;
	model_input_known(p, b + i, r.len, true);
	*end = i + r.len;
	return true;
}

/*
 * Bytes into libvterm, never more than PRED_CSI_MAX_SEPS argument
 * separators in a row without a byte that ends any CSI (a final byte, CAN,
 * SUB): the guard below does not trust the scanner to know libvterm's
 * parser state (which has its own ideas: ESC then a byte >= 0x80 keeps it in
 * ESC). Past the limit a CAN goes first: it ends a CSI in progress and does
 * nothing elsewhere; the run ends and the model waits for the next CR.
 */
static void model_write(struct gt_predict *p, const uint8_t *b, size_t n)
{
	size_t from = 0, i;

	while ((i = from + gt_textscan_seps(b + from, n - from, &p->seps_run, PRED_CSI_MAX_SEPS)) <
	       n) {
		model_input(p, b + from, i - from);
		model_input(p, (const uint8_t *)"\030", 1); /* after them, in lag too */
		from = i; /* the separator is the first of a new count */
		p->seps_run = 0;
		p->disturbed = true;
		p->synced = false;
	}
	if (from < n)
		model_input(p, b + from, n - from);
}

/*
 * The session's output into the model, past libvterm 0.1.4's bugs (fixed
 * upstream later; see predict.h):
 *   - it loops forever on a REP (CSI n b) before any character was printed:
 *     REP's final byte becomes one libvterm does not know (the CSI ends
 *     there, unused), and the model is given the repeats themselves when the
 *     repeated character is known (ASCII);
 *   - it writes past its 16 CSI arguments: a CSI is cut after
 *     PRED_CSI_MAX_SEPS separators (the rest of it dropped, its final byte
 *     an unknown one), and the model waits for the next CR (a cut SGR leaves
 *     its pen unsure); model_write guards the same limit on its own;
 *   - strings (OSC, DCS...) are skipped whole (the scanner holds every ESC).
 * The run ends on REP and on a cut.
 */
static void model_feed(struct gt_predict *p, const uint8_t *bytes, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		char rep[GT_PREDICT_MAX_DIM];
		enum scan_action a;
		size_t count;

		if (p->sc == SC_GROUND && p->u8len == 0 && p->prefix_len == 0 &&
		    plain_byte(bytes[i])) {
			size_t end;

			if (from == i && feed_plain(p, bytes, i, n, &end)) {
				from = end;
				i = end - 1;
			} else {
				i = scan_plain(p, bytes, i, n) - 1; /* fed with what follows */
			}
			continue;
		}
		a = scan_byte(p, bytes[i]);

		if (p->prefix_len > 0) { /* held bytes go first */
			model_write(p, bytes + from, i - from);
			model_write(p, p->prefix, p->prefix_len);
			p->prefix_len = 0;
			from = i;
		}
		if (a == SCAN_FEED)
			continue;
		model_write(p, bytes + from, i - from);
		from = i + 1;
		if (a == SCAN_SKIP)
			continue;
		if (a == SCAN_RESET) {
			/* the held ESC may be skipped with what follows: libvterm must not
			 * stay inside the sequence it ends (it read a later ] as a string) */
			model_write(p, (const uint8_t *)"\030", 1);
			continue;
		}
		if (a == SCAN_ESC_FEED) {
			model_write(p, (const uint8_t *)"\033", 1);
			from = i; /* the byte itself goes with the next segment */
			continue;
		}
		p->disturbed = true;
		if (a == SCAN_DROP)
			continue;
		if (a == SCAN_CANCEL) {
			model_write(p, (const uint8_t *)"\030", 1);
			p->synced = false;
			continue;
		}
		model_write(p, (const uint8_t *)PRED_REP_FINAL, 1);
		if (a == SCAN_CUT) {
			p->synced = false;
			continue;
		}
		count = MIN(MAX(p->sc_param, 1u), (unsigned)p->cols);
		if (p->last_char != 0) {
			memset(rep, p->last_char, count);
			model_write(p, (const uint8_t *)rep, count);
		}
	}
	if (from < n)
		model_write(p, bytes + from, n - from);
}

/* The model can say where the terminal's cursor is and what the overlay covers. */
static bool model_usable(const struct gt_predict *p)
{
	return p->size_ok && p->synced && !p->altscreen && !p->irm && !p->g0_special && !p->shifted;
}

static bool display_on(const struct gt_predict *p)
{
	return p->mode == GT_PREDICT_ALWAYS || (p->mode == GT_PREDICT_ADAPTIVE && p->rtt_high);
}

/* ---------------------------------------------------------------- overlay */

/* The cursor column the pending predictions lead to. */
static int cur_col(const struct gt_predict *p)
{
	return p->n > 0 ? p->e[p->n - 1].after : model_cursor(p).col;
}

/* What the overlay shows in a cell of the run's line. */
static uint32_t shown_char(const struct gt_predict *p, int col)
{
	for (size_t i = p->n; i > 0; i--)
		if (p->e[i - 1].kind == PRED_CELL && p->e[i - 1].col == col)
			return p->e[i - 1].ch;
	return model_char(p, col);
}

/* Every cell from col to the right margin shows blank. */
static bool blank_from(const struct gt_predict *p, int col)
{
	for (int c = col; c < p->cols; c++)
		if (shown_char(p, c) != ' ')
			return false;
	return true;
}

/* Whether entry i is the last one to touch its cell (the one the overlay shows). */
static bool last_for_cell(const struct gt_predict *p, size_t i)
{
	for (size_t j = i + 1; j < p->n; j++)
		if (p->e[j].kind == PRED_CELL && p->e[j].col == p->e[i].col)
			return false;
	return true;
}

/* The pending predictions may be drawn now. */
static bool can_draw(const struct gt_predict *p)
{
	struct look pen;
	VTermPos c = model_cursor(p);

	if (!display_on(p) || !model_usable(p) || !p->trusted || p->n == 0 || c.row != p->row ||
	    c.col > p->cols - 2 || p->sc != SC_GROUND || p->u8len > 0)
		return false; /* (the output stopped inside a sequence: our bytes would join it) */
	pen_look(p, &pen);
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].kind == PRED_CELL && !cell_fits(p, p->e[i].col, &pen))
			return false;
	return true;
}

static int put(struct core_buf *out, const char *s, size_t n)
{
	return core_buf_put_bytes(out, s, n);
}

/* CHA: the cursor to a column of its line. */
static int put_col(struct core_buf *out, int col)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "\033[%dG", col + 1);

	return put(out, b, (size_t)n);
}

/* A predicted character at the cursor: underlined (when the pen is not). */
static int put_predicted(const struct gt_predict *p, struct core_buf *out, uint32_t ch)
{
	struct look pen;
	char c = (char)ch;
	int r;

	pen_look(p, &pen);
	if (ch == ' ' || pen.underline != 0)
		return put(out, &c, 1);
	r = put(out, "\033[4m", 4);
	if (r == CORE_OK)
		r = put(out, &c, 1);
	if (r == CORE_OK)
		r = put(out, "\033[24m", 5);
	return r;
}

/* Put back the model's cells under the drawn predictions, and its cursor. */
static int undo(struct gt_predict *p, struct core_buf *out)
{
	int r = CORE_OK;

	if (!p->drawn)
		return CORE_OK;
	p->drawn = false;
	for (size_t i = 0; i < p->n && r == CORE_OK; i++) {
		uint32_t m;
		char c;

		if (p->e[i].kind != PRED_CELL || !last_for_cell(p, i))
			continue;
		m = model_char(p, p->e[i].col);
		c = m == PRED_OPAQUE ? ' ' : (char)m;
		r = put_col(out, p->e[i].col);
		if (r == CORE_OK)
			r = put(out, &c, 1);
	}
	if (r == CORE_OK)
		r = put_col(out, model_cursor(p).col);
	return r;
}

/* Draw every pending prediction (when allowed), the cursor where they lead. */
static int redraw(struct gt_predict *p, struct core_buf *out)
{
	int r = CORE_OK;

	if (p->drawn || !can_draw(p))
		return CORE_OK;
	for (size_t i = 0; i < p->n && r == CORE_OK; i++) {
		if (p->e[i].kind != PRED_CELL || !last_for_cell(p, i))
			continue;
		r = put_col(out, p->e[i].col);
		if (r == CORE_OK)
			r = put_predicted(p, out, p->e[i].ch);
	}
	if (r == CORE_OK)
		r = put_col(out, cur_col(p));
	p->drawn = r == CORE_OK;
	return r;
}

/* The newest prediction, drawn where the terminal's cursor already is. */
static int draw_last(struct gt_predict *p, struct core_buf *out)
{
	const struct pred *e = &p->e[p->n - 1];

	if (e->kind == PRED_CURSOR)
		return e->after < e->before ? put(out, "\b", 1) : put(out, "\033[C", 3);
	if (e->after < e->before)
		return put(out, "\b \b", 3);
	return put_predicted(p, out, e->ch);
}

/* The run ends: nothing pending, the next run starts tentative. */
static void end_run(struct gt_predict *p, bool had_drawn)
{
	if (p->n > 0 && had_drawn)
		p->st.repaired++;
	p->n = 0;
	p->open = false;
	p->trusted = false;
	p->drawn = false;
}

static int64_t expire_us(const struct gt_predict *p)
{
	return 2 * p->srtt_us + GT_PREDICT_EXPIRE_SLACK_US;
}

/* The oldest prediction's echo is overdue: undo, end the run. */
static int expire(struct gt_predict *p, int64_t now_us, struct core_buf *out)
{
	bool had;
	int r;

	if (p->n == 0 || now_us < p->e[0].made_us + expire_us(p))
		return CORE_OK;
	had = p->drawn;
	r = undo(p, out);
	end_run(p, had);
	return r;
}

/* ---------------------------------------------------------------- keys */

/* One key from the input: its kind, its character, the bytes it takes. */
static enum key_kind key_parse(const uint8_t *k, size_t n, size_t *used, uint32_t *ch)
{
	size_t i;

	*used = 1;
	*ch = k[0];
	if (k[0] >= 0x20 && k[0] <= 0x7e)
		return KEY_CHAR;
	if (k[0] == 0x7f || k[0] == 0x08)
		return KEY_BS;
	if (k[0] != 0x1b || n < 2)
		return KEY_OTHER;
	if (n >= 3 && (k[1] == '[' || k[1] == 'O') && (k[2] == 'C' || k[2] == 'D')) {
		*used = 3;
		return k[2] == 'C' ? KEY_RIGHT : KEY_LEFT;
	}
	if (k[1] == '[') { /* any other CSI: up to its final byte */
		for (i = 2; i < n && (k[i] < 0x40 || k[i] > 0x7e); i++)
			;
		*used = MIN(i + 1, n);
	} else {
		*used = k[1] == 'O' ? MIN((size_t)3, n) : 2; /* SS3 key, or Alt-key */
	}
	return KEY_OTHER;
}

/* A predictable key arrives: open a run if none is, or say no. */
static bool run_ready(struct gt_predict *p)
{
	VTermPos c = model_cursor(p);

	if (!model_usable(p) || !display_on(p)) {
		p->open = false;
		return false;
	}
	if (p->open && p->n == 0 && c.row != p->row)
		p->open = false;
	if (!p->open) {
		if (p->n > 0)
			return false; /* the last run's predictions are still being judged */
		p->open = true;
		p->trusted = false;
		p->row = c.row;
		p->floor = c.col;
	}
	if (p->n == GT_PREDICT_MAX) {
		p->open = false;
		return false;
	}
	return true;
}

/* The prediction of one key, or false when the key cannot be predicted. */
static bool key_predict(struct gt_predict *p, enum key_kind k, uint32_t ch, struct pred *e)
{
	int col = cur_col(p);

	*e = (struct pred){ .kind = PRED_CELL, .col = col, .ch = ch, .before = col };
	switch (k) {
	case KEY_CHAR:
		e->after = col + 1;
		return col <= p->cols - 2 && blank_from(p, col);
	case KEY_BS:
		e->col = e->after = col - 1;
		e->ch = ' ';
		return col > p->floor && blank_from(p, col) &&
		       shown_char(p, col - 1) != PRED_OPAQUE;
	case KEY_LEFT:
		e->kind = PRED_CURSOR;
		e->after = col - 1;
		return col > p->floor;
	case KEY_RIGHT:
		e->kind = PRED_CURSOR;
		e->after = col + 1;
		return col + 1 <= p->cols - 2 && !blank_from(p, col);
	default:
		return false;
	}
}

static int key_apply(struct gt_predict *p, int64_t now_us, enum key_kind k, uint32_t ch,
		     struct core_buf *out)
{
	struct pred e;
	bool first;
	int r;

	if (k == KEY_OTHER || !run_ready(p)) {
		p->open = false;
		return CORE_OK;
	}
	if (!key_predict(p, k, ch, &e)) {
		p->open = false; /* where the cursor goes now is the session's to say */
		return CORE_OK;
	}
	e.orig = e.kind == PRED_CELL ? shown_char(p, e.col) : 0;
	e.made_us = now_us;
	first = p->n == 0;
	p->e[p->n++] = e;
	p->st.predicted++;
	if (!can_draw(p)) {
		/* the terminal goes back to the real screen; the new one was never drawn */
		p->n--;
		r = undo(p, out);
		p->n++;
		return r;
	}
	if (!p->drawn && !first)
		return redraw(p, out);
	p->drawn = true;
	return draw_last(p, out);
}

/* ---------------------------------------------------------------- judging */

/*
 * The longest prefix of the predictions the model now agrees with (every
 * cell it touches holds its last predicted content; ending in a cursor
 * move, the cursor is there). *real: agreeing took a change on the screen.
 */
static size_t confirmed_prefix(const struct gt_predict *p, bool *real)
{
	int tcol[GT_PREDICT_MAX];
	uint32_t tval[GT_PREDICT_MAX], tbase[GT_PREDICT_MAX];
	size_t nt = 0, best = 0, s;
	int cursor = model_cursor(p).col;

	*real = false;
	for (size_t k = 0; k < p->n; k++) {
		bool ok = true, changed = false;

		if (p->e[k].kind == PRED_CELL) {
			for (s = 0; s < nt && tcol[s] != p->e[k].col; s++)
				;
			if (s == nt) {
				tcol[nt] = p->e[k].col;
				tbase[nt++] = p->e[k].orig;
			}
			tval[s] = p->e[k].ch;
		}
		for (s = 0; s < nt; s++) {
			uint32_t m = model_char(p, tcol[s]);

			ok &= m == tval[s];
			changed |= m != tbase[s];
		}
		if (p->e[k].kind == PRED_CURSOR) {
			ok &= cursor == p->e[k].after;
			changed |= cursor != p->e[0].before;
		}
		if (ok) {
			best = k + 1;
			*real = changed;
		}
	}
	return best;
}

/* A pending cell holds something no prediction or earlier content explains. */
static bool contradicted(const struct gt_predict *p)
{
	for (size_t i = 0; i < p->n; i++) {
		uint32_t m;
		bool explained = false;

		if (p->e[i].kind != PRED_CELL)
			continue;
		m = model_char(p, p->e[i].col);
		for (size_t j = 0; j < p->n; j++)
			if (p->e[j].kind == PRED_CELL && p->e[j].col == p->e[i].col)
				explained |= m == p->e[j].ch || m == p->e[j].orig;
		if (!explained)
			return true;
	}
	return false;
}

/* After a chunk of output: confirm, or end the run. */
static void judge(struct gt_predict *p)
{
	VTermPos c = model_cursor(p);
	size_t k;
	bool real;

	if (p->n == 0) {
		if (p->open && (p->disturbed || c.row != p->row || !model_usable(p)))
			p->open = false;
		return;
	}
	if (p->disturbed || !model_usable(p)) {
		end_run(p, p->was_drawn);
		return;
	}
	k = confirmed_prefix(p, &real);
	if (k > 0) {
		memmove(p->e, p->e + k, (p->n - k) * sizeof(p->e[0]));
		p->n -= k;
		p->st.confirmed += k;
		p->trusted |= real;
	}
	if (c.row != p->row) {
		end_run(p, p->n > 0 && p->was_drawn);
		return;
	}
	if (p->n > 0 && contradicted(p))
		end_run(p, p->was_drawn);
}

/* ---------------------------------------------------------------- API */

int gt_predict_new(enum gt_predict_mode mode, int rows, int cols, struct gt_predict **out)
{
	struct gt_predict *p = NULL;
	int r = CORE_ERR_INVALID_ARG;

	*out = NULL;
	if (mode < GT_PREDICT_NEVER || mode > GT_PREDICT_ALWAYS || rows < GT_PREDICT_MIN_ROWS ||
	    cols < GT_PREDICT_MIN_COLS || rows > GT_PREDICT_MAX_DIM || cols > GT_PREDICT_MAX_DIM)
		goto out;
	r = CORE_ERR_NOMEM;
	p = g_new0(struct gt_predict, 1);
	p->vt = vterm_new(rows, cols);
	if (p->vt == NULL)
		goto out;
	p->mode = mode;
	p->rows = rows;
	p->cols = cols;
	p->size_ok = true;
	core_buf_init_growable(&p->lag, PRED_LAG_MAX);
	vterm_set_utf8(p->vt, 1);
	vterm_output_set_callback(p->vt, vt_discard, NULL);
	p->screen = vterm_obtain_screen(p->vt);
	p->state = vterm_obtain_state(p->vt);
	vterm_screen_set_callbacks(p->screen, &screen_cb, p);
	vterm_screen_set_unrecognised_fallbacks(p->screen, &fallback_cb, p);
	vterm_screen_enable_altscreen(p->screen, 1);
	vterm_screen_reset(p->screen, 1);
	/* a blank printed and the cursor back: libvterm then has a "last glyph",
	 * a second guard (after model_feed's) against its REP loop */
	vterm_input_write(p->vt, " \r", 2);
	*out = p;
	p = NULL;
	r = CORE_OK;
out:
	gt_predict_free(p);
	return r;
}

void gt_predict_free(struct gt_predict *p)
{
	if (p == NULL)
		return;
	if (p->vt != NULL)
		vterm_free(p->vt);
	core_buf_free(&p->lag);
	g_free(p);
}

void gt_predict_set_rtt(struct gt_predict *p, int64_t srtt_us)
{
	p->srtt_us = srtt_us > 0 ? srtt_us : 0;
	if (srtt_us > GT_PREDICT_SHOW_RTT_US)
		p->rtt_high = true;
	else if (srtt_us < GT_PREDICT_HIDE_RTT_US)
		p->rtt_high = false;
}

int gt_predict_keys(struct gt_predict *p, int64_t now_us, const uint8_t *keys, size_t n,
		    struct core_buf *out)
{
	int r;

	model_catch_up(p);
	r = expire(p, now_us, out);
	if (r == CORE_OK && !display_on(p))
		r = gt_predict_hide(p, out);
	for (size_t i = 0, used; i < n && r == CORE_OK; i += used) {
		uint32_t ch;
		enum key_kind k = key_parse(keys + i, n - i, &used, &ch);

		r = key_apply(p, now_us, k, ch, out);
	}
	return r;
}

int gt_predict_begin_output(struct gt_predict *p, struct core_buf *out)
{
	p->was_drawn = p->drawn;
	return undo(p, out);
}

int gt_predict_end_output(struct gt_predict *p, int64_t now_us, const uint8_t *bytes, size_t n,
			  struct core_buf *out)
{
	int r;

	if (p->n > 0)
		model_catch_up(p); /* (there is nothing in lag then) */
	p->disturbed = false;
	p->lagging = p->n == 0;
	model_feed(p, bytes, n);
	judge(p);
	p->was_drawn = false;
	r = expire(p, now_us, out);
	if (r == CORE_OK)
		r = redraw(p, out);
	return r;
}

int gt_predict_output(struct gt_predict *p, int64_t now_us, const uint8_t *bytes, size_t n,
		      struct core_buf *out)
{
	int r = gt_predict_begin_output(p, out);

	if (r == CORE_OK && n > 0)
		r = core_buf_put_bytes(out, bytes, n);
	if (r == CORE_OK)
		return gt_predict_end_output(p, now_us, bytes, n, out);
	gt_predict_end_output(p, now_us, bytes, n, out); /* the model still takes the bytes */
	return r;
}

int gt_predict_tick(struct gt_predict *p, int64_t now_us, struct core_buf *out)
{
	return expire(p, now_us, out);
}

int64_t gt_predict_deadline_us(const struct gt_predict *p)
{
	return p->n > 0 ? p->e[0].made_us + expire_us(p) : -1;
}

int gt_predict_hide(struct gt_predict *p, struct core_buf *out)
{
	bool had = p->drawn;
	int r = undo(p, out);

	end_run(p, had);
	return r;
}

int gt_predict_foreign(struct gt_predict *p, struct core_buf *out)
{
	p->synced = false;
	return gt_predict_hide(p, out);
}

int gt_predict_resize(struct gt_predict *p, int rows, int cols, struct core_buf *out)
{
	int r;

	model_catch_up(p); /* the output so far was written for the old size */
	p->tail_ok = false;
	r = gt_predict_hide(p, out);

	p->synced = false;
	if (rows < GT_PREDICT_MIN_ROWS || cols < GT_PREDICT_MIN_COLS || rows > GT_PREDICT_MAX_DIM ||
	    cols > GT_PREDICT_MAX_DIM) {
		p->size_ok = false;
		return CORE_ERR_INVALID_ARG;
	}
	p->size_ok = true;
	p->rows = rows;
	p->cols = cols;
	vterm_set_size(p->vt, rows, cols);
	return r;
}

void gt_predict_get_stats(const struct gt_predict *p, struct gt_predict_stats *st)
{
	*st = p->st;
	st->showing = p->drawn;
}

int gt_predict_mode_parse(const char *s, enum gt_predict_mode *mode)
{
	static const char *const names[] = { "never", "adaptive", "always" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*mode = (enum gt_predict_mode)i;
			return CORE_OK;
		}
	}
	return CORE_ERR_BAD_VALUE;
}
