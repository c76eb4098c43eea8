/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header parsers on plain byte buffers (see gs_pkt.h).
 *
 * Every read is preceded by a length check against the bytes the caller
 * vouched for; nothing here trusts a length field before comparing it with
 * what is really there.
 */
#include <stddef.h>
#include <string.h>

#include "gs_pkt.h"

/* ---- byte access --------------------------------------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* ---- RFC 1071 checksum --------------------------------------------------- */

/*
 * Sums big-endian 16-bit words, so the folded result is a host-order value
 * to be stored big-endian.  A 64-bit accumulator cannot overflow for any
 * buffer below 2^48 bytes, so folding happens once, at the end.
 */
uint32_t gs_csum_partial(const void *buf, uint32_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	uint32_t i = 0;

	/* two big-endian words per 32-bit load: the same sum as adding them
	 * one at a time, in half the loads (the parse of every outer IPv4
	 * header and the IPv4 encapsulation run this) */
	for (; i + 4 <= len; i += 4) {
		uint32_t x = rd32(p + i);

		acc += (x >> 16) + (x & 0xFFFF);
	}
	for (; i + 1 < len; i += 2)
		acc += rd16(p + i);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 32)
		acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t gs_ipv4_hdr_csum(const void *hdr, uint32_t hlen)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/*
	 * A host-order (little-endian) 16-bit word is the big-endian one times
	 * 256 modulo 0xFFFF, and so is the folded sum: fold the host-order
	 * sum, swap its bytes, and it is the big-endian fold.  Both folds lie
	 * in 1..0xFFFF unless every byte is zero, where both are 0, so the
	 * result is the same value gs_csum_fold() gives, not just the same
	 * class (RFC 1071 2.B).  A 32-bit word is its two 16-bit halves
	 * modulo 0xFFFF, so whole 32-bit words are added.
	 */
	if (hlen % 4 == 0) {
		const uint8_t *p = hdr;
		uint64_t acc = 0;
		uint32_t w;
		uint16_t f;

		for (uint32_t i = 0; i < hlen; i += 4) {
			memcpy(&w, p + i, 4);
			acc += w;
		}
		acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
		acc = (acc & 0xFFFF) + (acc >> 16);
		acc = (acc & 0xFFFF) + (acc >> 16);
		acc = (acc & 0xFFFF) + (acc >> 16);
		f = (uint16_t)acc;
		return (uint16_t)~(uint16_t)((f >> 8) | (f << 8));
	}
#endif
	return gs_csum_fold(gs_csum_partial(hdr, hlen, 0));
}

uint32_t gs_pseudo_sum(uint8_t family, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, uint32_t len)
{
	uint32_t alen = family == GS_AF_INET ? 4 : 16;
	/* IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three
	 * zero bytes, next header.  Both sum the same way when even-aligned */
	uint8_t tail[8] = { 0 };

	if (family == GS_AF_INET) {
		tail[1] = proto;
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
	} else {
		tail[0] = (uint8_t)(len >> 24);
		tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		tail[7] = proto;
	}
	return gs_csum_partial(tail, family == GS_AF_INET ? 4 : 8,
			       gs_csum_partial(dst, alen, gs_csum_partial(src, alen, 0)));
}

uint16_t gs_csum_fold(uint32_t sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- Ethernet ------------------------------------------------------------ */

static bool is_vlan_ethertype(uint16_t type)
{
	return type == GS_ETHERTYPE_VLAN || type == GS_ETHERTYPE_QINQ;
}

/*
 * Any ethertype is accepted here: the data plane still has to see ARP and
 * NDP, so deciding what to drop is left to the caller.
 */
enum gs_reason gs_parse_eth(const uint8_t *p, uint32_t len, struct gs_eth *out)
{
	uint32_t off = GS_ETH_HDR_LEN;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	if (len < GS_ETH_HDR_LEN)
		return GS_R_ETH_TRUNCATED;
	memcpy(out->dst, p, 6);
	memcpy(out->src, p + 6, 6);
	type = rd16(p + 12);
	while (is_vlan_ethertype(type)) {
		if (out->n_vlans == GS_MAX_VLAN_TAGS)
			return GS_R_VLAN_TOO_MANY;
		if (off + GS_VLAN_HDR_LEN > len)
			return GS_R_VLAN_TRUNCATED;
		if (out->n_vlans == 0)
			out->vlan_tci = rd16(p + off);
		type = rd16(p + off + 2);
		off += GS_VLAN_HDR_LEN;
		out->n_vlans++;
	}
	out->ethertype = type;
	out->hdr_len = (uint16_t)off;
	return GS_R_OK;
}

/* ---- IP ------------------------------------------------------------------ */

/*
 * Per-family reasons, so the IPv4 and IPv6 paths share their logic, and an
 * ICMP quote (whose problems are all "the quote is bad") can reuse both.
 */
struct ip_reasons {
	enum gs_reason truncated;
	enum gs_reason bad_version;
	enum gs_reason bad_ihl;
	enum gs_reason bad_len;
	enum gs_reason bad_fragment;
	enum gs_reason ext_truncated;
	enum gs_reason ext_too_many;
};

static const struct ip_reasons ipv4_reasons = {
	.truncated = GS_R_IPV4_TRUNCATED,
	.bad_version = GS_R_IPV4_BAD_VERSION,
	.bad_ihl = GS_R_IPV4_BAD_IHL,
	.bad_len = GS_R_IPV4_BAD_TOTAL_LEN,
	.bad_fragment = GS_R_IPV4_BAD_FRAGMENT,
};

static const struct ip_reasons ipv6_reasons = {
	.truncated = GS_R_IPV6_TRUNCATED,
	.bad_version = GS_R_IPV6_BAD_VERSION,
	.bad_len = GS_R_IPV6_BAD_PAYLOAD_LEN,
	.bad_fragment = GS_R_IPV6_BAD_FRAGMENT,
	.ext_truncated = GS_R_IPV6_EXT_TRUNCATED,
	.ext_too_many = GS_R_IPV6_EXT_TOO_MANY,
};

static const struct ip_reasons quote_reasons = {
	.truncated = GS_R_ICMP_QUOTE_TRUNCATED,
	.bad_version = GS_R_ICMP_QUOTE_BAD,
	.bad_ihl = GS_R_ICMP_QUOTE_BAD,
	.bad_len = GS_R_ICMP_QUOTE_BAD,
	.bad_fragment = GS_R_ICMP_QUOTE_BAD,
	.ext_truncated = GS_R_ICMP_QUOTE_TRUNCATED,
	.ext_too_many = GS_R_ICMP_QUOTE_BAD,
};

/*
 * How an IP header is read.  A quoted header (inside an ICMP error) is
 * usually cut short by its sender, so its length field may exceed the bytes
 * present and only the bytes present are walked.
 */
struct ip_mode {
	bool verify_csum;
	bool quoted;
};

static const struct ip_reasons *mode_reasons(const struct ip_mode *m,
					     const struct ip_reasons *own)
{
	return m->quoted ? &quote_reasons : own;
}

/*
 * Same rule for both families: a fragment that carries nothing (first,
 * middle or last: no real sender makes one, reassemblers disagree on what
 * it means), or that reaches past the largest possible datagram, is an
 * attack on reassembly rather than traffic.
 */
static bool frag_ok(const struct gs_ip *ip, uint32_t frag_payload)
{
	if (!ip->is_fragment)
		return true;
	if (frag_payload == 0)
		return false;
	return (uint32_t)ip->frag_offset + frag_payload <= 0xFFFF;
}

static enum gs_reason parse_ipv4(const uint8_t *p, uint32_t len,
				 const struct ip_mode *m, struct gs_ip *out)
{
	const struct ip_reasons *r = mode_reasons(m, &ipv4_reasons);
	uint32_t hlen, tot;
	uint16_t frag;

	if (len < GS_IPV4_HDR_LEN)
		return r->truncated;
	if (p[0] >> 4 != 4)
		return r->bad_version;
	hlen = (p[0] & 0x0F) * 4u;
	if (hlen < GS_IPV4_HDR_LEN)
		return r->bad_ihl;
	if (hlen > len)
		return r->truncated;
	tot = rd16(p + 2);
	if (tot < hlen || (!m->quoted && tot > len))
		return r->bad_len;
	if (m->verify_csum && gs_ipv4_hdr_csum(p, hlen) != 0)
		return GS_R_IPV4_BAD_CHECKSUM;

	out->family = GS_AF_INET;
	out->tos = p[1];
	out->ttl = p[8];
	out->proto = p[9];
	memcpy(out->src, p + 12, 4);
	memcpy(out->dst, p + 16, 4);
	out->hdr_len = (uint16_t)hlen;
	out->tot_len = tot;

	frag = rd16(p + 6);
	out->frag_id = rd16(p + 4);
	out->frag_offset = (uint16_t)((frag & 0x1FFF) * 8u);
	out->more_fragments = frag & 0x2000;
	out->is_fragment = out->more_fragments || out->frag_offset;
	if (!frag_ok(out, tot - hlen))
		return r->bad_fragment;
	return GS_R_OK;
}

/* length of the extension header at @p of type @nh, 0 when not one */
static uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *p)
{
	switch (nh) {
	case GS_IPPROTO_HOPOPTS:
	case GS_IPPROTO_ROUTING:
	case GS_IPPROTO_DSTOPTS:
		return (p[1] + 1u) * 8;
	case GS_IPPROTO_FRAGMENT:
		return 8;
	case GS_IPPROTO_AH:
		return (p[1] + 2u) * 4;
	default:
		return 0;
	}
}

static bool is_ipv6_ext(uint8_t nh)
{
	return nh == GS_IPPROTO_HOPOPTS || nh == GS_IPPROTO_ROUTING ||
	       nh == GS_IPPROTO_DSTOPTS || nh == GS_IPPROTO_FRAGMENT ||
	       nh == GS_IPPROTO_AH;
}

/*
 * Walks the extension headers in p[40, end).  After a non-first fragment
 * header the rest is fragment data, not headers, so the walk stops there
 * with the fragment's next header as the protocol.
 */
static enum gs_reason ipv6_walk_ext(const uint8_t *p, uint32_t end,
				    const struct ip_reasons *r,
				    struct gs_ip *out)
{
	uint32_t off = GS_IPV6_HDR_LEN, n = 0, elen;
	uint8_t nh = p[6];

	while (is_ipv6_ext(nh)) {
		if (n == GS_MAX_IPV6_EXT_HDRS)
			return r->ext_too_many;
		if (off + 2 > end)
			return r->ext_truncated;
		elen = ipv6_ext_len(nh, p + off);
		if (off + elen > end)
			return r->ext_truncated;
		if (nh == GS_IPPROTO_FRAGMENT) {
			uint16_t fo = rd16(p + off + 2);

			out->frag_offset = fo & 0xFFF8;
			out->more_fragments = fo & 1;
			out->frag_id = rd32(p + off + 4);
			/* an atomic fragment (RFC 6946) is a whole packet */
			out->is_fragment = out->more_fragments ||
					   out->frag_offset;
		}
		nh = p[off];
		off += elen;
		n++;
		if (out->frag_offset)
			break;
	}
	out->proto = nh;
	out->hdr_len = (uint16_t)off;
	return GS_R_OK;
}

static enum gs_reason parse_ipv6(const uint8_t *p, uint32_t len,
				 const struct ip_mode *m, struct gs_ip *out)
{
	const struct ip_reasons *r = mode_reasons(m, &ipv6_reasons);
	enum gs_reason rc;
	uint32_t tot, end;

	if (len < GS_IPV6_HDR_LEN)
		return r->truncated;
	if (p[0] >> 4 != 6)
		return r->bad_version;
	tot = GS_IPV6_HDR_LEN + rd16(p + 4);
	if (!m->quoted && tot > len)
		return r->bad_len;
	end = tot < len ? tot : len;

	out->family = GS_AF_INET6;
	out->tos = (uint8_t)(rd16(p) >> 4);
	out->ttl = p[7];
	memcpy(out->src, p + 8, 16);
	memcpy(out->dst, p + 24, 16);
	out->tot_len = tot;

	rc = ipv6_walk_ext(p, end, r, out);
	if (rc != GS_R_OK)
		return rc;
	if (!frag_ok(out, tot - out->hdr_len))
		return r->bad_fragment;
	return GS_R_OK;
}

static enum gs_reason parse_ip_mode(const uint8_t *p, uint32_t len,
				    uint8_t family, const struct ip_mode *m,
				    struct gs_ip *out)
{
	memset(out, 0, sizeof(*out));
	/* with no family asked for, anything but version 6 is read as IPv4 */
	if (family == 0 && len >= 1 && p[0] >> 4 == 6)
		family = GS_AF_INET6;
	if (family == GS_AF_INET6)
		return parse_ipv6(p, len, m, out);
	return parse_ipv4(p, len, m, out);
}

enum gs_reason gs_parse_ip(const uint8_t *p, uint32_t len, uint8_t family,
			   bool verify_csum, struct gs_ip *out)
{
	const struct ip_mode m = { .verify_csum = verify_csum };

	return parse_ip_mode(p, len, family, &m, out);
}

/* ---- GENEVE -------------------------------------------------------------- */

#define GENEVE_OPT_CRITICAL 0x80

static bool geneve_protocol_ok(uint16_t proto)
{
	return proto == GS_ETHERTYPE_IPV4 || proto == GS_ETHERTYPE_IPV6 ||
	       proto == GS_ETHERTYPE_TEB;
}

/* AWS option @type's data length, 0 when gsteer does not know the type */
static uint32_t aws_opt_data_len(uint8_t type)
{
	switch (type) {
	case GS_AWS_OPT_ENDPOINT_ID:
	case GS_AWS_OPT_ATTACHMENT_ID:
		return 8;
	case GS_AWS_OPT_FLOW_COOKIE:
		return 4;
	default:
		return 0;
	}
}

static enum gs_reason geneve_aws_opt(const uint8_t *o, uint32_t dlen,
				     struct gs_geneve *g)
{
	const uint8_t *d = o + GS_GENEVE_OPT_HDR_LEN;
	bool *seen;

	if (dlen != aws_opt_data_len(o[2]))
		return GS_R_GENEVE_AWS_OPT_BAD_LEN;
	seen = o[2] == GS_AWS_OPT_ENDPOINT_ID ? &g->has_endpoint_id :
	       o[2] == GS_AWS_OPT_ATTACHMENT_ID ? &g->has_attachment_id :
						   &g->has_cookie;
	/* two values for one id leave no right one to steer or reply by */
	if (*seen)
		return GS_R_GENEVE_AWS_OPT_DUPLICATE;
	*seen = true;
	if (o[2] == GS_AWS_OPT_ENDPOINT_ID)
		g->endpoint_id = rd64(d);
	else if (o[2] == GS_AWS_OPT_ATTACHMENT_ID)
		g->attachment_id = rd64(d);
	else
		g->cookie = rd32(d);
	return GS_R_OK;
}

/*
 * A probe option that does not have the probe's shape (or a second one) is
 * not treated as gsteer's: it stays an ordinary non-critical option and is
 * carried, rather than feeding garbage to the health checker.
 */
static bool geneve_is_probe(const uint8_t *o, uint32_t dlen,
			    const struct gs_geneve *g)
{
	return rd16(o) == GS_PROBE_OPT_CLASS && o[2] == GS_PROBE_OPT_TYPE &&
	       dlen == GS_PROBE_OPT_DATA_LEN && !g->has_probe;
}

static enum gs_reason geneve_opt(const uint8_t *area, uint32_t off,
				 uint32_t olen, struct gs_geneve *g)
{
	const uint8_t *o = area + off;
	uint32_t dlen = olen - GS_GENEVE_OPT_HDR_LEN;

	if (rd16(o) == GS_AWS_OPT_CLASS && aws_opt_data_len(o[2]))
		return geneve_aws_opt(o, dlen, g);
	if (geneve_is_probe(o, dlen, g)) {
		g->has_probe = true;
		g->probe_off = (uint16_t)(off + GS_GENEVE_OPT_HDR_LEN);
		return GS_R_OK;
	}
	/* RFC 8926 §3.5: an endpoint must drop what it cannot understand */
	if (o[2] & GENEVE_OPT_CRITICAL)
		return GS_R_GENEVE_CRITICAL_UNKNOWN;
	g->other[g->n_other].off = (uint16_t)off;
	g->other[g->n_other].len = (uint16_t)olen;
	g->n_other++;
	return GS_R_OK;
}

enum gs_reason gs_parse_geneve(const uint8_t *p, uint32_t len,
			       struct gs_geneve *out)
{
	const uint8_t *area = p + GS_GENEVE_HDR_LEN;
	uint32_t off, olen;
	enum gs_reason r;

	/* other[] is valid up to n_other: clearing its 252 bytes per packet
	 * showed up as the largest single cost of parsing */
	memset(out, 0, offsetof(struct gs_geneve, other));
	if (len < GS_GENEVE_HDR_LEN)
		return GS_R_GENEVE_TRUNCATED;
	out->version = p[0] >> 6;
	if (out->version != 0)
		return GS_R_GENEVE_BAD_VERSION;
	out->opts_len = (p[0] & 0x3F) * 4;
	out->hdr_len = GS_GENEVE_HDR_LEN + out->opts_len;
	if (out->hdr_len > len)
		return GS_R_GENEVE_OPTS_PAST_END;
	out->oam = p[1] & 0x80;
	out->critical = p[1] & 0x40;
	out->protocol = rd16(p + 2);
	if (!geneve_protocol_ok(out->protocol))
		return GS_R_GENEVE_BAD_PROTOCOL;
	out->vni = rd32(p + 4) >> 8;

	for (off = 0; off < out->opts_len; off += olen) {
		/* cannot trigger while both lengths count words; it keeps
		 * the walk safe on its own should that ever change */
		if (off + GS_GENEVE_OPT_HDR_LEN > out->opts_len)
			return GS_R_GENEVE_OPT_TRUNCATED;
		olen = GS_GENEVE_OPT_HDR_LEN + (area[off + 3] & 0x1F) * 4u;
		if (off + olen > out->opts_len)
			return GS_R_GENEVE_OPT_PAST_AREA;
		r = geneve_opt(area, off, olen, out);
		if (r != GS_R_OK)
			return r;
	}
	return GS_R_OK;
}

/* ---- inner packet and L4 ------------------------------------------------- */

/* ICMP inside IPv6 (or ICMPv6 inside IPv4) is just an unknown protocol */
static bool is_own_icmp(const struct gs_tuple *t)
{
	return t->proto == (t->family == GS_AF_INET ? GS_IPPROTO_ICMP :
						       GS_IPPROTO_ICMPV6);
}

static bool has_port_words(uint8_t proto)
{
	/* SCTP (132) and UDP-Lite (136) put ports where TCP and UDP do */
	return proto == GS_IPPROTO_TCP || proto == GS_IPPROTO_UDP ||
	       proto == 132 || proto == 136;
}

/* whether the tuple needs the first 8 bytes of the L4 header */
static bool needs_l4(const struct gs_tuple *t)
{
	return has_port_words(t->proto) || is_own_icmp(t);
}

static void tuple_from_ip(struct gs_tuple *t, const struct gs_ip *ip)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->src, ip->src, 16);
	memcpy(t->dst, ip->dst, 16);
	t->proto = ip->proto;
	t->family = ip->family;
}

/*
 * Ports from the first 8 bytes of an L4 header, common to a packet and a
 * quote.  Returns false for an ICMP error, which the caller handles.
 */
static bool l4_ports(const uint8_t *l4, struct gs_tuple *t)
{
	if (has_port_words(t->proto)) {
		t->sport = rd16(l4);
		t->dport = rd16(l4 + 2);
		return true;
	}
	if (!is_own_icmp(t))
		return true;
	switch (gs_icmp_classify(t->family, l4[0])) {
	case GS_ICMP_ECHO:
		gs_icmp_echo_ports(t, rd16(l4 + GS_ICMP_ECHO_ID_OFF));
		return true;
	case GS_ICMP_ERROR:
		return false;
	default:
		return true;
	}
}

static bool looks_like_geneve(const uint8_t *p, uint32_t len)
{
	return len >= GS_GENEVE_HDR_LEN && p[0] >> 6 == 0;
}

/* header checks a quote is spared: it is cut after 8 bytes of L4 */
static enum gs_reason l4_check(const uint8_t *l4, uint32_t l4_len,
			       const struct gs_ip *ip)
{
	uint32_t n, payload;

	if (ip->proto == GS_IPPROTO_TCP) {
		if (l4_len < GS_TCP_HDR_LEN)
			return GS_R_L4_TRUNCATED;
		n = (l4[12] >> 4) * 4u;
		if (n < GS_TCP_HDR_LEN || n > l4_len)
			return GS_R_TCP_BAD_DATA_OFFSET;
	} else if (ip->proto == GS_IPPROTO_UDP) {
		n = rd16(l4 + 4);
		/* a first fragment holds only part of what the length covers */
		if (n < GS_UDP_HDR_LEN || (!ip->is_fragment && n > l4_len))
			return GS_R_UDP_BAD_LENGTH;
		payload = (n < l4_len ? n : l4_len) - GS_UDP_HDR_LEN;
		/* a tunnel in the tunnel would be steered by the wrong flow */
		if (rd16(l4 + 2) == GS_GENEVE_UDP_PORT &&
		    looks_like_geneve(l4 + GS_UDP_HDR_LEN, payload))
			return GS_R_INNER_NESTED_GENEVE;
	}
	return GS_R_OK;
}

/* the packet an ICMP error quotes, @q of @len bytes after the ICMP header */
static enum gs_reason parse_quote(const uint8_t *q, uint32_t len,
				  uint8_t family, struct gs_inner *out)
{
	const struct ip_mode m = { .quoted = true };
	struct gs_ip ip;
	enum gs_reason r;
	uint32_t avail;

	r = parse_ip_mode(q, len, family, &m, &ip);
	if (r != GS_R_OK)
		return r;
	tuple_from_ip(&out->tuple, &ip);
	out->is_icmp_error = true;
	if (ip.frag_offset) {
		out->has_ports = false;
		return GS_R_OK;
	}
	if (!needs_l4(&out->tuple))
		return GS_R_OK;
	avail = (ip.tot_len < len ? ip.tot_len : len) - ip.hdr_len;
	if (avail < 8)
		return GS_R_ICMP_QUOTE_TRUNCATED;
	/* RFC 1122 §3.2.2: no error is ever sent about an error */
	if (!l4_ports(q + ip.hdr_len, &out->tuple))
		return GS_R_ICMP_QUOTE_BAD;
	return GS_R_OK;
}

static enum gs_reason parse_l4(const uint8_t *l4, uint32_t l4_len,
			       struct gs_inner *out)
{
	const struct gs_ip *ip = &out->ip;
	enum gs_reason r;

	tuple_from_ip(&out->tuple, ip);
	out->has_ports = true;
	if (ip->frag_offset) {
		out->has_ports = false;
		return GS_R_OK;
	}
	if (!needs_l4(&out->tuple))
		return GS_R_OK;
	if (l4_len < 8)
		return GS_R_L4_TRUNCATED;
	r = l4_check(l4, l4_len, ip);
	if (r != GS_R_OK)
		return r;
	if (l4_ports(l4, &out->tuple))
		return GS_R_OK;
	return parse_quote(l4 + GS_ICMP_HDR_LEN, l4_len - GS_ICMP_HDR_LEN,
			   ip->family, out);
}

/* the family an inner protocol carries, 0 when it is not IP */
static uint8_t ethertype_family(uint16_t type)
{
	if (type == GS_ETHERTYPE_IPV4)
		return GS_AF_INET;
	if (type == GS_ETHERTYPE_IPV6)
		return GS_AF_INET6;
	return 0;
}

enum gs_reason gs_parse_inner(const uint8_t *p, uint32_t len, uint16_t protocol,
			      struct gs_inner *out)
{
	struct gs_eth eth;
	enum gs_reason r;
	uint8_t family;

	memset(out, 0, sizeof(*out));
	if (protocol == GS_ETHERTYPE_TEB) {
		r = gs_parse_eth(p, len, &eth);
		if (r != GS_R_OK)
			return r;
		if (!ethertype_family(eth.ethertype))
			return GS_R_ETHERTYPE_UNSUPPORTED;
		out->l3_off = eth.hdr_len;
		protocol = eth.ethertype;
	}
	family = ethertype_family(protocol);
	if (!family)
		return GS_R_GENEVE_BAD_PROTOCOL;
	p += out->l3_off;
	len -= out->l3_off;
	r = gs_parse_ip(p, len, family, false, &out->ip);
	if (r != GS_R_OK)
		return r;
	return parse_l4(p + out->ip.hdr_len, out->ip.tot_len - out->ip.hdr_len,
			out);
}
