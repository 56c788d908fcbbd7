/*
 * Fuzz target for rift/rtc/dtls past the handshake: the endpoint under test
 * (DUT) and a real peer that holds the certificate the DUT pins, joined by a
 * wire the fuzzer controls, so that inputs reach the connected state and
 * the records after it. The first byte: bit 0 the DUT's role (client or
 * server), bit 1 the DUT pins a fingerprint nobody holds. Then operations,
 * each with its parameters (zeros once the input ends):
 *
 *   PASS    the next datagram for the DUT: delivered, dropped, delivered
 *           twice, delivered with one byte damaged, cut short, or put back
 *           at the end of the queue (reordered)
 *   DATA    the peer sends a datagram of application data (once connected)
 *   RAW     any datagram to the DUT
 *   REPLAY  a datagram delivered to the DUT before, again
 *   CLOSE   the peer sends close_notify
 *   ECHO    the DUT sends a datagram of application data to the peer
 *
 * What the DUT sends goes to the peer at once. Invariants: the DUT connects
 * at most once and never with a certificate it did not pin; it delivers only
 * data the peer sent, each datagram at most once and only while connected;
 * no callback after failure or close; a failure says one of the documented
 * reasons; and at the end, a connection still up carries one more datagram
 * each way.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/rtc/dtls.h"

#define QUEUE_MAX    64
#define HISTORY	     32
#define MAX_OPS	     128
#define DGRAM_MAX    2048
#define SENT_MAX     256
#define DATA_MAGIC   0x52474454u /* "RGDT": the peer's data starts with it and a serial */
#define FINAL_SERIAL 0xffffffffu

static struct core_tls_cert *cert_dut, *cert_peer;
static uint8_t fp_dut[CORE_TLS_FP_LEN], fp_peer[CORE_TLS_FP_LEN];
static GMainContext *ctx;

struct dgram {
	size_t len;
	uint8_t data[DGRAM_MAX];
};

/* Datagrams on their way to one side. */
struct queue {
	struct dgram d[QUEUE_MAX];
	size_t head, count;
};

struct side {
	struct rg_dtls *d;
	struct queue in;
	int connected, failed, closed;
	bool dead; /* failed or closed: no callback may follow */
	unsigned data_seen;
	bool final_seen;
};

static struct {
	struct side dut, peer;
	struct dgram hist[HISTORY]; /* datagrams delivered to the DUT */
	size_t n_hist, hist_next;
	unsigned sent[SENT_MAX]; /* times the peer sent serial i (delivered counts down) */
	uint32_t serial;
	bool wrong_pin;
} h;

static const uint8_t *in;
static size_t in_left;

static uint8_t u8(void)
{
	if (in_left == 0)
		return 0;
	in_left--;
	return *in++;
}

static void push(struct queue *q, const uint8_t *buf, size_t len)
{
	struct dgram *d;

	if (q->count == QUEUE_MAX || len > DGRAM_MAX)
		return;
	d = &q->d[(q->head + q->count++) % QUEUE_MAX];
	d->len = len;
	memcpy(d->data, buf, len);
}

static bool pop(struct queue *q, struct dgram *out)
{
	if (q->count == 0)
		return false;
	*out = q->d[q->head];
	q->head = (q->head + 1) % QUEUE_MAX;
	q->count--;
	return true;
}

static void on_send(void *c, const uint8_t *buf, size_t len)
{
	struct side *s = c;

	/* the DUT's datagrams go to the peer; the peer's to the DUT */
	push(s == &h.dut ? &h.peer.in : &h.dut.in, buf, len);
}

static void on_connected(void *c)
{
	struct side *s = c;

	if (s->dead || s->connected++ > 0)
		abort(); /* connected twice, or after the end */
	if (s == &h.dut && h.wrong_pin)
		abort(); /* connected to a certificate it did not pin */
}

static uint32_t word(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_data(void *c, const uint8_t *buf, size_t len)
{
	struct side *s = c;
	uint32_t serial;

	if (s->dead || !s->connected)
		abort(); /* data before the handshake or after the end */
	if (s == &h.peer)
		return; /* the DUT's echoes: not judged */
	if (len < 8 || word(buf) != DATA_MAGIC)
		abort(); /* data the peer never sent */
	serial = word(buf + 4);
	if (serial == FINAL_SERIAL) {
		if (h.dut.final_seen)
			abort();
		h.dut.final_seen = true;
		return;
	}
	if (serial >= SENT_MAX || h.sent[serial] == 0)
		abort(); /* never sent, or delivered more often than sent: a replay */
	h.sent[serial]--;
	s->data_seen++;
}

static void on_failed(void *c, const char *reason)
{
	static const char *const reasons[] = { RG_DTLS_REASON_FP_MISMATCH, RG_DTLS_REASON_TIMEOUT,
					       "peer sent fatal alert: ", "handshake failed: ",
					       "receive failed: " };
	struct side *s = c;
	bool known = false;

	if (s->dead || s->failed++ > 0 || reason == NULL)
		abort();
	for (size_t i = 0; i < G_N_ELEMENTS(reasons); i++)
		known |= g_str_has_prefix(reason, reasons[i]);
	if (!known)
		abort(); /* an undocumented reason */
	s->dead = true;
}

static void on_closed(void *c)
{
	struct side *s = c;

	if (s->dead || s->closed++ > 0)
		abort();
	s->dead = true;
}

static const struct rg_dtls_callbacks cb = { on_send, on_connected, on_data, on_failed, on_closed };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (core_tls_cert_generate(&cert_dut, 3600) != CORE_OK ||
	    core_tls_cert_generate(&cert_peer, 3600) != CORE_OK)
		abort();
	core_tls_cert_fingerprint(cert_dut, fp_dut);
	core_tls_cert_fingerprint(cert_peer, fp_peer);
	ctx = g_main_context_new();
	return 0;
}

static void deliver(const uint8_t *buf, size_t len)
{
	struct dgram *d = &h.hist[h.hist_next];

	if (len <= DGRAM_MAX) {
		d->len = len;
		memcpy(d->data, buf, len);
		h.hist_next = (h.hist_next + 1) % HISTORY;
		h.n_hist = MIN(h.n_hist + 1, HISTORY);
	}
	rg_dtls_input(h.dut.d, buf, len);
}

/* Everything the DUT sent so far, to the peer (the peer's answers queue for the DUT). */
static void to_peer(void)
{
	struct dgram d;

	for (int i = 0; i < 64 && pop(&h.peer.in, &d); i++)
		rg_dtls_input(h.peer.d, d.data, d.len);
}

static void op_pass(void)
{
	uint8_t how = u8() % 8, at = u8(), x = u8() | 1;
	struct dgram d;

	if (!pop(&h.dut.in, &d))
		return;
	switch (how) {
	case 1: /* lost */
		break;
	case 2: /* twice */
		deliver(d.data, d.len);
		deliver(d.data, d.len);
		break;
	case 3: /* one byte damaged */
		d.data[at % d.len] ^= x;
		deliver(d.data, d.len);
		break;
	case 4: /* cut short */
		deliver(d.data, at % d.len);
		break;
	case 5: /* later */
		push(&h.dut.in, d.data, d.len);
		break;
	default:
		deliver(d.data, d.len);
	}
}

static void peer_send(uint32_t serial, size_t extra)
{
	uint8_t buf[8 + 256];

	for (int i = 0; i < 4; i++) {
		buf[i] = (uint8_t)(DATA_MAGIC >> (24 - 8 * i));
		buf[4 + i] = (uint8_t)(serial >> (24 - 8 * i));
	}
	for (size_t i = 0; i < extra; i++)
		buf[8 + i] = u8();
	if (rg_dtls_send(h.peer.d, buf, 8 + extra) == CORE_OK && serial < SENT_MAX)
		h.sent[serial]++;
}

static void op_data(void)
{
	size_t extra = u8();

	if (h.serial < SENT_MAX)
		peer_send(h.serial++, extra);
}

static void op_raw(void)
{
	uint8_t buf[256];
	size_t len = u8();

	for (size_t i = 0; i < len; i++)
		buf[i] = u8();
	deliver(buf, len);
}

static void op_replay(void)
{
	struct dgram d;

	if (h.n_hist == 0)
		return;
	d = h.hist[u8() % h.n_hist];
	deliver(d.data, d.len);
}

static void op_close(void)
{
	rg_dtls_close(h.peer.d);
}

static void op_echo(void)
{
	uint8_t buf[64] = "echo";

	rg_dtls_send(h.dut.d, buf, 4 + u8() % 60);
}

static void (*const ops[])(void) = { op_pass, op_pass,	 op_pass,  op_data,
				     op_raw,  op_replay, op_close, op_echo };

/* A connection still up carries one more datagram each way. */
static void final_check(void)
{
	struct dgram d;

	if (!rg_dtls_is_connected(h.dut.d) || !rg_dtls_is_connected(h.peer.d))
		return;
	peer_send(FINAL_SERIAL, 0);
	while (pop(&h.dut.in, &d))
		deliver(d.data, d.len);
	if (!h.dut.final_seen)
		abort(); /* the DUT lost the connection's use */
	op_echo();
	to_peer();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool dut_client;

	if (cert_dut == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	memset(&h, 0, sizeof(h));
	in = data + 1, in_left = size - 1;
	dut_client = !(data[0] & 1);
	h.wrong_pin = data[0] & 2;
	if (rg_dtls_new(&h.dut.d, dut_client ? RG_DTLS_CLIENT : RG_DTLS_SERVER, cert_dut,
			h.wrong_pin ? fp_dut : fp_peer, &cb, &h.dut, "dut", ctx, NULL) != CORE_OK ||
	    rg_dtls_new(&h.peer.d, dut_client ? RG_DTLS_SERVER : RG_DTLS_CLIENT, cert_peer, fp_dut,
			&cb, &h.peer, "peer", ctx, NULL) != CORE_OK)
		abort();
	rg_dtls_start(h.peer.d);
	rg_dtls_start(h.dut.d);
	to_peer();
	for (int i = 0; i < MAX_OPS && in_left > 0; i++) {
		ops[u8() % G_N_ELEMENTS(ops)]();
		to_peer();
	}
	final_check();
	if (getenv("RG_DTLS_FUZZ_TRACE") != NULL) /* to check that a seed does what it says */
		fprintf(stderr,
			"dut: connected %d data %u final %d failed %d closed %d ignored %" PRIu64
			"\n",
			h.dut.connected, h.dut.data_seen, h.dut.final_seen, h.dut.failed,
			h.dut.closed, rg_dtls_ignored(h.dut.d));
	rg_dtls_free(h.dut.d);
	rg_dtls_free(h.peer.d);
	return 0;
}
