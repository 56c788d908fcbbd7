/* framer.c - bounded stream reassembly of goet frames (contract in framer.h). */
#include "goet/proto/framer.h"

#include "core/err.h"

/* Storage kept after draining; larger buffers are released when empty. */
#define FRAMER_KEEP_BYTES (64 * 1024)

void gt_framer_init(struct gt_framer *f, size_t max_payload)
{
	if (max_payload == 0 || max_payload > GT_FRAME_MAX_PAYLOAD)
		max_payload = GT_FRAME_MAX_PAYLOAD;
	f->max_payload = max_payload;
	f->pending_drop = 0;
	f->err = CORE_OK;
	core_buf_init_growable(&f->buf, GT_FRAME_HEADER_LEN + max_payload);
}

void gt_framer_free(struct gt_framer *f)
{
	core_buf_free(&f->buf);
}

/* Drop the frame returned last time; release big storage once empty. */
static void framer_drop_pending(struct gt_framer *f)
{
	if (f->pending_drop == 0)
		return;
	core_buf_skip(&f->buf, f->pending_drop);
	f->pending_drop = 0;
	if (core_buf_len(&f->buf) == 0) {
		if (f->buf.cap > FRAMER_KEEP_BYTES) {
			size_t max = f->buf.max;

			core_buf_free(&f->buf);
			core_buf_init_growable(&f->buf, max);
		} else {
			core_buf_reset(&f->buf);
		}
	}
}

int gt_framer_feed(struct gt_framer *f, const uint8_t *data, size_t len, size_t *accepted)
{
	size_t n;
	int r;

	*accepted = 0;
	if (f->err != CORE_OK)
		return f->err;
	framer_drop_pending(f);
	n = core_buf_avail(&f->buf);
	if (n > len)
		n = len;
	r = core_buf_put_bytes(&f->buf, data, n);
	if (r != CORE_OK)
		return r == CORE_ERR_NO_SPACE ? CORE_OK : r;
	*accepted = n;
	return CORE_OK;
}

int gt_framer_next(struct gt_framer *f, struct gt_msg *m)
{
	const uint8_t *p;
	uint32_t plen;
	uint8_t type;
	int r;

	if (f->err != CORE_OK)
		return f->err;
	framer_drop_pending(f);
	if (core_buf_len(&f->buf) < GT_FRAME_HEADER_LEN)
		return CORE_ERR_AGAIN;
	p = core_buf_ptr(&f->buf);
	r = gt_frame_header_parse(p, &plen, &type);
	if (r == CORE_OK && plen > f->max_payload)
		r = CORE_ERR_TOO_LARGE;
	if (r == CORE_OK && !gt_msg_type_known(type))
		r = CORE_ERR_UNKNOWN_TYPE; /* fail before waiting for its payload */
	if (r != CORE_OK)
		goto fail;
	if (core_buf_len(&f->buf) - GT_FRAME_HEADER_LEN < plen)
		return CORE_ERR_AGAIN;
	r = gt_msg_decode(type, p + GT_FRAME_HEADER_LEN, plen, m);
	if (r != CORE_OK)
		goto fail;
	f->pending_drop = GT_FRAME_HEADER_LEN + plen;
	return CORE_OK;
fail:
	f->err = r;
	return r;
}

size_t gt_framer_buffered(const struct gt_framer *f)
{
	return core_buf_len(&f->buf);
}
