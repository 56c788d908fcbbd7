/*
 * routes.h - which subnets may be routed into the tunnel: the routes this
 * device advertises (its LAN, from the configuration) and the routes it
 * accepts from a peer (what the peer advertises over signaling, narrowed
 * by this device's per-peer selection). Pure: no I/O, no clock, no state.
 *
 * A route is a prefix in canonical form: "192.168.1.0/24", "fd00:1::/64".
 * Refused, each with its own reason text:
 *   - anything that is not a prefix, and a prefix with host bits set
 *     ("10.0.0.1/24" is a typo of "10.0.0.0/24": the reason says so);
 *   - a default route and anything shorter than /8 (IPv4) or /16 (IPv6),
 *     which captures most of the internet (0.0.0.0/1 + 128.0.0.0/1 is a
 *     default route in two halves), unless the policy allows an exit node;
 *   - anything overlapping loopback (127.0.0.0/8, ::1/128), link-local
 *     (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4, ff00::/8) or
 *     "this network" (0.0.0.0/8, ::/128);
 *   - anything overlapping the tunnel subnet (a peer's route inside it
 *     would take another peer's tunnel address);
 *   - for a peer's route only: anything overlapping a local interface's
 *     subnet (accepting a peer LAN that overlaps your own LAN breaks local
 *     networking). The routes this device advertises are its own LAN, so
 *     they are not checked against its interfaces.
 * Overlap means one prefix contains the other (same family). An allowed
 * exit-node route (shorter than /8 or /16) necessarily contains the ranges
 * above, and the kernel's more specific local and connected routes win over
 * it: it is refused only when it lies inside one of them.
 *
 * Reasons read as one log line and start with the route as given, quoted
 * and escaped (it may come from a peer: control bytes become \xNN, long
 * text is cut with "..."):
 *   route "0.0.0.0/0": a default route (allow it with exit-node = true)
 *
 * The reference (bamgate) refused only the literal strings "0.0.0.0/0" and
 * "::/0", and routed a selection the peer no longer advertised; here a
 * selection is intersected with what the peer advertises now.
 *
 * Threading: pure functions, no state. Ownership: noted per function.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rift/wg/conf.h"

#define RG_ROUTE_REASON_LEN 192 /* a reason with the route text cut to 64 bytes, with the NUL */
#define RG_ROUTE_STRLEN	    50	/* "ffff:...:ffff/128" with the NUL */
#define RG_ROUTE_MIN_LEN4   8	/* IPv4 routes shorter than this need exit-node */
#define RG_ROUTE_MIN_LEN6   16	/* IPv6 routes shorter than this need exit-node */
#define RG_ROUTES_MAX	    256 /* routes considered per list; the rest are refused */

/* Where a route comes from: this device's configuration, or a peer. */
enum rg_route_origin {
	RG_ROUTE_OURS, /* advertised by this device: not checked against its interfaces */
	RG_ROUTE_PEER, /* advertised by a peer: must not overlap a local subnet */
};

/* A local interface's address, e.g. eth0's 192.168.1.20/24 (its subnet is what counts). */
struct rg_route_local {
	const char *ifname;	    /* "eth0", named in reasons; not NULL */
	struct rg_wg_prefix prefix; /* host bits may be set */
};

/* What a route is checked against. */
struct rg_route_policy {
	struct rg_wg_prefix tunnel;	    /* this device's tunnel address: 10.0.0.2/24 (host
					       bits may be set); family 0: none */
	const struct rg_route_local *local; /* local interface addresses (n_local of them) */
	size_t n_local;
	bool exit_node; /* allow default and other routes shorter than /8 or /16 */
};

/* The routes accepted from one peer, and why the others were not. */
struct rg_route_set {
	struct rg_wg_prefix *routes; /* canonical, no duplicates; NULL when n_routes is 0 */
	size_t n_routes;
	char **refused; /* one reason per refused route, NULL-terminated; never NULL */
};

/*
 * Parse text as a route: CORE_OK with *out the prefix (rest of addr zeroed),
 * or (*out zeroed, reason set) CORE_ERR_BAD_FORMAT:
 *   route "10.0.0/24": not a prefix like 192.168.1.0/24 or fd00::/64
 *   route "10.0.0.1/24": host bits set (did you mean 10.0.0.0/24?)
 * reason: RG_ROUTE_REASON_LEN bytes, always NUL-terminated ("" on success).
 */
int rg_route_parse(const char *text, struct rg_wg_prefix *out, char *reason);

/*
 * Check a parsed route p against the policy. text is the route as the user
 * or peer wrote it, for the reason (NULL: p formatted). CORE_OK, or
 * CORE_ERR_BAD_VALUE with one of (reason as rg_route_parse):
 *   route "0.0.0.0/0": a default route (allow it with exit-node = true)
 *   route "0.0.0.0/1": shorter than /8, most of the internet (allow it with exit-node = true)
 *   route "127.0.0.0/8": overlaps loopback 127.0.0.0/8
 *   route "169.254.1.0/24": overlaps link-local 169.254.0.0/16
 *   route "224.0.0.0/8": overlaps multicast 224.0.0.0/4
 *   route "0.0.0.0/8": overlaps "this network" 0.0.0.0/8
 *   route "10.0.0.0/16": overlaps the tunnel subnet 10.0.0.0/24
 *   route "192.168.1.0/24": overlaps eth0's subnet 192.168.1.0/24
 * (IPv6 alike: /16, ::1/128, fe80::/10, ff00::/8, ::/128.) CORE_ERR_INVALID_ARG
 * (reason "route: not an IPv4 or IPv6 prefix") for a p that is not one.
 */
int rg_route_check(const struct rg_wg_prefix *p, const char *text, enum rg_route_origin origin,
		   const struct rg_route_policy *policy, char *reason);

/* rg_route_parse then rg_route_check; their codes and reasons. */
int rg_route_validate(const char *text, enum rg_route_origin origin,
		      const struct rg_route_policy *policy, struct rg_wg_prefix *out, char *reason);

/*
 * The routes to accept from a peer that advertises `advertised` when this
 * device selected `selected` (both NULL-terminated texts; selected NULL
 * means "all": every advertised route).
 *
 * The result is the intersection of the two sets of addresses, as
 * prefixes: for each selected S and advertised A that overlap, the longer
 * of the two (selecting 192.168.0.0/16 from a peer that advertises
 * 192.168.1.0/24 gives 192.168.1.0/24; selecting 10.5.0.0/16 from an exit
 * node advertising 0.0.0.0/0 gives 10.5.0.0/16), each checked with
 * rg_route_check (origin RG_ROUTE_PEER); duplicates once, in selection
 * order. Refused, each with a reason in out->refused:
 *   any malformed entry of either list (rg_route_parse's reasons);
 *   route "10.9.0.0/16": not advertised by the peer
 *   what rg_route_check refuses;
 *   advertised: more than 256 routes, the rest ignored
 *   selected: more than 256 routes, the rest ignored
 * (once per list, when it has more than RG_ROUTES_MAX entries).
 *
 * out is overwritten; free it with rg_route_set_clear. Always CORE_OK
 * (a refusal is not an error); CORE_ERR_INVALID_ARG for NULL out or policy.
 */
int rg_route_accept(const char *const *advertised, const char *const *selected,
		    const struct rg_route_policy *policy, struct rg_route_set *out);

/* Free what rg_route_accept put in s and zero it. NULL-safe. */
void rg_route_set_clear(struct rg_route_set *s);

/* Whether a and b have the same family and one contains the other. */
bool rg_route_overlaps(const struct rg_wg_prefix *a, const struct rg_wg_prefix *b);

/* Whether outer contains inner (same family, outer no longer, same leading bits). */
bool rg_route_contains(const struct rg_wg_prefix *outer, const struct rg_wg_prefix *inner);

/* "192.168.1.0/24" into out (RG_ROUTE_STRLEN bytes), host bits as given; returns out. */
const char *rg_route_format(const struct rg_wg_prefix *p, char *out);
