/*
 * gateway.h - what a device that advertises routes (its LAN) runs so that
 * its peers reach that LAN through the tunnel: IPv4 forwarding on the TUN
 * and on each LAN interface, and masquerade of the tunnel's subnet out of
 * each LAN interface (so LAN hosts answer without a route to the tunnel).
 *
 * LAN interfaces: those owning an IPv4 address inside an advertised IPv4
 * route (loopback and the TUN excluded), found over rtnetlink. A route no
 * interface has an address in is skipped with a warning naming it; IPv6
 * routes likewise (forwarding and NAT are IPv4 only, as in the reference).
 *
 * Forwarding (rift/tun/fwd.h) is switched on per interface, never globally.
 * Only interfaces that were off are switched back off at stop; those
 * already on are left alone. Masquerade is one nftables table of ours
 * (rift/tun/nft.h), deleted whole at stop.
 *
 * Crash safety: before changing anything the gateway writes what it is
 * about to change to a state file (rift/tun/gwstate.h: the table, and the
 * interfaces it switches on), atomically; a clean stop removes the file.
 * rg_gw_cleanup, which the agent calls at start (rg_gw_start calls it too),
 * undoes what a killed gateway left: forwarding back off, table deleted,
 * file removed. Without a state path there is no crash safety (tests).
 *
 * Watchdog (the agent calls rg_gw_watchdog every RG_GW_WATCHDOG_S):
 * NetworkManager switches per-interface forwarding off on DHCP renewal and
 * resume; the watchdog switches it on again (and from then on counts it as
 * switched on by us), re-creates the table if it vanished, and follows the
 * LAN interfaces as they come and go (a LAN that got its address after the
 * start is picked up; the table is replaced with the new rule set).
 *
 * Log lines (component "gateway") name their interface, route or table.
 * Errors: CORE_OK or a negative CORE_ERR_* code; *error (domain CORE_ERROR,
 * same code) names the interface and the kernel's reason: "cannot switch
 * forwarding on for eth0: Operation not permitted".
 *
 * Needs CAP_NET_ADMIN in the network namespace. Ownership: rg_gw_start
 * hands the caller a gateway freed with rg_gw_free; the configuration is
 * copied. Threading: none; the calls block on netlink (each request at most
 * RG_NL_TIMEOUT_MS).
 */
#pragma once

#include <glib.h>
#include <stddef.h>

#include "rift/tun/ifaddr.h"
#include "rift/wg/conf.h"

#define RG_GW_WATCHDOG_S    30 /* the reference's period: NetworkManager acts within it */
#define RG_GW_DEFAULT_STATE "/run/riftgate/gateway.state"

struct rg_gw;

struct rg_gw_config {
	const char *tun;		   /* the TUN's name: "riftgate0" (must exist) */
	struct rg_wg_prefix tunnel;	   /* this device's tunnel address: 10.0.0.1/24 (IPv4) */
	const struct rg_wg_prefix *routes; /* advertised routes, already validated
					      (rg_route_validate, RG_ROUTE_OURS) */
	size_t n_routes;
	const char *table;	/* nftables table (family ip); NULL: "riftgate" */
	const char *state_path; /* NULL: no state file, no crash safety */
};

/*
 * Clean up after a gateway that did not stop cleanly, then start one:
 * forwarding on for the TUN and the LAN interfaces (state file first),
 * the masquerade table. All or nothing: on failure what was done is undone
 * and *out is NULL. CORE_OK; CORE_ERR_INVALID_ARG (no TUN name, a tunnel
 * that is not IPv4, a bad table name); CORE_ERR_NOT_FOUND ("no interface
 * riftgate0"); CORE_ERR_SYSTEM (the kernel refused, the state file could
 * not be written); CORE_ERR_TIMEOUT; CORE_ERR_BAD_FORMAT; CORE_ERR_CONFIG
 * (an unparsable state file from before: left in place).
 */
int rg_gw_start(struct rg_gw **out, const struct rg_gw_config *cfg, GError **error);

/*
 * Put back what was changed behind the gateway's back (see above). Best
 * effort: every step is tried; the first failure is returned (codes as
 * rg_gw_start). CORE_ERR_CLOSED after rg_gw_stop.
 */
int rg_gw_watchdog(struct rg_gw *gw, GError **error);

/*
 * Undo: forwarding off where the gateway switched it on (an interface gone
 * meanwhile is skipped), the table deleted, the state file removed. When a
 * step fails the state file stays, for rg_gw_cleanup to finish the job at
 * the next start; calling rg_gw_stop again retries. CORE_OK (also when
 * already stopped), CORE_ERR_SYSTEM, CORE_ERR_TIMEOUT, CORE_ERR_BAD_FORMAT.
 */
int rg_gw_stop(struct rg_gw *gw, GError **error);

/* rg_gw_stop (a failure is logged) and free. NULL-safe. */
void rg_gw_free(struct rg_gw *gw);

/* The LAN interfaces masqueraded now, NULL-terminated (valid until the next call on gw). */
const char *const *rg_gw_lans(const struct rg_gw *gw);

/*
 * Undo what the state file at state_path records (forwarding off for its
 * interfaces that still exist, its table deleted), delete table `table` too
 * if there is one (NULL: "riftgate"), and remove the file. Nothing to do is
 * CORE_OK. The file stays when a step fails. Codes as rg_gw_stop, and
 * CORE_ERR_CONFIG for an unparsable file (left in place), CORE_ERR_INVALID_ARG
 * for a bad table name.
 */
int rg_gw_cleanup(const char *state_path, const char *table, GError **error);

/*
 * Pure: the LAN interfaces for routes among ifaddrs (rg_ifaddr_list): for
 * each IPv4 route, each interface other than loopback and tun_ifindex with
 * an IPv4 address inside the route; every interface once, in the order
 * found (the element of its first such address). When orphans is not NULL,
 * the index of every IPv4 route without any such interface is appended to
 * it (a GArray of size_t). Returns a new GArray of struct rg_ifaddr.
 */
GArray *rg_gw_find_lans(const GArray *ifaddrs, const struct rg_wg_prefix *routes, size_t n,
			int tun_ifindex, GArray *orphans);
