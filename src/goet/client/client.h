/*
 * client.h - the goet client loop: a terminal (or pipes) on one side, a
 * session on the other, reconnecting after any loss (the reference's §3).
 *
 * Keystrokes go through the escape processor (escape.h) into an outbox
 * (coalesced, numbered, kept for replay); output is written to the output fd
 * through a bounded queue. After a loss the client redials every second and,
 * on reconnecting, exchanges sequence numbers: the session replays the output
 * the client lacks, the client replays the keystrokes the session lacks.
 *
 * It ends (the `done` callback, with the exit code) when the session sends
 * Shutdown and closes (0), on `~.` or the terminal's end (0; the session is
 * ended too, as the reference), on `~d` (0: the keystrokes so far are
 * delivered, then the connection closes without Shutdown, so the session
 * keeps running for a later `goet attach`), or on gt_client_stop (1). End of input from a
 * pipe is not an end, as with `ssh -tt`: the terminal gets ^D after the last
 * keystroke (best effort: a shell that is not yet reading ignores it) and the
 * client shows output until the session ends (`exit` as the last line). Messages for the user go
 * to the error fd, with "\r\n" line ends (the terminal may be raw).
 *
 * Connecting: a failure is reported once ("connect failed, retrying: ...");
 * when QUIC gets no answer but a TCP connection to the same port succeeds,
 * a hint says to try --tcp. Before the first connection the client gives up
 * after connect_timeout_us (exit 1, the last error as the reason), and
 * Ctrl-C (byte 0x03 from a terminal in raw mode) ends it at once (exit 1).
 * A refusal is final: a session that rejects the passkey, or cannot prove it
 * knows it (goet-v2), ends the client (exit 1) without a retry; after an
 * earlier success the reason says the session no longer accepts this client.
 *
 * After 3 s of silence the client also dials a new connection alongside the
 * old one (again every second while it fails): when it works, it replaces
 * the silent one at once instead of after the 15 s dead-peer rule (an
 * address change under TCP, a NAT that dropped the mapping).
 *
 * When nothing has arrived for 2 s, a terminal shows a notice on its top line
 * (notice.h), updated every second and erased when contact returns; the
 * session is then asked to redraw (a resize bounce). Without a terminal the
 * reference's "Connection lost. Reconnecting..." / "Reconnected." lines are
 * written instead.
 *
 * With a predict mode other than never, on a terminal (tty and out_tty, not
 * a command on pipes), typed keys are echoed at once as predict.h says; the
 * session's output still reaches out_fd byte for byte, with the overlay's
 * bytes around it.
 *
 * Threading: main-loop thread only. Ownership: the caller owns the client
 * and the fds (which must be non-blocking-capable; they are set O_NONBLOCK).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "goet/auth.h"
#include "goet/client/predial.h"
#include "goet/client/predict.h"
#include "goet/client/profile.h"
#include "goet/fwdspec.h"
#include "goet/net/dial.h"

#define GT_CLIENT_RETRY_MS 1000 /* the reference's constant reconnect delay */
/* 1 s (the reference: 5 s): a healthy link is never silent long enough for the notice */
#define GT_CLIENT_HEARTBEAT_US	(1 * INT64_C(1000000))
#define GT_CLIENT_DEAD_AFTER_US (15 * INT64_C(1000000))
/* After this much silence a new connection is tried alongside the old one. */
#define GT_CLIENT_PROBE_AFTER_US (3 * INT64_C(1000000))
/* Before the first connection, give up after this long (--connect-timeout). */
#define GT_CLIENT_CONNECT_TIMEOUT_US (30 * INT64_C(1000000))
/* How long the TCP check behind the UDP hint may take. */
#define GT_CLIENT_TCP_CHECK_S 3

struct gt_client;

struct gt_client_config {
	const char *host;
	uint16_t port;
	uint8_t passkey[GT_PASSKEY_LEN];
	enum gt_transport transport;
	int64_t replay_bytes; /* <= 0: 4096 */
	int in_fd, out_fd, err_fd;
	const char *term; /* the client's $TERM, sent verbatim (may be NULL) */
	bool tty;	  /* in_fd is a terminal: send its size, on connect and on resize */
	bool out_tty;	  /* out_fd is a terminal: the notice line instead of the
			     reference's "Connection lost" / "Reconnected." lines */
	bool profile;	  /* every 5 s a statistics line on err_fd (profile.h) */
	bool err_tty; /* err_fd is a terminal (with out_tty: profile lines wait for a line end) */
	/* before the first connection: give up after this long (0: 30 s; < 0: never) */
	int64_t connect_timeout_us;
	/*
	 * `goet host -- cmd`: the session runs a command. Without command_tty it
	 * is on pipes: input is its stdin (no escapes; the end of input closes
	 * it), its stdout goes to out_fd and its stderr to err_fd. Either way the
	 * client exits with the command's status (255 when none came).
	 */
	bool command;
	bool command_tty;
	/*
	 * A dial the ssh bootstrap started before the port was known (it sent
	 * SequenceHeader{0} and TerminalInfo{term} early): the first connection
	 * (or its failure, then dials to port as usual). Taken over (freed) by
	 * gt_client_new; may be NULL.
	 */
	struct gt_predial *predial;
	/* --predict: local echo on a terminal session (predict.h); 0 (never) for pipes */
	enum gt_predict_mode predict;
	/* told once, at the first successful connection (may be NULL) */
	void (*connected)(void *data);
	void *connected_data;
};

typedef void (*gt_client_done_fn)(struct gt_client *c, int exit_code, const char *reason,
				  void *data);

struct gt_client *gt_client_new(const struct gt_client_config *cfg, gt_client_done_fn done,
				void *data);
/*
 * Port forwarding (goet -L / -R, docs/protocol/goet.md section 8): listen
 * for the -L specs now, and ask the session for the -R ones at every
 * connection (a session whose goet does not forward is told once on
 * err_fd). CORE_OK, or the first -L that cannot listen: CORE_ERR_SYSTEM or
 * CORE_ERR_BAD_VALUE with the reason in *err (the caller exits 1).
 */
int gt_client_forward(struct gt_client *c, const struct gt_fwd_spec *specs, size_t n, GError **err);
/* The terminal changed size (SIGWINCH): tell the session. */
void gt_client_resized(struct gt_client *c);
/* End (SIGINT/SIGTERM): Shutdown to the session if connected, exit code 1. */
void gt_client_stop(struct gt_client *c, const char *reason);
void gt_client_free(struct gt_client *c);

/* The user detached with ~d: the session was left running (no Shutdown). */
bool gt_client_detached(const struct gt_client *c);

/* Statistics of every connection so far (the current one included), for --profile. */
void gt_client_profile(const struct gt_client *c, struct gt_profile *out);
