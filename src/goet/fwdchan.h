/*
 * fwdchan.h - one forwarded connection's byte streams (docs/protocol/goet.md
 * section 8): what survives a reconnect, and the flow control.
 *
 * gt_fwd_tx is the direction from the local socket to the peer. Bytes read
 * from the socket are kept from offset `acked` (what the peer has written to
 * its socket) to `end`; they are sent from `sent`, never beyond acked plus
 * the peer's window. After a reconnect gt_fwd_tx_rewind sends them again
 * from `acked`. At most GT_FWD_WINDOW bytes are kept: gt_fwd_tx_room says
 * how many more the owner may read from the socket (0: stop reading, the
 * socket's own buffers and TCP then slow the writer down).
 *
 * gt_fwd_rx is the direction from the peer to the local socket. FwdData at
 * an offset already received is a resend after a reconnect: only its new
 * bytes are returned. The owner holds the bytes not yet written to the
 * socket (received - delivered); the window it offers, past delivered, is
 * GT_FWD_WINDOW, so that never exceeds GT_FWD_WINDOW.
 *
 * Errors (negative enum core_err), each a protocol error of the peer's that
 * resets this connection only:
 *   CORE_ERR_BAD_VALUE   FwdData past the next expected offset (a gap), an
 *                        ack beyond what was read, an end of stream before
 *                        bytes already received, data after the end
 *   CORE_ERR_TOO_LARGE   FwdData beyond the window the receiver offered
 *   CORE_ERR_NO_SPACE    gt_fwd_tx_push beyond gt_fwd_tx_room (the caller's bug)
 *   CORE_ERR_CLOSED      gt_fwd_tx_push after gt_fwd_tx_eof (the caller's bug)
 *
 * Pure: no I/O, no clock. Ownership: each struct owns its buffer
 * (gt_fwd_tx_free). Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Bytes kept per direction of a connection, and the initial window. */
#define GT_FWD_WINDOW (2u * 1024 * 1024)
/* Most bytes in one FwdData. */
#define GT_FWD_CHUNK (32u * 1024)

struct gt_fwd_tx {
	struct core_buf buf; /* bytes [acked, end) */
	uint64_t acked;	     /* the peer has delivered this many */
	uint64_t sent;	     /* sent on this connection up to here */
	uint64_t end;	     /* read from the local socket */
	uint32_t window;     /* the peer's last window, from acked */
	bool eof;	     /* the local socket said end of stream */
	bool eof_sent;	     /* FwdClose(EOF) sent on this connection */
};

struct gt_fwd_chunk {
	uint64_t offset;
	const uint8_t *bytes; /* valid until the next call on the tx */
	size_t len;
};

void gt_fwd_tx_init(struct gt_fwd_tx *tx);
void gt_fwd_tx_free(struct gt_fwd_tx *tx);
/* Bytes the owner may read from the local socket now (0 after eof). */
size_t gt_fwd_tx_room(const struct gt_fwd_tx *tx);
/* Keep n bytes read from the local socket. CORE_OK, NO_SPACE or CLOSED. */
int gt_fwd_tx_push(struct gt_fwd_tx *tx, const void *p, size_t n);
/* The local socket ended: nothing follows `end`. */
void gt_fwd_tx_eof(struct gt_fwd_tx *tx);
/* The next FwdData to send, at most max bytes (and GT_FWD_CHUNK) within the
 * window; false when nothing may be sent now. Counts it as sent. */
bool gt_fwd_tx_next(struct gt_fwd_tx *tx, size_t max, struct gt_fwd_chunk *out);
/* True once, when every byte is sent after eof: send FwdClose(EOF, *offset). */
bool gt_fwd_tx_close_due(struct gt_fwd_tx *tx, uint64_t *offset);
/* The peer's FwdAck. A stale one (delivered below acked) is ignored.
 * CORE_OK or BAD_VALUE (delivered beyond end). */
int gt_fwd_tx_ack(struct gt_fwd_tx *tx, uint64_t delivered, uint32_t window);
/* A new connection: send again from acked. */
void gt_fwd_tx_rewind(struct gt_fwd_tx *tx);
/* Every byte, and the end, delivered by the peer. */
bool gt_fwd_tx_done(const struct gt_fwd_tx *tx);

struct gt_fwd_rx {
	uint64_t received;  /* the next offset expected */
	uint64_t delivered; /* written to the local socket */
	uint64_t acked;	    /* delivered, as last told to the peer */
	bool ack_forced;    /* a reconnect: tell the peer even if nothing moved */
	bool eof;	    /* the peer's FwdClose(EOF) arrived */
	uint64_t eof_offset;
};

void gt_fwd_rx_init(struct gt_fwd_rx *rx);
/*
 * FwdData at offset: *fresh / *fresh_len are its bytes not received before
 * (possibly none), to be written to the local socket.
 * CORE_OK, BAD_VALUE (a gap, or data past the end) or TOO_LARGE (beyond the window).
 */
int gt_fwd_rx_data(struct gt_fwd_rx *rx, uint64_t offset, const uint8_t *bytes, size_t len,
		   const uint8_t **fresh, size_t *fresh_len);
/* n more bytes written to the local socket (at most received - delivered). */
void gt_fwd_rx_delivered(struct gt_fwd_rx *rx, size_t n);
/* What the peer may send past delivered: GT_FWD_WINDOW. */
uint32_t gt_fwd_rx_window(const struct gt_fwd_rx *rx);
/*
 * Whether to send FwdAck now: after a reconnect, when a quarter of the
 * window was delivered since the last one, or when everything received is
 * delivered and the peer has not been told. If so, *delivered and *window
 * are its fields and they count as told.
 */
bool gt_fwd_rx_ack_due(struct gt_fwd_rx *rx, uint64_t *delivered, uint32_t *window);
/* The peer's FwdClose(EOF) at offset. CORE_OK or BAD_VALUE (before bytes
 * already received, or a second end elsewhere). */
int gt_fwd_rx_close(struct gt_fwd_rx *rx, uint64_t offset);
/* Every byte up to the peer's end is delivered: shut the socket's write side. */
bool gt_fwd_rx_finished(const struct gt_fwd_rx *rx);
/* A new connection: the next ack goes out even if nothing moved. */
void gt_fwd_rx_rewind(struct gt_fwd_rx *rx);
