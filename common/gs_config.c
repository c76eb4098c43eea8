/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON config loader.
 *
 * Every object of the file is described by a schema table (struct gs_field):
 * the key, the kind of value, where it goes in the model and its bounds.  One
 * generic walker (parse_object) checks unknown keys, types and ranges for all
 * of them, so every field reports its errors the same way.  Rules that span
 * fields (references, duplicates, subnets, Maglev size) run afterwards in
 * validate().  Defaults live in one section below, the "defaults" functions;
 * docs/configuration.md lists the same values.
 *
 * Error lines look like
 *   FILE: PATH: WHAT IS WRONG (got VALUE)
 * and only the first error is reported.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gs_config.h"
#include "gs_maglev.h"

#define GS_CONFIG_MAX_FILE (16u << 20) /* no sane config is bigger */
#define PATH_LEN 192                   /* "target_groups[63].appliances[4095]..." */
#define GOT_LEN 80                     /* a quoted value in a message */

/* ---- enum names -------------------------------------------------------- */

struct gs_enum_name {
	const char *name;
	int value;
};

static const struct gs_enum_name app_state_names[] = {
	{ "healthy", GS_APP_HEALTHY },
	{ "unhealthy", GS_APP_UNHEALTHY },
	{ "draining", GS_APP_DRAINING },
	{ "removed", GS_APP_REMOVED },
	{ NULL, 0 },
};

/* an appliance listed in the file is in the group: "removed" makes no sense */
static const struct gs_enum_name initial_state_names[] = {
	{ "healthy", GS_APP_HEALTHY },
	{ "unhealthy", GS_APP_UNHEALTHY },
	{ "draining", GS_APP_DRAINING },
	{ NULL, 0 },
};

static const struct gs_enum_name stickiness_names[] = {
	{ "5-tuple", GS_STICKY_5TUPLE },
	{ "3-tuple", GS_STICKY_3TUPLE },
	{ "2-tuple", GS_STICKY_2TUPLE },
	{ NULL, 0 },
};

static const struct gs_enum_name failover_names[] = {
	{ "rebalance", GS_REBALANCE },
	{ "no_rebalance", GS_NO_REBALANCE },
	{ NULL, 0 },
};

static const struct gs_enum_name no_healthy_names[] = {
	{ "fail_open", GS_FAIL_OPEN },
	{ "fail_closed", GS_FAIL_CLOSED },
	{ NULL, 0 },
};

static const struct gs_enum_name protocol_names[] = {
	{ "tcp", GS_CHECK_TCP },
	{ "http", GS_CHECK_HTTP },
	{ "none", GS_CHECK_NONE },
	{ NULL, 0 },
};

static const struct gs_enum_name passive_names[] = {
	{ "off", GS_PASSIVE_OFF },
	{ "count_as_failure", GS_PASSIVE_COUNT_AS_FAILURE },
	{ "mark_unhealthy", GS_PASSIVE_MARK_UNHEALTHY },
	{ NULL, 0 },
};

static const struct gs_enum_name backend_names[] = {
	{ "dpdk", GS_BACKEND_DPDK },
	{ "xdp", GS_BACKEND_XDP },
	{ NULL, 0 },
};

static const struct gs_enum_name xdp_mode_names[] = {
	{ "native", 1 },
	{ "generic", 0 },
	{ NULL, 0 },
};

static const struct gs_enum_name *enum_lookup(const struct gs_enum_name *t,
					      const char *name)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

const char *gs_app_state_name(enum gs_app_state s)
{
	for (const struct gs_enum_name *t = app_state_names; t->name; t++)
		if (t->value == (int)s)
			return t->name;
	return "unknown";
}

int gs_app_state_from_name(const char *name)
{
	const struct gs_enum_name *e = name ? enum_lookup(app_state_names, name) : NULL;

	return e ? e->value : -1;
}

/* ---- addresses --------------------------------------------------------- */

static size_t addr_len(uint8_t family)
{
	return family == GS_AF_INET ? 4 : family == GS_AF_INET6 ? 16 : 0;
}

int gs_ipaddr_parse(const char *s, struct gs_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = GS_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = GS_AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

const char *gs_ipaddr_format(const struct gs_ipaddr *a, char *buf, size_t len)
{
	int af = a->family == GS_AF_INET ? AF_INET :
		 a->family == GS_AF_INET6 ? AF_INET6 : AF_UNSPEC;

	if (len == 0)
		return buf;
	if (af == AF_UNSPEC || !inet_ntop(af, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "%s", af == AF_UNSPEC ? "none" : "?");
	return buf;
}

int gs_prefix_parse(const char *s, struct gs_prefix *out)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned len = 0;

	memset(out, 0, sizeof(*out));
	if (!s || !(slash = strchr(s, '/')))
		return -1;
	if ((size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	/* 1 to 3 decimal digits, nothing else (no sign, no spaces) */
	for (p = slash + 1; *p; p++) {
		if (!isdigit((unsigned char)*p) || p - slash > 3)
			return -1;
		len = len * 10 + (unsigned)(*p - '0');
	}
	if (p == slash + 1 || gs_ipaddr_parse(addr, &out->addr) < 0 ||
	    len > addr_len(out->addr.family) * 8) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->len = (uint8_t)len;
	return 0;
}

bool gs_prefix_contains(const struct gs_prefix *p, const struct gs_ipaddr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	uint8_t mask;

	if (p->addr.family != a->family || !addr_len(a->family) ||
	    p->len > addr_len(a->family) * 8)
		return false;
	if (memcmp(p->addr.a, a->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xFF << (8 - rest));
	return ((p->addr.a[full] ^ a->a[full]) & mask) == 0;
}

bool gs_ipaddr_equal(const struct gs_ipaddr *a, const struct gs_ipaddr *b)
{
	return a->family == b->family &&
	       memcmp(a->a, b->a, addr_len(a->family)) == 0;
}

/* ---- defaults: the one place where default values live ----------------- */
/*
 * Any change here must go to docs/configuration.md too.  Values that depend
 * on other fields (http port, health address, Maglev size) are settled in
 * resolve_defaults() once the whole file is read.
 */

#define GS_DEFAULT_CONTROL_SOCKET "/run/gsteer/dataplane.sock"
#define GS_DEFAULT_PROBE_SOCKET "/run/gsteer/probe.sock"
#define GS_DEFAULT_DAEMON_SOCKET "/run/gsteer/gsteerd.sock"
#define GS_DEFAULT_METRICS_LISTEN "127.0.0.1:9469"
#define GS_DEFAULT_MTU 1500
#define GS_DEFAULT_DEREG_DELAY_S 300
#define GS_DEFAULT_HTTP_PORT 80

static void config_defaults(void *p)
{
	struct gs_config *cfg = p;
	struct gs_dataplane_cfg *dp = &cfg->dataplane;
	struct gs_daemon_cfg *d = &cfg->daemon;

	dp->lcores[0] = '\0'; /* EAL's own default: every core */
	dp->flow_table_size = GS_DEFAULT_FLOW_TABLE_SIZE;
	dp->frag_table_size = GS_DEFAULT_FRAG_TABLE_SIZE;
	dp->hash_seed = GS_DEFAULT_HASH_SEED;
	snprintf(dp->control_socket, sizeof(dp->control_socket), "%s",
		 GS_DEFAULT_CONTROL_SOCKET);
	d->backend = GS_BACKEND_DPDK;
	snprintf(d->metrics_listen, sizeof(d->metrics_listen), "%s",
		 GS_DEFAULT_METRICS_LISTEN);
	d->xdp_native = true;
	snprintf(d->probe_socket, sizeof(d->probe_socket), "%s",
		 GS_DEFAULT_PROBE_SOCKET);
	snprintf(d->socket, sizeof(d->socket), "%s", GS_DEFAULT_DAEMON_SOCKET);
	/* control_user / control_group "": only the data plane's own user */
}

static void port_defaults(void *p)
{
	struct gs_port_cfg *port = p;

	port->mtu = GS_DEFAULT_MTU;
	port->vlan = 0;
}

static void listener_defaults(void *p)
{
	struct gs_listener_cfg *l = p;

	l->scope_by_endpoint_id = true;
	l->max_flows_per_source = 0;
}

static void group_defaults(void *p)
{
	struct gs_target_group_cfg *g = p;
	struct gs_health_check_cfg *hc = &g->health_check;

	g->stickiness = GS_STICKY_5TUPLE;
	g->on_unhealthy = GS_REBALANCE;
	g->on_deregistration = GS_REBALANCE;
	g->deregistration_delay_s = GS_DEFAULT_DEREG_DELAY_S;
	g->idle_timeout_tcp_s = GS_DEFAULT_IDLE_TCP_S;
	g->idle_timeout_other_s = GS_DEFAULT_IDLE_OTHER_S;
	/* a security fleet with no healthy member must not pass traffic */
	g->no_healthy = GS_FAIL_CLOSED;
	g->tcp_reset_on_unserved = false;
	g->maglev_size = 0; /* resolve_defaults: 65537 or larger */
	hc->protocol = GS_CHECK_TCP;
	hc->port = 0; /* required for tcp, 80 for http */
	snprintf(hc->path, sizeof(hc->path), "/");
	hc->status_min = 200;
	hc->status_max = 399;
	hc->inband_probe = false;
	hc->interval_ms = 1000;
	hc->timeout_ms = 500;
	hc->healthy_threshold = 3;
	hc->unhealthy_threshold = 3;
	hc->passive = GS_PASSIVE_OFF;
	hc->passive_window_ms = 1000;
	hc->latency_threshold_us = 0;
}

static void appliance_defaults(void *p)
{
	struct gs_appliance_cfg *a = p;

	a->weight = 1;
	a->state = GS_APP_HEALTHY;
	/* health_address: resolve_defaults copies address */
}

static void resolve_defaults(struct gs_config *cfg)
{
	for (uint32_t i = 0; i < cfg->n_groups; i++) {
		struct gs_target_group_cfg *g = &cfg->groups[i];

		if (g->health_check.protocol == GS_CHECK_HTTP && !g->health_check.port)
			g->health_check.port = GS_DEFAULT_HTTP_PORT;
		if (!g->maglev_size)
			g->maglev_size = gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE,
							     g->n_appliances);
		for (uint32_t j = 0; j < g->n_appliances; j++) {
			struct gs_appliance_cfg *a = &g->appliances[j];

			if (!a->health_address.family)
				a->health_address = a->address;
		}
	}
}

/* ---- error reporting --------------------------------------------------- */

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s%s%s", c->file, path,
			 *path ? ": " : "", msg);
	return -1;
}

/* a string for a message: quoted, cut short, control bytes shown as '?' */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n = 0, max = len - 5; /* quotes, "...", NUL */

	buf[n++] = '\'';
	for (; *s && n < max; s++)
		buf[n++] = isprint((unsigned char)*s) ? *s : '?';
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

/* what the file holds, for "(got ...)" */
static const char *describe(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_STRING:
		return quote(json_string_value(v), buf, len);
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	}
	return "?";
}

/* a field path into @buf (PATH_LEN bytes); long paths are cut, never overrun */
__attribute__((format(printf, 2, 3)))
static const char *pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

static const char *join_key(char *buf, const char *path, const char *key)
{
	return pathf(buf, "%s%s%s", path, *path ? "." : "", key);
}

/* ---- value checks for string fields ------------------------------------ */
/* Each returns NULL when @s is fine, else the "must be ..." text. */

static const char *check_name(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return "may hold only letters, digits, '.', '_' and '-'";
	return NULL;
}

static const char *check_abs_path(const char *s)
{
	return s[0] == '/' ? NULL : "must be an absolute path";
}

/* decimal number of at most 10 digits; advances *s */
static bool take_number(const char **s, unsigned long *out)
{
	const char *p = *s;
	unsigned long v = 0;

	while (isdigit((unsigned char)*p) && p - *s < 10)
		v = v * 10 + (unsigned long)(*p++ - '0');
	if (p == *s || isdigit((unsigned char)*p))
		return false;
	*s = p;
	*out = v;
	return true;
}

/* EAL -l syntax: "0-3,5,8-9" */
static const char *check_lcores(const char *s)
{
	static const char *const msg = "must be a core list like 0-3,5";
	unsigned long lo, hi;

	for (;;) {
		if (!take_number(&s, &lo))
			return msg;
		hi = lo;
		if (*s == '-' && (s++, !take_number(&s, &hi)))
			return msg;
		if (hi < lo)
			return msg;
		if (*s == '\0')
			return NULL;
		if (*s++ != ',')
			return msg;
	}
}

/* "ADDRESS:PORT", "[V6ADDRESS]:PORT", or "" */
static const char *check_listen(const char *s)
{
	static const char *const msg =
		"must be ADDRESS:PORT like 127.0.0.1:9469 or [::1]:9469, or empty to disable";
	char host[INET6_ADDRSTRLEN + 2];
	struct gs_ipaddr a;
	const char *colon, *p;
	unsigned long port;
	size_t hlen;

	if (*s == '\0')
		return NULL;
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return msg;
	hlen = (size_t)(colon - s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return msg;
		host[hlen - 1] = '\0';
		if (gs_ipaddr_parse(host + 1, &a) < 0 || a.family != GS_AF_INET6)
			return msg;
	} else if (gs_ipaddr_parse(host, &a) < 0 || a.family != GS_AF_INET) {
		return msg;
	}
	p = colon + 1;
	if (!take_number(&p, &port) || *p || port < 1 || port > 65535)
		return msg;
	return NULL;
}

/* ---- schema ------------------------------------------------------------ */

enum gs_field_kind {
	F_INT,   /* integer in [min, max], stored in an unsigned member */
	F_BOOL,  /* true / false */
	F_ENUM,  /* one of names[], stored like F_INT */
	F_STR,   /* string of min..max characters, optional check() */
	F_IP,    /* address; min: required family (0: either) */
	F_PREFIX,/* address/length (array elements) */
	F_MAC,   /* unicast xx:xx:xx:xx:xx:xx */
	F_ID64,  /* "0x" + 1..16 hex digits; sets the bool at aux_off */
	F_RANGE, /* "N" or "N-M" within [min, max]; low at off, high at aux_off */
	F_OBJ,   /* nested object described by sub[] */
	F_ARRAY, /* min..max elements of elem (sub[] objects or a scalar) */
};

struct gs_field {
	const char *key;
	enum gs_field_kind kind;
	bool required;
	size_t off, size;
	long long min, max;
	const struct gs_enum_name *names;
	const char *(*check)(const char *s);
	const struct gs_field *sub;
	/* F_ARRAY */
	const struct gs_field *elem;   /* scalar element: kind and bounds */
	void (*init)(void *elem);      /* defaults of each object element */
	size_t elem_size;
	size_t aux_off;                /* F_ARRAY: uint32_t count */
	bool alloc;                    /* member is a pointer to malloc'd elements */
};

#define AT(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)

#define INT(type, k, m, lo, hi) \
	{ .key = k, .kind = F_INT, AT(type, m), .min = lo, .max = hi }
#define BOOL(type, k, m) { .key = k, .kind = F_BOOL, AT(type, m) }
#define ENUM(type, k, m, tbl) { .key = k, .kind = F_ENUM, AT(type, m), .names = tbl }
#define STR(type, k, m, req, lo, fn) \
	{ .key = k, .kind = F_STR, .required = req, AT(type, m), .min = lo, \
	  .max = sizeof(((type *)0)->m) - 1, .check = fn }
#define NAME(type, k, m) STR(type, k, m, true, 1, check_name)
#define IP(type, k, m, req, fam) \
	{ .key = k, .kind = F_IP, .required = req, AT(type, m), .min = fam }
#define ID64(type, k, m, has) \
	{ .key = k, .kind = F_ID64, AT(type, m), .aux_off = offsetof(type, has) }
#define OBJ(type, k, m, req, fields) \
	{ .key = k, .kind = F_OBJ, .required = req, AT(type, m), .sub = fields }
/* fixed array member m[] with count member n */
#define ARRAY_OF(type, k, m, n, req, lo, fields, initfn) \
	{ .key = k, .kind = F_ARRAY, .required = req, AT(type, m), .min = lo, \
	  .max = sizeof(((type *)0)->m) / sizeof(((type *)0)->m[0]), \
	  .sub = fields, .init = initfn, .elem_size = sizeof(((type *)0)->m[0]), \
	  .aux_off = offsetof(type, n) }
#define SCALARS(type, k, m, n, req, lo, el) \
	{ .key = k, .kind = F_ARRAY, .required = req, AT(type, m), .min = lo, \
	  .max = sizeof(((type *)0)->m) / sizeof(((type *)0)->m[0]), \
	  .elem = el, .elem_size = sizeof(((type *)0)->m[0]), \
	  .aux_off = offsetof(type, n) }
#define END { .key = NULL }

static const struct gs_field prefix_elem[] = {
	{ .kind = F_PREFIX, .size = sizeof(struct gs_prefix) },
};

static const struct gs_field port_fields[] = {
	NAME(struct gs_port_cfg, "name", name),
	STR(struct gs_port_cfg, "devargs", devargs, true, 1, NULL),
	SCALARS(struct gs_port_cfg, "addresses", addresses, n_addresses, true, 1,
		prefix_elem),
	IP(struct gs_port_cfg, "gateway4", gateway4, false, GS_AF_INET),
	IP(struct gs_port_cfg, "gateway6", gateway6, false, GS_AF_INET6),
	INT(struct gs_port_cfg, "mtu", mtu, 1280, 9216),
	INT(struct gs_port_cfg, "vlan", vlan, 0, 4094),
	END,
};

static const struct gs_field neighbor_fields[] = {
	IP(struct gs_neighbor_cfg, "address", address, true, 0),
	{ .key = "mac", .kind = F_MAC, .required = true,
	  AT(struct gs_neighbor_cfg, mac) },
	END,
};

static const struct gs_field dataplane_fields[] = {
	ARRAY_OF(struct gs_dataplane_cfg, "ports", ports, n_ports, true, 1,
		 port_fields, port_defaults),
	STR(struct gs_dataplane_cfg, "lcores", lcores, false, 0, check_lcores),
	INT(struct gs_dataplane_cfg, "flow_table_size", flow_table_size,
	    1024, 1u << 28),
	INT(struct gs_dataplane_cfg, "frag_table_size", frag_table_size,
	    64, 1u << 20),
	INT(struct gs_dataplane_cfg, "mbuf_pool_size", mbuf_pool_size, 0, 1u << 26),
	INT(struct gs_dataplane_cfg, "hash_seed", hash_seed, 0, UINT32_MAX),
	STR(struct gs_dataplane_cfg, "control_socket", control_socket, false, 1,
	    check_abs_path),
	ARRAY_OF(struct gs_dataplane_cfg, "neighbors", neighbors, n_neighbors,
		 false, 0, neighbor_fields, NULL),
	END,
};

static const struct gs_field daemon_fields[] = {
	ENUM(struct gs_daemon_cfg, "backend", backend, backend_names),
	STR(struct gs_daemon_cfg, "metrics_listen", metrics_listen, false, 0,
	    check_listen),
	/* IFNAMSIZ - 1 */
	{ .key = "xdp_interface", .kind = F_STR, AT(struct gs_daemon_cfg, xdp_interface),
	  .min = 1, .max = 15, .check = check_name },
	ENUM(struct gs_daemon_cfg, "xdp_mode", xdp_native, xdp_mode_names),
	STR(struct gs_daemon_cfg, "probe_socket", probe_socket, false, 1,
	    check_abs_path),
	STR(struct gs_daemon_cfg, "socket", socket, false, 1, check_abs_path),
	STR(struct gs_daemon_cfg, "control_user", control_user, false, 0, NULL),
	STR(struct gs_daemon_cfg, "control_group", control_group, false, 0, NULL),
	END,
};

static const struct gs_field listener_fields[] = {
	NAME(struct gs_listener_cfg, "name", name),
	IP(struct gs_listener_cfg, "address", address, true, 0),
	NAME(struct gs_listener_cfg, "target_group", target_group),
	SCALARS(struct gs_listener_cfg, "upstreams", upstreams, n_upstreams, true,
		1, prefix_elem),
	BOOL(struct gs_listener_cfg, "scope_by_endpoint_id", scope_by_endpoint_id),
	ID64(struct gs_listener_cfg, "endpoint_id", endpoint_id, has_endpoint_id),
	ID64(struct gs_listener_cfg, "attachment_id", attachment_id,
	     has_attachment_id),
	INT(struct gs_listener_cfg, "max_flows_per_source", max_flows_per_source,
	    0, UINT32_MAX),
	END,
};

static const struct gs_field health_check_fields[] = {
	ENUM(struct gs_health_check_cfg, "protocol", protocol, protocol_names),
	INT(struct gs_health_check_cfg, "port", port, 1, 65535),
	STR(struct gs_health_check_cfg, "path", path, false, 1, check_abs_path),
	{ .key = "matcher", .kind = F_RANGE,
	  AT(struct gs_health_check_cfg, status_min), .min = 100, .max = 599,
	  .aux_off = offsetof(struct gs_health_check_cfg, status_max) },
	BOOL(struct gs_health_check_cfg, "inband_probe", inband_probe),
	INT(struct gs_health_check_cfg, "interval_ms", interval_ms, 100, 300000),
	INT(struct gs_health_check_cfg, "timeout_ms", timeout_ms, 10, 300000),
	INT(struct gs_health_check_cfg, "healthy_threshold", healthy_threshold, 1, 10),
	INT(struct gs_health_check_cfg, "unhealthy_threshold", unhealthy_threshold,
	    1, 10),
	ENUM(struct gs_health_check_cfg, "passive", passive, passive_names),
	INT(struct gs_health_check_cfg, "passive_window_ms", passive_window_ms,
	    10, 60000),
	INT(struct gs_health_check_cfg, "latency_threshold_us", latency_threshold_us,
	    0, 10000000),
	END,
};

static const struct gs_field appliance_fields[] = {
	NAME(struct gs_appliance_cfg, "id", id),
	IP(struct gs_appliance_cfg, "address", address, true, 0),
	IP(struct gs_appliance_cfg, "health_address", health_address, false, 0),
	INT(struct gs_appliance_cfg, "weight", weight, 1, GS_MAX_WEIGHT),
	ENUM(struct gs_appliance_cfg, "state", state, initial_state_names),
	END,
};

static const struct gs_field group_fields[] = {
	NAME(struct gs_target_group_cfg, "name", name),
	ENUM(struct gs_target_group_cfg, "stickiness", stickiness, stickiness_names),
	ENUM(struct gs_target_group_cfg, "on_unhealthy", on_unhealthy,
	     failover_names),
	ENUM(struct gs_target_group_cfg, "on_deregistration", on_deregistration,
	     failover_names),
	INT(struct gs_target_group_cfg, "deregistration_delay_s",
	    deregistration_delay_s, 0, 3600),
	INT(struct gs_target_group_cfg, "idle_timeout_tcp_s", idle_timeout_tcp_s,
	    1, 86400),
	INT(struct gs_target_group_cfg, "idle_timeout_other_s",
	    idle_timeout_other_s, 1, 86400),
	ENUM(struct gs_target_group_cfg, "no_healthy", no_healthy, no_healthy_names),
	BOOL(struct gs_target_group_cfg, "tcp_reset_on_unserved",
	     tcp_reset_on_unserved),
	INT(struct gs_target_group_cfg, "maglev_table_size", maglev_size, 1,
	    GS_MAGLEV_MAX_SIZE),
	OBJ(struct gs_target_group_cfg, "health_check", health_check, false,
	    health_check_fields),
	{ .key = "appliances", .kind = F_ARRAY,
	  AT(struct gs_target_group_cfg, appliances), .min = 0,
	  .max = GS_MAX_APPLIANCES_PER_GROUP, .sub = appliance_fields,
	  .init = appliance_defaults, .elem_size = sizeof(struct gs_appliance_cfg),
	  .aux_off = offsetof(struct gs_target_group_cfg, n_appliances),
	  .alloc = true },
	END,
};

static const struct gs_field config_fields[] = {
	OBJ(struct gs_config, "dataplane", dataplane, true, dataplane_fields),
	OBJ(struct gs_config, "daemon", daemon, false, daemon_fields),
	ARRAY_OF(struct gs_config, "listeners", listeners, n_listeners, true, 1,
		 listener_fields, listener_defaults),
	ARRAY_OF(struct gs_config, "target_groups", groups, n_groups, true, 1,
		 group_fields, group_defaults),
	END,
};

/* ---- the generic walker ------------------------------------------------ */

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static int parse_object(struct ctx *c, const json_t *obj, const char *path,
			const struct gs_field *fields, void *base);

static int type_error(struct ctx *c, const char *path, const char *want,
		      const json_t *v)
{
	char got[GOT_LEN];

	return fail(c, path, "must be %s (got %s)", want, describe(v, got, sizeof(got)));
}

static int parse_int(struct ctx *c, const json_t *v, const char *path,
		     const struct gs_field *f, void *dst)
{
	char got[GOT_LEN];
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < f->min ||
	    n > f->max)
		return fail(c, path, "must be an integer from %lld to %lld (got %s)",
			    f->min, f->max, describe(v, got, sizeof(got)));
	store_uint(dst, f->size, (uint64_t)n);
	return 0;
}

static int parse_enum(struct ctx *c, const json_t *v, const char *path,
		      const struct gs_field *f, void *dst)
{
	const struct gs_enum_name *e = json_is_string(v) ?
		enum_lookup(f->names, json_string_value(v)) : NULL;
	char list[160] = "", got[GOT_LEN];
	size_t n = 0;

	if (e) {
		store_uint(dst, f->size, (uint64_t)e->value);
		return 0;
	}
	for (const struct gs_enum_name *t = f->names; t->name && n < sizeof(list); t++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      t == f->names ? "" : ", ", t->name);
	return fail(c, path, "must be one of %s (got %s)", list,
		    describe(v, got, sizeof(got)));
}

static int parse_str(struct ctx *c, const json_t *v, const char *path,
		     const struct gs_field *f, void *dst)
{
	char got[GOT_LEN];
	const char *s, *why;
	size_t len;

	if (!json_is_string(v))
		return type_error(c, path, "a string", v);
	/* no NUL inside: jansson refuses \u0000 without JSON_ALLOW_NUL */
	s = json_string_value(v);
	len = json_string_length(v);
	if ((long long)len < f->min || (long long)len > f->max) {
		if (f->min)
			return fail(c, path, "must be %lld to %lld characters long (got %zu)",
				    f->min, f->max, len);
		return fail(c, path, "must be at most %lld characters long (got %zu)",
			    f->max, len);
	}
	if (f->check && (why = f->check(s)))
		return fail(c, path, "%s (got %s)", why, quote(s, got, sizeof(got)));
	memcpy(dst, s, len + 1);
	return 0;
}

static int parse_ip(struct ctx *c, const json_t *v, const char *path,
		    const struct gs_field *f, void *dst)
{
	static const char *const want[] = {
		[0] = "an IPv4 or IPv6 address",
		[GS_AF_INET] = "an IPv4 address",
		[GS_AF_INET6] = "an IPv6 address",
	};
	struct gs_ipaddr a;

	if (!json_is_string(v) || gs_ipaddr_parse(json_string_value(v), &a) < 0 ||
	    (f->min && a.family != f->min))
		return type_error(c, path, want[f->min], v);
	memcpy(dst, &a, sizeof(a));
	return 0;
}

static int parse_prefix(struct ctx *c, const json_t *v, const char *path,
			const struct gs_field *f, void *dst)
{
	struct gs_prefix p;

	(void)f;
	if (!json_is_string(v) || gs_prefix_parse(json_string_value(v), &p) < 0)
		return type_error(c, path,
				  "an address with a prefix length like 10.0.0.1/24 or fd00::1/64",
				  v);
	memcpy(dst, &p, sizeof(p));
	return 0;
}

static int hexval(int ch)
{
	if (isdigit(ch))
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int parse_mac(struct ctx *c, const json_t *v, const char *path,
		     const struct gs_field *f, void *dst)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	uint8_t mac[6];
	char got[GOT_LEN];
	int i, hi, lo;

	(void)f;
	for (i = 0; s && i < 6; i++, s += 3) {
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			break;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (i < 6)
		return type_error(c, path, "a MAC address like 02:00:00:00:00:05", v);
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return fail(c, path, "must be a unicast MAC address, not zero (got %s)",
			    describe(v, got, sizeof(got)));
	memcpy(dst, mac, sizeof(mac));
	return 0;
}

static int parse_id64(struct ctx *c, const json_t *v, const char *path,
		      const struct gs_field *f, void *dst)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	uint64_t id = 0;
	size_t n = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		for (s += 2; (d = hexval((unsigned char)*s)) >= 0 && n < 17; s++, n++)
			id = id << 4 | (uint64_t)d;
	if (n == 0 || n > 16 || *s)
		return type_error(c, path,
				  "a string of 0x and 1 to 16 hex digits like 0x1122334455667788",
				  v);
	memcpy(dst, &id, sizeof(id));
	*((bool *)((char *)dst - f->off + f->aux_off)) = true;
	return 0;
}

static int parse_range(struct ctx *c, const json_t *v, const char *path,
		       const struct gs_field *f, void *dst)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	unsigned long lo = 0, hi = 0;
	bool ok = s && take_number(&s, &lo);
	char want[96];

	hi = lo;
	if (ok && *s == '-')
		ok = (s++, take_number(&s, &hi));
	if (!ok || *s || (long long)lo < f->min || (long long)hi > f->max || lo > hi) {
		snprintf(want, sizeof(want), "a code or range of codes from %lld to %lld like 200 or 200-399",
			 f->min, f->max);
		return type_error(c, path, want, v);
	}
	store_uint(dst, f->size, lo);
	store_uint((char *)dst - f->off + f->aux_off, f->size, hi);
	return 0;
}

static int parse_array(struct ctx *c, const json_t *v, const char *path,
		       const struct gs_field *f, void *dst);

static int parse_value(struct ctx *c, const json_t *v, const char *path,
		       const struct gs_field *f, void *dst)
{
	switch (f->kind) {
	case F_INT:
		return parse_int(c, v, path, f, dst);
	case F_BOOL:
		if (!json_is_boolean(v))
			return type_error(c, path, "true or false", v);
		store_uint(dst, f->size, json_is_true(v));
		return 0;
	case F_ENUM:
		return parse_enum(c, v, path, f, dst);
	case F_STR:
		return parse_str(c, v, path, f, dst);
	case F_IP:
		return parse_ip(c, v, path, f, dst);
	case F_PREFIX:
		return parse_prefix(c, v, path, f, dst);
	case F_MAC:
		return parse_mac(c, v, path, f, dst);
	case F_ID64:
		return parse_id64(c, v, path, f, dst);
	case F_RANGE:
		return parse_range(c, v, path, f, dst);
	case F_OBJ:
		return parse_object(c, v, path, f->sub, dst);
	case F_ARRAY:
		return parse_array(c, v, path, f, dst);
	}
	return fail(c, path, "internal error: unknown field kind");
}

static int parse_array(struct ctx *c, const json_t *v, const char *path,
		       const struct gs_field *f, void *dst)
{
	char ipath[PATH_LEN];
	uint32_t *count = (uint32_t *)(void *)((char *)dst - f->off + f->aux_off);
	size_t n, i;
	char *elems;

	if (!json_is_array(v))
		return type_error(c, path, "an array", v);
	n = json_array_size(v);
	if ((long long)n < f->min || (long long)n > f->max) {
		if (f->min)
			return fail(c, path, "must have %lld to %lld entries (got %zu)",
				    f->min, f->max, n);
		return fail(c, path, "must have at most %lld entries (got %zu)",
			    f->max, n);
	}
	elems = dst;
	if (f->alloc) {
		elems = n ? calloc(n, f->elem_size) : NULL;
		if (n && !elems)
			return fail(c, path, "out of memory");
		memcpy(dst, &elems, sizeof(elems));
	}
	*count = (uint32_t)n;
	for (i = 0; i < n; i++) {
		void *e = elems + i * f->elem_size;
		const json_t *item = json_array_get(v, i);

		pathf(ipath, "%s[%zu]", path, i);
		if (f->init)
			f->init(e);
		if (f->sub ? parse_object(c, item, ipath, f->sub, e) :
			     parse_value(c, item, ipath, f->elem, e))
			return -1;
	}
	return 0;
}

static int parse_object(struct ctx *c, const json_t *obj, const char *path,
			const struct gs_field *fields, void *base)
{
	char kpath[PATH_LEN], got[GOT_LEN];
	const struct gs_field *f;
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return type_error(c, path, "an object", obj);
	/* unknown keys first: a typo must not read as "missing" */
	json_object_foreach((json_t *)obj, key, v) {
		for (f = fields; f->key && strcmp(f->key, key) != 0; f++)
			;
		if (!f->key)
			return fail(c, path, "unknown key %s",
				    quote(key, got, sizeof(got)));
	}
	for (f = fields; f->key; f++) {
		v = json_object_get(obj, f->key);
		if (!v) {
			if (f->required)
				return fail(c, path, "missing required key '%s'", f->key);
			continue;
		}
		if (parse_value(c, v, join_key(kpath, path, f->key), f,
				(char *)base + f->off))
			return -1;
	}
	return 0;
}

/* ---- rules across fields ----------------------------------------------- */

/* how entries of an array are told apart */
struct gs_key_type {
	bool (*equal)(const void *a, const void *b);
	const char *(*format)(const void *k, char *buf, size_t len);
};

static bool name_equal(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static const char *name_format(const void *k, char *buf, size_t len)
{
	return quote(k, buf, len);
}

static bool addr_equal(const void *a, const void *b)
{
	return gs_ipaddr_equal(a, b);
}

static const char *addr_format(const void *k, char *buf, size_t len)
{
	return gs_ipaddr_format(k, buf, len);
}

static const struct gs_key_type key_name = { name_equal, name_format };
static const struct gs_key_type key_addr = { addr_equal, addr_format };

/*
 * @n entries of @stride bytes at @arr, their key at @key_off: each key once.
 * @path names the array, @key the key within an entry.
 */
static int check_unique(struct ctx *c, const void *arr, size_t n, size_t stride,
			size_t key_off, const struct gs_key_type *kt,
			const char *path, const char *key)
{
	const char *base = arr;
	char epath[PATH_LEN], got[GOT_LEN];

	for (size_t i = 1; i < n; i++) {
		const void *ki = base + i * stride + key_off;

		for (size_t j = 0; j < i; j++) {
			if (!kt->equal(ki, base + j * stride + key_off))
				continue;
			pathf(epath, "%s[%zu].%s", path, i, key);
			return fail(c, epath, "duplicate, %s[%zu] has it too (got %s)",
				    path, j, kt->format(ki, got, sizeof(got)));
		}
	}
	return 0;
}

#define UNIQUE(c, arr, n, type, member, kt, path) \
	check_unique(c, arr, n, sizeof(type), offsetof(type, member), kt, path, #member)

/* the port whose own subnet holds @a (only @port when not NULL) */
static bool on_link(const struct gs_dataplane_cfg *dp,
		    const struct gs_port_cfg *port, const struct gs_ipaddr *a)
{
	for (uint32_t i = 0; i < dp->n_ports; i++) {
		const struct gs_port_cfg *p = &dp->ports[i];

		if (port && p != port)
			continue;
		for (uint32_t j = 0; j < p->n_addresses; j++)
			if (gs_prefix_contains(&p->addresses[j], a))
				return true;
	}
	return false;
}

static bool own_address(const struct gs_dataplane_cfg *dp,
			const struct gs_ipaddr *a)
{
	for (uint32_t i = 0; i < dp->n_ports; i++)
		for (uint32_t j = 0; j < dp->ports[i].n_addresses; j++)
			if (gs_ipaddr_equal(&dp->ports[i].addresses[j].addr, a))
				return true;
	return false;
}

static bool has_family(const struct gs_dataplane_cfg *dp, uint8_t family)
{
	for (uint32_t i = 0; i < dp->n_ports; i++)
		for (uint32_t j = 0; j < dp->ports[i].n_addresses; j++)
			if (dp->ports[i].addresses[j].addr.family == family)
				return true;
	return false;
}

static int validate_dataplane(struct ctx *c, const struct gs_config *cfg)
{
	const struct gs_dataplane_cfg *dp = &cfg->dataplane;
	char path[PATH_LEN], got[GOT_LEN];

	if (UNIQUE(c, dp->ports, dp->n_ports, struct gs_port_cfg, name, &key_name,
		   "dataplane.ports"))
		return -1;
	for (uint32_t i = 0; i < dp->n_ports; i++) {
		const struct gs_port_cfg *p = &dp->ports[i];
		const struct gs_ipaddr *gw[2] = { &p->gateway4, &p->gateway6 };

		/* every own address once across all ports */
		for (uint32_t j = 0; j < p->n_addresses; j++) {
			const struct gs_ipaddr *a = &p->addresses[j].addr;

			for (uint32_t k = 0; k <= i; k++) {
				const struct gs_port_cfg *q = &dp->ports[k];
				uint32_t m, end = k == i ? j : q->n_addresses;

				for (m = 0; m < end; m++)
					if (gs_ipaddr_equal(&q->addresses[m].addr, a))
						break;
				if (m == end)
					continue;
				pathf(path, "dataplane.ports[%u].addresses[%u]", i, j);
				return fail(c, path,
					    "duplicate address, dataplane.ports[%u].addresses[%u] has it too (got %s)",
					    k, m, gs_ipaddr_format(a, got, sizeof(got)));
			}
		}
		for (int g = 0; g < 2; g++) {
			if (!gw[g]->family || on_link(dp, p, gw[g]))
				continue;
			pathf(path, "dataplane.ports[%u].gateway%d",
				 i, g ? 6 : 4);
			return fail(c, path,
				    "must be inside one of this port's subnets (got %s)",
				    gs_ipaddr_format(gw[g], got, sizeof(got)));
		}
	}
	if (UNIQUE(c, dp->neighbors, dp->n_neighbors, struct gs_neighbor_cfg,
		   address, &key_addr, "dataplane.neighbors"))
		return -1;
	for (uint32_t i = 0; i < dp->n_neighbors; i++) {
		if (on_link(dp, NULL, &dp->neighbors[i].address))
			continue;
		pathf(path, "dataplane.neighbors[%u].address", i);
		return fail(c, path, "must be inside one of the ports' subnets (got %s)",
			    gs_ipaddr_format(&dp->neighbors[i].address, got,
					     sizeof(got)));
	}
	return 0;
}

static int validate_daemon(struct ctx *c, const struct gs_config *cfg)
{
	if (cfg->daemon.backend == GS_BACKEND_XDP && !cfg->daemon.xdp_interface[0])
		return fail(c, "daemon", "missing key 'xdp_interface', required when backend is xdp");
	return 0;
}

static int validate_listeners(struct ctx *c, struct gs_config *cfg)
{
	char path[PATH_LEN], got[GOT_LEN];

	if (UNIQUE(c, cfg->listeners, cfg->n_listeners, struct gs_listener_cfg,
		   name, &key_name, "listeners") ||
	    UNIQUE(c, cfg->listeners, cfg->n_listeners, struct gs_listener_cfg,
		   address, &key_addr, "listeners"))
		return -1;
	for (uint32_t i = 0; i < cfg->n_listeners; i++) {
		struct gs_listener_cfg *l = &cfg->listeners[i];
		uint32_t g;

		if (!own_address(&cfg->dataplane, &l->address)) {
			pathf(path, "listeners[%u].address", i);
			return fail(c, path,
				    "must be one of the addresses of dataplane.ports (got %s)",
				    gs_ipaddr_format(&l->address, got, sizeof(got)));
		}
		for (g = 0; g < cfg->n_groups; g++)
			if (strcmp(cfg->groups[g].name, l->target_group) == 0)
				break;
		if (g == cfg->n_groups) {
			pathf(path, "listeners[%u].target_group", i);
			return fail(c, path, "no target group has this name (got %s)",
				    quote(l->target_group, got, sizeof(got)));
		}
		l->target_group_index = g;
		/* returns from an appliance carry no listener: the flow key's
		 * scope must be a property of the target group */
		for (uint32_t j = 0; j < i; j++) {
			const struct gs_listener_cfg *o = &cfg->listeners[j];

			if (o->target_group_index != g ||
			    o->scope_by_endpoint_id == l->scope_by_endpoint_id)
				continue;
			pathf(path, "listeners[%u].scope_by_endpoint_id", i);
			return fail(c, path,
				    "must match listeners[%u], which sends to the same target group (got %s)",
				    j, l->scope_by_endpoint_id ? "true" : "false");
		}
	}
	return 0;
}

static int validate_group(struct ctx *c, const struct gs_config *cfg, uint32_t i)
{
	const struct gs_target_group_cfg *g = &cfg->groups[i];
	const struct gs_health_check_cfg *hc = &g->health_check;
	char path[PATH_LEN], apath[PATH_LEN], got[GOT_LEN];
	uint64_t min_size;

	pathf(path, "target_groups[%u].health_check", i);
	if (hc->protocol == GS_CHECK_TCP && !hc->port)
		return fail(c, path, "missing key 'port', required when protocol is tcp");
	if (hc->timeout_ms >= hc->interval_ms) {
		pathf(path, "target_groups[%u].health_check.timeout_ms", i);
		return fail(c, path, "must be less than interval_ms, %" PRIu32 " (got %" PRIu32 ")",
			    hc->interval_ms, hc->timeout_ms);
	}

	pathf(apath, "target_groups[%u].appliances", i);
	if (UNIQUE(c, g->appliances, g->n_appliances, struct gs_appliance_cfg, id,
		   &key_name, apath) ||
	    UNIQUE(c, g->appliances, g->n_appliances, struct gs_appliance_cfg,
		   address, &key_addr, apath))
		return -1;
	for (uint32_t j = 0; j < g->n_appliances; j++) {
		const struct gs_ipaddr *a = &g->appliances[j].address;

		if (has_family(&cfg->dataplane, a->family))
			continue;
		pathf(path, "%s[%u].address", apath, j);
		return fail(c, path, "no port of the data plane has an IPv%d address to reach it (got %s)",
			    a->family, gs_ipaddr_format(a, got, sizeof(got)));
	}

	/* 0: not in the file; resolve_defaults picks a size */
	if (!g->maglev_size)
		return 0;
	pathf(path, "target_groups[%u].maglev_table_size", i);
	if (!gs_is_prime(g->maglev_size))
		return fail(c, path, "must be a prime number (got %" PRIu32 ")",
			    g->maglev_size);
	min_size = (uint64_t)GS_MAGLEV_MIN_SLOTS_PER_APPLIANCE * g->n_appliances;
	if (g->maglev_size < min_size)
		return fail(c, path,
			    "must be at least %u per appliance, %" PRIu64 " for %" PRIu32 " appliances (got %" PRIu32 ")",
			    GS_MAGLEV_MIN_SLOTS_PER_APPLIANCE, min_size,
			    g->n_appliances, g->maglev_size);
	return 0;
}

static int validate(struct ctx *c, struct gs_config *cfg)
{
	if (validate_dataplane(c, cfg) || validate_daemon(c, cfg) ||
	    validate_listeners(c, cfg) ||
	    UNIQUE(c, cfg->groups, cfg->n_groups, struct gs_target_group_cfg,
		   name, &key_name, "target_groups"))
		return -1;
	for (uint32_t i = 0; i < cfg->n_groups; i++)
		if (validate_group(c, cfg, i))
			return -1;
	return 0;
}

/* ---- entry points ------------------------------------------------------ */

static struct gs_config *parse_buffer(const char *buf, size_t len,
				      const char *name, char *err, size_t errlen)
{
	struct ctx c = { .file = name ? name : "config", .err = err, .errlen = errlen };
	struct gs_config *cfg;
	json_error_t jerr;
	json_t *root;

	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (err && errlen)
			snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", c.file,
				 jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		json_decref(root);
		fail(&c, "", "out of memory");
		return NULL;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", c.file);
	config_defaults(cfg);
	if (parse_object(&c, root, "", config_fields, cfg) == 0 &&
	    validate(&c, cfg) == 0)
		resolve_defaults(cfg);
	json_decref(root);
	if (c.failed) {
		gs_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct gs_config *gs_config_parse(const char *json, const char *name,
				  char *err, size_t errlen)
{
	if (!json) {
		if (err && errlen)
			snprintf(err, errlen, "%s: no text", name ? name : "config");
		return NULL;
	}
	return parse_buffer(json, strlen(json), name, err, errlen);
}

struct gs_config *gs_config_load(const char *path, char *err, size_t errlen)
{
	struct gs_config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			if (cap > GS_CONFIG_MAX_FILE + 1)
				cap = GS_CONFIG_MAX_FILE + 1;
			nb = len < cap ? realloc(buf, cap) : NULL;
			if (!nb)
				break;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	} else if (len > GS_CONFIG_MAX_FILE) {
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %u bytes", path,
				 GS_CONFIG_MAX_FILE);
	} else if (!feof(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
	} else {
		cfg = parse_buffer(buf ? buf : "", len, path, err, errlen);
	}
	fclose(f);
	free(buf);
	return cfg;
}

void gs_config_free(struct gs_config *cfg)
{
	if (!cfg)
		return;
	for (uint32_t i = 0; i < cfg->n_groups && i < GS_MAX_TARGET_GROUPS; i++)
		free(cfg->groups[i].appliances);
	free(cfg);
}
