/* predial.c - a dial held for a client still to come (contract in predial.h). */
#include "goet/client/predial.h"

#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "core/clock.h"
#include "core/glue.h"

struct gt_predial {
	struct gt_dial *dial; /* running, or NULL once it reported */
	struct gt_conn *conn; /* the result, held paused */
	int err;
	char reason[160];
	guint hurry_timer;   /* gt_predial_hurry's, or 0 */
	int64_t hurry_until; /* core_time_now_us() */
};

static void held_message(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m, void *data)
{
	/* never: receiving is paused while held */
}

static void held_writable(struct gt_conn *c, void *data)
{
}

/* The held connection died before anyone took it: keep why. */
static void held_closed(struct gt_conn *c, int err, const char *reason, void *data)
{
	struct gt_predial *p = data;

	p->conn = NULL;
	p->err = err != CORE_OK ? err : CORE_ERR_CLOSED;
	g_strlcpy(p->reason, reason, sizeof(p->reason));
}

static const struct gt_conn_callbacks held_cb = {
	.message = held_message,
	.writable = held_writable,
	.closed = held_closed,
};

static void predial_done(struct gt_conn *c, int err, const char *reason, void *data)
{
	struct gt_predial *p = data;

	p->dial = NULL;
	p->err = err;
	g_strlcpy(p->reason, reason, sizeof(p->reason));
	if (c == NULL)
		return;
	p->conn = c;
	gt_conn_set_callbacks(c, &held_cb, p);
	gt_conn_pause_recv(c, true); /* the session's first messages wait for the client */
}

struct gt_predial *gt_predial_start(const struct gt_dial_config *cfg)
{
	struct gt_predial *p = g_new0(struct gt_predial, 1);
	struct gt_dial_config dc = *cfg;

	dc.predial = true;
	p->err = CORE_ERR_AGAIN;
	p->dial = gt_dial_start(&dc, predial_done, p);
	core_wipe(dc.passkey, sizeof(dc.passkey));
	return p;
}

void gt_predial_poke(struct gt_predial *p)
{
	if (p != NULL && p->dial != NULL)
		gt_dial_poke(p->dial);
}

static gboolean hurry_cb(gpointer data)
{
	struct gt_predial *p = data;

	if (p->dial == NULL || core_time_now_us() > p->hurry_until) {
		p->hurry_timer = 0;
		return G_SOURCE_REMOVE;
	}
	gt_dial_poke(p->dial);
	return G_SOURCE_CONTINUE;
}

void gt_predial_hurry(struct gt_predial *p)
{
	if (p == NULL || p->dial == NULL || p->hurry_timer != 0)
		return;
	p->hurry_until = core_time_now_us() + GT_PREDIAL_HURRY_MS * INT64_C(1000);
	p->hurry_timer = g_timeout_add(GT_PREDIAL_HURRY_STEP_MS, hurry_cb, p);
	gt_dial_poke(p->dial);
}

struct gt_dial *gt_predial_take(struct gt_predial *p, gt_dial_fn fn, void *data)
{
	struct gt_dial *d = p->dial;
	struct gt_conn *c = p->conn;
	char reason[sizeof(p->reason)];
	int err = p->err;

	g_strlcpy(reason, p->reason, sizeof(reason));
	core_source_clear(&p->hurry_timer);
	g_free(p);
	if (d != NULL) {
		gt_dial_redirect(d, fn, data);
		return d;
	}
	fn(c, c != NULL ? CORE_OK : err, reason, data);
	return NULL;
}

void gt_predial_free(struct gt_predial *p)
{
	if (p == NULL)
		return;
	core_source_clear(&p->hurry_timer);
	if (p->dial != NULL)
		gt_dial_cancel(p->dial);
	if (p->conn != NULL)
		gt_conn_close(p->conn, GT_CLOSE_OK, "not needed");
	g_free(p);
}
