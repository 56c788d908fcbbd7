/* clock.c - clocks and deadlines (contract in clock.h). */
#include "core/clock.h"

#include <limits.h>
#include <time.h>

/* Read clk as nanoseconds. */
static int64_t time_read_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * CORE_NSEC_PER_SEC + ts.tv_nsec;
}

int64_t core_time_now_ns(void)
{
	return time_read_ns(CLOCK_BOOTTIME);
}

int64_t core_time_now_us(void)
{
	return core_time_now_ns() / CORE_NSEC_PER_USEC;
}

int64_t core_time_wall_ms(void)
{
	return time_read_ns(CLOCK_REALTIME) / (CORE_NSEC_PER_SEC / 1000);
}

void core_deadline_set(struct core_deadline *d, int64_t now_us, int64_t timeout_us)
{
	d->at_us = now_us + (timeout_us > 0 ? timeout_us : 0);
	if (d->at_us == 0)
		d->at_us = 1; /* 0 is reserved for "unset" */
}

void core_deadline_clear(struct core_deadline *d)
{
	d->at_us = 0;
}

bool core_deadline_is_set(const struct core_deadline *d)
{
	return d->at_us != 0;
}

bool core_deadline_expired(const struct core_deadline *d, int64_t now_us)
{
	return d->at_us != 0 && now_us >= d->at_us;
}

int64_t core_deadline_remaining_us(const struct core_deadline *d, int64_t now_us)
{
	if (d->at_us == 0)
		return -1;
	return now_us >= d->at_us ? 0 : d->at_us - now_us;
}

unsigned core_deadline_remaining_ms_ceil(const struct core_deadline *d, int64_t now_us)
{
	int64_t us = core_deadline_remaining_us(d, now_us), ms;

	if (us < 0)
		return UINT_MAX;
	ms = (us + CORE_USEC_PER_MSEC - 1) / CORE_USEC_PER_MSEC;
	return ms > UINT_MAX - 1 ? UINT_MAX - 1 : (unsigned)ms;
}
