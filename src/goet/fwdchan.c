/* fwdchan.c - a forwarded connection's two byte streams; see fwdchan.h. */
#include "goet/fwdchan.h"

#include "core/err.h"

void gt_fwd_tx_init(struct gt_fwd_tx *tx)
{
	*tx = (struct gt_fwd_tx){ .window = GT_FWD_WINDOW };
	core_buf_init_growable(&tx->buf, GT_FWD_WINDOW);
}

void gt_fwd_tx_free(struct gt_fwd_tx *tx)
{
	core_buf_free(&tx->buf);
}

size_t gt_fwd_tx_room(const struct gt_fwd_tx *tx)
{
	return tx->eof ? 0 : GT_FWD_WINDOW - (size_t)(tx->end - tx->acked);
}

int gt_fwd_tx_push(struct gt_fwd_tx *tx, const void *p, size_t n)
{
	int r;

	if (tx->eof)
		return CORE_ERR_CLOSED;
	if (n > gt_fwd_tx_room(tx))
		return CORE_ERR_NO_SPACE;
	if (core_buf_avail(&tx->buf) < n)
		core_buf_compact(&tx->buf); /* the acked bytes' room, at the front */
	r = core_buf_put_bytes(&tx->buf, p, n);
	if (r == CORE_OK)
		tx->end += n;
	return r;
}

void gt_fwd_tx_eof(struct gt_fwd_tx *tx)
{
	tx->eof = true;
}

bool gt_fwd_tx_next(struct gt_fwd_tx *tx, size_t max, struct gt_fwd_chunk *out)
{
	uint64_t limit = tx->acked + tx->window;
	size_t n;

	if (limit > tx->end)
		limit = tx->end;
	if (tx->sent >= limit)
		return false;
	n = (size_t)(limit - tx->sent);
	if (n > max)
		n = max;
	if (n > GT_FWD_CHUNK)
		n = GT_FWD_CHUNK;
	if (n == 0)
		return false;
	out->offset = tx->sent;
	out->bytes = core_buf_ptr(&tx->buf) + (size_t)(tx->sent - tx->acked);
	out->len = n;
	tx->sent += n;
	return true;
}

bool gt_fwd_tx_close_due(struct gt_fwd_tx *tx, uint64_t *offset)
{
	if (!tx->eof || tx->eof_sent || tx->sent != tx->end)
		return false;
	tx->eof_sent = true;
	*offset = tx->end;
	return true;
}

int gt_fwd_tx_ack(struct gt_fwd_tx *tx, uint64_t delivered, uint32_t window)
{
	if (delivered > tx->end)
		return CORE_ERR_BAD_VALUE;
	if (delivered < tx->acked)
		return CORE_OK; /* from before a newer one */
	core_buf_skip(&tx->buf, (size_t)(delivered - tx->acked));
	tx->acked = delivered;
	tx->window = window;
	if (tx->sent < delivered)
		tx->sent = delivered; /* it had them from an earlier connection */
	return CORE_OK;
}

void gt_fwd_tx_rewind(struct gt_fwd_tx *tx)
{
	tx->sent = tx->acked;
	tx->eof_sent = false;
}

bool gt_fwd_tx_done(const struct gt_fwd_tx *tx)
{
	return tx->eof && tx->acked == tx->end;
}

void gt_fwd_rx_init(struct gt_fwd_rx *rx)
{
	*rx = (struct gt_fwd_rx){ 0 };
}

int gt_fwd_rx_data(struct gt_fwd_rx *rx, uint64_t offset, const uint8_t *bytes, size_t len,
		   const uint8_t **fresh, size_t *fresh_len)
{
	uint64_t end = offset + len;
	size_t skip;

	*fresh = bytes;
	*fresh_len = 0;
	if (offset > rx->received || end < offset)
		return CORE_ERR_BAD_VALUE;
	if (rx->eof && end > rx->eof_offset)
		return CORE_ERR_BAD_VALUE;
	if (end <= rx->received)
		return CORE_OK; /* a resend of what it has */
	if (end - rx->delivered > GT_FWD_WINDOW)
		return CORE_ERR_TOO_LARGE;
	skip = (size_t)(rx->received - offset);
	*fresh = bytes + skip;
	*fresh_len = len - skip;
	rx->received = end;
	return CORE_OK;
}

void gt_fwd_rx_delivered(struct gt_fwd_rx *rx, size_t n)
{
	uint64_t room = rx->received - rx->delivered;

	rx->delivered += n < room ? n : room;
}

uint32_t gt_fwd_rx_window(const struct gt_fwd_rx *rx)
{
	(void)rx;
	return GT_FWD_WINDOW; /* it holds what is received and not yet delivered */
}

bool gt_fwd_rx_ack_due(struct gt_fwd_rx *rx, uint64_t *delivered, uint32_t *window)
{
	bool due = rx->ack_forced || rx->delivered - rx->acked >= GT_FWD_WINDOW / 4 ||
		   (rx->delivered == rx->received && rx->delivered > rx->acked);

	if (!due)
		return false;
	rx->ack_forced = false;
	rx->acked = rx->delivered;
	*delivered = rx->delivered;
	*window = gt_fwd_rx_window(rx);
	return true;
}

int gt_fwd_rx_close(struct gt_fwd_rx *rx, uint64_t offset)
{
	if (offset < rx->received || (rx->eof && offset != rx->eof_offset))
		return CORE_ERR_BAD_VALUE;
	rx->eof = true;
	rx->eof_offset = offset;
	return CORE_OK;
}

bool gt_fwd_rx_finished(const struct gt_fwd_rx *rx)
{
	return rx->eof && rx->delivered == rx->eof_offset;
}

void gt_fwd_rx_rewind(struct gt_fwd_rx *rx)
{
	rx->ack_forced = true;
}
