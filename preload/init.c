/* Start-up and shut-down of the recorder: resolving the real functions,
 * reading FAULTPROF_* settings, opening the trace, and the process totals
 * written at the end.  Threads come and go in threads.c. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fp.h"

struct fp_real fp_real;
struct fp_config fp_config = {
    .depth = 64, .rusage_every = 64, .buffer_bytes = 64 * 1024,
    .flush_ns = 1000ull * 1000 * 1000, .follow = true,
};
_Atomic int fp_state;
bool fp_is_fork_child;
FP_TLS struct fp_thread *fp_self;
FP_TLS int fp_guard;
FP_TLS int fp_in_alloc;
FP_TLS uintptr_t fp_guard_sp;
FP_TLS uintptr_t fp_alloc_sp;
FP_TLS int fp_internal;
_Atomic uint64_t fp_dropped;

static _Atomic uintptr_t last_break;
extern void *__curbrk;   /* glibc's record of the program break */

static void resolve_one(void **slot, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (p)
        *slot = p;
}

#define RESOLVE(field) resolve_one((void **)&tmp.field, #field)

/* Runs once, possibly from the first malloc of the process (before our
 * constructor).  dlsym may itself allocate: until fp_real.malloc is
 * published (last), hooks serve those calls from a static bootstrap area
 * (hooks_malloc.c). */
void fp_resolve(void)
{
    static _Atomic int once;
    if (atomic_exchange(&once, 1))
        return;
    struct fp_real tmp;
    memset(&tmp, 0, sizeof(tmp));
    int saved = fp_guard;
    fp_guard = 1;
    RESOLVE(malloc); RESOLVE(calloc); RESOLVE(realloc);
    RESOLVE(free); RESOLVE(posix_memalign); RESOLVE(aligned_alloc);
    RESOLVE(memalign); RESOLVE(valloc); RESOLVE(pvalloc);
    RESOLVE(mmap); RESOLVE(munmap); RESOLVE(mremap); RESOLVE(brk); RESOLVE(sbrk);
    RESOLVE(fork); RESOLVE(_exit); RESOLVE(_Exit); RESOLVE(abort);
    RESOLVE(execve); RESOLVE(execvpe); RESOLVE(fexecve); RESOLVE(execveat);
    RESOLVE(dlopen); RESOLVE(dlmopen); RESOLVE(dlclose);
    RESOLVE(pthread_create);
    /* glibc's malloc is the one whose chunk headers can be read */
    void *libc_malloc = dlsym(RTLD_DEFAULT, "__libc_malloc");
    fp_config.ptmalloc = libc_malloc && libc_malloc == (void *)tmp.malloc;
    void *(*real_malloc)(size_t) = tmp.malloc;
    tmp.malloc = NULL;
    fp_real = tmp;
    __atomic_store_n(&fp_real.malloc, real_malloc, __ATOMIC_RELEASE);
    fp_guard = saved;
}

static unsigned long env_ulong(const char *name, unsigned long def, unsigned long lo,
                               unsigned long hi)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fp_warn("ignoring %s=%s (expected a number from %lu to %lu)", name, s, lo, hi);
        return def;
    }
    return v;
}

static void read_config(void)
{
    fp_config.depth = (unsigned)env_ulong("FAULTPROF_DEPTH", 64, 0, FP_MAX_DEPTH);
    fp_config.rusage_every = (unsigned)env_ulong("FAULTPROF_RUSAGE_EVERY", 64, 0, 1u << 30);
    fp_config.buffer_bytes = env_ulong("FAULTPROF_BUFFER_KB", 64, 16, 64 * 1024) * 1024;
    fp_config.flush_ns = env_ulong("FAULTPROF_FLUSH_MS", 1000, 1, 3600u * 1000) * 1000000ull;
    fp_config.sample_bytes = env_ulong("FAULTPROF_SAMPLE_BYTES", 0, 0, 1ul << 40);
    const char *f = getenv("FAULTPROF_FOLLOW");
    fp_config.follow = !(f && strcmp(f, "0") == 0);
}

/* --no-follow: take libfaultprof.so out of LD_PRELOAD so that no program
 * started from here (exec, posix_spawn, system) is traced. */
static void strip_preload(void)
{
    const char *cur = getenv("LD_PRELOAD");
    if (!cur)
        return;
    char buf[4096];
    size_t n = 0;
    const char *s = cur;
    while (*s) {
        size_t len = strcspn(s, ": ");
        if (len > 0 && !(len >= 16 && memmem(s, len, "libfaultprof.so", 15))) {
            if (n && n + 1 < sizeof(buf)) buf[n++] = ':';
            if (n + len < sizeof(buf)) { memcpy(buf + n, s, len); n += len; }
        }
        s += len;
        while (*s == ':' || *s == ' ') s++;
    }
    buf[n] = 0;
    if (n == 0)
        unsetenv("LD_PRELOAD");
    else
        setenv("LD_PRELOAD", buf, 1);
}

/* The code range of the loaded object that contains arg[0]; 1 when found. */
static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t *range = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (range[0] >= s && range[0] < e) {
            range[0] = s;
            range[1] = e;
            return 1;
        }
    }
    return 0;
}

/* libunwind's code: what it maps and frees on its own (a thread's trace
 * cache, torn down by its key destructor) is the profiler's, not the
 * program's */
uintptr_t fp_unwind_lo, fp_unwind_hi;
uintptr_t fp_internal_lo[FP_INTERNAL_RANGES], fp_internal_hi[FP_INTERNAL_RANGES];

/* the code of the objects the recorder calls into, by name */
static int find_callees(struct dl_phdr_info *info, size_t size, void *arg)
{
    static const char *const names[FP_INTERNAL_RANGES] = {
        "libunwind.so", "liblzma.so", "ld-linux", "libc.so.6"
    };
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    for (int k = 0; k < FP_INTERNAL_RANGES; k++) {
        if (!strstr(name, names[k]))
            continue;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
                fp_internal_lo[k] = info->dlpi_addr + ph->p_vaddr;
                fp_internal_hi[k] = fp_internal_lo[k] + ph->p_memsz;
            }
        }
    }
    return 0;
}

/* sp is the frame of a hook that found fp_guard set.  Only a guard set by
 * fp_enter (fp_guard_sp != 0) can go stale, and only when the call is on the
 * thread's own stack at or above that frame (a longjmp back to the caller
 * puts the next hook's frame exactly there): a signal handler's nested call
 * runs below the interrupted code, or on an alternate stack. */
static bool on_alternate_stack(void)
{
    stack_t ss;
    return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

/* The thread is no longer inside the recorder although the guard says so:
 * a signal handler left it by longjmp. */
void fp_guard_reset(void)
{
    struct fp_thread *t = fp_self;
    fp_guard = 0;
    fp_guard_sp = 0;
    fp_internal = 0;
    fp_in_alloc = 0;
    fp_alloc_sp = 0;
    fp_release_held();
    if (t)
        atomic_store_explicit(&t->in_shim, 0, memory_order_release);
}

bool fp_guard_stale(uintptr_t sp)
{
    struct fp_thread *t = fp_self;
    if (!t || fp_guard_sp == 0 || sp < t->stack_lo || sp >= t->stack_hi || sp < fp_guard_sp)
        return false;
    if (on_alternate_stack())   /* a handler's stack inside the thread's */
        return false;
    fp_guard = 0;
    fp_guard_sp = 0;
    fp_internal = 0;
    fp_release_held();
    atomic_store_explicit(&t->in_shim, 0, memory_order_release);
    return true;
}

bool fp_in_alloc_stale(uintptr_t sp)
{
    struct fp_thread *t = fp_self;
    if (!t || fp_alloc_sp == 0 || sp < t->stack_lo || sp >= t->stack_hi || sp < fp_alloc_sp)
        return false;
    if (on_alternate_stack())
        return false;
    fp_in_alloc = 0;
    fp_alloc_sp = 0;
    return true;
}

static void rusage_write(struct fp_thread *t, uint64_t now, uint64_t minflt, uint64_t majflt)
{
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_RUSAGE, 2 * FP_VARINT_MAX, now);
    fp_rec_u(&r, minflt);
    fp_rec_u(&r, majflt);
    fp_rec_end(&r);
    t->minflt = minflt;
    t->majflt = majflt;
}

void fp_note_rusage(struct fp_thread *t, uint64_t now, bool force)
{
    if (!force) {
        if (fp_config.rusage_every == 0 || ++t->calls < fp_config.rusage_every)
            return;
    }
    t->calls = 0;
    struct rusage ru;
    int e = errno;
    if (getrusage(RUSAGE_THREAD, &ru) == 0 &&
        ((uint64_t)ru.ru_minflt != t->minflt || (uint64_t)ru.ru_majflt != t->majflt))
        rusage_write(t, now, (uint64_t)ru.ru_minflt, (uint64_t)ru.ru_majflt);
    errno = e;
}

void fp_note_break(struct fp_thread *t, uint64_t now)
{
    uintptr_t b = (uintptr_t)__curbrk;
    if (FP_LIKELY(b == atomic_load_explicit(&last_break, memory_order_relaxed)))
        return;
    atomic_store_explicit(&last_break, b, memory_order_relaxed);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_HEAP_BREAK, FP_VARINT_MAX, now);
    fp_rec_u(&r, b);
    fp_rec_end(&r);
}

void fp_emit_note(struct fp_thread *t, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_NOTE, 2 * FP_VARINT_MAX + kl + vl, fp_now_ns());
    fp_rec_str(&r, key, kl);
    fp_rec_str(&r, value, vl);
    fp_rec_end(&r);
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* The figures /usr/bin/time -v shows, as a PROCESS_END record. */
void fp_write_process_end(struct fp_thread *t, int reason)
{
    uint64_t now = fp_now_ns();
    fp_note_rusage(t, now, true);
    fp_write_counts(t, now);
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_PROCESS_END, 20 * FP_VARINT_MAX, now);
    fp_rec_u(&r, (uint64_t)reason);
    fp_rec_u(&r, now - fp_t0);
    fp_rec_u(&r, tv_ns(self.ru_utime));
    fp_rec_u(&r, tv_ns(self.ru_stime));
    fp_rec_u(&r, (uint64_t)self.ru_maxrss);
    fp_rec_u(&r, (uint64_t)self.ru_minflt);
    fp_rec_u(&r, (uint64_t)self.ru_majflt);
    fp_rec_u(&r, (uint64_t)self.ru_nvcsw);
    fp_rec_u(&r, (uint64_t)self.ru_nivcsw);
    fp_rec_u(&r, fp_threads_total());
    fp_rec_u(&r, fp_threads_peak());
    fp_rec_u(&r, tv_ns(kids.ru_utime));
    fp_rec_u(&r, tv_ns(kids.ru_stime));
    fp_rec_u(&r, (uint64_t)kids.ru_maxrss);
    fp_rec_u(&r, (uint64_t)kids.ru_minflt);
    fp_rec_u(&r, (uint64_t)kids.ru_majflt);
    fp_rec_u(&r, atomic_load(&fp_dropped));
    fp_rec_end(&r);
    uint64_t lost = fp_faults_unrecorded(), late = fp_faults_async();
    char num[24];
    if (lost) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)lost);
        fp_emit_note(t, "fault_samples_unrecorded", num);
    }
    if (late) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)late);
        fp_emit_note(t, "fault_samples_late", num);
    }
}

/* The end of recording in this process image: totals, then every buffer to
 * disk while no other thread is half-way through a record.  Threads that
 * call in afterwards pass straight through. */
void fp_process_end(int reason)
{
    /* called from inside the recorder (a signal handler that interrupted
     * it): its buffer is half-written, nothing can be flushed safely */
    if (fp_guard && !fp_guard_stale((uintptr_t)__builtin_frame_address(0)) && fp_guard_sp)
        return;
    int expect = FP_READY;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_SHUTDOWN))
        return;
    int saved = fp_guard;
    fp_guard = 1;
    struct fp_thread *t = fp_self;
    if (t)
        fp_write_process_end(t, reason);
    fp_fork_gate_close(t);
    fp_flush_all();
    fp_trace_close();
    fp_fork_gate_open();
    fp_guard = saved;
}

/* Everything a process needs to start recording: used at start and again
 * in a fork child. */
static void start_recording(bool fork_child)
{
    fp_is_fork_child = fork_child;
    fp_pid = getpid();
    fp_t0 = fp_now_ns();
    if (fp_trace_open(fork_child) < 0) {
        atomic_store(&fp_state, FP_DISABLED);
        return;
    }
    fp_trace_write_first();
    struct fp_thread *t = fp_self;
    if (!t)
        t = fp_thread_register_main();
    if (!t) {
        atomic_store(&fp_state, FP_DISABLED);
        return;
    }
    t->t_last = 0;
    fp_modules_emit_all(t);
    if (!fp_config.follow)
        fp_emit_note(t, "follow", "0");
    fp_faults_start(t);
    fp_emit_maps(t);
    fp_note_rusage(t, fp_now_ns(), true);
    fp_thread_flush(t);      /* modules on disk before anything can crash */
    atomic_store(&last_break, 0);
    atomic_store(&fp_state, FP_READY);
}

void fp_after_fork_child(void);
void fp_after_fork_child(void)
{
    fp_gate_init();          /* membarrier's registration is not inherited */
    fp_trace_close();
    fp_atfork_child_threads(fp_self);
    start_recording(true);
}

__attribute__((constructor(101)))
static void fp_init(void)
{
    int expect = FP_UNINIT;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_INITIALIZING))
        return;
    fp_guard = 1;
    fp_fork_handlers_init();
    fp_clock_init();
    fp_gate_init();
    fp_resolve();
    read_config();
    if (!fp_config.follow)
        strip_preload();
    uintptr_t range[2] = { (uintptr_t)&fp_init, 0 };
    if (dl_iterate_phdr(find_text, range))
        fp_shim_text_range(range[0], range[1]);
    fp_threads_init();
    if (fp_sampled_init() < 0)
        fp_config.sample_bytes = 0;
    fp_unwind_init();
    void *unw = fp_unwind_symbol();
    range[0] = (uintptr_t)unw;
    range[1] = 0;
    if (unw && dl_iterate_phdr(find_text, range)) {
        fp_unwind_lo = range[0];
        fp_unwind_hi = range[1];
    }
    dl_iterate_phdr(find_callees, NULL);
    start_recording(false);
    fp_guard = 0;
}

__attribute__((destructor(101)))
static void fp_fini(void)
{
    fp_process_end(1);
}
