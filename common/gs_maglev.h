/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights.
 *
 * The table depends only on the ordered appliance names, their weights, the
 * table size and the seed: every gsteer node and both data planes build the
 * same table from the same appliance list, on any host.
 */
#ifndef GS_MAGLEV_H
#define GS_MAGLEV_H

#include "gs_compat.h"
#include "gs_limits.h"

struct gs_maglev_backend {
	const char *name; /* stable identity: its hash places the backend */
	uint32_t weight;  /* 0 = not in the table */
};

/* true when @n is prime */
bool gs_is_prime(uint32_t n);

/* smallest prime >= max(@want, 100 * n_backends): a valid table size */
uint32_t gs_maglev_pick_size(uint32_t want, uint32_t n_backends);

/*
 * Fill @table (@size slots, @size prime) with backend indexes.  Backends of
 * weight 0 get no slot.  When no backend has weight, every slot is
 * GS_MAGLEV_NO_BACKEND.  Returns 0, or -1 when @size is not prime or memory
 * for the permutation state runs out.
 */
int gs_maglev_build(uint32_t *table, uint32_t size,
		    const struct gs_maglev_backend *backends, uint32_t n,
		    uint32_t seed);

/*
 * As gs_maglev_build(), but independent of the order of @backends: they are
 * placed in name order (strcmp), so every node with the same set of
 * appliances builds the same table however it listed them.  Slots hold
 * indexes into @backends as the caller gave them.
 */
int gs_maglev_build_by_name(uint32_t *table, uint32_t size,
			    const struct gs_maglev_backend *backends, uint32_t n,
			    uint32_t seed);

/* the slot a flow hash picks */
GS_INLINE uint32_t gs_maglev_slot(uint32_t flow_hash, uint32_t size)
{
	return flow_hash % size;
}

#endif /* GS_MAGLEV_H */
