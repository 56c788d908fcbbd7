/*
 * Fuzz target for rift/sig/hub: the input is a script of lines, each
 * "<op><conn><text>": op 'o' opens conn (0-7) in network "n" under name
 * "p<conn>", 'm' delivers text as a message, 'c' reports the close. The hub
 * must never crash or leak, never send to a connection it closed or that is
 * gone, and never close one twice.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "rift/sig/hub.h"

static unsigned state[8]; /* 0 unknown, 1 open, 2 closed by the hub */

static void fz_send(void *data, uint64_t conn, const char *text, size_t len)
{
	if (conn >= 8 || state[conn] != 1 || len == 0 || text == NULL)
		abort();
}

static void fz_close(void *data, uint64_t conn, unsigned code, const char *reason)
{
	if (conn >= 8 || state[conn] != 1 || reason[0] == '\0' || strlen(reason) > 123)
		abort();
	state[conn] = 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rg_hub_io io = { fz_send, fz_close, NULL };
	struct rg_hub_limits lim = { .max_peers = 4, .msgs_burst = 16 };
	struct rg_hub *h = rg_hub_new(&lim, &io);
	const char *p = (const char *)data, *end = p + size;
	int64_t now = 0;

	memset(state, 0, sizeof(state));
	while (p + 2 <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end;
		unsigned conn = (unsigned char)p[1] % 8;
		char name[8];

		if (p[0] == 'o' && state[conn] == 0) {
			g_snprintf(name, sizeof(name), "p%u", conn);
			rg_hub_open(h, conn, "n", name);
			state[conn] = 1;
		} else if (p[0] == 'm' && state[conn] != 0) {
			rg_hub_message(h, conn, p + 2, (size_t)(stop - p - 2), now);
		} else if (p[0] == 'c' && state[conn] != 0) {
			rg_hub_closed(h, conn);
			state[conn] = 0;
		}
		now += 1000;
		p = stop + 1;
	}
	for (unsigned i = 0; i < 8; i++)
		if (state[i] != 0)
			rg_hub_closed(h, i);
	if (rg_hub_connections(h) != 0)
		abort();
	rg_hub_free(h);
	return 0;
}
