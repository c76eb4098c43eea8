/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP data plane as gsteerd drives it: load (or re-open) the program
 * and its pinned maps, fill them from the config, change appliance states,
 * read counters.  The program keeps forwarding with the last state it was
 * given when no process holds a handle (docs/xdp.md).
 */
#ifndef GS_XDP_H
#define GS_XDP_H

#include <stddef.h>
#include <stdint.h>

#include "gs_config.h"
#include "gsteer_xdp.h"

struct gs_xdp;

/*
 * Load (or re-open if already attached with pinned maps under
 * /sys/fs/bpf/gsteer/<ifname>/: flows, counters and appliance states
 * survive, forwarding never stops), fill the maps from @cfg (listeners,
 * groups, appliances with their config states, Maglev tables built with
 * gs_maglev_build_by_name), attach to cfg->daemon.xdp_interface, native
 * unless cfg->daemon.xdp_native is false.  NULL + one-line error on failure.
 */
struct gs_xdp *gs_xdp_open(const struct gs_config *cfg, char *err, size_t errlen);

/* change one appliance's state (group index, appliance index in cfg
 * order); rebuilds that group's Maglev table and publishes it whole */
int gs_xdp_set_state(struct gs_xdp *x, uint32_t group, uint32_t app,
		     enum gs_app_state st, char *err, size_t errlen);

/* the state the maps hold for one appliance (gsteerd takes them over when
 * it starts: they are the decisions of the gsteerd that ran before) */
int gs_xdp_get_state(struct gs_xdp *x, uint32_t group, uint32_t app,
		     enum gs_app_state *st);

struct gs_xdp_app_stats {
	uint64_t to_pkts, to_bytes, from_pkts, from_bytes, new_flows;
};

struct gs_xdp_stats {
	uint64_t verdicts[GSX_V_COUNT];  /* gs_xdp_verdict_name() */
	uint64_t drops[GS_R_COUNT];      /* XDP_DROP, by gs_xdp_reason_name() */
	uint64_t passed[GS_R_COUNT];     /* XDP_PASS to the kernel, by reason */
	struct gs_xdp_app_stats app[GS_MAX_TARGET_GROUPS][GSX_MAX_APPS_PER_GROUP];
	uint64_t flows_active; /* flow entries not idle past their timeout */
};

/* per-CPU values summed */
int gs_xdp_read_stats(struct gs_xdp *x, struct gs_xdp_stats *out);
const char *gs_xdp_reason_name(unsigned reason);
const char *gs_xdp_verdict_name(unsigned verdict);

/* release user-space handles; leaves the program attached */
void gs_xdp_close(struct gs_xdp *x);
/* detach (native and generic) and unpin */
int gs_xdp_detach(const char *ifname);

/*
 * Attach (native) a program that passes every frame to @ifname.  A veth
 * only receives what its peer sends with XDP_TX or a redirect when it has
 * an XDP program itself: this is that program for the veth facing gsteer.
 */
int gs_xdp_attach_pass(const char *ifname, char *err, size_t errlen);

/* ---- for tests and benchmarks ------------------------------------------ */
struct gs_xdp_open_opts {
	bool no_attach;       /* load and fill only (BPF_PROG_TEST_RUN) */
	bool no_pin;          /* private maps, nothing under /sys/fs/bpf */
	bool maps_only;       /* use the pinned maps of a running instance:
				 no load, no fill, no attach (set-state, stats) */
	uint32_t flow_entries; /* 0: cfg->dataplane.flow_table_size */
};

struct gs_xdp *gs_xdp_open_opts(const struct gs_config *cfg,
				const struct gs_xdp_open_opts *o, char *err,
				size_t errlen);

enum gs_xdp_prog {
	GS_XDP_PROG_MAIN,        /* gsteer_xdp: what is attached */
	GS_XDP_PROG_BENCH,       /* steers, then restores the frame */
	GS_XDP_PROG_REF_TX,      /* XDP_TX and nothing else */
	GS_XDP_PROG_REF_RESTORE, /* the bench wrapper around a bare XDP_TX */
};
int gs_xdp_prog_fd(struct gs_xdp *x, enum gs_xdp_prog which);
int gs_xdp_flows_fd(struct gs_xdp *x);
/* find group and appliance indexes of appliance @id (-1: none) */
int gs_xdp_find_app(const struct gs_config *cfg, const char *id, uint32_t *group,
		    uint32_t *app);

#endif /* GS_XDP_H */
