/*
 * outbox.h - one direction of a goet session's Data stream: bytes are
 * coalesced (coalesce.h), numbered, kept for replay (catchup.h), and sent
 * from a cursor. After a reconnect, gt_outbox_rewind moves the cursor back to
 * what the peer says it has; the same pump then replays and keeps sending.
 * The session uses one for the shell's output, the client one for keystrokes.
 *
 * Lossless mode (goet-v2, the default): the peer acknowledges what it has
 * delivered (gt_outbox_ack, from its Heartbeat acks and SequenceHeader), no
 * unacknowledged entry is ever evicted, and gt_outbox_has_room says false
 * once GT_OUTBOX_WINDOW bytes (or nearly all slots) are unacknowledged: the
 * owner then stops reading its source (PTY, stdin) until acks arrive. A
 * goet-v1 peer never acknowledges: gt_outbox_set_lossless(ob, false) gives
 * the reference's behaviour (the oldest entries are evicted, never a pause).
 *
 * Pure: time is a parameter and sending is a callback. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "goet/catchup.h"
#include "goet/coalesce.h"

/* Unacknowledged bytes in flight at most (lossless mode). */
#define GT_OUTBOX_WINDOW (2 * 1024 * 1024)

struct gt_outbox {
	struct gt_coalesce co;
	struct gt_catchup *replay;
	uint64_t seq;	     /* last seq given out */
	uint64_t cursor;     /* last seq the peer has been sent */
	uint64_t acked;	     /* last seq the peer said it delivered */
	size_t replay_limit; /* history a new peer process is given (--replay-size) */
	bool lossless;
	size_t unacked_bytes, unacked_count; /* stored entries after acked */
};

/*
 * The replay buffer keeps at least replay_bytes (<= 0: 4096); it is made
 * large enough for GT_OUTBOX_WINDOW, which lossless mode needs.
 */
void gt_outbox_init(struct gt_outbox *ob, int64_t replay_bytes);
void gt_outbox_free(struct gt_outbox *ob);

/*
 * Add bytes at now_us. *flush_now (may be NULL) says the batch is full and
 * gt_outbox_flush should run now; a batch that would overflow is flushed
 * first. CORE_OK, or CORE_ERR_TOO_LARGE (n above GT_COALESCE_MAX_READ + 1).
 */
int gt_outbox_add(struct gt_outbox *ob, int64_t now_us, const void *p, size_t n, bool *flush_now);
/* When the pending batch is due (-1 when empty). */
int64_t gt_outbox_deadline_us(const struct gt_outbox *ob);
/* Number the pending batch and keep it for replay. */
void gt_outbox_flush(struct gt_outbox *ob);
/* Flush, then store an empty entry: a mark in the stream (a command's end of input). */
void gt_outbox_mark(struct gt_outbox *ob);
/* Drop the pending batch (the reference drops unsent keystrokes on `~.`). */
void gt_outbox_discard(struct gt_outbox *ob);
/*
 * The peer has everything up to peer_has: send from there. A peer that says
 * less than it acknowledged is a new process: it gets the newest
 * acknowledged entries up to the replay size, then what it never acked.
 */
void gt_outbox_rewind(struct gt_outbox *ob, uint64_t peer_has);

/*
 * For a sender that has never been connected: renumber what it holds from
 * base + 1 and send from there. A new client process thus continues the
 * session's numbering instead of reusing numbers the session already has
 * (its first keystrokes would otherwise count as delivered).
 */
void gt_outbox_rebase(struct gt_outbox *ob, uint64_t base);

/* The peer has delivered everything up to peer_has (never moves backwards). */
void gt_outbox_ack(struct gt_outbox *ob, uint64_t peer_has);
void gt_outbox_set_lossless(struct gt_outbox *ob, bool on);
/* May the owner take more input? Always true when not lossless. */
bool gt_outbox_has_room(const struct gt_outbox *ob);

/* Send one entry; false when it could not be taken now. */
typedef bool (*gt_outbox_send_fn)(uint64_t seq, const uint8_t *p, size_t n, void *data);

/*
 * Send every stored entry after the cursor until send refuses one. *gap
 * (may be NULL) is set when entries the peer lacks were already evicted.
 * Returns true when the peer has been sent everything.
 */
bool gt_outbox_pump(struct gt_outbox *ob, gt_outbox_send_fn send, void *data, bool *gap);
