/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text endpoint (libmicrohttpd, its own thread): GET /metrics
 * serves the snapshot the loop last rendered; nothing else is served, and
 * nothing there changes any state.
 */
#ifndef GSD_METRICS_H
#define GSD_METRICS_H

#include <stddef.h>

#include "gsd.h"

/* start on daemon.metrics_listen ("" : off); 0, or -1 with @err */
int gsd_metrics_start(struct gsd *d, char *err, size_t errlen);
void gsd_metrics_stop(struct gsd *d);
/* render the current state for the next scrape (loop thread) */
void gsd_metrics_render(struct gsd *d);

#endif /* GSD_METRICS_H */
