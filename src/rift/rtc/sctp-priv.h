/*
 * sctp-priv.h - test hooks of sctp.c, not for production code.
 */
#pragma once

#include "rift/rtc/sctp.h"

/*
 * Send raw bytes with any PPID on any stream, ordered and reliable (to play
 * a misbehaving peer). Returns CORE_OK, CORE_ERR_AGAIN or CORE_ERR_CLOSED.
 */
int rg_sctp_send_raw(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
		     size_t len);

/* The process-wide usrsctp timer's interval now, ms (0: no association, no timer). */
guint rg_sctp_timer_interval_ms(void);
