/*
 * base64.h - RFC 4648 base64 with padding, constant time (safe for keys).
 *
 * The alphabet mapping uses arithmetic masks, never a table lookup or a
 * branch on the data; only the length and the position of the '=' padding
 * (which the length already reveals) influence timing. Decoding is strict:
 * length a multiple of 4, padding only at the end, and the unused low bits
 * of the last character must be zero (one canonical text per byte string).
 * Threading: pure functions.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Characters (excluding the NUL) that encoding n bytes produces. */
size_t core_base64_encoded_len(size_t n);

/* Encode n bytes; out must hold core_base64_encoded_len(n) + 1 bytes. */
void core_base64_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decode inlen characters into out (capacity outcap); *outlen receives the
 * decoded length. Returns CORE_OK, CORE_ERR_BAD_FORMAT (bad character,
 * length, padding or non-zero trailing bits) or CORE_ERR_NO_SPACE. On failure
 * out is zeroed and *outlen is 0.
 */
int core_base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen);
