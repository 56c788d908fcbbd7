/*
 * Fuzz target for rift/sig/msg: any bytes either parse into a message that
 * survives encode -> parse unchanged, or are rejected with a reason; never a
 * crash, a leak, or an accepted message without its required fields.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/sig/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_sig_msg m, again;
	char err[256], *enc;

	if (rg_sig_parse((const char *)data, size, &m, err, sizeof(err)) != CORE_OK) {
		if (err[0] == '\0' || m.type != 0)
			abort(); /* a rejection has a reason and leaves nothing behind */
		return 0;
	}
	if (rg_sig_type_name(m.type) == NULL)
		abort();
	enc = rg_sig_encode(&m);
	if (enc == NULL || rg_sig_parse(enc, strlen(enc), &again, err, sizeof(err)) != CORE_OK)
		abort();
	/* the one change a round trip makes: "peers": null is written as [] */
	if (m.peers_null && !again.peers_null && again.n_peers == 0)
		again.peers_null = true;
	if (!rg_sig_msg_equal(&m, &again))
		abort();
	rg_sig_msg_clear(&again);
	rg_sig_msg_clear(&m);
	g_free(enc);
	return 0;
}
