/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table build time.  The build runs on every appliance state change
 * (failover, drain), so it sits inside the failover budget.
 *
 * Absolute times depend on the machine and its neighbours, so each line also
 * carries a reference measured in the same run: one plain pass writing the
 * same table (the least any builder must do).  The ratio build / reference
 * is what to compare between machines.
 *
 * usage: bench_maglev [runs]   (default 21; the median is reported)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs_maglev.h"

#define NAME_LEN 32

static volatile uint32_t sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* the reference: one pass writing every slot, as the build's own init does */
static double fill_ms(uint32_t *t, uint32_t size, uint32_t n, int runs)
{
	double *v = malloc(runs * sizeof(*v));
	double m;

	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		uint32_t b = 0;

		/* a backend index per slot without a division, like a real table */
		for (uint32_t i = 0; i < size; i++) {
			t[i] = b;
			if (++b == n)
				b = 0;
		}
		/* keep the stores: the compiler may not drop what is read later */
		sink += t[(uint32_t)r % size];
		v[r] = now_ms() - t0;
	}
	m = median(v, runs);
	free(v);
	return m;
}

static double build_ms(uint32_t *t, uint32_t size,
		       const struct gs_maglev_backend *be, uint32_t n, int runs)
{
	double *v = malloc(runs * sizeof(*v));
	double m;

	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();

		if (gs_maglev_build(t, size, be, n, GS_DEFAULT_HASH_SEED) != 0) {
			fprintf(stderr, "build failed: size %u, %u backends\n", size, n);
			exit(1);
		}
		sink += t[(uint32_t)r % size];
		v[r] = now_ms() - t0;
	}
	m = median(v, runs);
	free(v);
	return m;
}

enum weights { EQUAL, MIXED, LOPSIDED };
static const char *const weight_names[] = { "equal", "mixed 1..10", "1x1000 rest 1" };

static void run(uint32_t n, uint32_t size, enum weights w, int runs)
{
	struct gs_maglev_backend *be = calloc(n, sizeof(*be));
	char (*names)[NAME_LEN] = calloc(n, NAME_LEN);
	uint32_t *t = malloc((size_t)size * sizeof(*t));
	double ref, build;

	if (!be || !names || !t) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < n; i++) {
		snprintf(names[i], NAME_LEN, "fw-%u.az1.example", i);
		be[i].name = names[i];
		be[i].weight = w == EQUAL ? 1 :
			       w == MIXED ? 1 + (i * 7919u) % 10 :
			       (i == 0 ? GS_MAX_WEIGHT : 1);
	}
	/* warm caches and page in the table before timing either side */
	gs_maglev_build(t, size, be, n, GS_DEFAULT_HASH_SEED);
	ref = fill_ms(t, size, n, runs);
	build = build_ms(t, size, be, n, runs);
	printf("%6u %8u  %-14s %10.3f %10.4f %9.0f\n", n, size, weight_names[w],
	       build, ref, ref > 0 ? build / ref : 0);
	free(t);
	free(names);
	free(be);
}

int main(int argc, char **argv)
{
	static const uint32_t ns[] = { 10, 100, 1000 };
	int runs = argc > 1 ? atoi(argv[1]) : 21;

	if (runs < 1)
		runs = 1;
	printf("Maglev build, median of %d runs (ms); ref = one pass filling the table\n",
	       runs);
	printf("%6s %8s  %-14s %10s %10s %9s\n", "apps", "slots", "weights",
	       "build_ms", "ref_ms", "ratio");
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint32_t picked = gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, ns[i]);

		run(ns[i], GS_MAGLEV_DEFAULT_SIZE, EQUAL, runs);
		if (picked != GS_MAGLEV_DEFAULT_SIZE)
			run(ns[i], picked, EQUAL, runs);
	}
	/* weights and the largest fleet a group may have */
	run(100, GS_MAGLEV_DEFAULT_SIZE, MIXED, runs);
	run(1000, gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, 1000), MIXED, runs);
	run(1000, gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, 1000), LOPSIDED, runs);
	run(GS_MAX_APPLIANCES_PER_GROUP,
	    gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, GS_MAX_APPLIANCES_PER_GROUP),
	    EQUAL, runs);
	return 0;
}
