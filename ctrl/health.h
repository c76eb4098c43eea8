/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health verdict of one appliance, as AWS GWLB defines it: a check
 * round is healthy when every check the target group enables passed (the
 * active TCP/HTTP check, the in-band probe, and the probe's round trip
 * under latency_threshold_us); the appliance turns unhealthy after
 * unhealthy_threshold failed rounds in a row and healthy again after
 * healthy_threshold good ones.  The passive signal (traffic sent for new
 * flows, nothing returned) either counts as one failed round per window
 * or turns the appliance unhealthy at once.
 *
 * Pure logic on a clock the caller passes in, so the unit tests drive it
 * with a fake one.
 */
#ifndef GS_HEALTH_H
#define GS_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "gs_config.h"

struct gs_health {
	bool healthy;
	uint32_t consecutive_ok;
	uint32_t consecutive_fail;
	uint64_t since_ns;          /* when the verdict last changed */
	uint64_t last_passive_ns;   /* last passive failure counted */
	char why[96];               /* what made the last change */
};

void gs_health_init(struct gs_health *h, bool healthy, uint64_t now_ns);

/* the outcome of one check round; @what names the failing check for
 * gs_health.why ("in-band probe: timeout").  Returns true when the verdict
 * changed. */
bool gs_health_round(struct gs_health *h, const struct gs_health_check_cfg *cfg,
		     bool ok, const char *what, uint64_t now_ns);

/* the passive signal fired; returns true when the verdict changed */
bool gs_health_passive(struct gs_health *h, const struct gs_health_check_cfg *cfg,
		       uint64_t now_ns);

/*
 * Passive detection on three samples of an appliance's counters, taken a
 * window ago (@old), half a window ago (@mid) and now: suspect when it was
 * given new flows or packets in the first half of the window and returned
 * nothing in the whole window.  What was sent less than half a window ago
 * does not count, so a reply still on its way is no evidence.  Packets of
 * established flows count as well as new flows: an appliance that keeps
 * receiving a busy flow's packets and returns none has failed as surely as
 * one that swallows new flows, and waiting for a new flow would make
 * detection depend on churn.
 */
struct gs_traffic_sample {
	uint64_t at_ns;
	uint64_t tx_pkts;   /* sent to the appliance */
	uint64_t rx_pkts;   /* returned by it */
	uint64_t new_flows; /* flows placed on it */
};

bool gs_passive_suspect(const struct gs_traffic_sample *old,
			const struct gs_traffic_sample *mid,
			const struct gs_traffic_sample *now);

#endif /* GS_HEALTH_H */
