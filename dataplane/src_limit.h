/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source flow limits (listener max_flows_per_source): no single
 * upstream (an outer source address) may hold more than its listener's
 * limit of flows, so one peer cannot fill the flow table for everyone.
 *
 * The count is approximate and bounded: a count-min sketch of two rows of
 * counters, twice as many per row as the flow table has entries (at least
 * 2^15, at most 2^25; 16 MiB for the default million flows), so that even
 * a full table loads a counter with half a flow of other sources on
 * average.  A source is hashed (seed drawn at start, so nobody can aim
 * collisions) to a 32-bit key, and the key to one counter per row; its
 * count is the smaller of the two.  Memory is fixed, the sketch is never
 * "full".  Sources that share both counters share one budget, so a
 * collision can only refuse a flow early, never let a source past its
 * limit.  Workers charge a source when they insert a flow (atomic add,
 * undone when it goes over); the main lcore gives the charge back when the
 * flow is aged out or flushed.  Only new flows are refused
 * (GS_R_SOURCE_FLOW_LIMIT); flows already in the table are never cut.
 */
#ifndef GS_SRC_LIMIT_H
#define GS_SRC_LIMIT_H

#include <string.h>

#include "dp.h"

#define GS_SRC_MIN_BITS 15
#define GS_SRC_MAX_BITS 25

/* allocate the counters when some listener has a limit (main lcore, once) */
int gs_src_limit_init(struct gs_dp *dp);
void gs_src_limit_free(struct gs_dp *dp);
/* the smaller of @src's two counters for listener @listener (tests, stats) */
uint32_t gs_src_limit_count(const struct gs_dp *dp, uint32_t listener,
			    const uint8_t *src, uint8_t family);
/* counters not back at zero (tests: after a flush every charge is given back) */
uint64_t gs_src_limit_outstanding(const struct gs_dp *dp);

/* the source's key: never 0, which a flow uses for "nothing charged" */
static inline uint32_t gs_src_key(const struct gs_dp *dp, uint32_t listener,
				  const uint8_t *src, uint8_t family)
{
	uint32_t k[GS_FLOW_KEY_WORDS] = { 0 }, h;

	memcpy(k, src, family == GS_AF_INET ? 4 : 16);
	k[4] = family;
	k[5] = listener;
	h = gs_jhash_13words(k, dp->src_seed);
	return h ? h : 1;
}

/* the key's counter in row @row (multiplicative hashing, one odd constant
 * per row, so the rows collide independently) */
static inline uint32_t *gs_src_counter(const struct gs_dp *dp, uint32_t key,
				       uint32_t row)
{
	static const uint32_t mult[2] = { 0x9E3779B1u, 0x85EBCA77u };
	uint32_t slot = (key * mult[row]) >> (32 - dp->src_bits);

	return &dp->src_counts[(row << dp->src_bits) + slot];
}

/*
 * Charge one flow to @src under @limit.  Returns the key to keep in the
 * flow (gs_flow.src_key, never 0), or 0 when the source is at its limit
 * (nothing is charged then).
 */
static inline uint32_t gs_src_charge(struct gs_dp *dp, uint32_t listener,
				     const uint8_t *src, uint8_t family,
				     uint32_t limit)
{
	uint32_t key = gs_src_key(dp, listener, src, family);
	uint32_t *c0 = gs_src_counter(dp, key, 0), *c1 = gs_src_counter(dp, key, 1);
	uint32_t n0 = __atomic_add_fetch(c0, 1, __ATOMIC_RELAXED);
	uint32_t n1 = __atomic_add_fetch(c1, 1, __ATOMIC_RELAXED);

	if ((n0 < n1 ? n0 : n1) > limit) {
		__atomic_sub_fetch(c0, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(c1, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return key;
}

/* give back what gs_src_charge() took (0: nothing was charged) */
static inline void gs_src_release(struct gs_dp *dp, uint32_t key)
{
	if (!key || !dp->src_counts)
		return;
	__atomic_sub_fetch(gs_src_counter(dp, key, 0), 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(gs_src_counter(dp, key, 1), 1, __ATOMIC_RELAXED);
}

#endif /* GS_SRC_LIMIT_H */
