/*
 * allowedips.h - WireGuard's allowed-IPs table: IPv4 and IPv6 prefixes, each
 * owned by one peer, looked up by longest-prefix match. The same table
 * routes outbound packets (destination -> peer) and filters inbound ones
 * (a packet's source must map back to the peer it came from).
 *
 * A binary trie per family with path compression left out for clarity:
 * at most 32 / 128 steps per lookup. Inserting a prefix that exists moves it
 * to the new peer (as wg set ... allowed-ips does). Prefixes come from
 * core_cidr_parse (core/addr.h), which clears the host bits (10.1.2.3/16 is
 * 10.1.0.0/16).
 *
 * Pure (no I/O; lookups keep the last answers). Peers are opaque pointers
 * the table does not own. Threading: none (one owner: lookups write too).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_allowedips;

struct rg_allowedips *rg_allowedips_new(void);
void rg_allowedips_free(struct rg_allowedips *t);

/*
 * family 4 (addr: 4 bytes, cidr <= 32) or 6 (16 bytes, cidr <= 128).
 * CORE_OK or CORE_ERR_INVALID_ARG (bad family or length, NULL peer).
 */
int rg_allowedips_insert(struct rg_allowedips *t, int family, const uint8_t *addr, unsigned cidr,
			 void *peer);
/*
 * The peer of the longest prefix containing addr, or NULL. The last two
 * answers are kept (a bulk flow asks for the same address again and again)
 * until the table changes.
 */
void *rg_allowedips_lookup(struct rg_allowedips *t, int family, const uint8_t *addr);
/* Remove every prefix of peer (when the peer is removed). Returns how many. */
size_t rg_allowedips_remove_peer(struct rg_allowedips *t, const void *peer);
/* Number of prefixes. */
size_t rg_allowedips_count(const struct rg_allowedips *t);

/* Visit every prefix of peer (for `wg show`), in address order. */
typedef void (*rg_allowedips_visit_fn)(int family, const uint8_t *addr, unsigned cidr, void *data);
void rg_allowedips_foreach(const struct rg_allowedips *t, const void *peer,
			   rg_allowedips_visit_fn fn, void *data);
