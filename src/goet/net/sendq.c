/* sendq.c - chunked send queue with stable memory (contract in sendq.h). */
#include "goet/net/sendq.h"

#include <string.h>

#include "core/err.h"

struct sendq_chunk {
	size_t used; /* bytes written into data */
	uint8_t data[GT_SENDQ_CHUNK];
};

void gt_sendq_init(struct gt_sendq *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	g_queue_init(&q->chunks);
	q->max = max;
}

void gt_sendq_free(struct gt_sendq *q)
{
	g_queue_clear_full(&q->chunks, g_free);
	q->len = q->sent = q->head_off = 0;
}

size_t gt_sendq_len(const struct gt_sendq *q)
{
	return q->len;
}

size_t gt_sendq_unsent(const struct gt_sendq *q)
{
	return q->len - q->sent;
}

size_t gt_sendq_avail(const struct gt_sendq *q)
{
	return q->max - q->len;
}

int gt_sendq_append(struct gt_sendq *q, const void *p, size_t n)
{
	const uint8_t *src = p;

	if (n > gt_sendq_avail(q))
		return CORE_ERR_NO_SPACE;
	while (n > 0) {
		struct sendq_chunk *c = g_queue_peek_tail(&q->chunks);
		size_t k;

		if (c == NULL || c->used == GT_SENDQ_CHUNK) {
			c = g_new(struct sendq_chunk, 1);
			c->used = 0;
			g_queue_push_tail(&q->chunks, c);
		}
		k = MIN(n, GT_SENDQ_CHUNK - c->used);
		memcpy(c->data + c->used, src, k);
		c->used += k;
		src += k;
		n -= k;
		q->len += k;
	}
	return CORE_OK;
}

size_t gt_sendq_peek_unsent(const struct gt_sendq *q, struct gt_sendq_vec *v, size_t maxv)
{
	/* position of the first unsent byte, counted from the first chunk's start */
	size_t skip = q->head_off + q->sent, n = 0;

	for (GList *l = q->chunks.head; l != NULL && n < maxv; l = l->next) {
		const struct sendq_chunk *c = l->data;

		if (skip >= c->used) {
			skip -= c->used;
			continue;
		}
		v[n].base = c->data + skip;
		v[n].len = c->used - skip;
		skip = 0;
		n++;
	}
	return n;
}

int gt_sendq_mark_sent(struct gt_sendq *q, size_t n)
{
	if (n > gt_sendq_unsent(q))
		return CORE_ERR_INVALID_ARG;
	q->sent += n;
	return CORE_OK;
}

int gt_sendq_ack(struct gt_sendq *q, size_t n)
{
	if (n > q->sent)
		return CORE_ERR_INVALID_ARG;
	q->sent -= n;
	q->len -= n;
	q->head_off += n;
	/* free every chunk that is now entirely acknowledged (never the tail being filled) */
	for (;;) {
		struct sendq_chunk *c = g_queue_peek_head(&q->chunks);

		if (c == NULL || q->head_off < c->used ||
		    (c->used < GT_SENDQ_CHUNK && q->chunks.length == 1))
			break;
		q->head_off -= c->used;
		g_free(g_queue_pop_head(&q->chunks));
	}
	if (q->len == 0 && q->chunks.length == 1) {
		/* empty: restart the last chunk from its beginning */
		struct sendq_chunk *c = g_queue_peek_head(&q->chunks);

		c->used = 0;
		q->head_off = 0;
	}
	return CORE_OK;
}
