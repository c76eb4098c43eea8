/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: control-socket requests (dataplane/ctl.c,
 * gs_ctl_handle_buf) against a real data plane.
 *
 * LLVMFuzzerInitialize brings up DPDK's EAL without huge pages or PCI
 * (--no-huge --no-pci --no-shconf, one net_null port, telemetry off) and
 * builds a data plane from a small built-in config with a few flows in its
 * table, so every command has something to show or change.  Each input is
 * one request line; state changes made by one input stay for the next, as
 * they would on a long-lived socket.
 *
 * Checked besides memory safety and leaks: every request gets exactly one
 * reply, a JSON object with a boolean "ok" (and an "error" string when it
 * is false), on one line; the handler also answers without a data plane.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_eal.h>
#include <rte_hash.h>

#include "ctl.h"
#include "dp_init.h"
#include "flow_table.h"
#define GS_FUZZ_WITH_EAL
#include "fuzz_util.h"

static const char config_json[] =
	"{\"dataplane\": {\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\","
	" \"addresses\": [\"10.0.0.1/24\", \"fd00::1/64\", \"10.0.0.10/24\"]}],"
	" \"flow_table_size\": 4096, \"frag_table_size\": 64,"
	" \"neighbors\": [{\"address\": \"10.0.0.100\", \"mac\": \"02:00:00:00:01:00\"}]},"
	" \"listeners\": [{\"name\": \"edge\", \"address\": \"10.0.0.10\","
	"  \"target_group\": \"fw\", \"upstreams\": [\"10.0.0.0/24\"]},"
	" {\"name\": \"edge6\", \"address\": \"fd00::1\","
	"  \"target_group\": \"ids\", \"upstreams\": [\"fd00::/64\"]}],"
	" \"target_groups\": [{\"name\": \"fw\", \"health_check\": {\"protocol\": \"none\"},"
	"  \"maglev_table_size\": 1009,"
	"  \"appliances\": [{\"id\": \"fw-a\", \"address\": \"10.0.0.100\"},"
	"   {\"id\": \"fw-b\", \"address\": \"10.0.0.101\", \"weight\": 3},"
	"   {\"id\": \"fw-c\", \"address\": \"10.0.0.102\", \"state\": \"draining\"}]},"
	"  {\"name\": \"ids\", \"no_healthy\": \"fail_open\", \"maglev_table_size\": 1009,"
	"   \"health_check\": {\"protocol\": \"none\"},"
	"   \"appliances\": [{\"id\": \"ids-a\", \"address\": \"fd00::100\","
	"    \"state\": \"unhealthy\"}]}]}";

static struct gs_dp *dp;
static struct gs_config *cfg;
static volatile bool quit;

static void add_flows(void)
{
	for (uint32_t i = 0; i < 8; i++) {
		struct gs_tuple t = { .proto = i & 1 ? GS_IPPROTO_TCP : GS_IPPROTO_UDP,
				      .family = GS_AF_INET, .sport = (uint16_t)(40000 + i),
				      .dport = 443 };
		struct gs_flow_key k;
		struct gs_flow_dir tk;
		struct gs_flow *f;
		uint32_t h;
		int pos;

		t.src[0] = 192, t.src[1] = 168, t.src[3] = (uint8_t)i;
		t.dst[0] = 172, t.dst[1] = 16, t.dst[3] = 5;
		gs_flow_key_build(&k, &t, GS_STICKY_5TUPLE, 100, 0, 0);
		h = gs_flow_hash(&k, dp->hash_seed);
		pos = rte_hash_add_key_with_hash(dp->flows_hash, &k, h);
		if (pos < 0)
			continue;
		f = &dp->flows[pos];
		memset(f, 0, sizeof(*f));
		f->hash = h;
		f->appliance = (uint16_t)(i % 3);
		f->proto = t.proto;
		f->live = 1;
		/* direction 0 came through upstream 10.0.0.50, VNI 100 */
		memset(&tk, 0, sizeof(tk));
		tk.upstream[0] = 10, tk.upstream[3] = 50;
		tk.vni = 100;
		tk.flags = GS_FDIR_SEEN;
		f->tun[0] = gs_tunnel_get(dp, &tk);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[48], err[512];
	char *eal[] = { (*argv)[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci",
			"--no-shconf", "--no-telemetry", "--file-prefix", prefix,
			"--vdev", "net_null0", "--log-level", "crit", NULL };

	(void)argc;
	snprintf(prefix, sizeof(prefix), "gsfz%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_ctl: EAL initialisation failed\n");
		exit(1);
	}
	atexit(fuzz_eal_remove_runtime_dir);
	cfg = gs_config_parse(config_json, "fuzz_ctl", err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "fuzz_ctl: %s\n", err);
		exit(1);
	}
	dp = gs_dp_create(cfg, 1, NULL, &quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "fuzz_ctl: gs_dp_create: %s\n", err);
		exit(1);
	}
	add_flows();
	return 0;
}

static void check_reply(char *reply)
{
	json_error_t jerr;
	json_t *r, *ok;

	FUZZ_CHECK(reply != NULL);
	FUZZ_CHECK(strchr(reply, '\n') == NULL);
	r = json_loads(reply, 0, &jerr);
	FUZZ_CHECK(json_is_object(r));
	ok = json_object_get(r, "ok");
	FUZZ_CHECK(json_is_boolean(ok));
	if (json_is_false(ok))
		FUZZ_CHECK(json_is_string(json_object_get(r, "error")));
	json_decref(r);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size > GS_CTL_LINE_MAX)
		return 0;
	/* an exact-size copy without a NUL: the handler must not need one */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check_reply(gs_ctl_handle_buf(dp, buf, size));
	check_reply(gs_ctl_handle_buf(NULL, buf, size));
	/* what the main lcore does between requests: drains finish, ARP
	 * requests for the appliances go out (and are thrown away here) */
	gs_dp_main_once(dp);
	{
		struct rte_mbuf *out[64];
		unsigned n;

		while ((n = rte_ring_sc_dequeue_burst(dp->workers[0].inject,
						      (void **)out, 64, NULL)))
			rte_pktmbuf_free_bulk(out, n);
	}
	free(buf);
	return 0;
}
