/*
 * Fuzz target for rift/tun/netwatch's classifier: any datagram of
 * rtnetlink notifications is read within its bytes, and the answer does not
 * depend on bytes past the end (the same input, cut, never reads further).
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "rift/tun/netwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an aligned buffer of exactly the input's size: ASan sees any overread */
	void *buf = malloc(size > 0 ? size : 1);
	char why[96];

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (rg_netwatch_relevant(buf, size, 7, why, sizeof(why)) &&
	    memchr(why, 0, sizeof(why)) == NULL)
		abort();
	(void)rg_netwatch_relevant(buf, size, 0, why, sizeof(why));
	free(buf);
	return 0;
}
