/*
 * sctp.h - WebRTC data channels (RFC 8831/8832) over one SCTP association
 * run by usrsctp in AF_CONN mode: packet in, packet out, so it can sit on a
 * DTLS session. Channels are opened with DCEP (dcep.h).
 *
 * Driving it: the owner feeds every SCTP packet that DTLS decrypted to
 * rg_sctp_input and gives every packet the send callback hands out to DTLS.
 * usrsctp's timers run from one process-wide GLib timeout on the default
 * main context (every 10 ms while packets flow, every 250 ms after a second
 * without any); the socket is read after each input and timer tick.
 * Their time, and the lifetime of a timed channel's queued message, is
 * CLOCK_BOOTTIME (core/clock.h): time suspended counts.
 *
 * Callbacks (struct rg_sctp_callbacks) run on the GLib main thread, from
 * inside rg_sctp_start, rg_sctp_input, the timer, rg_sctp_open_channel,
 * rg_dc_send and rg_dc_close:
 *  - send may be called re-entrantly from inside usrsctp: it must only queue
 *    the packet (or hand it to DTLS) and never call back into this module.
 *  - The others may call any function here except rg_sctp_input (queue the
 *    packet instead), including rg_sctp_free (the free is then completed when
 *    the outermost call returns; no callback fires on a freed association).
 *
 * Ownership: rg_sctp_new hands the caller an association freed with
 * rg_sctp_free. Channels (struct rg_dc) belong to their association: a
 * channel stays valid until channel_closed has returned for it, or until
 * rg_sctp_free.
 *
 * Closing a channel (RFC 8831 §6.7): either side resets its outgoing stream;
 * the other answers by resetting its own; channel_closed fires on each side
 * when both directions are reset.
 *
 * Threading: GLib main thread only. usrsctp is initialised once per process
 * (usrsctp_init_nothreads, reference counted) and finished with the last
 * association; its process-wide log lines name the object "usrsctp".
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SCTP packets are at most this big, as browsers send them: in an AES-GCM
 * DTLS record (RG_DTLS_MTU), a UDP datagram, IPv6 and a TURN ChannelData
 * header, 1,280 bytes, IPv6's minimum MTU, which every path carries.
 */
#define RG_SCTP_MTU 1191

struct rg_sctp;
struct rg_dc;

/* The usual SCTP port of WebRTC (a=sctp-port). */
#define RG_SCTP_DEFAULT_PORT 5000

/* Largest message we accept from the peer (our a=max-message-size). */
#define RG_SCTP_MAX_RECV_MESSAGE (256 * 1024)

/* Bytes a channel queues before rg_dc_send says CORE_ERR_AGAIN (see rg_dc_send). */
#define RG_DC_MAX_BUFFERED (1024 * 1024)

struct rg_sctp_callbacks {
	/* an SCTP packet to give to DTLS (queue it; usrsctp may call this re-entrantly) */
	void (*send)(void *ctx, const uint8_t *pkt, size_t len);
	/* association up (fires once) */
	void (*connected)(void *ctx);
	/* a channel the peer opened (DCEP OPEN received; we ACKed) or ours got its ACK */
	void (*channel_open)(void *ctx, struct rg_dc *dc);
	/* a whole message; binary false for a string (PPID 51/56) */
	void (*channel_message)(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len,
				bool binary);
	/* stream reset by either side, both directions done; dc is freed after this */
	void (*channel_closed)(void *ctx, struct rg_dc *dc);
	/* the channel's queue drained to its low-water mark (see rg_dc_set_buffered_low) */
	void (*buffered_low)(void *ctx, struct rg_dc *dc);
	/* association lost / aborted / could not start (fires at most once) */
	void (*failed)(void *ctx, const char *reason);
};

struct rg_dc_options {
	bool ordered;
	int max_retransmits;	    /* -1: unlimited */
	int max_packet_lifetime_ms; /* -1: none (at most one of the two may be set) */
	const char *protocol;	    /* NULL: "" */
};

/*
 * Create an association (not yet connecting). dtls_client: the DTLS client
 * opens channels on even stream ids, the server on odd ones (RFC 8832 §6).
 * local_port/remote_port: the a=sctp-port values, usually 5000.
 * max_message_size: the peer's a=max-message-size (enforced by rg_dc_send;
 * 0 means 65536 as RFC 8841 says for an absent attribute). cb is copied; ctx
 * is passed to every callback. name: the association's object in every log
 * line about it or its channels (copied), e.g. its peer connection's; NULL:
 * a number and "c" or "s" ("3c"). Returns CORE_OK and *out, or
 * CORE_ERR_INVALID_ARG (cb or cb->send NULL, port 0) or CORE_ERR_SYSTEM (a
 * usrsctp call failed) with *error set.
 */
int rg_sctp_new(struct rg_sctp **out, bool dtls_client, uint16_t local_port, uint16_t remote_port,
		uint32_t max_message_size, const struct rg_sctp_callbacks *cb, void *ctx,
		const char *name, GError **error);

/* Start the association (usrsctp_connect; both sides call it, INIT collision is fine). */
void rg_sctp_start(struct rg_sctp *s);

/*
 * Feed one SCTP packet that came from DTLS. Garbage is dropped by usrsctp. The
 * CRC32c is not verified: DTLS has authenticated the packet, which the CRC
 * cannot add to. Outgoing packets carry a correct CRC32c.
 */
void rg_sctp_input(struct rg_sctp *s, const uint8_t *pkt, size_t len);

/*
 * Open a channel: picks the next free stream id of our parity and sends a
 * DCEP OPEN; channel_open fires when the ACK arrives (messages may be sent
 * before that). May be called before the association is up. Returns the
 * channel, or NULL with *error: CORE_ERR_INVALID_ARG (label or protocol over
 * 65535 bytes, both max_retransmits and max_packet_lifetime_ms set),
 * CORE_ERR_NO_SPACE (no free stream id), CORE_ERR_CLOSED (association
 * failed). A full send buffer does not refuse it: the OPEN waits in the
 * channel's queue (see rg_dc_send), as does the ACK of a peer's OPEN.
 */
struct rg_dc *rg_sctp_open_channel(struct rg_sctp *s, const char *label,
				   const struct rg_dc_options *o, GError **error);

/*
 * Send one message (binary: PPID 53/57, else string 51/56; an empty message
 * goes out as one zero byte with the "empty" PPID). The message is copied.
 * It goes straight to SCTP when the channel has nothing queued and SCTP's
 * send buffer (shared by the association's channels) has room; otherwise it
 * waits in the channel's own queue, which is moved into SCTP as room
 * appears, the busy channels taking turns, one message each.
 * Returns CORE_OK (sent or queued), CORE_ERR_TOO_LARGE (len > the peer's max
 * message size, or over SCTP's whole send buffer), CORE_ERR_AGAIN (the
 * channel's queue already holds messages and would exceed RG_DC_MAX_BUFFERED
 * bytes: nothing was queued; buffered_low always follows, once the queue has
 * drained to the channel's threshold), CORE_ERR_CLOSED (channel closing or
 * closed, or association failed).
 */
int rg_dc_send(struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary);

/* Bytes of messages in this channel's queue, not yet taken by SCTP (exact, per channel). */
size_t rg_dc_buffered_amount(const struct rg_dc *dc);

/*
 * Bytes the whole association (every channel of dc's) has accepted and the
 * peer has neither acknowledged nor had abandoned: queued, in SCTP's send
 * buffer or in flight (with some bytes of SCTP's chunk headers). 0 once all
 * is acknowledged. No event says so: poll it. A getsockopt per call.
 */
size_t rg_dc_association_unacked(const struct rg_dc *dc);

/*
 * The association's smoothed round-trip time in whole milliseconds (SCTP's
 * SRTT on its one path: 0 under a millisecond), or -1 when usrsctp has no
 * status for it. A getsockopt per call.
 */
int rg_dc_rtt_ms(const struct rg_dc *dc);

/*
 * The association's SCTP status in one line (its state, the peer's receive
 * window, the congestion window, chunks unacknowledged and pending, the
 * path's state, RTO and SRTT), for a log that must show why a transfer
 * stalled. A newly allocated string (g_free); a getsockopt per call.
 */
char *rg_dc_association_describe(const struct rg_dc *dc);

/* Low-water mark (default 0): buffered_low fires when the queue drains to it, after it
 * was above it or a send got CORE_ERR_AGAIN. */
void rg_dc_set_buffered_low(struct rg_dc *dc, size_t threshold);

/* The channel's label (NUL-terminated; a peer's label may contain NUL bytes: use label_len). */
const char *rg_dc_label(const struct rg_dc *dc);
/* The channel's sub-protocol ("" if none). */
const char *rg_dc_protocol(const struct rg_dc *dc);
uint16_t rg_dc_stream(const struct rg_dc *dc);
bool rg_dc_ordered(const struct rg_dc *dc);
/* -1 if unlimited / none. */
int rg_dc_max_retransmits(const struct rg_dc *dc);
int rg_dc_max_packet_lifetime_ms(const struct rg_dc *dc);

/* Close the channel: reset our outgoing stream once its queue is empty (what is queued
 * still goes out) and the association's send buffer is empty, all it sent acknowledged (a
 * reset sent ahead of DATA the peer lacks can stall usrsctp: channel.c says why). rg_dc_send
 * then returns CORE_ERR_CLOSED. */
void rg_dc_close(struct rg_dc *dc);

/*
 * Abort the association and free everything. The send callback receives the
 * ABORT packet from inside this call (the peer then reports "association
 * lost"); no other callback fires. NULL-safe.
 */
void rg_sctp_free(struct rg_sctp *s);
