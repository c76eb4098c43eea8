/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared scaffolding of the CUnit suites: each test file lists its suites in
 * a table and calls gs_test_run() from main(), which runs them verbosely and
 * turns failures into a non-zero exit code for meson.
 */
#ifndef GS_TEST_H
#define GS_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct gs_test_case {
	const char *name;
	void (*fn)(void);
};

struct gs_test_suite {
	const char *name;
	const struct gs_test_case *cases; /* terminated by { NULL, NULL } */
};

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
