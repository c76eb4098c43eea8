/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteerd: health checks, failover and drain decisions for gsteer's data
 * plane.  It only changes appliance states and reads statistics; the data
 * plane forwards on its own from the same config, so either process may
 * restart without the other losing anything it cannot rebuild.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backend.h"
#include "ctlsock.h"
#include "gsd.h"
#include "metrics.h"
#include "model.h"

#define RECONNECT_MS 200 /* how often a missing data plane is looked for */
#define PROBE_GRACE_MS 1000 /* after a (re)connect, see checks.c */
#define METRICS_RENDER_MS 250

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: gsteerd --config FILE [--check] [--log-stderr]\n"
		"\n"
		"gsteer's control daemon: runs the health checks of every target group\n"
		"(TCP or HTTP over the management network, the in-band GENEVE probe through\n"
		"the data plane, the passive signal from the traffic), decides appliance\n"
		"states (healthy, unhealthy, draining, removed), and keeps the data plane's\n"
		"states in step: over dataplane.control_socket for the DPDK data plane, or\n"
		"through BPF maps for the XDP one (daemon.backend).  gsteerctl talks to it\n"
		"over daemon.socket; Prometheus metrics on daemon.metrics_listen.\n"
		"\n"
		"  -c, --config FILE  the configuration (the data plane's own file)\n"
		"      --check        validate the configuration and exit (0: valid)\n"
		"      --log-stderr   log to standard error as well as to syslog\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration (a bad one is refused and the\n"
		"running one kept); SIGINT/SIGTERM stop.  Stopping gsteerd does not stop\n"
		"forwarding: the data plane keeps the last states it was given.\n"
		"Exit status: 0 stopped by a signal or --check passed, 2 bad usage or\n"
		"configuration, 1 could not start.\n");
}

static int setup_signals(struct gsd *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = GSD_TAG_SIGNAL };
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	return fd;
}

static void on_signal(struct gsd *d, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			d->reload = 1;
		else
			d->quit = 1;
	}
}

static void reload(struct gsd *d)
{
	char err[512];
	struct gs_config *ncfg = gs_config_load(d->config_path, err, sizeof(err));

	d->reload = 0;
	if (!ncfg) {
		syslog(LOG_ERR, "reload refused, the running configuration stays: %s", err);
		return;
	}
	if (ncfg->daemon.backend != d->cfg->daemon.backend) {
		syslog(LOG_ERR, "reload refused, the running configuration stays: %s: daemon.backend changed: restart gsteerd for that",
		       d->config_path);
		gs_config_free(ncfg);
		return;
	}
	if (gsd_reload(d, ncfg, err, sizeof(err)) != 0) {
		syslog(LOG_ERR, "reload refused, the running configuration stays: %s: %s",
		       d->config_path, err);
		gs_config_free(ncfg);
		return;
	}
	syslog(LOG_NOTICE, "reloaded %s: %u appliances", d->config_path, d->n_apps);
}

/* talk to the data plane: reconnect, poll, act on what it reports */
static void dataplane_turn(struct gsd *d, uint64_t now)
{
	const struct gsd_backend_ops *ops = d->backend->ops;
	char err[256];

	if (now < d->next_poll_ns)
		return;
	if (!d->dp_connected) {
		d->next_poll_ns = now + RECONNECT_MS * 1000000ull;
		if (ops->connect(d, err, sizeof(err)) != 0)
			return;
		d->dp_connected = true;
		d->dp_reconnects++;
		d->probe_grace_until_ns = now + PROBE_GRACE_MS * 1000000ull;
		syslog(LOG_NOTICE, "data plane reached (%s backend)", ops->name);
	}
	if (ops->poll(d, now) != 0) {
		syslog(LOG_WARNING, "data plane lost; it keeps forwarding with the last states it has, gsteerd keeps checking");
		d->dp_connected = false;
		d->have_dp_stats = false;
		ops->disconnect(d);
		return;
	}
	{
		/* the poll blocks this loop: a data plane that takes long to
		 * answer (thousands of appliances) is asked less often, so the
		 * checks keep their time; the passive signal then sees coarser
		 * samples, and says so in show (dataplane.poll_ms) */
		uint64_t took = gsd_now_ns() - now;
		uint64_t gap = (uint64_t)d->poll_ms * 1000000u;

		d->last_poll_ns = took;
		if (4 * took > gap)
			gap = 4 * took;
		d->next_poll_ns = now + took + gap;
		d->poll_gap_ns = gap;
	}
	if (!d->dp_adopted) {
		gsd_adopt(d, now);
		d->dp_adopted = true;
	}
	/* what the data plane lacks of earlier decisions, before this poll's */
	gsd_sync(d);
	gsd_traffic(d, now);
}

/* a scrape every few seconds is the norm: rendering 1,000 appliances at
 * every data plane poll would cost more than it shows */
static void metrics_turn(struct gsd *d, uint64_t now)
{
	if (now < d->next_metrics_ns)
		return;
	d->next_metrics_ns = now + METRICS_RENDER_MS * 1000000ull;
	gsd_metrics_render(d);
}

/* the passive signal needs samples at least 4 per window */
static uint32_t poll_interval_ms(const struct gs_config *cfg)
{
	uint32_t ms = 250;

	for (uint32_t g = 0; g < cfg->n_groups; g++) {
		const struct gs_health_check_cfg *hc = &cfg->groups[g].health_check;

		if (hc->passive != GS_PASSIVE_OFF && hc->passive_window_ms / 4 < ms)
			ms = hc->passive_window_ms / 4;
	}
	return ms < 10 ? 10 : ms;
}

static void loop(struct gsd *d, int sfd)
{
	struct epoll_event evs[64];

	while (!d->quit) {
		uint64_t now = gsd_now_ns(), wait_ns = gsd_timer_next(now);
		uint64_t poll_in = d->next_poll_ns > now ? d->next_poll_ns - now : 0;
		int timeout, n;

		if (poll_in < wait_ns)
			wait_ns = poll_in;
		if (d->mhd && d->next_metrics_ns - now < wait_ns && d->next_metrics_ns > now)
			wait_ns = d->next_metrics_ns - now;
		/* round up: waking a little late is fine, early is a busy loop */
		timeout = wait_ns == UINT64_MAX ? 1000 : (int)((wait_ns + 999999) / 1000000);
		n = epoll_wait(d->epfd, evs, 64, timeout);
		d->loop_wakeups++;
		now = gsd_now_ns();
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			switch ((uint32_t)tag) {
			case GSD_TAG_SIGNAL:
				on_signal(d, sfd);
				break;
			case GSD_TAG_CTL_LISTEN:
			case GSD_TAG_CTL_CLIENT:
				gsd_ctl_event(d, tag);
				break;
			case GSD_TAG_PROBE:
				d->backend->ops->probe_input(d, now);
				break;
			default:
				if (tag < d->n_apps)
					gsd_check_event(d, &d->apps[tag], evs[i].events, now);
				break;
			}
		}
		for (;;) {
			uint32_t app, gen;
			uint64_t due;
			enum gsd_timer_kind kind;

			if (!gsd_timer_pop(now, &due, &app, &kind, &gen))
				break;
			if (app >= d->n_apps)
				continue;
			if (kind == GSD_T_ROUND)
				gsd_round_start(d, &d->apps[app], due, now);
			else
				gsd_round_deadline(d, &d->apps[app], gen, now);
		}
		if (d->reload) {
			reload(d);
			d->poll_ms = poll_interval_ms(d->cfg);
		}
		dataplane_turn(d, now);
		if (d->flush_needed) {
			d->flush_needed = false;
			gsd_flush(d);
		}
		metrics_turn(d, now);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "log-stderr", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct gsd d = { .epfd = -1 };
	const char *config = NULL;
	bool check_only = false, log_stderr = false;
	struct timespec rt, mt;
	char err[512];
	int c, sfd = -1, rc = 1;
	uint64_t now;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': check_only = true; break;
		case 'e': log_stderr = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("gsteerd %s\n", GS_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gsteerd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!config) {
		fprintf(stderr, "gsteerd: --config FILE is required (see --help)\n");
		return 2;
	}
	d.config_path = config;
	d.cfg = gs_config_load(config, err, sizeof(err));
	if (!d.cfg) {
		fprintf(stderr, "gsteerd: %s\n", err);
		return 2;
	}
	if (check_only) {
		printf("gsteerd: %s is valid\n", config);
		gs_config_free(d.cfg);
		return 0;
	}
	openlog("gsteerd", LOG_PID | (log_stderr ? LOG_PERROR : 0), LOG_DAEMON);
	pthread_mutex_init(&d.metrics_lock, NULL);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	d.real_offset_ns = ((int64_t)rt.tv_sec - mt.tv_sec) * 1000000000ll +
			   (rt.tv_nsec - mt.tv_nsec);
	now = gsd_now_ns();
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.epfd < 0 || (sfd = setup_signals(&d)) < 0) {
		fprintf(stderr, "gsteerd: epoll/signals: %s\n", strerror(errno));
		goto out;
	}
	if (gsd_model_build(&d, now) != 0 || gsd_timer_init(2 * d.n_apps + 16) != 0) {
		fprintf(stderr, "gsteerd: out of memory\n");
		goto out;
	}
#ifdef GS_HAVE_XDP
	d.backend = d.cfg->daemon.backend == GS_BACKEND_XDP ?
		    gsd_backend_xdp_new(&d, err, sizeof(err)) :
		    gsd_backend_dpdk_new(&d, err, sizeof(err));
#else
	if (d.cfg->daemon.backend == GS_BACKEND_XDP)
		snprintf(err, sizeof(err), "this gsteerd was built without the XDP data plane (meson -Dxdp=enabled)");
	else
		d.backend = gsd_backend_dpdk_new(&d, err, sizeof(err));
#endif
	if (!d.backend) {
		fprintf(stderr, "gsteerd: %s backend: %s\n",
			d.cfg->daemon.backend == GS_BACKEND_XDP ? "xdp" : "dpdk", err);
		goto out;
	}
	if (gsd_ctl_open(&d, err, sizeof(err)) != 0) {
		fprintf(stderr, "gsteerd: daemon.socket: %s\n", err);
		goto out;
	}
	if (gsd_metrics_start(&d, err, sizeof(err)) != 0) {
		fprintf(stderr, "gsteerd: %s\n", err);
		goto out;
	}
	d.poll_ms = poll_interval_ms(d.cfg);
	/* spread the first rounds over one interval: 1,000 appliances do not
	 * all connect in the same millisecond */
	for (uint32_t i = 0; i < d.n_apps; i++) {
		uint64_t iv = (uint64_t)d.cfg->groups[d.apps[i].group].health_check.interval_ms *
			      1000000u;

		gsd_timer_add(now + iv * i / (d.n_apps ? d.n_apps : 1), i, GSD_T_ROUND, 0);
	}
	syslog(LOG_NOTICE, "started: %u appliances in %u target groups, %s backend, socket %s",
	       d.n_apps, d.cfg->n_groups, d.backend->ops->name, d.cfg->daemon.socket);
	loop(&d, sfd);
	syslog(LOG_NOTICE, "stopping; the data plane keeps forwarding with the states it has");
	rc = 0;
out:
	gsd_metrics_stop(&d);
	if (d.cfg)
		gsd_ctl_close(&d);
	for (uint32_t i = 0; i < d.n_apps; i++)
		gsd_check_cancel(&d, &d.apps[i]);
	if (d.backend)
		d.backend->ops->destroy(&d);
	gsd_timer_free();
	if (sfd >= 0)
		close(sfd);
	if (d.epfd >= 0)
		close(d.epfd);
	gsd_model_free(&d);
	json_decref(d.dp_counters);
	gs_config_free(d.cfg);
	return rc;
}
