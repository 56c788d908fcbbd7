/*
 * runner.h - a WireGuard interface on the main loop: a TUN device, a bind
 * (bind.h: UDP for `riftgate wg up`, data channels for the agent) and the
 * sans-I/O device (device.h) between them, with wg(8)'s UAPI socket at
 * /var/run/wireguard/IFNAME.sock so `wg show` and `riftgate wg show` can
 * inspect it.
 *
 * The runner moves packets and runs the device's timers; its owner
 * configures peers on rg_wg_runner_device (add, remove, allowed IPs,
 * endpoints, keepalives) and routes on rg_wg_runner_tun, then calls
 * rg_wg_runner_kick. Packets are read from the TUN in bursts, encrypted and
 * handed to the bind, which is flushed after each burst; datagrams the bind
 * receives are decrypted and written to the TUN (a full TUN queue drops the
 * packet, as a full link would). With offloads (config.offload) a read may
 * be a TCP or UDP super-packet of up to 64 KiB, cut into segments first,
 * and decrypted packets are coalesced until the bind's burst ends (its idle
 * callback, or rg_wg_runner_kick) and written as super-packets. One
 * GSource with a ready time runs the device's timers.
 *
 * Time: the device's clock is CLOCK_BOOTTIME nanoseconds (rg_wg_runner_now),
 * so key ages and handshake timers count time spent suspended. GLib's ready
 * times are CLOCK_MONOTONIC, which stops during suspend, so each time the
 * timer is armed its deadline is converted from the boot clock's distance
 * to it (rg_wg_runner_ready_time); every packet in or out re-arms it.
 *
 * Ownership: rg_wg_runner_new takes the bind; rg_wg_runner_free frees the
 * bind, the device and its peers, and removes the interface (with its
 * addresses and routes) and the UAPI socket. Threading: the thread-default
 * main context of the thread that created it, only; with crypto_workers,
 * that many threads besides run rg_wg_crypto_run on copies (cryptoq.h) and
 * touch nothing else.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/tun/tun.h"
#include "rift/wg/bind.h"
#include "rift/wg/conf.h"
#include "rift/wg/device.h"

struct rg_wg_runner;

struct rg_wg_runner_config {
	const char *ifname;		      /* wanted TUN name ("%d" allowed) */
	unsigned mtu;			      /* 0: RG_WG_DEFAULT_MTU */
	const uint8_t *private_key;	      /* RG_WG_KEY_LEN bytes, copied */
	const struct rg_wg_prefix *addresses; /* put on the TUN (host bits kept: 10.0.0.1/24) */
	size_t n_addresses;
	uint16_t listen_port; /* what wg(8) shows as listening port (0 for a bind without one) */
	/*
	 * Use the TUN's offloads (tun.h, rg_tun_open_offload): TCP (and UDP)
	 * super-packets read from the TUN are cut into segments (vnet.h) before
	 * the device, and the decrypted packets of a burst are coalesced
	 * (gro.h) before they are written. The bind still sees one datagram
	 * per segment. Off: a plain TUN, one packet per read and write.
	 */
	bool offload;
	/*
	 * Threads that seal and open transport data (cryptoq.h): the device
	 * hands them copies of keys and bytes and takes the results back on
	 * the loop, in order. 0: none, the device does it on the loop thread.
	 */
	unsigned crypto_workers;
};

/*
 * Takes bind (sets its recv/idle/ctx; frees it with the runner, also on
 * failure). Starts the crypto workers (if any); opens the TUN, sets its
 * MTU and addresses and brings it up;
 * makes the device (no peers); serves the UAPI socket; attaches TUN reading
 * and the timer source to the thread-default main context. CORE_OK with
 * *out set, or (*out NULL) an error with *error fit for the user:
 * CORE_ERR_BAD_VALUE (a private key with no valid public key),
 * CORE_ERR_INVALID_ARG (a bad interface name or address), CORE_ERR_SYSTEM
 * (no privilege, a busy name, a refused address, the UAPI socket, no
 * thread),
 * CORE_ERR_TIMEOUT (netlink did not answer).
 */
int rg_wg_runner_new(struct rg_wg_runner **out, const struct rg_wg_runner_config *cfg,
		     struct rg_wg_bind *bind, GError **error);
/* NULL-safe; removes the interface and socket. */
void rg_wg_runner_free(struct rg_wg_runner *r);

struct rg_wg_device *rg_wg_runner_device(struct rg_wg_runner *r);
struct rg_tun *rg_wg_runner_tun(struct rg_wg_runner *r);
struct rg_wg_bind *rg_wg_runner_bind(struct rg_wg_runner *r);
/* The interface's name as the kernel gave it. */
const char *rg_wg_runner_ifname(const struct rg_wg_runner *r);

/* The device's clock: nanoseconds of CLOCK_BOOTTIME (core_time_now_ns). */
uint64_t rg_wg_runner_now(void);
/*
 * After the owner changed the device (peers added or removed, keepalive,
 * endpoint, rg_wg_peer_initiate): send what the device queued and re-arm
 * the timer.
 */
void rg_wg_runner_kick(struct rg_wg_runner *r);

/*
 * GLib ready time (CLOCK_MONOTONIC microseconds) for a device deadline
 * (boot-clock ns): mono_now plus the distance from boot_now to deadline,
 * rounded up to a microsecond; 0 (at once) for a deadline that has passed,
 * -1 (never) for UINT64_MAX. Pure.
 */
gint64 rg_wg_runner_ready_time(uint64_t deadline, uint64_t boot_now, gint64 mono_now);
