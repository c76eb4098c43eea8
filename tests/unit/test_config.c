/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config loader: the example files load with the values they say and the
 * documented defaults; every kind of mistake gives its exact one-line
 * message; the address helpers get the edges right.
 *
 * Mistakes are edits of one valid base document (set a path to a JSON value,
 * or delete it), so each table row shows only what is wrong.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gs_config.h"
#include "gs_maglev.h"
#include "gs_test.h"

#define CONFIG_DIR GS_TEST_DATA_DIR "/configs"

static char err[512];

/* ---- address helpers --------------------------------------------------- */

static struct gs_ipaddr ip(const char *s)
{
	struct gs_ipaddr a;

	CU_ASSERT_EQUAL_FATAL(gs_ipaddr_parse(s, &a), 0);
	return a;
}

static bool contains(const char *prefix, const char *addr)
{
	struct gs_prefix p;
	struct gs_ipaddr a = ip(addr);

	CU_ASSERT_EQUAL_FATAL(gs_prefix_parse(prefix, &p), 0);
	return gs_prefix_contains(&p, &a);
}

static void test_ipaddr_parse_format(void)
{
	static const struct {
		const char *in, *out;
		int family;
	} ok[] = {
		{ "10.0.0.1", "10.0.0.1", GS_AF_INET },
		{ "0.0.0.0", "0.0.0.0", GS_AF_INET },
		{ "255.255.255.255", "255.255.255.255", GS_AF_INET },
		{ "fd10::1", "fd10::1", GS_AF_INET6 },
		{ "FD10:0:0::0001", "fd10::1", GS_AF_INET6 },
		{ "::", "::", GS_AF_INET6 },
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.1", GS_AF_INET6 },
	};
	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.256", "10.0.0.1 ", " 10.0.0.1", "010.0.0.1",
		"fd10:::1", "fd10::1/64", "gateway", "1:2:3:4:5:6:7:8:9",
	};
	struct gs_ipaddr a;
	char buf[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_EQUAL(gs_ipaddr_parse(ok[i].in, &a), 0);
		CU_ASSERT_EQUAL(a.family, ok[i].family);
		CU_ASSERT_STRING_EQUAL(gs_ipaddr_format(&a, buf, sizeof(buf)),
				       ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(gs_ipaddr_parse(bad[i], &a), -1);
		CU_ASSERT_EQUAL(a.family, 0);
	}
	a = ip("10.1.2.3");
	CU_ASSERT(a.a[0] == 10 && a.a[3] == 3 && a.a[4] == 0 && a.a[15] == 0);
	memset(&a, 0, sizeof(a));
	CU_ASSERT_STRING_EQUAL(gs_ipaddr_format(&a, buf, sizeof(buf)), "none");
}

static void test_ipaddr_equal(void)
{
	struct gs_ipaddr v4 = ip("10.0.0.1"), v6 = ip("a00:1::"), x;

	/* same leading bytes, different family */
	CU_ASSERT(v4.a[0] == v6.a[0] && v4.a[3] == v6.a[3]);
	CU_ASSERT_FALSE(gs_ipaddr_equal(&v4, &v6));
	x = ip("10.0.0.1");
	CU_ASSERT_TRUE(gs_ipaddr_equal(&v4, &x));
	x = ip("10.0.0.2");
	CU_ASSERT_FALSE(gs_ipaddr_equal(&v4, &x));
	x = ip("a00:1::");
	CU_ASSERT_TRUE(gs_ipaddr_equal(&v6, &x));
	x = ip("a00:1::1");
	CU_ASSERT_FALSE(gs_ipaddr_equal(&v6, &x));
}

static void test_prefix_parse(void)
{
	static const char *const bad[] = {
		"10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/33", "::/129",
		"10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
		"10.0.0.0/0008", "10.0.0.0//8", "host/8",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
	};
	struct gs_prefix p;

	CU_ASSERT_EQUAL(gs_prefix_parse("10.10.0.1/24", &p), 0);
	CU_ASSERT_EQUAL(p.len, 24);
	CU_ASSERT_EQUAL(p.addr.family, GS_AF_INET);
	CU_ASSERT_EQUAL(p.addr.a[3], 1); /* host part kept: own addresses need it */
	CU_ASSERT_EQUAL(gs_prefix_parse("fd00::/128", &p), 0);
	CU_ASSERT_EQUAL(p.len, 128);
	CU_ASSERT_EQUAL(gs_prefix_parse("0.0.0.0/0", &p), 0);
	CU_ASSERT_EQUAL(p.len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(gs_prefix_parse(bad[i], &p), -1);
		CU_ASSERT_EQUAL(p.addr.family, 0);
	}
}

static void test_prefix_contains(void)
{
	/* /0 holds its whole family and nothing of the other */
	CU_ASSERT_TRUE(contains("0.0.0.0/0", "255.255.255.255"));
	CU_ASSERT_TRUE(contains("0.0.0.0/0", "0.0.0.0"));
	CU_ASSERT_FALSE(contains("0.0.0.0/0", "::"));
	CU_ASSERT_TRUE(contains("::/0", "ffff::1"));
	CU_ASSERT_FALSE(contains("::/0", "10.0.0.1"));
	/* an IPv4-mapped IPv6 address is IPv6 */
	CU_ASSERT_FALSE(contains("10.0.0.0/8", "::ffff:10.0.0.1"));
	CU_ASSERT_TRUE(contains("::ffff:0:0/96", "::ffff:10.0.0.1"));

	/* full-length prefixes: exactly one address */
	CU_ASSERT_TRUE(contains("10.1.2.3/32", "10.1.2.3"));
	CU_ASSERT_FALSE(contains("10.1.2.3/32", "10.1.2.2"));
	CU_ASSERT_FALSE(contains("10.1.2.3/32", "10.1.2.131"));
	CU_ASSERT_TRUE(contains("fd00::1/128", "fd00::1"));
	CU_ASSERT_FALSE(contains("fd00::1/128", "fd00::"));
	CU_ASSERT_FALSE(contains("fd00::1/128", "fd00::8001"));

	/* byte-aligned */
	CU_ASSERT_TRUE(contains("10.10.0.0/16", "10.10.255.255"));
	CU_ASSERT_FALSE(contains("10.10.0.0/16", "10.11.0.0"));
	/* the host part of the prefix does not matter */
	CU_ASSERT_TRUE(contains("10.10.0.1/24", "10.10.0.200"));

	/* not byte-aligned: the boundary on either side */
	CU_ASSERT_TRUE(contains("10.0.0.0/9", "10.127.255.255"));
	CU_ASSERT_FALSE(contains("10.0.0.0/9", "10.128.0.0"));
	CU_ASSERT_TRUE(contains("192.168.1.128/25", "192.168.1.128"));
	CU_ASSERT_TRUE(contains("192.168.1.128/25", "192.168.1.255"));
	CU_ASSERT_FALSE(contains("192.168.1.128/25", "192.168.1.127"));
	CU_ASSERT_TRUE(contains("10.0.0.2/31", "10.0.0.3"));
	CU_ASSERT_FALSE(contains("10.0.0.2/31", "10.0.0.4"));
	CU_ASSERT_TRUE(contains("128.0.0.0/1", "255.0.0.0"));
	CU_ASSERT_FALSE(contains("128.0.0.0/1", "127.255.255.255"));
	CU_ASSERT_TRUE(contains("fd00::/7", "fc00::1"));
	CU_ASSERT_TRUE(contains("fd00::/7", "fdff:ffff::"));
	CU_ASSERT_FALSE(contains("fd00::/7", "fe00::"));
	CU_ASSERT_TRUE(contains("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff"));
	CU_ASSERT_FALSE(contains("2001:db8::/65", "2001:db8::8000:0:0:0"));
	CU_ASSERT_TRUE(contains("2001:db8::/127", "2001:db8::1"));
	CU_ASSERT_FALSE(contains("2001:db8::/127", "2001:db8::2"));
}

static void test_app_state_names(void)
{
	static const char *const names[] = { "healthy", "unhealthy", "draining",
					     "removed" };

	for (int s = GS_APP_HEALTHY; s <= GS_APP_REMOVED; s++) {
		CU_ASSERT_STRING_EQUAL(gs_app_state_name((enum gs_app_state)s),
				       names[s]);
		CU_ASSERT_EQUAL(gs_app_state_from_name(names[s]), s);
	}
	CU_ASSERT_EQUAL(gs_app_state_from_name("Healthy"), -1);
	CU_ASSERT_EQUAL(gs_app_state_from_name(""), -1);
	CU_ASSERT_EQUAL(gs_app_state_from_name(NULL), -1);
	CU_ASSERT_STRING_EQUAL(gs_app_state_name((enum gs_app_state)42), "unknown");
}

/* ---- the example files ------------------------------------------------- */

static struct gs_config *load_example(const char *file)
{
	char path[512];
	struct gs_config *cfg;

	snprintf(path, sizeof(path), "%s/%s", CONFIG_DIR, file);
	cfg = gs_config_load(path, err, sizeof(err));
	if (!cfg)
		fprintf(stderr, "\n%s\n", err);
	return cfg;
}

static bool ip_is(const struct gs_ipaddr *a, const char *want)
{
	struct gs_ipaddr w = ip(want);

	return gs_ipaddr_equal(a, &w);
}

static bool prefix_is(const struct gs_prefix *p, const char *addr, unsigned len)
{
	return ip_is(&p->addr, addr) && p->len == len;
}

static void test_minimal_defaults(void)
{
	struct gs_config *cfg = load_example("minimal.json");
	const struct gs_dataplane_cfg *dp;
	const struct gs_daemon_cfg *d;
	const struct gs_listener_cfg *l;
	const struct gs_target_group_cfg *g;
	const struct gs_health_check_cfg *hc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	dp = &cfg->dataplane;
	d = &cfg->daemon;
	CU_ASSERT_STRING_EQUAL(cfg->path, CONFIG_DIR "/minimal.json");

	CU_ASSERT_EQUAL(dp->n_ports, 1);
	CU_ASSERT_STRING_EQUAL(dp->ports[0].name, "p0");
	CU_ASSERT_STRING_EQUAL(dp->ports[0].devargs, "net_af_packet0,iface=gs-up");
	CU_ASSERT_EQUAL(dp->ports[0].n_addresses, 1);
	CU_ASSERT(prefix_is(&dp->ports[0].addresses[0], "10.10.0.1", 24));
	CU_ASSERT_EQUAL(dp->ports[0].gateway4.family, 0);
	CU_ASSERT_EQUAL(dp->ports[0].gateway6.family, 0);
	CU_ASSERT_EQUAL(dp->ports[0].mtu, 1500);
	CU_ASSERT_EQUAL(dp->ports[0].vlan, 0);
	CU_ASSERT_STRING_EQUAL(dp->lcores, "");
	CU_ASSERT_EQUAL(dp->flow_table_size, 1048576);
	CU_ASSERT_EQUAL(dp->frag_table_size, 4096);
	CU_ASSERT_EQUAL(dp->hash_seed, GS_DEFAULT_HASH_SEED);
	CU_ASSERT_STRING_EQUAL(dp->control_socket, "/run/gsteer/dataplane.sock");
	CU_ASSERT_EQUAL(dp->n_neighbors, 0);

	CU_ASSERT_EQUAL(d->backend, GS_BACKEND_DPDK);
	CU_ASSERT_STRING_EQUAL(d->metrics_listen, "127.0.0.1:9469");
	CU_ASSERT_STRING_EQUAL(d->xdp_interface, "");
	CU_ASSERT_TRUE(d->xdp_native);
	CU_ASSERT_STRING_EQUAL(d->probe_socket, "/run/gsteer/probe.sock");
	CU_ASSERT_STRING_EQUAL(d->socket, "/run/gsteer/gsteerd.sock");
	CU_ASSERT_STRING_EQUAL(d->control_user, "");
	CU_ASSERT_STRING_EQUAL(d->control_group, "");

	CU_ASSERT_EQUAL_FATAL(cfg->n_listeners, 1);
	l = &cfg->listeners[0];
	CU_ASSERT_STRING_EQUAL(l->name, "l0");
	CU_ASSERT(ip_is(&l->address, "10.10.0.1"));
	CU_ASSERT_STRING_EQUAL(l->target_group, "fleet");
	CU_ASSERT_EQUAL(l->target_group_index, 0);
	CU_ASSERT_EQUAL(l->n_upstreams, 1);
	CU_ASSERT(prefix_is(&l->upstreams[0], "10.10.0.0", 24));
	CU_ASSERT_TRUE(l->scope_by_endpoint_id);
	CU_ASSERT_FALSE(l->has_endpoint_id);
	CU_ASSERT_FALSE(l->has_attachment_id);
	CU_ASSERT_EQUAL(l->max_flows_per_source, 0);

	CU_ASSERT_EQUAL_FATAL(cfg->n_groups, 1);
	g = &cfg->groups[0];
	hc = &g->health_check;
	CU_ASSERT_STRING_EQUAL(g->name, "fleet");
	CU_ASSERT_EQUAL(g->stickiness, GS_STICKY_5TUPLE);
	CU_ASSERT_EQUAL(g->on_unhealthy, GS_REBALANCE);
	CU_ASSERT_EQUAL(g->on_deregistration, GS_REBALANCE);
	CU_ASSERT_EQUAL(g->deregistration_delay_s, 300);
	CU_ASSERT_EQUAL(g->idle_timeout_tcp_s, 350);
	CU_ASSERT_EQUAL(g->idle_timeout_other_s, 120);
	CU_ASSERT_EQUAL(g->no_healthy, GS_FAIL_CLOSED);
	CU_ASSERT_FALSE(g->tcp_reset_on_unserved);
	CU_ASSERT_EQUAL(g->maglev_size, 65537);
	CU_ASSERT_EQUAL(hc->protocol, GS_CHECK_TCP);
	CU_ASSERT_EQUAL(hc->port, 22);
	CU_ASSERT_STRING_EQUAL(hc->path, "/");
	CU_ASSERT_EQUAL(hc->status_min, 200);
	CU_ASSERT_EQUAL(hc->status_max, 399);
	CU_ASSERT_FALSE(hc->inband_probe);
	CU_ASSERT_EQUAL(hc->interval_ms, 1000);
	CU_ASSERT_EQUAL(hc->timeout_ms, 500);
	CU_ASSERT_EQUAL(hc->healthy_threshold, 3);
	CU_ASSERT_EQUAL(hc->unhealthy_threshold, 3);
	CU_ASSERT_EQUAL(hc->passive, GS_PASSIVE_OFF);
	CU_ASSERT_EQUAL(hc->passive_window_ms, 1000);
	CU_ASSERT_EQUAL(hc->latency_threshold_us, 0);
	CU_ASSERT_EQUAL_FATAL(g->n_appliances, 2);
	CU_ASSERT_STRING_EQUAL(g->appliances[0].id, "fw-a");
	CU_ASSERT(ip_is(&g->appliances[0].address, "10.10.0.11"));
	CU_ASSERT(ip_is(&g->appliances[0].health_address, "10.10.0.11"));
	CU_ASSERT_EQUAL(g->appliances[0].weight, 1);
	CU_ASSERT_EQUAL(g->appliances[0].state, GS_APP_HEALTHY);
	CU_ASSERT_STRING_EQUAL(g->appliances[1].id, "fw-b");
	CU_ASSERT(ip_is(&g->appliances[1].health_address, "10.10.0.12"));
	gs_config_free(cfg);
}

static void test_full_values(void)
{
	struct gs_config *cfg = load_example("full.json");
	const struct gs_dataplane_cfg *dp;
	const struct gs_daemon_cfg *d;
	const struct gs_listener_cfg *l;
	const struct gs_target_group_cfg *g;
	const struct gs_health_check_cfg *hc;
	static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 5 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	dp = &cfg->dataplane;
	d = &cfg->daemon;

	CU_ASSERT_EQUAL_FATAL(dp->n_ports, 2);
	CU_ASSERT_STRING_EQUAL(dp->ports[0].name, "up");
	CU_ASSERT_EQUAL(dp->ports[0].n_addresses, 2);
	CU_ASSERT(prefix_is(&dp->ports[0].addresses[1], "fd10::1", 64));
	CU_ASSERT(ip_is(&dp->ports[0].gateway4, "10.10.0.254"));
	CU_ASSERT(ip_is(&dp->ports[0].gateway6, "fd10::fe"));
	CU_ASSERT_EQUAL(dp->ports[0].mtu, 9000);
	CU_ASSERT_EQUAL(dp->ports[1].vlan, 120);
	CU_ASSERT_STRING_EQUAL(dp->lcores, "0-3,6");
	CU_ASSERT_EQUAL(dp->flow_table_size, 2097152);
	CU_ASSERT_EQUAL(dp->frag_table_size, 8192);
	CU_ASSERT_EQUAL(dp->hash_seed, 1735619694);
	CU_ASSERT_STRING_EQUAL(dp->control_socket, "/run/gsteer/dp0.sock");
	CU_ASSERT_EQUAL_FATAL(dp->n_neighbors, 2);
	CU_ASSERT(ip_is(&dp->neighbors[0].address, "10.10.0.5"));
	CU_ASSERT_EQUAL(memcmp(dp->neighbors[0].mac, mac0, 6), 0);
	CU_ASSERT(ip_is(&dp->neighbors[1].address, "fd20::2"));
	CU_ASSERT_EQUAL(dp->neighbors[1].mac[4], 0x20);

	CU_ASSERT_EQUAL(d->backend, GS_BACKEND_XDP);
	CU_ASSERT_STRING_EQUAL(d->metrics_listen, "[::1]:9470");
	CU_ASSERT_STRING_EQUAL(d->xdp_interface, "eth0");
	CU_ASSERT_FALSE(d->xdp_native);
	CU_ASSERT_STRING_EQUAL(d->probe_socket, "/run/gsteer/probe0.sock");
	CU_ASSERT_STRING_EQUAL(d->socket, "/run/gsteer/gsteerd0.sock");
	CU_ASSERT_STRING_EQUAL(d->control_user, "gsteer");
	CU_ASSERT_STRING_EQUAL(d->control_group, "netops");

	CU_ASSERT_EQUAL_FATAL(cfg->n_listeners, 2);
	l = &cfg->listeners[0];
	CU_ASSERT_EQUAL(l->target_group_index, 0);
	CU_ASSERT_EQUAL(l->n_upstreams, 2);
	CU_ASSERT(prefix_is(&l->upstreams[1], "192.0.2.0", 28));
	CU_ASSERT_TRUE(l->has_endpoint_id);
	CU_ASSERT_EQUAL(l->endpoint_id, 0x1122334455667788ull);
	CU_ASSERT_TRUE(l->has_attachment_id);
	CU_ASSERT_EQUAL(l->attachment_id, 0xA1B2C3D4E5F60708ull);
	CU_ASSERT_EQUAL(l->max_flows_per_source, 100000);
	l = &cfg->listeners[1];
	CU_ASSERT(ip_is(&l->address, "fd10::1"));
	CU_ASSERT_EQUAL(l->target_group_index, 1);
	CU_ASSERT_FALSE(l->scope_by_endpoint_id);
	CU_ASSERT_FALSE(l->has_endpoint_id);

	CU_ASSERT_EQUAL_FATAL(cfg->n_groups, 2);
	g = &cfg->groups[0];
	hc = &g->health_check;
	CU_ASSERT_EQUAL(g->on_deregistration, GS_NO_REBALANCE);
	CU_ASSERT_EQUAL(g->deregistration_delay_s, 60);
	CU_ASSERT_EQUAL(g->idle_timeout_tcp_s, 600);
	CU_ASSERT_EQUAL(g->idle_timeout_other_s, 30);
	CU_ASSERT_EQUAL(g->no_healthy, GS_FAIL_OPEN);
	CU_ASSERT_TRUE(g->tcp_reset_on_unserved);
	CU_ASSERT_EQUAL(g->maglev_size, 65537);
	CU_ASSERT_EQUAL(hc->protocol, GS_CHECK_HTTP);
	CU_ASSERT_EQUAL(hc->port, 8080);
	CU_ASSERT_STRING_EQUAL(hc->path, "/health");
	CU_ASSERT_EQUAL(hc->status_min, 200);
	CU_ASSERT_EQUAL(hc->status_max, 299);
	CU_ASSERT_TRUE(hc->inband_probe);
	CU_ASSERT_EQUAL(hc->interval_ms, 100);
	CU_ASSERT_EQUAL(hc->timeout_ms, 50);
	CU_ASSERT_EQUAL(hc->unhealthy_threshold, 2);
	CU_ASSERT_EQUAL(hc->passive, GS_PASSIVE_COUNT_AS_FAILURE);
	CU_ASSERT_EQUAL(hc->passive_window_ms, 100);
	CU_ASSERT_EQUAL(hc->latency_threshold_us, 2000);
	CU_ASSERT_EQUAL_FATAL(g->n_appliances, 3);
	CU_ASSERT(ip_is(&g->appliances[0].health_address, "192.168.50.2"));
	CU_ASSERT_EQUAL(g->appliances[1].weight, 2);
	CU_ASSERT_EQUAL(g->appliances[1].state, GS_APP_DRAINING);
	CU_ASSERT_EQUAL(g->appliances[2].weight, 1000);
	CU_ASSERT_EQUAL(g->appliances[2].state, GS_APP_UNHEALTHY);
	CU_ASSERT(ip_is(&g->appliances[2].health_address, "10.20.0.4"));

	g = &cfg->groups[1];
	CU_ASSERT_EQUAL(g->stickiness, GS_STICKY_2TUPLE);
	CU_ASSERT_EQUAL(g->on_unhealthy, GS_NO_REBALANCE);
	CU_ASSERT_EQUAL(g->maglev_size, 251);
	CU_ASSERT_EQUAL(g->health_check.protocol, GS_CHECK_NONE);
	CU_ASSERT_EQUAL(g->health_check.port, 0);
	CU_ASSERT_EQUAL(g->health_check.passive, GS_PASSIVE_MARK_UNHEALTHY);
	CU_ASSERT(ip_is(&g->appliances[1].address, "fd20::3"));
	gs_config_free(cfg);
}

/* every file shipped under tests/configs is a valid example */
static void test_all_examples_load(void)
{
	DIR *dir = opendir(CONFIG_DIR);
	struct dirent *e;
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		struct gs_config *cfg;

		if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		cfg = load_example(e->d_name);
		CU_ASSERT_PTR_NOT_NULL(cfg);
		gs_config_free(cfg);
		n++;
	}
	closedir(dir);
	CU_ASSERT(n >= 2);
}

static void test_load_missing_file(void)
{
	CU_ASSERT_PTR_NULL(gs_config_load(CONFIG_DIR "/no-such.json", err,
					  sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, CONFIG_DIR
			       "/no-such.json: cannot open: No such file or directory");
}

/* ---- mistakes: edits of a valid base document -------------------------- */

static const char base_doc[] =
	"{"
	" \"dataplane\": { \"ports\": ["
	"  { \"name\": \"p0\", \"devargs\": \"net_null0\","
	"    \"addresses\": [\"10.10.0.1/24\", \"fd10::1/64\"],"
	"    \"gateway4\": \"10.10.0.254\" },"
	"  { \"name\": \"p1\", \"devargs\": \"net_null1\","
	"    \"addresses\": [\"10.20.0.1/24\"] } ] },"
	" \"listeners\": [ { \"name\": \"l0\", \"address\": \"10.10.0.1\","
	"   \"target_group\": \"tg0\", \"upstreams\": [\"10.10.0.0/24\"] } ],"
	" \"target_groups\": [ { \"name\": \"tg0\","
	"   \"health_check\": { \"port\": 80 },"
	"   \"appliances\": ["
	"    { \"id\": \"fw-a\", \"address\": \"10.20.0.2\" },"
	"    { \"id\": \"fw-b\", \"address\": \"10.20.0.3\" } ] } ]"
	"}";

#define DELETE NULL

struct edit {
	const char *path;  /* "a.b[2].c"; missing objects on the way are made */
	const char *value; /* JSON text, or DELETE */
	int repeat;        /* > 0: an array of this many copies of value */
};

struct mistake {
	struct edit edits[2];
	const char *want; /* the exact message, file name "t.json" */
};

#define E(p, v) { { p, v, 0 } }
#define E2(p1, v1, p2, v2) { { p1, v1, 0 }, { p2, v2, 0 } }
#define EN(p, v, n) { { p, v, n } }

static const struct mistake mistakes[] = {
	/* unknown keys, at every level */
	{ E("foo", "1"), "t.json: unknown key 'foo'" },
	{ E("dataplane.port", "[]"), "t.json: dataplane: unknown key 'port'" },
	{ E("dataplane.ports[0].gateway", "\"10.10.0.254\""),
	  "t.json: dataplane.ports[0]: unknown key 'gateway'" },
	{ E("daemon.backends", "\"dpdk\""), "t.json: daemon: unknown key 'backends'" },
	{ E("listeners[0].targetgroup", "\"tg0\""),
	  "t.json: listeners[0]: unknown key 'targetgroup'" },
	{ E("target_groups[0].health_check.interval", "100"),
	  "t.json: target_groups[0].health_check: unknown key 'interval'" },
	{ E("target_groups[0].appliances[1].weigth", "2"),
	  "t.json: target_groups[0].appliances[1]: unknown key 'weigth'" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00:05\", \"ttl\": 1}]"),
	  "t.json: dataplane.neighbors[0]: unknown key 'ttl'" },

	/* missing keys */
	{ E("dataplane", DELETE), "t.json: missing required key 'dataplane'" },
	{ E("listeners", DELETE), "t.json: missing required key 'listeners'" },
	{ E("target_groups", DELETE), "t.json: missing required key 'target_groups'" },
	{ E("dataplane.ports", DELETE), "t.json: dataplane: missing required key 'ports'" },
	{ E("dataplane.ports[1].devargs", DELETE),
	  "t.json: dataplane.ports[1]: missing required key 'devargs'" },
	{ E("listeners[0].upstreams", DELETE),
	  "t.json: listeners[0]: missing required key 'upstreams'" },
	{ E("target_groups[0].appliances[0].address", DELETE),
	  "t.json: target_groups[0].appliances[0]: missing required key 'address'" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\"}]"),
	  "t.json: dataplane.neighbors[0]: missing required key 'mac'" },
	{ E("target_groups[0].health_check.port", DELETE),
	  "t.json: target_groups[0].health_check: missing key 'port', required when protocol is tcp" },
	{ E("daemon.backend", "\"xdp\""),
	  "t.json: daemon: missing key 'xdp_interface', required when backend is xdp" },

	/* wrong types */
	{ E("dataplane", "[]"), "t.json: dataplane: must be an object (got an array)" },
	{ E("dataplane.ports", "{}"), "t.json: dataplane.ports: must be an array (got an object)" },
	{ E("dataplane.ports[0].mtu", "\"1500\""),
	  "t.json: dataplane.ports[0].mtu: must be an integer from 1280 to 9216 (got '1500')" },
	{ E("target_groups[0].appliances[0].weight", "1.5"),
	  "t.json: target_groups[0].appliances[0].weight: must be an integer from 1 to 1000 (got 1.5)" },
	{ E("target_groups[0].appliances[0].weight", "true"),
	  "t.json: target_groups[0].appliances[0].weight: must be an integer from 1 to 1000 (got true)" },
	{ E("listeners[0].scope_by_endpoint_id", "1"),
	  "t.json: listeners[0].scope_by_endpoint_id: must be true or false (got 1)" },
	{ E("listeners[0].name", "5"), "t.json: listeners[0].name: must be a string (got 5)" },
	{ E("dataplane.ports[0].devargs", "null"),
	  "t.json: dataplane.ports[0].devargs: must be a string (got null)" },
	{ E("target_groups[0].appliances", "null"),
	  "t.json: target_groups[0].appliances: must be an array (got null)" },
	{ E("target_groups[0].health_check", "\"tcp\""),
	  "t.json: target_groups[0].health_check: must be an object (got 'tcp')" },
	{ E("target_groups[0].appliances[1]", "\"fw-b\""),
	  "t.json: target_groups[0].appliances[1]: must be an object (got 'fw-b')" },

	/* numbers out of range */
	{ E("target_groups[0].appliances[1].weight", "0"),
	  "t.json: target_groups[0].appliances[1].weight: must be an integer from 1 to 1000 (got 0)" },
	{ E("target_groups[0].appliances[1].weight", "-3"),
	  "t.json: target_groups[0].appliances[1].weight: must be an integer from 1 to 1000 (got -3)" },
	{ E("target_groups[0].appliances[1].weight", "1001"),
	  "t.json: target_groups[0].appliances[1].weight: must be an integer from 1 to 1000 (got 1001)" },
	{ E("dataplane.ports[0].mtu", "1279"),
	  "t.json: dataplane.ports[0].mtu: must be an integer from 1280 to 9216 (got 1279)" },
	{ E("dataplane.ports[0].mtu", "9217"),
	  "t.json: dataplane.ports[0].mtu: must be an integer from 1280 to 9216 (got 9217)" },
	{ E("dataplane.ports[0].vlan", "4095"),
	  "t.json: dataplane.ports[0].vlan: must be an integer from 0 to 4094 (got 4095)" },
	{ E("dataplane.hash_seed", "4294967296"),
	  "t.json: dataplane.hash_seed: must be an integer from 0 to 4294967295 (got 4294967296)" },
	{ E("dataplane.hash_seed", "-1"),
	  "t.json: dataplane.hash_seed: must be an integer from 0 to 4294967295 (got -1)" },
	{ E("dataplane.flow_table_size", "1023"),
	  "t.json: dataplane.flow_table_size: must be an integer from 1024 to 268435456 (got 1023)" },
	{ E("dataplane.frag_table_size", "0"),
	  "t.json: dataplane.frag_table_size: must be an integer from 64 to 1048576 (got 0)" },
	{ E("target_groups[0].health_check.port", "0"),
	  "t.json: target_groups[0].health_check.port: must be an integer from 1 to 65535 (got 0)" },
	{ E("target_groups[0].health_check.port", "65536"),
	  "t.json: target_groups[0].health_check.port: must be an integer from 1 to 65535 (got 65536)" },
	{ E("target_groups[0].health_check.interval_ms", "99"),
	  "t.json: target_groups[0].health_check.interval_ms: must be an integer from 100 to 300000 (got 99)" },
	{ E("target_groups[0].health_check.healthy_threshold", "0"),
	  "t.json: target_groups[0].health_check.healthy_threshold: must be an integer from 1 to 10 (got 0)" },
	{ E("target_groups[0].health_check.unhealthy_threshold", "11"),
	  "t.json: target_groups[0].health_check.unhealthy_threshold: must be an integer from 1 to 10 (got 11)" },
	{ E("target_groups[0].health_check.passive_window_ms", "9"),
	  "t.json: target_groups[0].health_check.passive_window_ms: must be an integer from 10 to 60000 (got 9)" },
	{ E("target_groups[0].deregistration_delay_s", "3601"),
	  "t.json: target_groups[0].deregistration_delay_s: must be an integer from 0 to 3600 (got 3601)" },
	{ E("target_groups[0].idle_timeout_tcp_s", "0"),
	  "t.json: target_groups[0].idle_timeout_tcp_s: must be an integer from 1 to 86400 (got 0)" },
	{ E("target_groups[0].idle_timeout_other_s", "86401"),
	  "t.json: target_groups[0].idle_timeout_other_s: must be an integer from 1 to 86400 (got 86401)" },
	{ E("listeners[0].max_flows_per_source", "-1"),
	  "t.json: listeners[0].max_flows_per_source: must be an integer from 0 to 4294967295 (got -1)" },

	/* enumerations */
	{ E("target_groups[0].stickiness", "\"4-tuple\""),
	  "t.json: target_groups[0].stickiness: must be one of 5-tuple, 3-tuple, 2-tuple (got '4-tuple')" },
	{ E("target_groups[0].on_unhealthy", "\"Rebalance\""),
	  "t.json: target_groups[0].on_unhealthy: must be one of rebalance, no_rebalance (got 'Rebalance')" },
	{ E("target_groups[0].no_healthy", "true"),
	  "t.json: target_groups[0].no_healthy: must be one of fail_open, fail_closed (got true)" },
	{ E("target_groups[0].health_check.protocol", "\"https\""),
	  "t.json: target_groups[0].health_check.protocol: must be one of tcp, http, none (got 'https')" },
	{ E("target_groups[0].health_check.passive", "\"on\""),
	  "t.json: target_groups[0].health_check.passive: must be one of off, count_as_failure, mark_unhealthy (got 'on')" },
	{ E("target_groups[0].appliances[0].state", "\"removed\""),
	  "t.json: target_groups[0].appliances[0].state: must be one of healthy, unhealthy, draining (got 'removed')" },
	{ E("daemon.backend", "\"ebpf\""),
	  "t.json: daemon.backend: must be one of dpdk, xdp (got 'ebpf')" },
	{ E("daemon.xdp_mode", "\"skb\""),
	  "t.json: daemon.xdp_mode: must be one of native, generic (got 'skb')" },

	/* addresses and prefixes */
	{ E("listeners[0].address", "\"10.10.0.300\""),
	  "t.json: listeners[0].address: must be an IPv4 or IPv6 address (got '10.10.0.300')" },
	{ E("target_groups[0].appliances[0].address", "\"fw-a.example\""),
	  "t.json: target_groups[0].appliances[0].address: must be an IPv4 or IPv6 address (got 'fw-a.example')" },
	{ E("target_groups[0].appliances[0].health_address", "\"10.0.0.1/32\""),
	  "t.json: target_groups[0].appliances[0].health_address: must be an IPv4 or IPv6 address (got '10.0.0.1/32')" },
	{ E("dataplane.ports[0].gateway4", "\"fd10::fe\""),
	  "t.json: dataplane.ports[0].gateway4: must be an IPv4 address (got 'fd10::fe')" },
	{ E("dataplane.ports[0].gateway6", "\"10.10.0.254\""),
	  "t.json: dataplane.ports[0].gateway6: must be an IPv6 address (got '10.10.0.254')" },
	{ E("listeners[0].upstreams[0]", "\"10.10.0.0/33\""),
	  "t.json: listeners[0].upstreams[0]: must be an address with a prefix length like 10.0.0.1/24 or fd00::1/64 (got '10.10.0.0/33')" },
	{ E("listeners[0].upstreams[0]", "\"fd00::/129\""),
	  "t.json: listeners[0].upstreams[0]: must be an address with a prefix length like 10.0.0.1/24 or fd00::1/64 (got 'fd00::/129')" },
	{ E("dataplane.ports[1].addresses[0]", "\"10.20.0.1\""),
	  "t.json: dataplane.ports[1].addresses[0]: must be an address with a prefix length like 10.0.0.1/24 or fd00::1/64 (got '10.20.0.1')" },
	{ E("dataplane.ports[1].addresses[0]", "24"),
	  "t.json: dataplane.ports[1].addresses[0]: must be an address with a prefix length like 10.0.0.1/24 or fd00::1/64 (got 24)" },

	/* MAC addresses */
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a MAC address like 02:00:00:00:00:05 (got '02:00:00:00:00')" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02-00-00-00-00-05\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a MAC address like 02:00:00:00:00:05 (got '02-00-00-00-00-05')" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00:0g\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a MAC address like 02:00:00:00:00:05 (got '02:00:00:00:00:0g')" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00:05:06\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a MAC address like 02:00:00:00:00:05 (got '02:00:00:00:00:05:06')" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"01:00:5e:00:00:01\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a unicast MAC address, not zero (got '01:00:5e:00:00:01')" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"00:00:00:00:00:00\"}]"),
	  "t.json: dataplane.neighbors[0].mac: must be a unicast MAC address, not zero (got '00:00:00:00:00:00')" },

	/* duplicates */
	{ E("dataplane.ports[1].name", "\"p0\""),
	  "t.json: dataplane.ports[1].name: duplicate, dataplane.ports[0] has it too (got 'p0')" },
	{ E("dataplane.ports[1].addresses[0]", "\"fd10::1/48\""),
	  "t.json: dataplane.ports[1].addresses[0]: duplicate address, dataplane.ports[0].addresses[1] has it too (got fd10::1)" },
	{ E("dataplane.ports[0].addresses[1]", "\"10.10.0.1/16\""),
	  "t.json: dataplane.ports[0].addresses[1]: duplicate address, dataplane.ports[0].addresses[0] has it too (got 10.10.0.1)" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00:05\"}, {\"address\": \"10.10.0.5\", \"mac\": \"02:00:00:00:00:06\"}]"),
	  "t.json: dataplane.neighbors[1].address: duplicate, dataplane.neighbors[0] has it too (got 10.10.0.5)" },
	{ E("listeners[1]", "{\"name\": \"l0\", \"address\": \"fd10::1\", \"target_group\": \"tg0\", \"upstreams\": [\"::/0\"]}"),
	  "t.json: listeners[1].name: duplicate, listeners[0] has it too (got 'l0')" },
	{ E("listeners[1]", "{\"name\": \"l1\", \"address\": \"10.10.0.1\", \"target_group\": \"tg0\", \"upstreams\": [\"::/0\"]}"),
	  "t.json: listeners[1].address: duplicate, listeners[0] has it too (got 10.10.0.1)" },
	{ E("listeners[1]", "{\"name\": \"l1\", \"address\": \"fd10::1\", \"target_group\": \"tg0\", \"upstreams\": [\"::/0\"], \"scope_by_endpoint_id\": false}"),
	  "t.json: listeners[1].scope_by_endpoint_id: must match listeners[0], which sends to the same target group (got false)" },
	{ E("target_groups[1]", "{\"name\": \"tg0\", \"health_check\": {\"protocol\": \"none\"}}"),
	  "t.json: target_groups[1].name: duplicate, target_groups[0] has it too (got 'tg0')" },
	{ E("target_groups[0].appliances[1].id", "\"fw-a\""),
	  "t.json: target_groups[0].appliances[1].id: duplicate, target_groups[0].appliances[0] has it too (got 'fw-a')" },
	{ E("target_groups[0].appliances[1].address", "\"10.20.0.2\""),
	  "t.json: target_groups[0].appliances[1].address: duplicate, target_groups[0].appliances[0] has it too (got 10.20.0.2)" },

	/* references between parts */
	{ E("listeners[0].target_group", "\"tg9\""),
	  "t.json: listeners[0].target_group: no target group has this name (got 'tg9')" },
	{ E("listeners[0].address", "\"10.10.0.9\""),
	  "t.json: listeners[0].address: must be one of the addresses of dataplane.ports (got 10.10.0.9)" },
	{ E("dataplane.ports[0].gateway4", "\"10.20.0.254\""),
	  "t.json: dataplane.ports[0].gateway4: must be inside one of this port's subnets (got 10.20.0.254)" },
	{ E("dataplane.ports[1].gateway6", "\"fd10::fe\""),
	  "t.json: dataplane.ports[1].gateway6: must be inside one of this port's subnets (got fd10::fe)" },
	{ E("dataplane.neighbors", "[{\"address\": \"10.30.0.5\", \"mac\": \"02:00:00:00:00:05\"}]"),
	  "t.json: dataplane.neighbors[0].address: must be inside one of the ports' subnets (got 10.30.0.5)" },
	{ E2("dataplane.ports[0].addresses", "[\"10.10.0.1/24\"]",
	     "target_groups[0].appliances[1].address", "\"fd20::3\""),
	  "t.json: target_groups[0].appliances[1].address: no port of the data plane has an IPv6 address to reach it (got fd20::3)" },

	/* how many entries */
	{ E("dataplane.ports", "[]"), "t.json: dataplane.ports: must have 1 to 8 entries (got 0)" },
	{ EN("dataplane.ports", "{}", 9), "t.json: dataplane.ports: must have 1 to 8 entries (got 9)" },
	{ E("listeners", "[]"), "t.json: listeners: must have 1 to 64 entries (got 0)" },
	{ EN("listeners", "{}", 65), "t.json: listeners: must have 1 to 64 entries (got 65)" },
	{ E("target_groups", "[]"), "t.json: target_groups: must have 1 to 64 entries (got 0)" },
	{ EN("target_groups", "{}", 65), "t.json: target_groups: must have 1 to 64 entries (got 65)" },
	{ EN("target_groups[0].appliances", "{}", 4097),
	  "t.json: target_groups[0].appliances: must have at most 4096 entries (got 4097)" },
	{ EN("listeners[0].upstreams", "\"10.0.0.0/8\"", 65),
	  "t.json: listeners[0].upstreams: must have 1 to 64 entries (got 65)" },
	{ E("listeners[0].upstreams", "[]"),
	  "t.json: listeners[0].upstreams: must have 1 to 64 entries (got 0)" },
	{ EN("dataplane.ports[0].addresses", "\"10.10.0.1/24\"", 9),
	  "t.json: dataplane.ports[0].addresses: must have 1 to 8 entries (got 9)" },
	{ EN("dataplane.neighbors", "{}", 257),
	  "t.json: dataplane.neighbors: must have at most 256 entries (got 257)" },

	/* strings */
	{ E("target_groups[0].name", "\"0123456789012345678901234567890123456789012345678901234567890123\""),
	  "t.json: target_groups[0].name: must be 1 to 63 characters long (got 64)" },
	{ E("listeners[0].name", "\"\""), "t.json: listeners[0].name: must be 1 to 63 characters long (got 0)" },
	{ E("listeners[0].name", "\"edge l0\""),
	  "t.json: listeners[0].name: may hold only letters, digits, '.', '_' and '-' (got 'edge l0')" },
	{ E("target_groups[0].appliances[0].id", "\"fw/a\""),
	  "t.json: target_groups[0].appliances[0].id: may hold only letters, digits, '.', '_' and '-' (got 'fw/a')" },
	{ E("daemon.xdp_interface", "\"veth-with-long-name\""),
	  "t.json: daemon.xdp_interface: must be 1 to 15 characters long (got 19)" },
	{ E("dataplane.control_socket", "\"/run/gsteer/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\""),
	  "t.json: dataplane.control_socket: must be 1 to 107 characters long (got 114)" },
	{ E("dataplane.control_socket", "\"dataplane.sock\""),
	  "t.json: dataplane.control_socket: must be an absolute path (got 'dataplane.sock')" },
	{ E("dataplane.lcores", "\"0-\""),
	  "t.json: dataplane.lcores: must be a core list like 0-3,5 (got '0-')" },
	{ E("dataplane.lcores", "\"3-1\""),
	  "t.json: dataplane.lcores: must be a core list like 0-3,5 (got '3-1')" },
	{ E("dataplane.lcores", "\"0,,1\""),
	  "t.json: dataplane.lcores: must be a core list like 0-3,5 (got '0,,1')" },
	{ E("daemon.metrics_listen", "\"localhost:9469\""),
	  "t.json: daemon.metrics_listen: must be ADDRESS:PORT like 127.0.0.1:9469 or [::1]:9469, or empty to disable (got 'localhost:9469')" },
	{ E("daemon.metrics_listen", "\"127.0.0.1:0\""),
	  "t.json: daemon.metrics_listen: must be ADDRESS:PORT like 127.0.0.1:9469 or [::1]:9469, or empty to disable (got '127.0.0.1:0')" },
	{ E("daemon.metrics_listen", "\"::1:9469\""),
	  "t.json: daemon.metrics_listen: must be ADDRESS:PORT like 127.0.0.1:9469 or [::1]:9469, or empty to disable (got '::1:9469')" },

	/* endpoint and attachment ids */
	{ E("listeners[0].endpoint_id", "\"1122334455667788\""),
	  "t.json: listeners[0].endpoint_id: must be a string of 0x and 1 to 16 hex digits like 0x1122334455667788 (got '1122334455667788')" },
	{ E("listeners[0].endpoint_id", "\"0x11223344556677889\""),
	  "t.json: listeners[0].endpoint_id: must be a string of 0x and 1 to 16 hex digits like 0x1122334455667788 (got '0x11223344556677889')" },
	{ E("listeners[0].attachment_id", "\"0x\""),
	  "t.json: listeners[0].attachment_id: must be a string of 0x and 1 to 16 hex digits like 0x1122334455667788 (got '0x')" },
	{ E("listeners[0].attachment_id", "17"),
	  "t.json: listeners[0].attachment_id: must be a string of 0x and 1 to 16 hex digits like 0x1122334455667788 (got 17)" },

	/* health checks */
	{ E("target_groups[0].health_check.timeout_ms", "1000"),
	  "t.json: target_groups[0].health_check.timeout_ms: must be less than interval_ms, 1000 (got 1000)" },
	{ E2("target_groups[0].health_check.interval_ms", "100",
	     "target_groups[0].health_check.timeout_ms", "150"),
	  "t.json: target_groups[0].health_check.timeout_ms: must be less than interval_ms, 100 (got 150)" },
	{ E("target_groups[0].health_check.matcher", "\"600\""),
	  "t.json: target_groups[0].health_check.matcher: must be a code or range of codes from 100 to 599 like 200 or 200-399 (got '600')" },
	{ E("target_groups[0].health_check.matcher", "\"399-200\""),
	  "t.json: target_groups[0].health_check.matcher: must be a code or range of codes from 100 to 599 like 200 or 200-399 (got '399-200')" },
	{ E("target_groups[0].health_check.matcher", "200"),
	  "t.json: target_groups[0].health_check.matcher: must be a code or range of codes from 100 to 599 like 200 or 200-399 (got 200)" },
	{ E("target_groups[0].health_check.path", "\"health\""),
	  "t.json: target_groups[0].health_check.path: must be an absolute path (got 'health')" },

	/* Maglev table size */
	{ E("target_groups[0].maglev_table_size", "65536"),
	  "t.json: target_groups[0].maglev_table_size: must be a prime number (got 65536)" },
	{ E("target_groups[0].maglev_table_size", "101"),
	  "t.json: target_groups[0].maglev_table_size: must be at least 100 per appliance, 200 for 2 appliances (got 101)" },
	{ E("target_groups[0].maglev_table_size", "16777259"),
	  "t.json: target_groups[0].maglev_table_size: must be an integer from 1 to 16777213 (got 16777259)" },

	/* the whole document */
	{ E("dataplane.ports[0].name", "\"a\\nb\""),
	  "t.json: dataplane.ports[0].name: may hold only letters, digits, '.', '_' and '-' (got 'a?b')" },
};

/* walk @path in @root; returns the container and leaves the last step */
static json_t *walk(json_t *root, const char *path, char *key, size_t *index,
		    bool *is_index)
{
	char buf[256], *save = NULL, *tok, *next;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = next) {
		char *br = strchr(tok, '[');
		size_t idx = 0;

		next = strtok_r(NULL, ".", &save);
		if (br) {
			*br = '\0';
			idx = strtoul(br + 1, NULL, 10);
		}
		if (!br && !next) {
			snprintf(key, 64, "%s", tok);
			*is_index = false;
			return cur;
		}
		if (!json_object_get(cur, tok))
			json_object_set_new(cur, tok, br ? json_array() : json_object());
		cur = json_object_get(cur, tok);
		if (!br)
			continue;
		if (!next) {
			*index = idx;
			*is_index = true;
			return cur;
		}
		cur = json_array_get(cur, idx);
	}
	return NULL;
}

static void apply(json_t *root, const struct edit *e)
{
	char key[64];
	size_t index = 0;
	bool is_index = false;
	json_t *where = walk(root, e->path, key, &index, &is_index);
	json_t *v = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(where);
	if (e->value) {
		v = json_loads(e->value, JSON_DECODE_ANY, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		if (e->repeat) {
			json_t *arr = json_array();

			for (int i = 0; i < e->repeat; i++)
				json_array_append(arr, v);
			json_decref(v);
			v = arr;
		}
	}
	if (is_index && !v)
		json_array_remove(where, index);
	else if (is_index && index == json_array_size(where))
		json_array_append_new(where, v);
	else if (is_index)
		json_array_set_new(where, index, v);
	else if (!v)
		json_object_del(where, key);
	else
		json_object_set_new(where, key, v);
}

static struct gs_config *parse_edited(const struct edit *edits, size_t n_edits)
{
	json_t *root = json_loads(base_doc, 0, NULL);
	struct gs_config *cfg;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	for (size_t i = 0; i < n_edits && edits[i].path; i++)
		apply(root, &edits[i]);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	cfg = gs_config_parse(text, "t.json", err, sizeof(err));
	free(text);
	return cfg;
}

static void test_base_document_is_valid(void)
{
	struct gs_config *cfg = gs_config_parse(base_doc, "t.json", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT_STRING_EQUAL(err, "");
	gs_config_free(cfg);
}

static void test_mistakes(void)
{
	for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
		const struct mistake *m = &mistakes[i];
		struct gs_config *cfg;

		strcpy(err, "(no message)");
		cfg = parse_edited(m->edits, 2);
		CU_ASSERT_PTR_NULL(cfg);
		if (strcmp(err, m->want) != 0) {
			fprintf(stderr, "\nmistake %zu (%s):\n  want: %s\n  got:  %s\n",
				i, m->edits[0].path, m->want, err);
			CU_FAIL("message differs");
		}
		gs_config_free(cfg);
	}
}

/* text that is not a JSON object: jansson's own words, with line and column */
static void test_bad_json(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "t.json:1:0: invalid JSON: '[' or '{' expected near end of file" },
		{ "{\n  \"dataplane\": {,\n}",
		  "t.json:2:17: invalid JSON: string or '}' expected near ','" },
		{ "{\"listeners\": [],}",
		  "t.json:1:18: invalid JSON: string or '}' expected near '}'" },
		{ "{\"a\": 1, \"a\": 2}",
		  "t.json:1:12: invalid JSON: duplicate object key near '\"a\"'" },
		{ "{\"daemon\": {\"control_user\": \"u\\u0000\"}}",
		  "t.json:1:37: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"u\\u0000\"'" },
		{ "{\"a\": 1} x", "t.json:1:10: invalid JSON: end of file expected near 'x'" },
		{ "[]", "t.json: must be an object (got an array)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_PTR_NULL(gs_config_parse(cases[i].text, "t.json", err,
						   sizeof(err)));
		if (strcmp(err, cases[i].want) != 0) {
			fprintf(stderr, "\nbad json %zu:\n  want: %s\n  got:  %s\n", i,
				cases[i].want, err);
			CU_FAIL("message differs");
		}
	}
}

/* values that depend on others: http port, health address, Maglev size */
static void test_dependent_defaults(void)
{
	static const struct edit http[] = {
		{ "target_groups[0].health_check", "{\"protocol\": \"http\"}", 0 },
		{ "target_groups[0].appliances[0].health_address", "\"192.168.50.2\"", 0 },
	};
	struct gs_config *cfg = parse_edited(http, 2);
	json_t *root, *apps;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->groups[0].health_check.port, 80);
	CU_ASSERT_STRING_EQUAL(cfg->groups[0].health_check.path, "/");
	CU_ASSERT(ip_is(&cfg->groups[0].appliances[0].health_address, "192.168.50.2"));
	CU_ASSERT(ip_is(&cfg->groups[0].appliances[1].health_address, "10.20.0.3"));
	gs_config_free(cfg);

	/* 700 appliances: the default size grows to the next prime >= 70000 */
	root = json_loads(base_doc, 0, NULL);
	apps = json_array();
	for (int i = 0; i < 700; i++) {
		char id[16], addr[32];

		snprintf(id, sizeof(id), "a%d", i);
		snprintf(addr, sizeof(addr), "10.20.%d.%d", 1 + i / 250, 1 + i % 250);
		json_array_append_new(apps, json_pack("{s:s, s:s}", "id", id,
						      "address", addr));
	}
	json_object_set_new(json_array_get(json_object_get(root, "target_groups"), 0),
			    "appliances", apps);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	cfg = gs_config_parse(text, "t.json", err, sizeof(err));
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->groups[0].n_appliances, 700);
	CU_ASSERT_EQUAL(cfg->groups[0].maglev_size, 70001);
	gs_config_free(cfg);
}

static const struct gs_test_case helper_cases[] = {
	{ "ipaddr parse and format", test_ipaddr_parse_format },
	{ "ipaddr equal", test_ipaddr_equal },
	{ "prefix parse", test_prefix_parse },
	{ "prefix contains", test_prefix_contains },
	{ "appliance state names", test_app_state_names },
	{ NULL, NULL },
};

static const struct gs_test_case load_cases[] = {
	{ "minimal.json and the defaults", test_minimal_defaults },
	{ "full.json, every key", test_full_values },
	{ "every example loads", test_all_examples_load },
	{ "missing file", test_load_missing_file },
	{ "dependent defaults", test_dependent_defaults },
	{ NULL, NULL },
};

static const struct gs_test_case error_cases[] = {
	{ "base document is valid", test_base_document_is_valid },
	{ "mistakes give exact messages", test_mistakes },
	{ "invalid JSON", test_bad_json },
	{ NULL, NULL },
};

static const struct gs_test_suite suites[] = {
	{ "config helpers", helper_cases },
	{ "config load", load_cases },
	{ "config errors", error_cases },
	{ NULL, NULL },
};

int main(void)
{
	return gs_test_run(suites);
}
