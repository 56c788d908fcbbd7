/* replay.c - the replay window (contract in replay.h). */
#include "rift/wg/replay.h"

#include <string.h>

void rg_wg_replay_init(struct rg_wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool rg_wg_replay_accept(struct rg_wg_replay *r, uint64_t counter)
{
	uint64_t block = counter / 64, top;
	uint64_t bit = UINT64_C(1) << (counter % 64);

	if (counter >= RG_WG_REJECT_AFTER_MESSAGES)
		return false;
	if (counter >= r->last) {
		/* move ahead: clear the blocks between the old top and the new one */
		top = r->last == 0 ? 0 : (r->last - 1) / 64 + 1;
		if (r->last == 0)
			memset(r->bits, 0, sizeof(r->bits));
		else if (block - (top - 1) >= RG_WG_REPLAY_BLOCKS)
			memset(r->bits, 0, sizeof(r->bits));
		else
			for (uint64_t b = top; b <= block; b++)
				r->bits[b % RG_WG_REPLAY_BLOCKS] = 0;
		r->last = counter + 1;
	} else if (r->last - 1 - counter > RG_WG_REPLAY_WINDOW) {
		return false; /* too old to tell */
	}
	if (r->bits[block % RG_WG_REPLAY_BLOCKS] & bit)
		return false;
	r->bits[block % RG_WG_REPLAY_BLOCKS] |= bit;
	return true;
}
