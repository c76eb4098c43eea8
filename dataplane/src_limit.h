/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source flow limits (listener max_flows_per_source): no single
 * upstream (an outer source address) may hold more than its listener's
 * limit of flows, so one peer cannot fill the flow table for everyone.
 *
 * The count is approximate and bounded: a count-min sketch of two rows of
 * GS_SRC_SLOTS counters, each source hashed (with a seed drawn at start,
 * so nobody can aim collisions) to one counter per row, its count being the
 * smaller of the two.  Memory is fixed (256 KiB) however many sources come;
 * the table is never "full".  Two sources that share both counters share
 * one budget, so a collision can only refuse a flow early, never let a
 * source past its limit.  Workers charge a source when they insert a flow
 * (atomic add, undone when it goes over); the main lcore gives the charge
 * back when the flow is aged out or flushed.  Only new flows are refused
 * (GS_R_SOURCE_FLOW_LIMIT); flows already in the table are never cut.
 */
#ifndef GS_SRC_LIMIT_H
#define GS_SRC_LIMIT_H

#include <string.h>

#include "dp.h"

#define GS_SRC_SLOTS_LOG2 15
#define GS_SRC_SLOTS (1u << GS_SRC_SLOTS_LOG2) /* per row; two rows */

/* allocate the counters when some listener has a limit (main lcore, once) */
int gs_src_limit_init(struct gs_dp *dp);
void gs_src_limit_free(struct gs_dp *dp);
/* the smaller of @src's two counters for listener @listener (tests, stats) */
uint32_t gs_src_limit_count(const struct gs_dp *dp, uint32_t listener,
			    const uint8_t *src, uint8_t family);
/* counters not back at zero (tests: after a flush every charge is given back) */
uint64_t gs_src_limit_outstanding(const struct gs_dp *dp);

static inline uint32_t gs_src_slot(const struct gs_dp *dp, uint32_t row,
				   uint32_t listener, const uint8_t *src,
				   uint8_t family)
{
	uint32_t k[GS_FLOW_KEY_WORDS] = { 0 };

	memcpy(k, src, family == GS_AF_INET ? 4 : 16);
	k[4] = family;
	k[5] = listener;
	k[6] = row;
	return gs_jhash_13words(k, dp->src_seed) & (GS_SRC_SLOTS - 1);
}

/*
 * Charge one flow to @src under @limit.  Returns the value to keep in the
 * flow (gs_flow.src_slots, never 0), or 0 when the source is at its limit
 * (nothing is charged then).
 */
static inline uint32_t gs_src_charge(struct gs_dp *dp, uint32_t listener,
				     const uint8_t *src, uint8_t family,
				     uint32_t limit)
{
	uint32_t s0 = gs_src_slot(dp, 0, listener, src, family);
	uint32_t s1 = gs_src_slot(dp, 1, listener, src, family);
	uint32_t *c0 = &dp->src_counts[s0];
	uint32_t *c1 = &dp->src_counts[GS_SRC_SLOTS + s1];
	uint32_t n0 = __atomic_add_fetch(c0, 1, __ATOMIC_RELAXED);
	uint32_t n1 = __atomic_add_fetch(c1, 1, __ATOMIC_RELAXED);

	if ((n0 < n1 ? n0 : n1) > limit) {
		__atomic_sub_fetch(c0, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(c1, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return (s0 + 1) | (s1 + 1) << 16;
}

/* give back what gs_src_charge() took (0: nothing was charged) */
static inline void gs_src_release(struct gs_dp *dp, uint32_t slots)
{
	if (!slots || !dp->src_counts)
		return;
	__atomic_sub_fetch(&dp->src_counts[(slots & 0xFFFF) - 1], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&dp->src_counts[GS_SRC_SLOTS + (slots >> 16) - 1], 1,
			   __ATOMIC_RELAXED);
}

#endif /* GS_SRC_LIMIT_H */
