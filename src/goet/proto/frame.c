/* frame.c - goet frame codec (contract in frame.h). */
#include "goet/proto/frame.h"

#include <string.h>

#include "core/err.h"

/* Largest TerminalInfo text: its length travels as a u16. */
#define GT_TERM_MAX_LEN 65535

/* One row per message type: how to size, write and read its payload. */
struct msg_spec {
	uint8_t type;
	const char *name;
	size_t min_len; /* shorter payloads are "short payload" errors */
	enum gt_channel channel;
	size_t (*payload_len)(const struct gt_msg *m);
	int (*put)(const struct gt_msg *m, struct core_buf *b);
	int (*get)(struct core_buf *b, struct gt_msg *m);
};

static size_t len_fixed_32(const struct gt_msg *m)
{
	return GT_AUTH_TOKEN_LEN;
}

static size_t len_auth_response(const struct gt_msg *m)
{
	return 1 + m->u.auth_response.extra_len;
}

static size_t len_fixed_4(const struct gt_msg *m)
{
	return 4;
}

static size_t len_terminal_info(const struct gt_msg *m)
{
	return 2 + m->u.terminal_info.len;
}

static size_t len_data(const struct gt_msg *m)
{
	return GT_DATA_HEADER_LEN + m->u.data.len;
}

static int put_auth_request(const struct gt_msg *m, struct core_buf *b)
{
	return core_buf_put_bytes(b, m->u.auth_request.token, GT_AUTH_TOKEN_LEN);
}

static int get_auth_request(struct core_buf *b, struct gt_msg *m)
{
	return core_buf_get_bytes(b, m->u.auth_request.token, GT_AUTH_TOKEN_LEN);
}

static int put_auth_response(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u8(b, m->u.auth_response.status);

	if (r == CORE_OK)
		r = core_buf_put_bytes(b, m->u.auth_response.extra, m->u.auth_response.extra_len);
	return r;
}

static int get_auth_response(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u8(b, &m->u.auth_response.status);

	m->u.auth_response.extra_len = core_buf_len(b);
	if (r == CORE_OK)
		r = core_buf_get_view(b, m->u.auth_response.extra_len, &m->u.auth_response.extra);
	return r;
}

static size_t len_sequence_header(const struct gt_msg *m)
{
	return m->u.sequence_header.flags != 0 ? 9 : 8;
}

static int put_sequence_header(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u64(b, m->u.sequence_header.last_seq);

	if (r == CORE_OK && m->u.sequence_header.flags != 0)
		r = core_buf_put_u8(b, m->u.sequence_header.flags);
	return r;
}

static int get_sequence_header(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u64(b, &m->u.sequence_header.last_seq);

	m->u.sequence_header.flags = 0;
	if (r == CORE_OK && core_buf_len(b) >= 1)
		r = core_buf_get_u8(b, &m->u.sequence_header.flags);
	return r;
}

#define SHUTDOWN_STATUS	  0x01
#define SHUTDOWN_LAST_SEQ 0x02
#define SHUTDOWN_EXT_LEN  10 /* flags, status, last_seq */

static size_t len_shutdown(const struct gt_msg *m)
{
	return m->u.shutdown.has_status || m->u.shutdown.has_last_seq ? SHUTDOWN_EXT_LEN : 0;
}

static int put_shutdown(const struct gt_msg *m, struct core_buf *b)
{
	uint8_t flags = (m->u.shutdown.has_status ? SHUTDOWN_STATUS : 0) |
			(m->u.shutdown.has_last_seq ? SHUTDOWN_LAST_SEQ : 0);
	int r = CORE_OK;

	if (flags == 0)
		return CORE_OK;
	r = core_buf_put_u8(b, flags);
	if (r == CORE_OK)
		r = core_buf_put_u8(b, m->u.shutdown.has_status ? m->u.shutdown.status : 0);
	if (r == CORE_OK)
		r = core_buf_put_u64(b, m->u.shutdown.has_last_seq ? m->u.shutdown.last_seq : 0);
	return r;
}

/* Any payload is accepted (the reference's rule); ours is read when it is whole. */
static int get_shutdown(struct core_buf *b, struct gt_msg *m)
{
	uint8_t flags = 0;

	m->u.shutdown.has_status = m->u.shutdown.has_last_seq = false;
	m->u.shutdown.status = 0;
	m->u.shutdown.last_seq = 0;
	if (core_buf_len(b) < SHUTDOWN_EXT_LEN)
		return CORE_OK;
	core_buf_get_u8(b, &flags);
	core_buf_get_u8(b, &m->u.shutdown.status);
	core_buf_get_u64(b, &m->u.shutdown.last_seq);
	m->u.shutdown.has_status = flags & SHUTDOWN_STATUS;
	m->u.shutdown.has_last_seq = flags & SHUTDOWN_LAST_SEQ;
	if (!m->u.shutdown.has_status)
		m->u.shutdown.status = 0;
	if (!m->u.shutdown.has_last_seq)
		m->u.shutdown.last_seq = 0;
	return CORE_OK;
}

static size_t len_heartbeat(const struct gt_msg *m)
{
	return m->u.heartbeat.has_ack ? 16 : 8;
}

static int put_heartbeat(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u64(b, (uint64_t)m->u.heartbeat.timestamp_ms);

	if (r == CORE_OK && m->u.heartbeat.has_ack)
		r = core_buf_put_u64(b, m->u.heartbeat.ack_seq);
	return r;
}

static int get_heartbeat(struct core_buf *b, struct gt_msg *m)
{
	uint64_t v;
	int r = core_buf_get_u64(b, &v);

	m->u.heartbeat.timestamp_ms = (int64_t)v; /* two's complement, as Go's int64 */
	m->u.heartbeat.has_ack = r == CORE_OK && core_buf_len(b) >= 8;
	m->u.heartbeat.ack_seq = 0;
	if (m->u.heartbeat.has_ack)
		r = core_buf_get_u64(b, &m->u.heartbeat.ack_seq);
	return r;
}

static int put_resize(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u16(b, m->u.resize.rows);

	return r == CORE_OK ? core_buf_put_u16(b, m->u.resize.cols) : r;
}

static int get_resize(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u16(b, &m->u.resize.rows);

	return r == CORE_OK ? core_buf_get_u16(b, &m->u.resize.cols) : r;
}

static int put_terminal_info(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u16(b, (uint16_t)m->u.terminal_info.len);

	if (r == CORE_OK)
		r = core_buf_put_bytes(b, m->u.terminal_info.term, m->u.terminal_info.len);
	return r;
}

static int get_terminal_info(struct core_buf *b, struct gt_msg *m)
{
	uint16_t n;
	int r = core_buf_get_u16(b, &n);

	m->u.terminal_info.len = n;
	if (r == CORE_OK)
		r = core_buf_get_view(b, n, &m->u.terminal_info.term);
	return r;
}

static int put_data(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u64(b, m->u.data.seq);

	if (r == CORE_OK)
		r = core_buf_put_bytes(b, m->u.data.bytes, m->u.data.len);
	return r;
}

static int get_data(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u64(b, &m->u.data.seq);

	m->u.data.len = core_buf_len(b);
	if (r == CORE_OK)
		r = core_buf_get_view(b, m->u.data.len, &m->u.data.bytes);
	return r;
}

/* Forwarding's text fields: u8 length, then the bytes. */
static int put_text(struct core_buf *b, const uint8_t *p, size_t len)
{
	int r = core_buf_put_u8(b, (uint8_t)len);

	return r == CORE_OK ? core_buf_put_bytes(b, p, len) : r;
}

static int get_text(struct core_buf *b, const uint8_t **p, size_t *len)
{
	uint8_t n;
	int r = core_buf_get_u8(b, &n);

	*len = n;
	return r == CORE_OK ? core_buf_get_view(b, n, p) : r;
}

static size_t len_fwd_listen(const struct gt_msg *m)
{
	return 8 + m->u.fwd_listen.addr_len;
}

static int put_fwd_listen(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_listen.listen_id);

	if (r == CORE_OK)
		r = core_buf_put_u16(b, m->u.fwd_listen.port);
	if (r == CORE_OK)
		r = core_buf_put_u8(b, m->u.fwd_listen.bind);
	return r == CORE_OK ? put_text(b, m->u.fwd_listen.addr, m->u.fwd_listen.addr_len) : r;
}

static int get_fwd_listen(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_listen.listen_id);

	if (r == CORE_OK)
		r = core_buf_get_u16(b, &m->u.fwd_listen.port);
	if (r == CORE_OK)
		r = core_buf_get_u8(b, &m->u.fwd_listen.bind);
	return r == CORE_OK ? get_text(b, &m->u.fwd_listen.addr, &m->u.fwd_listen.addr_len) : r;
}

static size_t len_fwd_listen_result(const struct gt_msg *m)
{
	return 8 + m->u.fwd_listen_result.reason_len;
}

static int put_fwd_listen_result(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_listen_result.listen_id);

	if (r == CORE_OK)
		r = core_buf_put_u8(b, m->u.fwd_listen_result.status);
	if (r == CORE_OK)
		r = core_buf_put_u16(b, m->u.fwd_listen_result.port);
	return r == CORE_OK ? put_text(b, m->u.fwd_listen_result.reason,
				       m->u.fwd_listen_result.reason_len)
			    : r;
}

static int get_fwd_listen_result(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_listen_result.listen_id);

	if (r == CORE_OK)
		r = core_buf_get_u8(b, &m->u.fwd_listen_result.status);
	if (r == CORE_OK)
		r = core_buf_get_u16(b, &m->u.fwd_listen_result.port);
	return r == CORE_OK ? get_text(b, &m->u.fwd_listen_result.reason,
				       &m->u.fwd_listen_result.reason_len)
			    : r;
}

static size_t len_fwd_open(const struct gt_msg *m)
{
	return 11 + m->u.fwd_open.host_len;
}

static int put_fwd_open(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_open.chan);

	if (r == CORE_OK)
		r = core_buf_put_u32(b, m->u.fwd_open.listen_id);
	if (r == CORE_OK)
		r = core_buf_put_u16(b, m->u.fwd_open.port);
	return r == CORE_OK ? put_text(b, m->u.fwd_open.host, m->u.fwd_open.host_len) : r;
}

static int get_fwd_open(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_open.chan);

	if (r == CORE_OK)
		r = core_buf_get_u32(b, &m->u.fwd_open.listen_id);
	if (r == CORE_OK)
		r = core_buf_get_u16(b, &m->u.fwd_open.port);
	return r == CORE_OK ? get_text(b, &m->u.fwd_open.host, &m->u.fwd_open.host_len) : r;
}

static size_t len_fwd_open_result(const struct gt_msg *m)
{
	return 6 + m->u.fwd_open_result.reason_len;
}

static int put_fwd_open_result(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_open_result.chan);

	if (r == CORE_OK)
		r = core_buf_put_u8(b, m->u.fwd_open_result.status);
	return r == CORE_OK
		       ? put_text(b, m->u.fwd_open_result.reason, m->u.fwd_open_result.reason_len)
		       : r;
}

static int get_fwd_open_result(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_open_result.chan);

	if (r == CORE_OK)
		r = core_buf_get_u8(b, &m->u.fwd_open_result.status);
	return r == CORE_OK
		       ? get_text(b, &m->u.fwd_open_result.reason, &m->u.fwd_open_result.reason_len)
		       : r;
}

static size_t len_fwd_data(const struct gt_msg *m)
{
	return GT_FWD_DATA_HEADER_LEN + m->u.fwd_data.len;
}

static int put_fwd_data(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_data.chan);

	if (r == CORE_OK)
		r = core_buf_put_u64(b, m->u.fwd_data.offset);
	return r == CORE_OK ? core_buf_put_bytes(b, m->u.fwd_data.bytes, m->u.fwd_data.len) : r;
}

static int get_fwd_data(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_data.chan);

	if (r == CORE_OK)
		r = core_buf_get_u64(b, &m->u.fwd_data.offset);
	m->u.fwd_data.len = core_buf_len(b);
	return r == CORE_OK ? core_buf_get_view(b, m->u.fwd_data.len, &m->u.fwd_data.bytes) : r;
}

static size_t len_fwd_ack(const struct gt_msg *m)
{
	return 16;
}

static int put_fwd_ack(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_ack.chan);

	if (r == CORE_OK)
		r = core_buf_put_u64(b, m->u.fwd_ack.delivered);
	return r == CORE_OK ? core_buf_put_u32(b, m->u.fwd_ack.window) : r;
}

static int get_fwd_ack(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_ack.chan);

	if (r == CORE_OK)
		r = core_buf_get_u64(b, &m->u.fwd_ack.delivered);
	return r == CORE_OK ? core_buf_get_u32(b, &m->u.fwd_ack.window) : r;
}

static size_t len_fwd_close(const struct gt_msg *m)
{
	return 14 + m->u.fwd_close.reason_len;
}

static int put_fwd_close(const struct gt_msg *m, struct core_buf *b)
{
	int r = core_buf_put_u32(b, m->u.fwd_close.chan);

	if (r == CORE_OK)
		r = core_buf_put_u8(b, m->u.fwd_close.kind);
	if (r == CORE_OK)
		r = core_buf_put_u64(b, m->u.fwd_close.offset);
	return r == CORE_OK ? put_text(b, m->u.fwd_close.reason, m->u.fwd_close.reason_len) : r;
}

static int get_fwd_close(struct core_buf *b, struct gt_msg *m)
{
	int r = core_buf_get_u32(b, &m->u.fwd_close.chan);

	if (r == CORE_OK)
		r = core_buf_get_u8(b, &m->u.fwd_close.kind);
	if (r == CORE_OK)
		r = core_buf_get_u64(b, &m->u.fwd_close.offset);
	return r == CORE_OK ? get_text(b, &m->u.fwd_close.reason, &m->u.fwd_close.reason_len) : r;
}

/* The forwarding message's text field longer than GT_FWD_TEXT_MAX, if any. */
static bool fwd_text_too_long(const struct gt_msg *m)
{
	switch (m->type) {
	case GT_MSG_FWD_LISTEN:
		return m->u.fwd_listen.addr_len > GT_FWD_TEXT_MAX;
	case GT_MSG_FWD_LISTEN_RESULT:
		return m->u.fwd_listen_result.reason_len > GT_FWD_TEXT_MAX;
	case GT_MSG_FWD_OPEN:
		return m->u.fwd_open.host_len > GT_FWD_TEXT_MAX;
	case GT_MSG_FWD_OPEN_RESULT:
		return m->u.fwd_open_result.reason_len > GT_FWD_TEXT_MAX;
	case GT_MSG_FWD_CLOSE:
		return m->u.fwd_close.reason_len > GT_FWD_TEXT_MAX;
	default:
		return false;
	}
}

static const struct msg_spec msg_table[] = {
	{ GT_MSG_AUTH_REQUEST, "AuthRequest", GT_AUTH_TOKEN_LEN, GT_CHANNEL_CONTROL, len_fixed_32,
	  put_auth_request, get_auth_request },
	{ GT_MSG_AUTH_RESPONSE, "AuthResponse", 1, GT_CHANNEL_CONTROL, len_auth_response,
	  put_auth_response, get_auth_response },
	{ GT_MSG_SEQUENCE_HEADER, "SequenceHeader", 8, GT_CHANNEL_CONTROL, len_sequence_header,
	  put_sequence_header, get_sequence_header },
	{ GT_MSG_HEARTBEAT, "Heartbeat", 8, GT_CHANNEL_CONTROL, len_heartbeat, put_heartbeat,
	  get_heartbeat },
	{ GT_MSG_RESIZE, "Resize", 4, GT_CHANNEL_CONTROL, len_fixed_4, put_resize, get_resize },
	{ GT_MSG_SHUTDOWN, "Shutdown", 0, GT_CHANNEL_CONTROL, len_shutdown, put_shutdown,
	  get_shutdown },
	{ GT_MSG_TERMINAL_INFO, "TerminalInfo", 2, GT_CHANNEL_CONTROL, len_terminal_info,
	  put_terminal_info, get_terminal_info },
	{ GT_MSG_DATA, "Data", GT_DATA_HEADER_LEN, GT_CHANNEL_DATA, len_data, put_data, get_data },
	{ GT_MSG_FWD_LISTEN, "FwdListen", 8, GT_CHANNEL_FWD, len_fwd_listen, put_fwd_listen,
	  get_fwd_listen },
	{ GT_MSG_FWD_LISTEN_RESULT, "FwdListenResult", 8, GT_CHANNEL_FWD, len_fwd_listen_result,
	  put_fwd_listen_result, get_fwd_listen_result },
	{ GT_MSG_FWD_OPEN, "FwdOpen", 11, GT_CHANNEL_FWD, len_fwd_open, put_fwd_open,
	  get_fwd_open },
	{ GT_MSG_FWD_OPEN_RESULT, "FwdOpenResult", 6, GT_CHANNEL_FWD, len_fwd_open_result,
	  put_fwd_open_result, get_fwd_open_result },
	{ GT_MSG_FWD_DATA, "FwdData", GT_FWD_DATA_HEADER_LEN, GT_CHANNEL_FWD, len_fwd_data,
	  put_fwd_data, get_fwd_data },
	{ GT_MSG_FWD_ACK, "FwdAck", 16, GT_CHANNEL_FWD, len_fwd_ack, put_fwd_ack, get_fwd_ack },
	{ GT_MSG_FWD_CLOSE, "FwdClose", 14, GT_CHANNEL_FWD, len_fwd_close, put_fwd_close,
	  get_fwd_close },
};

/* Table row for a type byte, or NULL. */
static const struct msg_spec *msg_spec_find(uint8_t type)
{
	for (size_t i = 0; i < sizeof(msg_table) / sizeof(msg_table[0]); i++)
		if (msg_table[i].type == type)
			return &msg_table[i];
	return NULL;
}

const char *gt_msg_type_name(uint8_t type)
{
	const struct msg_spec *s = msg_spec_find(type);

	return s != NULL ? s->name : "unknown";
}

bool gt_msg_type_known(uint8_t type)
{
	return msg_spec_find(type) != NULL;
}

enum gt_channel gt_msg_channel(uint8_t type)
{
	const struct msg_spec *s = msg_spec_find(type);

	return s != NULL ? s->channel : GT_CHANNEL_CONTROL;
}

bool gt_msg_fwd_chan(const struct gt_msg *m, uint32_t *chan)
{
	switch (m->type) {
	case GT_MSG_FWD_OPEN:
		*chan = m->u.fwd_open.chan;
		return true;
	case GT_MSG_FWD_OPEN_RESULT:
		*chan = m->u.fwd_open_result.chan;
		return true;
	case GT_MSG_FWD_DATA:
		*chan = m->u.fwd_data.chan;
		return true;
	case GT_MSG_FWD_ACK:
		*chan = m->u.fwd_ack.chan;
		return true;
	case GT_MSG_FWD_CLOSE:
		*chan = m->u.fwd_close.chan;
		return true;
	default:
		return false;
	}
}

size_t gt_msg_payload_len(const struct gt_msg *m)
{
	const struct msg_spec *s = msg_spec_find(m->type);

	return s != NULL ? s->payload_len(m) : 0;
}

int gt_msg_encode(const struct gt_msg *m, struct core_buf *out)
{
	const struct msg_spec *s = msg_spec_find(m->type);
	size_t len;
	int r;

	if (s == NULL)
		return CORE_ERR_UNKNOWN_TYPE;
	if ((m->type == GT_MSG_TERMINAL_INFO && m->u.terminal_info.len > GT_TERM_MAX_LEN) ||
	    fwd_text_too_long(m))
		return CORE_ERR_INVALID_ARG;
	len = s->payload_len(m);
	if (len > GT_FRAME_MAX_PAYLOAD)
		return CORE_ERR_TOO_LARGE;
	/* check the room first so that a failure writes nothing */
	if (core_buf_avail(out) < GT_FRAME_HEADER_LEN + len)
		return CORE_ERR_NO_SPACE;
	r = core_buf_put_u32(out, (uint32_t)len);
	if (r == CORE_OK)
		r = core_buf_put_u8(out, m->type);
	if (r == CORE_OK)
		r = s->put(m, out);
	return r;
}

int gt_msg_decode(uint8_t type, const uint8_t *payload, size_t len, struct gt_msg *m)
{
	const struct msg_spec *s = msg_spec_find(type);
	struct core_buf b;

	memset(m, 0, sizeof(*m));
	if (s == NULL)
		return CORE_ERR_UNKNOWN_TYPE;
	if (len < s->min_len)
		return CORE_ERR_TRUNCATED;
	m->type = type;
	core_buf_init_reader(&b, payload, len);
	return s->get(&b, m);
}

int gt_frame_header_parse(const uint8_t hdr[GT_FRAME_HEADER_LEN], uint32_t *len, uint8_t *type)
{
	*len = core_load_be32(hdr);
	*type = hdr[4];
	return *len > GT_FRAME_MAX_PAYLOAD ? CORE_ERR_TOO_LARGE : CORE_OK;
}

int gt_frame_decode(const uint8_t *data, size_t len, struct gt_msg *m, size_t *consumed)
{
	uint32_t plen;
	uint8_t type;
	int r;

	*consumed = 0;
	memset(m, 0, sizeof(*m));
	if (len < GT_FRAME_HEADER_LEN)
		return CORE_ERR_TRUNCATED;
	r = gt_frame_header_parse(data, &plen, &type);
	if (r != CORE_OK)
		return r;
	if (len - GT_FRAME_HEADER_LEN < plen)
		return CORE_ERR_TRUNCATED;
	r = gt_msg_decode(type, data + GT_FRAME_HEADER_LEN, plen, m);
	if (r == CORE_OK)
		*consumed = GT_FRAME_HEADER_LEN + plen;
	return r;
}

/* Equal lengths and contents of two borrowed byte ranges. */
static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

bool gt_msg_equal(const struct gt_msg *a, const struct gt_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case GT_MSG_AUTH_REQUEST:
		return memcmp(a->u.auth_request.token, b->u.auth_request.token,
			      GT_AUTH_TOKEN_LEN) == 0;
	case GT_MSG_AUTH_RESPONSE:
		return a->u.auth_response.status == b->u.auth_response.status &&
		       bytes_equal(a->u.auth_response.extra, a->u.auth_response.extra_len,
				   b->u.auth_response.extra, b->u.auth_response.extra_len);
	case GT_MSG_SEQUENCE_HEADER:
		return a->u.sequence_header.last_seq == b->u.sequence_header.last_seq &&
		       a->u.sequence_header.flags == b->u.sequence_header.flags;
	case GT_MSG_HEARTBEAT:
		return a->u.heartbeat.timestamp_ms == b->u.heartbeat.timestamp_ms &&
		       a->u.heartbeat.has_ack == b->u.heartbeat.has_ack &&
		       a->u.heartbeat.ack_seq == b->u.heartbeat.ack_seq;
	case GT_MSG_RESIZE:
		return a->u.resize.rows == b->u.resize.rows && a->u.resize.cols == b->u.resize.cols;
	case GT_MSG_SHUTDOWN:
		return a->u.shutdown.has_status == b->u.shutdown.has_status &&
		       a->u.shutdown.status == b->u.shutdown.status &&
		       a->u.shutdown.has_last_seq == b->u.shutdown.has_last_seq &&
		       a->u.shutdown.last_seq == b->u.shutdown.last_seq;
	case GT_MSG_TERMINAL_INFO:
		return bytes_equal(a->u.terminal_info.term, a->u.terminal_info.len,
				   b->u.terminal_info.term, b->u.terminal_info.len);
	case GT_MSG_DATA:
		return a->u.data.seq == b->u.data.seq &&
		       bytes_equal(a->u.data.bytes, a->u.data.len, b->u.data.bytes, b->u.data.len);
	case GT_MSG_FWD_LISTEN:
		return a->u.fwd_listen.listen_id == b->u.fwd_listen.listen_id &&
		       a->u.fwd_listen.port == b->u.fwd_listen.port &&
		       a->u.fwd_listen.bind == b->u.fwd_listen.bind &&
		       bytes_equal(a->u.fwd_listen.addr, a->u.fwd_listen.addr_len,
				   b->u.fwd_listen.addr, b->u.fwd_listen.addr_len);
	case GT_MSG_FWD_LISTEN_RESULT:
		return a->u.fwd_listen_result.listen_id == b->u.fwd_listen_result.listen_id &&
		       a->u.fwd_listen_result.status == b->u.fwd_listen_result.status &&
		       a->u.fwd_listen_result.port == b->u.fwd_listen_result.port &&
		       bytes_equal(a->u.fwd_listen_result.reason, a->u.fwd_listen_result.reason_len,
				   b->u.fwd_listen_result.reason,
				   b->u.fwd_listen_result.reason_len);
	case GT_MSG_FWD_OPEN:
		return a->u.fwd_open.chan == b->u.fwd_open.chan &&
		       a->u.fwd_open.listen_id == b->u.fwd_open.listen_id &&
		       a->u.fwd_open.port == b->u.fwd_open.port &&
		       bytes_equal(a->u.fwd_open.host, a->u.fwd_open.host_len, b->u.fwd_open.host,
				   b->u.fwd_open.host_len);
	case GT_MSG_FWD_OPEN_RESULT:
		return a->u.fwd_open_result.chan == b->u.fwd_open_result.chan &&
		       a->u.fwd_open_result.status == b->u.fwd_open_result.status &&
		       bytes_equal(a->u.fwd_open_result.reason, a->u.fwd_open_result.reason_len,
				   b->u.fwd_open_result.reason, b->u.fwd_open_result.reason_len);
	case GT_MSG_FWD_DATA:
		return a->u.fwd_data.chan == b->u.fwd_data.chan &&
		       a->u.fwd_data.offset == b->u.fwd_data.offset &&
		       bytes_equal(a->u.fwd_data.bytes, a->u.fwd_data.len, b->u.fwd_data.bytes,
				   b->u.fwd_data.len);
	case GT_MSG_FWD_ACK:
		return a->u.fwd_ack.chan == b->u.fwd_ack.chan &&
		       a->u.fwd_ack.delivered == b->u.fwd_ack.delivered &&
		       a->u.fwd_ack.window == b->u.fwd_ack.window;
	case GT_MSG_FWD_CLOSE:
		return a->u.fwd_close.chan == b->u.fwd_close.chan &&
		       a->u.fwd_close.kind == b->u.fwd_close.kind &&
		       a->u.fwd_close.offset == b->u.fwd_close.offset &&
		       bytes_equal(a->u.fwd_close.reason, a->u.fwd_close.reason_len,
				   b->u.fwd_close.reason, b->u.fwd_close.reason_len);
	default:
		return true;
	}
}
