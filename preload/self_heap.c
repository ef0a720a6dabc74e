/* The recorder's own heap, for the small blocks its callees allocate, and
 * the set of blocks they took from the next allocator instead.  The hot
 * tests (is_own, is_internal) are inline in self_heap.h. */
#include <string.h>

#include "self_heap.h"

/* The recorder's own heap.  What the recorder's callees allocate
 * (pthread_getattr_np's cpu set, the thread-local block ld.so makes for
 * libunwind) comes from here, not from the program's allocator: taken from
 * the program's arenas, those blocks moved its later ones, and one of
 * bench/alloc_heavy's two threads then trimmed its heap 10% more often
 * (2,100 more page faults).  A region reserved once, power-of-two classes
 * of 32 B to 64 KiB with a 16-byte header; freed blocks go on a list per
 * class.  Frees push without a lock (a thread's exit frees its blocks
 * outside the recorder, where the fork gate does not look); pops happen
 * inside the recorder, one at a time under own_lock, so a popped block
 * cannot come back while another pop looks at it.  A block too big for
 * the classes, or a full region, comes from the next allocator instead and
 * goes into the internal set below. */
struct own_free {
    struct own_free *next;
};

_Atomic(uint8_t *) fp_own_base;
static _Atomic size_t own_used;
static _Atomic(struct own_free *) own_list[OWN_CLASSES];
static fp_lock_t own_lock;

void *own_alloc(size_t n, bool zero)
{
    unsigned k = 0;
    while (k < OWN_CLASSES && ((size_t)32 << k) - 16 < n)
        k++;
    if (k == OWN_CLASSES)
        return NULL;
    uint8_t *base = atomic_load(&fp_own_base);
    if (!base) {
        uint8_t *b = fp_os_map(OWN_AREA);
        if (!b)
            return NULL;
        if (!atomic_compare_exchange_strong(&fp_own_base, &base, b))
            fp_os_unmap(b, OWN_AREA);       /* another thread mapped it first */
        base = atomic_load(&fp_own_base);
    }
    fp_lock(&own_lock);
    struct own_free *f = atomic_load_explicit(&own_list[k], memory_order_acquire);
    while (f && !atomic_compare_exchange_weak_explicit(&own_list[k], &f, f->next,
                                                       memory_order_acquire,
                                                       memory_order_acquire))
        ;
    fp_unlock(&own_lock);
    if (f) {
        if (zero)
            memset(f, 0, ((size_t)32 << k) - 16);
        return f;
    }
    size_t size = (size_t)32 << k, at = atomic_load(&own_used);
    do {
        if (at + size > OWN_AREA)
            return NULL;
    } while (!atomic_compare_exchange_weak(&own_used, &at, at + size));
    uint32_t *h = (uint32_t *)(base + at);
    h[0] = k;
    h[1] = OWN_MAGIC;
    return base + at + 16;              /* fresh pages: already zero */
}

void own_free(void *p)
{
    uint32_t *h = own_header(p);
    if (h[1] != OWN_MAGIC || h[0] >= OWN_CLASSES)
        return;                         /* not a block start: leave it */
    struct own_free *f = p, *head = atomic_load_explicit(&own_list[h[0]], memory_order_relaxed);
    do
        f->next = head;
    while (!atomic_compare_exchange_weak_explicit(&own_list[h[0]], &head, f,
                                                  memory_order_release, memory_order_relaxed));
}

void *fp_own_alloc(size_t n)
{
    return own_alloc(n, false);
}

void fp_own_free(void *p)
{
    if (is_own(p))
        own_free(p);
}

/* ---- blocks the recorder's own callees allocated (libunwind's dynamic TLS,
 * pthread attribute extensions): never recorded, so their frees must not be
 * either, whichever thread makes them (a joined thread's TLS is freed by the
 * joiner).  A small open-addressing set; 1 marks a deleted slot. */
static _Atomic uintptr_t internal_blocks[INTERNAL_SLOTS];
_Atomic int fp_internal_count;
_Atomic uint64_t fp_internal_seen[INTERNAL_SLOTS / 64];

void internal_add(void *p)
{
    if (!p)
        return;
    unsigned i = internal_slot((uintptr_t)p);
    for (int probe = 0; probe < 64; probe++, i = (i + 1) & (INTERNAL_SLOTS - 1)) {
        uintptr_t cur = atomic_load_explicit(&internal_blocks[i], memory_order_relaxed);
        if ((cur == 0 || cur == 1) &&
            atomic_compare_exchange_strong(&internal_blocks[i], &cur, (uintptr_t)p)) {
            unsigned h = internal_slot((uintptr_t)p);
            atomic_fetch_or(&fp_internal_seen[h / 64], 1ull << (h % 64));
            atomic_fetch_add(&fp_internal_count, 1);
            return;
        }
    }
}

FP_NOINLINE bool internal_take_slow(void *p)
{
    unsigned i = internal_slot((uintptr_t)p);
    for (int probe = 0; probe < 64; probe++, i = (i + 1) & (INTERNAL_SLOTS - 1)) {
        uintptr_t cur = atomic_load_explicit(&internal_blocks[i], memory_order_relaxed);
        if (cur == 0)
            return false;
        if (cur == (uintptr_t)p &&
            atomic_compare_exchange_strong(&internal_blocks[i], &cur, (uintptr_t)1)) {
            atomic_fetch_sub(&fp_internal_count, 1);
            return true;
        }
    }
    return false;
}
