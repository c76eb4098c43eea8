/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table and next-hop routing of the DPDK data plane.
 *
 * One writer, the main lcore: it creates entries, sends ARP requests and
 * neighbour solicitations, learns answers, ages entries and holds packets
 * that wait for an answer.  Workers only read: gs_neigh_lookup() (an
 * rte_hash with lock-free reader/writer concurrency) and gs_neigh_mac().
 * An entry's MAC is written before its valid flag is set (release) and read
 * after the flag (acquire); a MAC that changes under a live entry is
 * replaced only after an RCU grace period, so a worker never copies half of
 * an old and half of a new address.  Entries are never deleted during a run,
 * so an index a worker cached stays that neighbour's index.
 *
 * "port" everywhere here is gsteer's port index (dp->ports[port], mbuf
 * ->port as the workers set it), not the ethdev port id.
 *
 * Times are the main lcore's milliseconds (gs_dp_now_ms()).
 */
#ifndef GS_NEIGH_H
#define GS_NEIGH_H

#include "dp.h"

#define GS_NEIGH_RETRY_MS 1000      /* between requests of one resolution */
#define GS_NEIGH_MAX_TRIES 3        /* requests before an entry fails */
#define GS_NEIGH_REACHABLE_MS 60000 /* then re-check, keeping the MAC in use */
#define GS_NEIGH_MAX_HELD 8         /* packets held per unresolved entry */

/* rte_hash key: the padding is zeroed, the address too past 4 bytes for IPv4 */
struct gs_neigh_key {
	uint16_t port;
	uint8_t family;
	uint8_t pad;
	uint8_t addr[16];
};

/*
 * Create dp->neigh_hash and dp->neighs and load the static neighbours of
 * the config (each on the port whose subnet contains it; one outside every
 * subnet is skipped with a warning).  0 or a negative errno.
 */
int gs_neigh_init(struct gs_dp *dp);

/* free held packets, the table and the hash (after the workers stopped) */
void gs_neigh_free(struct gs_dp *dp);

/*
 * Route @dst: the port whose subnet contains it (longest prefix wins) with
 * the next hop @dst itself and that port address as @src; else the first
 * port with a gateway of @dst's family and an address of that family, with
 * the gateway as next hop and that address as @src.  @src gets 16 bytes
 * (IPv4 in the first 4).  0, or -1 when there is no route.  Read-only,
 * safe on any lcore.
 */
int gs_route(const struct gs_dp *dp, const struct gs_ipaddr *dst, uint16_t *port,
	     struct gs_ipaddr *nexthop, uint8_t src[16]);

/* worker-safe: the entry index of (@port, @addr) or GS_NEIGH_NONE */
uint32_t gs_neigh_lookup(const struct gs_dp *dp, uint16_t port,
			 const struct gs_ipaddr *addr);

/* worker-safe: the neighbour's MAC, or NULL while it is unresolved or failed */
static inline const struct rte_ether_addr *gs_neigh_mac(const struct gs_dp *dp,
							uint32_t idx)
{
	const struct gs_neigh *n;

	if (unlikely(idx >= GS_MAX_NEIGHBORS))
		return NULL;
	n = &dp->neighs[idx];
	if (!__atomic_load_n(&n->valid, __ATOMIC_ACQUIRE))
		return NULL;
	return &n->mac;
}

/*
 * Main lcore: the entry of (@port, @addr), created (and its first request
 * sent) when missing; a failed entry starts a new resolution.
 * GS_NEIGH_NONE when the table is full or @port is not ours.
 */
uint32_t gs_neigh_get(struct gs_dp *dp, uint16_t port,
		      const struct gs_ipaddr *addr, uint64_t now_ms);

/*
 * Main lcore, GS_MSG_RESOLVE: @m is ready to send but for its Ethernet
 * destination; route its outer IP destination, then send it, or hold it
 * until the next hop answers.  Consumes @m.
 */
void gs_neigh_resolve_and_send(struct gs_dp *dp, struct rte_mbuf *m);

/*
 * Main lcore, GS_MSG_SLOWPATH: ARP, NS/NA and echo requests received on
 * port m->port.  Answers what is for us, learns answers to our own
 * requests, counts the rest in dp->main_drops.  Consumes @m.
 */
void gs_neigh_input(struct gs_dp *dp, struct rte_mbuf *m);

/* Main lcore, called often: retries, failures, refresh of old entries */
void gs_neigh_timer(struct gs_dp *dp, uint64_t now_ms);

#endif /* GS_NEIGH_H */
