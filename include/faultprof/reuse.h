/* faultprof trace format 3.0: the member's free lists, which ALLOC_REUSE
 * names an address by (faultprof-trace(5), "Free lists").
 *
 * Allocators hand out again the block of the same size class that was freed
 * last, so the address of an allocation is most often one that was freed a
 * moment before, by size.  The writer and the reader of a member keep the
 * same lists: one per size class (fp_reuse_class), of the addresses of the
 * blocks FREE_BACK freed, newest first, at most FP_REUSE_DEPTH of them.
 *   - FREE_BACK (or an ALLOC_*_FREED, which holds one) of a block of size
 *     s puts its address at the head of the list of fp_reuse_class(s); the
 *     oldest falls off a full list.
 *   - ALLOC_REUSE (or ALLOC_REUSE_FREED) with reuse k returns the list's
 *     k-th address (0: the newest) and takes it off the list.
 *   - Nothing else touches the lists; a BLOCK empties them all.
 * The classes are glibc's chunk sizes up to 1 KiB and four classes per
 * power of two above; an allocator with other classes only makes fewer
 * allocations fit the lists.  Writer and reader must agree on every detail
 * here: it is part of the format. */
#ifndef FAULTPROF_REUSE_H
#define FAULTPROF_REUSE_H

#include <stdint.h>

#define FP_REUSE_CLASSES 155u     /* fp_reuse_class's values are below this */
#define FP_REUSE_DEPTH   8u      /* a power of two: the lists are rings */
_Static_assert((FP_REUSE_DEPTH & (FP_REUSE_DEPTH - 1)) == 0, "FP_REUSE_DEPTH: a power of two");

/* 0..1023 bytes: glibc's chunk sizes, (s + 8) rounded up to 16 (classes 1..65);
 * 1 KiB .. 4 GiB - 1: four classes between each power of two (66..153);
 * 4 GiB and more: one class (154). */
static inline unsigned fp_reuse_class(uint64_t size)
{
    if (size < 1024)
        return (unsigned)((size + 23) >> 4);
    if (size >> 32)
        return FP_REUSE_CLASSES - 1;
    unsigned b = 64u - (unsigned)__builtin_clzll(size);      /* 11..32 */
    return 66u + (b - 11u) * 4u + (unsigned)((size >> (b - 3u)) & 3u);
}

/* One class's list, a ring: its k-th newest address is addr[(head - k) %
 * FP_REUSE_DEPTH], so that the common push and take of the newest move
 * nothing.  gen: the member the list belongs to (lists of an earlier member
 * are empty, so a BLOCK need not clear them). */
struct fp_reuse_list {
    uint32_t gen;                  /* first: in the cache line of addr[0] */
    uint16_t n, head;
    uint64_t addr[FP_REUSE_DEPTH];
};

#define FP_REUSE_AT(l, k) ((l)->addr[((l)->head - (k)) & (FP_REUSE_DEPTH - 1)])

static inline struct fp_reuse_list *fp_reuse_get(struct fp_reuse_list *lists, unsigned cls,
                                                 uint32_t gen)
{
    struct fp_reuse_list *l = &lists[cls];
    if (l->gen != gen) {
        l->gen = gen;
        l->n = 0;
    }
    return l;
}

/* The k-th newest address (k < l->n) */
static inline uint64_t fp_reuse_peek(const struct fp_reuse_list *l, unsigned k)
{
    return FP_REUSE_AT(l, k);
}

/* FREE_BACK's half: addr becomes the newest; the oldest falls off a full
 * list (its slot is the one the new head takes) */
static inline void fp_reuse_push(struct fp_reuse_list *l, uint64_t addr)
{
    l->head = (uint16_t)((l->head + 1) & (FP_REUSE_DEPTH - 1));
    l->addr[l->head] = addr;
    l->n += l->n < FP_REUSE_DEPTH;
}

/* The writer's: addr's place in the list, or -1 */
static inline int fp_reuse_find(const struct fp_reuse_list *l, uint64_t addr)
{
    for (unsigned i = 0; i < l->n; i++)
        if (FP_REUSE_AT(l, i) == addr)
            return (int)i;
    return -1;
}

/* ALLOC_REUSE's half: takes the k-th address off (k < l->n); the k newer
 * ones move one place older */
static inline uint64_t fp_reuse_take(struct fp_reuse_list *l, unsigned k)
{
    uint64_t a = FP_REUSE_AT(l, k);
    for (unsigned i = k; i > 0; i--)
        FP_REUSE_AT(l, i) = FP_REUSE_AT(l, i - 1);
    l->head = (uint16_t)((l->head - 1) & (FP_REUSE_DEPTH - 1));
    l->n--;
    return a;
}

#endif
