/* addr.c - socket addresses (contract in addr.h). */
#include "core/addr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

int core_addr_parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return *s == '\0' ? CORE_ERR_BAD_FORMAT : CORE_ERR_BAD_VALUE;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return CORE_ERR_BAD_FORMAT;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return CORE_ERR_BAD_VALUE;
	*port = (uint16_t)v;
	return CORE_OK;
}

int core_addr_split_host_port(const char *s, char **host, uint16_t *port)
{
	const char *colon, *hstart, *hend;
	int r;

	*host = NULL;
	if (s[0] == '[') {
		hstart = s + 1;
		hend = strchr(s, ']');
		if (hend == NULL || hend[1] != ':')
			return CORE_ERR_BAD_FORMAT;
		colon = hend + 1;
	} else {
		hstart = s;
		colon = strrchr(s, ':');
		if (colon == NULL)
			return CORE_ERR_BAD_FORMAT;
		hend = colon;
		/* a second colon means an IPv6 literal that lacks brackets */
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return CORE_ERR_BAD_FORMAT;
	}
	if (hend == hstart)
		return CORE_ERR_BAD_FORMAT;
	r = core_addr_parse_port(colon + 1, port);
	if (r != CORE_OK)
		return r;
	*host = g_strndup(hstart, (size_t)(hend - hstart));
	return CORE_OK;
}

/* Fill a from a numeric v4 or v6 host (v6 may carry %scope). */
static int addr_parse_host(struct core_addr *a, const char *host, bool bracketed, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *scope;

	if (!bracketed) {
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return CORE_ERR_BAD_FORMAT;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
		return CORE_OK;
	}
	if (g_strlcpy(buf, host, sizeof(buf)) >= sizeof(buf))
		return CORE_ERR_BAD_FORMAT;
	scope = strchr(buf, '%');
	if (scope != NULL)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return CORE_ERR_BAD_FORMAT;
	if (scope != NULL) {
		uint16_t idx;

		if (core_addr_parse_port(scope, &idx) == CORE_OK)
			sin6->sin6_scope_id = idx;
		else if ((sin6->sin6_scope_id = if_nametoindex(scope)) == 0)
			return CORE_ERR_BAD_VALUE;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	a->len = sizeof(*sin6);
	return CORE_OK;
}

int core_addr_parse(struct core_addr *a, const char *s)
{
	char *host = NULL;
	uint16_t port;
	int r;

	memset(a, 0, sizeof(*a));
	r = core_addr_split_host_port(s, &host, &port);
	if (r != CORE_OK)
		goto out;
	r = addr_parse_host(a, host, s[0] == '[', port);
out:
	if (r != CORE_OK)
		memset(a, 0, sizeof(*a));
	g_free(host);
	return r;
}

const char *core_addr_format(const struct core_addr *a, char *out, size_t outlen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12] = "";

	switch (core_addr_family(a)) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* a dual-stack socket's IPv4 peer: show it as people know it */
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(out, outlen, "%s:%u", host, ntohs(sin6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (sin6->sin6_scope_id != 0)
			snprintf(scope, sizeof(scope), "%%%u", sin6->sin6_scope_id);
		snprintf(out, outlen, "[%s%s]:%u", host, scope, ntohs(sin6->sin6_port));
		break;
	default:
		snprintf(out, outlen, "?");
	}
	return out;
}

int core_addr_from_sockaddr(struct core_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa == NULL || len > sizeof(a->ss) ||
	    !((sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
	      (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))))
		return CORE_ERR_INVALID_ARG;
	memcpy(&a->ss, sa, len);
	a->len =
		sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	return CORE_OK;
}

int core_addr_family(const struct core_addr *a)
{
	return a->len == 0 ? AF_UNSPEC : a->ss.ss_family;
}

uint16_t core_addr_port(const struct core_addr *a)
{
	switch (core_addr_family(a)) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	default:
		return 0;
	}
}

void core_addr_set_port(struct core_addr *a, uint16_t port)
{
	if (core_addr_family(a) == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (core_addr_family(a) == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

bool core_addr_equal(const struct core_addr *a, const struct core_addr *b)
{
	const struct sockaddr_in *a4 = (const void *)&a->ss, *b4 = (const void *)&b->ss;
	const struct sockaddr_in6 *a6 = (const void *)&a->ss, *b6 = (const void *)&b->ss;

	if (core_addr_family(a) != core_addr_family(b))
		return false;
	switch (core_addr_family(a)) {
	case AF_INET:
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		return a6->sin6_port == b6->sin6_port && a6->sin6_scope_id == b6->sin6_scope_id &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
	default:
		return true;
	}
}

GSocketAddress *core_addr_to_gsocketaddress(const struct core_addr *a)
{
	if (a->len == 0)
		return NULL;
	return g_socket_address_new_from_native((gpointer)&a->ss, a->len);
}

int core_addr_from_gsocketaddress(struct core_addr *a, GSocketAddress *g)
{
	struct sockaddr_storage ss;
	gssize len;

	memset(a, 0, sizeof(*a));
	if (g == NULL || !G_IS_INET_SOCKET_ADDRESS(g))
		return CORE_ERR_INVALID_ARG;
	len = g_socket_address_get_native_size(g);
	if (len <= 0 || (gsize)len > sizeof(ss) ||
	    !g_socket_address_to_native(g, &ss, sizeof(ss), NULL))
		return CORE_ERR_INVALID_ARG;
	return core_addr_from_sockaddr(a, (struct sockaddr *)&ss, (socklen_t)len);
}

int core_cidr_parse(const char *s, int *family, uint8_t addr[16], unsigned *len)
{
	const char *slash = strchr(s, '/');
	char host[INET6_ADDRSTRLEN + 1], *end;
	unsigned long n, bits;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(host) || slash[1] < '0' ||
	    slash[1] > '9' || strlen(slash + 1) > 3)
		return CORE_ERR_BAD_FORMAT;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end != '\0')
		return CORE_ERR_BAD_FORMAT;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = 6;
	else
		return CORE_ERR_BAD_FORMAT;
	bits = *family == 4 ? 32 : 128;
	if (n > bits)
		return CORE_ERR_BAD_FORMAT;
	*len = (unsigned)n;
	for (unsigned i = *len; i < bits; i++) /* clear the host bits */
		addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return CORE_OK;
}
