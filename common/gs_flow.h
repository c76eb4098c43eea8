/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow key and its symmetric hash.
 *
 * Header-only on purpose: the DPDK data plane, the XDP program (BPF target),
 * the daemon and the tests all include this one implementation, so every
 * gsteer node and both data planes make the same steering decision.
 *
 * A key is canonical: the (address, port) pair that sorts lower goes first,
 * so a packet and its reply give the same key and therefore the same hash.
 * The hash is Bob Jenkins' lookup3 (jhash2) over the key's 13 32-bit words
 * as they lie in memory (little-endian hosts: x86-64, arm64).
 */
#ifndef GS_FLOW_H
#define GS_FLOW_H

#include "gs_compat.h"
#include "gs_limits.h"

#define GS_AF_INET 4
#define GS_AF_INET6 6

enum gs_stickiness {
	GS_STICKY_5TUPLE = 0, /* addresses, protocol, ports (default) */
	GS_STICKY_3TUPLE = 1, /* addresses, protocol */
	GS_STICKY_2TUPLE = 2, /* addresses */
};

/*
 * A directional tuple as parsed from a packet.  IPv4 addresses occupy the
 * first 4 bytes of src/dst, the other 12 are zero.  Ports are host order;
 * ICMP echo uses its identifier as both ports, other protocols without
 * ports use 0.
 */
struct gs_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t family; /* GS_AF_INET or GS_AF_INET6 */
	uint8_t pad[2];
};

/* 52 bytes, no implicit padding: hashed and compared as raw memory */
struct gs_flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo; /* port that belongs to addr_lo */
	uint16_t port_hi;
	uint32_t vni;
	uint32_t endpoint_id_lo; /* 0/0 when the listener does not scope by it */
	uint32_t endpoint_id_hi;
	uint16_t group; /* target group index: separate fleets never share flows */
	uint8_t proto;
	uint8_t family;
};

#define GS_FLOW_KEY_WORDS 13
_Static_assert(sizeof(struct gs_flow_key) == GS_FLOW_KEY_WORDS * 4,
	       "gs_flow_key must have no padding");

/* direction of a packet relative to its canonical key */
#define GS_DIR_LO_TO_HI 0 /* packet source is addr_lo/port_lo */
#define GS_DIR_HI_TO_LO 1

#define GS_ROL32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

#define GS_JHASH_MIX(a, b, c)                                                  \
	do {                                                                   \
		a -= c; a ^= GS_ROL32(c, 4); c += b;                           \
		b -= a; b ^= GS_ROL32(a, 6); a += c;                           \
		c -= b; c ^= GS_ROL32(b, 8); b += a;                           \
		a -= c; a ^= GS_ROL32(c, 16); c += b;                          \
		b -= a; b ^= GS_ROL32(a, 19); a += c;                          \
		c -= b; c ^= GS_ROL32(b, 4); b += a;                           \
	} while (0)

#define GS_JHASH_FINAL(a, b, c)                                                \
	do {                                                                   \
		c ^= b; c -= GS_ROL32(b, 14);                                  \
		a ^= c; a -= GS_ROL32(c, 11);                                  \
		b ^= a; b -= GS_ROL32(a, 25);                                  \
		c ^= b; c -= GS_ROL32(b, 16);                                  \
		a ^= c; a -= GS_ROL32(c, 4);                                   \
		b ^= a; b -= GS_ROL32(a, 14);                                  \
		c ^= b; c -= GS_ROL32(b, 24);                                  \
	} while (0)

#define GS_JHASH_INITVAL 0xdeadbeefu

/* lookup3 hashword() over exactly 13 words, unrolled for the BPF verifier */
GS_INLINE uint32_t gs_jhash_13words(const uint32_t *k, uint32_t seed)
{
	uint32_t a, b, c;

	a = b = c = GS_JHASH_INITVAL + (13u << 2) + seed;
	a += k[0]; b += k[1]; c += k[2];
	GS_JHASH_MIX(a, b, c);
	a += k[3]; b += k[4]; c += k[5];
	GS_JHASH_MIX(a, b, c);
	a += k[6]; b += k[7]; c += k[8];
	GS_JHASH_MIX(a, b, c);
	a += k[9]; b += k[10]; c += k[11];
	GS_JHASH_MIX(a, b, c);
	a += k[12];
	GS_JHASH_FINAL(a, b, c);
	return c;
}

/* the flow's 32-bit hash: steers the flow, seeds entropy and the cookie */
GS_INLINE uint32_t gs_flow_hash(const struct gs_flow_key *key, uint32_t seed)
{
	return gs_jhash_13words((const uint32_t *)(const void *)key, seed);
}

/* < 0, 0, > 0 like memcmp over (address, port) */
GS_INLINE int gs_endpoint_cmp(const uint8_t *a, uint16_t aport,
			      const uint8_t *b, uint16_t bport)
{
	int i;

	GS_UNROLL
	for (i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	if (aport != bport)
		return aport < bport ? -1 : 1;
	return 0;
}

/*
 * Build the canonical key of @t for @mode, scoped by @vni, target @group and
 * (when the group scopes by it, else pass 0) @endpoint_id.
 * Returns GS_DIR_LO_TO_HI or GS_DIR_HI_TO_LO: which way @t travels.
 */
GS_INLINE int gs_flow_key_build(struct gs_flow_key *key,
				const struct gs_tuple *t,
				enum gs_stickiness mode, uint32_t vni,
				uint16_t group, uint64_t endpoint_id)
{
	uint16_t sport = t->sport, dport = t->dport;
	uint8_t proto = t->proto;
	int dir, i;

	if (mode != GS_STICKY_5TUPLE) {
		sport = 0;
		dport = 0;
	}
	if (mode == GS_STICKY_2TUPLE)
		proto = 0;

	dir = gs_endpoint_cmp(t->src, sport, t->dst, dport) <= 0 ?
		      GS_DIR_LO_TO_HI : GS_DIR_HI_TO_LO;
	GS_UNROLL
	for (i = 0; i < 16; i++) {
		key->addr_lo[i] = dir == GS_DIR_LO_TO_HI ? t->src[i] : t->dst[i];
		key->addr_hi[i] = dir == GS_DIR_LO_TO_HI ? t->dst[i] : t->src[i];
	}
	key->port_lo = dir == GS_DIR_LO_TO_HI ? sport : dport;
	key->port_hi = dir == GS_DIR_LO_TO_HI ? dport : sport;
	key->vni = vni & 0xFFFFFFu;
	key->endpoint_id_lo = (uint32_t)endpoint_id;
	key->endpoint_id_hi = (uint32_t)(endpoint_id >> 32);
	key->group = group;
	key->proto = proto;
	key->family = t->family;
	return dir;
}

/*
 * What an ICMP message means for steering: an echo carries its identifier
 * in the port fields (its request and reply are one flow), an error quotes
 * the packet it is about and follows that packet's flow, anything else is
 * steered by its addresses.  One rule for common/'s parser and the XDP
 * program.
 */
enum gs_icmp_kind { GS_ICMP_OTHER = 0, GS_ICMP_ECHO = 1, GS_ICMP_ERROR = 2 };

/* where an echo's identifier lies in its ICMP header */
#define GS_ICMP_ECHO_ID_OFF 4

GS_INLINE enum gs_icmp_kind gs_icmp_classify(uint32_t family, uint32_t type)
{
	if (family == GS_AF_INET) {
		if (type == 0 || type == 8)
			return GS_ICMP_ECHO;
		/* unreachable, source quench, redirect, time exceeded, parameter */
		if ((type >= 3 && type <= 5) || type == 11 || type == 12)
			return GS_ICMP_ERROR;
		return GS_ICMP_OTHER;
	}
	if (type == 128 || type == 129)
		return GS_ICMP_ECHO;
	/* unreachable, packet too big, time exceeded, parameter problem */
	if (type >= 1 && type <= 4)
		return GS_ICMP_ERROR;
	return GS_ICMP_OTHER;
}

/* an echo request and its reply are one flow: the identifier stands for
 * both ports (ICMP has none) */
GS_INLINE void gs_icmp_echo_ports(struct gs_tuple *t, uint16_t ident)
{
	t->sport = ident;
	t->dport = ident;
}

/* outer UDP source port for a flow: entropy for RSS/ECMP, never < 49152 */
GS_INLINE uint16_t gs_entropy_port(uint32_t flow_hash)
{
	return (uint16_t)(GS_ENTROPY_PORT_BASE | (flow_hash & GS_ENTROPY_PORT_MASK));
}

/*
 * The AWS flow cookie gsteer puts on a flow: its symmetric hash, so both
 * directions carry the same cookie, it never changes while the flow lives,
 * and both data planes (DPDK and XDP) write identical bytes.
 */
GS_INLINE uint32_t gs_flow_cookie(uint32_t flow_hash)
{
	return flow_hash;
}

#endif /* GS_FLOW_H */
