/*
 * guard.h - slowing down token guessing, per source address: every wrong
 * token (join token, refresh token, a forged or unknown bearer) a source
 * presents takes one from its bucket, which holds `burst` and refills at
 * `per_minute`; a source whose bucket is empty is refused (HTTP 429 with
 * Retry-After) before its token is even looked at, the right one included.
 * Right tokens cost nothing, so a device retrying honestly never meets it.
 *
 * At most max_sources addresses are remembered; a new one then takes the
 * place of one whose bucket is full again, else of the one nearest to
 * full. Behind a reverse proxy every request comes from the proxy: set the
 * limits for that, or let the proxy limit.
 *
 * Pure: time is a parameter (monotonic microseconds). Ownership: the
 * caller's. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_GUARD_BURST	     10	  /* wrong tokens before the first refusal */
#define RG_GUARD_PER_MINUTE  6	  /* then one every 10 s */
#define RG_GUARD_MAX_SOURCES 4096 /* addresses remembered */

struct rg_guard;

/* Zero arguments take the defaults above. */
struct rg_guard *rg_guard_new(unsigned burst, unsigned per_minute, size_t max_sources);
void rg_guard_free(struct rg_guard *g);
/* May source try now? false with *retry_after_s (>= 1) when it must wait. */
bool rg_guard_allow(struct rg_guard *g, const char *source, int64_t now_us,
		    unsigned *retry_after_s);
/* source presented a wrong token. */
void rg_guard_fail(struct rg_guard *g, const char *source, int64_t now_us);
/* Sources remembered (tests). */
size_t rg_guard_size(const struct rg_guard *g);
