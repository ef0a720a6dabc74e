/* Stacks: unwinding with libunwind and giving each distinct stack an id.
 * libunwind is loaded with dlopen(RTLD_LOCAL) rather than linked, so its
 * _Unwind_* exports never interpose libgcc_s's in the program (C++
 * exceptions keep their usual unwinder).  Each thread keeps its own table of
 * the stacks it has written, so the hot path takes no lock. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "fp.h"

static FP_TLS struct fp_pool *cur_pool;
static int uthash_oom;
#define uthash_malloc(sz) fp_pool_alloc(cur_pool, (sz))
#define uthash_free(ptr, sz) do { (void)(ptr); (void)(sz); } while (0)
#define uthash_nonfatal_oom(obj) do { uthash_oom = 1; } while (0)
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = stack_hash((keyptr), (keylen)))
#include <uthash.h>

struct fp_stack_entry {
    UT_hash_handle hh;
    uint64_t id;
    uint32_t n;
    uintptr_t frames[];
};

static int (*unw_backtrace_fn)(void **, int);
static uintptr_t shim_lo, shim_hi;
static _Atomic uint64_t next_stack_id = 1;

#define XSTR(x) STR(x)
#define STR(x) #x

/* 64-bit multiply-mix over the frame words: stacks are word arrays */
static inline unsigned stack_hash(const void *key, size_t len)
{
    const uintptr_t *w = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    for (size_t i = 0; i < len / sizeof(uintptr_t); i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (unsigned)(h ^ (h >> 29));
}

void fp_shim_text_range(uintptr_t lo, uintptr_t hi)
{
    shim_lo = lo;
    shim_hi = hi;
}

int fp_unwind_init(void)
{
    void *h = fp_real.dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fp_warn("cannot load libunwind.so.8 (%s); stacks are not recorded", dlerror());
        return -1;
    }
    unw_backtrace_fn = (int (*)(void **, int))dlsym(h, "unw_backtrace");
    int (*set_policy)(unw_addr_space_t, unw_caching_policy_t) =
        (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(h, XSTR(unw_set_caching_policy));
    unw_addr_space_t *as = (unw_addr_space_t *)dlsym(h, XSTR(unw_local_addr_space));
    if (!unw_backtrace_fn) {
        fp_warn("libunwind.so.8 has no unw_backtrace; stacks are not recorded");
        return -1;
    }
    /* libunwind 1.6 silently turns UNW_CACHE_PER_THREAD into the global
     * cache; ask for the global one so what we get is what we asked for */
    if (set_policy && as)
        set_policy(*as, UNW_CACHE_GLOBAL);
    /* warm up: the first unwind in a thread builds libunwind's caches */
    void *ips[8];
    unw_backtrace_fn(ips, 8);
    return 0;
}

void fp_stacks_reset(struct fp_thread *t)
{
    t->stacks = NULL;
    if (t->pool)
        fp_pool_release(t->pool);
    else
        t->pool = fp_perm_alloc(sizeof(*t->pool));
    if (t->pool)
        memset(t->pool, 0, sizeof(*t->pool));
}

static FP_NOINLINE uint64_t stack_define(struct fp_thread *t, uintptr_t *frames, uint32_t n)
{
    if (!t->pool)
        return 0;
    cur_pool = t->pool;
    struct fp_stack_entry *e = fp_pool_alloc(t->pool, sizeof(*e) + n * sizeof(uintptr_t));
    if (!e)
        return 0;
    e->id = atomic_fetch_add_explicit(&next_stack_id, 1, memory_order_relaxed);
    e->n = n;
    memcpy(e->frames, frames, n * sizeof(uintptr_t));
    uthash_oom = 0;
    HASH_ADD(hh, t->stacks, frames, n * sizeof(uintptr_t), e);
    if (uthash_oom)
        return 0;

    struct fp_rec r;
    fp_rec_begin(&r, t, FP_REC_STACK, 2 * FP_VARINT_MAX + (size_t)n * FP_VARINT_MAX);
    fp_rec_u(&r, e->id);
    fp_rec_u(&r, n);
    for (uint32_t i = 0; i < n; i++)
        fp_rec_u(&r, frames[i]);
    fp_rec_end(&r);
    return e->id;
}

uint64_t fp_stack_id(struct fp_thread *t)
{
    if (FP_UNLIKELY(!unw_backtrace_fn || fp_config.depth == 0))
        return 0;
    void *ips[FP_MAX_DEPTH + 16];
    int n = unw_backtrace_fn(ips, (int)fp_config.depth + 16);
    int skip = 0;
    while (skip < n && (uintptr_t)ips[skip] >= shim_lo && (uintptr_t)ips[skip] < shim_hi)
        skip++;
    int keep = n - skip;
    if (keep > (int)fp_config.depth)
        keep = (int)fp_config.depth;
    if (keep <= 0)
        return 0;
    uintptr_t *frames = (uintptr_t *)(ips + skip);
    struct fp_stack_entry *e;
    HASH_FIND(hh, t->stacks, frames, (size_t)keep * sizeof(uintptr_t), e);
    if (FP_LIKELY(e != NULL))
        return e->id;
    return stack_define(t, frames, (uint32_t)keep);
}
