/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "flow_table.h"
#include "src_limit.h"

static uint32_t flow_hash_fn(const void *key, uint32_t key_len, uint32_t seed)
{
	RTE_SET_USED(key_len);
	return gs_flow_hash(key, seed);
}

int gs_flow_table_init(struct gs_dp *dp, char *err, size_t errlen)
{
	uint32_t capacity = dp->cfg->dataplane.flow_table_size;
	struct rte_hash_parameters hp = {
		.name = "gs_flows",
		.entries = capacity,
		.key_len = sizeof(struct gs_flow_key),
		.hash_func = flow_hash_fn,
		.hash_func_init_val = dp->hash_seed,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	dp->flows_hash = rte_hash_create(&hp);
	if (!dp->flows_hash) {
		snprintf(err, errlen, "flow table of %u flows: rte_hash_create: %s",
			 capacity, rte_strerror(rte_errno));
		return -1;
	}
	if (rte_hash_rcu_qsbr_add(dp->flows_hash, &rcu) != 0) {
		snprintf(err, errlen, "flow table: rte_hash_rcu_qsbr_add: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	/* rte_hash may hand out positions up to its rounded-up size */
	dp->flow_capacity = (uint32_t)rte_hash_max_key_id(dp->flows_hash) + 1;
	dp->flows = rte_zmalloc_socket("gs_flow_data",
				       sizeof(struct gs_flow) * dp->flow_capacity,
				       RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (!dp->flows) {
		snprintf(err, errlen, "flow table: no memory for %u flow entries (%zu MiB)",
			 dp->flow_capacity,
			 sizeof(struct gs_flow) * dp->flow_capacity >> 20);
		return -1;
	}
	return 0;
}

void gs_flow_table_free(struct gs_dp *dp)
{
	rte_hash_free(dp->flows_hash);
	rte_free(dp->flows);
	dp->flows_hash = NULL;
	dp->flows = NULL;
}

static void flow_expire(struct gs_dp *dp, const struct gs_flow_key *key,
			struct gs_flow *f)
{
	f->live = 0;
	if (rte_hash_del_key_with_hash(dp->flows_hash, key, f->hash) < 0)
		return;
	gs_src_release(dp, f->src_key);
	f->src_key = 0;
	if (f->appliance < GS_MAX_APPLIANCES)
		dp->app_flows_aged[f->appliance]++;
	dp->flows_aged++;
}

uint32_t gs_flow_table_age(struct gs_dp *dp, uint32_t now_ms, uint32_t budget)
{
	uint32_t removed = 0;

	while (budget--) {
		uint32_t pos = dp->age_cursor;
		struct gs_flow_key *key;
		struct gs_flow *f = &dp->flows[pos];

		dp->age_cursor = pos + 1 == dp->flow_capacity ? 0 : pos + 1;
		/* cheap tests first: most slots are empty or busy */
		if (!f->live ||
		    /* signed difference: survives the 49-day wrap of the ms clock */
		    (int32_t)(now_ms - f->last_seen_ms) < (int32_t)gs_flow_idle_ms(dp, f))
			continue;
		if (rte_hash_get_key_with_position(dp->flows_hash, (int32_t)pos,
						   (void **)&key) != 0)
			continue;
		flow_expire(dp, key, f);
		removed++;
	}
	return removed;
}

void gs_flow_table_flush(struct gs_dp *dp)
{
	for (uint32_t pos = 0; pos < dp->flow_capacity; pos++) {
		struct gs_flow_key *key;

		if (rte_hash_get_key_with_position(dp->flows_hash, (int32_t)pos,
						   (void **)&key) == 0)
			flow_expire(dp, key, &dp->flows[pos]);
	}
}
