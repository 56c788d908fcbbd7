/*
 * predict.h - predictive local echo for the goet client (mosh's idea, on a
 * byte-exact output stream).
 *
 * The client writes the session's output to the user's terminal verbatim.
 * This module keeps a model of that terminal (libvterm, fed with exactly the
 * session's output bytes), guesses the echo of the keys the user types, and
 * returns the bytes to write to the terminal around the real output:
 *
 *   keys    -> gt_predict_keys:   the prediction, drawn at once (underlined)
 *   output  -> gt_predict_output: [undo of the drawn predictions]
 *                                 [the output bytes, verbatim, in order]
 *                                 [the predictions still unconfirmed, redrawn]
 *   time    -> gt_predict_tick:   undo of predictions whose echo never came
 *
 * So the terminal always shows the real screen plus, between chunks of real
 * output, an overlay on the cursor's line; the real output is never altered,
 * dropped or reordered, and the scrollback stays true (the overlay is undone
 * before every chunk, and it never leaves the cursor's line).
 *
 * What is predicted (all on the cursor's line, never across a wrap):
 *   - a printable ASCII key (0x20-0x7e), at the end of the line's content
 *     (every cell from the cursor to the right margin blank): the character
 *     at the cursor, the cursor one to the right;
 *   - backspace (0x7f or 0x08) at the end of the line's content, right of
 *     where this run of predictions began: the cell left of the cursor
 *     blanked, the cursor on it;
 *   - left and right cursor keys (ESC [ D / ESC O D, ESC [ C / ESC O C):
 *     left down to where the run began, right only over the line's content.
 * A character never lands in the last column (a pending wrap cannot be put
 * back). Any other key (Enter, control keys, other escape sequences, UTF-8)
 * ends the run ("epoch"): nothing more is predicted until every pending
 * prediction is confirmed or dropped; the next run starts tentative.
 *
 * Confirmation (mosh's epochs): a run starts tentative, its predictions
 * tracked but not drawn. When the real output makes the screen agree with
 * the first k+1 predictions (each predicted cell holds the predicted
 * character and, when the k-th is a cursor move, the cursor is there) they
 * are confirmed; a confirmation that changed the screen makes the run
 * trusted, and from then on its predictions are drawn at once. A password
 * prompt (no echo) therefore never shows the typed characters.
 *
 * Repair: a pending prediction whose cell now holds a character that none
 * of the run's predictions or the cell's earlier content explains (another
 * echo: a full-screen program, an upper-casing filter), or that is not
 * confirmed within 2 x smoothed RTT + GT_PREDICT_EXPIRE_SLACK_US (no echo),
 * ends the run: its drawn predictions are undone (the terminal shows the real
 * screen) and the next run starts tentative again. Each run that ends with
 * drawn predictions unconfirmed counts as one repair.
 *
 * Nothing is predicted, and a run ends, when: the output left the cursor's
 * line or moved it (scroll, insert/delete characters on it), the alternate
 * screen is on, insert mode (IRM) or a non-ASCII character set (ESC ( 0, SO)
 * is on, the output used a control or CSI sequence libvterm does not know,
 * the model has not yet seen a carriage return since its start or a resize
 * (the terminal's cursor column is then unknown), or the cells the overlay
 * touches have attributes other than the current pen's (undoing them would
 * need SGR state libvterm does not keep: the overlay bytes only ever switch
 * underline on and off, ESC [ 4 m / ESC [ 2 4 m).
 *
 * Nothing is drawn while the output has stopped inside an escape sequence,
 * a string (OSC, DCS...), after SS2/SS3, or inside a UTF-8 character: the
 * terminal would take our bytes as part of it. The predictions wait (they
 * are drawn after the chunk that completes it).
 *
 * The session's output is untrusted input to libvterm 0.1.4, which has
 * bugs on it (the fuzzer found three, reading its source a fourth), so four
 * things never reach it:
 *   - C1 controls in UTF-8 (U+0080-U+009F): it gives them width -1, moving
 *     its cursor left, past the margin from column 0 (in insert mode a
 *     memmove then crashed): the model is only given whole, well-formed
 *     UTF-8 characters other than those (a terminal shows nothing for
 *     them), anything malformed as U+FFFD, since libvterm's decoder would
 *     keep half a character across controls and complete it later;
 *   - REP (CSI n b; it loops forever on one before any character was
 *     printed): the model gets the repeated characters instead (when the
 *     last one printed is ASCII), and the run ends;
 *   - a CSI's arguments past the 16th (it writes past its array, corrupting
 *     the heap): the CSI is cut there, the run ends, and the model waits for
 *     the next CR; and whatever libvterm's parser state, no more than 15
 *     separators (';' ':') reach it without a byte that ends any CSI between
 *     them (else a CAN goes first);
 *   - strings (OSC, DCS, APC, PM, SOS): libvterm keeps a pointer into the
 *     write that started a string and, when the string ends in a later write,
 *     copies from the wrong place (a heap over-read). They change nothing on
 *     the screen, so the model skips them: every ESC is held until the next
 *     byte says what it starts, and after ESC and intermediates, where
 *     libvterm would start a CSI or a string but a terminal ends the
 *     sequence, the model gets a CAN instead (and waits for the next CR).
 *
 * Long output: each line feed at the bottom of the screen costs libvterm a
 * move of every cell, which held `seq 1 2000000` to 2 MB/s. In a long run of
 * plain text (printable ASCII, CR, LF), once CR LFs (rows of them at most)
 * have brought the cursor to the bottom row, column 0, and the last of them
 * scrolled the whole screen (so the margins are the screen's), the text up
 * to the run's last rows CR LFs is skipped: it can only scroll, and what it
 * would write is scrolled off by what follows, which starts where it would
 * have left the cursor. The model ends the same (72 MB/s on that output).
 * And while no prediction is pending, nothing reads the model: output waits
 * for libvterm (256 KiB at most) until the next key or resize, so that a
 * long run sent in messages of a few KiB is still skipped as one, and is
 * scanned once, 8 bytes at a time. Once a skip has left libvterm's cursor
 * on the bottom row of a full-screen region, plain messages with more than
 * rows CR LFs are not even held but for their last rows lines (the skip's
 * argument again): bench/predict-bulk, 2,800 MB/s of base64 lines.
 *
 * Display bytes use only: printable ASCII, BS (0x08), CHA (ESC [ n G, to a
 * column of the cursor's line), CUF (ESC [ C) and SGR 4 / 24; and CHA is
 * only ever used on the line the model's cursor is on, whose column the
 * model knows once it has seen a CR (rows may differ from the terminal's:
 * the client starts wherever the terminal's cursor is).
 *
 * Modes: GT_PREDICT_NEVER (the output passes through, nothing is drawn),
 * GT_PREDICT_ALWAYS, GT_PREDICT_ADAPTIVE (the default): predictions are
 * drawn only while the smoothed RTT is high, with mosh's hysteresis: on
 * above GT_PREDICT_SHOW_RTT_US, off again below GT_PREDICT_HIDE_RTT_US; when
 * it turns off, the drawn ones are undone at the next call.
 *
 * Pure: no I/O, no clock (times are CLOCK_MONOTONIC microseconds passed in).
 * Output bytes are appended to a caller's core_buf. Threading: none (one
 * owner). Ownership: gt_predict_new's object belongs to the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum gt_predict_mode {
	GT_PREDICT_NEVER = 0,
	GT_PREDICT_ADAPTIVE,
	GT_PREDICT_ALWAYS,
};

/* Adaptive mode: draw predictions above 30 ms smoothed RTT, stop below 20 ms (mosh's). */
#define GT_PREDICT_SHOW_RTT_US 30000
#define GT_PREDICT_HIDE_RTT_US 20000
/*
 * An echo later than 2 x SRTT plus this is not coming. Generous: a busy host
 * or a program that reads keys late echoes late, and expiring a right
 * prediction makes it flicker; a wrong one only lingers this long where no
 * output at all follows the keys (a tentative run, a password, shows nothing).
 */
#define GT_PREDICT_EXPIRE_SLACK_US 1000000
/* Pending predictions at most; a longer burst of typing is not predicted further. */
#define GT_PREDICT_MAX 64
/* The terminal sizes the model accepts. */
#define GT_PREDICT_MIN_ROWS 1
#define GT_PREDICT_MIN_COLS 2
#define GT_PREDICT_MAX_DIM  2048

struct gt_predict;

struct gt_predict_stats {
	uint64_t predicted; /* keys predicted (tentative or drawn) */
	uint64_t confirmed; /* predictions confirmed by the output */
	uint64_t repaired;  /* drawn predictions undone unconfirmed */
	uint64_t collapsed; /* output bytes the model skipped (see "Long output" above) */
	bool showing;	    /* predictions are drawn now */
};

/*
 * A model of a rows x cols terminal. Returns CORE_OK and sets *out, or
 * CORE_ERR_INVALID_ARG (mode unknown, size outside the limits above) or
 * CORE_ERR_NOMEM (libvterm could not allocate); *out is NULL on error.
 */
int gt_predict_new(enum gt_predict_mode mode, int rows, int cols, struct gt_predict **out);
void gt_predict_free(struct gt_predict *p);

/* The link's smoothed RTT (adaptive mode's input; also sets the expiry). */
void gt_predict_set_rtt(struct gt_predict *p, int64_t srtt_us);

/*
 * Keys the user typed (as sent to the session, after the client's escape
 * processing). Appends to out the bytes that draw the predictions (possibly
 * none). Returns CORE_OK, or CORE_ERR_NO_SPACE when out is full (out then
 * holds a prefix of the bytes: the display is wrong, the caller's output
 * stream is broken anyway; the client stops on it).
 */
int gt_predict_keys(struct gt_predict *p, int64_t now_us, const uint8_t *keys, size_t n,
		    struct core_buf *out);

/*
 * A chunk of the session's output: appends the undo bytes, the n bytes
 * verbatim, then the redraw of what is still pending. Returns CORE_OK or
 * CORE_ERR_NO_SPACE (out full: out holds an unspecified prefix; the model
 * has still taken the bytes).
 */
int gt_predict_output(struct gt_predict *p, int64_t now_us, const uint8_t *bytes, size_t n,
		      struct core_buf *out);

/*
 * The same in two halves, for a caller that writes the output bytes itself
 * (with something of its own spliced in that is not the session's output):
 * begin appends the undo, end feeds the model and appends the redraw.
 * gt_predict_output(p, t, b, n, o) == begin(p, o); put(o, b, n); end(p, t, b, n, o).
 */
int gt_predict_begin_output(struct gt_predict *p, struct core_buf *out);
int gt_predict_end_output(struct gt_predict *p, int64_t now_us, const uint8_t *bytes, size_t n,
			  struct core_buf *out);

/* Expire predictions whose echo is overdue: appends their undo. CORE_OK or CORE_ERR_NO_SPACE. */
int gt_predict_tick(struct gt_predict *p, int64_t now_us, struct core_buf *out);

/* When gt_predict_tick has something to do: a time in us, or -1 (nothing pending). */
int64_t gt_predict_deadline_us(const struct gt_predict *p);

/*
 * Bytes that are not the session's output go to the terminal next (the
 * client's notice line): undo what is drawn, end the run. CORE_OK or
 * CORE_ERR_NO_SPACE.
 */
int gt_predict_hide(struct gt_predict *p, struct core_buf *out);

/*
 * Bytes the model never sees moved the terminal's cursor (a message of the
 * client's own): as gt_predict_hide, and wait for the next carriage return.
 * CORE_OK or CORE_ERR_NO_SPACE.
 */
int gt_predict_foreign(struct gt_predict *p, struct core_buf *out);

/*
 * The terminal was resized: undo, resize the model, and wait for the next
 * carriage return (the terminal may have reflowed the line). CORE_OK,
 * CORE_ERR_INVALID_ARG (size outside the limits: the model keeps its size
 * and stops predicting until a valid resize), CORE_ERR_NO_SPACE.
 */
int gt_predict_resize(struct gt_predict *p, int rows, int cols, struct core_buf *out);

void gt_predict_get_stats(const struct gt_predict *p, struct gt_predict_stats *st);

/* Parse "adaptive", "always" or "never": CORE_OK or CORE_ERR_BAD_VALUE. */
int gt_predict_mode_parse(const char *s, enum gt_predict_mode *mode);
