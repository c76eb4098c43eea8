/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the libFuzzer targets: a loud invariant check.  A violated
 * invariant aborts, which libFuzzer reports as a crash with the input that
 * caused it, like any sanitizer finding.
 */
#ifndef GS_FUZZ_UTIL_H
#define GS_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#ifdef GS_FUZZ_WITH_EAL
#include <rte_eal.h>

#include "../dataplane/eal_runtime.h"

/*
 * libFuzzer ends with exit(): remove EAL's runtime directory
 * (/var/run/dpdk/PREFIX) then, so runs leave nothing behind.
 */
static void fuzz_eal_remove_runtime_dir(void)
{
	gs_test_remove_runtime_dir(rte_eal_get_runtime_dir());
}
#endif

#endif /* GS_FUZZ_UTIL_H */
