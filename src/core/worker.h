/*
 * worker.h - one thread that runs jobs in order, away from the main loop,
 * and hands each finished job back to the loop that created it.
 *
 * For work that must not stall the loop but must not run concurrently with
 * itself either (the server's SQLite store: one connection, one writer).
 * A job is two functions and a pointer:
 *
 *   run(ctx, job)   on the worker thread, in submission order, one at a time;
 *                   ctx is the worker's (the resource it owns, e.g. the store)
 *   done(job)       afterwards on the loop thread, in the same order, from a
 *                   GSource that drains the finished queue (at most
 *                   CORE_WORKER_BATCH per dispatch, so that a burst of
 *                   completions never holds the loop for long)
 *
 * The worker never touches the job between the two: run owns it on the
 * worker thread, done owns it on the loop (and frees it). Nothing is shared
 * but the two queues, each with its own lock inside GAsyncQueue; callbacks
 * are never called with a lock held.
 *
 * core_worker_call runs one job synchronously on the worker (the caller
 * waits): for start-up, before the loop serves anything, so that even the
 * opening of the resource happens on the worker thread.
 *
 * Shutdown: core_worker_free lets the worker finish every job queued, joins
 * it, and then calls the done of every job not yet delivered, on the
 * caller's thread, before it returns: no job is lost or leaked.
 *
 * Ownership: the caller owns the worker; ctx is borrowed (the caller frees
 * it after core_worker_free, or from a last job). Threading: create, push,
 * call and free from the thread that runs the thread-default main context at
 * creation; run functions only on the worker.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define CORE_WORKER_BATCH 64 /* completions handed back per dispatch */

struct core_worker;

typedef void (*core_worker_run_fn)(void *ctx, void *job);
typedef void (*core_worker_done_fn)(void *job);

/* Start the thread (name: for the system, "rg-store"); never NULL (GLib aborts if it cannot). */
struct core_worker *core_worker_new(const char *name, void *ctx);
/* Queue job: run(ctx, job) on the worker, then done(job) on the loop (done may be NULL). */
void core_worker_push(struct core_worker *w, core_worker_run_fn run, core_worker_done_fn done,
		      void *job);
/* Run run(ctx, job) on the worker and wait for it (nothing queued before it is skipped). */
void core_worker_call(struct core_worker *w, core_worker_run_fn run, void *job);
/* Jobs pushed whose done has not run yet. */
unsigned core_worker_pending(const struct core_worker *w);
/* Finish every queued job, join the thread, deliver the remaining dones here. */
void core_worker_free(struct core_worker *w);
