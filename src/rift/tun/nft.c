/* nft.c - the tunnel's masquerade as an nftables table, over nfnetlink (see nft.h). */
#include "rift/tun/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <string.h>

#include "core/err.h"

#define NFT_PRIO_SRCNAT 100 /* nft's "srcnat" priority (NF_IP_PRI_NAT_SRC) */
#define NFT_IP_SADDR	12  /* offset of the source address in the IPv4 header */
#define NFT_MSG_ROOM	448 /* room reserved per message: the longest, a rule, is below 400 */

/* A batch under construction: messages appended at len, each numbered at send. */
struct nft_batch {
	char *buf;
	size_t len;
};

/* Append a message header of type (0..255 for nfnetlink's own, else nf_tables'). */
static struct nlmsghdr *nft_msg(struct nft_batch *b, uint16_t type, uint16_t flags, uint8_t family,
				uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* A request of nf_tables for family ip, asking for an ack. */
static struct nlmsghdr *nft_req(struct nft_batch *b, uint16_t msg, uint16_t flags)
{
	return nft_msg(b, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | msg), NLM_F_ACK | flags,
		       NFPROTO_IPV4, 0);
}

/* Count a finished message into the batch. */
static void nft_end(struct nft_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* BEGIN or END of an nf_tables batch. */
static void nft_batch_mark(struct nft_batch *b, uint16_t type)
{
	nft_end(b, nft_msg(b, type, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
}

static void nft_table_msg(struct nft_batch *b, uint16_t msg, uint16_t flags, const char *table)
{
	struct nlmsghdr *nlh = nft_req(b, msg, flags);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	if (msg == NFT_MSG_NEWTABLE)
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, 0);
	nft_end(b, nlh);
}

/* The base chain: type nat hook postrouting priority srcnat; policy accept. */
static void nft_chain_msg(struct nft_batch *b, const char *table)
{
	struct nlmsghdr *nlh = nft_req(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	struct nlattr *hook;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, RG_NFT_CHAIN);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "nat");
	mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_ACCEPT));
	hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(NF_INET_POST_ROUTING));
	mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(NFT_PRIO_SRCNAT));
	mnl_attr_nest_end(nlh, hook);
	nft_end(b, nlh);
}

/* Open one expression of a rule: a list element with its name and its data nest. */
static struct nlattr *nft_expr_start(struct nlmsghdr *nlh, const char *name, struct nlattr **data)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	*data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	return elem;
}

static void nft_expr_end(struct nlmsghdr *nlh, struct nlattr *elem, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

/* A value of len bytes as nf_tables data: a nest holding NFTA_DATA_VALUE. */
static void nft_data(struct nlmsghdr *nlh, uint16_t type, const void *value, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, value);
	mnl_attr_nest_end(nlh, nest);
}

/* payload load 4b @ network header + 12 => reg 1 */
static void nft_expr_saddr(struct nlmsghdr *nlh)
{
	struct nlattr *data, *elem = nft_expr_start(nlh, "payload", &data);

	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_BASE, htonl(NFT_PAYLOAD_NETWORK_HEADER));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_OFFSET, htonl(NFT_IP_SADDR));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_LEN, htonl(4));
	nft_expr_end(nlh, elem, data);
}

/* bitwise reg 1 = (reg 1 & mask) ^ 0 */
static void nft_expr_mask(struct nlmsghdr *nlh, const uint8_t mask[4])
{
	static const uint8_t zero[4];
	struct nlattr *data, *elem = nft_expr_start(nlh, "bitwise", &data);

	mnl_attr_put_u32(nlh, NFTA_BITWISE_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_BITWISE_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_BITWISE_OP, htonl(NFT_BITWISE_BOOL));
	mnl_attr_put_u32(nlh, NFTA_BITWISE_LEN, htonl(4));
	nft_data(nlh, NFTA_BITWISE_MASK, mask, 4);
	nft_data(nlh, NFTA_BITWISE_XOR, zero, 4);
	nft_expr_end(nlh, elem, data);
}

/* cmp eq reg 1 value */
static void nft_expr_eq(struct nlmsghdr *nlh, const void *value, size_t len)
{
	struct nlattr *data, *elem = nft_expr_start(nlh, "cmp", &data);

	mnl_attr_put_u32(nlh, NFTA_CMP_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_CMP_OP, htonl(NFT_CMP_EQ));
	nft_data(nlh, NFTA_CMP_DATA, value, len);
	nft_expr_end(nlh, elem, data);
}

/* meta load oifname => reg 1 */
static void nft_expr_oifname(struct nlmsghdr *nlh)
{
	struct nlattr *data, *elem = nft_expr_start(nlh, "meta", &data);

	mnl_attr_put_u32(nlh, NFTA_META_KEY, htonl(NFT_META_OIFNAME));
	mnl_attr_put_u32(nlh, NFTA_META_DREG, htonl(NFT_REG_1));
	nft_expr_end(nlh, elem, data);
}

/* An expression without arguments: "counter", "masq". */
static void nft_expr_plain(struct nlmsghdr *nlh, const char *name)
{
	struct nlattr *data, *elem = nft_expr_start(nlh, name, &data);

	nft_expr_end(nlh, elem, data);
}

/* ip saddr & mask == net oifname "ifname" counter masquerade */
static void nft_rule_msg(struct nft_batch *b, const char *table, const uint8_t net[4],
			 const uint8_t mask[4], const char *ifname)
{
	struct nlmsghdr *nlh = nft_req(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	char name[IFNAMSIZ] = { 0 }; /* oifname compares all 16 bytes, NUL-padded */
	struct nlattr *exprs;

	g_strlcpy(name, ifname, sizeof(name));
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, RG_NFT_CHAIN);
	exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	nft_expr_saddr(nlh);
	nft_expr_mask(nlh, mask);
	nft_expr_eq(nlh, net, 4);
	nft_expr_oifname(nlh);
	nft_expr_eq(nlh, name, sizeof(name));
	nft_expr_plain(nlh, "counter");
	nft_expr_plain(nlh, "masq");
	mnl_attr_nest_end(nlh, exprs);
	nft_end(b, nlh);
}

bool rg_nft_table_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > RG_NFT_TABLE_MAX || !g_ascii_isalpha(name[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	}
	return true;
}

/* The tunnel's network and mask, or false when it is not an IPv4 prefix. */
static bool nft_tunnel(const struct rg_wg_prefix *tunnel, uint8_t net[4], uint8_t mask[4])
{
	uint32_t m;

	if (tunnel == NULL || tunnel->family != 4 || tunnel->len > 32)
		return false;
	m = tunnel->len == 0 ? 0 : htonl(0xffffffffu << (32 - tunnel->len));
	memcpy(mask, &m, 4);
	for (int i = 0; i < 4; i++)
		net[i] = tunnel->addr[i] & mask[i];
	return true;
}

/* Whether every one of the n names is an interface name (1..15 bytes). */
static bool nft_ifnames_ok(const char *const *ifnames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ifnames[i] == NULL || ifnames[i][0] == '\0' || strlen(ifnames[i]) >= IFNAMSIZ)
			return false;
	}
	return true;
}

size_t rg_nft_build_masq(void *buf, size_t size, const char *table,
			 const struct rg_wg_prefix *tunnel, const char *const *ifnames, size_t n)
{
	struct nft_batch b = { buf, 0 };
	uint8_t net[4], mask[4];

	if (buf == NULL || !rg_nft_table_name_ok(table) || !nft_tunnel(tunnel, net, mask) ||
	    n > RG_NFT_IFS_MAX || (n > 0 && ifnames == NULL) || !nft_ifnames_ok(ifnames, n) ||
	    size < RG_NFT_MASQ_SIZE(n))
		return 0;
	memset(buf, 0, size); /* libmnl 1.0.4 leaves the padding after a string as it was */
	nft_batch_mark(&b, NFNL_MSG_BATCH_BEGIN);
	/* Add (no-op if there), delete, add: whatever was there is replaced, atomically. */
	nft_table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, table);
	nft_table_msg(&b, NFT_MSG_DELTABLE, 0, table);
	nft_table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, table);
	nft_chain_msg(&b, table);
	for (size_t i = 0; i < n; i++)
		nft_rule_msg(&b, table, net, mask, ifnames[i]);
	nft_batch_mark(&b, NFNL_MSG_BATCH_END);
	return b.len;
}

size_t rg_nft_build_delete(void *buf, size_t size, const char *table)
{
	struct nft_batch b = { buf, 0 };

	if (buf == NULL || !rg_nft_table_name_ok(table) || size < RG_NFT_DELETE_SIZE)
		return 0;
	memset(buf, 0, size);
	nft_batch_mark(&b, NFNL_MSG_BATCH_BEGIN);
	nft_table_msg(&b, NFT_MSG_DELTABLE, 0, table);
	nft_batch_mark(&b, NFNL_MSG_BATCH_END);
	return b.len;
}

void rg_nft_build_get(union rg_nl_buf *buf, const char *table)
{
	struct nft_batch b = { buf->bytes, 0 };
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(*buf));
	nlh = nft_req(&b, NFT_MSG_GETTABLE, 0);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
}

/* --- I/O ----------------------------------------------------------------- */

/* What message i of rg_nft_build_masq's batch was: " (chain postrouting)", ... */
static char *nft_part(size_t i, const char *const *ifnames, size_t n)
{
	if (i >= 1 && i <= 3)
		return g_strdup(" (table)");
	if (i == 4)
		return g_strdup(" (chain " RG_NFT_CHAIN ")");
	if (i >= 5 && i - 5 < n)
		return g_strdup_printf(" (rule for %s)", ifnames[i - 5]);
	return g_strdup("");
}

/* Set *error to "<what> ip <table><part>: <errno text> (<kernel's text>)" and return rc. */
static int nft_fail(GError **error, int rc, const struct rg_nl_result *res, const char *what,
		    const char *table, const char *part)
{
	if (res->msg[0] != '\0')
		g_set_error(error, CORE_ERROR, rc, "%s ip %s%s: %s (%s)", what, table, part,
			    g_strerror(res->err_no), res->msg);
	else
		g_set_error(error, CORE_ERROR, rc, "%s ip %s%s: %s", what, table, part,
			    g_strerror(res->err_no));
	return rc;
}

int rg_nft_masq(struct rg_nl *nl, const char *table, const struct rg_wg_prefix *tunnel,
		const char *const *ifnames, size_t n, GError **error)
{
	size_t size = RG_NFT_MASQ_SIZE(n), len, failed;
	char *buf = NULL, *part = NULL;
	struct rg_nl_result res;
	int rc = CORE_ERR_INVALID_ARG;

	if (n <= RG_NFT_IFS_MAX)
		buf = g_malloc0(size);
	len = buf != NULL ? rg_nft_build_masq(buf, size, table, tunnel, ifnames, n) : 0;
	if (len == 0) {
		g_set_error(error, CORE_ERROR, rc,
			    "cannot create nftables table ip %s: a bad table name, a tunnel prefix "
			    "that is not IPv4, a bad interface name, or more than %d interfaces",
			    table != NULL ? table : "(null)", RG_NFT_IFS_MAX);
		goto out;
	}
	rc = rg_nl_transact_batch(nl, buf, len, &res, &failed);
	if (rc != CORE_OK) {
		part = nft_part(failed, ifnames, n);
		nft_fail(error, rc, &res, "cannot create nftables table", table, part);
	}
out:
	g_free(part);
	g_free(buf);
	return rc;
}

int rg_nft_delete(struct rg_nl *nl, const char *table, GError **error)
{
	char buf[RG_NFT_DELETE_SIZE];
	struct rg_nl_result res;
	size_t len, failed;
	int rc;

	len = rg_nft_build_delete(buf, sizeof(buf), table);
	if (len == 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_INVALID_ARG,
			    "cannot delete nftables table ip %s: not a table name we use",
			    table != NULL ? table : "(null)");
		return CORE_ERR_INVALID_ARG;
	}
	rc = rg_nl_transact_batch(nl, buf, len, &res, &failed);
	if (rc == CORE_ERR_SYSTEM && res.err_no == ENOENT) {
		g_set_error(error, CORE_ERROR, CORE_ERR_NOT_FOUND, "no nftables table ip %s",
			    table);
		return CORE_ERR_NOT_FOUND;
	}
	if (rc != CORE_OK)
		nft_fail(error, rc, &res, "cannot delete nftables table", table, "");
	return rc;
}

int rg_nft_exists(struct rg_nl *nl, const char *table, bool *exists, GError **error)
{
	struct rg_nl_result res;
	union rg_nl_buf buf;
	int rc;

	if (!rg_nft_table_name_ok(table)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_INVALID_ARG,
			    "cannot look for nftables table ip %s: not a table name we use",
			    table != NULL ? table : "(null)");
		return CORE_ERR_INVALID_ARG;
	}
	rg_nft_build_get(&buf, table);
	rc = rg_nl_transact(nl, &buf.hdr, &res);
	*exists = rc == CORE_OK;
	if (rc == CORE_ERR_SYSTEM && res.err_no == ENOENT)
		return CORE_OK;
	if (rc != CORE_OK)
		nft_fail(error, rc, &res, "cannot look for nftables table", table, "");
	return rc;
}
