/* SPDX-License-Identifier: BSD-3-Clause */
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return;
		b->p = p;
		b->cap = cap;
	}
}

static void help(struct buf *b, const char *name, const char *type, const char *text)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* label values are ids and names the config loader restricted to letters,
 * digits and ._- : nothing to escape */
#define APP_LABELS "group=\"%s\",appliance=\"%s\""
#define APP_ARGS(d, a) (d)->cfg->groups[(a)->group].name, (a)->id

void gsd_metrics_render(struct gsd *d)
{
	static const char *const states[] = { "healthy", "unhealthy", "draining", "removed" };
	struct buf b = { 0 };

	if (!d->mhd)
		return;
	help(&b, "gsteer_appliance_state", "gauge",
	     "1 for the state gsteerd decided for the appliance, 0 for the others");
	for (uint32_t i = 0; i < d->n_apps; i++)
		for (int s = 0; s < 4; s++)
			put(&b, "gsteer_appliance_state{" APP_LABELS ",state=\"%s\"} %d\n",
			    APP_ARGS(d, &d->apps[i]), states[s], (int)d->apps[i].decided == s);
	help(&b, "gsteer_appliance_check_up", "gauge",
	     "last result of a check: 1 passed, 0 failed (absent before the first)");
	for (uint32_t i = 0; i < d->n_apps; i++) {
		const struct gsd_app *a = &d->apps[i];

		if (a->active_done)
			put(&b, "gsteer_appliance_check_up{" APP_LABELS ",check=\"active\"} %d\n",
			    APP_ARGS(d, a), a->active_ok);
		if (a->probe_done)
			put(&b, "gsteer_appliance_check_up{" APP_LABELS ",check=\"inband_probe\"} %d\n",
			    APP_ARGS(d, a), a->probe_ok);
	}
	help(&b, "gsteer_appliance_check_rounds_total", "counter",
	     "check rounds completed, by verdict");
	for (uint32_t i = 0; i < d->n_apps; i++) {
		const struct gsd_app *a = &d->apps[i];

		put(&b, "gsteer_appliance_check_rounds_total{" APP_LABELS ",result=\"ok\"} %lu\n",
		    APP_ARGS(d, a), a->checks_ok);
		put(&b, "gsteer_appliance_check_rounds_total{" APP_LABELS ",result=\"failed\"} %lu\n",
		    APP_ARGS(d, a), a->checks_failed);
	}
	help(&b, "gsteer_appliance_probe_rtt_seconds", "gauge",
	     "round trip of the last in-band probe through the appliance");
	for (uint32_t i = 0; i < d->n_apps; i++)
		if (d->apps[i].probe_have_rtt)
			put(&b, "gsteer_appliance_probe_rtt_seconds{" APP_LABELS "} %.9f\n",
			    APP_ARGS(d, &d->apps[i]), d->apps[i].rtt_us / 1e6);
	help(&b, "gsteer_appliance_probes_total", "counter", "in-band probes, by outcome");
	for (uint32_t i = 0; i < d->n_apps; i++) {
		const struct gsd_app *a = &d->apps[i];

		put(&b, "gsteer_appliance_probes_total{" APP_LABELS ",result=\"sent\"} %lu\n",
		    APP_ARGS(d, a), a->probes_sent);
		put(&b, "gsteer_appliance_probes_total{" APP_LABELS ",result=\"returned\"} %lu\n",
		    APP_ARGS(d, a), a->probes_returned);
		put(&b, "gsteer_appliance_probes_total{" APP_LABELS ",result=\"late\"} %lu\n",
		    APP_ARGS(d, a), a->probes_late);
	}
	help(&b, "gsteer_appliance_passive_suspect", "gauge",
	     "1 while the appliance gets new flows and returns nothing");
	for (uint32_t i = 0; i < d->n_apps; i++)
		put(&b, "gsteer_appliance_passive_suspect{" APP_LABELS "} %d\n",
		    APP_ARGS(d, &d->apps[i]), d->apps[i].suspect);
	if (d->dp_connected) {
		help(&b, "gsteer_appliance_packets_total", "counter",
		     "packets the data plane sent to / got back from the appliance");
		for (uint32_t i = 0; i < d->n_apps; i++) {
			const struct gsd_app *a = &d->apps[i];
			const struct gs_traffic_sample *s = gsd_last_sample(a);

			if (!s)
				continue;
			put(&b, "gsteer_appliance_packets_total{" APP_LABELS ",direction=\"to_appliance\"} %lu\n",
			    APP_ARGS(d, a), s->tx_pkts);
			put(&b, "gsteer_appliance_packets_total{" APP_LABELS ",direction=\"from_appliance\"} %lu\n",
			    APP_ARGS(d, a), s->rx_pkts);
		}
		help(&b, "gsteer_appliance_bytes_total", "counter",
		     "bytes the data plane sent to / got back from the appliance");
		for (uint32_t i = 0; i < d->n_apps; i++) {
			const struct gsd_app *a = &d->apps[i];

			if (!a->n_samples)
				continue;
			put(&b, "gsteer_appliance_bytes_total{" APP_LABELS ",direction=\"to_appliance\"} %lu\n",
			    APP_ARGS(d, a), a->tx_bytes);
			put(&b, "gsteer_appliance_bytes_total{" APP_LABELS ",direction=\"from_appliance\"} %lu\n",
			    APP_ARGS(d, a), a->rx_bytes);
		}
		help(&b, "gsteer_appliance_flows", "gauge", "flows pinned to the appliance");
		for (uint32_t i = 0; i < d->n_apps; i++)
			if (d->apps[i].n_samples)
				put(&b, "gsteer_appliance_flows{" APP_LABELS "} %lu\n",
				    APP_ARGS(d, &d->apps[i]), d->apps[i].flows);
	}
	if (d->dp_connected && d->have_dp_stats) {
		help(&b, "gsteer_drops_total", "counter", "packets the data plane dropped, by reason");
		for (unsigned r = GS_R_OK + 1; r < GS_R_COUNT; r++)
			put(&b, "gsteer_drops_total{reason=\"%s\"} %lu\n", gs_reason_name(r),
			    d->drops[r]);
		help(&b, "gsteer_flow_table_entries", "gauge", "flows in the data plane's table");
		put(&b, "gsteer_flow_table_entries %lu\n", d->ft_used);
		help(&b, "gsteer_flow_table_capacity", "gauge", "size of the data plane's flow table");
		put(&b, "gsteer_flow_table_capacity %lu\n", d->ft_capacity);
	}
	help(&b, "gsteer_dataplane_up", "gauge", "1 while gsteerd reaches the data plane");
	put(&b, "gsteer_dataplane_up %d\n", d->dp_connected);
	help(&b, "gsteer_dataplane_resyncs_total", "counter",
	     "decisions re-sent because the data plane did not have them");
	put(&b, "gsteer_dataplane_resyncs_total %lu\n", d->dp_resyncs);
	help(&b, "gsteer_state_changes_total", "counter", "appliance state changes decided");
	put(&b, "gsteer_state_changes_total %lu\n", d->n_events);

	pthread_mutex_lock(&d->metrics_lock);
	free(d->metrics_text);
	d->metrics_text = b.p;
	d->metrics_len = b.len;
	pthread_mutex_unlock(&d->metrics_lock);
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version,
			     const char *upload_data, size_t *upload_size, void **state)
{
	struct gsd *d = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	char *copy = NULL;
	size_t len = 0;
	static const char not_found[] = "only /metrics is served here\n";
	static const char not_allowed[] = "only GET\n";

	(void)version;
	(void)upload_data;
	(void)state;
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		r = MHD_create_response_from_buffer(sizeof(not_allowed) - 1, (void *)not_allowed,
						    MHD_RESPMEM_PERSISTENT);
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		r = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		pthread_mutex_lock(&d->metrics_lock);
		if (d->metrics_text) {
			copy = malloc(d->metrics_len ? d->metrics_len : 1);
			if (copy) {
				memcpy(copy, d->metrics_text, d->metrics_len);
				len = d->metrics_len;
			}
		}
		pthread_mutex_unlock(&d->metrics_lock);
		r = MHD_create_response_from_buffer(len, copy ? copy : (void *)"",
						    copy ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	}
	if (!r)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* "127.0.0.1:9469" or "[::1]:9469" (the config loader checked the form) */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	port = strtoul(colon + 1, NULL, 10);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']')
			return -1;
		host[l - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int gsd_metrics_start(struct gsd *d, char *err, size_t errlen)
{
	const char *listen = d->cfg->daemon.metrics_listen;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (!listen[0])
		return 0;
	if (parse_listen(listen, &ss) != 0) {
		snprintf(err, errlen, "daemon.metrics_listen: cannot use '%s'", listen);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, serve, d,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_END);
	if (!d->mhd) {
		snprintf(err, errlen, "daemon.metrics_listen: cannot listen on %s (in use?)", listen);
		return -1;
	}
	gsd_metrics_render(d);
	return 0;
}

void gsd_metrics_stop(struct gsd *d)
{
	if (d->mhd)
		MHD_stop_daemon(d->mhd);
	d->mhd = NULL;
	free(d->metrics_text);
	d->metrics_text = NULL;
}
