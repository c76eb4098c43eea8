/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctlsock.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "backend.h"
#include "gs_unixsock.h"
#include "jsonl.h"

#define CTL_CLIENTS 16
#define CTL_LINE_MAX 4096 /* requests are short; more is not a request */

static struct {
	int lfd;
	char path[108]; /* as opened: a reload may name another */
	struct gs_unix_file file;
	struct {
		int fd;
		uint32_t len;
		char buf[CTL_LINE_MAX];
	} c[CTL_CLIENTS];
	uid_t user;
	gid_t group;
	bool have_user, have_group;
	uint64_t refused;
} ctl = { .lfd = -1 };

static json_t *app_json(struct gsd *d, struct gsd_app *a)
{
	const struct gs_health_check_cfg *hc = &d->cfg->groups[a->group].health_check;
	static const char *const proto[] = { "tcp", "http", "none" };
	static const char *const passive[] = { "off", "count_as_failure", "mark_unhealthy" };
	char addr[64], haddr[64];
	json_t *checks = json_object();
	/* a drain the data plane has finished (delay over, or no flow left) */
	enum gs_app_state shown = a->decided == GS_APP_DRAINING && a->dp_known &&
				  a->dp_state == GS_APP_REMOVED ? GS_APP_REMOVED : a->decided;
	const struct gs_traffic_sample *last = gsd_last_sample(a);

	gs_ipaddr_format(&a->cfg->address, addr, sizeof(addr));
	gs_ipaddr_format(&a->cfg->health_address, haddr, sizeof(haddr));
	json_object_set_new(checks, "active", json_pack("{s:s,s:o,s:s,s:I}",
		"protocol", proto[hc->protocol],
		"ok", a->active_done ? json_boolean(a->active_ok) : json_null(),
		"detail", a->active_detail, "at_ns", (json_int_t)a->active_at_ns));
	json_object_set_new(checks, "probe", json_pack("{s:b,s:o,s:o,s:I,s:I,s:I,s:I}",
		"enabled", hc->inband_probe,
		"ok", a->probe_done ? json_boolean(a->probe_ok) : json_null(),
		"rtt_us", a->probe_have_rtt ? json_real(a->rtt_us) : json_null(),
		"at_ns", (json_int_t)a->probe_at_ns, "sent", (json_int_t)a->probes_sent,
		"returned", (json_int_t)a->probes_returned, "late", (json_int_t)a->probes_late));
	json_object_set_new(checks, "passive", json_pack("{s:s,s:b}",
		"mode", passive[hc->passive], "suspect", a->suspect));
	json_object_set_new(checks, "rounds", json_pack("{s:I,s:I,s:I}",
		"ok", (json_int_t)a->checks_ok, "failed", (json_int_t)a->checks_failed,
		"skipped", (json_int_t)a->rounds_skipped));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:o,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:I,s:s}",
		"group", d->cfg->groups[a->group].name, "id", a->id, "address", addr,
		"health_address", haddr, "state", gs_app_state_name(shown),
		"since_ns", (json_int_t)a->decided_since_ns, "drained", a->drained,
		"checks", checks,
		"consecutive_ok", (json_int_t)a->health.consecutive_ok,
		"consecutive_fail", (json_int_t)a->health.consecutive_fail,
		"flows", (json_int_t)a->flows, "tx_pps", a->tx_pps, "rx_pps", a->rx_pps,
		"tx_pkts", (json_int_t)(last ? last->tx_pkts : 0),
		"rx_pkts", (json_int_t)(last ? last->rx_pkts : 0),
		"tx_bytes", (json_int_t)a->tx_bytes, "rx_bytes", (json_int_t)a->rx_bytes,
		"why", a->health.why);
}

static json_t *cmd_show(struct gsd *d)
{
	json_t *apps = json_array(), *dp = json_object();
	struct timespec ts;

	for (uint32_t i = 0; i < d->n_apps; i++)
		json_array_append_new(apps, app_json(d, &d->apps[i]));
	json_object_set_new(dp, "connected", json_boolean(d->dp_connected));
	json_object_set_new(dp, "reconnects", json_integer((json_int_t)d->dp_reconnects));
	json_object_set_new(dp, "resyncs", json_integer((json_int_t)d->dp_resyncs));
	json_object_set_new(dp, "poll_ms", json_real((double)d->poll_gap_ns / 1e6));
	json_object_set_new(dp, "poll_took_ms", json_real((double)d->last_poll_ns / 1e6));
	if (d->dp_connected && d->have_dp_stats) {
		json_t *drops = json_object();

		for (unsigned r = GS_R_OK + 1; r < GS_R_COUNT; r++)
			json_object_set_new(drops, gs_reason_name(r),
					    json_integer((json_int_t)d->drops[r]));
		json_object_set_new(dp, "flow_table", json_pack("{s:I,s:I}",
			"capacity", (json_int_t)d->ft_capacity, "used", (json_int_t)d->ft_used));
		json_object_set_new(dp, "drops", drops);
		if (d->dp_counters)
			json_object_set(dp, "counters", d->dp_counters);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return json_pack("{s:b,s:I,s:s,s:o,s:o}", "ok", 1,
			 "now_ns", (json_int_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec),
			 "backend", d->backend->ops->name, "dataplane", dp, "appliances", apps);
}

static json_t *cmd_drain(struct gsd *d, json_t *req, bool drain, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(req, "appliance"));
	json_t *g = json_object_get(req, "group");
	struct gsd_app *a;

	if (!id) {
		snprintf(err, errlen, "\"appliance\" (a string) is required");
		return NULL;
	}
	if (g && !json_is_string(g)) {
		snprintf(err, errlen, "\"group\" must be a string");
		return NULL;
	}
	a = gsd_find_app(d, json_string_value(g), id, err, errlen);
	if (!a)
		return NULL;
	if (a->removed) {
		snprintf(err, errlen, "appliance '%s' was removed from the config", id);
		return NULL;
	}
	a->drained = drain;
	gsd_apply(d, a, drain ? "drained by the operator" : "undrained by the operator");
	return json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "group",
			 d->cfg->groups[a->group].name, "appliance", a->id,
			 "state", gs_app_state_name(a->decided));
}

static json_t *cmd_events(struct gsd *d, json_t *req, char *err, size_t errlen)
{
	json_t *since = json_object_get(req, "since"), *list = json_array();
	uint64_t from = 0, first;

	if (since && (!json_is_integer(since) || json_integer_value(since) < 0)) {
		json_decref(list);
		snprintf(err, errlen, "\"since\" must be a non-negative integer");
		return NULL;
	}
	if (since)
		from = (uint64_t)json_integer_value(since);
	first = d->n_events > GSD_EVENTS ? d->n_events - GSD_EVENTS : 0;
	for (uint64_t s = from > first ? from : first; s < d->n_events; s++) {
		const struct gsd_event *e = &d->events[s % GSD_EVENTS];
		const struct gsd_app *a = &d->apps[e->app];

		json_array_append_new(list, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}",
			"seq", (json_int_t)e->seq, "at_ns", (json_int_t)e->at_ns,
			"group", d->cfg->groups[a->group].name, "appliance", a->id,
			"from", gs_app_state_name(e->from), "to", gs_app_state_name(e->to),
			"why", e->why));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "events", list);
}

static const char *const ctl_keys[][4] = {
	/* command, then the keys it takes */
	{ "ping" }, { "show" }, { "events", "since" },
	{ "drain", "appliance", "group" }, { "undrain", "appliance", "group" },
};

static int check_keys(json_t *req, const char *cmd, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	for (size_t c = 0; c < sizeof(ctl_keys) / sizeof(ctl_keys[0]); c++) {
		if (strcmp(ctl_keys[c][0], cmd) != 0)
			continue;
		json_object_foreach(req, key, v) {
			bool ok = strcmp(key, "cmd") == 0;

			for (int k = 1; k < 4 && ctl_keys[c][k] && !ok; k++)
				ok = strcmp(ctl_keys[c][k], key) == 0;
			if (!ok) {
				snprintf(err, errlen, "%s: unknown key \"%s\"", cmd, key);
				return -1;
			}
		}
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%s\" (ping, show, events, drain, undrain)", cmd);
	return -1;
}

char *gsd_ctl_handle(struct gsd *d, const char *line)
{
	char err[256] = "";
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *reply = NULL;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char *out;

	if (!req || !json_is_object(req))
		snprintf(err, sizeof(err), "not a JSON object%s%s", req ? "" : ": ",
			 req ? "" : jerr.text);
	else if (!cmd)
		snprintf(err, sizeof(err), "\"cmd\" (a string) is required");
	else if (check_keys(req, cmd, err, sizeof(err)) == 0) {
		if (!strcmp(cmd, "ping"))
			reply = json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "version", GS_VERSION,
					  "backend", d->backend->ops->name, "dataplane",
					  d->dp_connected ? "connected" : "down");
		else if (!strcmp(cmd, "show"))
			reply = cmd_show(d);
		else if (!strcmp(cmd, "events"))
			reply = cmd_events(d, req, err, sizeof(err));
		else
			reply = cmd_drain(d, req, !strcmp(cmd, "drain"), err, sizeof(err));
	}
	if (!reply)
		reply = json_pack("{s:b,s:s}", "ok", 0, "error", err[0] ? err : "failed");
	json_decref(req);
	out = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return out;
}

/* ---- sockets -------------------------------------------------------------- */

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid() || (ctl.have_user && cr.uid == ctl.user) ||
	       (ctl.have_group && cr.gid == ctl.group);
}

static void client_close(struct gsd *d, int slot)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, ctl.c[slot].fd, NULL);
	close(ctl.c[slot].fd);
	ctl.c[slot].fd = -1;
}

static void accept_clients(struct gsd *d)
{
	for (;;) {
		int fd = accept4(ctl.lfd, NULL, NULL, SOCK_CLOEXEC), slot = -1;
		struct timeval tv = { .tv_sec = 1 };
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		for (int i = 0; i < CTL_CLIENTS && slot < 0; i++)
			if (ctl.c[i].fd < 0)
				slot = i;
		if (!peer_allowed(fd) || slot < 0) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
			static const char denied[] = "{\"ok\":false,\"error\":\"permission denied\"}\n";

			if (slot >= 0)
				ctl.refused++;
			(void)!send(fd, slot < 0 ? busy : denied,
				    slot < 0 ? sizeof(busy) - 1 : sizeof(denied) - 1,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		/* replies are written whole, with a bounded wait on a slow
		 * reader; requests are read only when epoll says so */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ctl.c[slot].fd = fd;
		ctl.c[slot].len = 0;
		ev.data.u64 = GSD_TAG_CTL_CLIENT | ((uint64_t)slot << 32);
		epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static int send_line(int fd, const char *s)
{
	return gs_send_all(fd, s, strlen(s)) < 0 || gs_send_all(fd, "\n", 1) < 0 ? -1 : 0;
}

static void client_input(struct gsd *d, int slot)
{
	char *nl;
	ssize_t n = recv(ctl.c[slot].fd, ctl.c[slot].buf + ctl.c[slot].len,
			 CTL_LINE_MAX - 1 - ctl.c[slot].len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(d, slot);
		return;
	}
	ctl.c[slot].len += (uint32_t)n;
	ctl.c[slot].buf[ctl.c[slot].len] = '\0';
	while ((nl = memchr(ctl.c[slot].buf, '\n', ctl.c[slot].len))) {
		uint32_t used = (uint32_t)(nl - ctl.c[slot].buf) + 1;
		char *reply;

		*nl = '\0';
		reply = gsd_ctl_handle(d, ctl.c[slot].buf);
		if (!reply || send_line(ctl.c[slot].fd, reply) < 0) {
			free(reply);
			client_close(d, slot);
			return;
		}
		free(reply);
		memmove(ctl.c[slot].buf, ctl.c[slot].buf + used, ctl.c[slot].len - used);
		ctl.c[slot].len -= used;
	}
	if (ctl.c[slot].len == CTL_LINE_MAX - 1) {
		(void)!send_line(ctl.c[slot].fd, "{\"ok\":false,\"error\":\"request line too long\"}");
		client_close(d, slot);
	}
}

void gsd_ctl_event(struct gsd *d, uint64_t tag)
{
	if ((uint32_t)tag == GSD_TAG_CTL_LISTEN)
		accept_clients(d);
	else
		client_input(d, (int)(tag >> 32));
}

int gsd_ctl_open(struct gsd *d, char *err, size_t errlen)
{
	const struct gs_daemon_cfg *c = &d->cfg->daemon;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = GSD_TAG_CTL_LISTEN };

	for (int i = 0; i < CTL_CLIENTS; i++)
		ctl.c[i].fd = -1;
	if (c->control_user[0]) {
		struct passwd *pw = getpwnam(c->control_user);

		if (!pw) {
			snprintf(err, errlen, "daemon.control_user: no user '%s'", c->control_user);
			return -1;
		}
		ctl.user = pw->pw_uid;
		ctl.have_user = true;
	}
	if (c->control_group[0]) {
		struct group *gr = getgrnam(c->control_group);

		if (!gr) {
			snprintf(err, errlen, "daemon.control_group: no group '%s'", c->control_group);
			return -1;
		}
		ctl.group = gr->gr_gid;
		ctl.have_group = true;
	}
	ctl.lfd = gs_unix_listen(c->socket, SOCK_STREAM, CTL_CLIENTS, &ctl.file, err, errlen);
	if (ctl.lfd < 0)
		return -1;
	snprintf(ctl.path, sizeof(ctl.path), "%s", c->socket);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ctl.lfd, &ev) < 0) {
		snprintf(err, errlen, "%s: %s", c->socket, strerror(errno));
		gsd_ctl_close(d);
		return -1;
	}
	/* a control_user daemon client must be able to connect: it owns the
	 * file, still 0600 */
	if (ctl.have_user && geteuid() == 0 && chown(c->socket, ctl.user, (gid_t)-1) < 0)
		syslog(LOG_WARNING, "chown %s: %s", c->socket, strerror(errno));
	return 0;
}

void gsd_ctl_close(struct gsd *d)
{
	for (int i = 0; i < CTL_CLIENTS; i++)
		if (ctl.c[i].fd >= 0)
			client_close(d, i);
	if (ctl.lfd >= 0) {
		close(ctl.lfd);
		gs_unix_unlink(ctl.path, &ctl.file);
	}
	ctl.lfd = -1;
}
