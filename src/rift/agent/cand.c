/* cand.c - candidates the tunnel carries (contract in cand.h). */
#include "rift/agent/cand.h"

#include <arpa/inet.h>
#include <string.h>

#define CAND_ADDRESS_FIELD 4 /* 0-based: foundation component transport priority ADDRESS */

bool rg_agent_candidate_address(const char *line, struct rg_wg_prefix *addr)
{
	char text[INET6_ADDRSTRLEN + 1];
	const char *p, *end;

	memset(addr, 0, sizeof(*addr));
	if (strncmp(line, "a=", 2) == 0)
		line += 2;
	if (strncmp(line, "candidate:", 10) != 0)
		return false;
	p = line + 10;
	for (int field = 0; field < CAND_ADDRESS_FIELD; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return false;
		while (*p == ' ')
			p++;
	}
	end = p + strcspn(p, " ");
	if (end == p || (size_t)(end - p) >= sizeof(text))
		return false;
	memcpy(text, p, (size_t)(end - p));
	text[end - p] = '\0';
	if (inet_pton(AF_INET, text, addr->addr) == 1) {
		addr->family = 4;
		addr->len = 32;
		return true;
	}
	if (inet_pton(AF_INET6, text, addr->addr) == 1) {
		addr->family = 6;
		addr->len = 128;
		return true;
	}
	memset(addr, 0, sizeof(*addr));
	return false;
}

/* The first len bits of a and b are equal. */
static bool same_bits(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned whole = len / 8, rest = len % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool rg_agent_prefixes_hold(const struct rg_wg_prefix *prefixes, size_t n,
			    const struct rg_wg_prefix *addr)
{
	for (size_t i = 0; i < n; i++) {
		const struct rg_wg_prefix *p = &prefixes[i];

		if (p->family == addr->family && p->len <= (p->family == 4 ? 32u : 128u) &&
		    same_bits(p->addr, addr->addr, p->len))
			return true;
	}
	return false;
}
