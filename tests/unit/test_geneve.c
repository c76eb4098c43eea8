/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GENEVE header and option parsing (gs_parse_geneve in common/gs_pkt.c).
 *
 * The mixed-option packet was built with scapy 2.5 (Debian's
 * /usr/bin/python3), an independent implementation; malformed headers are
 * spelled out byte by byte, each rejected with its own reason.
 */
#include <stdlib.h>
#include <string.h>

#include "gs_pkt.h"
#include "gs_test.h"

/* scapy: GENEVE(optionlen=<explicit: scapy 2.5 masks it with 0x2f>, vni=0x000101, proto=0x0800, options=[GeneveOptions(classid=0x0200, type=0x10, data=c1c2c3c4), endpoint 0xA1A2A3A4A5A6A7A8, GeneveOptions(classid=0x0108, type=4, data=d1d2d3d4), attachment 0xB1B2B3B4B5B6B7B8, cookie 0xC0FFEE00, GeneveOptions(classid=0xFFF0, type=1, data=00..0f), GeneveOptions(classid=0xFFFF, type=0x7F, data='')])/IP(src=10.0.0.1, dst=10.0.0.2)/ICMP() */
static const uint8_t gen_mixed[] = {
	0x12, 0x00, 0x08, 0x00, 0x00, 0x01, 0x01, 0x00, 0x02, 0x00, 0x10, 0x01,
	0xc1, 0xc2, 0xc3, 0xc4, 0x01, 0x08, 0x01, 0x02, 0xa1, 0xa2, 0xa3, 0xa4,
	0xa5, 0xa6, 0xa7, 0xa8, 0x01, 0x08, 0x04, 0x01, 0xd1, 0xd2, 0xd3, 0xd4,
	0x01, 0x08, 0x02, 0x02, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
	0x01, 0x08, 0x03, 0x01, 0xc0, 0xff, 0xee, 0x00, 0xff, 0xf0, 0x01, 0x04,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0xff, 0xff, 0x7f, 0x00, 0x45, 0x00, 0x00, 0x1c,
	0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x66, 0xde, 0x0a, 0x00, 0x00, 0x01,
	0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00,
};


static void check_other(const struct gs_geneve *g, const uint8_t *pkt,
			unsigned i, uint16_t off, const uint8_t *bytes,
			uint16_t len)
{
	CU_ASSERT_EQUAL(g->other[i].off, off);
	CU_ASSERT_EQUAL(g->other[i].len, len);
	CU_ASSERT_EQUAL(memcmp(pkt + GS_GENEVE_HDR_LEN + off, bytes, len), 0);
}

static void test_mixed_options(void)
{
	static const uint8_t o0[] = { 0x02, 0x00, 0x10, 0x01,
				      0xc1, 0xc2, 0xc3, 0xc4 };
	static const uint8_t o1[] = { 0x01, 0x08, 0x04, 0x01,
				      0xd1, 0xd2, 0xd3, 0xd4 };
	static const uint8_t o2[] = { 0xff, 0xff, 0x7f, 0x00 };
	struct gs_geneve g;
	struct gs_inner in;

	gs_check_reason("mixed", gs_parse_geneve(gen_mixed, sizeof(gen_mixed), &g),
		     GS_R_OK);
	CU_ASSERT_EQUAL(g.version, 0);
	CU_ASSERT_FALSE(g.oam);
	CU_ASSERT_FALSE(g.critical);
	CU_ASSERT_EQUAL(g.protocol, GS_ETHERTYPE_IPV4);
	CU_ASSERT_EQUAL(g.vni, 0x000101);
	CU_ASSERT_EQUAL(g.opts_len, 72);
	CU_ASSERT_EQUAL(g.hdr_len, 80);
	CU_ASSERT_TRUE(g.has_endpoint_id);
	CU_ASSERT_EQUAL(g.endpoint_id, 0xA1A2A3A4A5A6A7A8ull);
	CU_ASSERT_TRUE(g.has_attachment_id);
	CU_ASSERT_EQUAL(g.attachment_id, 0xB1B2B3B4B5B6B7B8ull);
	CU_ASSERT_TRUE(g.has_cookie);
	CU_ASSERT_EQUAL(g.cookie, 0xC0FFEE00u);
	CU_ASSERT_TRUE(g.has_probe);
	CU_ASSERT_EQUAL(g.probe_off, 52); /* data of the option at 48 */
	CU_ASSERT_EQUAL(gen_mixed[GS_GENEVE_HDR_LEN + g.probe_off], 0x00);
	CU_ASSERT_EQUAL(gen_mixed[GS_GENEVE_HDR_LEN + g.probe_off + 15], 0x0f);
	/* unknown options, AWS type 4 among them, in wire order */
	CU_ASSERT_EQUAL_FATAL(g.n_other, 3);
	check_other(&g, gen_mixed, 0, 0, o0, sizeof(o0));
	check_other(&g, gen_mixed, 1, 20, o1, sizeof(o1));
	check_other(&g, gen_mixed, 2, 68, o2, sizeof(o2));
	/* and what follows is the inner packet */
	gs_check_reason("inner", gs_parse_inner(gen_mixed + g.hdr_len,
					     sizeof(gen_mixed) - g.hdr_len,
					     g.protocol, &in), GS_R_OK);
	CU_ASSERT_EQUAL(in.tuple.proto, GS_IPPROTO_ICMP);
}

static void test_flags_and_no_options(void)
{
	/* O and C set, reserved bits set too (ignored), IPv6, VNI 0xFFFFFF */
	static const uint8_t h[] = { 0x00, 0xFF, 0x86, 0xDD,
				     0xFF, 0xFF, 0xFF, 0xAB };
	struct gs_geneve g;

	gs_check_reason("flags", gs_parse_geneve(h, sizeof(h), &g), GS_R_OK);
	CU_ASSERT_TRUE(g.oam);
	CU_ASSERT_TRUE(g.critical);
	CU_ASSERT_EQUAL(g.protocol, GS_ETHERTYPE_IPV6);
	CU_ASSERT_EQUAL(g.vni, 0xFFFFFF);
	CU_ASSERT_EQUAL(g.opts_len, 0);
	CU_ASSERT_EQUAL(g.hdr_len, 8);
	CU_ASSERT_EQUAL(g.n_other, 0);
	CU_ASSERT_FALSE(g.has_endpoint_id || g.has_attachment_id ||
			g.has_cookie || g.has_probe);
}

static void test_teb_protocol(void)
{
	static const uint8_t h[] = { 0x00, 0x00, 0x65, 0x58, 0, 0, 7, 0 };
	struct gs_geneve g;

	gs_check_reason("teb", gs_parse_geneve(h, sizeof(h), &g), GS_R_OK);
	CU_ASSERT_EQUAL(g.protocol, GS_ETHERTYPE_TEB);
	CU_ASSERT_EQUAL(g.vni, 7);
}

/* the largest option area (63 words) as two options of 128 and 124 bytes */
static void test_max_option_area(void)
{
	uint8_t p[8 + 252 + 2];
	struct gs_geneve g;

	memset(p, 0x5A, sizeof(p));
	p[0] = 63;
	p[1] = 0;
	p[2] = 0x08, p[3] = 0x00;
	p[8] = 0x00, p[9] = 0x77, p[10] = 0x01, p[11] = 31;
	p[8 + 128] = 0x00, p[9 + 128] = 0x77, p[10 + 128] = 0x02;
	p[11 + 128] = 30;
	gs_check_reason("252", gs_parse_geneve(p, sizeof(p), &g), GS_R_OK);
	CU_ASSERT_EQUAL(g.opts_len, 252);
	CU_ASSERT_EQUAL(g.hdr_len, 260);
	CU_ASSERT_EQUAL_FATAL(g.n_other, 2);
	CU_ASSERT_EQUAL(g.other[0].off, 0);
	CU_ASSERT_EQUAL(g.other[0].len, 128);
	CU_ASSERT_EQUAL(g.other[1].off, 128);
	CU_ASSERT_EQUAL(g.other[1].len, 124);
	/* one byte short of the area: the packet, not the area, is short */
	gs_check_reason("259", gs_parse_geneve(p, 259, &g),
		     GS_R_GENEVE_OPTS_PAST_END);
}

/* 63 empty options: the most other[] can ever hold */
static void test_many_options(void)
{
	uint8_t p[8 + 252];
	struct gs_geneve g;
	unsigned i;

	memset(p, 0, sizeof(p));
	p[0] = 63;
	p[2] = 0x08;
	for (i = 0; i < 63; i++) {
		p[8 + 4 * i] = 0x12;
		p[9 + 4 * i] = (uint8_t)i;
		p[10 + 4 * i] = 0x7F;
	}
	gs_check_reason("63", gs_parse_geneve(p, sizeof(p), &g), GS_R_OK);
	CU_ASSERT_EQUAL_FATAL(g.n_other, 63);
	CU_ASSERT_EQUAL(g.other[62].off, 248);
	CU_ASSERT_EQUAL(g.other[62].len, 4);
}

/* a probe-class option without the probe's shape is carried, not read */
static void test_probe_shape(void)
{
	static const uint8_t short_probe[] = {
		0x02, 0x00, 0x08, 0x00, 0, 0, 1, 0,
		0xff, 0xf0, 0x01, 0x01, 1, 2, 3, 4,
	};
	uint8_t two[8 + 2 * 20] = { 10, 0x00, 0x08, 0x00, 0, 0, 1, 0 };
	struct gs_geneve g;
	unsigned i;

	gs_check_reason("short probe", gs_parse_geneve(short_probe,
						    sizeof(short_probe), &g),
		     GS_R_OK);
	CU_ASSERT_FALSE(g.has_probe);
	CU_ASSERT_EQUAL(g.n_other, 1);
	/* a second probe is not a second measurement */
	for (i = 0; i < 2; i++) {
		two[8 + 20 * i] = 0xff;
		two[9 + 20 * i] = 0xf0;
		two[10 + 20 * i] = GS_PROBE_OPT_TYPE;
		two[11 + 20 * i] = GS_PROBE_OPT_DATA_LEN / 4;
	}
	gs_check_reason("two probes", gs_parse_geneve(two, sizeof(two), &g),
		     GS_R_OK);
	CU_ASSERT_TRUE(g.has_probe);
	CU_ASSERT_EQUAL(g.probe_off, 4);
	CU_ASSERT_EQUAL_FATAL(g.n_other, 1);
	CU_ASSERT_EQUAL(g.other[0].off, 20);
	CU_ASSERT_EQUAL(g.other[0].len, 20);
}

/* ---- malformed headers --------------------------------------------------- */

struct bad_geneve {
	const char *name;
	const uint8_t *p;
	uint32_t len;
	enum gs_reason want;
};

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

/* header: ver|opt_len, O|C, protocol, VNI (3), reserved; then options */
static const struct bad_geneve bad_geneve[] = {
	{ "truncated_header", B(0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01),
	  GS_R_GENEVE_TRUNCATED },
	{ "empty", B(0x00), GS_R_GENEVE_TRUNCATED },
	{ "version_1", B(0x40, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00),
	  GS_R_GENEVE_BAD_VERSION },
	{ "version_3", B(0xC0, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00),
	  GS_R_GENEVE_BAD_VERSION },
	/* opt_len 2 words, 4 bytes present */
	{ "opts_past_end", B(0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
			     0x01, 0x01, 0x01, 0x00),
	  GS_R_GENEVE_OPTS_PAST_END },
	/* opt_len 1 word, present, but the option claims 1 word of data */
	{ "opt_past_area", B(0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
			     0x01, 0x01, 0x01, 0x01, 0xAA, 0xBB, 0xCC, 0xDD),
	  GS_R_GENEVE_OPT_PAST_AREA },
	/* the second option runs past the area by one word */
	{ "second_opt_past_area",
	  B(0x03, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x01, 0x01, 0x00, 0x01, 0x01, 0x02, 0x02, 0, 0, 0, 0),
	  GS_R_GENEVE_OPT_PAST_AREA },
	/* class 0x0101 type 0x80: critical, unknown */
	{ "critical_unknown", B(0x01, 0x40, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
				0x01, 0x01, 0x80, 0x00),
	  GS_R_GENEVE_CRITICAL_UNKNOWN },
	/* AWS class, type 0x81: not one of AWS's three, and critical */
	{ "critical_unknown_aws_class",
	  B(0x01, 0x40, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x08, 0x81, 0x00),
	  GS_R_GENEVE_CRITICAL_UNKNOWN },
	/* probe class, type 0x81 */
	{ "critical_unknown_probe_class",
	  B(0x01, 0x40, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0xff, 0xf0, 0x81, 0x00),
	  GS_R_GENEVE_CRITICAL_UNKNOWN },
	/* endpoint id with 1 word of data instead of 2 */
	{ "aws_endpoint_bad_len",
	  B(0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x08, 0x01, 0x01, 1, 2, 3, 4),
	  GS_R_GENEVE_AWS_OPT_BAD_LEN },
	/* attachment id with 3 words */
	{ "aws_attachment_bad_len",
	  B(0x04, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x08, 0x02, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
	  GS_R_GENEVE_AWS_OPT_BAD_LEN },
	/* flow cookie with no data */
	{ "aws_cookie_bad_len", B(0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01,
				  0x00, 0x01, 0x08, 0x03, 0x00),
	  GS_R_GENEVE_AWS_OPT_BAD_LEN },
	{ "aws_cookie_duplicate",
	  B(0x04, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x08, 0x03, 0x01, 1, 2, 3, 4,
	    0x01, 0x08, 0x03, 0x01, 1, 2, 3, 4),
	  GS_R_GENEVE_AWS_OPT_DUPLICATE },
	/* endpoint id twice, an unknown option between */
	{ "aws_endpoint_duplicate",
	  B(0x07, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
	    0x01, 0x08, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x01, 0x01, 0x01, 0x00,
	    0x01, 0x08, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 9),
	  GS_R_GENEVE_AWS_OPT_DUPLICATE },
	{ "bad_protocol_arp", B(0x00, 0x00, 0x08, 0x06, 0x00, 0x00, 0x01, 0x00),
	  GS_R_GENEVE_BAD_PROTOCOL },
	{ "bad_protocol_zero",
	  B(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00),
	  GS_R_GENEVE_BAD_PROTOCOL },
};

#define N_BAD (sizeof(bad_geneve) / sizeof(bad_geneve[0]))

static void test_malformed_table(void)
{
	struct gs_geneve g;

	for (size_t i = 0; i < N_BAD; i++) {
		/* exactly len bytes of their own: ASan sees any overread */
		uint8_t *copy = malloc(bad_geneve[i].len);

		memcpy(copy, bad_geneve[i].p, bad_geneve[i].len);
		gs_check_reason(bad_geneve[i].name,
			     gs_parse_geneve(copy, bad_geneve[i].len, &g),
			     bad_geneve[i].want);
		free(copy);
	}
}

/*
 * Every GENEVE reason has a row, but GENEVE_OPT_TRUNCATED: option offsets
 * and the area both count 4-byte words, so an option header can never be
 * cut by the area's end (the area itself past the packet is OPTS_PAST_END).
 */
static void test_malformed_covers_reasons(void)
{
	int r;

	for (r = GS_R_GENEVE_TRUNCATED; r <= GS_R_GENEVE_BAD_PROTOCOL; r++) {
		bool seen = r == GS_R_GENEVE_OPT_TRUNCATED;

		for (size_t i = 0; i < N_BAD; i++)
			seen |= bad_geneve[i].want == (enum gs_reason)r;
		if (!seen)
			printf("\n  no row for %s\n",
			       gs_reason_name((enum gs_reason)r));
		CU_ASSERT_TRUE(seen);
	}
}

/* every prefix of the good packet fails, reading nothing past its end */
static void test_truncations(void)
{
	struct gs_geneve g;

	for (uint32_t n = 0; n < 80; n++) {
		uint8_t *b = malloc(n ? n : 1);

		memcpy(b, gen_mixed, n);
		CU_ASSERT_NOT_EQUAL(gs_parse_geneve(b, n, &g), GS_R_OK);
		free(b);
	}
}

static const struct gs_test_case parse_cases[] = {
	{ "mixed_options", test_mixed_options },
	{ "flags_and_no_options", test_flags_and_no_options },
	{ "teb_protocol", test_teb_protocol },
	{ "max_option_area", test_max_option_area },
	{ "many_options", test_many_options },
	{ "probe_shape", test_probe_shape },
	{ "truncations", test_truncations },
	{ NULL, NULL },
};

static const struct gs_test_case malformed_cases[] = {
	{ "table", test_malformed_table },
	{ "covers_reasons", test_malformed_covers_reasons },
	{ NULL, NULL },
};

int main(void)
{
	static const struct gs_test_suite suites[] = {
		{ "geneve", parse_cases },
		{ "geneve_malformed", malformed_cases },
		{ NULL, NULL },
	};

	return gs_test_run(suites);
}
