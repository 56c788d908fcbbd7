/*
 * tunnel.h - `riftgate wg up`: a plain WireGuard interface over UDP,
 * configured from a wg-quick style file. A UDP bind on ListenPort and a
 * runner (runner.h: the TUN, the device, the UAPI socket at
 * /var/run/wireguard/IFNAME.sock, on the thread-default GLib main context,
 * with the TUN's offloads unless opts says no) carry it; this layer adds the file's peers, resolving each Endpoint once
 * (getaddrinfo), and starts their persistent keepalives.
 *
 * Routes: each peer's allowed IPs are routed into the interface, except
 * default routes (/0), which would also capture the tunnel's own UDP
 * traffic; those are skipped with a warning.
 *
 * Ownership: rg_wg_tunnel_down frees everything and removes the interface
 * and the socket. Threading: the main context's thread only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rift/wg/conf.h"
#include "rift/wg/device.h"

struct rg_wg_tunnel;

/* How to run it; rg_wg_tunnel_up's NULL means RG_WG_TUNNEL_OPTS_DEFAULT. */
struct rg_wg_tunnel_opts {
	bool no_offload; /* a plain TUN (runner.h, config.offload); default: the kernel's offloads */
	int crypto_workers; /* threads for the crypto (runner.h); -1: one per core but one */
};
#define RG_WG_TUNNEL_OPTS_DEFAULT                                                                  \
	{                                                                                          \
		.no_offload = false, .crypto_workers = -1                                          \
	}

/* CORE_OK or a core error with *error set to a message fit for the user. */
int rg_wg_tunnel_up(struct rg_wg_tunnel **out, const struct rg_wg_conf *conf, const char *ifname,
		    const struct rg_wg_tunnel_opts *opts, GError **error);
void rg_wg_tunnel_down(struct rg_wg_tunnel *t);

const char *rg_wg_tunnel_ifname(const struct rg_wg_tunnel *t);
uint16_t rg_wg_tunnel_port(const struct rg_wg_tunnel *t);
struct rg_wg_device *rg_wg_tunnel_device(struct rg_wg_tunnel *t);
