/*
 * nft.h - masquerade for the tunnel's subnet with nftables, spoken over
 * nfnetlink (libmnl; no nft binary, no libnftnl).
 *
 * One table of ours, family ip (IPv4), with one chain and one rule per LAN
 * interface; `nft list table ip riftgate` shows:
 *
 *   table ip riftgate {
 *           chain postrouting {
 *                   type nat hook postrouting priority srcnat; policy accept;
 *                   ip saddr 10.0.0.0/24 oifname "eth0" counter packets 0 bytes 0 masquerade
 *           }
 *   }
 *
 * Each rule is: load the source address, AND it with the tunnel mask,
 * compare with the tunnel network; compare the output interface's name;
 * count; masquerade. Packets from peers leave the LAN with this device's
 * address on it, so LAN hosts answer without a route back to the tunnel.
 *
 * Changes go as one nfnetlink batch (NFNL_MSG_BATCH_BEGIN ... END), which
 * the kernel applies whole or not at all; every request in it asks for an
 * ack, and the call waits for all of them (RG_NL_TIMEOUT_MS at most).
 * rg_nft_masq replaces the table atomically ("add table; delete table; add
 * table, chain, rules"): a table left by a crash, or changed by hand, is
 * replaced by exactly these rules, and at no moment is there no table.
 *
 * The message builders are pure (the sequence numbers are filled in at
 * send); the others do I/O on a NETLINK_NETFILTER socket the caller opens
 * with rg_nl_open_proto(&nl, NETLINK_NETFILTER) (netlink.h) and lends.
 * Changing the ruleset needs CAP_NET_ADMIN in the socket's namespace.
 *
 * Errors: CORE_OK or a negative CORE_ERR_* code; *error (domain
 * CORE_ERROR, same code) names the table and the kernel's reason: "cannot
 * create nftables table ip riftgate (chain postrouting): Operation not
 * permitted". Threading: none.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rift/tun/netlink.h"
#include "rift/wg/conf.h"

#define RG_NFT_DEFAULT_TABLE "riftgate"
#define RG_NFT_CHAIN	     "postrouting"
#define RG_NFT_TABLE_MAX     32 /* characters in a table name */
#define RG_NFT_IFS_MAX	     64 /* LAN interfaces (rules) in one table */
/* Bytes a batch of rg_nft_build_masq needs for n interfaces (a rule: 400 bytes at most). */
#define RG_NFT_MASQ_SIZE(n) (512 + 448 * (size_t)(n))
#define RG_NFT_DELETE_SIZE  128 /* bytes of rg_nft_build_delete's batch */

/*
 * Whether name is a table name we use: 1 to RG_NFT_TABLE_MAX characters of
 * [A-Za-z0-9_-], starting with a letter (nft needs no quoting for it).
 */
bool rg_nft_table_name_ok(const char *name);

/*
 * Build into buf (size bytes) the batch that replaces table `table` (family
 * ip) by the masquerade of tunnel's subnet (IPv4; host bits are ignored)
 * for each of the n ifnames (each 1 to 15 bytes; n at most RG_NFT_IFS_MAX,
 * may be 0: the chain with no rule). Returns the batch's length, or 0 for
 * arguments outside this contract (size below RG_NFT_MASQ_SIZE(n) among
 * them). Messages: BEGIN; NEWTABLE, DELTABLE, NEWTABLE, NEWCHAIN, n x
 * NEWRULE (each with NLM_F_ACK); END.
 */
size_t rg_nft_build_masq(void *buf, size_t size, const char *table,
			 const struct rg_wg_prefix *tunnel, const char *const *ifnames, size_t n);

/* Build the batch that deletes table `table` (BEGIN, DELTABLE, END): its length or 0. */
size_t rg_nft_build_delete(void *buf, size_t size, const char *table);

/* Build the (unbatched) NFT_MSG_GETTABLE request for `table` into buf. */
void rg_nft_build_get(union rg_nl_buf *buf, const char *table);

/*
 * Replace table `table` by the masquerade rules (see rg_nft_build_masq).
 * CORE_OK; CORE_ERR_INVALID_ARG (a bad table or interface name, not IPv4,
 * too many interfaces); CORE_ERR_SYSTEM (refused: the message names the
 * part, e.g. "(rule for eth0)"; or send/recv failed); CORE_ERR_TIMEOUT;
 * CORE_ERR_BAD_FORMAT (a truncated ack).
 */
int rg_nft_masq(struct rg_nl *nl, const char *table, const struct rg_wg_prefix *tunnel,
		const char *const *ifnames, size_t n, GError **error);

/*
 * Delete table `table` with everything in it. CORE_OK; CORE_ERR_NOT_FOUND
 * when there is no such table ("no nftables table ip riftgate"); other
 * codes as rg_nft_masq.
 */
int rg_nft_delete(struct rg_nl *nl, const char *table, GError **error);

/*
 * Whether table `table` exists. CORE_OK with *exists; CORE_ERR_INVALID_ARG;
 * CORE_ERR_SYSTEM; CORE_ERR_TIMEOUT; CORE_ERR_BAD_FORMAT.
 */
int rg_nft_exists(struct rg_nl *nl, const char *table, bool *exists, GError **error);
