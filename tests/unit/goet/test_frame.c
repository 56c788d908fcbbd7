/* Unit tests for goet/proto/frame: every message round trip, the reference's
 * byte examples, and every error path. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "goet/proto/frame.h"

/* Encode m into a fresh buffer and return the bytes (g_free). */
static uint8_t *encode(const struct gt_msg *m, size_t *len)
{
	struct core_buf b;
	uint8_t *out;

	core_buf_init_growable(&b, GT_FRAME_HEADER_LEN + GT_FRAME_MAX_PAYLOAD);
	g_assert_cmpint(gt_msg_encode(m, &b), ==, CORE_OK);
	*len = core_buf_len(&b);
	out = g_memdup2(core_buf_ptr(&b), *len);
	core_buf_free(&b);
	return out;
}

/* Encode, decode, and compare; also checks the declared length. */
static void roundtrip(const struct gt_msg *m)
{
	size_t len, consumed;
	uint8_t *bytes = encode(m, &len);
	struct gt_msg back;

	g_assert_cmpuint(len, ==, GT_FRAME_HEADER_LEN + gt_msg_payload_len(m));
	g_assert_cmpuint(core_load_be32(bytes), ==, len - GT_FRAME_HEADER_LEN);
	g_assert_cmpuint(bytes[4], ==, m->type);
	g_assert_cmpint(gt_frame_decode(bytes, len, &back, &consumed), ==, CORE_OK);
	g_assert_cmpuint(consumed, ==, len);
	g_assert_true(gt_msg_equal(m, &back));
	g_free(bytes);
}

static void test_roundtrip_all(void)
{
	struct gt_msg m = { 0 };
	static const uint64_t seqs[] = { 0, 1, UINT32_MAX, UINT64_MAX };
	static const char *const terms[] = { "", "xterm-256color", "alacritty" };

	m.type = GT_MSG_AUTH_REQUEST;
	for (int i = 0; i < 32; i++)
		m.u.auth_request.token[i] = (uint8_t)i;
	roundtrip(&m);

	for (uint8_t st = 0; st <= 2; st++) {
		m = (struct gt_msg){ .type = GT_MSG_AUTH_RESPONSE };
		m.u.auth_response.status = st;
		roundtrip(&m);
	}
	m.u.auth_response.extra = (const uint8_t *)"proof-bytes";
	m.u.auth_response.extra_len = 11;
	roundtrip(&m);

	for (size_t i = 0; i < G_N_ELEMENTS(seqs); i++) {
		m = (struct gt_msg){ .type = GT_MSG_SEQUENCE_HEADER };
		m.u.sequence_header.last_seq = seqs[i];
		roundtrip(&m);
		m = (struct gt_msg){ .type = GT_MSG_DATA };
		m.u.data.seq = seqs[i];
		m.u.data.bytes = (const uint8_t *)"hello, terminal!";
		m.u.data.len = 16;
		roundtrip(&m);
	}
	m = (struct gt_msg){ .type = GT_MSG_HEARTBEAT };
	m.u.heartbeat.timestamp_ms = 1771500000123;
	roundtrip(&m);
	m.u.heartbeat.timestamp_ms = -1;
	roundtrip(&m);
	m.u.heartbeat.has_ack = true; /* goet-v2 */
	m.u.heartbeat.ack_seq = UINT64_MAX;
	roundtrip(&m);
	m = (struct gt_msg){ .type = GT_MSG_RESIZE };
	m.u.resize.rows = 24;
	m.u.resize.cols = 80;
	roundtrip(&m);
	m.u.resize.rows = 65535;
	m.u.resize.cols = 0;
	roundtrip(&m);
	m = (struct gt_msg){ .type = GT_MSG_SHUTDOWN };
	roundtrip(&m);
	for (size_t i = 0; i < G_N_ELEMENTS(terms); i++) {
		m = (struct gt_msg){ .type = GT_MSG_TERMINAL_INFO };
		m.u.terminal_info.term = (const uint8_t *)terms[i];
		m.u.terminal_info.len = strlen(terms[i]);
		roundtrip(&m);
	}
	/* empty Data payload decodes to zero length */
	m = (struct gt_msg){ .type = GT_MSG_DATA };
	m.u.data.seq = 1;
	roundtrip(&m);
}

/* The byte examples of the reference (docs/protocol/goet.md section 3). */
static void test_reference_bytes(void)
{
	struct gt_msg m;
	uint8_t *b;
	size_t n;

	m = (struct gt_msg){ .type = GT_MSG_AUTH_RESPONSE };
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x01\x02\x00", 6);
	g_free(b);
	m = (struct gt_msg){ .type = GT_MSG_SEQUENCE_HEADER, .u.sequence_header.last_seq = 5 };
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x08\x03\x00\x00\x00\x00\x00\x00\x00\x05", 13);
	g_free(b);
	m = (struct gt_msg){ .type = GT_MSG_RESIZE, .u.resize = { 50, 120 } };
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x04\x11\x00\x32\x00\x78", 9);
	g_free(b);
	m = (struct gt_msg){ .type = GT_MSG_SHUTDOWN };
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x00\x12", 5);
	g_free(b);
	m = (struct gt_msg){ .type = GT_MSG_TERMINAL_INFO };
	m.u.terminal_info.term = (const uint8_t *)"xterm";
	m.u.terminal_info.len = 5;
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x07\x13\x00\x05xterm", 12);
	g_free(b);
	/* goet-v2's acknowledging Heartbeat: 8 more bytes that v1 decoders skip */
	m = (struct gt_msg){ .type = GT_MSG_HEARTBEAT, .u.heartbeat = { 1, true, 0x0102 } };
	b = encode(&m, &n);
	g_assert_cmpmem(b, n,
			"\x00\x00\x00\x10\x10\x00\x00\x00\x00\x00\x00\x00\x01"
			"\x00\x00\x00\x00\x00\x00\x01\x02",
			21);
	g_free(b);
	/* a plain (v1) Heartbeat has no ack; a 12-byte one has none either */
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\x00\x00\x00\x08\x10\0\0\0\0\0\0\0\x09",
					13, &m, &n),
			==, CORE_OK);
	g_assert_false(m.u.heartbeat.has_ack);
	g_assert_cmpint(m.u.heartbeat.timestamp_ms, ==, 9);
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\x00\x00\x00\x0c\x10\0\0\0\0\0\0\0\x09"
							 "\0\0\0\x01",
					17, &m, &n),
			==, CORE_OK);
	g_assert_false(m.u.heartbeat.has_ack);
	m = (struct gt_msg){ .type = GT_MSG_DATA };
	m.u.data.seq = 1;
	m.u.data.bytes = (const uint8_t *)"ls\n";
	m.u.data.len = 3;
	b = encode(&m, &n);
	g_assert_cmpmem(b, n, "\x00\x00\x00\x0b\x20\x00\x00\x00\x00\x00\x00\x00\x01ls\n", 16);
	g_free(b);
}

static void test_multiple_in_sequence(void)
{
	struct gt_msg msgs[6] = {
		{ .type = GT_MSG_HEARTBEAT, .u.heartbeat.timestamp_ms = 7 },
		{ .type = GT_MSG_RESIZE, .u.resize = { 50, 120 } },
		{ .type = GT_MSG_TERMINAL_INFO,
		  .u.terminal_info = { (const uint8_t *)"vt100", 5 } },
		{ .type = GT_MSG_DATA, .u.data = { 1, (const uint8_t *)"a", 1 } },
		{ .type = GT_MSG_DATA, .u.data = { 2, (const uint8_t *)"bc", 2 } },
		{ .type = GT_MSG_SHUTDOWN },
	};
	struct core_buf b;
	const uint8_t *p;
	size_t left, used;
	struct gt_msg m;

	core_buf_init_growable(&b, 4096);
	for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++)
		g_assert_cmpint(gt_msg_encode(&msgs[i], &b), ==, CORE_OK);
	p = core_buf_ptr(&b);
	left = core_buf_len(&b);
	for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++) {
		g_assert_cmpint(gt_frame_decode(p, left, &m, &used), ==, CORE_OK);
		g_assert_true(gt_msg_equal(&m, &msgs[i]));
		p += used;
		left -= used;
	}
	g_assert_cmpuint(left, ==, 0);
	core_buf_free(&b);
}

static void test_decode_rules(void)
{
	struct gt_msg m;
	uint8_t long_auth[40];
	size_t used;

	/* longer fixed payloads: extra ignored */
	memset(long_auth, 0xab, sizeof(long_auth));
	g_assert_cmpint(gt_msg_decode(GT_MSG_AUTH_REQUEST, long_auth, 40, &m), ==, CORE_OK);
	g_assert_cmpuint(m.u.auth_request.token[31], ==, 0xab);
	g_assert_cmpint(gt_msg_decode(GT_MSG_RESIZE, (const uint8_t *)"\x00\x18\x00\x50zz", 6, &m),
			==, CORE_OK);
	g_assert_cmpuint(m.u.resize.rows, ==, 24);
	g_assert_cmpuint(m.u.resize.cols, ==, 80);
	/* TerminalInfo with trailing bytes */
	g_assert_cmpint(gt_msg_decode(GT_MSG_TERMINAL_INFO, (const uint8_t *)"\x00\x02vtXX", 6, &m),
			==, CORE_OK);
	g_assert_cmpmem(m.u.terminal_info.term, m.u.terminal_info.len, "vt", 2);
	/* Shutdown with a payload */
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\x00\x00\x00\x03\x12"
							 "abc",
					8, &m, &used),
			==, CORE_OK);
	g_assert_cmpuint(used, ==, 8);
	g_assert_cmpuint(m.type, ==, GT_MSG_SHUTDOWN);
	g_assert_false(m.u.shutdown.has_status); /* too short to be ours: ignored */
}

/* Ours: SequenceHeader's flags byte and Shutdown's exit status, absent when zero/unset. */
static void test_extensions(void)
{
	struct gt_msg m = { .type = GT_MSG_SEQUENCE_HEADER }, d;
	uint8_t buf[64];
	struct core_buf b;
	size_t used;

	core_buf_init_fixed(&b, buf, sizeof(buf));
	m.u.sequence_header.last_seq = 5;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpmem(buf, core_buf_len(&b), "\x00\x00\x00\x08\x03\0\0\0\0\0\0\0\x05", 13);
	core_buf_reset(&b);
	m.u.sequence_header.flags = GT_SEQ_FLAG_COMMAND;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpmem(buf, core_buf_len(&b), "\x00\x00\x00\x09\x03\0\0\0\0\0\0\0\x05\x01", 14);
	g_assert_cmpint(gt_frame_decode(buf, core_buf_len(&b), &d, &used), ==, CORE_OK);
	g_assert_true(gt_msg_equal(&m, &d));
	core_buf_reset(&b);
	m = (struct gt_msg){ .type = GT_MSG_SHUTDOWN };
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpmem(buf, core_buf_len(&b), "\x00\x00\x00\x00\x12", 5);
	core_buf_reset(&b);
	m.u.shutdown.has_status = true;
	m.u.shutdown.status = 3;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpmem(buf, core_buf_len(&b), "\x00\x00\x00\x0a\x12\x01\x03\0\0\0\0\0\0\0\0", 15);
	g_assert_cmpint(gt_frame_decode(buf, core_buf_len(&b), &d, &used), ==, CORE_OK);
	g_assert_true(gt_msg_equal(&m, &d));
	core_buf_reset(&b);
	m.u.shutdown.has_last_seq = true;
	m.u.shutdown.last_seq = 0x0102;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpmem(buf, core_buf_len(&b), "\x00\x00\x00\x0a\x12\x03\x03\0\0\0\0\0\0\x01\x02",
			15);
	g_assert_cmpint(gt_frame_decode(buf, core_buf_len(&b), &d, &used), ==, CORE_OK);
	g_assert_true(gt_msg_equal(&m, &d));
}

static void test_errors(void)
{
	static const struct {
		uint8_t type;
		size_t len;
	} shorts[] = {
		{ GT_MSG_AUTH_REQUEST, 10 },
		{ GT_MSG_AUTH_RESPONSE, 0 },
		{ GT_MSG_SEQUENCE_HEADER, 7 },
		{ GT_MSG_HEARTBEAT, 0 },
		{ GT_MSG_RESIZE, 3 },
		{ GT_MSG_TERMINAL_INFO, 1 },
		{ GT_MSG_DATA, 7 },
	};
	uint8_t zeros[64] = { 0 };
	struct gt_msg m;
	size_t used = 99;

	for (size_t i = 0; i < G_N_ELEMENTS(shorts); i++)
		g_assert_cmpint(gt_msg_decode(shorts[i].type, zeros, shorts[i].len, &m), ==,
				CORE_ERR_TRUNCATED);
	/* TerminalInfo whose declared text is longer than the payload */
	g_assert_cmpint(gt_msg_decode(GT_MSG_TERMINAL_INFO, (const uint8_t *)"\x00\x05vt", 4, &m),
			==, CORE_ERR_TRUNCATED);
	/* unknown types, including 0 and 0xff */
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\x00\x00\x00\x00\xff", 5, &m, &used), ==,
			CORE_ERR_UNKNOWN_TYPE);
	g_assert_cmpuint(used, ==, 0);
	g_assert_cmpint(gt_msg_decode(0x00, zeros, 0, &m), ==, CORE_ERR_UNKNOWN_TYPE);
	g_assert_cmpstr(gt_msg_type_name(0xff), ==, "unknown");
	g_assert_cmpstr(gt_msg_type_name(GT_MSG_DATA), ==, "Data");
	/* truncated header / payload */
	g_assert_cmpint(gt_frame_decode(zeros, 4, &m, &used), ==, CORE_ERR_TRUNCATED);
	g_assert_cmpint(
		gt_frame_decode((const uint8_t *)"\x00\x00\x00\x08\x03\x00\x00", 7, &m, &used), ==,
		CORE_ERR_TRUNCATED);
	/* too large: detected from the header alone */
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\x00\x40\x00\x01\x20", 5, &m, &used), ==,
			CORE_ERR_TOO_LARGE);
	g_assert_cmpint(gt_frame_decode((const uint8_t *)"\xff\xff\xff\xff\x20", 5, &m, &used), ==,
			CORE_ERR_TOO_LARGE);
}

static void test_encode_limits(void)
{
	struct core_buf b, small;
	struct gt_msg m = { .type = GT_MSG_DATA };
	uint8_t mem[8];
	uint8_t *big = g_malloc0(GT_FRAME_MAX_PAYLOAD + 1);
	size_t used;
	struct gt_msg back;

	core_buf_init_growable(&b, 2 * GT_FRAME_MAX_PAYLOAD);
	/* 4 MiB - 8 bytes of data is the largest Data frame */
	m.u.data.bytes = big;
	m.u.data.len = GT_FRAME_MAX_PAYLOAD - GT_DATA_HEADER_LEN;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	g_assert_cmpint(gt_frame_decode(core_buf_ptr(&b), core_buf_len(&b), &back, &used), ==,
			CORE_OK);
	g_assert_cmpuint(back.u.data.len, ==, GT_FRAME_MAX_PAYLOAD - GT_DATA_HEADER_LEN);
	core_buf_reset(&b);
	/* one more byte: refused, nothing written */
	m.u.data.len++;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpuint(core_buf_len(&b), ==, 0);
	/* TERM longer than a u16 can say */
	m = (struct gt_msg){ .type = GT_MSG_TERMINAL_INFO };
	m.u.terminal_info.term = big;
	m.u.terminal_info.len = 65536;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_ERR_INVALID_ARG);
	m.u.terminal_info.len = 65535;
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_OK);
	/* unknown type */
	m = (struct gt_msg){ .type = 0x42 };
	g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_ERR_UNKNOWN_TYPE);
	/* no room: nothing written */
	core_buf_init_fixed(&small, mem, sizeof(mem));
	m = (struct gt_msg){ .type = GT_MSG_SEQUENCE_HEADER };
	g_assert_cmpint(gt_msg_encode(&m, &small), ==, CORE_ERR_NO_SPACE);
	g_assert_cmpuint(core_buf_len(&small), ==, 0);
	g_assert_cmpint(gt_msg_channel(GT_MSG_DATA), ==, GT_CHANNEL_DATA);
	g_assert_cmpint(gt_msg_channel(GT_MSG_RESIZE), ==, GT_CHANNEL_CONTROL);
	core_buf_free(&b);
	g_free(big);
}

/* Forwarding messages: round trips, one exact layout each, short payloads,
 * text fields past their length, and the 255-byte text limit. */
static void test_forwarding(void)
{
	static const uint8_t listen_bytes[] = {
		0x00, 0x00, 0x00, 0x0b, 0x30, /* 11 bytes, FwdListen */
		0x00, 0x00, 0x00, 0x07,	      /* listen_id 7 */
		0x1f, 0x90,		      /* port 8080 */
		0x02, 0x03, '1',  '.',	'2',  /* bind: address "1.2" */
	};
	static const uint8_t data_bytes[] = {
		0x00, 0x00, 0x00, 0x0f, 0x34,			/* 15 bytes, FwdData */
		0x00, 0x00, 0x00, 0x05,				/* chan 5 */
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* offset 2^32 + 2 */
		'a',  'b',  'c',
	};
	static const uint8_t ack_bytes[] = {
		0x00, 0x00, 0x00, 0x10, 0x35, 0x00, 0x00, 0x00, 0x06, /* chan 6 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,	      /* delivered 4096 */
		0x00, 0x10, 0x00, 0x00,				      /* window 1 MiB */
	};
	static const uint8_t close_bytes[] = {
		0x00, 0x00, 0x00, 0x10, 0x36, 0x00, 0x00, 0x00, 0x09, 0x01, /* chan 9, reset */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 'n',  'o',
	};
	static const struct {
		uint8_t type;
		size_t min;
	} shorts[] = {
		{ GT_MSG_FWD_LISTEN, 8 }, { GT_MSG_FWD_LISTEN_RESULT, 8 },
		{ GT_MSG_FWD_OPEN, 11 },  { GT_MSG_FWD_OPEN_RESULT, 6 },
		{ GT_MSG_FWD_DATA, 12 },  { GT_MSG_FWD_ACK, 16 },
		{ GT_MSG_FWD_CLOSE, 14 },
	};
	uint8_t zeros[32] = { 0 }, long_text[256];
	struct gt_msg m, back;
	size_t len, used;
	uint8_t *bytes;

	memset(long_text, 'x', sizeof(long_text));
	m = (struct gt_msg){ .type = GT_MSG_FWD_LISTEN };
	m.u.fwd_listen.listen_id = 7;
	m.u.fwd_listen.port = 8080;
	m.u.fwd_listen.bind = 2;
	m.u.fwd_listen.addr = (const uint8_t *)"1.2";
	m.u.fwd_listen.addr_len = 3;
	bytes = encode(&m, &len);
	g_assert_cmpmem(bytes, len, listen_bytes, sizeof(listen_bytes));
	g_free(bytes);
	roundtrip(&m);
	m.u.fwd_listen.addr_len = 0; /* no address */
	roundtrip(&m);

	m = (struct gt_msg){ .type = GT_MSG_FWD_LISTEN_RESULT };
	m.u.fwd_listen_result.listen_id = UINT32_MAX;
	m.u.fwd_listen_result.status = GT_FWD_IN_USE;
	m.u.fwd_listen_result.port = 65535;
	m.u.fwd_listen_result.reason = long_text;
	m.u.fwd_listen_result.reason_len = GT_FWD_TEXT_MAX;
	roundtrip(&m);
	m.u.fwd_listen_result.reason_len = GT_FWD_TEXT_MAX + 1;
	g_assert_cmpint(gt_msg_payload_len(&m), ==, 8 + 256);
	{
		struct core_buf b;

		core_buf_init_growable(&b, 1024);
		g_assert_cmpint(gt_msg_encode(&m, &b), ==, CORE_ERR_INVALID_ARG);
		g_assert_cmpuint(core_buf_len(&b), ==, 0);
		core_buf_free(&b);
	}

	m = (struct gt_msg){ .type = GT_MSG_FWD_OPEN };
	m.u.fwd_open.chan = 3;
	m.u.fwd_open.port = 22;
	m.u.fwd_open.host = (const uint8_t *)"db.example";
	m.u.fwd_open.host_len = 10;
	roundtrip(&m);
	m.u.fwd_open.listen_id = 4;
	m.u.fwd_open.host_len = 0;
	roundtrip(&m);

	m = (struct gt_msg){ .type = GT_MSG_FWD_OPEN_RESULT };
	m.u.fwd_open_result.chan = 3;
	m.u.fwd_open_result.status = GT_FWD_REFUSED;
	m.u.fwd_open_result.reason = (const uint8_t *)"Connection refused";
	m.u.fwd_open_result.reason_len = 18;
	roundtrip(&m);

	m = (struct gt_msg){ .type = GT_MSG_FWD_DATA };
	m.u.fwd_data.chan = 5;
	m.u.fwd_data.offset = (UINT64_C(1) << 32) + 2;
	m.u.fwd_data.bytes = (const uint8_t *)"abc";
	m.u.fwd_data.len = 3;
	bytes = encode(&m, &len);
	g_assert_cmpmem(bytes, len, data_bytes, sizeof(data_bytes));
	g_free(bytes);
	roundtrip(&m);

	m = (struct gt_msg){ .type = GT_MSG_FWD_ACK };
	m.u.fwd_ack.chan = 6;
	m.u.fwd_ack.delivered = 4096;
	m.u.fwd_ack.window = 1 << 20;
	bytes = encode(&m, &len);
	g_assert_cmpmem(bytes, len, ack_bytes, sizeof(ack_bytes));
	g_free(bytes);
	roundtrip(&m);

	g_assert_cmpint(gt_frame_decode(close_bytes, sizeof(close_bytes), &back, &used), ==,
			CORE_OK);
	g_assert_cmpuint(used, ==, sizeof(close_bytes));
	g_assert_cmpuint(back.u.fwd_close.chan, ==, 9);
	g_assert_cmpuint(back.u.fwd_close.kind, ==, GT_FWD_CLOSE_RESET);
	g_assert_cmpmem(back.u.fwd_close.reason, back.u.fwd_close.reason_len, "no", 2);
	roundtrip(&back);
	g_assert_cmpstr(gt_msg_type_name(GT_MSG_FWD_CLOSE), ==, "FwdClose");

	for (size_t i = 0; i < G_N_ELEMENTS(shorts); i++) {
		g_assert_true(gt_msg_type_known(shorts[i].type));
		g_assert_cmpint(gt_msg_decode(shorts[i].type, zeros, shorts[i].min - 1, &m), ==,
				CORE_ERR_TRUNCATED);
		g_assert_cmpint(gt_msg_decode(shorts[i].type, zeros, shorts[i].min, &m), ==,
				CORE_OK);
	}
	/* a text length past the payload's end */
	g_assert_cmpint(
		gt_msg_decode(GT_MSG_FWD_OPEN_RESULT, (const uint8_t *)"\0\0\0\1\0\5abcd", 10, &m),
		==, CORE_ERR_TRUNCATED);
	/* forwarding has a channel of its own, never the terminal's */
	for (uint8_t t = GT_MSG_FWD_LISTEN; t <= GT_MSG_FWD_CLOSE; t++)
		g_assert_cmpint(gt_msg_channel(t), ==, GT_CHANNEL_FWD);
	g_assert_cmpint(gt_msg_channel(GT_MSG_DATA), ==, GT_CHANNEL_DATA);
	/* one connection's messages name it; listening ones do not */
	{
		struct gt_msg f = { .type = GT_MSG_FWD_CLOSE };
		uint32_t chan = 0;

		f.u.fwd_close.chan = 42;
		g_assert_true(gt_msg_fwd_chan(&f, &chan));
		g_assert_cmpuint(chan, ==, 42);
		f.type = GT_MSG_FWD_LISTEN;
		g_assert_false(gt_msg_fwd_chan(&f, &chan));
	}
	/* types between the tables stay unknown */
	g_assert_false(gt_msg_type_known(0x2f));
	g_assert_false(gt_msg_type_known(0x37));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/frame/roundtrip-all", test_roundtrip_all);
	g_test_add_func("/frame/reference-bytes", test_reference_bytes);
	g_test_add_func("/frame/multiple-in-sequence", test_multiple_in_sequence);
	g_test_add_func("/frame/decode-rules", test_decode_rules);
	g_test_add_func("/frame/errors", test_errors);
	g_test_add_func("/frame/extensions", test_extensions);
	g_test_add_func("/frame/encode-limits", test_encode_limits);
	g_test_add_func("/frame/forwarding", test_forwarding);
	return g_test_run();
}
