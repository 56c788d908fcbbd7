/*
 * clock.h - clocks and deadlines.
 *
 * core_time_now_* read CLOCK_BOOTTIME: monotonic, and it keeps counting while
 * the machine is suspended. A laptop that sleeps for an hour therefore sees an
 * hour pass, so heartbeat and idle timeouts fire after wake-up (the reference
 * lost this with a monotonic clock that stops during sleep).
 *
 * Deadlines are pure: every function takes `now`, so protocol engines and
 * their tests inject time instead of reading a clock.
 * Threading: pure functions (the clocks are thread-safe).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CORE_NSEC_PER_USEC INT64_C(1000)
#define CORE_USEC_PER_MSEC INT64_C(1000)
#define CORE_USEC_PER_SEC  INT64_C(1000000)
#define CORE_NSEC_PER_SEC  INT64_C(1000000000)

/* Microseconds / nanoseconds on CLOCK_BOOTTIME. */
int64_t core_time_now_us(void);
int64_t core_time_now_ns(void);

/* Wall-clock Unix time in milliseconds (for timestamps on the wire). */
int64_t core_time_wall_ms(void);

/* A point in CLOCK_BOOTTIME microseconds; at_us == 0 means "unset". */
struct core_deadline {
	int64_t at_us;
};

/* Arm d to expire timeout_us after now_us. */
void core_deadline_set(struct core_deadline *d, int64_t now_us, int64_t timeout_us);
/* Disarm d. */
void core_deadline_clear(struct core_deadline *d);
bool core_deadline_is_set(const struct core_deadline *d);
/* True when d is set and now_us has reached it. */
bool core_deadline_expired(const struct core_deadline *d, int64_t now_us);
/* Microseconds left: 0 when expired, -1 when unset. */
int64_t core_deadline_remaining_us(const struct core_deadline *d, int64_t now_us);
/*
 * Milliseconds left rounded up (a GLib timeout armed with it never fires
 * before the deadline); 0 when expired; G_MAXUINT when unset.
 */
unsigned core_deadline_remaining_ms_ceil(const struct core_deadline *d, int64_t now_us);
