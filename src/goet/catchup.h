/*
 * catchup.h - the replay buffer: recent outgoing Data messages kept for
 * re-sending after a reconnect (docs/protocol/goet.md section 5).
 *
 * Limits are fixed at creation: a byte limit (default 4096; counts payload
 * bytes only) and a slot count max(256, min(max_bytes / 1024, 1048576)).
 * Storing evicts the oldest entries while the new one would exceed the byte
 * limit, then one more if every slot is full, then appends. The byte limit is
 * soft in one way only: the newest entry is always kept, even when it alone
 * is larger than the limit.
 *
 * Sequence numbers are stored as given (no ordering check: a restarted client
 * numbers from 1 again). Replay returns, oldest first, every entry whose seq
 * is greater than the peer's last received one; if the entry right after it
 * was already evicted while later ones remain, the caller is told there is a
 * gap (goet-v1 sends nothing about it; the session logs it).
 *
 * Ownership: entries are private copies, freed on eviction or by
 * gt_catchup_free; entries returned by gt_catchup_get borrow until the next
 * store or free. Threading: none (one owner).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GT_CATCHUP_DEFAULT_BYTES 4096
#define GT_CATCHUP_MIN_SLOTS	 256
#define GT_CATCHUP_MAX_SLOTS	 1048576

struct gt_catchup;

struct gt_catchup_entry {
	uint64_t seq;
	const uint8_t *bytes;
	size_t len;
};

/* max_bytes <= 0 means the default; never returns NULL (aborts on OOM as GLib does). */
struct gt_catchup *gt_catchup_new(int64_t max_bytes);
void gt_catchup_free(struct gt_catchup *c);

/* Store a copy of n bytes under seq; always CORE_OK. */
int gt_catchup_store(struct gt_catchup *c, uint64_t seq, const void *p, size_t n);

size_t gt_catchup_max_bytes(const struct gt_catchup *c);
size_t gt_catchup_slots(const struct gt_catchup *c);
size_t gt_catchup_count(const struct gt_catchup *c);
size_t gt_catchup_bytes(const struct gt_catchup *c);
/* Seq of the oldest / newest stored entry; 0 when empty. */
uint64_t gt_catchup_oldest_seq(const struct gt_catchup *c);
uint64_t gt_catchup_newest_seq(const struct gt_catchup *c);

/* The i-th oldest entry (i < count): CORE_OK or CORE_ERR_NOT_FOUND. */
int gt_catchup_get(const struct gt_catchup *c, size_t i, struct gt_catchup_entry *e);

/*
 * Callback for gt_catchup_replay: send one entry; return false to stop
 * (e.g. the connection's send queue is full; resume later from the last
 * seq sent).
 */
typedef bool (*gt_catchup_replay_fn)(const struct gt_catchup_entry *e, void *data);

/*
 * Call fn for every entry with seq > after, oldest first, until fn returns
 * false. *gap (if not NULL) is set when entry after+1 was evicted while later
 * entries exist. Returns the number of entries fn accepted.
 */
size_t gt_catchup_replay(const struct gt_catchup *c, uint64_t after, gt_catchup_replay_fn fn,
			 void *data, bool *gap);
