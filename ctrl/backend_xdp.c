/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP backend: gsteerd loads (or re-opens, keeping flows and states) the
 * XDP data plane through kernel/gs_xdp.h, writes appliance states into its
 * maps and reads its per-CPU counters.  In-band probes leave from UDP
 * sockets bound to port 6081 of gsteer's port addresses, as ordinary
 * datagrams through the kernel; the appliance returns them with the UDP ports
 * kept, the XDP program passes probe returns up (pass_probe), and they arrive
 * on those sockets.
 *
 * The maps are indexed by each appliance's position in the config the
 * program was loaded with; this backend keeps its own copy of that config,
 * so a reload cannot shift the indexes under it.  Appliances added by a
 * reload need a gsteerd restart with this backend (docs/xdp.md).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "backend.h"
#include "gs_probe.h"
#include "gs_pkt.h"
#include "gs_xdp.h"
#include "sockaddr.h"

#define XDP_MAX_SRC (GS_MAX_PORTS * GS_MAX_PORT_ADDRS)

struct xdp_src {
	struct gs_ipaddr addr;
	int fd;
};

struct xdp_priv {
	struct gs_config *cfg; /* the one the maps were filled from */
	struct gs_xdp *x;
	struct gs_xdp_stats *st;
	struct xdp_src src[XDP_MAX_SRC];
	uint32_t n_src;
};

static struct xdp_priv *priv(struct gsd *d)
{
	return d->backend->priv;
}

/* where @a sits in the loaded config, or -1 */
static int map_index(struct xdp_priv *p, struct gsd *d, const struct gsd_app *a,
		     uint32_t *group, uint32_t *app)
{
	const char *gname = d->cfg->groups[a->group].name;

	for (uint32_t g = 0; g < p->cfg->n_groups; g++) {
		if (strcmp(p->cfg->groups[g].name, gname) != 0)
			continue;
		for (uint32_t k = 0; k < p->cfg->groups[g].n_appliances; k++) {
			if (strcmp(p->cfg->groups[g].appliances[k].id, a->id) == 0) {
				*group = g;
				*app = k;
				return 0;
			}
		}
	}
	return -1;
}

static void close_sources(struct gsd *d, struct xdp_priv *p)
{
	for (uint32_t i = 0; i < p->n_src; i++) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->src[i].fd, NULL);
		close(p->src[i].fd);
	}
	p->n_src = 0;
}

/* one UDP socket on port 6081 of every port address */
static int open_sources(struct gsd *d, struct xdp_priv *p, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = GSD_TAG_PROBE };
	int one = 1;

	for (uint32_t i = 0; i < p->cfg->dataplane.n_ports; i++) {
		const struct gs_port_cfg *pc = &p->cfg->dataplane.ports[i];

		for (uint32_t k = 0; k < pc->n_addresses && p->n_src < XDP_MAX_SRC; k++) {
			const struct gs_ipaddr *ip = &pc->addresses[k].addr;
			struct sockaddr_storage ss;
			socklen_t sl;
			int fd;

			sl = gsd_sockaddr(ip, GS_GENEVE_UDP_PORT, &ss);
			fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			    bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
			    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
				char a[64];

				snprintf(err, errlen, "probe socket on %s port %u: %s",
					 gs_ipaddr_format(ip, a, sizeof(a)), GS_GENEVE_UDP_PORT,
					 strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
			p->src[p->n_src].addr = *ip;
			p->src[p->n_src].fd = fd;
			p->n_src++;
		}
	}
	return 0;
}

static void xdp_disconnect(struct gsd *d)
{
	struct xdp_priv *p = priv(d);

	close_sources(d, p);
	/* the program stays attached and keeps forwarding */
	if (p->x)
		gs_xdp_close(p->x);
	p->x = NULL;
	gs_config_free(p->cfg);
	p->cfg = NULL;
}

static int xdp_connect(struct gsd *d, char *err, size_t errlen)
{
	struct xdp_priv *p = priv(d);
	char e[512];

	xdp_disconnect(d);
	p->cfg = gs_config_load(d->config_path, e, sizeof(e));
	if (!p->cfg) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	p->x = gs_xdp_open(p->cfg, err, errlen);
	if (!p->x || open_sources(d, p, err, errlen) != 0) {
		xdp_disconnect(d);
		return -1;
	}
	return 0;
}

static int xdp_poll(struct gsd *d, uint64_t now)
{
	struct xdp_priv *p = priv(d);

	if (!p->x || gs_xdp_read_stats(p->x, p->st) != 0)
		return -1;
	d->ft_used = p->st->flows_active;
	d->ft_capacity = p->cfg->dataplane.flow_table_size;
	for (unsigned r = GS_R_OK + 1; r < GS_R_COUNT; r++)
		d->drops[r] = p->st->drops[r];
	json_decref(d->dp_counters);
	d->dp_counters = json_object();
	for (unsigned v = 0; v < GSX_V_COUNT; v++)
		json_object_set_new(d->dp_counters, gs_xdp_verdict_name(v),
				    json_integer((json_int_t)p->st->verdicts[v]));
	d->have_dp_stats = true;
	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];
		const struct gs_xdp_app_stats *s;
		enum gs_app_state st;
		uint32_t g, k;

		a->dp_known = false;
		if (map_index(p, d, a, &g, &k) != 0 || gs_xdp_get_state(p->x, g, k, &st) != 0)
			continue;
		s = &p->st->app[g][k];
		a->dp_known = true;
		a->dp_state = st;
		a->tx_bytes = s->to_bytes;
		a->rx_bytes = s->from_bytes;
		gsd_add_sample(a, &(struct gs_traffic_sample){
			.at_ns = now, .tx_pkts = s->to_pkts, .rx_pkts = s->from_pkts,
			.new_flows = s->new_flows });
	}
	return 0;
}

static int xdp_set_states(struct gsd *d, struct gsd_app *const *apps, uint32_t n,
			  char *err, size_t errlen)
{
	struct xdp_priv *p = priv(d);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t g, k;

		if (map_index(p, d, apps[i], &g, &k) != 0) {
			snprintf(err, errlen, "appliance '%s' is not in the XDP program's maps",
				 apps[i]->id);
			return -1;
		}
		if (gs_xdp_set_state(p->x, g, k, apps[i]->decided, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int xdp_add(struct gsd *d, struct gsd_app *a, char *err, size_t errlen)
{
	(void)d;
	snprintf(err, errlen,
		 "'%s' is new: the XDP program's maps are laid out at gsteerd's start, restart gsteerd to add it",
		 a->id);
	return -1;
}

static int xdp_remove(struct gsd *d, struct gsd_app *a, char *err, size_t errlen)
{
	struct gsd_app *one[1] = { a };
	enum gs_app_state keep = a->decided;
	int rc;

	a->decided = GS_APP_REMOVED;
	rc = xdp_set_states(d, one, 1, err, errlen);
	a->decided = keep;
	return rc;
}

static struct xdp_src *source_for(struct xdp_priv *p, const struct gs_ipaddr *dst)
{
	struct xdp_src *any = NULL;

	for (uint32_t i = 0; i < p->n_src; i++) {
		if (p->src[i].addr.family != dst->family)
			continue;
		for (uint32_t pi = 0; pi < p->cfg->dataplane.n_ports; pi++) {
			const struct gs_port_cfg *pc = &p->cfg->dataplane.ports[pi];

			for (uint32_t k = 0; k < pc->n_addresses; k++)
				if (gs_ipaddr_equal(&pc->addresses[k].addr, &p->src[i].addr) &&
				    gs_prefix_contains(&pc->addresses[k], dst))
					return &p->src[i];
		}
		if (!any)
			any = &p->src[i];
	}
	return any;
}

static int xdp_probe_send(struct gsd *d, struct gsd_app *a, const struct gsd_probe_data *data)
{
	struct xdp_priv *p = priv(d);
	const struct gs_ipaddr *dst = &a->cfg->address;
	struct xdp_src *src = source_for(p, dst);
	struct gs_probe_spec spec = { .family = dst->family, .data = (const uint8_t *)data };
	struct sockaddr_storage ss;
	uint8_t buf[512];
	uint32_t off;
	socklen_t sl;
	int len;

	if (!src)
		return -1;
	memcpy(spec.src, src->addr.a, 16);
	memcpy(spec.dst, dst->a, 16);
	spec.sport = GS_GENEVE_UDP_PORT; /* what the socket sends from */
	len = gs_probe_frame(&spec, buf, sizeof(buf), &off);
	if (len < 0)
		return -1;
	sl = gsd_sockaddr(dst, GS_GENEVE_UDP_PORT, &ss);
	return sendto(src->fd, buf + off, (size_t)len - off, MSG_DONTWAIT,
		      (struct sockaddr *)&ss, sl) == len - (int)off ? 0 : -1;
}

/* a datagram on port 6081: a probe back from the appliance it names? */
static void probe_datagram(struct gsd *d, const uint8_t *buf, uint32_t len,
			   const struct sockaddr_storage *from, uint64_t now)
{
	struct gsd_probe_data pd;
	struct gs_geneve g;
	struct gs_ipaddr peer = { 0 };
	struct gsd_app *a;

	if (gs_parse_geneve(buf, len, &g) != GS_R_OK || !g.has_probe)
		return;
	memcpy(&pd, buf + GS_GENEVE_HDR_LEN + g.probe_off, sizeof(pd));
	if (pd.app >= d->n_apps)
		return;
	a = &d->apps[pd.app];
	if (from->ss_family == AF_INET) {
		peer.family = GS_AF_INET;
		memcpy(peer.a, &((const struct sockaddr_in *)from)->sin_addr, 4);
	} else {
		peer.family = GS_AF_INET6;
		memcpy(peer.a, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
	}
	/* only the appliance itself can answer for it */
	if (gs_ipaddr_equal(&peer, &a->cfg->address))
		gsd_probe_result(d, a, pd.seq, pd.sent_ns, now);
}

static void xdp_probe_input(struct gsd *d, uint64_t now)
{
	struct xdp_priv *p = priv(d);
	uint8_t buf[2048];

	for (uint32_t i = 0; i < p->n_src; i++) {
		for (;;) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(p->src[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);

			if (n < 0)
				break;
			probe_datagram(d, buf, (uint32_t)n, &from, now);
		}
	}
}

static void xdp_destroy(struct gsd *d)
{
	struct xdp_priv *p = priv(d);

	xdp_disconnect(d);
	free(p->st);
	free(p);
	free(d->backend);
	d->backend = NULL;
}

static const struct gsd_backend_ops xdp_ops = {
	.name = "xdp",
	.connect = xdp_connect,
	.disconnect = xdp_disconnect,
	.poll = xdp_poll,
	.set_states = xdp_set_states,
	.add = xdp_add,
	.remove = xdp_remove,
	.probe_send = xdp_probe_send,
	.probe_input = xdp_probe_input,
	.destroy = xdp_destroy,
};

struct gsd_backend *gsd_backend_xdp_new(struct gsd *d, char *err, size_t errlen)
{
	struct gsd_backend *b = calloc(1, sizeof(*b));
	struct xdp_priv *p = calloc(1, sizeof(*p));

	(void)d;
	if (p)
		p->st = calloc(1, sizeof(*p->st));
	if (!b || !p || !p->st) {
		snprintf(err, errlen, "out of memory");
		if (p)
			free(p->st);
		free(p);
		free(b);
		return NULL;
	}
	b->ops = &xdp_ops;
	b->priv = p;
	b->probe_fd = -1; /* the sources are added to the loop by connect */
	return b;
}
