/*
 * term.h - the $TERM a session gives its shell.
 *
 * The client sends its $TERM verbatim; the session uses it unless it is
 * empty, longer than 128 bytes, or contains a byte below 0x20, above 0x7e,
 * or '=' (it goes into the environment as TERM=value); then it uses
 * GT_TERM_DEFAULT. The same rule as the reference. Pure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GT_TERM_DEFAULT "xterm-256color"
#define GT_TERM_MAX_LEN 128

/* Write the TERM to use into out (GT_TERM_MAX_LEN + 1 bytes); returns out. */
const char *gt_term_sanitize(const uint8_t *term, size_t len, char out[GT_TERM_MAX_LEN + 1]);
