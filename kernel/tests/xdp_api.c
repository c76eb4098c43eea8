/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_api: what the fixture table cannot show about gs_xdp_set_state() and
 * drain, through BPF_PROG_TEST_RUN (run inside xdp_netns.sh).
 *
 *   xdp_api CONFIG IFACE      (CONFIG: tests/fixtures/gsteer-fixtures.json)
 *
 *  - a draining appliance keeps its flows and takes no new ones;
 *  - once its deregistration delay has passed, the program itself treats it
 *    as removed: its flows move (on_deregistration rebalance) with the same
 *    cookie and entropy port, without any call from user space;
 *  - out-of-range indexes and leaving "removed" are refused;
 *  - the UDP checksum the program computes over an IPv6 outer header is
 *    right for payloads that span several of its 256-byte chunks (the
 *    fixtures only carry small ones).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "gs_xdp.h"
#include "xdp_frames.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

static int prog, ifindex;

/* steer flow @i; returns the appliance's last address byte (0: not sent),
 * and the outer UDP source port and cookie in *@sport / *@cookie */
static int steer(uint32_t i, uint16_t *sport, uint32_t *cookie)
{
	uint8_t f[FRAME_LEN], out[512];
	struct xdp_md md = { .data_end = FRAME_LEN, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, tr, .data_in = f, .data_size_in = FRAME_LEN,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);

	build(f, i);
	if (bpf_prog_test_run_opts(prog, &tr) != 0 || tr.retval != XDP_TX)
		return 0;
	/* IPv4 appliance: Ethernet 14, IPv4 20, UDP 8, GENEVE 8, cookie option
	 * last of the AWS options this upstream gets (none sent, none
	 * configured on l-three: the cookie is the only one) */
	if (sport)
		*sport = (uint16_t)(out[34] << 8 | out[35]);
	if (cookie)
		*cookie = (uint32_t)out[54] << 24 | (uint32_t)out[55] << 16 |
			  (uint32_t)out[56] << 8 | out[57];
	return out[14 + 19];
}

/* upstream 10.0.0.50 -> listener l-pinned 10.0.0.12, inner UDP flow @i with
 * @plen payload bytes; returns the frame length */
static uint32_t build_big(uint8_t *f, uint32_t i, uint32_t plen)
{
	uint32_t inner = 20 + 8 + plen, len = 14 + 20 + 8 + 8 + inner;

	build(f, i); /* addresses, ports, GENEVE; lengths fixed below */
	if (len > FRAME_LEN)
		memset(f + FRAME_LEN, 0, len - FRAME_LEN);
	for (uint32_t k = 0; k < plen; k++)
		f[14 + 20 + 8 + 8 + 28 + k] = (uint8_t)(k * 7 + i);
	f[14 + 19] = 12; /* listener 10.0.0.12 */
	f[14 + 2] = (uint8_t)((len - 14) >> 8);
	f[14 + 3] = (uint8_t)(len - 14);
	csum_ip(f + 14);
	f[34 + 4] = (uint8_t)((len - 34) >> 8);
	f[34 + 5] = (uint8_t)(len - 34);
	f[50 + 2] = (uint8_t)(inner >> 8);
	f[50 + 3] = (uint8_t)inner;
	csum_ip(f + 50);
	f[70 + 4] = (uint8_t)((8 + plen) >> 8);
	f[70 + 5] = (uint8_t)(8 + plen);
	return len;
}

/* RFC 8200 §8.1: the sum over pseudo-header and datagram of a correct
 * checksum folds to 0xFFFF */
static bool udp6_ok(const uint8_t *ip6, uint32_t udp_len)
{
	uint64_t s = udp_len + 17;

	for (int k = 8; k < 40; k += 2)
		s += (uint32_t)ip6[k] << 8 | ip6[k + 1];
	for (uint32_t k = 0; k + 1 < udp_len; k += 2)
		s += (uint32_t)ip6[40 + k] << 8 | ip6[40 + k + 1];
	if (udp_len & 1)
		s += (uint32_t)ip6[40 + udp_len - 1] << 8;
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return s == 0xFFFF && (ip6[40 + 6] | ip6[40 + 7]);
}

static void check_ipv6_checksum(void)
{
	static uint8_t f[2048], out[2048];
	const uint32_t sizes[] = { 1, 255, 256, 257, 700, 1301 };
	int checked = 0;

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		for (uint32_t i = 0; i < 64; i++) {
			uint32_t len = build_big(f, 5000 + i, sizes[z]);
			struct xdp_md md = { .data_end = len, .ingress_ifindex = (uint32_t)ifindex };
			LIBBPF_OPTS(bpf_test_run_opts, tr, .data_in = f, .data_size_in = len,
				    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
				    .ctx_size_in = sizeof(md), .repeat = 1);

			if (bpf_prog_test_run_opts(prog, &tr) != 0 || tr.retval != XDP_TX)
				continue;
			if (out[12] != 0x86 || out[13] != 0xDD)
				continue; /* p1, the IPv4 appliance */
			CHECK(udp6_ok(out + 14, (uint32_t)out[18] << 8 | out[19]),
			      "bad IPv6 UDP checksum toward p2, %u payload bytes", sizes[z]);
			checked++;
			break;
		}
	}
	CHECK(checked == (int)(sizeof(sizes) / sizeof(sizes[0])),
	      "only %d payload sizes reached the IPv6 appliance p2", checked);
}

int main(int argc, char **argv)
{
	struct gs_xdp_open_opts oo = { .no_attach = true, .no_pin = true };
	struct gs_config *cfg;
	struct gs_xdp *x;
	char err[512];
	uint32_t g, a, three;
	uint16_t sp1, sp2;
	uint32_t ck1, ck2;
	int app, now_app, flow = -1;

	if (argc < 3) {
		fprintf(stderr, "usage: xdp_api CONFIG IFACE\n");
		return 2;
	}
	cfg = gs_config_load(argv[1], err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "xdp_api: %s\n", err);
		return 1;
	}
	if (gs_xdp_find_app(cfg, "b1", &three, &a) != 0) {
		fprintf(stderr, "xdp_api: %s has no appliance b1\n", argv[1]);
		return 1;
	}
	cfg->groups[three].deregistration_delay_s = 1;
	snprintf(cfg->daemon.xdp_interface, sizeof(cfg->daemon.xdp_interface), "%s", argv[2]);
	ifindex = (int)if_nametoindex(argv[2]);
	x = gs_xdp_open_opts(cfg, &oo, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "xdp_api: %s\n", err);
		return 1;
	}
	prog = gs_xdp_prog_fd(x, GS_XDP_PROG_MAIN);

	/* a flow on b2 (10.0.0.102) */
	for (uint32_t i = 0; i < 200 && flow < 0; i++)
		if (steer(i, NULL, NULL) == 102)
			flow = (int)i;
	CHECK(flow >= 0, "no flow of 200 landed on b2");
	app = steer((uint32_t)flow, &sp1, &ck1);
	CHECK(gs_xdp_find_app(cfg, "b2", &g, &a) == 0, "no b2");
	CHECK(gs_xdp_set_state(x, g, a, GS_APP_DRAINING, err, sizeof(err)) == 0, "%s", err);
	CHECK(steer((uint32_t)flow, NULL, NULL) == app, "a draining appliance lost its flow");
	for (uint32_t i = 1000; i < 1100; i++)
		CHECK(steer(i, NULL, NULL) != 102, "new flow %u went to draining b2", i);

	/* past the deregistration delay the program itself counts b2 removed */
	usleep(1200 * 1000);
	now_app = steer((uint32_t)flow, &sp2, &ck2);
	CHECK(now_app != 0 && now_app != 102, "after the delay the flow is still on b2 (%d)",
	      now_app);
	CHECK(sp1 == sp2 && ck1 == ck2, "the moved flow changed entropy port or cookie");

	/* refusals */
	CHECK(gs_xdp_set_state(x, g, 999, GS_APP_HEALTHY, err, sizeof(err)) == -ENOENT,
	      "appliance index out of range accepted");
	CHECK(gs_xdp_set_state(x, 999, 0, GS_APP_HEALTHY, err, sizeof(err)) == -ENOENT,
	      "group index out of range accepted");
	CHECK(gs_xdp_set_state(x, g, a, GS_APP_REMOVED, err, sizeof(err)) == 0, "%s", err);
	CHECK(gs_xdp_set_state(x, g, a, GS_APP_HEALTHY, err, sizeof(err)) == -EINVAL,
	      "a removed appliance came back by set_state");

	check_ipv6_checksum();

	gs_xdp_close(x);
	gs_config_free(cfg);
	printf("xdp_api: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
