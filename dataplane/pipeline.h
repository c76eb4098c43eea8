/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pipeline the workers run: classify, parse, steer,
 * re-encapsulate in headroom.  It does no I/O: packets to send are left in
 * a gs_tx per egress port, so the workers, the tests and the in-process
 * benchmark all run exactly this code.
 */
#ifndef GS_PIPELINE_H
#define GS_PIPELINE_H

#include "dp.h"

#define GS_TX_CAP (GS_BURST + GS_FRAG_HOLD_MAX)

struct gs_tx {
	uint16_t n[GS_MAX_PORTS];
	struct rte_mbuf *pkts[GS_MAX_PORTS][GS_TX_CAP];
};

/* process @n received packets; every mbuf ends up in @tx, on the main
 * lcore's ring, held as an early fragment, or freed and counted */
void gs_pipeline_burst(struct gs_dp *dp, struct gs_worker *w,
		       struct rte_mbuf **pkts, uint16_t n, uint32_t now_ms,
		       struct gs_tx *tx);

/* drop held fragments whose first fragment never came */
void gs_pipeline_expire_frags(struct gs_worker *w, uint32_t now_ms);

#endif /* GS_PIPELINE_H */
