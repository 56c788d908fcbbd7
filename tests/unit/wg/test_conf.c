/*
 * Unit tests for rift/wg/conf: a full wg-quick file with two peers, the
 * defaults, and the exact error text for each kind of mistake.
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/wg/conf.h"

#define PRIV "cC1mWBEdS1RW41M81/+H+RVMRwkTtMdq7A5fFxQ8XF4="
#define PUB1 "G32At27+1fYWhU1eXz41/R6kRa/Uja8t8s020YvGliM="
#define PUB2 "DeyeNaAbg/woFJ5EVFrAr3CzSO5zNhple6gmXN2pLGI="

static void test_full(void)
{
	static const char text[] = "# a comment\n"
				   "[Interface]\n"
				   "PrivateKey = " PRIV "\n"
				   "Address = 10.9.0.1/24, fd09::1/64\n"
				   "ListenPort = 51820\n"
				   "MTU = 1380\n"
				   "DNS = 10.9.0.53\n"
				   "\n"
				   "[Peer]\n"
				   "PublicKey = " PUB1 "\n"
				   "PresharedKey = " PUB2 "\n"
				   "AllowedIPs = 10.9.0.2/32, 192.168.7.9/24\n"
				   "Endpoint = [2001:db8::7]:4500\n"
				   "PersistentKeepalive = 25\n"
				   "[Peer]\n"
				   "PublicKey = " PUB2 "\n"
				   "Endpoint = peer.example:51820\n"
				   "PersistentKeepalive = off\n";
	static const char minimal[] = "[Interface]\nPrivateKey=" PRIV "\n";
	const uint8_t a1[16] = { 10, 9, 0, 1 }, a2[16] = { 192, 168, 7, 0 };
	struct rg_wg_conf *c = NULL;
	GError *err = NULL;
	uint8_t key[32];

	g_assert_cmpint(rg_wg_conf_load_data(&c, text, strlen(text), "t.conf", &err), ==, CORE_OK);
	g_assert_no_error(err);
	rg_wg_key_from_base64(key, PRIV, 44);
	g_assert_cmpmem(c->private_key, 32, key, 32);
	g_assert_cmpuint(c->n_addresses, ==, 2);
	g_assert_cmpint(c->addresses[0].family, ==, 4);
	g_assert_cmpmem(c->addresses[0].addr, 16, a1, 16); /* host bits kept */
	g_assert_cmpuint(c->addresses[0].len, ==, 24);
	g_assert_cmpint(c->addresses[1].family, ==, 6);
	g_assert_cmpuint(c->addresses[1].addr[15], ==, 1);
	g_assert_cmpuint(c->listen_port, ==, 51820);
	g_assert_cmpuint(c->mtu, ==, 1380);
	g_assert_cmpstr(c->ignored[0], ==, "DNS");
	g_assert_null(c->ignored[1]);
	g_assert_cmpuint(c->n_peers, ==, 2);
	g_assert_true(c->peers[0].has_psk);
	g_assert_cmpuint(c->peers[0].n_allowed, ==, 2);
	g_assert_cmpmem(c->peers[0].allowed[1].addr, 16, a2, 16); /* host bits cleared */
	g_assert_cmpstr(c->peers[0].endpoint, ==, "[2001:db8::7]:4500");
	g_assert_cmpuint(c->peers[0].keepalive_s, ==, 25);
	rg_wg_key_from_base64(key, PUB2, 44);
	g_assert_cmpmem(c->peers[1].public_key, 32, key, 32);
	g_assert_false(c->peers[1].has_psk);
	g_assert_cmpuint(c->peers[1].n_allowed, ==, 0);
	g_assert_cmpuint(c->peers[1].keepalive_s, ==, 0);
	rg_wg_conf_free(c);

	g_assert_cmpint(rg_wg_conf_load_data(&c, minimal, strlen(minimal), "m", &err), ==, CORE_OK);
	g_assert_cmpuint(c->listen_port, ==, 0);
	g_assert_cmpuint(c->mtu, ==, 1420);
	g_assert_cmpuint(c->n_peers, ==, 0);
	rg_wg_conf_free(c);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[Peer]\nPublicKey = " PUB1 "\n", "e.conf: no [Interface] section" },
		{ "[Interface]\nAddress = 10.0.0.1/24\n",
		  "e.conf:1: [Interface] PrivateKey is required" },
		{ "[Interface]\nPrivateKey = abc\n", "e.conf:2: [Interface] PrivateKey: not a "
						     "base64 key of 44 characters (the value is "
						     "secret: not shown)" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1
		  "\nPresharedKey = abc\n",
		  "e.conf:5: [Peer] PresharedKey: not a base64 key of 44 characters (the value is "
		  "secret: not shown)" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = abc\x1b\n",
		  "e.conf:4: [Peer] PublicKey: expected a base64 key of 44 characters, got "
		  "\"abc\\x1b\"" },
		{ "[Interface]\nPrivateKey = " PRIV "\nAddress = 10.0.0.1\n",
		  "e.conf:3: [Interface] Address: expected an address with a prefix length like "
		  "10.0.0.1/24, got \"10.0.0.1\"" },
		{ "[Interface]\nPrivateKey = " PRIV "\nListenPort = 70000\n", "ListenPort" },
		{ "[Interface]\nPrivateKey = " PRIV "\nPostUp = x\nBogus = 1\n", "e.conf:4" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nAllowedIPs = 10.0.0.2/32\n",
		  "e.conf:3: [Peer] PublicKey is required" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1
		  "\nEndpoint = nowhere\n",
		  "e.conf:5: [Peer] Endpoint: expected host:port or [IPv6]:port, got \"nowhere\"" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1
		  "\n[Peer]\nPublicKey = " PUB1 "\n",
		  "e.conf: two [Peer] sections with the same PublicKey" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peers]\n",
		  "e.conf:3: unknown section [Peers] (expected [Interface] or [Peer])" },
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1
		  "\nPersistentKeepalive = often\n",
		  "PersistentKeepalive" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct rg_wg_conf *c = (void *)1;
		GError *err = NULL;

		g_assert_cmpint(rg_wg_conf_load_data(&c, cases[i].text, strlen(cases[i].text),
						     "e.conf", &err),
				==, CORE_ERR_CONFIG);
		g_assert_null(c);
		g_assert_nonnull(err);
		if (strstr(err->message, cases[i].want) == NULL)
			g_error("case %zu: \"%s\" lacks \"%s\"", i, err->message, cases[i].want);
		/* no message shows a secret key, whole or in part */
		g_assert_null(strstr(err->message, "= abc"));
		if (strstr(cases[i].text, "PrivateKey = abc") != NULL ||
		    strstr(cases[i].text, "PresharedKey = abc") != NULL)
			g_assert_null(strstr(err->message, "abc"));
		g_error_free(err);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wg/conf/full", test_full);
	g_test_add_func("/wg/conf/errors", test_errors);
	return g_test_run();
}
