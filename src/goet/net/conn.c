/* conn.c - dispatch from the generic connection API to its transport. */
#include "goet/net/conn-priv.h"

#include <string.h>

static unsigned conn_live;

void gt_conn_base_init(struct gt_conn *c, const struct gt_conn_vtable *vt, const char *id)
{
	conn_live++;
	memset(c, 0, sizeof(*c));
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

void gt_conn_base_finish(struct gt_conn *c)
{
	conn_live--;
}

unsigned gt_conn_live_count(void)
{
	return conn_live;
}
