/*
 * Fuzz target for rift/wg/uapi's parser: the input is an answer to "get=1"
 * as a UAPI socket (ours, wireguard-go's) could send it. Invariants: no
 * crash or leak; a parse that succeeds holds only what wg(8) would accept
 * (every allowed IP a prefix), and what `riftgate wg show` prints from it
 * has no control character but the newline (nothing the socket sends
 * reaches the terminal as an escape sequence) and names the interface.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/addr.h"
#include "core/err.h"
#include "rift/wg/uapi.h"

static void check_state(const struct rg_wg_uapi_state *st)
{
	for (guint i = 0; i < st->peers->len; i++) {
		const struct rg_wg_uapi_peer *p = g_ptr_array_index(st->peers, i);

		for (guint j = 0; j < p->allowed->len; j++) {
			uint8_t addr[16];
			unsigned len;
			int family;

			if (core_cidr_parse(g_ptr_array_index(p->allowed, j), &family, addr,
					    &len) != CORE_OK)
				abort(); /* a parsed allowed IP that is not a prefix */
		}
	}
}

static void check_show(const struct rg_wg_uapi_state *st)
{
	char *out = rg_wg_uapi_show(st, "fuzz0", 1700000000);

	if (out == NULL || strncmp(out, "interface: fuzz0\n", 17) != 0)
		abort();
	for (const char *c = out; *c != '\0'; c++)
		if ((*c > 0 && *c < 0x20 && *c != '\n') || *c == 0x7f)
			abort(); /* a control character from the socket on the terminal */
	g_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_wg_uapi_state *st = NULL;
	int r = rg_wg_uapi_parse((const char *)data, size, &st);

	if (r != CORE_OK) {
		if ((r != CORE_ERR_BAD_FORMAT && r != CORE_ERR_BAD_VALUE) || st != NULL)
			abort();
		return 0;
	}
	check_state(st);
	check_show(st);
	rg_wg_uapi_state_free(st);
	return 0;
}
