/*
 * Unit tests for rift/agent/setup (what riftgate setup writes, join URLs,
 * the device table) and rift/auth/qr (the terminal QR code).
 */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/agent/conf.h"
#include "rift/agent/setup.h"
#include "rift/auth/qr.h"

#define PRIV "YNqHbfBQKaGvzefSSYPA4M9WnBTsbqlXXh9W6qk4zmE="

/* What setup writes loads back as the agent's configuration, whatever the name. */
static void test_files_round_trip(void)
{
	static const char *const names[] = { "laptop", "bob \"the\" ☃", "back\\slash\\s",
					     "spaces  inside", "x'); DROP TABLE d; --" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		struct rg_agent_setup s = { "/etc/riftgate/riftgate.conf",
					    names[i],
					    "10.0.0.2/24",
					    "https://vpn.example.org:8443",
					    NULL,
					    "6f1c2b1e-0000-4000-8000-000000000001",
					    PRIV,
					    "rgr_0123" };
		char *conf = rg_agent_setup_conf_text(&s), *sec = rg_agent_setup_secrets_text(&s);
		struct rg_agent_conf *c = NULL;
		GError *e = NULL;

		g_assert_cmpint(rg_agent_conf_load_data(&c, conf, "rg.conf", sec, "s.conf", &e), ==,
				CORE_OK);
		g_assert_no_error(e);
		g_assert_cmpstr(c->name, ==, names[i]);
		g_assert_cmpstr(c->device_id, ==, s.device_id);
		g_assert_cmpstr(c->refresh_token, ==, "rgr_0123");
		g_assert_cmpstr(c->url, ==, s.url);
		g_assert_null(c->fingerprint);
		g_assert_null(c->token);
		rg_agent_conf_free(c);
		g_free(conf);
		g_free(sec);
	}
}

static void test_join_url(void)
{
	char *server, *token, *fp;

	g_assert_cmpint(rg_agent_join_url_parse("riftgate://join?server=https://h:8443&token=rgj_1"
						"&fingerprint=AB:CD",
						&server, &token, &fp),
			==, CORE_OK);
	g_assert_cmpstr(server, ==, "https://h:8443");
	g_assert_cmpstr(token, ==, "rgj_1");
	g_assert_cmpstr(fp, ==, "AB:CD");
	g_free(server);
	g_free(token);
	g_free(fp);
	g_assert_cmpint(
		rg_agent_join_url_parse("riftgate://join?server=https%3A%2F%2Fh%3A1&token=t",
					&server, &token, &fp),
		==, CORE_OK);
	g_assert_cmpstr(server, ==, "https://h:1");
	g_assert_null(fp);
	g_free(server);
	g_free(token);
	g_assert_cmpint(
		rg_agent_join_url_parse("riftgate://join?server=https://h:1", &server, &token, &fp),
		==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_agent_join_url_parse("riftgate://join?server=ftp://h&token=t", &server,
						&token, &fp),
			==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(rg_agent_join_url_parse("https://h:1/?token=t", &server, &token, &fp), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_null(server);
}

static void test_devices_table(void)
{
	struct rg_auth_device d[] = {
		{ "id-a", "alice", "10.0.0.1/24", 1796000000, 0, false },
		{ "id-b", "bob", "10.0.0.2/24", 1796086400, 0, false },
		{ "id-c", "名前\x1b[2J", "10.0.0.3/24", 1796086400, 0, true },
		{ "id-d", "dave\xff", "", 1796086400, 0, false },
	};
	const char *status = "{\"device\":\"alice\",\"routes\":[\"192.168.1.0/24\"],\"peers\":["
			     "{\"id\":\"bob\",\"state\":\"connected\",\"ice_type\":\"srflx\","
			     "\"routes\":[],\"accepted_routes\":[\"10.9.0.0/16\"]}]}";
	char *t = rg_agent_devices_format(d, G_N_ELEMENTS(d), "id-a", status);

	g_assert_cmpstr(
		t, ==,
		"NAME                 ADDRESS      STATUS     ICE TYPE  CAPABILITIES        "
		"CREATED\n"
		"alice (this device)  10.0.0.1/24  online     -         routes: advertised  "
		"2026-11-30\n"
		"bob                  10.0.0.2/24  connected  srflx     routes: accepted    "
		"2026-12-01\n"
		"名前?[2J               10.0.0.3/24  revoked    -         -                   "
		"2026-12-01\n"
		"dave\\xff             -            offline    -         -                   "
		"2026-12-01\n");
	g_free(t);
	/* no agent running: nobody online */
	t = rg_agent_devices_format(d, 2, "id-a", NULL);
	g_assert_nonnull(strstr(t, "alice (this device)  10.0.0.1/24  offline"));
	g_free(t);
	t = rg_agent_devices_format(d, 0, NULL, NULL);
	g_assert_cmpstr(t, ==, "No devices registered.\n");
	g_free(t);
}

/* The rendered code, read back two rows per line, is the symbol with its margin. */
static void test_qr(void)
{
	const char *text = "riftgate://join?server=https://vpn.example.org:8443&token=rgj_0123";
	unsigned size;
	uint8_t *m = rg_qr_modules(text, &size);
	char *r = rg_qr_render(text), **lines;
	unsigned full;

	g_assert_nonnull(m);
	g_assert_cmpuint(size, >=, 21);
	g_assert_cmpuint((size - 17) % 4, ==, 0); /* a QR version's size */
	full = size + 2 * RG_QR_MARGIN;
	lines = g_strsplit(r, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, (full + 1) / 2 + 1); /* and "" after the last */
	for (unsigned y = 0; y < full; y += 2) {
		const char *p = lines[y / 2];

		g_assert_cmpuint(g_utf8_strlen(p, -1), ==, full);
		for (unsigned x = 0; x < full; x++, p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);
			bool top = c == 0x2580 || c == 0x2588, bottom = c == 0x2584 || c == 0x2588;
			int sx = (int)x - RG_QR_MARGIN, sy = (int)y - RG_QR_MARGIN;
			bool in_top = sx >= 0 && sy >= 0 && sx < (int)size && sy < (int)size;
			bool in_bot =
				sx >= 0 && sy + 1 >= 0 && sx < (int)size && sy + 1 < (int)size;

			/* light modules are drawn */
			g_assert_cmpint(top, ==, !in_top || m[sy * size + sx] == 0);
			if (y + 1 < full)
				g_assert_cmpint(bottom, ==,
						!in_bot || m[(sy + 1) * size + sx] == 0);
		}
	}
	{
		/* beyond what a QR code holds (2331 bytes at level M) */
		char *big = g_strnfill(4000, 'x');

		g_assert_null(rg_qr_render(big));
		g_free(big);
	}
	g_strfreev(lines);
	g_free(r);
	g_free(m);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent-setup/files-round-trip", test_files_round_trip);
	g_test_add_func("/agent-setup/join-url", test_join_url);
	g_test_add_func("/agent-setup/devices-table", test_devices_table);
	g_test_add_func("/agent-setup/qr", test_qr);
	return g_test_run();
}
