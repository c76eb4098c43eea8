/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reason a packet is not forwarded, with its counter name.  One list
 * (an X-macro) so the parser, both data planes, the daemon, gsteerctl and
 * the metrics endpoint agree on names and numbering.
 *
 * The first block is returned by the parsers in common/; the second is only
 * produced by the data planes (policy, state and resource decisions).
 */
#ifndef GS_REASONS_H
#define GS_REASONS_H

#define GS_PARSE_REASONS(X)                                                   \
	X(OK, "ok")                                                           \
	X(ETH_TRUNCATED, "eth_truncated")                                     \
	X(VLAN_TRUNCATED, "vlan_truncated")                                   \
	X(VLAN_TOO_MANY, "vlan_too_many")                                     \
	X(ETHERTYPE_UNSUPPORTED, "ethertype_unsupported")                     \
	X(IPV4_TRUNCATED, "ipv4_truncated")                                   \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                               \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl")                                       \
	X(IPV4_BAD_TOTAL_LEN, "ipv4_bad_total_len")                           \
	X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum")                             \
	X(IPV4_BAD_FRAGMENT, "ipv4_bad_fragment")                             \
	X(IPV6_TRUNCATED, "ipv6_truncated")                                   \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                               \
	X(IPV6_BAD_PAYLOAD_LEN, "ipv6_bad_payload_len")                       \
	X(IPV6_EXT_TRUNCATED, "ipv6_ext_truncated")                           \
	X(IPV6_EXT_TOO_MANY, "ipv6_ext_too_many")                             \
	X(IPV6_BAD_FRAGMENT, "ipv6_bad_fragment")                             \
	X(L4_TRUNCATED, "l4_truncated")                                       \
	X(TCP_BAD_DATA_OFFSET, "tcp_bad_data_offset")                         \
	X(UDP_BAD_LENGTH, "udp_bad_length")                                   \
	X(ICMP_QUOTE_TRUNCATED, "icmp_quote_truncated")                       \
	X(ICMP_QUOTE_BAD, "icmp_quote_bad")                                   \
	X(GENEVE_TRUNCATED, "geneve_truncated")                               \
	X(GENEVE_BAD_VERSION, "geneve_bad_version")                           \
	X(GENEVE_OPTS_PAST_END, "geneve_opts_past_end")                       \
	X(GENEVE_OPT_TRUNCATED, "geneve_opt_truncated")                       \
	X(GENEVE_OPT_PAST_AREA, "geneve_opt_past_area")                       \
	X(GENEVE_CRITICAL_UNKNOWN, "geneve_critical_unknown")                 \
	X(GENEVE_AWS_OPT_BAD_LEN, "geneve_aws_opt_bad_len")                   \
	X(GENEVE_AWS_OPT_DUPLICATE, "geneve_aws_opt_duplicate")               \
	X(GENEVE_BAD_PROTOCOL, "geneve_bad_protocol")                         \
	X(INNER_NESTED_GENEVE, "inner_nested_geneve")

#define GS_DATAPLANE_REASONS(X)                                               \
	X(NOT_FOR_US, "not_for_us")                                           \
	X(OUTER_TTL_EXPIRED, "outer_ttl_expired")                             \
	X(OUTER_NOT_GENEVE, "outer_not_geneve")                               \
	X(OUTER_FRAGMENT, "outer_fragment")                                   \
	X(UPSTREAM_NOT_ALLOWED, "upstream_not_allowed")                       \
	X(RETURN_NOT_APPLIANCE, "return_not_appliance")                       \
	X(RETURN_UNKNOWN_FLOW, "return_unknown_flow")                         \
	X(RETURN_WRONG_APPLIANCE, "return_wrong_appliance")                   \
	X(NO_HEALTHY_APPLIANCE, "no_healthy_appliance")                       \
	X(FLOW_NOT_SERVED, "flow_not_served")                                 \
	X(SOURCE_FLOW_LIMIT, "source_flow_limit")                             \
	X(FLOW_TABLE_FULL, "flow_table_full")                                 \
	X(FRAG_NO_FIRST, "frag_no_first")                                     \
	X(FRAG_TABLE_FULL, "frag_table_full")                                 \
	X(NEIGH_UNRESOLVED, "neigh_unresolved")                               \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full")                               \
	X(NO_ROUTE, "no_route")                                               \
	X(TOO_BIG, "too_big")                                                 \
	X(NO_MBUF, "no_mbuf")                                                 \
	X(TX_FULL, "tx_full")                                                 \
	X(ARP_IGNORED, "arp_ignored")                                         \
	X(ICMP_IGNORED, "icmp_ignored")                                       \
	X(PROBE_UNKNOWN, "probe_unknown")                                     \
	X(CONTROL_QUEUE_FULL, "control_queue_full")                           \
	X(ARP_MALFORMED, "arp_malformed")                                     \
	X(NDP_BAD_HOP_LIMIT, "ndp_bad_hop_limit")                             \
	X(NDP_MALFORMED, "ndp_malformed")                                     \
	X(ICMP_BAD_CHECKSUM, "icmp_bad_checksum")                             \
	X(FRAG_OVERLAP, "frag_overlap")                                       \
	X(GENEVE_OPTS_TOO_LONG, "geneve_opts_too_long")

#define GS_REASON_ENUM_(sym, name) GS_R_##sym,

/* parse results and drop reasons; GS_R_OK (0) means "no drop" */
enum gs_reason {
	GS_PARSE_REASONS(GS_REASON_ENUM_)
	GS_DATAPLANE_REASONS(GS_REASON_ENUM_)
	GS_R_COUNT
};

#ifndef __bpf__
/* "ipv4_bad_checksum" for GS_R_IPV4_BAD_CHECKSUM; "unknown" out of range */
const char *gs_reason_name(enum gs_reason r);
/* inverse of gs_reason_name(); GS_R_COUNT when the name is not a reason */
enum gs_reason gs_reason_from_name(const char *name);
#endif

#endif /* GS_REASONS_H */
