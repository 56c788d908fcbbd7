/*
 * sctp-priv.h - test hooks of sctp.c, not for production code.
 */
#pragma once

#include <stdint.h>

#include "rift/rtc/sctp.h"

/*
 * Send raw bytes with any PPID on any stream, ordered and reliable (to play
 * a misbehaving peer). Returns CORE_OK, CORE_ERR_AGAIN or CORE_ERR_CLOSED.
 */
int rg_sctp_send_raw(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
		     size_t len);

/* The process-wide usrsctp timer's interval now, ms (0: no association, no timer). */
guint rg_sctp_timer_interval_ms(void);

/*
 * From now on the clock of every association (CLOCK_BOOTTIME) reads us
 * microseconds later, as after a suspend of that length: GLib's timers, on
 * CLOCK_MONOTONIC, do not see it. us <= 0 is ignored (a clock never goes back).
 */
void rg_sctp_clock_advance(int64_t us);

/*
 * From now on the associations' clock moves only by rg_sctp_clock_advance,
 * not with real time: tests that drive time themselves (fuzzing) then get
 * the same timers for the same input.
 */
void rg_sctp_clock_freeze(void);

/*
 * Run the process-wide timer now, as its GLib timeout does when due:
 * usrsctp's timers for the time passed on the associations' clock, then
 * every association's socket is read (deferred stream resets retried).
 * For tests that drive time themselves (with rg_sctp_clock_advance) and run
 * no main loop.
 */
void rg_sctp_tick(void);
