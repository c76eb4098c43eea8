/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every size limit and protocol constant of gsteer in one place, shared by
 * the DPDK data plane, the XDP program, the daemon and the tests.
 */
#ifndef GS_LIMITS_H
#define GS_LIMITS_H

/* ---- wire constants ---------------------------------------------------- */
#define GS_ETH_HDR_LEN 14
#define GS_VLAN_HDR_LEN 4
#define GS_ETHERTYPE_IPV4 0x0800
#define GS_ETHERTYPE_IPV6 0x86DD
#define GS_ETHERTYPE_ARP 0x0806
#define GS_ETHERTYPE_VLAN 0x8100
#define GS_ETHERTYPE_QINQ 0x88A8
#define GS_ETHERTYPE_TEB 0x6558 /* transparent Ethernet bridging (inner Ethernet) */

#define GS_IPV4_HDR_LEN 20
#define GS_IPV6_HDR_LEN 40
#define GS_UDP_HDR_LEN 8
#define GS_TCP_HDR_LEN 20
#define GS_ICMP_HDR_LEN 8

#define GS_IPPROTO_ICMP 1
#define GS_IPPROTO_TCP 6
#define GS_IPPROTO_UDP 17
#define GS_IPPROTO_ICMPV6 58
#define GS_IPPROTO_HOPOPTS 0
#define GS_IPPROTO_ROUTING 43
#define GS_IPPROTO_FRAGMENT 44
#define GS_IPPROTO_ESP 50
#define GS_IPPROTO_AH 51
#define GS_IPPROTO_NONE 59
#define GS_IPPROTO_DSTOPTS 60

#define GS_GENEVE_UDP_PORT 6081
#define GS_GENEVE_HDR_LEN 8
#define GS_GENEVE_OPT_HDR_LEN 4
/* opt_len is 6 bits counted in 4-byte words */
#define GS_GENEVE_MAX_OPTS_LEN (63 * 4)
/* option length field is 5 bits counted in 4-byte words */
#define GS_GENEVE_MAX_OPT_DATA_LEN (31 * 4)

/* AWS Gateway Load Balancer TLVs */
#define GS_AWS_OPT_CLASS 0x0108
#define GS_AWS_OPT_ENDPOINT_ID 1   /* 8 bytes of data, length field 2 */
#define GS_AWS_OPT_ATTACHMENT_ID 2 /* 8 bytes of data, length field 2 */
#define GS_AWS_OPT_FLOW_COOKIE 3   /* 4 bytes of data, length field 1 */
/* endpoint id + attachment id + flow cookie, with their option headers */
#define GS_AWS_OPTS_LEN 32

/* gsteer's own in-band health probe: an option class of the experimental range */
#define GS_PROBE_OPT_CLASS 0xFFF0
#define GS_PROBE_OPT_TYPE 0x01
/* probe data: appliance index (4), sequence (4), send time in ns (8) */
#define GS_PROBE_OPT_DATA_LEN 16

/* the outer header gsteer writes: Ethernet + IPv6 + UDP + GENEVE + options */
#define GS_MAX_ENCAP_LEN (GS_ETH_HDR_LEN + GS_VLAN_HDR_LEN + GS_IPV6_HDR_LEN + \
			  GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN + GS_GENEVE_MAX_OPTS_LEN)

/* outer UDP source ports carry flow-hash entropy within the dynamic range */
#define GS_ENTROPY_PORT_BASE 0xC000
#define GS_ENTROPY_PORT_MASK 0x3FFF

#define GS_DEFAULT_TTL 64

/* ---- parser bounds ----------------------------------------------------- */
/* IPv6 extension headers walked before giving up (hostile chains never end) */
#define GS_MAX_IPV6_EXT_HDRS 8
/* VLAN tags accepted in front of the outer IP header */
#define GS_MAX_VLAN_TAGS 2

/* ---- model limits ------------------------------------------------------ */
#define GS_NAME_MAX 64
#define GS_MAX_PORTS 8
#define GS_MAX_PORT_ADDRS 8
#define GS_MAX_LISTENERS 64
#define GS_MAX_TARGET_GROUPS 64
#define GS_MAX_APPLIANCES_PER_GROUP 4096
#define GS_MAX_UPSTREAM_PREFIXES 64
#define GS_MAX_STATIC_NEIGHBORS 256
#define GS_MAX_WEIGHT 1000

/* ---- Maglev ------------------------------------------------------------ */
#define GS_MAGLEV_DEFAULT_SIZE 65537u
/* the table must be a prime of at least this many slots per appliance */
#define GS_MAGLEV_MIN_SLOTS_PER_APPLIANCE 100u
#define GS_MAGLEV_MAX_SIZE 16777213u /* largest prime below 2^24 */
#define GS_MAGLEV_NO_BACKEND 0xFFFFFFFFu

/* ---- flow table defaults (as AWS GWLB) --------------------------------- */
#define GS_DEFAULT_IDLE_TCP_S 350
#define GS_DEFAULT_IDLE_OTHER_S 120
#define GS_DEFAULT_FLOW_TABLE_SIZE (1u << 20)
#define GS_DEFAULT_FRAG_TABLE_SIZE 4096u
#define GS_DEFAULT_HASH_SEED 0x6773746Eu /* "gstn" */

#endif /* GS_LIMITS_H */
