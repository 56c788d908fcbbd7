/*
 * session.c - the goet session loop (contract in session.h).
 *
 * Output path: PTY -> coalescer -> (flush) seq++, replay buffer -> sent from
 * `out_cursor` (the last seq handed to the connection) by session_pump().
 * A reconnection just moves the cursor back to what the client says it has,
 * so replay and normal sending are the same code. When the connection's
 * queue is full, PTY reading pauses until `writable`.
 *
 * Input path: Data -> PTY queue; a full queue pauses the connection's
 * receiving until the PTY is writable again (the message that did not fit is
 * kept in `pending_in`). Data before TerminalInfo waits in `pending_in` too.
 */
#include "goet/session/session.h"

#include <string.h>
#include <sys/wait.h>

#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/fwd/hub.h"
#include "goet/outbox.h"
#include "goet/net/server.h"
#include "goet/session/pty.h"
#include "goet/term.h"

/* Input held before the shell exists or while its queue is full. */
#define SESSION_PENDING_IN_MAX (4 * 1024 * 1024)

enum conn_phase {
	PHASE_NONE,	 /* no client */
	PHASE_HANDSHAKE, /* waiting for the client's TerminalInfo */
	PHASE_READY,
};

struct gt_session {
	struct gt_session_config cfg;
	char id[GT_SESSION_ID_LEN + 1];
	struct gt_server *server;
	struct gt_conn *conn;
	enum conn_phase phase;
	uint64_t client_last_seq; /* what the client said it has */
	bool got_client_seq;	  /* its SequenceHeader (data stream) arrived */
	bool got_terminal_info;	  /* its TerminalInfo (control stream) arrived */
	char term[GT_TERM_MAX_LEN + 1];
	uint16_t rows, cols; /* a Resize that came during the handshake (0: none) */
	struct gt_pty *pty;
	struct gt_outbox out; /* the shell's output: numbered, kept, sent from a cursor */
	guint co_timer;
	uint64_t in_seq;	/* last input seq written to the PTY queue */
	GByteArray *pending_in; /* input bytes not yet accepted by the PTY */
	uint64_t pending_seq;	/* their seq (the last one) */
	bool tagged;		/* a command on pipes: Data starts with a stream byte */
	uint8_t out_stream;	/* tagged: the stream of the batch being coalesced */
	bool eof_pending;	/* tagged: the client's stdin ended after pending_in */
	bool in_closed;		/* tagged: the command's stdin is closed */
	bool has_status;	/* a command ended: its status goes in Shutdown */
	bool shut_sent;		/* the current connection was sent Shutdown */
	bool end_told;		/* some connection was sent the Shutdown after the shell's end */
	uint8_t status;
	guint handshake_timer;
	guint idle_timer;
	bool draining; /* the shell exited: ending once the client has all output */
	bool ending;
	int exit_code;
	char reason[160];
	gt_session_done_fn done;
	void *done_data;
	guint done_idle;
	bool reported_attached; /* what the state callback was last told */
	int reported_pid;
	struct gt_fwd_hub *fwd; /* port forwarding: -R listeners, -L targets */
};

static void session_pump(struct gt_session *s);
static void session_report(struct gt_session *s);
static void session_end(struct gt_session *s, int code, const char *reason);
static void session_drained(struct gt_session *s);
static void session_announce_end(struct gt_session *s);
static void session_close_input(struct gt_session *s);

/* ---------------------------------------------------------------- output */

/* Make one Data message of the coalesced batch and keep it for replay. */
static void session_flush(struct gt_session *s)
{
	core_source_clear(&s->co_timer);
	gt_outbox_flush(&s->out);
}

/* Hand one stored output entry to the connection. */
static bool session_send_data(uint64_t seq, const uint8_t *p, size_t n, void *data)
{
	struct gt_session *s = data;
	struct gt_msg m = { .type = GT_MSG_DATA };

	m.u.data.seq = seq;
	m.u.data.bytes = p;
	m.u.data.len = n;
	return gt_conn_send(s->conn, GT_CHANNEL_DATA, &m) == CORE_OK;
}

/*
 * Send what the client lacks. The PTY is read only while the connection
 * keeps up and (goet-v2) less than a window of output is unacknowledged:
 * otherwise the shell waits, as on a slow terminal, and no output is lost.
 */
static void session_pump(struct gt_session *s)
{
	bool gap = false, caught_up = true;

	if (s->conn != NULL && s->phase == PHASE_READY) {
		caught_up = gt_outbox_pump(&s->out, session_send_data, s, &gap);
		if (gap)
			core_log_warn("session", s->id,
				      "output the client lacks was already evicted; "
				      "it sees a gap after seq %" G_GUINT64_FORMAT,
				      s->out.cursor);
	}
	if (s->pty != NULL)
		gt_pty_pause_output(s->pty, !caught_up || !gt_outbox_has_room(&s->out));
	session_announce_end(s); /* once the shell is gone and everything is sent */
}

static gboolean session_co_timer(gpointer p)
{
	struct gt_session *s = p;

	s->co_timer = 0;
	session_flush(s);
	session_pump(s);
	return G_SOURCE_REMOVE;
}

/*
 * Nothing of ours is in flight: output goes at once (an echo must not wait).
 * Otherwise it is batched (2 ms / 32 KiB), which only costs time when earlier
 * output has not been acknowledged yet, i.e. under load.
 */
static bool session_link_idle(const struct gt_session *s)
{
	return s->conn != NULL && s->phase == PHASE_READY && s->out.cursor == s->out.seq &&
	       gt_conn_in_flight(s->conn) == 0;
}

/* Output of one stream into the outbox; tagged, each batch starts with its stream byte. */
static void session_output(struct gt_session *s, uint8_t stream, const uint8_t *data, size_t n)
{
	int64_t now = core_time_now_us();
	size_t pending = gt_coalesce_len(&s->out.co);
	bool flush_now = false;

	if (s->tagged) {
		if (pending > 0 &&
		    (stream != s->out_stream || pending + 1 + n > GT_COALESCE_DEFAULT_CAP))
			session_flush(s);
		if (gt_coalesce_len(&s->out.co) == 0) {
			gt_outbox_add(&s->out, now, &stream, 1, NULL);
			s->out_stream = stream;
		}
	}
	gt_outbox_add(&s->out, now, data, n, &flush_now);
	if (flush_now || session_link_idle(s)) {
		session_flush(s);
		session_pump(s);
	} else if (s->co_timer == 0) {
		int64_t wait = gt_outbox_deadline_us(&s->out) - now;

		s->co_timer = g_timeout_add(wait > 0 ? (guint)((wait + 999) / 1000) : 0,
					    session_co_timer, s);
	}
}

static void pty_output(struct gt_pty *p, const uint8_t *data, size_t n, void *user)
{
	session_output(user, GT_STREAM_STDOUT, data, n);
}

static void pty_err_output(struct gt_pty *p, const uint8_t *data, size_t n, void *user)
{
	session_output(user, GT_STREAM_STDERR, data, n);
}

/* ----------------------------------------------------------------- input */

/* Feed held input to the PTY; true when nothing is left held. */
static bool session_feed_pending(struct gt_session *s)
{
	int r;

	if (s->pending_in->len == 0)
		return true;
	if (s->pty == NULL)
		return false;
	r = gt_pty_write(s->pty, s->pending_in->data, s->pending_in->len);
	if (r != CORE_OK)
		return false;
	if (s->conn != NULL)
		gt_conn_delivered(s->conn, s->pending_seq, s->pending_in->len);
	g_byte_array_set_size(s->pending_in, 0);
	s->in_seq = s->pending_seq;
	session_close_input(s);
	return true;
}

/* Tagged: the client's stdin ended; once what came before is written, the command's does. */
static void session_close_input(struct gt_session *s)
{
	if (!s->eof_pending || s->in_closed || s->pty == NULL || s->pending_in->len > 0)
		return;
	s->in_closed = true;
	gt_pty_close_input(s->pty);
}

static void session_on_data(struct gt_session *s, const struct gt_msg *m)
{
	const uint8_t *p = m->u.data.bytes;
	size_t n = m->u.data.len;

	if (s->tagged && n > 0) {
		/* a command on pipes: the stream byte first (stdin bytes, or its end) */
		if (p[0] == GT_STREAM_STDIN_EOF)
			s->eof_pending = true;
		p++;
		n--;
	}
	if (s->in_closed)
		n = 0; /* nothing after the end of stdin */
	if (s->pending_in->len == 0 && s->pty != NULL &&
	    (n == 0 || gt_pty_write(s->pty, p, n) == CORE_OK)) {
		s->in_seq = m->u.data.seq; /* written: only now does it count as received */
		gt_conn_delivered(s->conn, s->in_seq, m->u.data.len);
		session_close_input(s);
		return;
	}
	if (s->pending_in->len + n > SESSION_PENDING_IN_MAX) {
		core_log_warn("session", s->id,
			      "client sent too much input before the shell started");
		gt_conn_close(s->conn, GT_CLOSE_PROTOCOL, "too much early input");
		s->conn = NULL;
		s->phase = PHASE_NONE;
		return;
	}
	g_byte_array_append(s->pending_in, p, (guint)n);
	s->pending_seq = m->u.data.seq;
	if (s->pty != NULL)
		gt_conn_pause_recv(s->conn, true); /* the PTY is full: stop reading the client */
}

static void pty_writable(struct gt_pty *p, void *user)
{
	struct gt_session *s = user;

	if (session_feed_pending(s) && s->conn != NULL)
		gt_conn_pause_recv(s->conn, false);
}

/* ------------------------------------------------------------ handshake */

static void session_resize(struct gt_session *s, uint16_t rows, uint16_t cols)
{
	if (s->pty != NULL && gt_pty_resize(s->pty, rows, cols) != CORE_OK)
		core_log_warn("session", s->id, "resize to %ux%u failed", rows, cols);
}

static gboolean session_handshake_timeout(gpointer p)
{
	struct gt_session *s = p;

	s->handshake_timer = 0;
	core_log_info("session", s->id, "no TerminalInfo within 5 s; dropping the connection");
	gt_conn_close(s->conn, GT_CLOSE_PROTOCOL, "no TerminalInfo");
	s->conn = NULL;
	s->phase = PHASE_NONE;
	return G_SOURCE_REMOVE;
}

static void pty_exited(struct gt_pty *p, int status, void *user);

static const struct gt_pty_callbacks session_pty_cb = {
	.output = pty_output,
	.writable = pty_writable,
	.exited = pty_exited,
	.err_output = pty_err_output,
};

/* Start the shell (or the command) with s->term: CORE_OK, or an error with *e set. */
static int session_spawn(struct gt_session *s, GError **e)
{
	const char *shell = g_getenv("SHELL");
	const char *cmd_argv[] = { shell != NULL && shell[0] != '\0' ? shell : "/bin/sh", "-c",
				   s->cfg.command, NULL };
	struct gt_pty_config pc = {
		.term = s->term, .session_id = s->id, .argv = s->cfg.argv, .pipes = s->tagged
	};
	int r;

	if (s->cfg.command != NULL && s->cfg.argv == NULL)
		pc.argv = cmd_argv;
	r = gt_pty_spawn(&pc, &session_pty_cb, s, &s->pty, e);
	if (r == CORE_OK)
		core_log_info("session", s->id, "shell %d started (TERM=%s)",
			      (int)gt_pty_pid(s->pty), s->term);
	return r;
}

/*
 * Both handshake messages are in (they travel on different QUIC streams, so
 * either may come first): start the shell if needed, replay, bounce.
 */
static void session_handshake_done(struct gt_session *s)
{
	GError *e = NULL;

	core_source_clear(&s->handshake_timer);
	if (s->pty == NULL && session_spawn(s, &e) != CORE_OK) {
		session_end(s, 1, e->message);
		g_error_free(e);
		return;
	}
	s->phase = PHASE_READY;
	/* a goet-v1 client never acknowledges: the reference's lossy replay buffer */
	gt_outbox_set_lossless(&s->out, gt_conn_version(s->conn) == GT_PROTO_V2);
	gt_outbox_rewind(&s->out, s->client_last_seq); /* replay what the client has not seen */
	session_pump(s);
	if (s->draining) {
		session_announce_end(s);
		session_drained(s);
		return;
	}
	session_feed_pending(s);
	gt_pty_bounce(s->pty);
	session_report(s);
	/* on QUIC the client's Resize may overtake its SequenceHeader: it goes after the bounce */
	if (s->rows != 0)
		session_resize(s, s->rows, s->cols);
}

/* --------------------------------------------------------- connections */

/* Port forwarding's messages go on the current client's connection. */
static int session_fwd_send(void *user, const struct gt_msg *m)
{
	struct gt_session *s = user;

	if (s->conn == NULL)
		return CORE_ERR_CLOSED;
	return gt_conn_send(s->conn, gt_msg_channel(m->type), m);
}

static size_t session_fwd_room(void *user)
{
	struct gt_session *s = user;

	return gt_conn_send_room_beyond(s->conn, GT_CHANNEL_FWD, GT_FWD_SMALL_RESERVE);
}

static void session_fwd_chan_end(void *user, uint32_t chan)
{
	struct gt_session *s = user;

	gt_conn_fwd_end(s->conn, chan);
}

static const struct gt_fwd_hub_ops session_fwd_ops = { session_fwd_send, session_fwd_room, NULL,
						       session_fwd_chan_end };

static void conn_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m, void *data)
{
	struct gt_session *s = data;

	switch (m->type) {
	case GT_MSG_SEQUENCE_HEADER:
		if (s->phase != PHASE_HANDSHAKE || s->got_client_seq)
			break;
		s->client_last_seq = m->u.sequence_header.last_seq;
		s->got_client_seq = true;
		if (s->got_terminal_info)
			session_handshake_done(s);
		break;
	case GT_MSG_TERMINAL_INFO:
		if (s->phase != PHASE_HANDSHAKE || s->got_terminal_info)
			break;
		if (s->pty == NULL) /* else the shell runs with the TERM it started with */
			gt_term_sanitize(m->u.terminal_info.term, m->u.terminal_info.len, s->term);
		s->got_terminal_info = true;
		if (s->got_client_seq)
			session_handshake_done(s);
		break;
	case GT_MSG_DATA:
		session_on_data(s, m);
		break;
	case GT_MSG_RESIZE:
		if (s->phase == PHASE_READY) {
			session_resize(s, m->u.resize.rows, m->u.resize.cols);
		} else if (s->phase == PHASE_HANDSHAKE) {
			s->rows = m->u.resize.rows;
			s->cols = m->u.resize.cols;
		}
		break;
	case GT_MSG_SHUTDOWN:
		session_end(s, 1, "client sent shutdown");
		break;
	case GT_MSG_HEARTBEAT:
		if (m->u.heartbeat.has_ack && s->phase == PHASE_READY) {
			gt_outbox_ack(&s->out, m->u.heartbeat.ack_seq);
			session_pump(s); /* the window may have room again */
			session_drained(s);
		}
		break;
	case GT_MSG_FWD_LISTEN:
	case GT_MSG_FWD_LISTEN_RESULT:
	case GT_MSG_FWD_OPEN:
	case GT_MSG_FWD_OPEN_RESULT:
	case GT_MSG_FWD_DATA:
	case GT_MSG_FWD_ACK:
	case GT_MSG_FWD_CLOSE:
		if (gt_fwd_hub_on_message(s->fwd, m) != CORE_OK &&
		    gt_conn_fwd_refuse_msg(c, m) != CORE_OK) {
			core_log_warn("session", s->id, "client sent %s, which a client must not",
				      gt_msg_type_name(m->type));
			gt_conn_close(c, GT_CLOSE_PROTOCOL, "unexpected forwarding message");
		}
		break;
	default:
		break; /* anything else is ignored, as the reference */
	}
}

static void conn_writable(struct gt_conn *c, void *data)
{
	struct gt_session *s = data;

	session_pump(s);
	gt_fwd_hub_pump(s->fwd);
}

static gboolean session_idle_timeout(gpointer p)
{
	struct gt_session *s = p;

	s->idle_timer = 0;
	if (s->draining) { /* the client never came back for the shell's last output */
		session_end(s, s->exit_code, s->reason);
		return G_SOURCE_REMOVE;
	}
	session_end(s, 1, "no client for the idle timeout");
	return G_SOURCE_REMOVE;
}

/* Start the idle clock (milliseconds: g_timeout_add_seconds may fire early). */
static guint session_idle_arm(struct gt_session *s)
{
	int64_t ms = s->cfg.idle_timeout_us / 1000;

	return g_timeout_add(ms > G_MAXUINT ? G_MAXUINT : (guint)MAX(ms, 1), session_idle_timeout,
			     s);
}

/* The client is gone (the session lives on): start the idle clock. */
static void session_detach(struct gt_session *s)
{
	s->conn = NULL;
	s->phase = PHASE_NONE;
	gt_fwd_hub_set_connected(s->fwd, false);
	core_source_clear(&s->handshake_timer);
	/* keep reading into the replay buffer while the window has room */
	session_pump(s);
	if (s->cfg.idle_timeout_us > 0 && !s->ending)
		s->idle_timer = session_idle_arm(s);
	session_report(s);
}

static void conn_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	struct gt_session *s = data;

	core_log_info("session", s->id, "client connection lost: %s", reason);
	/* told the shell's end, the client closed: it has everything (its last ack
	 * may have been in a packet the close overtook) */
	if (s->draining && s->shut_sent && err == CORE_ERR_CLOSED) {
		s->conn = NULL;
		session_end(s, s->exit_code, s->reason);
		return;
	}
	session_detach(s);
}

static const struct gt_conn_callbacks session_conn_cb = {
	.message = conn_message,
	.writable = conn_writable,
	.closed = conn_closed,
};

/* A new authenticated client replaces the current one. */
static void session_accept(struct gt_conn *c, void *data)
{
	struct gt_session *s = data;
	struct gt_msg hdr = { .type = GT_MSG_SEQUENCE_HEADER };

	if (s->ending) {
		gt_conn_close(c, GT_CLOSE_OK, "session ending");
		return;
	}
	if (s->conn != NULL)
		gt_conn_close(s->conn, GT_CLOSE_OK, "replaced by a newer connection");
	gt_fwd_hub_set_connected(s->fwd, false);
	core_source_clear(&s->idle_timer);
	core_source_clear(&s->handshake_timer);
	session_flush(s); /* pending output goes to the replay buffer, sent once below */
	s->conn = c;
	s->phase = PHASE_HANDSHAKE;
	s->client_last_seq = 0;
	s->rows = s->cols = 0;
	s->got_client_seq = false;
	s->got_terminal_info = false;
	s->shut_sent = false;
	gt_conn_set_callbacks(c, &session_conn_cb, s);
	gt_conn_set_heartbeat(c, GT_SESSION_HEARTBEAT_US, GT_SESSION_DEAD_AFTER_US);
	hdr.u.sequence_header.last_seq = s->in_seq;
	hdr.u.sequence_header.flags = (s->tagged ? GT_SEQ_FLAG_COMMAND : 0) | GT_SEQ_FLAG_FORWARD;
	gt_conn_send(c, GT_CHANNEL_CONTROL, &hdr);
	gt_fwd_hub_set_connected(s->fwd, true); /* resend from the acks */
	s->handshake_timer = g_timeout_add(
		(guint)((s->cfg.auth_timeout_us > 0 ? s->cfg.auth_timeout_us : GT_AUTH_TIMEOUT_US) /
			1000),
		session_handshake_timeout, s);
	core_log_info("session", s->id, "client connected (last_seq=%" G_GUINT64_FORMAT ")",
		      s->in_seq);
}

/* Tell the owner whether a client is attached (only when that changed). */
static void session_report(struct gt_session *s)
{
	bool attached = s->conn != NULL && s->phase == PHASE_READY && !s->ending;
	int pid = s->pty != NULL ? (int)gt_pty_pid(s->pty) : 0;

	if (s->cfg.state == NULL || (attached == s->reported_attached && pid == s->reported_pid))
		return;
	s->reported_attached = attached;
	s->reported_pid = pid;
	s->cfg.state(attached, pid, s->cfg.state_data);
}

/* --------------------------------------------------------------- ending */

static gboolean session_done_cb(gpointer p)
{
	struct gt_session *s = p;

	s->done_idle = 0;
	if (s->done != NULL)
		s->done(s, s->exit_code, s->reason, s->done_data);
	return G_SOURCE_REMOVE;
}

/* The Shutdown for the current client: the status, and the last seq when all is sent. */
static void session_send_shutdown(struct gt_session *s)
{
	struct gt_msg shut = { .type = GT_MSG_SHUTDOWN };

	shut.u.shutdown.has_status = s->has_status;
	shut.u.shutdown.status = s->status;
	/* a client that has everything up to here may close at once */
	shut.u.shutdown.has_last_seq = s->out.cursor == s->out.seq;
	shut.u.shutdown.last_seq = s->out.seq;
	if (gt_conn_send(s->conn, GT_CHANNEL_CONTROL, &shut) == CORE_OK) {
		s->shut_sent = true;
		s->end_told = s->draining;
	}
}

/*
 * The shell exited and every byte of its output is sent: say so now, so that
 * the client closes as soon as it has them (its close carries its last ack,
 * which ends the session), instead of after an ack timer and our close.
 */
static void session_announce_end(struct gt_session *s)
{
	if (s->draining && !s->ending && s->conn != NULL && s->phase == PHASE_READY &&
	    !s->shut_sent && s->out.cursor == s->out.seq)
		session_send_shutdown(s);
}

/* Deliver the last output and Shutdown, close, hang up; report from the loop. */
static void session_end(struct gt_session *s, int code, const char *reason)
{
	if (s->ending)
		return;
	s->ending = true;
	s->exit_code = code;
	if (reason != s->reason)
		g_strlcpy(s->reason, reason, sizeof(s->reason));
	core_log_info("session", s->id, "session exiting: %s", reason);
	core_source_clear(&s->idle_timer);
	session_flush(s);
	if (s->conn != NULL) {
		session_pump(s);
		if (!s->shut_sent)
			session_send_shutdown(s);
		/* the close completes once the client has every byte */
		gt_conn_close(s->conn, GT_CLOSE_OK, "closed");
		s->conn = NULL;
	}
	if (s->pty != NULL && !s->draining)
		gt_pty_hangup(s->pty, s->cfg.hangup_grace_ms); /* `exited` reports */
	else
		s->done_idle = g_idle_add(session_done_cb, s);
}

/*
 * While draining: end once a client was told the end (the Shutdown with the
 * exit status: a command that ended before any client came still has one to
 * tell) and has acknowledged every byte of output (a goet-v1 client cannot
 * say so: its connection's graceful close is all there is, as in the
 * reference).
 */
static void session_drained(struct gt_session *s)
{
	if (!s->draining || s->ending || !s->end_told)
		return;
	if (s->out.lossless && s->out.acked < s->out.seq)
		return;
	session_end(s, s->exit_code, s->reason);
}

static void pty_exited(struct gt_pty *p, int status, void *user)
{
	struct gt_session *s = user;

	if (s->ending) {
		s->done_idle = g_idle_add(session_done_cb, s);
		return;
	}
	if (WIFEXITED(status))
		g_snprintf(s->reason, sizeof(s->reason), "shell exited: exit status %d",
			   WEXITSTATUS(status));
	else
		g_snprintf(s->reason, sizeof(s->reason), "shell exited: signal %d",
			   WTERMSIG(status));
	s->exit_code = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
	if (s->cfg.command != NULL) {
		/* as a shell reports it: the exit status, or 128 + the signal */
		s->has_status = true;
		s->status =
			(uint8_t)(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	/* the last output reaches the client even if it is away now: wait for its ack */
	s->draining = true;
	session_flush(s);
	session_pump(s);
	session_announce_end(s);
	session_drained(s);
	if (!s->ending)
		core_log_info("session", s->id,
			      "%s; waiting for the client to receive the last output", s->reason);
}

void gt_session_stop(struct gt_session *s, const char *reason)
{
	session_end(s, 1, reason);
}

/* ------------------------------------------------------------ lifecycle */

struct gt_session *gt_session_new(const struct gt_session_config *cfg, gt_session_done_fn done,
				  void *data, GError **error)
{
	struct gt_session *s = g_new0(struct gt_session, 1);
	struct gt_server_config sc = { .port = cfg->port,
				       .auth_timeout_us = cfg->auth_timeout_us,
				       .passkey_later = cfg->passkey_later };

	s->cfg = *cfg;
	if (s->cfg.idle_timeout_us < 0)
		s->cfg.idle_timeout_us = GT_SESSION_IDLE_TIMEOUT_US;
	if (s->cfg.hangup_grace_ms == 0)
		s->cfg.hangup_grace_ms = GT_PTY_HANGUP_GRACE_MS;
	s->done = done;
	s->done_data = data;
	s->tagged = cfg->command != NULL && !cfg->command_tty;
	if (cfg->id != NULL)
		g_strlcpy(s->id, cfg->id, sizeof(s->id));
	else
		gt_session_id_from_passkey(cfg->passkey, s->id);
	gt_outbox_init(&s->out, cfg->replay_bytes);
	s->pending_in = g_byte_array_new();
	s->fwd = gt_fwd_hub_new(false, s->id, &session_fwd_ops, s);
	memcpy(sc.passkey, cfg->passkey, sizeof(sc.passkey));
	s->server = gt_server_new(&sc, session_accept, s, error);
	core_wipe(sc.passkey, sizeof(sc.passkey));
	if (s->server == NULL) {
		gt_session_free(s);
		return NULL;
	}
	if (s->cfg.idle_timeout_us > 0)
		s->idle_timer = session_idle_arm(s);
	if (cfg->start_term != NULL) {
		gt_term_sanitize((const uint8_t *)cfg->start_term, strlen(cfg->start_term),
				 s->term);
		if (session_spawn(s, error) != CORE_OK) {
			gt_session_free(s);
			return NULL;
		}
	}
	s->cfg.start_term = NULL; /* borrowed */
	return s;
}

void gt_session_set_passkey(struct gt_session *s, const uint8_t passkey[GT_PASSKEY_LEN])
{
	gt_server_set_passkey(s->server, passkey);
}

uint16_t gt_session_port(const struct gt_session *s)
{
	return gt_server_port(s->server);
}

void gt_session_free(struct gt_session *s)
{
	if (s == NULL)
		return;
	core_source_clear(&s->co_timer);
	core_source_clear(&s->handshake_timer);
	core_source_clear(&s->idle_timer);
	core_source_clear(&s->done_idle);
	if (s->conn != NULL)
		gt_conn_close(s->conn, GT_CLOSE_OK, "closed");
	s->conn = NULL;
	gt_fwd_hub_free(s->fwd);
	gt_server_free(s->server);
	gt_pty_free(s->pty);
	gt_outbox_free(&s->out);
	if (s->pending_in != NULL)
		g_byte_array_unref(s->pending_in);
	core_wipe(s->cfg.passkey, sizeof(s->cfg.passkey));
	g_free(s);
}
