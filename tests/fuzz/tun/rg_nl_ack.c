/*
 * Fuzz target for rift/tun/netlink's ack parser: any datagram either holds
 * no ack for the request (res untouched), an acceptance (err_no 0), or a
 * refusal with a positive errno and a NUL-terminated text; never a read
 * outside the input, whatever its lengths and offsets claim. The same
 * datagram then goes through the reply walker of queries and dumps
 * (rg_nl_parse_replies): every message it hands on lies inside the input,
 * and its outcome follows the same rules (an end is an acceptance).
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/tun/netlink.h"

#define FUZZ_SEQ 1 /* the seeds' requests */

/* Where the datagram under test lies, for the reply callback's check. */
struct fuzz_span {
	const char *start;
	size_t len;
};

/* A reply handed on: whole, inside the datagram, of our request. */
static int fuzz_reply(const struct nlmsghdr *nlh, void *data)
{
	const struct fuzz_span *span = data;
	size_t off = (size_t)((const char *)nlh - span->start);

	if ((const char *)nlh < span->start || off > span->len || span->len - off < sizeof(*nlh) ||
	    nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > span->len - off ||
	    nlh->nlmsg_seq != FUZZ_SEQ || nlh->nlmsg_type == NLMSG_ERROR ||
	    nlh->nlmsg_type == NLMSG_DONE)
		abort();
	return 0;
}

/* The outcome rules both parsers share. */
static void fuzz_check(int rc, const struct rg_nl_result *res)
{
	if (rc == CORE_ERR_AGAIN && res->err_no != 0x5a5a5a5a)
		abort();
	if (rc == CORE_OK && (res->err_no != 0 || res->msg[0] != '\0'))
		abort();
	if ((rc == CORE_ERR_SYSTEM || rc == CORE_ERR_BAD_FORMAT) &&
	    (res->err_no <= 0 || memchr(res->msg, '\0', sizeof(res->msg)) == NULL))
		abort();
	if (rc != CORE_OK && rc != CORE_ERR_AGAIN && rc != CORE_ERR_SYSTEM &&
	    rc != CORE_ERR_BAD_FORMAT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A datagram lands in an aligned buffer of its own size: ASan sees any overread. */
	union rg_nl_buf *buf = malloc(size > 0 ? size : 1);
	struct rg_nl_result res;
	struct fuzz_span span;
	int rc;

	if (buf == NULL || size > sizeof(*buf))
		goto out;
	memcpy(buf, data, size);
	memset(&res, 0x5a, sizeof(res));
	rc = rg_nl_parse_ack(buf, size, FUZZ_SEQ, &res);
	fuzz_check(rc, &res);
	memset(&res, 0x5a, sizeof(res));
	span.start = (const char *)buf;
	span.len = size;
	rc = rg_nl_parse_replies(buf, size, FUZZ_SEQ, fuzz_reply, &span, &res);
	fuzz_check(rc, &res);
out:
	free(buf);
	return 0;
}
