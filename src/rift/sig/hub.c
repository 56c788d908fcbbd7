/* hub.c - the signaling hub (contract in hub.h). */
#include "rift/sig/hub.h"

#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/sig/msg.h"

/* A token bucket: `rate` per second, at most `burst`. */
struct bucket {
	double tokens;
	int64_t last_us;
};

struct hconn {
	uint64_t id;
	char *network;
	char *name;
	struct rg_sig_msg join; /* its join, once joined (RG_SIG_JOIN) */
	struct bucket msgs, bytes;
	bool closed; /* the hub closed it; waiting for rg_hub_closed */
};

struct network {
	GHashTable *peers; /* name -> struct hconn * (joined, current) */
};

struct rg_hub {
	struct rg_hub_limits lim;
	struct rg_hub_io io;
	GHashTable *conns;    /* id -> struct hconn * */
	GHashTable *networks; /* name -> struct network * */
};

static void network_free(gpointer p)
{
	struct network *n = p;

	g_hash_table_unref(n->peers);
	g_free(n);
}

static void hconn_free(gpointer p)
{
	struct hconn *c = p;

	rg_sig_msg_clear(&c->join);
	g_free(c->network);
	g_free(c->name);
	g_free(c);
}

struct rg_hub *rg_hub_new(const struct rg_hub_limits *limits, const struct rg_hub_io *io)
{
	struct rg_hub *h = g_new0(struct rg_hub, 1);

	if (limits != NULL)
		h->lim = *limits;
	if (h->lim.max_peers == 0)
		h->lim.max_peers = 256;
	if (h->lim.msgs_per_s == 0)
		h->lim.msgs_per_s = 50;
	if (h->lim.msgs_burst == 0)
		h->lim.msgs_burst = 200;
	if (h->lim.bytes_per_s == 0)
		h->lim.bytes_per_s = 256 * 1024;
	if (h->lim.bytes_burst == 0)
		h->lim.bytes_burst = 1024 * 1024;
	h->io = *io;
	h->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, hconn_free);
	h->networks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, network_free);
	return h;
}

void rg_hub_free(struct rg_hub *h)
{
	if (h == NULL)
		return;
	g_hash_table_unref(h->networks);
	g_hash_table_unref(h->conns);
	g_free(h);
}

static struct network *network_get(struct rg_hub *h, const char *name, bool create)
{
	struct network *n = g_hash_table_lookup(h->networks, name);

	if (n == NULL && create) {
		n = g_new0(struct network, 1);
		n->peers = g_hash_table_new(g_str_hash, g_str_equal);
		g_hash_table_insert(h->networks, g_strdup(name), n);
	}
	return n;
}

void rg_hub_open(struct rg_hub *h, uint64_t conn, const char *network, const char *name)
{
	struct hconn *c = g_new0(struct hconn, 1);

	c->id = conn;
	c->network = g_strdup(network);
	c->name = g_strdup(name);
	c->msgs.tokens = h->lim.msgs_burst;
	c->bytes.tokens = (double)h->lim.bytes_burst;
	c->msgs.last_us = c->bytes.last_us = -1;
	g_hash_table_insert(h->conns, &c->id, c);
}

/* Take cost from the bucket; false when it does not hold that much. */
static bool bucket_take(struct bucket *b, double rate, double burst, double cost, int64_t now_us)
{
	if (b->last_us >= 0 && now_us > b->last_us)
		b->tokens = MIN(burst, b->tokens + rate * (double)(now_us - b->last_us) / 1e6);
	b->last_us = now_us;
	if (b->tokens < cost)
		return false;
	b->tokens -= cost;
	return true;
}

/* Leave the network's table (if c is its current holder of the name). */
static bool hub_unregister(struct rg_hub *h, struct hconn *c)
{
	struct network *n = network_get(h, c->network, false);

	if (n == NULL || g_hash_table_lookup(n->peers, c->name) != c)
		return false;
	g_hash_table_remove(n->peers, c->name);
	if (g_hash_table_size(n->peers) == 0)
		g_hash_table_remove(h->networks, c->network);
	return true;
}

static void hub_close(struct rg_hub *h, struct hconn *c, unsigned code, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Close c with a reason (cut to the 123 bytes a WebSocket close frame holds). */
static void hub_close(struct rg_hub *h, struct hconn *c, unsigned code, const char *fmt, ...)
{
	char reason[124];
	va_list ap;

	if (c->closed)
		return;
	va_start(ap, fmt);
	g_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->closed = true;
	h->io.close(h->io.data, c->id, code, reason);
}

/* Send encoded text to each of to[0..n) still open (a broadcast is encoded once). */
static void hub_send_text(struct rg_hub *h, struct hconn *const *to, guint n, const char *text)
{
	size_t len = strlen(text);

	for (guint i = 0; i < n; i++)
		if (!to[i]->closed)
			h->io.send(h->io.data, to[i]->id, text, len);
}

static int by_name(gconstpointer a, gconstpointer b)
{
	const struct hconn *x = *(struct hconn *const *)a, *y = *(struct hconn *const *)b;

	return strcmp(x->name, y->name);
}

/* The joined connections of a network but one (except may be NULL). */
static GPtrArray *network_members(struct network *n, const struct hconn *except)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, n->peers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (v != except)
			g_ptr_array_add(a, v);
	return a;
}

/* The joiner gets everyone else (sorted by name); everyone else gets the joiner. */
static void hub_announce(struct rg_hub *h, struct network *n, struct hconn *c)
{
	GPtrArray *others = network_members(n, c);
	struct rg_sig_msg list = { .type = RG_SIG_PEERS };
	char *text;

	g_ptr_array_sort(others, by_name);
	list.peers = g_new0(struct rg_sig_peer, MAX(others->len, 1));
	list.n_peers = others->len;
	for (guint i = 0; i < others->len; i++)
		list.peers[i] = ((struct hconn *)others->pdata[i])->join.self; /* borrowed */
	text = rg_sig_encode(&list);
	hub_send_text(h, &c, 1, text);
	g_free(text);
	list.peers[0] = c->join.self;
	list.n_peers = 1;
	text = rg_sig_encode(&list);
	hub_send_text(h, (struct hconn *const *)others->pdata, others->len, text);
	g_free(text);
	g_free(list.peers); /* the strings stay with their connections */
	g_ptr_array_free(others, TRUE);
}

static void hub_join(struct rg_hub *h, struct hconn *c, struct rg_sig_msg *m)
{
	struct network *n = network_get(h, c->network, true);
	struct hconn *old = g_hash_table_lookup(n->peers, c->name);

	if (strcmp(m->self.peer_id, c->name) != 0) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY,
			  "join: peerId \"%.40s\" is not the name your token grants (\"%.40s\")",
			  m->self.peer_id, c->name);
		goto out;
	}
	if (old == NULL && g_hash_table_size(n->peers) >= h->lim.max_peers) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY, "network full (%u peers)", h->lim.max_peers);
		goto out;
	}
	if (old != NULL) {
		/* the same device again (a reconnect the old socket has not noticed) */
		g_hash_table_remove(n->peers, c->name);
		hub_close(h, old, RG_HUB_CLOSE_REPLACED, "replaced by a newer connection");
	}
	c->join = *m;
	memset(m, 0, sizeof(*m));
	g_hash_table_insert(n->peers, c->name, c);
	hub_announce(h, n, c);
out:
	if (g_hash_table_size(n->peers) == 0)
		g_hash_table_remove(h->networks, c->network);
}

/* offer, answer, ice-candidate: from the sender's own name, verbatim to `to`. */
static void hub_route(struct rg_hub *h, struct hconn *c, const struct rg_sig_msg *m,
		      const char *text, size_t len)
{
	struct network *n = network_get(h, c->network, false);
	struct hconn *to;

	if (strcmp(m->from, c->name) != 0) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY,
			  "%s: from \"%.40s\" is not your name (\"%.40s\")",
			  rg_sig_type_name(m->type), m->from, c->name);
		return;
	}
	to = n != NULL ? g_hash_table_lookup(n->peers, m->to) : NULL;
	if (to != NULL && to != c && !to->closed)
		h->io.send(h->io.data, to->id, text, len);
}

void rg_hub_message(struct rg_hub *h, uint64_t conn, const char *text, size_t len, int64_t now_us)
{
	struct hconn *c = g_hash_table_lookup(h->conns, &conn);
	struct rg_sig_msg m;
	char err[160];
	int rc;

	if (c == NULL || c->closed)
		return;
	if (!bucket_take(&c->msgs, h->lim.msgs_per_s, h->lim.msgs_burst, 1, now_us) ||
	    !bucket_take(&c->bytes, (double)h->lim.bytes_per_s, (double)h->lim.bytes_burst,
			 (double)len, now_us)) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY,
			  "rate limit: more than %u messages or %zu bytes/s", h->lim.msgs_per_s,
			  h->lim.bytes_per_s);
		return;
	}
	rc = rg_sig_parse(text, len, &m, err, sizeof(err));
	if (rc != CORE_OK) {
		hub_close(h, c,
			  rc == CORE_ERR_TOO_LARGE ? RG_HUB_CLOSE_TOO_BIG : RG_HUB_CLOSE_INVALID,
			  "%s", err);
		return;
	}
	if (c->join.type != RG_SIG_JOIN && m.type != RG_SIG_JOIN) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY, "the first message must be join, not %s",
			  rg_sig_type_name(m.type));
	} else if (m.type == RG_SIG_JOIN && c->join.type == RG_SIG_JOIN) {
		hub_close(h, c, RG_HUB_CLOSE_POLICY, "join sent twice on one connection");
	} else if (m.type == RG_SIG_JOIN) {
		hub_join(h, c, &m);
	} else if (m.type == RG_SIG_OFFER || m.type == RG_SIG_ANSWER ||
		   m.type == RG_SIG_ICE_CANDIDATE) {
		hub_route(h, c, &m, text, len);
	}
	/* peers and peer-left are the server's to send: ignored, as the reference */
	rg_sig_msg_clear(&m);
}

/* c leaves its network's table (if it holds its name there): peer-left to the rest. */
static void hub_leave(struct rg_hub *h, struct hconn *c)
{
	struct rg_sig_msg left = { .type = RG_SIG_PEER_LEFT };
	struct network *n;

	if (hub_unregister(h, c) && (n = network_get(h, c->network, false)) != NULL) {
		GPtrArray *rest = network_members(n, NULL);
		char *text;

		left.peer_id = c->name;
		text = rg_sig_encode(&left);
		hub_send_text(h, (struct hconn *const *)rest->pdata, rest->len, text);
		g_free(text);
		g_ptr_array_unref(rest);
	}
}

void rg_hub_kick(struct rg_hub *h, uint64_t conn, unsigned code, const char *reason)
{
	struct hconn *c = g_hash_table_lookup(h->conns, &conn);

	if (c == NULL)
		return;
	hub_leave(h, c);
	hub_close(h, c, code, "%s", reason);
}

void rg_hub_closed(struct rg_hub *h, uint64_t conn)
{
	struct hconn *c = g_hash_table_lookup(h->conns, &conn);

	if (c == NULL)
		return;
	hub_leave(h, c);
	g_hash_table_remove(h->conns, &conn);
}

unsigned rg_hub_network_size(const struct rg_hub *h, const char *network)
{
	struct network *n = g_hash_table_lookup(h->networks, network);

	return n != NULL ? g_hash_table_size(n->peers) : 0;
}

unsigned rg_hub_connections(const struct rg_hub *h)
{
	return g_hash_table_size(h->conns);
}
