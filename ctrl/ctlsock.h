/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteerd's own control socket, for gsteerctl: JSON lines like the data
 * plane's (docs/operations.md has the protocol).  Owner-only (0600) and the
 * peer's credentials are checked against daemon.control_user/_group.
 */
#ifndef GSD_CTLSOCK_H
#define GSD_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "gsd.h"

int gsd_ctl_open(struct gsd *d, char *err, size_t errlen);
void gsd_ctl_close(struct gsd *d);
/* a ready descriptor with tag GSD_TAG_CTL_LISTEN or GSD_TAG_CTL_CLIENT */
void gsd_ctl_event(struct gsd *d, uint64_t tag);
/* one request line -> a malloc'd reply line (no newline); no I/O */
char *gsd_ctl_handle(struct gsd *d, const char *line);

#endif /* GSD_CTLSOCK_H */
