/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteerd's health state machine (ctrl/health.c) and its timer heap
 * (ctrl/timers.c), on a fake clock: thresholds, recovery, the passive
 * signal's two modes and its window, and timers popping in deadline order.
 */
#include "gs_test.h"
#include "gsd.h"
#include "health.h"

#define MS 1000000ull

static struct gs_health_check_cfg hc(uint32_t healthy, uint32_t unhealthy,
				     enum gs_passive_mode passive)
{
	struct gs_health_check_cfg c = {
		.protocol = GS_CHECK_TCP, .port = 80, .interval_ms = 100, .timeout_ms = 50,
		.healthy_threshold = healthy, .unhealthy_threshold = unhealthy,
		.passive = passive, .passive_window_ms = 100,
	};
	return c;
}

static void test_unhealthy_after_threshold(void)
{
	struct gs_health_check_cfg c = hc(3, 2, GS_PASSIVE_OFF);
	struct gs_health h;
	uint64_t t = 1000 * MS;

	gs_health_init(&h, true, t);
	CU_ASSERT_FALSE(gs_health_round(&h, &c, false, "tcp check", t += 100 * MS));
	CU_ASSERT_TRUE(h.healthy);
	CU_ASSERT_TRUE(gs_health_round(&h, &c, false, "tcp check", t += 100 * MS));
	CU_ASSERT_FALSE(h.healthy);
	CU_ASSERT_EQUAL(h.since_ns, t);
	CU_ASSERT_STRING_EQUAL(h.why, "tcp check: 2 failures in a row");
	/* further failures change nothing */
	CU_ASSERT_FALSE(gs_health_round(&h, &c, false, "tcp check", t += 100 * MS));
	CU_ASSERT_EQUAL(h.consecutive_fail, 3);
}

static void test_a_success_resets_the_failures(void)
{
	struct gs_health_check_cfg c = hc(3, 3, GS_PASSIVE_OFF);
	struct gs_health h;

	gs_health_init(&h, true, 0);
	for (int i = 0; i < 10; i++) {
		/* two failures, one success, forever: never three in a row */
		CU_ASSERT_FALSE(gs_health_round(&h, &c, false, "x", 0));
		CU_ASSERT_FALSE(gs_health_round(&h, &c, false, "x", 0));
		CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 0));
	}
	CU_ASSERT_TRUE(h.healthy);
}

static void test_recovers_after_healthy_threshold(void)
{
	struct gs_health_check_cfg c = hc(3, 1, GS_PASSIVE_OFF);
	struct gs_health h;

	gs_health_init(&h, true, 0);
	CU_ASSERT_TRUE(gs_health_round(&h, &c, false, "http check", 1));
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 2));
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 3));
	/* a failure in between starts the count again */
	CU_ASSERT_FALSE(gs_health_round(&h, &c, false, "http check", 4));
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 5));
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 6));
	CU_ASSERT_TRUE(gs_health_round(&h, &c, true, NULL, 7));
	CU_ASSERT_TRUE(h.healthy);
	CU_ASSERT_EQUAL(h.since_ns, 7);
	CU_ASSERT_STRING_EQUAL(h.why, "3 good check rounds in a row");
}

static void test_starts_unhealthy(void)
{
	struct gs_health_check_cfg c = hc(2, 2, GS_PASSIVE_OFF);
	struct gs_health h;

	gs_health_init(&h, false, 5);
	CU_ASSERT_FALSE(h.healthy);
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 6));
	CU_ASSERT_TRUE(gs_health_round(&h, &c, true, NULL, 7));
}

static void test_passive_mark_unhealthy(void)
{
	struct gs_health_check_cfg c = hc(2, 5, GS_PASSIVE_MARK_UNHEALTHY);
	struct gs_health h;

	gs_health_init(&h, true, 0);
	CU_ASSERT_TRUE(gs_health_passive(&h, &c, 10 * MS));
	CU_ASSERT_FALSE(h.healthy);
	CU_ASSERT_STRING_EQUAL(h.why, "passive: traffic sent, nothing returned in 100 ms");
	/* back only through healthy_threshold good rounds */
	CU_ASSERT_FALSE(gs_health_round(&h, &c, true, NULL, 20 * MS));
	CU_ASSERT_TRUE(gs_health_round(&h, &c, true, NULL, 30 * MS));
}

static void test_passive_counts_one_failure_per_window(void)
{
	struct gs_health_check_cfg c = hc(2, 3, GS_PASSIVE_COUNT_AS_FAILURE);
	struct gs_health h;
	uint64_t t = 1000 * MS;

	gs_health_init(&h, true, 0);
	/* sampled every 25 ms: one failure per 100 ms window, not four */
	for (int i = 0; i < 8; i++)
		CU_ASSERT_FALSE(gs_health_passive(&h, &c, t + (uint64_t)i * 25 * MS));
	CU_ASSERT_EQUAL(h.consecutive_fail, 2);
	CU_ASSERT_TRUE(h.healthy);
	CU_ASSERT_TRUE(gs_health_passive(&h, &c, t + 200 * MS));
	CU_ASSERT_FALSE(h.healthy);
	CU_ASSERT_STRING_EQUAL(h.why, "passive: 3 failures in a row");
}

static void test_passive_off_does_nothing(void)
{
	struct gs_health_check_cfg c = hc(2, 1, GS_PASSIVE_OFF);
	struct gs_health h;

	gs_health_init(&h, true, 0);
	CU_ASSERT_FALSE(gs_health_passive(&h, &c, 1));
	CU_ASSERT_TRUE(h.healthy);
	CU_ASSERT_EQUAL(h.consecutive_fail, 0);
}

static void test_passive_suspect(void)
{
	struct gs_traffic_sample old = { 0, 100, 90, 10 };
	struct gs_traffic_sample mid = { 50, 120, 90, 10 };
	struct gs_traffic_sample now = { 100, 140, 90, 10 };

	/* packets sent half a window ago or more, nothing back in the window */
	CU_ASSERT_TRUE(gs_passive_suspect(&old, &mid, &now));
	/* something came back */
	now.rx_pkts = 91;
	CU_ASSERT_FALSE(gs_passive_suspect(&old, &mid, &now));
	now.rx_pkts = 90;
	/* only recent traffic: its replies may still be on their way */
	mid.tx_pkts = 100;
	CU_ASSERT_FALSE(gs_passive_suspect(&old, &mid, &now));
	/* a new flow placed early in the window counts too */
	mid.new_flows = 11;
	CU_ASSERT_TRUE(gs_passive_suspect(&old, &mid, &now));
	/* an idle appliance is not suspect */
	struct gs_traffic_sample idle = old;
	CU_ASSERT_FALSE(gs_passive_suspect(&old, &idle, &idle));
}

static void test_timers_pop_in_order(void)
{
	static const uint64_t at[] = { 50, 10, 40, 10, 30, 20, 60, 5 };
	uint64_t last = 0, due;
	uint32_t app, gen, n = 0;
	enum gsd_timer_kind kind;

	CU_ASSERT_EQUAL(gsd_timer_init(2), 0); /* grows as needed */
	for (uint32_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(gsd_timer_add(at[i], i, i % 2 ? GSD_T_DEADLINE : GSD_T_ROUND, i * 7), 0);
	CU_ASSERT_EQUAL(gsd_timer_next(0), 5);
	CU_ASSERT_FALSE(gsd_timer_pop(4, &due, &app, &kind, &gen));
	while (gsd_timer_pop(100, &due, &app, &kind, &gen)) {
		CU_ASSERT_TRUE(at[app] >= last);
		CU_ASSERT_EQUAL(due, at[app]);
		CU_ASSERT_EQUAL(gen, app * 7);
		CU_ASSERT_EQUAL(kind, app % 2 ? GSD_T_DEADLINE : GSD_T_ROUND);
		last = at[app];
		n++;
	}
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(gsd_timer_next(0), UINT64_MAX);
	gsd_timer_free();
}

static void test_timers_many(void)
{
	uint64_t last = 0, due;
	uint32_t app, gen, n = 0;
	enum gsd_timer_kind kind;

	gs_rng_state = 42;
	CU_ASSERT_EQUAL(gsd_timer_init(16), 0);
	for (uint32_t i = 0; i < 5000; i++)
		gsd_timer_add(gs_rng_next() % 1000000, i, GSD_T_ROUND, 0);
	while (gsd_timer_pop(UINT64_MAX, &due, &app, &kind, &gen))
		n++;
	CU_ASSERT_EQUAL(n, 5000);
	/* a clock moving forward: each step pops exactly what is due */
	for (uint32_t i = 0; i < 5000; i++)
		gsd_timer_add(gs_rng_next() % 1000000, i, GSD_T_ROUND, 0);
	for (uint64_t now = 0; now <= 1000000; now += 997) {
		while (gsd_timer_pop(now, &due, &app, &kind, &gen)) {
			CU_ASSERT_TRUE(due <= now);
			n++;
		}
		CU_ASSERT_TRUE(gsd_timer_next(now) > 0);
		CU_ASSERT_TRUE(now >= last);
		last = now;
	}
	while (gsd_timer_pop(UINT64_MAX, &due, &app, &kind, &gen))
		n++;
	CU_ASSERT_EQUAL(n, 10000);
	gsd_timer_free();
}

static const struct gs_test_case health_cases[] = {
	{ "unhealthy_after_threshold", test_unhealthy_after_threshold },
	{ "a_success_resets_the_failures", test_a_success_resets_the_failures },
	{ "recovers_after_healthy_threshold", test_recovers_after_healthy_threshold },
	{ "starts_unhealthy", test_starts_unhealthy },
	{ NULL, NULL },
};

static const struct gs_test_case passive_cases[] = {
	{ "mark_unhealthy", test_passive_mark_unhealthy },
	{ "count_one_failure_per_window", test_passive_counts_one_failure_per_window },
	{ "off_does_nothing", test_passive_off_does_nothing },
	{ "suspect", test_passive_suspect },
	{ NULL, NULL },
};

static const struct gs_test_case timer_cases[] = {
	{ "pop_in_order", test_timers_pop_in_order },
	{ "many", test_timers_many },
	{ NULL, NULL },
};

static const struct gs_test_suite suites[] = {
	{ "health_thresholds", health_cases },
	{ "health_passive", passive_cases },
	{ "timers", timer_cases },
	{ NULL, NULL },
};

int main(void)
{
	return gs_test_run(suites);
}
