/* coalesce.c - write coalescer (contract in coalesce.h). */
#include "goet/coalesce.h"

#include "core/err.h"

void gt_coalesce_init(struct gt_coalesce *c, size_t cap)
{
	core_buf_init_growable(&c->buf, cap != 0 ? cap : GT_COALESCE_DEFAULT_CAP);
	c->deadline_us = -1;
}

void gt_coalesce_free(struct gt_coalesce *c)
{
	core_buf_free(&c->buf);
	c->deadline_us = -1;
}

int gt_coalesce_add(struct gt_coalesce *c, int64_t now_us, const void *p, size_t n, bool *flush_now)
{
	int r;

	if (flush_now != NULL)
		*flush_now = false;
	if (n == 0)
		return CORE_OK;
	r = core_buf_put_bytes(&c->buf, p, n);
	if (r != CORE_OK)
		return r;
	if (c->deadline_us < 0)
		c->deadline_us = now_us + GT_COALESCE_DELAY_US;
	if (flush_now != NULL)
		*flush_now = core_buf_len(&c->buf) >= GT_COALESCE_THRESHOLD;
	return CORE_OK;
}

int64_t gt_coalesce_deadline_us(const struct gt_coalesce *c)
{
	return c->deadline_us;
}

bool gt_coalesce_due(const struct gt_coalesce *c, int64_t now_us)
{
	if (core_buf_len(&c->buf) == 0)
		return false;
	return now_us >= c->deadline_us || core_buf_len(&c->buf) >= GT_COALESCE_THRESHOLD;
}

const uint8_t *gt_coalesce_data(const struct gt_coalesce *c, size_t *n)
{
	*n = core_buf_len(&c->buf);
	return core_buf_ptr(&c->buf);
}

size_t gt_coalesce_len(const struct gt_coalesce *c)
{
	return core_buf_len(&c->buf);
}

void gt_coalesce_clear(struct gt_coalesce *c)
{
	core_buf_reset(&c->buf);
	c->deadline_us = -1;
}
