/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the flow-key builder (common/gs_flow.h) on tuples the
 * inner parser produces and on raw tuples taken from the input.
 *
 * Input: byte 0 selects the inner protocol (IPv4, IPv6, inner Ethernet),
 * bytes 1-4 the VNI, 5-12 the endpoint id, 13-14 the group; the rest is the
 * inner packet.  For the parsed tuple and its mirror image (source and
 * destination swapped) in every stickiness mode, the properties steering
 * relies on are checked:
 *  - both directions give the same key and hash, in opposite directions
 *    (unless both ends are the same endpoint);
 *  - an ICMP error's tuple is the quoted packet's, i.e. the reverse of the
 *    error's own travel, so it hashes like the flow it quotes;
 *  - 3-tuple keys carry no ports, 2-tuple keys no ports and no protocol;
 *  - the key depends on nothing but its inputs (no stray padding bytes).
 */
#include <string.h>

#include "fuzz_util.h"
#include "gs_flow.h"
#include "gs_pkt.h"

#define HDR 15

static void mirror(struct gs_tuple *m, const struct gs_tuple *t)
{
	*m = *t;
	memcpy(m->src, t->dst, 16);
	memcpy(m->dst, t->src, 16);
	m->sport = t->dport;
	m->dport = t->sport;
}

static void check_tuple(const struct gs_tuple *t, uint32_t vni, uint16_t group,
			uint64_t eid)
{
	static const enum gs_stickiness modes[] = { GS_STICKY_5TUPLE, GS_STICKY_3TUPLE,
						    GS_STICKY_2TUPLE };
	struct gs_tuple m;

	mirror(&m, t);
	for (unsigned i = 0; i < 3; i++) {
		struct gs_flow_key a, b, c;
		int da, db;

		/* garbage in the buffers must not leak into the key */
		memset(&a, 0xA5, sizeof(a));
		memset(&b, 0x5A, sizeof(b));
		da = gs_flow_key_build(&a, t, modes[i], vni, group, eid);
		db = gs_flow_key_build(&b, &m, modes[i], vni, group, eid);
		FUZZ_CHECK(da == GS_DIR_LO_TO_HI || da == GS_DIR_HI_TO_LO);
		FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		FUZZ_CHECK(gs_flow_hash(&a, 0x6773746E) == gs_flow_hash(&b, 0x6773746E));
		memset(&c, 0, sizeof(c));
		gs_flow_key_build(&c, t, modes[i], vni, group, eid);
		FUZZ_CHECK(memcmp(&a, &c, sizeof(a)) == 0);
		if (memcmp(&a.addr_lo, &a.addr_hi, 16) != 0 || a.port_lo != a.port_hi)
			FUZZ_CHECK(da != db);
		/* the lower endpoint really is first */
		FUZZ_CHECK(gs_endpoint_cmp(a.addr_lo, a.port_lo, a.addr_hi, a.port_hi) <= 0);
		FUZZ_CHECK(a.vni == (vni & 0xFFFFFF) && a.group == group &&
			   a.family == t->family);
		FUZZ_CHECK(a.endpoint_id_lo == (uint32_t)eid &&
			   a.endpoint_id_hi == (uint32_t)(eid >> 32));
		if (modes[i] != GS_STICKY_5TUPLE)
			FUZZ_CHECK(a.port_lo == 0 && a.port_hi == 0);
		FUZZ_CHECK(a.proto == (modes[i] == GS_STICKY_2TUPLE ? 0 : t->proto));
		FUZZ_CHECK(gs_entropy_port(gs_flow_hash(&a, vni)) >= 0xC000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t protos[] = { GS_ETHERTYPE_IPV4, GS_ETHERTYPE_IPV6,
					   GS_ETHERTYPE_TEB };
	struct gs_inner in, err_in;
	struct gs_tuple raw;
	uint32_t vni, len;
	uint64_t eid = 0;
	uint16_t group;
	uint8_t *pkt;

	if (size < HDR || size > 65535)
		return 0;
	vni = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | data[3] << 8 | data[4];
	for (int i = 0; i < 8; i++)
		eid = eid << 8 | data[5 + i];
	group = (uint16_t)(data[13] << 8 | data[14]);

	/* any 44 bytes as a tuple: the builder must not care what they mean */
	if (size >= HDR + 38) {
		memset(&raw, 0, sizeof(raw));
		memcpy(raw.src, data + HDR, 16);
		memcpy(raw.dst, data + HDR + 16, 16);
		raw.sport = (uint16_t)(data[HDR + 32] << 8 | data[HDR + 33]);
		raw.dport = (uint16_t)(data[HDR + 34] << 8 | data[HDR + 35]);
		raw.proto = data[HDR + 36];
		raw.family = data[HDR + 37] & 1 ? GS_AF_INET6 : GS_AF_INET;
		check_tuple(&raw, vni, group, eid);
	}

	len = (uint32_t)(size - HDR);
	pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + HDR, len);
	if (gs_parse_inner(pkt, len, protos[data[0] % 3], &in) == GS_R_OK) {
		check_tuple(&in.tuple, vni, group, eid);
		/* an ICMP error is steered by its quote, against the quote's
		 * direction: the key equals the quoted packet's own */
		if (in.is_icmp_error) {
			struct gs_flow_key kq, kp;
			struct gs_tuple q = in.tuple;

			gs_flow_key_build(&kq, &q, GS_STICKY_5TUPLE, vni, group, eid);
			memset(&err_in, 0, sizeof(err_in));
			mirror(&err_in.tuple, &q);
			gs_flow_key_build(&kp, &err_in.tuple, GS_STICKY_5TUPLE, vni, group, eid);
			FUZZ_CHECK(memcmp(&kq, &kp, sizeof(kq)) == 0);
		}
	}
	free(pkt);
	return 0;
}
