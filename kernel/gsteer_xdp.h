/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP program (gsteer_xdp.bpf.c) and user space (gs_xdp.c, the
 * tests) share: map layouts, limits and counter numbering.  Compiles for the
 * BPF target and for the host alike (types from common/gs_compat.h).
 */
#ifndef GSTEER_XDP_H
#define GSTEER_XDP_H

#include "gs_compat.h"
#include "gs_limits.h"
#include "gs_reasons.h"

/*
 * The config model's enums (common/gs_config.h is not BPF-clean); gs_xdp.c
 * checks at compile time that they are the same numbers.
 */
#define GSX_APP_HEALTHY 0
#define GSX_APP_UNHEALTHY 1
#define GSX_APP_DRAINING 2
#define GSX_APP_REMOVED 3
#define GSX_REBALANCE 0
#define GSX_NO_REBALANCE 1
#define GSX_FAIL_OPEN 0
#define GSX_FAIL_CLOSED 1

/* ---- limits of the XDP data plane (the DPDK one has its own) ----------- */
#define GSX_MAX_APPS_PER_GROUP 64
#define GSX_MAX_APPS (GS_MAX_TARGET_GROUPS * GSX_MAX_APPS_PER_GROUP)
/* a group's Maglev table lives in one array map of at most this many slots */
#define GSX_MAGLEV_MAX 65537u
#define GSX_MAX_LOCAL_ADDRS (GS_MAX_PORTS * GS_MAX_PORT_ADDRS + GS_MAX_LISTENERS)
/* headers are parsed from a copy of the frame's first bytes */
#define GSX_WIN 512u
#define GSX_WIN_MASK (GSX_WIN - 1)
/* the outer header gsteer writes fits here (Ethernet + IPv6 + UDP + GENEVE + 252) */
#define GSX_OUT_MAX 384u
#define GSX_OUT_MASK 511u
#define GSX_CSUM_CHUNK 256u
/* payload bytes the IPv6 UDP checksum walks (jumbo frames included) */
#define GSX_MAX_PAYLOAD 9216u
#define GSX_FRAG_TTL_NS (2000ull * 1000000ull)
#define GSX_DEFAULT_FLOWS (1u << 20)
#define GSX_FRAG_ENTRIES 4096u
#define GSX_APP_NONE 0xFFFFu

/* ---- verdicts and events: one counter each, per CPU -------------------- */
#define GSX_VERDICTS(X)                                                        \
	X(RX, "rx")                         /* every frame the program saw */  \
	X(TX, "tx")                         /* XDP_TX */                       \
	X(REDIRECT, "redirect")             /* out of another interface */     \
	X(PASS, "pass")                     /* handed to the kernel */         \
	X(DROP, "drop")                     /* XDP_DROP, reason in drops[] */  \
	X(TO_APPLIANCE, "to_appliance")                                        \
	X(TO_UPSTREAM, "to_upstream")                                          \
	X(FAIL_OPEN, "fail_open")                                              \
	X(FLOWS_CREATED, "flows_created")                                      \
	X(FLOWS_REBALANCED, "flows_rebalanced")                                \
	X(FLOWS_EXPIRED, "flows_expired")   /* idle entry found and reused */  \
	X(FRAG_FIRST, "frag_first")                                            \
	X(FRAG_FOLLOWED, "frag_followed")                                      \
	X(PASS_SLOWPATH, "pass_slowpath")   /* ARP, NDP, ICMP for us */        \
	X(PASS_PROBE, "pass_probe")         /* in-band probe back to gsteerd */\
	X(PASS_NOT_OURS, "pass_not_ours")   /* not GENEVE to us: the host's */

#define GSX_VERDICT_ENUM_(sym, name) GSX_V_##sym,
enum gsx_verdict { GSX_VERDICTS(GSX_VERDICT_ENUM_) GSX_V_COUNT };

/* reason counters are indexed with a mask the verifier can see */
#define GSX_R_SLOTS 64
_Static_assert(GS_R_COUNT <= GSX_R_SLOTS, "GSX_R_SLOTS too small");

struct gsx_stats {
	uint64_t verdicts[GSX_V_COUNT];
	/* packets dropped (XDP_DROP), by reason */
	uint64_t drops[GSX_R_SLOTS];
	/* packets handed to the kernel, by the reason gsteer did not take them */
	uint64_t passed[GSX_R_SLOTS];
};

struct gsx_app_stats {
	uint64_t to_pkts, to_bytes;     /* sent to the appliance */
	uint64_t from_pkts, from_bytes; /* returned by it */
	uint64_t new_flows, moved_out;
	uint64_t last_rx_ns;
};

/* ---- configuration maps (written by gs_xdp.c) -------------------------- */

/* an address as map key: family, then 16 bytes (IPv4 in the first 4) */
struct gsx_addr {
	uint8_t family;
	uint8_t pad[3];
	uint8_t a[16];
};

#define GSX_LOCAL_PORT 1     /* one of our port addresses */
#define GSX_LOCAL_LISTENER 2 /* a listener address (value's index) */
struct gsx_local {
	uint32_t kind;
	uint32_t listener;
};

struct gsx_globals {
	uint32_t hash_seed;
	uint32_t ready; /* 0 until user space has filled every map */
};

struct gsx_listener {
	uint8_t addr[16];
	uint8_t family;
	uint8_t has_endpoint_id;
	uint8_t has_attachment_id;
	uint8_t pad;
	uint32_t group;
	uint64_t endpoint_id;
	uint64_t attachment_id;
};

/* LPM key: (listener, family) then the address; prefixlen counts 32 + bits */
struct gsx_upstream_key {
	uint32_t prefixlen;
	uint8_t listener;
	uint8_t family;
	uint8_t pad[2];
	uint8_t a[16];
};

struct gsx_group {
	uint32_t stickiness;     /* enum gs_stickiness */
	uint32_t on_unhealthy;   /* enum gs_failover_mode */
	uint32_t on_deregistration;
	uint32_t no_healthy;     /* enum gs_no_healthy_mode */
	uint32_t scope_by_endpoint_id;
	uint32_t maglev_size;
	uint64_t idle_tcp_ns;
	uint64_t idle_other_ns;
};

/* appliance slot: group * GSX_MAX_APPS_PER_GROUP + index in the group */
struct gsx_app {
	uint8_t addr[16];
	uint8_t src[16]; /* our outer source toward it */
	uint8_t family;
	uint8_t in_use;
	uint16_t pad;
	uint32_t state; /* enum gs_app_state */
	uint32_t group;
	uint32_t pad2;
	/* draining: CLOCK_MONOTONIC ns after which it counts as removed */
	uint64_t drain_deadline_ns;
};

/* ---- flows ------------------------------------------------------------- */
#define GSX_DIR_SEEN 0x01
#define GSX_DIR_HAS_EID 0x02
#define GSX_DIR_HAS_AID 0x04
#define GSX_DIR_HAS_COOKIE 0x08
#define GSX_DIR_V6 0x10

struct gsx_dir {
	uint8_t upstream[16];
	uint64_t endpoint_id;
	uint64_t attachment_id;
	uint32_t cookie;
	uint32_t vni;
	uint8_t flags;
	uint8_t listener;
	uint8_t pad[6];
};

struct gsx_flow {
	uint64_t last_seen_ns;
	uint16_t app; /* appliance slot */
	uint8_t proto;
	uint8_t group;
	uint32_t pad;
	struct gsx_dir dir[2];
};

/* shallow virtual reassembly: the first fragment's ports */
struct gsx_frag_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
};

struct gsx_frag {
	uint64_t expires_ns;
	uint16_t sport, dport;
	uint32_t pad;
};

#endif /* GSTEER_XDP_H */
