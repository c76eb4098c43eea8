/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_pipeline: the per-packet pipeline in process, RX and TX replaced by
 * arrays.  Pre-built GENEVE frames in mbufs go through gs_pipeline_burst()
 * (exactly what the workers run) in bursts of GS_BURST; only those calls
 * are timed (rdtsc).  Between passes the frames are restored, untimed.
 * Figures are from the median pass (the machine may be shared).
 *
 *   bench_pipeline [--flows 1000,100000,1000000] [--sizes 64,512,1400]
 *                  [--workers 1|2] [--min-pkts N] [--dir upstream|return]
 *                  [--no-ref] [--no-miss] [--json FILE] [-- EAL args]
 *
 * For each number of active flows F the flow table is sized for F (plus
 * room for the miss test), warmed with F flows through the pipeline (that
 * warm-up is the new-flow rate), and then for each inner size and
 * direction (upstream -> appliance, appliance -> upstream) packets of
 * flows drawn uniformly at random from the F flows are timed: every one a
 * flow-table hit.  Then a pass of never-seen flows gives the cost of a miss
 * (lookup, Maglev pick, insert, record of the upstream tunnel).
 *
 * Reference, same run, same mbufs: a trivial forwarder that reads each
 * frame's Ethernet header, swaps the MAC addresses and puts the mbuf in the
 * TX array (what testpmd's macswap does per packet, without the NIC).
 * Every figure carries its ratio to that reference.
 *
 * Memory: the bytes a flow table configured for exactly F flows
 * (flow_table_size = F) takes from the DPDK heap (rte_hash buckets, key
 * store, free-slot ring, per-flow array, the upstream-tunnel table),
 * divided by F.
 *
 * --workers 2: the hit and miss passes run on two lcores at once, each
 * with its own worker state and mbufs, on one shared flow table
 * (concurrent lookups and inserts); per-core rates are reported.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp_init.h"
#include "../dataplane/eal_runtime.h"
#include "flow_table.h"
#include "gs_encap.h"
#include "pipeline.h"

#define NPKT 4096 /* frames per pass and per worker (~8 MiB of mbufs) */
#define N_APPS 4
#define VNI 100
#define MISS_PASSES 4
#define EID 0x1122334455667788ull
#define AID 0xA1B2C3D4E5F60708ull

static const uint8_t upstream_ip[4] = { 10, 0, 0, 2 };
static const uint8_t listener_ip[4] = { 10, 0, 0, 10 };
static const uint8_t fleet_ip[4] = { 10, 1, 0, 1 };
static const uint8_t up_mac[6] = { 2, 0, 0, 0, 0, 2 };

enum dir { UP = 0, RET = 1 };
static const char *const dir_name[] = { "upstream", "return" };

struct wctx {
	struct gs_worker *w;
	struct rte_mbuf *m[NPKT];
	uint32_t flow[NPKT]; /* the flow each frame belongs to */
	uint64_t rng;
	/* results of the last timed run */
	uint64_t cycles, pkts, bad;
	uint64_t pass_cycles[4096];
	struct gs_tx tx;
};

static struct gs_dp *dp;
static volatile uint64_t sink;
static struct wctx ctx[2];
static unsigned n_workers = 1;
static FILE *json;
static uint32_t inner_size = 64;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* the inner packet of flow @i: IPv4/UDP, @size bytes in all */
static void inner_tuple(uint32_t i, struct gs_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->src[0] = 48 + (uint8_t)(i >> 24);
	t->src[1] = (uint8_t)(i >> 16);
	t->src[2] = (uint8_t)(i >> 8);
	t->src[3] = (uint8_t)i;
	t->dst[0] = 192;
	t->dst[1] = 168;
	t->dst[2] = 2;
	t->dst[3] = 2;
	t->sport = (uint16_t)(1024 + i % 50000);
	t->dport = 5001;
	t->proto = GS_IPPROTO_UDP;
	t->family = GS_AF_INET;
}

static uint32_t write_inner(uint8_t *p, const struct gs_tuple *t, uint32_t size)
{
	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(size >> 8);
	p[3] = (uint8_t)size;
	p[8] = 64;
	p[9] = GS_IPPROTO_UDP;
	memcpy(p + 12, t->src, 4);
	memcpy(p + 16, t->dst, 4);
	p[20] = (uint8_t)(t->sport >> 8);
	p[21] = (uint8_t)t->sport;
	p[22] = (uint8_t)(t->dport >> 8);
	p[23] = (uint8_t)t->dport;
	p[24] = (uint8_t)((size - 20) >> 8);
	p[25] = (uint8_t)(size - 20);
	/* inner checksums are not gsteer's business; payload is left as is */
	return size;
}

/* write frame of flow @i in direction @d into @m (untimed) */
static void build_frame(struct rte_mbuf *m, uint32_t i, enum dir d)
{
	struct gs_opts_spec os = { 0 };
	struct gs_encap e = { 0 };
	uint8_t opts[64];
	struct gs_tuple t;
	uint8_t *p;
	uint32_t hlen, hash = 0;
	int olen;

	inner_tuple(i, &t);
	e.family = GS_AF_INET;
	e.ttl = 64;
	e.dport = GS_GENEVE_UDP_PORT;
	e.vni = VNI;
	e.protocol = GS_ETHERTYPE_IPV4;
	memcpy(e.dst_mac, dp->ports[0].mac.addr_bytes, 6);
	os.with_endpoint_id = true;
	os.endpoint_id = EID;
	os.with_attachment_id = true;
	os.attachment_id = AID;
	if (d == UP) {
		memcpy(e.src_mac, up_mac, 6);
		memcpy(e.src, upstream_ip, 4);
		memcpy(e.dst, listener_ip, 4);
		e.sport = (uint16_t)(40000 + i % 20000);
	} else {
		/* what the appliance returns: the packet gsteer sent it, outer
		 * addresses swapped, options (with the flow cookie) kept */
		int32_t pos;
		uint16_t a = 0;

		struct gs_flow_key k;

		gs_flow_key_build(&k, &t, GS_STICKY_5TUPLE, VNI, 0, EID);
		hash = gs_flow_hash(&k, dp->hash_seed);
		pos = rte_hash_lookup_with_hash(dp->flows_hash, &k, hash);
		if (pos >= 0)
			a = dp->flows[pos].appliance;
		e.src_mac[0] = 2;
		e.src_mac[5] = (uint8_t)(0x10 + a);
		memcpy(e.src, dp->appliances[a].addr.a, 4);
		memcpy(e.dst, fleet_ip, 4);
		e.sport = gs_entropy_port(hash);
		os.with_cookie = true;
		os.cookie = gs_flow_cookie(hash);
	}
	olen = gs_geneve_opts_write(opts, sizeof(opts), &os);
	e.opts = opts;
	e.opts_len = (uint16_t)olen;
	e.payload_len = inner_size;
	hlen = gs_encap_len(&e);
	rte_pktmbuf_reset(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hlen + inner_size));
	gs_encap_write(p, hlen, &e);
	write_inner(p + hlen, &t, inner_size);
	m->port = 0;
}

/* ---- timed passes ------------------------------------------------------ */

enum mode { M_HIT, M_MISS, M_REF };

struct run_args {
	enum mode mode;
	enum dir d;
	uint32_t flows;     /* hits: draw from [0, flows) */
	uint32_t next_new;  /* misses: first never-seen flow of this worker */
	uint32_t passes;
};

static struct run_args run_args[2];

static void ref_burst(struct rte_mbuf **pkts, uint16_t n, struct gs_tx *tx)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		struct rte_ether_addr tmp = eh->dst_addr;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		eh->dst_addr = eh->src_addr;
		eh->src_addr = tmp;
		tx->pkts[0][tx->n[0]++] = pkts[i];
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_worker(void *arg)
{
	unsigned wi = (unsigned)(uintptr_t)arg;
	struct wctx *c = &ctx[wi];
	struct run_args *ra = &run_args[wi];
	struct gs_worker_stats before = c->w->stats;
	uint64_t expect_out = 0;

	c->cycles = c->pkts = c->bad = 0;
	if (ra->passes > RTE_DIM(c->pass_cycles))
		ra->passes = RTE_DIM(c->pass_cycles);
	for (uint32_t p = 0; p < ra->passes; p++) {
		uint64_t pc = 0;

		/* restore the frames, untimed */
		for (uint32_t j = 0; j < NPKT; j++) {
			uint32_t f = ra->mode == M_MISS ? ra->next_new++ :
				     (uint32_t)(xorshift(&c->rng) % ra->flows);

			c->flow[j] = f;
			build_frame(c->m[j], f, ra->d);
		}
		/* building return frames looks every flow up, which evicts the
		 * frames built before: read every mbuf and frame head once more
		 * so both directions start from the same cache state */
		for (uint32_t j = 0; j < NPKT; j++)
			sink += c->m[j]->pkt_len + *rte_pktmbuf_mtod(c->m[j], volatile uint8_t *);
		for (uint32_t j = 0; j < NPKT; j += GS_BURST) {
			uint32_t now = gs_dp_now_ms(dp);
			uint64_t t0 = rte_rdtsc_precise(), t1;

			if (ra->mode == M_REF)
				ref_burst(&c->m[j], GS_BURST, &c->tx);
			else
				gs_pipeline_burst(dp, c->w, &c->m[j], GS_BURST, now, &c->tx);
			t1 = rte_rdtsc_precise();
			pc += t1 - t0;
			expect_out += GS_BURST;
			/* TX array: take the frames back (same mbufs) */
			c->tx.n[0] = 0;
		}
		c->pass_cycles[p] = pc;
		c->pkts += NPKT;
	}
	/* the machine is shared: the median pass, not the sum, so that a pass
	 * during which another process had the core does not count */
	qsort(c->pass_cycles, ra->passes, sizeof(uint64_t), cmp_u64);
	c->cycles = c->pass_cycles[ra->passes / 2] * ra->passes;
	if (ra->mode != M_REF) {
		uint64_t out = c->w->stats.to_appliance + c->w->stats.to_upstream -
			       before.to_appliance - before.to_upstream;

		c->bad = expect_out - out;
	}
	return 0;
}

/* run @ra on every worker at once; returns cycles per packet (worst
 * worker) and fills per-worker Mpps */
static double run_all(struct run_args *ra, double *mpps_per_core, uint64_t *bad)
{
	double worst = 0;
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);

	for (unsigned i = 0; i < n_workers; i++)
		run_args[i] = ra[i];
	if (n_workers > 1)
		rte_eal_remote_launch(run_worker, (void *)(uintptr_t)1, lcore);
	run_worker((void *)(uintptr_t)0);
	if (n_workers > 1)
		rte_eal_wait_lcore(lcore);
	*bad = 0;
	for (unsigned i = 0; i < n_workers; i++) {
		double cpp = (double)ctx[i].cycles / (double)ctx[i].pkts;

		if (cpp > worst)
			worst = cpp;
		mpps_per_core[i] = (double)rte_get_tsc_hz() / cpp / 1e6;
		*bad += ctx[i].bad;
	}
	return worst;
}

/* what went wrong when not every frame was forwarded */
static void print_drops(void)
{
	for (int r = 0; r < GS_R_COUNT; r++) {
		uint64_t n = 0;

		for (unsigned w = 0; w < n_workers; w++)
			n += dp->workers[w].stats.drops[r];
		if (n)
			printf("          dropped so far: %" PRIu64 " %s\n", n,
			       gs_reason_name((enum gs_reason)r));
	}
	printf("          flows in the table: %d of %u slots\n", rte_hash_count(dp->flows_hash),
	       dp->flow_capacity);
}

/* ---- flow table sizing and memory ------------------------------------- */

static uint64_t heap_used(void)
{
	struct rte_malloc_socket_stats s;
	uint64_t used = 0;

	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			used += s.heap_allocsz_bytes;
	return used;
}

static uint64_t table_init(uint32_t size)
{
	char err[256];
	uint64_t before;

	gs_flow_table_free(dp);
	dp->cfg->dataplane.flow_table_size = size;
	before = heap_used();
	if (gs_flow_table_init(dp, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		exit(1);
	}
	return heap_used() - before;
}

/* the memory of a table configured for exactly @flows (flow_table_size),
 * then a table with room for the miss passes too, to run on */
static uint64_t resize_table(uint32_t flows)
{
	uint64_t exact = table_init(flows);

	table_init(flows + n_workers * MISS_PASSES * NPKT + 1024);
	return exact;
}

/* insert flows [0, F) through the pipeline; returns new flows per second */
static double warm(uint32_t flows)
{
	struct wctx *c = &ctx[0];
	uint64_t cycles = 0, done = 0;

	while (done < flows) {
		uint32_t n = flows - done < NPKT ? (uint32_t)(flows - done) : NPKT;

		for (uint32_t j = 0; j < n; j++)
			build_frame(c->m[j], (uint32_t)done + j, UP);
		for (uint32_t j = 0; j < n; j += GS_BURST) {
			uint16_t b = (uint16_t)(n - j < GS_BURST ? n - j : GS_BURST);
			uint64_t t0 = rte_rdtsc();

			gs_pipeline_burst(dp, c->w, &c->m[j], b, gs_dp_now_ms(dp), &c->tx);
			cycles += rte_rdtsc() - t0;
			c->tx.n[0] = 0;
		}
		done += n;
	}
	return (double)flows * (double)rte_get_tsc_hz() / (double)cycles;
}

/* ---- main -------------------------------------------------------------- */

static uint32_t parse_list(const char *s, uint32_t *out, uint32_t cap)
{
	uint32_t n = 0;
	char *dup = strdup(s), *save = NULL;

	for (char *t = strtok_r(dup, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save))
		out[n++] = (uint32_t)strtoul(t, NULL, 10);
	free(dup);
	return n;
}

static const char *write_config(void)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/gs-bench-pipeline-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f, "{\"dataplane\": {\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\","
		   " \"addresses\": [\"10.0.0.1/24\", \"10.0.0.10/24\", \"10.1.0.1/24\"]}],"
		   " \"flow_table_size\": 1024, \"neighbors\": ["
		   "{\"address\": \"10.0.0.2\", \"mac\": \"02:00:00:00:00:02\"}");
	for (int a = 0; a < N_APPS; a++)
		fprintf(f, ", {\"address\": \"10.1.0.%d\", \"mac\": \"02:00:00:00:00:%02x\"}",
			100 + a, 0x10 + a);
	fprintf(f, "]}, \"listeners\": [{\"name\": \"l\", \"address\": \"10.0.0.10\","
		   " \"target_group\": \"g\", \"upstreams\": [\"10.0.0.0/24\"]}],"
		   " \"target_groups\": [{\"name\": \"g\", \"health_check\": {\"protocol\": \"none\"},"
		   " \"appliances\": [");
	for (int a = 0; a < N_APPS; a++)
		fprintf(f, "%s{\"id\": \"fw-%d\", \"address\": \"10.1.0.%d\"}", a ? ", " : "", a,
			100 + a);
	fprintf(f, "]}]}\n");
	fclose(f);
	return path;
}

int main(int argc, char **argv)
{
	char runtime_dir[4096];
	uint32_t flows[8] = { 1000, 100000, 1000000 }, n_flows = 3;
	uint32_t sizes[4] = { 64, 512, 1400 }, n_sizes = 3;
	uint64_t min_pkts = 1u << 20;
	int dirs = 3, no_ref = 0, no_miss = 0; /* bit 0: upstream, bit 1: return */
	const char *json_path = NULL, *cfg_path;
	char *eal[64];
	int n_eal = 0, i;
	uint32_t max_flows = 0;
	static char mem[32], prefix[32], lcores[16];
	static volatile bool quit;
	struct gs_config *cfg;
	char err[512];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			n_flows = parse_list(argv[++i], flows, 8);
		else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			n_sizes = parse_list(argv[++i], sizes, 4);
		else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
			n_workers = (unsigned)atoi(argv[++i]) == 2 ? 2 : 1;
		else if (!strcmp(argv[i], "--min-pkts") && i + 1 < argc)
			min_pkts = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			i++;
			dirs = !strcmp(argv[i], "upstream") ? 1 : !strcmp(argv[i], "return") ? 2 : 3;
		} else if (!strcmp(argv[i], "--no-ref")) /* for callgrind: pipeline only */
			no_ref = 1;
		else if (!strcmp(argv[i], "--no-miss"))
			no_miss = 1;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else if (!strcmp(argv[i], "--"))
			break;
		else {
			fprintf(stderr, "usage: bench_pipeline [--flows LIST] [--sizes LIST] "
					"[--workers 1|2] [--min-pkts N] [--dir upstream|return]\n"
					"                      [--no-ref] [--no-miss] [--json FILE] [-- EAL args]\n");
			return 2;
		}
	}
	for (uint32_t k = 0; k < n_flows; k++)
		if (flows[k] > max_flows)
			max_flows = flows[k];

	eal[n_eal++] = argv[0];
	snprintf(lcores, sizeof(lcores), "0-%u", n_workers - 1);
	eal[n_eal++] = "-l";
	eal[n_eal++] = lcores;
	if (i < argc) { /* caller's memory options (e.g. hugepages) */
		for (int k = i + 1; k < argc && n_eal < 50; k++)
			eal[n_eal++] = argv[k];
	} else {
		/* ~300 bytes a flow at most, the mbufs, and room */
		snprintf(mem, sizeof(mem), "%" PRIu64,
			 (uint64_t)max_flows * 300 / (1 << 20) + 768);
		eal[n_eal++] = "--no-huge";
		eal[n_eal++] = "-m";
		eal[n_eal++] = mem;
	}
	eal[n_eal++] = "--no-pci";
	if (i >= argc) { /* the caller's options name their own file prefix */
		snprintf(prefix, sizeof(prefix), "gspb%d", (int)getpid());
		eal[n_eal++] = "--no-shconf";
		eal[n_eal++] = "--file-prefix";
		eal[n_eal++] = prefix;
	}
	eal[n_eal++] = "--vdev";
	eal[n_eal++] = "net_null0";
	eal[n_eal++] = "--log-level";
	eal[n_eal++] = "error";
	eal[n_eal] = NULL;

	cfg_path = write_config();
	cfg = cfg_path ? gs_config_load(cfg_path, err, sizeof(err)) : NULL;
	if (cfg_path)
		unlink(cfg_path);
	if (!cfg) {
		fprintf(stderr, "bench_pipeline: config: %s\n", cfg_path ? err : "cannot write");
		return 1;
	}
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "bench_pipeline: EAL initialisation failed\n");
		return 1;
	}
	if (n_workers > 1 && rte_lcore_count() < 2) {
		fprintf(stderr, "bench_pipeline: --workers 2 needs two lcores\n");
		return 1;
	}
	dp = gs_dp_create(cfg, n_workers, NULL, &quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "bench_pipeline: gs_dp_create: %s\n", err);
		return 1;
	}
	for (unsigned w = 0; w < n_workers; w++) {
		ctx[w].w = &dp->workers[w];
		ctx[w].rng = 0x9E3779B97F4A7C15ull * (w + 1);
		if (rte_pktmbuf_alloc_bulk(dp->pool, ctx[w].m, NPKT) != 0) {
			fprintf(stderr, "bench_pipeline: no %u mbufs\n", NPKT);
			return 1;
		}
	}
	if (json_path) {
		json = fopen(json_path, "w");
		if (!json) {
			perror(json_path);
			return 1;
		}
		fprintf(json, "[\n");
	}

	printf("gsteer in-process pipeline benchmark: %u worker(s), burst %u, %u frames a pass,"
	       " TSC %.2f GHz\n", n_workers, GS_BURST, NPKT, rte_get_tsc_hz() / 1e9);
	printf("flow entry %zu B; flow key %zu B; mbuf pool %u x %u B; hits draw flows"
	       " uniformly at random\n", sizeof(struct gs_flow), sizeof(struct gs_flow_key),
	       dp->pool->size, dp->pool->elt_size);
	printf("%-9s %9s %5s %9s %8s %9s %8s %7s\n", "dir", "flows", "size", "Mpps/core",
	       "cyc/pkt", "ref_Mpps", "ref_cyc", "ratio");

	bool first_json = true;
	int status = 0;

	for (uint32_t fi = 0; fi < n_flows; fi++) {
		uint32_t F = flows[fi];
		uint64_t table_bytes = resize_table(F);
		double ins_rate, mpps[2], ref_mpps[2];
		uint64_t bad;
		uint32_t passes;

		inner_size = 64;
		ins_rate = warm(F);
		printf("# %u flows: table sized for them %.1f MiB, %.1f B/flow; warm-up %.2f M new"
		       " flows/s through the pipeline\n", F,
		       table_bytes / 1048576.0, (double)table_bytes / F, ins_rate / 1e6);
		for (uint32_t si = 0; si < n_sizes; si++) {
			inner_size = sizes[si];
			passes = (uint32_t)((min_pkts + NPKT - 1) / NPKT);
			for (int d = UP; d <= RET; d++) {
				struct run_args ra[2], rr[2];
				double cpp, rcpp = 0;

				if (!(dirs & (1 << d)))
					continue;

				for (unsigned w = 0; w < 2; w++) {
					ra[w] = (struct run_args){ .mode = M_HIT, .d = (enum dir)d,
								   .flows = F, .passes = passes };
					rr[w] = ra[w];
					rr[w].mode = M_REF;
				}
				/* one short untimed-in-effect pass first, then the reference
				 * and the pipeline back to back */
				if (!no_ref)
					rcpp = run_all(rr, ref_mpps, &bad);
				else
					ref_mpps[0] = 0;
				cpp = run_all(ra, mpps, &bad);
				printf("%-9s %9u %5u %9.2f %8.1f %9.2f %8.1f %7.3f%s\n", dir_name[d], F,
				       inner_size, mpps[0], cpp, ref_mpps[0], rcpp, rcpp / cpp,
				       bad ? "  (NOT ALL FORWARDED)" : "");
				if (n_workers > 1)
					printf("          worker 1: %.2f Mpps\n", mpps[1]);
				if (bad) {
					status = 1;
					print_drops();
				}
				if (json) {
					fprintf(json, "%s  {\"kind\": \"hit\", \"dir\": \"%s\", \"flows\": %u,"
						      " \"size\": %u, \"workers\": %u, \"mpps_per_core\": %.3f,"
						      " \"cycles_per_pkt\": %.1f, \"ref_mpps\": %.3f,"
						      " \"ref_cycles_per_pkt\": %.1f, \"bad\": %" PRIu64 "}",
						first_json ? "" : ",\n", dir_name[d], F, inner_size,
						n_workers, mpps[0], cpp, ref_mpps[0], rcpp, bad);
					first_json = false;
				}
			}
		}
		/* misses: never-seen flows, 64-byte inner packets */
		if (!no_miss) {
			struct run_args ra[2];
			double cpp;

			inner_size = 64;
			for (unsigned w = 0; w < 2; w++)
				ra[w] = (struct run_args){ .mode = M_MISS, .d = UP,
							   .next_new = F + w * MISS_PASSES * NPKT,
							   .passes = MISS_PASSES };
			cpp = run_all(ra, mpps, &bad);
			printf("%-9s %9u %5u %9.2f %8.1f  (new flow: lookup miss + pick + insert)\n",
			       "miss", F, 64u, mpps[0], cpp);
			/* the table has room for every miss, but with two workers
			 * inserting, rte_hash can run out of free slots in one
			 * lcore's cache: reported, not a failure of the run */
			if (bad) {
				printf("          %" PRIu64 " new flows not forwarded\n", bad);
				print_drops();
			}
			if (json) {
				fprintf(json, ",\n  {\"kind\": \"miss\", \"flows\": %u, \"size\": 64,"
					      " \"workers\": %u, \"mpps_per_core\": %.3f,"
					      " \"cycles_per_pkt\": %.1f, \"bad\": %" PRIu64 "},\n"
					      "  {\"kind\": \"memory\", \"flows\": %u, \"table_slots\": %u,"
					      " \"table_bytes\": %" PRIu64 ", \"bytes_per_flow\": %.1f,"
					      " \"flow_entry_bytes\": %zu, \"key_bytes\": %zu,"
					      " \"mempool_mbufs\": %u, \"mbuf_bytes\": %u,"
					      " \"warm_new_flows_per_s\": %.0f}",
					F, n_workers, mpps[0], cpp, bad, F, dp->flow_capacity, table_bytes,
					(double)table_bytes / F, sizeof(struct gs_flow),
					sizeof(struct gs_flow_key), dp->pool->size, dp->pool->elt_size,
					ins_rate);
			}
		}
	}
	if (json) {
		fprintf(json, "\n]\n");
		fclose(json);
	}
	for (unsigned w = 0; w < n_workers; w++)
		rte_pktmbuf_free_bulk(ctx[w].m, NPKT);
	gs_dp_destroy(dp);
	gs_config_free(cfg);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	gs_test_remove_runtime_dir(runtime_dir);
	return status;
}
