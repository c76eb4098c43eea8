/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builders for the GENEVE option area and the outer header stack (see
 * gs_encap.h).  Everything is sized before the first byte is written, so a
 * failed call leaves @out untouched.
 */
#include <string.h>

#include "gs_encap.h"

static inline uint8_t *wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	return wr16(p + 2, (uint16_t)v);
}

static inline uint8_t *wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	return wr32(p + 4, (uint32_t)v);
}

/* ---- option area --------------------------------------------------------- */

#define AWS_ID_OPT_LEN (GS_GENEVE_OPT_HDR_LEN + 8)
#define AWS_COOKIE_OPT_LEN (GS_GENEVE_OPT_HDR_LEN + 4)
#define PROBE_OPT_LEN (GS_GENEVE_OPT_HDR_LEN + GS_PROBE_OPT_DATA_LEN)

static uint32_t opts_size(const struct gs_opts_spec *s)
{
	uint32_t n = 0, i;

	n += s->with_endpoint_id ? AWS_ID_OPT_LEN : 0;
	n += s->with_attachment_id ? AWS_ID_OPT_LEN : 0;
	n += s->with_cookie ? AWS_COOKIE_OPT_LEN : 0;
	for (i = 0; i < s->n_carry; i++)
		n += s->carry[i].len;
	n += s->probe_data ? PROBE_OPT_LEN : 0;
	return n;
}

/* option header; the R bits stay zero, the length is in 4-byte words */
static uint8_t *opt_hdr(uint8_t *p, uint16_t cls, uint8_t type,
			uint32_t data_len)
{
	p = wr16(p, cls);
	*p++ = type;
	*p++ = (uint8_t)(data_len / 4);
	return p;
}

static uint8_t *aws_hdr(uint8_t *p, uint8_t type, uint32_t data_len)
{
	return opt_hdr(p, GS_AWS_OPT_CLASS, type, data_len);
}

int gs_geneve_opts_write(uint8_t *out, uint32_t cap,
			 const struct gs_opts_spec *s)
{
	uint32_t n = opts_size(s), i;
	uint8_t *p = out;

	/* opt_len counts whole words; a ragged carried option cannot fit it */
	if (n > cap || n > GS_GENEVE_MAX_OPTS_LEN || n % 4)
		return -1;
	if (s->with_endpoint_id)
		p = wr64(aws_hdr(p, GS_AWS_OPT_ENDPOINT_ID, 8), s->endpoint_id);
	if (s->with_attachment_id)
		p = wr64(aws_hdr(p, GS_AWS_OPT_ATTACHMENT_ID, 8),
			 s->attachment_id);
	if (s->with_cookie)
		p = wr32(aws_hdr(p, GS_AWS_OPT_FLOW_COOKIE, 4), s->cookie);
	for (i = 0; i < s->n_carry; i++) {
		memcpy(p, s->carry_area + s->carry[i].off, s->carry[i].len);
		p += s->carry[i].len;
	}
	if (s->probe_data) {
		p = opt_hdr(p, GS_PROBE_OPT_CLASS, GS_PROBE_OPT_TYPE,
			    GS_PROBE_OPT_DATA_LEN);
		memcpy(p, s->probe_data, GS_PROBE_OPT_DATA_LEN);
	}
	return (int)n;
}

/* ---- outer header stack -------------------------------------------------- */

static uint32_t l2_len(const struct gs_encap *e)
{
	return GS_ETH_HDR_LEN + (e->vlan_tci ? GS_VLAN_HDR_LEN : 0);
}

static uint32_t l3_len(const struct gs_encap *e)
{
	return e->family == GS_AF_INET6 ? GS_IPV6_HDR_LEN : GS_IPV4_HDR_LEN;
}

/* UDP header through the end of the payload: the UDP length field */
static uint32_t udp_len(const struct gs_encap *e)
{
	return GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN + e->opts_len +
	       e->payload_len;
}

uint32_t gs_encap_len(const struct gs_encap *e)
{
	return l2_len(e) + l3_len(e) + GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN +
	       e->opts_len;
}

static bool encap_ok(const struct gs_encap *e, uint32_t cap)
{
	uint32_t ip_len = udp_len(e);

	if (e->family == GS_AF_INET)
		ip_len += GS_IPV4_HDR_LEN;

	if (e->family != GS_AF_INET && e->family != GS_AF_INET6)
		return false;
	if (e->opts_len > GS_GENEVE_MAX_OPTS_LEN || e->opts_len % 4)
		return false;
	/* IPv4 total length, or IPv6 payload length, is a 16-bit field */
	if (ip_len > 0xFFFF)
		return false;
	/* IPv6 forbids the zero UDP checksum that would spare the payload */
	if (e->family == GS_AF_INET6 && e->payload_len && !e->payload)
		return false;
	return gs_encap_len(e) <= cap;
}

static uint8_t *write_eth(uint8_t *p, const struct gs_encap *e)
{
	memcpy(p, e->dst_mac, 6);
	memcpy(p + 6, e->src_mac, 6);
	p += 12;
	if (e->vlan_tci) {
		p = wr16(p, GS_ETHERTYPE_VLAN);
		p = wr16(p, e->vlan_tci);
	}
	return wr16(p, e->family == GS_AF_INET6 ? GS_ETHERTYPE_IPV6 :
						 GS_ETHERTYPE_IPV4);
}

static uint8_t *write_ipv4(uint8_t *p, const struct gs_encap *e)
{
	memset(p, 0, GS_IPV4_HDR_LEN);
	p[0] = 0x45;
	wr16(p + 2, (uint16_t)(GS_IPV4_HDR_LEN + udp_len(e)));
	/* id 0 and DF clear: nothing here is ever fragmented on purpose */
	p[8] = e->ttl;
	p[9] = GS_IPPROTO_UDP;
	memcpy(p + 12, e->src, 4);
	memcpy(p + 16, e->dst, 4);
	wr16(p + 10, gs_ipv4_hdr_csum(p, GS_IPV4_HDR_LEN));
	return p + GS_IPV4_HDR_LEN;
}

static uint8_t *write_ipv6(uint8_t *p, const struct gs_encap *e)
{
	memset(p, 0, 4);
	p[0] = 0x60;
	wr16(p + 4, (uint16_t)udp_len(e));
	p[6] = GS_IPPROTO_UDP;
	p[7] = e->ttl;
	memcpy(p + 8, e->src, 16);
	memcpy(p + 24, e->dst, 16);
	return p + GS_IPV6_HDR_LEN;
}

static uint8_t *write_geneve(uint8_t *p, const struct gs_encap *e)
{
	p[0] = (uint8_t)(e->opts_len / 4); /* version 0 */
	p[1] = (uint8_t)((e->oam ? 0x80 : 0) | (e->critical ? 0x40 : 0));
	wr16(p + 2, e->protocol);
	wr32(p + 4, (e->vni & 0xFFFFFFu) << 8);
	if (e->opts_len)
		memcpy(p + GS_GENEVE_HDR_LEN, e->opts, e->opts_len);
	return p + GS_GENEVE_HDR_LEN + e->opts_len;
}

/*
 * RFC 8200 §8.1 pseudo-header, then the UDP datagram.  The header part is
 * an even number of bytes, so the payload's sum can simply be added on.
 */
static uint16_t udp6_csum(const uint8_t *udp, const struct gs_encap *e)
{
	uint32_t sum;
	uint16_t c;

	sum = gs_pseudo_sum(GS_AF_INET6, e->src, e->dst, GS_IPPROTO_UDP, udp_len(e));
	sum = gs_csum_partial(udp, GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN +
					   e->opts_len, sum);
	if (e->payload_len)
		sum = gs_csum_partial(e->payload, e->payload_len, sum);
	c = gs_csum_fold(sum);
	/* zero means "no checksum" on the wire (RFC 768) */
	return c ? c : 0xFFFF;
}

int gs_encap_write(uint8_t *out, uint32_t cap, const struct gs_encap *e)
{
	uint8_t *p = out, *udp;

	if (!encap_ok(e, cap))
		return -1;
	p = write_eth(p, e);
	p = e->family == GS_AF_INET6 ? write_ipv6(p, e) : write_ipv4(p, e);
	udp = p;
	p = wr16(p, e->sport);
	p = wr16(p, e->dport);
	p = wr16(p, (uint16_t)udp_len(e));
	p = wr16(p, 0);
	p = write_geneve(p, e);
	if (e->family == GS_AF_INET6)
		wr16(udp + 6, udp6_csum(udp, e));
	return (int)(p - out);
}
