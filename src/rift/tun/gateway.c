/* gateway.c - forwarding and masquerade for the advertised routes (see gateway.h). */
#include "rift/tun/gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/tun/fwd.h"
#include "rift/tun/gwstate.h"
#include "rift/tun/nft.h"

#define GW_LOG		 "gateway"
#define GW_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

struct rg_gw {
	struct rg_nl *rt; /* NETLINK_ROUTE: interfaces, forwarding */
	struct rg_nl *nf; /* NETLINK_NETFILTER: the table */
	char tun[IFNAMSIZ];
	char table[RG_NFT_TABLE_MAX + 1];
	char *state_path; /* NULL: none */
	struct rg_wg_prefix tunnel;
	struct rg_wg_prefix *routes;
	size_t n_routes;
	bool *orphan;	 /* per route: warned that no interface has an address in it */
	GPtrArray *ours; /* names of the interfaces whose forwarding we switched on */
	GPtrArray *lans; /* names of the LAN interfaces masqueraded now, NULL-terminated */
	bool stopped;
};

/* "192.168.1.0/24" into out (GW_PREFIX_STRLEN bytes). */
static const char *gw_prefix_str(const struct rg_wg_prefix *p, char *out)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	g_snprintf(out, GW_PREFIX_STRLEN, "%s/%u", a, p->len);
	return out;
}

/* Whether the IPv4 address of a lies inside route r (both family 4). */
static bool gw_inside(const struct rg_wg_prefix *a, const struct rg_wg_prefix *r)
{
	uint32_t x, y, mask;

	if (a->family != 4 || r->family != 4 || r->len > 32)
		return false;
	memcpy(&x, a->addr, 4);
	memcpy(&y, r->addr, 4);
	mask = r->len == 0 ? 0 : htonl(0xffffffffu << (32 - r->len));
	return ((x ^ y) & mask) == 0;
}

/* Whether list (of struct rg_ifaddr) holds ifindex. */
static bool gw_has_index(const GArray *list, int ifindex)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_array_index(list, struct rg_ifaddr, i).ifindex == ifindex)
			return true;
	}
	return false;
}

GArray *rg_gw_find_lans(const GArray *ifaddrs, const struct rg_wg_prefix *routes, size_t n,
			int tun_ifindex, GArray *orphans)
{
	GArray *lans = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));

	for (size_t r = 0; r < n; r++) {
		bool found = false;

		for (guint i = 0; routes[r].family == 4 && i < ifaddrs->len; i++) {
			const struct rg_ifaddr *a = &g_array_index(ifaddrs, struct rg_ifaddr, i);

			if (a->loopback || a->ifindex == tun_ifindex ||
			    !gw_inside(&a->prefix, &routes[r]))
				continue;
			found = true;
			if (!gw_has_index(lans, a->ifindex))
				g_array_append_val(lans, *a);
		}
		if (routes[r].family == 4 && !found && orphans != NULL)
			g_array_append_val(orphans, r);
	}
	return lans;
}

/* Whether names (a GPtrArray of strings, maybe NULL-terminated) holds name. */
static bool gw_named(const GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++) {
		if (g_strcmp0(g_ptr_array_index(names, i), name) == 0)
			return true;
	}
	return false;
}

/* Rewrite the state file with the table and the interfaces in ours. */
static int gw_save(struct rg_gw *gw, GError **error)
{
	if (gw->state_path == NULL)
		return CORE_OK;
	return rg_gwstate_write(gw->state_path, gw->table, (const char *const *)gw->ours->pdata,
				gw->ours->len, error);
}

/* Keep the first error: move err into *error if it is still unset, else drop it. */
static int gw_keep(int rc, int new_rc, GError **error, GError *err)
{
	if (new_rc == CORE_OK)
		return rc;
	if (rc == CORE_OK) {
		g_propagate_error(error, err);
		return new_rc;
	}
	g_clear_error(&err);
	return rc;
}

/* --- forwarding on ------------------------------------------------------- */

/*
 * The interfaces of need (TUN first, then the LANs) whose forwarding is off,
 * into off (a GArray of struct rg_ifaddr). First failure returned.
 */
static int gw_find_off(struct rg_gw *gw, const GArray *need, GArray *off, GError **error)
{
	int rc = CORE_OK;

	for (guint i = 0; i < need->len; i++) {
		const struct rg_ifaddr *a = &g_array_index(need, struct rg_ifaddr, i);
		GError *err = NULL;
		bool on = false;
		int r = rg_fwd_get(gw->rt, a->ifindex, a->ifname, &on, &err);

		if (r == CORE_OK && !on)
			g_array_append_val(off, *a);
		rc = gw_keep(rc, r, error, err);
	}
	return rc;
}

/* Log that forwarding went on for a; again: it was on before this pass (watchdog). */
static void gw_log_on(const struct rg_ifaddr *a, bool again)
{
	if (again)
		core_log_warn(GW_LOG, a->ifname,
			      "IPv4 forwarding was switched off behind riftgate's back "
			      "(NetworkManager?): switched on again");
	else
		core_log_info(
			GW_LOG, a->ifname,
			"IPv4 forwarding switched on (it was off: switched off again at stop)");
}

/*
 * Switch forwarding on for the interfaces of off, recorded in the state file
 * first. watchdog: the TUN and the LANs of the last pass had it on before.
 */
static int gw_switch_on(struct rg_gw *gw, const GArray *off, bool watchdog, GError **error)
{
	int rc = CORE_OK;
	bool *again = g_new0(bool, off->len + 1);

	for (guint i = 0; i < off->len; i++) {
		const char *name = g_array_index(off, struct rg_ifaddr, i).ifname;

		again[i] = watchdog && (strcmp(name, gw->tun) == 0 || gw_named(gw->lans, name));
		if (!gw_named(gw->ours, name))
			g_ptr_array_add(gw->ours, g_strdup(name));
	}
	if (off->len > 0)
		rc = gw_save(gw, error);
	if (rc != CORE_OK)
		goto out; /* nothing changed that the file does not say */
	for (guint i = 0; i < off->len; i++) {
		const struct rg_ifaddr *a = &g_array_index(off, struct rg_ifaddr, i);
		GError *err = NULL;
		int r = rg_fwd_set(gw->rt, a->ifindex, a->ifname, true, &err);

		if (r == CORE_OK)
			gw_log_on(a, again[i]);
		rc = gw_keep(rc, r, error, err);
	}
out:
	g_free(again);
	return rc;
}

/* --- the table ----------------------------------------------------------- */

/* Whether lans (struct rg_ifaddr) names the same interfaces as gw->lans, in order. */
static bool gw_same_lans(const struct rg_gw *gw, const GArray *lans)
{
	if (lans->len + 1 != gw->lans->len)
		return false;
	for (guint i = 0; i < lans->len; i++) {
		if (strcmp(g_array_index(lans, struct rg_ifaddr, i).ifname,
			   g_ptr_array_index(gw->lans, i)) != 0)
			return false;
	}
	return true;
}

/* Replace the table by the rules for lans, and remember them. */
static int gw_make_table(struct rg_gw *gw, const GArray *lans, GError **error)
{
	const char **names = g_new0(const char *, lans->len + 1);
	char net[GW_PREFIX_STRLEN];
	int rc;

	for (guint i = 0; i < lans->len; i++)
		names[i] = g_array_index(lans, struct rg_ifaddr, i).ifname;
	rc = rg_nft_masq(gw->nf, gw->table, &gw->tunnel, names, lans->len, error);
	if (rc != CORE_OK)
		goto out;
	g_ptr_array_set_size(gw->lans, 0);
	for (guint i = 0; i < lans->len; i++) {
		g_ptr_array_add(gw->lans, g_strdup(names[i]));
		core_log_info(GW_LOG, names[i],
			      "masquerading %s on the way out (nftables table ip %s)",
			      gw_prefix_str(&gw->tunnel, net), gw->table);
	}
	g_ptr_array_add(gw->lans, NULL);
out:
	g_free(names);
	return rc;
}

/* The table for lans: made when forced or when the LANs changed, re-made if it vanished. */
static int gw_sync_table(struct rg_gw *gw, const GArray *lans, bool force, GError **error)
{
	bool exists = false;
	int rc;

	if (force || !gw_same_lans(gw, lans))
		return gw_make_table(gw, lans, error);
	rc = rg_nft_exists(gw->nf, gw->table, &exists, error);
	if (rc != CORE_OK || exists)
		return rc;
	core_log_warn(GW_LOG, gw->table, "nftables table ip %s vanished: created again", gw->table);
	return gw_make_table(gw, lans, error);
}

/* --- one pass: start and watchdog ---------------------------------------- */

/* Warn once about each route no interface has an address in (again after it had one). */
static void gw_warn_orphans(struct rg_gw *gw, const GArray *orphans)
{
	char p[GW_PREFIX_STRLEN];
	bool *now = g_new0(bool, gw->n_routes + 1);

	for (guint i = 0; i < orphans->len; i++)
		now[g_array_index(orphans, size_t, i)] = true;
	for (size_t r = 0; r < gw->n_routes; r++) {
		if (now[r] && !gw->orphan[r])
			core_log_warn(GW_LOG, gw_prefix_str(&gw->routes[r], p),
				      "no interface has an address in route %s: not forwarded", p);
		gw->orphan[r] = now[r];
	}
	g_free(now);
}

/* The TUN and the LAN interfaces, from the current interface list. */
static int gw_need(struct rg_gw *gw, GArray **need, GArray **lans, GError **error)
{
	GArray *orphans = g_array_new(FALSE, FALSE, sizeof(size_t)), *list = NULL;
	const struct rg_ifaddr *tun;
	int rc;

	*need = *lans = NULL;
	rc = rg_ifaddr_list(gw->rt, &list, error);
	if (rc != CORE_OK)
		goto out;
	tun = rg_ifaddr_find(list, gw->tun);
	if (tun == NULL) {
		rc = CORE_ERR_NOT_FOUND;
		g_set_error(error, CORE_ERROR, rc, "no interface %s", gw->tun);
		goto out;
	}
	*lans = rg_gw_find_lans(list, gw->routes, gw->n_routes, tun->ifindex, orphans);
	gw_warn_orphans(gw, orphans);
	*need = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));
	g_array_append_val(*need, *tun);
	g_array_append_vals(*need, (*lans)->data, (*lans)->len);
out:
	if (list != NULL)
		g_array_unref(list);
	g_array_unref(orphans);
	return rc;
}

/*
 * Make the world match: forwarding on where needed, the table with the
 * right rules. force: make the table whatever is there (start). Every step
 * is tried; the first failure is returned.
 */
static int gw_sync(struct rg_gw *gw, bool force, GError **error)
{
	GArray *need = NULL, *lans = NULL,
	       *off = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));
	GError *err = NULL;
	int rc, r;

	rc = gw_need(gw, &need, &lans, error);
	if (rc != CORE_OK)
		goto out;
	rc = gw_find_off(gw, need, off, error);
	r = gw_switch_on(gw, off, !force, &err);
	rc = gw_keep(rc, r, error, err);
	err = NULL;
	r = gw_sync_table(gw, lans, force, &err);
	rc = gw_keep(rc, r, error, err);
out:
	if (need != NULL)
		g_array_unref(need);
	if (lans != NULL)
		g_array_unref(lans);
	g_array_unref(off);
	return rc;
}

/* --- undo ---------------------------------------------------------------- */

/*
 * Forwarding off for each interface named in names that still exists, and
 * the names done removed from names (a GPtrArray, or NULL for a strv in
 * strv); why goes into the log line. First failure returned.
 */
static int gw_switch_off(struct rg_nl *rt, GPtrArray *names, const char *why, GError **error)
{
	GArray *list = NULL;
	int rc = rg_ifaddr_list(rt, &list, error);

	for (guint i = 0; list != NULL && i < names->len;) {
		const char *name = g_ptr_array_index(names, i);
		const struct rg_ifaddr *a = rg_ifaddr_find(list, name);
		GError *err = NULL;
		int r = a != NULL ? rg_fwd_set(rt, a->ifindex, name, false, &err) : CORE_OK;

		if (r == CORE_OK && a != NULL)
			core_log_info(GW_LOG, name, "IPv4 forwarding switched off again (%s)", why);
		else if (r == CORE_OK)
			core_log_debug(GW_LOG, name, "gone: no forwarding to switch off");
		if (r == CORE_OK)
			g_ptr_array_remove_index(names, i);
		else
			i++;
		rc = gw_keep(rc, r, error, err);
	}
	if (list != NULL)
		g_array_unref(list);
	return rc;
}

/* Delete table if it is there; log why. */
static int gw_drop_table(struct rg_nl *nf, const char *table, const char *why, GError **error)
{
	GError *err = NULL;
	int rc = rg_nft_delete(nf, table, &err);

	if (rc == CORE_ERR_NOT_FOUND) {
		g_clear_error(&err);
		return CORE_OK;
	}
	if (rc == CORE_OK)
		core_log_info(GW_LOG, table, "nftables table ip %s deleted (%s)", table, why);
	else
		g_propagate_error(error, err);
	return rc;
}

int rg_gw_stop(struct rg_gw *gw, GError **error)
{
	GError *err = NULL;
	int rc, r;

	if (gw->stopped)
		return CORE_OK;
	rc = gw_switch_off(gw->rt, gw->ours, "it was off before riftgate", error);
	r = gw_drop_table(gw->nf, gw->table, "riftgate stops", &err);
	rc = gw_keep(rc, r, error, err);
	if (rc == CORE_OK && gw->state_path != NULL)
		rc = rg_gwstate_remove(gw->state_path, error);
	gw->stopped = rc == CORE_OK;
	return rc;
}

/* --- the cleanup of a gateway that stopped uncleanly ---------------------- */

/* Undo what st records and delete table (when not NULL) too. */
static int gw_undo_state(const struct rg_gwstate *st, const char *table, GError **error)
{
	const char *why_fwd = "left on by a riftgate that stopped uncleanly";
	const char *why_table = "left by a riftgate that stopped uncleanly";
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	struct rg_nl *rt = NULL, *nf = NULL;
	GError *err = NULL;
	int rc = CORE_OK, r;

	if (rg_nl_open(&rt) != CORE_OK || rg_nl_open_proto(&nf, NETLINK_NETFILTER) != CORE_OK) {
		rc = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, rc, "cannot open a netlink socket: %s",
			    g_strerror(errno));
		goto out;
	}
	for (size_t i = 0; st->forwarding != NULL && st->forwarding[i] != NULL; i++)
		g_ptr_array_add(names, g_strdup(st->forwarding[i]));
	if (names->len > 0)
		rc = gw_switch_off(rt, names, why_fwd, error);
	if (st->table != NULL) {
		r = gw_drop_table(nf, st->table, why_table, &err);
		rc = gw_keep(rc, r, error, err);
		err = NULL;
	}
	if (g_strcmp0(table, st->table) != 0) {
		r = gw_drop_table(nf, table, "a leftover", &err);
		rc = gw_keep(rc, r, error, err);
	}
out:
	rg_nl_close(rt);
	rg_nl_close(nf);
	g_ptr_array_unref(names);
	return rc;
}

int rg_gw_cleanup(const char *state_path, const char *table, GError **error)
{
	struct rg_gwstate st = { NULL, NULL };
	int rc = CORE_OK;

	if (table == NULL)
		table = RG_NFT_DEFAULT_TABLE;
	if (!rg_nft_table_name_ok(table)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_INVALID_ARG,
			    "not a nftables table name riftgate uses: %s", table);
		return CORE_ERR_INVALID_ARG;
	}
	if (state_path != NULL) {
		rc = rg_gwstate_read(state_path, &st, error);
		if (rc == CORE_OK)
			core_log_warn(GW_LOG, state_path,
				      "riftgate stopped uncleanly: undoing what it left");
		else if (rc == CORE_ERR_NOT_FOUND)
			rc = CORE_OK;
	}
	if (rc == CORE_OK)
		rc = gw_undo_state(&st, table, error);
	if (rc == CORE_OK && state_path != NULL)
		rc = rg_gwstate_remove(state_path, error);
	rg_gwstate_clear(&st);
	return rc;
}

/* --- life cycle ----------------------------------------------------------- */

/* The configuration's problem, or NULL. */
static const char *gw_config_problem(const struct rg_gw_config *cfg, const char *table)
{
	if (cfg->tun == NULL || cfg->tun[0] == '\0' || strlen(cfg->tun) >= IFNAMSIZ)
		return "no TUN name, or one of 16 bytes or more";
	if (cfg->tunnel.family != 4 || cfg->tunnel.len > 32)
		return "the tunnel prefix is not IPv4";
	if (!rg_nft_table_name_ok(table))
		return "not a nftables table name riftgate uses";
	if (cfg->n_routes > 0 && cfg->routes == NULL)
		return "routes missing";
	return NULL;
}

/* A gateway for cfg, its sockets open, nothing changed yet. */
static int gw_new(struct rg_gw **out, const struct rg_gw_config *cfg, const char *table,
		  GError **error)
{
	struct rg_gw *gw = g_new0(struct rg_gw, 1);
	char net[GW_PREFIX_STRLEN];
	int rc = CORE_OK;

	g_strlcpy(gw->tun, cfg->tun, sizeof(gw->tun));
	g_strlcpy(gw->table, table, sizeof(gw->table));
	gw->state_path = g_strdup(cfg->state_path);
	gw->tunnel = cfg->tunnel;
	gw->routes = g_memdup2(cfg->routes, cfg->n_routes * sizeof(*cfg->routes));
	gw->n_routes = cfg->n_routes;
	gw->orphan = g_new0(bool, cfg->n_routes + 1);
	gw->ours = g_ptr_array_new_with_free_func(g_free);
	gw->lans = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(gw->lans, NULL);
	for (size_t r = 0; r < gw->n_routes; r++) {
		if (gw->routes[r].family != 4)
			core_log_warn(GW_LOG, gw_prefix_str(&gw->routes[r], net),
				      "route %s: IPv6 is not forwarded (IPv4 only)", net);
	}
	if (rg_nl_open(&gw->rt) != CORE_OK ||
	    rg_nl_open_proto(&gw->nf, NETLINK_NETFILTER) != CORE_OK) {
		rc = CORE_ERR_SYSTEM;
		g_set_error(error, CORE_ERROR, rc, "cannot open a netlink socket: %s",
			    g_strerror(errno));
		gw->stopped = true;
		rg_gw_free(gw);
		gw = NULL;
	}
	*out = gw;
	return rc;
}

int rg_gw_start(struct rg_gw **out, const struct rg_gw_config *cfg, GError **error)
{
	const char *table = cfg->table != NULL ? cfg->table : RG_NFT_DEFAULT_TABLE;
	const char *problem = gw_config_problem(cfg, table);
	struct rg_gw *gw = NULL;
	GError *err = NULL;
	int rc;

	*out = NULL;
	if (problem != NULL) {
		g_set_error(error, CORE_ERROR, CORE_ERR_INVALID_ARG, "cannot start the gateway: %s",
			    problem);
		return CORE_ERR_INVALID_ARG;
	}
	rc = rg_gw_cleanup(cfg->state_path, table, error);
	if (rc == CORE_OK)
		rc = gw_new(&gw, cfg, table, error);
	if (rc == CORE_OK)
		rc = gw_sync(gw, true, error);
	if (rc != CORE_OK && gw != NULL && rg_gw_stop(gw, &err) != CORE_OK) {
		core_log_error(GW_LOG, gw->tun, "cannot undo a failed start: %s", err->message);
		g_clear_error(&err);
	}
	if (rc != CORE_OK) {
		rg_gw_free(gw);
		gw = NULL;
	}
	*out = gw;
	return rc;
}

int rg_gw_watchdog(struct rg_gw *gw, GError **error)
{
	if (gw->stopped) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CLOSED, "the gateway on %s is stopped",
			    gw->tun);
		return CORE_ERR_CLOSED;
	}
	return gw_sync(gw, false, error);
}

const char *const *rg_gw_lans(const struct rg_gw *gw)
{
	return (const char *const *)gw->lans->pdata;
}

void rg_gw_free(struct rg_gw *gw)
{
	GError *err = NULL;

	if (gw == NULL)
		return;
	if (!gw->stopped && rg_gw_stop(gw, &err) != CORE_OK) {
		core_log_error(GW_LOG, gw->tun, "%s (the next start cleans up)", err->message);
		g_clear_error(&err);
	}
	rg_nl_close(gw->rt);
	rg_nl_close(gw->nf);
	g_ptr_array_unref(gw->ours);
	g_ptr_array_unref(gw->lans);
	g_free(gw->orphan);
	g_free(gw->routes);
	g_free(gw->state_path);
	g_free(gw);
}
