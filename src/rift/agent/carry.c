/*
 * carry.c - what the tunnel carries, beside the peers' own addresses
 * (internals in agent-int.h): the routes accepted from a peer, the ICE
 * candidates it must not use (those it carries itself), and the gateway a
 * device that advertises routes runs.
 */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/agent/agent-int.h"
#include "rift/agent/cand.h"
#include "rift/agent/routes.h"
#include "rift/tun/gateway.h"
#include "rift/tun/ifaddr.h"
#include "rift/wgup/runner.h"

GArray *agent_accepted_routes(struct rg_agent *a, const char *peer, char **advertised)
{
	const struct rg_agent_conf_peer *cp = rg_agent_conf_peer(a->conf, peer);
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	GArray *ifaddrs = NULL, *locals = g_array_new(FALSE, FALSE, sizeof(struct rg_route_local));
	struct rg_route_policy policy = { .tunnel = a->conf->address,
					  .exit_node = a->conf->exit_node };
	struct rg_route_set set = { 0 };
	struct rg_nl *nl = NULL;
	GError *e = NULL;

	if (advertised[0] == NULL)
		goto out;
	if (cp == NULL) {
		core_log_info("agent", peer,
			      "it advertises routes; accept them with [peer.%s] accept-routes",
			      peer);
		goto out;
	}
	/* our interfaces now: a peer's route must not cover a subnet of ours */
	if (rg_nl_open(&nl) != CORE_OK || rg_ifaddr_list(nl, &ifaddrs, &e) != CORE_OK) {
		core_log_warn("agent", peer, "not routing its routes: %s",
			      e != NULL ? e->message : g_strerror(errno));
		goto out;
	}
	for (guint i = 0; i < ifaddrs->len; i++) {
		const struct rg_ifaddr *ia = &g_array_index(ifaddrs, struct rg_ifaddr, i);
		struct rg_route_local l = { ia->ifname, ia->prefix };

		if (ia->prefix.family != 0 && !ia->loopback &&
		    strcmp(ia->ifname, rg_wg_runner_ifname(a->runner)) != 0)
			g_array_append_val(locals, l);
	}
	policy.local = (const struct rg_route_local *)(void *)locals->data;
	policy.n_local = locals->len;
	rg_route_accept((const char *const *)advertised,
			cp->accept_all ? NULL : (const char *const *)cp->accept, &policy, &set);
	for (size_t i = 0; set.refused[i] != NULL; i++)
		core_log_warn("agent", peer, "%s", set.refused[i]);
	g_array_append_vals(out, set.routes, set.n_routes);
	rg_route_set_clear(&set);
out:
	if (ifaddrs != NULL)
		g_array_free(ifaddrs, TRUE);
	g_array_free(locals, TRUE);
	rg_nl_close(nl);
	g_clear_error(&e);
	return out;
}

bool agent_candidate_usable(struct rg_agent *a, const char *line)
{
	GArray *carried = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	struct rg_wg_prefix addr, tunnel = a->conf->address;
	GHashTableIter it;
	gpointer v;
	bool ok;

	if (!rg_agent_candidate_address(line, &addr))
		return true; /* a name, or nothing libnice will use: its business */
	g_array_append_val(carried, tunnel);
	g_hash_table_iter_init(&it, a->peers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct agent_peer *p = v;

		g_array_append_vals(carried, p->routes->data, p->routes->len);
	}
	ok = !rg_agent_prefixes_hold((struct rg_wg_prefix *)(void *)carried->data, carried->len,
				     &addr);
	g_array_free(carried, TRUE);
	return ok;
}

static gboolean gw_watchdog_cb(gpointer data)
{
	struct rg_agent *a = data;
	GError *e = NULL;

	if (rg_gw_watchdog(a->gw, &e) != CORE_OK) {
		core_log_warn("agent", a->conf->name, "gateway: %s", e->message);
		g_error_free(e);
	}
	return G_SOURCE_CONTINUE;
}

/*
 * What a crashed earlier run left (forwarding, the masquerade table) goes
 * first; then, when this device advertises routes, the gateway. Its failure
 * is logged, not fatal: the tunnel between peers works without it.
 */
void agent_gateway_start(struct rg_agent *a)
{
	const struct rg_agent_conf *c = a->conf;
	GArray *routes = g_array_new(FALSE, FALSE, sizeof(struct rg_wg_prefix));
	struct rg_gw_config gc = { .tun = rg_wg_runner_ifname(a->runner),
				   .tunnel = c->address,
				   .state_path = a->gw_state };
	GError *e = NULL;

	if (rg_gw_cleanup(a->gw_state, NULL, &e) != CORE_OK) {
		core_log_warn("agent", c->name, "cleaning up after an earlier run: %s", e->message);
		g_clear_error(&e);
	}
	for (size_t i = 0; c->routes[i] != NULL; i++) {
		struct rg_wg_prefix p;

		/* validated with the configuration: it parses */
		if (rg_wg_prefix_parse(c->routes[i], &p))
			g_array_append_val(routes, p);
	}
	if (routes->len == 0)
		goto out;
	gc.routes = (const struct rg_wg_prefix *)(void *)routes->data;
	gc.n_routes = routes->len;
	if (rg_gw_start(&a->gw, &gc, &e) != CORE_OK) {
		core_log_error("agent", c->name, "no gateway for the advertised routes: %s",
			       e->message);
		g_error_free(e);
		goto out;
	}
	a->gw_watchdog = g_timeout_add_seconds(RG_GW_WATCHDOG_S, gw_watchdog_cb, a);
out:
	g_array_free(routes, TRUE);
}

/*
 * The server's STUN and TURN servers (from a refresh), for the connections
 * made from now on, unless the configuration names its own. A name that
 * does not resolve is skipped with a warning.
 */
