/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (see ctl.h and docs/control-socket.md).
 *
 * Two layers: gs_ctl_handle() turns one request line into one reply line and
 * knows nothing of sockets; the rest is a small non-blocking line server that
 * the main lcore polls.  Requests are strict (unknown commands, unknown keys
 * and wrongly typed fields are errors) so that a typo in gsteerctl or gsteerd
 * can never be mistaken for a request that worked.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "ctl.h"
#include "dp.h"
#include "gs_unixsock.h"
#include "probe.h"
#include "telemetry.h"

#define CTL_LOG(level, fmt, ...) \
	RTE_LOG(level, USER1, "gsteer ctl: " fmt "\n", ##__VA_ARGS__)

/* a client this far behind in reading its replies is not served further
 * requests until it catches up ... */
#define CTL_OUT_SOFT (256u * 1024)
/* ... and one that lets this much pile up is disconnected */
#define CTL_OUT_MAX (64u * 1024 * 1024)
/* requests served per client per poll, so one client cannot stall the loop */
#define CTL_REQ_BURST 16
#define CTL_ACCEPT_BURST 8
#define CTL_MAX_GROUP_UIDS 1024
/* user text quoted in error messages is cut to this many bytes */
#define CTL_QUOTE_MAX 80

/* ======================================================================== */
/* Request handling: no socket I/O below this line until the server part.  */
/* ======================================================================== */

struct ctl_cmd;
typedef int (*ctl_fn)(struct gs_dp *dp, const struct ctl_cmd *cmd,
		      json_t *req, json_t *reply, char *err, size_t errlen);

struct ctl_cmd {
	const char *name;
	ctl_fn fn;
	const char *const *keys; /* allowed besides "cmd", NULL-terminated */
	int state;               /* set_state family: fixed target, or -1 */
	bool no_dp;              /* answers without a data plane */
};

static struct gs_ctl_stats ctl_stats;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__rte_format_printf(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Copy user text for an error message, cut at a UTF-8 character boundary:
 * jansson refuses to encode invalid UTF-8, and a half character would turn a
 * precise error into a generic one.
 */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (n < len) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	n = len - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

/*
 * A JSON string for text that did not come through the JSON parser (names
 * from the config, messages from group.c): not known to be valid UTF-8, so
 * fall back to an ASCII copy rather than lose the field.
 */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !s)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *juint(uint64_t v)
{
	/* counters stay far below 2^63; clamp rather than print negatives */
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* ---- request fields ------------------------------------------------------ */

/* @required false: a missing field leaves *out NULL */
static int field_str(json_t *req, const char *key, bool required,
		     const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		set_err(err, errlen, "missing field '%s'", key);
		return -1;
	}
	if (!json_is_string(v)) {
		set_err(err, errlen, "field '%s' must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* a missing field gives @def */
static int field_uint(json_t *req, const char *key, uint64_t min, uint64_t max,
		      uint64_t def, uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, key);
	json_int_t i;

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		set_err(err, errlen, "field '%s' must be an integer", key);
		return -1;
	}
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
		set_err(err, errlen,
			"field '%s' must be an integer from %" PRIu64 " to %" PRIu64
			", got %" JSON_INTEGER_FORMAT, key, min, max, i);
		return -1;
	}
	*out = (uint64_t)i;
	return 0;
}

/* the rule of the config loader for ids and names */
static const char *name_problem(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "must not be empty";
	if (n >= GS_NAME_MAX)
		return "is too long (at most 63 bytes)";
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return "may hold only letters, digits, '.', '_' and '-'";
	return NULL;
}

static int field_state(json_t *req, bool allow_removed, enum gs_app_state *out,
		       char *err, size_t errlen)
{
	char q[CTL_QUOTE_MAX];
	const char *s;
	int st;

	if (field_str(req, "state", true, &s, err, errlen) < 0)
		return -1;
	st = gs_app_state_from_name(s);
	if (st < 0 || (st == GS_APP_REMOVED && !allow_removed)) {
		set_err(err, errlen, "field 'state': unknown state '%s' (%s)",
			quote(s, q, sizeof(q)),
			allow_removed ? "healthy, unhealthy, draining or removed" :
					"healthy, unhealthy or draining");
		return -1;
	}
	*out = (enum gs_app_state)st;
	return 0;
}

static int find_group(const struct gs_dp *dp, const char *name, uint32_t *out,
		      char *err, size_t errlen)
{
	char q[CTL_QUOTE_MAX];
	int g = gs_group_find(dp, name);

	if (g < 0 || (uint32_t)g >= gs_dp_n_groups(dp)) {
		set_err(err, errlen, "unknown group '%s'", quote(name, q, sizeof(q)));
		return -1;
	}
	*out = (uint32_t)g;
	return 0;
}

/* {"appliance": id, "group": name?} -> appliance index */
static int resolve_appliance(const struct gs_dp *dp, json_t *req, uint32_t *app,
			     char *err, size_t errlen)
{
	const char *id, *group;
	int idx;

	if (field_str(req, "appliance", true, &id, err, errlen) < 0 ||
	    field_str(req, "group", false, &group, err, errlen) < 0)
		return -1;
	idx = gs_dp_appliance_resolve(dp, group, id, err, errlen);
	if (idx < 0)
		return -1;
	*app = (uint32_t)idx;
	return 0;
}

/* the part of a reply that says which appliance a change was about */
static void reply_appliance(const struct gs_dp *dp, uint32_t app, json_t *reply)
{
	const struct gs_appliance *a = &dp->appliances[app];

	json_object_set_new(reply, "appliance", jstr(a->id));
	json_object_set_new(reply, "group", jstr(gs_dp_group_name(dp, a->group)));
	json_object_set_new(reply, "state", jstr(gs_app_state_name(a->state)));
}

/* the data plane's monotonic clock; 0 for a bare test struct without one */
static uint32_t now_ms(const struct gs_dp *dp)
{
	return dp->tsc_hz ? gs_dp_now_ms(dp) : 0;
}

static uint64_t flows_used(const struct gs_dp *dp)
{
	return dp->flows_hash ? gs_flow_count(dp) : 0;
}

/* ---- commands ----------------------------------------------------------- */

static void list_commands(json_t *names);

static int cmd_ping(struct gs_dp *dp __rte_unused,
		    const struct ctl_cmd *cmd __rte_unused, json_t *req __rte_unused,
		    json_t *reply, char *err __rte_unused, size_t errlen __rte_unused)
{
	json_object_set_new(reply, "version", json_string(GS_VERSION));
	return 0;
}

static int cmd_help(struct gs_dp *dp __rte_unused,
		    const struct ctl_cmd *cmd __rte_unused, json_t *req __rte_unused,
		    json_t *reply, char *err __rte_unused, size_t errlen __rte_unused)
{
	json_t *names = json_array();

	list_commands(names);
	json_object_set_new(reply, "commands", names);
	return 0;
}

static int cmd_show_appliances(struct gs_dp *dp,
			       const struct ctl_cmd *cmd __rte_unused,
			       json_t *req __rte_unused, json_t *reply,
			       char *err __rte_unused, size_t errlen __rte_unused)
{
	json_t *list = json_array();
	struct gs_app_view v;

	for (uint32_t i = 0; i < gs_dp_n_appliances(dp); i++) {
		json_t *o;

		if (!gs_app_view_get(dp, i, &v))
			continue;
		o = json_object();
		json_object_set_new(o, "id", jstr(v.id));
		json_object_set_new(o, "group", jstr(v.group));
		json_object_set_new(o, "index", juint(v.index));
		json_object_set_new(o, "address", jstr(v.address));
		json_object_set_new(o, "state", jstr(v.state));
		json_object_set_new(o, "since_ns", juint(v.since_ns));
		json_object_set_new(o, "weight", juint(v.weight));
		for (unsigned int f = 0; f < gs_n_app_stat_fields; f++)
			json_object_set_new(o, gs_app_stat_fields[f].name,
					    juint(gs_stat_get(&v.stats,
							      &gs_app_stat_fields[f])));
		json_object_set_new(o, "flows", juint(v.flows));
		json_array_append_new(list, o);
	}
	/* last_rx_ms is on this clock: clients need it to tell an age */
	json_object_set_new(reply, "now_ms", juint(now_ms(dp)));
	json_object_set_new(reply, "appliances", list);
	return 0;
}

/* set_state, and drain / undrain with their fixed target state */
static int cmd_set_state(struct gs_dp *dp, const struct ctl_cmd *cmd,
			 json_t *req, json_t *reply, char *err, size_t errlen)
{
	enum gs_app_state st;
	uint32_t app;

	if (resolve_appliance(dp, req, &app, err, errlen) < 0)
		return -1;
	if (cmd->state >= 0)
		st = (enum gs_app_state)cmd->state;
	else if (field_state(req, true, &st, err, errlen) < 0)
		return -1;
	err[0] = '\0';
	if (gs_appliance_set_state(dp, app, st, err, errlen) < 0) {
		if (!err[0])
			set_err(err, errlen, "cannot set appliance '%s' %s",
				dp->appliances[app].id, gs_app_state_name(st));
		return -1;
	}
	reply_appliance(dp, app, reply);
	return 0;
}

/*
 * Many states at once, as gsteerd sends them: checked first, so a bad entry
 * changes nothing, then applied with one Maglev build per group touched
 * (1,000 single set_state calls would cost 1,000 builds and RCU waits).
 */
#define CTL_BATCH_MAX GS_MAX_APPLIANCES

static int cmd_set_states(struct gs_dp *dp, const struct ctl_cmd *cmd __rte_unused,
			  json_t *req, json_t *reply, char *err, size_t errlen)
{
	json_t *list = json_object_get(req, "changes"), *e;
	bool touched[GS_MAX_TARGET_GROUPS] = { false };
	uint32_t *apps = NULL, changed = 0;
	enum gs_app_state *states = NULL;
	size_t i, n;
	int rc = -1;

	if (!json_is_array(list)) {
		set_err(err, errlen, "\"changes\" (an array of {appliance, group, state}) is required");
		return -1;
	}
	n = json_array_size(list);
	if (n > CTL_BATCH_MAX) {
		set_err(err, errlen, "\"changes\": at most %u entries (got %zu)", CTL_BATCH_MAX, n);
		return -1;
	}
	apps = calloc(n ? n : 1, sizeof(*apps));
	states = calloc(n ? n : 1, sizeof(*states));
	if (!apps || !states) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, e) {
		char sub[256];
		const char *key;
		json_t *v;

		if (!json_is_object(e)) {
			set_err(err, errlen, "changes[%zu]: not an object", i);
			goto out;
		}
		json_object_foreach(e, key, v) {
			if (strcmp(key, "appliance") && strcmp(key, "group") && strcmp(key, "state")) {
				set_err(err, errlen, "changes[%zu]: unknown key \"%s\"", i, key);
				goto out;
			}
		}
		if (resolve_appliance(dp, e, &apps[i], sub, sizeof(sub)) < 0 ||
		    field_state(e, true, &states[i], sub, sizeof(sub)) < 0) {
			set_err(err, errlen, "changes[%zu]: %s", i, sub);
			goto out;
		}
		if (dp->appliances[apps[i]].state == GS_APP_REMOVED && states[i] != GS_APP_REMOVED) {
			set_err(err, errlen, "changes[%zu]: appliance '%s' was removed; add it again instead",
				i, dp->appliances[apps[i]].id);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		int r = gs_appliance_change_state(dp, apps[i], states[i], err, errlen);

		if (r < 0)
			goto out; /* checked above: cannot happen */
		if (r > 0) {
			changed++;
			touched[dp->appliances[apps[i]].group] = true;
		}
	}
	for (uint32_t g = 0; g < dp->n_groups; g++) {
		if (touched[g] && gs_group_publish(dp, g) != 0) {
			set_err(err, errlen, "target group '%s': rebuilding the Maglev table failed",
				gs_dp_group_name(dp, g));
			goto out;
		}
	}
	json_object_set_new(reply, "changed", juint(changed));
	rc = 0;
out:
	free(apps);
	free(states);
	return rc;
}

static int cmd_add_appliance(struct gs_dp *dp,
			     const struct ctl_cmd *cmd __rte_unused, json_t *req,
			     json_t *reply, char *err, size_t errlen)
{
	struct gs_appliance_cfg ac;
	const char *group, *id, *addr, *problem;
	char q[CTL_QUOTE_MAX];
	uint64_t weight;
	uint32_t g;
	int idx;

	memset(&ac, 0, sizeof(ac));
	ac.state = GS_APP_HEALTHY;
	if (field_str(req, "group", true, &group, err, errlen) < 0 ||
	    field_str(req, "id", true, &id, err, errlen) < 0 ||
	    field_str(req, "address", true, &addr, err, errlen) < 0 ||
	    field_uint(req, "weight", 1, GS_MAX_WEIGHT, 1, &weight, err, errlen) < 0)
		return -1;
	/* an appliance is added into the group: "removed" makes no sense */
	if (json_object_get(req, "state") &&
	    field_state(req, false, &ac.state, err, errlen) < 0)
		return -1;
	problem = name_problem(id);
	if (problem) {
		set_err(err, errlen, "field 'id': '%s' %s",
			quote(id, q, sizeof(q)), problem);
		return -1;
	}
	if (gs_ipaddr_parse(addr, &ac.address) < 0) {
		set_err(err, errlen,
			"field 'address': '%s' is not an IPv4 or IPv6 address",
			quote(addr, q, sizeof(q)));
		return -1;
	}
	if (find_group(dp, group, &g, err, errlen) < 0)
		return -1;
	snprintf(ac.id, sizeof(ac.id), "%s", id);
	/* the data plane never health-checks: the daemon owns that address */
	ac.health_address = ac.address;
	ac.weight = (uint32_t)weight;

	err[0] = '\0';
	if (gs_appliance_add(dp, g, &ac, err, errlen) < 0) {
		if (!err[0])
			set_err(err, errlen, "cannot add appliance '%s' to group '%s'",
				ac.id, gs_dp_group_name(dp, g));
		return -1;
	}
	idx = gs_appliance_find(dp, gs_dp_group_name(dp, g), ac.id);
	if (idx >= 0 && (uint32_t)idx < gs_dp_n_appliances(dp))
		reply_appliance(dp, (uint32_t)idx, reply);
	return 0;
}

static int cmd_remove_appliance(struct gs_dp *dp,
				const struct ctl_cmd *cmd __rte_unused,
				json_t *req, json_t *reply, char *err, size_t errlen)
{
	uint32_t app;

	if (resolve_appliance(dp, req, &app, err, errlen) < 0)
		return -1;
	err[0] = '\0';
	if (gs_appliance_remove(dp, app, err, errlen) < 0) {
		if (!err[0])
			set_err(err, errlen, "cannot remove appliance '%s'",
				dp->appliances[app].id);
		return -1;
	}
	reply_appliance(dp, app, reply);
	return 0;
}

static json_t *flow_addr(uint8_t family, const uint8_t *a)
{
	struct gs_ipaddr ip = { .family = family };
	char buf[48];

	memcpy(ip.a, a, sizeof(ip.a));
	return jstr(gs_ipaddr_format(&ip, buf, sizeof(buf)));
}

/*
 * The outer family of a direction's upstream is the family of the listener
 * it came to; without a config (bare test state) guess from the bytes.
 */
static uint8_t dir_family(const struct gs_dp *dp, const struct gs_flow_dir *fd)
{
	static const uint8_t zero[12];

	if (dp->cfg && fd->listener < dp->cfg->n_listeners)
		return dp->cfg->listeners[fd->listener].address.family;
	return memcmp(fd->upstream + 4, zero, sizeof(zero)) ? GS_AF_INET6 : GS_AF_INET;
}

static json_t *flow_json(const struct gs_dp *dp, const struct gs_flow_key *k,
			 const struct gs_flow *f, uint32_t now)
{
	json_t *o = json_object(), *dirs = json_array();
	uint32_t idle = now - f->last_seen_ms;

	json_object_set_new(o, "family", json_string(k->family == GS_AF_INET6 ?
						       "ipv6" : "ipv4"));
	json_object_set_new(o, "proto", juint(k->proto));
	json_object_set_new(o, "addr_lo", flow_addr(k->family, k->addr_lo));
	json_object_set_new(o, "port_lo", juint(k->port_lo));
	json_object_set_new(o, "addr_hi", flow_addr(k->family, k->addr_hi));
	json_object_set_new(o, "port_hi", juint(k->port_hi));
	json_object_set_new(o, "vni", juint(k->vni));
	json_object_set_new(o, "group", jstr(gs_dp_group_name(dp, k->group)));
	json_object_set_new(o, "appliance",
			    f->appliance < gs_dp_n_appliances(dp) &&
					    dp->appliances[f->appliance].in_use ?
				    jstr(dp->appliances[f->appliance].id) :
				    json_null());
	/* a worker may have stamped the flow after we read the clock */
	json_object_set_new(o, "idle_ms", juint(idle > INT32_MAX ? 0 : idle));
	for (int d = 0; d < 2; d++) {
		const struct gs_flow_dir *fd = gs_flow_dir_of(dp, f, d);
		json_t *jd;

		if (!fd)
			continue;
		jd = json_object();
		json_object_set_new(jd, "dir", juint(d));
		json_object_set_new(jd, "upstream",
				    flow_addr(dir_family(dp, fd), fd->upstream));
		if (dp->cfg && fd->listener < dp->cfg->n_listeners)
			json_object_set_new(jd, "listener",
					    jstr(dp->cfg->listeners[fd->listener].name));
		json_object_set_new(jd, "vni", juint(fd->vni));
		json_array_append_new(dirs, jd);
	}
	json_object_set_new(o, "dirs", dirs);
	return o;
}

/*
 * Iterates the live table on the main lcore while workers insert: a flow
 * added or aged meanwhile may be missed, which a snapshot for display
 * tolerates.  Only @limit entries are visited, so a full table costs
 * nothing beyond what is shown; "count" comes from the hash's own count.
 */
static int cmd_show_flows(struct gs_dp *dp, const struct ctl_cmd *cmd __rte_unused,
			  json_t *req, json_t *reply, char *err, size_t errlen)
{
	json_t *list = json_array();
	uint32_t next = 0, now = now_ms(dp);
	uint64_t limit, n = 0;
	const void *key;
	void *data;
	int32_t pos;

	if (field_uint(req, "limit", 0, GS_CTL_FLOWS_MAX, GS_CTL_FLOWS_DEFAULT,
		       &limit, err, errlen) < 0) {
		json_decref(list);
		return -1;
	}
	while (dp->flows_hash && dp->flows && n < limit &&
	       (pos = rte_hash_iterate(dp->flows_hash, &key, &data, &next)) >= 0) {
		/* positions past the array would mean a mis-sized flows[];
		 * a flow not yet live is still being filled in by its worker */
		if ((uint32_t)pos >= dp->flow_capacity || !dp->flows[pos].live)
			continue;
		json_array_append_new(list, flow_json(dp, key, &dp->flows[pos], now));
		n++;
	}
	json_object_set_new(reply, "count", juint(flows_used(dp)));
	json_object_set_new(reply, "flows", list);
	return 0;
}

static int cmd_show_stats(struct gs_dp *dp, const struct ctl_cmd *cmd __rte_unused,
			  json_t *req __rte_unused, json_t *reply,
			  char *err __rte_unused, size_t errlen __rte_unused)
{
	json_t *ft = json_object(), *counters = json_object(), *drops = json_object();
	json_t *control = json_object(), *probes = json_object();
	struct gs_worker_stats sum;
	struct gs_probe_stats ps;
	struct gs_ctl_stats cs;

	/* the sum includes the main lcore's drops (dp->main_drops) */
	gs_dp_stats_sum(dp, &sum);
	gs_ctl_get_stats(&cs);

	json_object_set_new(ft, "capacity", juint(dp->flow_capacity));
	json_object_set_new(ft, "used", juint(flows_used(dp)));
	json_object_set_new(ft, "aged", juint(dp->flows_aged));
	for (unsigned int i = 0; i < gs_n_worker_stat_fields; i++)
		json_object_set_new(counters, gs_worker_stat_fields[i].name,
				    juint(gs_stat_get(&sum, &gs_worker_stat_fields[i])));
	for (unsigned int r = GS_R_OK + 1; r < GS_R_COUNT; r++)
		json_object_set_new(drops, gs_reason_name(r), juint(sum.drops[r]));
	json_object_set_new(control, "clients", juint(cs.clients));
	json_object_set_new(control, "accepted", juint(cs.accepted));
	json_object_set_new(control, "refused", juint(cs.refused));
	json_object_set_new(control, "busy", juint(cs.busy));
	json_object_set_new(control, "requests", juint(cs.requests));
	json_object_set_new(control, "errors", juint(cs.errors));
	gs_probe_get_stats(&ps);
	json_object_set_new(probes, "requests", juint(ps.requests));
	json_object_set_new(probes, "sent", juint(ps.sent));
	json_object_set_new(probes, "returned", juint(ps.returned));
	json_object_set_new(probes, "errors", juint(ps.errors));
	json_object_set_new(probes, "undelivered", juint(ps.undelivered));

	json_object_set_new(reply, "flow_table", ft);
	json_object_set_new(reply, "counters", counters);
	json_object_set_new(reply, "drops", drops);
	json_object_set_new(reply, "control", control);
	json_object_set_new(reply, "probes", probes);
	return 0;
}

/* the config file's spellings (common/gs_config.c) */
static const char *stickiness_name(enum gs_stickiness s)
{
	return s == GS_STICKY_5TUPLE ? "5-tuple" : s == GS_STICKY_3TUPLE ? "3-tuple" :
	       s == GS_STICKY_2TUPLE ? "2-tuple" : "unknown";
}

static const char *failover_name(enum gs_failover_mode m)
{
	return m == GS_REBALANCE ? "rebalance" :
	       m == GS_NO_REBALANCE ? "no_rebalance" : "unknown";
}

static int cmd_show_groups(struct gs_dp *dp, const struct ctl_cmd *cmd __rte_unused,
			   json_t *req __rte_unused, json_t *reply,
			   char *err __rte_unused, size_t errlen __rte_unused)
{
	json_t *list = json_array();

	for (uint32_t i = 0; i < gs_dp_n_groups(dp); i++) {
		const struct gs_group *g = &dp->groups[i];
		const struct gs_target_group_cfg *c = g->cfg;
		json_t *o = json_object(), *members = json_array();
		uint32_t n = RTE_MIN(g->n_members, (uint32_t)GS_MAX_APPLIANCES_PER_GROUP);

		json_object_set_new(o, "name", jstr(gs_dp_group_name(dp, i)));
		json_object_set_new(o, "n_members", juint(g->n_members));
		json_object_set_new(o, "n_healthy", juint(g->rt ? g->rt->n_healthy : 0));
		json_object_set_new(o, "maglev_size",
				    juint(g->rt ? g->rt->maglev_size :
					  c ? c->maglev_size : 0));
		if (c) {
			json_object_set_new(o, "stickiness",
					    json_string(stickiness_name(c->stickiness)));
			json_object_set_new(o, "on_unhealthy",
					    json_string(failover_name(c->on_unhealthy)));
			json_object_set_new(o, "on_deregistration",
					    json_string(failover_name(c->on_deregistration)));
			json_object_set_new(o, "deregistration_delay_s",
					    juint(c->deregistration_delay_s));
			json_object_set_new(o, "no_healthy",
					    json_string(c->no_healthy == GS_FAIL_CLOSED ?
							"fail_closed" : "fail_open"));
		}
		/* removed members keep their slot (and count in n_members) until
		 * the run ends, so each is shown with its state */
		for (uint32_t m = 0; m < n; m++) {
			const struct gs_appliance *a;
			json_t *jm;

			if (g->members[m] >= gs_dp_n_appliances(dp))
				continue;
			a = &dp->appliances[g->members[m]];
			jm = json_object();
			json_object_set_new(jm, "id", jstr(a->id));
			json_object_set_new(jm, "state", jstr(gs_app_state_name(a->state)));
			json_array_append_new(members, jm);
		}
		json_object_set_new(o, "members", members);
		json_array_append_new(list, o);
	}
	json_object_set_new(reply, "groups", list);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_KEYS ((const char *const[]){ NULL })

static const struct ctl_cmd ctl_cmds[] = {
	{ "ping", cmd_ping, NO_KEYS, -1, true },
	{ "help", cmd_help, NO_KEYS, -1, true },
	{ "show_appliances", cmd_show_appliances, NO_KEYS, -1, false },
	{ "show_groups", cmd_show_groups, NO_KEYS, -1, false },
	{ "show_flows", cmd_show_flows, KEYS("limit"), -1, false },
	{ "show_stats", cmd_show_stats, NO_KEYS, -1, false },
	{ "set_state", cmd_set_state, KEYS("appliance", "group", "state"), -1, false },
	{ "set_states", cmd_set_states, KEYS("changes"), -1, false },
	{ "drain", cmd_set_state, KEYS("appliance", "group"), GS_APP_DRAINING, false },
	{ "undrain", cmd_set_state, KEYS("appliance", "group"), GS_APP_HEALTHY, false },
	{ "add_appliance", cmd_add_appliance,
	  KEYS("group", "id", "address", "weight", "state"), -1, false },
	{ "remove_appliance", cmd_remove_appliance, KEYS("appliance", "group"), -1,
	  false },
};

static void list_commands(json_t *names)
{
	for (unsigned int i = 0; i < RTE_DIM(ctl_cmds); i++)
		json_array_append_new(names, json_string(ctl_cmds[i].name));
}

static const struct ctl_cmd *cmd_lookup(const char *name)
{
	for (unsigned int i = 0; i < RTE_DIM(ctl_cmds); i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

static int check_keys(const struct ctl_cmd *cmd, json_t *req, char *err,
		      size_t errlen)
{
	char q[CTL_QUOTE_MAX];
	const char *key;
	json_t *v;

	json_object_foreach(req, key, v) {
		const char *const *k = cmd->keys;

		if (strcmp(key, "cmd") == 0)
			continue;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k) {
			set_err(err, errlen, "unknown field '%s' for command '%s'",
				quote(key, q, sizeof(q)), cmd->name);
			return -1;
		}
	}
	return 0;
}

static char *dump(json_t *reply)
{
	char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	json_decref(reply);
	return s ? s : strdup("{\"ok\":false,\"error\":\"out of memory\"}");
}

static char *error_reply(const char *msg)
{
	json_t *r = json_object();

	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error", jstr(msg));
	return dump(r);
}

char *gs_ctl_handle_buf(struct gs_dp *dp, const char *buf, size_t len)
{
	char err[512], q[CTL_QUOTE_MAX];
	const struct ctl_cmd *cmd;
	json_error_t jerr;
	json_t *req, *reply;
	const char *name;

	ctl_stats.requests++;
	if (!buf || len == 0) {
		ctl_stats.errors++;
		return error_reply("empty request");
	}
	/* a duplicate key is a request that says two things */
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(err, sizeof(err), "malformed JSON at column %d: %s",
			 jerr.column, jerr.text);
		ctl_stats.errors++;
		return error_reply(err);
	}
	err[0] = '\0';
	if (!json_is_object(req)) {
		snprintf(err, sizeof(err), "request must be a JSON object");
	} else if (field_str(req, "cmd", true, &name, err, sizeof(err)) == 0) {
		cmd = cmd_lookup(name);
		if (!cmd) {
			snprintf(err, sizeof(err),
				 "unknown command '%s' (\"help\" lists them)",
				 quote(name, q, sizeof(q)));
		} else if (check_keys(cmd, req, err, sizeof(err)) == 0) {
			if (!dp && !cmd->no_dp) {
				snprintf(err, sizeof(err), "data plane not initialised");
			} else {
				reply = json_object();
				json_object_set_new(reply, "ok", json_true());
				if (cmd->fn(dp, cmd, req, reply, err, sizeof(err)) == 0) {
					json_decref(req);
					return dump(reply);
				}
				json_decref(reply);
			}
		}
	}
	json_decref(req);
	ctl_stats.errors++;
	return error_reply(err[0] ? err : "request failed");
}

char *gs_ctl_handle(struct gs_dp *dp, const char *line)
{
	return gs_ctl_handle_buf(dp, line, line ? strlen(line) : 0);
}

/* ======================================================================== */
/* The line server.                                                         */
/* ======================================================================== */

struct ctl_client {
	int fd;
	bool eof;     /* the peer will send nothing more */
	bool closing; /* close once the queued replies are out */
	char *in;     /* [GS_CTL_LINE_MAX] */
	size_t in_len;
	char *out;
	size_t out_off, out_len, out_cap;
};

static struct {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct gs_unix_file file; /* ours, so we never unlink another's */
	uint64_t next_poll_tsc;
	/* who may connect, resolved at open: NSS lookups may block (LDAP...) */
	uid_t owner;
	bool have_user, have_group;
	uid_t user_uid;
	gid_t group_gid;
	uid_t *group_uids;
	size_t n_group_uids;
	struct ctl_client clients[GS_CTL_MAX_CLIENTS];
} ctl = { .lfd = -1 };

void gs_ctl_get_stats(struct gs_ctl_stats *out)
{
	*out = ctl_stats;
	out->clients = 0;
	for (unsigned int i = 0; i < GS_CTL_MAX_CLIENTS; i++)
		if (ctl.lfd >= 0 && ctl.clients[i].fd >= 0)
			out->clients++;
}

static void client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* best effort, for a peer we are about to close without serving */
static void send_refusal(int fd, const char *msg)
{
	char *line = error_reply(msg);

	if (line) {
		size_t n = strlen(line);

		/* replaces the NUL; a peer that is already gone is not told */
		line[n] = '\n';
		send(fd, line, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(line);
	}
}

static int client_queue(struct ctl_client *c, const char *s, size_t n)
{
	size_t need = c->out_len + n + 1;

	if (need > c->out_cap && c->out_off) {
		/* reclaim what is sent before growing */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		need = c->out_len + n + 1;
	}
	if (need > CTL_OUT_MAX)
		return -1;
	if (need > c->out_cap) {
		size_t cap = RTE_MAX(c->out_cap * 2, need);
		char *p;

		p = realloc(c->out, cap);
		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return 0;
}

static int client_reply(struct gs_dp *dp, struct ctl_client *c, const char *line,
			size_t n)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";
	char *r;
	int rc;

	if (n && line[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0; /* blank lines are ignored, for people typing */
	r = gs_ctl_handle_buf(dp, line, n);
	rc = r ? client_queue(c, r, strlen(r)) : client_queue(c, oom, sizeof(oom) - 1);
	free(r);
	return rc;
}

/* returns -1 when the client must be dropped at once */
static int client_read(struct ctl_client *c)
{
	while (!c->eof && c->in_len < GS_CTL_LINE_MAX) {
		ssize_t n = recv(c->fd, c->in + c->in_len, GS_CTL_LINE_MAX - c->in_len,
				 MSG_DONTWAIT);

		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == 0)
			c->eof = true;
		else if (errno == EINTR)
			continue;
		else
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
	return 0;
}

static int client_serve(struct gs_dp *dp, struct ctl_client *c)
{
	unsigned int served = 0;
	char msg[96];

	while (!c->closing && served < CTL_REQ_BURST &&
	       c->out_len - c->out_off < CTL_OUT_SOFT) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t n;

		if (nl) {
			n = (size_t)(nl - c->in);
			if (client_reply(dp, c, c->in, n) < 0)
				return -1;
			c->in_len -= n + 1;
			memmove(c->in, nl + 1, c->in_len);
			served++;
			continue;
		}
		if (c->in_len == GS_CTL_LINE_MAX) {
			/* resynchronising inside an endless line is guesswork */
			snprintf(msg, sizeof(msg),
				 "{\"ok\":false,\"error\":\"request line longer than %u bytes\"}",
				 GS_CTL_LINE_MAX);
			ctl_stats.errors++;
			c->in_len = 0;
			c->closing = true;
			return client_queue(c, msg, strlen(msg));
		}
		if (c->eof) {
			/* a last request without newline, then shutdown(SHUT_WR) */
			if (c->in_len && client_reply(dp, c, c->in, c->in_len) < 0)
				return -1;
			c->in_len = 0;
			c->closing = true;
		}
		break;
	}
	return 0;
}

static int client_flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a client that hung up must not SIGPIPE us */
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			c->out_off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		else
			return -1;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static bool peer_allowed(uid_t uid, gid_t gid)
{
	if (uid == 0 || uid == ctl.owner)
		return true;
	if (ctl.have_user && uid == ctl.user_uid)
		return true;
	if (ctl.have_group) {
		if (gid == ctl.group_gid)
			return true;
		for (size_t i = 0; i < ctl.n_group_uids; i++)
			if (ctl.group_uids[i] == uid)
				return true;
	}
	return false;
}

static void accept_clients(void)
{
	for (unsigned int burst = 0; burst < CTL_ACCEPT_BURST; burst++) {
		struct ctl_client *c = NULL;
		/* what a failed SO_PEERCRED leaves: nobody that is allowed */
		struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		socklen_t clen = sizeof(cred);
		char msg[128];
		int fd;

		fd = accept4(ctl.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				CTL_LOG(WARNING, "accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
		    !peer_allowed(cred.uid, cred.gid)) {
			ctl_stats.refused++;
			/* a local user can loop on connect(): log sparsely */
			if (rte_is_power_of_2(ctl_stats.refused))
				CTL_LOG(WARNING, "refused uid %d pid %d (%" PRIu64 " refusals)",
					(int)cred.uid, (int)cred.pid, ctl_stats.refused);
			snprintf(msg, sizeof(msg),
				 "permission denied: uid %u may not use this socket",
				 (unsigned int)cred.uid);
			send_refusal(fd, msg);
			close(fd);
			continue;
		}
		for (unsigned int i = 0; i < GS_CTL_MAX_CLIENTS && !c; i++)
			if (ctl.clients[i].fd < 0)
				c = &ctl.clients[i];
		if (c)
			c->in = malloc(GS_CTL_LINE_MAX);
		if (!c || !c->in) {
			ctl_stats.busy++;
			snprintf(msg, sizeof(msg), "too many control clients (%u)",
				 GS_CTL_MAX_CLIENTS);
			send_refusal(fd, msg);
			close(fd);
			continue;
		}
		c->fd = fd;
		ctl_stats.accepted++;
	}
}

void gs_ctl_poll(struct gs_dp *dp)
{
	struct pollfd pfd[1 + GS_CTL_MAX_CLIENTS];
	struct ctl_client *owner[1 + GS_CTL_MAX_CLIENTS];
	unsigned int n = 0;
	uint64_t now;

	if (ctl.lfd < 0)
		return;
	/* one poll() per millisecond at most keeps the syscall off most turns
	 * of the main loop while staying well below human or daemon latency */
	now = rte_get_tsc_cycles();
	if (now < ctl.next_poll_tsc)
		return;
	ctl.next_poll_tsc = now + rte_get_tsc_hz() / 1000;

	pfd[n] = (struct pollfd){ .fd = ctl.lfd, .events = POLLIN };
	owner[n++] = NULL;
	for (unsigned int i = 0; i < GS_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl.clients[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		if (!c->eof && !c->closing && c->in_len < GS_CTL_LINE_MAX)
			ev |= POLLIN;
		if (c->out_off < c->out_len)
			ev |= POLLOUT;
		pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
		owner[n++] = c;
	}
	if (poll(pfd, n, 0) < 0)
		return;

	for (unsigned int i = 1; i < n; i++) {
		struct ctl_client *c = owner[i];

		if ((pfd[i].revents & (POLLERR | POLLNVAL)) ||
		    ((pfd[i].revents & (POLLIN | POLLHUP)) && client_read(c) < 0)) {
			client_close(c);
			continue;
		}
		/* serve even without an event: earlier lines may still wait
		 * behind the per-poll burst or a slow reader */
		if (client_serve(dp, c) < 0 || client_flush(c) < 0 ||
		    (c->closing && c->out_off == c->out_len))
			client_close(c);
	}
	if (pfd[0].revents & POLLIN)
		accept_clients();
}

/* ---- opening and closing ------------------------------------------------- */

static int resolve_peers(const struct gs_dp *dp, char *err, size_t errlen)
{
	const struct gs_daemon_cfg *d = dp && dp->cfg ? &dp->cfg->daemon : NULL;
	struct passwd *pw;
	struct group *gr;
	size_t n = 0;

	ctl.owner = geteuid();
	if (d && d->control_user[0]) {
		pw = getpwnam(d->control_user);
		if (!pw) {
			set_err(err, errlen, "daemon.control_user: no user '%s'",
				d->control_user);
			return -1;
		}
		ctl.have_user = true;
		ctl.user_uid = pw->pw_uid;
	}
	if (d && d->control_group[0]) {
		gr = getgrnam(d->control_group);
		if (!gr) {
			set_err(err, errlen, "daemon.control_group: no group '%s'",
				d->control_group);
			return -1;
		}
		ctl.have_group = true;
		ctl.group_gid = gr->gr_gid;
		/* SO_PEERCRED gives the primary gid only: supplementary members
		 * are matched by uid, listed here once */
		while (gr->gr_mem && gr->gr_mem[n] && n < CTL_MAX_GROUP_UIDS)
			n++;
		ctl.group_uids = calloc(n ? n : 1, sizeof(uid_t));
		if (!ctl.group_uids) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			/* getpwnam has its own static buffer: gr stays valid */
			pw = getpwnam(gr->gr_mem[i]);
			if (pw)
				ctl.group_uids[ctl.n_group_uids++] = pw->pw_uid;
		}
	}
	return 0;
}

int gs_ctl_open(struct gs_dp *dp, const char *path, char *err, size_t errlen)
{
	struct gs_unix_file file;
	int fd;

	if (ctl.lfd >= 0) {
		set_err(err, errlen, "control socket already open at %s", ctl.path);
		return -1;
	}
	if (path && strlen(path) >= sizeof(ctl.path)) {
		set_err(err, errlen, "control socket path longer than %zu bytes: %s",
			sizeof(ctl.path) - 1, path);
		return -1;
	}
	for (unsigned int i = 0; i < GS_CTL_MAX_CLIENTS; i++)
		ctl.clients[i].fd = -1;
	if (resolve_peers(dp, err, errlen) < 0)
		goto fail;
	fd = gs_unix_listen(path, SOCK_STREAM, GS_CTL_MAX_CLIENTS, &file, err, errlen);
	if (fd < 0)
		goto fail;
	/* run as root for DPDK, a control_user daemon must still be able to
	 * connect(): it becomes the file's one owner, still mode 0600 */
	if (ctl.have_user && geteuid() == 0 && ctl.user_uid != 0 &&
	    chown(path, ctl.user_uid, (gid_t)-1) < 0)
		CTL_LOG(WARNING, "chown %s: %s", path, strerror(errno));
	ctl.lfd = fd;
	ctl.file = file;
	ctl.next_poll_tsc = 0;
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	CTL_LOG(INFO, "listening on %s", path);
	return 0;
fail:
	free(ctl.group_uids);
	ctl.group_uids = NULL;
	ctl.n_group_uids = 0;
	ctl.have_user = ctl.have_group = false;
	return -1;
}

void gs_ctl_close(void)
{
	if (ctl.lfd < 0)
		return;
	for (unsigned int i = 0; i < GS_CTL_MAX_CLIENTS; i++)
		if (ctl.clients[i].fd >= 0)
			client_close(&ctl.clients[i]);
	close(ctl.lfd);
	gs_unix_unlink(ctl.path, &ctl.file);
	free(ctl.group_uids);
	ctl.group_uids = NULL;
	ctl.n_group_uids = 0;
	ctl.have_user = ctl.have_group = false;
	ctl.lfd = -1;
}
