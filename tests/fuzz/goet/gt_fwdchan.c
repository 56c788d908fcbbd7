/*
 * Fuzz target: a forwarded connection's streams (goet/fwdchan). The input is
 * a script of operations on an honest tx/rx pair joined by a link that can
 * lose what is in flight (a cut rewinds both), and on a second pair fed the
 * input's own hostile offsets, acks and ends. The honest receiver must
 * deliver exactly a prefix of what was pushed, in order; the hostile calls
 * must return only documented codes and keep delivered <= received and
 * acked <= end.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "goet/fwdchan.h"

#define MAX_STREAM (64 * 1024)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct input *in, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v = v << 8;
		if (in->n > 0) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pushed[MAX_STREAM], got[MAX_STREAM], junk[GT_FWD_CHUNK];
	struct input in = { data, size };
	struct gt_fwd_tx tx, htx;
	struct gt_fwd_rx rx, hrx;
	size_t npushed = 0, ngot = 0;

	gt_fwd_tx_init(&tx);
	gt_fwd_tx_init(&htx);
	gt_fwd_rx_init(&rx);
	gt_fwd_rx_init(&hrx);
	gt_fwd_tx_push(&htx, junk, 1000);
	while (in.n > 0) {
		struct gt_fwd_chunk c;
		const uint8_t *fresh;
		size_t fn, len;
		uint64_t off, d;
		uint32_t w;
		int r;
		unsigned op = take(&in, 1) % 9;

		switch (op) {
		case 0: /* the local socket gives bytes */
			len = take(&in, 2) % 4096;
			if (tx.eof || len > gt_fwd_tx_room(&tx) || npushed + len > MAX_STREAM)
				break;
			for (size_t i = 0; i < len; i++)
				pushed[npushed + i] = (uint8_t)(npushed + i + (npushed + i) / 251);
			if (gt_fwd_tx_push(&tx, pushed + npushed, len) != CORE_OK)
				abort();
			npushed += len;
			break;
		case 1: /* one FwdData arrives */
		case 2: /* one is lost, with the connection (a cut follows at once) */
			if (!gt_fwd_tx_next(&tx, 1 + take(&in, 2) % 8192, &c))
				break;
			if (c.offset + c.len > npushed ||
			    memcmp(c.bytes, pushed + c.offset, c.len) != 0)
				abort();
			if (op == 2) {
				gt_fwd_tx_rewind(&tx); /* the cut that lost it */
				gt_fwd_rx_rewind(&rx);
				break;
			}
			if (gt_fwd_rx_data(&rx, c.offset, c.bytes, c.len, &fresh, &fn) != CORE_OK)
				abort();
			if (ngot + fn > npushed || memcmp(fresh, pushed + ngot, fn) != 0)
				abort();
			memcpy(got + ngot, fresh, fn);
			ngot += fn;
			gt_fwd_rx_delivered(&rx, fn);
			break;
		case 3: /* a cut */
			gt_fwd_tx_rewind(&tx);
			gt_fwd_rx_rewind(&rx);
			break;
		case 4: /* the receiver acknowledges */
			if (gt_fwd_rx_ack_due(&rx, &d, &w) && gt_fwd_tx_ack(&tx, d, w) != CORE_OK)
				abort();
			break;
		case 5: /* hostile FwdData */
			off = take(&in, 4);
			len = take(&in, 2) % sizeof(junk);
			r = gt_fwd_rx_data(&hrx, off, junk, len, &fresh, &fn);
			if (r != CORE_OK && r != CORE_ERR_BAD_VALUE && r != CORE_ERR_TOO_LARGE)
				abort();
			gt_fwd_rx_delivered(&hrx, take(&in, 2));
			if (hrx.delivered > hrx.received)
				abort();
			break;
		case 6: /* hostile FwdAck and FwdClose */
			r = gt_fwd_tx_ack(&htx, take(&in, 2), take(&in, 4));
			if ((r != CORE_OK && r != CORE_ERR_BAD_VALUE) || htx.acked > htx.end)
				abort();
			r = gt_fwd_rx_close(&hrx, take(&in, 4));
			if (r != CORE_OK && r != CORE_ERR_BAD_VALUE)
				abort();
			while (gt_fwd_tx_next(&htx, SIZE_MAX, &c))
				if (c.offset < htx.acked || c.offset + c.len > htx.end)
					abort();
			break;
		case 7: /* the local socket ends */
			gt_fwd_tx_eof(&tx);
			break;
		case 8: /* the end, if due, arrives */
			if (gt_fwd_tx_close_due(&tx, &off) && gt_fwd_rx_close(&rx, off) != CORE_OK)
				abort();
			break;
		}
	}
	if (gt_fwd_rx_finished(&rx) && ngot != npushed)
		abort();
	gt_fwd_tx_free(&tx);
	gt_fwd_tx_free(&htx);
	return 0;
}
