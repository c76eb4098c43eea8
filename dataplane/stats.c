/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sums of the per-worker counters.  Workers own their counters and write
 * them without atomics; readers (main lcore, telemetry thread) tolerate
 * reading a value one burst old.
 */
#include <string.h>

#include "dp.h"

void gs_dp_stats_sum(const struct gs_dp *dp, struct gs_worker_stats *out)
{
	const size_t n = sizeof(*out) / sizeof(uint64_t);
	uint64_t *sum = (uint64_t *)out;

	RTE_BUILD_BUG_ON(sizeof(*out) % sizeof(uint64_t) != 0);
	memset(out, 0, sizeof(*out));
	for (uint32_t w = 0; w < dp->n_workers; w++) {
		const uint64_t *v = (const uint64_t *)&dp->workers[w].stats;

		for (size_t i = 0; i < n; i++)
			sum[i] += v[i];
	}
	for (unsigned r = 0; r < GS_R_COUNT; r++)
		out->drops[r] += dp->main_drops[r];
}

void gs_dp_appliance_stats(const struct gs_dp *dp, uint32_t app,
			   struct gs_appliance_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t w = 0; w < dp->n_workers; w++) {
		const struct gs_appliance_stats *s = &dp->workers[w].app_stats[app];

		out->tx_pkts += s->tx_pkts;
		out->tx_bytes += s->tx_bytes;
		out->rx_pkts += s->rx_pkts;
		out->rx_bytes += s->rx_bytes;
		out->new_flows += s->new_flows;
		out->moved_out += s->moved_out;
		out->last_rx_ms = RTE_MAX(out->last_rx_ms, s->last_rx_ms);
	}
}

uint64_t gs_dp_appliance_flows(const struct gs_dp *dp, uint32_t app)
{
	struct gs_appliance_stats s;

	gs_dp_appliance_stats(dp, app, &s);
	uint64_t gone = s.moved_out + dp->app_flows_aged[app];

	return s.new_flows > gone ? s.new_flows - gone : 0;
}

/*
 * Flows created by the workers minus flows the main lcore expired, rather
 * than rte_hash_count(): that one still counts a deleted key until the RCU
 * defer queue reclaims its slot, which for the last deletion waits for the
 * next one, so an idle table never reads empty.
 */
uint32_t gs_flow_count(const struct gs_dp *dp)
{
	uint64_t created = 0;

	for (uint32_t i = 0; i < dp->n_workers; i++)
		created += dp->workers[i].stats.flows_created;
	return created > dp->flows_aged ? (uint32_t)(created - dp->flows_aged) : 0;
}

unsigned gs_dp_mbufs_held(const struct gs_dp *dp)
{
	unsigned n = dp->to_main ? rte_ring_count(dp->to_main) : 0;

	for (uint32_t w = 0; w < dp->n_workers; w++) {
		n += dp->workers[w].n_frag_hold;
		if (dp->workers[w].inject)
			n += rte_ring_count(dp->workers[w].inject);
	}
	for (uint32_t i = 0; dp->neighs && i < dp->n_neighs; i++)
		n += dp->neighs[i].n_held;
	return n;
}
