/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands of gsteer-dataplane (so dpdk-telemetry.py works),
 * and the read-only views of the data plane's counters that telemetry and
 * the control socket share, so that both name every counter the same way.
 *
 * Telemetry callbacks run on DPDK's telemetry thread, not on an lcore: they
 * only read (64-bit counters are read racily but never torn on the 64-bit
 * hosts we support) and never change state.
 */
#ifndef GS_TELEMETRY_H
#define GS_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

/* register /gsteer/{appliances,stats,drops,flows}; 0 or a negative errno */
int gs_telemetry_register(struct gs_dp *dp);

/* one named 64-bit counter inside a stats struct */
struct gs_stat_field {
	const char *name;
	size_t off;
};

/* every counter of struct gs_worker_stats except drops[], in order */
extern const struct gs_stat_field gs_worker_stat_fields[];
extern const unsigned int gs_n_worker_stat_fields;
/* every field of struct gs_appliance_stats, in order */
extern const struct gs_stat_field gs_app_stat_fields[];
extern const unsigned int gs_n_app_stat_fields;

static inline uint64_t gs_stat_get(const void *stats, const struct gs_stat_field *f)
{
	return *(const volatile uint64_t *)((const char *)stats + f->off);
}


/* what is shown of one appliance, copied out of the live state */
struct gs_app_view {
	uint32_t index;
	char id[GS_NAME_MAX];
	char group[GS_NAME_MAX];
	char address[48];
	const char *state;
	uint64_t since_ns;
	uint32_t weight;
	struct gs_appliance_stats stats;
	uint64_t flows;
};

/* false when @app is not an appliance slot in use */
bool gs_app_view_get(const struct gs_dp *dp, uint32_t app, struct gs_app_view *v);

/*
 * The appliance slot @id names, in @group or (NULL) in whichever one group
 * has it; a live appliance wins over a removed one of the same id, as in
 * gs_appliance_find().  Read-only, so telemetry may call it too.
 * Returns the index, -ENOENT (unknown group or appliance) or -EINVAL (no
 * @group and the id is in several groups), with a message in @err.
 */
int gs_dp_appliance_resolve(const struct gs_dp *dp, const char *group,
			    const char *id, char *err, size_t errlen);

/* the group's configured name, "?" when @group is not a valid group */
const char *gs_dp_group_name(const struct gs_dp *dp, uint32_t group);

/* n_appliances / n_groups clamped to the arrays, whatever the state says */
uint32_t gs_dp_n_appliances(const struct gs_dp *dp);
uint32_t gs_dp_n_groups(const struct gs_dp *dp);

#endif /* GS_TELEMETRY_H */
