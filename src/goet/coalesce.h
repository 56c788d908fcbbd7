/*
 * coalesce.h - the write coalescer: batch output into fewer, larger Data
 * messages (docs/protocol/goet.md section 6).
 *
 * A batch is due GT_COALESCE_DELAY_US after its FIRST byte (a deadline, not
 * a debounce: later bytes never postpone it, so sustained output flushes
 * every 2 ms) or as soon as it holds GT_COALESCE_THRESHOLD bytes. Time is
 * injected: the coalescer reads no clock and arms no timer; the caller arms
 * one at gt_coalesce_deadline_us and flushes when gt_coalesce_due says so.
 *
 * The owners (session, client) flush at once, without waiting for the
 * deadline, when nothing of theirs is in flight (gt_conn_in_flight == 0):
 * the coalescer only batches while earlier bytes await acknowledgement.
 *
 * Storage is bounded (default GT_COALESCE_DEFAULT_CAP: just under one
 * threshold plus one maximum read plus a released tilde); an add that would
 * overflow is refused whole with CORE_ERR_NO_SPACE.
 * Ownership: owns its storage. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define GT_COALESCE_DELAY_US	2000  /* 2 ms from the first byte */
#define GT_COALESCE_THRESHOLD	32768 /* flush at once from this size */
#define GT_COALESCE_MAX_READ	32768 /* PTY / stdin read size feeding it */
#define GT_COALESCE_DEFAULT_CAP (GT_COALESCE_THRESHOLD - 1 + GT_COALESCE_MAX_READ + 1)

struct gt_coalesce {
	struct core_buf buf;
	int64_t deadline_us; /* -1 when empty */
};

/* Start empty with room for cap bytes (0 = GT_COALESCE_DEFAULT_CAP). */
void gt_coalesce_init(struct gt_coalesce *c, size_t cap);
void gt_coalesce_free(struct gt_coalesce *c);

/*
 * Append n bytes at time now_us. Empty adds are ignored. *flush_now (may be
 * NULL) is set when the batch reached the threshold. CORE_OK or
 * CORE_ERR_NO_SPACE / CORE_ERR_NOMEM (nothing added).
 */
int gt_coalesce_add(struct gt_coalesce *c, int64_t now_us, const void *p, size_t n,
		    bool *flush_now);

/* When the batch is due; -1 when empty. */
int64_t gt_coalesce_deadline_us(const struct gt_coalesce *c);
/* True when non-empty and (deadline reached or threshold reached). */
bool gt_coalesce_due(const struct gt_coalesce *c, int64_t now_us);
/* The batch (borrowed until the next add/clear) and its length. */
const uint8_t *gt_coalesce_data(const struct gt_coalesce *c, size_t *n);
size_t gt_coalesce_len(const struct gt_coalesce *c);
/* Empty the batch after it was flushed; disarms the deadline. */
void gt_coalesce_clear(struct gt_coalesce *c);
