/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How gsteerd drives a data plane.  The daemon decides; a backend carries
 * the decisions out and reports what the data plane has and does:
 *   dpdk  gsteer-dataplane's control socket (JSON lines) and its in-band
 *         probe socket (common/gs_probe.h);
 *   xdp   the XDP program's BPF maps (kernel/gs_xdp.h).
 */
#ifndef GSD_BACKEND_H
#define GSD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "gsd.h"

/* what gsteerd puts in a probe's 16 data bytes */
struct gsd_probe_data {
	uint32_t app;
	uint32_t seq;
	uint64_t sent_ns; /* CLOCK_MONOTONIC */
};

struct gsd_backend_ops {
	const char *name;
	/* (re)connect; 0, or -1 with one line in @err */
	int (*connect)(struct gsd *d, char *err, size_t errlen);
	void (*disconnect)(struct gsd *d);
	/* refresh every appliance's dp_* fields and traffic sample, and the
	 * data plane's counters; -1 when the data plane is gone */
	int (*poll)(struct gsd *d, uint64_t now);
	/* put @n appliances in the states they have in a->decided, all or
	 * none; 0, or -1 with @err */
	int (*set_states)(struct gsd *d, struct gsd_app *const *apps, uint32_t n,
			  char *err, size_t errlen);
	int (*add)(struct gsd *d, struct gsd_app *a, char *err, size_t errlen);
	int (*remove)(struct gsd *d, struct gsd_app *a, char *err, size_t errlen);
	/* send one in-band probe; 0 when it left */
	int (*probe_send)(struct gsd *d, struct gsd_app *a,
			  const struct gsd_probe_data *data);
	/* the probe socket is readable: take the returns (gsd_probe_result) */
	void (*probe_input)(struct gsd *d, uint64_t now);
	void (*destroy)(struct gsd *d);
};

struct gsd_backend {
	const struct gsd_backend_ops *ops;
	void *priv;
	int probe_fd; /* the backend adds it to the loop's epoll; -1: none */
};

struct gsd_backend *gsd_backend_dpdk_new(struct gsd *d, char *err, size_t errlen);
struct gsd_backend *gsd_backend_xdp_new(struct gsd *d, char *err, size_t errlen);

#endif /* GSD_BACKEND_H */
