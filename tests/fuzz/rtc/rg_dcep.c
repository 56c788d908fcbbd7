/*
 * Fuzz target for rift/rtc/dcep: decode any input; whatever decodes must
 * re-encode to exactly the input bytes, and an OPEN's label and protocol must
 * lie inside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/rtc/dcep.h"

/* Re-encode a decoded message and compare with the input. */
static void check_roundtrip(const uint8_t *data, size_t size, enum rg_dcep_type type,
			    const struct rg_dcep_open *o)
{
	static uint8_t out[RG_DCEP_OPEN_HEADER_LEN + 2 * 65535];
	size_t n;

	if (type == RG_DCEP_ACK)
		n = rg_dcep_encode_ack(out, sizeof(out));
	else
		n = rg_dcep_encode_open(o, out, sizeof(out));
	if (n != size || memcmp(out, data, size) != 0)
		abort();
	/* too small a buffer is refused, never overrun */
	if (type == RG_DCEP_OPEN && rg_dcep_encode_open(o, out, size - 1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum rg_dcep_type type;
	struct rg_dcep_open o;
	int rc = rg_dcep_decode(data, size, &type, &o);

	if (rc != CORE_OK) {
		if (rc != CORE_ERR_TRUNCATED && rc != CORE_ERR_UNKNOWN_TYPE &&
		    rc != CORE_ERR_BAD_FORMAT)
			abort();
		return 0;
	}
	if (type == RG_DCEP_OPEN) {
		if (o.label < data || o.label + o.label_len > data + size)
			abort();
		if (o.protocol < data || o.protocol + o.protocol_len > data + size)
			abort();
		if (!rg_dcep_channel_type_valid(o.channel_type))
			abort();
	}
	check_roundtrip(data, size, type, &o);
	return 0;
}
