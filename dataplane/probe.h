/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's end of the in-band probe channel (common/gs_probe.h):
 * gsteerd asks for a GENEVE probe to an appliance, the main lcore builds it
 * and sends it like any other packet (routed, next hop resolved), and when
 * the appliance returns it the workers hand it back here, to be passed on
 * to gsteerd.  Main lcore only; gs_probe_poll() never blocks.
 */
#ifndef GS_DP_PROBE_H
#define GS_DP_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct gs_dp;

struct gs_probe_stats {
	uint64_t requests; /* GS_PROBE_SEND datagrams received */
	uint64_t sent;     /* probes handed to a worker for transmission */
	uint64_t returned; /* probes back from an appliance, passed on */
	uint64_t errors;   /* requests refused (GS_PROBE_ERROR replies) */
	uint64_t undelivered; /* returns with nobody (alive) to pass them to */
};

/* bind the probe socket at @path (0600) and take returning probes from the
 * workers; 0, or -1 with one line in @err */
int gs_probe_open(struct gs_dp *dp, const char *path, char *err, size_t errlen);
void gs_probe_poll(struct gs_dp *dp);
void gs_probe_close(struct gs_dp *dp);
void gs_probe_get_stats(struct gs_probe_stats *out);

/*
 * Build the probe packet for appliance @app into @buf: outer Ethernet
 * (MACs left zero for the neighbour code) / IP / UDP 6081 / GENEVE with
 * zeroed AWS options and gsteer's probe option carrying @data / inner UDP
 * to GS_PROBE_INNER_PORT of the appliance.  Returns its length or -1.
 * No I/O, for the tests.
 */
int gs_probe_build(const struct gs_dp *dp, uint32_t app, const uint8_t *data,
		   uint8_t *buf, uint32_t cap);

#endif /* GS_DP_PROBE_H */
