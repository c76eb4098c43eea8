/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-dataplane: EAL and config start-up, worker launch, and the main
 * lcore's control loop.  The fast path lives in pipeline.c / worker.c.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_pdump.h>

#include "ctl.h"
#include "probe.h"
#include "dp_init.h"
#include "telemetry.h"
#include "worker.h"

static volatile bool force_quit;

struct options {
	const char *config;
	const char *stats_file;
	uint32_t exit_idle_ms;
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s --config FILE [options] [EAL options]\n"
		"\n"
		"GENEVE steering data plane: decapsulates GENEVE from upstreams, pins each\n"
		"inner flow (both directions) to an appliance by symmetric hash and Maglev,\n"
		"and returns the appliances' traffic to the upstream it came from.\n"
		"\n"
		"Options:\n"
		"      --config FILE      configuration (JSON, see docs/configuration.md)\n"
		"      --stats-file FILE  on exit, write counters and appliances there (JSON)\n"
		"      --exit-idle-ms N   exit once no packet arrived for N ms (pcap replays)\n"
		"  -h, --help             this text\n"
		"  -V, --version          print the version\n"
		"\n"
		"Every other argument goes to DPDK's EAL, e.g. -l 0-1 --no-huge\n"
		"--file-prefix gs1 --vdev net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap.\n"
		"Without -l/-c/--lcores the config's dataplane.lcores is used.  The first\n"
		"lcore runs control work; every other lcore is a worker with one RX and\n"
		"one TX queue on every port.\n",
		prog);
}

/* split our options from EAL's: ours are consumed, the rest kept in order */
static int parse_args(int argc, char **argv, struct options *o, int *eal_argc,
		      char **eal_argv, bool *has_lcores)
{
	int n = 0;

	eal_argv[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, argv[0]);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("gsteer-dataplane %s\n", GS_VERSION);
			exit(0);
		} else if (!strcmp(a, "--config") ||
			   !strcmp(a, "--stats-file") || !strcmp(a, "--exit-idle-ms")) {
			if (!val) {
				fprintf(stderr, "gsteer-dataplane: %s needs a value\n", a);
				return -1;
			}
			if (!strcmp(a, "--config"))
				o->config = val;
			else if (!strcmp(a, "--stats-file"))
				o->stats_file = val;
			else {
				char *end;
				unsigned long v = strtoul(val, &end, 10);

				if (*end || v == 0 || v > 3600000) {
					fprintf(stderr,
						"gsteer-dataplane: --exit-idle-ms: '%s' is not a number of ms from 1 to 3600000\n",
						val);
					return -1;
				}
				o->exit_idle_ms = (uint32_t)v;
			}
			i++;
		} else if (!strcmp(a, "--")) {
			continue;
		} else {
			if (!strcmp(a, "-l") || !strcmp(a, "--lcores") ||
			    !strncmp(a, "--lcores=", 9) || !strcmp(a, "-c"))
				*has_lcores = true;
			eal_argv[n++] = argv[i];
		}
	}
	*eal_argc = n;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&force_quit, true, __ATOMIC_RELAXED);
}

static void write_stats_file(struct gs_dp *dp, const char *path)
{
	char *stats = gs_ctl_handle(dp, "{\"cmd\":\"show_stats\"}");
	char *apps = gs_ctl_handle(dp, "{\"cmd\":\"show_appliances\"}");
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "gsteer-dataplane: --stats-file %s: %m\n", path);
	} else {
		/* with the workers stopped: a leak shows as in_use > held
		 * (on PMDs without prefilled RX rings, such as net_pcap) */
		fprintf(f, "{\"stats\": %s, \"appliances\": %s, "
			"\"mbufs\": {\"in_use\": %u, \"held\": %u}}\n",
			stats ? stats : "null", apps ? apps : "null",
			rte_mempool_in_use_count(dp->pool), gs_dp_mbufs_held(dp));
		fclose(f);
	}
	free(stats);
	free(apps);
}

/* settings the loader accepts but this data plane does not act on yet */
static void warn_unimplemented(const struct gs_config *cfg)
{
	for (uint32_t g = 0; g < cfg->n_groups; g++)
		if (cfg->groups[g].tcp_reset_on_unserved)
			fprintf(stderr, "gsteer-dataplane: warning: target_groups[%u].tcp_reset_on_unserved: not implemented yet, no resets are sent\n",
				g);
}

static void control_loop(struct gs_dp *dp, const struct options *o)
{
	uint64_t last_rx = 0;
	uint32_t last_change = gs_dp_now_ms(dp);

	while (!__atomic_load_n(&force_quit, __ATOMIC_RELAXED)) {
		uint32_t work = gs_dp_main_once(dp);

		gs_ctl_poll(dp);
		gs_probe_poll(dp);
		if (o->exit_idle_ms) {
			uint32_t now = gs_dp_now_ms(dp);
			struct gs_worker_stats sum;

			gs_dp_stats_sum(dp, &sum);
			if (sum.rx_pkts != last_rx || work) {
				last_rx = sum.rx_pkts;
				last_change = now;
			} else if (now - last_change >= o->exit_idle_ms) {
				__atomic_store_n(&force_quit, true, __ATOMIC_RELAXED);
			}
		}
		/* the main lcore shares a core with others on small hosts */
		if (!work)
			usleep(100);
	}
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char **eal_argv = calloc((size_t)argc + 3, sizeof(char *));
	char err[512], lcores_arg[80];
	unsigned lcores[GS_MAX_WORKERS], lcore, n_workers = 0;
	struct gs_config *cfg = NULL;
	struct gs_dp *dp = NULL;
	bool has_lcores = false, eal_up = false, pdump_up = false;
	int eal_argc = 0, rc = 2;

	if (!eal_argv || parse_args(argc, argv, &o, &eal_argc, eal_argv, &has_lcores) != 0)
		goto out;
	if (!o.config) {
		fprintf(stderr, "gsteer-dataplane: --config FILE is required (see --help)\n");
		goto out;
	}
	cfg = gs_config_load(o.config, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "gsteer-dataplane: %s\n", err);
		goto out;
	}
	warn_unimplemented(cfg);
	if (!has_lcores && cfg->dataplane.lcores[0]) {
		snprintf(lcores_arg, sizeof(lcores_arg), "%s", cfg->dataplane.lcores);
		eal_argv[eal_argc++] = "-l";
		eal_argv[eal_argc++] = lcores_arg;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "gsteer-dataplane: EAL initialisation failed (see the EAL messages above)\n");
		goto out;
	}
	eal_up = true;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n_workers == GS_MAX_WORKERS)
			break;
		lcores[n_workers++] = lcore;
	}
	if (n_workers == 0) {
		fprintf(stderr, "gsteer-dataplane: need at least two lcores (one for control, one worker), e.g. -l 0-1\n");
		goto out;
	}
	dp = gs_dp_create(cfg, n_workers, lcores, &force_quit, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "gsteer-dataplane: %s: %s\n", o.config, err);
		goto out;
	}
	if (gs_ctl_open(dp, cfg->dataplane.control_socket, err, sizeof(err)) != 0) {
		fprintf(stderr, "gsteer-dataplane: control socket: %s\n", err);
		goto out;
	}
	if (cfg->daemon.probe_socket[0] &&
	    gs_probe_open(dp, cfg->daemon.probe_socket, err, sizeof(err)) != 0) {
		fprintf(stderr, "gsteer-dataplane: probe socket (daemon.probe_socket): %s\n", err);
		goto out;
	}
	if (gs_telemetry_register(dp) != 0)
		fprintf(stderr, "gsteer-dataplane: warning: telemetry commands not registered\n");
	if (rte_pdump_init() != 0)
		fprintf(stderr, "gsteer-dataplane: warning: packet capture (dpdk-dumpcap) unavailable\n");
	else
		pdump_up = true;

	gs_worker_set_dp(dp);
	for (unsigned i = 0; i < n_workers; i++)
		rte_eal_remote_launch(gs_worker_loop, &dp->workers[i], lcores[i]);
	printf("gsteer-dataplane %s: %u ports, %u workers, %u listeners, %u target groups, "
	       "control socket %s\n", GS_VERSION, dp->n_ports, n_workers, cfg->n_listeners,
	       cfg->n_groups, cfg->dataplane.control_socket);
	fflush(stdout);

	control_loop(dp, &o);

	rc = 0;
	rte_eal_mp_wait_lcore();
	if (o.stats_file)
		write_stats_file(dp, o.stats_file);
out:
	if (pdump_up)
		rte_pdump_uninit();
	if (dp) {
		gs_probe_close(dp);
		gs_ctl_close();
		gs_dp_destroy(dp);
	}
	gs_config_free(cfg);
	if (eal_up)
		rte_eal_cleanup();
	free(eal_argv);
	return rc;
}
