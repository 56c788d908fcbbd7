/*
 * keys.h - WireGuard keys: Curve25519 private keys (clamped, as `wg genkey`
 * writes them) and their public keys, in the base64 text form of wg(8):
 * 44 characters for 32 bytes.
 *
 * Pure except rg_wg_key_generate (the system's random generator, through
 * libsodium). Threading: any. Callers wipe private keys (core_wipe).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RG_WG_KEY_LEN	  32
#define RG_WG_KEY_B64_LEN 44

/* Clear and set the bits RFC 7748 fixes in a scalar. */
void rg_wg_key_clamp(uint8_t key[RG_WG_KEY_LEN]);
/* A new private key, clamped. */
void rg_wg_key_generate(uint8_t key[RG_WG_KEY_LEN]);
/* The public key of a private key (clamped or not, as wg). CORE_OK, or CORE_ERR_BAD_VALUE. */
int rg_wg_key_public(uint8_t pub[RG_WG_KEY_LEN], const uint8_t priv[RG_WG_KEY_LEN]);
/* out: RG_WG_KEY_B64_LEN + 1 bytes, NUL-terminated. */
void rg_wg_key_to_base64(const uint8_t key[RG_WG_KEY_LEN], char *out);
/* Exactly 44 base64 characters for 32 bytes: CORE_OK or CORE_ERR_BAD_FORMAT. */
int rg_wg_key_from_base64(uint8_t key[RG_WG_KEY_LEN], const char *text, size_t len);
