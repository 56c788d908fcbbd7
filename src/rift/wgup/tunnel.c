/*
 * tunnel.c - `riftgate wg up` (contract in tunnel.h): a wg-quick style
 * configuration made into a UDP bind, a runner (runner.h) around it, and
 * the peers: endpoints resolved once, a route for each allowed IP,
 * keepalives started.
 */
#include "rift/wgup/tunnel.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/wg/udp.h"
#include "rift/wgup/runner.h"

struct rg_wg_tunnel {
	struct rg_wg_runner *runner;
	uint16_t port; /* the UDP bind's */
};

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

/* Allowed IPs of a peer, each routed into the interface except default routes. */
static int add_allowed(struct rg_wg_tunnel *t, struct rg_wg_peer *peer,
		       const struct rg_wg_conf_peer *cp, const char *b64, GError **error)
{
	struct rg_tun *tun = rg_wg_runner_tun(t->runner);
	int ret;

	for (size_t i = 0; i < cp->n_allowed; i++) {
		const struct rg_wg_prefix *p = &cp->allowed[i];

		rg_wg_peer_add_allowed_ip(peer, p->family, p->addr, p->len);
		if (p->len == 0) {
			/* it would also capture the tunnel's own UDP datagrams */
			core_log_warn("wg", rg_tun_name(tun),
				      "peer %s: not routing a default route into the tunnel", b64);
			continue;
		}
		ret = rg_tun_add_route(tun, p->family == 4 ? AF_INET : AF_INET6, p->addr, p->len,
				       error);
		if (ret != CORE_OK)
			return ret;
	}
	return CORE_OK;
}

static int add_peer(struct rg_wg_tunnel *t, const struct rg_wg_conf_peer *cp, GError **error)
{
	struct rg_wg_peer *peer;
	struct rg_wg_endpoint ep;
	struct core_addr addr;
	char b64[RG_WG_KEY_B64_LEN + 1];
	int ret;

	rg_wg_key_to_base64(cp->public_key, b64);
	ret = rg_wg_device_add_peer(rg_wg_runner_device(t->runner), cp->public_key,
				    cp->has_psk ? cp->psk : NULL, &peer);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "peer %s: not a usable public key", b64);
		return ret;
	}
	if ((ret = add_allowed(t, peer, cp, b64, error)) != CORE_OK)
		return ret;
	if (cp->endpoint != NULL) {
		if ((ret = resolve(cp->endpoint, &addr, error)) != CORE_OK)
			return ret;
		rg_wg_udp_endpoint_from_addr(&ep, &addr);
		rg_wg_peer_set_endpoint(peer, &ep);
	}
	/* persistent keepalives start at once (and with them the handshakes) */
	rg_wg_peer_set_keepalive(peer, cp->keepalive_s, rg_wg_runner_now());
	return CORE_OK;
}

int rg_wg_tunnel_up(struct rg_wg_tunnel **out, const struct rg_wg_conf *conf, const char *ifname,
		    const struct rg_wg_tunnel_opts *opts, GError **error)
{
	static const struct rg_wg_tunnel_opts defaults = RG_WG_TUNNEL_OPTS_DEFAULT;
	struct rg_wg_tunnel *t = g_new0(struct rg_wg_tunnel, 1);
	struct rg_wg_runner_config cfg = {
		.ifname = ifname,
		.mtu = conf->mtu,
		.private_key = conf->private_key,
		.addresses = conf->addresses,
		.n_addresses = conf->n_addresses,
	};

	if (opts == NULL)
		opts = &defaults;
	/* the UDP bind takes one datagram per segment and batches them (GSO) itself */
	cfg.offload = !opts->no_offload;
	/* the loop thread seals and opens too: one worker fewer than cores */
	cfg.crypto_workers = opts->crypto_workers >= 0 ? (unsigned)opts->crypto_workers
						       : g_get_num_processors() - 1;
	struct rg_wg_bind *bind = NULL;
	int ret;

	*out = NULL;
	ret = rg_wg_udp_bind_new(&bind, conf->listen_port, g_main_context_get_thread_default(),
				 error);
	if (ret != CORE_OK)
		goto out;
	t->port = cfg.listen_port = rg_wg_udp_bind_port(bind);
	if ((ret = rg_wg_runner_new(&t->runner, &cfg, bind, error)) != CORE_OK)
		goto out;
	for (size_t i = 0; i < conf->n_peers; i++)
		if ((ret = add_peer(t, &conf->peers[i], error)) != CORE_OK)
			goto out;
	rg_wg_runner_kick(t->runner);
	*out = t;
	t = NULL;
out:
	rg_wg_tunnel_down(t);
	return ret;
}

void rg_wg_tunnel_down(struct rg_wg_tunnel *t)
{
	if (t == NULL)
		return;
	rg_wg_runner_free(t->runner);
	g_free(t);
}

const char *rg_wg_tunnel_ifname(const struct rg_wg_tunnel *t)
{
	return rg_wg_runner_ifname(t->runner);
}

uint16_t rg_wg_tunnel_port(const struct rg_wg_tunnel *t)
{
	return t->port;
}

struct rg_wg_device *rg_wg_tunnel_device(struct rg_wg_tunnel *t)
{
	return rg_wg_runner_device(t->runner);
}
