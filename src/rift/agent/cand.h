/*
 * cand.h - which ICE candidates the agent may use: none whose address the
 * tunnel itself carries. libnice gathers on every interface, the tunnel's
 * too, so without this each side would offer its tunnel address, ICE
 * would find that path working (through the tunnel), select it, and the
 * tunnel would then carry itself until it starved. The same holds for a
 * peer's LAN address inside a route accepted from it.
 *
 * Pure: candidate text in ("candidate:FOUNDATION COMPONENT TRANSPORT
 * PRIORITY ADDRESS PORT typ TYPE ...", as signaled), verdict out. Fuzzed.
 * Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rift/wg/conf.h"

/*
 * The address of a candidate line (with or without "a="): family 4 or 6
 * and its bytes. False when the line has no numeric address there (a
 * malformed line, or an mDNS ".local" name).
 */
bool rg_agent_candidate_address(const char *line, struct rg_wg_prefix *addr);

/* Does a prefix of the n in prefixes hold addr (family and bits)? */
bool rg_agent_prefixes_hold(const struct rg_wg_prefix *prefixes, size_t n,
			    const struct rg_wg_prefix *addr);
