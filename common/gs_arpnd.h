/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a data plane needs to be a polite host on its own links: ARP
 * (Ethernet/IPv4), IPv6 Neighbor Discovery (NS/NA, RFC 4861) and ICMP /
 * ICMPv6 echo.  Parsers read a whole Ethernet frame; builders write a whole
 * Ethernet frame.  No DPDK, no I/O, no allocation, so the DPDK data plane,
 * the XDP side's user-space helpers and the tests share one implementation.
 *
 * Frames may carry one 802.1Q tag; replies carry the tag of the request they
 * answer, requests the tag the caller asks for.  Every frame written is
 * padded with zeros to the 60-byte Ethernet minimum (FCS excluded), because
 * not every virtual device pads short frames the way NICs do.
 *
 * Parsers return GS_R_OK or a named reason; builders return the frame length
 * or -1 (request of the wrong kind, not addressed to the given address, or
 * @cap too small).
 */
#ifndef GS_ARPND_H
#define GS_ARPND_H

#include "gs_pkt.h"

#define GS_ARP_OP_REQUEST 1
#define GS_ARP_OP_REPLY 2

#define GS_ICMP_ECHO_REPLY 0
#define GS_ICMP_ECHO_REQUEST 8
#define GS_ICMPV6_ECHO_REQUEST 128
#define GS_ICMPV6_ECHO_REPLY 129
#define GS_ICMPV6_NS 135
#define GS_ICMPV6_NA 136

/* NA flags, as in the first byte after the ICMPv6 checksum */
#define GS_NA_FLAG_ROUTER 0x80
#define GS_NA_FLAG_SOLICITED 0x40
#define GS_NA_FLAG_OVERRIDE 0x20

#define GS_NDP_HOP_LIMIT 255
#define GS_ETH_MIN_FRAME 60 /* without FCS */

/* the longest frame an ARP/NDP builder writes (NS/NA with a tag) */
#define GS_ARPND_MAX_FRAME (GS_ETH_HDR_LEN + GS_VLAN_HDR_LEN + \
			    GS_IPV6_HDR_LEN + 32)

enum gs_arpnd_kind {
	GS_ARPND_NONE = 0,
	GS_ARPND_ARP,   /* request or reply: see arp.op */
	GS_ARPND_NS,    /* ICMPv6 135 */
	GS_ARPND_NA,    /* ICMPv6 136 */
	GS_ARPND_ECHO4, /* ICMP echo request */
	GS_ARPND_ECHO6, /* ICMPv6 echo request */
};

struct gs_arp {
	uint16_t op; /* GS_ARP_OP_REQUEST / GS_ARP_OP_REPLY */
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

struct gs_ndp {
	uint8_t target[16];
	uint8_t flags; /* NA: GS_NA_FLAG_*; NS: 0 */
	/* source link-layer address option (NS) or target one (NA) */
	bool has_ll;
	uint8_t ll[6];
};

struct gs_echo {
	uint16_t id;  /* host order */
	uint16_t seq; /* host order */
};

struct gs_arpnd {
	uint8_t kind; /* enum gs_arpnd_kind */
	struct gs_eth eth;
	struct gs_ip ip;  /* NDP and echo only */
	uint16_t l4_off;  /* ICMP header, from the frame start (NDP and echo) */
	uint16_t l4_len;  /* ICMP message length */
	union {
		struct gs_arp arp;
		struct gs_ndp ndp;
		struct gs_echo echo;
	};
};

/*
 * Classify and validate a received frame.
 *  - ARP: hardware Ethernet, protocol IPv4, lengths 6/4, op 1 or 2, else
 *    GS_R_ARP_MALFORMED (also when cut short).
 *  - NS/NA: hop limit 255 (GS_R_NDP_BAD_HOP_LIMIT), ICMPv6 checksum
 *    (GS_R_ICMP_BAD_CHECKSUM), and RFC 4861 §7.1 validity: code 0, length,
 *    options of non-zero length inside the message, target not multicast,
 *    an NS from :: goes to a solicited-node address and has no source
 *    link-layer option, an NA to a multicast address is not solicited
 *    (GS_R_NDP_MALFORMED).
 *  - Echo request: ICMP checksum (GS_R_ICMP_BAD_CHECKSUM), IPv4 header
 *    checksum, no fragments (GS_R_OUTER_FRAGMENT), code 0.
 *  - Truncated ICMP headers: GS_R_L4_TRUNCATED; Ethernet/IP problems: the
 *    gs_parse_eth()/gs_parse_ip() reason.
 *  - Well-formed frames of any other kind: GS_R_ARP_IGNORED (ARP-like) or
 *    GS_R_ICMP_IGNORED (other IP), so a caller can count them as they are.
 */
enum gs_reason gs_arpnd_parse(const uint8_t *frame, uint32_t len,
			      struct gs_arpnd *out);

/*
 * ARP reply to @req (an ARP request whose target is @ip), from @mac, to the
 * requester's hardware address.
 */
int gs_arp_reply_build(uint8_t *out, uint32_t cap, const struct gs_arpnd *req,
		       const uint8_t mac[6], const uint8_t ip[4]);

/*
 * ARP request for @target from (@mac, @ip).  @dst_mac NULL broadcasts it;
 * otherwise it is sent unicast (to re-check a neighbour we already know,
 * as Linux does for stale entries).  @vlan_tci 0: untagged.
 */
int gs_arp_request_build(uint8_t *out, uint32_t cap, const uint8_t mac[6],
			 uint16_t vlan_tci, const uint8_t ip[4],
			 const uint8_t target[4], const uint8_t *dst_mac);

/*
 * NA answering @ns (an NS whose target is @ip): from @ip and @mac, with the
 * target link-layer option and the override flag.  A normal NS is answered
 * solicited, to its source (at its source link-layer option's MAC, else the
 * frame's source MAC); an NS from :: (duplicate address detection) is
 * answered unsolicited to ff02::1, as RFC 4861 §7.2.4 says.
 */
int gs_ndp_na_build(uint8_t *out, uint32_t cap, const struct gs_arpnd *ns,
		    const uint8_t mac[6], const uint8_t ip[16]);

/*
 * NS for @target from (@mac, @ip) with the source link-layer option.
 * @dst_mac NULL: to the target's solicited-node multicast address
 * ff02::1:ffXX:XXXX at 33:33:ff:XX:XX:XX; otherwise unicast to @target at
 * @dst_mac (reachability confirmation, RFC 4861 §7.3.3).
 */
int gs_ndp_ns_build(uint8_t *out, uint32_t cap, const uint8_t mac[6],
		    uint16_t vlan_tci, const uint8_t ip[16],
		    const uint8_t target[16], const uint8_t *dst_mac);

/*
 * Echo reply to the echo request @req parsed from @frame, which must be
 * addressed to @ip (4 bytes for ECHO4, 16 for ECHO6).  The reply swaps the
 * addresses, goes from @mac to the request's source MAC, has TTL / hop
 * limit 64 and fresh checksums; the rest (IPv4 id, TOS, options, ICMP id,
 * sequence and data) is echoed.  IPv6 requests with extension headers are
 * refused.  @out may be @frame: the reply is written in place.
 */
int gs_echo_reply_build(uint8_t *out, uint32_t cap, const uint8_t *frame,
			const struct gs_arpnd *req, const uint8_t mac[6],
			const uint8_t *ip);

/* ff02::1:ffXX:XXXX for @addr */
void gs_ndp_solicited_node(const uint8_t addr[16], uint8_t out[16]);

#endif /* GS_ARPND_H */
