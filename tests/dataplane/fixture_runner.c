/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fixture_runner: play tests/fixtures' packet fixtures through the real
 * per-packet pipeline, in process, and compare every byte that comes out.
 *
 *   fixture_runner CONFIG FIXTURES.json [-v] [-k SUBSTRING]
 *
 * One data plane with one worker on a net_null port (no I/O happens on
 * it: the test hands mbufs to gs_pipeline_burst() and takes what it leaves
 * in its gs_tx, then runs the main lcore's gs_dp_main_once() and takes what
 * it queued on worker 0's inject ring).  Control steps go through
 * gs_ctl_handle().  For each packet step:
 *  - the frames sent, in order (pipeline output first, then main-lcore
 *    output), must equal the expected frames byte for byte;
 *  - the drop counters (worker 0 + main lcore) must have grown by exactly
 *    one under the expected reason and nowhere else (by nothing at all
 *    when the step expects no drop).
 *  - no mbuf may stay in use beyond those the data plane holds on purpose
 *    (early fragments, packets waiting for a neighbour, ring messages).
 * At the end no mbuf may be left in use, held or queued.
 *
 * The fixtures assume the port MAC 02:70:63:61:70:00 (net_pcap's first
 * port); net_null's MAC is random, so it is set to that before the data
 * plane reads it.  -k runs only steps whose name contains SUBSTRING
 * (state carried between steps makes that a debugging aid only).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ctl.h"
#include "dp_init.h"
#include "eal_runtime.h"
#include "flow_table.h"
#include "pipeline.h"
#include "src_limit.h"

#define FIX_MAX_FRAME 16384
#define FIX_MAX_OUT 16

static const struct rte_ether_addr fixture_mac = {
	.addr_bytes = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 }
};

static bool verbose;

struct frame {
	uint8_t *b;
	size_t len;
};

static int unhex(const char *s, struct frame *f)
{
	size_t n = strlen(s);

	if (n % 2)
		return -1;
	f->len = n / 2;
	f->b = malloc(f->len ? f->len : 1);
	if (!f->b)
		return -1;
	for (size_t i = 0; i < f->len; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		f->b[i] = (uint8_t)v;
	}
	return 0;
}

static void hexdump(const char *tag, const uint8_t *b, size_t len, size_t mark)
{
	for (size_t row = 0; row < len; row += 16) {
		printf("    %s %04zx:", tag, row);
		for (size_t i = row; i < row + 16 && i < len; i++)
			printf("%s%02x", i == mark ? ">" : " ", b[i]);
		printf("\n");
	}
}

/* explain the first difference between @exp and @got */
static void diff(const struct frame *exp, const uint8_t *got, size_t got_len)
{
	size_t n = exp->len < got_len ? exp->len : got_len, at = n;

	for (size_t i = 0; i < n; i++)
		if (exp->b[i] != got[i]) {
			at = i;
			break;
		}
	printf("    first difference at byte %zu (0x%zx); expected %zu bytes, got %zu\n",
	       at, at, exp->len, got_len);
	hexdump("exp", exp->b, exp->len, at);
	hexdump("got", got, got_len, at);
}

static void drops_snapshot(const struct gs_dp *dp, uint64_t *out)
{
	for (int r = 0; r < GS_R_COUNT; r++) {
		out[r] = dp->main_drops[r];
		for (uint32_t w = 0; w < dp->n_workers; w++)
			out[r] += dp->workers[w].stats.drops[r];
	}
}

static int run_ctl(struct gs_dp *dp, json_t *step, const char *name)
{
	json_t *req = json_object_get(step, "ctl");
	bool expect_ok = json_is_true(json_object_get(step, "expect_ok")) ||
			 !json_object_get(step, "expect_ok");
	char *line = json_dumps(req, JSON_COMPACT);
	char *reply = line ? gs_ctl_handle(dp, line) : NULL;
	json_t *r = reply ? json_loads(reply, 0, NULL) : NULL;
	bool ok = r && json_is_true(json_object_get(r, "ok"));
	int rc = 0;

	if (!r || ok != expect_ok) {
		printf("FAIL %s\n    request %s\n    reply %s (expected ok=%s)\n", name,
		       line ? line : "?", reply ? reply : "(none)",
		       expect_ok ? "true" : "false");
		rc = -1;
	} else {
		printf("PASS %s\n", name);
		if (verbose)
			printf("    %s -> %s\n", line, reply);
	}
	json_decref(r);
	free(reply);
	free(line);
	return rc;
}

static int run_packet(struct gs_dp *dp, json_t *step, const char *name)
{
	struct gs_worker *w = &dp->workers[0];
	uint64_t before[GS_R_COUNT], after[GS_R_COUNT];
	struct rte_mbuf *outs[GS_TX_CAP * GS_MAX_PORTS + GS_INJECT_RING_SIZE];
	static struct gs_tx tx;
	struct frame in = { 0 }, exp[FIX_MAX_OUT];
	json_t *jout = json_object_get(step, "out");
	json_t *jdrop = json_object_get(step, "drop");
	const char *drop_name = json_is_string(jdrop) ? json_string_value(jdrop) : NULL;
	enum gs_reason want = GS_R_OK;
	size_t n_exp = json_array_size(jout), n_out = 0;
	struct rte_mbuf *m;
	char *dst;
	bool fail = false;
	unsigned free_before;
	static uint8_t buf[FIX_MAX_FRAME];

	if (n_exp > FIX_MAX_OUT ||
	    unhex(json_string_value(json_object_get(step, "in")), &in) != 0) {
		printf("FAIL %s: bad fixture\n", name);
		free(in.b);
		return -1;
	}
	for (size_t i = 0; i < n_exp; i++)
		if (unhex(json_string_value(json_array_get(jout, i)), &exp[i]) != 0) {
			printf("FAIL %s: bad expected frame %zu\n", name, i);
			return -1;
		}
	if (drop_name) {
		want = gs_reason_from_name(drop_name);
		if (want == GS_R_COUNT) {
			printf("FAIL %s: unknown drop reason '%s'\n", name, drop_name);
			fail = true;
		}
	}

	drops_snapshot(dp, before);
	free_before = rte_mempool_in_use_count(dp->pool) - gs_dp_mbufs_held(dp);
	m = rte_pktmbuf_alloc(dp->pool);
	dst = m ? rte_pktmbuf_append(m, (uint16_t)in.len) : NULL;
	if (!dst) {
		printf("FAIL %s: no mbuf for %zu bytes\n", name, in.len);
		rte_pktmbuf_free(m);
		free(in.b);
		return -1;
	}
	memcpy(dst, in.b, in.len);
	m->port = 0;
	memset(&tx, 0, sizeof(tx));
	gs_pipeline_burst(dp, w, &m, 1, gs_dp_now_ms(dp), &tx);
	for (uint32_t p = 0; p < GS_MAX_PORTS; p++)
		for (uint16_t i = 0; i < tx.n[p]; i++)
			outs[n_out++] = tx.pkts[p][i];
	/* the main lcore's share: ARP/NDP/echo answers, neighbour waits */
	for (int i = 0; i < 4; i++)
		gs_dp_main_once(dp);
	n_out += rte_ring_sc_dequeue_burst(w->inject, (void **)&outs[n_out],
					   GS_INJECT_RING_SIZE, NULL);
	drops_snapshot(dp, after);

	if (n_out != n_exp) {
		printf("FAIL %s: %zu frames sent, expected %zu\n", name, n_out, n_exp);
		fail = true;
	}
	for (size_t i = 0; i < n_out; i++) {
		const uint8_t *got;
		uint32_t len = rte_pktmbuf_pkt_len(outs[i]);

		if (outs[i]->port != 0) {
			printf("FAIL %s: frame %zu sent on port %u\n", name, i, outs[i]->port);
			fail = true;
		}
		got = len <= sizeof(buf) ? rte_pktmbuf_read(outs[i], 0, len, buf) : NULL;
		if (!got) {
			printf("FAIL %s: frame %zu of %u bytes unreadable\n", name, i, len);
			fail = true;
		} else if (i < n_exp && (len != exp[i].len || memcmp(got, exp[i].b, len))) {
			printf("FAIL %s: frame %zu differs\n", name, i);
			diff(&exp[i], got, len);
			fail = true;
		} else if (i >= n_exp) {
			printf("    unexpected frame %zu:\n", i);
			hexdump("got", got, len, len);
		}
		rte_pktmbuf_free(outs[i]);
	}
	for (int r = 0; r < GS_R_COUNT; r++) {
		uint64_t d = after[r] - before[r], e = drop_name && r == (int)want ? 1 : 0;

		if (d != e) {
			printf("FAIL %s: drop counter %s grew by %" PRIu64 ", expected %" PRIu64 "\n",
			       name, gs_reason_name((enum gs_reason)r), d, e);
			fail = true;
		}
	}
	/* per step, so a leak is pinned on the packet that caused it */
	if (rte_mempool_in_use_count(dp->pool) - gs_dp_mbufs_held(dp) != free_before) {
		printf("FAIL %s: %u mbuf(s) in use and not held by the data plane, %u before the step\n",
		       name, rte_mempool_in_use_count(dp->pool) - gs_dp_mbufs_held(dp),
		       free_before);
		fail = true;
	}
	printf("%s %s\n", fail ? "FAIL" : "PASS", name);
	if (verbose && !fail)
		printf("    %zu frame(s)%s%s\n", n_out, drop_name ? ", dropped as " : "",
		       drop_name ? drop_name : "");
	for (size_t i = 0; i < n_exp; i++)
		free(exp[i].b);
	free(in.b);
	return fail ? -1 : 0;
}

static int eal_up(const char *prog)
{
	char prefix[64];
	char *argv[32];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "gsfx%d", (int)getpid());
	argv[argc++] = (char *)(uintptr_t)prog;
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "512";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = "--vdev";
	argv[argc++] = "net_null0";
	argv[argc++] = "--log-level";
	argv[argc++] = verbose ? "info" : "warning";
	argv[argc] = NULL;
	return rte_eal_init(argc, argv);
}

/* the fixtures' MAC on net_null0, before gs_dp_create() reads it */
static void set_fixture_mac(void)
{
	uint16_t port;

	if (rte_eth_dev_get_port_by_name("net_null0", &port) != 0)
		return;
	if (rte_eth_dev_default_mac_addr_set(port,
					     (struct rte_ether_addr *)(uintptr_t)&fixture_mac) != 0)
		fprintf(stderr, "fixture_runner: net_null0 refused the fixture MAC; "
				"setting it in the data plane's port state instead\n");
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL, *fix_path = NULL, *only = NULL;
	static volatile bool quit;
	unsigned n_pass = 0, n_fail = 0, n_skip = 0;
	unsigned start_in_use;
	struct gs_config *cfg;
	struct gs_dp *dp;
	json_error_t jerr;
	json_t *steps;
	char err[512], runtime_dir[4096];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			only = argv[++i];
		else if (!cfg_path)
			cfg_path = argv[i];
		else if (!fix_path)
			fix_path = argv[i];
	}
	if (!cfg_path || !fix_path) {
		fprintf(stderr, "usage: fixture_runner CONFIG FIXTURES.json [-v] [-k SUBSTRING]\n");
		return 2;
	}
	steps = json_load_file(fix_path, 0, &jerr);
	if (!json_is_array(steps)) {
		fprintf(stderr, "fixture_runner: %s:%d: %s\n", fix_path, jerr.line, jerr.text);
		return 2;
	}
	cfg = gs_config_load(cfg_path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "fixture_runner: %s\n", err);
		return 2;
	}
	if (eal_up(argv[0]) < 0) {
		fprintf(stderr, "fixture_runner: EAL initialisation failed\n");
		return 2;
	}
	set_fixture_mac();
	dp = gs_dp_create(cfg, 1, NULL, &quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "fixture_runner: gs_dp_create: %s\n", err);
		rte_eal_cleanup();
		return 2;
	}
	if (!rte_is_same_ether_addr(&dp->ports[0].mac, &fixture_mac))
		rte_ether_addr_copy(&fixture_mac, &dp->ports[0].mac);
	/* let start-up work (neighbour requests, if any) settle first */
	for (int i = 0; i < 4; i++)
		gs_dp_main_once(dp);
	{
		struct rte_mbuf *junk[64];
		unsigned n = rte_ring_sc_dequeue_burst(dp->workers[0].inject,
						       (void **)junk, 64, NULL);

		if (n) {
			printf("FAIL start-up: the data plane sent %u frame(s) before any input\n", n);
			rte_pktmbuf_free_bulk(junk, n);
			n_fail++;
		}
	}
	start_in_use = rte_mempool_in_use_count(dp->pool);

	for (size_t i = 0; i < json_array_size(steps); i++) {
		json_t *step = json_array_get(steps, i);
		const char *name = json_string_value(json_object_get(step, "name"));
		int r;

		if (!name)
			name = "(unnamed)";
		if (only && !strstr(name, only)) {
			n_skip++;
			continue;
		}
		if (json_object_get(step, "ctl"))
			r = run_ctl(dp, step, name);
		else
			r = run_packet(dp, step, name);
		if (r == 0)
			n_pass++;
		else
			n_fail++;
	}

	if (dp->workers[0].n_frag_hold) {
		printf("FAIL end: %u fragment(s) still held\n", dp->workers[0].n_frag_hold);
		n_fail++;
	}
	if (rte_ring_count(dp->to_main) || rte_ring_count(dp->workers[0].inject)) {
		printf("FAIL end: %u message(s) to the main lcore, %u injected frame(s) left\n",
		       rte_ring_count(dp->to_main), rte_ring_count(dp->workers[0].inject));
		n_fail++;
	}
	/* every flow gives its per-source charge back when it goes */
	gs_flow_table_flush(dp);
	if (gs_src_limit_outstanding(dp)) {
		printf("FAIL end: %" PRIu64 " per-source counter(s) not back at 0 after a flush\n",
		       gs_src_limit_outstanding(dp));
		n_fail++;
	} else {
		printf("PASS end: per-source counters back at 0 after a flush\n");
	}
	if (rte_mempool_in_use_count(dp->pool) != start_in_use) {
		printf("FAIL end: %u mbuf(s) in use, %u at the start: leaked or held\n",
		       rte_mempool_in_use_count(dp->pool), start_in_use);
		n_fail++;
	} else {
		printf("PASS end: no mbuf leaked (%u in use before and after)\n", start_in_use);
	}
	printf("%u passed, %u failed, %u skipped\n", n_pass, n_fail, n_skip);
	if (n_fail)
		rc = 1;

	gs_dp_destroy(dp);
	gs_config_free(cfg);
	json_decref(steps);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	gs_test_remove_runtime_dir(runtime_dir);
	return rc;
}
