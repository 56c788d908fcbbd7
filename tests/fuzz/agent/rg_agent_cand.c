/*
 * Fuzz target for rift/agent/cand: any text is a candidate line with a
 * numeric address of a valid family, or none (all zero); the address is
 * held by a prefix of its own full length and by /0 of its family.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "rift/agent/cand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct rg_wg_prefix a, all = { 0 };
	static const struct rg_wg_prefix zero;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (rg_agent_candidate_address(line, &a)) {
		if ((a.family != 4 || a.len != 32) && (a.family != 6 || a.len != 128))
			abort();
		all.family = a.family;
		if (!rg_agent_prefixes_hold(&a, 1, &a) || !rg_agent_prefixes_hold(&all, 1, &a))
			abort();
	} else if (memcmp(&a, &zero, sizeof(a)) != 0) {
		abort();
	}
	free(line);
	return 0;
}
