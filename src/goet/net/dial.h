/*
 * dial.h - connect to a goet session over QUIC or TCP+TLS.
 *
 * gt_dial_start resolves the host (IPv4 and IPv6; numeric addresses are used
 * as they are), tries each address in turn with the chosen transport,
 * authenticates, and calls back exactly once with a ready gt_conn (owned by
 * the callee) or with an error and a log-safe reason. An authentication
 * failure ends the dial at once: every address leads to the same session.
 * The callback never runs inside gt_dial_start.
 *
 * Threading: main-loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "goet/auth.h"
#include "goet/net/conn.h"

#define GT_DIAL_TIMEOUT_US (10 * INT64_C(1000000)) /* the reference's dial timeout */

enum gt_transport {
	GT_TRANSPORT_QUIC = 0,
	GT_TRANSPORT_TCP = 1,
};

struct gt_dial_config {
	enum gt_transport transport;
	const char *host; /* name or numeric address */
	uint16_t port;
	uint8_t passkey[GT_PASSKEY_LEN];
	enum gt_proto_version max_version; /* 0 = GT_PROTO_V2; GT_PROTO_V1 offers only goet-v1 */
	int64_t timeout_us;		   /* 0 = GT_DIAL_TIMEOUT_US */
	bool test_stall;		   /* tests only: never send AuthRequest */
	/*
	 * The session is still being started (the ssh bootstrap's head start:
	 * the client chose the port): until it answers, QUIC sends its first
	 * Initial again every GT_DIAL_PREDIAL_RESEND_MS (for at most
	 * GT_DIAL_PREDIAL_RESEND_US), an ICMP "port unreachable" is not a
	 * failure, and every address of the host is tried at once. TCP
	 * ignores it (a refused connect still fails).
	 */
	bool predial;
	/*
	 * With predial: no copies at all until the first gt_dial_poke (the
	 * caller learns when the session starts: client/sshlog.h), the
	 * resends every GT_DIAL_PREDIAL_RESEND_MS from then on. Copies sent
	 * all through the ssh set-up cost it time (5 ms of 2.6 s at 200 ms RTT).
	 */
	bool predial_quiet;
	/*
	 * QUIC: messages queued right after the AuthRequest, so that they ride
	 * its flight instead of waiting a round trip for the AuthResponse (the
	 * client's SequenceHeader and TerminalInfo). Never Data: nothing of the
	 * user's goes before the session has proved itself. TCP ignores them (a
	 * reference session wants SequenceHeader right after AuthRequest there).
	 * Pointers inside are borrowed until the dial reports.
	 */
	unsigned n_early;
	enum gt_channel early_ch[2];
	struct gt_msg early[2];
};

#define GT_DIAL_PREDIAL_RESEND_MS 10 /* the session's start is seen this late */
#define GT_DIAL_PREDIAL_RESEND_US (10 * INT64_C(1000000)) /* then QUIC's own retransmissions */

struct gt_dial;

/* Result: c (owned by the callee) or NULL with err and reason. */
typedef void (*gt_dial_fn)(struct gt_conn *c, int err, const char *reason, void *data);

struct gt_dial *gt_dial_start(const struct gt_dial_config *cfg, gt_dial_fn fn, void *data);
/* Abandon a dial whose callback has not run yet; the callback never runs. */
void gt_dial_cancel(struct gt_dial *d);
/* Report to fn with data instead (a dial handed to another owner before it ended). */
void gt_dial_redirect(struct gt_dial *d, gt_dial_fn fn, void *data);
/*
 * A predial's session listens now, or is about to: send the first flight
 * again at once (and, for a quiet one, every GT_DIAL_PREDIAL_RESEND_MS from
 * now on). A dial that has an answer: a no-op.
 */
void gt_dial_poke(struct gt_dial *d);
