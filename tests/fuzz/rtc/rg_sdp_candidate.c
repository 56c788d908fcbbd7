/*
 * Fuzz target for rift/rtc/sdp's candidate parser: any text either parses
 * into a candidate whose formatted line parses back to the same fields (and
 * fits RG_SDP_CANDIDATE_MAX), or is rejected with a reason and a zeroed
 * candidate.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/rtc/sdp.h"

/* Whether two candidates hold the same values (byte-wise: both were zeroed first). */
static bool same(const struct rg_sdp_candidate *a, const struct rg_sdp_candidate *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rg_sdp_candidate zero;
	struct rg_sdp_candidate c, again;
	char *line = g_strndup((const char *)data, size), out[RG_SDP_CANDIDATE_MAX];
	const char *reason;

	if (rg_sdp_candidate_parse(line, &c, &reason) != CORE_OK) {
		if (reason == NULL || reason[0] == '\0' || !same(&c, &zero))
			abort();
		goto out;
	}
	rg_sdp_candidate_format(&c, out, sizeof(out));
	if (strlen(out) + 1 >= sizeof(out))
		abort(); /* the buffer may have truncated it */
	if (rg_sdp_candidate_parse(out, &again, &reason) != CORE_OK || !same(&c, &again))
		abort();
out:
	g_free(line);
	return 0;
}
