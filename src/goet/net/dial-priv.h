/*
 * dial-priv.h - how a transport plugs into gt_dial. Transports only.
 *
 * For each address the dialer calls the transport's start(); the attempt
 * later reports exactly once, with gt_dial_attempt_failed or
 * gt_dial_succeeded (never from inside start()). abort() ends an attempt
 * that has not reported yet, silently.
 */
#pragma once

#include "core/addr.h"
#include "goet/net/dial.h"

struct gt_dial_transport {
	int (*start)(struct gt_dial *d, const struct core_addr *to, void **attempt, char *reason,
		     size_t rlen);
	void (*abort)(void *attempt);
	/* A predial's session listens now: send the first flight again at once (may be NULL). */
	void (*poke)(void *attempt);
};

extern const struct gt_dial_transport gt_quic_dial_transport;
extern const struct gt_dial_transport gt_tcp_dial_transport;

const struct gt_dial_config *gt_dial_get_config(const struct gt_dial *d);
/* Time left before the whole dial gives up. */
int64_t gt_dial_remaining_us(const struct gt_dial *d);
/* The attempt (start's *attempt) failed; it is forgotten. */
void gt_dial_attempt_failed(struct gt_dial *d, void *attempt, int err, const char *reason);
void gt_dial_succeeded(struct gt_dial *d, struct gt_conn *c);
