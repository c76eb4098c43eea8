/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_bench: ns/packet of the XDP steering path through BPF_PROG_TEST_RUN,
 * with a warm flow table, against a trivial XDP_TX program timed the same
 * way in the same run.
 *
 *   xdp_bench CONFIG IFACE N_FLOWS...     (run inside xdp_netns.sh)
 *
 * Traffic: GENEVE from upstream 10.0.0.50 to listener 10.0.0.11 (group
 * "three" of tests/fixtures/gsteer-fixtures.json), inner UDP flows that
 * differ in source address and port.  For each N the table is first warmed
 * by running each of the N flows once through the real program (every
 * run must be XDP_TX), then timed two ways:
 *  - hot: one flow, repeat=R on the wrapper program gsteer_xdp_bench, which
 *    steers and then restores the frame (with repeat > 1 every repeat runs
 *    on the frame the one before rewrote; the wrapper's restore is included
 *    in the figure);
 *  - spread: 4096 flows picked across the table, repeat=1 each on the real
 *    program, mean of the kernel-reported durations (cache misses of a big
 *    table show here).
 * The reference program gets the same two treatments; the ratios are
 * printed.  Numbers vary with the machine: compare ratios, not ns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "gs_xdp.h"

#define FRAME_LEN 92
#define HOT_REPEAT 200000
#define SPREAD 4096

static void csum_ip(uint8_t *ip)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

/* outer addresses: the steered case, and two that show where time goes */
static uint8_t outer_src[4] = { 10, 0, 0, 50 }, outer_dst[4] = { 10, 0, 0, 11 };

/* flow @i: inner 192.168.(i/60000).x:port -> 172.16.0.5:443 */
static void build(uint8_t *f, uint32_t i)
{
	static const uint8_t our_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
	static const uint8_t up_mac[6] = { 0x02, 0, 0, 0, 0, 0x50 };
	uint8_t *ip = f + 14, *udp = ip + 20, *g = udp + 8, *in = g + 8, *iu = in + 20;
	uint32_t src = 0xC0A80000u | (i / 60000 + 1) << 8 | (i / 60000) >> 8;
	uint16_t sport = (uint16_t)(1024 + i % 60000);

	memset(f, 0, FRAME_LEN);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, up_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = FRAME_LEN - 14;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, outer_src, 4);
	memcpy(ip + 16, outer_dst, 4);
	csum_ip(ip);
	udp[0] = 0xC3;
	udp[1] = 0x50;
	udp[2] = 0x17;
	udp[3] = 0xC1;
	udp[5] = FRAME_LEN - 34;
	g[2] = 0x08; /* protocol 0x0800 */
	g[6] = 100;  /* VNI 100 << 8 */
	in[0] = 0x45;
	in[3] = FRAME_LEN - 58;
	in[8] = 64;
	in[9] = 17;
	in[12] = (uint8_t)(src >> 24);
	in[13] = (uint8_t)(src >> 16);
	in[14] = (uint8_t)(src >> 8);
	in[15] = (uint8_t)src;
	memcpy(in + 16, (uint8_t[]){ 172, 16, 0, 5 }, 4);
	csum_ip(in);
	iu[0] = (uint8_t)(sport >> 8);
	iu[1] = (uint8_t)sport;
	iu[2] = 0x01;
	iu[3] = 0xBB;
	iu[5] = FRAME_LEN - 78;
}

static int run(int prog, int ifindex, uint8_t *frame, uint32_t repeat, uint32_t *duration)
{
	static uint8_t out[2048];
	struct xdp_md md = { .data_end = FRAME_LEN, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, tr, .data_in = frame, .data_size_in = FRAME_LEN,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = repeat);
	int rc = bpf_prog_test_run_opts(prog, &tr);

	if (rc)
		return rc;
	*duration = tr.duration;
	return (int)tr.retval;
}

static double spread(int prog, int ifindex, uint32_t n)
{
	uint8_t f[FRAME_LEN];
	uint64_t total = 0;
	uint32_t d;

	for (uint32_t k = 0; k < SPREAD; k++) {
		build(f, (uint32_t)((uint64_t)k * n / SPREAD));
		if (run(prog, ifindex, f, 1, &d) < 0)
			return -1;
		total += d;
	}
	return (double)total / SPREAD;
}

int main(int argc, char **argv)
{
	struct gs_xdp_open_opts oo = { .no_attach = true, .no_pin = true };
	struct gs_config *cfg;
	uint8_t f[FRAME_LEN];
	char err[512];
	int ifindex, rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: xdp_bench CONFIG IFACE N_FLOWS...\n");
		return 2;
	}
	cfg = gs_config_load(argv[1], err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "xdp_bench: %s\n", err);
		return 1;
	}
	snprintf(cfg->daemon.xdp_interface, sizeof(cfg->daemon.xdp_interface), "%s", argv[2]);
	ifindex = (int)if_nametoindex(argv[2]);
	printf("# ns/packet via BPF_PROG_TEST_RUN, %d-byte GENEVE frames, upstream -> appliance\n",
	       FRAME_LEN);
	for (int a = 3; a < argc; a++) {
		uint32_t n = (uint32_t)strtoul(argv[a], NULL, 10), d;
		double hot, hot_ref, sp, sp_ref;
		struct gs_xdp *x;

		oo.flow_entries = n * 2 > 4096 ? n * 2 : 4096;
		x = gs_xdp_open_opts(cfg, &oo, err, sizeof(err));
		if (!x) {
			fprintf(stderr, "xdp_bench: %s\n", err);
			return 1;
		}
		for (uint32_t i = 0; i < n; i++) {
			build(f, i);
			if (run(gs_xdp_prog_fd(x, GS_XDP_PROG_MAIN), ifindex, f, 1, &d) != XDP_TX) {
				fprintf(stderr, "xdp_bench: warming flow %u: not XDP_TX\n", i);
				return 1;
			}
		}
		build(f, n / 2);
		if (run(gs_xdp_prog_fd(x, GS_XDP_PROG_BENCH), ifindex, f, HOT_REPEAT, &d) != XDP_TX) {
			fprintf(stderr, "xdp_bench: the wrapper did not steer\n");
			return 1;
		}
		hot = d;
		run(gs_xdp_prog_fd(x, GS_XDP_PROG_REF_TX), ifindex, f, HOT_REPEAT, &d);
		hot_ref = d;
		sp = spread(gs_xdp_prog_fd(x, GS_XDP_PROG_MAIN), ifindex, n);
		sp_ref = spread(gs_xdp_prog_fd(x, GS_XDP_PROG_REF_TX), ifindex, n);
		printf("flows %-8u hot: %6.1f ns/pkt (XDP_TX %5.1f, ratio %5.1f)   "
		       "spread: %6.1f ns/pkt (XDP_TX %5.1f, ratio %5.1f)\n",
		       n, hot, hot_ref, hot / (hot_ref > 0 ? hot_ref : 1), sp, sp_ref,
		       sp / (sp_ref > 0 ? sp_ref : 1));
		/* the same frame refused after the whole parse (upstream not
		 * allowed), and handed to the kernel after the outer header */
		{
			static const struct { const char *what; uint8_t src[4], dst[4]; int want; } v[] = {
				{ "parse + refuse (upstream_not_allowed)", { 192, 0, 2, 1 }, { 10, 0, 0, 11 }, XDP_DROP },
				{ "outer header only (not_for_us, XDP_PASS)", { 10, 0, 0, 50 }, { 10, 0, 0, 99 }, XDP_PASS },
			};

			for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
				memcpy(outer_src, v[k].src, 4);
				memcpy(outer_dst, v[k].dst, 4);
				build(f, 0);
				if (run(gs_xdp_prog_fd(x, GS_XDP_PROG_BENCH), ifindex, f, HOT_REPEAT, &d) !=
				    v[k].want)
					rc = 1;
				printf("flows %-8u %s: %6.1f ns/pkt\n", n, v[k].what, (double)d);
			}
			memcpy(outer_src, (uint8_t[]){ 10, 0, 0, 50 }, 4);
			memcpy(outer_dst, (uint8_t[]){ 10, 0, 0, 11 }, 4);
		}
		fflush(stdout);
		gs_xdp_close(x);
		if (sp < 0)
			rc = 1;
	}
	gs_config_free(cfg);
	return rc;
}
