/*
 * dcep.h - the WebRTC Data Channel Establishment Protocol (RFC 8832):
 * DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK messages, carried on an SCTP stream
 * with PPID 50, and the PPIDs of RFC 8831 for user messages.
 *
 * Pure: no I/O, no clock, no allocation. A decoded OPEN points into the
 * caller's input (label and protocol are not NUL-terminated and live as long
 * as the input does).
 *
 * Wire format (network byte order):
 *   OPEN: type 0x03 (1) | channel type (1) | priority (2) | reliability (4) |
 *         label length (2) | protocol length (2) | label | protocol
 *   ACK:  type 0x02 (1)
 *
 * Threading: pure functions, no state.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum rg_dcep_type { RG_DCEP_ACK = 0x02, RG_DCEP_OPEN = 0x03 };

enum rg_dcep_channel_type {
	RG_DCEP_RELIABLE = 0x00,
	RG_DCEP_RELIABLE_UNORDERED = 0x80,
	RG_DCEP_PARTIAL_RELIABLE_REXMIT = 0x01,
	RG_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED = 0x81,
	RG_DCEP_PARTIAL_RELIABLE_TIMED = 0x02,
	RG_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED = 0x82,
};

/* The bit of a channel type that makes it unordered. */
#define RG_DCEP_UNORDERED_BIT 0x80

/* Size of an OPEN without label and protocol. */
#define RG_DCEP_OPEN_HEADER_LEN 12

/* SCTP payload protocol identifiers (RFC 8831 §8). */
enum rg_dcep_ppid {
	RG_PPID_DCEP = 50,
	RG_PPID_STRING = 51,
	RG_PPID_BINARY = 53,
	RG_PPID_STRING_EMPTY = 56,
	RG_PPID_BINARY_EMPTY = 57,
};

struct rg_dcep_open {
	uint8_t channel_type; /* enum rg_dcep_channel_type */
	uint16_t priority;
	uint32_t reliability; /* retransmissions or lifetime in ms; 0 for reliable */
	const uint8_t *label;
	uint16_t label_len;
	const uint8_t *protocol;
	uint16_t protocol_len;
};

/*
 * Decode one DCEP message of n bytes. Sets *type; for an OPEN also fills
 * *open (which may be NULL only if the caller ignores OPENs' contents).
 * Returns CORE_OK; CORE_ERR_TRUNCATED (empty, or an OPEN shorter than its
 * 12-byte header); CORE_ERR_UNKNOWN_TYPE (first byte is neither 0x02 nor
 * 0x03); CORE_ERR_BAD_FORMAT (label + protocol lengths exceed the message or
 * do not fill it exactly, an unknown channel type, or an ACK longer than one
 * byte). On error *type and *open are unspecified.
 */
int rg_dcep_decode(const uint8_t *p, size_t n, enum rg_dcep_type *type, struct rg_dcep_open *open);

/* True if t is one of the six channel types of RFC 8832 §5.1. */
int rg_dcep_channel_type_valid(uint8_t t);

/*
 * Encode an OPEN into out (cap bytes). Returns its length, or 0 if it does
 * not fit. label/protocol may be NULL when their length is 0.
 */
size_t rg_dcep_encode_open(const struct rg_dcep_open *o, uint8_t *out, size_t cap);

/* Encode an ACK (one byte). Returns 1, or 0 if cap is 0. */
size_t rg_dcep_encode_ack(uint8_t *out, size_t cap);
