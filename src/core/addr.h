/*
 * addr.h - IPv4/IPv6 socket addresses: parse, format, compare.
 *
 * Text forms: "192.0.2.1:80", "[2001:db8::1]:443", "[fe80::1%eth0]:80".
 * Parsing is numeric only (no DNS, no I/O); core_addr_split_host_port
 * separates a host name from its port for code that resolves names.
 * Threading: pure functions.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct core_addr {
	struct sockaddr_storage ss;
	socklen_t len; /* 0 = empty */
};

/* Longest text core_addr_format produces, with the NUL. */
#define CORE_ADDR_STRLEN 72

/*
 * Parse "a.b.c.d:port" or "[v6]:port" (optionally "%scope" inside the
 * brackets). Returns CORE_OK, CORE_ERR_BAD_FORMAT (shape, unbracketed IPv6,
 * missing port, not a numeric address) or CORE_ERR_BAD_VALUE (port > 65535,
 * unknown scope). a is cleared on failure.
 */
int core_addr_parse(struct core_addr *a, const char *s);

/*
 * Parse a prefix "10.0.0.0/24" or "fd00::/64": family 4 or 6, the address
 * bytes (4 or 16; the rest of addr zeroed) with the host bits beyond len
 * cleared, and len. CORE_OK or CORE_ERR_BAD_FORMAT (no "/len", a length of
 * more than 3 digits or beyond the family's bits, not a numeric address).
 */
int core_cidr_parse(const char *s, int *family, uint8_t addr[16], unsigned *len);

/*
 * Split "host:port" or "[v6]:port" into a newly allocated host (g_free) and a
 * port. Host may be a DNS name. Errors as core_addr_parse; *host is NULL on
 * failure.
 */
int core_addr_split_host_port(const char *s, char **host, uint16_t *port);

/* Parse a decimal port 0..65535: CORE_OK, CORE_ERR_BAD_FORMAT or CORE_ERR_BAD_VALUE. */
int core_addr_parse_port(const char *s, uint16_t *port);

/*
 * Format as "1.2.3.4:80" / "[::1]:80" into out; returns out ("?" if empty).
 * IPv4-mapped IPv6 addresses (a dual-stack socket's IPv4 peers) print as IPv4.
 */
const char *core_addr_format(const struct core_addr *a, char *out, size_t outlen);

/* Copy a kernel sockaddr of len bytes: CORE_OK or CORE_ERR_INVALID_ARG. */
int core_addr_from_sockaddr(struct core_addr *a, const struct sockaddr *sa, socklen_t len);

/* AF_INET, AF_INET6, or AF_UNSPEC when empty. */
int core_addr_family(const struct core_addr *a);
uint16_t core_addr_port(const struct core_addr *a);
void core_addr_set_port(struct core_addr *a, uint16_t port);

/* Same family, address, port (and IPv6 scope). */
bool core_addr_equal(const struct core_addr *a, const struct core_addr *b);

/* New GSocketAddress (unref it), or NULL when a is empty. */
GSocketAddress *core_addr_to_gsocketaddress(const struct core_addr *a);
/* From a GInetSocketAddress: CORE_OK or CORE_ERR_INVALID_ARG. */
int core_addr_from_gsocketaddress(struct core_addr *a, GSocketAddress *g);
