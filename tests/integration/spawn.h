/*
 * spawn.h - start a program for an integration test so that it cannot
 * outlive the test: the child gets SIGKILL when the test process dies (an
 * assertion abort included), instead of lingering until its idle timeout.
 */
#pragma once

#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>

static void itest_child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* As g_subprocess_newv, with the death signal set in the child. */
static inline GSubprocess *itest_spawn(GSubprocessFlags flags, GError **error,
				       const char *const *argv)
{
	GSubprocessLauncher *l = g_subprocess_launcher_new(flags);
	GSubprocess *p;

	g_subprocess_launcher_set_child_setup(l, itest_child_setup, NULL, NULL);
	p = g_subprocess_launcher_spawnv(l, argv, error);
	g_object_unref(l);
	return p;
}
