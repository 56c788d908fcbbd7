/*
 * hub.h - one side of goet's port forwarding (docs/protocol/goet.md section
 * 8): the listeners, the forwarded TCP connections and their messages,
 * independent of the transport that carries them.
 *
 * The client's hub listens for -L (gt_fwd_hub_listen_local) and asks the
 * session to listen for -R (gt_fwd_hub_request_remote); the session's hub
 * answers FwdListen and FwdOpen. Each forwarded connection is a channel
 * (goet/fwdchan.h: bytes kept until the peer delivered them, a window per
 * direction): across a reconnect (gt_fwd_hub_set_connected false, then
 * true) every channel resends from the peer's last acknowledgement, the
 * client asks again for its -R listeners, and nothing is lost or repeated.
 * A connection whose target refuses or cannot be reached, or whose peer
 * breaks its stream's rules, is reset alone, with the reason logged and sent
 * (FwdClose kind reset); the hub, the session and other channels go on.
 *
 * Messages go out through ops->send (which may refuse with CORE_ERR_AGAIN
 * when the transport is full: call gt_fwd_hub_pump once it is writable);
 * messages in go to gt_fwd_hub_on_message. Sockets are non-blocking GSocket
 * sources on the thread-default main context at creation.
 *
 * Errors: gt_fwd_hub_listen_local returns CORE_OK, CORE_ERR_SYSTEM (bind or
 * listen failed; message in err) or CORE_ERR_BAD_VALUE (a bind address that
 * is not an IP address). gt_fwd_hub_on_message returns CORE_OK or
 * CORE_ERR_BAD_VALUE: a message the peer must not send in this role (a
 * FwdListen to a client, a FwdOpen numbered as ours): refuse the stream that
 * carried it (gt_conn_fwd_refuse, QUIC) or else close the transport
 * connection (the hub keeps its state for the next one).
 *
 * Ownership: the caller owns the hub (gt_fwd_hub_free closes every socket).
 * Threading: one main context; not thread-safe.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "goet/fwdspec.h"
#include "goet/proto/frame.h"

/* Channels at once per hub; more connections are refused (closed at once). */
#define GT_FWD_MAX_CHANNELS 1024
/*
 * Room the owners keep on the forwarding channel beyond what ops->room
 * reports, for the messages that are not sent again when refused (FwdAck,
 * FwdClose, FwdOpen and their answers): FwdData fills the rest. (The
 * terminal has channels of its own: conn.h.)
 */
#define GT_FWD_SMALL_RESERVE (64 * 1024)
/* A forwarded connection's target must answer within this. */
#define GT_FWD_CONNECT_TIMEOUT_S 10

struct gt_fwd_hub_ops {
	/* Queue m for the peer: CORE_OK, CORE_ERR_AGAIN (full) or another error. */
	int (*send)(void *user, const struct gt_msg *m);
	/* Bytes the transport takes now (FwdData is sent while there is room):
	 * the forwarding channel's, which never delays the terminal's (conn.h). */
	size_t (*room)(void *user);
	/* May be NULL: a line for the user (a port picked, a forward that failed),
	 * as ssh prints "Allocated port ..." and "open failed". No newline. */
	void (*notice)(void *user, const char *text);
	/* May be NULL: channel chan is gone on this side (the transport may end
	 * what carried it: gt_conn_fwd_end). */
	void (*chan_end)(void *user, uint32_t chan);
};

struct gt_fwd_hub;

/* is_client: the client's hub (odd channels) or the session's (even).
 * name is for log lines ("client", the session id). */
struct gt_fwd_hub *gt_fwd_hub_new(bool is_client, const char *name,
				  const struct gt_fwd_hub_ops *ops, void *user);
void gt_fwd_hub_free(struct gt_fwd_hub *hub);

/* Client, -L: listen now (port 0 picks one: gt_fwd_hub_local_port). */
int gt_fwd_hub_listen_local(struct gt_fwd_hub *hub, const struct gt_fwd_spec *spec, GError **err);
/* The port the i-th -L listener bound (0 if none). */
uint16_t gt_fwd_hub_local_port(const struct gt_fwd_hub *hub, unsigned i);
/* Client, -R: ask the session to listen, now and after each reconnect. */
void gt_fwd_hub_request_remote(struct gt_fwd_hub *hub, const struct gt_fwd_spec *spec);
/* The port the session bound for the i-th -R (0 until it said). */
uint16_t gt_fwd_hub_remote_port(const struct gt_fwd_hub *hub, unsigned i);

/* The transport is up (true: resend from the acks) or gone (false). */
void gt_fwd_hub_set_connected(struct gt_fwd_hub *hub, bool up);
/* A forwarding message from the peer. CORE_OK or CORE_ERR_BAD_VALUE. */
int gt_fwd_hub_on_message(struct gt_fwd_hub *hub, const struct gt_msg *m);
/* The transport has room again: send what waits. */
void gt_fwd_hub_pump(struct gt_fwd_hub *hub);
/* Forwarded connections now open or opening. */
unsigned gt_fwd_hub_n_channels(const struct gt_fwd_hub *hub);
