/*
 * uapi_server.h - wg(8)'s userspace API socket for one interface:
 * /var/run/wireguard/IFNAME.sock (directory 0755, socket 0600, root's).
 * Answers "get=1"; "set=1" is refused with errno=-95 (EOPNOTSUPP, negative
 * as wireguard-go sends it and wg(8) reads it: "Operation not supported"),
 * anything else with errno=-22: configuration comes from the file.
 *
 * Ownership: the creator frees it (the socket file is removed). The device
 * and the bind (which formats the endpoints) must outlive it. Threading: the
 * thread-default main context.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rift/wg/bind.h"
#include "rift/wg/device.h"

struct rg_wg_uapi_server;

/* CORE_OK or CORE_ERR_SYSTEM with *error set. */
int rg_wg_uapi_server_new(struct rg_wg_uapi_server **out, const char *ifname,
			  const struct rg_wg_device *dev, const struct rg_wg_bind *bind,
			  uint16_t listen_port, GError **error);
void rg_wg_uapi_server_free(struct rg_wg_uapi_server *s);

/*
 * Client side, for `riftgate wg show`: send "get=1" to IFNAME's socket and
 * return the answer (g_free). NULL with *error set.
 */
char *rg_wg_uapi_query(const char *ifname, GError **error);
