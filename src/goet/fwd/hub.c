/* hub.c - goet's port forwarding over any transport; see hub.h. */
#include "goet/fwd/hub.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/log.h"
#include "goet/fwdchan.h"

#define HUB_READ_MAX (64 * 1024)
#define HUB_LOG	     "fwd"
#define HUB_BACKLOG  128

enum chan_state {
	CH_CONNECTING, /* the peer asked: connecting to the target */
	CH_OPENING,    /* we asked: FwdOpen sent, no answer yet */
	CH_OPEN,
};

struct hub_listener {
	struct gt_fwd_hub *hub;
	struct gt_fwd_spec spec;
	uint32_t listen_id;
	GSocket *sock[2]; /* loopback: IPv4 and IPv6 */
	GSource *src[2];
	uint16_t port;
};

struct hub_remote { /* client: an -R it asked for */
	struct gt_fwd_spec spec;
	uint32_t listen_id;
	uint16_t port; /* as the session bound it */
	bool answered;
};

struct hub_chan {
	struct gt_fwd_hub *hub;
	uint32_t id;
	enum chan_state state;
	bool ours; /* we sent FwdOpen (we accepted the local connection) */
	uint32_t listen_id;
	uint16_t port;
	char host[GT_FWD_HOST_MAX + 1]; /* FwdOpen's target (-L) */
	char name[GT_FWD_HOST_MAX + 64];
	GSocketConnection *conn; /* the target we connected to (holds sock) */
	GSocket *sock;
	GSource *rsrc, *wsrc;
	GCancellable *cancel;
	struct gt_fwd_tx tx;
	struct gt_fwd_rx rx;
	GByteArray *pending; /* received, not yet written to sock */
	bool shut_wr;
	bool reset_owed; /* a reset to send once connected */
	char reason[128];
};

struct gt_fwd_hub {
	bool is_client;
	char name[64];
	struct gt_fwd_hub_ops ops;
	void *user;
	bool up;
	GHashTable *chans; /* id -> struct hub_chan */
	GPtrArray *locals; /* struct hub_listener, -L (client) */
	GPtrArray *served; /* struct hub_listener, -R (session) */
	GArray *remotes;   /* struct hub_remote (client) */
	uint32_t next_id;
	GMainContext *ctx;
};

static void chan_pump(struct hub_chan *ch);
static void chan_want_read(struct hub_chan *ch);
static void chan_flush(struct hub_chan *ch);

static void hub_notice(struct gt_fwd_hub *hub, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void hub_notice(struct gt_fwd_hub *hub, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (hub->ops.notice == NULL)
		return;
	va_start(ap, fmt);
	g_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	hub->ops.notice(hub->user, line);
}

static int hub_send(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	if (!hub->up)
		return CORE_ERR_CLOSED;
	return hub->ops.send(hub->user, m);
}

static void source_drop(GSource **s)
{
	if (*s != NULL) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

/* Forget a channel: sockets closed, memory freed (the table's destructor). */
static void chan_free(gpointer p)
{
	struct hub_chan *ch = p;

	source_drop(&ch->rsrc);
	source_drop(&ch->wsrc);
	if (ch->cancel != NULL) {
		g_cancellable_cancel(ch->cancel);
		g_object_unref(ch->cancel);
	}
	if (ch->sock != NULL) {
		g_socket_close(ch->sock, NULL);
		g_object_unref(ch->sock);
	}
	g_clear_object(&ch->conn);
	gt_fwd_tx_free(&ch->tx);
	g_byte_array_unref(ch->pending);
	g_free(ch);
}

static void chan_remove(struct hub_chan *ch)
{
	struct gt_fwd_hub *hub = ch->hub;
	uint32_t id = ch->id;

	g_hash_table_remove(hub->chans, GUINT_TO_POINTER(id));
	if (hub->ops.chan_end != NULL)
		hub->ops.chan_end(hub->user, id);
}

static int send_close(struct gt_fwd_hub *hub, uint32_t id, uint8_t kind, uint64_t offset,
		      const char *reason)
{
	struct gt_msg m = { .type = GT_MSG_FWD_CLOSE };

	m.u.fwd_close.chan = id;
	m.u.fwd_close.kind = kind;
	m.u.fwd_close.offset = offset;
	m.u.fwd_close.reason = (const uint8_t *)reason;
	m.u.fwd_close.reason_len = MIN(strlen(reason), GT_FWD_TEXT_MAX);
	return hub_send(hub, &m);
}

/* Reset one connection: the peer is told (now or at the next connection). */
static void chan_reset(struct hub_chan *ch, const char *reason)
{
	core_log_info(HUB_LOG, ch->hub->name, "%s: reset: %s", ch->name, reason);
	if (ch->hub->up) {
		send_close(ch->hub, ch->id, GT_FWD_CLOSE_RESET, 0, reason);
		chan_remove(ch);
		return;
	}
	/* keep it until the peer can be told; its socket goes now */
	ch->reset_owed = true;
	g_strlcpy(ch->reason, reason, sizeof(ch->reason));
	source_drop(&ch->rsrc);
	source_drop(&ch->wsrc);
	if (ch->sock != NULL) {
		g_socket_close(ch->sock, NULL);
		g_clear_object(&ch->sock);
	}
}

static void chan_done_check(struct hub_chan *ch)
{
	if (ch->state == CH_OPEN && gt_fwd_tx_done(&ch->tx) && gt_fwd_rx_finished(&ch->rx) &&
	    ch->pending->len == 0) {
		core_log_debug(HUB_LOG, ch->hub->name, "%s: closed", ch->name);
		chan_remove(ch);
	}
}

static struct hub_chan *chan_new(struct gt_fwd_hub *hub, uint32_t id, bool ours)
{
	struct hub_chan *ch = g_new0(struct hub_chan, 1);

	ch->hub = hub;
	ch->id = id;
	ch->ours = ours;
	ch->pending = g_byte_array_new();
	gt_fwd_tx_init(&ch->tx);
	gt_fwd_rx_init(&ch->rx);
	g_hash_table_insert(hub->chans, GUINT_TO_POINTER(id), ch);
	return ch;
}

static gboolean on_chan_readable(GSocket *s, GIOCondition cond, gpointer data)
{
	struct hub_chan *ch = data;
	uint8_t buf[HUB_READ_MAX];
	size_t room = gt_fwd_tx_room(&ch->tx);
	g_autoptr(GError) err = NULL;
	gssize n;

	if (room == 0) {
		source_drop(&ch->rsrc);
		return G_SOURCE_REMOVE;
	}
	n = g_socket_receive(s, (gchar *)buf, MIN(room, sizeof(buf)), NULL, &err);
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	if (n < 0) {
		source_drop(&ch->rsrc);
		chan_reset(ch, err->message);
		return G_SOURCE_REMOVE;
	}
	if (n == 0) {
		gt_fwd_tx_eof(&ch->tx);
		source_drop(&ch->rsrc);
		chan_pump(ch);
		return G_SOURCE_REMOVE;
	}
	if (gt_fwd_tx_push(&ch->tx, buf, (size_t)n) != CORE_OK) { /* within room: a bug */
		source_drop(&ch->rsrc);
		chan_reset(ch, "out of memory");
		return G_SOURCE_REMOVE;
	}
	chan_pump(ch);
	return G_SOURCE_CONTINUE;
}

static void chan_want_read(struct hub_chan *ch)
{
	if (ch->rsrc != NULL || ch->sock == NULL || ch->tx.eof || gt_fwd_tx_room(&ch->tx) == 0)
		return;
	ch->rsrc = g_socket_create_source(ch->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(ch->rsrc, (GSourceFunc)(void (*)(void))on_chan_readable, ch, NULL);
	g_source_attach(ch->rsrc, ch->hub->ctx);
}

static gboolean on_chan_writable(GSocket *s, GIOCondition cond, gpointer data)
{
	struct hub_chan *ch = data;

	source_drop(&ch->wsrc);
	chan_flush(ch);
	return G_SOURCE_REMOVE;
}

/* Write what is pending to the local socket; acknowledge; half-close at the end. */
static void chan_flush(struct hub_chan *ch)
{
	g_autoptr(GError) err = NULL;

	while (ch->sock != NULL && ch->pending->len > 0) {
		gssize n = g_socket_send(ch->sock, (const gchar *)ch->pending->data,
					 ch->pending->len, NULL, &err);

		if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			if (ch->wsrc == NULL) {
				ch->wsrc = g_socket_create_source(ch->sock, G_IO_OUT, NULL);
				g_source_set_callback(ch->wsrc,
						      (GSourceFunc)(void (*)(void))on_chan_writable,
						      ch, NULL);
				g_source_attach(ch->wsrc, ch->hub->ctx);
			}
			break;
		}
		if (n < 0) {
			chan_reset(ch, err->message);
			return;
		}
		g_byte_array_remove_range(ch->pending, 0, (guint)n);
		gt_fwd_rx_delivered(&ch->rx, (size_t)n);
	}
	if (ch->sock != NULL && !ch->shut_wr && gt_fwd_rx_finished(&ch->rx)) {
		g_socket_shutdown(ch->sock, FALSE, TRUE, NULL);
		ch->shut_wr = true;
	}
	chan_pump(ch);
}

/* Send what this channel may: its data within the window, its end, its ack. */
static void chan_pump(struct hub_chan *ch)
{
	struct gt_fwd_hub *hub = ch->hub;
	struct gt_fwd_chunk c;
	struct gt_msg m;
	uint64_t off, acked;
	uint32_t window;

	if (!hub->up || ch->state != CH_OPEN) {
		chan_want_read(ch);
		return;
	}
	for (;;) {
		size_t room = hub->ops.room(hub->user);

		if (room <= GT_FRAME_HEADER_LEN + GT_FWD_DATA_HEADER_LEN)
			break;
		if (!gt_fwd_tx_next(&ch->tx, room - GT_FRAME_HEADER_LEN - GT_FWD_DATA_HEADER_LEN,
				    &c))
			break;
		m = (struct gt_msg){ .type = GT_MSG_FWD_DATA };
		m.u.fwd_data.chan = ch->id;
		m.u.fwd_data.offset = c.offset;
		m.u.fwd_data.bytes = c.bytes;
		m.u.fwd_data.len = c.len;
		if (hub_send(hub, &m) != CORE_OK) {
			ch->tx.sent = c.offset; /* not taken: that chunk again later */
			break;
		}
	}
	/* an end or an ack the transport did not take goes at its next room (pump) */
	if (gt_fwd_tx_close_due(&ch->tx, &off) &&
	    send_close(hub, ch->id, GT_FWD_CLOSE_EOF, off, "") != CORE_OK)
		ch->tx.eof_sent = false;
	acked = ch->rx.acked;
	if (gt_fwd_rx_ack_due(&ch->rx, &off, &window)) {
		m = (struct gt_msg){ .type = GT_MSG_FWD_ACK };
		m.u.fwd_ack.chan = ch->id;
		m.u.fwd_ack.delivered = off;
		m.u.fwd_ack.window = window;
		if (hub_send(hub, &m) != CORE_OK) {
			ch->rx.acked = acked;
			ch->rx.ack_forced = true;
		}
	}
	chan_want_read(ch);
	chan_done_check(ch);
}

static void send_open(struct hub_chan *ch)
{
	struct gt_msg m = { .type = GT_MSG_FWD_OPEN };

	m.u.fwd_open.chan = ch->id;
	m.u.fwd_open.listen_id = ch->listen_id;
	m.u.fwd_open.port = ch->port;
	m.u.fwd_open.host = (const uint8_t *)ch->host;
	m.u.fwd_open.host_len = strlen(ch->host);
	hub_send(ch->hub, &m);
}

static void send_open_result(struct gt_fwd_hub *hub, uint32_t id, uint8_t status,
			     const char *reason)
{
	struct gt_msg m = { .type = GT_MSG_FWD_OPEN_RESULT };

	m.u.fwd_open_result.chan = id;
	m.u.fwd_open_result.status = status;
	m.u.fwd_open_result.reason = (const uint8_t *)reason;
	m.u.fwd_open_result.reason_len = MIN(strlen(reason), GT_FWD_TEXT_MAX);
	hub_send(hub, &m);
}

static uint32_t hub_new_id(struct gt_fwd_hub *hub)
{
	uint32_t id;

	do {
		hub->next_id += 2;
		id = hub->next_id;
	} while (id == 0 || g_hash_table_contains(hub->chans, GUINT_TO_POINTER(id)));
	return id;
}

static void sock_prepare(GSocket *s)
{
	g_socket_set_blocking(s, FALSE);
	if (g_socket_get_family(s) != G_SOCKET_FAMILY_UNIX)
		g_socket_set_option(s, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

/* A local connection accepted on listener l: a channel we open. */
static gboolean on_accept(GSocket *s, GIOCondition cond, gpointer data)
{
	struct hub_listener *l = data;
	struct gt_fwd_hub *hub = l->hub;
	g_autoptr(GError) err = NULL;
	GSocket *c = g_socket_accept(s, NULL, &err);
	struct hub_chan *ch;

	if (c == NULL)
		return G_SOURCE_CONTINUE; /* EAGAIN, or an aborted connection */
	if (g_hash_table_size(hub->chans) >= GT_FWD_MAX_CHANNELS) {
		core_log_warn(HUB_LOG, hub->name, "port %u: %u connections already, refused",
			      l->port, GT_FWD_MAX_CHANNELS);
		g_socket_close(c, NULL);
		g_object_unref(c);
		return G_SOURCE_CONTINUE;
	}
	sock_prepare(c);
	ch = chan_new(hub, hub_new_id(hub), true);
	ch->sock = c;
	ch->state = CH_OPENING;
	if (hub->is_client) { /* -L: the session connects to the target */
		g_strlcpy(ch->host, l->spec.host, sizeof(ch->host));
		ch->port = l->spec.host_port;
	} else { /* -R: the client connects to what it keeps for listen_id */
		ch->listen_id = l->listen_id;
	}
	snprintf(ch->name, sizeof(ch->name), "%s %u (port %u -> %s:%u)",
		 hub->is_client ? "-L" : "-R", ch->id, l->port, l->spec.host, l->spec.host_port);
	core_log_debug(HUB_LOG, hub->name, "%s: accepted", ch->name);
	send_open(ch);
	chan_want_read(ch);
	return G_SOURCE_CONTINUE;
}

static void listener_free(gpointer p)
{
	struct hub_listener *l = p;

	for (int i = 0; i < 2; i++) {
		source_drop(&l->src[i]);
		if (l->sock[i] != NULL) {
			g_socket_close(l->sock[i], NULL);
			g_object_unref(l->sock[i]);
		}
	}
	g_free(l);
}

static GSocket *listen_on(GInetAddress *addr, uint16_t port, GError **err)
{
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, port);
	GSocket *s = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM,
				  G_SOCKET_PROTOCOL_TCP, err);

	if (s == NULL)
		return NULL;
	if (g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6 &&
	    g_inet_address_get_is_any(addr))
		g_socket_set_option(s, IPPROTO_IPV6, IPV6_V6ONLY, 0, NULL); /* dual stack */
	g_socket_set_blocking(s, FALSE);
	g_socket_set_listen_backlog(s, HUB_BACKLOG); /* GIO's default is 10 */
	if (!g_socket_bind(s, sa, TRUE, err) || !g_socket_listen(s, err)) {
		g_object_unref(s);
		return NULL;
	}
	return s;
}

static uint16_t sock_port(GSocket *s)
{
	g_autoptr(GSocketAddress) a = g_socket_get_local_address(s, NULL);

	return a != NULL ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a)) : 0;
}

/* Bind a listener for spec: CORE_OK, CORE_ERR_SYSTEM or CORE_ERR_BAD_VALUE. */
static int listener_open(struct gt_fwd_hub *hub, const struct gt_fwd_spec *spec, uint32_t listen_id,
			 struct hub_listener **out, GError **err)
{
	struct hub_listener *l = g_new0(struct hub_listener, 1);
	g_autoptr(GInetAddress) a4 = NULL;
	g_autoptr(GInetAddress) a6 = NULL;
	int rc = CORE_ERR_SYSTEM;

	l->hub = hub;
	l->spec = *spec;
	l->listen_id = listen_id;
	switch (spec->bind) {
	case GT_FWD_BIND_LOOPBACK:
		a4 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		a6 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
		break;
	case GT_FWD_BIND_ANY:
		a6 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV6);
		break;
	case GT_FWD_BIND_ADDRESS:
		a4 = g_inet_address_new_from_string(spec->bind_addr);
		if (a4 == NULL) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "bind address %s is not an IP address", spec->bind_addr);
			rc = CORE_ERR_BAD_VALUE;
			goto out;
		}
		break;
	}
	if (a4 != NULL) {
		l->sock[0] = listen_on(a4, spec->port, err);
		if (l->sock[0] == NULL)
			goto out;
		l->port = sock_port(l->sock[0]);
	}
	if (a6 != NULL) {
		/* loopback's IPv6 half on the same port, if the host has IPv6 */
		l->sock[1] = listen_on(a6, l->port != 0 ? l->port : spec->port,
				       l->sock[0] != NULL ? NULL : err);
		if (l->sock[1] == NULL && l->sock[0] == NULL)
			goto out;
		if (l->port == 0 && l->sock[1] != NULL)
			l->port = sock_port(l->sock[1]);
	}
	for (int i = 0; i < 2; i++) {
		if (l->sock[i] == NULL)
			continue;
		l->src[i] = g_socket_create_source(l->sock[i], G_IO_IN, NULL);
		g_source_set_callback(l->src[i], (GSourceFunc)(void (*)(void))on_accept, l, NULL);
		g_source_attach(l->src[i], hub->ctx);
	}
	*out = l;
	l = NULL;
	rc = CORE_OK;
out:
	if (l != NULL)
		listener_free(l);
	return rc;
}

static uint8_t status_of(const GError *e)
{
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
		return GT_FWD_REFUSED;
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) || e->domain == G_RESOLVER_ERROR)
		return GT_FWD_UNREACHABLE;
	return GT_FWD_FAILED;
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) err = NULL;
	GSocketConnection *conn =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &err);
	struct hub_chan *ch = data;

	if (conn == NULL && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the channel is gone (freed with its cancellable) */
	g_clear_object(&ch->cancel);
	if (conn == NULL) {
		core_log_info(HUB_LOG, ch->hub->name, "%s: %s", ch->name, err->message);
		hub_notice(ch->hub, "goet: %s: connect failed: %s", ch->name, err->message);
		send_open_result(ch->hub, ch->id, status_of(err), err->message);
		chan_remove(ch);
		return;
	}
	ch->conn = conn;
	ch->sock = g_object_ref(g_socket_connection_get_socket(conn));
	sock_prepare(ch->sock);
	ch->state = CH_OPEN;
	core_log_debug(HUB_LOG, ch->hub->name, "%s: connected", ch->name);
	send_open_result(ch->hub, ch->id, GT_FWD_OK, "");
	chan_pump(ch);
}

/* The peer's FwdOpen: connect to the target, or refuse. */
static int on_open(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	uint32_t id = m->u.fwd_open.chan;
	struct hub_chan *ch = g_hash_table_lookup(hub->chans, GUINT_TO_POINTER(id));
	g_autoptr(GSocketClient) client = NULL;
	const char *host;
	uint16_t port;

	if ((id % 2 == 1) == hub->is_client || id == 0)
		return CORE_ERR_BAD_VALUE; /* numbered as one of ours */
	if (ch != NULL) {		   /* again, after a reconnect */
		if (ch->state == CH_OPEN)
			send_open_result(hub, id, GT_FWD_OK, "");
		return CORE_OK;
	}
	if (hub->is_client) {
		struct hub_remote *r = NULL;

		for (guint i = 0; i < hub->remotes->len; i++)
			if (g_array_index(hub->remotes, struct hub_remote, i).listen_id ==
			    m->u.fwd_open.listen_id)
				r = &g_array_index(hub->remotes, struct hub_remote, i);
		if (r == NULL) {
			core_log_warn(HUB_LOG, hub->name,
				      "refused a connection the session opened for listener %u, "
				      "which this client never asked for",
				      m->u.fwd_open.listen_id);
			send_open_result(hub, id, GT_FWD_DENIED, "no such forwarding");
			return CORE_OK;
		}
		host = r->spec.host;
		port = r->spec.host_port;
	} else {
		char esc[CORE_LOG_ESC_SHORT];

		if (m->u.fwd_open.listen_id != 0 ||
		    !gt_fwd_host_valid((const char *)m->u.fwd_open.host, m->u.fwd_open.host_len) ||
		    m->u.fwd_open.port == 0) {
			core_log_warn(HUB_LOG, hub->name, "refused a forward to \"%s\" port %u",
				      core_log_escape(esc, sizeof(esc), m->u.fwd_open.host,
						      m->u.fwd_open.host_len),
				      m->u.fwd_open.port);
			send_open_result(hub, id, GT_FWD_DENIED, "bad target");
			return CORE_OK;
		}
		host = NULL;
		port = m->u.fwd_open.port;
	}
	if (g_hash_table_size(hub->chans) >= GT_FWD_MAX_CHANNELS) {
		send_open_result(hub, id, GT_FWD_FAILED, "too many forwarded connections");
		return CORE_OK;
	}
	ch = chan_new(hub, id, false);
	ch->state = CH_CONNECTING;
	ch->listen_id = m->u.fwd_open.listen_id;
	if (host != NULL)
		g_strlcpy(ch->host, host, sizeof(ch->host));
	else
		memcpy(ch->host, m->u.fwd_open.host, m->u.fwd_open.host_len);
	ch->port = port;
	snprintf(ch->name, sizeof(ch->name), "%s %u (to %s:%u)", hub->is_client ? "-R" : "-L", id,
		 ch->host, port);
	ch->cancel = g_cancellable_new();
	client = g_socket_client_new();
	g_socket_client_set_timeout(client, GT_FWD_CONNECT_TIMEOUT_S);
	g_socket_client_connect_to_host_async(client, ch->host, port, ch->cancel, on_connected, ch);
	return CORE_OK;
}

static void on_open_result(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	struct hub_chan *ch =
		g_hash_table_lookup(hub->chans, GUINT_TO_POINTER(m->u.fwd_open_result.chan));
	char esc[CORE_LOG_ESC_SHORT];

	if (ch == NULL || !ch->ours || ch->state != CH_OPENING)
		return; /* an answer again after a reconnect, or for a reset channel */
	if (m->u.fwd_open_result.status != GT_FWD_OK) {
		/* escaped here: the log macro skips its arguments below its level */
		core_log_escape(esc, sizeof(esc), m->u.fwd_open_result.reason,
				m->u.fwd_open_result.reason_len);
		core_log_warn(HUB_LOG, hub->name, "%s: the %s could not connect: %s", ch->name,
			      hub->is_client ? "session" : "client", esc);
		hub_notice(hub, "goet: %s: open failed: %s", ch->name, esc);
		chan_remove(ch);
		return;
	}
	ch->state = CH_OPEN;
	chan_pump(ch);
}

static void on_data(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	struct hub_chan *ch = g_hash_table_lookup(hub->chans, GUINT_TO_POINTER(m->u.fwd_data.chan));
	const uint8_t *fresh;
	size_t n;
	int r;

	if (ch == NULL || ch->reset_owed)
		return; /* reset here while it was in flight */
	r = gt_fwd_rx_data(&ch->rx, m->u.fwd_data.offset, m->u.fwd_data.bytes, m->u.fwd_data.len,
			   &fresh, &n);
	if (r != CORE_OK) {
		chan_reset(ch, r == CORE_ERR_TOO_LARGE ? "peer exceeded the window"
						       : "peer sent bytes out of order");
		return;
	}
	g_byte_array_append(ch->pending, fresh, (guint)n);
	chan_flush(ch);
}

static void on_ack(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	struct hub_chan *ch = g_hash_table_lookup(hub->chans, GUINT_TO_POINTER(m->u.fwd_ack.chan));

	if (ch == NULL || ch->reset_owed)
		return;
	if (gt_fwd_tx_ack(&ch->tx, m->u.fwd_ack.delivered, m->u.fwd_ack.window) != CORE_OK) {
		chan_reset(ch, "peer acknowledged bytes never sent");
		return;
	}
	chan_pump(ch);
}

static void on_close(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	struct hub_chan *ch =
		g_hash_table_lookup(hub->chans, GUINT_TO_POINTER(m->u.fwd_close.chan));
	char esc[CORE_LOG_ESC_SHORT];

	if (ch == NULL)
		return;
	if (m->u.fwd_close.kind == GT_FWD_CLOSE_RESET) {
		core_log_info(HUB_LOG, hub->name, "%s: reset by the %s: %s", ch->name,
			      hub->is_client ? "session" : "client",
			      core_log_escape(esc, sizeof(esc), m->u.fwd_close.reason,
					      m->u.fwd_close.reason_len));
		chan_remove(ch);
		return;
	}
	if (gt_fwd_rx_close(&ch->rx, m->u.fwd_close.offset) != CORE_OK) {
		chan_reset(ch, "peer ended the stream before its bytes");
		return;
	}
	chan_flush(ch);
}

static void on_listen(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	struct gt_msg r = { .type = GT_MSG_FWD_LISTEN_RESULT };
	struct gt_fwd_spec spec = { .dir = GT_FWD_REMOTE, .port = m->u.fwd_listen.port };
	struct hub_listener *l = NULL;
	g_autoptr(GError) err = NULL;
	const char *reason = "";

	r.u.fwd_listen_result.listen_id = m->u.fwd_listen.listen_id;
	for (guint i = 0; i < hub->served->len; i++) {
		struct hub_listener *s = g_ptr_array_index(hub->served, i);

		if (s->listen_id == m->u.fwd_listen.listen_id)
			l = s; /* asked again after a reconnect */
	}
	if (l == NULL) {
		if (m->u.fwd_listen.bind > GT_FWD_BIND_ADDRESS ||
		    (m->u.fwd_listen.bind == GT_FWD_BIND_ADDRESS &&
		     !gt_fwd_host_valid((const char *)m->u.fwd_listen.addr,
					m->u.fwd_listen.addr_len))) {
			r.u.fwd_listen_result.status = GT_FWD_DENIED;
			reason = "bad bind address";
			goto answer;
		}
		spec.bind = m->u.fwd_listen.bind;
		if (spec.bind == GT_FWD_BIND_ADDRESS)
			memcpy(spec.bind_addr, m->u.fwd_listen.addr, m->u.fwd_listen.addr_len);
		g_strlcpy(spec.host, "client", sizeof(spec.host));
		if (listener_open(hub, &spec, m->u.fwd_listen.listen_id, &l, &err) != CORE_OK) {
			r.u.fwd_listen_result.status =
				g_error_matches(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
					? GT_FWD_IN_USE
					: GT_FWD_FAILED;
			reason = err->message;
			core_log_warn(HUB_LOG, hub->name, "-R listener %u on port %u: %s",
				      m->u.fwd_listen.listen_id, spec.port, reason);
			goto answer;
		}
		g_ptr_array_add(hub->served, l);
		core_log_info(HUB_LOG, hub->name, "-R listener %u on port %u",
			      m->u.fwd_listen.listen_id, l->port);
	}
	r.u.fwd_listen_result.port = l->port;
answer:
	r.u.fwd_listen_result.reason = (const uint8_t *)reason;
	r.u.fwd_listen_result.reason_len = MIN(strlen(reason), GT_FWD_TEXT_MAX);
	hub_send(hub, &r);
}

static void on_listen_result(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	char spec[600], esc[CORE_LOG_ESC_SHORT];

	for (guint i = 0; i < hub->remotes->len; i++) {
		struct hub_remote *r = &g_array_index(hub->remotes, struct hub_remote, i);

		if (r->listen_id != m->u.fwd_listen_result.listen_id || r->answered)
			continue;
		r->answered = true;
		gt_fwd_spec_format(&r->spec, spec, sizeof(spec));
		if (m->u.fwd_listen_result.status != GT_FWD_OK) {
			core_log_escape(esc, sizeof(esc), m->u.fwd_listen_result.reason,
					m->u.fwd_listen_result.reason_len);
			core_log_warn(HUB_LOG, hub->name, "-R %s: the session cannot listen: %s",
				      spec, esc);
			hub_notice(hub, "goet: -R %s: the session cannot listen: %s", spec, esc);
			return;
		}
		r->port = m->u.fwd_listen_result.port;
		core_log_info(HUB_LOG, hub->name, "-R %s: the session listens on port %u", spec,
			      r->port);
		if (r->spec.port == 0) /* as ssh says it */
			hub_notice(hub, "Allocated port %u for remote forward to %s:%u", r->port,
				   r->spec.host, r->spec.host_port);
	}
}

int gt_fwd_hub_on_message(struct gt_fwd_hub *hub, const struct gt_msg *m)
{
	switch (m->type) {
	case GT_MSG_FWD_LISTEN:
		if (hub->is_client)
			return CORE_ERR_BAD_VALUE;
		on_listen(hub, m);
		return CORE_OK;
	case GT_MSG_FWD_LISTEN_RESULT:
		if (!hub->is_client)
			return CORE_ERR_BAD_VALUE;
		on_listen_result(hub, m);
		return CORE_OK;
	case GT_MSG_FWD_OPEN:
		return on_open(hub, m);
	case GT_MSG_FWD_OPEN_RESULT:
		on_open_result(hub, m);
		return CORE_OK;
	case GT_MSG_FWD_DATA:
		on_data(hub, m);
		return CORE_OK;
	case GT_MSG_FWD_ACK:
		on_ack(hub, m);
		return CORE_OK;
	case GT_MSG_FWD_CLOSE:
		on_close(hub, m);
		return CORE_OK;
	default:
		return CORE_ERR_BAD_VALUE;
	}
}

static void send_listen(struct gt_fwd_hub *hub, const struct hub_remote *r)
{
	struct gt_msg m = { .type = GT_MSG_FWD_LISTEN };

	m.u.fwd_listen.listen_id = r->listen_id;
	m.u.fwd_listen.port = r->spec.port;
	m.u.fwd_listen.bind = (uint8_t)r->spec.bind;
	m.u.fwd_listen.addr = (const uint8_t *)r->spec.bind_addr;
	m.u.fwd_listen.addr_len = strlen(r->spec.bind_addr);
	hub_send(hub, &m);
}

void gt_fwd_hub_set_connected(struct gt_fwd_hub *hub, bool up)
{
	GHashTableIter it;
	gpointer v;
	GPtrArray *owed;

	hub->up = up;
	if (!up)
		return;
	for (guint i = 0; i < hub->remotes->len; i++)
		send_listen(hub, &g_array_index(hub->remotes, struct hub_remote, i));
	owed = g_ptr_array_new();
	g_hash_table_iter_init(&it, hub->chans);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct hub_chan *ch = v;

		gt_fwd_tx_rewind(&ch->tx);
		gt_fwd_rx_rewind(&ch->rx);
		if (ch->reset_owed)
			g_ptr_array_add(owed, ch);
		else if (ch->ours && ch->state == CH_OPENING)
			send_open(ch);
		else if (!ch->ours && ch->state == CH_OPEN)
			send_open_result(hub, ch->id, GT_FWD_OK, ""); /* lost with the link? */
	}
	for (guint i = 0; i < owed->len; i++) {
		struct hub_chan *ch = g_ptr_array_index(owed, i);

		send_close(hub, ch->id, GT_FWD_CLOSE_RESET, 0, ch->reason);
		chan_remove(ch);
	}
	g_ptr_array_free(owed, TRUE);
	gt_fwd_hub_pump(hub);
}

void gt_fwd_hub_pump(struct gt_fwd_hub *hub)
{
	GArray *ids;
	GHashTableIter it;
	gpointer k;

	if (!hub->up)
		return;
	/* by id: a pump may end (and free) channels */
	ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_hash_table_iter_init(&it, hub->chans);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		uint32_t id = GPOINTER_TO_UINT(k);

		g_array_append_val(ids, id);
	}
	for (guint i = 0; i < ids->len; i++) {
		struct hub_chan *ch = g_hash_table_lookup(
			hub->chans, GUINT_TO_POINTER(g_array_index(ids, uint32_t, i)));

		if (ch != NULL)
			chan_pump(ch);
	}
	g_array_free(ids, TRUE);
}

struct gt_fwd_hub *gt_fwd_hub_new(bool is_client, const char *name,
				  const struct gt_fwd_hub_ops *ops, void *user)
{
	struct gt_fwd_hub *hub = g_new0(struct gt_fwd_hub, 1);

	hub->is_client = is_client;
	g_strlcpy(hub->name, name, sizeof(hub->name));
	hub->ops = *ops;
	hub->user = user;
	hub->chans = g_hash_table_new_full(NULL, NULL, NULL, chan_free);
	hub->locals = g_ptr_array_new_with_free_func(listener_free);
	hub->served = g_ptr_array_new_with_free_func(listener_free);
	hub->remotes = g_array_new(FALSE, TRUE, sizeof(struct hub_remote));
	hub->next_id = is_client ? UINT32_MAX : 0; /* +2: 1 for the client, 2 for the session */
	hub->ctx = g_main_context_ref_thread_default();
	return hub;
}

void gt_fwd_hub_free(struct gt_fwd_hub *hub)
{
	if (hub == NULL)
		return;
	g_hash_table_destroy(hub->chans);
	g_ptr_array_free(hub->locals, TRUE);
	g_ptr_array_free(hub->served, TRUE);
	g_array_free(hub->remotes, TRUE);
	g_main_context_unref(hub->ctx);
	g_free(hub);
}

int gt_fwd_hub_listen_local(struct gt_fwd_hub *hub, const struct gt_fwd_spec *spec, GError **err)
{
	struct hub_listener *l;
	int rc = listener_open(hub, spec, hub->locals->len + 1, &l, err);

	if (rc == CORE_OK)
		g_ptr_array_add(hub->locals, l);
	return rc;
}

uint16_t gt_fwd_hub_local_port(const struct gt_fwd_hub *hub, unsigned i)
{
	return i < hub->locals->len ? ((struct hub_listener *)hub->locals->pdata[i])->port : 0;
}

void gt_fwd_hub_request_remote(struct gt_fwd_hub *hub, const struct gt_fwd_spec *spec)
{
	struct hub_remote r = { .spec = *spec, .listen_id = hub->remotes->len + 1 };

	g_array_append_val(hub->remotes, r);
	if (hub->up)
		send_listen(hub,
			    &g_array_index(hub->remotes, struct hub_remote, hub->remotes->len - 1));
}

uint16_t gt_fwd_hub_remote_port(const struct gt_fwd_hub *hub, unsigned i)
{
	return i < hub->remotes->len ? g_array_index(hub->remotes, struct hub_remote, i).port : 0;
}

unsigned gt_fwd_hub_n_channels(const struct gt_fwd_hub *hub)
{
	return g_hash_table_size(hub->chans);
}
