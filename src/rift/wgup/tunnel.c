/*
 * tunnel.c - TUN + UDP + WireGuard device on a main loop (contract in
 * tunnel.h). Packets are read from the TUN in bursts, encrypted and queued
 * on the bind, which flushes them with one sendmmsg per burst; datagrams
 * arrive in recvmmsg batches and decrypted packets are written to the TUN.
 * One GSource with a ready time runs the device's timers.
 */
#include "rift/wgup/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/tun/tun.h"
#include "rift/wg/udp.h"
#include "rift/wgup/uapi_server.h"

#define TUN_BURST 64

struct rg_wg_tunnel {
	struct rg_wg_device *dev;
	struct rg_wg_bind *bind;
	struct rg_tun *tun;
	GSource *tun_source;
	GSource *timer;
	struct rg_wg_uapi_server *uapi;
	uint8_t buf[RG_WG_MAX_PACKET];
};

static uint64_t now_ns(void)
{
	return (uint64_t)g_get_monotonic_time() * 1000;
}

/* Arm the timer source for the device's next deadline. */
static void rearm(struct rg_wg_tunnel *t)
{
	uint64_t d = rg_wg_device_deadline(t->dev);

	g_source_set_ready_time(t->timer, d == UINT64_MAX ? -1 : (gint64)(d / 1000));
}

static gboolean on_timer(gpointer data)
{
	struct rg_wg_tunnel *t = data;

	rg_wg_device_tick(t->dev, now_ns());
	rg_wg_bind_flush(t->bind);
	rearm(t);
	return G_SOURCE_CONTINUE;
}

/* A source with only a ready time: it runs its callback when that time comes. */
static gboolean dispatch_timer(GSource *source, GSourceFunc cb, gpointer data)
{
	return cb(data);
}

static GSourceFuncs timer_funcs = { .dispatch = dispatch_timer };

static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	struct rg_wg_tunnel *t = ctx;

	rg_wg_bind_send(t->bind, to, buf, len);
}

static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	struct rg_wg_tunnel *t = ctx;

	/* a full TUN queue drops the packet, as a full link would */
	if (write(rg_tun_fd(t->tun), pkt, len) < 0 && errno != EAGAIN)
		core_log_warn("wg", rg_tun_name(t->tun), "write to TUN: %s", g_strerror(errno));
}

static void op_random(void *ctx, void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*s = ts.tv_sec;
	*ns = (uint32_t)ts.tv_nsec;
}

static const struct rg_wg_device_ops device_ops = { op_send, op_deliver, op_random, op_wallclock };

static void on_datagram(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf,
			size_t len)
{
	struct rg_wg_tunnel *t = ctx;

	rg_wg_device_recv(t->dev, from, buf, len, now_ns());
}

static void on_bind_idle(void *ctx)
{
	struct rg_wg_tunnel *t = ctx;

	rg_wg_bind_flush(t->bind);
	rearm(t);
}

static gboolean on_tun_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct rg_wg_tunnel *t = data;
	uint64_t now = now_ns();

	for (int i = 0; i < TUN_BURST; i++) {
		ssize_t n = read(fd, t->buf, sizeof(t->buf));

		if (n <= 0)
			break;
		rg_wg_device_send(t->dev, t->buf, (size_t)n, now);
	}
	rg_wg_bind_flush(t->bind);
	rearm(t);
	return G_SOURCE_CONTINUE;
}

/* Resolve "host:port" (numeric or a name) to an address. */
static int resolve(const char *text, struct core_addr *out, GError **error)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char *host = NULL, port[8];
	uint16_t p;
	int ret, gai;

	ret = core_addr_split_host_port(text, &host, &p);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "bad endpoint \"%s\"", text);
		goto out;
	}
	g_snprintf(port, sizeof(port), "%u", p);
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		ret = CORE_ERR_NOT_FOUND;
		core_err_to_gerror(error, ret, "cannot resolve endpoint \"%s\": %s", text,
				   gai_strerror(gai));
		goto out;
	}
	ret = core_addr_from_sockaddr(out, res->ai_addr, res->ai_addrlen);
out:
	if (res != NULL)
		freeaddrinfo(res);
	g_free(host);
	return ret;
}

static int af_of(int family)
{
	return family == 4 ? AF_INET : AF_INET6;
}

static int add_peer(struct rg_wg_tunnel *t, const struct rg_wg_conf_peer *cp, GError **error)
{
	struct rg_wg_peer *peer;
	struct rg_wg_endpoint ep;
	struct core_addr addr;
	char b64[RG_WG_KEY_B64_LEN + 1];
	int ret;

	rg_wg_key_to_base64(cp->public_key, b64);
	ret = rg_wg_device_add_peer(t->dev, cp->public_key, cp->has_psk ? cp->psk : NULL, &peer);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "peer %s: not a usable public key", b64);
		return ret;
	}
	for (size_t i = 0; i < cp->n_allowed; i++) {
		const struct rg_wg_prefix *p = &cp->allowed[i];

		rg_wg_peer_add_allowed_ip(peer, p->family, p->addr, p->len);
		if (p->len == 0) {
			core_log_warn("wg", rg_tun_name(t->tun),
				      "peer %s: not routing a default route into the tunnel", b64);
			continue;
		}
		ret = rg_tun_add_route(t->tun, af_of(p->family), p->addr, p->len, error);
		if (ret != CORE_OK)
			return ret;
	}
	if (cp->endpoint != NULL) {
		if ((ret = resolve(cp->endpoint, &addr, error)) != CORE_OK)
			return ret;
		rg_wg_udp_endpoint_from_addr(&ep, &addr);
		rg_wg_peer_set_endpoint(peer, &ep);
	}
	return CORE_OK;
}

static int setup_tun(struct rg_wg_tunnel *t, const struct rg_wg_conf *conf, const char *ifname,
		     GError **error)
{
	int ret;

	if ((ret = rg_tun_open(&t->tun, ifname, error)) != CORE_OK ||
	    (ret = rg_tun_set_mtu(t->tun, conf->mtu, error)) != CORE_OK)
		return ret;
	for (size_t i = 0; i < conf->n_addresses; i++) {
		const struct rg_wg_prefix *a = &conf->addresses[i];

		ret = rg_tun_add_address(t->tun, af_of(a->family), a->addr, a->len, error);
		if (ret != CORE_OK)
			return ret;
	}
	return rg_tun_set_up(t->tun, error);
}

int rg_wg_tunnel_up(struct rg_wg_tunnel **out, const struct rg_wg_conf *conf, const char *ifname,
		    GError **error)
{
	struct rg_wg_tunnel *t = g_new0(struct rg_wg_tunnel, 1);
	struct rg_wg_peer *peer = NULL;
	int ret;

	*out = NULL;
	ret = rg_wg_device_new(&t->dev, conf->private_key, &device_ops, t);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "the private key has no valid public key");
		goto out;
	}
	rg_wg_device_set_mtu(t->dev, conf->mtu);
	if ((ret = rg_wg_udp_bind_new(&t->bind, conf->listen_port, NULL, error)) == CORE_OK) {
		t->bind->recv = on_datagram;
		t->bind->idle = on_bind_idle;
		t->bind->ctx = t;
	}
	if (ret != CORE_OK || (ret = setup_tun(t, conf, ifname, error)) != CORE_OK)
		goto out;
	for (size_t i = 0; i < conf->n_peers; i++)
		if ((ret = add_peer(t, &conf->peers[i], error)) != CORE_OK)
			goto out;
	if ((ret = rg_wg_uapi_server_new(&t->uapi, rg_tun_name(t->tun), t->dev, t->bind,
					 rg_wg_udp_bind_port(t->bind), error)) != CORE_OK)
		goto out;
	t->timer = g_source_new(&timer_funcs, sizeof(GSource));
	g_source_set_callback(t->timer, on_timer, t, NULL);
	g_source_attach(t->timer, NULL);
	t->tun_source = g_unix_fd_source_new(rg_tun_fd(t->tun), G_IO_IN);
	g_source_set_callback(t->tun_source, G_SOURCE_FUNC(on_tun_readable), t, NULL);
	g_source_attach(t->tun_source, NULL);
	/* persistent keepalives start at once (and with them the handshakes) */
	for (size_t i = 0; i < conf->n_peers; i++) {
		peer = rg_wg_device_find_peer(t->dev, conf->peers[i].public_key);
		rg_wg_peer_set_keepalive(peer, conf->peers[i].keepalive_s, now_ns());
	}
	rg_wg_bind_flush(t->bind);
	rearm(t);
	*out = t;
out:
	if (ret != CORE_OK)
		rg_wg_tunnel_down(t);
	return ret;
}

void rg_wg_tunnel_down(struct rg_wg_tunnel *t)
{
	if (t == NULL)
		return;
	rg_wg_uapi_server_free(t->uapi);
	if (t->tun_source != NULL) {
		g_source_destroy(t->tun_source);
		g_source_unref(t->tun_source);
	}
	if (t->timer != NULL) {
		g_source_destroy(t->timer);
		g_source_unref(t->timer);
	}
	rg_wg_bind_free(t->bind);
	rg_tun_close(t->tun);
	rg_wg_device_free(t->dev);
	g_free(t);
}

const char *rg_wg_tunnel_ifname(const struct rg_wg_tunnel *t)
{
	return rg_tun_name(t->tun);
}

uint16_t rg_wg_tunnel_port(const struct rg_wg_tunnel *t)
{
	return rg_wg_udp_bind_port(t->bind);
}

struct rg_wg_device *rg_wg_tunnel_device(struct rg_wg_tunnel *t)
{
	return t->dev;
}
