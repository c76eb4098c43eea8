/* SPDX-License-Identifier: BSD-3-Clause */
#include "health.h"

#include <stdio.h>
#include <string.h>

void gs_health_init(struct gs_health *h, bool healthy, uint64_t now_ns)
{
	memset(h, 0, sizeof(*h));
	h->healthy = healthy;
	h->since_ns = now_ns;
	snprintf(h->why, sizeof(h->why), "configured");
}

static bool turn(struct gs_health *h, bool healthy, uint64_t now_ns)
{
	if (h->healthy == healthy)
		return false;
	h->healthy = healthy;
	h->since_ns = now_ns;
	return true;
}

bool gs_health_round(struct gs_health *h, const struct gs_health_check_cfg *cfg,
		     bool ok, const char *what, uint64_t now_ns)
{
	if (ok) {
		h->consecutive_fail = 0;
		h->consecutive_ok++;
		if (!h->healthy && h->consecutive_ok >= cfg->healthy_threshold) {
			snprintf(h->why, sizeof(h->why), "%u good check rounds in a row",
				 h->consecutive_ok);
			return turn(h, true, now_ns);
		}
		return false;
	}
	h->consecutive_ok = 0;
	h->consecutive_fail++;
	if (h->healthy && h->consecutive_fail >= cfg->unhealthy_threshold) {
		snprintf(h->why, sizeof(h->why), "%s: %u failures in a row",
			 what ? what : "check", h->consecutive_fail);
		return turn(h, false, now_ns);
	}
	return false;
}

bool gs_health_passive(struct gs_health *h, const struct gs_health_check_cfg *cfg,
		       uint64_t now_ns)
{
	uint64_t window_ns = (uint64_t)cfg->passive_window_ms * 1000000u;

	switch (cfg->passive) {
	case GS_PASSIVE_MARK_UNHEALTHY:
		h->consecutive_ok = 0;
		h->consecutive_fail = cfg->unhealthy_threshold;
		h->last_passive_ns = now_ns;
		if (!h->healthy)
			return false;
		snprintf(h->why, sizeof(h->why),
			 "passive: traffic sent, nothing returned in %u ms",
			 cfg->passive_window_ms);
		return turn(h, false, now_ns);
	case GS_PASSIVE_COUNT_AS_FAILURE:
		/* one silent window is one failed round, however often the
		 * caller samples it */
		if (h->last_passive_ns && now_ns - h->last_passive_ns < window_ns)
			return false;
		h->last_passive_ns = now_ns;
		return gs_health_round(h, cfg, false, "passive", now_ns);
	case GS_PASSIVE_OFF:
	default:
		return false;
	}
}

bool gs_passive_suspect(const struct gs_traffic_sample *old,
			const struct gs_traffic_sample *mid,
			const struct gs_traffic_sample *now)
{
	return (mid->new_flows > old->new_flows || mid->tx_pkts > old->tx_pkts) &&
	       now->rx_pkts == old->rx_pkts;
}
