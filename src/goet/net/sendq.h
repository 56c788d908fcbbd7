/*
 * sendq.h - a bounded stream send queue whose bytes never move.
 *
 * QUIC stacks such as ngtcp2 keep pointers to stream data they have sent
 * until the peer acknowledges it (to retransmit it). A buffer that grows with
 * realloc or compacts with memmove would pull that memory from under them.
 * This queue stores bytes in fixed chunks that stay where they are from
 * append until acknowledgement, and frees each chunk once fully acknowledged.
 *
 *   [ acknowledged (freed) | sent, awaiting ack | queued, not yet sent ]
 *
 * The total of the last two parts never exceeds the maximum set at init:
 * appends are all-or-nothing (CORE_ERR_NO_SPACE).
 * Ownership: the queue owns its chunks. Threading: none.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define GT_SENDQ_CHUNK 32768

struct gt_sendq_vec {
	const uint8_t *base;
	size_t len;
};

struct gt_sendq {
	GQueue chunks;	 /* of struct sendq_chunk, oldest first */
	size_t head_off; /* acknowledged bytes at the start of the first chunk */
	size_t len;	 /* bytes queued and not yet acknowledged */
	size_t sent;	 /* of len, bytes already handed out */
	size_t max;
};

void gt_sendq_init(struct gt_sendq *q, size_t max);
void gt_sendq_free(struct gt_sendq *q);

/* Bytes queued and not yet acknowledged. */
size_t gt_sendq_len(const struct gt_sendq *q);
/* Bytes not yet handed out. */
size_t gt_sendq_unsent(const struct gt_sendq *q);
/* Bytes that can still be appended. */
size_t gt_sendq_avail(const struct gt_sendq *q);

/* Append n bytes: CORE_OK, or CORE_ERR_NO_SPACE with nothing appended. */
int gt_sendq_append(struct gt_sendq *q, const void *p, size_t n);

/*
 * Describe up to maxv ranges of unsent bytes, in order; returns how many.
 * The memory stays valid until those bytes are acknowledged.
 */
size_t gt_sendq_peek_unsent(const struct gt_sendq *q, struct gt_sendq_vec *v, size_t maxv);
/* n more bytes were handed out: CORE_OK or CORE_ERR_INVALID_ARG (more than unsent). */
int gt_sendq_mark_sent(struct gt_sendq *q, size_t n);
/* The oldest n sent bytes were acknowledged: CORE_OK or CORE_ERR_INVALID_ARG. */
int gt_sendq_ack(struct gt_sendq *q, size_t n);
