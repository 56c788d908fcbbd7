/*
 * Integration tests for the TUN device (src/rift/tun). As root, each test
 * runs in a subprocess that first moves into a network namespace of its own
 * (unshare(CLONE_NEWNET)): the namespace, the device and its routes vanish
 * with the subprocess, so nothing outside is touched and nothing is left
 * behind, even after a failed assertion. Without root they are skipped
 * (except the argument checks, which need no privilege).
 *
 * The device is checked from outside (`ip -j link/addr/route`, exact values)
 * and shown to carry packets both ways: an ICMP echo request written to the
 * fd comes back as the kernel's echo reply, and UDP datagrams sent to the
 * routed prefixes (IPv4 and IPv6) come out of the fd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "rift/tun/tun.h"

#define TUN_NAME       "rgtest0"
#define SUBPROCESS_US  (8 * G_USEC_PER_SEC)
#define PACKET_WAIT_MS 3000
#define UDP_PORT       5555
#define ICMP_ID	       0x5247
#define ICMP_SEQ       7

static const uint8_t v4_local[4] = { 10, 77, 0, 1 };
static const uint8_t v4_peer[4] = { 10, 77, 0, 2 };
static const uint8_t v4_route[4] = { 10, 78, 0, 0 };
static const uint8_t v4_routed[4] = { 10, 78, 1, 1 };
static const uint8_t v6_local[16] = { 0xfd, 0x77, [15] = 1 };
static const uint8_t v6_route[16] = { 0xfd, 0x78 };
static const uint8_t v6_routed[16] = { 0xfd, 0x78, [15] = 1 };
static const char echo_payload[16] = "riftgate tun tst";

/* --- running in a namespace of our own ---------------------------------- */

/*
 * In the parent: skip without root, else rerun this test in a subprocess and
 * require it to pass. Returns true in the subprocess, now in a fresh network
 * namespace, which then runs the test's body.
 */
static bool in_own_netns(void)
{
	if (g_test_subprocess()) {
		g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
		return true;
	}
	if (geteuid() != 0) {
		g_test_skip("needs root (network namespace, TUN device)");
		return false;
	}
	g_test_trap_subprocess(NULL, SUBPROCESS_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
	return false;
}

/* --- ip -j ----------------------------------------------------------------- */

/* Run `ip -j <args>`; its JSON array (json_array_unref), or NULL if ip failed. */
static JsonArray *ip_json(const char *args)
{
	char *cmd = g_strdup_printf("ip -j %s", args), *out = NULL, **argv = NULL;
	JsonParser *parser = json_parser_new();
	JsonArray *arr = NULL;
	GError *err = NULL;
	int status = -1;

	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
	g_assert_true(g_spawn_sync(NULL, argv, NULL,
				   G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				   &out, NULL, &status, &err));
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL))
		goto out;
	g_assert_true(json_parser_load_from_data(parser, out, -1, &err));
	g_assert_no_error(err);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(json_parser_get_root(parser)));
	arr = json_array_ref(json_node_get_array(json_parser_get_root(parser)));
out:
	g_object_unref(parser);
	g_strfreev(argv);
	g_free(out);
	g_free(cmd);
	return arr;
}

/* The one object `ip -j <args>` prints. */
static JsonObject *ip_one(const char *args, JsonArray **arr)
{
	*arr = ip_json(args);
	g_assert_nonnull(*arr);
	g_assert_cmpuint(json_array_get_length(*arr), ==, 1);
	return json_array_get_object_element(*arr, 0);
}

/* Whether the JSON array a holds the string s. */
static bool json_has_string(JsonArray *a, const char *s)
{
	guint i;

	for (i = 0; i < json_array_get_length(a); i++)
		if (g_strcmp0(json_array_get_string_element(a, i), s) == 0)
			return true;
	return false;
}

/* The element of a whose member key is value, or NULL. */
static JsonObject *json_find(JsonArray *a, const char *key, const char *value)
{
	JsonObject *o;
	guint i;

	for (i = 0; i < json_array_get_length(a); i++) {
		o = json_array_get_object_element(a, i);
		if (g_strcmp0(json_object_get_string_member_with_default(o, key, ""), value) == 0)
			return o;
	}
	return NULL;
}

static void check_link(struct rg_tun *t)
{
	char *args = g_strdup_printf("link show dev %s", rg_tun_name(t));
	JsonArray *arr;
	JsonObject *link = ip_one(args, &arr);

	g_assert_cmpstr(json_object_get_string_member(link, "ifname"), ==, TUN_NAME);
	g_assert_cmpint(json_object_get_int_member(link, "ifindex"), ==, rg_tun_ifindex(t));
	g_assert_cmpint(json_object_get_int_member(link, "mtu"), ==, 1420);
	g_assert_true(json_has_string(json_object_get_array_member(link, "flags"), "UP"));
	json_array_unref(arr);
	g_free(args);
}

/* The address local/prefixlen of family ("inet", "inet6") is among info's. */
static void check_addr(JsonArray *info, const char *family, const char *local, gint64 prefixlen)
{
	JsonObject *a = json_find(info, "local", local);

	g_assert_nonnull(a);
	g_assert_cmpstr(json_object_get_string_member(a, "family"), ==, family);
	g_assert_cmpint(json_object_get_int_member(a, "prefixlen"), ==, prefixlen);
	/* IPv6 without duplicate address detection: usable at once. */
	g_assert_cmpint(json_object_get_boolean_member_with_default(a, "nodad", FALSE), ==,
			strcmp(family, "inet6") == 0);
}

static void check_addrs(struct rg_tun *t)
{
	char *args = g_strdup_printf("addr show dev %s", rg_tun_name(t));
	JsonArray *arr;
	JsonObject *link = ip_one(args, &arr);
	JsonArray *info = json_object_get_array_member(link, "addr_info");

	check_addr(info, "inet", "10.77.0.1", 24);
	check_addr(info, "inet6", "fd77::1", 64);
	json_array_unref(arr);
	g_free(args);
}

/* `ip -j -<v> route show dev <tun>` lists dst, static, and (IPv4) of scope link. */
static void check_route(struct rg_tun *t, int v, const char *dst)
{
	char *args = g_strdup_printf("-%d route show dev %s", v, rg_tun_name(t));
	JsonArray *arr = ip_json(args);
	JsonObject *r;

	g_assert_nonnull(arr);
	r = json_find(arr, "dst", dst);
	g_assert_nonnull(r);
	g_assert_cmpstr(json_object_get_string_member(r, "protocol"), ==, "static");
	if (v == 4)
		g_assert_cmpstr(json_object_get_string_member(r, "scope"), ==, "link");
	json_array_unref(arr);
	g_free(args);
}

/* No route to dst is left in the main table. */
static void check_no_route(int v, const char *dst)
{
	char *args = g_strdup_printf("-%d route show table main exact %s", v, dst);
	JsonArray *arr = ip_json(args);

	g_assert_nonnull(arr);
	g_assert_cmpuint(json_array_get_length(arr), ==, 0);
	json_array_unref(arr);
	g_free(args);
}

/* --- packets ----------------------------------------------------------------- */

/* The Internet checksum (RFC 1071) of n bytes; 0 over data that holds a valid one. */
static uint16_t inet_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IPv4 ICMP echo request 10.77.0.2 -> 10.77.0.1 into pkt; its length. */
static size_t build_echo(uint8_t *pkt)
{
	uint8_t *icmp = pkt + 20;
	size_t len = 20 + 8 + sizeof(echo_payload);

	memset(pkt, 0, len);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)len);
	put16(pkt + 4, 0x1234);
	pkt[8] = 64;
	pkt[9] = IPPROTO_ICMP;
	memcpy(pkt + 12, v4_peer, 4);
	memcpy(pkt + 16, v4_local, 4);
	put16(pkt + 10, inet_csum(pkt, 20));
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, ICMP_ID);
	put16(icmp + 6, ICMP_SEQ);
	memcpy(icmp + 8, echo_payload, sizeof(echo_payload));
	put16(icmp + 2, inet_csum(icmp, 8 + sizeof(echo_payload)));
	return len;
}

/* Chooses the packet a test waits for among the device's traffic (IPv6 router solicitations...). */
typedef bool (*packet_match)(const uint8_t *p, size_t n);

/* Read packets from fd until one matches, within PACKET_WAIT_MS; its length. */
static size_t read_packet(int fd, uint8_t *buf, size_t cap, packet_match match)
{
	gint64 deadline = g_get_monotonic_time() + PACKET_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	gint64 left;
	ssize_t n;

	for (;;) {
		left = (deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;
		g_assert_cmpint(left, >, 0);
		g_assert_cmpint(poll(&pfd, 1, (int)left), >=, 0);
		n = read(fd, buf, cap);
		if (n < 0 && errno == EAGAIN)
			continue;
		g_assert_cmpint(n, >, 0);
		if (match(buf, (size_t)n))
			return (size_t)n;
	}
}

/* IPv4 with proto from src (NULL: any) to dst (NULL: any). */
static bool is_v4(const uint8_t *p, size_t n, uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	return n >= 20 && p[0] == 0x45 && p[9] == proto &&
	       (src == NULL || !memcmp(p + 12, src, 4)) && (dst == NULL || !memcmp(p + 16, dst, 4));
}

static bool match_echo_reply(const uint8_t *p, size_t n)
{
	return is_v4(p, n, IPPROTO_ICMP, v4_local, v4_peer);
}

static bool match_udp4(const uint8_t *p, size_t n)
{
	return is_v4(p, n, IPPROTO_UDP, NULL, v4_routed);
}

static bool match_udp6(const uint8_t *p, size_t n)
{
	return n >= 40 && p[0] >> 4 == 6 && p[6] == IPPROTO_UDP && !memcmp(p + 24, v6_routed, 16);
}

/* Write an echo request to the device and check the kernel's reply field by field. */
static void check_echo(struct rg_tun *t)
{
	uint8_t req[64], rep[2048];
	size_t len = build_echo(req), n;
	const uint8_t *icmp = rep + 20;

	g_assert_cmpint(write(rg_tun_fd(t), req, len), ==, (ssize_t)len);
	n = read_packet(rg_tun_fd(t), rep, sizeof(rep), match_echo_reply);
	g_assert_cmpuint(n, ==, len);
	g_assert_cmpuint(get16(rep + 2), ==, len);
	g_assert_cmpuint(inet_csum(rep, 20), ==, 0);
	g_assert_cmpuint(icmp[0], ==, 0); /* echo reply */
	g_assert_cmpuint(icmp[1], ==, 0);
	g_assert_cmpuint(get16(icmp + 4), ==, ICMP_ID);
	g_assert_cmpuint(get16(icmp + 6), ==, ICMP_SEQ);
	g_assert_cmpmem(icmp + 8, n - 28, echo_payload, sizeof(echo_payload));
	g_assert_cmpuint(inet_csum(icmp, n - 20), ==, 0);
}

/* Send msg from a socket to addr:UDP_PORT and return the socket (to close). */
static int send_udp(int family, const uint8_t *addr, const char *msg)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		sin->sin_port = htons(UDP_PORT);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		sin6->sin6_port = htons(UDP_PORT);
		memcpy(&sin6->sin6_addr, addr, 16);
	}
	g_assert_cmpint(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, sizeof(ss)), ==,
			(ssize_t)strlen(msg));
	return fd;
}

/* UDP to 10.78.1.1 leaves through the device, from the device's address. */
static void check_udp4(struct rg_tun *t)
{
	static const char msg[] = "routed-v4";
	int fd = send_udp(AF_INET, v4_routed, msg);
	uint8_t p[2048];
	size_t n = read_packet(rg_tun_fd(t), p, sizeof(p), match_udp4);

	g_assert_cmpuint(n, ==, 20 + 8 + strlen(msg));
	g_assert_cmpmem(p + 12, 4, v4_local, 4);
	g_assert_cmpuint(get16(p + 22), ==, UDP_PORT);
	g_assert_cmpmem(p + 28, n - 28, msg, strlen(msg));
	close(fd);
}

/* UDP to fd78::1 leaves through the device, from fd77::1. */
static void check_udp6(struct rg_tun *t)
{
	static const char msg[] = "routed-v6";
	int fd = send_udp(AF_INET6, v6_routed, msg);
	uint8_t p[2048];
	size_t n = read_packet(rg_tun_fd(t), p, sizeof(p), match_udp6);

	g_assert_cmpuint(n, ==, 40 + 8 + strlen(msg));
	g_assert_cmpmem(p + 8, 16, v6_local, 16);
	g_assert_cmpuint(get16(p + 42), ==, UDP_PORT);
	g_assert_cmpmem(p + 48, n - 48, msg, strlen(msg));
	close(fd);
}

/* With no route to 10.78.1.1 (the namespace has no default route), UDP to it is refused. */
static void check_not_routed_v4(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	memcpy(&sin.sin_addr, v4_routed, 4);
	g_assert_cmpint(sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)), ==, -1);
	g_assert_cmpint(errno, ==, ENETUNREACH);
	close(fd);
}

/* --- tests ------------------------------------------------------------------- */

/* Open TUN_NAME with 1420, both addresses, up, and both routes. */
static struct rg_tun *setup_tun(void)
{
	struct rg_tun *t = NULL;
	GError *err = NULL;

	g_assert_cmpint(rg_tun_open(&t, TUN_NAME, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpstr(rg_tun_name(t), ==, TUN_NAME);
	g_assert_cmpint(rg_tun_ifindex(t), ==, (int)if_nametoindex(TUN_NAME));
	g_assert_cmpint(rg_tun_set_mtu(t, 1420, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_address(t, AF_INET, v4_local, 24, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_address(t, AF_INET6, v6_local, 64, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_set_up(t, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_route(t, AF_INET, v4_route, 16, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_route(t, AF_INET6, v6_route, 48, &err), ==, CORE_OK);
	/* An identical route again is not an error. */
	g_assert_cmpint(rg_tun_add_route(t, AF_INET, v4_route, 16, &err), ==, CORE_OK);
	g_assert_no_error(err);
	return t;
}

/* After close the interface and its routes are gone (the kernel removes them). */
static void check_gone(void)
{
	gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
	JsonArray *arr;

	while (if_nametoindex(TUN_NAME) != 0 && g_get_monotonic_time() < deadline)
		g_usleep(10 * 1000);
	g_assert_cmpuint(if_nametoindex(TUN_NAME), ==, 0);
	arr = ip_json("link show dev " TUN_NAME);
	g_assert_null(arr);
	check_no_route(4, "10.78.0.0/16");
	check_no_route(6, "fd78::/48");
}

static void test_device(void)
{
	struct rg_tun *t;
	int flags;

	if (!in_own_netns())
		return;
	t = setup_tun();
	flags = fcntl(rg_tun_fd(t), F_GETFL);
	g_assert_true(flags & O_NONBLOCK);
	g_assert_true(fcntl(rg_tun_fd(t), F_GETFD) & FD_CLOEXEC);
	check_link(t);
	check_addrs(t);
	check_route(t, 4, "10.78.0.0/16");
	check_route(t, 6, "fd78::/48");
	check_echo(t);
	check_udp4(t);
	check_udp6(t);
	rg_tun_close(t);
	check_gone();
}

static void test_kernel_name(void)
{
	struct rg_tun *a = NULL, *b = NULL;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	g_assert_cmpint(rg_tun_open(&a, NULL, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_open(&b, "", &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_true(g_str_has_prefix(rg_tun_name(a), "tun"));
	g_assert_true(g_str_has_prefix(rg_tun_name(b), "tun"));
	g_assert_cmpstr(rg_tun_name(a), !=, rg_tun_name(b));
	g_assert_cmpint(rg_tun_ifindex(a), ==, (int)if_nametoindex(rg_tun_name(a)));
	rg_tun_close(a);
	rg_tun_close(b);
}

/* err holds code and exactly message; cleared. */
static void assert_error(GError **err, int code, const char *message)
{
	g_assert_error(*err, CORE_ERROR, code);
	g_assert_cmpstr((*err)->message, ==, message);
	g_clear_error(err);
}

static void test_kernel_errors(void)
{
	struct rg_tun *t, *t2 = (struct rg_tun *)&t;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	g_assert_cmpint(rg_tun_open(&t, TUN_NAME, &err), ==, CORE_OK);
	/* A second device of the same name: the first holds it. */
	g_assert_cmpint(rg_tun_open(&t2, TUN_NAME, &err), ==, CORE_ERR_SYSTEM);
	g_assert_null(t2);
	assert_error(&err, CORE_ERR_SYSTEM,
		     "cannot create TUN device " TUN_NAME ": Device or resource busy");
	g_assert_cmpint(rg_tun_add_address(t, AF_INET, v4_local, 24, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_address(t, AF_INET, v4_local, 24, &err), ==, CORE_ERR_SYSTEM);
	assert_error(&err, CORE_ERR_SYSTEM,
		     "cannot add address 10.77.0.1/24 to " TUN_NAME
		     ": File exists (ipv4: Address already assigned)");
	g_assert_cmpint(rg_tun_add_address(t, AF_INET6, v6_local, 64, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_address(t, AF_INET6, v6_local, 64, &err), ==, CORE_ERR_SYSTEM);
	g_assert_nonnull(strstr(err->message, "File exists"));
	g_clear_error(&err);
	/* An IPv4 route needs the device up; the kernel says why. */
	g_assert_cmpint(rg_tun_add_route(t, AF_INET, v4_route, 16, &err), ==, CORE_ERR_SYSTEM);
	g_assert_nonnull(
		strstr(err->message, "cannot add route to 10.78.0.0/16 through " TUN_NAME ": "));
	g_clear_error(&err);
	g_assert_cmpint(rg_tun_set_mtu(t, 1, &err), ==, CORE_ERR_SYSTEM);
	g_assert_nonnull(
		strstr(err->message, "cannot set MTU 1 on " TUN_NAME ": Invalid argument"));
	g_clear_error(&err);
	rg_tun_close(t);
}

/*
 * rg_tun_del_route takes away exactly the route rg_tun_add_route made (host
 * bits ignored, the other family's stays); a route that is not there is
 * CORE_ERR_NOT_FOUND, and after the delete the prefix is no longer routed.
 */
static void test_del_route(void)
{
	static const uint8_t v4_host_bits[4] = { 10, 78, 9, 9 };
	struct rg_tun *t;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	t = setup_tun();
	g_assert_cmpint(rg_tun_del_route(t, AF_INET, v4_host_bits, 16, &err), ==, CORE_OK);
	g_assert_no_error(err);
	check_no_route(4, "10.78.0.0/16");
	check_route(t, 6, "fd78::/48");
	g_assert_cmpint(rg_tun_del_route(t, AF_INET, v4_route, 16, &err), ==, CORE_ERR_NOT_FOUND);
	assert_error(&err, CORE_ERR_NOT_FOUND,
		     "cannot delete route to 10.78.0.0/16 through " TUN_NAME ": no such route");
	/* another length is another route */
	g_assert_cmpint(rg_tun_del_route(t, AF_INET6, v6_route, 64, &err), ==, CORE_ERR_NOT_FOUND);
	assert_error(&err, CORE_ERR_NOT_FOUND,
		     "cannot delete route to fd78::/64 through " TUN_NAME ": no such route");
	g_assert_cmpint(rg_tun_del_route(t, AF_INET6, v6_route, 48, &err), ==, CORE_OK);
	g_assert_no_error(err);
	check_no_route(6, "fd78::/48");
	g_assert_cmpint(rg_tun_del_route(t, AF_INET6, v6_route, 48, &err), ==, CORE_ERR_NOT_FOUND);
	g_clear_error(&err);
	/* the packet that was routed through the device is not any more */
	check_not_routed_v4();
	/* added again, it works again */
	g_assert_cmpint(rg_tun_add_route(t, AF_INET, v4_route, 16, &err), ==, CORE_OK);
	check_route(t, 4, "10.78.0.0/16");
	check_udp4(t);
	g_assert_cmpint(rg_tun_del_route(t, AF_INET, v4_route, 33, &err), ==, CORE_ERR_INVALID_ARG);
	assert_error(&err, CORE_ERR_INVALID_ARG,
		     "cannot delete a route (family 2, prefix length 33) from " TUN_NAME
		     ": not an IPv4 (/0-32) or IPv6 (/0-128) prefix");
	rg_tun_close(t);
}

/* Argument checks: no privilege needed, no device made. */
static void test_bad_arguments(void)
{
	struct rg_tun *t = (struct rg_tun *)&t;
	GError *err = NULL;

	g_assert_cmpint(rg_tun_open(&t, "abcdefghijklmnop", &err), ==, CORE_ERR_INVALID_ARG);
	g_assert_null(t);
	assert_error(&err, CORE_ERR_INVALID_ARG,
		     "cannot create TUN device abcdefghijklmnop: name longer than 15 characters");
	g_assert_cmpint(rg_tun_open(&t, "a/b", &err), ==, CORE_ERR_INVALID_ARG);
	g_assert_nonnull(strstr(err->message, "cannot create TUN device a/b: not a valid"));
	g_clear_error(&err);
	rg_tun_close(NULL);
}

/* Prefix lengths and families outside IPv4/IPv6 are refused before any request. */
static void test_bad_prefix(void)
{
	struct rg_tun *t;
	GError *err = NULL;

	if (!in_own_netns())
		return;
	g_assert_cmpint(rg_tun_open(&t, TUN_NAME, &err), ==, CORE_OK);
	g_assert_cmpint(rg_tun_add_address(t, AF_INET, v4_local, 33, &err), ==,
			CORE_ERR_INVALID_ARG);
	assert_error(&err, CORE_ERR_INVALID_ARG,
		     "cannot add an address (family 2, prefix length 33) to " TUN_NAME
		     ": not an IPv4 (/0-32) or IPv6 (/0-128) prefix");
	g_assert_cmpint(rg_tun_add_route(t, AF_UNIX, v4_local, 8, &err), ==, CORE_ERR_INVALID_ARG);
	g_clear_error(&err);
	g_assert_cmpint(rg_tun_add_route(t, AF_INET6, NULL, 8, &err), ==, CORE_ERR_INVALID_ARG);
	g_clear_error(&err);
	rg_tun_close(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/tun/bad-arguments", test_bad_arguments);
	g_test_add_func("/rift/tun/device", test_device);
	g_test_add_func("/rift/tun/kernel-name", test_kernel_name);
	g_test_add_func("/rift/tun/kernel-errors", test_kernel_errors);
	g_test_add_func("/rift/tun/bad-prefix", test_bad_prefix);
	g_test_add_func("/rift/tun/del-route", test_del_route);
	return g_test_run();
}
