/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the config loader (common/gs_config.c) on any text.
 *
 * Checked besides memory safety and leaks: a rejected document gives one
 * error line that names the file; an accepted one gives a model that keeps
 * the loader's own promises (counts within their limits, every listener's
 * group resolved, the Maglev table a prime of at least 100 slots per
 * appliance), and the same text always gives the same answer.
 */
#include <string.h>

#include "fuzz_util.h"
#include "gs_config.h"
#include "gs_maglev.h"

static void check_model(const struct gs_config *c)
{
	FUZZ_CHECK(c->dataplane.n_ports >= 1 && c->dataplane.n_ports <= GS_MAX_PORTS);
	FUZZ_CHECK(c->n_listeners >= 1 && c->n_listeners <= GS_MAX_LISTENERS);
	FUZZ_CHECK(c->n_groups >= 1 && c->n_groups <= GS_MAX_TARGET_GROUPS);
	FUZZ_CHECK(c->dataplane.n_neighbors <= GS_MAX_STATIC_NEIGHBORS);
	for (uint32_t i = 0; i < c->dataplane.n_ports; i++)
		FUZZ_CHECK(c->dataplane.ports[i].n_addresses >= 1 &&
			   c->dataplane.ports[i].n_addresses <= GS_MAX_PORT_ADDRS);
	for (uint32_t i = 0; i < c->n_listeners; i++) {
		const struct gs_listener_cfg *l = &c->listeners[i];

		FUZZ_CHECK(l->target_group_index < c->n_groups);
		FUZZ_CHECK(strcmp(l->target_group,
				  c->groups[l->target_group_index].name) == 0);
		FUZZ_CHECK(l->n_upstreams >= 1 && l->n_upstreams <= GS_MAX_UPSTREAM_PREFIXES);
		FUZZ_CHECK(memchr(l->name, '\0', sizeof(l->name)) != NULL);
	}
	for (uint32_t g = 0; g < c->n_groups; g++) {
		const struct gs_target_group_cfg *tg = &c->groups[g];

		FUZZ_CHECK(tg->n_appliances <= GS_MAX_APPLIANCES_PER_GROUP);
		FUZZ_CHECK(tg->maglev_size <= GS_MAGLEV_MAX_SIZE);
		FUZZ_CHECK(tg->maglev_size >= (uint64_t)GS_MAGLEV_MIN_SLOTS_PER_APPLIANCE *
						      tg->n_appliances);
		FUZZ_CHECK(gs_is_prime(tg->maglev_size));
		FUZZ_CHECK(tg->health_check.timeout_ms < tg->health_check.interval_ms);
		for (uint32_t a = 0; a < tg->n_appliances; a++)
			FUZZ_CHECK(tg->appliances[a].weight >= 1 &&
				   tg->appliances[a].weight <= GS_MAX_WEIGHT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512];
	struct gs_config *c, *c2;
	char *text;

	if (size > 1 << 20)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	err[0] = '\0';
	c = gs_config_parse(text, "fuzz.json", err, sizeof(err));
	if (c) {
		check_model(c);
	} else {
		FUZZ_CHECK(strncmp(err, "fuzz.json", 9) == 0);
		FUZZ_CHECK(strchr(err, '\n') == NULL);
	}
	err2[0] = '\0';
	c2 = gs_config_parse(text, "fuzz.json", err2, sizeof(err2));
	FUZZ_CHECK(!c == !c2);
	if (!c)
		FUZZ_CHECK(strcmp(err, err2) == 0);
	gs_config_free(c);
	gs_config_free(c2);
	free(text);
	return 0;
}
