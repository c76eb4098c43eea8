/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Appliances and target groups on the main lcore: state changes, additions
 * and removals rebuild the group's Maglev table off the fast path and
 * publish it with RCU, so workers never wait for a lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_hash.h>
#include <rte_malloc.h>

#include "dp.h"
#include "gs_maglev.h"
#include "neigh.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int gs_group_find(const struct gs_dp *dp, const char *name)
{
	for (uint32_t g = 0; g < dp->n_groups; g++)
		if (strcmp(dp->groups[g].cfg->name, name) == 0)
			return (int)g;
	return -1;
}

int gs_appliance_find(const struct gs_dp *dp, const char *group, const char *id)
{
	int gi = group ? gs_group_find(dp, group) : -1;

	if (group && gi < 0)
		return -1;
	int removed = -1;

	/* a removed appliance keeps its slot; a re-added one of the same id
	 * gets a new slot, and that is the one callers mean */
	for (uint32_t a = 0; a < dp->n_appliances; a++) {
		const struct gs_appliance *app = &dp->appliances[a];

		if (!app->in_use || strcmp(app->id, id) != 0)
			continue;
		if (gi >= 0 && app->group != (uint32_t)gi)
			continue;
		if (app->state != GS_APP_REMOVED)
			return (int)a;
		removed = (int)a;
	}
	return removed;
}

int gs_group_publish(struct gs_dp *dp, uint32_t gi)
{
	struct gs_group *g = &dp->groups[gi];
	uint32_t size = g->cfg->maglev_size;
	struct gs_maglev_backend *backends;
	uint16_t *app_of;
	struct gs_group_rt *rt, *old;
	uint32_t n = 0;
	int rc = -ENOMEM;

	backends = calloc(g->n_members + 1, sizeof(*backends));
	app_of = calloc(g->n_members + 1, sizeof(*app_of));
	rt = rte_zmalloc("gs_group_rt", sizeof(*rt) + size * sizeof(uint32_t),
			 RTE_CACHE_LINE_SIZE);
	if (!backends || !app_of || !rt)
		goto fail;
	for (uint32_t i = 0; i < g->n_members; i++) {
		const struct gs_appliance *app = &dp->appliances[g->members[i]];

		if (app->state != GS_APP_HEALTHY)
			continue;
		backends[n].name = app->id;
		backends[n].weight = app->weight;
		app_of[n] = g->members[i];
		n++;
	}
	rt->maglev_size = size;
	rt->n_healthy = n;
	/* by name: every node with the same healthy set builds the same table */
	if (gs_maglev_build_by_name(rt->maglev, size, backends, n, dp->hash_seed) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	/* the builder speaks backend positions; workers want appliance indexes */
	for (uint32_t s = 0; s < size; s++)
		if (rt->maglev[s] != GS_MAGLEV_NO_BACKEND)
			rt->maglev[s] = app_of[rt->maglev[s]];
	free(backends);
	free(app_of);

	old = g->rt;
	__atomic_store_n(&g->rt, rt, __ATOMIC_RELEASE);
	if (old) {
		/* every worker reports a quiescent state once per loop */
		rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
	return 0;
fail:
	free(backends);
	free(app_of);
	rte_free(rt);
	return rc;
}

struct gs_addr_key {
	uint8_t family;
	uint8_t a[16];
};

static void addr_key(struct gs_addr_key *k, const struct gs_ipaddr *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = addr->family;
	memcpy(k->a, addr->a, sizeof(k->a));
}

/*
 * A bit per address hash, set for every address that was ever an appliance
 * (never cleared: a stale bit costs one hash lookup, nothing else).  Most
 * packets come from upstreams, and this answers "not an appliance" for
 * them without hashing the address and probing rte_hash.
 */
static inline uint32_t addr_filter_bit(const uint8_t *a, uint8_t family)
{
	uint32_t w[4] = { 0 }, x;

	memcpy(w, a, family == GS_AF_INET6 ? 16 : 4);
	x = w[0] ^ w[1] ^ w[2] ^ w[3];
	return (x * 0x9E3779B1u) >> (32 - 12); /* 4096 bits */
}

/* a removed appliance's address is free for a new one; its late returns
 * count as traffic from a stranger */
static void appliance_forget_addr(struct gs_dp *dp, const struct gs_appliance *app)
{
	struct gs_addr_key k;

	addr_key(&k, &app->addr);
	rte_hash_del_key(dp->appliance_by_addr, &k);
}

int gs_appliance_change_state(struct gs_dp *dp, uint32_t a, enum gs_app_state st,
			      char *err, size_t errlen)
{
	struct gs_appliance *app;

	if (a >= dp->n_appliances || !dp->appliances[a].in_use) {
		snprintf(err, errlen, "no appliance with index %u", a);
		return -ENOENT;
	}
	app = &dp->appliances[a];
	if (app->state == st)
		return 0;
	if (app->state == GS_APP_REMOVED) {
		snprintf(err, errlen, "appliance '%s' was removed; add it again instead",
			 app->id);
		return -EINVAL;
	}
	app->state = st;
	app->state_since_ns = realtime_ns();
	if (st == GS_APP_REMOVED)
		appliance_forget_addr(dp, app);
	if (st == GS_APP_DRAINING)
		app->drain_deadline_ns = app->state_since_ns +
			(uint64_t)dp->groups[app->group].cfg->deregistration_delay_s *
				1000000000ull;
	return 1;
}

int gs_appliance_set_state(struct gs_dp *dp, uint32_t a, enum gs_app_state st,
			   char *err, size_t errlen)
{
	int rc = gs_appliance_change_state(dp, a, st, err, errlen);

	if (rc <= 0)
		return rc;
	rc = gs_group_publish(dp, dp->appliances[a].group);
	if (rc != 0)
		snprintf(err, errlen, "appliance '%s': rebuilding the Maglev table failed: %s",
			 dp->appliances[a].id, strerror(-rc));
	return rc;
}

int gs_appliance_by_addr_init(struct gs_dp *dp)
{
	struct rte_hash_parameters hp = {
		.name = "gs_appliance_addr",
		.entries = GS_MAX_APPLIANCES,
		.key_len = sizeof(struct gs_addr_key),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	dp->appliance_by_addr = rte_hash_create(&hp);
	return dp->appliance_by_addr ? 0 : -ENOMEM;
}

int gs_appliance_lookup_addr(const struct gs_dp *dp, const uint8_t *addr, uint8_t family)
{
	struct gs_addr_key k;
	struct gs_ipaddr ip = { .family = family };
	uint32_t bit = addr_filter_bit(addr, family);
	void *data;

	uint16_t one;

	if (likely(!(__atomic_load_n(&dp->app_addr_filter[bit >> 6], __ATOMIC_ACQUIRE) &
		     (1ull << (bit & 63)))))
		return -1;
	/* the usual case for a return: the one appliance behind this bit;
	 * its address is in the hash exactly while it is not removed */
	one = __atomic_load_n(&dp->app_by_filter[bit], __ATOMIC_ACQUIRE);
	if (one != 0 && one != GS_FILTER_SHARED) {
		const struct gs_appliance *app = &dp->appliances[one - 1];
		uint32_t len = family == GS_AF_INET6 ? 16 : 4;

		if (app->addr.family == family && memcmp(app->addr.a, addr, len) == 0 &&
		    __atomic_load_n(&app->state, __ATOMIC_RELAXED) != GS_APP_REMOVED)
			return one - 1;
	}
	memcpy(ip.a, addr, 16);
	addr_key(&k, &ip);
	if (rte_hash_lookup_data(dp->appliance_by_addr, &k, &data) < 0)
		return -1;
	return (int)(uintptr_t)data;
}

int gs_appliance_insert(struct gs_dp *dp, uint32_t gi, const struct gs_appliance_cfg *cfg,
			char *err, size_t errlen)
{
	struct gs_group *g = &dp->groups[gi];
	struct gs_appliance *app;
	struct gs_ipaddr nexthop;
	struct gs_addr_key k;
	char abuf[64];
	uint32_t a;

	int existing = gs_appliance_find(dp, g->cfg->name, cfg->id);

	if (existing >= 0 && dp->appliances[existing].state != GS_APP_REMOVED) {
		snprintf(err, errlen, "target group '%s' already has an appliance '%s'",
			 g->cfg->name, cfg->id);
		return -EEXIST;
	}
	if (gs_appliance_lookup_addr(dp, cfg->address.a, cfg->address.family) >= 0) {
		snprintf(err, errlen, "address %s already belongs to an appliance",
			 gs_ipaddr_format(&cfg->address, abuf, sizeof(abuf)));
		return -EEXIST;
	}
	if (dp->n_appliances >= GS_MAX_APPLIANCES ||
	    g->n_members >= GS_MAX_APPLIANCES_PER_GROUP) {
		snprintf(err, errlen, "no room for another appliance (at most %u in all, %u a group)",
			 GS_MAX_APPLIANCES, GS_MAX_APPLIANCES_PER_GROUP);
		return -ENOSPC;
	}
	if (100ull * (g->n_members + 1) > g->cfg->maglev_size) {
		snprintf(err, errlen, "target group '%s': maglev_table_size %u is under 100 slots per appliance",
			 g->cfg->name, g->cfg->maglev_size);
		return -ENOSPC;
	}
	a = dp->n_appliances;
	app = &dp->appliances[a];
	memset(app, 0, sizeof(*app));
	if (gs_route(dp, &cfg->address, &app->port, &nexthop, app->src) != 0) {
		snprintf(err, errlen, "appliance '%s': no route to %s (no port subnet or gateway)",
			 cfg->id, gs_ipaddr_format(&cfg->address, abuf, sizeof(abuf)));
		return -EHOSTUNREACH;
	}
	snprintf(app->id, sizeof(app->id), "%s", cfg->id);
	app->addr = cfg->address;
	app->group = gi;
	app->weight = cfg->weight ? cfg->weight : 1;
	app->state = cfg->state;
	app->state_since_ns = realtime_ns();
	app->neigh = gs_neigh_get(dp, app->port, &nexthop, gs_dp_now_ms(dp));
	addr_key(&k, &cfg->address);
	if (rte_hash_add_key_data(dp->appliance_by_addr, &k, (void *)(uintptr_t)a) < 0) {
		snprintf(err, errlen, "appliance '%s': address table full", cfg->id);
		return -ENOSPC;
	}
	{
		uint32_t bit = addr_filter_bit(cfg->address.a, cfg->address.family);
		uint16_t prev = dp->app_by_filter[bit];

		__atomic_store_n(&dp->app_by_filter[bit],
				 prev == 0 ? (uint16_t)(a + 1) : GS_FILTER_SHARED, __ATOMIC_RELEASE);
		__atomic_fetch_or(&dp->app_addr_filter[bit >> 6], 1ull << (bit & 63),
				  __ATOMIC_RELEASE);
	}
	app->in_use = true;
	dp->n_appliances++;
	g->members[g->n_members++] = (uint16_t)a;
	return 0;
}

int gs_appliance_add(struct gs_dp *dp, uint32_t gi, const struct gs_appliance_cfg *cfg,
		     char *err, size_t errlen)
{
	int rc = gs_appliance_insert(dp, gi, cfg, err, errlen);

	if (rc != 0)
		return rc;
	rc = gs_group_publish(dp, gi);
	if (rc != 0)
		snprintf(err, errlen, "appliance '%s': rebuilding the Maglev table failed: %s",
			 cfg->id, strerror(-rc));
	return rc;
}

int gs_appliance_remove(struct gs_dp *dp, uint32_t a, char *err, size_t errlen)
{
	/* the slot stays allocated: flows may still name it, and they learn
	 * it is gone from its state at their next packet */
	return gs_appliance_set_state(dp, a, GS_APP_REMOVED, err, errlen);
}


void gs_group_timer(struct gs_dp *dp)
{
	uint64_t now = 0;

	for (uint32_t a = 0; a < dp->n_appliances; a++) {
		struct gs_appliance *app = &dp->appliances[a];
		char err[128];

		if (!app->in_use || app->state != GS_APP_DRAINING)
			continue;
		if (!now)
			now = realtime_ns();
		if (now >= app->drain_deadline_ns || gs_dp_appliance_flows(dp, a) == 0)
			gs_appliance_set_state(dp, a, GS_APP_REMOVED, err, sizeof(err));
	}
}
