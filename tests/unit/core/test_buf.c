/* Unit tests for core/buf: bounds, byte order, growth, and error codes. */
#include <glib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

static void test_get_exact_and_short(void)
{
	const uint8_t data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct core_buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	core_buf_init_reader(&b, data, sizeof(data));
	g_assert_cmpint(core_buf_get_u8(&b, &u8), ==, CORE_OK);
	g_assert_cmpuint(u8, ==, 0x01);
	g_assert_cmpint(core_buf_get_u16(&b, &u16), ==, CORE_OK);
	g_assert_cmpuint(u16, ==, 0x0203);
	g_assert_cmpint(core_buf_get_u32(&b, &u32), ==, CORE_OK);
	g_assert_cmpuint(u32, ==, 0x04050607);
	g_assert_cmpint(core_buf_get_u64(&b, &u64), ==, CORE_OK);
	g_assert_cmpuint(u64, ==, 0x08090a0b0c0d0e0fULL);
	g_assert_cmpuint(core_buf_len(&b), ==, 0);
	g_assert_cmpint(core_buf_get_u8(&b, &u8), ==, CORE_ERR_TRUNCATED);

	/* one byte short: error, nothing consumed */
	core_buf_init_reader(&b, data, 7);
	g_assert_cmpint(core_buf_get_u64(&b, &u64), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpuint(core_buf_len(&b), ==, 7);
	core_buf_init_reader(&b, data, 3);
	g_assert_cmpint(core_buf_get_u32(&b, &u32), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_get_u16(&b, &u16), ==, CORE_OK);
	g_assert_cmpint(core_buf_get_u16(&b, &u16), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpuint(core_buf_len(&b), ==, 1);
}

static void test_bytes_view_skip_peek(void)
{
	const uint8_t data[] = "abcdefgh";
	struct core_buf b;
	const uint8_t *p;
	uint8_t out[4], v8;
	uint32_t v32;

	core_buf_init_reader(&b, data, 8);
	g_assert_cmpint(core_buf_peek_u8(&b, 7, &v8), ==, CORE_OK);
	g_assert_cmpuint(v8, ==, 'h');
	g_assert_cmpint(core_buf_peek_u8(&b, 8, &v8), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_peek_u32(&b, 4, &v32), ==, CORE_OK);
	g_assert_cmpuint(v32, ==, 0x65666768);
	g_assert_cmpint(core_buf_peek_u32(&b, 5, &v32), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_peek_u32(&b, SIZE_MAX, &v32), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_get_bytes(&b, out, 4), ==, CORE_OK);
	g_assert_cmpmem(out, 4, "abcd", 4);
	g_assert_cmpint(core_buf_get_view(&b, 5, &p), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_get_view(&b, 2, &p), ==, CORE_OK);
	g_assert_cmpmem(p, 2, "ef", 2);
	g_assert_cmpint(core_buf_skip(&b, 3), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(core_buf_skip(&b, 2), ==, CORE_OK);
	g_assert_cmpuint(core_buf_len(&b), ==, 0);
	g_assert_cmpint(core_buf_skip(&b, 0), ==, CORE_OK);
}

static void test_reader_refuses_puts(void)
{
	const uint8_t data[4] = { 0 };
	struct core_buf b;

	core_buf_init_reader(&b, data, sizeof(data));
	g_assert_cmpuint(core_buf_avail(&b), ==, 0);
	g_assert_cmpint(core_buf_put_u8(&b, 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpint(core_buf_put_bytes(&b, "x", 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(core_buf_len(&b), ==, 4);
}

static void test_fixed_writer_big_endian(void)
{
	uint8_t mem[15];
	const uint8_t want[] = { 0xaa, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01,
				 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	struct core_buf b;

	core_buf_init_fixed(&b, mem, sizeof(mem));
	g_assert_cmpint(core_buf_put_u8(&b, 0xaa), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_u16(&b, 0x1234), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_u32(&b, 0xdeadbeef), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_u64(&b, 0x0102030405060708ULL), ==, CORE_OK);
	g_assert_cmpmem(core_buf_ptr(&b), core_buf_len(&b), want, sizeof(want));
	/* full: nothing written */
	g_assert_cmpint(core_buf_put_u8(&b, 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(core_buf_len(&b), ==, sizeof(want));
}

static void test_fixed_writer_partial_refused(void)
{
	uint8_t mem[6];
	struct core_buf b;
	uint8_t v;

	core_buf_init_fixed(&b, mem, sizeof(mem));
	g_assert_cmpint(core_buf_put_bytes(&b, "abc", 3), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_u32(&b, 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(core_buf_len(&b), ==, 3);
	/* consuming then compacting makes room again */
	g_assert_cmpint(core_buf_get_u8(&b, &v), ==, CORE_OK);
	g_assert_cmpuint(core_buf_avail(&b), ==, 4);
	g_assert_cmpint(core_buf_put_u32(&b, 0x64656667), ==, CORE_OK);
	g_assert_cmpmem(core_buf_ptr(&b), core_buf_len(&b), "bcdefg", 6);
}

static void test_growable_limit(void)
{
	struct core_buf b;
	uint8_t chunk[100];

	memset(chunk, 0x5a, sizeof(chunk));
	core_buf_init_growable(&b, 1000);
	g_assert_cmpuint(core_buf_avail(&b), ==, 1000);
	for (int i = 0; i < 10; i++)
		g_assert_cmpint(core_buf_put_bytes(&b, chunk, sizeof(chunk)), ==, CORE_OK);
	g_assert_cmpuint(core_buf_len(&b), ==, 1000);
	g_assert_cmpint(core_buf_put_u8(&b, 1), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(b.cap, <=, 1000);
	/* reading frees space that compaction reclaims */
	g_assert_cmpint(core_buf_skip(&b, 500), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_bytes(&b, chunk, 100), ==, CORE_OK);
	g_assert_cmpuint(core_buf_len(&b), ==, 600);
	core_buf_reset(&b);
	g_assert_cmpuint(core_buf_len(&b), ==, 0);
	core_buf_free(&b);
	core_buf_free(&b); /* twice is safe */
}

static void test_growable_empty_ops(void)
{
	struct core_buf b;
	const uint8_t *p = (const uint8_t *)"x";
	uint8_t *w = NULL;

	core_buf_init_growable(&b, 16);
	g_assert_cmpint(core_buf_get_view(&b, 0, &p), ==, CORE_OK);
	g_assert_null(p);
	g_assert_cmpint(core_buf_reserve(&b, 0, &w), ==, CORE_OK);
	g_assert_cmpint(core_buf_put_bytes(&b, NULL, 0), ==, CORE_OK);
	g_assert_cmpint(core_buf_reserve(&b, 17, &w), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpint(core_buf_reserve(&b, 16, &w), ==, CORE_OK);
	g_assert_nonnull(w);
	memset(w, 1, 16);
	g_assert_cmpuint(core_buf_len(&b), ==, 16);
	core_buf_free(&b);
}

static void test_load_store_be32(void)
{
	uint8_t p[4];

	core_store_be32(p, 0x01020304);
	g_assert_cmpmem(p, 4, "\x01\x02\x03\x04", 4);
	g_assert_cmpuint(core_load_be32(p), ==, 0x01020304);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/buf/get-exact-and-short", test_get_exact_and_short);
	g_test_add_func("/buf/bytes-view-skip-peek", test_bytes_view_skip_peek);
	g_test_add_func("/buf/reader-refuses-puts", test_reader_refuses_puts);
	g_test_add_func("/buf/fixed-writer-big-endian", test_fixed_writer_big_endian);
	g_test_add_func("/buf/fixed-writer-partial-refused", test_fixed_writer_partial_refused);
	g_test_add_func("/buf/growable-limit", test_growable_limit);
	g_test_add_func("/buf/growable-empty-ops", test_growable_empty_ops);
	g_test_add_func("/buf/load-store-be32", test_load_store_be32);
	return g_test_run();
}
