/*
 * Fuzz target for rift/rtc/demux: any datagram gets one kind, read within
 * its bytes; WireGuard only with a type of 1-4, three zero bytes and at
 * least 32 bytes; DTLS only with a first byte of 20-63.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "rift/rtc/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size > 0 ? size : 1);
	enum rg_demux_kind k;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	k = rg_demux_classify(buf, size);
	if (k == RG_DEMUX_WIREGUARD &&
	    (size < RG_DEMUX_WG_MIN || buf[0] < 1 || buf[0] > 4 || buf[1] || buf[2] || buf[3]))
		abort();
	if (k == RG_DEMUX_DTLS && (buf[0] < 20 || buf[0] > 63))
		abort();
	free(buf);
	return 0;
}
