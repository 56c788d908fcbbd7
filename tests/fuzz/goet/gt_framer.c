/*
 * Fuzz target: the stream reassembler. The first two bytes choose a chunk
 * size; the rest is the stream. Feeding it in chunks must yield exactly the
 * same messages and the same final status as feeding it whole, and the
 * framer must never hold more than one maximum frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "goet/proto/framer.h"

/* Small maximum so the fuzzer reaches the size limit quickly. */
#define FUZZ_MAX_PAYLOAD 4096

struct outcome {
	uint8_t digest[64]; /* running hash-like fold of the re-encoded messages */
	size_t count;
	int status;
};

/* Fold bytes into the outcome (FNV-1a over a 64-byte state). */
static void fold(struct outcome *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = i % sizeof(o->digest);

		o->digest[k] = (uint8_t)((o->digest[k] ^ p[i]) * 16777619u);
	}
}

/* Take every available message out of f into o. */
static int drain(struct gt_framer *f, struct outcome *o)
{
	struct gt_msg m;
	struct core_buf b;
	int r;

	while ((r = gt_framer_next(f, &m)) == CORE_OK) {
		core_buf_init_growable(&b, GT_FRAME_HEADER_LEN + FUZZ_MAX_PAYLOAD);
		if (gt_msg_encode(&m, &b) != CORE_OK)
			abort();
		fold(o, core_buf_ptr(&b), core_buf_len(&b));
		core_buf_free(&b);
		o->count++;
	}
	if (gt_framer_buffered(f) > GT_FRAME_HEADER_LEN + FUZZ_MAX_PAYLOAD)
		abort();
	return r;
}

/* Run the stream through a framer in chunks of step bytes. */
static void run(const uint8_t *s, size_t len, size_t step, struct outcome *o)
{
	struct gt_framer f;
	size_t off = 0;
	int r = CORE_ERR_AGAIN;

	memset(o, 0, sizeof(*o));
	gt_framer_init(&f, FUZZ_MAX_PAYLOAD);
	while (off < len) {
		size_t acc = 0, n = len - off < step ? len - off : step;

		r = gt_framer_feed(&f, s + off, n, &acc);
		if (r != CORE_OK)
			break;
		off += acc;
		r = drain(&f, o);
		if (r != CORE_ERR_AGAIN)
			break;
		if (acc == 0) /* full without a complete frame: impossible */
			abort();
	}
	o->status = r;
	gt_framer_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split;
	size_t step;

	if (size < 2)
		return 0;
	step = 1 + ((size_t)data[0] << 8 | data[1]) % 97;
	run(data + 2, size - 2, size, &whole);
	run(data + 2, size - 2, step, &split);
	if (whole.count != split.count || whole.status != split.status ||
	    memcmp(whole.digest, split.digest, sizeof(whole.digest)) != 0)
		abort();
	if (whole.status != CORE_ERR_AGAIN && whole.status != CORE_ERR_TOO_LARGE &&
	    whole.status != CORE_ERR_UNKNOWN_TYPE && whole.status != CORE_ERR_TRUNCATED)
		abort();
	return 0;
}
