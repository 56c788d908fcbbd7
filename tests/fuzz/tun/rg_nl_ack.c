/*
 * Fuzz target for rift/tun/netlink's ack parser: any datagram either holds
 * no ack for the request (res untouched), an acceptance (err_no 0), or a
 * refusal with a positive errno and a NUL-terminated text; never a read
 * outside the input, whatever its lengths and offsets claim.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/tun/netlink.h"

#define FUZZ_SEQ 1 /* the seeds' requests */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A datagram lands in an aligned buffer of its own size: ASan sees any overread. */
	union rg_nl_buf *buf = malloc(size > 0 ? size : 1);
	struct rg_nl_result res;
	int rc;

	if (buf == NULL || size > sizeof(*buf))
		goto out;
	memcpy(buf, data, size);
	memset(&res, 0x5a, sizeof(res));
	rc = rg_nl_parse_ack(buf, size, FUZZ_SEQ, &res);
	if (rc == CORE_ERR_AGAIN && res.err_no != 0x5a5a5a5a)
		abort();
	if (rc == CORE_OK && (res.err_no != 0 || res.msg[0] != '\0'))
		abort();
	if ((rc == CORE_ERR_SYSTEM || rc == CORE_ERR_BAD_FORMAT) &&
	    (res.err_no <= 0 || memchr(res.msg, '\0', sizeof(res.msg)) == NULL))
		abort();
	if (rc != CORE_OK && rc != CORE_ERR_AGAIN && rc != CORE_ERR_SYSTEM &&
	    rc != CORE_ERR_BAD_FORMAT)
		abort();
out:
	free(buf);
	return 0;
}
