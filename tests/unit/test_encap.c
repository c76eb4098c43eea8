/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GENEVE option area and outer header builders (common/gs_encap.c), and the
 * round trip build -> parse.
 *
 * The reference frames were built with scapy 2.5 (Debian's /usr/bin/python3),
 * an implementation independent of ours: the header gsteer writes must equal
 * their first bytes exactly, IPv6 UDP checksum included.
 */
#include <string.h>

#include "gs_config.h"
#include "gs_encap.h"
#include "gs_probe.h"
#include "gs_test.h"

/* scapy: Ether(dst=02:..:02, src=02:..:01)/IP(src=192.0.2.1, dst=192.0.2.2, ttl=64, id=0, flags=0)/UDP(sport=0xC123, dport=6081, chksum=0)/GENEVE(optionlen=<explicit: scapy 2.5 masks it with 0x2f>, vni=0x123456, proto=0x0800, options=[endpoint 0x1122334455667788, attachment 0x99AABBCCDDEEFF00, cookie 0xDEADBEEF, GeneveOptions(classid=0x0101, type=5, data=a1a2a3a4), GeneveOptions(classid=0x0102, type=6, data=b0..b7)])/IP(src=10.1.0.1, dst=10.2.0.1, id=9)/UDP(sport=1234, dport=80)/'hello' */
static const uint8_t enc_v4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x79, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11,
	0xf6, 0x70, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0xc1, 0x23,
	0x17, 0xc1, 0x00, 0x65, 0x00, 0x00, 0x0d, 0x00, 0x08, 0x00, 0x12, 0x34,
	0x56, 0x00, 0x01, 0x08, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	0x77, 0x88, 0x01, 0x08, 0x02, 0x02, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0xff, 0x00, 0x01, 0x08, 0x03, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x01,
	0x05, 0x01, 0xa1, 0xa2, 0xa3, 0xa4, 0x01, 0x02, 0x06, 0x02, 0xb0, 0xb1,
	0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0x45, 0x00, 0x00, 0x21, 0x00, 0x09,
	0x00, 0x00, 0x40, 0x11, 0x66, 0xbf, 0x0a, 0x01, 0x00, 0x01, 0x0a, 0x02,
	0x00, 0x01, 0x04, 0xd2, 0x00, 0x50, 0x00, 0x0d, 0xa2, 0xdb, 0x68, 0x65,
	0x6c, 0x6c, 0x6f,
};

/* scapy: Ether(dst=02:..:0b, src=02:..:0a)/Dot1Q(vlan=100)/IPv6(src=2001:db8::1, dst=2001:db8::2, hlim=64)/UDP(sport=0xC456, dport=6081)/GENEVE(optionlen=<explicit: scapy 2.5 masks it with 0x2f>, vni=0xABCDEF, proto=0x86DD, oam=1, options=[endpoint 0x0102030405060708, attachment 0x1112131415161718, cookie 0x01020304, GeneveOptions(classid=0xFFF0, type=1, data=20..2f)])/IPv6(src=2001:db8:1::1, dst=2001:db8:2::1)/TCP(sport=5555, dport=443, flags=S, seq=1)/'x' -- UDP checksum computed by scapy */
static const uint8_t enc_v6[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
	0x81, 0x00, 0x00, 0x64, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x81,
	0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc4, 0x56,
	0x17, 0xc1, 0x00, 0x81, 0x8a, 0x37, 0x0d, 0x80, 0x86, 0xdd, 0xab, 0xcd,
	0xef, 0x00, 0x01, 0x08, 0x01, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x01, 0x08, 0x02, 0x02, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x01, 0x08, 0x03, 0x01, 0x01, 0x02, 0x03, 0x04, 0xff, 0xf0,
	0x01, 0x04, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
	0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x60, 0x00, 0x00, 0x00, 0x00, 0x15,
	0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x15, 0xb3,
	0x01, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02,
	0x20, 0x00, 0xa4, 0xfb, 0x00, 0x00, 0x78,
};


/* header lengths of the two reference frames */
#define V4_OPTS_LEN 52
#define V4_HDR_LEN (14 + 20 + 8 + 8 + V4_OPTS_LEN)
#define V6_OPTS_LEN 52
#define V6_HDR_LEN (14 + 4 + 40 + 8 + 8 + V6_OPTS_LEN)

/* the two unknown options of enc_v4, as a received option area holds them */
static const uint8_t carry_area[] = {
	0xEE, 0xEE, 0xEE, 0xEE, /* something not carried */
	0x01, 0x01, 0x05, 0x01, 0xa1, 0xa2, 0xa3, 0xa4,
	0x01, 0x02, 0x06, 0x02, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
};
static const struct gs_geneve_opt_ref carry_refs[] = {
	{ .off = 4, .len = 8 }, { .off = 12, .len = 12 },
};

static const uint8_t probe_data[GS_PROBE_OPT_DATA_LEN] = {
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static void test_opts_write_all(void)
{
	/* written out by hand from the AWS GWLB option layout */
	static const uint8_t want[] = {
		0x01, 0x08, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88,
		0x01, 0x08, 0x02, 0x02, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE,
		0xFF, 0x00,
		0x01, 0x08, 0x03, 0x01, 0xDE, 0xAD, 0xBE, 0xEF,
		0x01, 0x01, 0x05, 0x01, 0xa1, 0xa2, 0xa3, 0xa4,
		0x01, 0x02, 0x06, 0x02, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
		0xb6, 0xb7,
		0xFF, 0xF0, 0x01, 0x04, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
		0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	};
	const struct gs_opts_spec s = {
		.with_endpoint_id = true, .endpoint_id = 0x1122334455667788ull,
		.with_attachment_id = true,
		.attachment_id = 0x99AABBCCDDEEFF00ull,
		.with_cookie = true, .cookie = 0xDEADBEEF,
		.carry_area = carry_area, .n_carry = 2, .carry = carry_refs,
		.probe_data = probe_data,
	};
	uint8_t out[GS_GENEVE_MAX_OPTS_LEN];

	CU_ASSERT_EQUAL_FATAL(gs_geneve_opts_write(out, sizeof(out), &s),
			      (int)sizeof(want));
	gs_check_bytes(out, want, sizeof(want));
}

static void test_opts_write_subsets(void)
{
	static const uint8_t cookie_only[] = { 0x01, 0x08, 0x03, 0x01,
					       0x00, 0x00, 0x00, 0x2A };
	struct gs_opts_spec s = { .with_cookie = true, .cookie = 42 };
	uint8_t out[64];

	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, sizeof(out), &s), 8);
	gs_check_bytes(out, cookie_only, 8);
	/* the exact fit is enough */
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, 8, &s), 8);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, 0, &s), 0);
}

static void test_opts_write_limits(void)
{
	/* 7 carried options of 32 bytes: 224, plus the 32 of AWS = 256 */
	uint8_t area[224] = { 0 };
	struct gs_geneve_opt_ref refs[7];
	struct gs_opts_spec s = {
		.with_endpoint_id = true, .with_attachment_id = true,
		.with_cookie = true, .carry_area = area, .carry = refs,
		.n_carry = 7,
	};
	uint8_t out[300];
	unsigned i;

	for (i = 0; i < 7; i++) {
		refs[i].off = (uint16_t)(32 * i);
		refs[i].len = 32;
		area[32 * i + 3] = 7;
	}
	memset(out, 0x33, sizeof(out));
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, sizeof(out), &s), -1);
	/* nothing is written by a call that fails */
	CU_ASSERT_EQUAL(out[0], 0x33);
	/* 6 carried + AWS: 224 bytes, fits 252 but not a 223-byte buffer */
	s.n_carry = 6;
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, 223, &s), -1);
	CU_ASSERT_EQUAL(out[0], 0x33);
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, 224, &s), 224);
	/* exactly the 252-byte limit, then one word past it */
	refs[5].len = 60;
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, sizeof(out), &s), 252);
	refs[5].len = 64;
	CU_ASSERT_EQUAL(gs_geneve_opts_write(out, sizeof(out), &s), -1);
}

static uint16_t v4_opts(uint8_t *opts)
{
	const struct gs_opts_spec s = {
		.with_endpoint_id = true, .endpoint_id = 0x1122334455667788ull,
		.with_attachment_id = true,
		.attachment_id = 0x99AABBCCDDEEFF00ull,
		.with_cookie = true, .cookie = 0xDEADBEEF,
		.carry_area = carry_area, .n_carry = 2, .carry = carry_refs,
	};

	return (uint16_t)gs_geneve_opts_write(opts, GS_GENEVE_MAX_OPTS_LEN, &s);
}

static void v4_encap(struct gs_encap *e, const uint8_t *opts, uint16_t len)
{
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 };

	memset(e, 0, sizeof(*e));
	memcpy(e->dst_mac, dmac, 6);
	memcpy(e->src_mac, smac, 6);
	e->family = GS_AF_INET;
	memcpy(e->src, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(e->dst, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	e->ttl = 64;
	e->sport = 0xC123;
	e->dport = GS_GENEVE_UDP_PORT;
	e->vni = 0x123456;
	e->protocol = GS_ETHERTYPE_IPV4;
	e->opts = opts;
	e->opts_len = len;
	e->payload_len = sizeof(enc_v4) - V4_HDR_LEN;
}

static void test_encap_ipv4(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], out[GS_MAX_ENCAP_LEN];
	struct gs_encap e;

	v4_encap(&e, opts, v4_opts(opts));
	CU_ASSERT_EQUAL_FATAL(e.opts_len, V4_OPTS_LEN);
	CU_ASSERT_EQUAL(gs_encap_len(&e), V4_HDR_LEN);
	/* IPv4 needs no payload bytes: its UDP checksum is zero */
	CU_ASSERT_EQUAL_FATAL(gs_encap_write(out, sizeof(out), &e), V4_HDR_LEN);
	gs_check_bytes(out, enc_v4, V4_HDR_LEN);
	/* VNI bits above 24 do not leak into the reserved byte */
	e.vni |= 0xFF000000u;
	gs_encap_write(out, sizeof(out), &e);
	gs_check_bytes(out, enc_v4, V4_HDR_LEN);
}

static void v6_encap(struct gs_encap *e, uint8_t *opts)
{
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 0x0b };
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 0x0a };
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const struct gs_opts_spec s = {
		.with_endpoint_id = true, .endpoint_id = 0x0102030405060708ull,
		.with_attachment_id = true,
		.attachment_id = 0x1112131415161718ull,
		.with_cookie = true, .cookie = 0x01020304,
		.probe_data = probe_data,
	};

	memset(e, 0, sizeof(*e));
	memcpy(e->dst_mac, dmac, 6);
	memcpy(e->src_mac, smac, 6);
	e->vlan_tci = 100;
	e->family = GS_AF_INET6;
	memcpy(e->src, src, 16);
	memcpy(e->dst, dst, 16);
	e->ttl = 64;
	e->sport = 0xC456;
	e->dport = GS_GENEVE_UDP_PORT;
	e->vni = 0xABCDEF;
	e->protocol = GS_ETHERTYPE_IPV6;
	e->oam = true;
	e->opts = opts;
	e->opts_len = (uint16_t)gs_geneve_opts_write(
		opts, GS_GENEVE_MAX_OPTS_LEN, &s);
	e->payload = enc_v6 + V6_HDR_LEN;
	e->payload_len = sizeof(enc_v6) - V6_HDR_LEN;
}

static void test_encap_ipv6_vlan(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], out[GS_MAX_ENCAP_LEN];
	struct gs_encap e;

	v6_encap(&e, opts);
	CU_ASSERT_EQUAL_FATAL(e.opts_len, V6_OPTS_LEN);
	CU_ASSERT_EQUAL(gs_encap_len(&e), V6_HDR_LEN);
	CU_ASSERT_EQUAL_FATAL(gs_encap_write(out, sizeof(out), &e), V6_HDR_LEN);
	/* scapy's UDP checksum 0x8a37 over an odd-length payload included */
	CU_ASSERT_EQUAL(out[18 + 40 + 6], 0x8a);
	CU_ASSERT_EQUAL(out[18 + 40 + 7], 0x37);
	gs_check_bytes(out, enc_v6, V6_HDR_LEN);
}

/* a checksum that computes to zero goes out as 0xFFFF (RFC 8200 §8.1) */
static void test_encap_ipv6_csum_zero(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], out[GS_MAX_ENCAP_LEN];
	uint8_t payload[2] = { 0, 0 };
	struct gs_encap e;
	uint16_t c;

	v6_encap(&e, opts);
	e.payload = payload;
	e.payload_len = 2;
	gs_encap_write(out, sizeof(out), &e);
	c = (uint16_t)(out[64] << 8 | out[65]);
	/* adding the checksum itself as data makes the sum 0xFFFF */
	payload[0] = (uint8_t)(c >> 8);
	payload[1] = (uint8_t)c;
	CU_ASSERT_EQUAL_FATAL(gs_encap_write(out, sizeof(out), &e), V6_HDR_LEN);
	CU_ASSERT_EQUAL(out[64], 0xFF);
	CU_ASSERT_EQUAL(out[65], 0xFF);
}

static void test_encap_rejects(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], out[GS_MAX_ENCAP_LEN];
	struct gs_encap e;

	v6_encap(&e, opts);
	memset(out, 0x33, sizeof(out));
	CU_ASSERT_EQUAL(gs_encap_write(out, V6_HDR_LEN - 1, &e), -1);
	CU_ASSERT_EQUAL(out[0], 0x33);
	CU_ASSERT_EQUAL(gs_encap_write(out, V6_HDR_LEN, &e), V6_HDR_LEN);
	/* IPv6 cannot go without the payload its checksum covers */
	e.payload = NULL;
	CU_ASSERT_EQUAL(gs_encap_write(out, sizeof(out), &e), -1);
	v6_encap(&e, opts);
	e.family = 5;
	CU_ASSERT_EQUAL(gs_encap_write(out, sizeof(out), &e), -1);
	/* an IPv4 total length beyond 16 bits */
	v4_encap(&e, opts, v4_opts(opts));
	e.payload_len = 65535 - 20 - 8 - 8 - V4_OPTS_LEN + 1;
	CU_ASSERT_EQUAL(gs_encap_write(out, sizeof(out), &e), -1);
	e.payload_len--;
	CU_ASSERT_EQUAL(gs_encap_write(out, sizeof(out), &e), V4_HDR_LEN);
	/* an option area GENEVE cannot describe */
	e.opts_len = 6;
	CU_ASSERT_EQUAL(gs_encap_write(out, sizeof(out), &e), -1);
}

/* ---- round trip ---------------------------------------------------------- */

struct parsed {
	struct gs_eth eth;
	struct gs_ip ip;
	uint16_t sport, dport, udp_len, udp_csum;
	struct gs_geneve g;
	const uint8_t *opts;
	struct gs_inner inner;
};

static void parse_frame(const uint8_t *f, uint32_t len, struct parsed *p)
{
	const uint8_t *udp;
	uint32_t off;

	gs_check_reason("eth", gs_parse_eth(f, len, &p->eth), GS_R_OK);
	off = p->eth.hdr_len;
	gs_check_reason("ip", gs_parse_ip(f + off, len - off, 0, true, &p->ip),
		     GS_R_OK);
	CU_ASSERT_EQUAL_FATAL(p->ip.proto, GS_IPPROTO_UDP);
	udp = f + off + p->ip.hdr_len;
	p->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	p->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	p->udp_len = (uint16_t)(udp[4] << 8 | udp[5]);
	p->udp_csum = (uint16_t)(udp[6] << 8 | udp[7]);
	CU_ASSERT_EQUAL(p->udp_len, p->ip.tot_len - p->ip.hdr_len);
	gs_check_reason("geneve", gs_parse_geneve(udp + 8, p->udp_len - 8, &p->g),
		     GS_R_OK);
	p->opts = udp + 8 + GS_GENEVE_HDR_LEN;
	gs_check_reason("inner", gs_parse_inner(udp + 8 + p->g.hdr_len,
					     p->udp_len - 8 - p->g.hdr_len,
					     p->g.protocol, &p->inner),
		     GS_R_OK);
}

/* build a frame around the reference payload, then read it all back */
static void test_round_trip_ipv4(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], f[256];
	struct gs_encap e;
	struct parsed p;
	int n;

	v4_encap(&e, opts, v4_opts(opts));
	e.ttl = 2;
	n = gs_encap_write(f, sizeof(f), &e);
	CU_ASSERT_EQUAL_FATAL(n, V4_HDR_LEN);
	memcpy(f + n, enc_v4 + V4_HDR_LEN, e.payload_len);
	parse_frame(f, n + e.payload_len, &p);

	CU_ASSERT_EQUAL(p.eth.ethertype, GS_ETHERTYPE_IPV4);
	CU_ASSERT_EQUAL(p.eth.n_vlans, 0);
	CU_ASSERT_EQUAL(p.ip.ttl, 2);
	CU_ASSERT_EQUAL(memcmp(p.ip.src, e.src, 4), 0);
	CU_ASSERT_EQUAL(memcmp(p.ip.dst, e.dst, 4), 0);
	CU_ASSERT_FALSE(p.ip.is_fragment);
	CU_ASSERT_EQUAL(p.sport, 0xC123);
	CU_ASSERT_EQUAL(p.dport, GS_GENEVE_UDP_PORT);
	CU_ASSERT_EQUAL(p.udp_csum, 0);
	CU_ASSERT_EQUAL(p.g.vni, 0x123456);
	CU_ASSERT_EQUAL(p.g.endpoint_id, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(p.g.attachment_id, 0x99AABBCCDDEEFF00ull);
	CU_ASSERT_EQUAL(p.g.cookie, 0xDEADBEEF);
	CU_ASSERT_FALSE(p.g.has_probe);
	/* the carried options, byte for byte and in order */
	CU_ASSERT_EQUAL_FATAL(p.g.n_other, 2);
	gs_check_bytes(p.opts + p.g.other[0].off, carry_area + 4, 8);
	gs_check_bytes(p.opts + p.g.other[1].off, carry_area + 12, 12);
	CU_ASSERT_TRUE(p.g.other[0].off < p.g.other[1].off);
	CU_ASSERT_EQUAL(p.inner.tuple.sport, 1234);
	CU_ASSERT_EQUAL(p.inner.tuple.dport, 80);
}

static void test_round_trip_ipv6(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN], f[256];
	struct gs_encap e;
	struct parsed p;
	int n;

	v6_encap(&e, opts);
	e.critical = true;
	n = gs_encap_write(f, sizeof(f), &e);
	CU_ASSERT_EQUAL_FATAL(n, V6_HDR_LEN);
	memcpy(f + n, e.payload, e.payload_len);
	parse_frame(f, n + e.payload_len, &p);

	CU_ASSERT_EQUAL(p.eth.ethertype, GS_ETHERTYPE_IPV6);
	CU_ASSERT_EQUAL(p.eth.vlan_tci, 100);
	CU_ASSERT_EQUAL(p.ip.family, GS_AF_INET6);
	CU_ASSERT_EQUAL(p.ip.ttl, 64);
	CU_ASSERT_EQUAL(memcmp(p.ip.src, e.src, 16), 0);
	CU_ASSERT_TRUE(p.g.oam);
	CU_ASSERT_TRUE(p.g.critical);
	CU_ASSERT_EQUAL(p.g.protocol, GS_ETHERTYPE_IPV6);
	CU_ASSERT_EQUAL(p.g.cookie, 0x01020304);
	CU_ASSERT_TRUE(p.g.has_probe);
	gs_check_bytes(p.opts + p.g.probe_off, probe_data, GS_PROBE_OPT_DATA_LEN);
	CU_ASSERT_EQUAL(p.g.n_other, 0);
	CU_ASSERT_EQUAL(p.inner.tuple.family, GS_AF_INET6);
	CU_ASSERT_EQUAL(p.inner.tuple.dport, 443);
	/* the UDP checksum verifies: pseudo-header + datagram fold to 0 */
	{
		const uint8_t *udp = f + 18 + 40;
		uint8_t tail[8] = { 0, 0, (uint8_t)(p.udp_len >> 8),
				   (uint8_t)p.udp_len, 0, 0, 0, 17 };
		uint32_t sum = gs_csum_partial(f + 18 + 8, 32, 0);

		sum = gs_csum_partial(udp, p.udp_len, sum);
		CU_ASSERT_EQUAL(gs_csum_fold(gs_csum_partial(tail, 8, sum)), 0);
	}
}

/*
 * What an appliance returns is re-sent with the same option area: parsing
 * a received frame and writing its options back gives the identical bytes,
 * unknown options where they were.
 */
static void test_round_trip_recarry(void)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN];
	struct parsed p;
	struct gs_opts_spec s = { 0 };

	parse_frame(enc_v4, sizeof(enc_v4), &p);
	s.with_endpoint_id = p.g.has_endpoint_id;
	s.endpoint_id = p.g.endpoint_id;
	s.with_attachment_id = p.g.has_attachment_id;
	s.attachment_id = p.g.attachment_id;
	s.with_cookie = p.g.has_cookie;
	s.cookie = p.g.cookie;
	s.carry_area = p.opts;
	s.carry = p.g.other;
	s.n_carry = p.g.n_other;
	CU_ASSERT_EQUAL_FATAL(gs_geneve_opts_write(opts, sizeof(opts), &s),
			      p.g.opts_len);
	gs_check_bytes(opts, p.opts, p.g.opts_len);
}

static const struct gs_test_case opts_cases[] = {
	{ "write_all", test_opts_write_all },
	{ "write_subsets", test_opts_write_subsets },
	{ "write_limits", test_opts_write_limits },
	{ NULL, NULL },
};

static const struct gs_test_case encap_cases[] = {
	{ "ipv4", test_encap_ipv4 },
	{ "ipv6_vlan", test_encap_ipv6_vlan },
	{ "ipv6_csum_zero", test_encap_ipv6_csum_zero },
	{ "rejects", test_encap_rejects },
	{ NULL, NULL },
};

static const struct gs_test_case round_trip_cases[] = {
	{ "ipv4", test_round_trip_ipv4 },
	{ "ipv6", test_round_trip_ipv6 },
	{ "recarry", test_round_trip_recarry },
	{ NULL, NULL },
};

/* expected bytes of gs_probe_frame(), built with scapy (see the comment
 * at test_probe_frame) */
static const uint8_t probe_frame_v4[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11,
	0x66, 0x60, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x09, 0xc0, 0x03,
	0x17, 0xc1, 0x00, 0x70, 0x00, 0x00, 0x0d, 0x00, 0x08, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x08, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x08, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x08, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0,
	0x01, 0x04, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x45, 0x00, 0x00, 0x2c, 0x00, 0x00,
	0x00, 0x00, 0x40, 0x11, 0x66, 0xb8, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
	0x00, 0x09, 0x17, 0xc2, 0x17, 0xc2, 0x00, 0x18, 0x11, 0x89, 0x67, 0x73,
	0x74, 0x65, 0x65, 0x72, 0x20, 0x69, 0x6e, 0x2d, 0x62, 0x61, 0x6e, 0x64,
	0x0a, 0x00,
};
static const uint8_t probe_frame_v6[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x84, 0x11, 0x40, 0xfd, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0xc0, 0x03, 0x17, 0xc1, 0x00, 0x84,
	0xe5, 0xb6, 0x0d, 0x00, 0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0, 0x01, 0x04, 0x00, 0x01,
	0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x11, 0x40, 0xfd, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x17, 0xc2, 0x17, 0xc2, 0x00, 0x18,
	0x2b, 0x87, 0x67, 0x73, 0x74, 0x65, 0x65, 0x72, 0x20, 0x69, 0x6e, 0x2d,
	0x62, 0x61, 0x6e, 0x64, 0x0a, 0x00,
};

/*
 * The in-band probe frame, both families, against scapy's:
 *   Ether(src=02:00:00:00:00:01) / IP(10.0.0.1 > 10.0.0.9, ttl 64, id 0) /
 *   UDP(0xC003 > 6081, chksum 0) / GENEVE(VNI 0, AWS ids and cookie all zero,
 *   option 0xFFF0/1 carrying bytes 0..15) / IP(same addresses) /
 *   UDP(6082 > 6082) / "gsteer in-band\n\0"
 * and the same over IPv6 (fd00::1 > fd00::9, outer UDP checksum computed).
 */
static void probe_frame_case(uint8_t family, const char *src, const char *dst,
			     const uint8_t *want, uint32_t want_len)
{
	uint8_t data[GS_PROBE_OPT_DATA_LEN], buf[512];
	struct gs_probe_spec spec = { .src_mac = { 2, 0, 0, 0, 0, 1 }, .family = family,
				      .sport = 0xC003, .data = data };
	struct gs_ipaddr a;
	uint32_t off = 0;
	int len;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	CU_ASSERT_EQUAL_FATAL(gs_ipaddr_parse(src, &a), 0);
	memcpy(spec.src, a.a, 16);
	CU_ASSERT_EQUAL_FATAL(gs_ipaddr_parse(dst, &a), 0);
	memcpy(spec.dst, a.a, 16);
	len = gs_probe_frame(&spec, buf, sizeof(buf), &off);
	CU_ASSERT_EQUAL_FATAL(len, (int)want_len);
	gs_check_bytes(buf, want, want_len);
	/* the UDP payload starts with the GENEVE header */
	CU_ASSERT_EQUAL(off, 14u + (family == GS_AF_INET ? 20u : 40u) + 8u);
	CU_ASSERT_EQUAL(gs_probe_frame(&spec, buf, want_len - 1, NULL), -1);
}

static void test_probe_frame_v4(void)
{
	probe_frame_case(GS_AF_INET, "10.0.0.1", "10.0.0.9", probe_frame_v4,
			 sizeof(probe_frame_v4));
}

static void test_probe_frame_v6(void)
{
	probe_frame_case(GS_AF_INET6, "fd00::1", "fd00::9", probe_frame_v6,
			 sizeof(probe_frame_v6));
}

static const struct gs_test_case probe_cases[] = {
	{ "frame_v4", test_probe_frame_v4 },
	{ "frame_v6", test_probe_frame_v6 },
	{ NULL, NULL },
};

int main(void)
{
	static const struct gs_test_suite suites[] = {
		{ "geneve_opts", opts_cases },
		{ "encap", encap_cases },
		{ "round_trip", round_trip_cases },
		{ "probe", probe_cases },
		{ NULL, NULL },
	};

	return gs_test_run(suites);
}
