// SPDX-License-Identifier: (BSD-3-Clause OR GPL-2.0)
/*
 * gsteer's XDP data plane: the single-arm steering pipeline of
 * dataplane/pipeline.c, in the kernel.
 *
 * GENEVE from an allowed upstream to a listener is parsed, keyed by the
 * canonical flow key of common/gs_flow.h (same jhash), looked up in an LRU
 * hash, on a miss steered by the group's Maglev table (filled by user space
 * from common/gs_maglev.c), re-encapsulated toward the appliance and sent
 * back out.  What an appliance returns goes to the upstream of that
 * direction.  Everything that is not GENEVE to one of our addresses goes to
 * the kernel (XDP_PASS), so ARP, NDP, ICMP, SSH and health checks keep
 * working; next-hop MACs come from the kernel's neighbour table.
 *
 * Parsing works on a per-CPU copy of the frame's first GSX_WIN bytes: every
 * read is one masked load from a map value, which keeps the verifier's job
 * (and this file) small.  The rules are those of common/gs_pkt.c, one for one.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "gs_flow.h"
#include "gs_maglev.h"
#include "gsteer_xdp.h"

/* keeps clang from merging a bounds check away from the use it guards */
#define gsx_barrier_var(v) asm volatile("" : "+r"(v))

#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps --------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gsx_globals);
} gsx_globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GSX_MAX_LOCAL_ADDRS);
	__type(key, struct gsx_addr);
	__type(value, struct gsx_local);
} gsx_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GS_MAX_LISTENERS);
	__type(key, __u32);
	__type(value, struct gsx_listener);
} gsx_listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, GS_MAX_LISTENERS * GS_MAX_UPSTREAM_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct gsx_upstream_key);
	__type(value, __u32);
} gsx_upstreams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GS_MAX_TARGET_GROUPS);
	__type(key, __u32);
	__type(value, struct gsx_group);
} gsx_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GSX_MAX_APPS);
	__type(key, __u32);
	__type(value, struct gsx_app);
} gsx_apps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GSX_MAX_APPS);
	__type(key, struct gsx_addr);
	__type(value, __u32);
} gsx_app_by_addr SEC(".maps");

/* one Maglev table per group, replaced whole by user space (atomic swap) */
struct gsx_maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GSX_MAGLEV_MAX);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, GS_MAX_TARGET_GROUPS);
	__type(key, __u32);
	__array(values, struct gsx_maglev_inner);
} gsx_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GSX_DEFAULT_FLOWS); /* resized by user space */
	__type(key, struct gs_flow_key);
	__type(value, struct gsx_flow);
} gsx_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GSX_FRAG_ENTRIES);
	__type(key, struct gsx_frag_key);
	__type(value, struct gsx_frag);
} gsx_frags SEC(".maps");

/* other interfaces a steered packet may leave by */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} gsx_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gsx_stats);
} gsx_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GSX_MAX_APPS);
	__type(key, __u32);
	__type(value, struct gsx_app_stats);
} gsx_app_stats SEC(".maps");

/* ---- per-CPU scratch: the header window and what was parsed from it ---- */

struct gsx_ip {
	__u8 family, proto, ttl, is_frag;
	__u8 more, pad[3];
	__u8 src[16];
	__u8 dst[16];
	__u32 hdr_len, tot_len;
	__u32 frag_offset, frag_id;
};

#define GSX_MAX_OPTS 64
struct gsx_gnv {
	__u8 oam, has_eid, has_aid, has_cookie;
	__u8 has_probe, n_other;
	__u16 protocol;
	__u32 vni, opts_len, hdr_len;
	__u64 eid, aid;
	__u32 cookie;
	__u16 other_off[GSX_MAX_OPTS];
	__u16 other_len[GSX_MAX_OPTS];
};

/* what send_encap() writes */
struct encap {
	__u8 family;
	__u8 with_eid, with_aid, with_cookie;
	__u32 vni;
	__u64 eid, aid;
	__u32 cookie;
	__u16 sport, pad;
	__u8 src[16];
	__u8 dst[16];
};

struct gsx_scratch {
	__u8 b[GSX_WIN];       /* the frame's first bytes */
	__u8 out[2 * (GSX_OUT_MASK + 1)]; /* the header we write (+ slack) */
	__u8 cs[GSX_CSUM_CHUNK];
	__u32 len;  /* frame length (after the Ethernet trailer is cut) */
	__u32 win;  /* bytes in b[] */
	__u32 deep; /* a read went past b[]: headers too deep for the window */
	__u32 eth_len;
	__u32 gnv_off, inner_off; /* frame offsets of GENEVE and the inner packet */
	struct gsx_ip outer, inner, quote;
	struct encap e;
	struct bpf_fib_lookup fib;
	struct gsx_gnv g;
	struct gs_tuple tuple;
	__u8 has_ports, is_icmp_error;
	__u8 pad2[2];
	struct gs_flow_key key;
	__u32 kdir;
	struct gsx_flow nf;
	struct gsx_dir self;
	struct gsx_frag_key fk;
	struct gsx_frag fv;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gsx_scratch);
} gsx_scratch SEC(".maps");

/* ---- byte access into the window ---------------------------------------- */

/*
 * Reads are unchecked (masked into b[]); the parsers call need() with the
 * end of what they are about to read, so a header that reaches past the
 * window of a longer frame is noticed (and dropped) rather than misread.
 */
static __always_inline __u32 rd8(struct gsx_scratch *s, __u32 off)
{
	return s->b[off & GSX_WIN_MASK];
}

static __always_inline void need(struct gsx_scratch *s, __u32 end)
{
	if (end > s->win && s->win < s->len)
		s->deep = 1;
}

/*
 * Wider reads are single (possibly unaligned) loads: x86-64 and arm64 JITs
 * take them, and the verifier checks them against the whole map value, of
 * which b[] is only the start, so a masked offset near its end stays inside.
 */
static __always_inline __u32 rd16(struct gsx_scratch *s, __u32 off)
{
	return bpf_ntohs(*(__u16 *)(s->b + (off & GSX_WIN_MASK)));
}

static __always_inline __u32 rd32(struct gsx_scratch *s, __u32 off)
{
	return bpf_ntohl(*(__u32 *)(s->b + (off & GSX_WIN_MASK)));
}

static __always_inline __u64 rd64(struct gsx_scratch *s, __u32 off)
{
	return (__u64)rd32(s, off) << 32 | rd32(s, off + 4);
}

static __always_inline void wr8(struct gsx_scratch *s, __u32 off, __u32 v)
{
	s->out[off & GSX_OUT_MASK] = (__u8)v;
}

static __always_inline void wr16(struct gsx_scratch *s, __u32 off, __u32 v)
{
	wr8(s, off, v >> 8);
	wr8(s, off + 1, v);
}

static __always_inline void wr32(struct gsx_scratch *s, __u32 off, __u32 v)
{
	wr16(s, off, v >> 16);
	wr16(s, off + 2, v);
}

static __always_inline void wr64(struct gsx_scratch *s, __u32 off, __u64 v)
{
	wr32(s, off, (__u32)(v >> 32));
	wr32(s, off + 4, (__u32)v);
}

/* ---- counters ------------------------------------------------------------ */

static __always_inline struct gsx_stats *stats(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&gsx_stats, &k);
}

static __always_inline void count(enum gsx_verdict v)
{
	struct gsx_stats *st = stats();

	if (st && v < GSX_V_COUNT)
		st->verdicts[v]++;
}

static __always_inline int drop(enum gs_reason r)
{
	struct gsx_stats *st = stats();

	if (st) {
		st->verdicts[GSX_V_DROP]++;
		st->drops[(__u32)r & (GSX_R_SLOTS - 1)]++;
	}
	return XDP_DROP;
}

/* not gsteer's to take: the kernel decides (and counts its own drops) */
static __always_inline int pass(enum gs_reason r, enum gsx_verdict why)
{
	struct gsx_stats *st = stats();

	if (st) {
		st->verdicts[GSX_V_PASS]++;
		if (why < GSX_V_COUNT)
			st->verdicts[why]++;
		if (r != GS_R_OK)
			st->passed[(__u32)r & (GSX_R_SLOTS - 1)]++;
	}
	return XDP_PASS;
}

static __always_inline struct gsx_scratch *scratch(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&gsx_scratch, &k);
}

static __always_inline struct gsx_app_stats *app_stats(__u32 a)
{
	return bpf_map_lookup_elem(&gsx_app_stats, &a);
}

/* ---- Ethernet -------------------------------------------------------------- */

static __always_inline bool is_vlan(__u32 t)
{
	return t == GS_ETHERTYPE_VLAN || t == GS_ETHERTYPE_QINQ;
}

/* gs_parse_eth() at window offset @off with @len bytes; *@hlen, *@type out */
static __always_inline enum gs_reason parse_eth(struct gsx_scratch *s, __u32 off,
						__u32 len, __u32 *hlen, __u32 *type)
{
	__u32 o = GS_ETH_HDR_LEN, n = 0, t, i;

	if (len < GS_ETH_HDR_LEN)
		return GS_R_ETH_TRUNCATED;
	need(s, off + GS_ETH_HDR_LEN);
	t = rd16(s, off + 12);
	for (i = 0; i < GS_MAX_VLAN_TAGS + 1; i++) {
		if (!is_vlan(t))
			break;
		if (n == GS_MAX_VLAN_TAGS)
			return GS_R_VLAN_TOO_MANY;
		if (o + GS_VLAN_HDR_LEN > len)
			return GS_R_VLAN_TRUNCATED;
		need(s, off + o + GS_VLAN_HDR_LEN);
		t = rd16(s, off + o + 2);
		o += GS_VLAN_HDR_LEN;
		n++;
	}
	*hlen = o;
	*type = t;
	return GS_R_OK;
}

/* ---- IP -------------------------------------------------------------------- */

#define IPM_OUTER 0 /* checksum verified */
#define IPM_INNER 1
#define IPM_QUOTE 2 /* inside an ICMP error: cut short, own reasons */

static __always_inline enum gs_reason ipr(__u32 mode, enum gs_reason own)
{
	if (mode != IPM_QUOTE)
		return own;
	switch (own) {
	case GS_R_IPV4_TRUNCATED:
	case GS_R_IPV6_TRUNCATED:
	case GS_R_IPV6_EXT_TRUNCATED:
		return GS_R_ICMP_QUOTE_TRUNCATED;
	default:
		return GS_R_ICMP_QUOTE_BAD;
	}
}

static __always_inline bool frag_ok(const struct gsx_ip *ip, __u32 frag_payload)
{
	if (!ip->is_frag)
		return true;
	if (ip->more && frag_payload == 0)
		return false;
	return ip->frag_offset + frag_payload <= 0xFFFF;
}

/* an address of @n (4 or 16) bytes into a zero-padded 16-byte field */
static __always_inline void copy_addr(struct gsx_scratch *s, __u8 *dst, __u32 off,
				      __u32 n)
{
	const __u8 *p = s->b + (off & GSX_WIN_MASK);
	__u32 *d = (__u32 *)dst;

	d[0] = *(const __u32 *)p;
	d[1] = n == 16 ? *(const __u32 *)(p + 4) : 0;
	d[2] = n == 16 ? *(const __u32 *)(p + 8) : 0;
	d[3] = n == 16 ? *(const __u32 *)(p + 12) : 0;
}

static __always_inline enum gs_reason parse_ipv4(struct gsx_scratch *s, __u32 off, __u32 len,
					    __u32 mode, struct gsx_ip *out)
{
	__u32 hlen, tot, frag, sum = 0, i;

	if (len < GS_IPV4_HDR_LEN)
		return ipr(mode, GS_R_IPV4_TRUNCATED);
	need(s, off + GS_IPV4_HDR_LEN);
	if (rd8(s, off) >> 4 != 4)
		return ipr(mode, GS_R_IPV4_BAD_VERSION);
	hlen = (rd8(s, off) & 0x0F) * 4u;
	if (hlen < GS_IPV4_HDR_LEN)
		return ipr(mode, GS_R_IPV4_BAD_IHL);
	if (hlen > len)
		return ipr(mode, GS_R_IPV4_TRUNCATED);
	need(s, off + hlen);
	tot = rd16(s, off + 2);
	if (tot < hlen || (mode != IPM_QUOTE && tot > len))
		return ipr(mode, GS_R_IPV4_BAD_TOTAL_LEN);
	if (mode == IPM_OUTER) {
		for (i = 0; i < 60; i += 2) {
			if (i >= hlen)
				break;
			sum += rd16(s, off + i);
		}
		sum = (sum & 0xFFFF) + (sum >> 16);
		sum = (sum & 0xFFFF) + (sum >> 16);
		if ((~sum & 0xFFFF) != 0)
			return GS_R_IPV4_BAD_CHECKSUM;
	}
	out->family = GS_AF_INET;
	out->ttl = rd8(s, off + 8);
	out->proto = rd8(s, off + 9);
	copy_addr(s, out->src, off + 12, 4);
	copy_addr(s, out->dst, off + 16, 4);
	out->hdr_len = hlen;
	out->tot_len = tot;
	frag = rd16(s, off + 6);
	out->frag_id = rd16(s, off + 4);
	out->frag_offset = (frag & 0x1FFF) * 8u;
	out->more = !!(frag & 0x2000);
	out->is_frag = out->more || out->frag_offset;
	if (!frag_ok(out, tot - hlen))
		return ipr(mode, GS_R_IPV4_BAD_FRAGMENT);
	return GS_R_OK;
}

static __always_inline bool is_ipv6_ext(__u32 nh)
{
	return nh == GS_IPPROTO_HOPOPTS || nh == GS_IPPROTO_ROUTING ||
	       nh == GS_IPPROTO_DSTOPTS || nh == GS_IPPROTO_FRAGMENT ||
	       nh == GS_IPPROTO_AH;
}

static __always_inline enum gs_reason parse_ipv6(struct gsx_scratch *s, __u32 off, __u32 len,
					    __u32 mode, struct gsx_ip *out)
{
	__u32 tot, end, o = GS_IPV6_HDR_LEN, n = 0, elen, nh, i, fo;

	if (len < GS_IPV6_HDR_LEN)
		return ipr(mode, GS_R_IPV6_TRUNCATED);
	need(s, off + GS_IPV6_HDR_LEN);
	if (rd8(s, off) >> 4 != 6)
		return ipr(mode, GS_R_IPV6_BAD_VERSION);
	tot = GS_IPV6_HDR_LEN + rd16(s, off + 4);
	if (mode != IPM_QUOTE && tot > len)
		return ipr(mode, GS_R_IPV6_BAD_PAYLOAD_LEN);
	end = tot < len ? tot : len;
	out->family = GS_AF_INET6;
	out->ttl = rd8(s, off + 7);
	copy_addr(s, out->src, off + 8, 16);
	copy_addr(s, out->dst, off + 24, 16);
	out->tot_len = tot;
	nh = rd8(s, off + 6);
	for (i = 0; i < GS_MAX_IPV6_EXT_HDRS + 1; i++) {
		if (!is_ipv6_ext(nh))
			break;
		if (n == GS_MAX_IPV6_EXT_HDRS)
			return ipr(mode, GS_R_IPV6_EXT_TOO_MANY);
		if (o + 2 > end)
			return ipr(mode, GS_R_IPV6_EXT_TRUNCATED);
		need(s, off + o + (nh == GS_IPPROTO_FRAGMENT ? 8 : 2));
		if (nh == GS_IPPROTO_FRAGMENT)
			elen = 8;
		else if (nh == GS_IPPROTO_AH)
			elen = (rd8(s, off + o + 1) + 2u) * 4;
		else
			elen = (rd8(s, off + o + 1) + 1u) * 8;
		if (o + elen > end)
			return ipr(mode, GS_R_IPV6_EXT_TRUNCATED);
		if (nh == GS_IPPROTO_FRAGMENT) {
			fo = rd16(s, off + o + 2);
			out->frag_offset = fo & 0xFFF8;
			out->more = fo & 1;
			out->frag_id = rd32(s, off + o + 4);
			out->is_frag = out->more || out->frag_offset;
		}
		nh = rd8(s, off + o);
		o += elen;
		n++;
		if (out->frag_offset)
			break;
	}
	out->proto = nh;
	out->hdr_len = o;
	if (!frag_ok(out, tot - o))
		return ipr(mode, GS_R_IPV6_BAD_FRAGMENT);
	return GS_R_OK;
}

/*
 * Global functions (gsx_*) are verified once, on their own, instead of at
 * every call site: that keeps the whole program far below the verifier's
 * budget.  They find the per-CPU scratch themselves.
 */
#define IPS_OUTER 0
#define IPS_INNER 1
#define IPS_QUOTE 2

/* gs_parse_ip() into s->outer, s->inner or s->quote (@slot) */
__noinline int gsx_ip(__u32 off, __u32 len, __u32 family, __u32 mode, __u32 slot)
{
	struct gsx_scratch *s = scratch();
	struct gsx_ip *out;

	if (!s)
		return GS_R_NO_MBUF;
	out = slot == IPS_OUTER ? &s->outer : slot == IPS_INNER ? &s->inner : &s->quote;
	__builtin_memset(out, 0, sizeof(*out));
	if (family == GS_AF_INET6)
		return parse_ipv6(s, off, len, mode, out);
	return parse_ipv4(s, off, len, mode, out);
}

/* ---- GENEVE ---------------------------------------------------------------- */

static __always_inline __u32 aws_len(__u32 type)
{
	if (type == GS_AWS_OPT_ENDPOINT_ID || type == GS_AWS_OPT_ATTACHMENT_ID)
		return 8;
	if (type == GS_AWS_OPT_FLOW_COOKIE)
		return 4;
	return 0;
}

/* one option of the area at frame offset @area; 0: go on, 1: stop */
struct opt_walk {
	__u32 area;
	__u32 o;
	int rc;
};

static int geneve_opt(__u32 i, void *data)
{
	struct gsx_scratch *s = scratch();
	struct opt_walk *w = data;
	__u32 o = w->o, olen, cls, type, dlen, n;
	struct gsx_gnv *g;

	if (!s)
		return 1;
	g = &s->g;
	if (o >= g->opts_len)
		return 1;
	/* cannot trigger while both lengths count words (as in gs_pkt.c) */
	if (o + GS_GENEVE_OPT_HDR_LEN > g->opts_len) {
		w->rc = GS_R_GENEVE_OPT_TRUNCATED;
		return 1;
	}
	olen = GS_GENEVE_OPT_HDR_LEN + (rd8(s, w->area + o + 3) & 0x1F) * 4u;
	if (o + olen > g->opts_len) {
		w->rc = GS_R_GENEVE_OPT_PAST_AREA;
		return 1;
	}
	cls = rd16(s, w->area + o);
	type = rd8(s, w->area + o + 2);
	dlen = olen - GS_GENEVE_OPT_HDR_LEN;
	if (cls == GS_AWS_OPT_CLASS && aws_len(type)) {
		if (dlen != aws_len(type)) {
			w->rc = GS_R_GENEVE_AWS_OPT_BAD_LEN;
			return 1;
		}
		if ((type == GS_AWS_OPT_ENDPOINT_ID && g->has_eid) ||
		    (type == GS_AWS_OPT_ATTACHMENT_ID && g->has_aid) ||
		    (type == GS_AWS_OPT_FLOW_COOKIE && g->has_cookie)) {
			/* two values for one id leave no right one to use */
			w->rc = GS_R_GENEVE_AWS_OPT_DUPLICATE;
			return 1;
		}
		if (type == GS_AWS_OPT_ENDPOINT_ID) {
			g->has_eid = 1;
			g->eid = rd64(s, w->area + o + 4);
		} else if (type == GS_AWS_OPT_ATTACHMENT_ID) {
			g->has_aid = 1;
			g->aid = rd64(s, w->area + o + 4);
		} else {
			g->has_cookie = 1;
			g->cookie = rd32(s, w->area + o + 4);
		}
	} else if (cls == GS_PROBE_OPT_CLASS && type == GS_PROBE_OPT_TYPE &&
		   dlen == GS_PROBE_OPT_DATA_LEN && !g->has_probe) {
		g->has_probe = 1;
	} else if (type & 0x80) {
		/* RFC 8926 §3.5: drop what we cannot understand */
		w->rc = GS_R_GENEVE_CRITICAL_UNKNOWN;
		return 1;
	} else {
		n = g->n_other & (GSX_MAX_OPTS - 1);
		g->other_off[n] = o;
		g->other_len[n] = olen;
		g->n_other++;
	}
	w->o = o + olen;
	return 0;
}

/* gs_parse_geneve() on the UDP payload at frame offset @off, @len bytes */
__noinline int gsx_geneve(__u32 off, __u32 len)
{
	struct gsx_scratch *s = scratch();
	struct opt_walk w = {};
	struct gsx_gnv *g;
	__u32 p;

	if (!s)
		return GS_R_NO_MBUF;
	g = &s->g;
	__builtin_memset(g, 0, sizeof(*g));
	if (len < GS_GENEVE_HDR_LEN)
		return GS_R_GENEVE_TRUNCATED;
	need(s, off + GS_GENEVE_HDR_LEN);
	if (rd8(s, off) >> 6 != 0)
		return GS_R_GENEVE_BAD_VERSION;
	g->opts_len = (rd8(s, off) & 0x3F) * 4;
	g->hdr_len = GS_GENEVE_HDR_LEN + g->opts_len;
	if (g->hdr_len > len)
		return GS_R_GENEVE_OPTS_PAST_END;
	need(s, off + g->hdr_len);
	g->oam = !!(rd8(s, off + 1) & 0x80);
	p = rd16(s, off + 2);
	g->protocol = p;
	if (p != GS_ETHERTYPE_IPV4 && p != GS_ETHERTYPE_IPV6 && p != GS_ETHERTYPE_TEB)
		return GS_R_GENEVE_BAD_PROTOCOL;
	g->vni = rd32(s, off + 4) >> 8;
	w.area = off + GS_GENEVE_HDR_LEN;
	bpf_loop(GS_GENEVE_MAX_OPTS_LEN / GS_GENEVE_OPT_HDR_LEN, geneve_opt, &w, 0);
	return w.rc;
}

/* ---- inner packet ------------------------------------------------------------ */

static __always_inline bool has_port_words(__u32 proto)
{
	return proto == GS_IPPROTO_TCP || proto == GS_IPPROTO_UDP || proto == 132 ||
	       proto == 136;
}

static __always_inline bool is_own_icmp(const struct gs_tuple *t)
{
	return t->proto == (t->family == GS_AF_INET ? GS_IPPROTO_ICMP : GS_IPPROTO_ICMPV6);
}

static __always_inline void tuple_from_ip(struct gs_tuple *t, const struct gsx_ip *ip)
{
	__builtin_memset(t, 0, sizeof(*t));
	__builtin_memcpy(t->src, ip->src, 16);
	__builtin_memcpy(t->dst, ip->dst, 16);
	t->proto = ip->proto;
	t->family = ip->family;
}

/* ports from the first 8 bytes of L4; false for an ICMP error */
static __always_inline bool l4_ports(struct gsx_scratch *s, __u32 l4)
{
	struct gs_tuple *t = &s->tuple;

	if (has_port_words(t->proto)) {
		t->sport = rd16(s, l4);
		t->dport = rd16(s, l4 + 2);
		return true;
	}
	if (!is_own_icmp(t))
		return true;
	switch (gs_icmp_classify(t->family, rd8(s, l4))) {
	case GS_ICMP_ECHO:
		gs_icmp_echo_ports(t, rd16(s, l4 + GS_ICMP_ECHO_ID_OFF));
		return true;
	case GS_ICMP_ERROR:
		return false;
	default:
		return true;
	}
}

static __always_inline bool needs_l4(const struct gs_tuple *t)
{
	return has_port_words(t->proto) || is_own_icmp(t);
}

static __always_inline enum gs_reason parse_quote(struct gsx_scratch *s, __u32 q,
						  __u32 len, __u32 family)
{
	struct gsx_ip *ip = &s->quote;
	enum gs_reason r;
	__u32 avail;

	r = gsx_ip(q, len, family, IPM_QUOTE, IPS_QUOTE);
	if (r != GS_R_OK)
		return r;
	tuple_from_ip(&s->tuple, ip);
	s->is_icmp_error = 1;
	if (ip->frag_offset) {
		s->has_ports = 0;
		return GS_R_OK;
	}
	if (!needs_l4(&s->tuple))
		return GS_R_OK;
	avail = (ip->tot_len < len ? ip->tot_len : len) - ip->hdr_len;
	if (avail < 8)
		return GS_R_ICMP_QUOTE_TRUNCATED;
	need(s, q + ip->hdr_len + 8);
	if (!l4_ports(s, q + ip->hdr_len))
		return GS_R_ICMP_QUOTE_BAD;
	return GS_R_OK;
}

__noinline int gsx_l4(__u32 l4, __u32 l4_len)
{
	struct gsx_scratch *s = scratch();
	const struct gsx_ip *ip;
	__u32 n, payload;

	if (!s)
		return GS_R_NO_MBUF;
	ip = &s->inner;
	tuple_from_ip(&s->tuple, ip);
	s->has_ports = 1;
	if (ip->frag_offset) {
		s->has_ports = 0;
		return GS_R_OK;
	}
	if (!needs_l4(&s->tuple))
		return GS_R_OK;
	if (l4_len < 8)
		return GS_R_L4_TRUNCATED;
	need(s, l4 + 8);
	if (ip->proto == GS_IPPROTO_TCP) {
		if (l4_len < GS_TCP_HDR_LEN)
			return GS_R_L4_TRUNCATED;
		need(s, l4 + GS_TCP_HDR_LEN);
		n = (rd8(s, l4 + 12) >> 4) * 4u;
		if (n < GS_TCP_HDR_LEN || n > l4_len)
			return GS_R_TCP_BAD_DATA_OFFSET;
	} else if (ip->proto == GS_IPPROTO_UDP) {
		n = rd16(s, l4 + 4);
		if (n < GS_UDP_HDR_LEN || (!ip->is_frag && n > l4_len))
			return GS_R_UDP_BAD_LENGTH;
		payload = (n < l4_len ? n : l4_len) - GS_UDP_HDR_LEN;
		/* a tunnel in the tunnel would be steered by the wrong flow */
		if (rd16(s, l4 + 2) == GS_GENEVE_UDP_PORT && payload >= GS_GENEVE_HDR_LEN) {
			need(s, l4 + GS_UDP_HDR_LEN + 1);
			if (rd8(s, l4 + GS_UDP_HDR_LEN) >> 6 == 0)
				return GS_R_INNER_NESTED_GENEVE;
		}
	}
	if (l4_ports(s, l4))
		return GS_R_OK;
	return parse_quote(s, l4 + GS_ICMP_HDR_LEN, l4_len - GS_ICMP_HDR_LEN, ip->family);
}

static __always_inline __u32 ethertype_family(__u32 t)
{
	return t == GS_ETHERTYPE_IPV4 ? GS_AF_INET : t == GS_ETHERTYPE_IPV6 ? GS_AF_INET6 : 0;
}

/* gs_parse_inner() at frame offset @off, @len bytes */
static __always_inline enum gs_reason parse_inner(struct gsx_scratch *s, __u32 off,
						  __u32 len, __u32 protocol)
{
	__u32 l3 = 0, type, family;
	enum gs_reason r;

	s->is_icmp_error = 0;
	s->has_ports = 0;
	if (protocol == GS_ETHERTYPE_TEB) {
		r = parse_eth(s, off, len, &l3, &type);
		if (r != GS_R_OK)
			return r;
		if (!ethertype_family(type))
			return GS_R_ETHERTYPE_UNSUPPORTED;
		protocol = type;
	}
	family = ethertype_family(protocol);
	if (!family)
		return GS_R_GENEVE_BAD_PROTOCOL;
	r = gsx_ip(off + l3, len - l3, family, IPM_INNER, IPS_INNER);
	if (r != GS_R_OK)
		return r;
	return gsx_l4(off + l3 + s->inner.hdr_len, s->inner.tot_len - s->inner.hdr_len);
}

/* ---- lookups ------------------------------------------------------------------ */

static __always_inline void addr_key(struct gsx_addr *k, const __u8 *a, __u8 family)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->family = family;
	__builtin_memcpy(k->a, a, 16);
}

static __always_inline bool upstream_allowed(__u32 li, const struct gsx_ip *ip)
{
	struct gsx_upstream_key k = {};

	k.prefixlen = 32 + (ip->family == GS_AF_INET ? 32 : 128);
	k.listener = (__u8)li;
	k.family = ip->family;
	__builtin_memcpy(k.a, ip->src, 16);
	return bpf_map_lookup_elem(&gsx_upstreams, &k) != NULL;
}

static __always_inline __u32 maglev_pick(__u32 gi, __u32 size, __u32 hash)
{
	__u32 slot, *v;
	void *tbl;

	tbl = bpf_map_lookup_elem(&gsx_maglev, &gi);
	if (!tbl || !size)
		return GSX_APP_NONE;
	slot = gs_maglev_slot(hash, size);
	v = bpf_map_lookup_elem(tbl, &slot);
	if (!v || *v == GS_MAGLEV_NO_BACKEND || *v >= GSX_MAX_APPS)
		return GSX_APP_NONE;
	return *v;
}

/* a draining appliance past its deregistration delay counts as removed */
static __always_inline __u32 app_state(const struct gsx_app *app, __u64 now)
{
	if (app->state == GSX_APP_DRAINING && app->drain_deadline_ns &&
	    now >= app->drain_deadline_ns)
		return GSX_APP_REMOVED;
	return app->state;
}

/* ---- output -------------------------------------------------------------------- */

static __always_inline __u32 fold(__u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return sum;
}

/*
 * bpf_csum_diff() sums native (little-endian) words; swapping the folded
 * result gives the sum of big-endian words (RFC 1071 §2(B)), which is what
 * the rest of this file adds up.
 */
static __always_inline __u32 be_sum(__s64 w)
{
	return bpf_ntohs((__u16)fold((__u32)w));
}

/* big-endian sum of out[off, off + n), n a multiple of 4, both bounded */
static __always_inline __u32 out_sum(struct gsx_scratch *s, __u32 off, __u32 n)
{
	off &= GSX_OUT_MASK;
	n = ((n - 4) & (GSX_OUT_MASK - 3)) + 4; /* 4..512, a multiple of 4 */
	return be_sum(bpf_csum_diff(NULL, 0, (__be32 *)(s->out + off), n, 0));
}

/* the ones'-complement sum (big-endian, folded) of frame bytes [off, off+n) */
__noinline int gsx_frame_sum(struct xdp_md *ctx, __u32 off, __u32 n)
{
	struct gsx_scratch *s = scratch();
	__u32 i, chunk, sum = 0;

	if (!s)
		return 0;
	for (i = 0; i < GSX_MAX_PAYLOAD / GSX_CSUM_CHUNK; i++) {
		if (n == 0)
			break;
		chunk = n < GSX_CSUM_CHUNK ? n : GSX_CSUM_CHUNK;
		/* 1 <= chunk <= 256 already: this shows it to the verifier */
		chunk = ((chunk - 1) & (GSX_CSUM_CHUNK - 1)) + 1;
		__builtin_memset(s->cs, 0, GSX_CSUM_CHUNK);
		if (bpf_xdp_load_bytes(ctx, off, s->cs, chunk))
			break;
		sum += be_sum(bpf_csum_diff(NULL, 0, (__be32 *)s->cs, GSX_CSUM_CHUNK, 0));
		off += chunk;
		n -= chunk;
	}
	return fold(sum);
}

/*
 * Write the outer header s->e describes into out[] (gs_encap_write with the
 * option area of gs_geneve_opts_write: AWS options, then the carried ones
 * byte for byte), resolve the next hop, replace the frame's outer header and
 * send it.  Returns the XDP action.  @app_out: the appliance slot whose
 * to_* counters grow, or GSX_APP_NONE.
 */
__noinline int gsx_send(struct xdp_md *ctx, __u32 app_out)
{
	struct gsx_scratch *s = scratch();
	struct bpf_fib_lookup *fib;
	__u32 ip_off = GS_ETH_HDR_LEN, l3len, udp_off, gnv_off, o, i, n, olen, hlen;
	__u32 payload_len, udp_len, sum;
	struct gsx_app_stats *as;
	struct encap *e;
	struct gsx_gnv *g;
	int rc, delta;

	if (!s)
		return XDP_ABORTED;
	e = &s->e;
	g = &s->g;
	fib = &s->fib;
	payload_len = s->len - s->inner_off;
	/* option area size first: nothing is written if it cannot fit */
	olen = (e->with_eid ? 12 : 0) + (e->with_aid ? 12 : 0) + (e->with_cookie ? 8 : 0);
	for (i = 0; i < GSX_MAX_OPTS; i++) {
		if (i >= g->n_other)
			break;
		olen += g->other_len[i & (GSX_MAX_OPTS - 1)];
	}
	if (olen > GS_GENEVE_MAX_OPTS_LEN)
		return drop(GS_R_TOO_BIG);
	l3len = e->family == GS_AF_INET6 ? GS_IPV6_HDR_LEN : GS_IPV4_HDR_LEN;
	udp_off = ip_off + l3len;
	gnv_off = udp_off + GS_UDP_HDR_LEN;
	hlen = gnv_off + GS_GENEVE_HDR_LEN + olen;
	udp_len = GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN + olen + payload_len;
	if (udp_len + (e->family == GS_AF_INET ? GS_IPV4_HDR_LEN : 0) > 0xFFFF)
		return drop(GS_R_TOO_BIG);

	/* Ethernet: addresses come from the FIB below */
	wr16(s, 12, e->family == GS_AF_INET6 ? GS_ETHERTYPE_IPV6 : GS_ETHERTYPE_IPV4);
	if (e->family == GS_AF_INET6) {
		wr32(s, ip_off, 0x60000000);
		wr16(s, ip_off + 4, udp_len);
		wr8(s, ip_off + 6, GS_IPPROTO_UDP);
		wr8(s, ip_off + 7, GS_DEFAULT_TTL);
		__builtin_memcpy(s->out + GS_ETH_HDR_LEN + 8, e->src, 16);
		__builtin_memcpy(s->out + GS_ETH_HDR_LEN + 24, e->dst, 16);
	} else {
		wr32(s, ip_off, 0x45000000 | (GS_IPV4_HDR_LEN + udp_len));
		wr32(s, ip_off + 4, 0); /* id 0, DF clear */
		wr16(s, ip_off + 8, GS_DEFAULT_TTL << 8 | GS_IPPROTO_UDP);
		wr16(s, ip_off + 10, 0);
		__builtin_memcpy(s->out + GS_ETH_HDR_LEN + 12, e->src, 4);
		__builtin_memcpy(s->out + GS_ETH_HDR_LEN + 16, e->dst, 4);
		wr16(s, ip_off + 10, ~fold(out_sum(s, ip_off, GS_IPV4_HDR_LEN)) & 0xFFFF);
	}
	wr16(s, udp_off, e->sport);
	wr16(s, udp_off + 2, GS_GENEVE_UDP_PORT);
	wr16(s, udp_off + 4, udp_len);
	wr16(s, udp_off + 6, 0);
	wr8(s, gnv_off, olen / 4);
	wr8(s, gnv_off + 1, g->oam ? 0x80 : 0);
	wr16(s, gnv_off + 2, g->protocol);
	wr32(s, gnv_off + 4, (e->vni & 0xFFFFFF) << 8);
	o = gnv_off + GS_GENEVE_HDR_LEN;
	if (e->with_eid) {
		wr32(s, o, GS_AWS_OPT_CLASS << 16 | GS_AWS_OPT_ENDPOINT_ID << 8 | 2);
		wr64(s, o + 4, e->eid);
		o += 12;
	}
	if (e->with_aid) {
		wr32(s, o, GS_AWS_OPT_CLASS << 16 | GS_AWS_OPT_ATTACHMENT_ID << 8 | 2);
		wr64(s, o + 4, e->aid);
		o += 12;
	}
	if (e->with_cookie) {
		wr32(s, o, GS_AWS_OPT_CLASS << 16 | GS_AWS_OPT_FLOW_COOKIE << 8 | 1);
		wr32(s, o + 4, e->cookie);
		o += 8;
	}
	/* the upstream's other options, byte for byte, in their order, straight
	 * from the frame (they lie before the inner packet, still untouched) */
	for (i = 0; i < GSX_MAX_OPTS; i++) {
		__u32 from, len;

		if (i >= g->n_other)
			break;
		from = s->gnv_off + GS_GENEVE_HDR_LEN + g->other_off[i & (GSX_MAX_OPTS - 1)];
		len = g->other_len[i & (GSX_MAX_OPTS - 1)];
		/* 4..128 bytes, shown to the verifier */
		len = ((len - 4) & 127) + 4;
		if (bpf_xdp_load_bytes(ctx, from, s->out + (o & GSX_OUT_MASK), len))
			return drop(GS_R_TOO_BIG);
		o += len;
	}
	if (e->family == GS_AF_INET6) {
		/* RFC 8200 §8.1 pseudo-header, UDP header, GENEVE, options, payload */
		sum = out_sum(s, ip_off + 8, 32);
		sum += udp_len >> 16;
		sum += udp_len & 0xFFFF;
		sum += GS_IPPROTO_UDP;
		sum += out_sum(s, udp_off, GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN + olen);
		sum += gsx_frame_sum(ctx, s->inner_off, payload_len);
		sum = ~fold(sum) & 0xFFFF;
		wr16(s, udp_off + 6, sum ? sum : 0xFFFF);
	}

	/* next hop from the kernel's FIB and neighbour table */
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = ctx->ingress_ifindex;
	fib->l4_protocol = GS_IPPROTO_UDP;
	fib->sport = bpf_htons(e->sport);
	fib->dport = bpf_htons(GS_GENEVE_UDP_PORT);
	if (e->family == GS_AF_INET6) {
		fib->family = AF_INET6;
		fib->tot_len = GS_IPV6_HDR_LEN + udp_len;
		__builtin_memcpy(fib->ipv6_src, e->src, 16);
		__builtin_memcpy(fib->ipv6_dst, e->dst, 16);
	} else {
		fib->family = AF_INET;
		fib->tot_len = GS_IPV4_HDR_LEN + udp_len;
		__builtin_memcpy(&fib->ipv4_src, e->src, 4);
		__builtin_memcpy(&fib->ipv4_dst, e->dst, 4);
	}
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return drop(GS_R_NEIGH_UNRESOLVED);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return drop(GS_R_TOO_BIG);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return drop(GS_R_NO_ROUTE);
	__builtin_memcpy(s->out, fib->dmac, 6);
	__builtin_memcpy(s->out + 6, fib->smac, 6);

	/* cut any Ethernet trailer, swap the outer header, write the new one */
	n = ctx->data_end - ctx->data;
	if (n > s->len && bpf_xdp_adjust_tail(ctx, -(int)(n - s->len)))
		return drop(GS_R_NO_MBUF);
	delta = (int)s->inner_off - (int)hlen;
	if (bpf_xdp_adjust_head(ctx, delta))
		return drop(GS_R_TOO_BIG);
	if (hlen < GS_ETH_HDR_LEN || hlen > GSX_OUT_MAX)
		return drop(GS_R_TOO_BIG);
	/* hlen is even and in range: this only shows the verifier 2 <= n <= 512 */
	n = ((hlen - 2) & (GSX_OUT_MASK - 1)) + 2;
	if (bpf_xdp_store_bytes(ctx, 0, s->out, n))
		return drop(GS_R_TOO_BIG);
	if (app_out != GSX_APP_NONE) {
		as = app_stats(app_out);
		if (as) {
			as->to_pkts++;
			as->to_bytes += hlen + payload_len;
		}
	}
	if (fib->ifindex == ctx->ingress_ifindex) {
		count(GSX_V_TX);
		return XDP_TX;
	}
	if (!bpf_map_lookup_elem(&gsx_tx_ports, &fib->ifindex))
		return drop(GS_R_NO_ROUTE);
	count(GSX_V_REDIRECT);
	return bpf_redirect_map(&gsx_tx_ports, fib->ifindex, XDP_DROP);
}

/* ---- steering ---------------------------------------------------------------- */

static __always_inline int packet_dir(struct gsx_scratch *s, int key_dir)
{
	return s->is_icmp_error ? key_dir ^ 1 : key_dir;
}

static __always_inline void record_dir(struct gsx_scratch *s, struct gsx_dir *d, __u32 li)
{
	__builtin_memcpy(d->upstream, s->outer.src, 16);
	d->vni = s->g.vni;
	d->endpoint_id = s->g.eid;
	d->attachment_id = s->g.aid;
	d->cookie = s->g.cookie;
	d->listener = (__u8)li;
	d->flags = GSX_DIR_SEEN | (s->g.has_eid ? GSX_DIR_HAS_EID : 0) |
		   (s->g.has_aid ? GSX_DIR_HAS_AID : 0) |
		   (s->g.has_cookie ? GSX_DIR_HAS_COOKIE : 0) |
		   (s->outer.family == GS_AF_INET6 ? GSX_DIR_V6 : 0);
}

static __always_inline bool dir_matches(struct gsx_scratch *s, const struct gsx_dir *d,
					__u32 li)
{
	__u32 i, diff = 0;

	GS_UNROLL
	for (i = 0; i < 16; i++)
		diff |= d->upstream[i] ^ s->outer.src[i];
	if (diff)
		return false;
	return (d->flags & GSX_DIR_SEEN) && d->listener == li && d->vni == s->g.vni &&
	       d->endpoint_id == s->g.eid && d->attachment_id == s->g.aid &&
	       d->cookie == s->g.cookie &&
	       !!(d->flags & GSX_DIR_HAS_EID) == s->g.has_eid &&
	       !!(d->flags & GSX_DIR_HAS_AID) == s->g.has_aid &&
	       !!(d->flags & GSX_DIR_HAS_COOKIE) == s->g.has_cookie &&
	       !!(d->flags & GSX_DIR_V6) == (s->outer.family == GS_AF_INET6);
}

/* back to the upstream of direction s->self (after the appliance, or fail-open) */
static __always_inline int to_upstream(struct xdp_md *ctx, struct gsx_scratch *s,
				       __u32 hash)
{
	const struct gsx_dir *d = &s->self;
	__u32 li = d->listener;
	struct gsx_listener *l = bpf_map_lookup_elem(&gsx_listeners, &li);
	struct encap *e = &s->e;

	if (!l)
		return drop(GS_R_NO_ROUTE);
	e->family = d->flags & GSX_DIR_V6 ? GS_AF_INET6 : GS_AF_INET;
	__builtin_memcpy(e->src, l->addr, 16);
	__builtin_memcpy(e->dst, d->upstream, 16);
	e->vni = d->vni;
	e->sport = gs_entropy_port(hash);
	e->with_eid = !!(d->flags & GSX_DIR_HAS_EID);
	e->eid = d->endpoint_id;
	e->with_aid = !!(d->flags & GSX_DIR_HAS_AID);
	e->aid = d->attachment_id;
	e->with_cookie = !!(d->flags & GSX_DIR_HAS_COOKIE);
	e->cookie = d->cookie;
	count(GSX_V_TO_UPSTREAM);
	return gsx_send(ctx, GSX_APP_NONE);
}

static __always_inline int to_appliance(struct xdp_md *ctx, struct gsx_scratch *s, __u32 a,
					__u32 hash, const struct gsx_listener *l)
{
	struct gsx_app *app = bpf_map_lookup_elem(&gsx_apps, &a);
	struct encap *e = &s->e;

	if (!app)
		return drop(GS_R_NO_ROUTE);
	e->family = app->family;
	__builtin_memcpy(e->src, app->src, 16);
	__builtin_memcpy(e->dst, app->addr, 16);
	e->vni = s->g.vni;
	e->sport = gs_entropy_port(hash);
	/* the GWLB contract: the upstream's ids, else the listener's; a cookie */
	e->with_eid = s->g.has_eid || l->has_endpoint_id;
	e->eid = s->g.has_eid ? s->g.eid : l->endpoint_id;
	e->with_aid = s->g.has_aid || l->has_attachment_id;
	e->aid = s->g.has_aid ? s->g.aid : l->attachment_id;
	e->with_cookie = 1;
	e->cookie = gs_flow_cookie(hash);
	count(GSX_V_TO_APPLIANCE);
	return gsx_send(ctx, a);
}

/* the canonical key of s->tuple into s->key (its direction in s->kdir); its hash */
__noinline int gsx_key(__u32 stickiness, __u32 vni, __u32 group, __u64 eid, __u32 seed)
{
	struct gsx_scratch *s = scratch();

	if (!s)
		return 0;
	s->kdir = gs_flow_key_build(&s->key, &s->tuple, stickiness, vni, (__u16)group, eid);
	return (int)gs_flow_hash(&s->key, seed);
}

static __always_inline __u64 idle_ns(const struct gsx_group *g, __u32 proto)
{
	return proto == GS_IPPROTO_TCP ? g->idle_tcp_ns : g->idle_other_ns;
}

__noinline int gsx_upstream(struct xdp_md *ctx, __u32 li, __u32 seed)
{
	struct gsx_scratch *s = scratch();
	struct gsx_listener *l = bpf_map_lookup_elem(&gsx_listeners, &li);
	struct gsx_app_stats *as;
	struct gsx_group *g;
	struct gsx_flow *f;
	struct gsx_app *app;
	__u64 now = bpf_ktime_get_ns(), eid = 0;
	__u32 gi, hash, a, st;
	int kdir, d;

	if (!s || !l)
		return drop(GS_R_NO_ROUTE);
	gi = l->group;
	g = bpf_map_lookup_elem(&gsx_groups, &gi);
	if (!g)
		return drop(GS_R_NO_ROUTE);
	if (g->scope_by_endpoint_id)
		eid = s->g.has_eid ? s->g.eid : l->has_endpoint_id ? l->endpoint_id : 0;
	hash = (__u32)gsx_key(g->stickiness, s->g.vni, gi, eid, seed);
	kdir = s->kdir;
	d = packet_dir(s, kdir) & 1;

	f = bpf_map_lookup_elem(&gsx_flows, &s->key);
	if (f && now - f->last_seen_ns > idle_ns(g, f->proto)) {
		/* idle past its timeout: the DPDK data plane would have aged it out */
		count(GSX_V_FLOWS_EXPIRED);
		bpf_map_delete_elem(&gsx_flows, &s->key);
		f = NULL;
	}
	if (f) {
		a = f->app;
		app = bpf_map_lookup_elem(&gsx_apps, &a);
		if (!app)
			return drop(GS_R_NO_ROUTE);
		st = app_state(app, now);
		if ((st == GSX_APP_UNHEALTHY && g->on_unhealthy == GSX_REBALANCE) ||
		    st == GSX_APP_REMOVED) {
			if (st == GSX_APP_REMOVED && g->on_deregistration == GSX_NO_REBALANCE)
				return drop(GS_R_FLOW_NOT_SERVED);
			/* re-steer; draining and no_rebalance flows stay put */
			a = maglev_pick(gi, g->maglev_size, hash);
			if (a == GSX_APP_NONE)
				goto no_healthy;
			as = app_stats(f->app);
			if (as)
				as->moved_out++;
			as = app_stats(a);
			if (as)
				as->new_flows++;
			count(GSX_V_FLOWS_REBALANCED);
			f->app = a;
		}
	} else {
		a = maglev_pick(gi, g->maglev_size, hash);
		if (a == GSX_APP_NONE)
			goto no_healthy;
		__builtin_memset(&s->nf, 0, sizeof(s->nf));
		s->nf.app = a;
		s->nf.proto = s->tuple.proto;
		s->nf.group = gi;
		s->nf.last_seen_ns = now;
		/* another CPU may insert the same flow: its choice is the same */
		bpf_map_update_elem(&gsx_flows, &s->key, &s->nf, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&gsx_flows, &s->key);
		if (!f)
			return drop(GS_R_FLOW_TABLE_FULL);
		count(GSX_V_FLOWS_CREATED);
		as = app_stats(a);
		if (as)
			as->new_flows++;
		a = f->app;
	}
	f->last_seen_ns = now;
	if (!dir_matches(s, &f->dir[d], li))
		record_dir(s, &f->dir[d], li);
	return to_appliance(ctx, s, a, hash, l);

no_healthy:
	if (g->no_healthy == GSX_FAIL_CLOSED)
		return drop(GS_R_NO_HEALTHY_APPLIANCE);
	/* fail open: straight back to its upstream, uninspected */
	record_dir(s, &s->self, li);
	count(GSX_V_FAIL_OPEN);
	return to_upstream(ctx, s, hash);
}

__noinline int gsx_return(struct xdp_md *ctx, __u32 a, __u32 seed)
{
	struct gsx_scratch *s = scratch();
	struct gsx_app *app = bpf_map_lookup_elem(&gsx_apps, &a);
	struct gsx_app_stats *as;
	struct gsx_group *g;
	struct gsx_flow *f;
	struct gsx_dir *d;
	__u64 now = bpf_ktime_get_ns(), eid = 0;
	__u32 gi, hash;
	int kdir;

	if (!s || !app)
		return drop(GS_R_RETURN_NOT_APPLIANCE);
	gi = app->group;
	g = bpf_map_lookup_elem(&gsx_groups, &gi);
	if (!g)
		return drop(GS_R_RETURN_NOT_APPLIANCE);
	/* the appliance returns the options we sent: the endpoint id in them
	 * is the one the flow key was scoped by */
	if (g->scope_by_endpoint_id && s->g.has_eid)
		eid = s->g.eid;
	hash = (__u32)gsx_key(g->stickiness, s->g.vni, gi, eid, seed);
	kdir = s->kdir;
	f = bpf_map_lookup_elem(&gsx_flows, &s->key);
	if (!f || now - f->last_seen_ns > idle_ns(g, f->proto))
		return drop(GS_R_RETURN_UNKNOWN_FLOW);
	if (f->app != a)
		return drop(GS_R_RETURN_WRONG_APPLIANCE);
	d = &f->dir[packet_dir(s, kdir) & 1];
	if (!(d->flags & GSX_DIR_SEEN))
		return drop(GS_R_RETURN_UNKNOWN_FLOW);
	f->last_seen_ns = now;
	as = app_stats(a);
	if (as) {
		as->from_pkts++;
		as->from_bytes += s->len;
		as->last_rx_ns = now;
	}
	/* a copy: the entry may change under us on another CPU */
	__builtin_memcpy(&s->self, d, sizeof(s->self));
	return to_upstream(ctx, s, hash);
}

/* ---- fragments: shallow virtual reassembly ------------------------------------ */

/* 0: go on; else the XDP action taken */
static __always_inline int resolve_fragment(struct gsx_scratch *s)
{
	struct gsx_frag *fe;
	__u64 now;

	if (!s->inner.is_frag || s->is_icmp_error)
		return 0;
	__builtin_memset(&s->fk, 0, sizeof(s->fk));
	__builtin_memcpy(s->fk.src, s->inner.src, 16);
	__builtin_memcpy(s->fk.dst, s->inner.dst, 16);
	s->fk.id = s->inner.frag_id;
	s->fk.proto = s->inner.proto;
	s->fk.family = s->inner.family;
	now = bpf_ktime_get_ns();
	if (s->inner.frag_offset == 0) {
		count(GSX_V_FRAG_FIRST);
		s->fv.expires_ns = now + GSX_FRAG_TTL_NS;
		s->fv.sport = s->tuple.sport;
		s->fv.dport = s->tuple.dport;
		s->fv.pad = 0;
		bpf_map_update_elem(&gsx_frags, &s->fk, &s->fv, BPF_ANY);
		return 0;
	}
	fe = bpf_map_lookup_elem(&gsx_frags, &s->fk);
	if (fe && now <= fe->expires_ns) {
		s->tuple.sport = fe->sport;
		s->tuple.dport = fe->dport;
		s->has_ports = 1;
		count(GSX_V_FRAG_FOLLOWED);
		return 0;
	}
	/* XDP cannot hold a packet until its first fragment comes */
	return drop(GS_R_FRAG_NO_FIRST);
}

/* ---- the program -------------------------------------------------------------- */

/* UDP/GENEVE and the inner packet, as parse_geneve_frame() does */
static __always_inline enum gs_reason parse_geneve_frame(struct gsx_scratch *s)
{
	__u32 off = s->eth_len + s->outer.hdr_len, udp_len;
	enum gs_reason r;

	if (s->len < off + GS_UDP_HDR_LEN)
		return GS_R_L4_TRUNCATED;
	udp_len = rd16(s, off + 4);
	if (udp_len < GS_UDP_HDR_LEN || off + udp_len > s->len)
		return GS_R_UDP_BAD_LENGTH;
	off += GS_UDP_HDR_LEN;
	udp_len -= GS_UDP_HDR_LEN;
	s->gnv_off = off;
	r = gsx_geneve(off, udp_len);
	if (r != GS_R_OK)
		return r;
	s->inner_off = off + s->g.hdr_len;
	return parse_inner(s, s->inner_off, udp_len - s->g.hdr_len, s->g.protocol);
}

static __always_inline int gsteer(struct xdp_md *ctx)
{
	struct gsx_globals *glob;
	struct gsx_scratch *s;
	struct gsx_local *loc;
	struct gsx_addr ak;
	enum gs_reason r;
	__u32 k = 0, win, type, li, *ap;
	int rc;

	count(GSX_V_RX);
	glob = bpf_map_lookup_elem(&gsx_globals, &k);
	s = bpf_map_lookup_elem(&gsx_scratch, &k);
	if (!glob || !s || !glob->ready)
		return pass(GS_R_OK, GSX_V_PASS_NOT_OURS);
	s->len = ctx->data_end - ctx->data;
	win = s->len < GSX_WIN ? s->len : GSX_WIN;
	s->win = 0;
	s->deep = 0;
	if (win >= 1) {
		win = ((win - 1) & GSX_WIN_MASK) + 1; /* for the verifier: 1..512 */
		if (bpf_xdp_load_bytes(ctx, 0, s->b, win) == 0)
			s->win = win;
	}

	/* Ethernet and the outer IP header: trouble here is the host's to judge */
	r = parse_eth(s, 0, s->len, &s->eth_len, &type);
	if (r != GS_R_OK)
		return pass(r, GSX_V_PASS_NOT_OURS);
	if (type == GS_ETHERTYPE_ARP)
		return pass(GS_R_OK, GSX_V_PASS_SLOWPATH);
	if (type != GS_ETHERTYPE_IPV4 && type != GS_ETHERTYPE_IPV6)
		return pass(GS_R_ETHERTYPE_UNSUPPORTED, GSX_V_PASS_NOT_OURS);
	r = gsx_ip(s->eth_len, s->len - s->eth_len,
		   type == GS_ETHERTYPE_IPV6 ? GS_AF_INET6 : GS_AF_INET, IPM_OUTER, IPS_OUTER);
	if (r != GS_R_OK)
		return pass(r, GSX_V_PASS_NOT_OURS);
	/* an Ethernet trailer is not ours to carry */
	if (s->len > s->eth_len + s->outer.tot_len)
		s->len = s->eth_len + s->outer.tot_len;
	addr_key(&ak, s->outer.dst, s->outer.family);
	loc = bpf_map_lookup_elem(&gsx_local, &ak);
	if (!loc) {
		if (s->outer.family == GS_AF_INET6 && s->outer.dst[0] == 0xff &&
		    s->outer.proto == GS_IPPROTO_ICMPV6)
			return pass(GS_R_OK, GSX_V_PASS_SLOWPATH);
		return pass(GS_R_NOT_FOR_US, GSX_V_PASS_NOT_OURS);
	}
	if (s->outer.proto == GS_IPPROTO_ICMP || s->outer.proto == GS_IPPROTO_ICMPV6)
		return pass(GS_R_OK, GSX_V_PASS_SLOWPATH);
	if (s->outer.ttl == 0)
		return drop(GS_R_OUTER_TTL_EXPIRED);
	if (s->outer.is_frag)
		return pass(GS_R_OUTER_FRAGMENT, GSX_V_PASS_NOT_OURS);
	if (s->outer.proto != GS_IPPROTO_UDP)
		return pass(GS_R_OUTER_NOT_GENEVE, GSX_V_PASS_NOT_OURS);
	/* a UDP header too short to hold a port is parse_geneve_frame()'s
	 * l4_truncated, as in the DPDK pipeline */
	if (s->len >= s->eth_len + s->outer.hdr_len + GS_UDP_HDR_LEN &&
	    rd16(s, s->eth_len + s->outer.hdr_len + 2) != GS_GENEVE_UDP_PORT)
		return pass(GS_R_OUTER_NOT_GENEVE, GSX_V_PASS_NOT_OURS);

	/* GENEVE to one of our addresses: from here on every refusal is a drop */
	r = parse_geneve_frame(s);
	if (s->deep)
		return drop(GS_R_TOO_BIG); /* headers past the window */
	if (r != GS_R_OK)
		return drop(r);
	if (s->g.has_probe)
		return pass(GS_R_OK, GSX_V_PASS_PROBE);
	rc = resolve_fragment(s);
	if (rc)
		return rc;

	addr_key(&ak, s->outer.src, s->outer.family);
	ap = bpf_map_lookup_elem(&gsx_app_by_addr, &ak);
	if (ap)
		return gsx_return(ctx, *ap, glob->hash_seed);
	if (loc->kind != GSX_LOCAL_LISTENER)
		return drop(GS_R_RETURN_NOT_APPLIANCE);
	li = loc->listener;
	if (!upstream_allowed(li, &s->outer))
		return drop(GS_R_UPSTREAM_NOT_ALLOWED);
	return gsx_upstream(ctx, li, glob->hash_seed);
}

SEC("xdp")
int gsteer_xdp(struct xdp_md *ctx)
{
	return gsteer(ctx);
}

/*
 * For the benchmark: the steering path, then the frame put back as it came
 * (BPF_PROG_TEST_RUN with repeat > 1 runs every repeat on the buffer the one
 * before rewrote).  The original frame is kept in a per-CPU buffer.
 */
struct gsx_bench_buf {
	__u8 b[GSX_WIN];
	__u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gsx_bench_buf);
} gsx_bench SEC(".maps");

static __always_inline int bench_wrap(struct xdp_md *ctx, bool steer)
{
	struct gsx_bench_buf *bb;
	__u32 k = 0, len, now;
	int rc, diff;

	bb = bpf_map_lookup_elem(&gsx_bench, &k);
	if (!bb)
		return XDP_ABORTED;
	len = ctx->data_end - ctx->data;
	if (len < 1 || len > GSX_WIN)
		return XDP_ABORTED;
	len = ((len - 1) & GSX_WIN_MASK) + 1;
	if (bpf_xdp_load_bytes(ctx, 0, bb->b, len))
		return XDP_ABORTED;
	bb->len = len;
	rc = steer ? gsteer(ctx) : XDP_TX;
	{
		__u32 d0 = ctx->data, d1 = ctx->data_end;

		now = d1 - d0;
		gsx_barrier_var(now);
	}
	diff = (int)now - (int)len;
	if (diff && bpf_xdp_adjust_head(ctx, diff))
		return XDP_ABORTED;
	len = bb->len;
	if (len < 1 || len > GSX_WIN)
		return XDP_ABORTED;
	len = ((len - 1) & GSX_WIN_MASK) + 1;
	if (bpf_xdp_store_bytes(ctx, 0, bb->b, len))
		return XDP_ABORTED;
	return rc;
}

SEC("xdp")
int gsteer_xdp_bench(struct xdp_md *ctx)
{
	return bench_wrap(ctx, true);
}

/* the wrapper's own cost: save and restore around a bare XDP_TX */
SEC("xdp")
int gsteer_xdp_ref_restore(struct xdp_md *ctx)
{
	return bench_wrap(ctx, false);
}

/* the reference: the cheapest program that sends a frame back */
SEC("xdp")
int gsteer_xdp_ref_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}
