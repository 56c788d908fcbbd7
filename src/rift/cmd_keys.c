/*
 * cmd_keys.c - `riftgate genkey` and `riftgate pubkey`, byte for byte as
 * wg genkey and wg pubkey (contract in cmd.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "rift/cmd.h"
#include "rift/wg/keys.h"

static const char genkey_usage[] =
	"usage: riftgate genkey\n"
	"\n"
	"Write a new WireGuard private key (base64) to standard output, as wg genkey\n"
	"does.\n";

static const char pubkey_usage[] =
	"usage: riftgate pubkey\n"
	"\n"
	"Read a private key from standard input and write its public key to standard\n"
	"output, as wg pubkey does.\n";

int rg_cmd_genkey(int argc, char **argv)
{
	const struct rg_cmd_spec spec = { "riftgate genkey", genkey_usage, NULL, 0, 0, NULL };
	uint8_t key[RG_WG_KEY_LEN];
	char text[RG_WG_KEY_B64_LEN + 1];
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	rg_wg_key_generate(key);
	rg_wg_key_to_base64(key, text);
	printf("%s\n", text);
	core_wipe(key, sizeof(key));
	core_wipe(text, sizeof(text));
	return fflush(stdout) == 0 ? 0 : 1;
}

/* One key on stdin (surrounding white space allowed), its public key out; the key is never echoed. */
static int pubkey(void)
{
	char in[128];
	uint8_t key[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN];
	char text[RG_WG_KEY_B64_LEN + 1];
	size_t n = fread(in, 1, sizeof(in) - 1, stdin);
	char *p = in;
	int rc = 1;

	in[n] = '\0';
	p = g_strstrip(p);
	if (!feof(stdin) || rg_wg_key_from_base64(key, p, strlen(p)) != CORE_OK) {
		fprintf(stderr, "pubkey: Key is not the correct length or format\n");
		goto out;
	}
	if (rg_wg_key_public(pub, key) != CORE_OK) {
		fprintf(stderr, "pubkey: Key is not usable\n");
		goto out;
	}
	rg_wg_key_to_base64(pub, text);
	printf("%s\n", text);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	core_wipe(in, sizeof(in));
	core_wipe(key, sizeof(key));
	return rc;
}

int rg_cmd_pubkey(int argc, char **argv)
{
	const struct rg_cmd_spec spec = { "riftgate pubkey", pubkey_usage, NULL, 0, 0, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	return rc != RG_CMD_RUN ? rc : pubkey();
}
