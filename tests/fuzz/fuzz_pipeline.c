/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: frames through the real per-packet pipeline
 * (dataplane/pipeline.c) and the main lcore, as fixture_runner plays them,
 * on a data plane built from the fixtures' config (net_null port, EAL with
 * --no-huge).
 *
 * Input: a sequence of frames, each a 2-byte big-endian length and that
 * many bytes, received on port 0 one burst each (so one input can open a
 * flow and then return it).  State (flows, fragments) carries over between
 * inputs; held fragments are expired at the end of each input.
 *
 * Checked besides memory safety: after each input no mbuf is in use beyond
 * what the data plane holds on purpose (no leak on any path); every frame
 * the pipeline sends is a well-formed GENEVE packet by gsteer's own
 * parsers (outer checksum, option area, inner packet); every frame the
 * main lcore sends has an Ethernet header.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_init.h"
#define GS_FUZZ_WITH_EAL
#include "fuzz_util.h"
#include "pipeline.h"

static struct gs_dp *dp;
static struct gs_config *cfg;
static volatile bool quit;
static uint32_t clock_ms;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *cfg_path = getenv("GS_FUZZ_CONFIG");
	char prefix[48], err[512];
	char *eal[] = { (*argv)[0], "-l", "0", "--no-huge", "-m", "512", "--no-pci",
			"--no-shconf", "--no-telemetry", "--file-prefix", prefix,
			"--vdev", "net_null0", "--log-level", "crit", NULL };

	(void)argc;
	if (!cfg_path)
		cfg_path = GS_FUZZ_DEFAULT_CONFIG;
	snprintf(prefix, sizeof(prefix), "gsfp%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_pipeline: EAL initialisation failed\n");
		exit(1);
	}
	atexit(fuzz_eal_remove_runtime_dir);
	cfg = gs_config_load(cfg_path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "fuzz_pipeline: %s\n", err);
		exit(1);
	}
	dp = gs_dp_create(cfg, 1, NULL, &quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "fuzz_pipeline: gs_dp_create: %s\n", err);
		exit(1);
	}
	return 0;
}

/* a frame the pipeline sent must be GENEVE gsteer itself accepts */
static void check_sent(struct rte_mbuf *m)
{
	static uint8_t buf[16384];
	uint32_t len = rte_pktmbuf_pkt_len(m), off, udp_len;
	const uint8_t *p;
	struct gs_eth eth;
	struct gs_ip ip;
	struct gs_geneve g;
	struct gs_inner in;

	FUZZ_CHECK(len <= sizeof(buf));
	p = rte_pktmbuf_read(m, 0, len, buf);
	FUZZ_CHECK(p != NULL);
	FUZZ_CHECK(gs_parse_eth(p, len, &eth) == GS_R_OK);
	FUZZ_CHECK(eth.ethertype == GS_ETHERTYPE_IPV4 || eth.ethertype == GS_ETHERTYPE_IPV6);
	FUZZ_CHECK(gs_parse_ip(p + eth.hdr_len, len - eth.hdr_len,
			       eth.ethertype == GS_ETHERTYPE_IPV6 ? GS_AF_INET6 : GS_AF_INET,
			       true, &ip) == GS_R_OK);
	FUZZ_CHECK(eth.hdr_len + ip.tot_len == len);
	FUZZ_CHECK(ip.proto == GS_IPPROTO_UDP && !ip.is_fragment && ip.ttl == GS_DEFAULT_TTL);
	off = eth.hdr_len + ip.hdr_len;
	FUZZ_CHECK(len >= off + GS_UDP_HDR_LEN);
	FUZZ_CHECK((p[off + 2] << 8 | p[off + 3]) == GS_GENEVE_UDP_PORT);
	udp_len = (uint32_t)p[off + 4] << 8 | p[off + 5];
	FUZZ_CHECK(off + udp_len == len);
	FUZZ_CHECK(gs_parse_geneve(p + off + 8, udp_len - 8, &g) == GS_R_OK);
	/* toward an appliance gsteer always adds its cookie; toward an
	 * upstream only the options that upstream sent go back */
	FUZZ_CHECK(!g.has_probe);
	if (gs_appliance_lookup_addr(dp, ip.dst, ip.family) >= 0)
		FUZZ_CHECK(g.has_cookie);
	FUZZ_CHECK(gs_parse_inner(p + off + 8 + g.hdr_len, udp_len - 8 - g.hdr_len,
				  g.protocol, &in) == GS_R_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gs_tx tx;
	struct gs_worker *w = &dp->workers[0];
	unsigned before = rte_mempool_in_use_count(dp->pool) - gs_dp_mbufs_held(dp);
	size_t off = 0;

	while (off + 2 <= size) {
		size_t flen = (size_t)data[off] << 8 | data[off + 1];
		struct rte_mbuf *m, *out[GS_INJECT_RING_SIZE];
		char *dst;
		unsigned n;

		off += 2;
		if (flen > size - off)
			flen = size - off;
		if (flen > 9000)
			break;
		m = rte_pktmbuf_alloc(dp->pool);
		FUZZ_CHECK(m != NULL);
		dst = rte_pktmbuf_append(m, (uint16_t)flen);
		FUZZ_CHECK(dst != NULL || flen > rte_pktmbuf_tailroom(m));
		if (!dst) {
			rte_pktmbuf_free(m);
			break;
		}
		memcpy(dst, data + off, flen);
		off += flen;
		m->port = 0;
		memset(&tx, 0, sizeof(tx));
		gs_pipeline_burst(dp, w, &m, 1, clock_ms, &tx);
		for (uint32_t p = 0; p < GS_MAX_PORTS; p++)
			for (uint16_t i = 0; i < tx.n[p]; i++) {
				check_sent(tx.pkts[p][i]);
				rte_pktmbuf_free(tx.pkts[p][i]);
			}
		gs_dp_main_once(dp);
		n = rte_ring_sc_dequeue_burst(w->inject, (void **)out, GS_INJECT_RING_SIZE, NULL);
		for (unsigned i = 0; i < n; i++) {
			FUZZ_CHECK(rte_pktmbuf_pkt_len(out[i]) >= GS_ETH_HDR_LEN);
			rte_pktmbuf_free(out[i]);
		}
		clock_ms += 7;
	}
	/* fragments still waiting for their first one time out */
	clock_ms += GS_FRAG_HOLD_MS + 1;
	gs_pipeline_expire_frags(w, clock_ms);
	FUZZ_CHECK(rte_mempool_in_use_count(dp->pool) - gs_dp_mbufs_held(dp) == before);
	return 0;
}
