/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the ICMP-error path of the inner parser (an ICMP or
 * ICMPv6 error is steered by the packet it quotes, common/gs_pkt.c
 * parse_quote).
 *
 * Input: byte 0 chooses the family (bit 0) and whether the error comes in
 * an inner Ethernet frame (bit 1), byte 1 the error type, byte 2 its code;
 * the rest is the quote.  The target wraps the quote in a well-formed IP +
 * ICMP error header, so every execution reaches the quote parser.
 *
 * Checked besides memory safety: an error's tuple is the quote's family;
 * and when the quote on its own is a complete packet that the parser
 * accepts (and is not itself an error), the error is accepted too and
 * steered by exactly that packet's tuple.
 */
#include <string.h>

#include "fuzz_util.h"
#include "gs_pkt.h"

#define HDR 3
#define MAX_QUOTE 2048

static const uint8_t err4[] = { 3, 4, 5, 11, 12 };
static const uint8_t err6[] = { 1, 2, 3, 4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool v6, teb;
	uint32_t qlen, iplen, off = 0, len;
	struct gs_inner in, alone;
	enum gs_reason r;
	uint8_t *p;

	if (size < HDR || size - HDR > MAX_QUOTE)
		return 0;
	v6 = data[0] & 1;
	teb = data[0] & 2;
	qlen = (uint32_t)(size - HDR);
	iplen = (v6 ? GS_IPV6_HDR_LEN : GS_IPV4_HDR_LEN) + GS_ICMP_HDR_LEN + qlen;
	len = iplen + (teb ? GS_ETH_HDR_LEN : 0);
	p = calloc(1, len);
	if (!p)
		return 0;
	if (teb) {
		p[6] = 0x02; /* unicast source MAC; the rest may stay zero */
		p[12] = v6 ? 0x86 : 0x08;
		p[13] = v6 ? 0xDD : 0x00;
		off = GS_ETH_HDR_LEN;
	}
	if (v6) {
		p[off] = 0x60;
		p[off + 4] = (uint8_t)((iplen - GS_IPV6_HDR_LEN) >> 8);
		p[off + 5] = (uint8_t)(iplen - GS_IPV6_HDR_LEN);
		p[off + 6] = GS_IPPROTO_ICMPV6;
		p[off + 7] = 64;
		p[off + 8] = 0x20; /* 2001:db8::1 -> 2001:db8::2 */
		p[off + 9] = 0x01, p[off + 10] = 0x0d, p[off + 11] = 0xb8, p[off + 23] = 1;
		p[off + 24] = 0x20;
		p[off + 25] = 0x01, p[off + 26] = 0x0d, p[off + 27] = 0xb8, p[off + 39] = 2;
		off += GS_IPV6_HDR_LEN;
		p[off] = err6[data[1] % sizeof(err6)];
	} else {
		p[off] = 0x45;
		p[off + 2] = (uint8_t)(iplen >> 8);
		p[off + 3] = (uint8_t)iplen;
		p[off + 8] = 64;
		p[off + 9] = GS_IPPROTO_ICMP;
		p[off + 12] = 192, p[off + 13] = 0, p[off + 14] = 2, p[off + 15] = 1;
		p[off + 16] = 192, p[off + 17] = 0, p[off + 18] = 2, p[off + 19] = 2;
		off += GS_IPV4_HDR_LEN;
		p[off] = err4[data[1] % sizeof(err4)];
	}
	p[off + 1] = data[2];
	off += GS_ICMP_HDR_LEN;
	memcpy(p + off, data + HDR, qlen);

	r = gs_parse_inner(p, len, teb ? GS_ETHERTYPE_TEB :
				 v6 ? GS_ETHERTYPE_IPV6 : GS_ETHERTYPE_IPV4, &in);
	FUZZ_CHECK((unsigned)r < GS_R_COUNT);
	if (r == GS_R_OK) {
		FUZZ_CHECK(in.is_icmp_error);
		FUZZ_CHECK(in.tuple.family == (v6 ? GS_AF_INET6 : GS_AF_INET));
	}

	/* the quote as a packet of its own, in an exact-size buffer */
	{
		uint8_t *q = malloc(qlen ? qlen : 1);

		if (q) {
			memcpy(q, data + HDR, qlen);
			if (gs_parse_inner(q, qlen, v6 ? GS_ETHERTYPE_IPV6 :
							GS_ETHERTYPE_IPV4,
					   &alone) == GS_R_OK &&
			    !alone.is_icmp_error) {
				FUZZ_CHECK(r == GS_R_OK);
				FUZZ_CHECK(memcmp(&in.tuple, &alone.tuple,
						  sizeof(in.tuple)) == 0);
			}
			free(q);
		}
	}
	free(p);
	return 0;
}
