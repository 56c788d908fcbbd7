/*
 * Fuzz target: the escape processor. The first byte chooses read sizes; the
 * rest is keyboard input. Feeding it whole and feeding it in reads of those
 * sizes (resuming after every command, as the client does) must produce the
 * same output bytes and the same commands in the same order, and no call may
 * write more than its input plus one byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "goet/escape.h"

#define MAX_EVENTS 4096

struct trace {
	uint8_t out[MAX_EVENTS * 2];
	size_t olen;
	uint8_t acts[MAX_EVENTS];
	size_t nacts;
};

/* Process in, in reads of at most step bytes; record everything. */
static void run(const uint8_t *in, size_t n, size_t step, struct trace *t)
{
	struct gt_escape e;
	uint8_t buf[MAX_EVENTS + 1];

	memset(t, 0, sizeof(*t));
	gt_escape_reset(&e);
	for (size_t off = 0; off < n;) {
		size_t len = n - off < step ? n - off : step, done = 0;

		while (done < len) {
			enum gt_escape_action act;
			size_t used, w = gt_escape_process(&e, in + off + done, len - done, buf,
							   &used, &act);

			if (w > len - done + 1 || used > len - done || (used == 0 && len > done))
				abort();
			memcpy(t->out + t->olen, buf, w);
			t->olen += w;
			if (act != GT_ESC_NONE)
				t->acts[t->nacts++] = (uint8_t)act;
			else if (used != len - done)
				abort(); /* without a command the whole read is used */
			done += used;
		}
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace whole, split;
	size_t step;

	if (size < 1 || size > MAX_EVENTS)
		return 0;
	step = 1 + data[0] % 16;
	run(data + 1, size - 1, size, &whole);
	run(data + 1, size - 1, step, &split);
	if (whole.olen != split.olen || memcmp(whole.out, split.out, whole.olen) != 0 ||
	    whole.nacts != split.nacts || memcmp(whole.acts, split.acts, whole.nacts) != 0)
		abort();
	return 0;
}
