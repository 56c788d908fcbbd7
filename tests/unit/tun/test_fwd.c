/*
 * Unit tests for rift/tun/fwd: the requests' exact bytes (as the kernel's
 * rtnetlink reads them: RTM_SETLINK > IFLA_AF_SPEC > AF_INET >
 * IFLA_INET_CONF > IPV4_DEVCONF_FORWARDING, and RTM_GETNETCONF for one
 * interface), and the netconf answer's parser on good, foreign and broken
 * messages. The live round trip is in tests/integration/rift/test_gateway.c.
 */
#include <libmnl/libmnl.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "rift/tun/fwd.h"

static void assert_bytes(const union rg_nl_buf *buf, const uint8_t *want, size_t n)
{
	g_assert_cmpuint(buf->hdr.nlmsg_len, ==, n);
	g_assert_cmpmem(buf->bytes, n, want, n);
}

static void test_build_set(void)
{
	static const uint8_t want_on[] = {
		0x34, 0x00, 0x00, 0x00, /* nlmsg_len 52 */
		0x13, 0x00, 0x05, 0x00, /* RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq, pid: set at send */
		0x00, 0x00, 0x00, 0x00,				/* ifinfomsg: AF_UNSPEC, type 0 */
		0x07, 0x00, 0x00, 0x00,				/* ifindex 7 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* flags, change: none */
		0x14, 0x00, 0x1a, 0x80, /* IFLA_AF_SPEC (nested), 20 bytes */
		0x10, 0x00, 0x02, 0x80, /*   AF_INET (nested), 16 bytes */
		0x0c, 0x00, 0x01, 0x80, /*     IFLA_INET_CONF (nested), 12 bytes */
		0x08, 0x00, 0x01, 0x00, /*       IPV4_DEVCONF_FORWARDING, u32 */
		0x01, 0x00, 0x00, 0x00, /*       1: on */
	};
	uint8_t want_off[sizeof(want_on)];
	union rg_nl_buf buf;

	memset(&buf, 0xff, sizeof(buf));
	rg_fwd_build_set(&buf, 7, true);
	assert_bytes(&buf, want_on, sizeof(want_on));
	memcpy(want_off, want_on, sizeof(want_on));
	want_off[sizeof(want_off) - 4] = 0;
	rg_fwd_build_set(&buf, 7, false);
	assert_bytes(&buf, want_off, sizeof(want_off));
}

static void test_build_get(void)
{
	static const uint8_t want[] = {
		0x1c, 0x00, 0x00, 0x00, /* nlmsg_len 28 */
		0x52, 0x00, 0x05, 0x00, /* RTM_GETNETCONF, NLM_F_REQUEST | NLM_F_ACK */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq, pid */
		0x02, 0x00, 0x00, 0x00,				/* netconfmsg: AF_INET, padding */
		0x08, 0x00, 0x01, 0x00,				/* NETCONFA_IFINDEX */
		0x2a, 0x00, 0x00, 0x00,				/* 42 */
	};
	union rg_nl_buf buf;

	memset(&buf, 0xff, sizeof(buf));
	rg_fwd_build_get(&buf, 42);
	assert_bytes(&buf, want, sizeof(want));
}

/* An RTM_NEWNETCONF for ifindex in buf; forwarding < 0 leaves that attribute out. */
static struct nlmsghdr *netconf(union rg_nl_buf *buf, uint8_t family, int ifindex, int forwarding)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes);
	struct netconfmsg *ncm;

	nlh->nlmsg_type = RTM_NEWNETCONF;
	ncm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ncm));
	ncm->ncm_family = family;
	mnl_attr_put_u32(nlh, NETCONFA_IFINDEX, (uint32_t)ifindex);
	if (forwarding >= 0)
		mnl_attr_put_u32(nlh, NETCONFA_FORWARDING, (uint32_t)forwarding);
	mnl_attr_put_u32(nlh, NETCONFA_RP_FILTER, 2);
	return nlh;
}

static void test_parse(void)
{
	union rg_nl_buf buf;
	struct nlmsghdr *nlh;
	bool on = false;

	g_assert_cmpint(rg_fwd_parse_netconf(netconf(&buf, AF_INET, 3, 1), 3, &on), ==, CORE_OK);
	g_assert_true(on);
	g_assert_cmpint(rg_fwd_parse_netconf(netconf(&buf, AF_INET, 3, 0), 3, &on), ==, CORE_OK);
	g_assert_false(on);
	/* Another interface, another family, no forwarding attribute, another type. */
	on = true;
	g_assert_cmpint(rg_fwd_parse_netconf(netconf(&buf, AF_INET, 4, 0), 3, &on), ==,
			CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_fwd_parse_netconf(netconf(&buf, AF_INET6, 3, 0), 3, &on), ==,
			CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_fwd_parse_netconf(netconf(&buf, AF_INET, 3, -1), 3, &on), ==,
			CORE_ERR_NOT_FOUND);
	nlh = netconf(&buf, AF_INET, 3, 0);
	nlh->nlmsg_type = RTM_NEWLINK;
	g_assert_cmpint(rg_fwd_parse_netconf(nlh, 3, &on), ==, CORE_ERR_NOT_FOUND);
	g_assert_true(on); /* untouched */
}

static void test_parse_broken(void)
{
	union rg_nl_buf buf;
	struct nlmsghdr *nlh;
	bool on = false;

	/* No room for the family header. */
	nlh = mnl_nlmsg_put_header(buf.bytes);
	nlh->nlmsg_type = RTM_NEWNETCONF;
	g_assert_cmpint(rg_fwd_parse_netconf(nlh, 3, &on), ==, CORE_ERR_BAD_FORMAT);
	/* A forwarding attribute of 2 bytes. */
	nlh = netconf(&buf, AF_INET, 3, -1);
	mnl_attr_put_u16(nlh, NETCONFA_FORWARDING, 1);
	g_assert_cmpint(rg_fwd_parse_netconf(nlh, 3, &on), ==, CORE_ERR_BAD_FORMAT);
	/* A last attribute cut short is not read, though its end rounded up would fit. */
	nlh = netconf(&buf, AF_INET, 3, -1);
	mnl_attr_put_u32(nlh, NETCONFA_FORWARDING, 1);
	nlh->nlmsg_len -= 2;
	g_assert_cmpint(rg_fwd_parse_netconf(nlh, 3, &on), ==, CORE_ERR_NOT_FOUND);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/tun/fwd/build-set", test_build_set);
	g_test_add_func("/rift/tun/fwd/build-get", test_build_get);
	g_test_add_func("/rift/tun/fwd/parse", test_parse);
	g_test_add_func("/rift/tun/fwd/parse-broken", test_parse_broken);
	return g_test_run();
}
