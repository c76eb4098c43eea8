/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_fixtures: the differential test.  Plays tests/fixtures' steps (the
 * table the DPDK pipeline passes byte for byte) through the XDP program
 * with BPF_PROG_TEST_RUN, one program instance, state carried over.
 *
 *   xdp_fixtures CONFIG FIXTURES.json IFACE [-v]
 *
 * IFACE is the frame's ingress interface (ctx ingress_ifindex): the test
 * script gives it the fixtures' MAC, port addresses and the config's static
 * neighbours as permanent entries, so bpf_fib_lookup() yields exactly the
 * MACs the fixtures expect and whole frames are compared, Ethernet included.
 *
 * Per step, what "same behaviour" means for XDP (docs/xdp.md):
 *  - expected output: XDP_TX, the frame equal byte for byte, no drop;
 *  - expected drop R: XDP_DROP with drops[R] +1, or, for the reasons that
 *    mean "not GENEVE for us" (Ethernet/outer IP trouble, not_for_us,
 *    outer_not_geneve, outer_fragment), XDP_PASS with passed[R] +1; no
 *    other reason counter moves;
 *  - slow path (ARP/NDP/ICMP to us): XDP_PASS, the kernel answers;
 *  - an unsolicited probe: XDP_PASS (gsteerd's probe socket judges it);
 *  - a fragment the DPDK pipeline holds: XDP cannot hold a packet, so
 *    XDP_DROP frag_no_first; the step that releases held fragments is
 *    compared on its first frame (the fragment itself).
 * Control steps change appliance states through gs_xdp_set_state().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <jansson.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "gs_xdp.h"

#define MAX_FRAME 16384

enum cat { C_FWD, C_DROP, C_PASS_REASON, C_SLOW, C_PROBE, C_HELD, C_RELEASE, C_CTL, C_SHORT,
	   C_DPDK_ONLY, C_N };
static const char *const cat_names[C_N] = {
	"forwarded, frame identical", "dropped, same reason",
	"handed to the kernel, same reason", "slow path handed to the kernel",
	"probe handed to the kernel", "held by DPDK, dropped by XDP (frag_no_first)",
	"held fragments released: first frame compared", "control steps",
	"not run: under 14 bytes, refused by BPF_PROG_TEST_RUN (no NIC delivers it)",
	"not run: tagged dpdk_only, a hardening rule XDP lacks yet (docs/security.md)",
};

static bool verbose;

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	if (n > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return (int)n;
}

static void hexdump(const char *label, const uint8_t *b, size_t n)
{
	fprintf(stderr, "  %s (%zu):", label, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", b[i]);
	fprintf(stderr, "\n");
}

/* reasons the XDP program leaves to the kernel instead of dropping */
static bool kernel_reason(const char *r)
{
	static const char *const list[] = {
		"eth_truncated", "vlan_truncated", "vlan_too_many", "ethertype_unsupported",
		"ipv4_truncated", "ipv4_bad_version", "ipv4_bad_ihl", "ipv4_bad_total_len",
		"ipv4_bad_checksum", "ipv4_bad_fragment", "ipv6_truncated", "ipv6_bad_version",
		"ipv6_bad_payload_len", "ipv6_ext_truncated", "ipv6_ext_too_many",
		"ipv6_bad_fragment", "not_for_us", "outer_not_geneve", "outer_fragment", NULL,
	};

	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], r) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct gs_xdp_open_opts oo = { .no_attach = true, .no_pin = true };
	static uint8_t in[MAX_FRAME], out[MAX_FRAME], want[MAX_FRAME];
	struct gs_xdp_stats *before = calloc(1, sizeof(*before));
	struct gs_xdp_stats *after = calloc(1, sizeof(*after));
	unsigned n_cat[C_N] = { 0 }, failed = 0, steps = 0;
	struct gs_config *cfg;
	struct gs_xdp *x;
	json_error_t jerr;
	json_t *all, *step;
	char err[512];
	size_t idx;
	int ifindex, prog;

	if (argc < 4 || !before || !after) {
		fprintf(stderr, "usage: xdp_fixtures CONFIG FIXTURES.json IFACE [-v]\n");
		return 2;
	}
	verbose = argc > 4 && strcmp(argv[4], "-v") == 0;
	cfg = gs_config_load(argv[1], err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "xdp_fixtures: %s\n", err);
		return 1;
	}
	snprintf(cfg->daemon.xdp_interface, sizeof(cfg->daemon.xdp_interface), "%s", argv[3]);
	ifindex = (int)if_nametoindex(argv[3]);
	if (!ifindex) {
		fprintf(stderr, "xdp_fixtures: no interface %s\n", argv[3]);
		return 1;
	}
	x = gs_xdp_open_opts(cfg, &oo, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "xdp_fixtures: %s\n", err);
		return 1;
	}
	prog = gs_xdp_prog_fd(x, GS_XDP_PROG_MAIN);
	all = json_load_file(argv[2], 0, &jerr);
	if (!json_is_array(all)) {
		fprintf(stderr, "xdp_fixtures: %s: %s\n", argv[2], jerr.text);
		return 1;
	}

	json_array_foreach(all, idx, step) {
		const char *name = json_string_value(json_object_get(step, "name"));
		json_t *ctl = json_object_get(step, "ctl"), *outs, *tags, *t;
		const char *drop = json_string_value(json_object_get(step, "drop"));
		bool slow = false, ok = true, dpdk_only = false;
		struct xdp_md md = { 0 };
		enum cat cat;
		int n_in, n_want = 0, rc;
		size_t i;

		steps++;
		if (ctl) {
			const char *id = json_string_value(json_object_get(ctl, "appliance"));
			int st = gs_app_state_from_name(json_string_value(json_object_get(ctl, "state")));
			bool want_ok = json_is_true(json_object_get(step, "expect_ok"));
			uint32_t g, a;
			bool got = id && st >= 0 && gs_xdp_find_app(cfg, id, &g, &a) == 0 &&
				   gs_xdp_set_state(x, g, a, (enum gs_app_state)st, err, sizeof(err)) == 0;

			n_cat[C_CTL]++;
			if (got != want_ok) {
				fprintf(stderr, "FAIL %s: control step %s\n", name, got ? "succeeded" : "failed");
				failed++;
			}
			continue;
		}
		tags = json_object_get(step, "tags");
		json_array_foreach(tags, i, t) {
			slow |= strcmp(json_string_value(t), "slowpath") == 0;
			dpdk_only |= strcmp(json_string_value(t), "dpdk_only") == 0;
		}
		if (dpdk_only) {
			n_cat[C_DPDK_ONLY]++;
			if (verbose)
				printf("skip %s (dpdk_only)\n", name);
			continue;
		}
		outs = json_object_get(step, "out");
		n_in = unhex(json_string_value(json_object_get(step, "in")), in, sizeof(in));
		if (json_array_size(outs))
			n_want = unhex(json_string_value(json_array_get(outs, 0)), want, sizeof(want));
		if (n_in < 0 || n_want < 0) {
			fprintf(stderr, "FAIL %s: bad hex in the fixture\n", name);
			failed++;
			continue;
		}

		gs_xdp_read_stats(x, before);
		md.data_end = (uint32_t)n_in;
		md.ingress_ifindex = (uint32_t)ifindex;
		LIBBPF_OPTS(bpf_test_run_opts, tr, .data_in = in, .data_size_in = (uint32_t)n_in,
			    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
			    .ctx_size_in = sizeof(md), .repeat = 1);
		rc = bpf_prog_test_run_opts(prog, &tr);
		gs_xdp_read_stats(x, after);
		if (rc == -EINVAL && n_in < 14) {
			n_cat[C_SHORT]++;
			continue;
		}
		if (rc) {
			fprintf(stderr, "FAIL %s: BPF_PROG_TEST_RUN: %s\n", name, strerror(-rc));
			failed++;
			continue;
		}

		/* which reason counters moved, and by how much */
		int d_moved = -1, p_moved = -1, n_moved = 0;

		for (unsigned r = 0; r < GS_R_COUNT; r++) {
			uint64_t dd = after->drops[r] - before->drops[r];
			uint64_t dp = after->passed[r] - before->passed[r];

			if (dd) {
				d_moved = (int)r;
				n_moved += (int)dd;
			}
			if (dp) {
				p_moved = (int)r;
				n_moved += (int)dp;
			}
		}

		if (slow) {
			cat = C_SLOW;
			ok = tr.retval == XDP_PASS && d_moved < 0;
		} else if (n_want > 0) {
			cat = json_array_size(outs) > 1 ? C_RELEASE : C_FWD;
			ok = tr.retval == XDP_TX && n_moved == 0 && tr.data_size_out == (uint32_t)n_want &&
			     memcmp(out, want, (size_t)n_want) == 0;
		} else if (drop && strcmp(drop, "probe_unknown") == 0) {
			cat = C_PROBE;
			ok = tr.retval == XDP_PASS && n_moved == 0 &&
			     after->verdicts[GSX_V_PASS_PROBE] == before->verdicts[GSX_V_PASS_PROBE] + 1;
		} else if (drop) {
			bool as_pass = tr.retval == XDP_PASS && kernel_reason(drop);

			cat = as_pass ? C_PASS_REASON : C_DROP;
			ok = n_moved == 1 &&
			     (as_pass ? p_moved >= 0 && strcmp(gs_xdp_reason_name((unsigned)p_moved), drop) == 0 :
					tr.retval == XDP_DROP && d_moved >= 0 &&
						strcmp(gs_xdp_reason_name((unsigned)d_moved), drop) == 0);
		} else {
			cat = C_HELD;
			ok = tr.retval == XDP_DROP && n_moved == 1 && d_moved == GS_R_FRAG_NO_FIRST;
		}
		if (ok) {
			n_cat[cat]++;
			if (verbose)
				printf("ok   %s [%s]\n", name, cat_names[cat]);
			continue;
		}
		failed++;
		fprintf(stderr, "FAIL %s [%s]: XDP action %u, drop %s, pass %s (%d reason counts moved)\n",
			name, cat_names[cat], tr.retval,
			d_moved >= 0 ? gs_xdp_reason_name((unsigned)d_moved) : "-",
			p_moved >= 0 ? gs_xdp_reason_name((unsigned)p_moved) : "-", n_moved);
		if (verbose || n_want > 0) {
			hexdump("in", in, (size_t)n_in);
			if (n_want > 0)
				hexdump("want", want, (size_t)n_want);
			hexdump("got", out, tr.data_size_out);
		}
	}

	printf("xdp_fixtures: %u steps, %u failed\n", steps, failed);
	for (int c = 0; c < C_N; c++)
		printf("  %4u  %s\n", n_cat[c], cat_names[c]);
	json_decref(all);
	gs_xdp_close(x);
	gs_config_free(cfg);
	free(before);
	free(after);
	return failed ? 1 : 0;
}
