/*
 * Integration tests for the gateway's kernel side (src/rift/tun: fwd, nft,
 * ifaddr, gateway), against the real kernel. As root, each test runs in a
 * subprocess that first moves into a network namespace of its own
 * (unshare(CLONE_NEWNET)): its interfaces, forwarding switches and nftables
 * tables vanish with it, so nothing outside is touched, even after a failed
 * assertion. Without root they are skipped.
 *
 * What the kernel holds is read back with the stock tools, exactly:
 * /proc/sys/net/ipv4/conf/IF/forwarding and `nft list table ip NAME`.
 * Packets through the gateway, kill -9 and the watchdog against a hand-made
 * change: tests/lab/rift-gateway.sh.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "rift/tun/fwd.h"
#include "rift/tun/gateway.h"
#include "rift/tun/ifaddr.h"
#include "rift/tun/nft.h"

#define SUBPROCESS_US (10 * G_USEC_PER_SEC)
#define TABLE	      "rgtest"

/* The listing `nft list table ip rgtest` prints for the tunnel 10.9.0.0/24 and one LAN. */
#define LISTING_HEAD                                                                               \
	"table ip " TABLE " {\n"                                                                   \
	"\tchain postrouting {\n"                                                                  \
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
#define LISTING_RULE(ifname)                                                                       \
	"\t\tip saddr 10.9.0.0/24 oifname \"" ifname "\" counter packets 0 bytes 0 masquerade\n"
#define LISTING_TAIL "\t}\n}\n"

static const struct rg_wg_prefix tunnel = { 4, { 10, 9, 0, 1 }, 24 };

/* --- running in a namespace of our own ---------------------------------- */

/* As in test_tun.c: true in the subprocess (now in a fresh namespace), false in the parent. */
static bool in_own_netns(void)
{
	if (g_test_subprocess()) {
		g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
		core_log_set_level(CORE_LOG_WARN);
		return true;
	}
	if (geteuid() != 0) {
		g_test_skip("needs root (network namespace, nftables)");
		return false;
	}
	g_test_trap_subprocess(NULL, SUBPROCESS_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
	return false;
}

/* Run a shell command line; its stdout (g_free), asserting it exited 0. */
static char *run(const char *cmdline)
{
	char *out = NULL, **argv = NULL;
	GError *err = NULL;
	int status = -1;

	g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, NULL));
	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
				   &status, &err));
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("failed: %s", cmdline);
	g_strfreev(argv);
	return out;
}

/* Run a command line, ignoring its output. */
static void sh(const char *cmdline)
{
	g_free(run(cmdline));
}

/* The `nft list table ip name` text, or "" when there is no such table. */
static char *listing(const char *name)
{
	char *cmd = g_strdup_printf("sh -c 'nft list table ip %s 2>/dev/null || true'", name);
	char *out = run(cmd);

	g_free(cmd);
	return out;
}

static void assert_listing(const char *name, const char *want)
{
	char *got = listing(name);

	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

/* /proc/sys/net/ipv4/conf/IF/forwarding as 0 or 1. */
static int proc_forwarding(const char *ifname)
{
	char *path = g_strdup_printf("/proc/sys/net/ipv4/conf/%s/forwarding", ifname), *text = NULL;
	int v;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	v = atoi(text);
	g_free(text);
	g_free(path);
	return v;
}

/* A TUN rg0 (10.9.0.1/24, up) and a veth lan0 (192.168.77.1/24, up; its peer lan0p). */
static void make_links(void)
{
	sh("ip link set lo up");
	sh("ip tuntap add dev rg0 mode tun");
	sh("ip addr add 10.9.0.1/24 dev rg0");
	sh("ip link set rg0 up");
	sh("ip link add lan0 type veth peer name lan0p");
	sh("ip addr add 192.168.77.1/24 dev lan0");
	sh("ip link set lan0 up");
}

/* --- fwd ------------------------------------------------------------------ */

static void test_fwd(void)
{
	struct rg_nl *nl = NULL;
	GError *err = NULL;
	bool on = true;
	int ifindex;

	if (!in_own_netns())
		return;
	make_links();
	ifindex = (int)if_nametoindex("lan0");
	g_assert_cmpint(rg_nl_open(&nl), ==, CORE_OK);
	g_assert_cmpint(rg_fwd_get(nl, ifindex, "lan0", &on, &err), ==, CORE_OK);
	g_assert_false(on);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	g_assert_cmpint(rg_fwd_set(nl, ifindex, "lan0", true, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 1);
	g_assert_cmpint(proc_forwarding("lan0p"), ==, 0); /* only this interface */
	g_assert_cmpint(proc_forwarding("all"), ==, 0);
	g_assert_cmpint(rg_fwd_get(nl, ifindex, "lan0", &on, &err), ==, CORE_OK);
	g_assert_true(on);
	g_assert_cmpint(rg_fwd_set(nl, ifindex, "lan0", false, &err), ==, CORE_OK);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	/* An interface that is not there. */
	g_assert_cmpint(rg_fwd_set(nl, 0x7ffffff0, "nope0", true, &err), ==, CORE_ERR_SYSTEM);
	g_assert_cmpstr(err->message, ==, "cannot switch forwarding on for nope0: No such device");
	g_clear_error(&err);
	g_assert_cmpint(rg_fwd_get(nl, 0x7ffffff0, "nope0", &on, &err), ==, CORE_ERR_SYSTEM);
	g_assert_cmpstr(err->message, ==,
			"cannot read the forwarding switch of nope0: No such device");
	g_clear_error(&err);
	rg_nl_close(nl);
}

/* --- nft ------------------------------------------------------------------ */

static void test_nft(void)
{
	const char *two[] = { "lan0", "eth1" }, *one[] = { "br-lan" };
	struct rg_nl *nf = NULL;
	GError *err = NULL;
	bool exists = true;

	if (!in_own_netns())
		return;
	g_assert_cmpint(rg_nl_open_proto(&nf, NETLINK_NETFILTER), ==, CORE_OK);
	g_assert_cmpint(rg_nft_exists(nf, TABLE, &exists, &err), ==, CORE_OK);
	g_assert_false(exists);
	g_assert_cmpint(rg_nft_masq(nf, TABLE, &tunnel, two, 2, &err), ==, CORE_OK);
	g_assert_no_error(err);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_RULE("eth1") LISTING_TAIL);
	/* Again, with other interfaces: replaced whole, not appended to. */
	g_assert_cmpint(rg_nft_masq(nf, TABLE, &tunnel, one, 1, &err), ==, CORE_OK);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("br-lan") LISTING_TAIL);
	g_assert_cmpint(rg_nft_exists(nf, TABLE, &exists, &err), ==, CORE_OK);
	g_assert_true(exists);
	/* No interface: the chain alone. */
	g_assert_cmpint(rg_nft_masq(nf, TABLE, &tunnel, NULL, 0, &err), ==, CORE_OK);
	assert_listing(TABLE, LISTING_HEAD LISTING_TAIL);
	g_assert_cmpint(rg_nft_delete(nf, TABLE, &err), ==, CORE_OK);
	assert_listing(TABLE, "");
	g_assert_cmpint(rg_nft_delete(nf, TABLE, &err), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpstr(err->message, ==, "no nftables table ip " TABLE);
	g_clear_error(&err);
	g_assert_cmpint(rg_nft_masq(nf, "bad name", &tunnel, one, 1, &err), ==,
			CORE_ERR_INVALID_ARG);
	g_clear_error(&err);
	rg_nl_close(nf);
}

/* Without CAP_NET_ADMIN the kernel refuses; the message names the table and part. */
static void test_nft_refused(void)
{
	const char *one[] = { "lan0" };
	struct rg_nl *nf = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	g_assert_cmpint(rg_nl_open_proto(&nf, NETLINK_NETFILTER), ==, CORE_OK);
	g_assert_cmpint(setresuid(65534, 65534, 65534), ==, 0); /* drops every capability */
	g_assert_cmpint(rg_nft_masq(nf, TABLE, &tunnel, one, 1, &err), ==, CORE_ERR_SYSTEM);
	g_assert_cmpstr(err->message, ==,
			"cannot create nftables table ip " TABLE ": Operation not permitted");
	g_clear_error(&err);
	rg_nl_close(nf);
}

/* --- ifaddr --------------------------------------------------------------- */

static void test_ifaddr(void)
{
	const struct rg_ifaddr *a;
	struct rg_nl *nl = NULL;
	GArray *list = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	make_links();
	sh("ip tuntap add dev rg1 mode tun"); /* no address */
	g_assert_cmpint(rg_nl_open(&nl), ==, CORE_OK);
	g_assert_cmpint(rg_ifaddr_list(nl, &list, &err), ==, CORE_OK);
	a = rg_ifaddr_find(list, "lo");
	g_assert_nonnull(a);
	g_assert_true(a->loopback);
	a = rg_ifaddr_find(list, "lan0");
	g_assert_nonnull(a);
	g_assert_cmpint(a->ifindex, ==, (int)if_nametoindex("lan0"));
	g_assert_cmpint(a->prefix.family, ==, 4);
	g_assert_cmpmem(a->prefix.addr, 4, ((uint8_t[]){ 192, 168, 77, 1 }), 4);
	g_assert_cmpuint(a->prefix.len, ==, 24);
	g_assert_false(a->loopback);
	a = rg_ifaddr_find(list, "rg1");
	g_assert_nonnull(a);
	g_assert_cmpint(a->prefix.family, ==, 0);
	g_assert_null(rg_ifaddr_find(list, "nope0"));
	g_array_unref(list);
	rg_nl_close(nl);
}

/* --- the gateway ----------------------------------------------------------- */

/* A configuration for rg0 with the routes given and the state file in dir. */
static struct rg_gw_config gw_config(const struct rg_wg_prefix *routes, size_t n, char *state)
{
	struct rg_gw_config cfg = {
		.tun = "rg0",
		.tunnel = tunnel,
		.routes = routes,
		.n_routes = n,
		.table = TABLE,
		.state_path = state,
	};
	return cfg;
}

static void test_start_stop(void)
{
	static const struct rg_wg_prefix routes[] = { { 4, { 192, 168, 77, 0 }, 24 } };
	char *dir = g_dir_make_tmp("rg-gw-XXXXXX", NULL);
	char *state = g_build_filename(dir, "gateway.state", NULL), *text = NULL;
	struct rg_gw_config cfg = gw_config(routes, 1, state);
	struct rg_gw *gw = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		goto out;
	make_links();
	g_assert_cmpint(rg_gw_start(&gw, &cfg, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpstr(rg_gw_lans(gw)[0], ==, "lan0");
	g_assert_null(rg_gw_lans(gw)[1]);
	g_assert_cmpint(proc_forwarding("rg0"), ==, 1);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 1);
	g_assert_cmpint(proc_forwarding("all"), ==, 0);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_TAIL);
	g_assert_true(g_file_get_contents(state, &text, NULL, NULL));
	g_assert_cmpstr(text, ==,
			"# riftgate gateway: undone by the next start if riftgate stops uncleanly\n"
			"\n[gateway]\ntable=" TABLE "\nforwarding=rg0;lan0;\n");
	/* Nothing changed behind its back: the watchdog leaves all as it is. */
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_OK);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_TAIL);
	g_assert_cmpint(rg_gw_stop(gw, &err), ==, CORE_OK);
	g_assert_cmpint(proc_forwarding("rg0"), ==, 0);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	assert_listing(TABLE, "");
	g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
	g_assert_cmpint(rg_gw_stop(gw, &err), ==, CORE_OK); /* again: nothing to do */
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_ERR_CLOSED);
	g_clear_error(&err);
	rg_gw_free(gw);
out:
	g_free(text);
	g_rmdir(dir);
	g_free(state);
	g_free(dir);
}

/* An interface whose forwarding was on before stays on after. */
static void test_was_on(void)
{
	static const struct rg_wg_prefix routes[] = { { 4, { 192, 168, 77, 0 }, 24 } };
	struct rg_gw_config cfg = gw_config(routes, 1, NULL);
	struct rg_gw *gw = NULL;

	if (!in_own_netns())
		return;
	make_links();
	sh("sysctl -q -w net.ipv4.conf.lan0.forwarding=1");
	g_assert_cmpint(rg_gw_start(&gw, &cfg, NULL), ==, CORE_OK);
	g_assert_cmpint(proc_forwarding("rg0"), ==, 1);
	rg_gw_free(gw);
	g_assert_cmpint(proc_forwarding("rg0"), ==, 0);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 1);
	assert_listing(TABLE, "");
}

/* No TUN: refused, and nothing left behind. */
static void test_no_tun(void)
{
	static const struct rg_wg_prefix routes[] = { { 4, { 192, 168, 77, 0 }, 24 } };
	char *dir = g_dir_make_tmp("rg-gw-XXXXXX", NULL);
	char *state = g_build_filename(dir, "gateway.state", NULL);
	struct rg_gw_config cfg = gw_config(routes, 1, state);
	struct rg_gw *gw = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		goto out;
	make_links();
	cfg.tun = "rgx0";
	g_assert_cmpint(rg_gw_start(&gw, &cfg, &err), ==, CORE_ERR_NOT_FOUND);
	g_assert_cmpstr(err->message, ==, "no interface rgx0");
	g_clear_error(&err);
	g_assert_null(gw);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	assert_listing(TABLE, "");
	g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
	cfg.tun = "rg0";
	cfg.tunnel.family = 6;
	g_assert_cmpint(rg_gw_start(&gw, &cfg, &err), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(err->message, ==,
			"cannot start the gateway: the tunnel prefix is not IPv4");
	g_clear_error(&err);
out:
	g_rmdir(dir);
	g_free(state);
	g_free(dir);
}

/*
 * A state file that cannot be written: forwarding the file would not
 * record is not switched on. Here the watchdog finds lan0 switched off by
 * hand while a directory stands where the file goes.
 */
static void test_state_unwritable(void)
{
	static const struct rg_wg_prefix routes[] = { { 4, { 192, 168, 77, 0 }, 24 } };
	char *dir = g_dir_make_tmp("rg-gw-XXXXXX", NULL);
	char *state = g_build_filename(dir, "gateway.state", NULL);
	struct rg_gw_config cfg = gw_config(routes, 1, state);
	struct rg_gw *gw = NULL;
	GError *err = NULL;
	char *want;

	if (!in_own_netns())
		goto out;
	make_links();
	g_assert_cmpint(rg_gw_start(&gw, &cfg, &err), ==, CORE_OK);
	g_assert_cmpint(g_unlink(state), ==, 0);
	g_assert_cmpint(g_mkdir(state, 0700), ==, 0);
	sh("sysctl -q -w net.ipv4.conf.lan0.forwarding=0");
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_ERR_SYSTEM);
	want = g_strdup_printf("cannot write %s: ", state);
	g_assert_true(g_str_has_prefix(err->message, want));
	g_free(want);
	g_clear_error(&err);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	/* The table is still checked in the same pass. */
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_TAIL);
	g_assert_cmpint(g_rmdir(state), ==, 0);
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_OK);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 1);
	g_assert_true(g_file_test(state, G_FILE_TEST_IS_REGULAR));
	rg_gw_free(gw);
	g_assert_cmpint(proc_forwarding("lan0"), ==, 0);
	g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
out:
	g_rmdir(dir);
	g_free(state);
	g_free(dir);
}

/* A LAN that gets its address after the start is picked up by the watchdog. */
static void test_watchdog_new_lan(void)
{
	static const struct rg_wg_prefix routes[] = {
		{ 4, { 192, 168, 77, 0 }, 24 },
		{ 4, { 192, 168, 78, 0 }, 24 },
	};
	struct rg_gw_config cfg = gw_config(routes, 2, NULL);
	struct rg_gw *gw = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	make_links();
	sh("ip link add lan1 type veth peer name lan1p");
	sh("ip link set lan1 up");
	g_assert_cmpint(rg_gw_start(&gw, &cfg, &err), ==, CORE_OK);
	g_assert_null(rg_gw_lans(gw)[1]);
	g_assert_cmpint(proc_forwarding("lan1"), ==, 0);
	sh("ip addr add 192.168.78.1/24 dev lan1");
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_OK);
	g_assert_cmpstr(rg_gw_lans(gw)[1], ==, "lan1");
	g_assert_cmpint(proc_forwarding("lan1"), ==, 1);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_RULE("lan1") LISTING_TAIL);
	/* It loses the address: its rule goes; its forwarding stays ours, off at stop. */
	sh("ip addr flush dev lan1");
	g_assert_cmpint(rg_gw_watchdog(gw, &err), ==, CORE_OK);
	assert_listing(TABLE, LISTING_HEAD LISTING_RULE("lan0") LISTING_TAIL);
	rg_gw_free(gw);
	g_assert_cmpint(proc_forwarding("lan1"), ==, 0);
	assert_listing(TABLE, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/gateway/fwd", test_fwd);
	g_test_add_func("/rift/gateway/nft", test_nft);
	g_test_add_func("/rift/gateway/nft-refused", test_nft_refused);
	g_test_add_func("/rift/gateway/ifaddr", test_ifaddr);
	g_test_add_func("/rift/gateway/start-stop", test_start_stop);
	g_test_add_func("/rift/gateway/was-on", test_was_on);
	g_test_add_func("/rift/gateway/no-tun", test_no_tun);
	g_test_add_func("/rift/gateway/state-unwritable", test_state_unwritable);
	g_test_add_func("/rift/gateway/watchdog-new-lan", test_watchdog_new_lan);
	return g_test_run();
}
