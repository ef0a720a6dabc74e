/* The shim's own dealings with the kernel: memory from mmap (never malloc),
 * whole writes, clocks, small file reads and warnings without stdio.  Every
 * function here preserves errno, so hooks can call it freely. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "fp.h"

#define HAVE_TSC FP_HAVE_TSC
#if HAVE_TSC
#include <cpuid.h>
#else
#define __rdtsc() 0ull
#endif

void *fp_os_map(size_t size)
{
    int e = errno;
    /* the raw syscall: the program's mmap hook must not see our memory */
    long r = syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = e;
    if (r < 0 && r > -4096)
        return NULL;
    if ((void *)r == MAP_FAILED)
        return NULL;
    return (void *)r;
}

void fp_os_unmap(void *p, size_t size)
{
    int e = errno;
    syscall(SYS_munmap, p, size);
    errno = e;
}

int fp_os_write_all(int fd, const void *buf, size_t len)
{
    int e = errno;
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            errno = e;
            return -err;
        }
        if (n == 0) {
            errno = e;
            return -ENOSPC;
        }
        p += n;
        len -= (size_t)n;
    }
    errno = e;
    return 0;
}

/* ---- time: CLOCK_MONOTONIC, read through the TSC once calibrated.
 * Every record carries a time: clock_gettime costs 23-32 ns here, rdtsc
 * 10-12, and alloc_heavy spent 14% of its time in clock_gettime.  The TSC
 * is used only where the kernel itself keeps time with it (clocksource
 * "tsc": its rate is constant and it agrees across CPUs).  Until 2 ms have
 * passed since start the clock is clock_gettime's; then its rate against
 * CLOCK_MONOTONIC is measured over that span (to a few parts in 1e5) and
 * times come from the TSC, continuing from the measured point; after 50 ms
 * the rate is measured again over the longer span (to about a millionth)
 * and the clock goes on from where the first rate had taken it, so it
 * never steps.  Times stay monotonic within a thread (fp_rec_begin_timed)
 * and agree across threads to a few tens of ns at a switch.
 *
 * Where the kernel keeps time by a hypervisor's clock computed from the TSC
 * (kvm-clock in a KVM guest, whose vDSO read cost 25 ns here, 40% of the
 * tight loop's recording; Hyper-V's TSC page) and the CPU's TSC is
 * invariant (constant rate, counts in every state), the times stay
 * clock_gettime's and the TSC only tells a thread when its clock may have
 * moved a step (fp_tsc_at): its rate is measured as above, each deadline
 * counted from a reading of both clocks then, so that the two clocks'
 * drift over a run does not add up. */
struct tsc_rate {
    uint64_t base_ns, base_tsc, mult;    /* ns = base_ns + (tsc - base_tsc) * mult >> 32 */
};
static bool tsc_clock;          /* the clock is the TSC's: clocksource "tsc" */
static bool tsc_rated;          /* the TSC's rate is measured: tsc_clock, or an invariant
                                   TSC under a hypervisor's clock made from it */
static uint64_t cal_ns, cal_tsc;                 /* the pair taken at start */
/* rates[0] the first, rates[1] the second; each written once, before the
 * state that publishes it */
static struct tsc_rate rates[2];
static _Atomic int tsc_state;   /* 0 clock_gettime, 1 measuring, 2 first rate, 3 measuring, 4 second */

#define CALIBRATE_FIRST_NS (2u * 1000 * 1000)
#define CALIBRATE_NS (50u * 1000 * 1000)

/* A thread may be barred from the TSC: after prctl(PR_SET_TSC,
 * PR_TSC_SIGSEGV) (rr's tracees, some sandboxes) rdtsc raises SIGSEGV, and
 * so does the vDSO's clock_gettime wherever the kernel's clock is read
 * through the TSC (tsc, kvm-clock).  tsc_ok is the thread's leave, asked of
 * the kernel when the thread starts recording (fp_clock_thread) and again
 * after every PR_SET_TSC it makes (the prctl hook, hooks_proc.c).  Until it
 * is known, and wherever it is refused, the thread's clock is the
 * clock_gettime system call and its TSC is never read.  A PR_SET_TSC made
 * by a raw system call is not seen. */
static FP_TLS bool tsc_ok;

static inline bool tsc_allowed(void)
{
    return !HAVE_TSC || FP_LIKELY(tsc_ok);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (FP_LIKELY(tsc_allowed())) {
        clock_gettime(id, &ts);
    } else {
        int e = errno;
        syscall(SYS_clock_gettime, id, &ts);
        errno = e;
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

void fp_clock_thread(void)
{
#if HAVE_TSC
    int e = errno;
    int mode = 0;
    tsc_ok = syscall(SYS_prctl, PR_GET_TSC, &mode, 0, 0, 0) == 0 && mode == PR_TSC_ENABLE;
    errno = e;
    if (!tsc_ok && fp_self)
        fp_self->tick_tsc = 0;
#endif
}

void fp_clock_tsc_off(void)
{
    tsc_ok = false;
    if (fp_self)
        fp_self->tick_tsc = 0;
}

/* A (CLOCK_MONOTONIC, TSC) pair: the TSC at the middle of the tightest of
 * a few clock_gettime calls. */
static void clock_pair(uint64_t *ns, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    *ns = *tsc = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t a = __rdtsc();
        uint64_t n = mono_ns();
        uint64_t b = __rdtsc();
        if (b - a < best) {
            best = b - a;
            *ns = n;
            *tsc = a + (b - a) / 2;
        }
    }
}

/* CPUID's "invariant TSC" (leaf 0x80000007, EDX bit 8; Linux's nonstop_tsc) */
static bool tsc_invariant(void)
{
#if HAVE_TSC
    unsigned a, b, c, d;
    return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
#else
    return false;
#endif
}

void fp_clock_init(void)
{
    fp_clock_thread();
    if (!HAVE_TSC || !tsc_ok)
        return;     /* barred at start: no thread's times come from the TSC */
    char buf[40];
    size_t n = fp_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                            buf, sizeof(buf) - 1);
    buf[n] = 0;
    tsc_clock = !strcmp(buf, "tsc\n");
    /* a hypervisor's clock computed from the TSC: the TSC goes with it.  On
     * a machine whose kernel chose another clock over a TSC it has (hpet),
     * the TSCs may disagree: no hint there. */
    bool tsc_based = !strcmp(buf, "kvm-clock\n") || !strcmp(buf, "hyperv_clocksource_tsc_page\n");
    tsc_rated = tsc_clock || (tsc_based && tsc_invariant());
    if (tsc_rated)
        clock_pair(&cal_ns, &cal_tsc);
}

static inline uint64_t rate_ns(const struct tsc_rate *r, uint64_t tsc)
{
    int64_t d = (int64_t)(tsc - r->base_tsc);
    if (FP_UNLIKELY(d < 0))
        d = 0;
    return r->base_ns + (uint64_t)(((unsigned __int128)(uint64_t)d * r->mult) >> 32);
}

/* The rate over [cal, (ns, tsc)] into *r, going on from (from_ns, tsc):
 * false when it is no rate a CPU has. */
static bool rate_measure(struct tsc_rate *r, uint64_t ns, uint64_t tsc, uint64_t from_ns)
{
    unsigned __int128 m = ((unsigned __int128)(ns - cal_ns) << 32) / (tsc - cal_tsc);
    if (m == 0 || m >> 40)
        return false;
    *r = (struct tsc_rate){ .base_ns = from_ns, .base_tsc = tsc, .mult = (uint64_t)m };
    return true;
}

void fp_clock_calibrate(uint64_t now)
{
    int state = atomic_load_explicit(&tsc_state, memory_order_relaxed);
    if (FP_LIKELY(state != 0 && state != 2) || !tsc_rated || !tsc_allowed() ||
        now - cal_ns < (state == 0 ? CALIBRATE_FIRST_NS : CALIBRATE_NS))
        return;
    uint64_t ns, tsc;
    clock_pair(&ns, &tsc);
    int expect = state;
    if (tsc <= cal_tsc || !atomic_compare_exchange_strong(&tsc_state, &expect, state + 1))
        return;
    /* the second rate goes on from the first's time at this tsc: no step.
     * A rate no CPU has leaves the state at "measuring" for good: the
     * clock stays clock_gettime's (or on the first rate). */
    uint64_t from = state == 0 || !tsc_clock ? ns : rate_ns(&rates[0], tsc);
    if (rate_measure(&rates[state / 2], ns, tsc, from))
        atomic_store_explicit(&tsc_state, state + 2, memory_order_release);
}

uint64_t fp_now_ns(void)
{
    int state = atomic_load_explicit(&tsc_state, memory_order_acquire);
    if (FP_LIKELY(state >= 2) && tsc_clock && tsc_allowed())
        return rate_ns(&rates[state >= 4], __rdtsc());
    return mono_ns();
}

uint64_t fp_tsc_at(uint64_t ns)
{
    int state = atomic_load_explicit(&tsc_state, memory_order_acquire);
    if (state < 2 || !tsc_allowed())
        return 0;
    const struct tsc_rate *r = &rates[state >= 4];
    uint64_t base_ns = r->base_ns, base_tsc = r->base_tsc;
    if (!tsc_clock) {
        /* a pair read now, the clock after the TSC: the deadline is never
         * late (only early by the time between the two) */
        base_tsc = __rdtsc();
        base_ns = mono_ns();
    }
    if (ns <= base_ns)
        return base_tsc;
    return base_tsc + (uint64_t)(((unsigned __int128)(ns - base_ns) << 32) / r->mult);
}

uint64_t fp_realtime_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

bool fp_os_block_signals(sigset_t *old)
{
    int e = errno;
    sigset_t all;
    sigfillset(&all);
    bool ok = pthread_sigmask(SIG_SETMASK, &all, old) == 0;
    errno = e;
    return ok;
}

void fp_os_restore_signals(const sigset_t *old)
{
    int e = errno;
    pthread_sigmask(SIG_SETMASK, old, NULL);
    errno = e;
}

pid_t fp_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

size_t fp_read_file(const char *path, char *buf, size_t cap)
{
    int e = errno;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (got < cap) {
            ssize_t n = read(fd, buf + got, cap - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
    }
    errno = e;
    return got;
}

/* One line on stderr, prefixed "faultprof: ".  vsnprintf does not allocate
 * for the plain %s/%d/%u conversions used here. */
void fp_warn(const char *fmt, ...)
{
    char line[512];
    int e = errno;
    size_t n = (size_t)snprintf(line, sizeof(line), "faultprof: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (m > 0)
        n += (size_t)m < sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2;
    line[n++] = '\n';
    fp_os_write_all(STDERR_FILENO, line, n);
    errno = e;
}

/* ---- pools: bump allocation over chunks, released together */
struct fp_pool_chunk {
    struct fp_pool_chunk *next;
    size_t size;
};

#define FP_POOL_CHUNK (256u * 1024)

void *fp_pool_alloc(struct fp_pool *pool, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if ((size_t)(pool->end - pool->cur) < size) {
        size_t want = size + 64 > FP_POOL_CHUNK ? size + 64 : FP_POOL_CHUNK;
        want = (want + 4095) & ~(size_t)4095;
        struct fp_pool_chunk *c = fp_os_map(want);
        if (!c)
            return NULL;
        c->next = pool->chunks;
        c->size = want;
        pool->chunks = c;
        pool->cur = (uint8_t *)c + 64;
        pool->end = (uint8_t *)c + want;
    }
    void *p = pool->cur;
    pool->cur += size;
    return p;
}

/* Empties the pool but keeps its first chunk, whose pages are already in
 * memory: a recorder reused by a new thread starts without a map, an unmap
 * (whose TLB shootdown interrupts every CPU the process runs on) and a page
 * fault per page.  The memory is not zeroed. */
void fp_pool_reset(struct fp_pool *pool)
{
    struct fp_pool_chunk *keep = NULL, *c = pool->chunks;
    while (c) {
        struct fp_pool_chunk *next = c->next;
        if (!next && c->size == FP_POOL_CHUNK)
            keep = c;          /* the oldest: the first the pool mapped */
        else
            fp_os_unmap(c, c->size);
        c = next;
    }
    pool->chunks = keep;
    if (keep) {
        keep->next = NULL;
        pool->cur = (uint8_t *)keep + 64;
        pool->end = (uint8_t *)keep + keep->size;
    } else {
        pool->cur = pool->end = NULL;
    }
}

static struct fp_pool perm_pool;
static fp_lock_t perm_lock;

/* Whole cache lines: the thread records written on every call must not share
 * a line with another thread's (false sharing cost alloc_heavy's sampled
 * mode about a third of the shim's time).  Chunks start 64 bytes in, so
 * sizes in whole lines keep every block on a line boundary. */
void *fp_perm_alloc(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    fp_lock(&perm_lock);
    void *p = fp_pool_alloc(&perm_pool, size);
    fp_unlock(&perm_lock);
    return p;
}

#define MAX_HELD 8
static FP_TLS fp_lock_t *held[MAX_HELD];
static FP_TLS int nheld;
static FP_TLS fp_lock_t *taking;     /* being taken or let go: maybe ours */

static inline uintptr_t lock_owner(void)
{
    return (uintptr_t)&nheld;        /* this thread's, while it lives */
}

void fp_lock(fp_lock_t *l)
{
    uintptr_t me = lock_owner();
    fp_lock_t *was = taking;        /* (a handler's lock inside another's taking) */
    taking = l;
    atomic_signal_fence(memory_order_seq_cst);
    int spins = 0;
    for (;;) {
        uintptr_t expect = 0;
        if (atomic_compare_exchange_weak_explicit(&l->v, &expect, me,
                memory_order_acquire, memory_order_relaxed))
            break;
        if (++spins > 64)
            sched_yield();
    }
    if (nheld < MAX_HELD)
        held[nheld++] = l;
    atomic_signal_fence(memory_order_seq_cst);
    taking = was;
}

void fp_unlock(fp_lock_t *l)
{
    fp_lock_t *was = taking;
    taking = l;
    atomic_signal_fence(memory_order_seq_cst);
    for (int i = nheld - 1; i >= 0; i--) {
        if (held[i] == l) {
            held[i] = held[--nheld];
            break;
        }
    }
    atomic_store_explicit(&l->v, 0, memory_order_release);
    atomic_signal_fence(memory_order_seq_cst);
    taking = was;
}

/* let go of l if this thread holds it */
static void release_mine(fp_lock_t *l)
{
    uintptr_t me = lock_owner();
    atomic_compare_exchange_strong_explicit(&l->v, &me, 0, memory_order_release,
                                            memory_order_relaxed);
}

/* The thread left the recorder by a longjmp: let go of what it held. */
void fp_release_held(void)
{
    while (nheld > 0)
        release_mine(held[--nheld]);
    if (taking) {               /* taken or let go when the signal came */
        release_mine(taking);
        taking = NULL;
    }
}
