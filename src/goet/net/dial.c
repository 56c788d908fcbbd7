/* dial.c - resolve, try each address, report once (contract in dial.h). */
#include "goet/net/dial-priv.h"

#include <gio/gio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"

struct gt_dial {
	struct gt_dial_config cfg;
	char *host;
	const struct gt_dial_transport *tr;
	gt_dial_fn fn;
	void *data;
	GCancellable *cancel;
	GList *addrs;	     /* GInetAddress, still to try */
	GPtrArray *attempts; /* the transport's attempts in progress (predial: one per address) */
	guint timer;
	guint idle;
	struct core_deadline deadline;
	int last_err;
	char last_reason[160];
};

const struct gt_dial_config *gt_dial_get_config(const struct gt_dial *d)
{
	return &d->cfg;
}

int64_t gt_dial_remaining_us(const struct gt_dial *d)
{
	return core_deadline_remaining_us(&d->deadline, core_time_now_us());
}

/* Abort every attempt still running (but keep): they report nothing. */
static void dial_abort_all(struct gt_dial *d, void *keep)
{
	while (d->attempts->len > 0) {
		void *a = g_ptr_array_steal_index_fast(d->attempts, d->attempts->len - 1);

		if (a != keep)
			d->tr->abort(a);
	}
}

/* End the dial: free it, then run the callback once. */
static void dial_finish(struct gt_dial *d, struct gt_conn *c, int err, const char *reason)
{
	gt_dial_fn fn = d->fn;
	void *data = d->data;
	char why[sizeof(d->last_reason)];

	/* reason may point into d, which is freed before the callback runs */
	g_strlcpy(why, reason, sizeof(why));
	dial_abort_all(d, c);
	g_ptr_array_free(d->attempts, TRUE);
	core_source_clear(&d->timer);
	core_source_clear(&d->idle);
	if (d->cancel != NULL)
		g_cancellable_cancel(d->cancel);
	g_clear_object(&d->cancel);
	g_list_free_full(d->addrs, g_object_unref);
	g_free(d->host);
	core_wipe(d->cfg.passkey, sizeof(d->cfg.passkey));
	g_free(d);
	if (fn != NULL)
		fn(c, err, why, data);
}

/*
 * Try the next address, or report the last failure. A predial tries every
 * address at once: none of them fails fast while the session is not
 * listening yet, so one at a time would wait for the first to time out.
 */
static void dial_next(struct gt_dial *d)
{
	char reason[160];

	while (d->addrs != NULL) {
		GInetAddress *a = d->addrs->data;
		GSocketAddress *gsa = g_inet_socket_address_new(a, d->cfg.port);
		struct core_addr to;
		int r;

		d->addrs = g_list_delete_link(d->addrs, d->addrs);
		r = core_addr_from_gsocketaddress(&to, gsa);
		g_object_unref(gsa);
		g_object_unref(a);
		if (r == CORE_OK) {
			void *att = NULL;

			r = d->tr->start(d, &to, &att, reason, sizeof(reason));
			if (r == CORE_OK)
				g_ptr_array_add(d->attempts, att);
		} else {
			g_strlcpy(reason, "unusable address", sizeof(reason));
		}
		if (r == CORE_OK && !d->cfg.predial)
			return;
		if (r != CORE_OK) {
			d->last_err = r;
			g_strlcpy(d->last_reason, reason, sizeof(d->last_reason));
		}
	}
	if (d->attempts->len > 0)
		return; /* predial: they report */
	dial_finish(d, NULL, d->last_err != CORE_OK ? d->last_err : CORE_ERR_NOT_FOUND,
		    d->last_reason[0] ? d->last_reason : "no address to try");
}

void gt_dial_attempt_failed(struct gt_dial *d, void *attempt, int err, const char *reason)
{
	g_ptr_array_remove_fast(d->attempts, attempt);
	d->last_err = err;
	g_strlcpy(d->last_reason, reason, sizeof(d->last_reason));
	/* an authentication failure is final: another address is the same session */
	if (err == CORE_ERR_AUTH) {
		dial_finish(d, NULL, err, d->last_reason);
		return;
	}
	dial_next(d);
}

void gt_dial_succeeded(struct gt_dial *d, struct gt_conn *c)
{
	dial_finish(d, c, CORE_OK, "connected");
}

static gboolean dial_timeout_cb(gpointer p)
{
	struct gt_dial *d = p;

	d->timer = 0;
	dial_finish(d, NULL, CORE_ERR_TIMEOUT,
		    d->last_reason[0] ? d->last_reason : "timed out connecting");
	return G_SOURCE_REMOVE;
}

static void dial_resolved(GObject *src, GAsyncResult *res, gpointer p)
{
	struct gt_dial *d = p;
	GError *e = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res, &e);

	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(e);
		return; /* d is already gone */
	}
	if (addrs == NULL) {
		char reason[160];

		g_snprintf(reason, sizeof(reason), "cannot resolve %s: %s", d->host,
			   e != NULL ? e->message : "no address");
		g_clear_error(&e);
		dial_finish(d, NULL, CORE_ERR_NOT_FOUND, reason);
		return;
	}
	d->addrs = addrs;
	dial_next(d);
}

static gboolean dial_start_cb(gpointer p)
{
	struct gt_dial *d = p;
	GInetAddress *a = g_inet_address_new_from_string(d->host);
	GResolver *r;

	d->idle = 0;
	if (a != NULL) {
		d->addrs = g_list_append(NULL, a);
		dial_next(d);
		return G_SOURCE_REMOVE;
	}
	r = g_resolver_get_default();
	d->cancel = g_cancellable_new();
	g_resolver_lookup_by_name_async(r, d->host, d->cancel, dial_resolved, d);
	g_object_unref(r);
	return G_SOURCE_REMOVE;
}

struct gt_dial *gt_dial_start(const struct gt_dial_config *cfg, gt_dial_fn fn, void *data)
{
	struct gt_dial *d = g_new0(struct gt_dial, 1);
	int64_t timeout = cfg->timeout_us > 0 ? cfg->timeout_us : GT_DIAL_TIMEOUT_US;

	d->cfg = *cfg;
	if (d->cfg.max_version == 0)
		d->cfg.max_version = GT_PROTO_V2;
	d->host = g_strdup(cfg->host);
	d->cfg.host = d->host;
	d->tr = cfg->transport == GT_TRANSPORT_TCP ? &gt_tcp_dial_transport
						   : &gt_quic_dial_transport;
	d->fn = fn;
	d->data = data;
	d->attempts = g_ptr_array_new();
	core_deadline_set(&d->deadline, core_time_now_us(), timeout);
	d->timer = g_timeout_add((guint)(timeout / 1000), dial_timeout_cb, d);
	d->idle = g_idle_add(dial_start_cb, d);
	return d;
}

void gt_dial_cancel(struct gt_dial *d)
{
	d->fn = NULL;
	dial_finish(d, NULL, CORE_ERR_CLOSED, "cancelled");
}

void gt_dial_redirect(struct gt_dial *d, gt_dial_fn fn, void *data)
{
	d->fn = fn;
	d->data = data;
}

void gt_dial_poke(struct gt_dial *d)
{
	if (d->tr->poke == NULL)
		return;
	for (guint i = 0; i < d->attempts->len; i++)
		d->tr->poke(g_ptr_array_index(d->attempts, i));
}
