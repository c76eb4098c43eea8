/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-appliance: a reference inline appliance that keeps the AWS Gateway
 * Load Balancer GENEVE contract, for tests and demos.
 *
 * Every valid GENEVE datagram it receives goes back to its sender byte for
 * byte: header, options and inner packet unchanged.  It counts what it saw
 * per inner flow, so tests can tell which flows crossed which appliance, and
 * it can be told at run time to fail the ways real appliances fail (black
 * hole with a healthy management port, added latency, a partly broken data
 * path, a full outage), so failure detection can be tested end to end.
 *
 * Kernel sockets only, one thread, one epoll loop: it runs in a network
 * namespace next to the data plane under test and needs nothing but libc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROG "gsteer-appliance"
#ifndef GS_VERSION
#define GS_VERSION "unknown"
#endif

#define GENEVE_PORT_DEFAULT	6081
#define GENEVE_HDR_LEN		8
#define ETH_P_TEB		0x6558
#define ETH_P_IPV4		0x0800
#define ETH_P_IPV6		0x86dd
#define ETH_P_VLAN		0x8100
#define ETH_P_QINQ		0x88a8
#define UDP_HDR_LEN		8

#define PKT_BUF_LEN		65536
#define RX_BURST		64	/* datagrams per wakeup, for fairness */
#define FLOWS_DEFAULT		(1u << 20)
#define FLOWS_MAX		(1u << 24)
#define DELAY_MS_MAX		60000
#define DELAY_QUEUE_PKTS	65536
#define DELAY_QUEUE_BYTES	(64u << 20)
#define HEALTH_CONNS		64
#define HEALTH_REQ_MAX		1024
#define CTL_CONNS		16
#define CTL_LINE_MAX		256
#define CTL_CLIENT_TIMEOUT_S	10
#define EPOLL_EVENTS		64

enum mode { MODE_NORMAL, MODE_BLACKHOLE, MODE_DOWN, MODE_DELAY, MODE_SUBSET };

static const char *const mode_names[] = {
	[MODE_NORMAL] = "normal",
	[MODE_BLACKHOLE] = "blackhole",
	[MODE_DOWN] = "down",
	[MODE_DELAY] = "delay",
	[MODE_SUBSET] = "subset",
};

struct mode_cfg {
	enum mode mode;
	unsigned int delay_ms;
	uint32_t subset_m;
	uint32_t subset_k;
};

/* What a file descriptor registered with epoll is; index in the low half. */
enum ev_type {
	EV_GENEVE = 1,
	EV_HEALTH_LISTEN,
	EV_HEALTH_CONN,
	EV_CTL_LISTEN,
	EV_CTL_CONN,
	EV_SIGNAL,
	EV_TIMER,
};

#define EV_ID(t, i)	(((uint64_t)(t) << 32) | (uint32_t)(i))

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/*
 * Canonical (direction-free) 5-tuple: the endpoint (address, port) that
 * compares lower comes first, so both directions of a flow give one key.
 * Fully zeroed before filling, so it can be compared with memcmp().
 */
struct flow_key {
	uint8_t family;		/* 4 or 6; 0 marks an empty table slot */
	uint8_t proto;
	uint16_t port_lo;	/* host order; 0 when the packet has no ports */
	uint16_t port_hi;
	uint8_t pad[2];
	uint8_t addr_lo[16];	/* IPv4 uses the first 4 bytes */
	uint8_t addr_hi[16];
};

struct flow_entry {
	struct flow_key key;
	uint64_t pkts;		/* packets of this flow received */
	uint64_t passed;	/* of which the mode let through */
};

/* Open addressing, linear probing, at most 3/4 full. */
struct flow_table {
	struct flow_entry *slots;
	size_t mask;
	size_t count;
	size_t max;
};

/* Where a datagram came from and which local address it was sent to. */
struct pkt_meta {
	union sockaddr_any peer;
	socklen_t peer_len;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} local;
	bool have_local;
	int ifindex;
};

struct gsock {
	int fd;			/* UDP socket bound to the GENEVE port */
	int raw_fd;		/* --keep-ports: raw UDP socket for replies */
	int family;
	union sockaddr_any addr;
	socklen_t addr_len;
};

struct delayed {
	uint8_t *data;
	uint32_t len;
	uint8_t sock;
	uint64_t due_ns;
	struct pkt_meta meta;
};

/* FIFO: one delay for all packets, so due times only grow (see mode_apply). */
struct delay_queue {
	struct delayed *ring;
	size_t head;
	size_t count;
	size_t bytes;
};

struct hconn {
	int fd;
	size_t len;
	uint64_t seq;		/* accept order, to evict the oldest */
	char buf[HEALTH_REQ_MAX];
};

struct cconn {
	int fd;
	uint32_t events;
	bool eof;
	size_t in_len;
	char in[CTL_LINE_MAX];
	char *out;
	size_t out_len;
	size_t out_off;
	size_t out_cap;
};

struct stats {
	uint64_t packets;	/* valid GENEVE datagrams received */
	uint64_t bytes;		/* their UDP payload bytes */
	uint64_t invalid;	/* datagrams that are not valid GENEVE */
	uint64_t unparsed;	/* valid GENEVE, inner packet not IPv4/IPv6 */
	uint64_t echoed;	/* sent back */
	uint64_t dropped;	/* dropped because of the mode */
	uint64_t tx_errors;	/* sendmsg() failed */
	uint64_t flow_overflow;	/* flow not recorded: table at --max-flows */
	uint64_t queue_overflow; /* delay queue full */
};

struct app {
	/* configuration */
	struct gsock geneve[2];
	int n_geneve;
	uint16_t port;
	bool keep_ports;
	int ttl;
	uint16_t health_port;
	union sockaddr_any health_addr;
	socklen_t health_addr_len;
	int health_status;
	const char *ctl_path;
	const char *stats_path;
	size_t max_flows;

	/* state */
	struct mode_cfg mode;
	struct mode_cfg usr1_saved;	/* mode SIGUSR1 returns to */
	int epfd;
	int sigfd;
	int timerfd;
	int health_fd;
	int ctl_fd;
	uint64_t hseq;
	struct hconn hconns[HEALTH_CONNS];
	struct cconn cconns[CTL_CONNS];
	struct flow_table flows;
	struct delay_queue dq;
	struct stats st;
	bool stop;
	uint8_t rxbuf[PKT_BUF_LEN];
	uint8_t txbuf[UDP_HDR_LEN + PKT_BUF_LEN];
};

/* ---- small helpers ------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2))) logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ep_add(struct app *a, int fd, uint32_t events, uint64_t id)
{
	struct epoll_event ev = { .events = events, .data.u64 = id };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static const char *sa_str(const union sockaddr_any *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sa->sin6.sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sa->sin6.sin6_port));
	} else {
		inet_ntop(AF_INET, &sa->sin.sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sa->sin.sin_port));
	}
	return buf;
}

/* ---- flow key and table -------------------------------------------------- */

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* The murmur3 finalizer: spreads every input bit over all output bits. */
static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * The documented flow hash (README: subset mode): 32-bit FNV-1a over
 * family, proto, addr_lo, port_lo (big endian), addr_hi, port_hi, then
 * fmix32 -- FNV's low bits depend only on the inputs' low bits, which would
 * make "hash % 4" useless.  Tests compute it themselves to predict which
 * flows subset mode lets through.
 */
static uint32_t flow_hash(const struct flow_key *k)
{
	size_t alen = k->family == 4 ? 4 : 16;
	uint8_t b[2];
	uint32_t h = 2166136261u;

	h = fnv1a(h, &k->family, 1);
	h = fnv1a(h, &k->proto, 1);
	h = fnv1a(h, k->addr_lo, alen);
	b[0] = (uint8_t)(k->port_lo >> 8);
	b[1] = (uint8_t)k->port_lo;
	h = fnv1a(h, b, 2);
	h = fnv1a(h, k->addr_hi, alen);
	b[0] = (uint8_t)(k->port_hi >> 8);
	b[1] = (uint8_t)k->port_hi;
	return fmix32(fnv1a(h, b, 2));
}

static void flow_key_make(struct flow_key *k, uint8_t family, uint8_t proto,
			  const uint8_t *sa, uint16_t sp,
			  const uint8_t *da, uint16_t dp)
{
	size_t alen = family == 4 ? 4 : 16;
	int c = memcmp(sa, da, alen);
	bool swap = c > 0 || (c == 0 && sp > dp);

	memset(k, 0, sizeof(*k));
	k->family = family;
	k->proto = proto;
	memcpy(k->addr_lo, swap ? da : sa, alen);
	memcpy(k->addr_hi, swap ? sa : da, alen);
	k->port_lo = swap ? dp : sp;
	k->port_hi = swap ? sp : dp;
}

static int flow_table_init(struct flow_table *t, size_t max)
{
	size_t cap = 16;

	while (cap < max + max / 3 + 1)
		cap <<= 1;
	/* calloc'd pages stay unmapped until touched: a big table is cheap. */
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->mask = cap - 1;
	t->count = 0;
	t->max = max;
	return 0;
}

static void flow_table_clear(struct flow_table *t)
{
	struct flow_entry *fresh = calloc(t->mask + 1, sizeof(*fresh));

	if (fresh) {
		free(t->slots);
		t->slots = fresh;
	} else {
		memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	}
	t->count = 0;
}

/* Find or insert; NULL when the flow is new and the table is at its max. */
static struct flow_entry *flow_table_get(struct flow_table *t,
					 const struct flow_key *k, uint32_t hash)
{
	size_t i = hash & t->mask;

	/* Terminates: count <= max < capacity, so an empty slot exists. */
	for (;;) {
		struct flow_entry *e = &t->slots[i];

		if (!e->key.family) {
			if (t->count >= t->max)
				return NULL;
			e->key = *k;
			t->count++;
			return e;
		}
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
		i = (i + 1) & t->mask;
	}
}

/* ---- packet parsing ------------------------------------------------------ */

static bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

static int parse_ipv4(const uint8_t *p, size_t len, struct flow_key *k)
{
	size_t ihl;
	uint16_t sp = 0, dp = 0;
	bool later_frag;

	if (len < 20 || (p[0] >> 4) != 4)
		return -1;
	ihl = (p[0] & 0x0fu) * 4u;
	if (ihl < 20 || ihl > len)
		return -1;
	/* Only the first fragment carries the ports. */
	later_frag = (rd16(p + 6) & 0x1fff) != 0;
	if (!later_frag && proto_has_ports(p[9]) && len >= ihl + 4) {
		sp = rd16(p + ihl);
		dp = rd16(p + ihl + 2);
	}
	flow_key_make(k, 4, p[9], p + 12, sp, p + 16, dp);
	return 0;
}

static int parse_ipv6(const uint8_t *p, size_t len, struct flow_key *k)
{
	size_t off = 40;
	uint8_t nh;
	uint16_t sp = 0, dp = 0;
	bool later_frag = false;
	int hops;

	if (len < 40 || (p[0] >> 4) != 6)
		return -1;
	nh = p[6];
	/* Walk the extension headers that may sit before the L4 header. */
	for (hops = 0; hops < 8 && off + 8 <= len; hops++) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS) {
			nh = p[off];
			off += (p[off + 1] + 1u) * 8u;
		} else if (nh == IPPROTO_FRAGMENT) {
			later_frag = (rd16(p + off + 2) & 0xfff8) != 0;
			nh = p[off];
			off += 8;
		} else if (nh == IPPROTO_AH) {
			nh = p[off];
			off += (p[off + 1] + 2u) * 4u;
		} else {
			break;
		}
	}
	if (!later_frag && proto_has_ports(nh) && off + 4 <= len) {
		sp = rd16(p + off);
		dp = rd16(p + off + 2);
	}
	flow_key_make(k, 6, nh, p + 8, sp, p + 24, dp);
	return 0;
}

/* Inner packet of GENEVE protocol type @ptype to a flow key; -1 if not IP. */
static int parse_inner(const uint8_t *p, size_t len, uint16_t ptype,
		       struct flow_key *k)
{
	if (ptype == ETH_P_TEB) {
		size_t off = 14;
		int tags;

		if (len < off)
			return -1;
		ptype = rd16(p + 12);
		for (tags = 0; tags < 2 &&
		     (ptype == ETH_P_VLAN || ptype == ETH_P_QINQ); tags++) {
			if (len < off + 4)
				return -1;
			ptype = rd16(p + off + 2);
			off += 4;
		}
		p += off;
		len -= off;
	}
	if (ptype == ETH_P_IPV4)
		return parse_ipv4(p, len, k);
	if (ptype == ETH_P_IPV6)
		return parse_ipv6(p, len, k);
	return -1;
}

/*
 * Minimal GENEVE check: version 0 and the options fit.  Returns the length
 * of header plus options, or -1.
 */
static int geneve_check(const uint8_t *p, size_t len, uint16_t *ptype)
{
	size_t hlen;

	if (len < GENEVE_HDR_LEN || (p[0] >> 6) != 0)
		return -1;
	hlen = GENEVE_HDR_LEN + (p[0] & 0x3fu) * 4u;
	if (hlen > len)
		return -1;
	*ptype = rd16(p + 2);
	return (int)hlen;
}

/* ---- sending ------------------------------------------------------------- */

/* Reply from the address the datagram was sent to, even on a wildcard bind. */
static void add_pktinfo(struct msghdr *msg, void *cbuf, size_t cbuf_len,
			int family, const struct pkt_meta *m)
{
	struct cmsghdr *cm;

	if (!m->have_local)
		return;
	msg->msg_control = cbuf;
	msg->msg_controllen = cbuf_len;
	cm = CMSG_FIRSTHDR(msg);
	if (!cm)
		return;		/* cannot happen: cbuf fits either pktinfo */
	if (family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = m->local.v4 };

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = m->local.v6 };

		/* A link-local source is only meaningful on its interface. */
		if (IN6_IS_ADDR_LINKLOCAL(&m->local.v6))
			pi.ipi6_ifindex = (unsigned int)m->ifindex;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* UDP checksum over the IPv4 pseudo header; returned in network order. */
static uint16_t udp4_csum(struct in_addr src, struct in_addr dst,
			  const uint8_t *udp, size_t len)
{
	uint8_t ph[12];
	uint16_t c;

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	c = csum_fold(csum_add(csum_add(0, ph, sizeof(ph)), udp, len));
	return htons(c ? c : 0xffff);
}

/* Default: from our GENEVE port to the sender's address on the GENEVE port. */
static int send_udp(struct app *a, struct gsock *g, const struct pkt_meta *m,
		    const uint8_t *p, size_t len)
{
	union sockaddr_any dst = m->peer;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &dst,
		.msg_namelen = m->peer_len,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	if (g->family == AF_INET)
		dst.sin.sin_port = htons(a->port);
	else
		dst.sin6.sin6_port = htons(a->port);
	add_pktinfo(&msg, cbuf.buf, sizeof(cbuf.buf), g->family, m);
	return sendmsg(g->fd, &msg, MSG_DONTWAIT) < 0 ? -1 : 0;
}

/*
 * --keep-ports: what AWS GWLB appliances do.  Addresses swapped, UDP ports
 * as received (source = the sender's source port, destination = the GENEVE
 * port), which a bound UDP socket cannot send, so build the UDP header on a
 * raw socket.
 */
static int send_raw(struct app *a, struct gsock *g, const struct pkt_meta *m,
		    const uint8_t *p, size_t len)
{
	union sockaddr_any dst = m->peer;
	uint8_t *u = a->txbuf;
	size_t ulen = len + UDP_HDR_LEN;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = u, .iov_len = ulen };
	struct msghdr msg = {
		.msg_name = &dst,
		.msg_namelen = m->peer_len,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	uint16_t sport, dport = htons(a->port), ulen_be = htons((uint16_t)ulen);

	if (ulen > 0xffff) {
		errno = EMSGSIZE;
		return -1;
	}
	sport = g->family == AF_INET ? m->peer.sin.sin_port :
				       m->peer.sin6.sin6_port;
	memcpy(u, &sport, 2);
	memcpy(u + 2, &dport, 2);
	memcpy(u + 4, &ulen_be, 2);
	memset(u + 6, 0, 2);
	memcpy(u + UDP_HDR_LEN, p, len);
	if (g->family == AF_INET) {
		uint16_t c = 0;

		if (m->have_local)
			c = udp4_csum(m->local.v4, m->peer.sin.sin_addr, u, ulen);
		memcpy(u + 6, &c, 2);
		dst.sin.sin_port = 0;
	} else {
		/* The kernel fills the checksum: IPV6_CHECKSUM at open. */
		dst.sin6.sin6_port = 0;
	}
	add_pktinfo(&msg, cbuf.buf, sizeof(cbuf.buf), g->family, m);
	return sendmsg(g->raw_fd, &msg, MSG_DONTWAIT) < 0 ? -1 : 0;
}

static void send_reply(struct app *a, struct gsock *g, const struct pkt_meta *m,
		       const uint8_t *p, size_t len)
{
	int rc = a->keep_ports ? send_raw(a, g, m, p, len) :
				 send_udp(a, g, m, p, len);

	if (rc < 0)
		a->st.tx_errors++;
	else
		a->st.echoed++;
}

/* ---- delay queue --------------------------------------------------------- */

static void timer_arm(struct app *a, uint64_t due_ns)
{
	struct itimerspec its = { 0 };

	/* An all-zero it_value disarms; a due time is never 0 otherwise. */
	its.it_value.tv_sec = (time_t)(due_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(due_ns % 1000000000ull);
	timerfd_settime(a->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static struct delayed *dq_at(struct delay_queue *q, size_t i)
{
	return &q->ring[(q->head + i) % DELAY_QUEUE_PKTS];
}

static void dq_pop(struct delay_queue *q)
{
	struct delayed *d = dq_at(q, 0);

	q->bytes -= d->len;
	free(d->data);
	d->data = NULL;
	q->head = (q->head + 1) % DELAY_QUEUE_PKTS;
	q->count--;
}

static void delay_enqueue(struct app *a, int sock, const struct pkt_meta *m,
			  const uint8_t *p, size_t len)
{
	struct delay_queue *q = &a->dq;
	struct delayed *d;

	if (!q->ring) {
		q->ring = calloc(DELAY_QUEUE_PKTS, sizeof(*q->ring));
		if (!q->ring)
			goto overflow;
	}
	if (q->count == DELAY_QUEUE_PKTS || q->bytes + len > DELAY_QUEUE_BYTES)
		goto overflow;
	d = dq_at(q, q->count);
	d->data = malloc(len);
	if (!d->data)
		goto overflow;
	memcpy(d->data, p, len);
	d->len = (uint32_t)len;
	d->sock = (uint8_t)sock;
	d->meta = *m;
	d->due_ns = now_ns() + a->mode.delay_ms * 1000000ull;
	q->bytes += len;
	if (q->count++ == 0)
		timer_arm(a, d->due_ns);
	return;
overflow:
	a->st.queue_overflow++;
}

/* Send what is due (everything if @flush), then re-arm for the rest. */
static void delay_run(struct app *a, bool flush)
{
	struct delay_queue *q = &a->dq;
	uint64_t now = now_ns();

	while (q->count) {
		struct delayed *d = dq_at(q, 0);

		if (!flush && d->due_ns > now)
			break;
		send_reply(a, &a->geneve[d->sock], &d->meta, d->data, d->len);
		dq_pop(q);
	}
	timer_arm(a, q->count ? dq_at(q, 0)->due_ns : 0);
}

static void delay_drop_all(struct app *a)
{
	while (a->dq.count) {
		dq_pop(&a->dq);
		a->st.dropped++;
	}
	timer_arm(a, 0);
}

static void on_timer(struct app *a)
{
	uint64_t expirations;

	if (read(a->timerfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		logmsg("timerfd read: %s", strerror(errno));
	delay_run(a, false);
}

/* ---- data path ----------------------------------------------------------- */

static bool mode_passes(const struct app *a, bool have_flow, uint32_t hash)
{
	switch (a->mode.mode) {
	case MODE_NORMAL:
	case MODE_DELAY:
		return true;
	case MODE_SUBSET:
		/* Without a flow there is no hash to decide by: drop. */
		return have_flow && hash % a->mode.subset_m == a->mode.subset_k;
	case MODE_BLACKHOLE:
	case MODE_DOWN:
		break;
	}
	return false;
}

static void handle_packet(struct app *a, int sock, const struct pkt_meta *m,
			  const uint8_t *p, size_t len)
{
	struct flow_entry *fe = NULL;
	struct flow_key key;
	uint32_t hash = 0;
	uint16_t ptype;
	bool have_flow;
	int hlen = geneve_check(p, len, &ptype);

	if (hlen < 0) {
		a->st.invalid++;
		return;
	}
	a->st.packets++;
	a->st.bytes += len;
	have_flow = parse_inner(p + hlen, len - (size_t)hlen, ptype, &key) == 0;
	if (have_flow) {
		hash = flow_hash(&key);
		fe = flow_table_get(&a->flows, &key, hash);
		if (fe)
			fe->pkts++;
		else
			a->st.flow_overflow++;
	} else {
		a->st.unparsed++;
	}
	if (!mode_passes(a, have_flow, hash)) {
		a->st.dropped++;
		return;
	}
	if (fe)
		fe->passed++;
	if (a->mode.mode == MODE_DELAY && a->mode.delay_ms)
		delay_enqueue(a, sock, m, p, len);
	else
		send_reply(a, &a->geneve[sock], m, p, len);
}

static void read_pktinfo(struct msghdr *msg, struct pkt_meta *m)
{
	struct cmsghdr *cm;

	m->have_local = false;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			m->local.v4 = pi.ipi_addr;
			m->ifindex = pi.ipi_ifindex;
			m->have_local = true;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			m->local.v6 = pi.ipi6_addr;
			m->ifindex = (int)pi.ipi6_ifindex;
			m->have_local = true;
		}
	}
}

static void on_geneve(struct app *a, int sock)
{
	struct gsock *g = &a->geneve[sock];
	int i;

	for (i = 0; i < RX_BURST; i++) {
		struct pkt_meta m;
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				 CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { .iov_base = a->rxbuf,
				     .iov_len = sizeof(a->rxbuf) };
		struct msghdr msg = {
			.msg_name = &m.peer,
			.msg_namelen = sizeof(m.peer),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n = recvmsg(g->fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				logmsg("recvmsg: %s", strerror(errno));
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			a->st.invalid++;
			continue;
		}
		m.peer_len = msg.msg_namelen;
		read_pktinfo(&msg, &m);
		handle_packet(a, sock, &m, a->rxbuf, (size_t)n);
	}
}

/* ---- GENEVE sockets ------------------------------------------------------ */

static int set_ttl(int fd, int family, int ttl)
{
	if (ttl < 0)
		return 0;
	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
			  sizeof(ttl));
}

/* Send-only raw UDP socket; a drop-all filter keeps its receive queue empty. */
static int raw_open(struct app *a, struct gsock *g)
{
	static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int off = 6;	/* UDP checksum offset, for IPV6_CHECKSUM */

	g->raw_fd = socket(g->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   IPPROTO_UDP);
	if (g->raw_fd < 0) {
		logmsg("--keep-ports: raw socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(g->raw_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0 ||
	    (g->family == AF_INET6 &&
	     setsockopt(g->raw_fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off,
			sizeof(off)) < 0) ||
	    set_ttl(g->raw_fd, g->family, a->ttl) < 0) {
		logmsg("--keep-ports: raw socket options: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int geneve_open(struct app *a, struct gsock *g, int idx)
{
	char s[INET6_ADDRSTRLEN + 16];
	int one = 1, rcvbuf = 4 << 20;

	g->raw_fd = -1;
	g->fd = socket(g->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd < 0) {
		int e = errno;

		logmsg("GENEVE socket (%s): %s",
		       g->family == AF_INET ? "IPv4" : "IPv6", strerror(e));
		errno = e;	/* the caller tells "no IPv6" from real errors */
		return -1;
	}
	/* v4 and v6 listeners are separate sockets, so v6 must not grab v4. */
	if ((g->family == AF_INET6 &&
	     (setsockopt(g->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	      setsockopt(g->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			 sizeof(one)) < 0)) ||
	    (g->family == AF_INET &&
	     setsockopt(g->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) ||
	    set_ttl(g->fd, g->family, a->ttl) < 0) {
		logmsg("GENEVE socket options: %s", strerror(errno));
		return -1;
	}
	/* Best effort: bursts from a load generator should not overflow. */
	setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(g->fd, &g->addr.sa, g->addr_len) < 0) {
		logmsg("--listen: cannot bind UDP %s: %s",
		       sa_str(&g->addr, s, sizeof(s)), strerror(errno));
		return -1;
	}
	if (a->keep_ports && raw_open(a, g) < 0)
		return -1;
	return ep_add(a, g->fd, EPOLLIN, EV_ID(EV_GENEVE, idx));
}

/* ---- health port --------------------------------------------------------- */

static void hconn_close(struct app *a, struct hconn *c)
{
	(void)a;
	if (c->fd >= 0)
		close(c->fd);	/* also removes it from epoll */
	c->fd = -1;
	c->len = 0;
}

static void health_close_all(struct app *a)
{
	int i;

	for (i = 0; i < HEALTH_CONNS; i++)
		hconn_close(a, &a->hconns[i]);
	if (a->health_fd >= 0)
		close(a->health_fd);
	a->health_fd = -1;
}

static int health_open(struct app *a, char *err, size_t errlen)
{
	char s[INET6_ADDRSTRLEN + 16];
	int one = 1, zero = 0;
	int fd;

	fd = socket(a->health_addr.sa.sa_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "health socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" serves IPv4 checks too. */
	if (a->health_addr.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, &a->health_addr.sa, a->health_addr_len) < 0 ||
	    listen(fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on TCP %s: %s",
			 sa_str(&a->health_addr, s, sizeof(s)), strerror(errno));
		close(fd);
		return -1;
	}
	if (ep_add(a, fd, EPOLLIN, EV_ID(EV_HEALTH_LISTEN, 0)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(fd);
		return -1;
	}
	a->health_fd = fd;
	return 0;
}

static const char *http_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "Status";
}

static void health_respond(struct app *a, struct hconn *c)
{
	char resp[512], body[128];
	char method[16] = "", path[256] = "";
	bool head;
	int code, n;

	if (sscanf(c->buf, "%15s %255s", method, path) != 2)
		code = 400;
	else if (strcmp(path, "/health") && strncmp(path, "/health?", 8))
		code = 404;
	else
		code = a->health_status;
	head = !strcmp(method, "HEAD");
	snprintf(body, sizeof(body), "%d %s mode=%s\n", code, http_reason(code),
		 mode_names[a->mode.mode]);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 %d %s\r\n"
		     "Content-Type: text/plain\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     code, http_reason(code), strlen(body), head ? "" : body);
	/* Fits the fresh socket's send buffer; nothing to wait for. */
	if (send(c->fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		logmsg("health reply: %s", strerror(errno));
	hconn_close(a, c);
}

static void on_health_conn(struct app *a, int idx)
{
	struct hconn *c = &a->hconns[idx];
	ssize_t n;

	if (c->fd < 0)
		return;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		hconn_close(a, c);	/* TCP-connect checks end here */
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n") ||
	    c->len == sizeof(c->buf) - 1)
		health_respond(a, c);
}

/* Bounded connection slots: a stalled client costs at most the oldest slot. */
static struct hconn *hconn_slot(struct app *a)
{
	struct hconn *oldest = &a->hconns[0];
	int i;

	for (i = 0; i < HEALTH_CONNS; i++) {
		if (a->hconns[i].fd < 0)
			return &a->hconns[i];
		if (a->hconns[i].seq < oldest->seq)
			oldest = &a->hconns[i];
	}
	hconn_close(a, oldest);
	return oldest;
}

static void on_health_listen(struct app *a)
{
	for (;;) {
		struct hconn *c;
		int fd;

		if (a->health_fd < 0)
			return;
		fd = accept4(a->health_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				logmsg("health accept: %s", strerror(errno));
			return;
		}
		c = hconn_slot(a);
		c->fd = fd;
		c->len = 0;
		c->seq = ++a->hseq;
		if (ep_add(a, fd, EPOLLIN, EV_ID(EV_HEALTH_CONN, c - a->hconns)) < 0)
			hconn_close(a, c);
	}
}

/* ---- modes --------------------------------------------------------------- */

static int mode_apply(struct app *a, const struct mode_cfg *c, char *err,
		      size_t errlen)
{
	if (c->mode != MODE_DOWN && a->health_fd < 0 && a->health_port &&
	    health_open(a, err, errlen) < 0)
		return -1;
	if (c->mode == MODE_DOWN)
		health_close_all(a);
	a->mode = *c;
	/*
	 * Packets already held keep their due time under a new delay.  Any
	 * other mode sends them now, unless it drops everything.
	 */
	if (c->mode == MODE_BLACKHOLE || c->mode == MODE_DOWN)
		delay_drop_all(a);
	else if (c->mode != MODE_DELAY || !c->delay_ms)
		delay_run(a, true);
	if (c->mode == MODE_DELAY)
		logmsg("mode delay %u ms", c->delay_ms);
	else if (c->mode == MODE_SUBSET)
		logmsg("mode subset %" PRIu32 " %" PRIu32, c->subset_m,
		       c->subset_k);
	else
		logmsg("mode %s", mode_names[c->mode]);
	return 0;
}

static int tokenize(char *s, char **tok, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, " \t\r\n:", &save); t;
	     t = strtok_r(NULL, " \t\r\n:", &save)) {
		if (n == max)
			return -1;
		tok[n++] = t;
	}
	return n;
}

/* Strict decimal parse of [min, max]; no sign, no trailing junk. */
static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "normal", "delay 50", "subset 4 1", ... as words; error text in @err. */
static int mode_parse(char **w, int n, struct mode_cfg *c, char *err,
		      size_t errlen)
{
	unsigned long v1, v2;

	memset(c, 0, sizeof(*c));
	if (n < 1)
		goto usage;
	if (!strcmp(w[0], "normal") && n == 1) {
		c->mode = MODE_NORMAL;
	} else if (!strcmp(w[0], "blackhole") && n == 1) {
		c->mode = MODE_BLACKHOLE;
	} else if (!strcmp(w[0], "down") && n == 1) {
		c->mode = MODE_DOWN;
	} else if (!strcmp(w[0], "delay") && n == 2) {
		if (parse_ulong(w[1], 0, DELAY_MS_MAX, &v1) < 0) {
			snprintf(err, errlen,
				 "delay: '%s' is not a number of ms in 0-%d",
				 w[1], DELAY_MS_MAX);
			return -1;
		}
		c->mode = MODE_DELAY;
		c->delay_ms = (unsigned int)v1;
	} else if (!strcmp(w[0], "subset") && n == 3) {
		if (parse_ulong(w[1], 1, UINT32_MAX, &v1) < 0 ||
		    parse_ulong(w[2], 0, v1 - 1, &v2) < 0) {
			snprintf(err, errlen,
				 "subset: need M >= 1 and 0 <= K < M, got '%s' '%s'",
				 w[1], w[2]);
			return -1;
		}
		c->mode = MODE_SUBSET;
		c->subset_m = (uint32_t)v1;
		c->subset_k = (uint32_t)v2;
	} else {
		goto usage;
	}
	return 0;
usage:
	snprintf(err, errlen,
		 "mode: expected normal | blackhole | down | delay <ms> | subset <M> <K>");
	return -1;
}

static void toggle_blackhole(struct app *a)
{
	struct mode_cfg bh = { .mode = MODE_BLACKHOLE };
	char err[256];

	if (a->mode.mode == MODE_BLACKHOLE) {
		if (mode_apply(a, &a->usr1_saved, err, sizeof(err)) < 0)
			logmsg("SIGUSR1: %s", err);
		return;
	}
	a->usr1_saved = a->mode;
	if (mode_apply(a, &bh, err, sizeof(err)) < 0)
		logmsg("SIGUSR1: %s", err);
}

/* ---- output: control replies and the stats file -------------------------- */

struct out {
	FILE *f;
	struct cconn *c;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	struct cconn *c = o->c;
	va_list ap;
	int n;

	if (o->failed)
		return;
	if (o->f) {
		va_start(ap, fmt);
		if (vfprintf(o->f, fmt, ap) < 0)
			o->failed = true;
		va_end(ap);
		return;
	}
	for (;;) {
		size_t room = c->out_cap - c->out_len;

		va_start(ap, fmt);
		n = vsnprintf(c->out + c->out_len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < room) {
			c->out_len += (size_t)n;
			return;
		}
		{
			size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
			char *p;

			while (cap - c->out_len <= (size_t)n)
				cap *= 2;
			p = realloc(c->out, cap);
			if (!p) {
				o->failed = true;
				return;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
}

static void write_stats(struct app *a, struct out *o)
{
	const struct stats *s = &a->st;

	out_printf(o,
		   "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		   ",\"flows\":%zu,\"invalid\":%" PRIu64 ",\"mode\":\"%s\""
		   ",\"delay_ms\":%u,\"subset_m\":%" PRIu32
		   ",\"subset_k\":%" PRIu32 ",\"echoed\":%" PRIu64
		   ",\"dropped\":%" PRIu64 ",\"unparsed\":%" PRIu64
		   ",\"queued\":%zu,\"tx_errors\":%" PRIu64
		   ",\"flow_overflow\":%" PRIu64 ",\"queue_overflow\":%" PRIu64
		   ",\"health_status\":%d,\"health_listening\":%s}\n",
		   s->packets, s->bytes, a->flows.count, s->invalid,
		   mode_names[a->mode.mode], a->mode.delay_ms,
		   a->mode.subset_m, a->mode.subset_k, s->echoed, s->dropped,
		   s->unparsed, a->dq.count, s->tx_errors, s->flow_overflow,
		   s->queue_overflow, a->health_status,
		   a->health_fd >= 0 ? "true" : "false");
}

static void write_flows(struct app *a, struct out *o, bool counts)
{
	size_t i;

	for (i = 0; i <= a->flows.mask && !o->failed; i++) {
		const struct flow_entry *e = &a->flows.slots[i];
		int af = e->key.family == 4 ? AF_INET : AF_INET6;
		char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];

		if (!e->key.family)
			continue;
		inet_ntop(af, e->key.addr_lo, lo, sizeof(lo));
		inet_ntop(af, e->key.addr_hi, hi, sizeof(hi));
		out_printf(o, "%u %s %u %s %u", e->key.proto, lo,
			   e->key.port_lo, hi, e->key.port_hi);
		if (counts)
			out_printf(o, " %" PRIu64 " %" PRIu64, e->pkts,
				   e->passed);
		out_printf(o, "\n");
	}
	out_printf(o, "end\n");
}

/* Written to a temporary name and renamed, so readers never see half. */
static int write_stats_file(struct app *a)
{
	char tmp[4096];
	struct out o = { 0 };

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", a->stats_path) >=
	    (int)sizeof(tmp)) {
		logmsg("--stats-file: path too long");
		return -1;
	}
	o.f = fopen(tmp, "w");
	if (!o.f) {
		logmsg("--stats-file: cannot create %s: %s", tmp,
		       strerror(errno));
		return -1;
	}
	write_stats(a, &o);
	write_flows(a, &o, false);
	if (fclose(o.f) != 0 || o.failed || rename(tmp, a->stats_path) < 0) {
		logmsg("--stats-file: cannot write %s: %s", a->stats_path,
		       strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- control socket ------------------------------------------------------ */

static void cconn_close(struct cconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void reset_counters(struct app *a)
{
	memset(&a->st, 0, sizeof(a->st));
	flow_table_clear(&a->flows);
}

static void ctl_command(struct app *a, struct cconn *c, char *line)
{
	struct out o = { .c = c };
	char err[256];
	char *w[8];
	int n = tokenize(line, w, 8);

	if (n == 0)
		return;
	if (n < 0) {
		out_printf(&o, "error: too many words\n");
	} else if (!strcmp(w[0], "mode")) {
		struct mode_cfg mc;

		if (mode_parse(w + 1, n - 1, &mc, err, sizeof(err)) < 0 ||
		    mode_apply(a, &mc, err, sizeof(err)) < 0)
			out_printf(&o, "error: %s\n", err);
		else
			out_printf(&o, "ok\n");
	} else if (!strcmp(w[0], "stats") && n == 1) {
		write_stats(a, &o);
	} else if (!strcmp(w[0], "flows") &&
		   (n == 1 || (n == 2 && !strcmp(w[1], "counts")))) {
		write_flows(a, &o, n == 2);
	} else if (!strcmp(w[0], "reset") && n == 1) {
		reset_counters(a);
		out_printf(&o, "ok\n");
	} else if (!strcmp(w[0], "health") && n == 2) {
		unsigned long v;

		if (parse_ulong(w[1], 100, 599, &v) < 0) {
			out_printf(&o, "error: health: '%s' is not an HTTP status (100-599)\n",
				   w[1]);
		} else {
			a->health_status = (int)v;
			out_printf(&o, "ok\n");
		}
	} else if (!strcmp(w[0], "help")) {
		out_printf(&o, "commands: mode normal|blackhole|down|"
			   "delay <ms>|subset <M> <K>; stats; flows [counts]; "
			   "reset; health <code>; help\n");
	} else {
		out_printf(&o, "error: unknown command '%s' (try 'help')\n",
			   w[0]);
	}
	if (o.failed)
		c->eof = true;	/* out of memory: give up on this client */
}

static void ctl_lines(struct app *a, struct cconn *c)
{
	char *nl;

	while ((nl = memchr(c->in, '\n', c->in_len))) {
		size_t used = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		ctl_command(a, c, c->in);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
}

/* Flush output; while some is pending, wait for POLLOUT, not input. */
static void ctl_update(struct app *a, struct cconn *c)
{
	struct epoll_event ev;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			cconn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
		if (c->eof) {
			cconn_close(c);
			return;
		}
	}
	ev.events = c->out_len ? EPOLLOUT : EPOLLIN;
	ev.data.u64 = EV_ID(EV_CTL_CONN, c - a->cconns);
	if (ev.events != c->events) {
		if (epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
			cconn_close(c);
			return;
		}
		c->events = ev.events;
	}
}

static void ctl_read(struct app *a, struct cconn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->eof = true;
		return;
	}
	if (n == 0) {
		/* A last command without newline still counts. */
		if (c->in_len && c->in_len < sizeof(c->in)) {
			c->in[c->in_len] = '\0';
			ctl_command(a, c, c->in);
		}
		c->in_len = 0;
		c->eof = true;
		return;
	}
	c->in_len += (size_t)n;
	ctl_lines(a, c);
	if (c->in_len == sizeof(c->in)) {
		struct out o = { .c = c };

		out_printf(&o, "error: line longer than %d bytes\n",
			   CTL_LINE_MAX - 1);
		c->in_len = 0;
		c->eof = true;
	}
}

static void on_ctl_conn(struct app *a, int idx, uint32_t events)
{
	struct cconn *c = &a->cconns[idx];

	if (c->fd < 0)
		return;
	if (events & EPOLLIN)
		ctl_read(a, c);
	else if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLOUT))
		c->eof = true;
	ctl_update(a, c);
}

static void on_ctl_listen(struct app *a)
{
	for (;;) {
		struct cconn *c = NULL;
		int fd, i;

		fd = accept4(a->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				logmsg("control accept: %s", strerror(errno));
			return;
		}
		for (i = 0; i < CTL_CONNS && !c; i++)
			if (a->cconns[i].fd < 0)
				c = &a->cconns[i];
		if (!c) {
			static const char busy[] = "error: too many control clients\n";

			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				logmsg("control: %s", strerror(errno));
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		if (ep_add(a, fd, EPOLLIN, EV_ID(EV_CTL_CONN, c - a->cconns)) < 0)
			cconn_close(c);
	}
}

static int ctl_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		logmsg("--control: path '%s' is longer than %zu bytes", path,
		       sizeof(sun->sun_path) - 1);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* A socket file left by a dead instance is replaced; a live one is not. */
static int ctl_check_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		logmsg("--control: '%s' exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		logmsg("--control: '%s' is in use by a running process", path);
		return -1;
	}
	unlink(path);
	return 0;
}

static int ctl_open(struct app *a)
{
	struct sockaddr_un sun;
	mode_t old;
	int rc;

	if (ctl_sockaddr(a->ctl_path, &sun) < 0 ||
	    ctl_check_stale(a->ctl_path, &sun) < 0)
		return -1;
	a->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->ctl_fd < 0) {
		logmsg("--control: socket: %s", strerror(errno));
		return -1;
	}
	/* Owner only: the socket can break the data path. */
	old = umask(0077);
	rc = bind(a->ctl_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(a->ctl_fd, 16) < 0) {
		logmsg("--control: cannot listen on '%s': %s", a->ctl_path,
		       strerror(errno));
		return -1;
	}
	return ep_add(a, a->ctl_fd, EPOLLIN, EV_ID(EV_CTL_LISTEN, 0));
}

/* ---- control client (--ctl) ---------------------------------------------- */

static int ctl_client(const char *path, int argc, char **argv)
{
	struct timeval tv = { .tv_sec = CTL_CLIENT_TIMEOUT_S };
	struct sockaddr_un sun;
	char line[CTL_LINE_MAX + 1] = "", buf[65536];
	size_t len = 0, off = 0;
	bool first = true, is_error = false;
	int fd, i;

	if (argc < 1) {
		logmsg("--ctl: no command given (try: --ctl PATH stats)");
		return 2;
	}
	for (i = 0; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s",
				 i ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(line) - len - 1) {
			logmsg("--ctl: command too long");
			return 2;
		}
		len += (size_t)n;
	}
	line[len++] = '\n';
	if (ctl_sockaddr(path, &sun) < 0)
		return 2;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		logmsg("--ctl: cannot connect to '%s': %s", path,
		       strerror(errno));
		return 2;
	}
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			logmsg("--ctl: send: %s", strerror(errno));
			return 2;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);	/* the server answers, then closes */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0)
			break;
		if (n < 0) {
			logmsg("--ctl: %s", errno == EAGAIN ?
			       "timed out waiting for the reply" :
			       strerror(errno));
			return 2;
		}
		if (first)
			is_error = n >= 6 && !memcmp(buf, "error:", 6);
		first = false;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return is_error ? 1 : 0;
}

/* ---- signals and main loop ----------------------------------------------- */

static int signals_open(struct app *a)
{
	sigset_t set;

	/* Writes to a vanished peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0)
		return -1;
	return ep_add(a, a->sigfd, EPOLLIN, EV_ID(EV_SIGNAL, 0));
}

static void on_signal(struct app *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			toggle_blackhole(a);
		else
			a->stop = true;
	}
}

static void dispatch(struct app *a, const struct epoll_event *ev)
{
	int idx = (int)(uint32_t)ev->data.u64;

	switch ((enum ev_type)(ev->data.u64 >> 32)) {
	case EV_GENEVE:
		on_geneve(a, idx);
		break;
	case EV_HEALTH_LISTEN:
		on_health_listen(a);
		break;
	case EV_HEALTH_CONN:
		on_health_conn(a, idx);
		break;
	case EV_CTL_LISTEN:
		on_ctl_listen(a);
		break;
	case EV_CTL_CONN:
		on_ctl_conn(a, idx, ev->events);
		break;
	case EV_SIGNAL:
		on_signal(a);
		break;
	case EV_TIMER:
		on_timer(a);
		break;
	}
}

static int run(struct app *a)
{
	struct epoll_event evs[EPOLL_EVENTS];

	while (!a->stop) {
		int i, n = epoll_wait(a->epfd, evs, EPOLL_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			logmsg("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++)
			dispatch(a, &evs[i]);
	}
	return 0;
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [OPTIONS]\n"
"       " PROG " --ctl PATH COMMAND [ARGS...]\n"
"\n"
"Reference GENEVE inline appliance (AWS Gateway Load Balancer contract):\n"
"returns every valid GENEVE datagram to its sender unchanged and counts the\n"
"inner flows it saw.  Runs on kernel sockets, e.g. in a network namespace.\n"
"\n"
"Data path:\n"
"  -l, --listen ADDR         GENEVE listen address, IPv4 or IPv6; give it\n"
"                            once per family (at most twice). Default: both\n"
"                            0.0.0.0 and :: (IPv6 skipped if unavailable)\n"
"  -p, --port N              GENEVE UDP port (default 6081); replies go to\n"
"                            the sender's address on this port\n"
"      --keep-ports          reply with the UDP ports as received (source =\n"
"                            sender's source port, destination = GENEVE\n"
"                            port) like AWS GWLB appliances; default is from\n"
"                            port N to port N. Uses a raw socket (root)\n"
"      --ttl N               TTL / hop limit of replies (1-255; AWS\n"
"                            appliances often use 2). Default: system\n"
"      --max-flows N         distinct flows remembered (default %u,\n"
"                            max %u); more are counted in flow_overflow\n"
"  -m, --mode MODE           initial mode (default normal), see below;\n"
"                            arguments after spaces or ':' (delay:50)\n"
"\n"
"Health port (minimal HTTP/1.0; GET /health):\n"
"  -H, --health-port N       TCP port (default 80; 0 disables)\n"
"      --health-listen ADDR  bind address (default :: dual-stack, or\n"
"                            0.0.0.0 without IPv6)\n"
"      --health-status N     status code for /health (default 200)\n"
"\n"
"Control and reporting:\n"
"  -c, --control PATH        Unix stream socket for one-line commands\n"
"      --stats-file PATH     on SIGINT/SIGTERM write stats JSON + flows here\n"
"      --ctl PATH CMD...     client: send one command to a running\n"
"                            appliance, print the reply; exit 0 ok,\n"
"                            1 error reply, 2 no answer or bad usage\n"
"  -h, --help                this text\n"
"      --version             print the version\n"
"\n"
"Modes:\n"
"  normal          echo every valid packet\n"
"  blackhole       drop everything; health still answers (in-band and\n"
"                  passive detection must catch it)\n"
"  down            drop everything and close the health port (refused)\n"
"  delay MS        echo after MS milliseconds (0-%d)\n"
"  subset M K      echo only flows with flow_hash %% M == K (see README)\n"
"\n"
"Control commands (one a line; reply 'ok', 'error: ...' or data):\n"
"  mode MODE       switch mode          stats          one JSON line\n"
"  flows [counts]  flows, then 'end'    reset          zero counters, flows\n"
"  health CODE     set /health status   help\n"
"\n"
"Signals: SIGUSR1 toggles blackhole (back to the previous mode);\n"
"SIGINT/SIGTERM exit cleanly (writing --stats-file).\n",
		FLOWS_DEFAULT, FLOWS_MAX, DELAY_MS_MAX);
}

enum {
	OPT_KEEP_PORTS = 256,
	OPT_TTL,
	OPT_HEALTH_LISTEN,
	OPT_HEALTH_STATUS,
	OPT_STATS_FILE,
	OPT_MAX_FLOWS,
	OPT_CTL,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "port", required_argument, NULL, 'p' },
	{ "keep-ports", no_argument, NULL, OPT_KEEP_PORTS },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "mode", required_argument, NULL, 'm' },
	{ "health-port", required_argument, NULL, 'H' },
	{ "health-listen", required_argument, NULL, OPT_HEALTH_LISTEN },
	{ "health-status", required_argument, NULL, OPT_HEALTH_STATUS },
	{ "control", required_argument, NULL, 'c' },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "ctl", required_argument, NULL, OPT_CTL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Numeric address (scope ids like fe80::1%eth0 allowed) to a sockaddr. */
static int parse_addr(const char *opt, const char *s, union sockaddr_any *sa,
		      socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res;
	struct in_addr v4;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	size_t n = strlen(s);

	/* Accept "[fd99::1]" too, as URLs write it. */
	if (n > 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(host)) {
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
	} else if (n < sizeof(host)) {
		strcpy(host, s);
	} else {
		host[0] = '\0';
	}
	/* inet_pton first: getaddrinfo() takes legacy forms like "1.2.3". */
	if (!host[0] ||
	    (!strchr(host, ':') && inet_pton(AF_INET, host, &v4) != 1) ||
	    getaddrinfo(host, NULL, &hints, &res) != 0) {
		logmsg("%s: '%s' is not an IPv4 or IPv6 address", opt, s);
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int opt_ulong(const char *opt, const char *s, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	if (parse_ulong(s, min, max, out) == 0)
		return 0;
	logmsg("%s: '%s' is not a number in %lu-%lu", opt, s, min, max);
	return -1;
}

static void set_port(union sockaddr_any *sa, uint16_t port)
{
	if (sa->sa.sa_family == AF_INET)
		sa->sin.sin_port = htons(port);
	else
		sa->sin6.sin6_port = htons(port);
}

static int add_listen(struct app *a, const char *s)
{
	struct gsock *g = &a->geneve[a->n_geneve];
	int i;

	if (a->n_geneve == 2) {
		logmsg("--listen: given more than twice (one IPv4, one IPv6)");
		return -1;
	}
	if (parse_addr("--listen", s, &g->addr, &g->addr_len) < 0)
		return -1;
	g->family = g->addr.sa.sa_family;
	for (i = 0; i < a->n_geneve; i++) {
		if (a->geneve[i].family == g->family) {
			logmsg("--listen: two %s addresses; give one IPv4 and one IPv6",
			       g->family == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
	}
	a->n_geneve++;
	return 0;
}

static int parse_mode_arg(struct app *a, const char *s)
{
	char buf[CTL_LINE_MAX], err[256];
	char *w[8];
	int n;

	if (strlen(s) >= sizeof(buf)) {
		logmsg("--mode: too long");
		return -1;
	}
	strcpy(buf, s);
	n = tokenize(buf, w, 8);
	if (n < 0 || mode_parse(w, n, &a->mode, err, sizeof(err)) < 0) {
		logmsg("--mode '%s': %s", s,
		       n < 0 ? "too many words" : err);
		return -1;
	}
	return 0;
}

/* Returns 0 to run, 1 to exit successfully (--help), -1 on a bad argument. */
static int parse_args(struct app *a, int argc, char **argv, const char **ctl)
{
	const char *health_listen = NULL;
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "+l:p:m:H:c:h", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			if (add_listen(a, optarg) < 0)
				return -1;
			break;
		case 'p':
			if (opt_ulong("--port", optarg, 1, 65535, &v) < 0)
				return -1;
			a->port = (uint16_t)v;
			break;
		case OPT_KEEP_PORTS:
			a->keep_ports = true;
			break;
		case OPT_TTL:
			if (opt_ulong("--ttl", optarg, 1, 255, &v) < 0)
				return -1;
			a->ttl = (int)v;
			break;
		case OPT_MAX_FLOWS:
			if (opt_ulong("--max-flows", optarg, 1, FLOWS_MAX, &v) < 0)
				return -1;
			a->max_flows = v;
			break;
		case 'm':
			if (parse_mode_arg(a, optarg) < 0)
				return -1;
			break;
		case 'H':
			if (opt_ulong("--health-port", optarg, 0, 65535, &v) < 0)
				return -1;
			a->health_port = (uint16_t)v;
			break;
		case OPT_HEALTH_LISTEN:
			health_listen = optarg;
			break;
		case OPT_HEALTH_STATUS:
			if (opt_ulong("--health-status", optarg, 100, 599, &v) < 0)
				return -1;
			a->health_status = (int)v;
			break;
		case 'c':
			a->ctl_path = optarg;
			break;
		case OPT_STATS_FILE:
			a->stats_path = optarg;
			break;
		case OPT_CTL:
			*ctl = optarg;
			return 0;	/* the rest is the command */
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf(PROG " %s\n", GS_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		logmsg("unexpected argument '%s' (try --help)", argv[optind]);
		return -1;
	}
	if (health_listen) {
		if (parse_addr("--health-listen", health_listen,
			       &a->health_addr, &a->health_addr_len) < 0)
			return -1;
	} else {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6,
					     .sin6_addr = IN6ADDR_ANY_INIT };

		memcpy(&a->health_addr.sin6, &any6, sizeof(any6));
		a->health_addr_len = sizeof(any6);
	}
	set_port(&a->health_addr, a->health_port);
	return 0;
}

/* ---- setup --------------------------------------------------------------- */

static void app_defaults(struct app *a)
{
	int i;

	memset(a, 0, offsetof(struct app, rxbuf));
	a->port = GENEVE_PORT_DEFAULT;
	a->ttl = -1;
	a->health_port = 80;
	a->health_status = 200;
	a->max_flows = FLOWS_DEFAULT;
	a->mode.mode = MODE_NORMAL;
	a->epfd = a->sigfd = a->timerfd = a->health_fd = a->ctl_fd = -1;
	for (i = 0; i < 2; i++)
		a->geneve[i].fd = a->geneve[i].raw_fd = -1;
	for (i = 0; i < HEALTH_CONNS; i++)
		a->hconns[i].fd = -1;
	for (i = 0; i < CTL_CONNS; i++)
		a->cconns[i].fd = -1;
}

/* Without --listen: both wildcards; IPv6 is optional there. */
static int geneve_open_all(struct app *a)
{
	bool defaults = a->n_geneve == 0;
	int i;

	if (defaults) {
		a->geneve[0].family = AF_INET;
		a->geneve[0].addr.sin.sin_family = AF_INET;
		a->geneve[0].addr_len = sizeof(struct sockaddr_in);
		a->geneve[1].family = AF_INET6;
		a->geneve[1].addr.sin6.sin6_family = AF_INET6;
		a->geneve[1].addr_len = sizeof(struct sockaddr_in6);
		a->n_geneve = 2;
	}
	for (i = 0; i < a->n_geneve; i++) {
		set_port(&a->geneve[i].addr, a->port);
		if (geneve_open(a, &a->geneve[i], i) == 0)
			continue;
		if (defaults && i == 1 && a->geneve[i].fd < 0 &&
		    errno == EAFNOSUPPORT) {
			logmsg("IPv6 unavailable, listening on IPv4 only");
			a->n_geneve = 1;
			break;
		}
		return -1;
	}
	return 0;
}

static int health_setup(struct app *a)
{
	char err[256];
	bool defaults = a->health_addr.sa.sa_family == AF_INET6 &&
			IN6_IS_ADDR_UNSPECIFIED(&a->health_addr.sin6.sin6_addr);

	if (!a->health_port || a->mode.mode == MODE_DOWN)
		return 0;
	if (health_open(a, err, sizeof(err)) == 0)
		return 0;
	if (defaults && errno == EAFNOSUPPORT) {
		a->health_addr.sin.sin_family = AF_INET;
		a->health_addr.sin.sin_addr.s_addr = htonl(INADDR_ANY);
		a->health_addr.sin.sin_port = htons(a->health_port);
		a->health_addr_len = sizeof(struct sockaddr_in);
		if (health_open(a, err, sizeof(err)) == 0)
			return 0;
	}
	logmsg("--health-port: %s", err);
	return -1;
}

static int setup(struct app *a)
{
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->epfd < 0 || a->timerfd < 0 ||
	    ep_add(a, a->timerfd, EPOLLIN, EV_ID(EV_TIMER, 0)) < 0 ||
	    signals_open(a) < 0) {
		logmsg("event setup: %s", strerror(errno));
		return -1;
	}
	if (flow_table_init(&a->flows, a->max_flows) < 0) {
		logmsg("--max-flows: cannot allocate a table for %zu flows",
		       a->max_flows);
		return -1;
	}
	if (geneve_open_all(a) < 0 || health_setup(a) < 0)
		return -1;
	if (a->ctl_path && ctl_open(a) < 0)
		return -1;
	return 0;
}

static void log_ready(struct app *a)
{
	char s1[64], s2[64], h[64];

	logmsg("ready: GENEVE %s%s%s, health %s, control %s, mode %s",
	       sa_str(&a->geneve[0].addr, s1, sizeof(s1)),
	       a->n_geneve > 1 ? " " : "",
	       a->n_geneve > 1 ? sa_str(&a->geneve[1].addr, s2, sizeof(s2)) : "",
	       a->health_fd >= 0 ? sa_str(&a->health_addr, h, sizeof(h)) : "off",
	       a->ctl_path ? a->ctl_path : "off", mode_names[a->mode.mode]);
}

static void teardown(struct app *a)
{
	int i;

	for (i = 0; i < CTL_CONNS; i++)
		cconn_close(&a->cconns[i]);
	health_close_all(a);
	if (a->ctl_fd >= 0) {
		close(a->ctl_fd);
		unlink(a->ctl_path);
	}
	for (i = 0; i < 2; i++) {
		if (a->geneve[i].fd >= 0)
			close(a->geneve[i].fd);
		if (a->geneve[i].raw_fd >= 0)
			close(a->geneve[i].raw_fd);
	}
	while (a->dq.count)
		dq_pop(&a->dq);
	free(a->dq.ring);
	free(a->flows.slots);
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->epfd >= 0)
		close(a->epfd);
}

int main(int argc, char **argv)
{
	const char *ctl = NULL;
	struct app *a;
	int rc;

	/* ~130 KiB of packet buffers: keep them off the stack. */
	a = malloc(sizeof(*a));
	if (!a) {
		logmsg("out of memory");
		return 1;
	}
	app_defaults(a);
	rc = parse_args(a, argc, argv, &ctl);
	if (rc != 0 || ctl) {
		free(a);
		if (ctl)
			return ctl_client(ctl, argc - optind, argv + optind);
		return rc > 0 ? 0 : 2;
	}
	rc = setup(a);
	if (rc == 0) {
		log_ready(a);
		rc = run(a);
		logmsg("exiting: %" PRIu64 " packets, %zu flows",
		       a->st.packets, a->flows.count);
		if (rc == 0 && a->stats_path && write_stats_file(a) < 0)
			rc = -1;
	}
	teardown(a);
	free(a);
	return rc == 0 ? 0 : 1;
}
