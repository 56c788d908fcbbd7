/*
 * aead-x8-priv.h - ChaCha20-Poly1305 eight blocks at a time, as a template
 * aead.c includes once per instruction set: it defines X8(name) (the
 * functions' names), X8_TARGET (their target attribute) and the rotations
 * ROT16, ROT12, ROT8, ROT7 of a __m256i, then includes this. Not for use
 * elsewhere. Threading: none (no state).
 */

#define QR(a, b, c, d)                                                                             \
	do {                                                                                       \
		x[a] = _mm256_add_epi32(x[a], x[b]);                                               \
		x[d] = ROT16(_mm256_xor_si256(x[d], x[a]));                                        \
		x[c] = _mm256_add_epi32(x[c], x[d]);                                               \
		x[b] = ROT12(_mm256_xor_si256(x[b], x[c]));                                        \
		x[a] = _mm256_add_epi32(x[a], x[b]);                                               \
		x[d] = ROT8(_mm256_xor_si256(x[d], x[a]));                                         \
		x[c] = _mm256_add_epi32(x[c], x[d]);                                               \
		x[b] = ROT7(_mm256_xor_si256(x[b], x[c]));                                         \
	} while (0)

/*
 * Eight rows a[0..7] (row i: word i of blocks 0..7) transposed: out[j] is
 * words 0..7 of block j.
 */
X8_TARGET static void X8(transpose8)(const __m256i a[8], __m256i out[8])
{
	__m256i t[8], u[8];

	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_epi32(a[i], a[i + 1]);
		t[i + 1] = _mm256_unpackhi_epi32(a[i], a[i + 1]);
	}
	for (int i = 0; i < 8; i += 4) {
		u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
		u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
		u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
		u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
	}
	for (int j = 0; j < 4; j++) {
		out[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
		out[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
	}
}

/* Key stream blocks ctr .. ctr + 7 of state s into ks (512 bytes). */
X8_TARGET static void X8(blocks8)(const uint32_t s[16], uint32_t ctr, uint8_t ks[STEP])
{
	const __m256i rot16 =
		_mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1,
				 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
	const __m256i rot8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
					      3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	__m256i x[16], lo[8], hi[8];

	(void)rot16; /* (when the rotations need no masks) */
	(void)rot8;

	for (int i = 0; i < 16; i++)
		x[i] = _mm256_set1_epi32((int)s[i]);
	x[12] = _mm256_add_epi32(_mm256_set1_epi32((int)ctr), lanes);
	for (int r = 0; r < 10; r++) {
		QR(0, 4, 8, 12);
		QR(1, 5, 9, 13);
		QR(2, 6, 10, 14);
		QR(3, 7, 11, 15);
		QR(0, 5, 10, 15);
		QR(1, 6, 11, 12);
		QR(2, 7, 8, 13);
		QR(3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++)
		x[i] = _mm256_add_epi32(x[i], _mm256_set1_epi32((int)s[i]));
	x[12] = _mm256_add_epi32(x[12], _mm256_add_epi32(_mm256_set1_epi32((int)ctr), lanes));
	X8(transpose8)(x, lo);
	X8(transpose8)(x + 8, hi);
	for (int j = 0; j < BLOCKS; j++) {
		_mm256_storeu_si256((__m256i *)(ks + BLOCK * j), lo[j]);
		_mm256_storeu_si256((__m256i *)(ks + BLOCK * j + 32), hi[j]);
	}
}

/* out = in ^ ks, n bytes. */
X8_TARGET static void X8(xor_stream)(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t n)
{
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(in + i)),
					     _mm256_loadu_si256((const __m256i *)(ks + i)));

		_mm256_storeu_si256((__m256i *)(out + i), v);
	}
	for (; i < n; i++)
		out[i] = in[i] ^ ks[i];
}

/*
 * ChaCha20 from block 1 over len bytes of in into out; ks holds blocks
 * 0..7 (from block 0's step) on entry.
 */
X8_TARGET static void X8(crypt8)(uint8_t *out, const uint8_t *in, size_t len, const uint32_t s[16],
				 uint8_t ks[STEP])
{
	size_t n = len < STEP - BLOCK ? len : STEP - BLOCK;

	X8(xor_stream)(out, in, ks + BLOCK, n);
	for (uint32_t ctr = BLOCKS; n < len; ctr += BLOCKS) {
		size_t k = len - n < STEP ? len - n : STEP;

		X8(blocks8)(s, ctr, ks);
		X8(xor_stream)(out + n, in + n, ks, k);
		n += k;
	}
}

X8_TARGET static void X8(seal8)(uint8_t *out, const uint8_t *pt, size_t ptlen, const uint8_t *ad,
				size_t adlen, const uint8_t nonce[12], const uint8_t key[32])
{
	uint32_t s[16];
	uint8_t ks[STEP], polykey[32];

	chacha_state(s, key, nonce);
	X8(blocks8)(s, 0, ks);
	memcpy(polykey, ks, sizeof(polykey));
	X8(crypt8)(out, pt, ptlen, s, ks);
	mac(out + ptlen, polykey, ad, adlen, out, ptlen);
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(s, sizeof(s));
	sodium_memzero(polykey, sizeof(polykey));
}

X8_TARGET static bool X8(open8)(uint8_t *out, const uint8_t *ct, size_t ctlen, const uint8_t *ad,
				size_t adlen, const uint8_t nonce[12], const uint8_t key[32])
{
	size_t len = ctlen - RG_AEAD_TAG;
	uint8_t ks[STEP], tag[RG_AEAD_TAG];
	uint32_t s[16];
	bool ok;

	chacha_state(s, key, nonce);
	X8(blocks8)(s, 0, ks);
	mac(tag, ks, ad, adlen, ct, len);
	ok = crypto_verify_16(tag, ct + len) == 0;
	if (ok)
		X8(crypt8)(out, ct, len, s, ks);
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(s, sizeof(s));
	return ok;
}

#undef QR
