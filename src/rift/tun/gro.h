/*
 * gro.h - coalescing IP packets for a TUN with IFF_VNET_HDR (the reverse of
 * vnet.h's split), pure: the decrypted packets of one burst go in one at a
 * time; what comes out is fewer, larger packets, each with its virtio-net
 * header, in the order their first packets went in.
 *
 * A TCP segment joins the newest packet of its flow (same addresses, ports
 * and acknowledgement number) when it continues it: the next sequence
 * number, ACK or ACK+PSH only, the same IP fields (IPv4 without options or
 * fragments: TOS, DF, TTL; IPv6 without extension headers: the first four
 * bytes and the hop limit), the same TCP header length, window and option
 * bytes, a payload no larger than the first one's, after no shorter segment
 * and no PSH, and the result within 65,535 bytes. UDP datagrams (only with
 * RG_GRO_UDP: the TUN takes USO) join likewise, without the TCP rules, at
 * most 64 to a packet. Every segment's transport checksum is verified
 * before it joins (the first one's too), so a packet that arrived corrupt
 * is never made to look checked: it goes out alone and unchanged, for the
 * kernel to judge. Anything else (ICMP, SYN, FIN, IPv4 options, a
 * truncated header) goes out alone and unchanged, after what came before it.
 *
 * A packet of one segment goes out unchanged behind a zero header
 * (RG_VNET_GSO_NONE). A coalesced one has the first segment's headers with
 * the IPv4 total length and header checksum or the IPv6 payload length, and
 * the UDP length, set for the whole; PSH if a segment had it; the transport
 * checksum field holds the pseudo-header sum, and the header says
 * NEEDS_CSUM from the transport header, GSO TCPV4, TCPV6 or UDP_L4 with the
 * first segment's payload size (what the kernel's GRO would have made).
 *
 * Ownership: rg_gro_new's caller frees it with rg_gro_free; packets are
 * copied in; rg_gro_get's pointers are valid until the next rg_gro_add or
 * rg_gro_reset. Threading: none (one owner).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_GRO_UDP 1u /* coalesce UDP too (the TUN accepts GSO_UDP_L4) */

struct rg_gro;

/* A coalescer holding at most max_out packets (>= 1) before it must be emptied; flags RG_GRO_*. */
struct rg_gro *rg_gro_new(unsigned max_out, unsigned flags);
/* NULL-safe. */
void rg_gro_free(struct rg_gro *g);

/*
 * Take one IP packet of len bytes (1..65,535; copied). true: taken (joined
 * to a packet, or a new one); false: nothing taken because max_out packets
 * are held, or len is 0 or beyond 65,535: take them out first (a full
 * coalescer takes nothing, however the packet would fit).
 */
bool rg_gro_add(struct rg_gro *g, const uint8_t *pkt, size_t len);

/* How many packets it holds. */
unsigned rg_gro_count(const struct rg_gro *g);

/*
 * Packet i (< rg_gro_count) as the TUN takes it: the virtio-net header
 * followed by the packet, *len bytes in all. Its headers are finished when
 * first asked for, and nothing joins it after that.
 */
const uint8_t *rg_gro_get(struct rg_gro *g, unsigned i, size_t *len);

/* Forget every packet held. */
void rg_gro_reset(struct rg_gro *g);
