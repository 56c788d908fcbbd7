/*
 * replay.h - WireGuard's sliding replay window for transport counters
 * (RFC 6479's bitmap ring, as wireguard-go and Linux do): a counter is
 * accepted once, in any order, while it is within RG_WG_REPLAY_WINDOW of the
 * highest one seen; older ones, repeats, and counters at or beyond
 * RG_WG_REJECT_AFTER_MESSAGES are refused.
 *
 * Call rg_wg_replay_accept only for packets that decrypted (authenticated):
 * a forged counter must never move the window.
 *
 * Pure. Threading: none (one per keypair, one owner).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define RG_WG_REPLAY_BLOCKS	    128				       /* of 64 bits */
#define RG_WG_REPLAY_WINDOW	    ((RG_WG_REPLAY_BLOCKS - 1) * 64)   /* 8128 */
#define RG_WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (UINT64_C(1) << 13)) /* 2^64 - 2^13 - 1 */

struct rg_wg_replay {
	uint64_t last; /* highest accepted counter + 1 (0: none yet) */
	uint64_t bits[RG_WG_REPLAY_BLOCKS];
};

void rg_wg_replay_init(struct rg_wg_replay *r);
/* true (and remembered) the first time an acceptable counter is seen, else false. */
bool rg_wg_replay_accept(struct rg_wg_replay *r, uint64_t counter);
