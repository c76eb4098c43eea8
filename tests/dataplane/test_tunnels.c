/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tunnels: the life of interned upstream tunnels (flow_table.c), in
 * process through the real pipeline: flows share one tunnel per upstream,
 * references follow flows and direction changes, the main lcore frees
 * unreferenced tunnels, and a recycled tunnel slot steers exactly as a
 * fresh one (same bytes out).
 *
 *   test_tunnels        (prints "N passed, N failed")
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_init.h"
#include "eal_runtime.h"
#include "flow_table.h"
#include "gs_encap.h"
#include "pipeline.h"

#define NFLOWS 100
#define VNI 77

static struct gs_dp *dp;
static unsigned passed, failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			passed++;                                              \
		} else {                                                       \
			failed++;                                              \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

/* upstream @up (last octet of 10.0.0.x) sends flow @i with @vni */
static struct rte_mbuf *frame(uint8_t up, uint32_t i, uint32_t vni)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	struct gs_opts_spec os = { .with_endpoint_id = true, .endpoint_id = 0x1122 };
	struct gs_encap e = { .family = GS_AF_INET, .ttl = 64, .dport = GS_GENEVE_UDP_PORT,
			      .sport = 40000, .protocol = GS_ETHERTYPE_IPV4 };
	uint8_t opts[32], *p;
	uint32_t hlen;

	e.vni = vni;
	memcpy(e.dst_mac, dp->ports[0].mac.addr_bytes, 6);
	e.src_mac[0] = 2;
	e.src_mac[5] = up;
	e.src[0] = 10, e.src[3] = up;
	e.dst[0] = 10, e.dst[3] = 10;
	e.opts = opts;
	e.opts_len = (uint16_t)gs_geneve_opts_write(opts, sizeof(opts), &os);
	e.payload_len = 28;
	hlen = gs_encap_len(&e);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hlen + 28));
	gs_encap_write(p, hlen, &e);
	p += hlen;
	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = GS_IPPROTO_UDP;
	p[12] = 172, p[13] = 16, p[14] = (uint8_t)(i >> 8), p[15] = (uint8_t)i;
	p[16] = 192, p[17] = 168, p[19] = 1;
	p[20] = 0x30, p[21] = 0x39;
	p[23] = 53;
	p[25] = 8;
	m->port = 0;
	return m;
}

/* run one frame through the pipeline; returns the frame sent (or NULL) */
static struct rte_mbuf *run(struct rte_mbuf *m)
{
	static struct gs_tx tx;

	memset(&tx, 0, sizeof(tx));
	gs_pipeline_burst(dp, &dp->workers[0], &m, 1, gs_dp_now_ms(dp), &tx);
	return tx.n[0] == 1 ? tx.pkts[0][0] : NULL;
}

static struct gs_flow *flow_of(uint8_t up, uint32_t i, uint32_t vni)
{
	struct gs_flow_key k;
	struct gs_tuple t = { .sport = 12345, .dport = 53, .proto = GS_IPPROTO_UDP,
			      .family = GS_AF_INET };
	int32_t pos;

	(void)up;
	t.src[0] = 172, t.src[1] = 16, t.src[2] = (uint8_t)(i >> 8), t.src[3] = (uint8_t)i;
	t.dst[0] = 192, t.dst[1] = 168, t.dst[3] = 1;
	gs_flow_key_build(&k, &t, GS_STICKY_5TUPLE, vni, 0, 0x1122);
	pos = rte_hash_lookup(dp->flows_hash, &k);
	return pos < 0 ? NULL : &dp->flows[pos];
}

static uint32_t refs(uint32_t t)
{
	return t ? dp->tunnels[t - 1].refs : 0;
}

/* tunnels in the table (rte_hash_count also counts deleted slots still
 * waiting in the RCU defer queue) */
static int tunnels(void)
{
	const void *k;
	void *d;
	uint32_t next = 0;
	int n = 0;

	while (rte_hash_iterate(dp->tunnels_hash, &k, &d, &next) >= 0)
		n++;
	return n;
}

static void sweep_all(void)
{
	/* the sweep looks at 64 tunnel slots an aging pass */
	for (uint32_t i = 0; i < dp->tunnel_capacity / 64 + 2; i++)
		gs_flow_table_age(dp, gs_dp_now_ms(dp), 1);
}

int main(int argc, char **argv)
{
	static volatile bool quit;
	char prefix[32], err[512], path[64], runtime_dir[4096];
	char *eal[] = { argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci",
			"--no-shconf", "--file-prefix", prefix, "--vdev", "net_null0",
			"--log-level", "error", NULL };
	struct gs_config *cfg;
	FILE *f;
	uint32_t ta, tb, tc;
	uint8_t first[256];
	uint32_t first_len = 0;
	struct rte_mbuf *out;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "gstt%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/gs-test-tunnels-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 2;
	fprintf(f, "{\"dataplane\": {\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\","
		   " \"addresses\": [\"10.0.0.1/24\", \"10.0.0.10/24\", \"10.1.0.1/24\"]}],"
		   " \"flow_table_size\": 4096, \"neighbors\": ["
		   "{\"address\": \"10.0.0.2\", \"mac\": \"02:00:00:00:00:02\"},"
		   "{\"address\": \"10.0.0.3\", \"mac\": \"02:00:00:00:00:03\"},"
		   "{\"address\": \"10.1.0.100\", \"mac\": \"02:00:00:00:01:00\"}]},"
		   " \"listeners\": [{\"name\": \"l\", \"address\": \"10.0.0.10\","
		   " \"target_group\": \"g\", \"upstreams\": [\"10.0.0.0/24\"]}],"
		   " \"target_groups\": [{\"name\": \"g\", \"health_check\": {\"protocol\": \"none\"},"
		   " \"appliances\": [{\"id\": \"a\", \"address\": \"10.1.0.100\"}]}]}\n");
	fclose(f);
	cfg = gs_config_load(path, err, sizeof(err));
	unlink(path);
	if (!cfg) {
		fprintf(stderr, "test_tunnels: %s\n", err);
		return 2;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		return 2;
	dp = gs_dp_create(cfg, 1, NULL, &quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "test_tunnels: %s\n", err);
		return 2;
	}

	/* 1. flows from upstreams .2 and .3 share one tunnel per upstream */
	for (uint32_t i = 0; i < NFLOWS; i++) {
		out = run(frame(2, i, VNI));
		CHECK(out != NULL, "flow %u from .2 not forwarded", i);
		if (i == 0 && out) {
			first_len = rte_pktmbuf_pkt_len(out);
			memcpy(first, rte_pktmbuf_mtod(out, void *), first_len);
		}
		rte_pktmbuf_free(out);
		rte_pktmbuf_free(run(frame(3, i + 1000, VNI)));
	}
	ta = flow_of(2, 0, VNI)->tun[GS_DIR_LO_TO_HI] | flow_of(2, 0, VNI)->tun[GS_DIR_HI_TO_LO];
	tb = flow_of(3, 1000, VNI)->tun[GS_DIR_LO_TO_HI] |
	     flow_of(3, 1000, VNI)->tun[GS_DIR_HI_TO_LO];
	CHECK(ta && tb && ta != tb, "tunnels %u and %u", ta, tb);
	CHECK(tunnels() == 2, "%d tunnels interned, expected 2",
	      tunnels());
	CHECK(refs(ta) == NFLOWS && refs(tb) == NFLOWS, "refs %u and %u, expected %u each",
	      refs(ta), refs(tb), NFLOWS);

	/* 2. a flow whose upstream changes moves its reference */
	rte_pktmbuf_free(run(frame(3, 0, VNI)));
	tc = flow_of(3, 0, VNI)->tun[GS_DIR_LO_TO_HI] | flow_of(3, 0, VNI)->tun[GS_DIR_HI_TO_LO];
	CHECK(tc == tb, "flow 0 now on tunnel %u, expected %u", tc, tb);
	CHECK(refs(ta) == NFLOWS - 1 && refs(tb) == NFLOWS + 1, "refs %u and %u after the move",
	      refs(ta), refs(tb));

	/* 3. a referenced tunnel survives the sweep */
	sweep_all();
	CHECK(tunnels() == 2, "sweep freed a referenced tunnel");

	/* 4. flows gone: references dropped, tunnels freed, slots reusable */
	gs_flow_table_flush(dp);
	CHECK(refs(ta) == 0 && refs(tb) == 0, "refs %u and %u after the flush", refs(ta),
	      refs(tb));
	sweep_all();
	CHECK(tunnels() == 0, "%d tunnels left after the sweep",
	      tunnels());
	CHECK(dp->tunnels[ta - 1].refs == 0 && dp->tunnels[ta - 1].neigh == GS_NEIGH_NONE,
	      "freed slot not reset (refs %u)", dp->tunnels[ta - 1].refs);

	/* 5. other tunnels take the slots; then the first flow again: same bytes */
	for (uint32_t v = 1; v <= 8; v++)
		rte_pktmbuf_free(run(frame(3, 2000 + v, VNI + v)));
	out = run(frame(2, 0, VNI));
	CHECK(out && rte_pktmbuf_pkt_len(out) == first_len &&
		      memcmp(rte_pktmbuf_mtod(out, void *), first, first_len) == 0,
	      "flow 0 after its tunnel was recycled: different bytes");
	rte_pktmbuf_free(out);
	CHECK(tunnels() == 9, "%d tunnels, expected 9",
	      tunnels());
	CHECK(dp->workers[0].stats.flow_table_full == 0, "flow_table_full %" PRIu64,
	      dp->workers[0].stats.flow_table_full);

	printf("%u passed, %u failed\n", passed, failed);
	gs_dp_destroy(dp);
	gs_config_free(cfg);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	gs_test_remove_runtime_dir(runtime_dir);
	return failed ? 1 : 0;
}
