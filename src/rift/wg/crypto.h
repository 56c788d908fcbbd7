/*
 * crypto.h - one transport-data message's ChaCha20-Poly1305 as a job that
 * may run on any thread: the device (device.h, rg_wg_device_ops.crypto)
 * copies in everything the job needs (the key, the counter, the bytes) and
 * takes the result back on its own thread (rg_wg_device_crypto_done), so no
 * worker ever touches the device, a peer or a session, and a session that
 * is gone by then is simply not found again.
 *
 * Seal: the packet lies at msg + RG_WG_DATA_HEADER (len bytes); the job
 * pads it with zeros to pad bytes and seals it in place into a complete
 * type-4 message of out bytes. Open: msg holds the whole message (len
 * bytes); the job authenticates and decrypts it in place, the packet at
 * msg + RG_WG_DATA_HEADER (out bytes, 0 for a keepalive), ok when the tag
 * was right.
 *
 * Threading: rg_wg_crypto_run on any thread, one job on one thread at a
 * time; the rest of a job's fields are the device's. Secrets: the owner
 * wipes a job's key once it is handed back, and its bytes before its
 * memory is freed (rg_wg_crypto_wipe does both).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/wg/endpoint.h"
#include "rift/wg/keys.h"

/* A job's message room: the device does larger messages itself. */
#define RG_WG_CRYPTO_BUF 2048

enum rg_wg_crypto_op {
	RG_WG_SEAL = 1,
	RG_WG_OPEN = 2,
};

struct rg_wg_crypto {
	enum rg_wg_crypto_op op;
	uint8_t key[RG_WG_KEY_LEN];
	uint64_t counter;
	uint32_t remote_index; /* seal: the peer's receiver index */
	size_t len;	       /* seal: the packet's bytes; open: the message's */
	size_t pad;	       /* seal: padded length (>= len) */
	/* the device's, carried through */
	struct rg_wg_endpoint ep; /* seal: where to; open: where from */
	uint32_t receiver;	  /* open: our index the message named */
	uint64_t session;	  /* open: the session's id, to find it again */
	/* results */
	size_t out;
	bool ok;
	uint8_t msg[RG_WG_CRYPTO_BUF];
};

/* Do the job (seal or open, in place). Any thread. */
void rg_wg_crypto_run(struct rg_wg_crypto *c);

/* Wipe the job's key and bytes (the packet, sealed or not). */
void rg_wg_crypto_wipe(struct rg_wg_crypto *c);
