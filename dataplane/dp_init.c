/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building and tearing down a data plane, and the main lcore's control loop
 * body (slow-path messages, neighbour timers, drain deadlines, aging).
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "dp_init.h"
#include "flow_table.h"
#include "neigh.h"
#include "port.h"
#include "src_limit.h"

#define GS_MBUF_CACHE 256
#define GS_AGE_BUDGET 512 /* flow slots examined per main-loop pass */

static int create_rings(struct gs_dp *dp, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	dp->to_main = rte_ring_create("gs_to_main", GS_TO_MAIN_RING_SIZE,
				      (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!dp->to_main) {
		snprintf(err, errlen, "ring to the main lcore: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "gs_inject_%u", i);
		dp->workers[i].inject = rte_ring_create(name, GS_INJECT_RING_SIZE,
							(int)rte_socket_id(),
							RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!dp->workers[i].inject) {
			snprintf(err, errlen, "inject ring of worker %u: %s", i,
				 rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

static int create_workers(struct gs_dp *dp, const unsigned *lcores, char *err,
			  size_t errlen)
{
	uint32_t frag_size = rte_align32pow2(dp->cfg->dataplane.frag_table_size);

	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct gs_worker *w = &dp->workers[i];

		w->index = i;
		w->lcore_id = lcores ? lcores[i] : 0;
		w->app_stats = rte_zmalloc("gs_app_stats",
					   sizeof(*w->app_stats) * GS_MAX_APPLIANCES,
					   RTE_CACHE_LINE_SIZE);
		w->frags = rte_zmalloc("gs_frags", sizeof(*w->frags) * frag_size,
				       RTE_CACHE_LINE_SIZE);
		if (!w->app_stats || !w->frags) {
			snprintf(err, errlen, "worker %u: out of memory", i);
			return -1;
		}
		w->frag_mask = frag_size - 1;
		w->frag_seed = (uint32_t)rte_rand();
	}
	return 0;
}

static int create_rcu(struct gs_dp *dp, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->n_workers);

	dp->qsbr = rte_zmalloc("gs_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!dp->qsbr || rte_rcu_qsbr_init(dp->qsbr, dp->n_workers) != 0) {
		snprintf(err, errlen, "RCU for %u workers: %s", dp->n_workers,
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int create_pool(struct gs_dp *dp, char *err, size_t errlen)
{
	/* RX rings of every queue full, TX rings, rings between lcores,
	 * packets held for neighbours, and room to breathe */
	uint32_t n = dp->cfg->dataplane.n_ports * dp->n_workers * 2048 +
		     GS_TO_MAIN_RING_SIZE + dp->n_workers * GS_INJECT_RING_SIZE +
		     GS_MAX_NEIGHBORS * 8 + 4096;

	/* more on request: net_pcap's infinite_rx holds a whole pcap in mbufs */
	n = RTE_MAX(n, dp->cfg->dataplane.mbuf_pool_size);
	dp->pool = rte_pktmbuf_pool_create("gs_mbufs", n, GS_MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (!dp->pool) {
		snprintf(err, errlen, "mbuf pool of %u mbufs: %s", n,
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static void collect_local_addresses(struct gs_dp *dp)
{
	const struct gs_config *cfg = dp->cfg;

	for (uint32_t p = 0; p < cfg->dataplane.n_ports; p++)
		for (uint32_t i = 0; i < cfg->dataplane.ports[p].n_addresses; i++)
			dp->local[dp->n_local++] = cfg->dataplane.ports[p].addresses[i].addr;
	for (uint32_t l = 0; l < cfg->n_listeners; l++)
		dp->local[dp->n_local++] = cfg->listeners[l].address;
}

static int add_appliances(struct gs_dp *dp, char *err, size_t errlen)
{
	for (uint32_t g = 0; g < dp->cfg->n_groups; g++) {
		const struct gs_target_group_cfg *gc = &dp->cfg->groups[g];

		dp->groups[g].cfg = gc;
		dp->groups[g].scope_by_endpoint_id = true;
		for (uint32_t l = 0; l < dp->cfg->n_listeners; l++)
			if (dp->cfg->listeners[l].target_group_index == g)
				dp->groups[g].scope_by_endpoint_id =
					dp->cfg->listeners[l].scope_by_endpoint_id;
		dp->n_groups++;
		for (uint32_t a = 0; a < gc->n_appliances; a++)
			if (gs_appliance_insert(dp, g, &gc->appliances[a], err, errlen) != 0)
				return -1;
		if (gs_group_publish(dp, g) != 0) {
			snprintf(err, errlen, "target group '%s': cannot build its Maglev table",
				 gc->name);
			return -1;
		}
	}
	return 0;
}

struct gs_dp *gs_dp_create(struct gs_config *cfg, uint32_t n_workers,
			   const unsigned *worker_lcores, volatile bool *force_quit,
			   char *err, size_t errlen)
{
	struct gs_dp *dp;

	if (n_workers == 0 || n_workers > GS_MAX_WORKERS) {
		snprintf(err, errlen, "need 1 to %u worker lcores, have %u", GS_MAX_WORKERS,
			 n_workers);
		return NULL;
	}
	dp = rte_zmalloc("gs_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (!dp) {
		snprintf(err, errlen, "out of memory for the data plane state");
		return NULL;
	}
	dp->cfg = cfg;
	dp->n_workers = n_workers;
	dp->force_quit = force_quit;
	dp->hash_seed = cfg->dataplane.hash_seed;
	dp->tsc_hz = rte_get_tsc_hz();
	dp->start_tsc = rte_get_tsc_cycles();
	collect_local_addresses(dp);

	if (create_rcu(dp, err, errlen) || create_rings(dp, err, errlen) ||
	    create_workers(dp, worker_lcores, err, errlen) ||
	    create_pool(dp, err, errlen) || gs_flow_table_init(dp, err, errlen) ||
	    gs_ports_init(dp, err, errlen))
		goto fail;
	if (gs_src_limit_init(dp) != 0) {
		snprintf(err, errlen, "per-source flow counters: out of memory");
		goto fail;
	}
	if (gs_appliance_by_addr_init(dp) != 0) {
		snprintf(err, errlen, "appliance address table: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (gs_neigh_init(dp) != 0) {
		snprintf(err, errlen, "neighbour table: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (add_appliances(dp, err, errlen) != 0)
		goto fail;
	return dp;
fail:
	gs_dp_destroy(dp);
	return NULL;
}

static void free_ring(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (!r)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void gs_dp_destroy(struct gs_dp *dp)
{
	if (!dp)
		return;
	gs_ports_close(dp);
	free_ring(dp->to_main);
	for (uint32_t i = 0; i < dp->n_workers; i++) {
		struct gs_worker *w = &dp->workers[i];

		free_ring(w->inject);
		for (uint32_t h = 0; h < w->n_frag_hold; h++)
			rte_pktmbuf_free(w->frag_hold[h].m);
		rte_free(w->app_stats);
		rte_free(w->frags);
	}
	gs_neigh_free(dp);
	for (uint32_t g = 0; g < dp->n_groups; g++)
		rte_free(dp->groups[g].rt);
	rte_hash_free(dp->appliance_by_addr);
	gs_flow_table_free(dp);
	gs_src_limit_free(dp);
	rte_mempool_free(dp->pool);
	rte_free(dp->qsbr);
	rte_free(dp);
}

/* in-band probes come back here; gsteerd takes them (see ctrl/) */
static void probe_input(struct gs_dp *dp, struct rte_mbuf *m)
{
	if (!dp->probe_handler || dp->probe_handler(dp, m) != 0) {
		dp->main_drops[GS_R_PROBE_UNKNOWN]++;
		rte_pktmbuf_free(m);
	}
}

uint32_t gs_dp_main_once(struct gs_dp *dp)
{
	struct rte_mbuf *msgs[GS_BURST];
	uint32_t now_ms = gs_dp_now_ms(dp);
	unsigned n = rte_ring_sc_dequeue_burst(dp->to_main, (void **)msgs, GS_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		switch (msgs[i]->hash.usr) {
		case GS_MSG_SLOWPATH:
			gs_neigh_input(dp, msgs[i]);
			break;
		case GS_MSG_RESOLVE:
			gs_neigh_resolve_and_send(dp, msgs[i]);
			break;
		default:
			probe_input(dp, msgs[i]);
			break;
		}
	}
	gs_neigh_timer(dp, now_ms);
	gs_group_timer(dp);
	return n + gs_flow_table_age(dp, now_ms, GS_AGE_BUDGET);
}
