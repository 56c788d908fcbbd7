/*
 * timescale.h - how much slower this run of the tests may be than a plain
 * one. scripts/check sets RG_TEST_TIME_SCALE to the sanitizer stage's
 * --timeout-multiplier (3): every bound a test asserts on elapsed time or
 * throughput is scaled by it, as meson scales the tests' own timeouts.
 * Unset or not a number >= 1: 1.
 */
#pragma once

#include <glib.h>
#include <stdlib.h>

static inline double itest_time_scale(void)
{
	const char *s = g_getenv("RG_TEST_TIME_SCALE");
	double v = s != NULL ? g_ascii_strtod(s, NULL) : 1.0;

	return v >= 1.0 ? v : 1.0;
}

/* A bound of us microseconds for this run. */
#define ITEST_SCALED_US(us) ((gint64)((double)(us)*itest_time_scale()))
