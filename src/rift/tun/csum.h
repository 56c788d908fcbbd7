/*
 * csum.h - the Internet checksum (RFC 1071) for IP, TCP and UDP headers and
 * payloads, pure.
 *
 * Sums are kept unfolded in a uint64_t and built from pieces (a pseudo
 * header, a transport header, a payload) with rg_csum_add; every piece but
 * the last must have an even length, and a sum must cover fewer than 2^32
 * bytes in all (an IP packet is at most 65,535). The ones' complement sum
 * does not depend on byte order (RFC 1071, 2(B)), so sums are of 16-bit
 * words as they lie in memory: rg_csum_fold's result is two bytes to store
 * with rg_csum_put, never a number to print or compare (except 0xffff and
 * 0, which read the same both ways).
 *
 * Threading: none (no state).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* sum plus the 16-bit words of p[0..len) (a trailing odd byte padded with a zero). */
uint64_t rg_csum_add(uint64_t sum, const uint8_t *p, size_t len);

/*
 * sum plus a TCP/UDP pseudo header: the source and destination addresses
 * (alen bytes each: 4 for IPv4, 16 for IPv6), the protocol and the
 * transport length (header and payload).
 */
uint64_t rg_csum_pseudo(uint64_t sum, const uint8_t *src, const uint8_t *dst, size_t alen,
			uint8_t proto, uint32_t l4len);

/* sum folded to 16 bits (not inverted), as memory bytes: store with rg_csum_put. */
uint16_t rg_csum_fold(uint64_t sum);

/* Store a folded sum (or its complement, ~fold) at p, two bytes. */
void rg_csum_put(uint8_t *p, uint16_t folded);

/* The checksum field's value for data whose sum is sum: ~fold (what a header carries). */
static inline uint16_t rg_csum_final(uint64_t sum)
{
	return (uint16_t)~rg_csum_fold(sum);
}
