/* buf.c - bounded byte buffer (contract in buf.h). */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Growable buffers start at this size and double up to their maximum. */
#define CORE_BUF_MIN_ALLOC 256

void core_buf_init_reader(struct core_buf *b, const void *data, size_t len)
{
	*b = (struct core_buf){
		.data = (uint8_t *)data,
		.wpos = len,
		.cap = len,
		.max = len,
		.readonly = true,
	};
}

void core_buf_init_fixed(struct core_buf *b, void *mem, size_t cap)
{
	*b = (struct core_buf){ .data = mem, .cap = cap, .max = cap };
}

void core_buf_init_growable(struct core_buf *b, size_t max)
{
	*b = (struct core_buf){ .max = max, .owned = true };
}

void core_buf_free(struct core_buf *b)
{
	if (b->owned)
		free(b->data);
	*b = (struct core_buf){ 0 };
}

size_t core_buf_len(const struct core_buf *b)
{
	return b->wpos - b->rpos;
}

const uint8_t *core_buf_ptr(const struct core_buf *b)
{
	return b->data != NULL ? b->data + b->rpos : NULL;
}

size_t core_buf_avail(const struct core_buf *b)
{
	if (b->readonly)
		return 0;
	/* Compaction can reclaim the consumed prefix; growth up to max. */
	return (b->owned ? b->max : b->cap) - core_buf_len(b);
}

void core_buf_reset(struct core_buf *b)
{
	if (b->readonly)
		b->rpos = b->wpos;
	else
		b->rpos = b->wpos = 0;
}

void core_buf_compact(struct core_buf *b)
{
	size_t n = core_buf_len(b);

	if (b->readonly || b->rpos == 0)
		return;
	memmove(b->data, b->data + b->rpos, n);
	b->rpos = 0;
	b->wpos = n;
}

/* Make room for n more bytes at wpos; nothing changes on failure. */
static int buf_make_room(struct core_buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (b->readonly)
		return n == 0 ? CORE_OK : CORE_ERR_NO_SPACE;
	if (n <= b->cap - b->wpos)
		return CORE_OK;
	if (n > core_buf_avail(b))
		return CORE_ERR_NO_SPACE;
	core_buf_compact(b);
	if (n <= b->cap - b->wpos)
		return CORE_OK;
	/* Only growable buffers get here: avail said it fits under max. */
	need = b->wpos + n;
	ncap = b->cap < CORE_BUF_MIN_ALLOC ? CORE_BUF_MIN_ALLOC : b->cap;
	while (ncap < need)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return CORE_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return CORE_OK;
}

int core_buf_get_view(struct core_buf *b, size_t n, const uint8_t **p)
{
	if (n > core_buf_len(b))
		return CORE_ERR_TRUNCATED;
	/* An empty buffer may have no storage: never offset a NULL pointer. */
	*p = b->data != NULL ? b->data + b->rpos : NULL;
	b->rpos += n;
	return CORE_OK;
}

int core_buf_get_bytes(struct core_buf *b, void *out, size_t n)
{
	const uint8_t *p;
	int r = core_buf_get_view(b, n, &p);

	if (r == CORE_OK && n > 0)
		memcpy(out, p, n);
	return r;
}

int core_buf_skip(struct core_buf *b, size_t n)
{
	const uint8_t *p;

	return core_buf_get_view(b, n, &p);
}

/* Read an n-byte big-endian unsigned integer (n <= 8). */
static int buf_get_be(struct core_buf *b, size_t n, uint64_t *v)
{
	const uint8_t *p;
	uint64_t x = 0;
	int r = core_buf_get_view(b, n, &p);

	if (r != CORE_OK)
		return r;
	for (size_t i = 0; i < n; i++)
		x = x << 8 | p[i];
	*v = x;
	return CORE_OK;
}

int core_buf_get_u8(struct core_buf *b, uint8_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, 1, &x);

	if (r == CORE_OK)
		*v = (uint8_t)x;
	return r;
}

int core_buf_get_u16(struct core_buf *b, uint16_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, 2, &x);

	if (r == CORE_OK)
		*v = (uint16_t)x;
	return r;
}

int core_buf_get_u32(struct core_buf *b, uint32_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, 4, &x);

	if (r == CORE_OK)
		*v = (uint32_t)x;
	return r;
}

int core_buf_get_u64(struct core_buf *b, uint64_t *v)
{
	return buf_get_be(b, 8, v);
}

int core_buf_peek_u8(const struct core_buf *b, size_t off, uint8_t *v)
{
	if (off >= core_buf_len(b))
		return CORE_ERR_TRUNCATED;
	*v = b->data[b->rpos + off];
	return CORE_OK;
}

int core_buf_peek_u32(const struct core_buf *b, size_t off, uint32_t *v)
{
	if (off > core_buf_len(b) || core_buf_len(b) - off < 4)
		return CORE_ERR_TRUNCATED;
	*v = core_load_be32(b->data + b->rpos + off);
	return CORE_OK;
}

int core_buf_reserve(struct core_buf *b, size_t n, uint8_t **p)
{
	int r = buf_make_room(b, n);

	if (r != CORE_OK)
		return r;
	*p = b->data != NULL ? b->data + b->wpos : NULL;
	b->wpos += n;
	return CORE_OK;
}

int core_buf_put_bytes(struct core_buf *b, const void *src, size_t n)
{
	uint8_t *p;
	int r = core_buf_reserve(b, n, &p);

	if (r == CORE_OK && n > 0)
		memcpy(p, src, n);
	return r;
}

/* Write v as an n-byte big-endian unsigned integer (n <= 8). */
static int buf_put_be(struct core_buf *b, size_t n, uint64_t v)
{
	uint8_t *p;
	int r = core_buf_reserve(b, n, &p);

	if (r != CORE_OK)
		return r;
	for (size_t i = n; i > 0; i--, v >>= 8)
		p[i - 1] = (uint8_t)v;
	return CORE_OK;
}

int core_buf_put_u8(struct core_buf *b, uint8_t v)
{
	return buf_put_be(b, 1, v);
}

int core_buf_put_u16(struct core_buf *b, uint16_t v)
{
	return buf_put_be(b, 2, v);
}

int core_buf_put_u32(struct core_buf *b, uint32_t v)
{
	return buf_put_be(b, 4, v);
}

int core_buf_put_u64(struct core_buf *b, uint64_t v)
{
	return buf_put_be(b, 8, v);
}
