/* conn.c - dispatch from the generic connection API to its transport. */
#include "goet/net/conn-priv.h"

#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/glue.h"

static unsigned conn_live;

void gt_conn_base_init(struct gt_conn *c, const struct gt_conn_vtable *vt, const char *id)
{
	conn_live++;
	memset(c, 0, sizeof(*c));
	c->last_rx_us = core_time_now_us();
	c->vt = vt;
	g_strlcpy(c->id, id, sizeof(c->id));
}

void gt_conn_set_callbacks(struct gt_conn *c, const struct gt_conn_callbacks *cb, void *data)
{
	c->cb = *cb;
	c->cb_data = data;
}

int gt_conn_send(struct gt_conn *c, enum gt_channel ch, const struct gt_msg *m)
{
	return c->vt->send(c, ch, m);
}

void gt_conn_pause_recv(struct gt_conn *c, bool paused)
{
	c->vt->pause_recv(c, paused);
}

size_t gt_conn_send_room(const struct gt_conn *c, enum gt_channel ch)
{
	return c->vt->send_room(c, ch);
}

void gt_conn_close(struct gt_conn *c, uint64_t code, const char *reason)
{
	core_source_clear(&c->heartbeat);
	core_source_clear(&c->ack_timer);
	c->vt->close(c, code, reason);
}

enum gt_proto_version gt_conn_version(const struct gt_conn *c)
{
	return c->version;
}

const char *gt_conn_transport(const struct gt_conn *c)
{
	return c->vt->name;
}

const char *gt_conn_id(const struct gt_conn *c)
{
	return c->id;
}

void gt_conn_peer(const struct gt_conn *c, struct core_addr *out)
{
	c->vt->peer(c, out);
}

void gt_conn_get_stats(const struct gt_conn *c, struct gt_conn_stats *out)
{
	c->vt->stats(c, out);
}

void gt_conn_base_rx(struct gt_conn *c)
{
	c->last_rx_us = core_time_now_us();
}

void gt_conn_base_finish(struct gt_conn *c)
{
	core_source_clear(&c->heartbeat);
	core_source_clear(&c->ack_timer);
	conn_live--;
}

/* A Heartbeat, with the ack on goet-v2 once there is one; false when the queue was full. */
static bool conn_send_heartbeat(struct gt_conn *c)
{
	struct gt_msg m = { .type = GT_MSG_HEARTBEAT };

	m.u.heartbeat.timestamp_ms = core_time_wall_ms();
	m.u.heartbeat.has_ack = c->version == GT_PROTO_V2 && c->ack_any;
	m.u.heartbeat.ack_seq = c->ack_seq;
	if (c->vt->send(c, GT_CHANNEL_CONTROL, &m) != CORE_OK)
		return false;
	if (m.u.heartbeat.has_ack) {
		c->ack_sent_seq = c->ack_seq;
		c->ack_bytes = 0;
	}
	return true;
}

static gboolean conn_ack_cb(gpointer p)
{
	struct gt_conn *c = p;

	if (c->ack_sent_seq != c->ack_seq && !conn_send_heartbeat(c))
		return G_SOURCE_CONTINUE; /* queue full: try again shortly */
	c->ack_timer = 0;
	return G_SOURCE_REMOVE;
}

void gt_conn_delivered(struct gt_conn *c, uint64_t seq, size_t n)
{
	if (c->version != GT_PROTO_V2)
		return;
	c->ack_seq = seq;
	c->ack_any = true;
	c->ack_bytes += n;
	if (c->ack_bytes >= GT_CONN_ACK_BYTES && conn_send_heartbeat(c))
		return;
	if (c->ack_timer == 0)
		c->ack_timer = g_timeout_add(GT_CONN_ACK_DELAY_MS, conn_ack_cb, c);
}

/* Heartbeat tick: first the silence check (as the reference), then the beat. */
static gboolean conn_heartbeat_cb(gpointer p)
{
	struct gt_conn *c = p;
	int64_t silent = core_time_now_us() - c->last_rx_us;
	char reason[64];

	if (c->hb_dead_us > 0 && silent > c->hb_dead_us) {
		g_snprintf(reason, sizeof(reason), "peer silent for %" G_GINT64_FORMAT " s",
			   silent / CORE_USEC_PER_SEC);
		c->heartbeat = 0;
		c->vt->fail(c, CORE_ERR_TIMEOUT, reason);
		return G_SOURCE_REMOVE;
	}
	conn_send_heartbeat(c); /* a full queue skips one beat */
	return G_SOURCE_CONTINUE;
}

void gt_conn_set_heartbeat(struct gt_conn *c, int64_t interval_us, int64_t dead_after_us)
{
	core_source_clear(&c->heartbeat);
	c->hb_interval_us = interval_us;
	c->hb_dead_us = dead_after_us;
	c->last_rx_us = core_time_now_us();
	if (interval_us > 0)
		c->heartbeat =
			g_timeout_add((guint)((interval_us + 999) / 1000), conn_heartbeat_cb, c);
}

int64_t gt_conn_last_rx_us(const struct gt_conn *c)
{
	return c->last_rx_us;
}

unsigned gt_conn_live_count(void)
{
	return conn_live;
}
