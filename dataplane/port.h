/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PORT_H
#define GS_PORT_H

#include "dp.h"

/*
 * Probe every port the config names by its devargs (a PCI address or a
 * virtual device such as net_af_packet0,iface=veth0), give it one RX and
 * one TX queue per worker, and start it.  On failure @err says which port
 * and why.
 */
int gs_ports_init(struct gs_dp *dp, char *err, size_t errlen);
void gs_ports_close(struct gs_dp *dp);

#endif /* GS_PORT_H */
