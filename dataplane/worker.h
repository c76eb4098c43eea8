/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_WORKER_H
#define GS_WORKER_H

#include "dp.h"

/* the poll-mode loop of one worker lcore (rte_eal_remote_launch argument:
 * its struct gs_worker); returns when *dp->force_quit is set */
int gs_worker_loop(void *arg);

/* the data plane a worker belongs to (set once before launch) */
void gs_worker_set_dp(struct gs_dp *dp);

#endif /* GS_WORKER_H */
