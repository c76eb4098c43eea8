/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check rounds are timers: a binary min-heap of deadlines, so the loop
 * sleeps exactly until the next one and 1,000 appliances cost a log(n)
 * step per event.  Cancelled timers are not removed: their generation no
 * longer matches the appliance's and the caller skips them when they fire.
 */
#include <stdlib.h>

#include "gsd.h"

struct timer {
	uint64_t at_ns;
	uint32_t app;
	uint32_t gen;
	enum gsd_timer_kind kind;
};

static struct {
	struct timer *heap;
	uint32_t n, cap;
} tq;

int gsd_timer_init(uint32_t capacity)
{
	free(tq.heap);
	tq.n = 0;
	tq.cap = capacity ? capacity : 16;
	tq.heap = calloc(tq.cap, sizeof(*tq.heap));
	return tq.heap ? 0 : -1;
}

void gsd_timer_free(void)
{
	free(tq.heap);
	tq.heap = NULL;
	tq.n = tq.cap = 0;
}

static void swap(uint32_t i, uint32_t j)
{
	struct timer t = tq.heap[i];

	tq.heap[i] = tq.heap[j];
	tq.heap[j] = t;
}

int gsd_timer_add(uint64_t at_ns, uint32_t app, enum gsd_timer_kind kind, uint32_t gen)
{
	uint32_t i;

	if (tq.n == tq.cap) {
		struct timer *h = realloc(tq.heap, (size_t)tq.cap * 2 * sizeof(*h));

		if (!h)
			return -1;
		tq.heap = h;
		tq.cap *= 2;
	}
	i = tq.n++;
	tq.heap[i] = (struct timer){ .at_ns = at_ns, .app = app, .gen = gen, .kind = kind };
	while (i > 0 && tq.heap[(i - 1) / 2].at_ns > tq.heap[i].at_ns) {
		swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

bool gsd_timer_pop(uint64_t now, uint64_t *at, uint32_t *app, enum gsd_timer_kind *kind,
		   uint32_t *gen)
{
	uint32_t i = 0;

	if (tq.n == 0 || tq.heap[0].at_ns > now)
		return false;
	*at = tq.heap[0].at_ns;
	*app = tq.heap[0].app;
	*kind = tq.heap[0].kind;
	*gen = tq.heap[0].gen;
	tq.heap[0] = tq.heap[--tq.n];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < tq.n && tq.heap[l].at_ns < tq.heap[min].at_ns)
			min = l;
		if (r < tq.n && tq.heap[r].at_ns < tq.heap[min].at_ns)
			min = r;
		if (min == i)
			break;
		swap(i, min);
		i = min;
	}
	return true;
}

uint64_t gsd_timer_next(uint64_t now)
{
	if (tq.n == 0)
		return UINT64_MAX;
	return tq.heap[0].at_ns > now ? tq.heap[0].at_ns - now : 0;
}
