/*
 * Unit tests for rift/tun/nft's message builders: exact bytes of every
 * message. The table, chain and rule payloads below were checked equal, byte
 * for byte, to what nft 1.0.6 sends (`nft --debug=mnl -f`) for
 *
 *   table ip riftgate { chain postrouting {
 *     type nat hook postrouting priority srcnat; policy accept;
 *     ip saddr & 255.255.255.0 == 10.0.0.0 oifname "eth0" counter masquerade } }
 *
 * (flags and sequence numbers differ: ours ask for acks, and are numbered
 * at send). The kernel's reading of them is checked by
 * tests/integration/rift/test_gateway.c (`nft list table`).
 */
#include <stddef.h>
#include <string.h>

#include "core/err.h"
#include "rift/tun/nft.h"

/* The messages, one attribute a line. */
/* clang-format off */
#define LE16(v)		(uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define BE32(v)		0, 0, (uint8_t)(((v) >> 8) & 0xff), (uint8_t)((v) & 0xff) /* v < 65536 */
#define NLA(len, type)	LE16(len), LE16(type)
#define NEST		0x8000
/* nlmsghdr: length, type, flags; sequence number and port id 0 (set at send) */
#define HDR(len, type, flags) LE16(len), 0, 0, LE16(type), LE16(flags), 0, 0, 0, 0, 0, 0, 0, 0

/* struct nfgenmsg: family, version 0, res_id (big endian) */
#define NFGEN_BATCH 0x00, 0x00, 0x00, 0x0a /* AF_UNSPEC, NFNL_SUBSYS_NFTABLES */
#define NFGEN_IP    0x02, 0x00, 0x00, 0x00 /* NFPROTO_IPV4 */
/* NFTA_*_TABLE "riftgate": 13 bytes and 3 of padding */
#define TABLE_ATTR(type) NLA(13, type), 'r', 'i', 'f', 't', 'g', 'a', 't', 'e', 0, 0, 0, 0
#define CHAIN_NAME	 'p', 'o', 's', 't', 'r', 'o', 'u', 't', 'i', 'n', 'g', 0

static const uint8_t batch_begin[] = { HDR(20, 0x10, 0x0001), NFGEN_BATCH };
static const uint8_t batch_end[] = { HDR(20, 0x11, 0x0001), NFGEN_BATCH };

/* NFT_MSG_NEWTABLE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE */
static const uint8_t new_table[] = {
	HDR(44, 0x0a00, 0x0405), NFGEN_IP, TABLE_ATTR(1), NLA(8, 2), BE32(0), /* flags */
};

/* NFT_MSG_DELTABLE, NLM_F_REQUEST | NLM_F_ACK */
static const uint8_t del_table[] = { HDR(36, 0x0a02, 0x0005), NFGEN_IP, TABLE_ATTR(1) };

/* NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_ACK */
static const uint8_t get_table[] = { HDR(36, 0x0a01, 0x0005), NFGEN_IP, TABLE_ATTR(1) };

/* NFT_MSG_NEWCHAIN: type nat hook postrouting priority srcnat (100); policy accept */
static const uint8_t new_chain[] = {
	HDR(88, 0x0a03, 0x0405),
	NFGEN_IP,
	TABLE_ATTR(1),
	NLA(16, 3), CHAIN_NAME,
	NLA(8, 7), 'n', 'a', 't', 0, /* NFTA_CHAIN_TYPE */
	NLA(8, 5), BE32(1), /* NFTA_CHAIN_POLICY: NF_ACCEPT */
	NLA(20, NEST | 4), /* NFTA_CHAIN_HOOK */
	NLA(8, 1), BE32(4), /* NFTA_HOOK_HOOKNUM: NF_INET_POST_ROUTING */
	NLA(8, 2), BE32(100), /* NFTA_HOOK_PRIORITY: srcnat */
};

/*
 * NFT_MSG_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND:
 * ip saddr & 255.255.255.0 == 10.0.0.0 oifname "eth0" counter masquerade
 */
static const uint8_t new_rule[] = {
	HDR(360, 0x0a06, 0x0c05),
	NFGEN_IP,
	TABLE_ATTR(1),
	NLA(16, 2), CHAIN_NAME,
	NLA(308, NEST | 4), /* NFTA_RULE_EXPRESSIONS */
	/* payload load 4b @ network header + 12 => reg 1 */
	NLA(52, NEST | 1), NLA(12, 1), 'p', 'a', 'y', 'l', 'o', 'a', 'd', 0,
	NLA(36, NEST | 2),
	NLA(8, 1), BE32(1), /* dreg */
	NLA(8, 2), BE32(1), /* base: network header */
	NLA(8, 3), BE32(12), /* offset */
	NLA(8, 4), BE32(4), /* len */
	/* bitwise reg 1 = (reg 1 & 0x00ffffff) ^ 0 */
	NLA(76, NEST | 1), NLA(12, 1), 'b', 'i', 't', 'w', 'i', 's', 'e', 0,
	NLA(60, NEST | 2),
	NLA(8, 1), BE32(1), /* sreg */
	NLA(8, 2), BE32(1), /* dreg */
	NLA(8, 6), BE32(0), /* op: bool */
	NLA(8, 3), BE32(4), /* len */
	NLA(12, NEST | 4), NLA(8, 1), 0xff, 0xff, 0xff, 0x00, /* mask (offset 168) */
	NLA(12, NEST | 5), NLA(8, 1), 0x00, 0x00, 0x00, 0x00, /* xor */
	/* cmp eq reg 1 10.0.0.0 */
	NLA(44, NEST | 1), NLA(8, 1), 'c', 'm', 'p', 0,
	NLA(32, NEST | 2),
	NLA(8, 1), BE32(1), /* sreg */
	NLA(8, 2), BE32(0), /* op: eq */
	NLA(12, NEST | 3), NLA(8, 1), 10, 0, 0, 0, /* data (offset 224) */
	/* meta load oifname => reg 1 */
	NLA(36, NEST | 1), NLA(9, 1), 'm', 'e', 't', 'a', 0, 0, 0, 0,
	NLA(20, NEST | 2),
	NLA(8, 2), BE32(7), /* key: oifname */
	NLA(8, 1), BE32(1), /* dreg */
	/* cmp eq reg 1 "eth0" (16 bytes, NUL-padded) */
	NLA(56, NEST | 1), NLA(8, 1), 'c', 'm', 'p', 0,
	NLA(44, NEST | 2),
	NLA(8, 1), BE32(1),
	NLA(8, 2), BE32(0),
	NLA(24, NEST | 3), NLA(20, 1), 'e', 't', 'h', '0', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* counter */
	NLA(20, NEST | 1), NLA(12, 1), 'c', 'o', 'u', 'n', 't', 'e', 'r', 0, NLA(4, NEST | 2),
	/* masq */
	NLA(20, NEST | 1), NLA(9, 1), 'm', 'a', 's', 'q', 0, 0, 0, 0, NLA(4, NEST | 2),
};

#define RULE_MASK_OFF  168
#define RULE_NET_OFF   224
#define RULE_IFNAME_OFF 304

/* clang-format on */

static const struct rg_wg_prefix tunnel = { 4, { 10, 0, 0, 1 }, 24 };

/* Append n bytes to the expected batch. */
static void want_add(GByteArray *want, const uint8_t *bytes, size_t n)
{
	g_byte_array_append(want, bytes, (guint)n);
}

static void assert_batch(const uint8_t *got, size_t len, const GByteArray *want)
{
	g_assert_cmpmem(got, len, want->data, want->len);
}

static void test_masq_one(void)
{
	const char *ifs[] = { "eth0" };
	GByteArray *want = g_byte_array_new();
	static uint8_t buf[RG_NFT_MASQ_SIZE(1)];
	size_t len;

	memset(buf, 0xee, sizeof(buf));
	len = rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, ifs, 1);
	want_add(want, batch_begin, sizeof(batch_begin));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, del_table, sizeof(del_table));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, new_chain, sizeof(new_chain));
	want_add(want, new_rule, sizeof(new_rule));
	want_add(want, batch_end, sizeof(batch_end));
	g_assert_cmpuint(len, ==, 612);
	assert_batch(buf, len, want);
	g_byte_array_unref(want);
}

static void test_masq_two_and_prefix(void)
{
	/* 10.1.31.5/20: net 10.1.16.0, mask 255.255.240.0; rules in the order given */
	const struct rg_wg_prefix t20 = { 4, { 10, 1, 31, 5 }, 20 };
	const char *ifs[] = { "br-lan", "eth1" };
	static const uint8_t mask[] = { 0xff, 0xff, 0xf0, 0x00 }, net[] = { 10, 1, 16, 0 };
	GByteArray *want = g_byte_array_new();
	static uint8_t buf[RG_NFT_MASQ_SIZE(2)];
	uint8_t rule[sizeof(new_rule)];
	size_t len;

	len = rg_nft_build_masq(buf, sizeof(buf), "riftgate", &t20, ifs, 2);
	want_add(want, batch_begin, sizeof(batch_begin));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, del_table, sizeof(del_table));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, new_chain, sizeof(new_chain));
	for (size_t i = 0; i < G_N_ELEMENTS(ifs); i++) {
		memcpy(rule, new_rule, sizeof(rule));
		memcpy(rule + RULE_MASK_OFF, mask, 4);
		memcpy(rule + RULE_NET_OFF, net, 4);
		memset(rule + RULE_IFNAME_OFF, 0, 16);
		memcpy(rule + RULE_IFNAME_OFF, ifs[i], strlen(ifs[i]));
		want_add(want, rule, sizeof(rule));
	}
	want_add(want, batch_end, sizeof(batch_end));
	assert_batch(buf, len, want);
	g_byte_array_unref(want);
}

static void test_masq_no_interface(void)
{
	GByteArray *want = g_byte_array_new();
	uint8_t buf[RG_NFT_MASQ_SIZE(0)];
	size_t len;

	len = rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, NULL, 0);
	want_add(want, batch_begin, sizeof(batch_begin));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, del_table, sizeof(del_table));
	want_add(want, new_table, sizeof(new_table));
	want_add(want, new_chain, sizeof(new_chain));
	want_add(want, batch_end, sizeof(batch_end));
	assert_batch(buf, len, want);
	g_byte_array_unref(want);
}

/* The longest names fit the room RG_NFT_MASQ_SIZE promises. */
static void test_masq_longest(void)
{
	const char *table = "t2345678901234567890123456789012";
	const char *ifs[RG_NFT_IFS_MAX];
	static uint8_t buf[RG_NFT_MASQ_SIZE(RG_NFT_IFS_MAX) + 64];
	size_t len;

	for (size_t i = 0; i < G_N_ELEMENTS(ifs); i++)
		ifs[i] = "if3456789012345";
	memset(buf, 0xee, sizeof(buf));
	len = rg_nft_build_masq(buf, RG_NFT_MASQ_SIZE(RG_NFT_IFS_MAX), table, &tunnel, ifs,
				RG_NFT_IFS_MAX);
	g_assert_cmpuint(len, >, 0);
	g_assert_cmpuint(len, <=, RG_NFT_MASQ_SIZE(RG_NFT_IFS_MAX));
	g_assert_cmpuint(buf[RG_NFT_MASQ_SIZE(RG_NFT_IFS_MAX)], ==, 0xee);
}

static void test_masq_refused(void)
{
	const struct rg_wg_prefix v6 = { 6, { 0xfd }, 64 }, bad = { 4, { 10 }, 33 };
	const char *ok[] = { "eth0" }, *long_if[] = { "if34567890123456" }, *empty[] = { "" };
	const char *null_if[] = { NULL };
	static uint8_t buf[RG_NFT_MASQ_SIZE(RG_NFT_IFS_MAX + 1)];
	const char *many[RG_NFT_IFS_MAX + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
		many[i] = "eth0";
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &v6, ok, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &bad, ok, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", NULL, ok, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, long_if, 1), ==,
			 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, empty, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, null_if, 1), ==,
			 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, NULL, 1), ==, 0);
	g_assert_cmpuint(
		rg_nft_build_masq(buf, sizeof(buf), "riftgate", &tunnel, many, RG_NFT_IFS_MAX + 1),
		==, 0);
	g_assert_cmpuint(
		rg_nft_build_masq(buf, RG_NFT_MASQ_SIZE(1) - 1, "riftgate", &tunnel, ok, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(buf, sizeof(buf), "rift gate", &tunnel, ok, 1), ==, 0);
	g_assert_cmpuint(rg_nft_build_masq(NULL, sizeof(buf), "riftgate", &tunnel, ok, 1), ==, 0);
}

static void test_table_names(void)
{
	g_assert_true(rg_nft_table_name_ok("riftgate"));
	g_assert_true(rg_nft_table_name_ok("rg_test-2"));
	g_assert_true(rg_nft_table_name_ok("t2345678901234567890123456789012"));
	g_assert_false(rg_nft_table_name_ok("t23456789012345678901234567890123"));
	g_assert_false(rg_nft_table_name_ok(""));
	g_assert_false(rg_nft_table_name_ok(NULL));
	g_assert_false(rg_nft_table_name_ok("2rift"));
	g_assert_false(rg_nft_table_name_ok("_rift"));
	g_assert_false(rg_nft_table_name_ok("rift gate"));
	g_assert_false(rg_nft_table_name_ok("rift;flush"));
	g_assert_false(rg_nft_table_name_ok("rift\"gate"));
}

static void test_delete(void)
{
	GByteArray *want = g_byte_array_new();
	uint8_t buf[RG_NFT_DELETE_SIZE];
	size_t len;

	len = rg_nft_build_delete(buf, sizeof(buf), "riftgate");
	want_add(want, batch_begin, sizeof(batch_begin));
	want_add(want, del_table, sizeof(del_table));
	want_add(want, batch_end, sizeof(batch_end));
	assert_batch(buf, len, want);
	g_assert_cmpuint(rg_nft_build_delete(buf, sizeof(buf) - 1, "riftgate"), ==, 0);
	g_assert_cmpuint(rg_nft_build_delete(buf, sizeof(buf), "x y"), ==, 0);
	g_byte_array_unref(want);
}

static void test_get(void)
{
	union rg_nl_buf buf;

	memset(&buf, 0xee, sizeof(buf));
	rg_nft_build_get(&buf, "riftgate");
	g_assert_cmpmem(buf.bytes, buf.hdr.nlmsg_len, get_table, sizeof(get_table));
}

/* Arguments outside the contract are refused before any I/O (no socket needed). */
static void test_io_refused(void)
{
	const char *one[] = { "eth0" };
	GError *err = NULL;
	bool exists = true;

	g_assert_cmpint(rg_nft_masq(NULL, "bad name", &tunnel, one, 1, &err), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(
		err->message, ==,
		"cannot create nftables table ip bad name: a bad table name, a tunnel "
		"prefix that is not IPv4, a bad interface name, or more than 64 interfaces");
	g_clear_error(&err);
	g_assert_cmpint(rg_nft_masq(NULL, "riftgate", &tunnel, one, RG_NFT_IFS_MAX + 1, &err), ==,
			CORE_ERR_INVALID_ARG);
	g_clear_error(&err);
	g_assert_cmpint(rg_nft_delete(NULL, "x;y", &err), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(err->message, ==,
			"cannot delete nftables table ip x;y: not a table name we use");
	g_clear_error(&err);
	g_assert_cmpint(rg_nft_exists(NULL, NULL, &exists, &err), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(err->message, ==,
			"cannot look for nftables table ip (null): not a table name we use");
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/tun/nft/masq-one", test_masq_one);
	g_test_add_func("/rift/tun/nft/masq-two-and-prefix", test_masq_two_and_prefix);
	g_test_add_func("/rift/tun/nft/masq-no-interface", test_masq_no_interface);
	g_test_add_func("/rift/tun/nft/masq-longest", test_masq_longest);
	g_test_add_func("/rift/tun/nft/masq-refused", test_masq_refused);
	g_test_add_func("/rift/tun/nft/table-names", test_table_names);
	g_test_add_func("/rift/tun/nft/delete", test_delete);
	g_test_add_func("/rift/tun/nft/get", test_get);
	g_test_add_func("/rift/tun/nft/io-refused", test_io_refused);
	return g_test_run();
}
