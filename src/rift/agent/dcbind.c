/* dcbind.c - WireGuard over data channels (contract in dcbind.h). */
#include "rift/agent/dcbind.h"

#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/wg/device.h"

#define DCBIND_EP_LEN 4	   /* a link number, big-endian */
#define DCBIND_QUEUE  64   /* datagrams queued for the direct way until a flush */
#define DCBIND_SLOT   2048 /* queued datagrams up to this size; larger ones go at once */

struct link {
	uint32_t id;
	struct rg_dc *dc;
	char *peer;
	char *remote; /* wg(8)'s endpoint text, or NULL */
	rg_dcbind_direct_fn direct;
	void *direct_ctx;
	struct rg_dcbind_link_info info;
};

struct dcbind {
	struct rg_wg_bind base;
	GHashTable *links; /* id -> struct link * */
	uint32_t next_id;
	/* the direct way's queue, in the order sent */
	unsigned nq;
	uint32_t qlink[DCBIND_QUEUE];
	size_t qlen[DCBIND_QUEUE];
	uint8_t (*qbuf)[DCBIND_SLOT];
	/* datagrams arrived since the last idle call: it comes once the loop's burst is over */
	GMainContext *context;
	GSource *burst;
};

static struct link *find_link(const struct dcbind *d, uint32_t id)
{
	return g_hash_table_lookup(d->links, GUINT_TO_POINTER(id));
}

/* The link an endpoint names, or NULL. */
static struct link *endpoint_link(const struct dcbind *d, const struct rg_wg_endpoint *ep)
{
	uint32_t id;

	if (ep->len != DCBIND_EP_LEN)
		return NULL;
	id = (uint32_t)ep->bytes[0] << 24 | (uint32_t)ep->bytes[1] << 16 |
	     (uint32_t)ep->bytes[2] << 8 | ep->bytes[3];
	return find_link(d, id);
}

void rg_dcbind_endpoint(uint32_t link, struct rg_wg_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->len = DCBIND_EP_LEN;
	ep->bytes[0] = (uint8_t)(link >> 24);
	ep->bytes[1] = (uint8_t)(link >> 16);
	ep->bytes[2] = (uint8_t)(link >> 8);
	ep->bytes[3] = (uint8_t)link;
}

/* Into the channel: CORE_OK, CORE_ERR_AGAIN (full: dropped, counted) or rg_dc_send's error. */
static int channel_send(struct link *l, const uint8_t *buf, size_t len)
{
	int ret = rg_dc_send(l->dc, buf, len, true);

	if (ret == CORE_ERR_AGAIN && l->info.dropped_full++ == 0)
		/* a full channel drops the datagram, as a full socket buffer would */
		core_log_info("dcbind", l->peer,
			      "channel queue full: dropping datagrams until it drains");
	return ret;
}

/* Hand l's n datagrams to its direct sender; what it cannot take now goes to the channel. */
static void direct_send(struct link *l, const uint8_t *const *bufs, const size_t *lens, size_t n)
{
	int sent = l->direct(l->direct_ctx, bufs, lens, n);

	if (sent == CORE_ERR_AGAIN) {
		for (size_t i = 0; i < n; i++)
			channel_send(l, bufs[i], lens[i]);
		return;
	}
	if (sent < 0)
		sent = 0;
	l->info.direct_tx += (uint64_t)sent;
	l->info.dropped_full += n - (size_t)sent;
}

static void dcbind_flush(struct rg_wg_bind *b)
{
	struct dcbind *d = (struct dcbind *)b;
	const uint8_t *bufs[DCBIND_QUEUE];
	unsigned i = 0, j;

	/* one call per run of one link's datagrams, in the order they were sent */
	while (i < d->nq) {
		struct link *l = find_link(d, d->qlink[i]);

		for (j = i; j < d->nq && d->qlink[j] == d->qlink[i]; j++)
			bufs[j] = d->qbuf[j];
		if (l != NULL && l->direct != NULL) /* else detached since: lost */
			direct_send(l, bufs + i, d->qlen + i, j - i);
		i = j;
	}
	d->nq = 0;
}

static int dcbind_send(struct rg_wg_bind *b, const struct rg_wg_endpoint *to, const uint8_t *buf,
		       size_t len)
{
	struct dcbind *d = (struct dcbind *)b;
	struct link *l = endpoint_link(d, to);
	int ret = CORE_OK;

	if (l == NULL)
		return CORE_ERR_NOT_FOUND;
	if (l->direct == NULL)
		ret = channel_send(l, buf, len);
	else if (len > DCBIND_SLOT) {
		dcbind_flush(b);
		direct_send(l, &buf, &len, 1);
	} else {
		if (d->nq == DCBIND_QUEUE)
			dcbind_flush(b);
		d->qlink[d->nq] = l->id;
		d->qlen[d->nq] = len;
		memcpy(d->qbuf[d->nq++], buf, len);
	}
	if (ret != CORE_OK)
		return ret;
	l->info.tx_msgs++;
	l->info.tx_bytes += len;
	l->info.tx_since_sample = true;
	return CORE_OK;
}

static bool dcbind_format(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep, char *out,
			  size_t outlen)
{
	const struct link *l = endpoint_link((const struct dcbind *)b, ep);

	if (l == NULL || l->remote == NULL)
		return false;
	g_strlcpy(out, l->remote, outlen);
	return true;
}

static void link_free(gpointer p)
{
	struct link *l = p;

	g_free(l->peer);
	g_free(l->remote);
	g_free(l);
}

static void dcbind_free(struct rg_wg_bind *b)
{
	struct dcbind *d = (struct dcbind *)b;

	if (d->burst != NULL) {
		g_source_destroy(d->burst);
		g_source_unref(d->burst);
	}
	dcbind_flush(b);
	g_hash_table_destroy(d->links);
	g_free(d->qbuf);
	g_free(d);
}

static const struct rg_wg_bind_vtable dcbind_vtable = { dcbind_send, dcbind_flush, dcbind_format,
							dcbind_free };

struct rg_wg_bind *rg_dcbind_new(void)
{
	struct dcbind *d = g_new0(struct dcbind, 1);

	d->base.vt = &dcbind_vtable;
	d->links = g_hash_table_new_full(NULL, NULL, NULL, link_free);
	d->qbuf = g_malloc((size_t)DCBIND_QUEUE * DCBIND_SLOT);
	d->context = g_main_context_get_thread_default();
	return &d->base;
}

uint32_t rg_dcbind_attach(struct rg_wg_bind *b, struct rg_dc *dc, const char *peer)
{
	struct dcbind *d = (struct dcbind *)b;
	struct link *l = g_new0(struct link, 1);

	do
		l->id = ++d->next_id;
	while (l->id == 0 || find_link(d, l->id) != NULL);
	l->dc = dc;
	l->peer = g_strdup(peer);
	g_hash_table_insert(d->links, GUINT_TO_POINTER(l->id), l);
	return l->id;
}

void rg_dcbind_detach(struct rg_wg_bind *b, uint32_t link)
{
	g_hash_table_remove(((struct dcbind *)b)->links, GUINT_TO_POINTER(link));
}

void rg_dcbind_set_direct(struct rg_wg_bind *b, uint32_t link, rg_dcbind_direct_fn fn, void *ctx)
{
	struct link *l = find_link((struct dcbind *)b, link);

	if (l == NULL)
		return;
	l->direct = fn;
	l->direct_ctx = ctx;
	l->info.direct = fn != NULL;
}

void rg_dcbind_input_direct(struct rg_wg_bind *b, uint32_t link, const uint8_t *buf, size_t len)
{
	struct link *l = find_link((struct dcbind *)b, link);

	if (l == NULL)
		return;
	l->info.direct_rx++;
	rg_dcbind_input(b, link, buf, len);
}

/* The loop handled every source that was ready: the burst of datagrams is over. */
static gboolean burst_over(gpointer data)
{
	struct dcbind *d = data;

	g_source_unref(d->burst); /* the loop holds its own while it dispatches */
	d->burst = NULL;
	if (d->base.idle != NULL)
		d->base.idle(d->base.ctx);
	return G_SOURCE_REMOVE;
}

void rg_dcbind_input(struct rg_wg_bind *b, uint32_t link, const uint8_t *buf, size_t len)
{
	struct dcbind *d = (struct dcbind *)b;
	struct link *l = find_link(d, link);
	struct rg_wg_endpoint ep;

	if (l == NULL)
		return;
	if (len == 0 || len > RG_WG_MAX_PACKET + RG_WG_OVERHEAD) {
		/* the peer's channel carries something else: not worth the device's time */
		if (l->info.bad_input++ == 0)
			core_log_warn("dcbind", l->peer,
				      "a message of %zu bytes is no WireGuard datagram: dropped "
				      "(and any more, counted)",
				      len);
		return;
	}
	l->info.rx_msgs++;
	l->info.rx_bytes += len;
	l->info.rx_since_sample = true;
	rg_dcbind_endpoint(link, &ep);
	b->recv(b->ctx, &ep, buf, len);
	if (d->burst == NULL) {
		/* libnice reads its socket dry in one dispatch: one idle call for all of it */
		d->burst = g_idle_source_new();
		g_source_set_priority(d->burst, G_PRIORITY_DEFAULT);
		g_source_set_callback(d->burst, burst_over, d, NULL);
		g_source_attach(d->burst, d->context);
	}
}

void rg_dcbind_set_remote(struct rg_wg_bind *b, uint32_t link, const char *addr)
{
	struct link *l = find_link((struct dcbind *)b, link);

	if (l == NULL)
		return;
	g_free(l->remote);
	l->remote = g_strdup(addr);
}

int rg_dcbind_link_info(const struct rg_wg_bind *b, uint32_t link, struct rg_dcbind_link_info *out)
{
	const struct link *l = find_link((const struct dcbind *)b, link);

	if (l == NULL)
		return CORE_ERR_NOT_FOUND;
	*out = l->info;
	return CORE_OK;
}

void rg_dcbind_sample(struct rg_wg_bind *b, uint32_t link, bool *rx, bool *tx)
{
	struct link *l = find_link((struct dcbind *)b, link);

	*rx = *tx = false;
	if (l == NULL)
		return;
	*rx = l->info.rx_since_sample;
	*tx = l->info.tx_since_sample;
	l->info.rx_since_sample = l->info.tx_since_sample = false;
}
