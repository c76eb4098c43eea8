/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsers for the headers gsteer sees: outer Ethernet (802.1Q), IPv4, IPv6,
 * UDP, GENEVE with its options, and the inner packet (IPv4/IPv6 or inner
 * Ethernet) down to its L4 ports, including ICMP/ICMPv6 errors that quote a
 * packet.  Plain byte buffers in, plain structs out: no DPDK, no I/O, no
 * allocation, so the same code runs in the data plane, the tests and fuzzers.
 *
 * Every function returns GS_R_OK or the named reason (gs_reasons.h) it
 * rejected the packet for, and never reads past @len.
 */
#ifndef GS_PKT_H
#define GS_PKT_H

#include "gs_compat.h"
#include "gs_flow.h"
#include "gs_limits.h"
#include "gs_reasons.h"

struct gs_eth {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t ethertype; /* after any VLAN tags, host order */
	uint16_t vlan_tci;  /* outermost tag's TCI, host order, when n_vlans > 0 */
	uint8_t n_vlans;
	uint16_t hdr_len; /* 14 + 4 * n_vlans */
};

/* IPv4 or IPv6 header, after IPv6 extension headers were walked */
struct gs_ip {
	uint8_t family; /* GS_AF_INET / GS_AF_INET6 */
	uint8_t proto;  /* upper-layer protocol after extension headers */
	uint8_t ttl;    /* TTL or hop limit */
	uint8_t tos;    /* TOS or traffic class */
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t hdr_len; /* IPv4 header with options, or IPv6 + ext headers */
	/* IPv4 total length or 40 + IPv6 payload length: up to 65575, so 32
	 * bits (a 16-bit field wrapped for quoted IPv6 headers) */
	uint32_t tot_len;
	/* fragments */
	bool is_fragment;
	bool more_fragments;
	uint16_t frag_offset; /* in bytes */
	uint32_t frag_id;     /* IPv4 id (16 bits) or IPv6 fragment id */
};

struct gs_geneve_opt_ref {
	uint16_t off; /* from the start of the option area */
	uint16_t len; /* option header + data */
};

#define GS_GENEVE_MAX_OPTS (GS_GENEVE_MAX_OPTS_LEN / GS_GENEVE_OPT_HDR_LEN)

struct gs_geneve {
	uint8_t version;
	bool oam;      /* O bit */
	bool critical; /* C bit: some option is critical */
	uint16_t protocol; /* host order: 0x0800, 0x86DD or 0x6558 */
	uint32_t vni;
	uint16_t opts_len; /* bytes */
	uint16_t hdr_len;  /* 8 + opts_len */

	bool has_endpoint_id;
	bool has_attachment_id;
	bool has_cookie;
	bool has_probe;
	uint64_t endpoint_id;   /* host order */
	uint64_t attachment_id; /* host order */
	uint32_t cookie;        /* host order */
	uint16_t probe_off;     /* probe option data, from the option area */

	/* options that are neither AWS nor gsteer's probe, in wire order */
	uint8_t n_other;
	struct gs_geneve_opt_ref other[GS_GENEVE_MAX_OPTS];
};

/* the inner packet of a GENEVE frame, reduced to what steering needs */
struct gs_inner {
	uint16_t l3_off;   /* 0, or the inner Ethernet header's length */
	struct gs_ip ip;   /* the inner IP header itself */
	/* tuple to steer by: the packet's own, or for an ICMP error the quoted
	 * packet's (which belongs to the same flow, reversed) */
	struct gs_tuple tuple;
	bool has_ports;     /* false for non-first fragments */
	bool is_icmp_error; /* tuple comes from the quoted packet */
};

enum gs_reason gs_parse_eth(const uint8_t *p, uint32_t len, struct gs_eth *out);

/*
 * IPv4 (version 4, IHL >= 5, total length within @len, header checksum
 * verified when @verify_csum) or IPv6 (extension headers walked, at most
 * GS_MAX_IPV6_EXT_HDRS).  @family chooses which; 0 accepts either.
 */
enum gs_reason gs_parse_ip(const uint8_t *p, uint32_t len, uint8_t family,
			   bool verify_csum, struct gs_ip *out);

/*
 * GENEVE header and options at @p (UDP payload of @len bytes).  Rejects
 * version != 0, option area past the packet, an option past the area, AWS
 * options of the wrong length or repeated, and unknown options whose type
 * has the critical bit (0x80) set.
 */
enum gs_reason gs_parse_geneve(const uint8_t *p, uint32_t len,
			       struct gs_geneve *out);

/*
 * Inner packet (GENEVE payload) of @protocol: GS_ETHERTYPE_IPV4/IPV6, or
 * GS_ETHERTYPE_TEB for an inner Ethernet frame carrying IPv4/IPv6.
 * Inner IPv4 checksums are not verified (the inner packet is not ours).
 * A UDP packet to port 6081 that carries a GENEVE header is rejected as
 * GS_R_INNER_NESTED_GENEVE.
 */
enum gs_reason gs_parse_inner(const uint8_t *p, uint32_t len, uint16_t protocol,
			      struct gs_inner *out);

/* RFC 1071 checksum helpers over plain memory */
uint32_t gs_csum_partial(const void *buf, uint32_t len, uint32_t sum);
uint16_t gs_csum_fold(uint32_t sum);

/* the partial sum of the pseudo-header an upper-layer checksum starts from
 * (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6): both addresses, @proto and
 * the upper-layer length @len */
uint32_t gs_pseudo_sum(uint8_t family, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, uint32_t len);

/*
 * gs_csum_fold(gs_csum_partial(hdr, hlen, 0)), exactly, for an IPv4 header
 * (@hlen a multiple of 4): 0 when the header's checksum is right; with the
 * checksum field zero, the value to write there.  Faster on every outer
 * header: host-order 32-bit words, one byte swap at the end.
 */
uint16_t gs_ipv4_hdr_csum(const void *hdr, uint32_t hlen);

#endif /* GS_PKT_H */
