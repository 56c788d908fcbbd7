/* outbox.c - coalesce, number, keep, send from a cursor (contract in outbox.h). */
#include "goet/outbox.h"

#include "core/err.h"

void gt_outbox_init(struct gt_outbox *ob, int64_t replay_bytes)
{
	gt_coalesce_init(&ob->co, 0);
	ob->replay = gt_catchup_new(replay_bytes);
	ob->seq = ob->cursor = 0;
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

void gt_outbox_rewind(struct gt_outbox *ob, uint64_t peer_has)
{
	ob->cursor = peer_has;
}

void gt_outbox_rebase(struct gt_outbox *ob, uint64_t base)
{
	struct gt_catchup *old = ob->replay;
	struct gt_catchup_entry e;

	ob->replay = gt_catchup_new((int64_t)gt_catchup_max_bytes(old));
	ob->seq = ob->cursor = base;
	for (size_t i = 0; gt_catchup_get(old, i, &e) == CORE_OK; i++)
		gt_catchup_store(ob->replay, ++ob->seq, e.bytes, e.len);
	gt_catchup_free(old);
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
