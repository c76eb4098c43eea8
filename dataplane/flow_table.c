/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_pause.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "flow_table.h"
#include "src_limit.h"

static uint32_t flow_hash_fn(const void *key, uint32_t key_len, uint32_t seed)
{
	RTE_SET_USED(key_len);
	return gs_flow_hash(key, seed);
}

/* rte_hash compares keys of 16, 32, 48... bytes inline and others with a
 * memcmp call; a flow key is 52: six 64-bit words and one 32-bit word */
static int flow_key_cmp(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	uint64_t diff = 0;

	RTE_SET_USED(len);
	for (int i = 0; i < 48; i += 8) {
		uint64_t u, v;

		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		diff |= u ^ v;
	}
	{
		uint32_t u, v;

		memcpy(&u, x + 48, 4);
		memcpy(&v, y + 48, 4);
		diff |= u ^ v;
	}
	return diff != 0;
}
_Static_assert(sizeof(struct gs_flow_key) == 52, "flow_key_cmp compares 52 bytes");

#define TUNNEL_SWEEP_BUDGET 64 /* tunnel slots examined per aging pass */
#define TUNNEL_GET_TRIES 256    /* while the main lcore frees the same key */

static int tunnel_table_init(struct gs_dp *dp, char *err, size_t errlen)
{
	struct rte_hash_parameters hp = {
		.name = "gs_tunnels",
		.entries = GS_MAX_TUNNELS,
		.key_len = GS_TUNNEL_KEY_LEN,
		.hash_func = rte_jhash,
		.hash_func_init_val = dp->hash_seed,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	dp->tunnels_hash = rte_hash_create(&hp);
	if (!dp->tunnels_hash || rte_hash_rcu_qsbr_add(dp->tunnels_hash, &rcu) != 0) {
		snprintf(err, errlen, "upstream tunnel table: %s", rte_strerror(rte_errno));
		return -1;
	}
	dp->tunnel_capacity = (uint32_t)rte_hash_max_key_id(dp->tunnels_hash) + 1;
	dp->tunnels = rte_zmalloc_socket("gs_tunnels", sizeof(*dp->tunnels) * dp->tunnel_capacity,
					 RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (!dp->tunnels) {
		snprintf(err, errlen, "upstream tunnel table: out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < dp->tunnel_capacity; i++)
		dp->tunnels[i].neigh = GS_NEIGH_NONE;
	return 0;
}

uint32_t gs_tunnel_get(struct gs_dp *dp, const struct gs_flow_dir *key)
{
	hash_sig_t sig = rte_hash_hash(dp->tunnels_hash, key);

	for (int tries = 0; tries < TUNNEL_GET_TRIES; tries++) {
		int32_t pos = rte_hash_lookup_with_hash(dp->tunnels_hash, key, sig);
		uint32_t *refs, r;

		if (pos < 0)
			pos = rte_hash_add_key_with_hash(dp->tunnels_hash, key, sig);
		if (unlikely(pos < 0))
			return 0;
		refs = &dp->tunnels[pos].refs;
		r = __atomic_load_n(refs, __ATOMIC_ACQUIRE);
		while (r != GS_TUNNEL_DEAD)
			if (__atomic_compare_exchange_n(refs, &r, r + 1, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return (uint32_t)pos + 1;
		/* the main lcore is freeing this key (or has freed it and not
		 * yet marked the slot reusable): look again */
		rte_pause();
	}
	return 0;
}

void gs_tunnel_put(struct gs_dp *dp, uint32_t t)
{
	if (t)
		__atomic_fetch_sub(&dp->tunnels[t - 1].refs, 1, __ATOMIC_RELEASE);
}

/*
 * Main lcore: free tunnels no flow refers to.  A tunnel at zero references
 * is marked dead (so no worker takes it any more) and deleted; after a
 * grace period no worker can still be reading it, and its slot is marked
 * reusable.  A worker that meets a dead tunnel looks it up again.
 */
static void tunnel_sweep(struct gs_dp *dp, uint32_t budget)
{
	uint32_t dead[TUNNEL_SWEEP_BUDGET], n = 0;

	if (!dp->tunnels)
		return;
	while (budget-- && n < RTE_DIM(dead)) {
		uint32_t pos = dp->tunnel_cursor, zero = 0;
		struct gs_flow_dir *t = &dp->tunnels[pos];
		struct gs_flow_dir key;
		void *k;

		dp->tunnel_cursor = pos + 1 == dp->tunnel_capacity ? 0 : pos + 1;
		/* cheap tests first: most slots were never used (flags 0) or
		 * are referenced; only then ask the hash whether the key is in */
		if (__atomic_load_n(&t->refs, __ATOMIC_RELAXED) != 0 ||
		    !(__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & GS_FDIR_SEEN) ||
		    rte_hash_get_key_with_position(dp->tunnels_hash, (int32_t)pos, &k) != 0)
			continue;
		memcpy(&key, k, GS_TUNNEL_KEY_LEN);
		if (!__atomic_compare_exchange_n(&t->refs, &zero, GS_TUNNEL_DEAD, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		rte_hash_del_key(dp->tunnels_hash, &key);
		dead[n++] = pos;
	}
	if (!n)
		return;
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
	for (uint32_t i = 0; i < n; i++) {
		dp->tunnels[dead[i]].neigh = GS_NEIGH_NONE;
		dp->tunnels[dead[i]].flags = 0;
		__atomic_store_n(&dp->tunnels[dead[i]].refs, 0, __ATOMIC_RELEASE);
	}
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
	/*
	 * The defer queue holds deleted key slots until a grace period ends.
	 * rte_hash's default sizes it for the whole table (16 bytes a slot);
	 * deletes come from the aging slice (GS_AGE_BUDGET a pass) and every
	 * enqueue past trigger_reclaim_limit reclaims up to max_reclaim_size
	 * slots whose grace period is over, so a sixteenth of the table (at
	 * least 64k slots) only fills if a worker stops reporting quiescent
	 * states for that many deletions.
	 */
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.dq_size = RTE_MAX(capacity / 16, 65536u),
		.trigger_reclaim_limit = 32,
		.max_reclaim_size = 64,
	};

	dp->flows_hash = rte_hash_create(&hp);
	if (!dp->flows_hash) {
		snprintf(err, errlen, "flow table of %u flows: rte_hash_create: %s",
			 capacity, rte_strerror(rte_errno));
		return -1;
	}
	rte_hash_set_cmp_func(dp->flows_hash, flow_key_cmp);
	if (rte_hash_rcu_qsbr_add(dp->flows_hash, &rcu) != 0) {
		snprintf(err, errlen, "flow table: rte_hash_rcu_qsbr_add: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	if (tunnel_table_init(dp, err, errlen) != 0)
		return -1;
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
	rte_hash_free(dp->tunnels_hash);
	rte_free(dp->tunnels);
	dp->tunnels_hash = NULL;
	dp->tunnels = NULL;
}

static void flow_expire(struct gs_dp *dp, const struct gs_flow_key *key, uint32_t pos)
{
	struct gs_flow *f = &dp->flows[pos];

	f->live = 0;
	if (rte_hash_del_key_with_hash(dp->flows_hash, key, f->hash) < 0)
		return;
	/* workers read the tunnels through the flow until the grace period
	 * ends, and the tunnel sweep waits for one before reusing a slot */
	/* exchanged, not read: a worker re-recording a direction of this
	 * flow at this moment swaps too, so each reference is dropped once
	 * (a worker reading 0 meanwhile treats the direction as unseen) */
	for (int d = 0; d < 2; d++)
		gs_tunnel_put(dp, __atomic_exchange_n(&f->tun[d], 0, __ATOMIC_ACQ_REL));
	if (dp->flow_src_key) {
		gs_src_release(dp, dp->flow_src_key[pos]);
		dp->flow_src_key[pos] = 0;
	}
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
		flow_expire(dp, key, pos);
		removed++;
	}
	tunnel_sweep(dp, TUNNEL_SWEEP_BUDGET);
	return removed;
}

void gs_flow_table_flush(struct gs_dp *dp)
{
	for (uint32_t pos = 0; pos < dp->flow_capacity; pos++) {
		struct gs_flow_key *key;

		if (rte_hash_get_key_with_position(dp->flows_hash, (int32_t)pos,
						   (void **)&key) == 0)
			flow_expire(dp, key, pos);
	}
}
