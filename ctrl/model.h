/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GSD_MODEL_H
#define GSD_MODEL_H

#include "gsd.h"

/* one record per appliance of d->cfg, in config order */
int gsd_model_build(struct gsd *d, uint64_t now);

void gsd_model_free(struct gsd *d);

/* after a poll: rates, the passive signal, and the decisions it forces */
void gsd_traffic(struct gsd *d, uint64_t now);

/*
 * The first time gsteerd reaches a data plane after it started: take the
 * states the data plane has as the starting point (they are the decisions
 * of the gsteerd that ran before), so a restart moves no flow.  The checks
 * then go on from there.
 */
void gsd_adopt(struct gsd *d, uint64_t now);

/* after a poll: re-send every decision the data plane does not have (it
 * restarted, or somebody changed it behind gsteerd's back) */
void gsd_sync(struct gsd *d);

/* send the decisions of this loop turn to the data plane, in one batch */
void gsd_flush(struct gsd *d);

/*
 * Take @ncfg (already validated by the loader): appliances added, removed
 * or changed are applied, the checks keep what they learnt.  Target groups
 * added or removed need a data plane restart and are refused.  On success
 * @ncfg belongs to @d; on failure (-1, @err) the caller frees it and the
 * running config stays.
 */
int gsd_reload(struct gsd *d, struct gs_config *ncfg, char *err, size_t errlen);

#endif /* GSD_MODEL_H */
