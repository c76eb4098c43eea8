/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP, IPv6 neighbour discovery and echo on plain byte buffers; see
 * gs_arpnd.h for the contract.
 */
#include <string.h>

#include "gs_arpnd.h"

#define ARP_LEN 28
#define NDP_MIN_LEN 24 /* ICMPv6 header + reserved/flags + target */
#define NDP_OPT_SLLA 1
#define NDP_OPT_TLLA 2
#define NDP_LL_OPT_LEN 8 /* type, length, 6-byte MAC */
#define ECHO_HOP_LIMIT 64

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t all_nodes_ip[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool ip6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static bool ip6_is_solicited_node(const uint8_t a[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

void gs_ndp_solicited_node(const uint8_t addr[16], uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xff;
	out[1] = 0x02;
	out[11] = 0x01;
	out[12] = 0xff;
	memcpy(out + 13, addr + 13, 3);
}

/* ICMPv6 checksum: pseudo-header (RFC 8200 §8.1) plus the message */
static uint16_t icmp6_csum(const uint8_t src[16], const uint8_t dst[16],
			   const uint8_t *msg, uint32_t len)
{
	return gs_csum_fold(gs_csum_partial(msg, len, gs_pseudo_sum(GS_AF_INET6, src, dst,
								    GS_IPPROTO_ICMPV6, len)));
}

/*
 * Ethernet header, with one 802.1Q tag when @tagged.  A tag is kept even
 * with TCI 0 (priority tagging) so a reply looks like its request.
 */
static uint32_t write_eth(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
			  bool tagged, uint16_t tci, uint16_t type)
{
	uint32_t off = 12;

	memcpy(out, dst, 6);
	memcpy(out + 6, src, 6);
	if (tagged) {
		wr16(out + 12, GS_ETHERTYPE_VLAN);
		wr16(out + 14, tci);
		off += GS_VLAN_HDR_LEN;
	}
	wr16(out + off, type);
	return off + 2;
}

static uint32_t eth_len(bool tagged)
{
	return GS_ETH_HDR_LEN + (tagged ? GS_VLAN_HDR_LEN : 0);
}

/* a reply goes out with its request's tag; we do not answer through QinQ */
static int reply_tag(const struct gs_eth *eth, bool *tagged)
{
	if (eth->n_vlans > 1)
		return -1;
	*tagged = eth->n_vlans == 1;
	return 0;
}

/* the frame length after padding, or 0 when @cap cannot hold it */
static uint32_t padded_len(uint32_t len, uint32_t cap)
{
	if (len < GS_ETH_MIN_FRAME)
		len = GS_ETH_MIN_FRAME;
	return len <= cap ? len : 0;
}

static void pad(uint8_t *out, uint32_t len, uint32_t padded)
{
	if (padded > len)
		memset(out + len, 0, padded - len);
}

/* ---- parsing ------------------------------------------------------------- */

static enum gs_reason parse_arp(const uint8_t *p, uint32_t len,
				struct gs_arpnd *out)
{
	struct gs_arp *a = &out->arp;

	if (len < ARP_LEN)
		return GS_R_ARP_MALFORMED;
	/* someone else's protocol over ARP is not an error, just not ours */
	if (rd16(p) != 1 || rd16(p + 2) != GS_ETHERTYPE_IPV4)
		return GS_R_ARP_IGNORED;
	if (p[4] != 6 || p[5] != 4)
		return GS_R_ARP_MALFORMED;
	a->op = rd16(p + 6);
	if (a->op != GS_ARP_OP_REQUEST && a->op != GS_ARP_OP_REPLY)
		return GS_R_ARP_IGNORED; /* InARP and friends */
	memcpy(a->sha, p + 8, 6);
	memcpy(a->spa, p + 14, 4);
	memcpy(a->tha, p + 18, 6);
	memcpy(a->tpa, p + 24, 4);
	out->kind = GS_ARPND_ARP;
	return GS_R_OK;
}

static enum gs_reason parse_icmp4(const uint8_t *frame, struct gs_arpnd *out)
{
	const uint8_t *icmp = frame + out->l4_off;

	if (out->ip.proto != GS_IPPROTO_ICMP)
		return GS_R_ICMP_IGNORED;
	if (out->ip.is_fragment)
		return GS_R_OUTER_FRAGMENT; /* we do not reassemble pings */
	if (out->l4_len < GS_ICMP_HDR_LEN)
		return GS_R_L4_TRUNCATED;
	if (icmp[0] != GS_ICMP_ECHO_REQUEST || icmp[1] != 0)
		return GS_R_ICMP_IGNORED;
	if (gs_csum_fold(gs_csum_partial(icmp, out->l4_len, 0)) != 0)
		return GS_R_ICMP_BAD_CHECKSUM;
	out->echo.id = rd16(icmp + 4);
	out->echo.seq = rd16(icmp + 6);
	out->kind = GS_ARPND_ECHO4;
	return GS_R_OK;
}

/* RFC 4861 §7.1.1 / §7.1.2, in the order listed there */
static enum gs_reason parse_ndp(const uint8_t *frame, struct gs_arpnd *out)
{
	const uint8_t *icmp = frame + out->l4_off;
	struct gs_ndp *nd = &out->ndp;
	uint8_t type = icmp[0];
	uint32_t off, end;

	/* 255 proves the sender is on our link: nobody routed it here */
	if (out->ip.ttl != GS_NDP_HOP_LIMIT)
		return GS_R_NDP_BAD_HOP_LIMIT;
	if (out->l4_len < NDP_MIN_LEN)
		return GS_R_NDP_MALFORMED;
	if (icmp6_csum(out->ip.src, out->ip.dst, icmp, out->l4_len) != 0)
		return GS_R_ICMP_BAD_CHECKSUM;
	if (icmp[1] != 0)
		return GS_R_NDP_MALFORMED;
	memcpy(nd->target, icmp + 8, 16);
	if (nd->target[0] == 0xff)
		return GS_R_NDP_MALFORMED;

	for (off = NDP_MIN_LEN, end = out->l4_len; off < end;) {
		uint32_t olen;

		if (off + 2 > end)
			return GS_R_NDP_MALFORMED;
		olen = icmp[off + 1] * 8u;
		if (olen == 0 || off + olen > end)
			return GS_R_NDP_MALFORMED;
		if (!nd->has_ll && olen >= NDP_LL_OPT_LEN &&
		    icmp[off] == (type == GS_ICMPV6_NS ? NDP_OPT_SLLA : NDP_OPT_TLLA)) {
			memcpy(nd->ll, icmp + off + 2, 6);
			nd->has_ll = true;
		}
		off += olen;
	}

	if (type == GS_ICMPV6_NS) {
		/* duplicate address detection: a tentative address speaks */
		if (ip6_is_unspecified(out->ip.src) &&
		    (!ip6_is_solicited_node(out->ip.dst) || nd->has_ll))
			return GS_R_NDP_MALFORMED;
		out->kind = GS_ARPND_NS;
	} else {
		nd->flags = icmp[4] & (GS_NA_FLAG_ROUTER | GS_NA_FLAG_SOLICITED |
				       GS_NA_FLAG_OVERRIDE);
		if (out->ip.dst[0] == 0xff && (nd->flags & GS_NA_FLAG_SOLICITED))
			return GS_R_NDP_MALFORMED;
		out->kind = GS_ARPND_NA;
	}
	return GS_R_OK;
}

static enum gs_reason parse_icmp6(const uint8_t *frame, struct gs_arpnd *out)
{
	const uint8_t *icmp = frame + out->l4_off;

	if (out->ip.proto != GS_IPPROTO_ICMPV6)
		return GS_R_ICMP_IGNORED;
	if (out->ip.is_fragment)
		return GS_R_OUTER_FRAGMENT;
	if (out->l4_len < 4)
		return GS_R_L4_TRUNCATED;
	switch (icmp[0]) {
	case GS_ICMPV6_NS:
	case GS_ICMPV6_NA:
		return parse_ndp(frame, out);
	case GS_ICMPV6_ECHO_REQUEST:
		if (out->l4_len < GS_ICMP_HDR_LEN)
			return GS_R_L4_TRUNCATED;
		if (icmp[1] != 0)
			return GS_R_ICMP_IGNORED;
		if (icmp6_csum(out->ip.src, out->ip.dst, icmp, out->l4_len) != 0)
			return GS_R_ICMP_BAD_CHECKSUM;
		out->echo.id = rd16(icmp + 4);
		out->echo.seq = rd16(icmp + 6);
		out->kind = GS_ARPND_ECHO6;
		return GS_R_OK;
	default:
		return GS_R_ICMP_IGNORED; /* router advertisements, MLD, ... */
	}
}

enum gs_reason gs_arpnd_parse(const uint8_t *frame, uint32_t len,
			      struct gs_arpnd *out)
{
	enum gs_reason rc;
	uint32_t off;

	memset(out, 0, sizeof(*out));
	rc = gs_parse_eth(frame, len, &out->eth);
	if (rc != GS_R_OK)
		return rc;
	off = out->eth.hdr_len;

	switch (out->eth.ethertype) {
	case GS_ETHERTYPE_ARP:
		return parse_arp(frame + off, len - off, out);
	case GS_ETHERTYPE_IPV4:
		rc = gs_parse_ip(frame + off, len - off, GS_AF_INET, true, &out->ip);
		break;
	case GS_ETHERTYPE_IPV6:
		rc = gs_parse_ip(frame + off, len - off, GS_AF_INET6, false, &out->ip);
		break;
	default:
		return GS_R_ETHERTYPE_UNSUPPORTED;
	}
	if (rc != GS_R_OK)
		return rc;
	/* never trust tot_len to stay above the header length */
	if (out->ip.tot_len < out->ip.hdr_len)
		return GS_R_L4_TRUNCATED;
	out->l4_off = (uint16_t)(off + out->ip.hdr_len);
	out->l4_len = (uint16_t)(out->ip.tot_len - out->ip.hdr_len);
	if (out->ip.family == GS_AF_INET)
		return parse_icmp4(frame, out);
	return parse_icmp6(frame, out);
}

/* ---- ARP ----------------------------------------------------------------- */

static void write_arp(uint8_t *p, uint16_t op, const uint8_t sha[6],
		      const uint8_t spa[4], const uint8_t tha[6],
		      const uint8_t tpa[4])
{
	wr16(p, 1);
	wr16(p + 2, GS_ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	wr16(p + 6, op);
	memcpy(p + 8, sha, 6);
	memcpy(p + 14, spa, 4);
	memcpy(p + 18, tha, 6);
	memcpy(p + 24, tpa, 4);
}

int gs_arp_reply_build(uint8_t *out, uint32_t cap, const struct gs_arpnd *req,
		       const uint8_t mac[6], const uint8_t ip[4])
{
	uint32_t hl, len;
	bool tagged;

	if (req->kind != GS_ARPND_ARP || req->arp.op != GS_ARP_OP_REQUEST ||
	    memcmp(req->arp.tpa, ip, 4) != 0)
		return -1;
	if (reply_tag(&req->eth, &tagged) < 0)
		return -1;
	len = padded_len(eth_len(tagged) + ARP_LEN, cap);
	if (!len)
		return -1;
	/* everything read from @req is in the parsed struct, not the frame */
	hl = write_eth(out, req->arp.sha, mac, tagged, req->eth.vlan_tci,
		       GS_ETHERTYPE_ARP);
	write_arp(out + hl, GS_ARP_OP_REPLY, mac, ip, req->arp.sha, req->arp.spa);
	pad(out, hl + ARP_LEN, len);
	return (int)len;
}

int gs_arp_request_build(uint8_t *out, uint32_t cap, const uint8_t mac[6],
			 uint16_t vlan_tci, const uint8_t ip[4],
			 const uint8_t target[4], const uint8_t *dst_mac)
{
	static const uint8_t zero_mac[6];
	bool tagged = vlan_tci != 0;
	uint32_t hl, len;

	len = padded_len(eth_len(tagged) + ARP_LEN, cap);
	if (!len)
		return -1;
	hl = write_eth(out, dst_mac ? dst_mac : bcast_mac, mac, tagged, vlan_tci,
		       GS_ETHERTYPE_ARP);
	write_arp(out + hl, GS_ARP_OP_REQUEST, mac, ip, zero_mac, target);
	pad(out, hl + ARP_LEN, len);
	return (int)len;
}

/* ---- neighbour discovery ------------------------------------------------- */

/*
 * IPv6 header + NS/NA with one link-layer option at @p; every NS/NA gsteer
 * sends has the same 32-byte shape.
 */
static uint32_t write_ndp(uint8_t *p, const uint8_t src[16], const uint8_t dst[16],
			  uint8_t type, uint8_t flags, const uint8_t target[16],
			  uint8_t opt, const uint8_t mac[6])
{
	uint8_t *icmp = p + GS_IPV6_HDR_LEN;
	const uint16_t plen = NDP_MIN_LEN + NDP_LL_OPT_LEN;

	memset(p, 0, GS_IPV6_HDR_LEN + plen);
	p[0] = 0x60;
	wr16(p + 4, plen);
	p[6] = GS_IPPROTO_ICMPV6;
	p[7] = GS_NDP_HOP_LIMIT;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = opt;
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	wr16(icmp + 2, icmp6_csum(src, dst, icmp, plen));
	return GS_IPV6_HDR_LEN + plen;
}

int gs_ndp_na_build(uint8_t *out, uint32_t cap, const struct gs_arpnd *ns,
		    const uint8_t mac[6], const uint8_t ip[16])
{
	const uint8_t *dst_ip, *dst_mac;
	uint32_t hl, n, len;
	uint8_t flags;
	bool tagged;

	if (ns->kind != GS_ARPND_NS || memcmp(ns->ndp.target, ip, 16) != 0)
		return -1;
	if (reply_tag(&ns->eth, &tagged) < 0)
		return -1;
	len = padded_len(eth_len(tagged) + GS_IPV6_HDR_LEN + NDP_MIN_LEN +
			 NDP_LL_OPT_LEN, cap);
	if (!len)
		return -1;

	flags = GS_NA_FLAG_OVERRIDE;
	if (ip6_is_unspecified(ns->ip.src)) {
		/* the prober has no address yet: tell everyone, unsolicited */
		dst_ip = all_nodes_ip;
		dst_mac = all_nodes_mac;
	} else {
		dst_ip = ns->ip.src;
		dst_mac = ns->ndp.has_ll ? ns->ndp.ll : ns->eth.src;
		flags |= GS_NA_FLAG_SOLICITED;
	}
	hl = write_eth(out, dst_mac, mac, tagged, ns->eth.vlan_tci,
		       GS_ETHERTYPE_IPV6);
	n = write_ndp(out + hl, ip, dst_ip, GS_ICMPV6_NA, flags, ip,
		      NDP_OPT_TLLA, mac);
	pad(out, hl + n, len);
	return (int)len;
}

int gs_ndp_ns_build(uint8_t *out, uint32_t cap, const uint8_t mac[6],
		    uint16_t vlan_tci, const uint8_t ip[16],
		    const uint8_t target[16], const uint8_t *dst_mac)
{
	uint8_t dst_ip[16], mcast_mac[6];
	bool tagged = vlan_tci != 0;
	uint32_t hl, n, len;

	len = padded_len(eth_len(tagged) + GS_IPV6_HDR_LEN + NDP_MIN_LEN +
			 NDP_LL_OPT_LEN, cap);
	if (!len)
		return -1;
	if (dst_mac) {
		memcpy(dst_ip, target, 16);
	} else {
		gs_ndp_solicited_node(target, dst_ip);
		mcast_mac[0] = 0x33;
		mcast_mac[1] = 0x33;
		memcpy(mcast_mac + 2, dst_ip + 12, 4);
		dst_mac = mcast_mac;
	}
	hl = write_eth(out, dst_mac, mac, tagged, vlan_tci, GS_ETHERTYPE_IPV6);
	n = write_ndp(out + hl, ip, dst_ip, GS_ICMPV6_NS, 0, target,
		      NDP_OPT_SLLA, mac);
	pad(out, hl + n, len);
	return (int)len;
}

/* ---- echo ---------------------------------------------------------------- */

int gs_echo_reply_build(uint8_t *out, uint32_t cap, const uint8_t *frame,
			const struct gs_arpnd *req, const uint8_t mac[6],
			const uint8_t *ip)
{
	uint32_t hl, len, ip_len = req->ip.tot_len;
	uint8_t *l3, *icmp;
	bool tagged;

	if (req->kind == GS_ARPND_ECHO4) {
		if (memcmp(req->ip.dst, ip, 4) != 0)
			return -1;
	} else if (req->kind == GS_ARPND_ECHO6) {
		/* echoing a routing header or options back would be wrong */
		if (memcmp(req->ip.dst, ip, 16) != 0 ||
		    req->ip.hdr_len != GS_IPV6_HDR_LEN)
			return -1;
	} else {
		return -1;
	}
	if (reply_tag(&req->eth, &tagged) < 0)
		return -1;
	len = padded_len(eth_len(tagged) + ip_len, cap);
	if (!len)
		return -1;

	/*
	 * Same tagging as the request, so the IP packet sits at the same
	 * offset: in place this moves nothing.  Everything taken from the
	 * request's headers comes from @req, which the writes cannot clobber.
	 */
	hl = eth_len(tagged);
	memmove(out + hl, frame + req->eth.hdr_len, ip_len);
	write_eth(out, req->eth.src, mac, tagged, req->eth.vlan_tci,
		  req->eth.ethertype);
	l3 = out + hl;
	icmp = l3 + req->ip.hdr_len;

	if (req->kind == GS_ARPND_ECHO4) {
		memcpy(l3 + 12, ip, 4);
		memcpy(l3 + 16, req->ip.src, 4);
		l3[8] = ECHO_HOP_LIMIT;
		wr16(l3 + 10, 0);
		wr16(l3 + 10, gs_csum_fold(gs_csum_partial(l3, req->ip.hdr_len, 0)));
		icmp[0] = GS_ICMP_ECHO_REPLY;
		wr16(icmp + 2, 0);
		wr16(icmp + 2, gs_csum_fold(gs_csum_partial(icmp, req->l4_len, 0)));
	} else {
		memcpy(l3 + 8, ip, 16);
		memcpy(l3 + 24, req->ip.src, 16);
		l3[7] = ECHO_HOP_LIMIT;
		icmp[0] = GS_ICMPV6_ECHO_REPLY;
		wr16(icmp + 2, 0);
		wr16(icmp + 2, icmp6_csum(ip, req->ip.src, icmp, req->l4_len));
	}
	pad(out, hl + ip_len, len);
	return (int)len;
}
