/*
 * Unit tests for rift/agent/status: the status document as `riftgate
 * status` prints it (exact text), durations, and a document that is not one.
 */
#include <glib.h>

#include "core/err.h"
#include "rift/agent/status.h"

#define NOW 1800000000

static void test_durations(void)
{
	char d[32];

	g_assert_cmpstr(rg_agent_duration(0, d, sizeof(d)), ==, "0s");
	g_assert_cmpstr(rg_agent_duration(59, d, sizeof(d)), ==, "59s");
	g_assert_cmpstr(rg_agent_duration(60, d, sizeof(d)), ==, "1m0s");
	g_assert_cmpstr(rg_agent_duration(3599, d, sizeof(d)), ==, "59m59s");
	g_assert_cmpstr(rg_agent_duration(3600 * 26 + 5 * 60, d, sizeof(d)), ==, "26h05m");
	g_assert_cmpstr(rg_agent_duration(-5, d, sizeof(d)), ==, "0s");
}

static void test_table(void)
{
	static const char doc[] =
		"{\"device\":\"alice\",\"address\":\"10.0.0.1/24\",\"interface\":\"riftgate0\","
		"\"routes\":[\"192.168.1.0/24\"],\"server_url\":\"https://198.51.100.1:8443\","
		"\"server_connected\":true,\"uptime_seconds\":192,\"peers\":["
		"{\"id\":\"bob\",\"address\":\"10.0.0.2/24\",\"state\":\"connected\","
		"\"ice_type\":\"srflx\",\"path\":\"direct\",\"transport\":\"ice\",\"rtt_ms\":23,"
		"\"routes\":[],"
		"\"accepted_routes\":[],"
		"\"connected_since\":1799999810,\"rx_bytes\":1258291,\"tx_bytes\":900,"
		"\"last_handshake\":1799999995},"
		"{\"id\":\"carol\",\"address\":\"\",\"state\":\"waiting\",\"ice_type\":\"\","
		"\"path\":\"\",\"accepted_routes\":[\"10.20.0.0/16\",\"10.30.0.0/16\"],"
		"\"connected_since\":0,\"rx_bytes\":0,\"tx_bytes\":0,\"last_handshake\":0}]}";
	static const char want[] =
		"Device:   alice\n"
		"Address:  10.0.0.1/24\n"
		"Routes:   192.168.1.0/24\n"
		"Server:   https://198.51.100.1:8443 (connected)\n"
		"Uptime:   3m12s\n"
		"Peers:    2\n"
		"\n"
		"PEER   ADDRESS      STATE      ICE TYPE  PATH    VIA  RTT    RX       TX     "
		"HANDSHAKE  ROUTES                     CONNECTED\n"
		"bob    10.0.0.2/24  connected  srflx     direct  ice  23 ms  1.2 MiB  "
		"900 B  5s ago     -                          3m10s ago\n"
		"carol  -            waiting    -         -       -    -      0 B      "
		"0 B    -          10.20.0.0/16,10.30.0.0/16  -\n";
	GError *e = NULL;
	char *text = rg_agent_status_format(doc, NOW, &e);

	g_assert_no_error(e);
	g_assert_cmpstr(text, ==, want);
	g_free(text);
}

static void test_no_peers(void)
{
	static const char doc[] = "{\"device\":\"a\",\"address\":\"10.0.0.1/24\",\"routes\":[],"
				  "\"server_url\":\"http://h:1\",\"server_connected\":false,"
				  "\"uptime_seconds\":4000,\"peers\":[]}";
	GError *e = NULL;
	char *text = rg_agent_status_format(doc, NOW, &e);

	g_assert_cmpstr(text, ==,
			"Device:   a\nAddress:  10.0.0.1/24\nRoutes:   none\n"
			"Server:   http://h:1 (not connected)\nUptime:   1h06m\nPeers:    0\n\n"
			"No peers.\n");
	g_free(text);
	g_assert_null(rg_agent_status_format("[1,2]", NOW, &e));
	g_assert_error(e, CORE_ERROR, CORE_ERR_BAD_FORMAT);
	g_clear_error(&e);
	g_assert_null(rg_agent_status_format("{", NOW, &e));
	g_assert_error(e, CORE_ERROR, CORE_ERR_BAD_FORMAT);
	g_clear_error(&e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent-status/durations", test_durations);
	g_test_add_func("/agent-status/table", test_table);
	g_test_add_func("/agent-status/no-peers", test_no_peers);
	return g_test_run();
}
