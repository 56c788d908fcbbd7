/*
 * hex.h - hexadecimal encoding, constant time (safe for keys and passkeys).
 *
 * Neither direction branches on or indexes tables by the data: timing reveals
 * only the length. Threading: pure functions.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Write 2n lowercase hex characters and a NUL to out (2n + 1 bytes). */
void core_hex_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decode exactly hexlen == 2 * outlen characters (either case) into out.
 * Returns CORE_OK, or CORE_ERR_BAD_FORMAT for a wrong length or any
 * non-hex character; on failure out is zeroed.
 */
int core_hex_decode(uint8_t *out, size_t outlen, const char *hex, size_t hexlen);
