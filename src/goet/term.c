/* term.c - $TERM sanitising (contract in term.h). */
#include "goet/term.h"

#include <stdbool.h>
#include <string.h>

const char *gt_term_sanitize(const uint8_t *term, size_t len, char out[GT_TERM_MAX_LEN + 1])
{
	bool ok = len > 0 && len <= GT_TERM_MAX_LEN;

	for (size_t i = 0; ok && i < len; i++)
		ok = term[i] >= 0x20 && term[i] <= 0x7e && term[i] != '=';
	if (!ok) {
		memcpy(out, GT_TERM_DEFAULT, sizeof(GT_TERM_DEFAULT));
		return out;
	}
	memcpy(out, term, len);
	out[len] = '\0';
	return out;
}
