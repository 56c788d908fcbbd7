/*
 * Fuzz target: the -L/-R specification parser. The first byte picks the
 * direction; the rest (up to its first NUL) is the text. A parse either
 * succeeds, and then formatting and parsing again gives the same spec, or
 * fails with ssh's message that holds no control character.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "goet/fwdspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gt_fwd_spec s, again;
	enum gt_fwd_dir dir;
	char text[1024], err[256], out[600];
	size_t n;
	int rc;

	if (size == 0)
		return 0;
	dir = data[0] & 1 ? GT_FWD_REMOTE : GT_FWD_LOCAL;
	n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	rc = gt_fwd_spec_parse(dir, text, &s, err, sizeof(err));
	if (rc != CORE_OK) {
		if (rc != CORE_ERR_BAD_FORMAT || strncmp(err, "Bad ", 4) != 0)
			abort();
		for (const char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		return 0;
	}
	if (s.host[0] == '\0' || s.host_port == 0 || (dir == GT_FWD_LOCAL && s.port == 0))
		abort();
	if (gt_fwd_spec_format(&s, out, sizeof(out)) < 0)
		abort();
	if (gt_fwd_spec_parse(dir, out, &again, err, sizeof(err)) != CORE_OK ||
	    memcmp(&s, &again, sizeof(s)) != 0)
		abort();
	return 0;
}
