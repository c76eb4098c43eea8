/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK backend: gsteer-dataplane's control socket for states and
 * statistics, its probe socket for in-band probes.  Every call is short
 * and bounded by a timeout, so a hung data plane delays the loop by at
 * most that much and is then treated as gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "backend.h"
#include "gs_probe.h"
#include "jsonl.h"

#define DPDK_TIMEOUT_MS 1000

struct dpdk_priv {
	int ctl_fd;
};

static struct dpdk_priv *priv(struct gsd *d)
{
	return d->backend->priv;
}

static void dpdk_disconnect(struct gsd *d)
{
	struct dpdk_priv *p = priv(d);

	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	p->ctl_fd = -1;
	if (d->backend->probe_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->backend->probe_fd, NULL);
		close(d->backend->probe_fd);
	}
	d->backend->probe_fd = -1;
}

/* the probe channel: a connection per data plane run (common/gs_probe.h) */
static int probe_connect(struct gsd *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = GSD_TAG_PROBE };
	const char *path = d->cfg->daemon.probe_socket;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		snprintf(err, errlen, "probe socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d->backend->probe_fd = fd;
	return 0;
}

static int dpdk_connect(struct gsd *d, char *err, size_t errlen)
{
	struct dpdk_priv *p = priv(d);

	dpdk_disconnect(d);
	p->ctl_fd = gs_jsonl_connect(d->cfg->dataplane.control_socket, DPDK_TIMEOUT_MS,
				     err, errlen);
	if (p->ctl_fd < 0)
		return -1;
	/* a data plane may run without a probe socket: only probes are off */
	if (probe_connect(d, err, errlen) != 0)
		syslog(LOG_WARNING, "%s: in-band probes cannot be sent", err);
	return 0;
}

/* one request; the reply when it says ok, else NULL and @err */
static json_t *call(struct gsd *d, json_t *req, char *err, size_t errlen)
{
	struct dpdk_priv *p = priv(d);
	json_t *reply;

	if (p->ctl_fd < 0) {
		snprintf(err, errlen, "not connected to the data plane");
		json_decref(req);
		return NULL;
	}
	reply = gs_jsonl_request(p->ctl_fd, req, err, errlen);
	json_decref(req);
	if (!reply) {
		dpdk_disconnect(d);
		return NULL;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		snprintf(err, errlen, "data plane: %s", e ? e : "request refused");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static uint64_t u64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static void take_stats(struct gsd *d, json_t *reply)
{
	json_t *ft = json_object_get(reply, "flow_table");
	json_t *drops = json_object_get(reply, "drops");

	d->ft_capacity = u64(ft, "capacity");
	d->ft_used = u64(ft, "used");
	for (unsigned r = GS_R_OK + 1; r < GS_R_COUNT; r++)
		d->drops[r] = u64(drops, gs_reason_name(r));
	json_decref(d->dp_counters);
	d->dp_counters = json_incref(json_object_get(reply, "counters"));
	d->have_dp_stats = true;
}

static void take_appliance(struct gsd *d, json_t *o, uint64_t now)
{
	const char *group = json_string_value(json_object_get(o, "group"));
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *state = json_string_value(json_object_get(o, "state"));
	struct gs_traffic_sample s;
	struct gsd_app *a;
	char err[128];
	int st;

	if (!group || !id || !state)
		return;
	a = gsd_find_app(d, group, id, err, sizeof(err));
	st = gs_app_state_from_name(state);
	if (!a || st < 0)
		return;
	/* a removed slot and a re-added one share the id: the live one counts */
	if (st == GS_APP_REMOVED && a->dp_known && a->dp_state != GS_APP_REMOVED &&
	    a->dp_index != u64(o, "index"))
		return;
	a->dp_known = true;
	a->dp_state = (enum gs_app_state)st;
	a->dp_index = (uint32_t)u64(o, "index");
	s.at_ns = now;
	s.tx_pkts = u64(o, "tx_pkts");
	s.rx_pkts = u64(o, "rx_pkts");
	s.new_flows = u64(o, "new_flows");
	a->tx_bytes = u64(o, "tx_bytes");
	a->rx_bytes = u64(o, "rx_bytes");
	a->flows = u64(o, "flows");
	gsd_add_sample(a, &s);
}

static int dpdk_poll(struct gsd *d, uint64_t now)
{
	char err[256];
	json_t *reply, *list, *o;
	size_t i;

	reply = call(d, json_pack("{s:s}", "cmd", "show_appliances"), err, sizeof(err));
	if (!reply)
		return -1;
	for (uint32_t a = 0; a < d->n_apps; a++)
		d->apps[a].dp_known = false;
	list = json_object_get(reply, "appliances");
	json_array_foreach(list, i, o)
		take_appliance(d, o, now);
	json_decref(reply);
	reply = call(d, json_pack("{s:s}", "cmd", "show_stats"), err, sizeof(err));
	if (!reply)
		return -1;
	take_stats(d, reply);
	json_decref(reply);
	return 0;
}

static const char *group_name(struct gsd *d, struct gsd_app *a)
{
	return d->cfg->groups[a->group].name;
}

/* one request for all: the data plane rebuilds each group's table once */
static int dpdk_set_states(struct gsd *d, struct gsd_app *const *apps, uint32_t n,
			   char *err, size_t errlen)
{
	json_t *changes = json_array(), *r;

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(changes, json_pack("{s:s,s:s,s:s}",
			"group", group_name(d, apps[i]), "appliance", apps[i]->id,
			"state", gs_app_state_name(apps[i]->decided)));
	r = call(d, json_pack("{s:s,s:o}", "cmd", "set_states", "changes", changes),
		 err, errlen);
	json_decref(r);
	return r ? 0 : -1;
}

static int dpdk_add(struct gsd *d, struct gsd_app *a, char *err, size_t errlen)
{
	char addr[64];
	json_t *r;

	gs_ipaddr_format(&a->cfg->address, addr, sizeof(addr));
	r = call(d, json_pack("{s:s,s:s,s:s,s:s,s:i}", "cmd", "add_appliance",
			      "group", group_name(d, a), "id", a->id, "address", addr,
			      "weight", (int)a->cfg->weight), err, errlen);
	json_decref(r);
	return r ? 0 : -1;
}

static int dpdk_remove(struct gsd *d, struct gsd_app *a, char *err, size_t errlen)
{
	json_t *r = call(d, json_pack("{s:s,s:s,s:s}", "cmd", "remove_appliance",
				      "group", group_name(d, a), "appliance", a->id),
			 err, errlen);

	json_decref(r);
	return r ? 0 : -1;
}

static int dpdk_probe_send(struct gsd *d, struct gsd_app *a,
			   const struct gsd_probe_data *data)
{
	struct gs_probe_msg m = { .magic = GS_PROBE_MAGIC, .type = GS_PROBE_SEND };

	if (d->backend->probe_fd < 0)
		return -1;
	snprintf(m.group, sizeof(m.group), "%s", group_name(d, a));
	snprintf(m.appliance, sizeof(m.appliance), "%s", a->id);
	memcpy(m.data, data, sizeof(m.data));
	return send(d->backend->probe_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) ==
	       (ssize_t)sizeof(m) ? 0 : -1;
}

static void dpdk_probe_input(struct gsd *d, uint64_t now)
{
	struct gs_probe_msg m;
	struct gsd_probe_data pd;
	char err[128];

	for (;;) {
		ssize_t n = recv(d->backend->probe_fd, &m, sizeof(m), MSG_DONTWAIT);
		struct gsd_app *a;

		if (n < 0)
			return;
		if (n == 0) {
			/* the data plane went away: the next poll notices too */
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->backend->probe_fd, NULL);
			close(d->backend->probe_fd);
			d->backend->probe_fd = -1;
			return;
		}
		if (n != (ssize_t)sizeof(m) || m.magic != GS_PROBE_MAGIC)
			continue;
		m.group[sizeof(m.group) - 1] = m.appliance[sizeof(m.appliance) - 1] = '\0';
		a = gsd_find_app(d, m.group, m.appliance, err, sizeof(err));
		if (!a)
			continue;
		memcpy(&pd, m.data, sizeof(pd));
		if (m.type == GS_PROBE_RETURN && pd.app == (uint32_t)(a - d->apps))
			gsd_probe_result(d, a, pd.seq, pd.sent_ns, now);
		/* GS_PROBE_ERROR: the round's deadline fails the probe, and the
		 * data plane counted why */
	}
}

static void dpdk_destroy(struct gsd *d)
{
	dpdk_disconnect(d);
	free(d->backend->priv);
	free(d->backend);
	d->backend = NULL;
}

static const struct gsd_backend_ops dpdk_ops = {
	.name = "dpdk",
	.connect = dpdk_connect,
	.disconnect = dpdk_disconnect,
	.poll = dpdk_poll,
	.set_states = dpdk_set_states,
	.add = dpdk_add,
	.remove = dpdk_remove,
	.probe_send = dpdk_probe_send,
	.probe_input = dpdk_probe_input,
	.destroy = dpdk_destroy,
};

struct gsd_backend *gsd_backend_dpdk_new(struct gsd *d, char *err, size_t errlen)
{
	struct gsd_backend *b = calloc(1, sizeof(*b));
	struct dpdk_priv *p = calloc(1, sizeof(*p));

	(void)d;
	if (!b || !p) {
		snprintf(err, errlen, "out of memory");
		free(p);
		free(b);
		return NULL;
	}
	b->ops = &dpdk_ops;
	b->priv = p;
	p->ctl_fd = -1;
	b->probe_fd = -1;
	return b;
}
