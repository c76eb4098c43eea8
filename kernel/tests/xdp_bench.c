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
 *  - hot: one flow, best of 5 runs of repeat=R/5 on the wrapper program
 *    gsteer_xdp_bench, which
 *    steers and then restores the frame (with repeat > 1 every repeat runs
 *    on the frame the one before rewrote; the wrapper's restore is included
 *    in the figure);
 *  - spread: 4096 flows picked across the table, repeat=1 each on the real
 *    program, mean of the kernel-reported durations (cache misses of a big
 *    table show here).
 * The reference program gets the same two treatments; the ratios are
 * printed, with the wrapper's own cost (its save/restore around a bare
 * XDP_TX) so the steering figure can be read net of it.  Numbers vary with the machine: compare ratios, not ns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "gs_xdp.h"
#include "xdp_frames.h"

#define HOT_REPEAT 200000
#define SPREAD 4096

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

/* hot figure: the best of HOT_ROUNDS runs of @repeat (other load on the
 * host only ever adds time); the action of the last run, or < 0 */
#define HOT_ROUNDS 5
static int time_hot(int prog, int ifindex, uint8_t *frame, uint32_t *best)
{
	uint32_t d;
	int rc = -1;

	*best = UINT32_MAX;
	for (int r = 0; r < HOT_ROUNDS; r++) {
		rc = run(prog, ifindex, frame, HOT_REPEAT / HOT_ROUNDS, &d);
		if (rc < 0)
			return rc;
		if (d < *best)
			*best = d;
	}
	return rc;
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
		double hot, hot_ref, hot_rst, sp, sp_ref;
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
		if (time_hot(gs_xdp_prog_fd(x, GS_XDP_PROG_BENCH), ifindex, f, &d) != XDP_TX) {
			fprintf(stderr, "xdp_bench: the wrapper did not steer\n");
			return 1;
		}
		hot = d;
		time_hot(gs_xdp_prog_fd(x, GS_XDP_PROG_REF_TX), ifindex, f, &d);
		hot_ref = d;
		time_hot(gs_xdp_prog_fd(x, GS_XDP_PROG_REF_RESTORE), ifindex, f, &d);
		hot_rst = d;
		sp = spread(gs_xdp_prog_fd(x, GS_XDP_PROG_MAIN), ifindex, n);
		sp_ref = spread(gs_xdp_prog_fd(x, GS_XDP_PROG_REF_TX), ifindex, n);
		printf("flows %-8u hot: %6.1f ns/pkt (XDP_TX %5.1f, ratio %5.1f; "
		       "the wrapper's save/restore alone %5.1f)   "
		       "spread: %6.1f ns/pkt (XDP_TX %5.1f, ratio %5.1f)\n",
		       n, hot, hot_ref, hot / (hot_ref > 0 ? hot_ref : 1), hot_rst, sp, sp_ref,
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
				if (time_hot(gs_xdp_prog_fd(x, GS_XDP_PROG_BENCH), ifindex, f, &d) !=
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
