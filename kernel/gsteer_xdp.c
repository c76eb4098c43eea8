/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-xdp: load, program and inspect the XDP data plane by hand (and in
 * the end-to-end test).  gsteerd does the same through gs_xdp.h.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gs_xdp.h"

static const char usage[] =
	"usage: gsteer-xdp COMMAND [ARGS]\n"
	"\n"
	"  attach --config FILE\n"
	"      load the XDP program on daemon.xdp_interface (daemon.xdp_mode: native,\n"
	"      the default, or generic), fill its maps from FILE and pin them under\n"
	"      /sys/fs/bpf/gsteer/IFACE/.  When it is already attached, the new program\n"
	"      replaces it in place and keeps flows, counters and appliance states.\n"
	"      Refuses when IPv4 forwarding is off on IFACE (bpf_fib_lookup needs it).\n"
	"      Sends one empty datagram to each appliance's port 9 so the kernel\n"
	"      resolves their MACs.\n"
	"  set-state --config FILE GROUP APPLIANCE STATE\n"
	"      GROUP: target group name or index; APPLIANCE: id or index in the group;\n"
	"      STATE: healthy, unhealthy, draining or removed.  Rebuilds and publishes\n"
	"      the group's Maglev table.\n"
	"  stats --config FILE [--json]\n"
	"      counters summed over CPUs: verdicts, drop and pass reasons, per appliance\n"
	"      traffic and new flows, active flows.\n"
	"  detach IFACE\n"
	"      detach the program (native and generic) and remove its pinned maps.\n"
	"  pass IFACE\n"
	"      attach (native) a program that passes every frame: a veth receives what\n"
	"      its peer sends with XDP_TX only when it has an XDP program of its own, so\n"
	"      give this to the veth facing gsteer's interface.  Undo with detach.\n"
	"\n"
	"The program keeps running after gsteer-xdp exits.  Needs root (CAP_BPF,\n"
	"CAP_NET_ADMIN) and bpffs on /sys/fs/bpf.  Exit status 0 on success, 1 on\n"
	"failure (one line on stderr), 2 on a usage error.\n";

static int find_index(const char *s, uint32_t n, const char *(*name_of)(uint32_t, const void *),
		      const void *arg)
{
	char *end;
	unsigned long v;

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(name_of(i, arg), s) == 0)
			return (int)i;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!errno && *s && !*end && v < n)
		return (int)v;
	return -1;
}

static const char *group_name(uint32_t i, const void *arg)
{
	return ((const struct gs_config *)arg)->groups[i].name;
}

static const char *app_name(uint32_t i, const void *arg)
{
	return ((const struct gs_target_group_cfg *)arg)->appliances[i].id;
}

static void print_stats(const struct gs_config *cfg, const struct gs_xdp_stats *st, bool json)
{
	json_t *o = json_object(), *v = json_object(), *d = json_object(),
	       *p = json_object(), *apps = json_array();
	char *text;

	for (unsigned i = 0; i < GSX_V_COUNT; i++)
		json_object_set_new(v, gs_xdp_verdict_name(i), json_integer((json_int_t)st->verdicts[i]));
	for (unsigned r = 1; r < GS_R_COUNT; r++) {
		if (st->drops[r])
			json_object_set_new(d, gs_xdp_reason_name(r), json_integer((json_int_t)st->drops[r]));
		if (st->passed[r])
			json_object_set_new(p, gs_xdp_reason_name(r), json_integer((json_int_t)st->passed[r]));
	}
	for (uint32_t g = 0; g < cfg->n_groups; g++)
		for (uint32_t a = 0; a < cfg->groups[g].n_appliances && a < GSX_MAX_APPS_PER_GROUP; a++) {
			const struct gs_xdp_app_stats *s = &st->app[g][a];

			json_array_append_new(apps, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}",
				"group", cfg->groups[g].name, "id", cfg->groups[g].appliances[a].id,
				"to_pkts", (json_int_t)s->to_pkts, "to_bytes", (json_int_t)s->to_bytes,
				"from_pkts", (json_int_t)s->from_pkts,
				"from_bytes", (json_int_t)s->from_bytes,
				"new_flows", (json_int_t)s->new_flows));
		}
	json_object_set_new(o, "verdicts", v);
	json_object_set_new(o, "drops", d);
	json_object_set_new(o, "passed", p);
	json_object_set_new(o, "appliances", apps);
	json_object_set_new(o, "flows_active", json_integer((json_int_t)st->flows_active));
	if (json) {
		text = json_dumps(o, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
	} else {
		const char *k;
		json_t *val;
		size_t i;

		json_object_foreach(v, k, val)
			printf("%-20s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(val));
		json_object_foreach(d, k, val)
			printf("drop %-24s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(val));
		json_object_foreach(p, k, val)
			printf("pass %-24s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(val));
		json_array_foreach(apps, i, val)
			printf("%s/%s to %" JSON_INTEGER_FORMAT " from %" JSON_INTEGER_FORMAT
			       " new_flows %" JSON_INTEGER_FORMAT "\n",
			       json_string_value(json_object_get(val, "group")),
			       json_string_value(json_object_get(val, "id")),
			       json_integer_value(json_object_get(val, "to_pkts")),
			       json_integer_value(json_object_get(val, "from_pkts")),
			       json_integer_value(json_object_get(val, "new_flows")));
		printf("flows_active %" PRIu64 "\n", st->flows_active);
	}
	json_decref(o);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gs_xdp_open_opts oo = { 0 };
	struct gs_config *cfg = NULL;
	struct gs_xdp_stats *st = NULL;
	struct gs_xdp *x = NULL;
	const char *cmd, *config = NULL;
	char err[512] = "";
	bool json = false;
	int c, rc = 1, gi, ai, state;

	while ((c = getopt_long(argc, argv, "c:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "pass") == 0) {
		if (optind != argc - 1) {
			fputs(usage, stderr);
			return 2;
		}
		if (gs_xdp_attach_pass(argv[optind], err, sizeof(err)) != 0) {
			fprintf(stderr, "gsteer-xdp: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(cmd, "detach") == 0) {
		if (optind != argc - 1) {
			fputs(usage, stderr);
			return 2;
		}
		if (gs_xdp_detach(argv[optind]) != 0) {
			fprintf(stderr, "gsteer-xdp: detach %s: %s\n", argv[optind], strerror(errno));
			return 1;
		}
		return 0;
	}
	if (!config || (strcmp(cmd, "attach") && strcmp(cmd, "set-state") && strcmp(cmd, "stats"))) {
		fputs(usage, stderr);
		return 2;
	}
	cfg = gs_config_load(config, err, sizeof(err));
	if (!cfg)
		goto cleanup;
	if (!cfg->daemon.xdp_interface[0]) {
		snprintf(err, sizeof(err), "%s: daemon.xdp_interface is not set", config);
		goto cleanup;
	}
	if (strcmp(cmd, "attach") == 0) {
		if (optind != argc) {
			fputs(usage, stderr);
			rc = 2;
			goto cleanup;
		}
		x = gs_xdp_open(cfg, err, sizeof(err));
		if (!x)
			goto cleanup;
		printf("gsteer-xdp: attached to %s (%s)\n", cfg->daemon.xdp_interface,
		       cfg->daemon.xdp_native ? "native" : "generic");
		rc = 0;
		goto cleanup;
	}
	oo.maps_only = true;
	x = gs_xdp_open_opts(cfg, &oo, err, sizeof(err));
	if (!x)
		goto cleanup;
	if (strcmp(cmd, "set-state") == 0) {
		if (optind != argc - 3) {
			fputs(usage, stderr);
			rc = 2;
			goto cleanup;
		}
		gi = find_index(argv[optind], cfg->n_groups, group_name, cfg);
		if (gi < 0) {
			snprintf(err, sizeof(err), "no target group '%s'", argv[optind]);
			goto cleanup;
		}
		ai = find_index(argv[optind + 1], cfg->groups[gi].n_appliances, app_name,
				&cfg->groups[gi]);
		if (ai < 0) {
			snprintf(err, sizeof(err), "target group '%s' has no appliance '%s'",
				 cfg->groups[gi].name, argv[optind + 1]);
			goto cleanup;
		}
		state = gs_app_state_from_name(argv[optind + 2]);
		if (state < 0) {
			snprintf(err, sizeof(err), "no appliance state '%s'", argv[optind + 2]);
			goto cleanup;
		}
		if (gs_xdp_set_state(x, (uint32_t)gi, (uint32_t)ai, (enum gs_app_state)state, err,
				     sizeof(err)) != 0)
			goto cleanup;
		rc = 0;
		goto cleanup;
	}
	/* stats */
	st = calloc(1, sizeof(*st));
	if (!st || gs_xdp_read_stats(x, st) != 0) {
		snprintf(err, sizeof(err), "reading counters: %s", strerror(errno));
		goto cleanup;
	}
	print_stats(cfg, st, json);
	rc = 0;
cleanup:
	if (rc == 1)
		fprintf(stderr, "gsteer-xdp: %s\n", err);
	free(st);
	gs_xdp_close(x);
	gs_config_free(cfg);
	return rc;
}
