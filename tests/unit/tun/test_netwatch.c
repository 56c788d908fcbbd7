/*
 * Unit tests for rift/tun/netwatch's classifier: which rtnetlink
 * notifications are a change of the machine's network (an address on
 * another interface, a default route of the main table not through the
 * tunnel) and which are not, with truncated and multi-message datagrams.
 */
#include <glib.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "rift/tun/netwatch.h"

#define TUN 7 /* the ignored interface */

union buf {
	struct nlmsghdr hdr;
	char bytes[1024];
};

static size_t addr_msg_scoped(union buf *b, uint16_t type, int ifindex, unsigned char scope,
			      unsigned char flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	struct ifaddrmsg *ifa;
	uint32_t a = 0x0a000001;

	nlh->nlmsg_type = type;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = scope;
	ifa->ifa_flags = flags;
	mnl_attr_put_u32(nlh, IFA_LOCAL, a);
	return nlh->nlmsg_len;
}

static size_t addr_msg(union buf *b, uint16_t type, int ifindex)
{
	return addr_msg_scoped(b, type, ifindex, RT_SCOPE_UNIVERSE, 0);
}

static size_t route_msg(void *at, uint16_t type, unsigned dst_len, int oif, unsigned table)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)dst_len;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh->nlmsg_len;
}

static void test_addresses(void)
{
	union buf b;
	char why[96];
	size_t n;

	n = addr_msg(&b, RTM_NEWADDR, 2);
	g_assert_true(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	g_assert_cmpstr(why, ==, "an IPv4 address added to interface 2");
	n = addr_msg(&b, RTM_DELADDR, 3);
	g_assert_true(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = addr_msg(&b, RTM_NEWADDR, TUN);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	/* link-local (fe80::, 169.254/16), host scope, and not yet through DAD */
	n = addr_msg_scoped(&b, RTM_NEWADDR, 2, RT_SCOPE_LINK, 0);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = addr_msg_scoped(&b, RTM_NEWADDR, 2, RT_SCOPE_HOST, 0);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = addr_msg_scoped(&b, RTM_NEWADDR, 2, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	/* cut inside the family header, or inside the netlink header */
	n = addr_msg(&b, RTM_NEWADDR, 2);
	b.hdr.nlmsg_len = NLMSG_HDRLEN + 2;
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	g_assert_false(rg_netwatch_relevant(&b, 8, TUN, why, sizeof(why)));
	g_assert_false(rg_netwatch_relevant(&b, 0, TUN, why, sizeof(why)));
}

static void test_routes(void)
{
	union buf b;
	char why[96];
	size_t n;

	n = route_msg(&b, RTM_NEWROUTE, 0, 2, RT_TABLE_MAIN);
	g_assert_true(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = route_msg(&b, RTM_DELROUTE, 0, 2, RT_TABLE_MAIN);
	g_assert_true(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	g_assert_cmpstr(why, ==, "an IPv4 default route removed (interface 2)");
	/* not a default route, the tunnel's own, another table, a high table number */
	n = route_msg(&b, RTM_NEWROUTE, 24, 2, RT_TABLE_MAIN);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = route_msg(&b, RTM_NEWROUTE, 0, TUN, RT_TABLE_MAIN);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = route_msg(&b, RTM_NEWROUTE, 0, 2, RT_TABLE_LOCAL);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	n = route_msg(&b, RTM_NEWROUTE, 0, 2, 1000);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	/* other messages are not changes */
	n = route_msg(&b, RTM_NEWLINK, 0, 2, RT_TABLE_MAIN);
	g_assert_false(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
}

/* One datagram may hold several messages: any change among them counts. */
static void test_several(void)
{
	union buf b;
	char why[96];
	size_t n = route_msg(&b, RTM_NEWROUTE, 24, 2, RT_TABLE_MAIN);

	n += route_msg(b.bytes + n, RTM_NEWROUTE, 0, 3, RT_TABLE_MAIN);
	g_assert_true(rg_netwatch_relevant(&b, n, TUN, why, sizeof(why)));
	g_assert_cmpstr(why, ==, "an IPv4 default route added (interface 3)");
	/* the second one cut short: not read */
	g_assert_false(rg_netwatch_relevant(&b, n - 4, TUN, why, sizeof(why)));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/netwatch/addresses", test_addresses);
	g_test_add_func("/netwatch/routes", test_routes);
	g_test_add_func("/netwatch/several", test_several);
	return g_test_run();
}
