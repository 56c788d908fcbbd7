/*
 * cryptoq.h - the runner's crypto workers: the transport-data jobs the
 * device asks for (device.h ops.crypto, crypto.h) are gathered into
 * batches, sealed and opened by a pool of threads, and handed back on the
 * main loop in the order they were asked for, which keeps each peer's
 * packets in order (and every peer's: one order for all).
 *
 * What leaves the loop thread is rg_wg_crypto_run on a batch's jobs and
 * nothing else: a job holds copies of its key and bytes, never a pointer
 * into the device. The loop thread runs batches too (rg_wg_cryptoq_help,
 * after it submits): workers take the oldest, the loop the newest, and a
 * worker is woken only when there is more than the loop would do itself,
 * so a lone small batch never costs a thread switch; a small batch with
 * nothing in flight is run at once (a ping never waits). A worker marks a
 * batch done and, when it is the one to hand back next, wakes the main
 * context; a GSource there (style.md, habit 9) calls the owner's ready
 * callback, whose business is to call rg_wg_cryptoq_drain, which hands
 * the jobs back through done, in order.
 *
 * Room: at most RG_WG_CRYPTOQ_BATCHES batches of RG_WG_CRYPTOQ_JOBS jobs
 * are out at a time; rg_wg_cryptoq_job says NULL beyond (the device then
 * does the message itself). The owner keeps room before each device call
 * with rg_wg_cryptoq_make_room, which runs batches, waits for the oldest
 * and hands them back (so never from inside a device call).
 *
 * Secrets: a job's key is wiped once it is handed back; every job's bytes
 * when the queue is freed.
 *
 * Ownership: the owner frees the queue (rg_wg_cryptoq_free stops and joins
 * the workers and drops what was not handed back). Threading: every
 * function on the thread of the main context given at creation; the
 * workers are plain threads named "rg-crypto".
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "rift/wg/crypto.h"

#define RG_WG_CRYPTOQ_JOBS    64 /* jobs in a batch */
#define RG_WG_CRYPTOQ_BATCHES 16 /* batches out at a time: 1,024 packets in flight at most */
#define RG_WG_CRYPTOQ_INLINE  4	 /* a batch this small, with nothing in flight, runs at once */

struct rg_wg_cryptoq;

/* A job handed back (its results set), on the loop thread. */
typedef void (*rg_wg_cryptoq_done_fn)(void *data, struct rg_wg_crypto *c);
/* Batches are back from the workers: call rg_wg_cryptoq_drain. */
typedef void (*rg_wg_cryptoq_ready_fn)(void *data);

/*
 * A queue with `workers` threads (1..64), its source on context (NULL: the
 * global default). CORE_OK,
 * or CORE_ERR_SYSTEM with *error set (a thread could not be started).
 */
int rg_wg_cryptoq_new(struct rg_wg_cryptoq **out, unsigned workers, GMainContext *context,
		      rg_wg_cryptoq_done_fn done, rg_wg_cryptoq_ready_fn ready, void *data,
		      GError **error);
/* NULL-safe. Joins the workers; jobs not handed back are dropped, wiped. */
void rg_wg_cryptoq_free(struct rg_wg_cryptoq *q);

/* The next job slot for the device to fill (ops.crypto), or NULL: no room. */
struct rg_wg_crypto *rg_wg_cryptoq_job(struct rg_wg_cryptoq *q);
/* Hand the jobs taken since the last submit to the workers (or run a few at once). */
void rg_wg_cryptoq_submit(struct rg_wg_cryptoq *q);
/* Run submitted batches no worker has taken, on this (the loop) thread. */
void rg_wg_cryptoq_help(struct rg_wg_cryptoq *q);
/* Hand back, through done and in order, every job that is done; how many. */
unsigned rg_wg_cryptoq_drain(struct rg_wg_cryptoq *q);
/*
 * Before a device call: make sure a call's worth of jobs (a staged queue's
 * worth, RG_WG_MAX_STAGED + 2) fits, submitting and waiting for batches to
 * come back and handing them back as needed.
 */
void rg_wg_cryptoq_make_room(struct rg_wg_cryptoq *q);
/* Batches out (submitted or being filled, not yet handed back). */
unsigned rg_wg_cryptoq_in_flight(const struct rg_wg_cryptoq *q);
