/*
 * predial.h - a dial started before its client exists: the ssh bootstrap's
 * head start (docs/protocol/goet.md §7).
 *
 * The bootstrap picks the session's port itself and dials it while ssh is
 * still connecting (gt_dial_config.predial: the first Initial is sent again
 * every 10 ms until the session, once started, answers). The QUIC handshake
 * then overlaps the ssh set-up instead of following the port line, a round
 * trip less. Whatever the dial ends with before a client takes it over is
 * held: a connection with its receiving paused (nothing it brings is lost),
 * or the error.
 *
 * Ownership: the caller owns the predial until gt_predial_take (which frees
 * it) or gt_predial_free. Threading: main-loop thread only.
 */
#pragma once

#include "goet/net/dial.h"

struct gt_predial;

/* Start cfg (its predial flag set here; pointers in it borrowed until the dial ends). */
struct gt_predial *gt_predial_start(const struct gt_dial_config *cfg);

/* The session's port line came and names this port: it listens now. */
void gt_predial_poke(struct gt_predial *p);

/*
 * ssh has just sent the session's command (it took the passkey from its
 * stdin, which it reads only once the command is on its way): the session
 * binds its port a few milliseconds after the command arrives, and our
 * datagrams travel the same way. Send the first flight again every
 * GT_PREDIAL_HURRY_STEP_MS for GT_PREDIAL_HURRY_MS (on top of the dial's
 * own resends every GT_DIAL_PREDIAL_RESEND_MS), so that a copy arrives
 * within about a millisecond of the bind instead of 5 ms on average. Again
 * while it hurries: nothing more. NULL, or a dial that has reported: a no-op.
 */
#define GT_PREDIAL_HURRY_STEP_MS 1
#define GT_PREDIAL_HURRY_MS	 40
void gt_predial_hurry(struct gt_predial *p);

/*
 * Hand the result to fn (exactly once): at once when the dial has ended, a
 * connection paused (the taker resumes it with gt_conn_pause_recv(c, false)
 * after setting its callbacks), else when it ends. Returns the dial still
 * running (the taker may gt_dial_cancel it before it reports), or NULL. Frees p.
 */
struct gt_dial *gt_predial_take(struct gt_predial *p, gt_dial_fn fn, void *data);

/* Abandon it: the dial is cancelled, or the connection closed. NULL is a no-op. */
void gt_predial_free(struct gt_predial *p);
