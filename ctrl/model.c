/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance records: building them from a config (and again at a
 * reload, keeping what the checks learnt), finding them by name, deciding
 * their state and keeping the data plane in step with the decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "backend.h"
#include "gsd.h"
#include "model.h"

struct gsd_app_index {
	uint32_t mask;
	uint32_t *slot; /* app index + 1; 0: empty */
};

uint64_t gsd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t name_hash(uint32_t group, const char *id)
{
	uint32_t h = 2166136261u ^ group;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h;
}

static int index_build(struct gsd *d)
{
	struct gsd_app_index *ix = calloc(1, sizeof(*ix));
	uint32_t size = 16;

	while (size < d->n_apps * 2)
		size <<= 1;
	if (!ix || !(ix->slot = calloc(size, sizeof(uint32_t)))) {
		free(ix);
		return -1;
	}
	ix->mask = size - 1;
	for (uint32_t i = 0; i < d->n_apps; i++) {
		uint32_t s = name_hash(d->apps[i].group, d->apps[i].id) & ix->mask;

		while (ix->slot[s])
			s = (s + 1) & ix->mask;
		ix->slot[s] = i + 1;
	}
	if (d->by_name)
		free(d->by_name->slot);
	free(d->by_name);
	d->by_name = ix;
	return 0;
}

static struct gsd_app *lookup(struct gsd *d, uint32_t group, const char *id)
{
	const struct gsd_app_index *ix = d->by_name;
	uint32_t s = name_hash(group, id) & ix->mask;
	struct gsd_app *found = NULL;

	/* a removed record and a re-added one may share a name: the live one */
	for (; ix->slot[s]; s = (s + 1) & ix->mask) {
		struct gsd_app *a = &d->apps[ix->slot[s] - 1];

		if (a->group == group && strcmp(a->id, id) == 0 && (!found || found->removed))
			found = a;
	}
	return found;
}

static int group_index(const struct gs_config *cfg, const char *name)
{
	for (uint32_t g = 0; g < cfg->n_groups; g++)
		if (strcmp(cfg->groups[g].name, name) == 0)
			return (int)g;
	return -1;
}

struct gsd_app *gsd_find_app(struct gsd *d, const char *group, const char *id,
			     char *err, size_t errlen)
{
	struct gsd_app *a = NULL;

	if (group) {
		int g = group_index(d->cfg, group);

		if (g < 0) {
			snprintf(err, errlen, "no target group '%s'", group);
			return NULL;
		}
		a = lookup(d, (uint32_t)g, id);
		if (!a)
			snprintf(err, errlen, "no appliance '%s' in target group '%s'", id, group);
		return a;
	}
	for (uint32_t g = 0; g < d->cfg->n_groups; g++) {
		struct gsd_app *x = lookup(d, g, id);

		if (!x)
			continue;
		if (a) {
			snprintf(err, errlen,
				 "appliance '%s' is in target groups '%s' and '%s': name the group",
				 id, d->cfg->groups[a->group].name, d->cfg->groups[g].name);
			return NULL;
		}
		a = x;
	}
	if (!a)
		snprintf(err, errlen, "no appliance '%s' in any target group", id);
	return a;
}

static void app_init(struct gsd *d, struct gsd_app *a, uint32_t group,
		     const struct gs_appliance_cfg *c, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->group = group;
	a->cfg = c;
	snprintf(a->id, sizeof(a->id), "%s", c->id);
	a->check_fd = -1;
	/* a configured "draining" is an operator's drain; "unhealthy" is where
	 * the checks start from */
	a->drained = c->state == GS_APP_DRAINING;
	a->removed = c->state == GS_APP_REMOVED;
	gs_health_init(&a->health, c->state != GS_APP_UNHEALTHY, now);
	a->decided = a->removed ? GS_APP_REMOVED : a->drained ? GS_APP_DRAINING :
		     a->health.healthy ? GS_APP_HEALTHY : GS_APP_UNHEALTHY;
	a->decided_since_ns = gsd_real_ns(d, now);
}

int gsd_model_build(struct gsd *d, uint64_t now)
{
	uint32_t n = 0, i = 0;

	for (uint32_t g = 0; g < d->cfg->n_groups; g++)
		n += d->cfg->groups[g].n_appliances;
	d->apps = calloc(n ? n : 1, sizeof(*d->apps));
	if (!d->apps)
		return -1;
	for (uint32_t g = 0; g < d->cfg->n_groups; g++)
		for (uint32_t k = 0; k < d->cfg->groups[g].n_appliances; k++)
			app_init(d, &d->apps[i++], g, &d->cfg->groups[g].appliances[k], now);
	d->n_apps = n;
	return index_build(d);
}

void gsd_model_free(struct gsd *d)
{
	free(d->apps);
	d->apps = NULL;
	d->n_apps = 0;
	if (d->by_name)
		free(d->by_name->slot);
	free(d->by_name);
	d->by_name = NULL;
}

static void record_event(struct gsd *d, struct gsd_app *a, enum gs_app_state from,
			 enum gs_app_state to, const char *why, uint64_t real_ns)
{
	struct gsd_event *e = &d->events[d->n_events % GSD_EVENTS];

	e->seq = ++d->n_events;
	e->at_ns = real_ns;
	e->app = (uint32_t)(a - d->apps);
	e->from = from;
	e->to = to;
	snprintf(e->why, sizeof(e->why), "%s", why);
	syslog(LOG_NOTICE, "%s/%s: %s -> %s (%s)", d->cfg->groups[a->group].name, a->id,
	       gs_app_state_name(from), gs_app_state_name(to), why);
}

static enum gs_app_state wanted(const struct gsd_app *a)
{
	if (a->removed)
		return GS_APP_REMOVED;
	if (a->drained)
		return GS_APP_DRAINING;
	return a->health.healthy ? GS_APP_HEALTHY : GS_APP_UNHEALTHY;
}

/* does the data plane need to hear about @a? */
static bool differs(const struct gsd_app *a)
{
	if (!a->dp_known)
		return a->decided != GS_APP_REMOVED;
	/* the data plane ends a drain by itself after the delay */
	return a->dp_state != a->decided &&
	       !(a->decided == GS_APP_DRAINING && a->dp_state == GS_APP_REMOVED);
}

/*
 * Make the data plane's states what gsteerd decided, for every appliance
 * that differs: appliances it does not have (or has removed) are added one
 * by one, the state changes go in one batch.
 */
void gsd_flush(struct gsd *d)
{
	const struct gsd_backend_ops *ops = d->backend->ops;
	struct gsd_app **batch;
	uint32_t n = 0;
	char err[256];

	if (!d->dp_connected)
		return;
	batch = malloc((d->n_apps ? d->n_apps : 1) * sizeof(*batch));
	if (!batch)
		return;
	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];

		if (!differs(a))
			continue;
		if (a->decided != GS_APP_REMOVED &&
		    (!a->dp_known || a->dp_state == GS_APP_REMOVED)) {
			if (ops->add(d, a, err, sizeof(err)) != 0) {
				syslog(LOG_WARNING, "%s/%s: cannot add to the data plane: %s",
				       d->cfg->groups[a->group].name, a->id, err);
				continue;
			}
			a->dp_known = true;
			a->dp_state = GS_APP_HEALTHY;
		}
		if (a->dp_known && a->dp_state != a->decided)
			batch[n++] = a;
	}
	if (n && ops->set_states(d, batch, n, err, sizeof(err)) != 0)
		syslog(LOG_WARNING, "cannot set %u appliance states in the data plane: %s", n, err);
	else
		for (uint32_t i = 0; i < n; i++)
			batch[i]->dp_state = batch[i]->decided;
	free(batch);
}

void gsd_apply(struct gsd *d, struct gsd_app *a, const char *why)
{
	enum gs_app_state want = wanted(a);
	uint64_t now = gsd_now_ns();

	if (want != a->decided) {
		record_event(d, a, a->decided, want, why, gsd_real_ns(d, now));
		a->decided = want;
		a->decided_since_ns = gsd_real_ns(d, now);
	}
	/* sent at the end of this loop turn, with every other decision */
	d->flush_needed = true;
}

void gsd_adopt(struct gsd *d, uint64_t now)
{
	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];

		if (!a->dp_known || a->removed || a->dp_state == a->decided)
			continue;
		switch (a->dp_state) {
		case GS_APP_HEALTHY:
		case GS_APP_UNHEALTHY:
			gs_health_init(&a->health, a->dp_state == GS_APP_HEALTHY, now);
			snprintf(a->health.why, sizeof(a->health.why), "taken over from the data plane");
			a->drained = false;
			break;
		case GS_APP_DRAINING:
		case GS_APP_REMOVED:
			/* an operator's drain outlives a gsteerd restart */
			a->drained = true;
			break;
		}
		a->decided = a->dp_state == GS_APP_REMOVED ? GS_APP_DRAINING : a->dp_state;
		a->decided_since_ns = gsd_real_ns(d, now);
	}
}

void gsd_sync(struct gsd *d)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];

		if (!differs(a))
			continue;
		if (n++ < 10) /* a restarted data plane may miss them all */
			syslog(LOG_NOTICE, "%s/%s: data plane has %s, gsteerd decided %s: re-sending",
			       d->cfg->groups[a->group].name, a->id,
			       a->dp_known ? gs_app_state_name(a->dp_state) : "nothing",
			       gs_app_state_name(a->decided));
	}
	if (n > 10)
		syslog(LOG_NOTICE, "... and %u more appliances: re-sending", n - 10);
	d->dp_resyncs += n;
	gsd_flush(d);
}

/* the sample taken at or before @at, newest first; NULL when none is */
static const struct gs_traffic_sample *sample_at(const struct gsd_app *a, uint64_t at)
{
	for (uint32_t k = 1; k <= a->n_samples; k++) {
		const struct gs_traffic_sample *s =
			&a->samples[(a->sample_head + GSD_SAMPLES - k) % GSD_SAMPLES];

		if (s->at_ns <= at)
			return s;
	}
	return NULL;
}

void gsd_traffic(struct gsd *d, uint64_t now)
{
	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];
		const struct gs_health_check_cfg *hc = &d->cfg->groups[a->group].health_check;
		const struct gs_traffic_sample *cur, *old, *mid, *first;
		uint64_t w = (uint64_t)hc->passive_window_ms * 1000000u;

		if (!a->n_samples || !a->dp_known)
			continue;
		cur = gsd_last_sample(a);
		first = &a->samples[a->n_samples < GSD_SAMPLES ? 0 : a->sample_head];
		if (cur->at_ns > first->at_ns) {
			double dt = (double)(cur->at_ns - first->at_ns) / 1e9;

			a->tx_pps = (double)(cur->tx_pkts - first->tx_pkts) / dt;
			a->rx_pps = (double)(cur->rx_pkts - first->rx_pkts) / dt;
		}
		if (hc->passive == GS_PASSIVE_OFF || cur->at_ns < w)
			continue;
		old = sample_at(a, cur->at_ns - w);
		mid = sample_at(a, cur->at_ns - w / 2);
		a->suspect = old && mid && old != mid && gs_passive_suspect(old, mid, cur);
		if (a->suspect && a->decided == GS_APP_HEALTHY &&
		    gs_health_passive(&a->health, hc, now))
			gsd_apply(d, a, a->health.why);
	}
}

/* ---- reload ----------------------------------------------------------------- */

int gsd_reload(struct gsd *d, struct gs_config *ncfg, char *err, size_t errlen)
{
	uint32_t n_new = 0, n = d->n_apps;
	struct gsd_app *apps;
	uint64_t now = gsd_now_ns();

	if (ncfg->n_groups != d->cfg->n_groups) {
		snprintf(err, errlen, "target groups added or removed: that needs a data plane restart");
		return -1;
	}
	for (uint32_t g = 0; g < ncfg->n_groups; g++) {
		if (group_index(d->cfg, ncfg->groups[g].name) < 0) {
			snprintf(err, errlen, "target group '%s' is new: that needs a data plane restart",
				 ncfg->groups[g].name);
			return -1;
		}
		n_new += ncfg->groups[g].n_appliances;
	}
	apps = calloc(n + n_new, sizeof(*apps));
	if (!apps) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(apps, d->apps, n * sizeof(*apps));
	/* records keep their index (timers and probes in flight name them by
	 * it): known ones are re-pointed, new ones appended, gone ones marked */
	for (uint32_t i = 0; i < n; i++) {
		struct gsd_app *a = &apps[i];
		int g = group_index(ncfg, d->cfg->groups[a->group].name);
		const struct gs_appliance_cfg *c = NULL;

		for (uint32_t k = 0; g >= 0 && k < ncfg->groups[g].n_appliances; k++)
			if (strcmp(ncfg->groups[g].appliances[k].id, a->id) == 0)
				c = &ncfg->groups[g].appliances[k];
		a->group = (uint32_t)g;
		if (c && !a->removed) {
			a->cfg = c;
			continue;
		}
		a->removed = true;
	}
	for (uint32_t g = 0; g < ncfg->n_groups; g++) {
		for (uint32_t k = 0; k < ncfg->groups[g].n_appliances; k++) {
			const struct gs_appliance_cfg *c = &ncfg->groups[g].appliances[k];
			bool known = false;

			for (uint32_t i = 0; i < n; i++)
				if (apps[i].group == g && !apps[i].removed &&
				    strcmp(apps[i].id, c->id) == 0)
					known = true;
			if (!known)
				app_init(d, &apps[d->n_apps++], g, c, now);
		}
	}
	/* removed records keep a config to print: their last one, copied */
	for (uint32_t i = 0; i < n; i++)
		if (apps[i].removed && apps[i].cfg && apps[i].cfg != &apps[i].gone_cfg) {
			apps[i].gone_cfg = *apps[i].cfg;
			apps[i].cfg = &apps[i].gone_cfg;
		}
	free(d->apps);
	d->apps = apps;
	gs_config_free(d->cfg);
	d->cfg = ncfg;
	if (index_build(d) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < d->n_apps; i++) {
		struct gsd_app *a = &d->apps[i];

		if (i >= n) {
			gsd_apply(d, a, "added by a reload");
			gsd_round_start(d, a, now, now);
		} else if (a->removed && a->decided != GS_APP_REMOVED) {
			gsd_check_cancel(d, a);
			gsd_apply(d, a, "removed by a reload");
		}
	}
	return 0;
}
