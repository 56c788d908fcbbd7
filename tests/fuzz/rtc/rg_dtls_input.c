/*
 * Fuzz target for rift/rtc/dtls: the input is a role byte and then datagrams,
 * each a 2-byte big-endian length and its bytes, fed to a fresh rg_dtls
 * (client or server, started) as if from the wire. Invariants: no crash or
 * leak; rg_dtls_datagram_check accepts only datagrams that are a whole
 * sequence of records; every refused datagram is counted as ignored;
 * the endpoint never connects (nobody holds the pinned certificate's key).
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/rtc/dtls.h"

static struct core_tls_cert *cert;
static int connected;

static void on_send(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

static void on_connected(void *ctx)
{
	(void)ctx;
	connected++;
}

static void on_data(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

static void on_failed(void *ctx, const char *reason)
{
	(void)ctx;
	if (!reason || !*reason)
		abort();
}

static void on_closed(void *ctx)
{
	(void)ctx;
}

static const struct rg_dtls_callbacks cb = { on_send, on_connected, on_data, on_failed, on_closed };

/* Walk the records independently of rg_dtls_datagram_check. */
static bool framed(const uint8_t *p, size_t n)
{
	size_t off = 0;

	if (n == 0)
		return false;
	while (off < n) {
		size_t rlen;

		if (n - off < 13 || p[off] < 20 || p[off] > 63 || p[off + 1] != 0xfe)
			return false;
		if (p[off] == 23 && p[off + 3] == 0 && p[off + 4] == 0)
			return false;
		rlen = (size_t)p[off + 11] << 8 | p[off + 12];
		if (rlen > 18432 || n - off - 13 < rlen)
			return false;
		off += 13 + rlen;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (core_tls_cert_generate(&cert, 3600) != CORE_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fp[CORE_TLS_FP_LEN] = { 0x42 };
	struct rg_dtls *d = NULL;
	uint64_t refused = 0;
	size_t off = 1;

	if (!cert)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	if (rg_dtls_new(&d, data[0] & 1 ? RG_DTLS_SERVER : RG_DTLS_CLIENT, cert, fp, &cb, NULL,
			"fuzz", NULL, NULL) != CORE_OK)
		abort();
	rg_dtls_start(d);
	while (size - off >= 2) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		n = n < size - off ? n : size - off;
		int check = rg_dtls_datagram_check(data + off, n);

		if (check == CORE_OK && !framed(data + off, n))
			abort();
		refused += check != CORE_OK;
		rg_dtls_input(d, data + off, n);
		off += n;
	}
	if (rg_dtls_ignored(d) < refused || connected)
		abort();
	rg_dtls_free(d);
	return 0;
}
