/*
 * dtls-priv.h - test hooks of dtls.c, not for production code.
 */
#pragma once

#include <stdint.h>

#include "rift/rtc/dtls.h"

/*
 * From now on d's clock (CLOCK_BOOTTIME) reads us microseconds later, as
 * after a suspend of that length: GLib's timers, on CLOCK_MONOTONIC, do not
 * see it. us <= 0 is ignored (a clock never goes back).
 */
void rg_dtls_clock_advance(struct rg_dtls *d, int64_t us);
