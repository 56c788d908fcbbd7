/*
 * demux.h - what a datagram on a WebRTC ICE path is, by its first bytes
 * (RFC 7983 §7, extended for riftgate's WireGuard beside the data channel):
 *
 *   first byte 1-4, then three zero bytes, at least 32 bytes:  WireGuard
 *     (message types 1-4 with their reserved zeros; the smallest message,
 *     a keepalive, is 32 bytes)
 *   0-3:    STUN (libnice consumes valid STUN before we see it)
 *   20-63:  DTLS
 *   64-79:  TURN ChannelData
 *   other:  unknown
 *
 * WireGuard's types overlap STUN's first byte; STUN's second byte is its
 * message type's low byte, never 0 for a message in use with a first
 * byte of 1 (0x0100 is a reserved method), and a STUN message carries
 * the magic cookie 0x2112A442 at bytes 4-7, which a WireGuard datagram
 * does not there (its sender index or reserved bytes), so the check of
 * the three zero bytes plus "not the cookie" tells them apart.
 *
 * Pure. Threading: none.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum rg_demux_kind {
	RG_DEMUX_UNKNOWN,
	RG_DEMUX_STUN,
	RG_DEMUX_DTLS,
	RG_DEMUX_TURN_CHANNEL,
	RG_DEMUX_WIREGUARD,
};

#define RG_DEMUX_WG_MIN 32 /* the smallest WireGuard message: a transport keepalive */

enum rg_demux_kind rg_demux_classify(const uint8_t *buf, size_t len);
