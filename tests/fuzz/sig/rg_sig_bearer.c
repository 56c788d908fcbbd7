/*
 * Fuzz target for rift/sig/bearer: the input is an Authorization header
 * (after a first byte that, when odd, puts "Bearer " in front of the rest,
 * so that inputs reach the tokens). Invariant: the device found is exactly
 * the one whose token follows a case-insensitive "Bearer " (a plain
 * comparison, written here independently); NULL otherwise.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "rift/sig/bearer.h"

/* Tokens of three devices; one is a prefix of another, as a guess would be. */
static const char *const tokens[] = {
	"alice-token-0123456789",
	"alice-token-0123456789x",
	"bob:token/with spaces+=",
};
static struct rg_sig_bearer *table;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	table = rg_sig_bearer_new();
	for (size_t i = 0; i < G_N_ELEMENTS(tokens); i++)
		rg_sig_bearer_add(table, tokens[i], tokens[i]);
	return 0;
}

/* The token header names, the obvious way. */
static const char *expected(const char *header)
{
	if (strlen(header) < 7 || g_ascii_strncasecmp(header, "bearer ", 7) != 0)
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(tokens); i++)
		if (strcmp(header + 7, tokens[i]) == 0)
			return tokens[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rest, *header;

	if (table == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return rg_sig_bearer_lookup(table, NULL) == NULL ? 0 : (abort(), 0);
	rest = g_strndup((const char *)data + 1, size - 1);
	header = data[0] & 1 ? g_strconcat("Bearer ", rest, NULL) : g_strdup(rest);
	if (rg_sig_bearer_lookup(table, header) != expected(header))
		abort();
	g_free(header);
	g_free(rest);
	return 0;
}
