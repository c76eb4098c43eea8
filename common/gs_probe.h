/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-band probe channel between gsteerd and gsteer-dataplane: fixed-size
 * messages over the Unix SOCK_SEQPACKET socket the data plane listens on at
 * daemon.probe_socket (0600).  A connection, not datagrams: a thousand
 * appliances' probes leave in a burst, and a datagram receiver queues only
 * net.unix.max_dgram_qlen (10) of them; the daemon that connected last is
 * the one the returns go to.
 *
 *   gsteerd -> data plane   GS_PROBE_SEND: send one GENEVE probe to
 *                           (group, appliance) carrying @data
 *   data plane -> gsteerd   GS_PROBE_RETURN: a probe came back from
 *                           (group, appliance) with @data
 *                           GS_PROBE_ERROR: a GS_PROBE_SEND that could not
 *                           be sent; @status says why (enum gs_probe_status)
 *
 * The data plane never interprets @data: gsteerd puts its own sequence
 * number and send time there, so the round trip it measures is what the
 * probe really took through the appliance (plus two local socket hops).
 * Host byte order: both ends run on one host.
 */
#ifndef GS_PROBE_H
#define GS_PROBE_H

#include <stdint.h>

#include "gs_limits.h"

#define GS_PROBE_MAGIC 0x31505347u /* "GSP1" */

enum gs_probe_type {
	GS_PROBE_SEND = 1,
	GS_PROBE_RETURN = 2,
	GS_PROBE_ERROR = 3,
};

enum gs_probe_status {
	GS_PROBE_OK = 0,
	GS_PROBE_NO_APPLIANCE = 1, /* no such group/appliance */
	GS_PROBE_NO_ROUTE = 2,     /* no port reaches the appliance */
	GS_PROBE_NO_MBUF = 3,      /* mempool exhausted */
	GS_PROBE_BAD_REQUEST = 4,  /* wrong size, magic or type */
};

struct gs_probe_msg {
	uint32_t magic;
	uint16_t type;   /* enum gs_probe_type */
	uint16_t status; /* enum gs_probe_status */
	char group[GS_NAME_MAX];
	char appliance[GS_NAME_MAX];
	uint8_t data[GS_PROBE_OPT_DATA_LEN];
};

/* the inner packet of a probe is UDP to this port of the appliance's own
 * address, so an appliance's policy can tell probes from traffic */
#define GS_PROBE_INNER_PORT 6082

#endif /* GS_PROBE_H */
