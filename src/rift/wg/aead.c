/*
 * aead.c - ChaCha20-Poly1305 (contract in aead.h), written from RFC 8439:
 * the ChaCha20 state (2.3), its quarter round (2.1) and block function
 * (2.3.1); the Poly1305 key from block 0 (2.6), encryption from block 1
 * (2.4), the MAC over AAD || pad16 || ciphertext || pad16 || lengths
 * (2.8).
 *
 * The vector code (aead-x8-priv.h, built once for AVX2 and once for
 * AVX-512VL, whose rotations are single instructions) keeps word i of eight
 * consecutive blocks in one 256-bit register (16 registers for the state),
 * runs the 20 rounds on all eight at once, then transposes them back into
 * eight 64-byte blocks of key stream.
 */
#include "rift/wg/aead.h"

#include <sodium.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AEAD_X86 1
#endif

#define BLOCK  64
#define BLOCKS 8 /* per vector step */
#define STEP   (BLOCK * BLOCKS)

/* -1: not chosen yet; else an enum rg_aead_impl (atomic: any thread may ask first) */
static int impl = -1;

/* The best code this CPU has. */
static enum rg_aead_impl best(void)
{
#ifdef AEAD_X86
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
		return RG_AEAD_AVX512;
	if (__builtin_cpu_supports("avx2"))
		return RG_AEAD_AVX2;
#endif
	return RG_AEAD_LIBSODIUM;
}

enum rg_aead_impl rg_aead_impl(void)
{
	int v = __atomic_load_n(&impl, __ATOMIC_RELAXED);

	if (v < 0) {
		v = (int)best();
		__atomic_store_n(&impl, v, __ATOMIC_RELAXED);
	}
	return (enum rg_aead_impl)v;
}

bool rg_aead_use(enum rg_aead_impl which)
{
	if (which > best())
		return false;
	__atomic_store_n(&impl, (int)which, __ATOMIC_RELAXED);
	return true;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The Poly1305 tag of RFC 8439, 2.8: AAD, padding, ciphertext, padding, both lengths. */
static void mac(uint8_t tag[RG_AEAD_TAG], const uint8_t key[32], const uint8_t *ad, size_t adlen,
		const uint8_t *ct, size_t ctlen)
{
	static const uint8_t zeros[16];
	crypto_onetimeauth_poly1305_state st;
	uint8_t lens[16];

	crypto_onetimeauth_poly1305_init(&st, key);
	if (adlen > 0)
		crypto_onetimeauth_poly1305_update(&st, ad, adlen);
	crypto_onetimeauth_poly1305_update(&st, zeros, (16 - adlen % 16) % 16);
	if (ctlen > 0)
		crypto_onetimeauth_poly1305_update(&st, ct, ctlen);
	crypto_onetimeauth_poly1305_update(&st, zeros, (16 - ctlen % 16) % 16);
	put_le64(lens, adlen);
	put_le64(lens + 8, ctlen);
	crypto_onetimeauth_poly1305_update(&st, lens, sizeof(lens));
	crypto_onetimeauth_poly1305_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
}

#ifdef AEAD_X86

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The state of RFC 8439 2.3, block counter 0. */
static void chacha_state(uint32_t s[16], const uint8_t key[32], const uint8_t nonce[12])
{
	s[0] = 0x61707865; /* "expand 32-byte k" */
	s[1] = 0x3320646e;
	s[2] = 0x79622d32;
	s[3] = 0x6b206574;
	for (int i = 0; i < 8; i++)
		s[4 + i] = le32(key + 4 * i);
	s[12] = 0;
	for (int i = 0; i < 3; i++)
		s[13 + i] = le32(nonce + 4 * i);
}

/* AVX2: rotations by 16 and 8 are byte shuffles, by 12 and 7 two shifts */
#define X8(name)   name##_avx2
#define X8_TARGET  __attribute__((target("avx2")))
#define ROT16(v)   _mm256_shuffle_epi8(v, rot16)
#define ROT8(v)	   _mm256_shuffle_epi8(v, rot8)
#define ROTS(v, n) _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define ROT12(v)   ROTS(v, 12)
#define ROT7(v)	   ROTS(v, 7)
#include "aead-x8-priv.h"
#undef X8
#undef X8_TARGET
#undef ROT16
#undef ROT8
#undef ROT12
#undef ROT7

/* AVX-512VL: the same on 256 bits, every rotation one instruction, 32 registers */
#define X8(name)  name##_avx512
#define X8_TARGET __attribute__((target("avx2,avx512f,avx512vl")))
#define ROT16(v)  _mm256_rol_epi32(v, 16)
#define ROT8(v)	  _mm256_rol_epi32(v, 8)
#define ROT12(v)  _mm256_rol_epi32(v, 12)
#define ROT7(v)	  _mm256_rol_epi32(v, 7)
#include "aead-x8-priv.h"

#endif /* AEAD_X86 */

void rg_aead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen, const uint8_t *ad, size_t adlen,
		  const uint8_t nonce[RG_AEAD_NONCE], const uint8_t key[RG_AEAD_KEY])
{
	switch (rg_aead_impl()) {
#ifdef AEAD_X86
	case RG_AEAD_AVX512:
		seal8_avx512(out, pt, ptlen, ad, adlen, nonce, key);
		return;
	case RG_AEAD_AVX2:
		seal8_avx2(out, pt, ptlen, ad, adlen, nonce, key);
		return;
#endif
	default:
		crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, ptlen, ad, adlen, NULL,
							  nonce, key);
	}
}

bool rg_aead_open(uint8_t *out, const uint8_t *ct, size_t ctlen, const uint8_t *ad, size_t adlen,
		  const uint8_t nonce[RG_AEAD_NONCE], const uint8_t key[RG_AEAD_KEY])
{
	if (ctlen < RG_AEAD_TAG)
		return false;
	switch (rg_aead_impl()) {
#ifdef AEAD_X86
	case RG_AEAD_AVX512:
		return open8_avx512(out, ct, ctlen, ad, adlen, nonce, key);
	case RG_AEAD_AVX2:
		return open8_avx2(out, ct, ctlen, ad, adlen, nonce, key);
#endif
	default:
		return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ctlen, ad,
								 adlen, nonce, key) == 0;
	}
}
