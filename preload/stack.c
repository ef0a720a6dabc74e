/* Stacks: unwinding with libunwind and giving each distinct stack an id.
 * libunwind is loaded with dlopen(RTLD_LOCAL) rather than linked, so its
 * _Unwind_* exports never interpose libgcc_s's in the program (C++
 * exceptions keep their usual unwinder).  Each thread keeps its own table of
 * the stacks it has written, so the hot path takes no lock. */
#include <dlfcn.h>
#include <stdio.h>
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
static int (*getcontext_fn)(unw_context_t *);
static int (*init_local_fn)(unw_cursor_t *, unw_context_t *);
static int (*init_local2_fn)(unw_cursor_t *, unw_context_t *, int);
static int (*step_fn)(unw_cursor_t *);
static int (*get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
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

void *fp_unwind_symbol(void)
{
    return (void *)unw_backtrace_fn;
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
    getcontext_fn = (int (*)(unw_context_t *))dlsym(h, XSTR(unw_tdep_getcontext));
    init_local_fn = (int (*)(unw_cursor_t *, unw_context_t *))dlsym(h, XSTR(unw_init_local));
    init_local2_fn = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, XSTR(unw_init_local2));
    step_fn = (int (*)(unw_cursor_t *))dlsym(h, XSTR(unw_step));
    get_reg_fn = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, XSTR(unw_get_reg));
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

/* ---- the validated stack cache
 *
 * A loop that allocates from one place calls malloc again and again with
 * the same return address and the same stack pointer.  When it does, the
 * stack is the same if every return address the last unwind found is still
 * in its slot on the stack: checking those few words costs far less than
 * unwinding.  Each thread has a small direct-mapped cache keyed by (return
 * address, stack pointer) of the program's innermost frame; an entry holds
 * the stack slots the outer frames' return addresses were read from, those
 * addresses, and the stack id.  A key seen once is only a candidate: the slower unwind that
 * also finds the slots runs when it comes back, so one-off stacks cost one
 * ordinary unw_backtrace. */
#define CACHE_SLOTS 64

/* slot holds ip while the stack is the one the entry names */
struct stack_check {
    const uintptr_t *slot;
    uintptr_t ip;
};

struct stack_cache {
    uintptr_t ip0, sp0;
    uint64_t id;              /* 0: candidate, frames not filled */
    uint32_t n;               /* the frames' count; n - 1 checks */
    uint32_t hits, fails;     /* how well this key predicts its stack */
    uint32_t seen;            /* sightings while a candidate */
    struct stack_check *checks; /* checks[i]: frame i + 1's return address */
};

/* Whether every frame past the innermost is still in its slot: read all
 * of them (a mismatch is rare, so no branch each) four at a time. */
static inline bool cache_valid(const struct stack_cache *c)
{
    const struct stack_check *k = c->checks, *end = k + (c->n - 1);
    uintptr_t diff = 0;
    for (; end - k >= 4; k += 4)
        diff |= (*k[0].slot ^ k[0].ip) | (*k[1].slot ^ k[1].ip) |
                (*k[2].slot ^ k[2].ip) | (*k[3].slot ^ k[3].ip);
    for (; k < end; k++)
        diff |= *k->slot ^ k->ip;
    return diff == 0;
}

static inline unsigned cache_index(uintptr_t ip0, uintptr_t sp0)
{
    uint64_t h = (ip0 ^ (sp0 << 7)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 58);   /* 64 slots */
}

/* The program's innermost frame as the hook sees it: the first return
 * address outside the shim on the frame-pointer chain from the shim's frame
 * fp (the shim is built with frame pointers), and the stack pointer after
 * that return. */
static inline int program_frame(const uintptr_t *fp, uintptr_t *ip0, uintptr_t *sp0)
{
    for (int i = 0; i < 8 && fp; i++) {
        uintptr_t ret = fp[1];
        if (ret < shim_lo || ret >= shim_hi) {
            *ip0 = ret;
            *sp0 = (uintptr_t)(fp + 2);
            return 0;
        }
        const uintptr_t *next = (const uintptr_t *)fp[0];
        if (next <= fp || (uintptr_t)next - (uintptr_t)fp > (1u << 20))
            return -1;
        fp = next;
    }
    return -1;
}

static uint64_t stack_define(struct fp_thread *t, uintptr_t *frames, uint32_t n);

static FP_NOINLINE uint64_t stack_lookup(struct fp_thread *t, uintptr_t *frames, uint32_t n)
{
    struct fp_stack_entry *e;
    HASH_FIND(hh, t->stacks, frames, (size_t)n * sizeof(uintptr_t), e);
    if (FP_LIKELY(e != NULL))
        return e->id;
    return stack_define(t, frames, n);
}

/* Unwind with a cursor, keeping each frame's stack pointer, and fill the
 * cache entry.  Returns the stack id, or 0 to fall back to unw_backtrace. */
static FP_NOINLINE uint64_t cache_fill(struct fp_thread *t, struct stack_cache *c,
                                       uintptr_t ip0, uintptr_t sp0)
{
    unw_context_t uc;
    unw_cursor_t cur;
    if (!getcontext_fn || getcontext_fn(&uc) < 0 || init_local_fn(&cur, &uc) < 0)
        return 0;
    uintptr_t ips[FP_MAX_DEPTH + 1], sps[FP_MAX_DEPTH + 1];
    uint32_t n = 0, depth = fp_config.depth;
    bool in_program = false;
    for (int guard = 0; guard < FP_MAX_DEPTH + 32; guard++) {
        unw_word_t ip, sp;
        if (get_reg_fn(&cur, UNW_REG_IP, &ip) < 0 || get_reg_fn(&cur, UNW_REG_SP, &sp) < 0)
            break;
        if (!in_program && ip >= shim_lo && ip < shim_hi) {
            if (step_fn(&cur) <= 0)
                return 0;
            continue;
        }
        in_program = true;
        ips[n] = ip;
        sps[n] = sp;
        if (++n > depth || step_fn(&cur) <= 0)
            break;
    }
    if (n > depth)
        n = depth;   /* kept one extra frame only to know its slot */
    if (n == 0 || ips[0] != ip0 || sps[0] != sp0)
        return 0;
    /* the return address of frame i+1 sits just below frame i+1's sp; every
     * slot must lie in this thread's stack above sp0, the memory a later
     * check at the same sp0 is sure to find mapped (a walk that crossed to
     * another stack, a fiber's or a signal stack's, is not cached) */
    for (uint32_t i = 0; i + 1 < n; i++) {
        uintptr_t slot = sps[i + 1] - sizeof(uintptr_t);
        if (slot < sp0 || slot + sizeof(uintptr_t) > t->stack_hi ||
            *(uintptr_t *)slot != ips[i + 1])
            return 0;
    }
    uint64_t id = stack_lookup(t, ips, n);
    if (!id)
        return 0;
    if (!c->checks) {
        c->checks = fp_pool_alloc(t->pool, (size_t)fp_config.depth * sizeof(*c->checks));
        if (!c->checks)
            return id;
    }
    for (uint32_t i = 0; i + 1 < n; i++)
        c->checks[i] = (struct stack_check){
            (const uintptr_t *)(sps[i + 1] - sizeof(uintptr_t)), ips[i + 1] };
    c->n = n;
    c->id = id;
    return id;
}

/* A thread's first stacks are walked with unw_step.  unw_backtrace keeps a
 * per-thread trace cache that libunwind maps at its first use in a thread
 * and unmaps when the thread ends (page faults, waits on the mmap lock, and
 * an unmap's TLB shootdown that interrupts every CPU the program runs on):
 * for a short-lived thread that makes few stacks, that was half of what the
 * thread cost.  After STEP_UNWINDS walks the faster unw_backtrace is worth
 * its cache. */
#define STEP_UNWINDS 32

/* ---- generated code.  libunwind steps out of a frame without unwind
 * tables by guessing a frame chain from rbp, which generated code (a JVM's)
 * may use as a plain register; the registers that guess yields then steer
 * the next frame's table-driven step, which reads where they point without
 * checking.  A JVM died of that (SIGSEGV in libunwind, from the SIGTRAP
 * handler, reading a reserved page).  So a walk records a frame in
 * generated code and stops there.  The ranges are appended by the mmap hook
 * and never removed (a range unmapped and reused for data only ends walks
 * early); ranges past the first CODE_RANGES are not kept, and walks go on
 * through them as before.  mprotect with PROT_EXEC adds its range too (a
 * JIT that maps its code writable first and flips it).  Code mapped by a
 * raw system call is not seen. */
#define CODE_RANGES 256
static struct { _Atomic uintptr_t start, end; } code_ranges[CODE_RANGES];
static _Atomic unsigned ncode_ranges;
static _Atomic bool code_mapped;   /* a range came from mmap (HotSpot's code cache) */

/* Whether one kept range holds all of [lo, hi). */
static bool code_covers(uintptr_t lo, uintptr_t hi)
{
    unsigned n = atomic_load_explicit(&ncode_ranges, memory_order_acquire);
    if (FP_LIKELY(n == 0))
        return false;
    if (n > CODE_RANGES)
        n = CODE_RANGES;
    for (unsigned i = 0; i < n; i++) {
        uintptr_t s = atomic_load_explicit(&code_ranges[i].start, memory_order_acquire);
        if (lo >= s && hi <= atomic_load_explicit(&code_ranges[i].end, memory_order_relaxed))
            return true;
    }
    return false;
}

void fp_code_range_add(uintptr_t start, size_t len, bool mapped)
{
    if (mapped)
        atomic_store_explicit(&code_mapped, true, memory_order_relaxed);
    /* a range made executable again (a JIT flipping W^X) is kept once */
    if (code_covers(start, start + len))
        return;
    unsigned i = atomic_fetch_add_explicit(&ncode_ranges, 1, memory_order_relaxed);
    if (i >= CODE_RANGES)
        return;
    atomic_store_explicit(&code_ranges[i].end, start + len, memory_order_relaxed);
    atomic_store_explicit(&code_ranges[i].start, start, memory_order_release);
}

/* Whether hooks should walk with unw_step rather than unw_backtrace: once
 * code was mapped executable (a JVM).  Code made executable by mprotect
 * (V8 flips its pages) does not switch: walking node's stacks with unw_step
 * doubled its time under the shim, and unw_backtrace through them has not
 * failed; the signal handler's walk stops at both kinds. */
static bool any_generated_code(void)
{
    return atomic_load_explicit(&code_mapped, memory_order_relaxed);
}

static bool in_generated_code(uintptr_t ip)
{
    return code_covers(ip, ip + 1);
}

/* Up to max frames from a cursor started at uc; -1 when it cannot start. */
static int cursor_walk(unw_context_t *uc, void **ips, int max)
{
    unw_cursor_t cur;
    if (!init_local_fn || !step_fn || !get_reg_fn || init_local_fn(&cur, uc) < 0)
        return -1;
    int n = 0;
    do {
        unw_word_t ip;
        if (get_reg_fn(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        ips[n++] = (void *)ip;
        if (in_generated_code(ip))
            break;
    } while (n < max && step_fn(&cur) > 0);
    return n;
}

static FP_NOINLINE int step_backtrace(void **ips, int max)
{
    unw_context_t uc;
    if (!getcontext_fn || getcontext_fn(&uc) < 0)
        return -1;
    return cursor_walk(&uc, ips, max);
}

/* The id of a walk's frames past the shim's own, at most depth of them. */
static uint64_t program_stack_id(struct fp_thread *t, void **ips, int n)
{
    int skip = 0;
    while (skip < n && (uintptr_t)ips[skip] >= shim_lo && (uintptr_t)ips[skip] < shim_hi)
        skip++;
    int keep = n - skip;
    if (keep > (int)fp_config.depth)
        keep = (int)fp_config.depth;
    if (keep <= 0)
        return 0;
    return stack_lookup(t, (uintptr_t *)(ips + skip), (uint32_t)keep);
}

static uint64_t backtrace_id(struct fp_thread *t)
{
    void *ips[FP_MAX_DEPTH + 16];
    t->walks++;
    struct fp_unw_walk w;
    fp_unw_enter(&w, false);
    int n = -1;
    /* unw_backtrace steps past generated code: once code was mapped, walk */
    if (t->unwinds < STEP_UNWINDS || any_generated_code()) {
        t->unwinds++;
        n = step_backtrace(ips, (int)fp_config.depth + 16);
    }
    if (n < 0)
        n = unw_backtrace_fn(ips, (int)fp_config.depth + 16);
    fp_unw_leave(&w);
    return program_stack_id(t, ips, n);
}

/* ---- unwinding on the recorder's own stack, for a hook called on a stack
 * that may not have the room (side_stack.c): the context is taken here, on
 * the caller's stack, into the side stack's context area; the walk from it
 * runs on the side stack and reads the caller's frames, which stay as
 * they are until it returns. */
struct side_walk {
    struct fp_thread *t;
    unw_context_t *uc;
};

static uint64_t side_walk(void *arg)
{
    struct side_walk *w = arg;
    void *ips[FP_MAX_DEPTH + 16];
    struct fp_unw_walk uw;      /* here: the signal set is no load for a full stack */
    fp_unw_enter(&uw, false);
    int n = cursor_walk(w->uc, ips, (int)fp_config.depth + 16);
    fp_unw_leave(&uw);
    return program_stack_id(w->t, ips, n);
}

static FP_NOINLINE uint64_t side_stack_id(struct fp_thread *t)
{
    unw_context_t *uc = fp_side_ctx(t);
    if (!uc || !getcontext_fn)
        return 0;
    uint64_t id = 0;
    fp_internal++;
    if (getcontext_fn(uc) == 0) {
        struct side_walk w = { t, uc };
        id = fp_side_call(t, side_walk, &w, false);
    }
    fp_internal--;
    return id;
}

/* Whether fills pay.  A fill walks with unw_step, several times the cost
 * of unw_backtrace's cached frame recipes; it pays when its entry is hit a
 * few times before it is evicted or its stack changes.  A program with more
 * hot keys than slots (a compiler's deep recursion: cc1plus averaged 1.2
 * hits a fill, and its compile ran faster with no cache at all) evicts
 * first: there each key must be seen more often in a row before it is
 * filled, the count doubling (up to 64) while fills bring fewer than 4 hits
 * each, and halving (down to 1, a key's second sighting) while they bring
 * more than 16.  Judged every FILL_WINDOW fills. */
#define FILL_WINDOW 256
#define FILL_AFTER_MAX 64

static inline void fill_paid(struct fp_thread *t)
{
    if (FP_LIKELY(++t->fill_fills < FILL_WINDOW))
        return;
    if (t->fill_hits < 4 * FILL_WINDOW && t->fill_after < FILL_AFTER_MAX)
        t->fill_after *= 2;
    else if (t->fill_hits > 16 * FILL_WINDOW && t->fill_after > 1)
        t->fill_after /= 2;
    t->cache_fills += t->fill_fills;
    t->cache_hits += t->fill_hits;
    t->fill_fills = t->fill_hits = 0;
}

/* How the thread's stacks were found: the cache's hits and fills, the walks
 * past it, and the sightings a key needed last (faultprof-trace(5)). */
void fp_write_stack_note(struct fp_thread *t)
{
    char v[96];
    snprintf(v, sizeof(v), "hits %llu fills %llu walks %llu fill_after %u",
             (unsigned long long)(t->cache_hits + t->fill_hits),
             (unsigned long long)(t->cache_fills + t->fill_fills),
             (unsigned long long)t->walks, t->fill_after);
    fp_write_note(t, "stack_cache", v);
}

uint64_t fp_stack_id(struct fp_thread *t)
{
    return fp_stack_id_from(t, __builtin_frame_address(0));
}

/* A key that missed the cache, or whose entry no longer holds: a walk,
 * and a fill when fills pay (out of line: the hit path needs no saved
 * registers). */
static FP_NOINLINE uint64_t stack_id_miss(struct fp_thread *t, struct stack_cache *c,
                                          uintptr_t ip0, uintptr_t sp0)
{
    if (c->ip0 == ip0 && c->sp0 == sp0) {
        if (c->id == 0 && c->fails == 0 && ++c->seen <= t->fill_after)
            return backtrace_id(t);
        /* A key whose stacks keep changing (recursion, one leaf under many
         * callers at the same depth) would pay the slot-finding unwind every
         * time: give it plain unwinding, and look again now and then. */
        if (++c->fails >= 4 && c->fails > c->hits / 8) {
            if (c->fails > 4096)
                c->fails = c->hits = 0;
            return backtrace_id(t);
        }
        fill_paid(t);
        struct fp_unw_walk w;
        fp_unw_enter(&w, false);
        uint64_t id = cache_fill(t, c, ip0, sp0);
        fp_unw_leave(&w);
        if (id)
            return id;
        c->id = 0;
        return backtrace_id(t);
    }
    c->hits = c->fails = 0;
    c->seen = 1;
    c->ip0 = ip0;
    c->sp0 = sp0;
    c->id = 0;
    return backtrace_id(t);
}

uint64_t fp_stack_id_from(struct fp_thread *t, const void *frame)
{
    if (FP_UNLIKELY(!unw_backtrace_fn || fp_config.depth == 0))
        return 0;
    if (FP_UNLIKELY(fp_side_wanted(t)))
        return side_stack_id(t);
    uintptr_t ip0, sp0;
    if (FP_UNLIKELY(!t->cache || program_frame(frame, &ip0, &sp0) < 0 ||
                    sp0 < t->stack_lo || sp0 >= t->stack_hi))
        return backtrace_id(t);
    struct stack_cache *c = &t->cache[cache_index(ip0, sp0)];
    if (FP_LIKELY(c->ip0 == ip0 && c->sp0 == sp0 && c->id != 0) && FP_LIKELY(cache_valid(c))) {
        c->hits++;
        t->fill_hits++;
        return c->id;
    }
    return stack_id_miss(t, c, ip0, sp0);
}

/* From a signal handler: the callers of the interrupted function.  The
 * interrupted instruction can be anywhere (a prologue, a leaf without a
 * frame), where unw_backtrace's fast frame recipes guess and may read wild
 * memory; a cursor started from the signal context steps by the DWARF
 * unwind tables with libunwind's address checks instead.  Slower, and only
 * paid once per sample. */
uint64_t fp_stack_id_callers(struct fp_thread *t, void *ucontext)
{
    if (!init_local2_fn || !step_fn || !get_reg_fn || fp_config.depth == 0)
        return 0;
    uintptr_t ips[FP_MAX_DEPTH];
    uint32_t n = 0;
    unw_cursor_t cur;
    struct fp_unw_walk w;
    fp_unw_enter(&w, true);     /* the fault handler: every signal blocked */
    unw_word_t ip;
    if (init_local2_fn(&cur, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) == 0 &&
        get_reg_fn(&cur, UNW_REG_IP, &ip) == 0 && !in_generated_code(ip)) {
        /* the first frame is the faulting function: its ip is recorded apart */
        while (n < fp_config.depth && step_fn(&cur) > 0) {
            if (get_reg_fn(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
                break;
            ips[n++] = ip;
            if (in_generated_code(ip))
                break;     /* see cursor_walk */
        }
    }
    fp_unw_leave(&w);
    return n ? stack_lookup(t, ips, n) : 0;
}

void fp_stacks_reset(struct fp_thread *t)
{
    t->stacks = NULL;
    if (t->pool) {
        fp_pool_reset(t->pool);
    } else {
        t->pool = fp_perm_alloc(sizeof(*t->pool));
        if (t->pool)
            memset(t->pool, 0, sizeof(*t->pool));
    }
    t->cache = t->pool ? fp_pool_alloc(t->pool, CACHE_SLOTS * sizeof(struct stack_cache)) : NULL;
    if (t->cache)
        memset(t->cache, 0, CACHE_SLOTS * sizeof(struct stack_cache));
    t->fill_after = 1;
    t->fill_fills = t->fill_hits = 0;
    t->cache_fills = t->cache_hits = t->walks = 0;
    fp_sites_reset(t);
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

    struct fp_rec_stack x = { .id = e->id, .frames = { n, (uint64_t *)e->frames } };
    fp_put_stack(t, &x, 0);
    return e->id;
}
