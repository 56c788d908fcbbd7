/*
 * frame.h - goet frames and messages: pure encode/decode, no I/O.
 *
 * Wire format (docs/protocol/goet.md): every message is one frame,
 *   u32 big-endian payload length L | u8 type | L payload bytes,
 * with L <= GT_FRAME_MAX_PAYLOAD. The eight message types and their payload
 * layouts are those of goet 0.3.5 ("goet-v1"), decoded by the reference's
 * rules: a fixed-size payload may be longer than needed (the extra bytes are
 * ignored, except that AuthResponse exposes them for goet-v2's server proof),
 * a shorter one is an error. Ours adds optional trailing bytes that
 * goet-v1 decoders skip: SequenceHeader flags, Shutdown's exit status; and
 * the port forwarding messages (0x30-0x36, docs/protocol/goet.md section 8),
 * sent only to a session whose SequenceHeader carries GT_SEQ_FLAG_FORWARD.
 * Their text fields (a bind address, a host, a reason) are a u8 length and
 * at most 255 bytes, taken as they are: the receiver validates them.
 *
 * Decoded messages borrow: Data bytes, TerminalInfo text and AuthResponse
 * extra bytes point into the decoder's input, valid as long as it is.
 *
 * Errors (negative enum core_err):
 *   CORE_ERR_TRUNCATED     input ends inside the header or payload, or a
 *                          payload is shorter than its type requires
 *   CORE_ERR_TOO_LARGE     a length above GT_FRAME_MAX_PAYLOAD (decoding:
 *                          seen in the header alone; encoding: refused)
 *   CORE_ERR_UNKNOWN_TYPE  a type byte not in the table
 *   CORE_ERR_NO_SPACE      encoding: the output buffer cannot take the frame
 *   CORE_ERR_INVALID_ARG   encoding: TerminalInfo text over 65535 bytes, a
 *                          forwarding text field over 255 bytes
 * Every encode either writes the whole frame or nothing.
 * Threading: pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define GT_FRAME_HEADER_LEN  5
#define GT_FRAME_MAX_PAYLOAD UINT32_C(4194304) /* 4 MiB, as the reference */
#define GT_AUTH_TOKEN_LEN    32
#define GT_DATA_HEADER_LEN   8 /* Data payload: u64 seq before the bytes */

enum gt_msg_type {
	GT_MSG_AUTH_REQUEST = 0x01,
	GT_MSG_AUTH_RESPONSE = 0x02,
	GT_MSG_SEQUENCE_HEADER = 0x03,
	GT_MSG_HEARTBEAT = 0x10,
	GT_MSG_RESIZE = 0x11,
	GT_MSG_SHUTDOWN = 0x12,
	GT_MSG_TERMINAL_INFO = 0x13,
	GT_MSG_DATA = 0x20,
	/* port forwarding (docs/protocol/goet.md section 8) */
	GT_MSG_FWD_LISTEN = 0x30,	 /* C->S: listen for -R */
	GT_MSG_FWD_LISTEN_RESULT = 0x31, /* S->C */
	GT_MSG_FWD_OPEN = 0x32,		 /* either way: a new forwarded connection */
	GT_MSG_FWD_OPEN_RESULT = 0x33,	 /* the answer: connected, or why not */
	GT_MSG_FWD_DATA = 0x34,		 /* bytes of one connection, at an offset */
	GT_MSG_FWD_ACK = 0x35,		 /* delivered up to an offset; the window */
	GT_MSG_FWD_CLOSE = 0x36,	 /* end of one direction, or a reset */
};

#define GT_FWD_TEXT_MAX	       255
#define GT_FWD_DATA_HEADER_LEN 12 /* FwdData payload: u32 chan, u64 offset */

/*
 * SequenceHeader flag: the session runs a command on pipes (`goet host --
 * cmd`); every Data payload then starts with a stream byte (GT_STREAM_*).
 */
#define GT_SEQ_FLAG_COMMAND 0x01
/* SequenceHeader flag: the session takes the forwarding messages (0x30-0x36). */
#define GT_SEQ_FLAG_FORWARD 0x02
enum gt_stream {
	GT_STREAM_STDIN = 0,	 /* client to session: bytes for the command's stdin */
	GT_STREAM_STDOUT = 1,	 /* session to client */
	GT_STREAM_STDERR = 2,	 /* session to client */
	GT_STREAM_STDIN_EOF = 3, /* client to session: the end of stdin (no bytes) */
};

/* FwdListen bind: as enum gt_fwd_bind (goet/fwdspec.h) */
enum gt_fwd_status {
	GT_FWD_OK = 0,
	GT_FWD_REFUSED = 1,	/* the target refused the connection */
	GT_FWD_UNREACHABLE = 2, /* no route, no such name, or no answer in time */
	GT_FWD_DENIED = 3,	/* not asked for (an unknown listen_id) or not allowed */
	GT_FWD_IN_USE = 4,	/* FwdListen: the address is taken */
	GT_FWD_FAILED = 5,	/* anything else; the reason says what */
};

enum gt_fwd_close_kind {
	GT_FWD_CLOSE_EOF = 0,	/* no bytes after offset in this direction */
	GT_FWD_CLOSE_RESET = 1, /* the connection is gone, both ways */
};

enum gt_auth_status {
	GT_AUTH_OK = 0,
	GT_AUTH_FAILED = 1,
	GT_AUTH_SESSION_NOT_FOUND = 2,
};

/*
 * Logical channel a message type travels on (docs/protocol/goet.md
 * sections 1 and 8): control and the terminal's data (QUIC streams 0 and 4),
 * and port forwarding (QUIC: streams of its own per forwarded connection;
 * TCP: its own queue, sent after the terminal's frames).
 */
enum gt_channel {
	GT_CHANNEL_CONTROL = 0,
	GT_CHANNEL_DATA = 1,
	GT_CHANNEL_FWD = 2,
};
#define GT_CHANNEL_COUNT 3

struct gt_msg {
	uint8_t type; /* enum gt_msg_type */
	union {
		struct {
			uint8_t token[GT_AUTH_TOKEN_LEN];
		} auth_request;
		struct {
			uint8_t status;	      /* enum gt_auth_status */
			const uint8_t *extra; /* bytes after status (goet-v2 proof) */
			size_t extra_len;
		} auth_response;
		struct {
			uint64_t last_seq;
			/* ours, session to client (one more byte; goet-v1 decoders skip it):
			 * GT_SEQ_FLAG_COMMAND, the session runs a command on pipes */
			uint8_t flags;
		} sequence_header;
		struct {
			/* ours (the reference ignores any Shutdown payload):
			 * flags u8 (1: status, 2: last_seq), status u8, last_seq u64 */
			bool has_status; /* a command's exit status */
			uint8_t status;
			bool has_last_seq; /* the sender's last Data seq: a receiver that
					    * has it has everything and may close */
			uint64_t last_seq;
		} shutdown;
		struct {
			int64_t timestamp_ms;
			/* goet-v2: "I have delivered every Data up to ack_seq"
			 * (8 more payload bytes; goet-v1 decoders skip them) */
			bool has_ack;
			uint64_t ack_seq;
		} heartbeat;
		struct {
			uint16_t rows;
			uint16_t cols;
		} resize;
		struct {
			const uint8_t *term;
			size_t len; /* <= 65535 */
		} terminal_info;
		struct {
			uint64_t seq;
			const uint8_t *bytes;
			size_t len;
		} data;
		struct {
			uint32_t listen_id;  /* the client's, > 0 */
			uint16_t port;	     /* 0: the session picks */
			uint8_t bind;	     /* enum gt_fwd_bind */
			const uint8_t *addr; /* GT_FWD_BIND_ADDRESS: the address */
			size_t addr_len;
		} fwd_listen;
		struct {
			uint32_t listen_id;
			uint8_t status; /* enum gt_fwd_status */
			uint16_t port;	/* the port bound */
			const uint8_t *reason;
			size_t reason_len;
		} fwd_listen_result;
		struct {
			uint32_t chan;	    /* client's odd, session's even */
			uint32_t listen_id; /* session to client: which -R; else 0 */
			uint16_t port;	    /* client to session: the target */
			const uint8_t *host;
			size_t host_len;
		} fwd_open;
		struct {
			uint32_t chan;
			uint8_t status; /* enum gt_fwd_status */
			const uint8_t *reason;
			size_t reason_len;
		} fwd_open_result;
		struct {
			uint32_t chan;
			uint64_t offset; /* of bytes[0] in this direction */
			const uint8_t *bytes;
			size_t len;
		} fwd_data;
		struct {
			uint32_t chan;
			uint64_t delivered; /* bytes written to the local socket */
			uint32_t window;    /* bytes the sender may send past delivered */
		} fwd_ack;
		struct {
			uint32_t chan;
			uint8_t kind;	 /* enum gt_fwd_close_kind */
			uint64_t offset; /* EOF: the direction's length */
			const uint8_t *reason;
			size_t reason_len;
		} fwd_close;
	} u;
};

/* Name of a type ("Data"), or "unknown" for a byte not in the table. */
const char *gt_msg_type_name(uint8_t type);
/* True if type is one of the message types (the eight and forwarding's). */
bool gt_msg_type_known(uint8_t type);
/* Channel the type is sent on (control for unknown types). */
enum gt_channel gt_msg_channel(uint8_t type);

/* A forwarding message of one connection (FwdOpen..FwdClose): true and its chan. */
bool gt_msg_fwd_chan(const struct gt_msg *m, uint32_t *chan);

/* Payload length m encodes to (may exceed the maximum: encode refuses). */
size_t gt_msg_payload_len(const struct gt_msg *m);

/* Append the frame for m to out. Errors: TOO_LARGE, UNKNOWN_TYPE, NO_SPACE, INVALID_ARG. */
int gt_msg_encode(const struct gt_msg *m, struct core_buf *out);

/* Decode a payload of a known length. Errors: TRUNCATED, UNKNOWN_TYPE. */
int gt_msg_decode(uint8_t type, const uint8_t *payload, size_t len, struct gt_msg *m);

/* Parse a 5-byte header. Errors: TOO_LARGE (length above the maximum). */
int gt_frame_header_parse(const uint8_t hdr[GT_FRAME_HEADER_LEN], uint32_t *len, uint8_t *type);

/*
 * Decode the frame at the start of data; *consumed is its full size.
 * Errors: TOO_LARGE (as soon as the header is complete), TRUNCATED (header
 * or payload incomplete, or a short payload), UNKNOWN_TYPE.
 */
int gt_frame_decode(const uint8_t *data, size_t len, struct gt_msg *m, size_t *consumed);

/* Field-by-field equality (borrowed bytes compared by content). */
bool gt_msg_equal(const struct gt_msg *a, const struct gt_msg *b);
