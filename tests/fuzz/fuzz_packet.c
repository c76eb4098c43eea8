/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one received frame through the parsers in the order the
 * data plane's classifier runs them (dataplane/pipeline.c): Ethernet, outer
 * IP with its checksum, UDP, GENEVE and its options, the inner packet.
 * The same bytes are also fed straight to the GENEVE and inner parsers, so
 * the fuzzer need not first build a valid outer frame to reach them.
 *
 * Beyond "no sanitizer report", every result the parsers return is checked
 * against the bytes it claims to describe: headers and options lie inside
 * the buffer, and a packet accepted once is accepted the same way again.
 */
#include <string.h>

#include "fuzz_util.h"
#include "gs_pkt.h"

static void check_geneve(const struct gs_geneve *g, uint32_t len)
{
	uint32_t end = 0;

	FUZZ_CHECK(g->version == 0);
	FUZZ_CHECK(g->hdr_len == GS_GENEVE_HDR_LEN + g->opts_len);
	FUZZ_CHECK(g->hdr_len <= len);
	FUZZ_CHECK(g->opts_len <= GS_GENEVE_MAX_OPTS_LEN);
	FUZZ_CHECK(g->n_other <= GS_GENEVE_MAX_OPTS);
	for (unsigned i = 0; i < g->n_other; i++) {
		/* carried options: in order, inside the area, no overlap */
		FUZZ_CHECK(g->other[i].off >= end);
		FUZZ_CHECK(g->other[i].len >= GS_GENEVE_OPT_HDR_LEN);
		end = (uint32_t)g->other[i].off + g->other[i].len;
		FUZZ_CHECK(end <= g->opts_len);
	}
	if (g->has_probe)
		FUZZ_CHECK(g->probe_off + GS_PROBE_OPT_DATA_LEN <= g->opts_len);
	FUZZ_CHECK(g->protocol == GS_ETHERTYPE_IPV4 || g->protocol == GS_ETHERTYPE_IPV6 ||
		   g->protocol == GS_ETHERTYPE_TEB);
}

static void check_ip(const struct gs_ip *ip, uint32_t len)
{
	FUZZ_CHECK(ip->family == GS_AF_INET || ip->family == GS_AF_INET6);
	FUZZ_CHECK(ip->hdr_len <= ip->tot_len);
	FUZZ_CHECK(ip->tot_len <= len);
	if (ip->family == GS_AF_INET)
		FUZZ_CHECK(ip->hdr_len >= GS_IPV4_HDR_LEN);
	else
		FUZZ_CHECK(ip->hdr_len >= GS_IPV6_HDR_LEN);
	/* zero-length fragments are refused (gs_pkt.c frag_ok) */
	if (ip->is_fragment)
		FUZZ_CHECK(ip->tot_len > ip->hdr_len);
}

static void check_inner(const uint8_t *p, uint32_t len, uint16_t proto,
			const struct gs_inner *in)
{
	struct gs_inner again;

	FUZZ_CHECK(in->l3_off <= len);
	check_ip(&in->ip, len - in->l3_off);
	FUZZ_CHECK(in->tuple.family == in->ip.family);
	if (!in->is_icmp_error) {
		FUZZ_CHECK(memcmp(in->tuple.src, in->ip.src, 16) == 0);
		FUZZ_CHECK(memcmp(in->tuple.dst, in->ip.dst, 16) == 0);
	}
	if (in->ip.family == GS_AF_INET) {
		/* IPv4 addresses use the first 4 bytes only */
		static const uint8_t zero[12];

		FUZZ_CHECK(memcmp(in->tuple.src + 4, zero, 12) == 0);
		FUZZ_CHECK(memcmp(in->tuple.dst + 4, zero, 12) == 0);
	}
	/* deterministic: the data plane parses returns the same way */
	FUZZ_CHECK(gs_parse_inner(p, len, proto, &again) == GS_R_OK);
	FUZZ_CHECK(memcmp(&again.tuple, &in->tuple, sizeof(in->tuple)) == 0);
}

static void inner_all(const uint8_t *p, uint32_t len)
{
	static const uint16_t protos[] = { GS_ETHERTYPE_IPV4, GS_ETHERTYPE_IPV6,
					   GS_ETHERTYPE_TEB };
	struct gs_inner in;

	for (unsigned i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		enum gs_reason r = gs_parse_inner(p, len, protos[i], &in);

		FUZZ_CHECK((unsigned)r < GS_R_COUNT);
		if (r == GS_R_OK)
			check_inner(p, len, protos[i], &in);
	}
}

/* the classifier's path (pipeline.c process_one / parse_geneve_frame) */
static void frame(const uint8_t *p, uint32_t len)
{
	struct gs_eth eth;
	struct gs_ip outer;
	struct gs_geneve g;
	struct gs_inner in;
	uint32_t off, udp_len;

	if (gs_parse_eth(p, len, &eth) != GS_R_OK)
		return;
	FUZZ_CHECK(eth.hdr_len <= len && eth.n_vlans <= GS_MAX_VLAN_TAGS);
	if (eth.ethertype != GS_ETHERTYPE_IPV4 && eth.ethertype != GS_ETHERTYPE_IPV6)
		return;
	if (gs_parse_ip(p + eth.hdr_len, len - eth.hdr_len,
			eth.ethertype == GS_ETHERTYPE_IPV6 ? GS_AF_INET6 : GS_AF_INET,
			true, &outer) != GS_R_OK)
		return;
	check_ip(&outer, len - eth.hdr_len);
	len = eth.hdr_len + outer.tot_len; /* the trailer is trimmed */
	off = eth.hdr_len + outer.hdr_len;
	if (outer.is_fragment || outer.proto != GS_IPPROTO_UDP ||
	    len < off + GS_UDP_HDR_LEN)
		return;
	udp_len = (uint32_t)p[off + 4] << 8 | p[off + 5];
	if (udp_len < GS_UDP_HDR_LEN || off + udp_len > len)
		return;
	off += GS_UDP_HDR_LEN;
	udp_len -= GS_UDP_HDR_LEN;
	if (gs_parse_geneve(p + off, udp_len, &g) != GS_R_OK)
		return;
	check_geneve(&g, udp_len);
	if (gs_parse_inner(p + off + g.hdr_len, udp_len - g.hdr_len, g.protocol,
			   &in) == GS_R_OK)
		check_inner(p + off + g.hdr_len, udp_len - g.hdr_len, g.protocol, &in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_geneve g;
	struct gs_ip ip;
	uint32_t len;
	uint8_t *copy;

	if (size > 65535 + 64)
		return 0;
	len = (uint32_t)size;
	/* an exact-size heap copy: ASan sees every byte read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	frame(copy, len);
	if (gs_parse_geneve(copy, len, &g) == GS_R_OK) {
		check_geneve(&g, len);
		inner_all(copy + g.hdr_len, len - g.hdr_len);
	}
	inner_all(copy, len);
	if (gs_parse_ip(copy, len, 0, false, &ip) == GS_R_OK)
		check_ip(&ip, len);
	(void)gs_csum_fold(gs_csum_partial(copy, len, 0));
	free(copy);
	return 0;
}
