/*
 * conn-priv.h - what a transport implements behind struct gt_conn.
 * Only transports include this file.
 */
#pragma once

#include "goet/net/conn.h"

struct gt_conn_vtable {
	const char *name; /* "quic", "tcp" */
	int (*send)(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m);
	size_t (*send_room)(const struct gt_conn *c, enum gt_channel ch);
	void (*pause_recv)(struct gt_conn *c, bool paused);
	void (*close)(struct gt_conn *c, uint64_t code, const char *reason);
	void (*peer)(const struct gt_conn *c, struct core_addr *out);
	void (*stats)(const struct gt_conn *c, struct gt_conn_stats *out);
	/* End the connection as if the peer had failed; `closed` follows from the loop. */
	void (*fail)(struct gt_conn *c, int err, const char *reason);
};

/* Embedded first in every transport's connection struct. */
struct gt_conn {
	const struct gt_conn_vtable *vt;
	struct gt_conn_callbacks cb;
	void *cb_data;
	enum gt_proto_version version;
	char id[24];
	guint heartbeat; /* timer source, 0 when off */
	int64_t hb_interval_us;
	int64_t hb_dead_us;
	int64_t last_rx_us;
	uint64_t ack_seq;      /* the owner has delivered Data up to here */
	bool ack_any;	       /* gt_conn_delivered was called */
	uint64_t ack_sent_seq; /* ... and the peer was told this much */
	size_t ack_bytes;      /* delivered since the last ack */
	guint ack_timer;
};

/* Set up the common part (counts the connection as live). */
void gt_conn_base_init(struct gt_conn *c, const struct gt_conn_vtable *vt, const char *id);
/* A frame arrived (transports call this for every received frame). */
void gt_conn_base_rx(struct gt_conn *c);
/* The transport has finished with c (call once, when it is destroyed). */
void gt_conn_base_finish(struct gt_conn *c);
