/* Sampled mode (FAULTPROF_SAMPLE_BYTES=N): a stack and a record for, on
 * average, one allocation in every N bytes allocated; every call counted.
 * Each thread counts down bytes from an exponentially distributed start
 * (mean N), so an allocation of s bytes is sampled with probability
 * 1 - exp(-s/N) whatever came before it: a Poisson process over bytes, as in
 * tcmalloc and jemalloc.  The analyzer scales each sample by the inverse of
 * that probability.  Frees are recorded only for sampled blocks, which a
 * global set remembers. */
#include <math.h>
#include <string.h>

#include "fp.h"

void fp_sample_next(struct fp_thread *t)
{
    /* xorshift64*, then a uniform in (0, 1] */
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    double u = (double)((x * 0x2545f4914f6cdd1dull) >> 11 | 1) / 9007199254740992.0;
    double left = -log(u) * (double)fp_config.sample_bytes;
    t->sample_left = left > 1e15 ? (int64_t)1e15 : (int64_t)left + 1;
}

/* ---- live sampled blocks: open-addressing tables over mmap'd slots; 1
 * marks a deleted slot, which a later add may take.  The first table is
 * 32 KiB, so a program with few live samples touches a few pages, not a
 * table sized for the worst case (one 8 MiB table cost 3,700 page faults on
 * bench/alloc_heavy, more than the sampled records did).  When an add finds
 * no free slot near the block's home, a new table 4 times the size of the
 * last takes the adds; the older ones keep their blocks until they are
 * freed, and a take looks in each, newest first.  No count of live blocks
 * is kept: a counter that both threads of alloc_heavy wrote at every
 * sampled call was near half of what adding cost.  Tables are never
 * unmapped or reused, so a reader never meets a table being changed under
 * it.  Should all SET_TABLES be used, every free is recorded from then on:
 * the analyzer ignores frees of blocks it never saw. */
#define SET_MIN_SLOTS  (1u << 12)
#define SET_MAX_SLOTS  (1u << 24)
#define SET_TABLES     16
#define MAX_PROBE      64

struct sampled_table {
    _Atomic(_Atomic uintptr_t *) slot;   /* published after mask */
    uint32_t mask;
};

static struct sampled_table tables[SET_TABLES];
static _Atomic int newest = -1;   /* the table adds go to; tables up to it exist */
static fp_lock_t grow_lock;

/* The counting filter in front of the tables (fp.h): how many live sampled
 * blocks hash to each counter.  A free whose counter is 0 (nearly all of
 * them) needs no look into the tables, whose lines would miss the cache; 16
 * KiB of counters stay in the cache where 64 KiB did not.  A counter that
 * reaches 255 stays there.  fp_sampled_filter is published once the set
 * is ready and cleared when it overflows: then every free goes to
 * fp_sampled_take, which says the block may have been sampled. */
_Atomic(_Atomic uint8_t *) fp_sampled_filter;
static _Atomic uint8_t *filter;

static void filter_add(uintptr_t p)
{
    _Atomic uint8_t *c = &filter[fp_filter_at(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v < 255 && !atomic_compare_exchange_weak(c, &v, (uint8_t)(v + 1)))
        ;
}

static void filter_remove(uintptr_t p)
{
    _Atomic uint8_t *c = &filter[fp_filter_at(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v > 0 && v < 255 && !atomic_compare_exchange_weak(c, &v, (uint8_t)(v - 1)))
        ;
}

static inline uint32_t slot_of(uintptr_t p, uint32_t mask)
{
    return (uint32_t)(((p >> 4) * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* Starts a new table for adds, unless another thread just did (the newest
 * is no longer `was`).  Called inside the recorder; false when none is left. */
static bool table_add(int was)
{
    bool ok = true;
    fp_lock(&grow_lock);
    int k = atomic_load(&newest);
    if (k != was)
        goto out;
    if (k + 1 >= SET_TABLES) {
        ok = false;
        goto out;
    }
    uint32_t want = SET_MIN_SLOTS;
    if (k >= 0)
        want = (tables[k].mask + 1) * 4 < SET_MAX_SLOTS ? (tables[k].mask + 1) * 4 : SET_MAX_SLOTS;
    struct sampled_table *t = &tables[k + 1];
    _Atomic uintptr_t *s = fp_os_map(want * sizeof(uintptr_t));
    if (!s) {
        ok = false;
        goto out;
    }
    t->mask = want - 1;
    atomic_store_explicit(&t->slot, s, memory_order_release);
    atomic_store(&newest, k + 1);
out:
    fp_unlock(&grow_lock);
    return ok;
}

int fp_sampled_init(void)
{
    if (!fp_config.sample_bytes || filter)
        return 0;
    filter = fp_os_map(FP_FILTER_COUNTERS);
    if (!filter || !table_add(-1))
        return -1;
    atomic_store(&fp_sampled_filter, filter);
    return 0;
}

void fp_sampled_add(void *p)
{
    if (!p || !atomic_load_explicit(&fp_sampled_filter, memory_order_relaxed))
        return;
    for (;;) {
        int k = atomic_load(&newest);
        struct sampled_table *t = &tables[k];
        _Atomic uintptr_t *slot = atomic_load_explicit(&t->slot, memory_order_acquire);
        uint32_t i = slot_of((uintptr_t)p, t->mask);
        for (int probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & t->mask) {
            uintptr_t cur = atomic_load_explicit(&slot[i], memory_order_relaxed);
            if ((cur == 0 || cur == 1) &&
                atomic_compare_exchange_strong(&slot[i], &cur, (uintptr_t)p)) {
                filter_add((uintptr_t)p);
                return;
            }
        }
        if (!table_add(k)) {
            atomic_store(&fp_sampled_filter, NULL);
            return;
        }
    }
}

/* true when p was a sampled block (and is now forgotten), or when the set
 * overflowed and nothing can be known */
bool fp_sampled_take(void *p)
{
    _Atomic uint8_t *f = atomic_load_explicit(&fp_sampled_filter, memory_order_relaxed);
    if (!f)
        return true;
    if (atomic_load_explicit(&f[fp_filter_at((uintptr_t)p)], memory_order_relaxed) == 0)
        return false;
    for (int k = atomic_load(&newest); k >= 0; k--) {
        struct sampled_table *t = &tables[k];
        _Atomic uintptr_t *slot = atomic_load_explicit(&t->slot, memory_order_acquire);
        if (!slot)
            continue;
        uint32_t i = slot_of((uintptr_t)p, t->mask);
        for (int probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & t->mask) {
            uintptr_t cur = atomic_load_explicit(&slot[i], memory_order_relaxed);
            if (cur == 0)
                break;
            if (cur == (uintptr_t)p &&
                atomic_compare_exchange_strong(&slot[i], &cur, (uintptr_t)1)) {
                filter_remove((uintptr_t)p);
                return true;
            }
        }
    }
    return false;
}

/* COUNTS: the thread's running totals, when they moved */
void fp_write_counts(struct fp_thread *t, uint64_t now)
{
    if (!fp_config.sample_bytes || t->c_allocs + t->c_frees == t->c_written)
        return;
    struct fp_rec_counts x = { .allocations = t->c_allocs, .bytes = t->c_bytes,
                               .frees = t->c_frees };
    fp_put_counts(t, &x, now);
    t->c_written = t->c_allocs + t->c_frees;
}
