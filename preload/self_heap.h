/* The recorder's own heap and the set of blocks its callees allocated
 * (self_heap.c): the parts the malloc hooks test on every call, inline. */
#ifndef FP_SELF_HEAP_H
#define FP_SELF_HEAP_H

#include "fp.h"

#pragma GCC visibility push(hidden)   /* as in fp.h */

#define OWN_AREA    (16u << 20)
#define OWN_CLASSES 12                 /* 32 B << 0 .. 11 */
#define OWN_MAGIC   0x6f776e21u

extern _Atomic(uint8_t *) fp_own_base;

static inline bool is_own(const void *p)
{
    const uint8_t *b = atomic_load_explicit(&fp_own_base, memory_order_relaxed);
    return b && (const uint8_t *)p >= b && (const uint8_t *)p < b + OWN_AREA;
}

static inline uint32_t *own_header(void *p)
{
    return (uint32_t *)((uint8_t *)p - 16);
}

static inline size_t own_usable(void *p)
{
    return ((size_t)32 << own_header(p)[0]) - 16;
}

/* A block of at least n bytes, or NULL (then the caller uses the next
 * allocator). */
void *own_alloc(size_t n, bool zero);
void  own_free(void *p);

/* blocks the recorder's own callees took from the next allocator: their
 * frees are not recorded either */
#define INTERNAL_SLOTS 4096
extern _Atomic int fp_internal_count;
/* a bit per slot that ever held a block: most frees stop at a clear bit */
extern _Atomic uint64_t fp_internal_seen[INTERNAL_SLOTS / 64];

static inline unsigned internal_slot(uintptr_t p)
{
    return (unsigned)((p >> 4) * 0x9e3779b97f4a7c15ull >> 52) & (INTERNAL_SLOTS - 1);
}

/* ---- self_heap.c: the internal set */
void internal_add(void *p);
bool internal_take_slow(void *p);

/* Most frees stop at the bit here, without a call. */
static inline bool internal_take(void *p)
{
    unsigned i = internal_slot((uintptr_t)p);
    if (!(atomic_load_explicit(&fp_internal_seen[i / 64], memory_order_relaxed) & (1ull << (i % 64))))
        return false;
    return internal_take_slow(p);
}

static inline bool is_internal(void *p)
{
    return FP_UNLIKELY(atomic_load_explicit(&fp_internal_count, memory_order_relaxed) > 0) &&
           internal_take(p);
}

/* A block handed to the program cannot be one of ours any more: if it was,
 * it was freed where no hook saw it.  Keeps the set from eating a later
 * free of the same address. */
static inline void not_internal(void *p)
{
    if (FP_UNLIKELY(atomic_load_explicit(&fp_internal_count, memory_order_relaxed) > 0) && p)
        internal_take(p);
}

/* A block from the next allocator for a call that met the guard: when the
 * call came from the recorder's callees (ours), into the internal set. */
static inline void *internal_if(void *p, bool ours)
{
    if (ours)
        internal_add(p);
    return p;
}

#pragma GCC visibility pop

#endif /* FP_SELF_HEAP_H */
