/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteerd's model: one record per appliance of the config, what its checks
 * said, what the daemon decided, and what the data plane last reported.
 *
 * One thread runs everything (an epoll loop: check sockets, the probe
 * socket, gsteerctl clients, timers), so 1,000 appliances at 100 ms cost
 * one core's sliver, not a thousand threads.  The metrics endpoint runs in
 * libmicrohttpd's thread and only reads a text snapshot the loop renders.
 */
#ifndef GSD_H
#define GSD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gs_config.h"
#include "gs_reasons.h"
#include "health.h"

#define GSD_SAMPLES 16 /* traffic samples kept per appliance (ring) */

enum gsd_check_phase {
	GSD_CHECK_IDLE = 0,
	GSD_CHECK_CONNECTING,
	GSD_CHECK_READING, /* http: request sent, waiting for the status line */
};

struct gsd_app {
	uint32_t group;                  /* index in cfg->groups */
	const struct gs_appliance_cfg *cfg;
	char id[GS_NAME_MAX];
	bool drained;  /* operator: no new flows */
	bool removed;  /* gone from the config at a reload */
	struct gs_appliance_cfg gone_cfg; /* its last config, once removed */

	struct gs_health health;
	enum gs_app_state decided; /* what gsteerd wants in force */
	uint64_t decided_since_ns; /* CLOCK_REALTIME */

	/* the data plane's view, from its last poll */
	bool dp_known;
	enum gs_app_state dp_state;
	uint32_t dp_index;

	/* the check round in progress */
	uint32_t round_gen;
	bool round_active;
	bool round_ok;
	bool round_partial; /* the probe is configured but could not go */
	unsigned pending; /* GSD_PENDING_* */
	char round_fail[64];

	/* active TCP/HTTP check */
	int check_fd;
	enum gsd_check_phase check_phase;
	uint64_t check_started_ns;
	char rbuf[64];
	uint32_t rlen;
	bool active_ok;
	bool active_done; /* at least one result */
	char active_detail[64];
	uint64_t active_at_ns;

	/* in-band probe */
	uint32_t probe_seq;
	bool probe_ok;
	bool probe_done;
	bool probe_have_rtt;
	double rtt_us;
	uint64_t probe_at_ns;
	uint64_t probes_sent, probes_returned, probes_late;

	/* traffic, for the passive signal and the rates */
	struct gs_traffic_sample samples[GSD_SAMPLES];
	uint32_t n_samples, sample_head;
	uint64_t tx_bytes, rx_bytes, flows;
	double tx_pps, rx_pps;
	bool suspect;

	uint64_t checks_ok, checks_failed; /* rounds */
	uint64_t rounds_skipped; /* due while the previous one still ran */
};

#define GSD_PENDING_ACTIVE 0x1u
#define GSD_PENDING_PROBE 0x2u

struct gsd_event {
	uint64_t seq;
	uint64_t at_ns; /* CLOCK_REALTIME */
	uint32_t app;
	enum gs_app_state from, to;
	char why[96];
};

#define GSD_EVENTS 1024 /* ring */

struct gsd_backend;

struct gsd {
	struct gs_config *cfg;
	const char *config_path;
	struct gsd_app *apps;
	uint32_t n_apps;
	struct gsd_app_index *by_name; /* "group/id" -> app */

	int epfd;
	int64_t real_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */

	struct gsd_backend *backend;
	bool dp_connected;
	bool dp_adopted; /* took the data plane's states once, at start */
	bool flush_needed; /* decisions made this turn, not yet sent */
	uint64_t dp_reconnects;
	uint64_t dp_resyncs; /* states re-sent after the data plane lost them */
	uint64_t next_poll_ns;
	uint64_t next_metrics_ns;
	uint64_t last_poll_ns; /* how long the last data plane poll took */
	uint64_t poll_gap_ns;  /* between polls now (adapted to the above) */
	uint64_t probe_grace_until_ns; /* no probes right after a (re)connect */
	uint32_t poll_ms;
	/* from the data plane's last show_stats */
	uint64_t ft_capacity, ft_used;
	uint64_t drops[GS_R_COUNT];
	struct json_t *dp_counters; /* the data plane's packet counters, as it names them */
	bool have_dp_stats;

	struct gsd_event events[GSD_EVENTS];
	uint64_t n_events;

	/* metrics snapshot, rendered by the loop, served by the HTTP thread */
	pthread_mutex_t metrics_lock;
	char *metrics_text;
	size_t metrics_len;
	struct MHD_Daemon *mhd;

	volatile int quit;
	volatile int reload;
	uint64_t loop_wakeups;
};

static inline uint64_t gsd_real_ns(const struct gsd *d, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + d->real_offset_ns);
}

uint64_t gsd_now_ns(void); /* CLOCK_MONOTONIC */

/* the traffic samples of an appliance, a ring: what the backends add at
 * each poll, and the newest one (NULL before the first) */
static inline void gsd_add_sample(struct gsd_app *a, const struct gs_traffic_sample *s)
{
	a->samples[a->sample_head] = *s;
	a->sample_head = (a->sample_head + 1) % GSD_SAMPLES;
	if (a->n_samples < GSD_SAMPLES)
		a->n_samples++;
}

static inline const struct gs_traffic_sample *gsd_last_sample(const struct gsd_app *a)
{
	return a->n_samples ? &a->samples[(a->sample_head + GSD_SAMPLES - 1) % GSD_SAMPLES] :
			      NULL;
}

/* decide what appliance @a's state must be and tell the data plane when
 * that differs from what it has; logs and records an event on a change */
void gsd_apply(struct gsd *d, struct gsd_app *a, const char *why);

/* the app named @id (in @group, or in the only group that has it), or NULL
 * with a message in @err */
struct gsd_app *gsd_find_app(struct gsd *d, const char *group, const char *id,
			     char *err, size_t errlen);

/* ---- checks.c: active TCP/HTTP checks and the check rounds ---------------- */
/* @due: when the round was due; the next one is due an interval later,
 * so a busy loop does not stretch the interval */
void gsd_round_start(struct gsd *d, struct gsd_app *a, uint64_t due, uint64_t now);
void gsd_round_deadline(struct gsd *d, struct gsd_app *a, uint32_t gen, uint64_t now);
void gsd_check_event(struct gsd *d, struct gsd_app *a, uint32_t events, uint64_t now);
void gsd_probe_result(struct gsd *d, struct gsd_app *a, uint32_t seq,
		      uint64_t sent_ns, uint64_t now);
void gsd_check_cancel(struct gsd *d, struct gsd_app *a);

/* ---- timers.c: a min-heap of (deadline, app, kind) ------------------------ */
enum gsd_timer_kind { GSD_T_ROUND = 1, GSD_T_DEADLINE = 2 };
int gsd_timer_init(uint32_t capacity);
void gsd_timer_free(void);
int gsd_timer_add(uint64_t at_ns, uint32_t app, enum gsd_timer_kind kind, uint32_t gen);
/* the earliest timer due at @now, popped (@at: when it was due); false
 * when none is due */
bool gsd_timer_pop(uint64_t now, uint64_t *at, uint32_t *app, enum gsd_timer_kind *kind,
		   uint32_t *gen);
/* ns until the earliest timer (0 when due), UINT64_MAX when there is none */
uint64_t gsd_timer_next(uint64_t now);

/* ---- epoll tags: what a ready descriptor is ---------------------------- */
#define GSD_TAG_SIGNAL 0xFFFFFFF0u
#define GSD_TAG_CTL_LISTEN 0xFFFFFFF1u
#define GSD_TAG_PROBE 0xFFFFFFF2u
#define GSD_TAG_CTL_CLIENT 0xFFFFFFF3u /* + client slot in the high word */
#define GSD_TAG_METRICS 0xFFFFFFF4u

#endif /* GSD_H */
