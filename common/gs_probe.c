/* SPDX-License-Identifier: BSD-3-Clause */
#include "gs_probe.h"

#include <string.h>

#include "gs_encap.h"
#include "gs_pkt.h"

static const uint8_t probe_payload[16] = "gsteer in-band\n";

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* inner IP + UDP + payload from @src to @dst; returns its length */
static uint32_t inner_udp(uint8_t family, const uint8_t *src, const uint8_t *dst,
			  uint8_t *out)
{
	uint32_t ip_len = family == GS_AF_INET ? GS_IPV4_HDR_LEN : GS_IPV6_HDR_LEN;
	uint16_t udp_len = GS_UDP_HDR_LEN + sizeof(probe_payload);
	uint8_t *udp = out + ip_len;
	uint16_t csum;
	uint32_t sum;

	memset(out, 0, ip_len);
	if (family == GS_AF_INET) {
		out[0] = 0x45;
		put16(out + 2, (uint16_t)(ip_len + udp_len));
		out[8] = GS_DEFAULT_TTL;
		out[9] = GS_IPPROTO_UDP;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		put16(out + 10, gs_ipv4_hdr_csum(out, ip_len));
	} else {
		out[0] = 0x60;
		put16(out + 4, udp_len);
		out[6] = GS_IPPROTO_UDP;
		out[7] = GS_DEFAULT_TTL;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	put16(udp, GS_PROBE_INNER_PORT);
	put16(udp + 2, GS_PROBE_INNER_PORT);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	memcpy(udp + GS_UDP_HDR_LEN, probe_payload, sizeof(probe_payload));
	sum = gs_csum_partial(udp, udp_len,
			      gs_pseudo_sum(family, src, dst, GS_IPPROTO_UDP, udp_len));
	csum = gs_csum_fold(sum);
	put16(udp + 6, csum ? csum : 0xFFFF); /* zero means "no checksum" */
	return ip_len + udp_len;
}

int gs_probe_frame(const struct gs_probe_spec *s, uint8_t *buf, uint32_t cap,
		   uint32_t *payload_off)
{
	uint8_t inner[GS_IPV6_HDR_LEN + GS_UDP_HDR_LEN + sizeof(probe_payload)];
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN];
	struct gs_opts_spec spec = {
		/* appliances written for AWS GWLB expect its three TLVs */
		.with_endpoint_id = true,
		.with_attachment_id = true,
		.with_cookie = true,
		.probe_data = s->data,
	};
	struct gs_encap e = { 0 };
	uint32_t inner_len;
	int opts_len, hdr_len;

	inner_len = inner_udp(s->family, s->src, s->dst, inner);
	opts_len = gs_geneve_opts_write(opts, sizeof(opts), &spec);
	if (opts_len < 0)
		return -1;
	memcpy(e.src_mac, s->src_mac, 6);
	e.vlan_tci = s->vlan_tci;
	e.family = s->family;
	memcpy(e.src, s->src, 16);
	memcpy(e.dst, s->dst, 16);
	e.ttl = GS_DEFAULT_TTL;
	e.sport = s->sport;
	e.dport = GS_GENEVE_UDP_PORT;
	e.protocol = s->family == GS_AF_INET ? GS_ETHERTYPE_IPV4 : GS_ETHERTYPE_IPV6;
	e.opts = opts;
	e.opts_len = (uint16_t)opts_len;
	e.payload = inner;
	e.payload_len = inner_len;
	hdr_len = gs_encap_write(buf, cap, &e);
	if (hdr_len < 0 || (uint32_t)hdr_len + inner_len > cap)
		return -1;
	memcpy(buf + hdr_len, inner, inner_len);
	if (payload_off)
		*payload_off = GS_ETH_HDR_LEN + (s->vlan_tci ? GS_VLAN_HDR_LEN : 0) +
			       (s->family == GS_AF_INET ? GS_IPV4_HDR_LEN : GS_IPV6_HDR_LEN) +
			       GS_UDP_HDR_LEN;
	return hdr_len + (int)inner_len;
}
