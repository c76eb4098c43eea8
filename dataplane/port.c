/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "port.h"

#define GS_RX_DESC 1024
#define GS_TX_DESC 1024

/* the ethdev name a devargs string creates: the part before the first ',' */
static void devargs_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

static int port_find_or_probe(const char *devargs, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];

	devargs_name(devargs, name, sizeof(name));
	/* EAL may have created it already from --vdev/-a on the command line */
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	if (rte_dev_probe(devargs) != 0)
		return -1;
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int port_setup(struct gs_dp *dp, struct gs_port *p, char *err, size_t errlen)
{
	const char *name = p->cfg->name;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nq = (uint16_t)dp->n_workers;
	uint16_t rxd = GS_RX_DESC, txd = GS_TX_DESC;
	int rc, socket = rte_eth_dev_socket_id(p->port_id);

	if (socket < 0)
		socket = 0;
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': cannot read device info: %s", name,
			 rte_strerror(-rc));
		return -1;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
			 "port '%s': %u workers need %u RX and TX queues, the device has %u and %u",
			 name, nq, nq, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	if (nq > 1) {
		/* spread flows over workers by the outer header: the entropy in
		 * the UDP source port keeps one flow on one worker */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': configure: %s", name, rte_strerror(-rc));
		return -1;
	}
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd, (unsigned)socket, NULL,
					    dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, txd, (unsigned)socket,
						    NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port '%s': queue %u setup: %s", name, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	p->mtu = p->cfg->mtu ? p->cfg->mtu : RTE_ETHER_MTU;
	/* virtual devices often cannot set an MTU; the config's value still
	 * bounds what we send */
	rte_eth_dev_set_mtu(p->port_id, p->mtu);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': start: %s", name, rte_strerror(-rc));
		return -1;
	}
	rte_eth_macaddr_get(p->port_id, &p->mac);
	/* NDP solicitations go to multicast groups */
	rte_eth_allmulticast_enable(p->port_id);
	return 0;
}

int gs_ports_init(struct gs_dp *dp, char *err, size_t errlen)
{
	const struct gs_dataplane_cfg *dc = &dp->cfg->dataplane;

	for (uint32_t i = 0; i < dc->n_ports; i++) {
		struct gs_port *p = &dp->ports[i];

		p->cfg = &dc->ports[i];
		if (port_find_or_probe(p->cfg->devargs, &p->port_id) != 0) {
			snprintf(err, errlen,
				 "port '%s': no device for devargs '%s' (%s); check the driver name and its arguments",
				 p->cfg->name, p->cfg->devargs, rte_strerror(rte_errno));
			return -1;
		}
		if (port_setup(dp, p, err, errlen) != 0)
			return -1;
		dp->n_ports++;
	}
	return 0;
}

void gs_ports_close(struct gs_dp *dp)
{
	for (uint32_t i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
	dp->n_ports = 0;
}
