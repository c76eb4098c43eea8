/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-dataplane control socket: one JSON object per line in, one per line
 * out, over a Unix stream socket that only the data plane's owner (and the
 * configured daemon.control_user / control_group) may use.  gsteerd and
 * gsteerctl change appliance states and read statistics through it.
 *
 * Everything runs on the main lcore from its loop: gs_ctl_poll() never
 * blocks and no thread is started, so the handlers may call the main-lcore
 * only functions of group.c directly.  The protocol is in
 * docs/control-socket.md.
 */
#ifndef GS_CTL_H
#define GS_CTL_H

#include <stddef.h>
#include <stdint.h>

struct gs_dp;

#define GS_CTL_MAX_CLIENTS 16
#define GS_CTL_LINE_MAX (64 * 1024) /* longest request line, newline included */
#define GS_CTL_FLOWS_DEFAULT 100
#define GS_CTL_FLOWS_MAX 10000

/*
 * Create the listening socket at @path: the parent directory is created
 * (0700) when missing, a stale socket left by a dead instance is replaced,
 * the socket file is 0600.  Fails when another process still serves @path.
 * Returns 0, or -1 with one line in @err.
 */
int gs_ctl_open(struct gs_dp *dp, const char *path, char *err, size_t errlen);

/* accept and serve clients; never blocks (call once per main-loop turn) */
void gs_ctl_poll(struct gs_dp *dp);

/* close every client and the socket, remove the socket file */
void gs_ctl_close(void);

/*
 * Handle one request line (without its newline) and return the reply as a
 * malloc'd JSON text without newline, for the caller to free().  No socket
 * I/O, so it can be unit-tested and fuzzed on a bare struct gs_dp.  Never
 * returns NULL unless memory is exhausted.  Main lcore only.
 */
char *gs_ctl_handle(struct gs_dp *dp, const char *line);

/* the same for a buffer that need not be NUL-terminated (NULs are refused) */
char *gs_ctl_handle_buf(struct gs_dp *dp, const char *buf, size_t len);

struct gs_ctl_stats {
	uint32_t clients;  /* connected now */
	uint64_t accepted; /* connections served */
	uint64_t refused;  /* peers whose credentials were not allowed */
	uint64_t busy;     /* turned away because every client slot was taken */
	uint64_t requests;
	uint64_t errors;   /* requests answered with "ok": false */
};

void gs_ctl_get_stats(struct gs_ctl_stats *out);

#endif /* GS_CTL_H */
