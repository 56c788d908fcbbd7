/*
 * jsonscan.h - what must be checked in JSON text from a peer before
 * json-glib parses it: json-glib recurses once per nesting level (a deep
 * document exhausts the stack), and it silently cuts a string at an
 * escaped NUL ("bob\u0000evil" reads as "bob").
 *
 * Pure: text in, verdict out; the text need not be NUL-terminated.
 * Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The deepest nesting of [ and { outside strings (0 for a scalar). */
int core_json_depth(const char *text, size_t len);
/* Does the text hold a \u0000 escape (any case of the u)? */
bool core_json_escaped_nul(const char *text, size_t len);
