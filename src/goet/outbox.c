/* outbox.c - coalesce, number, keep, send from a cursor (contract in outbox.h). */
#include "goet/outbox.h"

#include <glib.h>

#include "core/err.h"

/*
 * Room for a full window of unacknowledged entries, the batch pending in the
 * coalescer, the one being added, and as much again for a source that cannot
 * be paused (the PTY's last output after the shell exits, read at once and
 * bounded by the PTY at 2 MiB): storing evicts only acknowledged entries.
 */
#define OUTBOX_MIN_REPLAY (2 * GT_OUTBOX_WINDOW + 2 * GT_COALESCE_DEFAULT_CAP)

void gt_outbox_init(struct gt_outbox *ob, int64_t replay_bytes)
{
	ob->replay_limit = replay_bytes <= 0 ? GT_CATCHUP_DEFAULT_BYTES : (size_t)replay_bytes;
	gt_coalesce_init(&ob->co, 0);
	ob->replay = gt_catchup_new((int64_t)MAX(ob->replay_limit, OUTBOX_MIN_REPLAY));
	ob->seq = ob->cursor = ob->acked = 0;
	ob->lossless = true;
	ob->unacked_bytes = ob->unacked_count = 0;
}

/* Recount the stored entries after acked. */
static void outbox_count_unacked(struct gt_outbox *ob)
{
	struct gt_catchup_entry e;

	ob->unacked_bytes = ob->unacked_count = 0;
	for (size_t i = 0; gt_catchup_get(ob->replay, i, &e) == CORE_OK; i++) {
		if (e.seq <= ob->acked)
			continue;
		ob->unacked_bytes += e.len;
		ob->unacked_count++;
	}
}

void gt_outbox_ack(struct gt_outbox *ob, uint64_t peer_has)
{
	if (peer_has <= ob->acked)
		return;
	ob->acked = MIN(peer_has, ob->seq);
	outbox_count_unacked(ob);
}

void gt_outbox_set_lossless(struct gt_outbox *ob, bool on)
{
	ob->lossless = on;
}

bool gt_outbox_has_room(const struct gt_outbox *ob)
{
	return !ob->lossless || (ob->unacked_bytes < GT_OUTBOX_WINDOW &&
				 ob->unacked_count + 2 < gt_catchup_slots(ob->replay));
}

void gt_outbox_free(struct gt_outbox *ob)
{
	gt_coalesce_free(&ob->co);
	gt_catchup_free(ob->replay);
	ob->replay = NULL;
}

void gt_outbox_flush(struct gt_outbox *ob)
{
	size_t n;
	const uint8_t *p = gt_coalesce_data(&ob->co, &n);

	if (n == 0)
		return;
	gt_catchup_store(ob->replay, ++ob->seq, p, n);
	gt_coalesce_clear(&ob->co);
	ob->unacked_bytes += n;
	ob->unacked_count++;
}

void gt_outbox_mark(struct gt_outbox *ob)
{
	gt_outbox_flush(ob);
	gt_catchup_store(ob->replay, ++ob->seq, NULL, 0);
	ob->unacked_count++;
}

int gt_outbox_add(struct gt_outbox *ob, int64_t now_us, const void *p, size_t n, bool *flush_now)
{
	if (n > GT_COALESCE_MAX_READ + 1)
		return CORE_ERR_TOO_LARGE;
	if (gt_coalesce_len(&ob->co) + n > GT_COALESCE_DEFAULT_CAP)
		gt_outbox_flush(ob);
	return gt_coalesce_add(&ob->co, now_us, p, n, flush_now);
}

int64_t gt_outbox_deadline_us(const struct gt_outbox *ob)
{
	return gt_coalesce_deadline_us(&ob->co);
}

void gt_outbox_discard(struct gt_outbox *ob)
{
	gt_coalesce_clear(&ob->co);
}

/*
 * A peer that has less than it acknowledged is a new process (a restarted
 * client): it gets the newest history up to the user's replay size, as in
 * the reference, not the whole window (megabytes of old output can wedge a
 * terminal), and everything it never acknowledged.
 */
static uint64_t outbox_history_start(const struct gt_outbox *ob, uint64_t peer_has)
{
	struct gt_catchup_entry e;
	uint64_t start = ob->acked;
	size_t bytes = 0;

	for (size_t i = gt_catchup_count(ob->replay); i-- > 0;) {
		if (gt_catchup_get(ob->replay, i, &e) != CORE_OK || e.seq > ob->acked)
			continue;
		if (e.seq <= peer_has || bytes + e.len > ob->replay_limit)
			break;
		bytes += e.len;
		start = e.seq - 1;
	}
	return start;
}

void gt_outbox_rewind(struct gt_outbox *ob, uint64_t peer_has)
{
	ob->cursor = peer_has < ob->acked ? outbox_history_start(ob, peer_has) : peer_has;
	gt_outbox_ack(ob, peer_has);
}

void gt_outbox_rebase(struct gt_outbox *ob, uint64_t base)
{
	struct gt_catchup *old = ob->replay;
	struct gt_catchup_entry e;

	ob->replay = gt_catchup_new((int64_t)gt_catchup_max_bytes(old));
	ob->seq = ob->cursor = ob->acked = base;
	for (size_t i = 0; gt_catchup_get(old, i, &e) == CORE_OK; i++)
		gt_catchup_store(ob->replay, ++ob->seq, e.bytes, e.len);
	gt_catchup_free(old);
	outbox_count_unacked(ob);
}

struct pump_ctx {
	struct gt_outbox *ob;
	gt_outbox_send_fn send;
	void *data;
};

static bool pump_one(const struct gt_catchup_entry *e, void *p)
{
	struct pump_ctx *pc = p;

	if (!pc->send(e->seq, e->bytes, e->len, pc->data))
		return false;
	pc->ob->cursor = e->seq;
	return true;
}

bool gt_outbox_pump(struct gt_outbox *ob, gt_outbox_send_fn send, void *data, bool *gap)
{
	struct pump_ctx pc = { ob, send, data };

	gt_catchup_replay(ob->replay, ob->cursor, pump_one, &pc, gap);
	return ob->cursor >= ob->seq;
}
