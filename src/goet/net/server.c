/* server.c - QUIC and TCP listeners on one port number (contract in server.h). */
#include "goet/net/server.h"

#include <errno.h>

#include "core/err.h"
#include "core/log.h"
#include "goet/net/quic.h"
#include "goet/net/tcp.h"

/* Ephemeral UDP ports tried before giving up when TCP has the number taken. */
#define SERVER_PORT_TRIES 16

struct gt_server {
	struct gt_quic_server *quic;
	struct gt_tcp_server *tcp;
};

struct gt_server *gt_server_new(const struct gt_server_config *cfg, gt_server_accept_fn accept,
				void *data, GError **error)
{
	struct gt_server *s = g_new0(struct gt_server, 1);
	struct gt_server_config tcfg = *cfg;

	for (int i = 0; i < SERVER_PORT_TRIES; i++) {
		GError *e = NULL;

		s->quic = gt_quic_server_new(cfg, accept, data, error);
		if (s->quic == NULL)
			break;
		tcfg.port = gt_quic_server_port(s->quic);
		s->tcp = gt_tcp_server_new(&tcfg, accept, data, &e);
		if (s->tcp != NULL)
			return s;
		gt_quic_server_free(s->quic);
		s->quic = NULL;
		/* a fixed port, or another failure than "taken": report it */
		if (cfg->port != 0 || !g_str_has_suffix(e->message, g_strerror(EADDRINUSE)) ||
		    i + 1 == SERVER_PORT_TRIES) {
			g_propagate_error(error, e);
			break;
		}
		core_log_debug("server", NULL, "TCP port %u taken, trying another", tcfg.port);
		g_error_free(e);
	}
	g_free(s);
	return NULL;
}

uint16_t gt_server_port(const struct gt_server *s)
{
	return gt_quic_server_port(s->quic);
}

unsigned gt_server_conn_count(const struct gt_server *s)
{
	return gt_quic_server_conn_count(s->quic) + gt_tcp_server_conn_count(s->tcp);
}

void gt_server_set_passkey(struct gt_server *s, const uint8_t passkey[GT_PASSKEY_LEN])
{
	gt_quic_server_set_passkey(s->quic, passkey);
	gt_tcp_server_set_passkey(s->tcp, passkey);
}

void gt_server_free(struct gt_server *s)
{
	if (s == NULL)
		return;
	gt_quic_server_free(s->quic);
	gt_tcp_server_free(s->tcp);
	g_free(s);
}
