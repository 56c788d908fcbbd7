/*
 * batchrx.h - the selected ICE pair's WireGuard datagrams read in batches
 * (private to rift/ice; ice.h says when the agent uses it).
 *
 * libnice reads its socket one datagram per system call, and UDP_GRO must
 * stay off there (a consent STUN message coalesced into a burst would be
 * lost to libnice). So a second UDP socket is bound to the same local
 * address and port with SO_REUSEPORT (set on libnice's socket too), and a
 * classic BPF program on the pair (SO_ATTACH_REUSEPORT_CBPF) steers each
 * arriving datagram by its first bytes (rtc/demux.h, RFC 7983): a
 * WireGuard-shaped one (first word 1-4 then three zero bytes, not the STUN
 * cookie after) to the second socket, everything else (STUN, DTLS, TURN,
 * short datagrams) to libnice's, so libnice answers and sends consent
 * checks and DTLS keeps its path. The second socket has UDP_GRO on and is
 * read with recvmmsg (core/udprx.h): a peer's UDP_SEGMENT burst arrives as
 * one message. Its datagrams from the selected remote address go to
 * deliver; from any other address they are dropped and counted.
 *
 * A message coalesced by the kernel is steered by its first datagram. A
 * peer's UDP_SEGMENT burst holds WireGuard only; but where the receiving
 * NIC coalesces a flow's packets (GRO, for a socket with UDP_GRO on), a
 * STUN or DTLS datagram can come behind WireGuard. Such a datagram still
 * goes to deliver, which must demultiplex (the ICE data path does: DTLS
 * reaches DTLS; STUN is lost to libnice, which consent freshness
 * tolerates now and then), is counted (stray), and UDP_GRO goes off on
 * the socket (gro_off is called) for 60 s, so at most one consent message
 * per 60 s is lost this way (a pair whose datagrams keep coming outlives
 * unanswered checks: ice.c, CONSENT_PROOF_MS).
 *
 * Errors: rg_ice_batchrx_open returns CORE_OK, or CORE_ERR_SYSTEM with
 * *why set to a static text naming the step that failed ("SO_REUSEPORT
 * on libnice's socket", "bind", ...) and errno kept; nothing is changed
 * then. A read error later calls failed(ctx, errno) once from the loop;
 * the owner closes the receiver.
 *
 * Ownership: the owner closes it (rg_ice_batchrx_close restores libnice's
 * socket: program detached, SO_REUSEPORT as it was) before libnice's
 * socket goes. Threading: the main context given, only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct rg_ice_batchrx;

struct rg_ice_batchrx_counts {
	uint64_t datagrams, messages; /* handed to deliver, and the messages holding them */
	uint64_t foreign;	      /* dropped: from another address than the pair's */
	uint64_t stray;		      /* not WireGuard, coalesced behind WireGuard (delivered) */
};

struct rg_ice_batchrx_callbacks {
	/* one datagram from the pair's remote address (valid during the call) */
	void (*deliver)(void *ctx, const uint8_t *buf, size_t len);
	/* the socket failed (errno err); close the receiver */
	void (*failed)(void *ctx, int err);
	/* a stray datagram turned UDP_GRO off for a rest (for a log line) */
	void (*gro_off)(void *ctx);
};

/*
 * Open the receiver beside nice_fd (libnice's socket of the pair) for
 * datagrams from remote, its source on context. Codes above.
 */
int rg_ice_batchrx_open(struct rg_ice_batchrx **out, int nice_fd, const struct sockaddr *remote,
			socklen_t remote_len, GMainContext *context,
			const struct rg_ice_batchrx_callbacks *cb, void *ctx, const char **why);
/* NULL-safe. */
void rg_ice_batchrx_close(struct rg_ice_batchrx *b);
/* It serves this socket and remote address. */
bool rg_ice_batchrx_serves(const struct rg_ice_batchrx *b, int nice_fd,
			   const struct sockaddr *remote, socklen_t remote_len);
/* Test hook: UDP_GRO's rest after a stray datagram, in ms, for receivers opened after. */
void rg_ice_batchrx_test_gro_rest(unsigned ms);
/* Add its counts to *out. */
void rg_ice_batchrx_counts(const struct rg_ice_batchrx *b, struct rg_ice_batchrx_counts *out);
