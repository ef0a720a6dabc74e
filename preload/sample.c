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

/* ---- live sampled blocks: open addressing over mmap'd slots; 1 marks a
 * deleted slot.  Should it fill up, every free is recorded from then on:
 * the analyzer ignores frees of blocks it never saw. */
#define SAMPLED_SLOTS (1u << 20)
#define MAX_PROBE 128

static _Atomic uintptr_t *sampled;
static _Atomic int sampled_full;

/* A counting filter in front of the table: how many live sampled blocks
 * hash to each of 64 Ki counters.  A free whose counter is 0 (nearly all of
 * them) needs no look into the big table, whose lines would miss the cache.
 * A counter that reaches 255 stays there. */
#define FILTER_COUNTERS (1u << 16)
static _Atomic uint8_t *filter;

static inline unsigned filter_at(uintptr_t p)
{
    return (unsigned)(((p >> 4) * 0xd6e8feb86659fd93ull) >> 48) & (FILTER_COUNTERS - 1);
}

static void filter_add(uintptr_t p)
{
    _Atomic uint8_t *c = &filter[filter_at(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v < 255 && !atomic_compare_exchange_weak(c, &v, (uint8_t)(v + 1)))
        ;
}

static void filter_remove(uintptr_t p)
{
    _Atomic uint8_t *c = &filter[filter_at(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v > 0 && v < 255 && !atomic_compare_exchange_weak(c, &v, (uint8_t)(v - 1)))
        ;
}

int fp_sampled_init(void)
{
    if (!fp_config.sample_bytes || sampled)
        return 0;
    sampled = fp_os_map(SAMPLED_SLOTS * sizeof(uintptr_t));
    filter = fp_os_map(FILTER_COUNTERS);
    return sampled && filter ? 0 : -1;
}

static inline unsigned slot_of(uintptr_t p)
{
    return (unsigned)(((p >> 4) * 0x9e3779b97f4a7c15ull) >> 44) & (SAMPLED_SLOTS - 1);
}

void fp_sampled_add(void *p)
{
    if (!p || !sampled)
        return;
    unsigned i = slot_of((uintptr_t)p);
    for (int probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & (SAMPLED_SLOTS - 1)) {
        uintptr_t cur = atomic_load_explicit(&sampled[i], memory_order_relaxed);
        if ((cur == 0 || cur == 1) &&
            atomic_compare_exchange_strong(&sampled[i], &cur, (uintptr_t)p)) {
            filter_add((uintptr_t)p);
            return;
        }
    }
    atomic_store(&sampled_full, 1);
}

/* true when p was a sampled block (and is now forgotten), or when the set
 * overflowed and nothing can be known */
bool fp_sampled_take(void *p)
{
    if (!sampled || atomic_load_explicit(&sampled_full, memory_order_relaxed))
        return true;
    if (atomic_load_explicit(&filter[filter_at((uintptr_t)p)], memory_order_relaxed) == 0)
        return false;
    unsigned i = slot_of((uintptr_t)p);
    for (int probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & (SAMPLED_SLOTS - 1)) {
        uintptr_t cur = atomic_load_explicit(&sampled[i], memory_order_relaxed);
        if (cur == 0)
            return false;
        if (cur == (uintptr_t)p &&
            atomic_compare_exchange_strong(&sampled[i], &cur, (uintptr_t)1)) {
            filter_remove((uintptr_t)p);
            return true;
        }
    }
    return false;
}

/* COUNTS: the thread's running totals, when they moved */
void fp_write_counts(struct fp_thread *t, uint64_t now)
{
    if (!fp_config.sample_bytes || t->c_allocs + t->c_frees == t->c_written)
        return;
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_COUNTS, 3 * FP_VARINT_MAX, now);
    fp_rec_u(&r, t->c_allocs);
    fp_rec_u(&r, t->c_bytes);
    fp_rec_u(&r, t->c_frees);
    fp_rec_end(&r);
    t->c_written = t->c_allocs + t->c_frees;
}
