/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_src_limit: the per-source flow counters (dataplane/src_limit.h) on
 * a bare data plane struct (no EAL needed).
 *
 *  - a source gets exactly its limit, the next charge is refused and
 *    leaves the counters as they were, a release makes room again;
 *  - listeners and sources are counted apart, and the count-min sketch
 *    errs one way only: with as many sources as counters per row and a
 *    limit of 1, no source ever gets a second flow; sources refused early
 *    (others share both their counters) stay within the estimate, also
 *    for a full table of sources with many flows each;
 *  - every release brings the counters back to 0;
 *  - four threads charging one source concurrently never hold more than
 *    the limit at once, and end at 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src_limit.h"

static unsigned n_fail;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: ", __func__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			n_fail++;                                              \
		}                                                              \
	} while (0)

static void addr4(uint8_t *a, uint32_t v)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)(v >> 24), a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8), a[3] = (uint8_t)v;
}

static void test_one_source(struct gs_dp *dp)
{
	uint8_t s[16];
	uint32_t keys[5], other;

	addr4(s, 0x0a000032);
	for (int i = 0; i < 5; i++) {
		keys[i] = gs_src_charge(dp, 0, s, GS_AF_INET, 5);
		CHECK(keys[i] != 0, "charge %d of 5 refused", i + 1);
	}
	CHECK(gs_src_limit_count(dp, 0, s, GS_AF_INET) == 5, "count %u, want 5",
	      gs_src_limit_count(dp, 0, s, GS_AF_INET));
	CHECK(gs_src_charge(dp, 0, s, GS_AF_INET, 5) == 0, "sixth charge admitted");
	CHECK(gs_src_limit_count(dp, 0, s, GS_AF_INET) == 5,
	      "a refused charge changed the count to %u",
	      gs_src_limit_count(dp, 0, s, GS_AF_INET));
	/* the same address on another listener is another source */
	other = gs_src_charge(dp, 1, s, GS_AF_INET, 5);
	CHECK(other != 0, "listener 1 refused");
	gs_src_release(dp, keys[0]);
	keys[0] = gs_src_charge(dp, 0, s, GS_AF_INET, 5);
	CHECK(keys[0] != 0, "no room after a release");
	for (int i = 0; i < 5; i++)
		gs_src_release(dp, keys[i]);
	CHECK(gs_src_limit_count(dp, 0, s, GS_AF_INET) == 0, "count %u after releases",
	      gs_src_limit_count(dp, 0, s, GS_AF_INET));
	CHECK(gs_src_limit_outstanding(dp) == 2, "%lu counters outstanding, want 2",
	      (unsigned long)gs_src_limit_outstanding(dp));
	gs_src_release(dp, other);
	CHECK(gs_src_limit_outstanding(dp) == 0, "counters left");
	printf("%s one source\n", n_fail ? "...." : "PASS");
}

static void test_many_sources(struct gs_dp *dp)
{
	uint32_t n = 1u << dp->src_bits, refused = 0;
	uint32_t *keys = calloc(n, sizeof(*keys));
	uint8_t s[16];

	for (uint32_t i = 0; i < n; i++) {
		addr4(s, 0x0a000000 + i);
		keys[i] = gs_src_charge(dp, 2, s, GS_AF_INET, 1);
		refused += keys[i] == 0;
	}
	/* a source meets both its counters taken with probability about
	 * (i/n)^2: a third of the sources on average, when the table holds as
	 * many flows (of as many sources) as it has counters per row, which
	 * is the worst case: the flow table is full. */
	CHECK(refused < n / 2, "%u of %u sources refused their first flow", refused, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t again;

		if (!keys[i])
			continue;
		addr4(s, 0x0a000000 + i);
		again = gs_src_charge(dp, 2, s, GS_AF_INET, 1);
		CHECK(again == 0, "source %u admitted a second flow", i);
		gs_src_release(dp, again);
	}
	for (uint32_t i = 0; i < n; i++)
		gs_src_release(dp, keys[i]);
	CHECK(gs_src_limit_outstanding(dp) == 0, "%lu counters left",
	      (unsigned long)gs_src_limit_outstanding(dp));
	printf("%s %u sources, limit 1: %u refused their first flow\n",
	       n_fail ? "...." : "PASS", n, refused);
	free(keys);
}

static void test_realistic_load(struct gs_dp *dp)
{
	/* as many flows as counters per row (the worst case: the data plane
	 * sizes rows at twice the table) from n/16 sources of 16 flows each,
	 * limit 20.  A source is refused early only when other sources share
	 * both its counters: about (n/16/n)^2 = 0.4% of them; allow 1% */
	uint32_t n = 1u << dp->src_bits, refused = 0, got = 0;
	uint32_t *keys = calloc(n, sizeof(*keys));
	uint8_t s[16];

	for (uint32_t i = 0; i < n; i++) {
		addr4(s, 0xac100000 + i / 16);
		keys[i] = gs_src_charge(dp, 0, s, GS_AF_INET, 20);
		refused += keys[i] == 0;
	}
	CHECK(refused < n / 100, "%u of %u flows refused below the limit", refused, n);
	/* and the limit still holds for each of them */
	for (uint32_t i = 0; i < n / 16; i++) {
		uint32_t k;

		addr4(s, 0xac100000 + i);
		for (int j = 0; j < 8; j++) {
			k = gs_src_charge(dp, 0, s, GS_AF_INET, 20);
			got += k != 0;
			gs_src_release(dp, k);
		}
	}
	CHECK(got <= 8 * (n / 16), "over-admitted");
	for (uint32_t i = 0; i < n; i++)
		gs_src_release(dp, keys[i]);
	CHECK(gs_src_limit_outstanding(dp) == 0, "counters left");
	printf("%s full table, 16 flows a source, limit 20: %u refused\n",
	       n_fail ? "...." : "PASS", refused);
	free(keys);
}

#define LIMIT 8
#define ROUNDS 200000

static struct gs_dp *shared_dp;
static int held_now, held_max;

static void *hammer(void *arg)
{
	uint8_t s[16];

	(void)arg;
	addr4(s, 0xc0000201);
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t slot = gs_src_charge(shared_dp, 3, s, GS_AF_INET, LIMIT);
		int n;

		if (!slot)
			continue;
		n = __atomic_add_fetch(&held_now, 1, __ATOMIC_SEQ_CST);
		if (n > __atomic_load_n(&held_max, __ATOMIC_RELAXED))
			__atomic_store_n(&held_max, n, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&held_now, 1, __ATOMIC_SEQ_CST);
		gs_src_release(shared_dp, slot);
	}
	return NULL;
}

static void test_concurrent(struct gs_dp *dp)
{
	pthread_t t[4];

	shared_dp = dp;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(held_max <= LIMIT, "%d flows held at once, limit %d", held_max, LIMIT);
	CHECK(gs_src_limit_outstanding(dp) == 0, "counters left after the threads");
	printf("%s 4 threads on one source: at most %d of %d held\n",
	       n_fail ? "...." : "PASS", held_max, LIMIT);
}

int main(void)
{
	struct gs_dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return 1;
	dp->src_seed = 0x12345678;
	dp->src_bits = GS_SRC_MIN_BITS;
	dp->src_counts = calloc(2u << dp->src_bits, sizeof(*dp->src_counts));
	if (!dp->src_counts)
		return 1;
	test_one_source(dp);
	test_many_sources(dp);
	test_realistic_load(dp);
	test_concurrent(dp);
	free(dp->src_counts);
	free(dp);
	printf("%s test_src_limit (%u failure(s))\n", n_fail ? "FAIL" : "PASS", n_fail);
	return n_fail ? 1 : 0;
}
