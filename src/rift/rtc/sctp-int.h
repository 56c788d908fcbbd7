/*
 * sctp-int.h - what sctp.c (the association: usrsctp, its timer, reading
 * and notifications) and channel.c (data channels on it: DCEP, per-channel
 * send queues, stream resets) share. Internal to those two files.
 *
 * Ownership: an association (struct rg_sctp, sctp.c's) owns its usrsctp
 * socket and, through its table, its channels (struct rg_dc, channel.c's).
 * Threading: the GLib thread that runs the associations (see sctp.h).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <usrsctp.h>

#include "rift/rtc/sctp.h"

/* One data channel; freed by its association's table. */
struct rg_dc {
	struct rg_sctp *s;
	uint16_t sid;
	char *label;
	char *protocol;
	uint8_t channel_type;
	uint32_t reliability;
	bool ours;	   /* we opened it */
	bool open;	   /* ACK received (ours) or sent (theirs) */
	bool closing;	   /* closed by rg_dc_close or the peer: no more sends */
	bool out_reset;	   /* our outgoing stream reset done */
	bool in_reset;	   /* peer reset its outgoing stream */
	bool reset_queued; /* our outgoing reset queued (once out is empty) */
	GQueue out;	   /* struct out_msg*: waiting for room in usrsctp, oldest first */
	GList busy_link;   /* in s->busy while out is not empty */
	size_t buffered;   /* bytes in out */
	size_t low;	   /* buffered_low threshold */
	bool above;	   /* buffered was above low since the last buffered_low */
	bool want_low;	   /* a send got CORE_ERR_AGAIN: report the next low */
};

/* One association. */
struct rg_sctp {
	struct socket *sock;
	struct rg_sctp_callbacks cb;
	void *ctx;
	char *name; /* our object in log lines */
	bool client;
	uint16_t local_port, remote_port;
	uint32_t max_message;
	GHashTable *channels; /* sid -> struct rg_dc* (owned) */
	uint16_t out_streams;
	bool connected, failed, dead;
	bool aborting; /* inside usrsctp_close: its ABORT may still go out */
	int depth;
	GArray *pending_resets; /* uint16_t sids awaiting SCTP_RESET_STREAMS */
	GQueue busy;		/* struct rg_dc* with queued messages, in turn order */
	uint8_t *chunk;		/* READ_CHUNK bytes */
	GByteArray *rx;		/* the message being reassembled */
	bool rx_overflow;	/* the current message exceeded our limit: drop it */
};

/*
 * sctp.c: the associations' clock, CLOCK_BOOTTIME microseconds
 * (core_time_now_us; tests move it with rg_sctp_clock_advance).
 */
int64_t rg_sctp_now_us(void);

/*
 * sctp.c: send one message on sid with the given flags (and PR-SCTP info
 * when pr is not NULL). CORE_OK, CORE_ERR_AGAIN (no room in usrsctp),
 * CORE_ERR_TOO_LARGE or CORE_ERR_CLOSED.
 */
int rg_sctp_sendv(struct rg_sctp *s, uint16_t sid, uint32_t ppid, uint16_t flags,
		  const struct sctp_prinfo *pr, const uint8_t *buf, size_t len);

/* channel.c: a table sid -> struct rg_dc* that frees its channels. */
GHashTable *rg_dc_table_new(void);
/* channel.c: one whole data message the peer sent on sid. */
void rg_dc_input(struct rg_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len);
/* channel.c: SCTP_STREAM_RESET_EVENT (len: the whole notification's). */
void rg_dc_stream_reset(struct rg_sctp *s, const struct sctp_stream_reset_event *e, size_t len);
/*
 * channel.c: after input or a timer tick, move queued messages into usrsctp
 * (firing buffered_low) and request the stream resets due. Callbacks may
 * free s: it is only marked dead, and nothing more is done then.
 */
void rg_dc_flush(struct rg_sctp *s);
