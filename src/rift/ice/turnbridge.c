/*
 * turnbridge.c - loopback TCP front for a TURN server (contract in
 * turnbridge.h).
 *
 * Every asynchronous operation in flight holds a reference: the accept
 * (and a retry timer) hold the bridge; a connection's open, reads, writes
 * and closes hold the connection (its "pending" count); each connection
 * holds the bridge. A connection changes state by cancelling what is in
 * flight and waiting for it to come back (GIO refuses to close a stream
 * with an operation pending); conn_settle then does what the new state
 * needs. So a callback never finds its object gone, and the bridge goes
 * with its last reference, always from a callback.
 *
 *   OPENING --open--> OPEN --either side ends--> CLOSING --> freed
 *      |                |                           ^
 *      +--- the server --+---> HOLDING --libnice ends, or HOLD_MS
 *           never answered
 */
#include "rift/ice/turnbridge.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/log.h"

#define ACCEPT_RETRY_MS 1000 /* after a failed accept (out of descriptors, say) */

enum conn_state { CONN_OPENING, CONN_OPEN, CONN_HOLDING, CONN_CLOSING };

struct conn;

/* One direction of a connection. */
struct pump {
	struct conn *c;
	GInputStream *in;
	GOutputStream *out;
	uint64_t *count; /* the bridge's byte counter for this direction */
	uint8_t buf[RG_TURN_BRIDGE_CHUNK];
};

struct conn {
	struct rg_turn_bridge *b;
	GList link; /* in b->conns */
	unsigned id;
	enum conn_state state;
	bool settled;		 /* the state's own operations have started */
	bool timed_out;		 /* the open took too long */
	bool answered;		 /* the server sent something */
	GSocketConnection *down; /* libnice's */
	GIOStream *up;		 /* the server's; NULL until open, and once closed */
	GCancellable *cancel;	 /* what is in flight in this state */
	GSource *timer;		 /* OPENING: the open's deadline; HOLDING: the hold's */
	unsigned pending;	 /* operations in flight */
	struct pump to_up, to_down;
};

struct rg_turn_bridge {
	char *name;
	struct rg_turn_bridge_opener op;
	GMainContext *context;
	GSocketListener *listener;
	GCancellable *cancel; /* the accept */
	GSource *retry, *linger;
	uint16_t port;
	GQueue conns;
	unsigned next_id;
	unsigned refs; /* the owner's until free, the accept's (or retry's), each connection's */
	bool lost;
	struct rg_turn_bridge_stats stats;
};

static void accept_next(struct rg_turn_bridge *b);
static void pump_read(struct pump *p);

/* GIO starts an asynchronous call on the thread-default context: make it the bridge's. */
static void enter(struct rg_turn_bridge *b)
{
	g_main_context_push_thread_default(b->context);
}

/* Back to the thread-default context the caller had. */
static void leave(struct rg_turn_bridge *b)
{
	g_main_context_pop_thread_default(b->context);
}

/* A one-off timer on the bridge's context, fn(data) after ms; timer_clear removes it. */
static GSource *timer_new(struct rg_turn_bridge *b, unsigned ms, GSourceFunc fn, void *data)
{
	GSource *t = g_timeout_source_new(ms);

	g_source_set_callback(t, fn, data, NULL);
	g_source_attach(t, b->context);
	return t;
}

/* Remove the timer *t (NULL: none) and forget it. */
static void timer_clear(GSource **t)
{
	if (*t == NULL)
		return;
	g_source_destroy(*t);
	g_source_unref(*t);
	*t = NULL;
}

/* Drop a reference; the last one frees the bridge and its opener's context. */
static void bridge_unref(struct rg_turn_bridge *b)
{
	g_assert(b->refs > 0);
	if (--b->refs > 0)
		return;
	core_log_debug("turn", b->name, "bridge freed");
	timer_clear(&b->retry);
	timer_clear(&b->linger);
	g_object_unref(b->listener);
	g_object_unref(b->cancel);
	if (b->op.ctx_free != NULL)
		b->op.ctx_free(b->op.ctx);
	g_main_context_unref(b->context);
	g_free(b->name);
	g_free(b);
}

/* Free c, closed and with nothing in flight, and drop its reference to the bridge. */
static void conn_free(struct conn *c)
{
	struct rg_turn_bridge *b = c->b;

	g_queue_unlink(&b->conns, &c->link);
	b->stats.active--;
	core_log_debug("turn", b->name, "connection %u freed", c->id);
	timer_clear(&c->timer);
	g_clear_object(&c->up);
	g_object_unref(c->down);
	g_object_unref(c->cancel);
	g_free(c);
	bridge_unref(b);
}

/* Enter state s: cancel what is in flight; conn_settle runs once it has all come back. */
static void conn_enter(struct conn *c, enum conn_state s);

/* libnice's side ended, the linger or the hold is over, or the bridge is lost: close both. */
static void conn_close(struct conn *c)
{
	if (c->state != CONN_CLOSING)
		conn_enter(c, CONN_CLOSING);
}

/*
 * The server's side ended (or never opened). libnice 0.1.21 never finishes
 * gathering when a TCP TURN socket hangs up while its Allocate is
 * unanswered (discovery_prune_socket drops the discovery without checking
 * whether that was the last one), so a connection the server never
 * answered is held open instead, libnice's bytes discarded, until libnice
 * gives up on it (its reliable STUN timeout, 2 s by default) and closes it,
 * or RG_TURN_BRIDGE_HOLD_MS pass.
 */
static void conn_end(struct conn *c)
{
	if (c->state == CONN_HOLDING || c->state == CONN_CLOSING)
		return;
	conn_enter(c, !c->answered && !c->b->lost ? CONN_HOLDING : CONN_CLOSING);
}

static void conn_done(struct conn *c);

/* A stream of the connection is closed (or failed to close: it is gone either way). */
static void on_closed(GObject *stream, GAsyncResult *res, gpointer data)
{
	g_io_stream_close_finish(G_IO_STREAM(stream), res, NULL);
	conn_done(data);
}

/* Close the server's side, if it is there (the close holds its own reference to it). */
static void close_up(struct conn *c)
{
	if (c->up == NULL)
		return;
	c->pending++;
	g_io_stream_close_async(c->up, G_PRIORITY_DEFAULT, NULL, on_closed, c);
	g_clear_object(&c->up);
}

/* The hold is over: libnice has long given up on this connection. */
static gboolean on_hold_over(gpointer data)
{
	struct conn *c = data;

	core_log_debug("turn", c->b->name, "connection %u: hold over", c->id);
	conn_close(c);
	return G_SOURCE_CONTINUE; /* conn_enter removes it */
}

/* HOLDING: libnice's bytes are read and dropped until it closes the connection. */
static void on_discarded(GObject *in, GAsyncResult *res, gpointer data)
{
	struct conn *c = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(in), res, NULL);

	if (c->state == CONN_HOLDING && n > 0) {
		c->pending++;
		enter(c->b);
		g_input_stream_read_async(G_INPUT_STREAM(in), c->to_up.buf, sizeof(c->to_up.buf),
					  G_PRIORITY_DEFAULT, c->cancel, on_discarded, c);
		leave(c->b);
	} else if (c->state == CONN_HOLDING) {
		conn_close(c); /* libnice gave up on it */
	}
	conn_done(c);
}

/* Nothing of the last state is in flight any more: start what this one needs. */
static void conn_settle(struct conn *c)
{
	if (c->settled)
		return;
	c->settled = true;
	enter(c->b);
	if (c->state == CONN_HOLDING) {
		core_log_debug("turn", c->b->name, "connection %u: held until libnice drops it",
			       c->id);
		close_up(c);
		c->pending++;
		g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->down)),
					  c->to_up.buf, sizeof(c->to_up.buf), G_PRIORITY_DEFAULT,
					  c->cancel, on_discarded, c);
		c->timer = timer_new(c->b, RG_TURN_BRIDGE_HOLD_MS, on_hold_over, c);
	} else if (c->state == CONN_CLOSING) {
		close_up(c);
		c->pending++;
		g_io_stream_close_async(G_IO_STREAM(c->down), G_PRIORITY_DEFAULT, NULL, on_closed,
					c);
	}
	leave(c->b);
}

static void conn_enter(struct conn *c, enum conn_state s)
{
	GCancellable *old = c->cancel;

	c->state = s;
	c->settled = false;
	timer_clear(&c->timer);
	c->cancel = g_cancellable_new();
	/* an opener may come back at once, from inside the cancel: c is ready for it */
	g_cancellable_cancel(old);
	g_object_unref(old);
	if (c->pending == 0)
		conn_settle(c);
}

/* One operation of c came back: the last one settles the state, or frees a closed c. */
static void conn_done(struct conn *c)
{
	g_assert(c->pending > 0);
	if (--c->pending > 0)
		return;
	if (c->state == CONN_CLOSING && c->settled)
		conn_free(c);
	else
		conn_settle(c);
}

/* The end of the side p reads from or writes to: libnice's, or the server's. */
static void pump_end(struct pump *p, bool reading)
{
	struct conn *c = p->c;

	if ((p == &c->to_up) == reading)
		conn_close(c);
	else
		conn_end(c);
}

/* A chunk is written on: read the next one, unless the connection is ending. */
static void on_written(GObject *out, GAsyncResult *res, gpointer data)
{
	struct pump *p = data;
	struct conn *c = p->c;
	GError *e = NULL;
	gsize n = 0;
	bool ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(out), res, &n, &e);

	*p->count += n;
	if (p == &c->to_down && n > 0)
		c->answered = true;
	if (c->state != CONN_OPEN) {
		/* cancelled: the connection is ending */
	} else if (!ok) {
		core_log_info("turn", c->b->name, "connection %u: cannot write to %s: %s", c->id,
			      p == &c->to_up ? "the server" : "libnice", e->message);
		pump_end(p, false);
	} else {
		pump_read(p);
	}
	g_clear_error(&e);
	conn_done(c);
}

/* A chunk came in: write it on (the next read waits for that), or the side has ended. */
static void on_read(GObject *in, GAsyncResult *res, gpointer data)
{
	struct pump *p = data;
	struct conn *c = p->c;
	GError *e = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(in), res, &e);
	const char *from = p == &c->to_up ? "libnice" : "the server";

	if (c->state != CONN_OPEN) {
		/* cancelled: the connection is ending */
	} else if (n <= 0) {
		if (n < 0)
			core_log_info("turn", c->b->name, "connection %u: reading from %s: %s",
				      c->id, from, e->message);
		else
			core_log_debug("turn", c->b->name, "connection %u: %s closed it", c->id,
				       from);
		pump_end(p, true);
	} else {
		c->pending++;
		enter(c->b);
		g_output_stream_write_all_async(p->out, p->buf, (gsize)n, G_PRIORITY_DEFAULT,
						c->cancel, on_written, p);
		leave(c->b);
	}
	g_clear_error(&e);
	conn_done(c);
}

/* Read the next chunk in p's direction (nothing else of p is in flight). */
static void pump_read(struct pump *p)
{
	struct conn *c = p->c;

	c->pending++;
	enter(c->b);
	g_input_stream_read_async(p->in, p->buf, sizeof(p->buf), G_PRIORITY_DEFAULT, c->cancel,
				  on_read, p);
	leave(c->b);
}

/* Start p copying from one stream to the other; it counts its bytes into *count. */
static void pump_start(struct conn *c, struct pump *p, GIOStream *from, GIOStream *to,
		       uint64_t *count)
{
	p->c = c;
	p->in = g_io_stream_get_input_stream(from);
	p->out = g_io_stream_get_output_stream(to);
	p->count = count;
	pump_read(p);
}

/* The upstream is open, or could not be: copy both ways, or log why and end. */
static void on_open(GObject *source, GAsyncResult *res, gpointer data)
{
	struct conn *c = data;
	struct rg_turn_bridge *b = c->b;
	GError *e = NULL;
	GIOStream *up = b->op.open_finish(b->op.ctx, res, &e);

	if (up != NULL && c->state != CONN_OPENING) {
		g_object_unref(up); /* abandoned meanwhile (the bridge is lost) */
	} else if (up == NULL && c->state == CONN_OPENING) {
		core_log_warn("turn", b->name, "connection %u: %s", c->id,
			      c->timed_out ? "no connection to the server in time" : e->message);
		b->stats.failed++;
		conn_end(c);
	} else if (up != NULL) {
		b->stats.opened++;
		core_log_debug("turn", b->name, "connection %u: open", c->id);
		timer_clear(&c->timer);
		c->up = up;
		c->state = CONN_OPEN;
		pump_start(c, &c->to_up, G_IO_STREAM(c->down), c->up, &b->stats.to_server);
		pump_start(c, &c->to_down, c->up, G_IO_STREAM(c->down), &b->stats.to_client);
	}
	g_clear_error(&e);
	conn_done(c);
}

/* The open takes too long: cancel it (on_open logs it as timed out). */
static gboolean on_open_timeout(gpointer data)
{
	struct conn *c = data;

	c->timed_out = true;
	g_cancellable_cancel(c->cancel); /* the open comes back failed */
	return G_SOURCE_CONTINUE;	 /* on_open's state change removes it */
}

/* A connection from libnice: open its upstream; it is read once that is open. */
static void conn_new(struct rg_turn_bridge *b, GSocketConnection *down)
{
	struct conn *c = g_new0(struct conn, 1);

	c->b = b;
	c->id = ++b->next_id;
	c->link.data = c;
	c->down = down;
	c->cancel = g_cancellable_new();
	b->refs++;
	b->stats.accepted++;
	b->stats.active++;
	g_queue_push_tail_link(&b->conns, &c->link);
	/* STUN transactions and ChannelData are small and latency-bound */
	g_socket_set_option(g_socket_connection_get_socket(down), IPPROTO_TCP, TCP_NODELAY, 1,
			    NULL);
	core_log_debug("turn", b->name, "connection %u from libnice", c->id);
	c->timer = timer_new(b, RG_TURN_BRIDGE_OPEN_MS, on_open_timeout, c);
	c->pending++;
	enter(b);
	b->op.open_async(b->op.ctx, c->cancel, on_open, c);
	leave(b);
}

/* Accept again, a while after accepting failed. */
static gboolean on_retry(gpointer data)
{
	struct rg_turn_bridge *b = data;

	timer_clear(&b->retry);
	accept_next(b);
	bridge_unref(b); /* the retry's */
	return G_SOURCE_REMOVE;
}

/* libnice connected (or accepting failed): a new connection, unless lost or full. */
static void on_accept(GObject *listener, GAsyncResult *res, gpointer data)
{
	struct rg_turn_bridge *b = data;
	GError *e = NULL;
	GSocketConnection *down =
		g_socket_listener_accept_finish(G_SOCKET_LISTENER(listener), res, NULL, &e);

	if (down != NULL && b->lost) {
		g_object_unref(down);
	} else if (down != NULL && b->stats.active >= RG_TURN_BRIDGE_MAX_CONNS) {
		core_log_warn("turn", b->name, "refused a connection: %u are open",
			      b->stats.active);
		g_object_unref(down);
		accept_next(b);
	} else if (down != NULL) {
		conn_new(b, down);
		accept_next(b);
	} else if (!b->lost) {
		core_log_warn("turn", b->name, "cannot accept: %s", e->message);
		b->refs++;
		b->retry = timer_new(b, ACCEPT_RETRY_MS, on_retry, b);
	}
	g_clear_error(&e);
	bridge_unref(b); /* the accept's */
}

/* Wait for libnice's next connection (the wait holds a reference). */
static void accept_next(struct rg_turn_bridge *b)
{
	b->refs++;
	enter(b);
	g_socket_listener_accept_async(b->listener, b->cancel, on_accept, b);
	leave(b);
}

/* Listen on 127.0.0.1, port chosen by the system. */
static int bridge_listen(struct rg_turn_bridge *b, GError **error)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *any = g_inet_socket_address_new(lo, 0);
	GSocketAddress *got = NULL;
	int ret = CORE_ERR_SYSTEM;

	if (!g_socket_listener_add_address(b->listener, any, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_TCP, NULL, &got, error))
		goto out;
	b->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(got));
	ret = CORE_OK;
out:
	g_clear_object(&got);
	g_object_unref(any);
	g_object_unref(lo);
	return ret;
}

int rg_turn_bridge_new(struct rg_turn_bridge **out, const char *name,
		       const struct rg_turn_bridge_opener *opener, GMainContext *context,
		       GError **error)
{
	struct rg_turn_bridge *b = g_new0(struct rg_turn_bridge, 1);
	int ret;

	*out = NULL;
	b->name = g_strdup(name);
	b->op = *opener;
	b->context =
		context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	b->listener = g_socket_listener_new();
	b->cancel = g_cancellable_new();
	b->refs = 1;
	ret = bridge_listen(b, error);
	if (ret != CORE_OK) {
		bridge_unref(b);
		return ret;
	}
	accept_next(b);
	core_log_debug("turn", b->name, "bridge on 127.0.0.1:%u", b->port);
	*out = b;
	return CORE_OK;
}

/* The linger is over: close what is still open. */
static gboolean on_linger(gpointer data)
{
	struct rg_turn_bridge *b = data;

	for (GList *l = b->conns.head; l != NULL; l = l->next) {
		struct conn *c = l->data;

		if (c->state != CONN_CLOSING)
			core_log_debug("turn", b->name, "connection %u: linger over", c->id);
		conn_close(c); /* never frees at once: its close is asynchronous */
	}
	return G_SOURCE_CONTINUE; /* the bridge's free removes it */
}

void rg_turn_bridge_free(struct rg_turn_bridge *b)
{
	if (b == NULL)
		return;
	b->lost = true;
	g_cancellable_cancel(b->cancel);
	if (b->retry != NULL) {
		timer_clear(&b->retry);
		bridge_unref(b); /* the retry's; the owner's is still there */
	}
	g_socket_listener_close(b->listener);
	for (GList *l = b->conns.head; l != NULL; l = l->next) {
		struct conn *c = l->data;

		if (c->state != CONN_OPEN)
			conn_close(c); /* opening or held: no use any more */
	}
	if (b->conns.length > 0)
		b->linger = timer_new(b, RG_TURN_BRIDGE_LINGER_MS, on_linger, b);
	bridge_unref(b);
}

uint16_t rg_turn_bridge_port(const struct rg_turn_bridge *b)
{
	return b->port;
}

void rg_turn_bridge_get_stats(const struct rg_turn_bridge *b, struct rg_turn_bridge_stats *out)
{
	*out = b->stats;
}
