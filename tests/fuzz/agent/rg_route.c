/*
 * Fuzz target for rift/agent/routes: route texts from a peer.
 *
 * Input: one flags byte (bit 0: exit-node allowed; bit 1: a selection
 * follows; bit 2: no tunnel prefix), then lines. The first line is checked
 * alone, as ours and as a peer's; the next lines, up to an empty one, are
 * what the peer advertises; the lines after it are this device's selection.
 *
 * Invariants: an accepted route is canonical (no host bits, a length within
 * its family) and formats back to itself; a refusal has a reason starting
 * with `route "`, NUL-terminated within RG_ROUTE_REASON_LEN, and a zeroed
 * prefix; every accepted route of a peer passes rg_route_check, lies inside
 * something advertised and something selected, and appears once.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/agent/routes.h"

#define FUZZ_EXIT     0x01
#define FUZZ_SELECTED 0x02
#define FUZZ_NOTUNNEL 0x04

static const struct rg_route_local fuzz_locals[] = {
	{ "eth0", { 4, { 192, 168, 1, 20 }, 24 } },
	{ "wlan0", { 6, { 0xfd, 0x00, 0x00, 0x01, [15] = 5 }, 64 } },
};

/* Whether a reason is NUL-terminated in its buffer and starts as routes.h says. */
static bool fuzz_reason_ok(const char *reason)
{
	return memchr(reason, '\0', RG_ROUTE_REASON_LEN) != NULL &&
	       (strncmp(reason, "route \"", 7) == 0 || strncmp(reason, "advertised: ", 12) == 0 ||
		strncmp(reason, "selected: ", 10) == 0);
}

/* One text checked alone under both origins. */
static void fuzz_validate(const char *text, const struct rg_route_policy *pol)
{
	char reason[RG_ROUTE_REASON_LEN], s[RG_ROUTE_STRLEN], again[RG_ROUTE_REASON_LEN];
	struct rg_wg_prefix p, q;
	static const struct rg_wg_prefix zero;
	int rc;

	for (int origin = RG_ROUTE_OURS; origin <= RG_ROUTE_PEER; origin++) {
		rc = rg_route_validate(text, (enum rg_route_origin)origin, pol, &p, reason);
		if (rc != CORE_OK) {
			if ((rc != CORE_ERR_BAD_FORMAT && rc != CORE_ERR_BAD_VALUE) ||
			    !fuzz_reason_ok(reason) || memcmp(&p, &zero, sizeof(p)) != 0)
				abort();
			continue;
		}
		if (reason[0] != '\0' ||
		    rg_route_parse(rg_route_format(&p, s), &q, again) != CORE_OK ||
		    memcmp(&p, &q, sizeof(p)) != 0)
			abort();
	}
}

/* Whether p lies inside one of the texts of list (parsed). */
static bool fuzz_inside(const struct rg_wg_prefix *p, char **list)
{
	char reason[RG_ROUTE_REASON_LEN];
	struct rg_wg_prefix q;

	for (size_t i = 0; list[i] != NULL && i < RG_ROUTES_MAX; i++) {
		if (rg_route_parse(list[i], &q, reason) == CORE_OK && rg_route_contains(&q, p))
			return true;
	}
	return false;
}

static void fuzz_accept(char **adv, char **sel, const struct rg_route_policy *pol)
{
	char reason[RG_ROUTE_REASON_LEN];
	struct rg_route_set set;

	if (rg_route_accept((const char *const *)adv, (const char *const *)sel, pol, &set) !=
	    CORE_OK)
		abort();
	for (size_t i = 0; i < set.n_routes; i++) {
		if (rg_route_check(&set.routes[i], NULL, RG_ROUTE_PEER, pol, reason) != CORE_OK ||
		    !fuzz_inside(&set.routes[i], adv) ||
		    (sel != NULL && !fuzz_inside(&set.routes[i], sel)))
			abort();
		for (size_t j = 0; j < i; j++) {
			if (memcmp(&set.routes[i], &set.routes[j], sizeof(set.routes[i])) == 0)
				abort();
		}
	}
	for (size_t i = 0; set.refused[i] != NULL; i++) {
		if (!fuzz_reason_ok(set.refused[i]))
			abort();
	}
	rg_route_set_clear(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_route_policy pol = {
		.tunnel = { 4, { 10, 0, 0, 2 }, 24 },
		.local = fuzz_locals,
		.n_local = sizeof(fuzz_locals) / sizeof(fuzz_locals[0]),
	};
	char *text, **lines, **adv, **sel = NULL;
	size_t n, blank;

	if (size < 1)
		return 0;
	pol.exit_node = (data[0] & FUZZ_EXIT) != 0;
	if (data[0] & FUZZ_NOTUNNEL)
		pol.tunnel.family = 0;
	text = g_strndup((const char *)data + 1, size - 1); /* stops at a NUL: C strings */
	lines = g_strsplit(text, "\n", -1);
	fuzz_validate(lines[0] != NULL ? lines[0] : "", &pol);
	n = g_strv_length(lines);
	for (blank = 1; blank < n && lines[blank][0] != '\0'; blank++)
		;
	adv = g_new0(char *, blank + 1);
	for (size_t i = 1; i < blank; i++)
		adv[i - 1] = lines[i];
	if (data[0] & FUZZ_SELECTED)
		sel = blank < n ? lines + blank + 1 : lines + n;
	fuzz_accept(adv, sel, &pol);
	g_free(adv);
	g_strfreev(lines);
	g_free(text);
	return 0;
}
