/*
 * loop.h - run the thread-default GLib main context until a condition
 * holds, for integration tests whose objects report through callbacks.
 */
#pragma once

#include <glib.h>

/* Iterate the default context until cond holds or secs seconds pass; assert it holds. */
#define ITEST_RUN_UNTIL(cond, secs)                                                      \
	do {                                                                             \
		gint64 until_ = g_get_monotonic_time() + (secs) * G_USEC_PER_SEC;         \
		while (!(cond) && g_get_monotonic_time() < until_)                       \
			g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), 0);     \
		g_assert_true(cond);                                                     \
	} while (0)
