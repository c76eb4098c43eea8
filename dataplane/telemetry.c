/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands, and the counter views shared with the control
 * socket (see telemetry.h).
 *
 *   /gsteer/appliances            ids of every appliance
 *   /gsteer/appliances,<id>       one appliance: state and counters
 *   /gsteer/appliances,<grp>/<id> the same when <id> is in several groups
 *   /gsteer/stats                 packet counters summed over the workers
 *   /gsteer/drops[,all]           drops by reason, nonzero ones unless "all"
 *   /gsteer/flows                 flow-table capacity and occupancy
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "telemetry.h"

#define STAT_FIELD(type, f) { #f, offsetof(struct type, f) }

const struct gs_stat_field gs_worker_stat_fields[] = {
	STAT_FIELD(gs_worker_stats, rx_pkts),
	STAT_FIELD(gs_worker_stats, tx_pkts),
	STAT_FIELD(gs_worker_stats, to_appliance),
	STAT_FIELD(gs_worker_stats, to_upstream),
	STAT_FIELD(gs_worker_stats, fail_open),
	STAT_FIELD(gs_worker_stats, flows_created),
	STAT_FIELD(gs_worker_stats, flows_rebalanced),
	STAT_FIELD(gs_worker_stats, flow_table_full),
	STAT_FIELD(gs_worker_stats, frag_first),
	STAT_FIELD(gs_worker_stats, frag_followed),
};
const unsigned int gs_n_worker_stat_fields = RTE_DIM(gs_worker_stat_fields);

/* a counter added to gs_worker_stats must be added above too */
_Static_assert(offsetof(struct gs_worker_stats, drops) ==
		       RTE_DIM(gs_worker_stat_fields) * sizeof(uint64_t),
	       "gs_worker_stat_fields must list every counter before drops[]");

const struct gs_stat_field gs_app_stat_fields[] = {
	STAT_FIELD(gs_appliance_stats, tx_pkts),
	STAT_FIELD(gs_appliance_stats, tx_bytes),
	STAT_FIELD(gs_appliance_stats, rx_pkts),
	STAT_FIELD(gs_appliance_stats, rx_bytes),
	STAT_FIELD(gs_appliance_stats, new_flows),
	STAT_FIELD(gs_appliance_stats, moved_out),
	STAT_FIELD(gs_appliance_stats, last_rx_ms),
};
const unsigned int gs_n_app_stat_fields = RTE_DIM(gs_app_stat_fields);

_Static_assert(sizeof(struct gs_appliance_stats) ==
		       RTE_DIM(gs_app_stat_fields) * sizeof(uint64_t),
	       "gs_app_stat_fields must list every field of gs_appliance_stats");

/* ---- views shared with the control socket ------------------------------ */

uint32_t gs_dp_n_appliances(const struct gs_dp *dp)
{
	return RTE_MIN(dp->n_appliances, (uint32_t)GS_MAX_APPLIANCES);
}

uint32_t gs_dp_n_groups(const struct gs_dp *dp)
{
	return RTE_MIN(dp->n_groups, (uint32_t)GS_MAX_TARGET_GROUPS);
}

const char *gs_dp_group_name(const struct gs_dp *dp, uint32_t group)
{
	if (group >= gs_dp_n_groups(dp) || !dp->groups[group].cfg)
		return "?";
	return dp->groups[group].cfg->name;
}

/*
 * Names are copied with a bound: on the telemetry thread an appliance may be
 * being added while we read, and its slot is only known to be zeroed.
 */
static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, GS_NAME_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool gs_app_view_get(const struct gs_dp *dp, uint32_t app, struct gs_app_view *v)
{
	const struct gs_appliance *a;

	if (app >= gs_dp_n_appliances(dp) || !dp->appliances[app].in_use)
		return false;
	a = &dp->appliances[app];
	memset(v, 0, sizeof(*v));
	v->index = app;
	copy_name(v->id, a->id);
	copy_name(v->group, gs_dp_group_name(dp, a->group));
	gs_ipaddr_format(&a->addr, v->address, sizeof(v->address));
	v->state = gs_app_state_name(a->state);
	v->since_ns = a->state_since_ns;
	v->weight = a->weight;
	gs_dp_appliance_stats(dp, app, &v->stats);
	v->flows = gs_dp_appliance_flows(dp, app);
	return true;
}

/*
 * Without a group the id must be in exactly one group: the same id may be
 * used in two groups, and picking one silently could drain the wrong
 * appliance.  Removed slots only count when no live appliance has the id.
 */
int gs_dp_appliance_resolve(const struct gs_dp *dp, const char *group,
			    const char *id, char *err, size_t errlen)
{
	uint32_t g_live = UINT32_MAX, g_removed = UINT32_MAX, g;
	bool many_live = false, many_removed = false;
	int idx;

	if (group && (gs_group_find(dp, group) < 0)) {
		snprintf(err, errlen, "unknown group '%.64s'", group);
		return -ENOENT;
	}
	if (!group) {
		for (uint32_t i = 0; i < gs_dp_n_appliances(dp); i++) {
			const struct gs_appliance *a = &dp->appliances[i];
			bool live = a->state != GS_APP_REMOVED;
			uint32_t *first = live ? &g_live : &g_removed;

			if (!a->in_use || strncmp(a->id, id, GS_NAME_MAX) != 0)
				continue;
			if (*first != UINT32_MAX && *first != a->group)
				*(live ? &many_live : &many_removed) = true;
			*first = a->group;
		}
		g = g_live != UINT32_MAX ? g_live : g_removed;
		if (g_live != UINT32_MAX ? many_live : many_removed) {
			snprintf(err, errlen,
				 "appliance '%.64s' is in several groups: give the group",
				 id);
			return -EINVAL;
		}
		if (g < gs_dp_n_groups(dp) && dp->groups[g].cfg)
			group = dp->groups[g].cfg->name;
	}
	idx = group ? gs_appliance_find(dp, group, id) : -1;
	if (idx < 0 || (uint32_t)idx >= gs_dp_n_appliances(dp) ||
	    !dp->appliances[idx].in_use) {
		if (group)
			snprintf(err, errlen, "unknown appliance '%.64s' in group '%.64s'",
				 id, group);
		else
			snprintf(err, errlen, "unknown appliance '%.64s'", id);
		return -ENOENT;
	}
	return idx;
}

/* ---- telemetry callbacks ------------------------------------------------ */

/* set once before the commands are registered, never changed */
static const struct gs_dp *tel_dp;

static int tel_appliance_list(struct rte_tel_data *d)
{
	uint32_t n = gs_dp_n_appliances(tel_dp);
	unsigned int shown = 0;
	char id[GS_NAME_MAX];

	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (uint32_t i = 0; i < n; i++) {
		if (!tel_dp->appliances[i].in_use)
			continue;
		/* telemetry arrays hold 512 entries; the rest is cut off */
		if (shown++ == RTE_TEL_MAX_ARRAY_ENTRIES)
			break;
		copy_name(id, tel_dp->appliances[i].id);
		rte_tel_data_add_array_string(d, id);
	}
	return 0;
}

/* "<id>", or "<group>/<id>" (names never hold '/': the loader refuses it) */
static int tel_appliance_lookup(const char *param)
{
	const char *slash = strchr(param, '/');
	char group[GS_NAME_MAX], err[160];

	if (!slash)
		return gs_dp_appliance_resolve(tel_dp, NULL, param, err, sizeof(err));
	if ((size_t)(slash - param) >= sizeof(group))
		return -ENOENT;
	memcpy(group, param, (size_t)(slash - param));
	group[slash - param] = '\0';
	return gs_dp_appliance_resolve(tel_dp, group, slash + 1, err, sizeof(err));
}

static int tel_appliances(const char *cmd __rte_unused, const char *params,
			  struct rte_tel_data *d)
{
	struct gs_app_view v;
	int app;

	if (!tel_dp)
		return -ENODEV;
	if (!params || !*params)
		return tel_appliance_list(d);
	app = tel_appliance_lookup(params);
	if (app < 0 || !gs_app_view_get(tel_dp, (uint32_t)app, &v))
		return app < 0 ? app : -ENOENT;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "id", v.id);
	rte_tel_data_add_dict_string(d, "group", v.group);
	rte_tel_data_add_dict_u64(d, "index", v.index);
	rte_tel_data_add_dict_string(d, "address", v.address);
	rte_tel_data_add_dict_string(d, "state", v.state);
	rte_tel_data_add_dict_u64(d, "since_ns", v.since_ns);
	rte_tel_data_add_dict_u64(d, "weight", v.weight);
	for (unsigned int i = 0; i < gs_n_app_stat_fields; i++)
		rte_tel_data_add_dict_u64(d, gs_app_stat_fields[i].name,
					  gs_stat_get(&v.stats, &gs_app_stat_fields[i]));
	rte_tel_data_add_dict_u64(d, "flows", v.flows);
	return 0;
}

static int tel_stats(const char *cmd __rte_unused, const char *params,
		     struct rte_tel_data *d)
{
	struct gs_worker_stats sum;

	if (!tel_dp)
		return -ENODEV;
	if (params && *params)
		return -EINVAL;
	gs_dp_stats_sum(tel_dp, &sum);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < gs_n_worker_stat_fields; i++)
		rte_tel_data_add_dict_u64(d, gs_worker_stat_fields[i].name,
					  gs_stat_get(&sum, &gs_worker_stat_fields[i]));
	return 0;
}

static int tel_drops(const char *cmd __rte_unused, const char *params,
		     struct rte_tel_data *d)
{
	struct gs_worker_stats sum;
	bool all = false;

	if (!tel_dp)
		return -ENODEV;
	if (params && *params) {
		if (strcmp(params, "all") != 0)
			return -EINVAL;
		all = true;
	}
	/* the sum includes the main lcore's drops (dp->main_drops) */
	gs_dp_stats_sum(tel_dp, &sum);
	rte_tel_data_start_dict(d);
	for (unsigned int r = GS_R_OK + 1; r < GS_R_COUNT; r++)
		if (all || sum.drops[r])
			rte_tel_data_add_dict_u64(d, gs_reason_name(r), sum.drops[r]);
	return 0;
}

static int tel_flows(const char *cmd __rte_unused, const char *params,
		     struct rte_tel_data *d)
{
	if (!tel_dp)
		return -ENODEV;
	if (params && *params)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "capacity", tel_dp->flow_capacity);
	rte_tel_data_add_dict_u64(d, "used",
				  tel_dp->flows_hash ? gs_flow_count(tel_dp) : 0);
	rte_tel_data_add_dict_u64(d, "aged", tel_dp->flows_aged);
	return 0;
}

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
} tel_cmds[] = {
	{ "/gsteer/appliances", tel_appliances,
	  "Appliance ids; with <id> or <group>/<id>: its state and counters" },
	{ "/gsteer/stats", tel_stats, "Packet counters summed over the workers" },
	{ "/gsteer/drops", tel_drops,
	  "Drops by reason (nonzero ones; parameter \"all\" lists every reason)" },
	{ "/gsteer/flows", tel_flows, "Flow table: capacity, used, aged" },
};

int gs_telemetry_register(struct gs_dp *dp)
{
	static bool registered;
	int rc;

	tel_dp = dp;
	/* DPDK has no unregister: a second call only moves the pointer */
	if (registered)
		return 0;
	for (unsigned int i = 0; i < RTE_DIM(tel_cmds); i++) {
		rc = rte_telemetry_register_cmd(tel_cmds[i].cmd, tel_cmds[i].fn,
						tel_cmds[i].help);
		if (rc < 0)
			return rc;
	}
	registered = true;
	return 0;
}
