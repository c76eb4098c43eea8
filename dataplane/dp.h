/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-dataplane: the state shared by the main lcore (control, aging,
 * neighbours) and the worker lcores (the per-packet pipeline).
 *
 * Concurrency rules, in short:
 *  - workers never take a lock: they read group runtimes (Maglev table +
 *    appliance states) through RCU-published pointers and report a
 *    quiescent state once per loop (rte_rcu_qsbr);
 *  - the flow table is an rte_hash with lock-free reader/writer concurrency;
 *    workers insert, the main lcore ages entries out, and freed slots are
 *    reclaimed only after a grace period (rte_hash_rcu_qsbr_add);
 *  - everything slow (ARP/NDP, ICMP to us, packets waiting for a neighbour,
 *    probe returns) goes to the main lcore through one ring, and whatever the
 *    main lcore sends goes back out through a worker's inject ring, so every
 *    port needs exactly one TX queue per worker.
 */
#ifndef GS_DP_H
#define GS_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "gs_config.h"
#include "gs_flow.h"
#include "gs_pkt.h"
#include "gs_reasons.h"

#define GS_MAX_WORKERS 16
#define GS_MAX_APPLIANCES 4096 /* all groups together, for one run */
#define GS_BURST 32
#define GS_MAX_NEIGHBORS 4096
#define GS_NEIGH_NONE UINT32_MAX
#define GS_APPLIANCE_NONE UINT16_MAX
#define GS_FILTER_SHARED UINT16_MAX
#define GS_FRAG_HOLD_MAX 64 /* out-of-order fragments a worker holds */
#define GS_FRAG_HOLD_MS 100
#define GS_FRAG_TTL_MS 2000
#define GS_TO_MAIN_RING_SIZE 4096
#define GS_INJECT_RING_SIZE 1024

/* ---- appliances and target groups -------------------------------------- */

/* per appliance; the main lcore writes, workers read */
struct gs_appliance {
	bool in_use;
	char id[GS_NAME_MAX];
	struct gs_ipaddr addr;
	uint32_t group;
	uint32_t weight;
	enum gs_app_state state;
	uint64_t state_since_ns; /* CLOCK_REALTIME of the last state change */
	uint64_t drain_deadline_ns; /* draining: when it becomes removed */
	/* how to reach it, resolved when it is added */
	uint16_t port;
	uint32_t neigh;
	uint8_t src[16]; /* our outer source address toward it */
} __rte_cache_aligned;

/* what workers read for a group, replaced as a whole and published by RCU */
struct gs_group_rt {
	uint32_t n_healthy;
	uint32_t maglev_size;
	uint32_t maglev[]; /* appliance index per slot */
};

struct gs_group {
	const struct gs_target_group_cfg *cfg;
	/* from its listeners, which the config loader makes agree */
	bool scope_by_endpoint_id;
	struct gs_group_rt *rt; /* RCU: workers load it once per burst */
	uint32_t n_members;
	uint16_t members[GS_MAX_APPLIANCES_PER_GROUP]; /* appliance indexes */
};

/* ---- flows ------------------------------------------------------------- */

#define GS_FDIR_SEEN 0x01    /* this direction has come from an upstream */
#define GS_FDIR_HAS_EID 0x02 /* upstream sent an endpoint id */
#define GS_FDIR_HAS_AID 0x04 /* upstream sent an attachment id */
#define GS_FDIR_HAS_COOKIE 0x08 /* upstream sent a flow cookie */
#define GS_FDIR_V6 0x10      /* the upstream speaks IPv6 outer */

/*
 * An upstream tunnel: what one direction of a flow needs to go back to its
 * upstream (outer source, listener, VNI, endpoint and attachment ids as
 * sent).  Many flows come through the same tunnel, so tunnels are interned
 * in a table of their own (flow_table.c) and reference-counted: a flow
 * holds one index per direction, and its entry stays at 32 bytes.  The
 * flow cookie the upstream sent is per flow and stays in the flow.
 */
struct gs_flow_dir {
	/* the interning key: the first GS_TUNNEL_KEY_LEN bytes, as memory */
	uint8_t upstream[16]; /* the upstream's outer source address */
	uint64_t endpoint_id;
	uint64_t attachment_id;
	uint32_t vni;
	uint8_t flags;
	uint8_t listener;
	uint16_t key_pad; /* zero */
	/* cached next hop toward the upstream, filled on first use */
	uint32_t neigh;
	uint16_t port;
	uint32_t refs; /* flow directions holding it; GS_TUNNEL_DEAD: being freed */
};

#define GS_TUNNEL_KEY_LEN offsetof(struct gs_flow_dir, neigh)
#define GS_TUNNEL_DEAD UINT32_MAX
#define GS_MAX_TUNNELS 32768 /* distinct upstream tunnels at once */

struct gs_flow {
	uint32_t hash;
	uint16_t appliance;
	uint8_t proto;
	uint8_t group;
	uint32_t last_seen_ms;
	uint8_t live; /* set by the inserting worker, cleared when aged out */
	uint8_t pad[3];
	uint32_t tun[2];    /* per direction: 1 + tunnel index; 0: not seen yet */
	uint32_t cookie[2]; /* per direction: the cookie its upstream sent */
} __rte_aligned(32); /* two a cache line, never across one */

_Static_assert(sizeof(struct gs_flow) == 32, "a flow entry is 32 bytes");

/* ---- per-worker state and counters ------------------------------------- */

struct gs_appliance_stats {
	uint64_t tx_pkts;   /* sent to the appliance */
	uint64_t tx_bytes;
	uint64_t rx_pkts;   /* returned by the appliance */
	uint64_t rx_bytes;
	uint64_t new_flows; /* flows created on it or moved to it */
	uint64_t moved_out; /* flows re-steered away from it */
	uint64_t last_rx_ms; /* time of the last returned packet */
};

struct gs_worker_stats {
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t to_appliance;
	uint64_t to_upstream;
	uint64_t fail_open;
	uint64_t flows_created;
	uint64_t flows_rebalanced;
	uint64_t flow_table_full; /* steered by Maglev alone, not pinned */
	uint64_t frag_first;
	uint64_t frag_followed;
	uint64_t drops[GS_R_COUNT];
};

/* which datagram a fragment belongs to */
struct gs_frag_id {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t proto;
	uint8_t family;
};

struct gs_frag_entry {
	uint64_t expires_ms;
	struct gs_frag_id fid;
	uint16_t sport;
	uint16_t dport;
	uint16_t first_end; /* fragment data bytes the first fragment holds */
	bool in_use;
};

struct gs_frag_hold {
	struct rte_mbuf *m;
	uint64_t expires_ms;
	struct gs_frag_id fid; /* matched against first fragments as they pass */
};

struct gs_worker {
	unsigned lcore_id;
	unsigned index; /* RX/TX queue id on every port, RCU thread id */
	struct rte_ring *inject; /* packets the main lcore sends through us */
	struct gs_worker_stats stats __rte_cache_aligned;
	struct gs_appliance_stats *app_stats; /* [GS_MAX_APPLIANCES] */
	/* shallow virtual reassembly, private to this worker */
	struct gs_frag_entry *frags; /* [frag_table_size], direct-mapped */
	uint32_t frag_mask;
	uint32_t frag_seed; /* random per run: slot collisions cannot be aimed */
	struct gs_frag_hold frag_hold[GS_FRAG_HOLD_MAX];
	uint32_t n_frag_hold;
} __rte_cache_aligned;

/* ---- neighbours --------------------------------------------------------- */

enum gs_neigh_state {
	GS_NEIGH_INCOMPLETE = 0, /* asked, no answer yet */
	GS_NEIGH_REACHABLE = 1,
	GS_NEIGH_STALE = 2,      /* refreshing; the old MAC is still used */
	GS_NEIGH_FAILED = 3,
	GS_NEIGH_STATIC = 4,
};

struct gs_neigh {
	struct gs_ipaddr addr;
	uint16_t port;
	volatile uint8_t valid; /* mac may be used by workers */
	uint8_t state;          /* enum gs_neigh_state, main lcore only */
	struct rte_ether_addr mac;
	uint64_t updated_ms;
	uint64_t next_try_ms;
	uint32_t tries;
	uint32_t n_held;
	struct rte_mbuf *held[8]; /* waiting for the answer */
};

/* ---- ports -------------------------------------------------------------- */

struct gs_port {
	uint16_t port_id;
	const struct gs_port_cfg *cfg;
	struct rte_ether_addr mac;
	uint16_t mtu;
};

/* ---- the data plane ----------------------------------------------------- */

struct gs_dp {
	struct gs_config *cfg;
	/* addresses we answer for: ports' own and listeners' */
	struct gs_ipaddr local[GS_MAX_PORTS * GS_MAX_PORT_ADDRS + GS_MAX_LISTENERS];
	uint32_t n_local;
	uint32_t hash_seed;
	uint64_t tsc_hz;
	uint64_t start_tsc;

	struct gs_port ports[GS_MAX_PORTS];
	uint32_t n_ports;

	struct gs_worker workers[GS_MAX_WORKERS];
	uint32_t n_workers;

	struct gs_appliance appliances[GS_MAX_APPLIANCES];
	uint32_t n_appliances; /* slots ever used (never reused in a run) */
	struct gs_group groups[GS_MAX_TARGET_GROUPS];
	uint32_t n_groups;

	struct rte_hash *flows_hash;
	struct gs_flow *flows; /* indexed by rte_hash key position */
	uint32_t flow_capacity;
	uint32_t age_cursor;
	uint64_t flows_aged;

	struct rte_hash *tunnels_hash;   /* upstream tunnels, interned */
	struct gs_flow_dir *tunnels;     /* indexed by tunnels_hash position */
	uint32_t tunnel_capacity;
	uint32_t tunnel_cursor;

	/* per-source flow counters (src_limit.h): 2 rows of 2^src_bits;
	 * NULL when no listener has a limit */
	uint32_t *src_counts;
	uint32_t src_bits;
	uint32_t src_seed;
	/* the source key each flow charged, by flow position, beside the
	 * flows rather than in them: only tables with a limit pay its 4 bytes
	 * a flow, and a flow entry stays 32 bytes */
	uint32_t *flow_src_key;

	struct rte_hash *appliance_by_addr; /* gs_ipaddr -> appliance index */
	uint64_t app_addr_filter[64]; /* maybe an appliance: bit per address hash */
	/* per filter bit: 1 + the one appliance that ever set it, 0 none,
	 * GS_FILTER_SHARED when several did (then rte_hash decides) */
	uint16_t app_by_filter[4096];

	struct rte_hash *neigh_hash; /* (port, addr) -> neighbour index */
	struct gs_neigh *neighs;     /* [GS_MAX_NEIGHBORS] */
	uint32_t n_neighs;

	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *to_main; /* workers -> main lcore */
	struct rte_mempool *pool;
	uint64_t main_drops[GS_R_COUNT]; /* drops decided on the main lcore */
	uint64_t app_flows_aged[GS_MAX_APPLIANCES]; /* main lcore: expired flows */
	volatile bool *force_quit;
	/* where returning in-band probes go (gsteerd's probe channel); 0: taken */
	int (*probe_handler)(struct gs_dp *dp, struct rte_mbuf *m);
};

/* direction @d of @f: its upstream tunnel, or NULL when not seen yet */
static inline struct gs_flow_dir *gs_flow_dir_of(const struct gs_dp *dp,
						 const struct gs_flow *f, int d)
{
	/* pairs with the exchange that published it, after its record */
	uint32_t t = __atomic_load_n(&f->tun[d], __ATOMIC_ACQUIRE);

	return t ? &dp->tunnels[t - 1] : NULL;
}

/* monotonic milliseconds since start, cheap enough per burst */
static inline uint32_t gs_dp_now_ms(const struct gs_dp *dp)
{
	return (uint32_t)((rte_get_tsc_cycles() - dp->start_tsc) * 1000 / dp->tsc_hz);
}

/* ---- messages to the main lcore (carried in mbuf->hash.usr) ---------- */
enum gs_main_msg {
	GS_MSG_SLOWPATH = 1, /* ARP, NDP, ICMP echo for us; m->port: RX port */
	GS_MSG_RESOLVE = 2,  /* ready to send but the next hop's MAC is unknown;
				m->port: egress port; outer IP dst tells whom */
	GS_MSG_PROBE = 3,    /* an in-band probe came back */
};

/* hand @m to the main lcore; counts GS_R_CONTROL_QUEUE_FULL when full */
void gs_dp_to_main(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
		   enum gs_main_msg msg);

/* main lcore: send @m out of port m->port through worker 0's inject ring */
void gs_dp_send_from_main(struct gs_dp *dp, struct rte_mbuf *m);

/* ---- appliances and groups (group.c), main lcore only ------------------- */

/* rebuild the group's Maglev table from its healthy members and publish it
 * (RCU: returns after every worker has moved to the new table) */
int gs_group_publish(struct gs_dp *dp, uint32_t group);
int gs_appliance_find(const struct gs_dp *dp, const char *group, const char *id);
int gs_appliance_set_state(struct gs_dp *dp, uint32_t app, enum gs_app_state st,
			   char *err, size_t errlen);
/* the state alone, without publishing the group's table: 1 changed,
 * 0 already so, <0 refused (@err).  For batches, which publish each group
 * they touched once */
int gs_appliance_change_state(struct gs_dp *dp, uint32_t app, enum gs_app_state st,
			      char *err, size_t errlen);
int gs_appliance_add(struct gs_dp *dp, uint32_t group,
		     const struct gs_appliance_cfg *cfg, char *err, size_t errlen);
/* the same without publishing the group's table: for loading a whole
 * config, which then publishes each group once (one Maglev build, not one
 * per appliance: 1,000 appliances start in milliseconds, not seconds) */
int gs_appliance_insert(struct gs_dp *dp, uint32_t group,
			const struct gs_appliance_cfg *cfg, char *err, size_t errlen);
int gs_appliance_remove(struct gs_dp *dp, uint32_t app, char *err, size_t errlen);
/* draining appliances whose delay is over (or that have no flows left)
 * become removed */
void gs_group_timer(struct gs_dp *dp);
int gs_group_find(const struct gs_dp *dp, const char *name);
int gs_appliance_by_addr_init(struct gs_dp *dp);
/* worker-safe: the appliance whose data address is @addr, or -1 */
int gs_appliance_lookup_addr(const struct gs_dp *dp, const uint8_t *addr, uint8_t family);

/* ---- statistics (stats.c) ----------------------------------------------- */
void gs_dp_stats_sum(const struct gs_dp *dp, struct gs_worker_stats *out);
void gs_dp_appliance_stats(const struct gs_dp *dp, uint32_t app,
			   struct gs_appliance_stats *out);
/* flows currently pinned to @app */
uint64_t gs_dp_appliance_flows(const struct gs_dp *dp, uint32_t app);
uint32_t gs_flow_count(const struct gs_dp *dp);
/* mbufs the data plane keeps on purpose: held early fragments, packets
 * waiting for a neighbour, messages on its rings.  With the workers
 * stopped, any other mbuf in use (beyond a NIC's RX rings) is a leak. */
unsigned gs_dp_mbufs_held(const struct gs_dp *dp);

#endif /* GS_DP_H */
