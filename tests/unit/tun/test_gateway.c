/*
 * Unit tests for the gateway's pure parts: which interfaces are LANs for
 * the advertised routes (rg_gw_find_lans), the state file's text both ways
 * and its refusals (rift/tun/gwstate.h, written atomically to a temporary
 * directory), and the rtnetlink link and address parsers (rift/tun/ifaddr.h).
 * The gateway against the kernel: tests/integration/rift/test_gateway.c and
 * tests/lab/rift-gateway.sh.
 */
#include <glib/gstdio.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "rift/tun/gateway.h"
#include "rift/tun/gwstate.h"
#include "rift/tun/ifaddr.h"

/* An element of an interface list. */
static struct rg_ifaddr ifaddr(int ifindex, const char *name, int family, const uint8_t *addr,
			       unsigned len, bool loopback)
{
	struct rg_ifaddr a = { .ifindex = ifindex, .loopback = loopback };

	g_strlcpy(a.ifname, name, sizeof(a.ifname));
	a.prefix.family = family;
	if (addr != NULL)
		memcpy(a.prefix.addr, addr, family == 4 ? 4 : 16);
	a.prefix.len = len;
	return a;
}

/* The names of lans joined by ",", and the orphan route indexes by ",". */
static void expect_lans(const GArray *list, const struct rg_wg_prefix *routes, size_t n, int tun,
			const char *want_lans, const char *want_orphans)
{
	GArray *orphans = g_array_new(FALSE, FALSE, sizeof(size_t));
	GArray *lans = rg_gw_find_lans(list, routes, n, tun, orphans);
	GString *got = g_string_new(NULL), *got_o = g_string_new(NULL);

	for (guint i = 0; i < lans->len; i++)
		g_string_append_printf(got, "%s%s", i > 0 ? "," : "",
				       g_array_index(lans, struct rg_ifaddr, i).ifname);
	for (guint i = 0; i < orphans->len; i++)
		g_string_append_printf(got_o, "%s%zu", i > 0 ? "," : "",
				       g_array_index(orphans, size_t, i));
	g_assert_cmpstr(got->str, ==, want_lans);
	g_assert_cmpstr(got_o->str, ==, want_orphans);
	g_string_free(got, TRUE);
	g_string_free(got_o, TRUE);
	g_array_unref(lans);
	g_array_unref(orphans);
}

static void test_find_lans(void)
{
	static const uint8_t lo[] = { 127, 0, 0, 1 }, tun[] = { 10, 0, 0, 1 };
	static const uint8_t eth0[] = { 192, 168, 1, 20 }, eth0b[] = { 192, 168, 2, 1 };
	static const uint8_t br[] = { 172, 16, 5, 1 }, v6[16] = { 0xfd, [15] = 1 };
	static const struct rg_wg_prefix routes[] = {
		{ 4, { 192, 168, 1, 0 }, 24 }, /* 0: eth0 */
		{ 4, { 172, 16, 0, 0 }, 12 },  /* 1: br-lan */
		{ 4, { 192, 168, 0, 0 }, 16 }, /* 2: eth0 twice (once listed) */
		{ 4, { 10, 9, 0, 0 }, 16 },    /* 3: nobody: an orphan */
		{ 6, { 0xfd }, 64 },	       /* 4: IPv6: ignored, not an orphan */
		{ 4, { 127, 0, 0, 0 }, 8 },    /* 5: loopback only: an orphan */
		{ 4, { 10, 0, 0, 0 }, 24 },    /* 6: the TUN only: an orphan */
	};
	GArray *list = g_array_new(FALSE, TRUE, sizeof(struct rg_ifaddr));
	struct rg_ifaddr a[] = {
		ifaddr(1, "lo", 4, lo, 8, true),	ifaddr(2, "eth0", 4, eth0, 24, false),
		ifaddr(2, "eth0", 4, eth0b, 24, false), ifaddr(2, "eth0", 6, v6, 64, false),
		ifaddr(3, "rg0", 4, tun, 24, false),	ifaddr(4, "br-lan", 4, br, 16, false),
		ifaddr(5, "wlan0", 0, NULL, 0, false),
	};

	g_array_append_vals(list, a, G_N_ELEMENTS(a));
	expect_lans(list, routes, G_N_ELEMENTS(routes), 3, "eth0,br-lan", "3,5,6");
	expect_lans(list, routes + 1, 1, 3, "br-lan", "");
	expect_lans(list, routes, 0, 3, "", "");
	/* The whole IPv4 space (an exit node): every interface but lo and the TUN. */
	{
		static const struct rg_wg_prefix all = { 4, { 0 }, 0 };

		expect_lans(list, &all, 1, 3, "eth0,br-lan", "");
	}
	g_array_unref(list);
}

static void test_state_format(void)
{
	const char *const names[] = { "riftgate0", "eth0" };
	char *text = rg_gwstate_format("riftgate", names, 2);
	struct rg_gwstate st;
	GError *err = NULL;

	g_assert_cmpstr(text, ==,
			"# riftgate gateway: undone by the next start if riftgate stops uncleanly\n"
			"\n"
			"[gateway]\n"
			"table=riftgate\n"
			"forwarding=riftgate0;eth0;\n");
	g_assert_cmpint(rg_gwstate_parse(text, strlen(text), "t", &st, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpstr(st.table, ==, "riftgate");
	g_assert_cmpuint(g_strv_length(st.forwarding), ==, 2);
	g_assert_cmpstr(st.forwarding[0], ==, "riftgate0");
	g_assert_cmpstr(st.forwarding[1], ==, "eth0");
	rg_gwstate_clear(&st);
	g_free(text);
	/* Nothing switched on yet: an empty list, read back as an empty list. */
	text = rg_gwstate_format("riftgate", NULL, 0);
	g_assert_cmpint(rg_gwstate_parse(text, strlen(text), "t", &st, NULL), ==, CORE_OK);
	g_assert_nonnull(st.forwarding);
	g_assert_null(st.forwarding[0]);
	rg_gwstate_clear(&st);
	rg_gwstate_clear(NULL);
	g_free(text);
}

static void expect_refused(const char *text, const char *message)
{
	struct rg_gwstate st;
	GError *err = NULL;

	g_assert_cmpint(rg_gwstate_parse(text, strlen(text), "gw.state", &st, &err), ==,
			CORE_ERR_CONFIG);
	g_assert_error(err, CORE_ERROR, CORE_ERR_CONFIG);
	g_assert_cmpstr(err->message, ==, message);
	g_assert_null(st.table);
	g_assert_null(st.forwarding);
	g_error_free(err);
}

static void test_state_refused(void)
{
	char *big = g_strnfill(4097, '#');

	expect_refused("[other]\nx=1\n", "gw.state: not a gateway state file: no [gateway] group");
	expect_refused("[gateway]\ntable=rift gate\n",
		       "gw.state: not a gateway state file: table is not a table name of ours");
	expect_refused("[gateway]\nforwarding=eth0;../x;\n",
		       "gw.state: not a gateway state file: forwarding names something that is not "
		       "an interface");
	expect_refused("[gateway]\nforwarding=eth0;abcdefghijklmnop;\n",
		       "gw.state: not a gateway state file: forwarding names something that is not "
		       "an interface");
	expect_refused(big, "gw.state: not a gateway state file: larger than 4096 bytes");
	g_free(big);
}

static void test_state_file(void)
{
	char *dir = g_dir_make_tmp("rg-gwstate-XXXXXX", NULL);
	char *path = g_build_filename(dir, "sub", "gateway.state", NULL);
	char *sub = g_path_get_dirname(path);
	const char *const names[] = { "eth0" };
	struct rg_gwstate st;
	GError *err = NULL;
	GStatBuf sb;

	g_assert_nonnull(dir);
	g_assert_cmpint(rg_gwstate_read(path, &st, &err), ==, CORE_ERR_NOT_FOUND);
	g_assert_no_error(err);
	g_assert_cmpint(rg_gwstate_write(path, "riftgate", names, 1, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpint(g_stat(path, &sb), ==, 0);
	g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
	g_assert_cmpint(rg_gwstate_read(path, &st, &err), ==, CORE_OK);
	g_assert_cmpstr(st.forwarding[0], ==, "eth0");
	rg_gwstate_clear(&st);
	g_assert_cmpint(rg_gwstate_remove(path, &err), ==, CORE_OK);
	g_assert_cmpint(rg_gwstate_remove(path, &err), ==, CORE_OK); /* absent: fine */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	/* A directory where the file should be: cannot write. */
	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_cmpint(rg_gwstate_write(path, "riftgate", names, 1, &err), ==, CORE_ERR_SYSTEM);
	g_assert_true(g_str_has_prefix(err->message, "cannot write "));
	g_clear_error(&err);
	g_assert_cmpint(rg_gwstate_read(path, &st, &err), ==, CORE_ERR_SYSTEM);
	g_clear_error(&err);
	g_assert_cmpint(g_rmdir(path), ==, 0);
	g_assert_cmpint(g_rmdir(sub), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_free(sub);
	g_free(path);
	g_free(dir);
}

/* RTM_NEWLINK for ifindex named name (NULL: no name attribute). */
static struct nlmsghdr *link_msg(union rg_nl_buf *buf, int ifindex, const char *name,
				 unsigned flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static void test_parse_link(void)
{
	union rg_nl_buf buf;
	struct rg_ifaddr a;

	g_assert_cmpint(rg_ifaddr_parse_link(link_msg(&buf, 4, "eth0", 0), &a), ==, CORE_OK);
	g_assert_cmpint(a.ifindex, ==, 4);
	g_assert_cmpstr(a.ifname, ==, "eth0");
	g_assert_false(a.loopback);
	g_assert_cmpint(a.prefix.family, ==, 0);
	g_assert_cmpint(rg_ifaddr_parse_link(link_msg(&buf, 1, "lo", IFF_LOOPBACK), &a), ==,
			CORE_OK);
	g_assert_true(a.loopback);
	g_assert_cmpint(rg_ifaddr_parse_link(link_msg(&buf, 4, NULL, 0), &a), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_ifaddr_parse_link(link_msg(&buf, 4, "", 0), &a), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_ifaddr_parse_link(link_msg(&buf, 4, "abcdefghijklmnop", 0), &a), ==,
			CORE_ERR_BAD_FORMAT);
	link_msg(&buf, 4, "eth0", 0)->nlmsg_type = RTM_NEWADDR;
	g_assert_cmpint(rg_ifaddr_parse_link(&buf.hdr, &a), ==, CORE_ERR_NOT_FOUND);
	/* Too short for its family header. */
	mnl_nlmsg_put_header(buf.bytes)->nlmsg_type = RTM_NEWLINK;
	g_assert_cmpint(rg_ifaddr_parse_link(&buf.hdr, &a), ==, CORE_ERR_BAD_FORMAT);
}

/* RTM_NEWADDR with the given local and address attributes (NULL: left out). */
static struct nlmsghdr *addr_msg(union rg_nl_buf *buf, uint8_t family, unsigned plen,
				 const void *local, const void *address, size_t alen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = (uint8_t)plen;
	ifa->ifa_index = 7;
	if (address != NULL)
		mnl_attr_put(nlh, IFA_ADDRESS, alen, address);
	if (local != NULL)
		mnl_attr_put(nlh, IFA_LOCAL, alen, local);
	return nlh;
}

static void test_parse_addr(void)
{
	static const uint8_t mine[] = { 10, 1, 2, 3 }, peer[] = { 10, 1, 2, 9 };
	static const uint8_t v6[16] = { 0xfd, 0, 0, 1, [15] = 5 };
	union rg_nl_buf buf;
	struct rg_ifaddr a;

	memset(&a, 0, sizeof(a));
	strcpy(a.ifname, "keep");
	/* Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer's. */
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_INET, 24, mine, peer, 4), &a), ==,
			CORE_OK);
	g_assert_cmpint(a.ifindex, ==, 7);
	g_assert_cmpint(a.prefix.family, ==, 4);
	g_assert_cmpmem(a.prefix.addr, 4, mine, 4);
	g_assert_cmpuint(a.prefix.len, ==, 24);
	g_assert_cmpstr(a.ifname, ==, "keep");
	/* IPv6 gives IFA_ADDRESS only. */
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_INET6, 64, NULL, v6, 16), &a), ==,
			CORE_OK);
	g_assert_cmpint(a.prefix.family, ==, 6);
	g_assert_cmpmem(a.prefix.addr, 16, v6, 16);
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_INET, 24, NULL, NULL, 4), &a), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_INET, 24, v6, NULL, 16), &a), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_INET, 33, mine, NULL, 4), &a), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_ifaddr_parse_addr(addr_msg(&buf, AF_PACKET, 24, mine, NULL, 4), &a), ==,
			CORE_ERR_NOT_FOUND);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/tun/gateway/find-lans", test_find_lans);
	g_test_add_func("/rift/tun/gateway/state-format", test_state_format);
	g_test_add_func("/rift/tun/gateway/state-refused", test_state_refused);
	g_test_add_func("/rift/tun/gateway/state-file", test_state_file);
	g_test_add_func("/rift/tun/gateway/parse-link", test_parse_link);
	g_test_add_func("/rift/tun/gateway/parse-addr", test_parse_addr);
	return g_test_run();
}
