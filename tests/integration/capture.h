/*
 * capture.h - what core_log writes during part of an integration test,
 * kept in a temporary file and handed back as text (also shown in the
 * test's output).
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "core/log.h"

/* Log lines go to a new temporary file (its name in *path) until itest_log_end. */
static inline int itest_log_begin(char **path)
{
	int fd = g_file_open_tmp("rift-itest-log-XXXXXX", path, NULL);

	g_assert_cmpint(fd, >=, 0);
	core_log_set_output_fd(fd);
	return fd;
}

/* Everything logged since itest_log_begin (g_free it); the file and path are gone. */
static inline char *itest_log_end(int fd, char *path)
{
	char *text = NULL;

	core_log_set_output_fd(-1);
	close(fd);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_test_message("logged:\n%s", text);
	g_unlink(path);
	g_free(path);
	return text;
}
