/* The malloc family.  Each hook calls the next allocator (glibc's, or
 * jemalloc/mimalloc/tcmalloc preloaded after us) with the guard set, so the
 * allocator's own mmaps are not taken for the program's, then appends one
 * record.  A free is recorded before the block is released and an
 * allocation after it is made, so the times of two calls that hand the same
 * address from one thread to another are always in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>

#include "fp.h"
#include "self_heap.h"

/* ---- bootstrap: dlsym may allocate before the real malloc is known */
static uint8_t boot_area[64 * 1024] __attribute__((aligned(64)));
static _Atomic size_t boot_used;

static void *boot_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    for (;;) {
        size_t used = atomic_load(&boot_used);
        size_t at = (used + align - 1) & ~(align - 1);
        if (at + n > sizeof(boot_area))
            return NULL;
        if (atomic_compare_exchange_weak(&boot_used, &used, at + n))
            return memset(boot_area + at, 0, n);
    }
}

static inline bool is_boot(const void *p)
{
    return (const uint8_t *)p >= boot_area && (const uint8_t *)p < boot_area + sizeof(boot_area);
}

/* a call that met the guard: the recorder's callee, or a signal handler */
static inline void *guarded(void *p, const void *ra)
{
    return internal_if(p, fp_count_dropped(ra));
}
#define GUARDED(p) guarded((p), __builtin_return_address(0))

/* true when the real functions are there to call */
static inline bool real_ready(void)
{
    if (FP_LIKELY(fp_real.malloc != NULL))
        return true;
    fp_resolve();              /* returns at once when already under way */
    return __atomic_load_n(&fp_real.malloc, __ATOMIC_ACQUIRE) != NULL;
}

static inline unsigned mmapped_flag(const void *p)
{
    /* glibc chunk header: the size word before the block, bit 1 IS_MMAPPED */
    if (!fp_config.ptmalloc || !p)
        return 0;
    return (((const size_t *)p)[-1] & 2) ? FP_ALLOC_MMAPPED : 0;
}

/* sampled mode: the record stands for others; its block is remembered so
 * its free is recorded too; the counts go out with it */
static inline unsigned sampled_flag(struct fp_thread *t, void *p)
{
    if (FP_LIKELY(!fp_config.sample_bytes))
        return 0;
    fp_sampled_add(p);
    fp_write_counts(t, fp_now_ns());     /* now may be fp_now_event's */
    return FP_ALLOC_SAMPLED;
}

/* frame: the hook's (fp_stack_id_from) */
static inline __attribute__((always_inline)) void write_alloc(struct fp_thread *t, unsigned func, size_t size,
                                    void *p, size_t align, const void *frame)
{
    not_internal(p);
    uint64_t now = fp_now_event(t);
    unsigned flags = mmapped_flag(p) | sampled_flag(t, p);
    uint64_t sid = fp_stack_id_from(t, frame);
    struct fp_rec_alloc x = {
        .func = func, .flags = flags, .size = size, .addr = (uintptr_t)p, .stack = sid,
        .align = align,
    };
    fp_put_alloc_event(t, &x, now);
    fp_write_break(t);
    fp_write_rusage(t, now, false);
}

static inline __attribute__((always_inline)) void write_free(struct fp_thread *t, void *p)
{
    struct fp_rec_free x = { .flags = mmapped_flag(p), .addr = (uintptr_t)p };
    uint64_t now = x.flags ? fp_now_ns() : fp_now_event(t);   /* a full FREE: its own time */
    fp_put_free_event(t, &x, now);
    fp_write_break(t);   /* glibc may trim the heap after the free, but a
                                 trim before it shows here, not later */
    fp_write_rusage(t, now, false);
}

static FP_NOINLINE void write_realloc(struct fp_thread *t, unsigned func, void *old,
                                      size_t size, void *p)
{
    not_internal(p);
    uint64_t now = fp_now_ns();
    unsigned flags = mmapped_flag(p) | (p ? sampled_flag(t, p) : 0);
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_realloc x = {
        .func = func, .flags = flags, .old_addr = (uintptr_t)old, .size = size,
        .new_addr = (uintptr_t)p, .stack = sid,
    };
    fp_put_realloc(t, &x, now);
    fp_write_break(t);
    fp_write_rusage(t, now, false);
}

/* The real call runs outside the recorder, marked by fp_in_alloc so that an
 * allocator's own mmaps are not taken for the program's; then the record.
 * A signal handler that allocates while the real call runs is recorded; one
 * that interrupts the recorder itself passes through and is counted. */
#define REAL(expr) ({ fp_alloc_sp = (uintptr_t)__builtin_frame_address(0);                \
                      atomic_signal_fence(memory_order_seq_cst); fp_in_alloc++;            \
                      __typeof__(expr) r_ = (expr); fp_in_alloc--; r_; })

/* The recording half of alloc_done, out of line: the sampled-mode skip
 * then runs in the hook itself without this half's register saves.
 * counted: the sampled fast path has already counted the call. */
static FP_NOINLINE void alloc_done_slow(unsigned func, size_t n, void *p, size_t align,
                                        bool counted, const void *frame)
{
    struct fp_thread *t = fp_enter();
    if (FP_LIKELY(t != NULL)) {
        int e = *t->errno_p;
        if (fp_config.sample_bytes && p && !counted) {
            t->c_allocs++;          /* a thread's first call: sampled */
            t->c_bytes += n;
        }
        write_alloc(t, func, n, p, align, frame);
        fp_leave(t);
        *t->errno_p = e;
    }
}

/* After a real call that may have made a block: count it (sampled mode),
 * or record it. */
static inline __attribute__((always_inline)) void alloc_done(unsigned func, size_t n, void *p,
                                                             size_t align)
{
    bool counted = false;
    if (FP_UNLIKELY(fp_config.sample_bytes != 0) && p) {
        struct fp_thread *s = fp_self;
        if (s && atomic_load_explicit(&fp_state, memory_order_relaxed) == FP_READY) {
            if (fp_sample_skip(s, n))
                return;
            counted = true;
        }
    }
    /* inlined: the frame is the hook's */
    alloc_done_slow(func, n, p, align, counted, __builtin_frame_address(0));
}

/* paused (control.c): straight to the next allocator */
static inline bool paused(void)
{
    return FP_UNLIKELY(atomic_load_explicit(&fp_state, memory_order_relaxed) == FP_PAUSED) &&
           !fp_guarded();
}

FP_EXPORT void *malloc(size_t n)
{
    if (paused())
        return fp_real.malloc(n);
    if (fp_guarded()) {
        bool ours = fp_count_dropped(__builtin_return_address(0));
        void *p = ours ? own_alloc(n, false) : NULL;
        return p ? p : internal_if(real_ready() ? fp_real.malloc(n) : boot_alloc(n, 16), ours);
    }
    void *p = real_ready() ? REAL(fp_real.malloc(n)) : boot_alloc(n, 16);
    alloc_done(FP_FUNC_MALLOC, n, p, 0);
    return p;
}

/* sampled mode: a free of a block that was not sampled is only counted */
static inline bool free_counted_only(void *p)
{
    if (FP_LIKELY(!fp_config.sample_bytes))
        return false;
    struct fp_thread *t = fp_self;
    if (!t || atomic_load_explicit(&fp_state, memory_order_relaxed) != FP_READY)
        return false;
    t->c_frees++;
    return !fp_sampled_maybe(p) || !fp_sampled_take(p);
}

FP_EXPORT void free(void *p)
{
    if (FP_UNLIKELY(p == NULL || is_boot(p)))
        return;
    if (FP_UNLIKELY(is_own(p))) {
        if (fp_guarded())
            fp_count_dropped(__builtin_return_address(0));
        own_free(p);
        return;
    }
    if (paused()) {
        fp_real.free(p);
        return;
    }
    if (fp_guarded()) {
        fp_count_dropped(__builtin_return_address(0));
        is_internal(p);          /* ours, freed by ourselves: forget it */
    } else if (!is_internal(p) && !free_counted_only(p)) {
        /* recorded before the block can be handed out again */
        struct fp_thread *t = fp_enter();
        if (FP_LIKELY(t != NULL)) {
            int e = *t->errno_p;
            write_free(t, p);
            fp_leave(t);
            *t->errno_p = e;
        }
    }
    if (real_ready()) {
        fp_in_alloc++;
        fp_real.free(p);
        fp_in_alloc--;
    }
}

FP_EXPORT void *calloc(size_t n, size_t m)
{
    size_t total;
    bool over = __builtin_mul_overflow(n, m, &total);
    if (!real_ready())
        return over ? NULL : boot_alloc(total, 16);
    if (fp_guarded()) {
        bool ours = fp_count_dropped(__builtin_return_address(0));
        void *p = ours && !over ? own_alloc(total, true) : NULL;
        return p ? p : internal_if(fp_real.calloc(n, m), ours);
    }
    void *p = REAL(fp_real.calloc(n, m));
    alloc_done(FP_FUNC_CALLOC, over ? SIZE_MAX : total, p, 0);
    return p;
}

/* realloc of a bootstrap block: move it into the real heap */
static void *boot_realloc(void *old, size_t n)
{
    void *p = malloc(n);
    if (p && old) {
        size_t avail = (size_t)(boot_area + sizeof(boot_area) - (uint8_t *)old);
        memcpy(p, old, n < avail ? n : avail);
    }
    return p;
}

/* realloc of a block of the recorder's own heap: it stays in place when it
 * fits; else the new block comes from malloc (ours again inside the
 * recorder) and the old one goes back. */
static void *own_realloc(void *old, size_t n)
{
    size_t have = own_usable(old);
    if (n == 0) {
        own_free(old);
        return NULL;
    }
    if (n <= have)
        return old;
    void *p = malloc(n);
    if (p) {
        memcpy(p, old, have);
        own_free(old);
    }
    return p;
}

/* After a realloc: in sampled mode a resize that is not sampled needs a
 * record only when the old block was (its free). */
static inline void realloc_done(unsigned func, void *old, size_t n, void *p)
{
    if (FP_UNLIKELY(fp_config.sample_bytes != 0)) {
        struct fp_thread *s = fp_self;
        if (s && atomic_load_explicit(&fp_state, memory_order_relaxed) == FP_READY) {
            bool freed = old && (p || n == 0);
            bool old_sampled = old && fp_sampled_take(old);
            if (old_sampled && !freed) {
                /* failed: still live.  Inside the recorder, since adding
                 * may take the set's lock */
                struct fp_thread *t = fp_enter();
                fp_sampled_add(old);
                if (t)
                    fp_leave(t);
            }
            if (freed)
                s->c_frees++;
            if (!p || fp_sample_skip(s, n)) {
                if (old_sampled && freed) {
                    struct fp_thread *t = fp_enter();
                    if (t) {
                        int e = errno;
                        write_free(t, old);
                        fp_leave(t);
                        errno = e;
                    }
                }
                return;
            }
        }
    }
    struct fp_thread *t = fp_enter();
    if (FP_LIKELY(t != NULL)) {
        int e = errno;
        write_realloc(t, func, old, n, p);
        fp_leave(t);
        errno = e;
    }
}

FP_EXPORT void *realloc(void *old, size_t n)
{
    if (FP_UNLIKELY(is_boot(old)))
        return boot_realloc(old, n);
    if (FP_UNLIKELY(is_own(old)))
        return own_realloc(old, n);
    if (!real_ready())
        return boot_alloc(n, 16);
    if (fp_guarded()) {
        bool ours = fp_count_dropped(__builtin_return_address(0));
        void *p = !old && ours ? own_alloc(n, false) : NULL;
        if (p)
            return p;
        if (old)
            is_internal(old);
        return internal_if(fp_real.realloc(old, n), ours);
    }
    void *p = REAL(fp_real.realloc(old, n));
    realloc_done(FP_FUNC_REALLOC, old, n, p);
    return p;
}

/* reallocarray is realloc with an overflow check.  glibc's calls realloc
 * through the PLT, which would reach our realloc hook a second time: do the
 * check here and call the next realloc once. */
static void *call_reallocarray(void *old, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return fp_real.realloc(old, total);
}

FP_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
    size_t total;
    bool over = __builtin_mul_overflow(n, m, &total);
    if (FP_UNLIKELY(is_boot(old) || is_own(old) || !real_ready())) {
        if (over) {
            errno = ENOMEM;
            return NULL;
        }
        return is_boot(old) ? boot_realloc(old, total)
               : is_own(old) ? own_realloc(old, total) : boot_alloc(total, 16);
    }
    if (fp_guarded())
        return GUARDED(call_reallocarray(old, n, m));
    void *p = REAL(call_reallocarray(old, n, m));
    realloc_done(FP_FUNC_REALLOCARRAY, old, over ? SIZE_MAX : total, p);
    return p;
}

FP_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!real_ready()) {
        void *p = boot_alloc(n, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    if (fp_guarded()) {
        fp_count_dropped(__builtin_return_address(0));
        return fp_real.posix_memalign(out, align, n);
    }
    int rc = REAL(fp_real.posix_memalign(out, align, n));
    alloc_done(FP_FUNC_POSIX_MEMALIGN, n, rc == 0 ? *out : NULL, align);
    return rc;
}

/* aligned_alloc, memalign, valloc and pvalloc differ only in the call */
#define ALIGNED_HOOK(name, FUNC, params, args, size_expr, align_expr)        \
    FP_EXPORT void *name params                                             \
    {                                                                       \
        if (!real_ready())                                                  \
            return boot_alloc(size_expr, align_expr);                       \
        if (fp_guarded())                                          \
            return GUARDED(fp_real.name args);                              \
        void *p = REAL(fp_real.name args);                                  \
        alloc_done(FP_FUNC_##FUNC, size_expr, p, align_expr);               \
        return p;                                                           \
    }

ALIGNED_HOOK(aligned_alloc, ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n, align)
ALIGNED_HOOK(memalign, MEMALIGN, (size_t align, size_t n), (align, n), n, align)
ALIGNED_HOOK(valloc, VALLOC, (size_t n), (n), n, (size_t)getpagesize())
ALIGNED_HOOK(pvalloc, PVALLOC, (size_t n), (n), n, (size_t)getpagesize())
