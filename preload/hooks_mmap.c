/* The program's own mmap, munmap, mremap, madvise, mprotect, brk and sbrk.
 * glibc's malloc reaches the kernel through internal calls these hooks never
 * see; what it does to the program break shows up as HEAP_BREAK records
 * instead.  Another allocator's madvise (jemalloc's and mimalloc's purges go
 * through the PLT) is recorded too, flagged: it is how their memory goes
 * back to the kernel. */
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fp.h"

extern void *__curbrk;

static void *pass_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!fp_real.mmap)
        fp_resolve();
    return fp_real.mmap(addr, len, prot, flags, fd, off);
}

/* The program's own call, to record?  Not an allocator's (fp_in_alloc), and
 * not one a signal handler made inside the recorder (counted as dropped).
 * The real call then runs outside the recorder, like the malloc family's. */
static inline __attribute__((always_inline)) bool program_call(void)
{
    if (fp_allocating() || fp_from_unwinder(__builtin_return_address(0)))
        return false;
    if (fp_guarded()) {
        fp_count_dropped(__builtin_return_address(0));
        return false;
    }
    return true;
}

static inline void note_code(void *p, size_t len, int prot, int flags)
{
    if (FP_UNLIKELY((prot & PROT_EXEC) && (flags & MAP_ANONYMOUS)) && p != MAP_FAILED)
        fp_code_range_add((uintptr_t)p, len, true);
}

struct mmap_write {
    struct fp_thread *t;
    struct fp_rec_mmap *x;
    uint64_t now;
    int fd;
};

/* On the recorder's stack (a path takes up to 4 KiB): the file behind fd
 * (readlink of /proc/self/fd/N, a syscall), then the record. */
static uint64_t put_file_mmap(void *arg)
{
    const struct mmap_write *w = arg;
    char link[32] = "/proc/self/fd/", path[4096];
    char digits[12];
    int n = 0;
    for (unsigned v = (unsigned)w->fd; n == 0 || v; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    size_t k = 14;
    while (n)
        link[k++] = digits[--n];
    link[k] = 0;
    long len = syscall(SYS_readlink, link, path, sizeof(path));
    if (len > 0)
        w->x->path = (struct fp_str){ path, (uint32_t)len };
    fp_put_mmap(w->t, w->x, w->now);
    return 1;
}

FP_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (FP_UNLIKELY(!program_call())) {
        void *q = pass_mmap(addr, len, prot, flags, fd, off);
        note_code(q, len, prot, flags);
        return q;
    }
    void *p = pass_mmap(addr, len, prot, flags, fd, off);
    int e = errno;
    note_code(p, len, prot, flags);
    struct fp_thread *t = fp_enter();
    if (FP_UNLIKELY(!t))
        return p;
    uint64_t now = fp_now_ns();
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_mmap x = {
        .addr = (uintptr_t)addr, .length = len, .prot = (unsigned)prot,
        .flags = (unsigned)flags, .fd = fd, .offset = (uint64_t)off, .result = (uintptr_t)p,
        .err = p == MAP_FAILED ? (unsigned)e : 0, .stack = sid,
    };
    struct mmap_write w = { t, &x, now, fd };
    if (fd < 0 || (flags & MAP_ANONYMOUS) || p == MAP_FAILED ||
        !fp_side_call(t, put_file_mmap, &w, false))
        fp_put_mmap(t, &x, now);
    fp_write_rusage(t, now, false);
    fp_leave(t);
    errno = e;
    return p;
}

FP_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

FP_EXPORT int munmap(void *addr, size_t len)
{
    if (!fp_real.munmap)
        fp_resolve();
    if (FP_UNLIKELY(!program_call()))
        return fp_real.munmap(addr, len);
    /* like free: timed before the range can be handed out again */
    uint64_t now = fp_now_ns();
    int rc = fp_real.munmap(addr, len);
    int e = errno;
    struct fp_thread *t = fp_enter();
    if (FP_UNLIKELY(!t)) {
        errno = e;
        return rc;
    }
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_munmap x = {
        .addr = (uintptr_t)addr, .length = len, .err = rc != 0 ? (unsigned)e : 0, .stack = sid,
    };
    fp_put_munmap(t, &x, now);
    fp_write_rusage(t, now, false);
    fp_leave(t);
    errno = e;
    return rc;
}

FP_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *want = NULL;
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    if (!fp_real.mremap)
        fp_resolve();
    if (FP_UNLIKELY(!program_call()))
        return fp_real.mremap(old, old_len, new_len, flags, want);
    void *p = fp_real.mremap(old, old_len, new_len, flags, want);
    int e = errno;
    struct fp_thread *t = fp_enter();
    if (FP_UNLIKELY(!t)) {
        errno = e;
        return p;
    }
    uint64_t now = fp_now_ns();
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_mremap x = {
        .old_addr = (uintptr_t)old, .old_length = old_len, .new_length = new_len,
        .flags = (unsigned)flags, .new_addr = (uintptr_t)want, .result = (uintptr_t)p,
        .err = p == MAP_FAILED ? (unsigned)e : 0, .stack = sid,
    };
    fp_put_mremap(t, &x, now);
    fp_write_rusage(t, now, false);
    fp_leave(t);
    errno = e;
    return p;
}

/* fp_enter for a call made inside the allocator: never waits at a closed
 * fork gate (the forking thread's atfork handler may want the allocator
 * lock this thread holds) and never registers a thread; NULL: pass. */
static inline struct fp_thread *enter_in_allocator(void)
{
    struct fp_thread *t = fp_self;
    if (fp_guarded() || !t ||
        atomic_load_explicit(&fp_state, memory_order_relaxed) != FP_READY)
        return NULL;
    fp_guard_enter();
    atomic_store_explicit(&t->in_shim, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&fp_fork_gate, memory_order_seq_cst)) {
        fp_leave(t);
        return NULL;
    }
    return t;
}

FP_EXPORT int madvise(void *addr, size_t len, int advice)
{
    if (!fp_real.madvise)
        fp_resolve();
    const void *ra = __builtin_return_address(0);
    bool by_alloc = fp_allocating();
    if (FP_UNLIKELY(fp_from_unwinder(ra)))
        return fp_real.madvise(addr, len, advice);
    if (FP_UNLIKELY(!by_alloc && fp_guarded())) {
        fp_count_dropped(ra);
        return fp_real.madvise(addr, len, advice);
    }
    /* like munmap: timed before the pages can fault again */
    uint64_t now = fp_now_ns();
    int rc = fp_real.madvise(addr, len, advice);
    int e = errno;
    struct fp_thread *t = by_alloc ? enter_in_allocator() : fp_enter();
    if (FP_UNLIKELY(!t)) {
        errno = e;
        return rc;
    }
    /* the allocator's own: its caller's stack would name the program's
     * malloc or free, which the ALLOC and FREE records already do */
    uint64_t sid = by_alloc ? 0 : fp_stack_id(t);
    struct fp_rec_madvise x = {
        .addr = (uintptr_t)addr, .length = len, .advice = (unsigned)advice,
        .flags = by_alloc ? FP_MADV_BY_ALLOCATOR : 0, .err = rc != 0 ? (unsigned)e : 0,
        .stack = sid,
    };
    fp_put_madvise(t, &x, now);
    if (!by_alloc)
        fp_write_rusage(t, now, false);
    fp_leave(t);
    errno = e;
    return rc;
}

FP_EXPORT int mprotect(void *addr, size_t len, int prot)
{
    if (!fp_real.mprotect)
        fp_resolve();
    if (FP_UNLIKELY(!program_call())) {
        int r = fp_real.mprotect(addr, len, prot);
        if (r == 0 && (prot & PROT_EXEC))
            fp_code_range_add((uintptr_t)addr, len, false);
        return r;
    }
    uint64_t now = fp_now_ns();
    int rc = fp_real.mprotect(addr, len, prot);
    int e = errno;
    if (rc == 0 && (prot & PROT_EXEC))
        fp_code_range_add((uintptr_t)addr, len, false);   /* a JIT's W^X flip */
    struct fp_thread *t = fp_enter();
    if (FP_UNLIKELY(!t)) {
        errno = e;
        return rc;
    }
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_mprotect x = {
        .addr = (uintptr_t)addr, .length = len, .prot = (unsigned)prot,
        .err = rc != 0 ? (unsigned)e : 0, .stack = sid,
    };
    fp_put_mprotect(t, &x, now);
    fp_write_rusage(t, now, false);
    fp_leave(t);
    errno = e;
    return rc;
}

static void write_brk(struct fp_thread *t, unsigned func, int64_t arg, uintptr_t old_brk, int err)
{
    uint64_t now = fp_now_ns();
    uint64_t sid = fp_stack_id(t);
    struct fp_rec_brk x = {
        .func = func, .arg = fp_brk_arg_encode(func, arg), .old_break = old_brk,
        .new_break = (uintptr_t)__curbrk, .err = (unsigned)err, .stack = sid,
    };
    fp_put_brk(t, &x, now);
    fp_write_break(t);
}

FP_EXPORT int brk(void *addr)
{
    if (!fp_real.brk)
        fp_resolve();
    if (FP_UNLIKELY(!program_call()))
        return fp_real.brk(addr);
    uintptr_t old = (uintptr_t)__curbrk;
    int rc = fp_real.brk(addr);
    int e = errno;
    struct fp_thread *t = fp_enter();
    if (t) {
        write_brk(t, FP_BRK_BRK, (int64_t)(uintptr_t)addr, old, rc != 0 ? e : 0);
        fp_leave(t);
    }
    errno = e;
    return rc;
}

FP_EXPORT void *sbrk(intptr_t incr)
{
    if (!fp_real.sbrk)
        fp_resolve();
    if (incr == 0 || FP_UNLIKELY(!program_call()))   /* sbrk(0) is a query */
        return fp_real.sbrk(incr);
    uintptr_t old = (uintptr_t)__curbrk;
    void *p = fp_real.sbrk(incr);
    int e = errno;
    struct fp_thread *t = fp_enter();
    if (t) {
        write_brk(t, FP_BRK_SBRK, (int64_t)incr, old, p == (void *)-1 ? e : 0);
        fp_leave(t);
    }
    errno = e;
    return p;
}
