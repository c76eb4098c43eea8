/* SPDX-License-Identifier: BSD-3-Clause */
#include "probe.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_byteorder.h>
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

static const uint8_t probe_payload[16] = "gsteer in-band\n";

static struct {
	int fd;     /* listening */
	int client; /* the daemon connected last: requests and returns */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct gs_unix_file file;
	struct gs_probe_stats st;
} probe = { .fd = -1, .client = -1 };

static uint32_t inner_udp(uint8_t family, const uint8_t *src, const uint8_t *dst,
			  uint8_t *out)
{
	uint32_t ip_len = family == GS_AF_INET ? GS_IPV4_HDR_LEN : GS_IPV6_HDR_LEN;
	uint32_t alen = family == GS_AF_INET ? 4 : 16;
	uint16_t udp_len = GS_UDP_HDR_LEN + sizeof(probe_payload);
	uint8_t *udp = out + ip_len;
	uint32_t sum;

	memset(out, 0, ip_len);
	if (family == GS_AF_INET) {
		out[0] = 0x45;
		rte_be16_t tot = rte_cpu_to_be_16((uint16_t)(ip_len + udp_len));
		memcpy(out + 2, &tot, 2);
		out[8] = GS_DEFAULT_TTL;
		out[9] = GS_IPPROTO_UDP;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		rte_be16_t c = rte_cpu_to_be_16(gs_csum_fold(gs_csum_partial(out, ip_len, 0)));
		memcpy(out + 10, &c, 2);
	} else {
		out[0] = 0x60;
		rte_be16_t plen = rte_cpu_to_be_16(udp_len);
		memcpy(out + 4, &plen, 2);
		out[6] = GS_IPPROTO_UDP;
		out[7] = GS_DEFAULT_TTL;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	rte_be16_t port = rte_cpu_to_be_16(GS_PROBE_INNER_PORT);
	rte_be16_t len = rte_cpu_to_be_16(udp_len);
	memcpy(udp, &port, 2);
	memcpy(udp + 2, &port, 2);
	memcpy(udp + 4, &len, 2);
	memset(udp + 6, 0, 2);
	memcpy(udp + GS_UDP_HDR_LEN, probe_payload, sizeof(probe_payload));
	/* pseudo header: both addresses, protocol, UDP length */
	sum = gs_csum_partial(src, alen, 0);
	sum = gs_csum_partial(dst, alen, sum);
	sum += rte_cpu_to_be_16(GS_IPPROTO_UDP) + len;
	sum = gs_csum_partial(udp, udp_len, sum);
	rte_be16_t c = rte_cpu_to_be_16(gs_csum_fold(sum));
	if (c == 0)
		c = 0xFFFF; /* zero means "no checksum" in UDP */
	memcpy(udp + 6, &c, 2);
	return ip_len + udp_len;
}

int gs_probe_build(const struct gs_dp *dp, uint32_t app, const uint8_t *data,
		   uint8_t *buf, uint32_t cap)
{
	const struct gs_appliance *a = &dp->appliances[app];
	uint8_t inner[GS_IPV6_HDR_LEN + GS_UDP_HDR_LEN + sizeof(probe_payload)];
	uint8_t opts[GS_GENEVE_MAX_OPTS_LEN];
	struct gs_opts_spec spec = {
		/* appliances written for AWS GWLB expect its three TLVs */
		.with_endpoint_id = true,
		.with_attachment_id = true,
		.with_cookie = true,
		.probe_data = data,
	};
	struct gs_encap e = { 0 };
	uint32_t inner_len;
	int opts_len, hdr_len;

	if (app >= dp->n_appliances || !a->in_use)
		return -1;
	inner_len = inner_udp(a->addr.family, a->src, a->addr.a, inner);
	opts_len = gs_geneve_opts_write(opts, sizeof(opts), &spec);
	if (opts_len < 0)
		return -1;
	memcpy(e.src_mac, dp->ports[a->port].mac.addr_bytes, 6);
	e.vlan_tci = dp->ports[a->port].cfg->vlan;
	e.family = a->addr.family;
	memcpy(e.src, a->src, 16);
	memcpy(e.dst, a->addr.a, 16);
	e.ttl = GS_DEFAULT_TTL;
	/* a fixed port per appliance: probes to one appliance stay on one
	 * RSS queue and ECMP path, as its traffic's outer flows would */
	e.sport = (uint16_t)(GS_ENTROPY_PORT_BASE | (app & GS_ENTROPY_PORT_MASK));
	e.dport = GS_GENEVE_UDP_PORT;
	e.protocol = a->addr.family == GS_AF_INET ? GS_ETHERTYPE_IPV4 : GS_ETHERTYPE_IPV6;
	e.opts = opts;
	e.opts_len = (uint16_t)opts_len;
	e.payload = inner;
	e.payload_len = inner_len;
	hdr_len = gs_encap_write(buf, cap, &e);
	if (hdr_len < 0 || (uint32_t)hdr_len + inner_len > cap)
		return -1;
	memcpy(buf + hdr_len, inner, inner_len);
	return hdr_len + (int)inner_len;
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
	fd = gs_unix_bind(path, SOCK_SEQPACKET, &file, err, errlen);
	if (fd < 0)
		return -1;
	if (listen(fd, 4) < 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		gs_unix_unlink(path, &file);
		return -1;
	}
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
