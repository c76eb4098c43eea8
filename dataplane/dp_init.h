/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_DP_INIT_H
#define GS_DP_INIT_H

#include "dp.h"

/*
 * Build a data plane from @cfg for @n_workers workers (EAL must be up):
 * mempool, rings, RCU, flow table, ports, neighbours, appliances and their
 * Maglev tables.  Workers get queue ids 0..n_workers-1 and the lcores the
 * caller gives them.  On failure returns NULL and says why in @err.
 */
struct gs_dp *gs_dp_create(struct gs_config *cfg, uint32_t n_workers,
			   const unsigned *worker_lcores, volatile bool *force_quit,
			   char *err, size_t errlen);
void gs_dp_destroy(struct gs_dp *dp);

/* one pass of the main lcore's duties; returns the number of messages and
 * expired flows handled (0: idle) */
uint32_t gs_dp_main_once(struct gs_dp *dp);

#endif /* GS_DP_INIT_H */
