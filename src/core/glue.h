/*
 * glue.h - small helpers between our modules and the GLib main loop.
 *
 * Sources are attached to the thread-default GMainContext (the process has
 * one, driven by one thread). Source ids are guint; 0 means "none".
 *
 * Deferred free ("lost" versus "freed", after tmux's server-client.c): an
 * object that dies inside one of its own callbacks must not be freed under
 * the feet of the code that called it. core_defer_free() queues it; one idle
 * source frees the queue after the current dispatch returns. Order of frees
 * is the order of the calls.
 *
 * Threading: main-loop thread only.
 */
#pragma once

#include <glib-unix.h>
#include <glib.h>

/* Callback for fd readiness; return G_SOURCE_CONTINUE or G_SOURCE_REMOVE. */
typedef gboolean (*core_fd_func)(int fd, GIOCondition cond, void *data);

/*
 * Watch fd for cond on the thread-default context; returns the source id.
 * fn must not iterate the main loop: the watch is not blocked while it
 * dispatches (blocking it woke the loop twice a dispatch), so a nested
 * iteration could call fn again inside itself.
 */
guint core_fd_watch_add(int fd, GIOCondition cond, core_fd_func fn, void *data);

/*
 * Change the conditions of a watch made by core_fd_watch_add (G_IO_IN|G_IO_OUT...;
 * 0: none, though G_IO_HUP and G_IO_ERR still report). The loop's next poll
 * uses them; the change does not wake the loop (no eventfd write, unlike
 * g_source_modify_unix_fd), which is why it must be called on the loop's
 * thread (as everything here).
 */
void core_fd_watch_set(guint id, GIOCondition cond);

/* Remove the source *id from the thread-default context if set; zero *id. */
void core_source_clear(guint *id);

/* Call fn(data) when signum arrives (SIGINT, SIGTERM, SIGHUP, SIGUSR1/2, SIGWINCH). */
guint core_signal_add(int signum, GSourceFunc fn, void *data);

/* One-shot timer after ms milliseconds; fn's return value is ignored. */
guint core_timer_once(unsigned ms, GSourceFunc fn, void *data);

/* Queue obj to be freed by fn from the loop, after the current callback. */
void core_defer_free(void *obj, GDestroyNotify fn);

/* Free everything queued now (shutdown, tests). Returns the count freed. */
unsigned core_defer_flush(void);
