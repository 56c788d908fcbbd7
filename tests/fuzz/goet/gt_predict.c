/*
 * Fuzz target: predictive local echo. Byte 0 picks the mode, byte 1 the
 * terminal's size; the rest is a script of records [op][len][len bytes]:
 *
 *   op % 4 == 0  keys typed          op % 4 == 2  time passes (len ms), a tick
 *   op % 4 == 1  session output      op % 4 == 3  the RTT becomes len ms
 *
 * Two engines run the same script, one with gt_predict_output and one with
 * begin / the bytes / end (as the client does). Invariants, each an abort():
 *   - the two write exactly the same bytes;
 *   - every byte the engine adds itself (keys, ticks, undo, redraw) is
 *     printable ASCII, BS or ESC: it can never scroll, ring, or leave the line;
 *   - the real output is in what is written, verbatim and in order;
 *   - after gt_predict_hide, a terminal fed everything written shows the
 *     same cells and cursor as one fed the real output alone (checked when
 *     the output is 7-bit: libvterm 0.1.4, the reference terminal here,
 *     decodes an invalid UTF-8 run differently when it follows a CSI, so
 *     our CHA before such a run would show as a false difference) and the
 *     reference can take it (reference_unsafe).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vterm.h>

#include "../fuzz.h"
#include "core/buf.h"
#include "core/err.h"
#include "goet/client/predict.h"

#define FUZZ_MAX_INPUT 8192
#define FUZZ_CAP       (1 << 20)
#define FUZZ_MIN(a, b) ((a) < (b) ? (a) : (b))

struct run {
	struct gt_predict *p;
	struct core_buf out;
};

/* Bytes the engine wrote itself: no controls but BS and ESC. */
static void check_overlay(const struct core_buf *b, size_t from)
{
	const uint8_t *s = core_buf_ptr(b);

	for (size_t i = from; i < core_buf_len(b); i++)
		if (!((s[i] >= 0x20 && s[i] <= 0x7e) || s[i] == 0x08 || s[i] == 0x1b))
			abort();
}

/* Two buffers hold the same bytes (an empty growable buffer has no memory yet). */
static bool same(const struct core_buf *x, const struct core_buf *y)
{
	return core_buf_len(x) == core_buf_len(y) &&
	       (core_buf_len(x) == 0 ||
		memcmp(core_buf_ptr(x), core_buf_ptr(y), core_buf_len(x)) == 0);
}

/*
 * Output the reference terminal (libvterm 0.1.4 too) cannot take: a REP
 * (ESC [ digits b; C0 controls may stand inside) hangs it before any
 * character, and the model repeats differently at the margin; a CSI with
 * more than 15 separators corrupts its memory; some strings (OSC, DCS...)
 * make it read past its input. No screen check then.
 */
static bool reference_unsafe(const struct core_buf *b)
{
	const uint8_t *s = core_buf_ptr(b);
	size_t n = core_buf_len(b);

	for (size_t i = 0, run = 0; i < n; i++) {
		size_t j = i + 1, seps = 0;
		bool inter = false;

		if ((s[i] >= 0x40 && s[i] <= 0x7e) || s[i] == 0x18 || s[i] == 0x1a)
			run = 0;
		else if ((s[i] == ';' || s[i] == ':') && ++run > 15)
			return true; /* wherever libvterm thinks it is */

		if (s[i] != 0x1b)
			continue;
		/* a string: libvterm runs C0 controls inside it, terminals (and the
		 * model, which skips it whole) do not; between the ESC and the
		 * introducer it takes C0, DEL, 8-bit bytes and intermediates */
		while (j < n && s[j] != 0x1b && s[j] != 0x18 && s[j] != 0x1a &&
		       (s[j] < 0x30 || s[j] >= 0x7f))
			inter |= s[j++] >= 0x20 && s[j - 1] <= 0x2f;
		if (j < n &&
		    (s[j] == ']' || s[j] == 'P' || s[j] == '_' || s[j] == '^' || s[j] == 'X'))
			return true;
		/* ESC, intermediates, [ : a terminal ends the sequence, libvterm starts
		 * a CSI (the model follows the terminal) */
		if (j < n && inter && s[j] == '[')
			return true;
		j = i + 1;
		while (j < n && s[j] < 0x20 && s[j] != 0x1b)
			j++;
		if (j >= n || s[j++] != '[')
			continue;
		for (; j < n && (s[j] < 0x40 || s[j] > 0x7e) && s[j] != 0x1b; j++)
			seps += s[j] == ';' || s[j] == ':';
		if (seps > 15 || (j < n && s[j] == 'b'))
			return true;
	}
	return false;
}

/* A terminal's visible state: non-blank cells with their attributes, the cursor. */
static void screen_dump(const uint8_t *bytes, size_t n, int rows, int cols, struct core_buf *d)
{
	VTerm *vt = vterm_new(rows, cols);
	VTermScreen *s = vterm_obtain_screen(vt);
	VTermPos cur;

	vterm_set_utf8(vt, 1);
	vterm_screen_enable_altscreen(s, 1);
	vterm_screen_reset(s, 1);
	vterm_input_write(vt, " \r", 2); /* as the model: a last glyph for REP */
	if (n > 0)
		vterm_input_write(vt, (const char *)bytes, n);
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < cols; c++) {
			VTermScreenCell cell;
			VTermPos pos = { r, c };
			uint32_t rec[4];

			memset(&cell, 0, sizeof(cell));
			vterm_screen_get_cell(s, pos, &cell);
			rec[0] = cell.chars[0] == 0 ? ' ' : cell.chars[0];
			rec[1] = (uint32_t)(cell.attrs.underline << 1 | cell.attrs.reverse << 3 |
					    cell.attrs.strike << 4);
			/* a blank looks the same bold or not (what the overlay relies on) */
			if (rec[0] != ' ' || cell.attrs.reverse)
				rec[1] |= cell.attrs.bold;
			rec[2] = (uint32_t)(r << 16 | c);
			rec[3] = cell.bg.type;
			core_buf_put_bytes(d, rec, sizeof(rec));
		}
	}
	vterm_state_get_cursorpos(vterm_obtain_state(vt), &cur);
	core_buf_put_bytes(d, &cur, sizeof(cur));
	vterm_free(vt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a = { 0 }, b = { 0 };
	struct core_buf real, da, db;
	enum gt_predict_mode mode;
	int rows, cols;
	int64_t now = 0;
	size_t i = 2;
	bool ascii = true; /* the output is 7-bit */

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	mode = (enum gt_predict_mode)(data[0] % 3);
	rows = 1 + data[1] % 8;
	cols = 2 + (data[1] >> 3) % 30;
	if (gt_predict_new(mode, rows, cols, &a.p) != CORE_OK ||
	    gt_predict_new(mode, rows, cols, &b.p) != CORE_OK)
		abort();
	core_buf_init_growable(&a.out, FUZZ_CAP);
	core_buf_init_growable(&b.out, FUZZ_CAP);
	core_buf_init_growable(&real, FUZZ_CAP);
	gt_predict_set_rtt(a.p, 100000);
	gt_predict_set_rtt(b.p, 100000);
	while (i + 2 <= size) {
		uint8_t op = data[i];
		size_t len = FUZZ_MIN((size_t)data[i + 1], size - i - 2), mark;
		const uint8_t *d = data + i + 2;

		i += 2 + len;
		now += 1000;
		switch (op % 4) {
		case 0:
			mark = core_buf_len(&a.out);
			if (gt_predict_keys(a.p, now, d, len, &a.out) != CORE_OK ||
			    gt_predict_keys(b.p, now, d, len, &b.out) != CORE_OK)
				abort();
			check_overlay(&a.out, mark);
			break;
		case 1:
			core_buf_put_bytes(&real, d, len);
			for (size_t k = 0; k < len; k++)
				ascii &= d[k] < 0x80;
			if (gt_predict_output(a.p, now, d, len, &a.out) != CORE_OK)
				abort();
			mark = core_buf_len(&b.out);
			if (gt_predict_begin_output(b.p, &b.out) != CORE_OK)
				abort();
			check_overlay(&b.out, mark);
			core_buf_put_bytes(&b.out, d, len);
			mark = core_buf_len(&b.out);
			if (gt_predict_end_output(b.p, now, d, len, &b.out) != CORE_OK)
				abort();
			check_overlay(&b.out, mark);
			break;
		case 2:
			now += (int64_t)len * 1000;
			mark = core_buf_len(&a.out);
			if (gt_predict_tick(a.p, now, &a.out) != CORE_OK ||
			    gt_predict_tick(b.p, now, &b.out) != CORE_OK)
				abort();
			check_overlay(&a.out, mark);
			break;
		default:
			gt_predict_set_rtt(a.p, (int64_t)len * 1000);
			gt_predict_set_rtt(b.p, (int64_t)len * 1000);
			break;
		}
		if (!same(&a.out, &b.out))
			abort();
	}
	if (gt_predict_hide(a.p, &a.out) != CORE_OK)
		abort();
	core_buf_init_growable(&da, FUZZ_CAP);
	core_buf_init_growable(&db, FUZZ_CAP);
	if (ascii && !reference_unsafe(&real)) {
		screen_dump(core_buf_ptr(&a.out), core_buf_len(&a.out), rows, cols, &da);
		screen_dump(core_buf_ptr(&real), core_buf_len(&real), rows, cols, &db);
	}
	if (!same(&da, &db))
		abort();
	gt_predict_free(a.p);
	gt_predict_free(b.p);
	core_buf_free(&a.out);
	core_buf_free(&b.out);
	core_buf_free(&real);
	core_buf_free(&da);
	core_buf_free(&db);
	return 0;
}
