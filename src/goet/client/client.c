/* client.c - the goet client loop (contract in client.h). */
#include "goet/client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "goet/escape.h"
#include "goet/fwd/hub.h"
#include "goet/notice.h"
#include "goet/outbox.h"

#define CLIENT_OUT_QUEUE  (4 * 1024 * 1024)		/* output waiting for the terminal */
#define CLIENT_READ_BYTES 32768				/* the reference's stdin read size */
#define CLIENT_CTRL_C	  0x03				/* VINTR, a byte in raw mode */
#define CLIENT_TAGBUF	  (GT_COALESCE_DEFAULT_CAP + 1) /* an outbox entry and its stream byte */

static const char escape_help[] = "\r\nSupported escape sequences (at the start of a line):\r\n"
				  "  ~.  end the session\r\n"
				  "  ~~  send one ~\r\n"
				  "  ~?  this list\r\n"
				  "  ~d  detach (the session keeps running)\r\n";

enum client_state {
	CS_DIALING,   /* connecting, or waiting to retry */
	CS_HANDSHAKE, /* waiting for the session's SequenceHeader */
	CS_READY,
	CS_ENDING, /* the session said Shutdown, or we did: waiting for the close */
	CS_DONE,
};

struct gt_client {
	struct gt_client_config cfg;
	char *host;
	char *term;
	gt_client_done_fn done;
	void *done_data;
	enum client_state state;
	struct gt_dial *dial;
	struct gt_conn *conn;
	guint retry_timer;
	guint in_watch;
	guint out_watch;
	guint co_timer;
	guint end_timer;
	guint notice_timer;   /* every second: is the link silent? */
	int64_t last_contact; /* when something last arrived (core_time_now_us) */
	bool notice_shown;
	bool ever_connected;
	bool reported_failure;
	guint connect_timer;	 /* before the first connection: the bound */
	char last_error[160];	 /* why the last dial failed */
	GCancellable *tcp_check; /* the TCP connect behind the UDP hint, while it runs */
	bool hinted;		 /* the UDP hint was given */
	struct gt_escape esc;
	struct gt_outbox keys; /* keystrokes: numbered, kept, sent from a cursor */
	uint64_t recv_seq;     /* last output seq written to the output queue */
	struct core_buf out;
	struct core_buf errq; /* a command's stderr, for err_fd */
	guint err_watch;
	bool tagged;	    /* a command on pipes: Data carries a stream byte */
	bool shut_has_last; /* the session's Shutdown named its last output seq */
	bool early_sent;    /* this dial's SequenceHeader and TerminalInfo went early */
	bool predialing;    /* the dial is the bootstrap's predial (client.h) */
	uint64_t shut_last_seq;
	uint8_t *tagbuf; /* a keystroke entry with its stream byte */
	bool in_paused;
	int exit_code;
	char reason[160];
	bool detached;
	guint profile_timer;
	char profile_line[GT_PROFILE_LINE_MAX]; /* held for the end of an output line */
	bool alt_screen;			/* the output is in the alternate screen */
	int64_t rtt_min_seen;			/* the least RTT of every reading (0: none) */
	struct gt_profile prof;			/* connections that ended */
	struct gt_conn_stats seen; /* the current connection's last periodic statistics */
	struct gt_fwd_hub *fwd;	   /* port forwarding (NULL: none asked for) */
	bool fwd_refused_told;	   /* the session's goet does not forward: said once */
	struct gt_predict *pred;   /* --predict: local echo (NULL: off) */
	guint pred_timer;	   /* its next expiry */
};

static void client_dial(struct gt_client *c);
static void client_dial_start(struct gt_client *c);
static void client_finish(struct gt_client *c, int code, const char *reason);
static void client_give_up(struct gt_client *c, const char *reason);
static void client_predict_keys(struct gt_client *c, int64_t now, const uint8_t *k, size_t n);
static bool client_flush_queue(struct gt_client *c, int fd, struct core_buf *q, guint *watch);
static void client_predict_stop(struct gt_client *c);

/* A message for the user on the error fd (best effort: never blocks the loop). */
static void client_say(struct gt_client *c, const char *text)
{
	ssize_t w;

	/* the message moves the cursor behind the model's back: undo the overlay first */
	if (c->pred != NULL && gt_predict_foreign(c->pred, &c->out) == CORE_OK)
		client_flush_queue(c, c->cfg.out_fd, &c->out, &c->out_watch);
	w = write(c->cfg.err_fd, text, strlen(text));

	(void)w;
}

/* ------------------------------------------------------------- output */

static gboolean client_out_cb(int fd, GIOCondition cond, void *data);
static gboolean client_err_cb(int fd, GIOCondition cond, void *data);

/*
 * Write a queue to its fd as far as the fd takes it; false when the fd is gone.
 * A short write means the fd is full: the rest waits for G_IO_OUT (writing
 * again at once failed with EAGAIN, half of all the writes to a busy terminal).
 * The fd's watch stays once made and only asks for G_IO_OUT while bytes wait:
 * a watch made and dropped on every full terminal cost the loop a wake-up each
 * way (GLib's eventfd), thousands a second in bulk output.
 */
static bool client_flush_queue(struct gt_client *c, int fd, struct core_buf *q, guint *watch)
{
	while (core_buf_len(q) > 0) {
		size_t want = core_buf_len(q);
		ssize_t n = write(fd, core_buf_ptr(q), want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			core_buf_reset(q);
			return false;
		}
		core_buf_skip(q, (size_t)n);
		if ((size_t)n < want)
			break;
	}
	if (core_buf_len(q) == 0)
		core_buf_reset(q);
	if (core_buf_len(q) > 0 && *watch == 0)
		*watch = core_fd_watch_add(fd, G_IO_OUT,
					   q == &c->out ? client_out_cb : client_err_cb, c);
	else if (*watch != 0)
		core_fd_watch_set(*watch, core_buf_len(q) > 0 ? G_IO_OUT : 0);
	return true;
}

/* Output queued (all of it written) for the terminal and, for a command, stderr. */
static size_t client_queued(const struct gt_client *c)
{
	return core_buf_len(&c->out) + core_buf_len(&c->errq);
}

/* Write queued output (stdout, and a command's stderr) as far as the fds take it. */
static void client_write_out(struct gt_client *c)
{
	if (!client_flush_queue(c, c->cfg.out_fd, &c->out, &c->out_watch) ||
	    !client_flush_queue(c, c->cfg.err_fd, &c->errq, &c->err_watch)) {
		/* nobody reads our output any more: end as the reference (stdout failure) */
		core_buf_reset(&c->out);
		core_buf_reset(&c->errq);
		gt_client_stop(c, "output closed");
		return;
	}
	/* the session's output waits while ours is full: back-pressure to the session */
	if (c->conn != NULL)
		gt_conn_pause_recv(c->conn, core_buf_len(&c->out) > CLIENT_OUT_QUEUE / 2 ||
						    core_buf_len(&c->errq) > CLIENT_OUT_QUEUE / 2);
}

/* The terminal (or stderr) took bytes again; q and watch are that fd's. */
static gboolean client_fd_writable(struct gt_client *c, GIOCondition cond, struct core_buf *q,
				   guint *watch)
{
	client_write_out(c); /* a hung-up fd fails its write: the client stops */
	if (c->state == CS_DONE ||
	    (c->state == CS_ENDING && c->conn == NULL && client_queued(c) == 0))
		client_finish(c, c->exit_code, c->reason);
	/* nothing queued and the fd hung up: the watch would fire on every turn */
	if ((cond & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) && core_buf_len(q) == 0) {
		*watch = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean client_out_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_client *c = data;

	return client_fd_writable(c, cond, &c->out, &c->out_watch);
}

static gboolean client_err_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_client *c = data;

	return client_fd_writable(c, cond, &c->errq, &c->err_watch);
}

/* ------------------------------------------------------------- notice */

static void client_send_size(struct gt_client *c, bool bounce);

/* Notice bytes go through the output queue: never into the middle of a write. */
static void client_out_text(struct gt_client *c, const char *text, size_t n)
{
	if (c->pred != NULL)
		gt_predict_hide(c->pred, &c->out);
	if (core_buf_put_bytes(&c->out, text, n) == CORE_OK)
		client_write_out(c);
}

static unsigned client_cols(const struct gt_client *c)
{
	struct winsize ws;

	return ioctl(c->cfg.out_fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

/* Erase the notice; with redraw, have the session repaint what it covered. */
static void client_notice_clear(struct gt_client *c, bool redraw)
{
	char buf[GT_NOTICE_MAX];
	size_t n;

	if (!c->notice_shown)
		return;
	c->notice_shown = false;
	n = gt_notice_clear(buf);
	client_out_text(c, buf, n);
	if (redraw)
		client_send_size(c, true); /* full-screen programs repaint the line it covered */
}

static gboolean client_notice_cb(gpointer p)
{
	struct gt_client *c = p;
	char buf[GT_NOTICE_MAX];
	int64_t now = core_time_now_us(), silent;
	size_t n;

	if (c->conn != NULL && gt_conn_last_rx_us(c->conn) > c->last_contact)
		c->last_contact = gt_conn_last_rx_us(c->conn);
	silent = now - c->last_contact;
	/* a silent link may be a dead one (an address that went away under TCP):
	 * try a new connection alongside; the first to work wins */
	if (c->state == CS_READY && c->conn != NULL && c->dial == NULL &&
	    silent >= GT_CLIENT_PROBE_AFTER_US) {
		core_log_info("client", NULL, "no contact for %" G_GINT64_FORMAT " s: probing",
			      silent / G_USEC_PER_SEC);
		client_dial_start(c);
	}
	if (c->state == CS_READY && silent < GT_NOTICE_AFTER_US) {
		client_notice_clear(c, true);
	} else if (c->cfg.out_tty && c->ever_connected && silent >= GT_NOTICE_AFTER_US &&
		   c->state != CS_ENDING && c->state != CS_DONE) {
		n = gt_notice_show(buf, silent, client_cols(c));
		client_out_text(c, buf, n);
		c->notice_shown = true;
	}
	return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------------- input */

static bool client_send_key(uint64_t seq, const uint8_t *p, size_t n, void *data)
{
	struct gt_client *c = data;
	struct gt_msg m = { .type = GT_MSG_DATA };

	if (c->tagged) {
		/* the command's stdin: its stream byte first; an empty entry is its end */
		c->tagbuf[0] = n > 0 ? GT_STREAM_STDIN : GT_STREAM_STDIN_EOF;
		if (n > 0)
			memcpy(c->tagbuf + 1, p, MIN(n, CLIENT_TAGBUF - 1));
		p = c->tagbuf;
		n = 1 + MIN(n, CLIENT_TAGBUF - 1);
	}
	m.u.data.seq = seq;
	m.u.data.bytes = p;
	m.u.data.len = n;
	return gt_conn_send(c->conn, GT_CHANNEL_DATA, &m) == CORE_OK;
}

/* Send keystrokes the session lacks; stop reading input while it cannot take them. */
static void client_pump(struct gt_client *c)
{
	bool caught_up = true;

	if (c->conn != NULL && c->state == CS_READY)
		caught_up = gt_outbox_pump(&c->keys, client_send_key, c, NULL);
	/* goet-v2: no keystroke is dropped; input waits while a window is unacknowledged */
	c->in_paused = !caught_up || !gt_outbox_has_room(&c->keys);
	if (c->in_watch != 0)
		core_fd_watch_set(c->in_watch, c->in_paused ? 0 : G_IO_IN);
}

static gboolean client_co_timer(gpointer p)
{
	struct gt_client *c = p;

	c->co_timer = 0;
	gt_outbox_flush(&c->keys);
	client_pump(c);
	return G_SOURCE_REMOVE;
}

/* Every statistics reading keeps the least RTT, and shows that as the minimum. */
static void client_rtt_min(struct gt_client *c, struct gt_conn_stats *st)
{
	if (!st->has_rtt)
		return;
	if (st->rtt_min_us > 0 && (c->rtt_min_seen == 0 || st->rtt_min_us < c->rtt_min_seen))
		c->rtt_min_seen = st->rtt_min_us;
	st->rtt_min_us = c->rtt_min_seen;
}

/* A connection ends: keep its statistics for --profile. */
static void client_profile_take(struct gt_client *c, struct gt_conn *conn)
{
	struct gt_conn_stats st;

	gt_conn_get_stats(conn, &st);
	client_rtt_min(c, &st);
	if (!st.has_rtt && c->seen.has_rtt && conn == c->conn) {
		/* a closed TCP socket has no TCP_INFO left: its last reading */
		st.has_rtt = true;
		st.rtt_latest_us = c->seen.rtt_latest_us;
		st.rtt_min_us = c->seen.rtt_min_us;
		st.rtt_smoothed_us = c->seen.rtt_smoothed_us;
		st.rtt_var_us = c->seen.rtt_var_us;
	}
	memset(&c->seen, 0, sizeof(c->seen));
	gt_profile_add(&c->prof, &st, gt_conn_transport(conn));
}

/* --profile: every 5 s, the current connection's statistics. */
static gboolean client_profile_cb(gpointer p)
{
	struct gt_client *c = p;
	struct gt_conn_stats st;
	char line[GT_PROFILE_LINE_MAX];

	if (c->conn != NULL && c->state == CS_READY) {
		gt_conn_get_stats(c->conn, &st);
		client_rtt_min(c, &st);
		c->seen = st;
		gt_profile_line(&st, line, sizeof(line));
		/* on the terminal the shell writes to, the line waits for the end of one of
		 * the shell's lines (the newest reading wins); elsewhere it goes at once */
		if (c->cfg.out_tty && c->cfg.err_tty)
			g_strlcpy(c->profile_line, line, sizeof(c->profile_line));
		else
			client_say(c, line);
	}
	return G_SOURCE_CONTINUE;
}

/* ~d: deliver what was typed, close without Shutdown; the session lives on. */
static void client_detach(struct gt_client *c)
{
	c->detached = true;
	client_notice_clear(c, false);
	client_predict_stop(c);
	core_source_clear(&c->retry_timer);
	if (c->dial != NULL)
		gt_dial_cancel(c->dial);
	c->dial = NULL;
	if (c->conn != NULL) {
		if (c->state == CS_READY) {
			gt_outbox_flush(&c->keys);
			client_pump(c);
		}
		client_profile_take(c, c->conn);
		gt_conn_close(c->conn, GT_CLOSE_OK, "detached");
		c->conn = NULL;
	}
	c->state = CS_ENDING;
	client_finish(c, 0, "detached");
}

/* Shutdown to the session, then a graceful close (it delivers what is queued). */
static void client_end_session(struct gt_client *c, int code, const char *reason)
{
	struct gt_msg shut = { .type = GT_MSG_SHUTDOWN };

	c->exit_code = code;
	g_strlcpy(c->reason, reason, sizeof(c->reason));
	client_notice_clear(c, false); /* leave the screen as it was */
	client_predict_stop(c);
	core_source_clear(&c->retry_timer);
	if (c->dial != NULL)
		gt_dial_cancel(c->dial);
	c->dial = NULL;
	if (c->conn != NULL) {
		if (c->state == CS_READY)
			client_pump(c);
		gt_conn_send(c->conn, GT_CHANNEL_CONTROL, &shut); /* this ends the session */
		client_profile_take(c, c->conn);
		gt_conn_close(c->conn, GT_CLOSE_OK, "closed");
		c->conn = NULL;
	}
	c->state = CS_ENDING;
	client_finish(c, code, reason);
}

/* Keystrokes: escapes first, then into the outbox. */
/*
 * A command on pipes (asked for, or said by the session): keystrokes are its
 * stdin, with no escapes. They are kept untagged; the stream byte is added
 * as each one is sent (client_send_key), an empty entry meaning the end.
 */
static bool client_piped(const struct gt_client *c)
{
	return (c->cfg.command && !c->cfg.command_tty) || c->tagged;
}

/* Input ended: a command's stdin ends (an empty entry); a terminal gets ^D (as ssh -tt). */
static void client_input_ended(struct gt_client *c)
{
	static const uint8_t eof_char = 0x04;

	if (client_piped(c)) {
		gt_outbox_mark(&c->keys);
	} else {
		gt_outbox_add(&c->keys, core_time_now_us(), &eof_char, 1, NULL);
		gt_outbox_flush(&c->keys);
	}
	client_pump(c);
}

static void client_on_input(struct gt_client *c, const uint8_t *p, size_t n)
{
	uint8_t filtered[CLIENT_READ_BYTES + 1];
	int64_t now = core_time_now_us();

	if (client_piped(c)) {
		bool flush_now = false;

		gt_outbox_add(&c->keys, now, p, n, &flush_now);
		if (flush_now)
			gt_outbox_flush(&c->keys);
		n = 0; /* no escapes: the bytes are the command's */
	}
	/* raw mode makes Ctrl-C a byte; with no session yet there is nobody to get it */
	if (c->cfg.tty && !c->ever_connected && memchr(p, CLIENT_CTRL_C, n) != NULL) {
		client_give_up(c, "interrupted (Ctrl-C) before the session answered");
		return;
	}
	while (n > 0) {
		enum gt_escape_action act;
		size_t used, w = gt_escape_process(&c->esc, p, n, filtered, &used, &act);
		bool flush_now = false;

		if (act == GT_ESC_DISCONNECT) {
			/* as the reference: what came with ~. and what was pending is dropped */
			gt_outbox_discard(&c->keys);
			client_end_session(c, 0, "escape ~.");
			return;
		}
		gt_outbox_add(&c->keys, now, filtered, w, &flush_now);
		client_predict_keys(c, now, filtered, w);
		if (act == GT_ESC_DETACH) {
			client_detach(c); /* what came before ~d is delivered */
			return;
		}
		if (act == GT_ESC_HELP)
			client_say(c, escape_help);
		if (flush_now)
			gt_outbox_flush(&c->keys);
		p += used;
		n -= used;
	}
	/* an idle link takes the keystroke at once; batching only while keys are in flight */
	if (gt_outbox_deadline_us(&c->keys) >= 0 && c->conn != NULL && c->state == CS_READY &&
	    c->keys.cursor == c->keys.seq && gt_conn_in_flight(c->conn) == 0) {
		core_source_clear(&c->co_timer);
		gt_outbox_flush(&c->keys);
	}
	if (gt_outbox_deadline_us(&c->keys) >= 0 && c->co_timer == 0)
		c->co_timer = g_timeout_add(GT_COALESCE_DELAY_US / 1000, client_co_timer, c);
	client_pump(c);
}

static gboolean client_in_cb(int fd, GIOCondition cond, void *data)
{
	struct gt_client *c = data;
	uint8_t buf[CLIENT_READ_BYTES];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n == 0 && (!c->cfg.tty || client_piped(c))) {
		/* input from a pipe is over: like ssh, the terminal gets its end of
		 * file (^D), or a command its stdin's end, and the client stays
		 * until the session ends, showing everything the commands write */
		c->in_watch = 0;
		client_input_ended(c);
		return G_SOURCE_REMOVE;
	}
	if (n <= 0) {
		c->in_watch = 0;
		gt_outbox_flush(&c->keys);
		client_end_session(c, 0, "end of input");
		return G_SOURCE_REMOVE;
	}
	client_on_input(c, buf, (size_t)n);
	return c->state == CS_DONE ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------- the session */

/*
 * Tell the session the terminal's size; with bounce, one row less first, so
 * that full-screen programs repaint (the session's own bounce, on demand).
 */
static void client_send_size(struct gt_client *c, bool bounce)
{
	struct winsize ws;
	struct gt_msg m = { .type = GT_MSG_RESIZE };

	if (!c->cfg.tty || c->conn == NULL || c->state != CS_READY ||
	    ioctl(c->cfg.in_fd, TIOCGWINSZ, &ws) != 0 || (bounce && ws.ws_row < 2))
		return;
	m.u.resize.cols = ws.ws_col;
	if (bounce) {
		m.u.resize.rows = ws.ws_row - 1;
		gt_conn_send(c->conn, GT_CHANNEL_CONTROL, &m);
	}
	m.u.resize.rows = ws.ws_row;
	gt_conn_send(c->conn, GT_CHANNEL_CONTROL, &m);
}

/* Session output into the queue, with a held --profile line after its last full line. */
static int client_out_data(struct gt_client *c, const uint8_t *p, size_t n)
{
	if (c->tagged) {
		/* a command on pipes: the stream byte says where the bytes go */
		if (n == 0)
			return CORE_OK;
		if (p[0] == GT_STREAM_STDERR)
			return core_buf_put_bytes(&c->errq, p + 1, n - 1);
		p++;
		n--;
	}
	long at = c->profile_line[0] != '\0' ? gt_profile_splice_point(&c->alt_screen, p, n) : -1;
	size_t ln = strlen(c->profile_line);
	int r;

	if (c->profile_line[0] == '\0')
		gt_profile_splice_point(&c->alt_screen, p, n); /* follow the screen mode */
	if (at < 0)
		return core_buf_put_bytes(&c->out, p, n);
	if (core_buf_avail(&c->out) < n + ln)
		return CORE_ERR_NO_SPACE;
	r = core_buf_put_bytes(&c->out, p, (size_t)at);
	if (r == CORE_OK)
		r = core_buf_put_bytes(&c->out, c->profile_line, ln);
	if (r == CORE_OK)
		r = core_buf_put_bytes(&c->out, p + at, n - (size_t)at);
	c->profile_line[0] = '\0';
	return r;
}

/* ------------------------------------------------------ port forwarding */

static int client_fwd_send(void *user, const struct gt_msg *m)
{
	struct gt_client *c = user;

	if (c->conn == NULL || c->state != CS_READY)
		return CORE_ERR_CLOSED;
	return gt_conn_send(c->conn, gt_msg_channel(m->type), m);
}

static size_t client_fwd_room(void *user)
{
	struct gt_client *c = user;

	return gt_conn_send_room_beyond(c->conn, GT_CHANNEL_FWD, GT_FWD_SMALL_RESERVE);
}

static void client_fwd_notice(void *user, const char *text)
{
	struct gt_client *c = user;

	client_say(c, text);
	client_say(c, "\r\n");
}

static void client_fwd_chan_end(void *user, uint32_t chan)
{
	struct gt_client *c = user;

	if (c->state == CS_READY)
		gt_conn_fwd_end(c->conn, chan);
}

static const struct gt_fwd_hub_ops client_fwd_ops = { client_fwd_send, client_fwd_room,
						      client_fwd_notice, client_fwd_chan_end };

/* The connection came (with the session's flags) or went (up false). */
static void client_fwd_link(struct gt_client *c, bool up, uint8_t flags)
{
	if (c->fwd == NULL)
		return;
	if (up && !(flags & GT_SEQ_FLAG_FORWARD)) {
		if (!c->fwd_refused_told)
			client_say(c, "goet: the session's goet does not forward ports "
				      "(goet --install updates it)\r\n");
		c->fwd_refused_told = true;
		up = false;
	}
	gt_fwd_hub_set_connected(c->fwd, up);
}

int gt_client_forward(struct gt_client *c, const struct gt_fwd_spec *specs, size_t n, GError **err)
{
	int rc = CORE_OK;

	if (n == 0)
		return CORE_OK;
	if (c->fwd == NULL)
		c->fwd = gt_fwd_hub_new(true, "client", &client_fwd_ops, c);
	for (size_t i = 0; i < n && rc == CORE_OK; i++) {
		if (specs[i].dir == GT_FWD_LOCAL)
			rc = gt_fwd_hub_listen_local(c->fwd, &specs[i], err);
		else
			gt_fwd_hub_request_remote(c->fwd, &specs[i]);
	}
	return rc;
}

/* ------------------------------------------------- local echo (predict.h) */

static gboolean client_predict_cb(gpointer p);

/* The timer for the oldest prediction's expiry. */
static void client_predict_arm(struct gt_client *c)
{
	int64_t at, now = core_time_now_us();

	core_source_clear(&c->pred_timer);
	if (c->pred == NULL) /* a failed write ended the client: client_predict_stop */
		return;
	at = gt_predict_deadline_us(c->pred);
	if (at >= 0)
		c->pred_timer =
			g_timeout_add((guint)(MAX(at - now, 0) / 1000 + 1), client_predict_cb, c);
}

static gboolean client_predict_cb(gpointer p)
{
	struct gt_client *c = p;

	c->pred_timer = 0;
	gt_predict_tick(c->pred, core_time_now_us(), &c->out);
	client_write_out(c);
	client_predict_arm(c);
	return G_SOURCE_REMOVE;
}

/* The session or the client ends: no prediction stays on the terminal, none is made. */
static void client_predict_stop(struct gt_client *c)
{
	if (c->pred == NULL)
		return;
	if (gt_predict_hide(c->pred, &c->out) == CORE_OK)
		client_flush_queue(c, c->cfg.out_fd, &c->out, &c->out_watch);
	core_source_clear(&c->pred_timer);
	gt_predict_free(c->pred);
	c->pred = NULL;
}

/* Keys on their way to the session: their echo drawn at once. */
static void client_predict_keys(struct gt_client *c, int64_t now, const uint8_t *k, size_t n)
{
	struct gt_conn_stats st;

	if (c->pred == NULL || c->tagged || n == 0)
		return;
	if (c->conn != NULL) {
		gt_conn_get_stats(c->conn, &st);
		if (st.has_rtt)
			gt_predict_set_rtt(c->pred, st.rtt_smoothed_us);
	}
	gt_predict_keys(c->pred, now, k, n, &c->out);
	client_write_out(c);
	client_predict_arm(c);
}

/* The session's output: the overlay undone before it, redrawn after it. */
static int client_out_session(struct gt_client *c, const uint8_t *p, size_t n)
{
	int r;

	if (c->pred == NULL || c->tagged)
		return client_out_data(c, p, n);
	r = gt_predict_begin_output(c->pred, &c->out);
	if (r == CORE_OK)
		r = client_out_data(c, p, n);
	if (r == CORE_OK)
		r = gt_predict_end_output(c->pred, core_time_now_us(), p, n, &c->out);
	client_predict_arm(c);
	return r;
}

/* The session's SequenceHeader: replay what it lacks, say who we are. */
static void client_on_session_seq(struct gt_client *c, uint64_t session_has, uint8_t flags)
{
	struct gt_msg ti = { .type = GT_MSG_TERMINAL_INFO };
	c->tagged = flags & GT_SEQ_FLAG_COMMAND; /* a command on pipes: streams tagged */
	c->state = CS_READY;
	gt_outbox_set_lossless(&c->keys, gt_conn_version(c->conn) == GT_PROTO_V2);
	if (c->ever_connected)
		gt_outbox_rewind(&c->keys, session_has);
	else
		gt_outbox_rebase(&c->keys, session_has); /* continue the session's numbering */
	client_pump(c);
	ti.u.terminal_info.term = (const uint8_t *)c->term;
	ti.u.terminal_info.len = strlen(c->term);
	if (!c->early_sent) /* else it went with the AuthRequest */
		gt_conn_send(c->conn, GT_CHANNEL_CONTROL, &ti);
	if (c->ever_connected && !c->cfg.out_tty)
		client_say(c, "Reconnected.\r\n");
	if (!c->ever_connected && c->cfg.connected != NULL)
		c->cfg.connected(c->cfg.connected_data);
	c->ever_connected = true;
	gt_escape_reset(&c->esc);
	client_send_size(c, false); /* the session bounces the size: programs repaint */
	c->last_contact = core_time_now_us();
	client_notice_clear(c, true);
	client_fwd_link(c, true, flags); /* resend from the acks */
}

/* After Shutdown: every byte the session sent is here, so close now (not after its close). */
static void client_close_if_complete(struct gt_client *c)
{
	if (c->state != CS_ENDING || !c->shut_has_last || c->conn == NULL ||
	    c->recv_seq < c->shut_last_seq)
		return;
	client_profile_take(c, c->conn);
	gt_conn_close_now(c->conn, GT_CLOSE_OK, "closed"); /* with our last ack */
	c->conn = NULL;
	client_write_out(c);
	client_finish(c, c->exit_code, c->reason);
}

static void client_message(struct gt_conn *conn, enum gt_channel ch, const struct gt_msg *m,
			   void *data)
{
	struct gt_client *c = data;

	c->last_contact = core_time_now_us();
	if (c->notice_shown && c->state == CS_READY)
		client_notice_clear(c, true);
	switch (m->type) {
	case GT_MSG_SEQUENCE_HEADER:
		if (c->state == CS_HANDSHAKE)
			client_on_session_seq(c, m->u.sequence_header.last_seq,
					      m->u.sequence_header.flags);
		break;
	case GT_MSG_DATA:
		if (client_out_session(c, m->u.data.bytes, m->u.data.len) != CORE_OK) {
			gt_client_stop(c, "output queue overflow");
			return;
		}
		c->recv_seq = m->u.data.seq;
		gt_conn_delivered(conn, c->recv_seq, m->u.data.len);
		client_write_out(c);
		client_close_if_complete(c);
		break;
	case GT_MSG_HEARTBEAT:
		if (m->u.heartbeat.has_ack && c->state == CS_READY) {
			gt_outbox_ack(&c->keys, m->u.heartbeat.ack_seq);
			client_pump(c); /* the window may have room again */
		}
		break;
	case GT_MSG_FWD_LISTEN:
	case GT_MSG_FWD_LISTEN_RESULT:
	case GT_MSG_FWD_OPEN:
	case GT_MSG_FWD_OPEN_RESULT:
	case GT_MSG_FWD_DATA:
	case GT_MSG_FWD_ACK:
	case GT_MSG_FWD_CLOSE:
		if ((c->fwd == NULL || gt_fwd_hub_on_message(c->fwd, m) != CORE_OK) &&
		    gt_conn_fwd_refuse_msg(conn, m) != CORE_OK) {
			core_log_warn("client", NULL, "the session sent %s, which it must not",
				      gt_msg_type_name(m->type));
			gt_conn_close(conn, GT_CLOSE_PROTOCOL, "unexpected forwarding message");
		}
		break;
	case GT_MSG_SHUTDOWN:
		/* the rest may still be on its way on the data stream: the close is the end,
		 * or, when the session said its last seq, having that */
		c->shut_has_last = m->u.shutdown.has_last_seq;
		c->shut_last_seq = m->u.shutdown.last_seq;
		c->state = CS_ENDING;
		c->exit_code = 0;
		/* a command's status, as ssh; 255 when a command ended without one */
		if (m->u.shutdown.has_status)
			c->exit_code = m->u.shutdown.status;
		else if (c->cfg.command)
			c->exit_code = 255;
		g_strlcpy(c->reason, "session ended", sizeof(c->reason));
		client_predict_stop(c);
		client_close_if_complete(c);
		break;
	default:
		break;
	}
}

static void client_writable(struct gt_conn *conn, void *data)
{
	struct gt_client *c = data;

	client_pump(c);
	if (c->fwd != NULL)
		gt_fwd_hub_pump(c->fwd);
}

static gboolean client_retry_cb(gpointer p)
{
	struct gt_client *c = p;

	c->retry_timer = 0;
	client_dial(c);
	return G_SOURCE_REMOVE;
}

static void client_closed(struct gt_conn *conn, int err, const char *reason, void *data)
{
	struct gt_client *c = data;

	client_profile_take(c, conn);
	c->conn = NULL;
	client_fwd_link(c, false, 0);
	if (c->state == CS_ENDING) {
		client_write_out(c);
		client_finish(c, c->exit_code, c->reason);
		return;
	}
	if (!c->cfg.out_tty) /* a terminal gets the notice line instead */
		client_say(c, "\r\nConnection lost. Reconnecting...\r\n");
	core_log_info("client", NULL, "connection lost: %s", reason);
	c->state = CS_DIALING;
	if (c->dial == NULL) /* else a probe is on its way: it is the redial */
		c->retry_timer = g_timeout_add(GT_CLIENT_RETRY_MS, client_retry_cb, c);
}

static const struct gt_conn_callbacks client_conn_cb = {
	.message = client_message,
	.writable = client_writable,
	.closed = client_closed,
};

/* A connection replaced by a probe: whatever it still says is ignored. */
static void quiet_message(struct gt_conn *conn, enum gt_channel ch, const struct gt_msg *m,
			  void *data)
{
}

static void quiet_writable(struct gt_conn *conn, void *data)
{
}

static void quiet_closed(struct gt_conn *conn, int err, const char *reason, void *data)
{
}

static const struct gt_conn_callbacks quiet_conn_cb = {
	.message = quiet_message,
	.writable = quiet_writable,
	.closed = quiet_closed,
};

/* The session refused us (passkey or proof): final, whatever came before. */
static void client_refused(struct gt_client *c, const char *reason)
{
	char why[sizeof(c->reason)];

	if (c->ever_connected)
		g_snprintf(why, sizeof(why), "the session no longer accepts this client (%s)",
			   reason);
	else
		g_strlcpy(why, reason, sizeof(why));
	client_give_up(c, why);
}

/* The TCP check ended: a TCP connection to the port works where QUIC got nothing. */
static void client_tcp_checked(GObject *src, GAsyncResult *res, gpointer p)
{
	GError *e = NULL;
	GSocketConnection *sc =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &e);
	struct gt_client *c = p;
	char line[256];

	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(e);
		return; /* c may be gone */
	}
	g_clear_error(&e);
	g_clear_object(&c->tcp_check);
	if (sc == NULL)
		return; /* TCP gets nothing either: no hint */
	g_object_unref(sc);
	if (c->hinted || c->ever_connected)
		return;
	c->hinted = true;
	g_snprintf(line, sizeof(line),
		   "  hint: UDP port %u gets no answer but TCP does: try --tcp\r\n", c->cfg.port);
	client_say(c, line);
}

/* QUIC got no answer: does TCP on the same port? (a connect, no TLS, no session) */
static void client_tcp_check(struct gt_client *c)
{
	GSocketClient *sc;

	if (c->hinted || c->tcp_check != NULL || c->cfg.transport != GT_TRANSPORT_QUIC)
		return;
	sc = g_socket_client_new();
	g_socket_client_set_timeout(sc, GT_CLIENT_TCP_CHECK_S);
	c->tcp_check = g_cancellable_new();
	g_socket_client_connect_to_host_async(sc, c->host, c->cfg.port, c->tcp_check,
					      client_tcp_checked, c);
	g_object_unref(sc);
}

/* A dial failed: say so once, check TCP for the hint, retry in a second. */
static void client_dial_failed(struct gt_client *c, int err, const char *reason)
{
	char line[256];

	g_strlcpy(c->last_error, reason, sizeof(c->last_error));
	if (!c->ever_connected && !c->reported_failure) {
		g_snprintf(line, sizeof(line), "connect failed, retrying: %s\r\n", reason);
		client_say(c, line);
		c->reported_failure = true;
	}
	/* no answer at all (a timeout, an ICMP port unreachable): does TCP get one? */
	if (!c->ever_connected && (err == CORE_ERR_TIMEOUT || err == CORE_ERR_SYSTEM))
		client_tcp_check(c);
	c->retry_timer = g_timeout_add(GT_CLIENT_RETRY_MS, client_retry_cb, c);
}

/* --connect-timeout: no session ever answered. */
static gboolean client_connect_timeout(gpointer p)
{
	struct gt_client *c = p;
	char why[sizeof(c->reason)];

	c->connect_timer = 0;
	g_snprintf(why, sizeof(why),
		   "no connection to %s port %u within %" G_GINT64_FORMAT " s: %s", c->host,
		   c->cfg.port, c->cfg.connect_timeout_us / G_USEC_PER_SEC,
		   c->last_error[0] != '\0' ? c->last_error : "no answer");
	client_give_up(c, why);
	return G_SOURCE_REMOVE;
}

static void client_dialed(struct gt_conn *conn, int err, const char *reason, void *data)
{
	struct gt_client *c = data;
	struct gt_msg hdr = { .type = GT_MSG_SEQUENCE_HEADER };

	bool was_predial = c->predialing;

	c->dial = NULL;
	c->predialing = false;
	if (conn == NULL && err == CORE_ERR_AUTH) {
		client_refused(c, reason);
		return;
	}
	if (conn == NULL && was_predial) {
		/* the head start did not work out (say, UDP took too long): dial as usual */
		core_log_info("client", NULL, "predial failed (%s); dialing again", reason);
		client_dial(c);
		return;
	}
	if (conn == NULL && c->conn != NULL)
		return; /* a probe failed; the silent connection may still recover */
	if (conn == NULL) {
		client_dial_failed(c, err, reason);
		return;
	}
	core_source_clear(&c->connect_timer);
	if (c->conn != NULL) {
		/* a probe got through while the old connection stays silent: replace it
		 * (the session does the same on its side; the sequence exchange below
		 * replays whatever was in flight on the old one) */
		core_log_info("client", NULL, "a new connection replaces the silent one");
		if (!c->cfg.out_tty)
			client_say(c, "\r\nConnection lost. Reconnecting...\r\n");
		gt_conn_set_callbacks(c->conn, &quiet_conn_cb, NULL);
		client_profile_take(c, c->conn);
		gt_conn_close(c->conn, GT_CLOSE_OK, "replaced");
	}
	c->conn = conn;
	c->state = CS_HANDSHAKE;
	client_fwd_link(c, false, 0); /* until the session's SequenceHeader */
	gt_conn_set_callbacks(conn, &client_conn_cb, c);
	gt_conn_pause_recv(conn, false); /* a predial's was held paused (predial.h) */
	gt_conn_set_heartbeat(conn, GT_CLIENT_HEARTBEAT_US, GT_CLIENT_DEAD_AFTER_US);
	hdr.u.sequence_header.last_seq = c->recv_seq;
	if (!c->early_sent) /* else it went with the AuthRequest */
		gt_conn_send(conn, GT_CHANNEL_DATA, &hdr);
}

static void client_dial_start(struct gt_client *c)
{
	struct gt_dial_config dc = { .transport = c->cfg.transport,
				     .host = c->host,
				     .port = c->cfg.port };

	memcpy(dc.passkey, c->cfg.passkey, sizeof(dc.passkey));
	/*
	 * QUIC: our SequenceHeader and TerminalInfo ride the AuthRequest's flight
	 * (a round trip less before the shell starts). Not for a probe: output
	 * may still arrive on the silent connection, and the header must say
	 * what we have when the new one takes over.
	 */
	c->early_sent = c->cfg.transport == GT_TRANSPORT_QUIC && c->conn == NULL;
	if (c->early_sent) {
		dc.n_early = 2;
		dc.early_ch[0] = GT_CHANNEL_DATA;
		dc.early[0] = (struct gt_msg){ .type = GT_MSG_SEQUENCE_HEADER };
		dc.early[0].u.sequence_header.last_seq = c->recv_seq;
		dc.early_ch[1] = GT_CHANNEL_CONTROL;
		dc.early[1] = (struct gt_msg){ .type = GT_MSG_TERMINAL_INFO };
		dc.early[1].u.terminal_info.term = (const uint8_t *)c->term;
		dc.early[1].u.terminal_info.len = strlen(c->term);
	}
	c->dial = gt_dial_start(&dc, client_dialed, c);
	core_wipe(dc.passkey, sizeof(dc.passkey));
}

static void client_dial(struct gt_client *c)
{
	c->state = CS_DIALING;
	client_dial_start(c);
}

/* ------------------------------------------------------------ ending */

static gboolean client_end_cb(gpointer p)
{
	struct gt_client *c = p;

	c->end_timer = 0;
	if (c->done != NULL)
		c->done(c, c->exit_code, c->reason, c->done_data);
	return G_SOURCE_REMOVE;
}

/* Report once, from the loop, when output is flushed and no connection is left. */
static void client_finish(struct gt_client *c, int code, const char *reason)
{
	c->exit_code = code;
	g_strlcpy(c->reason, reason, sizeof(c->reason));
	if (c->conn != NULL || client_queued(c) > 0 || c->end_timer != 0)
		return; /* the close or the output flush will call again */
	c->state = CS_DONE;
	core_source_clear(&c->in_watch);
	c->end_timer = g_idle_add(client_end_cb, c);
}

/* End without a session to tell (no connection, or a refusal): exit 1. */
static void client_give_up(struct gt_client *c, const char *reason)
{
	core_source_clear(&c->connect_timer);
	core_source_clear(&c->retry_timer);
	if (c->tcp_check != NULL)
		g_cancellable_cancel(c->tcp_check);
	g_clear_object(&c->tcp_check);
	client_end_session(c, 1, reason);
}

void gt_client_stop(struct gt_client *c, const char *reason)
{
	client_end_session(c, 1, reason);
}

bool gt_client_detached(const struct gt_client *c)
{
	return c->detached;
}

void gt_client_profile(const struct gt_client *c, struct gt_profile *out)
{
	struct gt_conn_stats st;

	*out = c->prof;
	if (c->conn != NULL) {
		gt_conn_get_stats(c->conn, &st);
		gt_profile_add(out, &st, gt_conn_transport(c->conn));
	}
	if (c->rtt_min_seen > 0 && out->total.has_rtt &&
	    (out->total.rtt_min_us == 0 || c->rtt_min_seen < out->total.rtt_min_us))
		out->total.rtt_min_us = c->rtt_min_seen;
	out->ended_us = g_get_monotonic_time();
}

void gt_client_resized(struct gt_client *c)
{
	struct winsize ws;

	if (c->pred != NULL && ioctl(c->cfg.out_fd, TIOCGWINSZ, &ws) == 0) {
		gt_predict_resize(c->pred, ws.ws_row, ws.ws_col, &c->out);
		client_write_out(c);
	}
	client_send_size(c, false);
}

/* --predict on a terminal session: the model takes the terminal's size (else no prediction). */
static void client_predict_start(struct gt_client *c)
{
	struct winsize ws;

	if (c->cfg.predict == GT_PREDICT_NEVER || !c->cfg.tty || !c->cfg.out_tty ||
	    client_piped(c) || ioctl(c->cfg.out_fd, TIOCGWINSZ, &ws) != 0 ||
	    gt_predict_new(c->cfg.predict, ws.ws_row, ws.ws_col, &c->pred) != CORE_OK)
		c->pred = NULL;
}

struct gt_client *gt_client_new(const struct gt_client_config *cfg, gt_client_done_fn done,
				void *data)
{
	struct gt_client *c = g_new0(struct gt_client, 1);

	c->cfg = *cfg;
	c->host = g_strdup(cfg->host);
	c->term = g_strdup(cfg->term != NULL ? cfg->term : "");
	c->done = done;
	c->done_data = data;
	gt_escape_reset(&c->esc);
	gt_outbox_init(&c->keys, cfg->replay_bytes);
	core_buf_init_growable(&c->out, CLIENT_OUT_QUEUE);
	core_buf_init_growable(&c->errq, CLIENT_OUT_QUEUE);
	c->tagbuf = g_malloc(CLIENT_TAGBUF);
	fcntl(cfg->in_fd, F_SETFL, fcntl(cfg->in_fd, F_GETFL) | O_NONBLOCK);
	fcntl(cfg->out_fd, F_SETFL, fcntl(cfg->out_fd, F_GETFL) | O_NONBLOCK);
	c->in_watch = core_fd_watch_add(cfg->in_fd, G_IO_IN, client_in_cb, c);
	c->last_contact = core_time_now_us();
	c->notice_timer = g_timeout_add(1000, client_notice_cb, c);
	c->prof.started_us = g_get_monotonic_time();
	if (c->cfg.connect_timeout_us == 0)
		c->cfg.connect_timeout_us = GT_CLIENT_CONNECT_TIMEOUT_US;
	if (c->cfg.connect_timeout_us > 0)
		c->connect_timer = g_timeout_add((guint)(c->cfg.connect_timeout_us / 1000),
						 client_connect_timeout, c);
	if (cfg->profile)
		c->profile_timer = g_timeout_add(GT_PROFILE_INTERVAL_MS, client_profile_cb, c);
	client_predict_start(c);
	if (cfg->predial != NULL) {
		struct gt_dial *d;

		/* the bootstrap's head start: its dial is ours (it sent our first messages) */
		c->cfg.predial = NULL;
		c->state = CS_DIALING;
		c->early_sent = true;
		c->predialing = true;
		d = gt_predial_take(cfg->predial, client_dialed, c);
		if (d != NULL)
			c->dial = d;
	} else {
		client_dial(c);
	}
	return c;
}

void gt_client_free(struct gt_client *c)
{
	if (c == NULL)
		return;
	if (c->dial != NULL)
		gt_dial_cancel(c->dial);
	if (c->conn != NULL)
		gt_conn_close(c->conn, GT_CLOSE_OK, "closed");
	core_source_clear(&c->retry_timer);
	core_source_clear(&c->connect_timer);
	if (c->tcp_check != NULL)
		g_cancellable_cancel(c->tcp_check);
	g_clear_object(&c->tcp_check);
	core_source_clear(&c->in_watch);
	core_source_clear(&c->out_watch);
	core_source_clear(&c->err_watch);
	core_source_clear(&c->co_timer);
	core_source_clear(&c->end_timer);
	core_source_clear(&c->notice_timer);
	core_source_clear(&c->profile_timer);
	gt_fwd_hub_free(c->fwd);
	core_source_clear(&c->pred_timer);
	gt_predict_free(c->pred);
	gt_outbox_free(&c->keys);
	core_buf_free(&c->out);
	core_buf_free(&c->errq);
	g_free(c->tagbuf);
	core_wipe(c->cfg.passkey, sizeof(c->cfg.passkey));
	g_free(c->host);
	g_free(c->term);
	g_free(c);
}
