/* Internal interface of libfaultprof.so, in blocks, each headed by the
 * file that defines what it declares (as mimalloc's internal header).  The
 * lists behind it: the hooked functions in hooks.h, the settings in
 * include/faultprof/settings.h, the record types in faultprof/records.h.
 * Only self_heap.h, the own heap's inline tests for the malloc hooks, sits
 * apart (it includes this file; nothing here includes it). */
#ifndef FP_SHIM_H
#define FP_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define FP_HAVE_TSC 1
#else
#define FP_HAVE_TSC 0
#endif

#include "faultprof/records.h"
#include "hooks.h"

/* Everything declared below is the shim's own: the compiler may reach its
 * data directly instead of through the GOT (a load per use on the hot
 * path).  The hooks are exported by FP_EXPORT and the version script. */
#pragma GCC visibility push(hidden)

#define FP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define FP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FP_NOINLINE    __attribute__((noinline))
#define FP_EXPORT      __attribute__((visibility("default")))
#define FP_TLS         __thread __attribute__((tls_model("initial-exec")))

/* a hidden function written in assembly (side_stack.c, threads.c) */
#define FP_ASM_BEGIN(name) ".text\n.globl " #name "\n.hidden " #name "\n" \
                           ".type " #name ",%function\n" #name ":\n.cfi_startproc\n"
#define FP_ASM_END(name)   ".cfi_endproc\n.size " #name ", .-" #name "\n"
/* x86_64: a frame on rbp, the stack pointer then free to move; and back */
#define FP_X86_FRAME "    pushq %rbp\n.cfi_adjust_cfa_offset 8\n.cfi_rel_offset %rbp, 0\n" \
                     "    movq %rsp, %rbp\n.cfi_def_cfa_register %rbp\n"
#define FP_X86_UNFRAME "    movq %rbp, %rsp\n.cfi_def_cfa_register %rsp\n    popq %rbp\n" \
                       ".cfi_adjust_cfa_offset -8\n.cfi_restore %rbp\n"
/* aarch64: push and pop a frame record, with its unwind info */
#define FP_A64_PUSH "    stp x29, x30, [sp, #-16]!\n.cfi_def_cfa_offset 16\n" \
                    ".cfi_offset x29, -16\n.cfi_offset x30, -8\n    mov x29, sp\n"
#define FP_A64_POP  "    ldp x29, x30, [sp], #16\n.cfi_restore x29\n.cfi_restore x30\n" \
                    ".cfi_def_cfa_offset 0\n"

/* ---- real.c: the next definition of each hook of FP_HOOKS_REAL (hooks.h),
 * resolved with dlsym(RTLD_NEXT) */
#define FP_REAL_FIELD(name, ret, params, attr) ret (*name) params attr;
struct fp_real {
    FP_HOOKS_REAL(FP_REAL_FIELD)
};
extern struct fp_real fp_real;
void fp_resolve(void);
/* the next sigaction (faults.c) */
int fp_sigaction_next(int sig, const struct sigaction *act, struct sigaction *old);

/* ---- settings.c: the settings (include/faultprof/settings.h), read once
 * from FAULTPROF_* at start */
struct fp_config {
    unsigned depth;          /* FAULTPROF_DEPTH: frames kept per stack */
    unsigned rusage_every;   /* FAULTPROF_RUSAGE_EVERY: calls between getrusage */
    size_t   buffer_bytes;   /* FAULTPROF_BUFFER_KB */
    uint64_t flush_ns;       /* FAULTPROF_FLUSH_MS */
    bool     follow;         /* FAULTPROF_FOLLOW */
    bool     ptmalloc;       /* the next malloc is glibc's: chunk headers readable */
    uint64_t sample_bytes;   /* FAULTPROF_SAMPLE_BYTES: mean bytes between samples, 0 off */
    uint64_t fault_period;   /* FAULTPROF_FAULT_PERIOD; 0: the mode's default (faults.c) */
    bool     faults;         /* FAULTPROF_FAULTS */
    const char *output;      /* FAULTPROF_OUTPUT: the trace file's template */
    bool     recording;      /* FAULTPROF_RECORDING: 0 starts paused */
    int      toggle_signal;  /* FAULTPROF_TOGGLE_SIGNAL; 0: SIGRTMAX */
};
extern struct fp_config fp_config;
void fp_settings_read(void);
void fp_settings_from(const char *lines);   /* the injector's, when attached */
const char *fp_setting_env(const char *name);

/* ---- init.c: start-up and shut-down.  Hooks pass straight through unless
 * READY. */
enum fp_state { FP_UNINIT = 0, FP_INITIALIZING, FP_READY, FP_SHUTDOWN, FP_DISABLED,
                FP_PAUSED };
extern _Atomic int fp_state;
extern bool fp_is_fork_child;
extern uint64_t fp_t0;             /* CLOCK_MONOTONIC at start */
extern pid_t fp_pid;
void fp_process_end(int reason);
void fp_after_fork_child(void);
void fp_init_recorder(void);       /* all but the start of recording */
void fp_start(bool paused);        /* the start of recording */

/* Code the recorder calls into (libunwind, liblzma, ld.so, libc): a call
 * that meets the guard while fp_internal is set and comes from there is
 * the recorder's own; from anywhere else it is a signal handler's. */
#define FP_INTERNAL_RANGES 4
extern uintptr_t fp_internal_lo[FP_INTERNAL_RANGES], fp_internal_hi[FP_INTERNAL_RANGES];
/* libunwind's own code (its key destructor's calls are the profiler's) */
extern uintptr_t fp_unwind_lo, fp_unwind_hi;

/* a call made by libunwind itself, outside any hook (its key destructor) */
static inline bool fp_from_unwinder(const void *ra)
{
    return (uintptr_t)ra >= fp_unwind_lo && (uintptr_t)ra < fp_unwind_hi;
}

static inline bool fp_internal_caller(const void *ra)
{
    uintptr_t a = (uintptr_t)ra;
    for (int i = 0; i < FP_INTERNAL_RANGES; i++)
        if (a >= fp_internal_lo[i] && a < fp_internal_hi[i])
            return true;
    return false;
}

/* ---- unwind_mask.c: libunwind's signal masking, once per walk where the
 * program handles an asynchronous signal, else not at all */
extern FP_TLS bool fp_unw_quiet;           /* in a walk: libunwind's calls skipped */
extern _Atomic uint64_t fp_async_handlers; /* bit sig - 1: the program handles sig */
void fp_unw_start(void);
void fp_unw_handler(int sig, void (*h)(int)); /* the program's new action for sig */
/* (os.c) every signal blocked, true when it is; the old mask back; errno kept */
bool fp_os_block_signals(sigset_t *old);
void fp_os_restore_signals(const sigset_t *old);
/* fp_unw_enter and fp_unw_leave, below fp_internal, go around every call
 * the recorder makes into libunwind */
struct fp_unw_walk {
    bool was_quiet, masked;
    sigset_t saved;
};

/* ---- guard.c: the re-entry guard, per thread in initial-exec TLS */
struct fp_thread;
extern FP_TLS struct fp_thread *fp_self;
extern FP_TLS int fp_guard;      /* inside the recorder: pass through */
extern FP_TLS uintptr_t fp_guard_sp;  /* frame of the hook that set fp_guard */
extern FP_TLS uintptr_t fp_alloc_sp;  /* frame of the hook inside the allocator */
extern FP_TLS int fp_in_alloc;   /* inside the next allocator's call */
extern FP_TLS int fp_internal;   /* the recorder called out (libunwind, ...) */

/* in_handler: called with every signal blocked already (the fault
 * handler's sa_mask) */
static inline void fp_unw_enter(struct fp_unw_walk *w, bool in_handler)
{
    w->was_quiet = fp_unw_quiet;
    w->masked = false;
    fp_internal++;
    if (!w->was_quiet && !in_handler &&
        FP_UNLIKELY(atomic_load_explicit(&fp_async_handlers, memory_order_relaxed) != 0))
        w->masked = fp_os_block_signals(&w->saved);
    fp_unw_quiet = true;
}

static inline void fp_unw_leave(struct fp_unw_walk *w)
{
    fp_unw_quiet = w->was_quiet;        /* before any signal can come */
    if (w->masked)
        fp_os_restore_signals(&w->saved);
    fp_internal--;
}
extern _Atomic uint64_t fp_dropped;
bool fp_guard_stale(uintptr_t sp);
void fp_guard_reset(void);
bool fp_in_alloc_stale(uintptr_t sp);

/* A hook met the guard.  The recorder's own callees allocating is expected;
 * anything else is a signal handler that interrupted the recorder: counted,
 * never recorded.  Returns true for the recorder's own. */
static inline bool fp_count_dropped(const void *ra)
{
    if (fp_internal && fp_internal_caller(ra))
        return true;
    if (atomic_load_explicit(&fp_state, memory_order_relaxed) == FP_READY)
        atomic_fetch_add_explicit(&fp_dropped, 1, memory_order_relaxed);
    return false;
}

/* The guard is set: a nested call (a signal handler that interrupted the
 * recorder, or the recorder's own callees)... unless a handler longjmp'd
 * out of the recorder and left it set: then this call is above the frame
 * that set it, on the thread's own stack, and the guard is dropped. */
static inline bool fp_guarded(void)
{
    return FP_UNLIKELY(fp_guard) &&
           !fp_guard_stale((uintptr_t)__builtin_frame_address(0));
}

/* Inside the next allocator (its own mmaps are not the program's), with the
 * same care for a longjmp out of it. */
static inline bool fp_allocating(void)
{
    return FP_UNLIKELY(fp_in_alloc) &&
           !fp_in_alloc_stale((uintptr_t)__builtin_frame_address(0));
}

/* ---- os.c: the only code that talks to the kernel for the shim itself */
/* A spin lock for rare paths (never taken on the hot path).  It holds its
 * owner (an address in the thread's TLS), and each thread remembers the
 * locks it holds or is taking, so that a signal handler that longjmps out
 * of the recorder, even between the taking and the remembering, does not
 * leave them taken (fp_release_held). */
typedef struct { _Atomic uintptr_t v; } fp_lock_t;

void *fp_os_map(size_t size);
void  fp_os_unmap(void *p, size_t size);
int   fp_os_write_all(int fd, const void *buf, size_t len);
uint64_t fp_now_ns(void);          /* CLOCK_MONOTONIC (through the TSC once calibrated) */
void fp_clock_init(void);          /* at start: can the TSC serve? */
void fp_clock_thread(void);        /* a thread starts recording: may it read the TSC? */
void fp_clock_tsc_off(void);       /* it may not (before its PR_SET_TSC) */
void fp_clock_calibrate(uint64_t now); /* now and then (now: fp_now_ns()): the TSC after 2 ms */
/* The TSC when fp_now_ns() reaches ns, or earlier; 0: the TSC tells nothing here */
uint64_t fp_tsc_at(uint64_t ns);
uint64_t fp_realtime_ns(void);
static inline uint64_t fp_tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}
pid_t fp_gettid(void);
size_t fp_read_file(const char *path, char *buf, size_t cap);
void  fp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a bump allocator over mmap'd chunks, freed as a whole */
struct fp_pool {
    struct fp_pool_chunk *chunks;
    uint8_t *cur, *end;
};
void *fp_pool_alloc(struct fp_pool *pool, size_t size);
void  fp_pool_reset(struct fp_pool *pool);   /* empties it, keeping its first chunk */
/* small allocations that live as long as the process */
void *fp_perm_alloc(size_t size);

void fp_lock(fp_lock_t *l);
void fp_unlock(fp_lock_t *l);
void fp_release_held(void);

/* ---- thread_list.c: a thread's recorder.  Allocated from the shim's own
 * mmap'd memory, listed globally so exit can flush every thread, recycled
 * when a thread ends. */
struct fp_stack_entry;
struct stack_cache;
struct fp_site_slot;
struct fp_back_slot;

struct fp_thread {
    uint8_t  *data;          /* the buffer of uncompressed records */
    size_t    cap;
    _Atomic size_t len;      /* bytes of whole records; owner stores with release */
    fp_lock_t flush_lock;    /* owner and exit-flusher take it to write */
    _Atomic int in_shim;     /* set while the thread runs shim code (fork gate) */
    int      *errno_p;       /* the thread's errno (its place never moves): the
                                malloc hooks keep it without calling out */
    uint32_t  tid;
    uint32_t  seq;           /* next block number */
    uint64_t  t_first;       /* time of the first record in the buffer */
    uint64_t  t_last;        /* time of the last timed record */
    uint64_t  tick_tsc;      /* before this TSC the clock is less than a step past
                                t_last (0: read the clock): fp_now_event */
    uint32_t  tick_left;     /* events fp_now_event may still take that way */
    uint32_t  block_gen;     /* which block the buffer holds (never 0, never reused) */
    uint32_t  site_next;     /* the block's next SITE id */
    uint64_t  last_addr;     /* address of the block's last short record */
    uint32_t  alloc_next;    /* the block's ALLOC_SHORT records so far */
    uint32_t  alloc_at, alloc_end; /* where the last one is in data, while it is
                                the last record (else alloc_end 0) */
    struct fp_site_slot *sites; /* SITEs defined in the block (record.c) */
    struct fp_back_slot *backs; /* the block's recent ALLOC_SHORTs by address */
    struct fp_reuse_list *reuse; /* the block's free lists (faultprof/reuse.h) */
    uint32_t  calls;         /* intercepted calls since the last getrusage */
    uint64_t  rusage_ns;     /* when it was last called */
    uint32_t  unwinds;       /* full unwinds so far (stack.c: the first use unw_step) */
    uint32_t  fill_after;    /* stack cache: sightings before a key is filled */
    uint32_t  fill_fills, fill_hits; /* fills and hits since fill_after was judged */
    uint64_t  cache_fills, cache_hits, walks; /* before that; walks: unwinds past the cache */
    uint64_t  minflt, majflt;/* last counts written in a RUSAGE record */
    struct fp_stack_entry *stacks; /* uthash: frames -> id, this thread only */
    struct fp_pool *pool;    /* memory of the stack table and cache */
    struct stack_cache *cache; /* validated stack cache (stack.c) */
    uintptr_t stack_lo, stack_hi; /* this thread's stack; 0, 0 when unknown */
    uint8_t  *side;          /* the recorder's own stack (side_stack.c) */
    uint8_t  *sig_entry;     /* where the fault handler starts (side_stack.c) */
    uint64_t  gate_gave_up;  /* the fork gate's closing this thread stopped waiting at */
    int64_t   sample_left;   /* sampled mode: bytes until the next sample */
    uint64_t  rng;           /* sampled mode: xorshift state */
    uint64_t  c_allocs, c_bytes, c_frees;  /* sampled mode: every call counted */
    uint64_t  c_written;     /* c_allocs + c_frees in the last COUNTS record */
    int       live;          /* 1 while owned by a thread */
    int       retired;       /* its thread ran its destructors: reusable once gone */
    int       ending;        /* destructor rounds seen */
    struct fp_thread *next;  /* global list, never unlinked */
};

extern struct fp_thread *fp_threads_all;   /* newest first, never unlinked */
struct fp_thread *fp_thread_register(void);
void  fp_thread_end(struct fp_thread *t);
void  fp_flush_all(void);
void  fp_atfork_child_threads(struct fp_thread *self);
void  fp_threads_lock(void);
void  fp_threads_unlock(void);
uint32_t fp_threads_total(void);
uint32_t fp_threads_peak(void);

/* ---- record.c: writing records into the thread's buffer.  Each record
 * type of include/faultprof/records.h gets a writer, fp_put_<name>(t, &x,
 * now), which reserves room for the record, encodes x and ends it; now is
 * ignored by the untimed ones. */
struct fp_rec {
    struct fp_thread *t;
    uint8_t *start;          /* record type byte */
    uint8_t *p;              /* next payload byte */
};
void fp_rec_begin(struct fp_rec *r, struct fp_thread *t, uint8_t type, size_t max);
void fp_rec_begin_timed(struct fp_rec *r, struct fp_thread *t, uint8_t type,
                        size_t max, uint64_t now);
void fp_rec_end(struct fp_rec *r);
void fp_thread_flush(struct fp_thread *t);   /* the buffer as one member */
/* ALLOC and FREE in their short forms (2.0): TIME when the clock moved a
 * step, SITE when the block has not named the site yet, then ALLOC_SHORT;
 * FREE_SHORT for a free with flags 0.  The full forms otherwise. */
void fp_put_alloc_event(struct fp_thread *t, const struct fp_rec_alloc *x, uint64_t now);
void fp_put_free_event(struct fp_thread *t, const struct fp_rec_free *x, uint64_t now);
void fp_sites_reset(struct fp_thread *t);    /* with the stack tables (fp_stacks_reset) */
/* PROCESS clock_step: the short records' time grain.  Two threads' records
 * less than a step apart may be read in either order (the replay's "two
 * threads within a step"); 1 ms let allocators that pass an address from
 * thread to thread within it (tcmalloc) mislead the replay now and then.
 * A step costs a TIME record (about 6 compressed bytes) per busy thread. */
#define FP_CLOCK_STEP_NS 64000u
/* a MAPS record, which may not fit the buffer: as a member of its own */
void fp_put_maps_member(struct fp_thread *t, const struct fp_rec_maps *x, uint64_t now);

#define FP_X(NAME, name, code, timed)                                                   \
    static inline void fp_put_##name(struct fp_thread *t, const struct fp_rec_##name *x, \
                                     uint64_t now)                                      \
    {                                                                                   \
        struct fp_rec r;                                                                \
        if (timed)                                                                      \
            fp_rec_begin_timed(&r, t, code, fp_max_##name(x), now);                     \
        else                                                                            \
            fp_rec_begin(&r, t, code, fp_max_##name(x));                                \
        (void)now;                                                                      \
        r.p = fp_enc_##name(r.p, x);                                                    \
        fp_rec_end(&r);                                                                 \
    }
FP_RECORD_LIST(FP_X)
#undef FP_X

/* ---- trace_file.c: the trace file */
int   fp_trace_open(bool fork_child);
void  fp_trace_write_first(void);   /* header + PROCESS */
int   fp_trace_write_member(const uint8_t *raw, size_t len, uint32_t tid,
                            uint32_t seq, uint64_t t_first, uint64_t t_last);
void  fp_trace_close(void);
bool  fp_trace_ok(void);

/* ---- compress.c: the compressor pool and the gzip member */
struct fp_zc {
    struct libdeflate_compressor *c;
    uint8_t *out;
    size_t out_cap;
    struct fp_zc *next;
};
struct fp_zc *fp_zc_get(size_t raw_len);   /* room for a member of raw_len bytes */
void   fp_zc_put(struct fp_zc *z);
size_t fp_zc_member(struct fp_zc *z, const uint8_t *raw, size_t len, uint32_t tid,
                    uint32_t seq, uint64_t t_first, uint64_t t_last);
void  *fp_zc_zalloc(void *opaque, unsigned items, unsigned size);  /* zlib's, from mmap */
void   fp_zc_zfree(void *opaque, void *addr);

/* ---- hooks_proc.c: the fork gate's atfork handlers, registered at start
 * before any of the program's */
void  fp_fork_handlers_init(void);

/* ---- fork_gate.c: fork, exec and exit wait for no thread inside the shim */
bool  fp_fork_gate_close(struct fp_thread *self);
void  fp_fork_gate_open(void);
bool  fp_fork_gate_wait(void);   /* false: still closed, and its closer waits for us */
extern _Atomic int fp_fork_gate;
extern _Atomic int fp_gate_asym;   /* the gate's side uses membarrier */
void  fp_gate_init(void);          /* at start and in a fork child */
struct fp_thread *fp_enter_gated(struct fp_thread *t);

/* ---- proc_records.c: RUSAGE, HEAP_BREAK, NOTE and PROCESS_END records */
void fp_rusage_read(struct fp_thread *t, uint64_t now, bool force);
void fp_break_moved(struct fp_thread *t, uintptr_t brk);
extern _Atomic uintptr_t fp_last_break;
extern void *__curbrk __attribute__((visibility("default")));   /* glibc's program break */

/* Every rusage_every calls (or when forced): the thread's fault counters,
 * as a RUSAGE record when they changed.  Inline: the count. */
static inline void fp_write_rusage(struct fp_thread *t, uint64_t now, bool force)
{
    if (FP_LIKELY(!force) &&
        (fp_config.rusage_every == 0 || ++t->calls < fp_config.rusage_every))
        return;
    fp_rusage_read(t, now, force);
}

/* A HEAP_BREAK record when the program break moved since the last one. */
static inline void fp_write_break(struct fp_thread *t)
{
    uintptr_t b = (uintptr_t)__curbrk;
    if (FP_LIKELY(b == atomic_load_explicit(&fp_last_break, memory_order_relaxed)))
        return;
    fp_break_moved(t, b);
}

/* The time for a short allocation or free: where the TSC says the thread's
 * clock has not moved a step past its current time (the time its next short
 * record gets anyway), that time, without reading the clock; else the
 * clock.  Either way at most a step before the true time and never after
 * it.  The clock is read at least every FP_TICK_EVENTS events all the same:
 * where the TSC is only the kernel clock's hint (os.c), a thread moved to a
 * CPU whose TSC lags, or a VM restored from a snapshot, has its times lag
 * by the span of that many events at most.  The full FREE of an mmapped
 * block, and the records other calls write, take fp_now_ns(). */
#define FP_TICK_EVENTS 64u
static inline uint64_t fp_now_event(struct fp_thread *t)
{
#if FP_HAVE_TSC
    uint64_t tick = t->tick_tsc;    /* 0 where the TSC may not be read (os.c) */
    if (FP_LIKELY(tick != 0) && FP_LIKELY(__rdtsc() < tick) && FP_LIKELY(t->tick_left != 0)) {
        t->tick_left--;
        return fp_t0 + t->t_last;
    }
    t->tick_left = FP_TICK_EVENTS;
#endif
    return fp_now_ns();
}
void fp_break_forget(void);        /* the next fp_write_break writes */
void fp_write_note(struct fp_thread *t, const char *key, const char *value);
void fp_write_process_end(struct fp_thread *t, int reason);

/* ---- stack.c: stacks and their ids */
int      fp_unwind_init(void);
uint64_t fp_stack_id(struct fp_thread *t);  /* unwinds the caller; 0 if none */
/* the same, told the frame of the hook the program called (its frame
 * pointer, or any shim frame below it): fewer shim frames to step over */
uint64_t fp_stack_id_from(struct fp_thread *t, const void *frame);
uint64_t fp_stack_id_callers(struct fp_thread *t, void *ucontext); /* from a signal */
void     fp_stacks_reset(struct fp_thread *t);
void     fp_write_stack_note(struct fp_thread *t);  /* NOTE "stack_cache", at its end */
void     fp_shim_text_range(uintptr_t lo, uintptr_t hi);
/* Code the program made itself (an anonymous mapping with PROT_EXEC, or
 * memory it made executable: a JIT compiler's): it has no unwind tables,
 * and its frames may hold anything in rbp.  Walks stop at such a frame
 * instead of guessing past it. */
void     fp_code_range_add(uintptr_t start, size_t len, bool mapped);
void    *fp_unwind_symbol(void);

/* ---- sample.c: FAULTPROF_SAMPLE_BYTES */
void fp_sample_next(struct fp_thread *t);
int  fp_sampled_init(void);
void fp_sampled_add(void *p);
bool fp_sampled_take(void *p);
void fp_write_counts(struct fp_thread *t, uint64_t now);

/* Sampled mode's counting filter (sample.c): false when p is certainly not
 * a live sampled block, so its free is only counted. */
#define FP_FILTER_COUNTERS (1u << 14)
extern _Atomic(_Atomic uint8_t *) fp_sampled_filter;

static inline unsigned fp_filter_at(uintptr_t p)
{
    return (unsigned)(((p >> 4) * 0xd6e8feb86659fd93ull) >> 50) & (FP_FILTER_COUNTERS - 1);
}

static inline bool fp_sampled_maybe(const void *p)
{
    _Atomic uint8_t *f = atomic_load_explicit(&fp_sampled_filter, memory_order_relaxed);
    return !f || atomic_load_explicit(&f[fp_filter_at((uintptr_t)p)], memory_order_relaxed) != 0;
}

/* Sampled mode's fast path: counts the call; true when it is not sampled
 * and needs no record. */
static inline bool fp_sample_skip(struct fp_thread *t, size_t n)
{
    t->c_allocs++;
    t->c_bytes += n;
    if (FP_LIKELY((t->sample_left -= (int64_t)n) > 0))
        return true;
    fp_sample_next(t);
    return false;
}

/* ---- faults.c */
void fp_faults_start(struct fp_thread *t);
void fp_faults_enable(bool on);
void fp_run_program_handler(struct sigaction *action, int sig, siginfo_t *si, void *uc);
bool fp_faults_open_task(pid_t tid);
void fp_faults_stop(void);
uint64_t fp_faults_unrecorded(void);
bool fp_faults_sampling(void);   /* page faults are sampled with perf events */

/* ---- control.c: pausing and resuming (FP_PAUSED), the toggle signal */
#define FP_CONTROL_TOGGLE 0x66700001   /* sigqueue values of faultprof --toggle */
#define FP_CONTROL_PAUSE  0x66700002
#define FP_CONTROL_RESUME 0x66700003
extern _Atomic int fp_marker_owed;
void fp_control_init(struct fp_thread *t);
void fp_control_release(void);
bool fp_control_owns(int sig);
struct sigaction;
int  fp_control_action(const struct sigaction *act, struct sigaction *old);
void (*fp_control_handler(void (*h)(int), int flags))(int);
bool fp_pause(int how);
bool fp_resume(void);
void fp_start_paused(struct fp_thread *t);
void fp_control_owed(struct fp_thread *t);
pid_t fp_fork_paused(pid_t (*real_fork)(void));

/* ---- inject.c: loaded into a running process (faultprof -p) */
extern bool fp_attaching;          /* the injector's call is under way */
extern bool fp_attached;           /* loaded by dlopen, not preloaded */
bool fp_attach_mode(void);         /* the constructor's test */
void fp_write_attach(struct fp_thread *t);
void fp_inject_rescan(void);       /* after dlopen: the new modules' GOTs */

/* ---- modules.c */
void fp_write_modules(struct fp_thread *t);        /* every loaded object */
void fp_modules_rescan(struct fp_thread *t);       /* after dlopen/dlclose */
void fp_write_maps(struct fp_thread *t);           /* a MAPS record */

/* ---- threads.c: a recorder per thread (read its rule for slow paths) */
void fp_threads_init(void);
struct fp_thread *fp_thread_register_main(void);
struct fp_thread *fp_enter_slow(void);   /* a thread's first call */

/* ---- self_heap.c: the recorder's own heap, for its own small blocks
 * (the malloc hooks' inline tests are in self_heap.h) */
void *fp_own_alloc(size_t n);      /* inside the recorder (fork gate); NULL if none */
void  fp_own_free(void *p);        /* anywhere: lock-free */

/* ---- side_stack.c: the recorder's own stack.  fp_side_wanted: the
 * current stack is not known to have room for the recorder's heavy work
 * (not the thread's own, or near its end).  fp_side_call runs fn(arg) on
 * the thread's side stack; it returns 0 without calling fn when that stack
 * cannot be had. */
#define FP_STACK_ROOM (32u * 1024)   /* what unwinding + compressing may need */
bool     fp_on_side(const struct fp_thread *t, uintptr_t sp);
bool     fp_on_alternate_stack(void);   /* on the thread's sigaltstack (errno kept) */
uint64_t fp_side_call(struct fp_thread *t, uint64_t (*fn)(void *), void *arg, bool quiet);
void    *fp_side_ctx(struct fp_thread *t);  /* room for an unwind context */
/* The fault handler's entry stack: the kernel puts a SIGTRAP's frame
 * wherever the thread's stack pointer is, maybe a few bytes from the end of
 * its stack, and the handler's entry (faults.c) moves to fp_sig_top at
 * once.  fp_sig_entry_init maps the thread's (kept with its recorder) and
 * sets fp_sig_top; 0: none, the handler runs where the frame is. */
extern FP_TLS uintptr_t fp_sig_top;
void     fp_sig_entry_init(struct fp_thread *t);

static inline bool fp_side_wanted(const struct fp_thread *t)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (FP_LIKELY(sp >= t->stack_lo + FP_STACK_ROOM && sp < t->stack_hi))
        return false;
    return !fp_on_side(t, sp);
}

/* The guard set, its frame first: a signal handler that longjmps out
 * between the two stores must not find the guard set without the frame
 * that tells it stale (guard.c, the longjmp hooks), or the thread would
 * record nothing more.  The fences keep the compiler from reordering
 * them; a handler runs on this thread, so no CPU fence is needed. */
static inline __attribute__((always_inline)) void fp_guard_enter(void)
{
    fp_guard_sp = (uintptr_t)__builtin_frame_address(0);
    atomic_signal_fence(memory_order_seq_cst);
    fp_guard = 1;
    atomic_signal_fence(memory_order_seq_cst);
}

/* ---- entering and leaving the shim from a hook (guard.c, fork_gate.c,
 * threads.c).  fp_enter returns the thread's recorder, or NULL when the
 * call must pass straight through (not ready, already inside the shim,
 * thread torn down). */
static inline struct fp_thread *fp_enter(void)
{
    if (fp_guarded())
        return NULL;
    struct fp_thread *t = fp_self;
    if (FP_UNLIKELY(!t || atomic_load_explicit(&fp_state, memory_order_relaxed) != FP_READY))
        return fp_enter_slow();
    fp_guard_enter();
    /* Dekker with the fork gate: publish in_shim, then look at the gate
     * (with membarrier on the gate's side, the CPU may keep the store
     * behind the load here: fp_gate_init) */
    if (FP_LIKELY(atomic_load_explicit(&fp_gate_asym, memory_order_relaxed))) {
        atomic_store_explicit(&t->in_shim, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
    } else {
        atomic_store_explicit(&t->in_shim, 1, memory_order_seq_cst);
    }
    if (FP_UNLIKELY(atomic_load_explicit(&fp_fork_gate, memory_order_seq_cst))) {
        return fp_enter_gated(t);
    }
    return t;
}

static inline void fp_leave(struct fp_thread *t)
{
    atomic_store_explicit(&t->in_shim, 0, memory_order_release);
    fp_guard = 0;                        /* the guard first (fp_guard_enter) */
    atomic_signal_fence(memory_order_seq_cst);
    fp_guard_sp = 0;
}

#pragma GCC visibility pop

#endif /* FP_SHIM_H */
