/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights.
 *
 * Each backend owns a permutation of the slots, fixed by two hashes of its
 * name: offset = h1 % size, skip = h2 % (size - 1) + 1.  Since size is prime,
 * every skip in [1, size - 1] walks all slots once.  Backends then take turns
 * claiming the next still-empty slot of their own permutation until the table
 * is full.
 *
 * Weights decide whose turn it is.  Backend i makes its (k+1)-th claim at the
 * virtual time (2k + 1) / (2 * w_i) (Sainte-Lague apportionment); claims
 * happen in virtual-time order, ties broken by the lower backend index.  So
 * at every point of the fill each backend holds its proportional share to
 * within a couple of slots (a divisor method, so not always within one), and
 * with equal weights the order is exactly the round robin of the paper.
 * Virtual times are compared by exact integer cross-multiplication, never in
 * floating point, so every host builds the same table.
 *
 * The next claimant is found with a binary min-heap over the distinct
 * weights (see struct gs_maglev_class): O(size * log weights) for the
 * scheduling instead of the O(rounds * n) of a per-round credit loop, which
 * degenerates when one weight dwarfs the others (a 1000:1 split would need
 * ~size rounds over every backend).
 */
#include <stdlib.h>
#include <string.h>

#include "gs_maglev.h"

/*
 * The name hash must never change: it places every backend, and every gsteer
 * node must agree.  64-bit FNV-1a reads bytes one at a time (no endianness
 * or alignment dependence); its low bits are weak for short inputs, so a
 * murmur3 fmix64 finalizer spreads every input bit before the modulo.
 */
#define GS_FNV64_OFFSET 0xcbf29ce484222325ull
#define GS_FNV64_PRIME 0x00000100000001b3ull

static uint64_t gs_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t gs_name_hash(const char *name, uint64_t seed)
{
	const unsigned char *p = (const unsigned char *)name;
	uint64_t h = GS_FNV64_OFFSET ^ gs_fmix64(seed);

	while (*p) {
		h ^= *p++;
		h *= GS_FNV64_PRIME;
	}
	return gs_fmix64(h);
}

/*
 * Two independent seeds for offset and skip: with one hash split in halves
 * a weak hash could correlate them, and equal (offset, skip) pairs mean
 * identical permutations, i.e. two backends fighting for the same slots.
 */
#define GS_MAGLEV_SEED_OFFSET 0x6f66667365746d67ull /* "offsetmg" */
#define GS_MAGLEV_SEED_SKIP 0x736b69706d676c76ull   /* "skipmglv" */

bool gs_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 4)
		return n >= 2;
	if (n % 2 == 0 || n % 3 == 0)
		return false;
	/* 6k +- 1 wheel; 64-bit square so d * d cannot wrap near 2^32 */
	for (d = 5; (uint64_t)d * d <= n; d += 6) {
		if (n % d == 0 || n % (d + 2) == 0)
			return false;
	}
	return true;
}

uint32_t gs_maglev_pick_size(uint32_t want, uint32_t n_backends)
{
	uint64_t need = (uint64_t)GS_MAGLEV_MIN_SLOTS_PER_APPLIANCE * n_backends;
	uint64_t p;

	if (need < want)
		need = want;
	/*
	 * Beyond GS_MAGLEV_MAX_SIZE no table can be built (see below), so say
	 * so with 0 instead of returning a size gs_maglev_build() rejects.
	 */
	for (p = need < 2 ? 2 : need; p <= GS_MAGLEV_MAX_SIZE; p++) {
		if (gs_is_prime((uint32_t)p))
			return (uint32_t)p;
	}
	return 0;
}

struct gs_maglev_perm {
	uint32_t pos;   /* next slot of this backend's permutation to try */
	uint32_t skip;
	uint32_t index; /* backend index written into the table */
	uint32_t weight;
};

/*
 * Backends of one weight claim in a fixed round robin (index order), so the
 * heap only needs to hold the next claimant of each distinct weight: with
 * equal weights it has one entry and the build is the paper's plain round
 * robin, and even mixed fleets rarely have more than a handful of weights.
 */
struct gs_maglev_class {
	uint32_t weight;
	uint32_t first;  /* its members: perm[first .. first + count - 1] */
	uint32_t count;
	uint32_t cursor; /* member whose turn it is */
	uint32_t round;  /* claims made by that member so far */
};

/*
 * True when class @a's next claim comes before @b's: (2*ra + 1) / wa <
 * (2*rb + 1) / wb, i.e. (2*ra + 1) * wb < (2*rb + 1) * wa, ties to the lower
 * backend index.  2r + 1 < 2^25 (size is capped at GS_MAGLEV_MAX_SIZE
 * < 2^24) and w < 2^32, so the products fit in 64 bits.
 */
static inline bool gs_class_before(const struct gs_maglev_class *a,
				   const struct gs_maglev_class *b,
				   const struct gs_maglev_perm *perm)
{
	uint64_t ta = (2ull * a->round + 1) * b->weight;
	uint64_t tb = (2ull * b->round + 1) * a->weight;

	if (ta != tb)
		return ta < tb;
	return perm[a->first + a->cursor].index < perm[b->first + b->cursor].index;
}

static void gs_heap_sift_down(uint32_t *heap, uint32_t n, uint32_t i,
			      const struct gs_maglev_class *cls,
			      const struct gs_maglev_perm *perm)
{
	uint32_t top = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && gs_class_before(&cls[heap[c + 1]], &cls[heap[c]], perm))
			c++;
		if (!gs_class_before(&cls[heap[c]], &cls[top], perm))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = top;
}

/* group by weight, list order inside a group: that is the claim order */
static int gs_perm_cmp(const void *a, const void *b)
{
	const struct gs_maglev_perm *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int gs_maglev_build(uint32_t *table, uint32_t size,
		    const struct gs_maglev_backend *backends, uint32_t n,
		    uint32_t seed)
{
	struct gs_maglev_perm *perm;
	struct gs_maglev_class *cls;
	uint32_t *heap;
	uint32_t i, m, k, filled;

	if (!table || !gs_is_prime(size) || size > GS_MAGLEV_MAX_SIZE ||
	    (n && !backends))
		return -1;

	/* the table itself is the occupancy map: empty slots hold NO_BACKEND */
	for (i = 0; i < size; i++)
		table[i] = GS_MAGLEV_NO_BACKEND;

	for (i = 0, m = 0; i < n; i++)
		m += backends[i].weight != 0;
	if (m == 0)
		return 0;

	perm = malloc((size_t)m * sizeof(*perm));
	cls = malloc((size_t)m * sizeof(*cls));
	heap = malloc((size_t)m * sizeof(*heap));
	if (!perm || !cls || !heap) {
		free(perm);
		free(cls);
		free(heap);
		return -1;
	}

	for (i = 0, m = 0; i < n; i++) {
		const char *name = backends[i].name ? backends[i].name : "";

		if (backends[i].weight == 0)
			continue;
		perm[m].pos = (uint32_t)(gs_name_hash(name, GS_MAGLEV_SEED_OFFSET ^ seed) % size);
		/* a prime size is >= 2, so (size - 1) is never 0 */
		perm[m].skip = (uint32_t)(gs_name_hash(name, GS_MAGLEV_SEED_SKIP ^ seed) %
					  (size - 1)) + 1;
		perm[m].index = i;
		perm[m].weight = backends[i].weight;
		m++;
	}
	qsort(perm, m, sizeof(*perm), gs_perm_cmp);
	for (i = 0, k = 0; i < m; k++) {
		cls[k].weight = perm[i].weight;
		cls[k].first = i;
		cls[k].cursor = 0;
		cls[k].round = 0;
		while (i < m && perm[i].weight == cls[k].weight)
			i++;
		cls[k].count = i - cls[k].first;
		heap[k] = k;
	}
	for (i = k / 2; i-- > 0;)
		gs_heap_sift_down(heap, k, i, cls, perm);

	for (filled = 0; filled < size; filled++) {
		struct gs_maglev_class *c = &cls[heap[0]];
		struct gs_maglev_perm *p = &perm[c->first + c->cursor];
		uint32_t pos = p->pos, skip = p->skip;

		/*
		 * A prime-sized permutation visits every slot, and the table is
		 * not full yet, so this walk ends.  Add-and-wrap instead of a
		 * modulo: a division per probe would dominate the build.
		 */
		while (table[pos] != GS_MAGLEV_NO_BACKEND) {
			pos += skip;
			if (pos >= size)
				pos -= size;
		}
		table[pos] = p->index;
		pos += skip;
		if (pos >= size)
			pos -= size;
		p->pos = pos;
		if (++c->cursor == c->count) {
			c->cursor = 0;
			c->round++;
		}
		/* only the root's key grew: one sift restores the heap */
		if (k > 1)
			gs_heap_sift_down(heap, k, 0, cls, perm);
	}

	free(perm);
	free(cls);
	free(heap);
	return 0;
}

struct named_backend {
	struct gs_maglev_backend b;
	uint32_t index; /* in the caller's array */
};

static int by_name(const void *x, const void *y)
{
	const struct named_backend *a = x, *b = y;

	return strcmp(a->b.name ? a->b.name : "", b->b.name ? b->b.name : "");
}

int gs_maglev_build_by_name(uint32_t *table, uint32_t size,
			    const struct gs_maglev_backend *backends, uint32_t n,
			    uint32_t seed)
{
	struct named_backend *nb = calloc(n + 1, sizeof(*nb));
	struct gs_maglev_backend *sorted = calloc(n + 1, sizeof(*sorted));
	int rc = -1;

	if (!nb || !sorted)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		nb[i].b = backends[i];
		nb[i].index = i;
	}
	qsort(nb, n, sizeof(*nb), by_name);
	for (uint32_t i = 0; i < n; i++)
		sorted[i] = nb[i].b;
	rc = gs_maglev_build(table, size, sorted, n, seed);
	if (rc != 0)
		goto out;
	for (uint32_t s = 0; s < size; s++)
		if (table[s] != GS_MAGLEV_NO_BACKEND)
			table[s] = nb[table[s]].index;
out:
	free(nb);
	free(sorted);
	return rc;
}
