/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builders for what gsteer writes: the GENEVE option area (AWS TLVs, carried
 * options) and the whole outer header stack (Ethernet, IPv4/IPv6, UDP,
 * GENEVE).  No I/O: the DPDK data plane writes the result into mbuf
 * headroom, the tests and the traffic generator into plain buffers.
 */
#ifndef GS_ENCAP_H
#define GS_ENCAP_H

#include "gs_pkt.h"

/* what goes into the option area of a packet gsteer sends */
struct gs_opts_spec {
	bool with_endpoint_id;
	bool with_attachment_id;
	bool with_cookie;
	uint64_t endpoint_id;
	uint64_t attachment_id;
	uint32_t cookie;
	/* options to carry through byte for byte, in this order */
	const uint8_t *carry_area; /* the source packet's option area */
	uint8_t n_carry;
	const struct gs_geneve_opt_ref *carry;
	/* optional probe option data (GS_PROBE_OPT_DATA_LEN bytes) */
	const uint8_t *probe_data;
};

/*
 * Write the option area to @out: endpoint id, attachment id, cookie (those
 * present, in that order), then the carried options, then the probe.
 * Returns its length in bytes, or -1 when it does not fit @cap or the
 * GENEVE limit of 252 bytes.
 */
int gs_geneve_opts_write(uint8_t *out, uint32_t cap, const struct gs_opts_spec *s);

struct gs_encap {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t vlan_tci; /* 0: untagged */
	uint8_t family;    /* outer IP family */
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t ttl;
	uint16_t sport; /* UDP, host order */
	uint16_t dport;
	uint32_t vni;
	uint16_t protocol; /* GENEVE protocol type, host order */
	bool oam;
	bool critical;     /* C bit: set when a carried option is critical */
	const uint8_t *opts;
	uint16_t opts_len;
	/* the payload that will follow the header: its length, and its bytes
	 * for the IPv6 UDP checksum (may be NULL for IPv4: checksum zero) */
	const uint8_t *payload;
	uint32_t payload_len;
};

/* length of the header gs_encap_write() produces for @e */
uint32_t gs_encap_len(const struct gs_encap *e);

/*
 * Write Ethernet [+802.1Q] + IPv4/IPv6 + UDP + GENEVE + options to @out.
 * IPv4: header checksum computed, UDP checksum 0, DF clear, id 0.
 * IPv6: UDP checksum computed over @payload (required, RFC 8926 §3.3).
 * Returns the header length, or -1 when @cap is too small.
 */
int gs_encap_write(uint8_t *out, uint32_t cap, const struct gs_encap *e);

#endif /* GS_ENCAP_H */
