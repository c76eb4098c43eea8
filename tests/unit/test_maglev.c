/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table builder: balance, weights, disruption on removal and
 * addition, determinism across runs and hosts, argument checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_maglev.h"
#include "gs_test.h"

#define NAME_LEN 32

/* a fleet of named backends; names look like what operators configure */
struct fleet {
	uint32_t n;
	char (*names)[NAME_LEN];
	struct gs_maglev_backend *be;
};

static void fleet_init(struct fleet *f, uint32_t n)
{
	f->n = n;
	f->names = calloc(n ? n : 1, NAME_LEN);
	f->be = calloc(n ? n : 1, sizeof(*f->be));
	CU_ASSERT_FATAL(f->names != NULL && f->be != NULL);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(f->names[i], NAME_LEN, "fw-%u.az1.example", i);
		f->be[i].name = f->names[i];
		f->be[i].weight = 1;
	}
}

static void fleet_free(struct fleet *f)
{
	free(f->names);
	free(f->be);
}

static uint32_t *table_new(uint32_t size)
{
	uint32_t *t = malloc((size_t)size * sizeof(*t));

	CU_ASSERT_FATAL(t != NULL);
	return t;
}

static uint32_t *build(const struct fleet *f, uint32_t size, uint32_t seed)
{
	uint32_t *t = table_new(size);

	CU_ASSERT_FATAL(gs_maglev_build(t, size, f->be, f->n, seed) == 0);
	return t;
}

/* slot counts per backend; fails on any slot that names no valid backend */
static uint32_t *count_slots(const uint32_t *t, uint32_t size, uint32_t n)
{
	uint32_t *c = calloc(n ? n : 1, sizeof(*c));
	uint32_t bad = 0;

	CU_ASSERT_FATAL(c != NULL);
	for (uint32_t i = 0; i < size; i++) {
		if (t[i] < n)
			c[t[i]]++;
		else
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	return c;
}

/*
 * Reference builder written from the paper's pseudocode, as plainly as
 * possible: per-slot modulo, a linear scan for whose turn it is.  It uses the
 * name hash gs_maglev.c documents (FNV-1a 64 seeded through fmix64, then
 * fmix64), so agreement pins both the hash and the fill order.
 */
static uint64_t ref_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t ref_name_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ref_fmix64(seed);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return ref_fmix64(h);
}

static void ref_build(uint32_t *t, uint32_t size,
		      const struct gs_maglev_backend *be, uint32_t n,
		      uint32_t seed)
{
	uint64_t *offset = calloc(n + 1, sizeof(uint64_t));
	uint64_t *skip = calloc(n + 1, sizeof(uint64_t));
	uint64_t *next = calloc(n + 1, sizeof(uint64_t));
	uint64_t *claims = calloc(n + 1, sizeof(uint64_t));
	uint32_t filled = 0;

	CU_ASSERT_FATAL(offset && skip && next && claims);
	for (uint32_t i = 0; i < size; i++)
		t[i] = GS_MAGLEV_NO_BACKEND;
	for (uint32_t i = 0; i < n; i++) {
		offset[i] = ref_name_hash(be[i].name, 0x6f66667365746d67ull ^ seed) % size;
		skip[i] = ref_name_hash(be[i].name, 0x736b69706d676c76ull ^ seed) % (size - 1) + 1;
	}
	while (filled < size) {
		/* turn: smallest (2 * claims + 1) / weight, lowest index on ties */
		uint32_t best = UINT32_MAX;

		for (uint32_t i = 0; i < n; i++) {
			if (!be[i].weight)
				continue;
			if (best == UINT32_MAX ||
			    (2 * claims[i] + 1) * be[best].weight <
				    (2 * claims[best] + 1) * be[i].weight)
				best = i;
		}
		if (best == UINT32_MAX)
			break;
		for (;;) {
			uint32_t c = (uint32_t)((offset[best] + next[best] * skip[best]) % size);

			next[best]++;
			if (t[c] == GS_MAGLEV_NO_BACKEND) {
				t[c] = best;
				break;
			}
		}
		claims[best]++;
		filled++;
	}
	free(offset);
	free(skip);
	free(next);
	free(claims);
}

/* byte-order independent digest of a table, for the known-answer test */
static uint64_t table_digest(const uint32_t *t, uint32_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t i = 0; i < size; i++) {
		for (int b = 0; b < 32; b += 8) {
			h ^= (t[i] >> b) & 0xff;
			h *= 0x100000001b3ull;
		}
	}
	return h;
}

/* ---- primes and sizes ------------------------------------------------ */

static bool slow_is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint64_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static void test_is_prime(void)
{
	static const uint32_t primes[] = { 2, 3, 5, 7, 11, 13, 65521, 65537,
					   100003, 409609, 16777213u,
					   4294967279u, 4294967291u };
	static const uint32_t composites[] = { 0, 1, 4, 9, 25, 49, 561, 65535,
					       65536, 100000, 1046529u /* 1023^2 */,
					       4294049777u /* 65521 * 65537 */,
					       4293001441u /* 65521^2 */,
					       4294967295u, 16777215u };

	for (size_t i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		CU_ASSERT_TRUE(gs_is_prime(primes[i]));
	for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		CU_ASSERT_FALSE(gs_is_prime(composites[i]));
	for (uint32_t n = 0; n < 20000; n++)
		CU_ASSERT_EQUAL(gs_is_prime(n), slow_is_prime(n));
}

static void test_pick_size(void)
{
	static const struct { uint32_t want, n; } cases[] = {
		{ 65537, 0 }, { 65537, 10 }, { 65537, 100 }, { 65537, 655 },
		{ 65537, 1000 }, { 65536, 0 }, { 0, 0 }, { 1, 0 }, { 2, 0 },
		{ 1000, 4096 }, { 100000, 1 }, { 65537, 999 },
	};

	CU_ASSERT_EQUAL(gs_maglev_pick_size(65537, 10), 65537);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(65537, 100), 65537);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(65537, 1000), 100003);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(65536, 0), 65537);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(0, 0), 2);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(GS_MAGLEV_MAX_SIZE, 0), GS_MAGLEV_MAX_SIZE);
	/* no buildable table that large: 0, not an unusable size */
	CU_ASSERT_EQUAL(gs_maglev_pick_size(GS_MAGLEV_MAX_SIZE + 1, 0), 0);
	CU_ASSERT_EQUAL(gs_maglev_pick_size(0, UINT32_MAX), 0);

	/* the smallest prime at or above the bound: prime, and none below */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t need = (uint64_t)cases[i].want;
		uint32_t s = gs_maglev_pick_size(cases[i].want, cases[i].n);

		if (need < 100ull * cases[i].n)
			need = 100ull * cases[i].n;
		CU_ASSERT_TRUE(slow_is_prime(s));
		CU_ASSERT_TRUE(s >= need);
		for (uint64_t p = need; p < s; p++)
			CU_ASSERT_FALSE(slow_is_prime((uint32_t)p));
	}
}

/* ---- balance --------------------------------------------------------- */

static void check_equal_balance(uint32_t n, uint32_t size)
{
	struct fleet f;
	uint32_t *t, *c, lo = UINT32_MAX, hi = 0;

	fleet_init(&f, n);
	t = build(&f, size, GS_DEFAULT_HASH_SEED);
	c = count_slots(t, size, n);
	for (uint32_t i = 0; i < n; i++) {
		lo = c[i] < lo ? c[i] : lo;
		hi = c[i] > hi ? c[i] : hi;
	}
	printf("\n    %4u appliances, %6u slots: %u..%u slots each ", n, size, lo, hi);
	CU_ASSERT_TRUE(hi - lo <= 1);
	CU_ASSERT_TRUE(lo >= size / n - 1 && hi <= size / n + 1);
	free(c);
	free(t);
	fleet_free(&f);
}

static void test_equal_weights_balance(void)
{
	static const uint32_t ns[] = { 1, 2, 3, 10, 100, 1000 };

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		check_equal_balance(ns[i], gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, ns[i]));
		check_equal_balance(ns[i], GS_MAGLEV_DEFAULT_SIZE);
	}
	/* tiny tables: still one slot apart */
	check_equal_balance(5, 7);
	check_equal_balance(7, 7);
}

static void check_weighted(uint32_t n, const uint32_t *w, uint32_t size,
			   double *worst, double *worst_slots)
{
	struct fleet f;
	uint32_t *t, *c;
	uint64_t sum = 0;

	fleet_init(&f, n);
	for (uint32_t i = 0; i < n; i++) {
		f.be[i].weight = w[i];
		sum += w[i];
	}
	t = build(&f, size, GS_DEFAULT_HASH_SEED);
	c = count_slots(t, size, n);
	for (uint32_t i = 0; i < n; i++) {
		double want = (double)w[i] / (double)sum;
		double got = (double)c[i] / size;
		double rel = got > want ? (got - want) / want : (want - got) / want;

		/* within 2% of its own weight share, not just 2 points */
		CU_ASSERT_TRUE(rel <= 0.02);
		if (rel > *worst)
			*worst = rel;
		if (rel * want * size > *worst_slots)
			*worst_slots = rel * want * size;
	}
	free(c);
	free(t);
	fleet_free(&f);
}

static void test_weighted_shares(void)
{
	static const uint32_t ns[] = { 2, 3, 10, 50, 100 };
	uint32_t w[100];
	double worst = 0, worst_slots = 0;

	gs_rng_state = 42;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (int rep = 0; rep < 5; rep++) {
			for (uint32_t i = 0; i < ns[k]; i++)
				w[i] = 1 + (uint32_t)(gs_rng_next() % 10);
			check_weighted(ns[k], w,
				       gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, ns[k]),
				       &worst, &worst_slots);
		}
	}
	/* lopsided: one heavy appliance among light ones */
	for (uint32_t i = 0; i < 100; i++)
		w[i] = 1;
	w[37] = 10;
	check_weighted(100, w, GS_MAGLEV_DEFAULT_SIZE, &worst, &worst_slots);
	w[0] = GS_MAX_WEIGHT;
	w[1] = 1;
	check_weighted(2, w, GS_MAGLEV_DEFAULT_SIZE, &worst, &worst_slots);
	printf("\n    worst share error: %.3f%% of the share, %.2f slots ",
	       worst * 100, worst_slots);
	/*
	 * Sainte-Lague order keeps every backend within a few slots of its exact
	 * proportional count whatever the table size (not always within one:
	 * divisor methods do not promise quota).
	 */
	CU_ASSERT_TRUE(worst_slots <= 3.0);
}

/* scaling every weight by the same factor changes nothing */
static void test_weight_scale_invariant(void)
{
	struct fleet f;
	uint32_t size = GS_MAGLEV_DEFAULT_SIZE, *a, *b;

	fleet_init(&f, 40);
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight = 1 + i % 7;
	a = build(&f, size, 1);
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight *= 3;
	b = build(&f, size, 1);
	CU_ASSERT_EQUAL(memcmp(a, b, (size_t)size * sizeof(*a)), 0);
	free(a);
	free(b);
	fleet_free(&f);
}

/* ---- disruption ------------------------------------------------------ */

/*
 * Remove appliance @gone (weight 0, as the data plane does with an unhealthy
 * one; the table size stays).  Returns the share of slots NOT held by @gone
 * that changed owner.
 */
static double remove_one(const struct fleet *f0, uint32_t size, uint32_t gone)
{
	struct fleet f;
	uint32_t *a, *b, moved = 0, others = 0, took = 0;
	uint32_t *gained;

	fleet_init(&f, f0->n);
	memcpy(f.names, f0->names, (size_t)f0->n * NAME_LEN);
	a = build(&f, size, GS_DEFAULT_HASH_SEED);
	f.be[gone].weight = 0;
	b = build(&f, size, GS_DEFAULT_HASH_SEED);
	gained = calloc(f.n, sizeof(*gained));
	CU_ASSERT_FATAL(gained != NULL);
	for (uint32_t i = 0; i < size; i++) {
		CU_ASSERT_NOT_EQUAL(b[i], gone);
		CU_ASSERT_TRUE(b[i] < f.n);
		if (a[i] == gone) {
			if (b[i] < f.n)
				gained[b[i]]++;
			took++;
			continue;
		}
		others++;
		moved += a[i] != b[i];
	}
	/* its slots are spread over the survivors, not dumped on one */
	if (f.n > 2) {
		uint32_t hi = 0, got = 0;

		for (uint32_t i = 0; i < f.n; i++) {
			hi = gained[i] > hi ? gained[i] : hi;
			got += gained[i] != 0;
		}
		CU_ASSERT_TRUE(got >= (f.n - 1 < took ? f.n - 1 : took) / 2);
		CU_ASSERT_TRUE(hi <= took / 2 + 2);
	}
	free(gained);
	free(a);
	free(b);
	fleet_free(&f);
	return others ? (double)moved / others : 0;
}

static void test_remove_one(void)
{
	static const struct { uint32_t n; double bound; } cases[] = {
		/* measured: about 0.3%, 0.6% and 0.6% */
		{ 10, 0.02 }, { 100, 0.02 }, { 1000, 0.02 },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t n = cases[k].n;
		uint32_t size = gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, n);
		uint32_t picks[] = { 0, n / 3, n / 2, n - 1 };
		double sum = 0, max = 0;
		struct fleet f;

		fleet_init(&f, n);
		for (size_t j = 0; j < 4; j++) {
			double s = remove_one(&f, size, picks[j]);

			sum += s;
			max = s > max ? s : max;
		}
		printf("\n    remove 1 of %4u (size %6u): other slots moved mean %.3f%% max %.3f%% ",
		       n, size, sum / 4 * 100, max * 100);
		CU_ASSERT_TRUE(max <= cases[k].bound);
		fleet_free(&f);
	}
}

/* dropping an appliance from the list equals giving it weight 0, by name */
static void test_remove_from_list_same_as_zero_weight(void)
{
	struct fleet f, g;
	uint32_t size = GS_MAGLEV_DEFAULT_SIZE, gone = 17, *a, *b;

	fleet_init(&f, 50);
	fleet_init(&g, 49);
	for (uint32_t i = 0, j = 0; i < f.n; i++)
		if (i != gone)
			g.be[j++].name = f.names[i];
	f.be[gone].weight = 0;
	a = build(&f, size, 9);
	b = build(&g, size, 9);
	for (uint32_t i = 0; i < size; i++)
		CU_ASSERT_EQUAL(strcmp(f.be[a[i]].name, g.be[b[i]].name), 0);
	free(a);
	free(b);
	fleet_free(&f);
	fleet_free(&g);
}

static void test_add_one(void)
{
	static const uint32_t ns[] = { 10, 100, 1000 };

	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		uint32_t n = ns[k];
		uint32_t size = gs_maglev_pick_size(GS_MAGLEV_DEFAULT_SIZE, n + 1);
		uint32_t *a, *b, to_new = 0, other = 0;
		struct fleet f;
		double want = 1.0 / (n + 1);

		fleet_init(&f, n + 1);
		f.be[n].weight = 0;
		a = build(&f, size, GS_DEFAULT_HASH_SEED);
		f.be[n].weight = 1;
		b = build(&f, size, GS_DEFAULT_HASH_SEED);
		for (uint32_t i = 0; i < size; i++) {
			if (a[i] == b[i])
				continue;
			if (b[i] == n)
				to_new++;
			else
				other++;
		}
		printf("\n    add 1 to %4u: %.3f%% of slots to the new one (1/N = %.3f%%), "
		       "%.3f%% between others ", n, 100.0 * to_new / size, 100 * want, 100.0 * other / size);
		/* the newcomer gets its fair share, i.e. about 1/N moves to it */
		CU_ASSERT_TRUE((double)to_new / size >= want * 0.98 - 1.0 / size);
		CU_ASSERT_TRUE((double)to_new / size <= want * 1.02 + 1.0 / size);
		CU_ASSERT_TRUE((double)other / size <= 0.02);
		free(a);
		free(b);
		fleet_free(&f);
	}
}

/* ---- determinism ----------------------------------------------------- */

static void test_deterministic(void)
{
	struct fleet f;
	uint32_t size = GS_MAGLEV_DEFAULT_SIZE, *a, *b, *c;

	fleet_init(&f, 100);
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight = 1 + i % 5;
	a = build(&f, size, GS_DEFAULT_HASH_SEED);
	b = build(&f, size, GS_DEFAULT_HASH_SEED);
	CU_ASSERT_EQUAL(memcmp(a, b, (size_t)size * sizeof(*a)), 0);
	/* the seed matters */
	c = build(&f, size, GS_DEFAULT_HASH_SEED + 1);
	CU_ASSERT_NOT_EQUAL(memcmp(a, c, (size_t)size * sizeof(*a)), 0);
	free(a);
	free(b);
	free(c);
	fleet_free(&f);
}

static int backend_name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct gs_maglev_backend *)x)->name,
		      ((const struct gs_maglev_backend *)y)->name);
}

/* by_name: any listing order gives the table of the name-sorted listing */
static void test_by_name_order_independent(void)
{
	uint32_t size = GS_MAGLEV_DEFAULT_SIZE, n = 50;
	struct gs_maglev_backend *rev = calloc(n, sizeof(*rev));
	struct gs_maglev_backend *sorted = calloc(n, sizeof(*sorted));
	uint32_t *a = table_new(size), *b = table_new(size), *c = table_new(size);
	struct fleet f;
	uint32_t bad = 0;

	CU_ASSERT_FATAL(rev && sorted);
	fleet_init(&f, n);
	for (uint32_t i = 0; i < n; i++) {
		f.be[i].weight = 1 + i % 4;
		rev[n - 1 - i] = f.be[i];
		sorted[i] = f.be[i];
	}
	qsort(sorted, n, sizeof(*sorted), backend_name_cmp);
	CU_ASSERT_EQUAL_FATAL(gs_maglev_build_by_name(a, size, f.be, n, 7), 0);
	CU_ASSERT_EQUAL_FATAL(gs_maglev_build_by_name(b, size, rev, n, 7), 0);
	CU_ASSERT_EQUAL_FATAL(gs_maglev_build(c, size, sorted, n, 7), 0);
	for (uint32_t s = 0; s < size; s++)
		bad += strcmp(f.be[a[s]].name, rev[b[s]].name) != 0 ||
		       strcmp(f.be[a[s]].name, sorted[c[s]].name) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	free(rev);
	free(sorted);
	free(a);
	free(b);
	free(c);
	fleet_free(&f);
}

/*
 * Known answers: every gsteer node, both data planes and every release must
 * build these exact tables.  A change here re-steers every flow of a fleet
 * during a rolling upgrade; change the constants only on purpose.
 */
static void test_known_answer(void)
{
	static const struct {
		uint32_t n, size, seed, weighted;
		uint64_t digest;
	} kat[] = {
		{ 10, 65537, GS_DEFAULT_HASH_SEED, 0, 0x4bdcf7e27c11bba3ull },
		{ 100, 65537, GS_DEFAULT_HASH_SEED, 1, 0x99a6f10d3d6ef08dull },
		{ 1000, 100003, 0, 0, 0x5ac692e7ce70ae5aull },
		{ 3, 7, 1, 1, 0x4d441b01a693fa85ull },
	};

	for (size_t k = 0; k < sizeof(kat) / sizeof(kat[0]); k++) {
		struct fleet f;
		uint32_t *t;
		uint64_t d;

		fleet_init(&f, kat[k].n);
		if (kat[k].weighted)
			for (uint32_t i = 0; i < f.n; i++)
				f.be[i].weight = 1 + i % 10;
		t = build(&f, kat[k].size, kat[k].seed);
		d = table_digest(t, kat[k].size);
		printf("\n    n=%u size=%u seed=%u weighted=%u digest 0x%016" PRIx64 " ",
		       kat[k].n, kat[k].size, kat[k].seed, kat[k].weighted, d);
		CU_ASSERT_EQUAL(d, kat[k].digest);
		free(t);
		fleet_free(&f);
	}
}

/* the fast builder agrees with the plain reference, weighted or not */
static void test_matches_reference(void)
{
	static const uint32_t ns[] = { 1, 2, 5, 13, 64 };
	static const uint32_t sizes[] = { 2, 3, 7, 251, 4099 };

	gs_rng_state = 7;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (int w = 0; w < 3; w++) {
				struct fleet f;
				uint32_t size = sizes[s], *a, *b;
				uint32_t seed = (uint32_t)gs_rng_next();

				fleet_init(&f, ns[k]);
				for (uint32_t i = 0; i < f.n; i++)
					f.be[i].weight = w == 0 ? 1 :
						w == 1 ? (uint32_t)(gs_rng_next() % 11) :
						(uint32_t)(1 + gs_rng_next() % GS_MAX_WEIGHT);
				a = build(&f, size, seed);
				b = table_new(size);
				ref_build(b, size, f.be, f.n, seed);
				CU_ASSERT_EQUAL(memcmp(a, b, (size_t)size * sizeof(*a)), 0);
				free(a);
				free(b);
				fleet_free(&f);
			}
		}
	}
}

/* ---- arguments and edge cases ---------------------------------------- */

static void test_non_prime_rejected(void)
{
	static const uint32_t bad[] = { 0, 1, 4, 65536, 100000, 65535 };
	uint32_t *t = table_new(100000);
	struct fleet f;

	fleet_init(&f, 10);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(t, 0xAB, 100000 * sizeof(*t));
		CU_ASSERT_EQUAL(gs_maglev_build(t, bad[k], f.be, f.n, 0), -1);
		/* rejected before touching the caller's live table */
		CU_ASSERT_EQUAL(t[0], 0xABABABABu);
	}
	/* prime, but larger than any table the builder accepts */
	CU_ASSERT_EQUAL(gs_maglev_build(t, 4294967291u, f.be, f.n, 0), -1);
	CU_ASSERT_EQUAL(gs_maglev_build(NULL, 65537, f.be, f.n, 0), -1);
	CU_ASSERT_EQUAL(gs_maglev_build(t, 65537, NULL, 3, 0), -1);
	free(t);
	fleet_free(&f);
}

static void test_zero_weights(void)
{
	uint32_t size = 65537, *t = table_new(size), *c;
	struct fleet f;

	fleet_init(&f, 20);
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight = 0;
	memset(t, 0, (size_t)size * sizeof(*t));
	CU_ASSERT_EQUAL(gs_maglev_build(t, size, f.be, f.n, 0), 0);
	for (uint32_t i = 0; i < size; i++)
		CU_ASSERT_EQUAL_FATAL(t[i], GS_MAGLEV_NO_BACKEND);

	/* no backends at all: the same, and NULL is fine then */
	memset(t, 0, (size_t)size * sizeof(*t));
	CU_ASSERT_EQUAL(gs_maglev_build(t, size, NULL, 0, 0), 0);
	for (uint32_t i = 0; i < size; i++)
		CU_ASSERT_EQUAL_FATAL(t[i], GS_MAGLEV_NO_BACKEND);

	/* some at zero: they get nothing, the rest share evenly */
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight = i % 3 == 0 ? 0 : 4;
	CU_ASSERT_EQUAL(gs_maglev_build(t, size, f.be, f.n, 0), 0);
	c = count_slots(t, size, f.n);
	for (uint32_t i = 0; i < f.n; i++) {
		if (i % 3 == 0) {
			CU_ASSERT_EQUAL(c[i], 0);
		} else {
			CU_ASSERT_TRUE(c[i] >= size / 13 && c[i] <= size / 13 + 1);
		}
	}
	free(c);

	/* a single weighted backend takes every slot */
	for (uint32_t i = 0; i < f.n; i++)
		f.be[i].weight = i == 19 ? 1 : 0;
	CU_ASSERT_EQUAL(gs_maglev_build(t, size, f.be, f.n, 0), 0);
	for (uint32_t i = 0; i < size; i++)
		CU_ASSERT_EQUAL_FATAL(t[i], 19);
	free(t);
	fleet_free(&f);
}

/* more backends than slots: every slot filled, no backend twice */
static void test_more_backends_than_slots(void)
{
	uint32_t size = 7, *t, *c;
	struct fleet f;

	fleet_init(&f, 20);
	t = build(&f, size, 3);
	c = count_slots(t, size, f.n);
	for (uint32_t i = 0; i < f.n; i++)
		CU_ASSERT_TRUE(c[i] <= 1);
	/* equal weights: the first seven in list order win the first round */
	for (uint32_t i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(c[i], 1);
	free(c);
	free(t);
	fleet_free(&f);
}

/* a flow hash always lands inside the table */
static void test_slot(void)
{
	CU_ASSERT_EQUAL(gs_maglev_slot(0, 65537), 0);
	CU_ASSERT_EQUAL(gs_maglev_slot(65537, 65537), 0);
	CU_ASSERT_EQUAL(gs_maglev_slot(UINT32_MAX, 65537), UINT32_MAX % 65537);
	gs_rng_state = 99;
	for (int i = 0; i < 10000; i++)
		CU_ASSERT_TRUE(gs_maglev_slot((uint32_t)gs_rng_next(), 100003) < 100003);
}

static const struct gs_test_case size_cases[] = {
	{ "is_prime", test_is_prime },
	{ "pick_size", test_pick_size },
	{ "non_prime_rejected", test_non_prime_rejected },
	{ "slot", test_slot },
	{ NULL, NULL },
};

static const struct gs_test_case balance_cases[] = {
	{ "equal_weights_balance", test_equal_weights_balance },
	{ "weighted_shares", test_weighted_shares },
	{ "weight_scale_invariant", test_weight_scale_invariant },
	{ "zero_weights", test_zero_weights },
	{ "more_backends_than_slots", test_more_backends_than_slots },
	{ NULL, NULL },
};

static const struct gs_test_case change_cases[] = {
	{ "remove_one", test_remove_one },
	{ "remove_from_list_same_as_zero_weight", test_remove_from_list_same_as_zero_weight },
	{ "add_one", test_add_one },
	{ NULL, NULL },
};

static const struct gs_test_case determinism_cases[] = {
	{ "deterministic", test_deterministic },
	{ "matches_reference", test_matches_reference },
	{ "known_answer", test_known_answer },
	{ "by_name_order_independent", test_by_name_order_independent },
	{ NULL, NULL },
};

static const struct gs_test_suite suites[] = {
	{ "maglev_size", size_cases },
	{ "maglev_balance", balance_cases },
	{ "maglev_change", change_cases },
	{ "maglev_determinism", determinism_cases },
	{ NULL, NULL },
};

int main(void)
{
	return gs_test_run(suites);
}
