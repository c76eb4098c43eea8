/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pipeline (see pipeline.h).  Never logs, never blocks, never
 * exits: every packet that is not forwarded is counted under its reason.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "flow_table.h"
#include "gs_encap.h"
#include "gs_maglev.h"
#include "neigh.h"
#include "pipeline.h"
#include "src_limit.h"

/* what the classifier learnt about one received GENEVE packet */
struct pkt_ctx {
	struct gs_eth eth;
	struct gs_ip outer;
	struct gs_geneve gnv;
	struct gs_inner inner;
	const uint8_t *opts;  /* the received option area */
	uint16_t inner_off;   /* from the start of the frame */
	uint16_t rx_port;
};

static inline void drop(struct gs_worker *w, struct rte_mbuf *m, enum gs_reason r)
{
	w->stats.drops[r]++;
	rte_pktmbuf_free(m);
}

/* fixed-size loads instead of a memcmp call: these run on every packet */
static inline bool addr16_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static inline bool addr_eq(const uint8_t *a, const uint8_t *b, uint8_t family)
{
	uint32_t u, v;

	if (family != GS_AF_INET)
		return addr16_eq(a, b);
	memcpy(&u, a, 4);
	memcpy(&v, b, 4);
	return u == v;
}

static bool is_local(const struct gs_dp *dp, const struct gs_ip *ip)
{
	for (uint32_t i = 0; i < dp->n_local; i++)
		if (dp->local[i].family == ip->family &&
		    addr_eq(dp->local[i].a, ip->dst, ip->family))
			return true;
	return false;
}

static int find_listener(const struct gs_dp *dp, const struct gs_ip *ip)
{
	for (uint32_t l = 0; l < dp->cfg->n_listeners; l++) {
		const struct gs_ipaddr *a = &dp->cfg->listeners[l].address;

		if (a->family == ip->family && addr_eq(a->a, ip->dst, ip->family))
			return (int)l;
	}
	return -1;
}

/* a source no real upstream has: ours (replies would come back to us),
 * multicast, broadcast or class E, unspecified */
static bool martian_source(const struct gs_dp *dp, const struct gs_ip *ip)
{
	static const uint8_t zero[16];

	for (uint32_t i = 0; i < dp->n_local; i++)
		if (dp->local[i].family == ip->family &&
		    addr_eq(dp->local[i].a, ip->src, ip->family))
			return true;
	if (ip->family == GS_AF_INET)
		return ip->src[0] >= 224 || memcmp(ip->src, zero, 4) == 0;
	return ip->src[0] == 0xff || memcmp(ip->src, zero, 16) == 0;
}

static bool upstream_allowed(const struct gs_dp *dp, const struct gs_listener_cfg *l,
			     const struct gs_ip *ip)
{
	struct gs_ipaddr src = { .family = ip->family };

	/* whatever the prefixes say (0.0.0.0/0 covers them all) */
	if (unlikely(martian_source(dp, ip)))
		return false;
	memcpy(src.a, ip->src, sizeof(src.a));
	for (uint32_t i = 0; i < l->n_upstreams; i++)
		if (gs_prefix_contains(&l->upstreams[i], &src))
			return true;
	return false;
}

static inline bool on_port_vlan(const struct gs_dp *dp, uint16_t port,
				const struct gs_eth *eth)
{
	uint16_t vlan = port < dp->n_ports ? dp->ports[port].cfg->vlan : 0;

	return vlan ? eth->n_vlans == 1 && (eth->vlan_tci & 0x0FFF) == vlan :
		      eth->n_vlans == 0;
}

/* NDP goes to solicited-node multicast, not to our unicast address */
static bool is_ndp_multicast(const struct gs_ip *ip)
{
	return ip->family == GS_AF_INET6 && ip->dst[0] == 0xff &&
	       ip->proto == GS_IPPROTO_ICMPV6;
}

/* ---- fragments: shallow virtual reassembly ----------------------------- */

static void frag_id_of(struct gs_frag_id *f, const struct gs_ip *ip)
{
	memcpy(f->src, ip->src, 16);
	memcpy(f->dst, ip->dst, 16);
	f->id = ip->frag_id;
	f->proto = ip->proto;
	f->family = ip->family;
}

static bool frag_id_eq(const struct gs_frag_id *a, const struct gs_frag_id *b)
{
	return a->id == b->id && a->proto == b->proto && a->family == b->family &&
	       memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

static uint32_t frag_slot(const struct gs_worker *w, const struct gs_frag_id *f)
{
	uint32_t k[13] = { 0 };

	memcpy(k, f->src, 16);
	memcpy(k + 4, f->dst, 16);
	k[8] = f->id;
	k[9] = f->proto;
	k[10] = f->family;
	return gs_jhash_13words(k, w->frag_seed) & w->frag_mask;
}

static bool frag_live(const struct gs_frag_entry *e, const struct gs_frag_id *fid,
		      uint32_t now_ms)
{
	return e->in_use && frag_id_eq(&e->fid, fid) &&
	       (int32_t)(now_ms - (uint32_t)e->expires_ms) <= 0;
}

/*
 * The first fragment carries the ports: remember them for the others.
 * Returns false for a second first fragment of a live datagram with other
 * ports: it would re-steer the fragments still to come (an overlap attack
 * on the L4 header); an exact repeat is harmless and passes.
 */
static bool frag_note_first(struct gs_worker *w, const struct gs_frag_id *fid,
			    const struct gs_inner *in, uint32_t now_ms)
{
	struct gs_frag_entry *e = &w->frags[frag_slot(w, fid)];

	if (unlikely(frag_live(e, fid, now_ms)) &&
	    (e->sport != in->tuple.sport || e->dport != in->tuple.dport))
		return false;
	/* direct-mapped: a collision replaces the older datagram */
	e->in_use = true;
	e->expires_ms = now_ms + GS_FRAG_TTL_MS;
	e->fid = *fid;
	e->sport = in->tuple.sport;
	e->dport = in->tuple.dport;
	/* fragment data the first one covers (after every header parsed) */
	e->first_end = (uint16_t)(in->ip.tot_len - in->ip.hdr_len);
	return true;
}

/* the first fragment's entry for a later fragment, or NULL */
static const struct gs_frag_entry *frag_find_ports(struct gs_worker *w,
						   const struct gs_frag_id *fid,
						   struct gs_inner *in, uint32_t now_ms)
{
	struct gs_frag_entry *e = &w->frags[frag_slot(w, fid)];

	if (!frag_live(e, fid, now_ms))
		return NULL;
	in->tuple.sport = e->sport;
	in->tuple.dport = e->dport;
	in->has_ports = true;
	return e;
}

static void frag_hold(struct gs_worker *w, struct rte_mbuf *m,
		      const struct gs_frag_id *fid, uint32_t now_ms)
{
	struct gs_frag_hold *h;

	if (w->n_frag_hold == GS_FRAG_HOLD_MAX) {
		drop(w, m, GS_R_FRAG_TABLE_FULL);
		return;
	}
	h = &w->frag_hold[w->n_frag_hold++];
	h->m = m;
	h->expires_ms = now_ms + GS_FRAG_HOLD_MS;
	h->fid = *fid;
}

void gs_pipeline_expire_frags(struct gs_worker *w, uint32_t now_ms)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < w->n_frag_hold; i++) {
		if ((int32_t)(now_ms - (uint32_t)w->frag_hold[i].expires_ms) >= 0)
			drop(w, w->frag_hold[i].m, GS_R_FRAG_NO_FIRST);
		else
			w->frag_hold[kept++] = w->frag_hold[i];
	}
	w->n_frag_hold = kept;
}

/* ---- output ------------------------------------------------------------ */

static inline void tx_add(struct gs_tx *tx, struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	tx->pkts[port][tx->n[port]++] = m;
}

/*
 * Replace the outer headers of @m (everything before the inner packet) by
 * those @e and @os describe, in the mbuf's headroom; the inner packet is
 * neither moved nor changed.
 */
static enum gs_reason reencap(struct rte_mbuf *m, uint16_t inner_off,
			      struct gs_encap *e, const struct gs_opts_spec *os)
{
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN];
	uint32_t hlen;
	uint8_t *hdr;
	int olen;

	/* the carried options live in the old header: copy them out first */
	olen = gs_geneve_opts_write(opts, sizeof(opts), os);
	if (unlikely(olen < 0))
		return GS_R_GENEVE_OPTS_TOO_LONG; /* ours + carried > 252 bytes */
	e->opts = opts;
	e->opts_len = (uint16_t)olen;
	rte_pktmbuf_adj(m, inner_off);
	e->payload = rte_pktmbuf_mtod(m, const uint8_t *);
	e->payload_len = rte_pktmbuf_pkt_len(m);
	hlen = gs_encap_len(e);
	hdr = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hlen);
	if (unlikely(!hdr))
		return GS_R_TOO_BIG;
	if (unlikely(gs_encap_write(hdr, hlen, e) < 0))
		return GS_R_TOO_BIG;
	return GS_R_OK;
}

/* fill the Ethernet addresses and queue @m, or let the main lcore resolve */
static void send_via(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
		     uint16_t port, uint32_t neigh, struct gs_tx *tx)
{
	const struct gs_port *p = &dp->ports[port];
	const struct rte_ether_addr *mac = NULL;
	struct rte_ether_hdr *eh;

	if (unlikely(rte_pktmbuf_pkt_len(m) - GS_ETH_HDR_LEN > p->mtu)) {
		drop(w, m, GS_R_TOO_BIG);
		return;
	}
	if (likely(neigh != GS_NEIGH_NONE))
		mac = gs_neigh_mac(dp, neigh);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&p->mac, &eh->src_addr);
	if (unlikely(!mac)) {
		m->port = port;
		gs_dp_to_main(dp, w, m, GS_MSG_RESOLVE);
		return;
	}
	rte_ether_addr_copy(mac, &eh->dst_addr);
	tx_add(tx, m, port);
}

/* ---- steering ---------------------------------------------------------- */

/*
 * What a packet needs from the flow table, worked out before the lookup so
 * that a whole burst can be looked up at once (rte_hash_lookup_with_hash_bulk
 * prefetches every bucket and key before comparing any).
 */
struct steer {
	struct gs_flow_key key;
	uint32_t hash;
	int kdir;     /* the packet's direction relative to the key */
	int32_t pos;  /* the lookup's answer: position, or < 0 */
	int li;       /* upstream path: the listener */
	uint16_t app; /* return path: the appliance that sent it */
};

/* the endpoint id a flow key is scoped by: the one the appliance sees */
static inline uint64_t key_endpoint_id(const struct gs_group *g,
				       const struct gs_listener_cfg *l,
				       const struct gs_geneve *gnv)
{
	if (!g->scope_by_endpoint_id)
		return 0;
	if (gnv->has_endpoint_id)
		return gnv->endpoint_id;
	return l->has_endpoint_id ? l->endpoint_id : 0;
}

/* the appliance for a new or re-steered flow, or GS_APPLIANCE_NONE */
static inline uint16_t maglev_pick(const struct gs_group *g, uint32_t hash)
{
	const struct gs_group_rt *rt = __atomic_load_n(&g->rt, __ATOMIC_ACQUIRE);
	uint32_t a;

	if (unlikely(!rt || rt->n_healthy == 0))
		return GS_APPLIANCE_NONE;
	a = rt->maglev[gs_maglev_slot(hash, rt->maglev_size)];
	return a == GS_MAGLEV_NO_BACKEND ? GS_APPLIANCE_NONE : (uint16_t)a;
}

/* the next hop toward an upstream: the upstream itself, or its gateway;
 * GS_NEIGH_NONE until the main lcore has an entry for it */
static void upstream_neigh(const struct gs_dp *dp, struct gs_flow_dir *d)
{
	struct gs_ipaddr up, nh;
	uint8_t src[16];

	up.family = d->flags & GS_FDIR_V6 ? GS_AF_INET6 : GS_AF_INET;
	memcpy(up.a, d->upstream, 16);
	if (gs_route(dp, &up, &d->port, &nh, src) == 0)
		d->neigh = gs_neigh_lookup(dp, d->port, &nh);
}

/* the upstream tunnel @c came through (the interning key, zero-padded) */
static void dir_key(struct gs_flow_dir *d, const struct pkt_ctx *c, uint8_t listener)
{
	memcpy(d->upstream, c->outer.src, 16);
	d->endpoint_id = c->gnv.endpoint_id;
	d->attachment_id = c->gnv.attachment_id;
	d->vni = c->gnv.vni;
	d->flags = GS_FDIR_SEEN |
		   (c->gnv.has_endpoint_id ? GS_FDIR_HAS_EID : 0) |
		   (c->gnv.has_attachment_id ? GS_FDIR_HAS_AID : 0) |
		   (c->gnv.has_cookie ? GS_FDIR_HAS_COOKIE : 0) |
		   (c->outer.family == GS_AF_INET6 ? GS_FDIR_V6 : 0);
	d->listener = listener;
	d->key_pad = 0;
}

/*
 * Record direction @d of @f as coming through @c's upstream tunnel: take a
 * reference on the interned tunnel, drop the one held before.  False when
 * the tunnel table is full.
 */
static bool record_dir(struct gs_dp *dp, struct gs_flow *f, int d,
		       const struct pkt_ctx *c, uint8_t listener)
{
	struct gs_flow_dir key, *t;
	uint32_t ti, old;

	dir_key(&key, c, listener);
	ti = gs_tunnel_get(dp, &key);
	if (unlikely(!ti))
		return false;
	t = &dp->tunnels[ti - 1];
	/* every holder writes the same key bytes: a slot reused after a
	 * grace period is filled before any flow points at it */
	memcpy(t, &key, GS_TUNNEL_KEY_LEN);
	if (t->neigh == GS_NEIGH_NONE) {
		t->port = c->rx_port;
		upstream_neigh(dp, t);
	}
	f->cookie[d] = c->gnv.cookie;
	/* an exchange: if the main lcore expires this flow meanwhile, exactly
	 * one of us drops the reference held before */
	old = __atomic_exchange_n(&f->tun[d], ti, __ATOMIC_ACQ_REL);
	gs_tunnel_put(dp, old);
	return true;
}

static bool dir_matches(const struct gs_dp *dp, const struct gs_flow *f, int dir,
			const struct pkt_ctx *c, uint8_t listener)
{
	const struct gs_flow_dir *d = gs_flow_dir_of(dp, f, dir);

	return d && d->listener == listener &&
	       d->vni == c->gnv.vni && addr16_eq(d->upstream, c->outer.src) &&
	       d->endpoint_id == c->gnv.endpoint_id &&
	       d->attachment_id == c->gnv.attachment_id &&
	       f->cookie[dir] == c->gnv.cookie &&
	       !!(d->flags & GS_FDIR_HAS_EID) == c->gnv.has_endpoint_id &&
	       !!(d->flags & GS_FDIR_HAS_AID) == c->gnv.has_attachment_id &&
	       !!(d->flags & GS_FDIR_HAS_COOKIE) == c->gnv.has_cookie;
}

/* options the received packet carries that gsteer passes on unchanged */
static void carry_others(struct gs_opts_spec *os, const struct pkt_ctx *c)
{
	os->carry_area = c->opts;
	os->n_carry = c->gnv.n_other;
	os->carry = c->gnv.other;
}

static void encap_common(struct gs_encap *e, const struct gs_dp *dp, uint16_t port,
			 uint32_t hash, const struct pkt_ctx *c)
{
	memset(e, 0, sizeof(*e));
	e->vlan_tci = dp->ports[port].cfg->vlan;
	e->ttl = GS_DEFAULT_TTL;
	e->sport = gs_entropy_port(hash);
	e->dport = GS_GENEVE_UDP_PORT;
	e->protocol = c->gnv.protocol;
	e->oam = c->gnv.oam;
}

/* upstream -> appliance */
static void to_appliance(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			 const struct pkt_ctx *c, uint16_t a, uint32_t hash,
			 const struct gs_listener_cfg *l, struct gs_tx *tx)
{
	struct gs_appliance *app = &dp->appliances[a];
	struct gs_appliance_stats *as = &w->app_stats[a];
	struct gs_opts_spec os = { 0 };
	struct gs_encap e;
	enum gs_reason r;

	encap_common(&e, dp, app->port, hash, c);
	e.family = app->addr.family;
	memcpy(e.src, app->src, 16);
	memcpy(e.dst, app->addr.a, 16);
	e.vni = c->gnv.vni;

	/* the GWLB contract: endpoint and attachment ids (the upstream's own,
	 * else the listener's), and a cookie naming the flow */
	os.with_endpoint_id = c->gnv.has_endpoint_id || l->has_endpoint_id;
	os.endpoint_id = c->gnv.has_endpoint_id ? c->gnv.endpoint_id : l->endpoint_id;
	os.with_attachment_id = c->gnv.has_attachment_id || l->has_attachment_id;
	os.attachment_id = c->gnv.has_attachment_id ? c->gnv.attachment_id :
						      l->attachment_id;
	os.with_cookie = true;
	os.cookie = gs_flow_cookie(hash);
	carry_others(&os, c);

	r = reencap(m, c->inner_off, &e, &os);
	if (unlikely(r != GS_R_OK)) {
		drop(w, m, r);
		return;
	}
	as->tx_pkts++;
	as->tx_bytes += rte_pktmbuf_pkt_len(m);
	w->stats.to_appliance++;
	send_via(dp, w, m, app->port, app->neigh, tx);
}

/* back to the upstream of direction @d (after the appliance, or fail-open) */
static void to_upstream(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			const struct pkt_ctx *c, struct gs_flow_dir *d, uint32_t cookie,
			uint32_t hash, struct gs_tx *tx)
{
	const struct gs_listener_cfg *l = &dp->cfg->listeners[d->listener];
	struct gs_opts_spec os = { 0 };
	struct gs_encap e;
	enum gs_reason r;
	uint8_t family = d->flags & GS_FDIR_V6 ? GS_AF_INET6 : GS_AF_INET;

	encap_common(&e, dp, d->port, hash, c);
	e.family = family;
	memcpy(e.src, l->address.a, 16);
	memcpy(e.dst, d->upstream, 16);
	e.vni = d->vni;

	/* that direction's own options, as its upstream sent them */
	os.with_endpoint_id = d->flags & GS_FDIR_HAS_EID;
	os.endpoint_id = d->endpoint_id;
	os.with_attachment_id = d->flags & GS_FDIR_HAS_AID;
	os.attachment_id = d->attachment_id;
	os.with_cookie = d->flags & GS_FDIR_HAS_COOKIE;
	os.cookie = cookie;
	carry_others(&os, c);

	r = reencap(m, c->inner_off, &e, &os);
	if (unlikely(r != GS_R_OK)) {
		drop(w, m, r);
		return;
	}
	w->stats.to_upstream++;
	if (unlikely(d->neigh == GS_NEIGH_NONE))
		upstream_neigh(dp, d);
	send_via(dp, w, m, d->port, d->neigh, tx);
}

/* ICMP errors travel against the packet they quote */
static inline int packet_dir(const struct pkt_ctx *c, int key_dir)
{
	return c->inner.is_icmp_error ? key_dir ^ 1 : key_dir;
}

/*
 * Fragments after the first borrow its ports.  Returns false when @m was
 * held or dropped (an overlap); @first is set for a first fragment, whose
 * datagram is then in @fid.
 */
static bool resolve_fragment(struct gs_worker *w, struct rte_mbuf *m,
			     struct pkt_ctx *c, uint32_t now_ms, bool *first,
			     struct gs_frag_id *fid)
{
	const struct gs_frag_entry *e;

	*first = false;
	if (!c->inner.ip.is_fragment || c->inner.is_icmp_error)
		return true;
	frag_id_of(fid, &c->inner.ip);
	if (c->inner.ip.frag_offset == 0) {
		if (unlikely(!frag_note_first(w, fid, &c->inner, now_ms))) {
			drop(w, m, GS_R_FRAG_OVERLAP);
			return false;
		}
		*first = true;
		w->stats.frag_first++;
		return true;
	}
	e = frag_find_ports(w, fid, &c->inner, now_ms);
	if (e) {
		/* a later fragment reaching back into the first one would
		 * rewrite the L4 header steering (and the appliance) saw */
		if (unlikely(c->inner.ip.frag_offset < e->first_end)) {
			drop(w, m, GS_R_FRAG_OVERLAP);
			return false;
		}
		w->stats.frag_followed++;
		return true;
	}
	frag_hold(w, m, fid, now_ms);
	return false;
}

static void upstream_key(const struct gs_dp *dp, const struct pkt_ctx *c, int li,
			 struct steer *s)
{
	const struct gs_listener_cfg *l = &dp->cfg->listeners[li];
	uint32_t gi = l->target_group_index;
	const struct gs_group *g = &dp->groups[gi];

	s->li = li;
	s->kdir = gs_flow_key_build(&s->key, &c->inner.tuple, g->cfg->stickiness,
				    c->gnv.vni, (uint16_t)gi, key_endpoint_id(g, l, &c->gnv));
	s->hash = gs_flow_hash(&s->key, dp->hash_seed);
}

static void upstream_path(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			  struct pkt_ctx *c, struct steer *s, uint32_t now_ms,
			  struct gs_tx *tx)
{
	int li = s->li;
	const struct gs_listener_cfg *l = &dp->cfg->listeners[li];
	uint32_t gi = l->target_group_index;
	struct gs_group *g = &dp->groups[gi];
	const struct gs_target_group_cfg *gc = g->cfg;
	uint32_t hash = s->hash;
	struct gs_flow *f;
	enum gs_app_state st;
	uint16_t a;
	int d = packet_dir(c, s->kdir), pos = s->pos;

	if (likely(pos >= 0)) {
		f = &dp->flows[pos];
		a = f->appliance;
		st = dp->appliances[a].state;
		if (unlikely(st == GS_APP_UNHEALTHY && gc->on_unhealthy == GS_REBALANCE) ||
		    unlikely(st == GS_APP_REMOVED)) {
			if (st == GS_APP_REMOVED && gc->on_deregistration == GS_NO_REBALANCE) {
				drop(w, m, GS_R_FLOW_NOT_SERVED);
				return;
			}
			/* re-steer; draining and no_rebalance flows stay put */
			a = maglev_pick(g, hash);
			if (a == GS_APPLIANCE_NONE)
				goto no_healthy;
			w->app_stats[f->appliance].moved_out++;
			w->app_stats[a].new_flows++;
			w->stats.flows_rebalanced++;
			f->appliance = a;
		}
	} else {
		uint32_t src_key = 0;

		a = maglev_pick(g, hash);
		if (a == GS_APPLIANCE_NONE)
			goto no_healthy;
		/* one upstream may not hold more than its share of the table */
		if (unlikely(l->max_flows_per_source) &&
		    !(src_key = gs_src_charge(dp, (uint32_t)li, c->outer.src,
						c->outer.family, l->max_flows_per_source))) {
			drop(w, m, GS_R_SOURCE_FLOW_LIMIT);
			return;
		}
		pos = rte_hash_add_key_with_hash(dp->flows_hash, &s->key, hash);
		if (unlikely(pos < 0)) {
			gs_src_release(dp, src_key);
			w->stats.flow_table_full++;
			drop(w, m, GS_R_FLOW_TABLE_FULL);
			return;
		}
		f = &dp->flows[pos];
		memset(f, 0, sizeof(*f));
		if (dp->flow_src_key)
			dp->flow_src_key[pos] = src_key;
		f->hash = hash;
		f->appliance = a;
		f->proto = c->inner.tuple.proto;
		f->group = (uint8_t)gi;
		f->live = 1;
		w->stats.flows_created++;
		w->app_stats[a].new_flows++;
	}
	f->last_seen_ms = now_ms;
	if (unlikely(!dir_matches(dp, f, d, c, (uint8_t)li)) &&
	    unlikely(!record_dir(dp, f, d, c, (uint8_t)li))) {
		/* no room to intern its upstream tunnel: counted as a full table */
		w->stats.flow_table_full++;
		drop(w, m, GS_R_FLOW_TABLE_FULL);
		return;
	}
	to_appliance(dp, w, m, c, a, hash, l, tx);
	return;

no_healthy:
	if (gc->no_healthy == GS_FAIL_CLOSED) {
		drop(w, m, GS_R_NO_HEALTHY_APPLIANCE);
		return;
	}
	{
		/* fail open: straight back to the upstream, uninspected */
		struct gs_flow_dir self;

		dir_key(&self, c, (uint8_t)li);
		self.neigh = GS_NEIGH_NONE;
		self.port = c->rx_port;
		upstream_neigh(dp, &self);
		w->stats.fail_open++;
		to_upstream(dp, w, m, c, &self, c->gnv.cookie, hash, tx);
	}
}

static void return_key(const struct gs_dp *dp, const struct pkt_ctx *c, uint16_t a,
		       struct steer *s)
{
	const struct gs_appliance *app = &dp->appliances[a];
	const struct gs_group *g = &dp->groups[app->group];
	uint64_t eid = 0;

	/* the appliance returns the options we sent: the endpoint id in them
	 * is the one the flow key was scoped by */
	if (g->scope_by_endpoint_id && c->gnv.has_endpoint_id)
		eid = c->gnv.endpoint_id;
	s->li = -1;
	s->app = a;
	s->kdir = gs_flow_key_build(&s->key, &c->inner.tuple, g->cfg->stickiness,
				    c->gnv.vni, (uint16_t)app->group, eid);
	s->hash = gs_flow_hash(&s->key, dp->hash_seed);
}

static void return_path(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			struct pkt_ctx *c, struct steer *s, uint32_t now_ms,
			struct gs_tx *tx)
{
	uint16_t a = s->app;
	struct gs_flow_dir *d;
	struct gs_flow *f;
	uint32_t hash = s->hash;
	int kdir = s->kdir, pos = s->pos, dir;

	if (unlikely(pos < 0)) {
		drop(w, m, GS_R_RETURN_UNKNOWN_FLOW);
		return;
	}
	f = &dp->flows[pos];
	if (unlikely(f->appliance != a)) {
		drop(w, m, GS_R_RETURN_WRONG_APPLIANCE);
		return;
	}
	dir = packet_dir(c, kdir);
	d = gs_flow_dir_of(dp, f, dir);
	if (unlikely(!d)) {
		drop(w, m, GS_R_RETURN_UNKNOWN_FLOW);
		return;
	}
	f->last_seen_ms = now_ms;
	w->app_stats[a].rx_pkts++;
	w->app_stats[a].rx_bytes += rte_pktmbuf_pkt_len(m);
	w->app_stats[a].last_rx_ms = now_ms;
	to_upstream(dp, w, m, c, d, f->cookie[dir], hash, tx);
}

/* ---- classification ---------------------------------------------------- */

static enum gs_reason parse_geneve_frame(struct pkt_ctx *c, const uint8_t *p,
					 uint32_t len)
{
	enum gs_reason r;
	uint32_t off, udp_len;

	off = c->eth.hdr_len + c->outer.hdr_len;
	if (c->outer.is_fragment)
		return GS_R_OUTER_FRAGMENT;
	if (c->outer.proto != GS_IPPROTO_UDP)
		return GS_R_OUTER_NOT_GENEVE;
	if (len < off + GS_UDP_HDR_LEN)
		return GS_R_L4_TRUNCATED;
	if (((uint32_t)p[off + 2] << 8 | p[off + 3]) != GS_GENEVE_UDP_PORT)
		return GS_R_OUTER_NOT_GENEVE;
	udp_len = (uint32_t)p[off + 4] << 8 | p[off + 5];
	if (udp_len < GS_UDP_HDR_LEN || off + udp_len > len)
		return GS_R_UDP_BAD_LENGTH;
	off += GS_UDP_HDR_LEN;
	udp_len -= GS_UDP_HDR_LEN;
	r = gs_parse_geneve(p + off, udp_len, &c->gnv);
	if (r != GS_R_OK)
		return r;
	c->opts = p + off + GS_GENEVE_HDR_LEN;
	c->inner_off = (uint16_t)(off + c->gnv.hdr_len);
	return gs_parse_inner(p + c->inner_off, udp_len - c->gnv.hdr_len,
			      c->gnv.protocol, &c->inner);
}

enum { PK_DONE = 0, PK_UPSTREAM, PK_RETURN };

/* one packet between classification and steering */
struct pkt_work {
	struct pkt_ctx c;
	struct steer s;
	struct gs_frag_id fid;
	bool first_frag;
	uint8_t kind;
};

static void process_one(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			uint32_t now_ms, struct gs_tx *tx);

/* an in-band probe back from an appliance: the main lcore gets just the
 * probe option's data, and the appliance in hash.fdir.hi (hash.usr, which
 * overlaps fdir.lo, carries the message type) */
static void probe_returned(struct gs_dp *dp, struct gs_worker *w,
			   struct rte_mbuf *m, const struct pkt_ctx *c)
{
	int a = gs_appliance_lookup_addr(dp, c->outer.src, c->outer.family);
	uint32_t off;

	if (a < 0) {
		drop(w, m, GS_R_PROBE_UNKNOWN);
		return;
	}
	off = (uint32_t)(c->opts - rte_pktmbuf_mtod(m, const uint8_t *)) + c->gnv.probe_off;
	rte_pktmbuf_adj(m, (uint16_t)off);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - GS_PROBE_OPT_DATA_LEN));
	m->hash.fdir.hi = (uint32_t)a;
	gs_dp_to_main(dp, w, m, GS_MSG_PROBE);
}

/* the first fragment is through: its held followers can go now */
static void release_held_fragments(struct gs_dp *dp, struct gs_worker *w,
				   const struct gs_frag_id *first, uint32_t now_ms,
				   struct gs_tx *tx)
{
	uint32_t i = 0;

	while (i < w->n_frag_hold) {
		struct rte_mbuf *m = w->frag_hold[i].m;

		if (!frag_id_eq(&w->frag_hold[i].fid, first)) {
			i++;
			continue;
		}
		w->frag_hold[i] = w->frag_hold[--w->n_frag_hold];
		process_one(dp, w, m, now_ms, tx);
	}
}

/*
 * Everything up to the flow lookup: validate and parse @m, decide its path
 * and build its flow key.  Returns PK_DONE when @m was consumed (dropped,
 * handed to the main lcore or held as an early fragment).
 */
static int classify(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
		    uint32_t now_ms, struct pkt_work *pw)
{
	struct pkt_ctx *cp = &pw->c;
#define c (*cp)
	const uint8_t *p;
	enum gs_reason r;
	uint32_t len;
	int li, a;

	if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
		drop(w, m, GS_R_NO_MBUF);
		return PK_DONE;
	}
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	len = rte_pktmbuf_data_len(m);
	c.rx_port = m->port;

	r = gs_parse_eth(p, len, &c.eth);
	if (unlikely(r != GS_R_OK)) {
		drop(w, m, r);
		return PK_DONE;
	}
	if (c.eth.ethertype == GS_ETHERTYPE_ARP) {
		gs_dp_to_main(dp, w, m, GS_MSG_SLOWPATH);
		return PK_DONE;
	}
	/* we live on the port's VLAN only, as the main lcore's ARP/NDP do:
	 * another VLAN's frames are another segment's, even if a switch or
	 * the NIC lets them through */
	if (unlikely(!on_port_vlan(dp, m->port, &c.eth))) {
		drop(w, m, GS_R_NOT_FOR_US);
		return PK_DONE;
	}
	/* the ethertype decides the family: an IPv6 header under 0x0800 (or
	 * the reverse) is malformed, not a packet of the other family */
	r = c.eth.ethertype == GS_ETHERTYPE_IPV4 || c.eth.ethertype == GS_ETHERTYPE_IPV6 ?
		    gs_parse_ip(p + c.eth.hdr_len, len - c.eth.hdr_len,
				c.eth.ethertype == GS_ETHERTYPE_IPV6 ? GS_AF_INET6 : GS_AF_INET,
				true, &c.outer) :
		    GS_R_ETHERTYPE_UNSUPPORTED;
	if (unlikely(r != GS_R_OK)) {
		drop(w, m, r);
		return PK_DONE;
	}
	/* Ethernet padding or a trailer after the IP packet is not ours: the
	 * UDP length is checked against the IP packet, and it is not carried */
	if (unlikely(len > (uint32_t)c.eth.hdr_len + c.outer.tot_len)) {
		rte_pktmbuf_trim(m, (uint16_t)(len - c.eth.hdr_len - c.outer.tot_len));
		len = c.eth.hdr_len + c.outer.tot_len;
	}
	if (unlikely(!is_local(dp, &c.outer))) {
		if (is_ndp_multicast(&c.outer)) {
			gs_dp_to_main(dp, w, m, GS_MSG_SLOWPATH);
			return PK_DONE;
		}
		drop(w, m, GS_R_NOT_FOR_US);
		return PK_DONE;
	}
	if (c.outer.proto == GS_IPPROTO_ICMP || c.outer.proto == GS_IPPROTO_ICMPV6) {
		gs_dp_to_main(dp, w, m, GS_MSG_SLOWPATH);
		return PK_DONE;
	}
	if (unlikely(c.outer.ttl == 0)) {
		drop(w, m, GS_R_OUTER_TTL_EXPIRED);
		return PK_DONE;
	}
	r = parse_geneve_frame(&c, p, len);
	if (unlikely(r != GS_R_OK)) {
		drop(w, m, r);
		return PK_DONE;
	}
	if (unlikely(c.gnv.has_probe)) {
		probe_returned(dp, w, m, &c);
		return PK_DONE;
	}
	if (!resolve_fragment(w, m, &c, now_ms, &pw->first_frag, &pw->fid))
		return PK_DONE;

	a = gs_appliance_lookup_addr(dp, c.outer.src, c.outer.family);
	if (a >= 0) {
		return_key(dp, &c, (uint16_t)a, &pw->s);
		return PK_RETURN;
	}
	li = find_listener(dp, &c.outer);
	if (unlikely(li < 0)) {
		/* GENEVE to a port address from a non-appliance */
		drop(w, m, GS_R_RETURN_NOT_APPLIANCE);
		return PK_DONE;
	}
	if (unlikely(!upstream_allowed(dp, &dp->cfg->listeners[li], &c.outer))) {
		drop(w, m, GS_R_UPSTREAM_NOT_ALLOWED);
		return PK_DONE;
	}
	upstream_key(dp, &c, li, &pw->s);
	return PK_UPSTREAM;
#undef c
}

/* after the lookup: steer, re-encapsulate, queue */
static void steer(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
		  struct pkt_work *pw, uint32_t now_ms, struct gs_tx *tx)
{
	if (pw->kind == PK_RETURN)
		return_path(dp, w, m, &pw->c, &pw->s, now_ms, tx);
	else
		upstream_path(dp, w, m, &pw->c, &pw->s, now_ms, tx);
	if (unlikely(pw->first_frag) && w->n_frag_hold)
		release_held_fragments(dp, w, &pw->fid, now_ms, tx);
}

/* one packet on its own (held fragments released by their first) */
static void process_one(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
			uint32_t now_ms, struct gs_tx *tx)
{
	struct pkt_work pw;

	pw.kind = (uint8_t)classify(dp, w, m, now_ms, &pw);
	if (pw.kind == PK_DONE)
		return;
	pw.s.pos = rte_hash_lookup_with_hash(dp->flows_hash, &pw.s.key, pw.s.hash);
	steer(dp, w, m, &pw, now_ms, tx);
}

/*
 * A burst in three passes: classify every packet (prefetching the next
 * one's headers), look all their flows up at once, prefetch the flow
 * entries found, then steer in arrival order.  A flow that an earlier
 * packet of the same burst created is not in the bulk answer, so after an
 * insert the misses that follow are looked up again, one by one.
 */
static void burst_chunk(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf **pkts,
			uint16_t n, uint32_t now_ms, struct gs_tx *tx)
{
	struct pkt_work pw[GS_BURST];
	const void *keys[GS_BURST];
	hash_sig_t sigs[GS_BURST];
	int32_t pos[GS_BURST];
	uint8_t idx[GS_BURST];
	uint32_t nk = 0;
	uint64_t created;

	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		pw[i].first_frag = false;
		pw[i].kind = (uint8_t)classify(dp, w, pkts[i], now_ms, &pw[i]);
		if (pw[i].kind == PK_DONE)
			continue;
		keys[nk] = &pw[i].s.key;
		sigs[nk] = pw[i].s.hash;
		idx[nk++] = (uint8_t)i;
	}
	if (!nk)
		return;
	rte_hash_lookup_with_hash_bulk(dp->flows_hash, keys, sigs, nk, pos);
	for (uint32_t k = 0; k < nk; k++) {
		pw[idx[k]].s.pos = pos[k];
		if (pos[k] >= 0)
			rte_prefetch0(&dp->flows[pos[k]]);
	}
	created = w->stats.flows_created;
	for (uint32_t k = 0; k < nk; k++) {
		struct pkt_work *p = &pw[idx[k]];

		if (unlikely(p->s.pos < 0) && w->stats.flows_created != created)
			p->s.pos = rte_hash_lookup_with_hash(dp->flows_hash, &p->s.key,
							     p->s.hash);
		steer(dp, w, pkts[idx[k]], p, now_ms, tx);
	}
}

void gs_pipeline_burst(struct gs_dp *dp, struct gs_worker *w,
		       struct rte_mbuf **pkts, uint16_t n, uint32_t now_ms,
		       struct gs_tx *tx)
{
	w->stats.rx_pkts += n;
	for (uint16_t i = 0; i < n; i += GS_BURST)
		burst_chunk(dp, w, pkts + i, (uint16_t)RTE_MIN(GS_BURST, n - i), now_ms, tx);
}
