/*
 * vnet.h - what a TUN device with IFF_VNET_HDR puts before each packet (the
 * virtio-net header, struct virtio_net_hdr of <linux/virtio_net.h>, 10
 * bytes, little-endian: tun.c asks for that byte order), and GSO
 * segmentation in userspace, pure.
 *
 * With TUNSETOFFLOAD (TSO, USO, checksum) the kernel hands the reader TCP
 * or UDP "super-packets" of up to 64 KiB whose checksum is left to the
 * reader (flags NEEDS_CSUM: the field holds the pseudo-header sum) and whose
 * segmentation is too (gso_type, gso_size). rg_vnet_split cuts one into the
 * packets that would have crossed the wire: IP and transport headers copied
 * from the first, then per segment the IPv4 total length, identification
 * (+1 each) and header checksum, the IPv6 payload length, the TCP sequence
 * number (FIN and PSH only on the last segment, CWR only on the first) or
 * the UDP length, and the transport checksum over the pseudo header, the
 * transport header and the segment's payload. A packet without GSO only
 * gets its checksum when NEEDS_CSUM says so, in place.
 *
 * The kernel's header is input from a privileged peer, but it is checked as
 * if hostile: offsets and lengths inside the packet, the IP version agreeing
 * with the GSO type; hdr_len is not trusted (the kernel may set it to the
 * whole first packet), the transport header's own length is used.
 *
 * Threading: none (no state beyond the caller's struct rg_vnet_split).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_VNET_HDR_LEN 10

/* flags */
#define RG_VNET_F_NEEDS_CSUM 1 /* checksum from csum_start, stored at csum_start + csum_offset */
#define RG_VNET_F_DATA_VALID 2 /* checksum known good (written to the TUN: not checked again) */
/* gso_type */
#define RG_VNET_GSO_NONE   0
#define RG_VNET_GSO_TCPV4  1
#define RG_VNET_GSO_UDP	   3 /* UFO: IP fragmentation; never asked for, refused */
#define RG_VNET_GSO_TCPV6  4
#define RG_VNET_GSO_UDP_L4 5 /* USO: UDP segmentation (Linux 6.2) */
#define RG_VNET_GSO_ECN	   0x80

struct rg_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;     /* IP + transport headers */
	uint16_t gso_size;    /* payload bytes per segment */
	uint16_t csum_start;  /* where the transport header starts */
	uint16_t csum_offset; /* of the checksum field, from csum_start: TCP 16, UDP 6 */
};

/* Decode the 10 bytes at b (little-endian). Pure. */
void rg_vnet_hdr_decode(const uint8_t b[RG_VNET_HDR_LEN], struct rg_vnet_hdr *h);
/* Encode h into 10 bytes at b. Pure. */
void rg_vnet_hdr_encode(const struct rg_vnet_hdr *h, uint8_t b[RG_VNET_HDR_LEN]);

/* A super-packet being cut into segments; fields private to vnet.c. */
struct rg_vnet_split {
	const uint8_t *pkt;
	size_t len;
	size_t hdr_len;	 /* IP + transport header of each segment */
	size_t l4_off;	 /* transport header */
	size_t seg_size; /* payload per segment */
	size_t next;	 /* offset of the next segment's payload */
	unsigned index;
	uint8_t proto; /* 6 TCP, 17 UDP; 0: a packet without GSO, handed out whole */
	uint8_t ip_version;
};

/*
 * Prepare to split the packet of len bytes at pkt (what followed the
 * virtio-net header h). A packet without GSO is checksummed in place when
 * h asks for it (pkt is written only then) and comes out whole from
 * rg_vnet_split_next. CORE_OK, or CORE_ERR_BAD_FORMAT (not an IPv4/IPv6
 * packet agreeing with h, offsets or lengths outside it, a TCP header
 * length outside 20..60, a segment size of 0), CORE_ERR_UNKNOWN_TYPE (a
 * GSO type other than TCPV4, TCPV6, UDP_L4); then nothing may be sent.
 */
int rg_vnet_split_begin(struct rg_vnet_split *s, const struct rg_vnet_hdr *h, uint8_t *pkt,
			size_t len);

/*
 * The next segment: its length (0: no more), with *seg pointing at it: out,
 * where it was written (out has room for the len given to
 * rg_vnet_split_begin), or for a packet without GSO the packet itself.
 * Segments have len's size at most.
 */
size_t rg_vnet_split_next(struct rg_vnet_split *s, uint8_t *out, const uint8_t **seg);
