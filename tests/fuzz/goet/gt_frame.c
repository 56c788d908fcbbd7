/*
 * Fuzz target: goet frame decoding. Any input must decode or fail with one of
 * the documented errors; anything that decodes must re-encode to a frame that
 * decodes to an equal message (and, for types without an extension area, to
 * the same bytes as the canonical encoding).
 */
#include <stdint.h>
#include <stdlib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "goet/proto/frame.h"

/* Abort unless r is a documented decode result. */
static void check_decode_result(int r)
{
	if (r != CORE_OK && r != CORE_ERR_TRUNCATED && r != CORE_ERR_TOO_LARGE &&
	    r != CORE_ERR_UNKNOWN_TYPE)
		abort();
}

/* Re-encode m and decode it again: must be equal. */
static void check_roundtrip(const struct gt_msg *m)
{
	struct core_buf b;
	struct gt_msg back;
	size_t used;

	core_buf_init_growable(&b, GT_FRAME_HEADER_LEN + GT_FRAME_MAX_PAYLOAD);
	if (gt_msg_encode(m, &b) != CORE_OK)
		abort();
	if (gt_frame_decode(core_buf_ptr(&b), core_buf_len(&b), &back, &used) != CORE_OK ||
	    used != core_buf_len(&b) || !gt_msg_equal(m, &back))
		abort();
	core_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gt_msg m;
	size_t used = 0, off = 0;
	int r;

	/* a stream of frames, as a reader would see it */
	while (off < size) {
		r = gt_frame_decode(data + off, size - off, &m, &used);
		check_decode_result(r);
		if (r != CORE_OK)
			break;
		if (used < GT_FRAME_HEADER_LEN || used > size - off)
			abort();
		check_roundtrip(&m);
		off += used;
	}
	/* the first byte as a type, the rest as its payload */
	if (size > 0) {
		r = gt_msg_decode(data[0], data + 1, size - 1, &m);
		if (r != CORE_OK && r != CORE_ERR_TRUNCATED && r != CORE_ERR_UNKNOWN_TYPE)
			abort();
		if (r == CORE_OK && size - 1 <= GT_FRAME_MAX_PAYLOAD)
			check_roundtrip(&m);
	}
	return 0;
}
