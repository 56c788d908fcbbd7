/*
 * framer.h - reassemble goet frames from a byte stream (TCP, a QUIC stream).
 *
 * Feed bytes as they arrive; take complete messages out. Memory is bounded:
 * the framer never holds more than one maximum frame (header + max_payload),
 * and it grows only as bytes really arrive, so a peer that merely declares a
 * 4 MiB frame costs nothing until it sends 4 MiB. After a large frame the
 * storage shrinks back once drained.
 *
 * Errors are sticky: once gt_framer_next returns CORE_ERR_TOO_LARGE,
 * CORE_ERR_UNKNOWN_TYPE or CORE_ERR_TRUNCATED (a short payload), every later
 * call returns it too, and the connection must be closed.
 *
 * Ownership: the message returned by gt_framer_next borrows the framer's
 * storage until the next gt_framer_feed/next/free call. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "goet/proto/frame.h"

struct gt_framer {
	struct core_buf buf;
	size_t max_payload;
	size_t pending_drop; /* bytes of the frame last returned, dropped lazily */
	int err;	     /* sticky error, or CORE_OK */
};

/* Start empty; max_payload is capped at GT_FRAME_MAX_PAYLOAD (0 = that maximum). */
void gt_framer_init(struct gt_framer *f, size_t max_payload);
void gt_framer_free(struct gt_framer *f);

/*
 * Copy up to len bytes in; *accepted says how many (fewer when the framer is
 * full: take messages out, then feed the rest). Returns CORE_OK, the sticky
 * error, or CORE_ERR_NOMEM.
 */
int gt_framer_feed(struct gt_framer *f, const uint8_t *data, size_t len, size_t *accepted);

/*
 * Next complete message: CORE_OK, CORE_ERR_AGAIN (need more bytes), or a
 * sticky error (TOO_LARGE, UNKNOWN_TYPE, TRUNCATED).
 */
int gt_framer_next(struct gt_framer *f, struct gt_msg *m);

/* Bytes held (including a frame still being returned). */
size_t gt_framer_buffered(const struct gt_framer *f);
