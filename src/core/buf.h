/*
 * buf.h - bounded byte buffer with typed big-endian get/put.
 *
 * Every byte that arrives from a peer is parsed through a core_buf: each
 * getter checks the remaining length first and fails with CORE_ERR_TRUNCATED,
 * consuming nothing, so a parser can never read out of bounds. Every putter
 * checks the capacity (and, for growable buffers, the maximum fixed at
 * creation) and fails with CORE_ERR_NO_SPACE, writing nothing.
 *
 * Layout: [0, rpos) consumed | [rpos, wpos) readable | [wpos, cap) free.
 *
 * Three kinds, chosen at init:
 *   reader view  - wraps caller memory read-only; put fails (CORE_ERR_NO_SPACE).
 *   fixed writer - wraps caller memory of `cap` bytes; never allocates.
 *   growable     - owns heap memory, grows on demand up to `max` bytes.
 * The struct is public so it can live on the stack; treat fields as private.
 *
 * Ownership: only growable buffers own memory (freed by core_buf_free, which
 * is safe on every kind and on a zeroed struct). Threading: none; one owner.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core_buf {
	uint8_t *data;
	size_t rpos;   /* first unread byte */
	size_t wpos;   /* one past the last written byte */
	size_t cap;    /* allocated / wrapped size */
	size_t max;    /* growable: hard limit on cap; otherwise == cap */
	bool owned;    /* data is heap memory we free */
	bool readonly; /* reader view: puts are refused */
};

/* Read-only view over len bytes at data (not copied, must outlive the buf). */
void core_buf_init_reader(struct core_buf *b, const void *data, size_t len);
/* Fixed writer over cap bytes at mem; starts empty. */
void core_buf_init_fixed(struct core_buf *b, void *mem, size_t cap);
/* Growable, initially empty and unallocated, never larger than max bytes. */
void core_buf_init_growable(struct core_buf *b, size_t max);
/* Free owned memory and zero the struct. Safe to call twice. */
void core_buf_free(struct core_buf *b);

/* Readable bytes left. */
size_t core_buf_len(const struct core_buf *b);
/* Pointer to the first readable byte (valid until the next put/compact). */
const uint8_t *core_buf_ptr(const struct core_buf *b);
/* Bytes that can still be put before CORE_ERR_NO_SPACE (counts growth). */
size_t core_buf_avail(const struct core_buf *b);
/* Drop all content (keeps memory). */
void core_buf_reset(struct core_buf *b);
/* Move unread bytes to the front of the storage (writers only). */
void core_buf_compact(struct core_buf *b);

/* Getters: CORE_OK, or CORE_ERR_TRUNCATED with nothing consumed. */
int core_buf_get_u8(struct core_buf *b, uint8_t *v);
int core_buf_get_u16(struct core_buf *b, uint16_t *v);
int core_buf_get_u32(struct core_buf *b, uint32_t *v);
int core_buf_get_u64(struct core_buf *b, uint64_t *v);
int core_buf_get_bytes(struct core_buf *b, void *out, size_t n);
/* Zero-copy: *p points at the next n bytes, which are consumed. */
int core_buf_get_view(struct core_buf *b, size_t n, const uint8_t **p);
int core_buf_skip(struct core_buf *b, size_t n);
/* Peek without consuming: CORE_OK or CORE_ERR_TRUNCATED. */
int core_buf_peek_u8(const struct core_buf *b, size_t off, uint8_t *v);
int core_buf_peek_u32(const struct core_buf *b, size_t off, uint32_t *v);

/* Putters: CORE_OK, or CORE_ERR_NO_SPACE / CORE_ERR_NOMEM with nothing written. */
int core_buf_put_u8(struct core_buf *b, uint8_t v);
int core_buf_put_u16(struct core_buf *b, uint16_t v);
int core_buf_put_u32(struct core_buf *b, uint32_t v);
int core_buf_put_u64(struct core_buf *b, uint64_t v);
int core_buf_put_bytes(struct core_buf *b, const void *src, size_t n);
/* Reserve n writable bytes at the end; *p may be filled by the caller. */
int core_buf_reserve(struct core_buf *b, size_t n, uint8_t **p);

/* Big-endian helpers for code that already bounds-checked its span. */
static inline uint32_t core_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void core_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
