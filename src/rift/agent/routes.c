/* routes.c - route validation and the routes accepted from a peer (see routes.h). */
#include "rift/agent/routes.h"

#include <arpa/inet.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/log.h"

#define ROUTE_TEXT_SHOWN 72 /* escaped route text in a reason: up to 68 bytes, then "..." */

/* A range no route may overlap (unless it is an allowed exit-node route). */
struct route_reserved {
	const char *what;
	struct rg_wg_prefix prefix;
};

static const struct route_reserved route_reserved[] = {
	{ "\"this network\"", { 4, { 0 }, 8 } },     { "loopback", { 4, { 127 }, 8 } },
	{ "link-local", { 4, { 169, 254 }, 16 } },   { "multicast", { 4, { 224 }, 4 } },
	{ "unspecified", { 6, { 0 }, 128 } },	     { "loopback", { 6, { [15] = 1 }, 128 } },
	{ "link-local", { 6, { 0xfe, 0x80 }, 10 } }, { "multicast", { 6, { 0xff }, 8 } },
};

/* Bits in an address of p's family: 32, 128, or 0 for neither. */
static unsigned route_bits(const struct rg_wg_prefix *p)
{
	if (p->family == 4)
		return 32;
	return p->family == 6 ? 128 : 0;
}

/* Whether a and b agree on their first n bits. */
static bool route_same_bits(const uint8_t *a, const uint8_t *b, unsigned n)
{
	unsigned whole = n / 8, rest = n % 8;
	uint8_t mask = (uint8_t)(0xff00u >> rest);

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

bool rg_route_contains(const struct rg_wg_prefix *outer, const struct rg_wg_prefix *inner)
{
	unsigned bits = route_bits(outer);

	if (bits == 0 || outer->family != inner->family || outer->len > inner->len ||
	    inner->len > bits)
		return false;
	return route_same_bits(outer->addr, inner->addr, outer->len);
}

bool rg_route_overlaps(const struct rg_wg_prefix *a, const struct rg_wg_prefix *b)
{
	return rg_route_contains(a, b) || rg_route_contains(b, a);
}

const char *rg_route_format(const struct rg_wg_prefix *p, char *out)
{
	char a[INET6_ADDRSTRLEN];

	if (route_bits(p) == 0 ||
	    inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)) == NULL)
		g_strlcpy(a, "?", sizeof(a));
	g_snprintf(out, RG_ROUTE_STRLEN, "%s/%u", a, p->len);
	return out;
}

/* p with its host bits cleared. */
static struct rg_wg_prefix route_masked(const struct rg_wg_prefix *p)
{
	struct rg_wg_prefix m = *p;
	unsigned bits = route_bits(p);

	for (unsigned i = p->len; i < bits; i++)
		m.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return m;
}

/* Set reason to `route "TEXT": <fmt...>` (TEXT escaped and cut) and return rc. */
static int G_GNUC_PRINTF(4, 5)
	route_refuse(char *reason, int rc, const char *text, const char *fmt, ...)
{
	char shown[ROUTE_TEXT_SHOWN], why[RG_ROUTE_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	core_log_escape(shown, sizeof(shown), text, strlen(text));
	g_snprintf(reason, RG_ROUTE_REASON_LEN, "route \"%s\": %s", shown, why);
	return rc;
}

int rg_route_parse(const char *text, struct rg_wg_prefix *out, char *reason)
{
	char want[RG_ROUTE_STRLEN];
	const char *slash;
	struct rg_wg_prefix as_written;

	memset(out, 0, sizeof(*out));
	reason[0] = '\0';
	if (core_cidr_parse(text, &out->family, out->addr, &out->len) != CORE_OK) {
		memset(out, 0, sizeof(*out));
		return route_refuse(reason, CORE_ERR_BAD_FORMAT, text,
				    "not a prefix like 192.168.1.0/24 or fd00::/64");
	}
	/* core_cidr_parse clears the host bits; compare with the address as written. */
	as_written = *out;
	slash = strchr(text, '/');
	g_strlcpy(want, text, MIN(sizeof(want), (size_t)(slash - text) + 1));
	if (inet_pton(out->family == 4 ? AF_INET : AF_INET6, want, as_written.addr) == 1 &&
	    memcmp(as_written.addr, out->addr, sizeof(out->addr)) != 0) {
		rg_route_format(out, want);
		memset(out, 0, sizeof(*out));
		return route_refuse(reason, CORE_ERR_BAD_FORMAT, text,
				    "host bits set (did you mean %s?)", want);
	}
	return CORE_OK;
}

/* The default-route and breadth rule: CORE_OK or CORE_ERR_BAD_VALUE with reason. */
static int route_check_breadth(const struct rg_wg_prefix *p, const char *text, bool exit_node,
			       char *reason)
{
	unsigned min = p->family == 4 ? RG_ROUTE_MIN_LEN4 : RG_ROUTE_MIN_LEN6;

	if (exit_node || p->len >= min)
		return CORE_OK;
	if (p->len == 0)
		return route_refuse(reason, CORE_ERR_BAD_VALUE, text,
				    "a default route (allow it with exit-node = true)");
	return route_refuse(
		reason, CORE_ERR_BAD_VALUE, text,
		"shorter than /%u, most of the internet (allow it with exit-node = true)", min);
}

/*
 * Whether p conflicts with range: overlaps it, or, for an allowed exit-node
 * route (wide), lies inside it (containing it is what an exit node does, and
 * the kernel's more specific local and connected routes win over it).
 */
static bool route_hits(const struct rg_wg_prefix *p, const struct rg_wg_prefix *range, bool wide)
{
	return wide ? rg_route_contains(range, p) : rg_route_overlaps(p, range);
}

/* Reserved ranges, the tunnel, the local subnets: CORE_OK or CORE_ERR_BAD_VALUE. */
static int route_check_overlaps(const struct rg_wg_prefix *p, const char *text, bool wide,
				enum rg_route_origin origin, const struct rg_route_policy *policy,
				char *reason)
{
	char s[RG_ROUTE_STRLEN];
	struct rg_wg_prefix net;

	for (size_t i = 0; i < G_N_ELEMENTS(route_reserved); i++) {
		if (route_hits(p, &route_reserved[i].prefix, wide))
			return route_refuse(reason, CORE_ERR_BAD_VALUE, text, "overlaps %s %s",
					    route_reserved[i].what,
					    rg_route_format(&route_reserved[i].prefix, s));
	}
	net = route_masked(&policy->tunnel);
	if (route_hits(p, &net, wide))
		return route_refuse(reason, CORE_ERR_BAD_VALUE, text,
				    "overlaps the tunnel subnet %s", rg_route_format(&net, s));
	for (size_t i = 0; origin == RG_ROUTE_PEER && i < policy->n_local; i++) {
		net = route_masked(&policy->local[i].prefix);
		if (route_hits(p, &net, wide))
			return route_refuse(reason, CORE_ERR_BAD_VALUE, text,
					    "overlaps %s's subnet %s", policy->local[i].ifname,
					    rg_route_format(&net, s));
	}
	return CORE_OK;
}

int rg_route_check(const struct rg_wg_prefix *p, const char *text, enum rg_route_origin origin,
		   const struct rg_route_policy *policy, char *reason)
{
	unsigned min = p->family == 4 ? RG_ROUTE_MIN_LEN4 : RG_ROUTE_MIN_LEN6;
	char s[RG_ROUTE_STRLEN];
	int rc;

	reason[0] = '\0';
	if (route_bits(p) == 0 || p->len > route_bits(p)) {
		g_strlcpy(reason, "route: not an IPv4 or IPv6 prefix", RG_ROUTE_REASON_LEN);
		return CORE_ERR_INVALID_ARG;
	}
	if (text == NULL)
		text = rg_route_format(p, s);
	/* Overlaps first: a wide route inside a reserved range is refused with exit-node too. */
	rc = route_check_overlaps(p, text, p->len < min, origin, policy, reason);
	if (rc == CORE_OK)
		rc = route_check_breadth(p, text, policy->exit_node, reason);
	return rc;
}

int rg_route_validate(const char *text, enum rg_route_origin origin,
		      const struct rg_route_policy *policy, struct rg_wg_prefix *out, char *reason)
{
	int rc = rg_route_parse(text, out, reason);

	if (rc == CORE_OK)
		rc = rg_route_check(out, text, origin, policy, reason);
	if (rc != CORE_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* --- the routes accepted from a peer ------------------------------------ */

/* Add reason to refused (a GPtrArray of strings). */
static void G_GNUC_PRINTF(2, 3) route_note(GPtrArray *refused, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(refused, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/*
 * Parse up to RG_ROUTES_MAX entries of list into a new array of prefixes;
 * the malformed ones, and the excess, noted in refused.
 */
static GArray *route_parse_list(const char *const *list, const char *which, GPtrArray *refused)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	char reason[RG_ROUTE_REASON_LEN];
	struct rg_wg_prefix p;
	size_t i;

	for (i = 0; list[i] != NULL && i < RG_ROUTES_MAX; i++) {
		if (rg_route_parse(list[i], &p, reason) == CORE_OK)
			g_array_append_val(out, p);
		else
			route_note(refused, "%s", reason);
	}
	if (list[i] != NULL)
		route_note(refused, "%s: more than %d routes, the rest ignored", which,
			   RG_ROUTES_MAX);
	return out;
}

/* Whether p is among the n prefixes of list. */
static bool route_in(const struct rg_wg_prefix *p, const struct rg_wg_prefix *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->family == list[i].family && p->len == list[i].len &&
		    memcmp(p->addr, list[i].addr, sizeof(p->addr)) == 0)
			return true;
	}
	return false;
}

/* Check candidate and add it to accepted (once), or note why not. */
static void route_take(const struct rg_wg_prefix *candidate, const struct rg_route_policy *policy,
		       GArray *accepted, GPtrArray *refused)
{
	char reason[RG_ROUTE_REASON_LEN];

	if (route_in(candidate, (const struct rg_wg_prefix *)(void *)accepted->data, accepted->len))
		return;
	if (rg_route_check(candidate, NULL, RG_ROUTE_PEER, policy, reason) == CORE_OK)
		g_array_append_val(accepted, *candidate);
	else if (!g_ptr_array_find_with_equal_func(refused, reason, g_str_equal, NULL))
		route_note(refused, "%s", reason);
}

/* Intersect one selected prefix with every advertised one. */
static void route_select(const struct rg_wg_prefix *sel, const GArray *adv,
			 const struct rg_route_policy *policy, GArray *accepted, GPtrArray *refused)
{
	const struct rg_wg_prefix *a = (const struct rg_wg_prefix *)(void *)adv->data;
	char s[RG_ROUTE_STRLEN];
	bool any = false;

	for (size_t i = 0; i < adv->len; i++) {
		if (!rg_route_overlaps(sel, &a[i]))
			continue;
		any = true;
		route_take(sel->len >= a[i].len ? sel : &a[i], policy, accepted, refused);
	}
	if (!any)
		route_note(refused, "route \"%s\": not advertised by the peer",
			   rg_route_format(sel, s));
}

int rg_route_accept(const char *const *advertised, const char *const *selected,
		    const struct rg_route_policy *policy, struct rg_route_set *out)
{
	static const char *const none[] = { NULL };
	GArray *adv, *sel = NULL, *accepted;
	GPtrArray *refused;

	if (out == NULL || policy == NULL)
		return CORE_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	refused = g_ptr_array_new();
	accepted = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	adv = route_parse_list(advertised != NULL ? advertised : none, "advertised", refused);
	if (selected != NULL)
		sel = route_parse_list(selected, "selected", refused);
	for (guint i = 0; i < (sel != NULL ? sel->len : adv->len); i++) {
		if (sel != NULL)
			route_select(&g_array_index(sel, struct rg_wg_prefix, i), adv, policy,
				     accepted, refused);
		else
			route_take(&g_array_index(adv, struct rg_wg_prefix, i), policy, accepted,
				   refused);
	}
	g_ptr_array_add(refused, NULL);
	out->n_routes = accepted->len;
	out->routes = (struct rg_wg_prefix *)(void *)g_array_free(accepted, accepted->len == 0);
	out->refused = (char **)g_ptr_array_free(refused, FALSE);
	g_array_free(adv, TRUE);
	if (sel != NULL)
		g_array_free(sel, TRUE);
	return CORE_OK;
}

void rg_route_set_clear(struct rg_route_set *s)
{
	if (s == NULL)
		return;
	g_free(s->routes);
	g_strfreev(s->refused);
	memset(s, 0, sizeof(*s));
}
