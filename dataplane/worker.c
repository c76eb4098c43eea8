/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: receive a burst on every port, run the pipeline, send what
 * it produced, send what the main lcore injected, report quiescence.
 */
#include <rte_ethdev.h>

#include "pipeline.h"
#include "worker.h"

static struct gs_dp *worker_dp;

void gs_worker_set_dp(struct gs_dp *dp)
{
	worker_dp = dp;
}

void gs_dp_to_main(struct gs_dp *dp, struct gs_worker *w, struct rte_mbuf *m,
		   enum gs_main_msg msg)
{
	m->hash.usr = msg;
	if (unlikely(rte_ring_mp_enqueue(dp->to_main, m) != 0)) {
		w->stats.drops[GS_R_CONTROL_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
	}
}

void gs_dp_send_from_main(struct gs_dp *dp, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(dp->workers[0].inject, m) != 0) {
		dp->main_drops[GS_R_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static void tx_flush(struct gs_dp *dp, struct gs_worker *w, struct gs_tx *tx)
{
	for (uint32_t p = 0; p < dp->n_ports; p++) {
		uint16_t n = tx->n[p], sent;

		if (!n)
			continue;
		sent = rte_eth_tx_burst(dp->ports[p].port_id, (uint16_t)w->index,
					tx->pkts[p], n);
		w->stats.tx_pkts += sent;
		if (unlikely(sent < n)) {
			w->stats.drops[GS_R_TX_FULL] += n - sent;
			rte_pktmbuf_free_bulk(&tx->pkts[p][sent], n - sent);
		}
		tx->n[p] = 0;
	}
}

/* packets from the main lcore already carry their egress port in m->port */
static void inject_drain(struct gs_dp *dp, struct gs_worker *w, struct gs_tx *tx)
{
	struct rte_mbuf *pkts[GS_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, GS_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		uint16_t port = pkts[i]->port;

		if (unlikely(port >= dp->n_ports)) {
			w->stats.drops[GS_R_NO_ROUTE]++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		tx->pkts[port][tx->n[port]++] = pkts[i];
	}
	tx_flush(dp, w, tx);
}

int gs_worker_loop(void *arg)
{
	struct gs_worker *w = arg;
	struct gs_dp *dp = worker_dp;
	struct rte_mbuf *pkts[GS_BURST];
	struct gs_tx tx = { 0 };

	rte_rcu_qsbr_thread_register(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->index);

	while (!__atomic_load_n(dp->force_quit, __ATOMIC_RELAXED)) {
		uint32_t now_ms = gs_dp_now_ms(dp);

		for (uint32_t p = 0; p < dp->n_ports; p++) {
			uint16_t n = rte_eth_rx_burst(dp->ports[p].port_id,
						      (uint16_t)w->index, pkts, GS_BURST);

			if (!n)
				continue;
			for (uint16_t i = 0; i < n; i++)
				pkts[i]->port = (uint16_t)p; /* our index, not the ethdev id */
			gs_pipeline_burst(dp, w, pkts, n, now_ms, &tx);
			tx_flush(dp, w, &tx);
		}
		inject_drain(dp, w, &tx);
		if (unlikely(w->n_frag_hold))
			gs_pipeline_expire_frags(w, now_ms);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->index);
	}

	rte_rcu_qsbr_thread_offline(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->index);
	return 0;
}
