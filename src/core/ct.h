/*
 * ct.h - constant-time comparison and secret wiping.
 *
 * Used for keys, MACs, tokens and fingerprints: the time taken depends only
 * on the length, never on the contents. Threading: pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True iff the n bytes at a and b are equal; constant time, no early exit. */
bool core_ct_equal(const void *a, const void *b, size_t n);

/* Overwrite n bytes at p with zeros in a way the compiler cannot elide. */
void core_wipe(void *p, size_t n);
