/*
 * session.h - `goet session`: one shell, outliving any number of client
 * connections (docs/protocol/goet.md; the reference's section 4).
 *
 * The session listens (QUIC and TCP on one port), takes the newest
 * authenticated connection ("last authenticated client wins"), and runs the
 * reconnect handshake: it sends SequenceHeader{last input seq it delivered},
 * reads the client's SequenceHeader and TerminalInfo, spawns the shell on the
 * first TerminalInfo, replays the output the client has not seen, and
 * bounces the PTY size. Data that a client sends before TerminalInfo is kept
 * and applied after it (the reference dropped such clients).
 *
 * Output: PTY bytes are coalesced (2 ms / 32 KiB, only while earlier output is
 * in flight: on an idle link they go at once), numbered, kept in the
 * replay buffer, and sent from a cursor; when the connection's queue is full
 * the PTY is not read, so nothing is evicted before it was sent. Input:
 * written to the PTY through its bounded queue; when that is full the
 * connection stops reading, so back-pressure reaches the client.
 *
 * End: the shell exits (every output byte, then Shutdown, is delivered before
 * the close), the client sends Shutdown, gt_session_stop (SIGTERM), or no
 * client for the idle timeout. The `done` callback gets the exit code the
 * reference uses (0 when the shell exited with 0, else 1) and a reason.
 *
 * Threading: main-loop thread only. Ownership: the caller owns the session.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "goet/auth.h"

#define GT_SESSION_IDLE_TIMEOUT_US (7 * 24 * 3600 * INT64_C(1000000)) /* 7 days */
/* 1 s (the reference: 5 s), so that the client's 2 s notice means a real silence */
#define GT_SESSION_HEARTBEAT_US	 (1 * INT64_C(1000000))
#define GT_SESSION_DEAD_AFTER_US (30 * INT64_C(1000000))

struct gt_session;

struct gt_session_config {
	uint8_t passkey[GT_PASSKEY_LEN];
	uint16_t port;		  /* 0 = ephemeral */
	int64_t replay_bytes;	  /* <= 0: 4096 */
	int64_t idle_timeout_us;  /* < 0: 7 days; 0: never */
	unsigned hangup_grace_ms; /* 0: 2000 */
	int64_t auth_timeout_us;  /* 0: 5 s */
	const char *const *argv;  /* tests: run this instead of the login shell */
	/*
	 * `goet host -- cmd`: run `$SHELL -c command` instead of a login shell,
	 * on pipes (stdout and stderr apart, Data tagged by stream, the client
	 * told by GT_SEQ_FLAG_COMMAND) or, with command_tty, on the PTY; the
	 * command's exit status goes to the client in Shutdown.
	 */
	const char *command;
	bool command_tty;
	/*
	 * Not NULL: start the shell (or command) at once with this TERM, not at
	 * the first client's TerminalInfo (the ssh bootstrap: the shell starts
	 * while the client connects; what it writes meanwhile is kept).
	 */
	const char *start_term;
	/* the passkey comes later (gt_session_set_passkey): listen at once (server.h) */
	bool passkey_later;
	const char *id; /* for log lines; NULL: from the passkey */
	/* Told (may be NULL) when a client becomes attached or leaves, and when the
	 * shell starts (shell_pid 0 before): the registry's `attached` flag. */
	void (*state)(bool attached, int shell_pid, void *data);
	void *state_data;
};

typedef void (*gt_session_done_fn)(struct gt_session *s, int exit_code, const char *reason,
				   void *data);

struct gt_session *gt_session_new(const struct gt_session_config *cfg, gt_session_done_fn done,
				  void *data, GError **error);
uint16_t gt_session_port(const struct gt_session *s);
/* End gracefully (SIGINT/SIGTERM): Shutdown to the client, hang up the shell. */
void gt_session_stop(struct gt_session *s, const char *reason);
void gt_session_free(struct gt_session *s);
/* The passkey of a session made with passkey_later (copied). */
void gt_session_set_passkey(struct gt_session *s, const uint8_t passkey[GT_PASSKEY_LEN]);
