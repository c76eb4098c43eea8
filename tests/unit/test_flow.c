/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow key and its hash: symmetry as a property over many random
 * tuples, scoping (VNI, endpoint id, target group), stickiness modes, the lookup3
 * hash against an independent reference, and the entropy port range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_flow.h"
#include "gs_test.h"

#define N_RANDOM 100000

static const enum gs_stickiness modes[] = {
	GS_STICKY_5TUPLE, GS_STICKY_3TUPLE, GS_STICKY_2TUPLE,
};
#define N_MODES (sizeof(modes) / sizeof(modes[0]))

static void rng_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)gs_rng_next();
}

/*
 * A random tuple, biased toward the corner cases of the canonical order:
 * equal addresses (only ports decide), equal endpoints, addresses that
 * differ in their last byte only, and ports equal in one direction.
 */
static void random_tuple(struct gs_tuple *t)
{
	static const uint8_t protos[] = { GS_IPPROTO_TCP, GS_IPPROTO_UDP,
					  GS_IPPROTO_ICMP, GS_IPPROTO_ICMPV6,
					  132 /* SCTP */, GS_IPPROTO_ESP };
	uint64_t r = gs_rng_next();
	size_t alen;

	memset(t, 0, sizeof(*t));
	t->family = r & 1 ? GS_AF_INET6 : GS_AF_INET;
	alen = t->family == GS_AF_INET ? 4 : 16;
	rng_bytes(t->src, alen);
	switch ((r >> 1) & 7) {
	case 0: /* same host talks to itself */
		memcpy(t->dst, t->src, alen);
		break;
	case 1: /* neighbours: only the last byte differs */
		memcpy(t->dst, t->src, alen);
		t->dst[alen - 1] ^= (uint8_t)(1 + (r >> 8) % 255);
		break;
	default:
		rng_bytes(t->dst, alen);
		break;
	}
	t->proto = (r >> 4) & 1 ? protos[(r >> 16) % sizeof(protos)] :
				  (uint8_t)(r >> 24);
	t->sport = (uint16_t)gs_rng_next();
	switch ((r >> 5) & 7) {
	case 0:
		t->dport = t->sport;
		break;
	case 1:
		t->dport = 0;
		break;
	default:
		t->dport = (uint16_t)gs_rng_next();
		break;
	}
}

static void reverse(struct gs_tuple *r, const struct gs_tuple *t)
{
	*r = *t;
	memcpy(r->src, t->dst, 16);
	memcpy(r->dst, t->src, 16);
	r->sport = t->dport;
	r->dport = t->sport;
}

/* build into memory full of @fill, so unwritten bytes would show */
static int build_key(struct gs_flow_key *k, uint8_t fill,
		     const struct gs_tuple *t, enum gs_stickiness mode,
		     uint32_t vni, uint16_t group, uint64_t ep)
{
	memset(k, fill, sizeof(*k));
	return gs_flow_key_build(k, t, mode, vni, group, ep);
}

/* do the endpoints coincide once the mode has dropped what it ignores? */
static bool same_endpoints(const struct gs_tuple *t, enum gs_stickiness mode)
{
	if (memcmp(t->src, t->dst, 16) != 0)
		return false;
	return mode != GS_STICKY_5TUPLE || t->sport == t->dport;
}

/* ---- lookup3 reference ----------------------------------------------- */

/*
 * Bob Jenkins' lookup3.c hashword(), the generic loop as published (public
 * domain), written out again here so the unrolled 13-word version in
 * gs_flow.h is checked against code that shares nothing with it.
 */
#define rot(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

#define mix(a, b, c)                                                           \
	{                                                                      \
		a -= c; a ^= rot(c, 4); c += b;                                \
		b -= a; b ^= rot(a, 6); a += c;                                \
		c -= b; c ^= rot(b, 8); b += a;                                \
		a -= c; a ^= rot(c, 16); c += b;                               \
		b -= a; b ^= rot(a, 19); a += c;                               \
		c -= b; c ^= rot(b, 4); b += a;                                \
	}

#define final(a, b, c)                                                         \
	{                                                                      \
		c ^= b; c -= rot(b, 14);                                       \
		a ^= c; a -= rot(c, 11);                                       \
		b ^= a; b -= rot(a, 25);                                       \
		c ^= b; c -= rot(b, 16);                                       \
		a ^= c; a -= rot(c, 4);                                        \
		b ^= a; b -= rot(a, 14);                                       \
		c ^= b; c -= rot(b, 24);                                       \
	}

static uint32_t hashword(const uint32_t *k, size_t length, uint32_t initval)
{
	uint32_t a, b, c;

	a = b = c = 0xdeadbeef + (((uint32_t)length) << 2) + initval;
	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		mix(a, b, c);
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3:
		c += k[2];
		/* fall through */
	case 2:
		b += k[1];
		/* fall through */
	case 1:
		a += k[0];
		final(a, b, c);
		/* fall through */
	case 0:
		break;
	}
	return c;
}

/* ---- symmetry -------------------------------------------------------- */

static void test_symmetry_property(void)
{
	unsigned fail_key = 0, fail_hash = 0, fail_dir = 0, fail_order = 0;
	unsigned n_equal = 0, n_v4 = 0;

	gs_rng_state = 0x5eed;
	for (int i = 0; i < N_RANDOM; i++) {
		struct gs_tuple t, r;
		uint32_t vni = (uint32_t)gs_rng_next() & 0xFFFFFF;
		uint64_t ep = gs_rng_next() & 1 ? gs_rng_next() : 0;
		uint16_t group = (uint16_t)(gs_rng_next() % GS_MAX_TARGET_GROUPS);
		uint32_t seed = (uint32_t)gs_rng_next();

		random_tuple(&t);
		reverse(&r, &t);
		n_v4 += t.family == GS_AF_INET;
		for (size_t m = 0; m < N_MODES; m++) {
			struct gs_flow_key kf, kr;
			int df, dr;

			df = build_key(&kf, 0xAA, &t, modes[m], vni, group, ep);
			dr = build_key(&kr, 0x55, &r, modes[m], vni, group, ep);
			fail_key += memcmp(&kf, &kr, sizeof(kf)) != 0;
			fail_hash += gs_flow_hash(&kf, seed) != gs_flow_hash(&kr, seed);
			fail_order += gs_endpoint_cmp(kf.addr_lo, kf.port_lo,
						      kf.addr_hi, kf.port_hi) > 0;
			if (same_endpoints(&t, modes[m])) {
				n_equal++;
				fail_dir += df != GS_DIR_LO_TO_HI || dr != GS_DIR_LO_TO_HI;
			} else {
				fail_dir += !((df == GS_DIR_LO_TO_HI && dr == GS_DIR_HI_TO_LO) ||
					      (df == GS_DIR_HI_TO_LO && dr == GS_DIR_LO_TO_HI));
			}
		}
	}
	printf("\n    %d tuples (%u IPv4) x %zu modes, %u with equal endpoints ",
	       N_RANDOM, n_v4, N_MODES, n_equal);
	CU_ASSERT_EQUAL(fail_key, 0);
	CU_ASSERT_EQUAL(fail_hash, 0);
	CU_ASSERT_EQUAL(fail_dir, 0);
	CU_ASSERT_EQUAL(fail_order, 0);
	/* the generator really exercised both families and the tie cases */
	CU_ASSERT_TRUE(n_v4 > N_RANDOM / 3 && n_v4 < 2 * N_RANDOM / 3);
	CU_ASSERT_TRUE(n_equal > 1000);
}

/* the key holds exactly what the packet said, in the order it promises */
static void test_key_fields(void)
{
	struct gs_tuple t = { .sport = 40000, .dport = 443,
			      .proto = GS_IPPROTO_TCP, .family = GS_AF_INET };
	struct gs_flow_key k;
	static const uint8_t a[4] = { 10, 0, 0, 9 }, b[4] = { 10, 0, 0, 1 };
	int dir;

	memcpy(t.src, a, 4);
	memcpy(t.dst, b, 4);
	dir = build_key(&k, 0xAA, &t, GS_STICKY_5TUPLE, 0x12345678, 3,
			0x1122334455667788ull);
	/* 10.0.0.1 sorts first, so this packet travels hi -> lo */
	CU_ASSERT_EQUAL(dir, GS_DIR_HI_TO_LO);
	CU_ASSERT_EQUAL(memcmp(k.addr_lo, b, 4), 0);
	CU_ASSERT_EQUAL(memcmp(k.addr_hi, a, 4), 0);
	CU_ASSERT_EQUAL(k.port_lo, 443);
	CU_ASSERT_EQUAL(k.port_hi, 40000);
	/* a VNI is 24 bits; anything above cannot split a flow */
	CU_ASSERT_EQUAL(k.vni, 0x345678);
	CU_ASSERT_EQUAL(k.endpoint_id_lo, 0x55667788u);
	CU_ASSERT_EQUAL(k.endpoint_id_hi, 0x11223344u);
	CU_ASSERT_EQUAL(k.group, 3);
	CU_ASSERT_EQUAL(k.proto, GS_IPPROTO_TCP);
	CU_ASSERT_EQUAL(k.family, GS_AF_INET);
	for (int i = 4; i < 16; i++) {
		CU_ASSERT_EQUAL(k.addr_lo[i], 0);
		CU_ASSERT_EQUAL(k.addr_hi[i], 0);
	}
}

/* every byte is written: hashing raw memory must not see stack garbage */
static void test_key_fully_written(void)
{
	gs_rng_state = 11;
	for (int i = 0; i < 10000; i++) {
		struct gs_tuple t;
		struct gs_flow_key k1, k2;

		random_tuple(&t);
		for (size_t m = 0; m < N_MODES; m++) {
			build_key(&k1, 0x00, &t, modes[m], 7, 1, 99);
			build_key(&k2, 0xFF, &t, modes[m], 7, 1, 99);
			CU_ASSERT_EQUAL_FATAL(memcmp(&k1, &k2, sizeof(k1)), 0);
		}
	}
}

/* ---- scoping --------------------------------------------------------- */

static void test_scoping(void)
{
	unsigned same_vni = 0, same_ep = 0, same_group = 0, same_family = 0;

	gs_rng_state = 0xc0ffee;
	for (int i = 0; i < N_RANDOM / 10; i++) {
		struct gs_tuple t, t6;
		struct gs_flow_key k1, k2;
		uint32_t v1 = (uint32_t)gs_rng_next() & 0xFFFFFF;
		uint32_t v2 = (v1 + 1 + (uint32_t)gs_rng_next() % 0xFFFFFE) & 0xFFFFFF;
		uint64_t e1 = gs_rng_next();
		/* also ids that differ only in the high or only in the low half */
		uint64_t e2 = i % 3 == 0 ? e1 ^ (1ull << (32 + i % 32)) :
			      i % 3 == 1 ? e1 ^ (1ull << (i % 32)) : e1 + 1;
		uint16_t l1 = (uint16_t)gs_rng_next();

		random_tuple(&t);
		for (size_t m = 0; m < N_MODES; m++) {
			build_key(&k1, 0, &t, modes[m], v1, l1, e1);
			build_key(&k2, 0, &t, modes[m], v2, l1, e1);
			same_vni += memcmp(&k1, &k2, sizeof(k1)) == 0;
			build_key(&k2, 0, &t, modes[m], v1, l1, e2);
			same_ep += memcmp(&k1, &k2, sizeof(k1)) == 0;
			build_key(&k2, 0, &t, modes[m], v1, (uint16_t)(l1 + 1), e1);
			same_group += memcmp(&k1, &k2, sizeof(k1)) == 0;
			/* the same 4 address bytes as IPv6 are another flow */
			t6 = t;
			t6.family = t.family == GS_AF_INET ? GS_AF_INET6 : GS_AF_INET;
			build_key(&k2, 0, &t6, modes[m], v1, l1, e1);
			same_family += memcmp(&k1, &k2, sizeof(k1)) == 0;
		}
	}
	CU_ASSERT_EQUAL(same_vni, 0);
	CU_ASSERT_EQUAL(same_ep, 0);
	CU_ASSERT_EQUAL(same_group, 0);
	CU_ASSERT_EQUAL(same_family, 0);
}

/* ---- stickiness modes ------------------------------------------------ */

static void test_modes(void)
{
	unsigned bad3_ports = 0, bad3_proto = 0, bad2 = 0, bad5 = 0;

	gs_rng_state = 0xfeed;
	for (int i = 0; i < N_RANDOM / 10; i++) {
		struct gs_tuple t, u;
		struct gs_flow_key k1, k2;

		do {
			random_tuple(&t);
		} while (!memcmp(t.src, t.dst, 16)); /* keep the swap case apart */
		u = t;
		u.sport = (uint16_t)(t.sport + 1 + gs_rng_next() % 65535);
		u.dport = (uint16_t)gs_rng_next();

		/* 5-tuple: another source port is another flow */
		build_key(&k1, 0, &t, GS_STICKY_5TUPLE, 1, 0, 0);
		build_key(&k2, 0, &u, GS_STICKY_5TUPLE, 1, 0, 0);
		bad5 += memcmp(&k1, &k2, sizeof(k1)) == 0;

		/* 3-tuple: ports do not matter, the protocol does */
		build_key(&k1, 0, &t, GS_STICKY_3TUPLE, 1, 0, 0);
		build_key(&k2, 0, &u, GS_STICKY_3TUPLE, 1, 0, 0);
		bad3_ports += memcmp(&k1, &k2, sizeof(k1)) != 0;
		bad3_ports += k1.port_lo != 0 || k1.port_hi != 0;
		u.proto = (uint8_t)(t.proto + 1);
		build_key(&k2, 0, &u, GS_STICKY_3TUPLE, 1, 0, 0);
		bad3_proto += memcmp(&k1, &k2, sizeof(k1)) == 0;

		/* 2-tuple: neither ports nor protocol */
		build_key(&k1, 0, &t, GS_STICKY_2TUPLE, 1, 0, 0);
		build_key(&k2, 0, &u, GS_STICKY_2TUPLE, 1, 0, 0);
		bad2 += memcmp(&k1, &k2, sizeof(k1)) != 0;
		bad2 += k1.proto != 0 || k1.port_lo != 0 || k1.port_hi != 0;
		/* but still the addresses */
		u.dst[0] ^= 0x80;
		build_key(&k2, 0, &u, GS_STICKY_2TUPLE, 1, 0, 0);
		bad2 += memcmp(&k1, &k2, sizeof(k1)) == 0;
	}
	CU_ASSERT_EQUAL(bad5, 0);
	CU_ASSERT_EQUAL(bad3_ports, 0);
	CU_ASSERT_EQUAL(bad3_proto, 0);
	CU_ASSERT_EQUAL(bad2, 0);
}

/* equal addresses: the ports alone order the key, in 5-tuple mode */
static void test_equal_addresses(void)
{
	struct gs_tuple t = { .sport = 5000, .dport = 80,
			      .proto = GS_IPPROTO_UDP, .family = GS_AF_INET6 };
	struct gs_tuple r;
	struct gs_flow_key k1, k2;

	memset(t.src, 0x20, 16);
	memcpy(t.dst, t.src, 16);
	reverse(&r, &t);
	CU_ASSERT_EQUAL(build_key(&k1, 0, &t, GS_STICKY_5TUPLE, 0, 0, 0), GS_DIR_HI_TO_LO);
	CU_ASSERT_EQUAL(build_key(&k2, 0, &r, GS_STICKY_5TUPLE, 0, 0, 0), GS_DIR_LO_TO_HI);
	CU_ASSERT_EQUAL(k1.port_lo, 80);
	CU_ASSERT_EQUAL(k1.port_hi, 5000);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	/* with ports ignored both are the same endpoint: one fixed direction */
	CU_ASSERT_EQUAL(build_key(&k1, 0, &t, GS_STICKY_3TUPLE, 0, 0, 0), GS_DIR_LO_TO_HI);
	CU_ASSERT_EQUAL(build_key(&k2, 0, &r, GS_STICKY_3TUPLE, 0, 0, 0), GS_DIR_LO_TO_HI);
}

/* ---- hash ------------------------------------------------------------ */

static void test_jhash_reference_random(void)
{
	unsigned bad = 0;

	gs_rng_state = 0x10c3;
	for (int i = 0; i < N_RANDOM; i++) {
		uint32_t k[GS_FLOW_KEY_WORDS];
		uint32_t seed = (uint32_t)gs_rng_next();

		for (int j = 0; j < GS_FLOW_KEY_WORDS; j++)
			k[j] = (uint32_t)gs_rng_next();
		bad += gs_jhash_13words(k, seed) != hashword(k, GS_FLOW_KEY_WORDS, seed);
	}
	CU_ASSERT_EQUAL(bad, 0);

	/* and on real keys, through gs_flow_hash */
	gs_rng_state = 0x10c4;
	bad = 0;
	for (int i = 0; i < N_RANDOM / 10; i++) {
		struct gs_tuple t;
		struct gs_flow_key key;
		uint32_t w[GS_FLOW_KEY_WORDS];

		random_tuple(&t);
		build_key(&key, 0, &t, GS_STICKY_5TUPLE, (uint32_t)gs_rng_next(), 2, gs_rng_next());
		memcpy(w, &key, sizeof(w));
		bad += gs_flow_hash(&key, GS_DEFAULT_HASH_SEED) !=
		       hashword(w, GS_FLOW_KEY_WORDS, GS_DEFAULT_HASH_SEED);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/*
 * Fixed answers computed with DPDK 22.11 rte_jhash_32b(k, 13, seed), a third
 * implementation of lookup3 hashword(): they catch a bug that the reference
 * above might share by accident with gs_flow.h.
 */
static void test_jhash_known_answers(void)
{
	static const uint32_t seeds[5] = { 0, 1, 0x6773746Eu, 0xdeadbeefu, 0xffffffffu };
	static const uint32_t want[4][5] = {
		{ 0xccf2034c, 0xed318a02, 0x95f695da, 0xa833ddc5, 0x00ecb4d0 },
		{ 0x1d934292, 0x5dd4dfe8, 0x3394556b, 0xf7bea845, 0xd147bb34 },
		{ 0x1cd8804f, 0xde623f8d, 0x8ae9da4b, 0x39c2a920, 0xc7e33a52 },
		{ 0x5d83ac15, 0x7979b7b0, 0xb9c4f09f, 0x037393ad, 0x6536b593 },
	};

	for (int in = 0; in < 4; in++) {
		uint32_t k[GS_FLOW_KEY_WORDS];

		/* zeros; 0..12; all ones; (i + 1) * golden ratio */
		for (int i = 0; i < GS_FLOW_KEY_WORDS; i++)
			k[i] = in == 0 ? 0 : in == 1 ? (uint32_t)i :
			       in == 2 ? 0xffffffffu : (uint32_t)(i + 1) * 0x9e3779b9u;
		for (int s = 0; s < 5; s++) {
			CU_ASSERT_EQUAL(gs_jhash_13words(k, seeds[s]), want[in][s]);
			CU_ASSERT_EQUAL(hashword(k, GS_FLOW_KEY_WORDS, seeds[s]), want[in][s]);
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* distinct flows get distinct hashes, and the seed changes them all */
static void test_hash_spread(void)
{
	uint32_t *h = malloc(N_RANDOM * sizeof(*h));
	unsigned dup = 0, same_seed = 0;

	CU_ASSERT_FATAL(h != NULL);
	gs_rng_state = 0xabc;
	for (int i = 0; i < N_RANDOM; i++) {
		struct gs_tuple t;
		struct gs_flow_key k;

		/* near-identical flows: one client, sequential source ports */
		memset(&t, 0, sizeof(t));
		t.family = GS_AF_INET;
		t.src[0] = 10;
		t.src[3] = (uint8_t)(i >> 16);
		t.dst[0] = 192;
		t.dst[3] = 1;
		t.sport = (uint16_t)i;
		t.dport = 443;
		t.proto = GS_IPPROTO_TCP;
		build_key(&k, 0, &t, GS_STICKY_5TUPLE, 5, 0, 0);
		h[i] = gs_flow_hash(&k, GS_DEFAULT_HASH_SEED);
		same_seed += h[i] == gs_flow_hash(&k, GS_DEFAULT_HASH_SEED + 1);
	}
	qsort(h, N_RANDOM, sizeof(*h), cmp_u32);
	for (int i = 1; i < N_RANDOM; i++)
		dup += h[i] == h[i - 1];
	/* ~1.2 collisions expected among 100k 32-bit values */
	printf("\n    %u hash collisions among %d similar flows ", dup, N_RANDOM);
	CU_ASSERT_TRUE(dup <= 10);
	CU_ASSERT_TRUE(same_seed <= 10);
	free(h);
}

/* ---- entropy port and cookie ----------------------------------------- */

static void test_entropy_port(void)
{
	static const uint32_t edge[] = { 0, 1, 0x3FFF, 0x4000, 0xC000, 0xFFFF,
					 0x10000, 0x7FFFFFFF, 0xFFFFFFFF };
	uint32_t seen_lo = 0xFFFF, seen_hi = 0;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		CU_ASSERT_TRUE(gs_entropy_port(edge[i]) >= 49152);
	gs_rng_state = 0xe7;
	for (int i = 0; i < N_RANDOM; i++) {
		uint16_t p = gs_entropy_port((uint32_t)gs_rng_next());

		CU_ASSERT_TRUE_FATAL(p >= 49152);
		seen_lo = p < seen_lo ? p : seen_lo;
		seen_hi = p > seen_hi ? p : seen_hi;
	}
	/* it spreads over the whole dynamic range, not a corner of it */
	CU_ASSERT_TRUE(seen_lo < 49152 + 64);
	CU_ASSERT_TRUE(seen_hi > 65535 - 64);
	/* different hashes give different ports (RSS entropy) */
	CU_ASSERT_NOT_EQUAL(gs_entropy_port(1), gs_entropy_port(2));
}

static void test_cookie_symmetric(void)
{
	gs_rng_state = 0xc00c;
	for (int i = 0; i < 10000; i++) {
		struct gs_tuple t, r;
		struct gs_flow_key kf, kr;

		random_tuple(&t);
		reverse(&r, &t);
		build_key(&kf, 0, &t, GS_STICKY_5TUPLE, 9, 1, 0);
		build_key(&kr, 0, &r, GS_STICKY_5TUPLE, 9, 1, 0);
		CU_ASSERT_EQUAL_FATAL(gs_flow_cookie(gs_flow_hash(&kf, 3)),
				      gs_flow_cookie(gs_flow_hash(&kr, 3)));
	}
}

static const struct gs_test_case key_cases[] = {
	{ "symmetry_property", test_symmetry_property },
	{ "key_fields", test_key_fields },
	{ "key_fully_written", test_key_fully_written },
	{ "scoping", test_scoping },
	{ "modes", test_modes },
	{ "equal_addresses", test_equal_addresses },
	{ NULL, NULL },
};

static const struct gs_test_case hash_cases[] = {
	{ "jhash_reference_random", test_jhash_reference_random },
	{ "jhash_known_answers", test_jhash_known_answers },
	{ "hash_spread", test_hash_spread },
	{ "entropy_port", test_entropy_port },
	{ "cookie_symmetric", test_cookie_symmetric },
	{ NULL, NULL },
};

static const struct gs_test_suite suites[] = {
	{ "flow_key", key_cases },
	{ "flow_hash", hash_cases },
	{ NULL, NULL },
};

int main(void)
{
	return gs_test_run(suites);
}
