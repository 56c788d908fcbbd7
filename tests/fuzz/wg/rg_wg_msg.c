/*
 * Fuzz target for rift/wg/msg: any datagram either decodes into a message
 * that encodes back to exactly the same bytes, or is refused; never a read
 * outside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/wg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + 64];
	struct rg_wg_msg m;
	size_t n;

	if (rg_wg_msg_decode(data, size, &m) != CORE_OK)
		return 0;
	n = rg_wg_msg_encode(&m, out, sizeof(out));
	if (size <= sizeof(out) && (n != size || memcmp(out, data, size) != 0))
		abort();
	return 0;
}
