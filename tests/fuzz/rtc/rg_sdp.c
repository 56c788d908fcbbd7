/*
 * Fuzz target for rift/rtc/sdp's parser: any bytes either parse into a
 * struct whose built SDP parses back to the same struct, or are rejected
 * with a reason and leave the struct cleared; never a crash or a leak.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/rtc/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rg_sdp zero;
	struct rg_sdp s, again;
	const char *reason;
	char *text;

	if (rg_sdp_parse((const char *)data, size, &s, &reason) != CORE_OK) {
		if (reason == NULL || reason[0] == '\0' || memcmp(&s, &zero, sizeof(s)) != 0)
			abort(); /* a rejection has a reason and leaves nothing behind */
		return 0;
	}
	if (s.n_candidates > RG_SDP_MAX_CANDIDATES || s.ice_ufrag[0] == '\0' ||
	    s.ice_pwd[0] == '\0' || s.mid[0] == '\0' || s.sctp_port == 0)
		abort();
	text = rg_sdp_build(&s);
	if (text == NULL || rg_sdp_parse(text, strlen(text), &again, &reason) != CORE_OK ||
	    !rg_sdp_equal(&s, &again))
		abort();
	rg_sdp_clear(&again);
	rg_sdp_clear(&s);
	g_free(text);
	return 0;
}
