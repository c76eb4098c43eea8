/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution of the DPDK data plane: see neigh.h for the rules.
 * Everything here but gs_route() and gs_neigh_lookup() runs on the main
 * lcore only, so entries need no lock; what workers read is published with
 * release stores.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "gs_arpnd.h"
#include "neigh.h"

#define RTE_LOGTYPE_GS_NEIGH RTE_LOGTYPE_USER1

/* the timer looks at the entries at most this often */
#define NEIGH_TICK_MS 10

_Static_assert(sizeof(((struct gs_neigh *)0)->held) /
	       sizeof(((struct gs_neigh *)0)->held[0]) == GS_NEIGH_MAX_HELD,
	       "GS_NEIGH_MAX_HELD must match struct gs_neigh");
_Static_assert(sizeof(struct gs_neigh_key) == 20, "neighbour key is 20 bytes");

/*
 * Bookkeeping of the main lcore that workers never see.  It lives right
 * after dp->neighs, in the same allocation, because struct gs_dp has no
 * field for it and rte_hash positions, though never freed here, are not
 * promised to be dense: the timer walks this list instead of the table.
 */
struct neigh_priv {
	uint64_t next_tick_ms;
	uint32_t n_used;
	uint32_t used[GS_MAX_NEIGHBORS];
};

static struct neigh_priv *priv(struct gs_dp *dp)
{
	return (struct neigh_priv *)(dp->neighs + GS_MAX_NEIGHBORS);
}

/*
 * Callers may hand in a 32-bit millisecond clock (gs_dp_now_ms() wraps
 * after 49 days): compare by difference so deadlines survive the wrap.
 * Every interval used here is far below 2^31 ms.
 */
static inline bool reached(uint64_t now, uint64_t deadline)
{
	return (int32_t)((uint32_t)now - (uint32_t)deadline) >= 0;
}

static uint64_t neigh_now(const struct gs_dp *dp)
{
	return dp->tsc_hz ? gs_dp_now_ms(dp) : 0;
}

static uint32_t addr_len(uint8_t family)
{
	return family == GS_AF_INET ? 4 : 16;
}

static bool addr_eq(const struct gs_ipaddr *a, uint8_t family, const uint8_t *b)
{
	return a->family == family && memcmp(a->a, b, addr_len(family)) == 0;
}

/* a MAC we may send to: not zero, not multicast or broadcast */
static bool mac_usable(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static void make_key(struct gs_neigh_key *k, uint16_t port,
		     const struct gs_ipaddr *a)
{
	memset(k, 0, sizeof(*k));
	k->port = port;
	k->family = a->family;
	memcpy(k->addr, a->a, addr_len(a->family));
}

/* ---- routing ------------------------------------------------------------- */

int gs_route(const struct gs_dp *dp, const struct gs_ipaddr *dst, uint16_t *port,
	     struct gs_ipaddr *nexthop, uint8_t src[16])
{
	const struct gs_prefix *best = NULL;
	uint32_t best_port = 0, i, j;

	if (dst->family != GS_AF_INET && dst->family != GS_AF_INET6)
		return -1;
	for (i = 0; i < dp->n_ports; i++) {
		const struct gs_port_cfg *c = dp->ports[i].cfg;

		if (!c)
			continue;
		for (j = 0; j < c->n_addresses; j++) {
			const struct gs_prefix *p = &c->addresses[j];

			if (p->addr.family != dst->family || !gs_prefix_contains(p, dst))
				continue;
			if (!best || p->len > best->len) {
				best = p;
				best_port = i;
			}
		}
	}
	if (best) {
		*port = (uint16_t)best_port;
		*nexthop = *dst;
		memcpy(src, best->addr.a, 16);
		return 0;
	}

	for (i = 0; i < dp->n_ports; i++) {
		const struct gs_port_cfg *c = dp->ports[i].cfg;
		const struct gs_ipaddr *gw;

		if (!c)
			continue;
		gw = dst->family == GS_AF_INET ? &c->gateway4 : &c->gateway6;
		if (gw->family != dst->family)
			continue;
		/* a gateway is no use without an address to speak from */
		for (j = 0; j < c->n_addresses; j++) {
			if (c->addresses[j].addr.family != dst->family)
				continue;
			*port = (uint16_t)i;
			*nexthop = *gw;
			memcpy(src, c->addresses[j].addr.a, 16);
			return 0;
		}
	}
	return -1;
}

/*
 * Whether @addr is ours on @port: one of the port's addresses, or a
 * listener address inside one of the port's subnets (a listener may be a
 * service address of its own that upstreams must be able to resolve).
 */
static bool port_owns(const struct gs_dp *dp, uint16_t port, uint8_t family,
		      const uint8_t *addr)
{
	const struct gs_port_cfg *c = dp->ports[port].cfg;
	struct gs_ipaddr a = { .family = family };
	uint32_t i, j;

	if (!c)
		return false;
	for (i = 0; i < c->n_addresses; i++)
		if (addr_eq(&c->addresses[i].addr, family, addr))
			return true;
	if (!dp->cfg)
		return false;
	memcpy(a.a, addr, addr_len(family));
	for (i = 0; i < dp->cfg->n_listeners; i++) {
		if (!addr_eq(&dp->cfg->listeners[i].address, family, addr))
			continue;
		for (j = 0; j < c->n_addresses; j++)
			if (c->addresses[j].addr.family == family &&
			    gs_prefix_contains(&c->addresses[j], &a))
				return true;
	}
	return false;
}

/* our address to ask @target from: one in its subnet, else the first */
static const uint8_t *port_src(const struct gs_port_cfg *c,
			       const struct gs_ipaddr *target)
{
	const uint8_t *first = NULL;

	for (uint32_t i = 0; i < c->n_addresses; i++) {
		const struct gs_prefix *p = &c->addresses[i];

		if (p->addr.family != target->family)
			continue;
		if (gs_prefix_contains(p, target))
			return p->addr.a;
		if (!first)
			first = p->addr.a;
	}
	return first;
}

/* ---- table --------------------------------------------------------------- */

uint32_t gs_neigh_lookup(const struct gs_dp *dp, uint16_t port,
			 const struct gs_ipaddr *addr)
{
	struct gs_neigh_key k;
	int32_t pos;

	make_key(&k, port, addr);
	pos = rte_hash_lookup(dp->neigh_hash, &k);
	if (pos < 0 || pos >= GS_MAX_NEIGHBORS)
		return GS_NEIGH_NONE;
	return (uint32_t)pos;
}

/* a fresh entry (state INCOMPLETE, not valid), or an existing one */
static uint32_t neigh_add(struct gs_dp *dp, uint16_t port,
			  const struct gs_ipaddr *addr)
{
	struct neigh_priv *pv = priv(dp);
	struct gs_neigh_key k;
	struct gs_neigh *n;
	int32_t pos;

	make_key(&k, port, addr);
	pos = rte_hash_add_key(dp->neigh_hash, &k);
	if (pos < 0)
		return GS_NEIGH_NONE;
	if (pos >= GS_MAX_NEIGHBORS) {
		/* cannot happen without a per-lcore cache; never index past */
		rte_hash_del_key(dp->neigh_hash, &k);
		return GS_NEIGH_NONE;
	}
	n = &dp->neighs[pos];
	if (n->addr.family == 0) {
		n->addr.family = addr->family;
		memcpy(n->addr.a, addr->a, addr_len(addr->family));
		n->port = port;
		n->state = GS_NEIGH_INCOMPLETE;
		pv->used[pv->n_used++] = (uint32_t)pos;
		dp->n_neighs++;
	}
	return (uint32_t)pos;
}

/* ARP request or NS toward @n; unicast to its known MAC when @unicast */
static void neigh_solicit(struct gs_dp *dp, struct gs_neigh *n, bool unicast)
{
	const struct gs_port *p = &dp->ports[n->port];
	const uint8_t *dst_mac = unicast ? n->mac.addr_bytes : NULL;
	const uint8_t *src;
	struct rte_mbuf *m;
	uint8_t *buf;
	int len;

	src = port_src(p->cfg, &n->addr);
	if (!src)
		return; /* no address of that family: the entry will fail */
	m = rte_pktmbuf_alloc(dp->pool);
	if (!m) {
		dp->main_drops[GS_R_NO_MBUF]++;
		return;
	}
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	if (n->addr.family == GS_AF_INET)
		len = gs_arp_request_build(buf, rte_pktmbuf_tailroom(m),
					   p->mac.addr_bytes, p->cfg->vlan, src,
					   n->addr.a, dst_mac);
	else
		len = gs_ndp_ns_build(buf, rte_pktmbuf_tailroom(m),
				      p->mac.addr_bytes, p->cfg->vlan, src,
				      n->addr.a, dst_mac);
	if (len < 0 || !rte_pktmbuf_append(m, (uint16_t)len)) {
		rte_pktmbuf_free(m);
		return;
	}
	m->port = n->port;
	gs_dp_send_from_main(dp, m);
}

static void neigh_start(struct gs_dp *dp, struct gs_neigh *n, uint64_t now)
{
	n->state = GS_NEIGH_INCOMPLETE;
	n->tries = 1;
	n->next_try_ms = now + GS_NEIGH_RETRY_MS;
	neigh_solicit(dp, n, false);
}

/* write the Ethernet addresses and send a packet that waited for @n */
static void neigh_send(struct gs_dp *dp, const struct gs_neigh *n,
		       struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&n->mac, &eh->dst_addr);
	rte_ether_addr_copy(&dp->ports[n->port].mac, &eh->src_addr);
	m->port = n->port;
	gs_dp_send_from_main(dp, m);
}

static void neigh_drop_held(struct gs_dp *dp, struct gs_neigh *n,
			    enum gs_reason why)
{
	for (uint32_t i = 0; i < n->n_held; i++) {
		rte_pktmbuf_free(n->held[i]);
		dp->main_drops[why]++;
	}
	n->n_held = 0;
}

static void neigh_fail(struct gs_dp *dp, struct gs_neigh *n, uint64_t now)
{
	n->state = GS_NEIGH_FAILED;
	__atomic_store_n(&n->valid, 0, __ATOMIC_RELEASE);
	n->next_try_ms = now;
	neigh_drop_held(dp, n, GS_R_NEIGH_UNRESOLVED);
}

/*
 * @n answered (or spoke) from @mac: publish it and send what waited.
 * A MAC that differs from the one workers may still be copying is only
 * overwritten after they all passed a quiescent state; that costs the main
 * lcore a grace period, but only when a neighbour really changes MAC.
 */
static void neigh_learn(struct gs_dp *dp, struct gs_neigh *n,
			const uint8_t mac[6], uint64_t now)
{
	static const uint8_t zero[6];

	if (n->state == GS_NEIGH_STATIC)
		return;
	if (memcmp(n->mac.addr_bytes, mac, 6) != 0) {
		if (memcmp(n->mac.addr_bytes, zero, 6) != 0) {
			__atomic_store_n(&n->valid, 0, __ATOMIC_RELEASE);
			if (dp->qsbr)
				rte_rcu_qsbr_synchronize(dp->qsbr,
							 RTE_QSBR_THRID_INVALID);
		}
		memcpy(n->mac.addr_bytes, mac, 6);
	}
	__atomic_store_n(&n->valid, 1, __ATOMIC_RELEASE);
	n->state = GS_NEIGH_REACHABLE;
	n->updated_ms = now;
	n->tries = 0;
	for (uint32_t i = 0; i < n->n_held; i++)
		neigh_send(dp, n, n->held[i]);
	n->n_held = 0;
}

uint32_t gs_neigh_get(struct gs_dp *dp, uint16_t port,
		      const struct gs_ipaddr *addr, uint64_t now_ms)
{
	struct gs_neigh *n;
	uint32_t idx;

	if (port >= dp->n_ports || !dp->ports[port].cfg)
		return GS_NEIGH_NONE;
	idx = gs_neigh_lookup(dp, port, addr);
	if (idx == GS_NEIGH_NONE) {
		idx = neigh_add(dp, port, addr);
		if (idx == GS_NEIGH_NONE)
			return GS_NEIGH_NONE;
		neigh_start(dp, &dp->neighs[idx], now_ms);
		return idx;
	}
	n = &dp->neighs[idx];
	if (n->state == GS_NEIGH_FAILED)
		neigh_start(dp, n, now_ms);
	return idx;
}

static int neigh_load_static(struct gs_dp *dp, const struct gs_neighbor_cfg *c)
{
	struct gs_ipaddr nh;
	struct gs_neigh *n;
	uint8_t src[16];
	uint16_t port;
	uint32_t idx;
	char buf[64];

	if (gs_route(dp, &c->address, &port, &nh, src) != 0 ||
	    !addr_eq(&nh, c->address.family, c->address.a)) {
		RTE_LOG(WARNING, GS_NEIGH,
			"static neighbour %s is in no port subnet: ignored\n",
			gs_ipaddr_format(&c->address, buf, sizeof(buf)));
		return 0;
	}
	if (!mac_usable(c->mac)) {
		RTE_LOG(WARNING, GS_NEIGH,
			"static neighbour %s has a multicast or zero MAC: ignored\n",
			gs_ipaddr_format(&c->address, buf, sizeof(buf)));
		return 0;
	}
	idx = neigh_add(dp, port, &c->address);
	if (idx == GS_NEIGH_NONE) {
		RTE_LOG(ERR, GS_NEIGH, "neighbour table full loading %s\n",
			gs_ipaddr_format(&c->address, buf, sizeof(buf)));
		return -ENOSPC;
	}
	n = &dp->neighs[idx];
	memcpy(n->mac.addr_bytes, c->mac, 6);
	n->state = GS_NEIGH_STATIC;
	__atomic_store_n(&n->valid, 1, __ATOMIC_RELEASE);
	return 0;
}

int gs_neigh_init(struct gs_dp *dp)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = GS_MAX_NEIGHBORS,
		.key_len = sizeof(struct gs_neigh_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = dp->hash_seed,
		.socket_id = (int)rte_socket_id(),
		/* workers look up while the main lcore adds; we never delete */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	int rc;

	/* unique per data plane, so tests can build several */
	snprintf(name, sizeof(name), "gsn_%p", (void *)dp);
	dp->neigh_hash = rte_hash_create(&hp);
	if (!dp->neigh_hash) {
		rc = rte_errno ? -rte_errno : -ENOMEM;
		RTE_LOG(ERR, GS_NEIGH, "neighbour hash: %s\n", rte_strerror(-rc));
		return rc;
	}
	dp->neighs = rte_zmalloc_socket("gs_neighs",
					GS_MAX_NEIGHBORS * sizeof(struct gs_neigh) +
					sizeof(struct neigh_priv),
					RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (!dp->neighs) {
		RTE_LOG(ERR, GS_NEIGH, "neighbour table: out of memory\n");
		rte_hash_free(dp->neigh_hash);
		dp->neigh_hash = NULL;
		rte_errno = ENOMEM;
		return -ENOMEM;
	}
	dp->n_neighs = 0;
	if (!dp->cfg)
		return 0;
	for (uint32_t i = 0; i < dp->cfg->dataplane.n_neighbors; i++) {
		rc = neigh_load_static(dp, &dp->cfg->dataplane.neighbors[i]);
		if (rc < 0) {
			gs_neigh_free(dp);
			rte_errno = -rc; /* callers report rte_strerror(rte_errno) */
			return rc;
		}
	}
	return 0;
}

void gs_neigh_free(struct gs_dp *dp)
{
	if (dp->neighs) {
		struct neigh_priv *pv = priv(dp);

		for (uint32_t i = 0; i < pv->n_used; i++) {
			struct gs_neigh *n = &dp->neighs[pv->used[i]];

			for (uint32_t j = 0; j < n->n_held; j++)
				rte_pktmbuf_free(n->held[j]);
			n->n_held = 0;
		}
		rte_free(dp->neighs);
		dp->neighs = NULL;
	}
	rte_hash_free(dp->neigh_hash);
	dp->neigh_hash = NULL;
	dp->n_neighs = 0;
}

/* ---- packets from the workers -------------------------------------------- */

void gs_neigh_resolve_and_send(struct gs_dp *dp, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct gs_ipaddr dst = { 0 }, nh;
	struct gs_neigh *n;
	enum gs_reason rc;
	struct gs_eth eth;
	uint8_t src[16];
	uint16_t port;
	uint32_t idx;

	rc = gs_parse_eth(p, len, &eth);
	if (rc == GS_R_OK) {
		p += eth.hdr_len;
		len -= eth.hdr_len;
		if (eth.ethertype == GS_ETHERTYPE_IPV4 && len >= GS_IPV4_HDR_LEN) {
			dst.family = GS_AF_INET;
			memcpy(dst.a, p + 16, 4);
		} else if (eth.ethertype == GS_ETHERTYPE_IPV6 &&
			   len >= GS_IPV6_HDR_LEN) {
			dst.family = GS_AF_INET6;
			memcpy(dst.a, p + 24, 16);
		}
	}
	/* the workers routed with the same function, so the port agrees
	 * with m->port; the route is taken as the truth either way */
	if (dst.family == 0 || gs_route(dp, &dst, &port, &nh, src) != 0) {
		dp->main_drops[GS_R_NO_ROUTE]++;
		rte_pktmbuf_free(m);
		return;
	}
	idx = gs_neigh_get(dp, port, &nh, neigh_now(dp));
	if (idx == GS_NEIGH_NONE) {
		dp->main_drops[GS_R_NEIGH_UNRESOLVED]++;
		rte_pktmbuf_free(m);
		return;
	}
	n = &dp->neighs[idx];
	if (n->valid) {
		neigh_send(dp, n, m);
		return;
	}
	if (n->n_held == GS_NEIGH_MAX_HELD) {
		/* the newest packets are the ones a sender still waits for */
		rte_pktmbuf_free(n->held[0]);
		memmove(n->held, n->held + 1, (GS_NEIGH_MAX_HELD - 1) * sizeof(n->held[0]));
		n->n_held--;
		dp->main_drops[GS_R_NEIGH_QUEUE_FULL]++;
	}
	n->held[n->n_held++] = m;
}

/* turn the received @m, rewritten in place to @len bytes, into a reply */
static void reply_in_place(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port,
			   int len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	/* RX offload results must not read as TX requests */
	m->ol_flags = 0;
	m->vlan_tci = 0;
	m->packet_type = 0;
	m->port = port;
	gs_dp_send_from_main(dp, m);
}

/* send the reply built in place (@len > 0), or free @m, counted under
 * @ignored unless it taught us a neighbour */
static void answer(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port, int len,
		   bool learned, enum gs_reason ignored)
{
	if (len > 0) {
		reply_in_place(dp, m, port, len);
		return;
	}
	if (!learned)
		dp->main_drops[ignored]++;
	rte_pktmbuf_free(m);
}

/* the entry of a neighbour that just spoke, when we have one */
static struct gs_neigh *known(struct gs_dp *dp, uint16_t port, uint8_t family,
			      const uint8_t *addr)
{
	struct gs_ipaddr a = { .family = family };
	uint32_t idx;

	memcpy(a.a, addr, addr_len(family));
	idx = gs_neigh_lookup(dp, port, &a);
	return idx == GS_NEIGH_NONE ? NULL : &dp->neighs[idx];
}

static void input_arp(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port,
		      const struct gs_arpnd *pk, uint8_t *buf, uint32_t cap)
{
	static const uint8_t zero_ip[4];
	const struct gs_arp *a = &pk->arp;
	struct gs_neigh *n = NULL;
	int len = -1;

	/* requests, replies and gratuitous ARP alike refresh an entry we
	 * have; unsolicited traffic never creates one */
	if (memcmp(a->spa, zero_ip, 4) != 0 && mac_usable(a->sha))
		n = known(dp, port, GS_AF_INET, a->spa);
	if (n)
		neigh_learn(dp, n, a->sha, neigh_now(dp));

	if (a->op == GS_ARP_OP_REQUEST && port_owns(dp, port, GS_AF_INET, a->tpa) &&
	    mac_usable(a->sha))
		len = gs_arp_reply_build(buf, cap, pk, dp->ports[port].mac.addr_bytes,
					 a->tpa);
	answer(dp, m, port, len, n != NULL, GS_R_ARP_IGNORED);
}

static void input_ns(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port,
		     const struct gs_arpnd *pk, uint8_t *buf, uint32_t cap)
{
	const struct gs_ndp *nd = &pk->ndp;
	struct gs_neigh *n = NULL;
	int len = -1;

	if (nd->has_ll && mac_usable(nd->ll))
		n = known(dp, port, GS_AF_INET6, pk->ip.src);
	if (n)
		neigh_learn(dp, n, nd->ll, neigh_now(dp));

	if (port_owns(dp, port, GS_AF_INET6, nd->target))
		len = gs_ndp_na_build(buf, cap, pk, dp->ports[port].mac.addr_bytes,
				      nd->target);
	answer(dp, m, port, len, n != NULL, GS_R_ICMP_IGNORED);
}

static void input_na(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port,
		     const struct gs_arpnd *pk)
{
	const struct gs_ndp *nd = &pk->ndp;
	struct gs_neigh *n = known(dp, port, GS_AF_INET6, nd->target);
	bool used = false;

	if (n && n->state != GS_NEIGH_STATIC) {
		if (nd->has_ll && mac_usable(nd->ll)) {
			/* RFC 4861 §7.2.5: without the override flag an NA
			 * does not replace a MAC that is in use */
			if (!n->valid || (nd->flags & GS_NA_FLAG_OVERRIDE) ||
			    memcmp(n->mac.addr_bytes, nd->ll, 6) == 0) {
				neigh_learn(dp, n, nd->ll, neigh_now(dp));
				used = true;
			}
		} else if (n->valid && (nd->flags & GS_NA_FLAG_SOLICITED)) {
			/* a confirmation that names no MAC: the one we have */
			neigh_learn(dp, n, n->mac.addr_bytes, neigh_now(dp));
			used = true;
		}
	}
	if (!used)
		dp->main_drops[GS_R_ICMP_IGNORED]++;
	rte_pktmbuf_free(m);
}

static void input_echo(struct gs_dp *dp, struct rte_mbuf *m, uint16_t port,
		       const struct gs_arpnd *pk, uint8_t *buf, uint32_t cap)
{
	uint8_t family = pk->kind == GS_ARPND_ECHO4 ? GS_AF_INET : GS_AF_INET6;
	int len = -1;

	if (port_owns(dp, port, family, pk->ip.dst) && mac_usable(pk->eth.src))
		len = gs_echo_reply_build(buf, cap, buf, pk,
					  dp->ports[port].mac.addr_bytes,
					  pk->ip.dst);
	answer(dp, m, port, len, false, GS_R_ICMP_IGNORED);
}

void gs_neigh_input(struct gs_dp *dp, struct rte_mbuf *m)
{
	uint16_t port = m->port, vlan;
	struct gs_arpnd pk;
	enum gs_reason rc;
	uint32_t len, cap;
	uint8_t *buf;

	if (port >= dp->n_ports || !dp->ports[port].cfg) {
		dp->main_drops[GS_R_NOT_FOR_US]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* replies are written over the request: it must be one segment */
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		dp->main_drops[GS_R_ICMP_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	len = rte_pktmbuf_data_len(m);
	cap = len + rte_pktmbuf_tailroom(m);

	rc = gs_arpnd_parse(buf, len, &pk);
	if (rc != GS_R_OK) {
		dp->main_drops[rc]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* we live on the port's VLAN only (tags stay in the frame: our own
	 * requests carry them too) */
	vlan = dp->ports[port].cfg->vlan;
	if (vlan ? pk.eth.n_vlans != 1 || (pk.eth.vlan_tci & 0x0FFF) != vlan :
		   pk.eth.n_vlans != 0) {
		dp->main_drops[pk.kind == GS_ARPND_ARP ? GS_R_ARP_IGNORED :
							 GS_R_ICMP_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}

	switch (pk.kind) {
	case GS_ARPND_ARP:
		input_arp(dp, m, port, &pk, buf, cap);
		break;
	case GS_ARPND_NS:
		input_ns(dp, m, port, &pk, buf, cap);
		break;
	case GS_ARPND_NA:
		input_na(dp, m, port, &pk);
		break;
	case GS_ARPND_ECHO4:
	case GS_ARPND_ECHO6:
		input_echo(dp, m, port, &pk, buf, cap);
		break;
	default:
		dp->main_drops[GS_R_ICMP_IGNORED]++;
		rte_pktmbuf_free(m);
		break;
	}
}

/* ---- timer ---------------------------------------------------------------- */

/* the next solicitation when it is due, or give up after the last: an
 * unanswered entry asks by broadcast; a stale one re-checks its MAC by
 * unicast, but its last try broadcasts in case the MAC moved without a
 * gratuitous announcement */
static void neigh_retry(struct gs_dp *dp, struct gs_neigh *n, uint64_t now_ms,
			bool stale)
{
	if (!reached(now_ms, n->next_try_ms))
		return;
	if (n->tries >= GS_NEIGH_MAX_TRIES) {
		neigh_fail(dp, n, now_ms);
		return;
	}
	n->tries++;
	n->next_try_ms = now_ms + GS_NEIGH_RETRY_MS;
	neigh_solicit(dp, n, stale && n->tries < GS_NEIGH_MAX_TRIES);
}

void gs_neigh_timer(struct gs_dp *dp, uint64_t now_ms)
{
	struct neigh_priv *pv;

	if (!dp->neighs)
		return;
	pv = priv(dp);
	if (!reached(now_ms, pv->next_tick_ms))
		return;
	pv->next_tick_ms = now_ms + NEIGH_TICK_MS;

	for (uint32_t i = 0; i < pv->n_used; i++) {
		struct gs_neigh *n = &dp->neighs[pv->used[i]];

		switch (n->state) {
		case GS_NEIGH_INCOMPLETE:
			neigh_retry(dp, n, now_ms, false);
			break;
		case GS_NEIGH_REACHABLE:
			if (!reached(now_ms, n->updated_ms + GS_NEIGH_REACHABLE_MS))
				break;
			/* keep valid: traffic flows on the old MAC meanwhile */
			n->state = GS_NEIGH_STALE;
			n->tries = 1;
			n->next_try_ms = now_ms + GS_NEIGH_RETRY_MS;
			neigh_solicit(dp, n, true);
			break;
		case GS_NEIGH_STALE:
			neigh_retry(dp, n, now_ms, true);
			break;
		default: /* FAILED waits for gs_neigh_get, STATIC never moves */
			break;
		}
	}
}
