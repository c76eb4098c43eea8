/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: an rte_hash of canonical flow keys (lock-free readers,
 * workers as concurrent writers) with the per-flow data in a separate array
 * indexed by the key's position.  Aging runs on the main lcore a slice at a
 * time, and deleted slots are reused only after an RCU grace period.
 */
#ifndef GS_FLOW_TABLE_H
#define GS_FLOW_TABLE_H

#include "dp.h"

int gs_flow_table_init(struct gs_dp *dp, char *err, size_t errlen);
void gs_flow_table_free(struct gs_dp *dp);

/* main lcore: examine up to @budget slots; expire idle flows.  Returns how
 * many were removed. */
uint32_t gs_flow_table_age(struct gs_dp *dp, uint32_t now_ms, uint32_t budget);

/*
 * Upstream tunnels (struct gs_flow_dir), interned and reference-counted.
 * Workers: gs_tunnel_get() returns 1 + the index of the tunnel whose key is
 * the first GS_TUNNEL_KEY_LEN bytes of @key, with a reference taken (0 when
 * the tunnel table is full); gs_tunnel_put() drops a reference.  The main
 * lcore frees unreferenced tunnels while aging.
 */
uint32_t gs_tunnel_get(struct gs_dp *dp, const struct gs_flow_dir *key);
void gs_tunnel_put(struct gs_dp *dp, uint32_t t);

/* main lcore: remove every flow (tests, shutdown accounting) */
void gs_flow_table_flush(struct gs_dp *dp);

/* idle timeout that applies to @f */
static inline uint32_t gs_flow_idle_ms(const struct gs_dp *dp, const struct gs_flow *f)
{
	const struct gs_target_group_cfg *g = dp->groups[f->group].cfg;

	return 1000u * (f->proto == GS_IPPROTO_TCP ? g->idle_timeout_tcp_s :
						       g->idle_timeout_other_s);
}

#endif /* GS_FLOW_TABLE_H */
