/*
 * udprx.h - batch receive on a UDP socket: recvmmsg of up to
 * CORE_UDPRX_BATCH messages per system call, each with its source address
 * and, when the socket has UDP_GRO on (core_udprx_gro), the segment size
 * the kernel coalesced it at, so the owner cuts it back into datagrams.
 * Shared by the WireGuard UDP bind (rift/wg/udp.h) and the ICE agent's
 * batch receiver on the selected pair (rift/ice/ice.h).
 *
 * Ownership: the reader owns its buffers (CORE_UDPRX_BATCH x msg_max
 * bytes), never the socket. Threading: one thread at a time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CORE_UDPRX_BATCH 32 /* messages per recvmmsg */

struct core_udprx;

/*
 * One message of a batch: len bytes from `from`; seg is its UDP_GRO
 * segment size (each datagram seg bytes but the last, which may be
 * shorter), or len when it holds one datagram. All valid during the call.
 * Returns how many datagrams it handed on (counted against the budget).
 */
typedef unsigned (*core_udprx_fn)(void *ctx, const struct sockaddr *from, socklen_t fromlen,
				  const uint8_t *buf, size_t len, size_t seg);

/* A reader for messages of up to msg_max bytes (65535 + overhead with UDP_GRO). */
struct core_udprx *core_udprx_new(size_t msg_max);
/* NULL-safe. */
void core_udprx_free(struct core_udprx *rx);
/* Turn UDP_GRO on for fd: true, or false where the kernel has none (5.0+). */
bool core_udprx_gro(int fd);
/*
 * Read fd dry, or until fn has handed on `budget` datagrams (checked
 * before each recvmmsg), calling fn for each message: the number of
 * messages read (0: none waiting); a read error other than EAGAIN ends
 * the loop and is left in *err (errno value; 0: none). Never blocks.
 */
unsigned core_udprx_read(struct core_udprx *rx, int fd, unsigned budget, core_udprx_fn fn,
			 void *ctx, int *err);
