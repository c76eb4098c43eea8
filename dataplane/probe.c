/* SPDX-License-Identifier: BSD-3-Clause */
#include "probe.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "gs_encap.h"
#include "gs_probe.h"
#include "gs_unixsock.h"
#include "neigh.h"

#define PROBE_LOG(level, fmt, ...) \
	RTE_LOG(level, USER1, "gsteer probe: " fmt "\n", ##__VA_ARGS__)

/* requests taken per main-loop turn: a burst of 1,000 appliances' probes
 * drains in a few turns without starving the rest of the loop */
#define PROBE_BUDGET 64

static struct {
	int fd;     /* listening */
	int client; /* the daemon connected last: requests and returns */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct gs_unix_file file;
	struct gs_probe_stats st;
} probe = { .fd = -1, .client = -1 };

int gs_probe_build(const struct gs_dp *dp, uint32_t app, const uint8_t *data,
		   uint8_t *buf, uint32_t cap)
{
	const struct gs_appliance *a = &dp->appliances[app];
	struct gs_probe_spec spec = { .data = data };

	if (app >= dp->n_appliances || !a->in_use)
		return -1;
	memcpy(spec.src_mac, dp->ports[a->port].mac.addr_bytes, 6);
	spec.vlan_tci = dp->ports[a->port].cfg->vlan;
	spec.family = a->addr.family;
	memcpy(spec.src, a->src, 16);
	memcpy(spec.dst, a->addr.a, 16);
	/* a fixed port per appliance: probes to one appliance stay on one
	 * RSS queue and ECMP path, as its traffic's outer flows would */
	spec.sport = (uint16_t)(GS_ENTROPY_PORT_BASE | (app & GS_ENTROPY_PORT_MASK));
	return gs_probe_frame(&spec, buf, cap, NULL);
}

static void reply(const struct gs_probe_msg *m)
{
	if (probe.client < 0 ||
	    send(probe.client, m, sizeof(*m), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		probe.st.undelivered++;
}

static enum gs_probe_status send_probe(struct gs_dp *dp, const struct gs_probe_msg *req)
{
	char group[GS_NAME_MAX], id[GS_NAME_MAX];
	struct rte_mbuf *m;
	int app, len;
	uint8_t *buf;

	memcpy(group, req->group, sizeof(group));
	memcpy(id, req->appliance, sizeof(id));
	group[sizeof(group) - 1] = id[sizeof(id) - 1] = '\0';
	app = gs_appliance_find(dp, group, id);
	if (app < 0 || dp->appliances[app].state == GS_APP_REMOVED)
		return GS_PROBE_NO_APPLIANCE;
	m = rte_pktmbuf_alloc(dp->pool);
	if (!m)
		return GS_PROBE_NO_MBUF;
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	len = gs_probe_build(dp, (uint32_t)app, req->data, buf, rte_pktmbuf_tailroom(m));
	if (len < 0) {
		rte_pktmbuf_free(m);
		return GS_PROBE_NO_ROUTE;
	}
	m->data_len = m->pkt_len = (uint32_t)len;
	m->port = dp->appliances[app].port;
	probe.st.sent++;
	/* routes, resolves the next hop (holding the packet meanwhile) and
	 * sends through a worker, counting any failure under its reason */
	gs_neigh_resolve_and_send(dp, m);
	return GS_PROBE_OK;
}

/* a new daemon replaces the old one: after a gsteerd restart the returns
 * must go to the one that asks now */
static void accept_client(void)
{
	int fd = accept4(probe.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (probe.client >= 0)
		close(probe.client);
	probe.client = fd;
}

void gs_probe_poll(struct gs_dp *dp)
{
	struct gs_probe_msg req;

	if (probe.fd < 0)
		return;
	accept_client();
	for (int i = 0; i < PROBE_BUDGET && probe.client >= 0; i++) {
		ssize_t n = recv(probe.client, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
		enum gs_probe_status rc;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			close(probe.client);
			probe.client = -1;
			return;
		}
		probe.st.requests++;
		if (n != (ssize_t)sizeof(req) || req.magic != GS_PROBE_MAGIC ||
		    req.type != GS_PROBE_SEND)
			rc = GS_PROBE_BAD_REQUEST;
		else
			rc = send_probe(dp, &req);
		if (rc == GS_PROBE_OK)
			continue;
		probe.st.errors++;
		if (n < (ssize_t)sizeof(req))
			memset((char *)&req + (n > 0 ? n : 0), 0, sizeof(req) - (size_t)(n > 0 ? n : 0));
		req.magic = GS_PROBE_MAGIC;
		req.type = GS_PROBE_ERROR;
		req.status = (uint16_t)rc;
		reply(&req);
	}
}

/* the workers trimmed @m to the probe option's data and put the appliance
 * it came from in hash.fdir.hi (see pipeline.c) */
static int probe_return(struct gs_dp *dp, struct rte_mbuf *m)
{
	uint32_t app = m->hash.fdir.hi;
	struct gs_probe_msg r = { .magic = GS_PROBE_MAGIC, .type = GS_PROBE_RETURN };
	const struct gs_appliance *a;

	if (app >= dp->n_appliances || rte_pktmbuf_data_len(m) != GS_PROBE_OPT_DATA_LEN)
		return -1;
	a = &dp->appliances[app];
	snprintf(r.group, sizeof(r.group), "%s", dp->groups[a->group].cfg->name);
	snprintf(r.appliance, sizeof(r.appliance), "%s", a->id);
	memcpy(r.data, rte_pktmbuf_mtod(m, const uint8_t *), sizeof(r.data));
	rte_pktmbuf_free(m);
	probe.st.returned++;
	reply(&r);
	return 0;
}

int gs_probe_open(struct gs_dp *dp, const char *path, char *err, size_t errlen)
{
	struct gs_unix_file file;
	int fd;

	if (probe.fd >= 0) {
		snprintf(err, errlen, "probe socket already open at %s", probe.path);
		return -1;
	}
	if (path && strlen(path) >= sizeof(probe.path)) {
		snprintf(err, errlen, "probe socket path longer than %zu bytes: %s",
			 sizeof(probe.path) - 1, path);
		return -1;
	}
	fd = gs_unix_listen(path, SOCK_SEQPACKET, 4, &file, err, errlen);
	if (fd < 0)
		return -1;
	probe.fd = fd;
	probe.file = file;
	snprintf(probe.path, sizeof(probe.path), "%s", path);
	dp->probe_handler = probe_return;
	PROBE_LOG(INFO, "in-band probes through %s", path);
	return 0;
}

void gs_probe_close(struct gs_dp *dp)
{
	if (probe.fd < 0)
		return;
	dp->probe_handler = NULL;
	if (probe.client >= 0)
		close(probe.client);
	probe.client = -1;
	close(probe.fd);
	gs_unix_unlink(probe.path, &probe.file);
	probe.fd = -1;
}

void gs_probe_get_stats(struct gs_probe_stats *out)
{
	*out = probe.st;
}
