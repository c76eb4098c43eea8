/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * User space of the XDP data plane (see gs_xdp.h): the libbpf skeleton,
 * pinned maps under /sys/fs/bpf/gsteer/<ifname>/, and the config written
 * into them.  Maglev tables are built with common/'s builder, exactly as
 * dataplane/group.c builds them, and published by swapping a whole inner
 * map into the group's slot of an array of maps.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "gs_maglev.h"
#include "gs_xdp.h"
#include "gsteer_xdp.skel.h"

_Static_assert(GSX_APP_HEALTHY == GS_APP_HEALTHY && GSX_APP_UNHEALTHY == GS_APP_UNHEALTHY &&
		       GSX_APP_DRAINING == GS_APP_DRAINING && GSX_APP_REMOVED == GS_APP_REMOVED,
	       "appliance states differ between gsteer_xdp.h and gs_config.h");
_Static_assert(GSX_REBALANCE == GS_REBALANCE && GSX_NO_REBALANCE == GS_NO_REBALANCE &&
		       GSX_FAIL_OPEN == GS_FAIL_OPEN && GSX_FAIL_CLOSED == GS_FAIL_CLOSED,
	       "failover modes differ between gsteer_xdp.h and gs_config.h");

#define GS_XDP_PIN_ROOT "/sys/fs/bpf/gsteer"
#define FLOW_BATCH 4096

struct gs_xdp {
	struct gsteer_xdp *skel;
	const struct gs_config *cfg;
	int ifindex;
	uint32_t hash_seed;
	char pin_dir[128];
};

static const char *const verdict_names[] = {
#define GSX_VERDICT_NAME_(sym, name) name,
	GSX_VERDICTS(GSX_VERDICT_NAME_)
};

const char *gs_xdp_verdict_name(unsigned v)
{
	return v < GSX_V_COUNT ? verdict_names[v] : "unknown";
}

const char *gs_xdp_reason_name(unsigned r)
{
	return gs_reason_name((enum gs_reason)r);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void addr_key(struct gsx_addr *k, const struct gs_ipaddr *a)
{
	memset(k, 0, sizeof(*k));
	k->family = a->family;
	memcpy(k->a, a->a, 16);
}

int gs_xdp_find_app(const struct gs_config *cfg, const char *id, uint32_t *group,
		    uint32_t *app)
{
	for (uint32_t g = 0; g < cfg->n_groups; g++)
		for (uint32_t a = 0; a < cfg->groups[g].n_appliances; a++)
			if (strcmp(cfg->groups[g].appliances[a].id, id) == 0) {
				*group = g;
				*app = a;
				return 0;
			}
	return -1;
}

/* our outer source toward @dst: the port address of its subnet, else the
 * first port address of its family (the kernel's routes decide the rest) */
static int source_for(const struct gs_config *cfg, const struct gs_ipaddr *dst, uint8_t *src)
{
	const struct gs_ipaddr *fallback = NULL;

	for (uint32_t p = 0; p < cfg->dataplane.n_ports; p++)
		for (uint32_t i = 0; i < cfg->dataplane.ports[p].n_addresses; i++) {
			const struct gs_prefix *pre = &cfg->dataplane.ports[p].addresses[i];

			if (pre->addr.family != dst->family)
				continue;
			if (gs_prefix_contains(pre, dst)) {
				memcpy(src, pre->addr.a, 16);
				return 0;
			}
			if (!fallback)
				fallback = &pre->addr;
		}
	if (!fallback)
		return -1;
	memcpy(src, fallback->a, 16);
	return 0;
}

/* ---- Maglev publication ------------------------------------------------ */

static int publish_group(struct gs_xdp *x, uint32_t gi, char *err, size_t errlen)
{
	const struct gs_target_group_cfg *gc = &x->cfg->groups[gi];
	struct gs_maglev_backend be[GSX_MAX_APPS_PER_GROUP];
	uint32_t slot_of[GSX_MAX_APPS_PER_GROUP], n = 0, size = gc->maglev_size;
	uint32_t *table = NULL, *keys = NULL, count;
	int inner = -1, rc = -1, outer = bpf_map__fd(x->skel->maps.gsx_maglev);
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_INNER_MAP);

	for (uint32_t a = 0; a < gc->n_appliances && a < GSX_MAX_APPS_PER_GROUP; a++) {
		struct gsx_app app;
		uint32_t k = gi * GSX_MAX_APPS_PER_GROUP + a;

		if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.gsx_apps), &k, &app) ||
		    app.state != GS_APP_HEALTHY)
			continue;
		be[n].name = gc->appliances[a].id;
		be[n].weight = gc->appliances[a].weight ? gc->appliances[a].weight : 1;
		slot_of[n] = k;
		n++;
	}
	table = calloc(size, sizeof(*table));
	keys = calloc(size, sizeof(*keys));
	if (!table || !keys) {
		snprintf(err, errlen, "group '%s': out of memory for the Maglev table", gc->name);
		goto out;
	}
	/* by name: every node with the same healthy set builds the same table */
	if (gs_maglev_build_by_name(table, size, be, n, x->hash_seed) != 0) {
		snprintf(err, errlen, "group '%s': Maglev table of %u slots failed", gc->name, size);
		goto out;
	}
	for (uint32_t s = 0; s < size; s++) {
		keys[s] = s;
		if (table[s] != GS_MAGLEV_NO_BACKEND)
			table[s] = slot_of[table[s]];
	}
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "gsx_maglev_t", 4, 4, size, &mo);
	if (inner < 0) {
		snprintf(err, errlen, "group '%s': creating a Maglev map: %s", gc->name,
			 strerror(errno));
		goto out;
	}
	count = size;
	if (bpf_map_update_batch(inner, keys, table, &count, NULL) != 0 || count != size) {
		snprintf(err, errlen, "group '%s': filling the Maglev map: %s", gc->name,
			 strerror(errno));
		goto out;
	}
	/* the swap is one pointer store: packets see the old or the new table */
	if (bpf_map_update_elem(outer, &gi, &inner, BPF_ANY) != 0) {
		snprintf(err, errlen, "group '%s': publishing the Maglev map: %s", gc->name,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (inner >= 0)
		close(inner);
	free(table);
	free(keys);
	return rc;
}

/* ---- filling the maps ---------------------------------------------------- */

/* does the config still have this key?  (a re-open prunes what it lost) */
static bool local_in_cfg(const struct gs_config *cfg, const void *key)
{
	struct gsx_addr ak;

	for (uint32_t p = 0; p < cfg->dataplane.n_ports; p++)
		for (uint32_t i = 0; i < cfg->dataplane.ports[p].n_addresses; i++) {
			addr_key(&ak, &cfg->dataplane.ports[p].addresses[i].addr);
			if (memcmp(&ak, key, sizeof(ak)) == 0)
				return true;
		}
	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		addr_key(&ak, &cfg->listeners[l].address);
		if (memcmp(&ak, key, sizeof(ak)) == 0)
			return true;
	}
	return false;
}

static bool app_in_cfg(const struct gs_config *cfg, const void *key)
{
	struct gsx_addr ak;

	for (uint32_t g = 0; g < cfg->n_groups; g++)
		for (uint32_t a = 0; a < cfg->groups[g].n_appliances; a++) {
			addr_key(&ak, &cfg->groups[g].appliances[a].address);
			if (memcmp(&ak, key, sizeof(ak)) == 0)
				return true;
		}
	return false;
}

static bool upstream_in_cfg(const struct gs_config *cfg, const void *key)
{
	const struct gsx_upstream_key *k = key;

	if (k->listener >= cfg->n_listeners)
		return false;
	for (uint32_t u = 0; u < cfg->listeners[k->listener].n_upstreams; u++) {
		const struct gs_prefix *p = &cfg->listeners[k->listener].upstreams[u];

		if (k->prefixlen == 32u + p->len && k->family == p->addr.family &&
		    memcmp(k->a, p->addr.a, 16) == 0)
			return true;
	}
	return false;
}

/* delete every key of map @fd (@ksz bytes) that @keep says the config lost */
static void prune(int fd, size_t ksz, const struct gs_config *cfg,
		  bool (*keep)(const struct gs_config *, const void *))
{
	uint8_t key[64], next[64], *gone = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksz);
		prev = key;
		if (keep(cfg, key))
			continue;
		if (n == cap) {
			uint8_t *g = realloc(gone, (cap = cap ? 2 * cap : 16) * ksz);

			if (!g)
				break;
			gone = g;
		}
		memcpy(gone + n++ * ksz, key, ksz);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, gone + i * ksz);
	free(gone);
}

static int fill_maps(struct gs_xdp *x, bool keep_states, char *err, size_t errlen)
{
	const struct gs_config *cfg = x->cfg;
	struct gsteer_xdp *sk = x->skel;
	int fd_local = bpf_map__fd(sk->maps.gsx_local);
	int fd_lis = bpf_map__fd(sk->maps.gsx_listeners);
	int fd_up = bpf_map__fd(sk->maps.gsx_upstreams);
	int fd_grp = bpf_map__fd(sk->maps.gsx_groups);
	int fd_app = bpf_map__fd(sk->maps.gsx_apps);
	int fd_aba = bpf_map__fd(sk->maps.gsx_app_by_addr);
	struct gsx_globals glob = { .hash_seed = x->hash_seed };
	struct gsx_local loc;
	struct gsx_addr ak;
	uint32_t k = 0;

	for (uint32_t p = 0; p < cfg->dataplane.n_ports; p++)
		for (uint32_t i = 0; i < cfg->dataplane.ports[p].n_addresses; i++) {
			addr_key(&ak, &cfg->dataplane.ports[p].addresses[i].addr);
			loc = (struct gsx_local){ .kind = GSX_LOCAL_PORT };
			if (bpf_map_update_elem(fd_local, &ak, &loc, BPF_ANY))
				goto map_err;
		}
	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		const struct gs_listener_cfg *lc = &cfg->listeners[l];
		struct gsx_listener v = { 0 };

		addr_key(&ak, &lc->address);
		loc = (struct gsx_local){ .kind = GSX_LOCAL_LISTENER, .listener = l };
		if (bpf_map_update_elem(fd_local, &ak, &loc, BPF_ANY))
			goto map_err;
		memcpy(v.addr, lc->address.a, 16);
		v.family = lc->address.family;
		v.group = lc->target_group_index;
		v.has_endpoint_id = lc->has_endpoint_id;
		v.endpoint_id = lc->endpoint_id;
		v.has_attachment_id = lc->has_attachment_id;
		v.attachment_id = lc->attachment_id;
		if (bpf_map_update_elem(fd_lis, &l, &v, BPF_ANY))
			goto map_err;
		for (uint32_t u = 0; u < lc->n_upstreams; u++) {
			struct gsx_upstream_key uk = { 0 };
			uint32_t one = 1;

			uk.prefixlen = 32 + lc->upstreams[u].len;
			uk.listener = (uint8_t)l;
			uk.family = lc->upstreams[u].addr.family;
			memcpy(uk.a, lc->upstreams[u].addr.a, 16);
			if (bpf_map_update_elem(fd_up, &uk, &one, BPF_ANY))
				goto map_err;
		}
	}
	for (uint32_t g = 0; g < cfg->n_groups; g++) {
		const struct gs_target_group_cfg *gc = &cfg->groups[g];
		struct gsx_group v = { 0 };

		if (gc->n_appliances > GSX_MAX_APPS_PER_GROUP) {
			snprintf(err, errlen, "target group '%s': %u appliances, the XDP data plane takes at most %u a group",
				 gc->name, gc->n_appliances, GSX_MAX_APPS_PER_GROUP);
			return -1;
		}
		if (gc->maglev_size > GSX_MAGLEV_MAX) {
			snprintf(err, errlen, "target group '%s': maglev_table_size %u, the XDP data plane takes at most %u",
				 gc->name, gc->maglev_size, GSX_MAGLEV_MAX);
			return -1;
		}
		v.stickiness = gc->stickiness;
		v.on_unhealthy = gc->on_unhealthy;
		v.on_deregistration = gc->on_deregistration;
		v.no_healthy = gc->no_healthy;
		v.maglev_size = gc->maglev_size;
		v.idle_tcp_ns = gc->idle_timeout_tcp_s * 1000000000ull;
		v.idle_other_ns = gc->idle_timeout_other_s * 1000000000ull;
		/* from its listeners, which the config loader makes agree */
		v.scope_by_endpoint_id = 1;
		for (uint32_t l = 0; l < cfg->n_listeners; l++)
			if (cfg->listeners[l].target_group_index == g) {
				v.scope_by_endpoint_id = cfg->listeners[l].scope_by_endpoint_id;
				break;
			}
		if (bpf_map_update_elem(fd_grp, &g, &v, BPF_ANY))
			goto map_err;
		for (uint32_t a = 0; a < gc->n_appliances; a++) {
			const struct gs_appliance_cfg *ac = &gc->appliances[a];
			uint32_t slot = g * GSX_MAX_APPS_PER_GROUP + a;
			struct gsx_app app = { 0 }, old;
			char abuf[64];

			if (source_for(cfg, &ac->address, app.src) != 0) {
				snprintf(err, errlen, "appliance '%s': no port address of its family toward %s",
					 ac->id, gs_ipaddr_format(&ac->address, abuf, sizeof(abuf)));
				return -1;
			}
			memcpy(app.addr, ac->address.a, 16);
			app.family = ac->address.family;
			app.in_use = 1;
			app.group = g;
			app.state = ac->state;
			/* a re-open keeps what gsteerd decided since the start */
			if (keep_states &&
			    bpf_map_lookup_elem(fd_app, &slot, &old) == 0 && old.in_use &&
			    memcmp(old.addr, app.addr, 16) == 0) {
				app.state = old.state;
				app.drain_deadline_ns = old.drain_deadline_ns;
			}
			if (bpf_map_update_elem(fd_app, &slot, &app, BPF_ANY))
				goto map_err;
			addr_key(&ak, &ac->address);
			if (app.state == GS_APP_REMOVED)
				bpf_map_delete_elem(fd_aba, &ak);
			else if (bpf_map_update_elem(fd_aba, &ak, &slot, BPF_ANY))
				goto map_err;
		}
		if (publish_group(x, g, err, errlen) != 0)
			return -1;
	}
	/* a re-open with a changed config: what it no longer has goes */
	prune(fd_local, sizeof(struct gsx_addr), cfg, local_in_cfg);
	prune(fd_up, sizeof(struct gsx_upstream_key), cfg, upstream_in_cfg);
	prune(fd_aba, sizeof(struct gsx_addr), cfg, app_in_cfg);
	if (x->ifindex > 0) {
		uint32_t ifx = (uint32_t)x->ifindex;

		bpf_map_update_elem(bpf_map__fd(sk->maps.gsx_tx_ports), &ifx, &ifx, BPF_ANY);
	}
	/* last: until now the program handed everything to the kernel */
	glob.ready = 1;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.gsx_globals), &k, &glob, BPF_ANY))
		goto map_err;
	return 0;
map_err:
	snprintf(err, errlen, "filling the XDP maps: %s", strerror(errno));
	return -1;
}

/*
 * ARP and NDP stay the kernel's job; but the kernel only resolves a next
 * hop it sends to.  One datagram to each appliance's discard port makes it
 * resolve them now, so the first packet of the first flow finds a MAC.
 */
static void prime_neighbours(const struct gs_config *cfg)
{
	for (uint32_t g = 0; g < cfg->n_groups; g++)
		for (uint32_t a = 0; a < cfg->groups[g].n_appliances; a++) {
			const struct gs_ipaddr *ip = &cfg->groups[g].appliances[a].address;
			struct sockaddr_storage ss = { 0 };
			socklen_t sl;
			int fd;

			if (ip->family == GS_AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

				sin->sin_family = AF_INET;
				sin->sin_port = htons(9);
				memcpy(&sin->sin_addr, ip->a, 4);
				sl = sizeof(*sin);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

				sin6->sin6_family = AF_INET6;
				sin6->sin6_port = htons(9);
				memcpy(&sin6->sin6_addr, ip->a, 16);
				sl = sizeof(*sin6);
			}
			fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			(void)!sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
			close(fd);
		}
}

/* ---- open, attach, close ----------------------------------------------- */

static int mkdir_p(const char *dir)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

static int silent_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_WARN && getenv("GS_XDP_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* bpf_fib_lookup() answers only for interfaces that forward */
static int check_forwarding(const char *ifname, char *err, size_t errlen)
{
	char path[128], v = '0';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	f = fopen(path, "r");
	if (!f)
		return 0; /* no IPv4 on it: nothing to check */
	if (fread(&v, 1, 1, f) != 1)
		v = '0';
	fclose(f);
	if (v != '1') {
		snprintf(err, errlen, "%s: IPv4 forwarding is off, and bpf_fib_lookup() needs it: sysctl -w net.ipv4.conf.%s.forwarding=1 (and net.ipv6.conf.all.forwarding=1 for IPv6)",
			 ifname, ifname);
		return -1;
	}
	return 0;
}

struct gs_xdp *gs_xdp_open_opts(const struct gs_config *cfg, const struct gs_xdp_open_opts *o,
				char *err, size_t errlen)
{
	const char *ifname = cfg->daemon.xdp_interface;
	struct gs_xdp *x = calloc(1, sizeof(*x));
	struct bpf_map *m;
	bool reopen = false;
	char path[256];
	int rc;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(silent_print);
	x->cfg = cfg;
	x->hash_seed = cfg->dataplane.hash_seed;
	if (!o->no_attach || ifname[0]) {
		x->ifindex = (int)if_nametoindex(ifname);
		if (!x->ifindex && !o->no_attach) {
			snprintf(err, errlen, "daemon.xdp_interface '%s': no such interface", ifname);
			goto fail;
		}
		if (!o->maps_only && check_forwarding(ifname, err, errlen) != 0)
			goto fail;
	}
	x->skel = gsteer_xdp__open();
	if (!x->skel) {
		snprintf(err, errlen, "opening the XDP object: %s", strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(x->skel->maps.gsx_flows,
				 o->flow_entries ? o->flow_entries :
				 cfg->dataplane.flow_table_size ? cfg->dataplane.flow_table_size :
								  GSX_DEFAULT_FLOWS);
	if (cfg->dataplane.frag_table_size)
		bpf_map__set_max_entries(x->skel->maps.gsx_frags, cfg->dataplane.frag_table_size);
	if (!o->no_pin) {
		snprintf(x->pin_dir, sizeof(x->pin_dir), GS_XDP_PIN_ROOT "/%s", ifname);
		if (mkdir_p(x->pin_dir) != 0) {
			snprintf(err, errlen, "%s: %s (is bpffs mounted on /sys/fs/bpf?)", x->pin_dir,
				 strerror(errno));
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/gsx_flows", x->pin_dir);
		reopen = access(path, F_OK) == 0;
		/* libbpf reuses a pinned map of the same shape, else pins ours */
		bpf_object__for_each_map(m, x->skel->obj) {
			if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY &&
			    (strcmp(bpf_map__name(m), "gsx_scratch") == 0 ||
			     strcmp(bpf_map__name(m), "gsx_bench") == 0))
				continue;
			if (strchr(bpf_map__name(m), '.'))
				continue; /* .rodata and friends */
			/* refilled at every open; the kernel's view of a devmap
			 * differs from its definition, which defeats reuse */
			if (bpf_map__type(m) == BPF_MAP_TYPE_DEVMAP_HASH)
				continue;
			snprintf(path, sizeof(path), "%s/%s", x->pin_dir, bpf_map__name(m));
			bpf_map__set_pin_path(m, path);
		}
	}
	if (o->maps_only) {
		/* the running instance's maps; programs stay unloaded here */
		bpf_object__for_each_map(m, x->skel->obj) {
			int fd;

			if (!bpf_map__pin_path(m))
				continue;
			fd = bpf_obj_get(bpf_map__pin_path(m));
			if (fd < 0 || bpf_map__reuse_fd(m, fd) != 0) {
				snprintf(err, errlen, "%s: %s (is gsteer attached to %s?)",
					 bpf_map__pin_path(m), strerror(errno), ifname);
				if (fd >= 0)
					close(fd);
				goto fail;
			}
			close(fd); /* reuse_fd took its own copy */
		}
		return x;
	}
	rc = gsteer_xdp__load(x->skel);
	if (rc) {
		snprintf(err, errlen, "loading the XDP program: %s%s", strerror(-rc),
			 reopen ? " (pinned maps of another shape? gsteer-xdp detach first)" : "");
		goto fail;
	}
	if (fill_maps(x, reopen, err, errlen) != 0)
		goto fail;
	if (!o->no_attach) {
		uint32_t mode = cfg->daemon.xdp_native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		uint32_t other = mode == XDP_FLAGS_DRV_MODE ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

		/* a program of the other mode would run first and hide ours */
		bpf_xdp_detach(x->ifindex, other, NULL);
		/* replaces a running instance in one step: no packet goes unseen */
		rc = bpf_xdp_attach(x->ifindex, bpf_program__fd(x->skel->progs.gsteer_xdp), mode,
				    NULL);
		if (rc) {
			if (mode == XDP_FLAGS_DRV_MODE && (rc == -EOPNOTSUPP || rc == -EINVAL))
				snprintf(err, errlen, "%s: the driver does not support native XDP (%s); set daemon.xdp_mode \"generic\"",
					 ifname, strerror(-rc));
			else
				snprintf(err, errlen, "%s: attaching XDP (%s): %s", ifname,
					 mode == XDP_FLAGS_DRV_MODE ? "native" : "generic",
					 strerror(-rc));
			goto fail;
		}
	}
	if (!o->no_attach)
		prime_neighbours(cfg);
	return x;
fail:
	gs_xdp_close(x);
	return NULL;
}

struct gs_xdp *gs_xdp_open(const struct gs_config *cfg, char *err, size_t errlen)
{
	const struct gs_xdp_open_opts o = { 0 };

	return gs_xdp_open_opts(cfg, &o, err, errlen);
}

void gs_xdp_close(struct gs_xdp *x)
{
	if (!x)
		return;
	gsteer_xdp__destroy(x->skel); /* attached and pinned things stay */
	free(x);
}

int gs_xdp_attach_pass(const char *ifname, char *err, size_t errlen)
{
	/* r0 = XDP_PASS; exit */
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int ifindex = (int)if_nametoindex(ifname), fd, rc;

	if (!ifindex) {
		snprintf(err, errlen, "%s: no such interface", ifname);
		return -ENODEV;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "gsteer_pass", "GPL", prog, 2, NULL);
	if (fd < 0) {
		snprintf(err, errlen, "loading the pass program: %s", strerror(errno));
		return -errno;
	}
	rc = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	close(fd);
	if (rc)
		snprintf(err, errlen, "%s: attaching XDP (native): %s", ifname, strerror(-rc));
	return rc;
}

int gs_xdp_detach(const char *ifname)
{
	char dir[128], path[256];
	int ifindex = (int)if_nametoindex(ifname), rc = 0;
	struct gsteer_xdp *sk;
	struct bpf_map *m;

	if (ifindex) {
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	}
	snprintf(dir, sizeof(dir), GS_XDP_PIN_ROOT "/%s", ifname);
	/* every map name the object has, whether pinned or not */
	sk = gsteer_xdp__open();
	if (sk) {
		bpf_object__for_each_map(m, sk->obj) {
			snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
			unlink(path);
		}
		gsteer_xdp__destroy(sk);
	}
	rmdir(dir);
	return rc;
}

/* ---- states and counters ------------------------------------------------- */

int gs_xdp_set_state(struct gs_xdp *x, uint32_t group, uint32_t app, enum gs_app_state st,
		     char *err, size_t errlen)
{
	int fd_app = bpf_map__fd(x->skel->maps.gsx_apps);
	uint32_t slot = group * GSX_MAX_APPS_PER_GROUP + app;
	struct gs_ipaddr ip = { 0 };
	struct gsx_app a;
	struct gsx_addr ak;

	if (group >= x->cfg->n_groups || app >= x->cfg->groups[group].n_appliances ||
	    bpf_map_lookup_elem(fd_app, &slot, &a) != 0 || !a.in_use) {
		snprintf(err, errlen, "no appliance %u in group %u", app, group);
		return -ENOENT;
	}
	if (st > GS_APP_REMOVED) {
		snprintf(err, errlen, "no appliance state %d", (int)st);
		return -EINVAL;
	}
	if (a.state == (uint32_t)st)
		return 0;
	if (a.state == GS_APP_REMOVED) {
		snprintf(err, errlen, "appliance '%s' was removed; add it again instead",
			 x->cfg->groups[group].appliances[app].id);
		return -EINVAL;
	}
	a.state = st;
	a.drain_deadline_ns = st == GS_APP_DRAINING ?
		mono_ns() + x->cfg->groups[group].deregistration_delay_s * 1000000000ull : 0;
	if (bpf_map_update_elem(fd_app, &slot, &a, BPF_ANY) != 0) {
		snprintf(err, errlen, "updating the appliance map: %s", strerror(errno));
		return -errno;
	}
	if (st == GS_APP_REMOVED) {
		/* its late returns count as traffic from a stranger */
		ip.family = a.family;
		memcpy(ip.a, a.addr, 16);
		addr_key(&ak, &ip);
		bpf_map_delete_elem(bpf_map__fd(x->skel->maps.gsx_app_by_addr), &ak);
	}
	return publish_group(x, group, err, errlen) ? -EIO : 0;
}

int gs_xdp_read_stats(struct gs_xdp *x, struct gs_xdp_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, rc = -1;
	struct gsx_stats *st = NULL;
	struct gsx_app_stats *as = NULL;
	struct gs_flow_key *keys = NULL;
	struct gsx_flow *vals = NULL;
	struct gsx_group grp[GS_MAX_TARGET_GROUPS] = { 0 };
	uint64_t now = mono_ns(), batch = 0;
	bool first = true;
	uint32_t k = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -1;
	st = calloc((size_t)ncpu, sizeof(*st));
	as = calloc((size_t)ncpu, sizeof(*as));
	if (!st || !as)
		goto done;
	if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.gsx_stats), &k, st))
		goto done;
	for (int c = 0; c < ncpu; c++) {
		for (int v = 0; v < GSX_V_COUNT; v++)
			out->verdicts[v] += st[c].verdicts[v];
		for (int r = 0; r < GS_R_COUNT; r++) {
			out->drops[r] += st[c].drops[r];
			out->passed[r] += st[c].passed[r];
		}
	}
	fd = bpf_map__fd(x->skel->maps.gsx_app_stats);
	for (uint32_t g = 0; g < x->cfg->n_groups; g++)
		for (uint32_t a = 0; a < x->cfg->groups[g].n_appliances && a < GSX_MAX_APPS_PER_GROUP;
		     a++) {
			struct gs_xdp_app_stats *o = &out->app[g][a];

			k = g * GSX_MAX_APPS_PER_GROUP + a;
			if (bpf_map_lookup_elem(fd, &k, as))
				goto done;
			for (int c = 0; c < ncpu; c++) {
				o->to_pkts += as[c].to_pkts;
				o->to_bytes += as[c].to_bytes;
				o->from_pkts += as[c].from_pkts;
				o->from_bytes += as[c].from_bytes;
				o->new_flows += as[c].new_flows;
			}
		}
	for (uint32_t g = 0; g < GS_MAX_TARGET_GROUPS; g++)
		bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.gsx_groups), &g, &grp[g]);
	/* a batched walk over the LRU: entries idle past their timeout do not
	 * count (a 1M-flow table takes a few hundred syscalls, not 2M) */
	fd = bpf_map__fd(x->skel->maps.gsx_flows);
	keys = malloc(FLOW_BATCH * sizeof(*keys));
	vals = malloc(FLOW_BATCH * sizeof(*vals));
	if (!keys || !vals)
		goto done;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		uint32_t n = FLOW_BATCH;
		int brc = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, vals, &n,
					       &bo);

		first = false;
		if (brc && errno != ENOENT)
			break; /* best estimate: what was counted so far */
		for (uint32_t i = 0; i < n; i++) {
			const struct gsx_group *gg = &grp[vals[i].group % GS_MAX_TARGET_GROUPS];
			uint64_t idle = vals[i].proto == GS_IPPROTO_TCP ? gg->idle_tcp_ns :
									 gg->idle_other_ns;

			if (now - vals[i].last_seen_ns <= idle)
				out->flows_active++;
		}
		if (brc)
			break; /* ENOENT: that was the last batch */
	}
	rc = 0;
done:
	free(keys);
	free(vals);
	free(st);
	free(as);
	return rc;
}

int gs_xdp_prog_fd(struct gs_xdp *x, enum gs_xdp_prog which)
{
	switch (which) {
	case GS_XDP_PROG_MAIN:
		return bpf_program__fd(x->skel->progs.gsteer_xdp);
	case GS_XDP_PROG_BENCH:
		return bpf_program__fd(x->skel->progs.gsteer_xdp_bench);
	case GS_XDP_PROG_REF_TX:
		return bpf_program__fd(x->skel->progs.gsteer_xdp_ref_tx);
	case GS_XDP_PROG_REF_RESTORE:
		return bpf_program__fd(x->skel->progs.gsteer_xdp_ref_restore);
	}
	return -1;
}

int gs_xdp_flows_fd(struct gs_xdp *x)
{
	return bpf_map__fd(x->skel->maps.gsx_flows);
}

int gs_xdp_get_state(struct gs_xdp *x, uint32_t group, uint32_t app, enum gs_app_state *st)
{
	uint32_t slot = group * GSX_MAX_APPS_PER_GROUP + app;
	struct gsx_app a;

	if (group >= x->cfg->n_groups || app >= x->cfg->groups[group].n_appliances ||
	    bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.gsx_apps), &slot, &a) != 0 ||
	    !a.in_use || a.state > GS_APP_REMOVED)
		return -ENOENT;
	*st = (enum gs_app_state)a.state;
	return 0;
}
