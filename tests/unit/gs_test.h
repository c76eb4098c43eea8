/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared scaffolding of the CUnit suites: each test file lists its suites in
 * a table and calls gs_test_run() from main(), which runs them verbosely and
 * turns failures into a non-zero exit code for meson.
 */
#ifndef GS_TEST_H
#define GS_TEST_H

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gs_reasons.h"

struct gs_test_case {
	const char *name;
	void (*fn)(void);
};

struct gs_test_suite {
	const char *name;
	const struct gs_test_case *cases; /* terminated by { NULL, NULL } */
};

/* assert a parse result, naming both reasons when they differ */
static inline void gs_check_reason(const char *what, enum gs_reason got,
				   enum gs_reason want)
{
	if (got != want)
		printf("\n  %s: got %s, want %s\n", what, gs_reason_name(got),
		       gs_reason_name(want));
	CU_ASSERT_EQUAL(got, want);
}

/* assert @len bytes equal, naming the first that differs */
static inline void gs_check_bytes(const uint8_t *got, const uint8_t *want,
				  uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			printf("\n  byte %u: got 0x%02x, want 0x%02x\n", i,
			       got[i], want[i]);
			break;
		}
	}
	CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
}

/* splitmix64: seeded through gs_rng_state, so every run tests the same
 * inputs */
static uint64_t gs_rng_state __attribute__((unused));

static inline uint64_t gs_rng_next(void)
{
	uint64_t z = (gs_rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline int gs_test_run(const struct gs_test_suite *suites)
{
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct gs_test_suite *s = suites; s->name; s++) {
		CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);

		if (!suite)
			return 2;
		for (const struct gs_test_case *c = s->cases; c->name; c++)
			if (!CU_add_test(suite, c->name, c->fn))
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

#endif /* GS_TEST_H */
