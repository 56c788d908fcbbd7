/*
 * Unit tests for rift/tun/netlink: requests are built as the kernel expects;
 * acks are found among a datagram's messages, their errno and extended-ack
 * text read, and lying lengths never read past the datagram. Two live
 * requests (RTM_GETLINK, allowed without privilege) check the round trip.
 */
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "core/err.h"
#include "rift/tun/netlink.h"

#define SEQ 42

/* An echoed request: a header and 8 bytes of payload (uncapped acks carry it). */
static const struct nlmsghdr echo_hdr = { .nlmsg_len = NLMSG_HDRLEN + 8, .nlmsg_seq = SEQ };

/*
 * Append to the datagram in buf (length *len) an NLMSG_ERROR for seq; with
 * echo_len bytes of the request echoed when flags lacks NLM_F_CAPPED, and an
 * extended-ack text when text is not NULL. Returns the new message.
 */
static struct nlmsghdr *put_ack(union rg_nl_buf *buf, size_t *len, uint32_t seq, int error,
				uint16_t flags, uint32_t echo_len, const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes + *len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags | (text != NULL ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg = echo_hdr;
	e->msg.nlmsg_len = echo_len;
	if (!(flags & NLM_F_CAPPED))
		mnl_nlmsg_put_extra_header(nlh, 8);
	if (text != NULL)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	*len += nlh->nlmsg_len;
	return nlh;
}

/* Parse buf[0..len) for SEQ into res, which starts poisoned. */
static int parse(const union rg_nl_buf *buf, size_t len, struct rg_nl_result *res)
{
	memset(res, 0x5a, sizeof(*res));
	return rg_nl_parse_ack(buf, len, SEQ, res);
}

static void test_request(void)
{
	union rg_nl_buf buf;
	struct ifaddrmsg *ifa;

	memset(&buf, 0xff, sizeof(buf));
	ifa = rg_nl_request(&buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	g_assert_true((void *)ifa == buf.bytes + NLMSG_HDRLEN);
	g_assert_cmpuint(buf.hdr.nlmsg_type, ==, RTM_NEWADDR);
	g_assert_cmpuint(buf.hdr.nlmsg_flags, ==,
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	g_assert_cmpuint(buf.hdr.nlmsg_len, ==, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ifa)));
	g_assert_cmpuint(ifa->ifa_family | ifa->ifa_prefixlen | ifa->ifa_index, ==, 0);
}

static void test_accepted(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;

	put_ack(&buf, &len, SEQ, 0, NLM_F_CAPPED, echo_hdr.nlmsg_len, NULL);
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_OK);
	g_assert_cmpint(res.err_no, ==, 0);
	g_assert_cmpstr(res.msg, ==, "");
}

static void test_refused_capped(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;

	put_ack(&buf, &len, SEQ, -EEXIST, NLM_F_CAPPED, echo_hdr.nlmsg_len,
		"ipv4: Address already assigned");
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EEXIST);
	g_assert_cmpstr(res.msg, ==, "ipv4: Address already assigned");
}

/* Without NETLINK_CAP_ACK the text follows a copy of the request. */
static void test_refused_uncapped(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;

	put_ack(&buf, &len, SEQ, -ENETDOWN, 0, echo_hdr.nlmsg_len, "Device for nexthop is not up");
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, ENETDOWN);
	g_assert_cmpstr(res.msg, ==, "Device for nexthop is not up");
}

/* An echo length beyond the message, or below a header: the errno, no text, no overread. */
static void test_lying_echo_length(void)
{
	static const uint32_t lies[] = { 0xfffffff0u, 4096, NLMSG_HDRLEN + 64, 3 };
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len, i;

	for (i = 0; i < G_N_ELEMENTS(lies); i++) {
		len = 0;
		put_ack(&buf, &len, SEQ, -EINVAL, 0, lies[i], "hidden");
		g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
		g_assert_cmpint(res.err_no, ==, EINVAL);
		g_assert_cmpstr(res.msg, ==, "");
	}
}

/* A text attribute without its NUL is ignored. */
static void test_unterminated_text(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	struct nlmsghdr *nlh;
	size_t len = 0;

	nlh = put_ack(&buf, &len, SEQ, -EPERM, NLM_F_CAPPED, 0, NULL);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "abcd");
	len = nlh->nlmsg_len;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EPERM);
	g_assert_cmpstr(res.msg, ==, "");
}

/* Other requests' acks and other messages are skipped; ours is found after them. */
static void test_among_others(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	struct nlmsghdr *nlh;
	size_t len = 0;

	put_ack(&buf, &len, SEQ - 1, -EEXIST, NLM_F_CAPPED, 0, "stale");
	nlh = mnl_nlmsg_put_header(buf.bytes + len);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_seq = SEQ;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	len += nlh->nlmsg_len;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_AGAIN);
	g_assert_cmpint(res.err_no, ==, 0x5a5a5a5a); /* untouched */
	put_ack(&buf, &len, SEQ, 0, NLM_F_CAPPED, 0, NULL);
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_OK);
}

static void test_malformed(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	struct nlmsghdr *nlh;
	size_t len = 0;

	/* An error message too short for its error code. */
	nlh = put_ack(&buf, &len, SEQ, -EEXIST, NLM_F_CAPPED, 0, NULL);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	g_assert_cmpint(parse(&buf, nlh->nlmsg_len, &res), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	/* A message longer than the datagram is not read. */
	len = 0;
	nlh = put_ack(&buf, &len, SEQ, 0, NLM_F_CAPPED, 0, NULL);
	g_assert_cmpint(parse(&buf, len - 1, &res), ==, CORE_ERR_AGAIN);
	g_assert_cmpint(parse(&buf, 0, &res), ==, CORE_ERR_AGAIN);
	/* A positive "errno" is the peer's mistake, not a code to print. */
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error = 5;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	/* Nor is one beyond the errno range; INT_MIN cannot even be negated (found by the fuzzer). */
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error = INT_MIN;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error = -4096;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	/* A message length beyond 2^31 (libmnl would take it, and loop forever). */
	nlh->nlmsg_len = 0xffffffffu;
	g_assert_cmpint(parse(&buf, len, &res), ==, CORE_ERR_AGAIN);
}

/* RTM_GETLINK for ifindex with an ack: the reply is skipped, the ack found. */
static int getlink(struct rg_nl *nl, int ifindex, struct rg_nl_result *res)
{
	union rg_nl_buf buf;
	struct ifinfomsg *ifi = rg_nl_request(&buf, RTM_GETLINK, 0, sizeof(*ifi));

	ifi->ifi_index = ifindex;
	return rg_nl_transact(nl, &buf.hdr, res);
}

static void test_live(void)
{
	struct rg_nl *nl = NULL;
	struct rg_nl_result res;

	g_assert_cmpint(rg_nl_open(&nl), ==, CORE_OK);
	g_assert_cmpint(getlink(nl, 1, &res), ==, CORE_OK); /* lo, in every namespace */
	g_assert_cmpint(getlink(nl, 0x7ffffff0, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, ENODEV);
	g_assert_cmpint(getlink(nl, 1, &res), ==, CORE_OK);
	rg_nl_close(nl);
	rg_nl_close(NULL);
}

/* --- queries: replies, ends, dumps -------------------------------------------- */

/* Append a message of type with 8 payload bytes for seq. */
static void put_msg(union rg_nl_buf *buf, size_t *len, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes + *len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memset(mnl_nlmsg_put_extra_header(nlh, 8), 0, 8);
	*len += nlh->nlmsg_len;
}

/* Append NLMSG_DONE for seq with error (payload_len 0: a truncated one). */
static void put_done(union rg_nl_buf *buf, size_t *len, uint32_t seq, int error, size_t payload_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes + *len);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy(mnl_nlmsg_put_extra_header(nlh, payload_len), &error,
	       MIN(payload_len, sizeof(error)));
	*len += nlh->nlmsg_len;
}

/* The reply callback: count the messages, fail at the type RTM_DELLINK. */
static int count_reply(const struct nlmsghdr *nlh, void *data)
{
	unsigned *n = data;

	if (nlh->nlmsg_type == RTM_DELLINK)
		return CORE_ERR_BAD_VALUE;
	(*n)++;
	return CORE_OK;
}

static int replies(const union rg_nl_buf *buf, size_t len, unsigned *n, struct rg_nl_result *res)
{
	*n = 0;
	memset(res, 0x5a, sizeof(*res));
	return rg_nl_parse_replies(buf, len, SEQ, count_reply, n, res);
}

static void test_replies_dump(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;
	unsigned n;

	put_msg(&buf, &len, RTM_NEWADDR, SEQ - 1); /* an older request's */
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	put_msg(&buf, &len, NLMSG_NOOP, SEQ);
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint(res.err_no, ==, 0x5a5a5a5a);
	put_done(&buf, &len, SEQ, 0, sizeof(int));
	put_msg(&buf, &len, RTM_NEWADDR, SEQ); /* after the end: not read */
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint(res.err_no, ==, 0);
}

static void test_replies_get(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;
	unsigned n;

	/* A GET: the reply, then the ack. */
	put_msg(&buf, &len, RTM_NEWNETCONF, SEQ);
	put_ack(&buf, &len, SEQ, 0, NLM_F_CAPPED, 0, NULL);
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_OK);
	g_assert_cmpuint(n, ==, 1);
	/* Refused: the ack's errno and text. */
	len = 0;
	put_ack(&buf, &len, SEQ, -ENODEV, NLM_F_CAPPED, 0, "no such device");
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, ENODEV);
	g_assert_cmpstr(res.msg, ==, "no such device");
}

static void test_replies_broken(void)
{
	union rg_nl_buf buf;
	struct rg_nl_result res;
	size_t len = 0;
	unsigned n;

	/* A dump that ends in error. */
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	put_done(&buf, &len, SEQ, -EINTR, sizeof(int));
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EINTR);
	/* An end without its error code; one with a positive code. */
	len = 0;
	put_done(&buf, &len, SEQ, 0, 0);
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	len = 0;
	put_done(&buf, &len, SEQ, 7, sizeof(int));
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, EPROTO);
	/* The callback's failure stops the walk at once. */
	len = 0;
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	put_msg(&buf, &len, RTM_DELLINK, SEQ);
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	put_done(&buf, &len, SEQ, 0, sizeof(int));
	g_assert_cmpint(replies(&buf, len, &n, &res), ==, CORE_ERR_BAD_VALUE);
	g_assert_cmpuint(n, ==, 1);
	/* A message cut by the datagram's end is not handed on. */
	len = 0;
	put_msg(&buf, &len, RTM_NEWADDR, SEQ);
	g_assert_cmpint(replies(&buf, len - 1, &n, &res), ==, CORE_ERR_AGAIN);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(rg_nl_parse_replies(&buf, len, SEQ, NULL, NULL, &res), ==, CORE_ERR_AGAIN);
}

/* A dump of the links (allowed without privilege) and a GET with its reply. */
static void test_live_query(void)
{
	struct rg_nl *nl = NULL;
	struct rg_nl_result res;
	union rg_nl_buf buf;
	struct ifinfomsg *ifi;
	unsigned n = 0;

	g_assert_cmpint(rg_nl_open(&nl), ==, CORE_OK);
	ifi = rg_nl_request(&buf, RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi));
	g_assert_cmpint(rg_nl_query(nl, &buf.hdr, count_reply, &n, &res), ==, CORE_OK);
	g_assert_cmpuint(n, >=, 1); /* lo at least */
	n = 0;
	ifi = rg_nl_request(&buf, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 1;
	g_assert_cmpint(rg_nl_query(nl, &buf.hdr, count_reply, &n, &res), ==, CORE_OK);
	g_assert_cmpuint(n, ==, 1);
	ifi = rg_nl_request(&buf, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 0x7ffffff0;
	g_assert_cmpint(rg_nl_query(nl, &buf.hdr, count_reply, &n, &res), ==, CORE_ERR_SYSTEM);
	g_assert_cmpint(res.err_no, ==, ENODEV);
	/* The socket still answers plain requests after a dump. */
	g_assert_cmpint(getlink(nl, 1, &res), ==, CORE_OK);
	rg_nl_close(nl);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/tun/netlink/request", test_request);
	g_test_add_func("/rift/tun/netlink/accepted", test_accepted);
	g_test_add_func("/rift/tun/netlink/refused-capped", test_refused_capped);
	g_test_add_func("/rift/tun/netlink/refused-uncapped", test_refused_uncapped);
	g_test_add_func("/rift/tun/netlink/lying-echo-length", test_lying_echo_length);
	g_test_add_func("/rift/tun/netlink/unterminated-text", test_unterminated_text);
	g_test_add_func("/rift/tun/netlink/among-others", test_among_others);
	g_test_add_func("/rift/tun/netlink/malformed", test_malformed);
	g_test_add_func("/rift/tun/netlink/live", test_live);
	g_test_add_func("/rift/tun/netlink/replies-dump", test_replies_dump);
	g_test_add_func("/rift/tun/netlink/replies-get", test_replies_get);
	g_test_add_func("/rift/tun/netlink/replies-broken", test_replies_broken);
	g_test_add_func("/rift/tun/netlink/live-query", test_live_query);
	return g_test_run();
}
