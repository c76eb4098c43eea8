/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check rounds.  Every interval_ms an appliance's round starts: the active
 * check (a non-blocking TCP connect, plus an HTTP GET for http) and the
 * in-band probe leave at once; the round ends when all have answered or at
 * timeout_ms, whichever comes first, and its verdict goes to health.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "gsd.h"
#include "sockaddr.h"

static const struct gs_health_check_cfg *hc_of(const struct gsd *d,
					       const struct gsd_app *a)
{
	return &d->cfg->groups[a->group].health_check;
}

static uint32_t app_index(const struct gsd *d, const struct gsd_app *a)
{
	return (uint32_t)(a - d->apps);
}

static void close_check(struct gsd *d, struct gsd_app *a)
{
	if (a->check_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, a->check_fd, NULL);
		close(a->check_fd);
	}
	a->check_fd = -1;
	a->check_phase = GSD_CHECK_IDLE;
}

static void end_round(struct gsd *d, struct gsd_app *a, uint64_t now)
{
	a->round_active = false;
	a->round_gen++;
	/* a round that could not run the probe proves nothing good: the
	 * management port of a black-holed appliance still answers */
	if (a->round_ok && a->round_partial)
		return;
	if (a->round_ok)
		a->checks_ok++;
	else
		a->checks_failed++;
	if (gs_health_round(&a->health, hc_of(d, a), a->round_ok, a->round_fail, now))
		gsd_apply(d, a, a->health.why);
}

static void finish(struct gsd *d, struct gsd_app *a, unsigned which, bool ok,
		   const char *what, uint64_t now)
{
	if (!(a->pending & which))
		return;
	a->pending &= ~which;
	if (!ok) {
		if (a->round_ok)
			snprintf(a->round_fail, sizeof(a->round_fail), "%s", what);
		a->round_ok = false;
	}
	if (!a->pending)
		end_round(d, a, now);
}

static void active_result(struct gsd *d, struct gsd_app *a, bool ok, uint64_t now,
			  const char *fmt, const char *detail)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);

	close_check(d, a);
	a->active_ok = ok;
	a->active_done = true;
	a->active_at_ns = gsd_real_ns(d, now);
	snprintf(a->active_detail, sizeof(a->active_detail), fmt, detail);
	finish(d, a, GSD_PENDING_ACTIVE, ok,
	       hc->protocol == GS_CHECK_HTTP ? "http check" : "tcp check", now);
}

static int start_active(struct gsd *d, struct gsd_app *a)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);
	const struct gs_ipaddr *ip = &a->cfg->health_address;
	uint16_t port = hc->port ? hc->port : 80;
	struct sockaddr_storage ss;
	struct epoll_event ev = { .events = EPOLLOUT };
	socklen_t sl;
	int fd;

	sl = gsd_sockaddr(ip, port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	ev.data.u64 = app_index(d, a);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	a->check_fd = fd;
	a->check_phase = GSD_CHECK_CONNECTING;
	a->rlen = 0;
	return 0;
}

void gsd_round_start(struct gsd *d, struct gsd_app *a, uint64_t due, uint64_t now)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);
	uint64_t iv = (uint64_t)hc->interval_ms * 1000000u;
	uint32_t idx = app_index(d, a);

	if (a->removed)
		return;
	/* a loop held up past a whole interval skips rounds rather than
	 * running them back to back */
	gsd_timer_add(due + iv > now ? due + iv : now + iv, idx, GSD_T_ROUND, 0);
	if (a->round_active) { /* only when the loop is that late */
		a->rounds_skipped++;
		return;
	}
	a->round_active = true;
	a->round_ok = true;
	a->round_fail[0] = '\0';
	a->pending = 0;
	a->round_partial = hc->inband_probe;
	if (hc->protocol != GS_CHECK_NONE) {
		int rc = start_active(d, a);

		a->pending |= GSD_PENDING_ACTIVE;
		if (rc < 0)
			active_result(d, a, false, now, "connect: %s", strerror(-rc));
	}
	/* without a data plane there is no path to probe: the round goes
	 * on without the probe rather than failing every appliance at once.
	 * A data plane just (re)started still resolves its neighbours under
	 * the returning traffic: its first second is not held against anyone */
	if (hc->inband_probe && d->dp_connected && now >= d->probe_grace_until_ns) {
		struct gsd_probe_data pd = { .app = idx, .seq = ++a->probe_seq,
					     .sent_ns = now };

		a->pending |= GSD_PENDING_PROBE;
		a->round_partial = false;
		a->probes_sent++;
		if (d->backend->ops->probe_send(d, a, &pd) != 0) {
			a->probe_ok = false;
			a->probe_done = true;
			a->probe_at_ns = gsd_real_ns(d, now);
			finish(d, a, GSD_PENDING_PROBE, false, "in-band probe: not sent", now);
		}
	}
	if (!a->round_active)
		return; /* everything failed at once */
	if (!a->pending) {
		/* nothing could be checked this round (protocol none, and no
		 * probe or no data plane to send it through) */
		a->round_active = false;
		return;
	}
	gsd_timer_add(now + (uint64_t)hc->timeout_ms * 1000000u, idx, GSD_T_DEADLINE,
		      a->round_gen);
}

void gsd_round_deadline(struct gsd *d, struct gsd_app *a, uint32_t gen, uint64_t now)
{
	char what[64];

	if (!a->round_active || gen != a->round_gen)
		return;
	snprintf(what, sizeof(what), "timeout after %u ms", hc_of(d, a)->timeout_ms);
	if (a->pending & GSD_PENDING_PROBE) {
		a->probe_ok = false;
		a->probe_done = true;
		a->probe_at_ns = gsd_real_ns(d, now);
		finish(d, a, GSD_PENDING_PROBE, false, "in-band probe: no return", now);
	}
	if (a->round_active && (a->pending & GSD_PENDING_ACTIVE))
		active_result(d, a, false, now, "%s", what);
}

/* "HTTP/1.1 200 OK" -> 200, or -1 */
static int http_status(const char *line)
{
	int major, minor, status;

	if (sscanf(line, "HTTP/%d.%d %3d", &major, &minor, &status) != 3 ||
	    status < 100 || status > 599)
		return -1;
	return status;
}

static void http_send(struct gsd *d, struct gsd_app *a, uint64_t now)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);
	char host[64], req[512];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = app_index(d, a) };
	int n;

	gs_ipaddr_format(&a->cfg->health_address, host, sizeof(host));
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: gsteerd/" GS_VERSION
		     "\r\nConnection: close\r\n\r\n", hc->path[0] ? hc->path : "/",
		     a->cfg->health_address.family == GS_AF_INET6 ? "[" : "", host,
		     a->cfg->health_address.family == GS_AF_INET6 ? "]" : "");
	/* a request this small fits any fresh socket's send buffer */
	if (n < 0 || send(a->check_fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		active_result(d, a, false, now, "send: %s", strerror(errno));
		return;
	}
	a->check_phase = GSD_CHECK_READING;
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, a->check_fd, &ev);
}

void gsd_check_event(struct gsd *d, struct gsd_app *a, uint32_t events, uint64_t now)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);
	char detail[32];
	int e = 0;
	socklen_t el = sizeof(e);

	if (a->check_fd < 0)
		return;
	if (a->check_phase == GSD_CHECK_CONNECTING) {
		if (getsockopt(a->check_fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			active_result(d, a, false, now, "connect: %s", strerror(e));
			return;
		}
		if (hc->protocol == GS_CHECK_TCP) {
			active_result(d, a, true, now, "%s", "connected");
			return;
		}
		http_send(d, a, now);
		return;
	}
	(void)events;
	for (;;) {
		ssize_t n = recv(a->check_fd, a->rbuf + a->rlen,
				 sizeof(a->rbuf) - 1 - a->rlen, 0);
		char *eol;
		int status;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			active_result(d, a, false, now, "recv: %s", strerror(errno));
			return;
		}
		a->rlen += (uint32_t)n;
		a->rbuf[a->rlen] = '\0';
		eol = strstr(a->rbuf, "\r\n");
		if (!eol && n > 0 && a->rlen < sizeof(a->rbuf) - 1)
			continue;
		if (eol)
			*eol = '\0';
		status = http_status(a->rbuf);
		if (status < 0) {
			active_result(d, a, false, now, "%s",
				      n == 0 && a->rlen == 0 ? "closed without a reply" :
				      "not an HTTP status line");
			return;
		}
		snprintf(detail, sizeof(detail), "HTTP %d", status);
		active_result(d, a, status >= hc->status_min && status <= hc->status_max,
			      now, "%s", detail);
		return;
	}
}

void gsd_probe_result(struct gsd *d, struct gsd_app *a, uint32_t seq,
		      uint64_t sent_ns, uint64_t now)
{
	const struct gs_health_check_cfg *hc = hc_of(d, a);
	bool ok;

	if (seq != a->probe_seq || !(a->pending & GSD_PENDING_PROBE) || sent_ns > now) {
		a->probes_late++;
		return;
	}
	a->probes_returned++;
	a->rtt_us = (double)(now - sent_ns) / 1000.0;
	a->probe_have_rtt = true;
	ok = !hc->latency_threshold_us || a->rtt_us <= hc->latency_threshold_us;
	a->probe_ok = ok;
	a->probe_done = true;
	a->probe_at_ns = gsd_real_ns(d, now);
	finish(d, a, GSD_PENDING_PROBE, ok, "in-band probe: slower than latency_threshold_us",
	       now);
}

void gsd_check_cancel(struct gsd *d, struct gsd_app *a)
{
	close_check(d, a);
	a->round_active = false;
	a->pending = 0;
	a->round_gen++;
}
