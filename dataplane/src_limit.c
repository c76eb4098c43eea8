/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-source flow limits: allocation and inspection (see src_limit.h). */
#include <string.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "src_limit.h"

int gs_src_limit_init(struct gs_dp *dp)
{
	uint32_t bits = GS_SRC_MIN_BITS;
	bool any = false;

	for (uint32_t l = 0; l < dp->cfg->n_listeners; l++)
		any |= dp->cfg->listeners[l].max_flows_per_source != 0;
	if (!any)
		return 0;
	/* twice as many counters per row as the table has flows: a full
	 * table loads a counter with half a flow of other sources on average */
	while (bits < GS_SRC_MAX_BITS &&
	       (1ull << bits) < 2ull * dp->cfg->dataplane.flow_table_size)
		bits++;
	dp->src_bits = bits;
	/* local state: nothing to agree on with other nodes, so the seed is
	 * secret and collisions cannot be aimed at a victim's counters */
	dp->src_seed = (uint32_t)rte_rand();
	dp->src_counts = rte_zmalloc("gs_src_counts",
				     (sizeof(*dp->src_counts) * 2) << bits,
				     RTE_CACHE_LINE_SIZE);
	dp->flow_src_key = rte_zmalloc("gs_flow_src_key",
				       sizeof(*dp->flow_src_key) * dp->flow_capacity,
				       RTE_CACHE_LINE_SIZE);
	return dp->src_counts && dp->flow_src_key ? 0 : -1;
}

void gs_src_limit_free(struct gs_dp *dp)
{
	rte_free(dp->src_counts);
	rte_free(dp->flow_src_key);
	dp->src_counts = NULL;
	dp->flow_src_key = NULL;
}

uint32_t gs_src_limit_count(const struct gs_dp *dp, uint32_t listener,
			    const uint8_t *src, uint8_t family)
{
	uint32_t key, a, b;

	if (!dp->src_counts)
		return 0;
	key = gs_src_key(dp, listener, src, family);
	a = __atomic_load_n(gs_src_counter(dp, key, 0), __ATOMIC_RELAXED);
	b = __atomic_load_n(gs_src_counter(dp, key, 1), __ATOMIC_RELAXED);
	return a < b ? a : b;
}

uint64_t gs_src_limit_outstanding(const struct gs_dp *dp)
{
	uint64_t n = 0;

	for (uint32_t i = 0; dp->src_counts && i < 2u << dp->src_bits; i++)
		n += dp->src_counts[i] != 0;
	return n;
}
