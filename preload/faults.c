/* Page-fault sampling.  A software perf_event counter of the process's
 * minor faults (every FAULTPROF_FAULT_PERIOD-th) and one of its major faults
 * (every one), user mode only, inherited by every thread, with sigtrap=1:
 * the kernel sends SIGTRAP to the thread that faulted, with the faulting data
 * address in si_addr, and the handler here records it with the faulting
 * instruction and its callers.  No root is needed at perf_event_paranoid <= 2.
 * When perf events are unavailable the RUSAGE counts remain, and the trace
 * and one line on stderr say so.
 *
 * The program keeps its SIGTRAP: sigaction/signal for SIGTRAP are
 * intercepted while sampling, the program's handler is remembered, and a
 * SIGTRAP that is not ours (a breakpoint, raise(SIGTRAP)) goes to it. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "fp.h"

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

/* sig_data of our two counters, delivered in siginfo */
#define SIG_MINOR 0xfa17f001u
#define SIG_MAJOR 0xfa17f002u

static int fd_minor = -1, fd_major = -1;
/* attached (inject.c): the counters of the threads that ran before */
#define MAX_TASK_FDS 512
static int task_fds[MAX_TASK_FDS];
static int n_task_fds;
static uint64_t minor_period;
static _Atomic int sampling;                 /* our handler owns SIGTRAP */
static struct sigaction prog_action;         /* what the program asked for */
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static _Atomic uint64_t faults_unrecorded;   /* samples met inside the shim */

bool fp_faults_sampling(void)
{
    return fd_minor >= 0;
}

uint64_t fp_faults_unrecorded(void)
{
    return atomic_load(&faults_unrecorded);
}


/* The kernel's siginfo for TRAP_PERF carries sig_data right after si_addr
 * (union _perf in asm-generic/siginfo.h); glibc 2.36 has no name for it. */
static inline unsigned long perf_sig_data(const siginfo_t *si)
{
    unsigned long v;
    memcpy(&v, (const char *)si + 4 * sizeof(int) + sizeof(void *), sizeof(v));
    return v;
}

static void resolve_sigaction(void)
{
    if (!real_sigaction)
        real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))
            dlsym(RTLD_NEXT, "sigaction");
}

int fp_sigaction_next(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve_sigaction();
    return real_sigaction ? real_sigaction(sig, act, old) : -1;
}

/* A SIGTRAP that is not a sample: do what the program's action says. */
static void forward_to_program(int sig, siginfo_t *si, void *uc)
{
    struct sigaction pa = prog_action;
    if (pa.sa_handler == SIG_IGN)
        return;
    if (pa.sa_handler == SIG_DFL) {
        /* the default action ends the process with a core: write what we
         * have, then let the signal take its course */
        fp_process_end(4);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        real_sigaction(SIGTRAP, &dfl, NULL);
        atomic_store(&sampling, 0);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGTRAP);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        raise(SIGTRAP);
        return;
    }
    fp_run_program_handler(&prog_action, sig, si, uc);
}

/* A signal of the program's that came to our handler (SIGTRAP here, the
 * toggle signal in control.c): its handler runs as the kernel would run
 * it.  *action is the program's; SA_RESETHAND resets it. */
void fp_run_program_handler(struct sigaction *action, int sig, siginfo_t *si, void *uc)
{
    struct sigaction pa = *action;
    if (pa.sa_flags & SA_RESETHAND) {
        memset(action, 0, sizeof(*action));
        action->sa_handler = SIG_DFL;
    }
    /* our handler runs with every signal blocked: the program's runs with
     * the mask the kernel would have given it */
    sigset_t run, old;
    sigorset(&run, &((ucontext_t *)uc)->uc_sigmask, &pa.sa_mask);
    if (!(pa.sa_flags & SA_NODEFER))
        sigaddset(&run, sig);
    pthread_sigmask(SIG_SETMASK, &run, &old);
    if (pa.sa_flags & SA_SIGINFO)
        pa.sa_sigaction(sig, si, uc);
    else
        pa.sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The kernel sets this in si_perf_flags (after sig_data and the event
 * type) when SIGTRAP was blocked at the fault and the signal comes later:
 * the context is not the faulting instruction's then. */
#define PERF_FLAG_ASYNC 1u

static inline uint32_t perf_sig_flags(const siginfo_t *si)
{
    uint32_t v;
    memcpy(&v, (const char *)si + 4 * sizeof(int) + sizeof(void *) + sizeof(unsigned long) +
               sizeof(uint32_t), sizeof(v));
    return v;
}

struct fault_sample {
    struct fp_thread *t;
    const siginfo_t *si;
    void *uc;
    bool major, async;
};

/* On the recorder's own stack: the handler may have interrupted code on a
 * stack with little room left (side_stack.c). */
static uint64_t write_fault(void *arg)
{
    const struct fault_sample *s = arg;
    struct fp_thread *t = s->t;
    const ucontext_t *uc = s->uc;
    uintptr_t ip = 0;
    uint64_t sid = 0;
    if (!s->async) {
        ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        sid = fp_stack_id_callers(t, s->uc);
    }
    uint64_t now = fp_now_ns();
    struct fp_rec_fault x = {
        .kind = s->major ? FP_FAULT_MAJOR : FP_FAULT_MINOR, .addr = (uintptr_t)s->si->si_addr,
        .ip = ip, .stack = sid, .weight = s->major ? 1 : minor_period,
    };
    fp_put_fault(t, &x, now);
    return 1;
}

/* Runs with every signal blocked (its sa_mask): it switches to the side
 * stack, where an SA_ONSTACK signal would be given a frame over ours.
 * Entered from fp_fault_entry, on the thread's entry stack for a sample. */
void fp_fault_handler(int sig, siginfo_t *si, void *ucv);
void fp_fault_handler(int sig, siginfo_t *si, void *ucv)
{
    unsigned long data = si->si_code == TRAP_PERF ? perf_sig_data(si) : 0;
    if (data != SIG_MINOR && data != SIG_MAJOR) {
        forward_to_program(sig, si, ucv);
        return;
    }
    int e = errno;
    /* Inside the shim the buffer may be half-written and libunwind busy:
     * the sample is only counted.  A thread not yet registered is not
     * registered from here (that would allocate in a signal handler). */
    /* Nor does it wait at a closed fork gate: it may have interrupted an
     * allocator holding the lock the forking thread's atfork handler wants */
    struct fp_thread *t = NULL;
    if (fp_self && !atomic_load_explicit(&fp_fork_gate, memory_order_acquire))
        t = fp_enter();
    if (!t) {
        atomic_fetch_add_explicit(&faults_unrecorded, 1, memory_order_relaxed);
        errno = e;
        return;
    }
    /* a late sample: where it faulted is not known, charged to memory only */
    struct fault_sample s = { t, si, ucv, data == SIG_MAJOR,
                              (perf_sig_flags(si) & PERF_FLAG_ASYNC) != 0 };
    if (!fp_side_call(t, write_fault, &s, true))
        atomic_fetch_add_explicit(&faults_unrecorded, 1, memory_order_relaxed);
    fp_leave(t);
    errno = e;
}

/* The SIGTRAP handler as installed.  The kernel put the signal's frame
 * where the thread's stack pointer was, which may be a few bytes from the
 * end of its stack (a thread deep in recursion takes a sampled fault on a
 * fresh stack page, or inside the loader's resolver that has just saved
 * every register there): before anything else, a sample moves to the
 * thread's entry stack (fp_sig_top), having used 8 bytes of the one it
 * came on.  Any other SIGTRAP, or a thread without an entry stack, goes to
 * fp_fault_handler where it is, as it would without the shim.  The
 * siginfo offsets: si_code, and TRAP_PERF's sig_data (perf_sig_data). */
void fp_fault_entry(int sig, siginfo_t *si, void *ucv);
_Static_assert(TRAP_PERF == 6 && offsetof(siginfo_t, si_code) == 8, "si_code at 8 (fp_fault_entry)");
_Static_assert(4 * sizeof(int) + sizeof(void *) == 24, "sig_data at 24 (fp_fault_entry)");
_Static_assert(SIG_MINOR == 0xfa17f001u && SIG_MAJOR == 0xfa17f002u, "fp_fault_entry's sig_data");
#if defined(__x86_64__)
__asm__(FP_ASM_BEGIN(fp_fault_entry)
        "    cmpl $6, 8(%rsi)\n"                 /* si_code == TRAP_PERF */
        "    jne fp_fault_handler\n"
        "    movq 24(%rsi), %rax\n"             /* sig_data */
        "    movl $0xfa17f001, %ecx\n"
        "    cmpq %rcx, %rax\n"
        "    je 1f\n"
        "    movl $0xfa17f002, %ecx\n"
        "    cmpq %rcx, %rax\n"
        "    jne fp_fault_handler\n"
        "1:  movq fp_sig_top@gottpoff(%rip), %rax\n"
        "    movq %fs:(%rax), %rax\n"
        "    testq %rax, %rax\n"
        "    jz fp_fault_handler\n"
        FP_X86_FRAME
        "    movq %rax, %rsp\n"
        "    call fp_fault_handler\n"
        FP_X86_UNFRAME
        "    ret\n"
        FP_ASM_END(fp_fault_entry));
#else
void fp_fault_entry(int sig, siginfo_t *si, void *ucv)
{
    fp_fault_handler(sig, si, ucv);   /* no switch written for this architecture */
}
#endif

static int open_counter_on(pid_t tid, uint64_t config, uint64_t period,
                           unsigned long sig_data, bool disabled)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_SOFTWARE;
    a.config = config;
    a.sample_period = period;
    a.sample_type = PERF_SAMPLE_ADDR;   /* si_addr is the data address */
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.inherit = 1;                      /* every thread the process starts */
    a.inherit_thread = 1;               /* ... but not fork children */
    a.remove_on_exec = 1;
    a.sigtrap = 1;
    a.sig_data = sig_data;
    a.disabled = disabled;
    int e = errno;
    long fd = syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    int err = errno;
    errno = e;
    return fd < 0 ? -err : (int)fd;
}

/* Pausing (control.c): the counters stop and start again, in every thread
 * (an ioctl on an inherited counter reaches its children).  Raw system
 * calls: this runs in the toggle signal's handler. */
void fp_faults_enable(bool on)
{
    int e = errno;
    unsigned long req = on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE;
    for (int i = 0; i < n_task_fds; i++)
        ioctl(task_fds[i], req, 0);
    if (fd_minor >= 0)
        ioctl(fd_minor, req, 0);
    if (fd_major >= 0)
        ioctl(fd_major, req, 0);
    errno = e;
}

static int open_counter(uint64_t config, uint64_t period, unsigned long sig_data)
{
    return open_counter_on(0, config, period, sig_data, fp_attaching);
}

/* Attached: a thread that ran before gets counters of its own (the
 * process's inherited ones only reach threads started from now on), made
 * disabled; fp_faults_enable starts them.  Returns false when it could not. */
bool fp_faults_open_task(pid_t tid)
{
    if (fd_minor < 0 || n_task_fds + 2 > MAX_TASK_FDS)
        return false;
    int fmin = open_counter_on(tid, PERF_COUNT_SW_PAGE_FAULTS_MIN, minor_period, SIG_MINOR, true);
    if (fmin < 0)
        return false;
    int fmaj = open_counter_on(tid, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1, SIG_MAJOR, true);
    task_fds[n_task_fds++] = fmin;
    if (fmaj >= 0)
        task_fds[n_task_fds++] = fmaj;
    return true;
}

/* Detaching: no counter, and the program's SIGTRAP action back. */
void fp_faults_stop(void)
{
    for (int i = 0; i < n_task_fds; i++)
        close(task_fds[i]);
    n_task_fds = 0;
    if (fd_minor >= 0)
        close(fd_minor);
    if (fd_major >= 0)
        close(fd_major);
    fd_minor = fd_major = -1;
    if (atomic_exchange(&sampling, 0) && real_sigaction)
        real_sigaction(SIGTRAP, &prog_action, NULL);
}

static bool debugger_attached(void)
{
    if (fp_attaching)            /* the injector's gdb, about to leave */
        return false;
    char buf[4096];
    size_t n = fp_read_file("/proc/self/status", buf, sizeof(buf) - 1);
    buf[n] = 0;
    const char *p = strstr(buf, "TracerPid:");
    return p && strtol(p + 10, NULL, 10) != 0;
}

static void rusage_mode(struct fp_thread *t, const char *why, bool say)
{
    fp_write_note(t, "fault_mode", "rusage");
    fp_write_note(t, "fault_error", why);
    if (say)
        fp_warn("page faults are counted per thread, not sampled: %s", why);
}

/* The transparent huge page mode, the bracketed word of
 * "always [madvise] never": how the analyzer tells huge-page faults. */
static void thp_note(struct fp_thread *t)
{
    char buf[128];
    size_t n = fp_read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf) - 1);
    buf[n] = 0;
    char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;
    if (!b)
        return;
    *b = 0;
    fp_write_note(t, "thp_enabled", a + 1);
}

/* At start and in a fork child (which inherits no counter). */
void fp_faults_start(struct fp_thread *t)
{
    static bool said;
    thp_note(t);
    if (fd_minor >= 0) {         /* a fork child: the parent's counters */
        close(fd_minor);
        fd_minor = -1;
    }
    if (fd_major >= 0) {
        close(fd_major);
        fd_major = -1;
    }
    if (!fp_config.faults) {
        rusage_mode(t, "turned off (FAULTPROF_FAULTS=0)", false);
        return;
    }
    if (debugger_attached()) {
        rusage_mode(t, "a debugger is attached: SIGTRAP is left to it", !said);
        said = true;
        return;
    }
    /* sampled mode is the low-overhead one: its faults are sampled as
     * sparsely as its allocations (on bench/alloc_heavy, period 64 cost it
     * 0.02 s of 0.17, period 1024 0.008 s) */
    uint64_t dflt = fp_config.sample_bytes ? 1024 : 64;
    minor_period = fp_config.fault_period ? fp_config.fault_period : dflt;

    resolve_sigaction();
    if (!real_sigaction) {
        rusage_mode(t, "sigaction not found", !said);
        said = true;
        return;
    }
    struct sigaction ours, prev;
    memset(&ours, 0, sizeof(ours));
    ours.sa_sigaction = fp_fault_entry;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigfillset(&ours.sa_mask);      /* see fp_fault_handler */
    if (!atomic_load(&sampling)) {
        if (real_sigaction(SIGTRAP, &ours, &prev) != 0) {
            rusage_mode(t, "cannot install a SIGTRAP handler", !said);
            said = true;
            return;
        }
        prog_action = prev;
        atomic_store(&sampling, 1);
    }
    int fmin = open_counter(PERF_COUNT_SW_PAGE_FAULTS_MIN, minor_period, SIG_MINOR);
    int fmaj = fmin >= 0 ? open_counter(PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1, SIG_MAJOR) : -1;
    if (fmin < 0 || fmaj < 0) {
        int err = fmin < 0 ? -fmin : -fmaj;
        if (fmin >= 0)
            close(fmin);
        real_sigaction(SIGTRAP, &prog_action, NULL);
        atomic_store(&sampling, 0);
        char why[160];
        snprintf(why, sizeof(why), "perf_event_open: %s (perf_event_paranoid, seccomp "
                 "or an old kernel; sampling needs Linux >= 5.13)", strerror(err));
        rusage_mode(t, why, !said);
        said = true;
        return;
    }
    fd_minor = fmin;
    fd_major = fmaj;
    char num[24];
    snprintf(num, sizeof(num), "%lu", (unsigned long)minor_period);
    fp_write_note(t, "fault_mode", "perf");
    fp_write_note(t, "fault_period", num);
}

/* ---- the program's view of SIGTRAP while we sample */

static int trap_action(const struct sigaction *act, struct sigaction *old)
{
    if (old)
        *old = prog_action;
    if (act)
        prog_action = *act;
    return 0;
}

/* A program's handler that runs on its alternate stack (SA_ONSTACK) runs
 * with SIGTRAP blocked while we sample: a fault it takes would otherwise
 * put our signal frame on the same small stack, under the program's own,
 * where natively nothing more comes (a 5 KiB sigaltstack is enough for a
 * handler natively and not for two frames).  The sample comes when the
 * handler returns, charged to memory only (fp_fault_handler).  The program
 * still sees the mask it asked for. */
static _Atomic unsigned char trap_added[65];

static bool add_trap(int sig, const struct sigaction *act)
{
    return act && atomic_load(&sampling) && (act->sa_flags & SA_ONSTACK) &&
           act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN &&
           !sigismember(&act->sa_mask, SIGTRAP);
}

static int program_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

FP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int r = program_sigaction(sig, act, old);
    if (r == 0 && act)
        fp_unw_handler(sig, act->sa_handler);   /* how the recorder's walks mask */
    return r;
}

static int program_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve_sigaction();
    if (sig == SIGTRAP && atomic_load(&sampling))
        return trap_action(act, old);
    if (fp_control_owns(sig))
        return fp_control_action(act, old);
    if (sig <= 0 || sig > 64)
        return real_sigaction(sig, act, old);
    struct sigaction mine;
    bool add = add_trap(sig, act);
    if (add) {
        mine = *act;
        sigaddset(&mine.sa_mask, SIGTRAP);
    }
    int r = real_sigaction(sig, add ? &mine : act, old);
    if (r == 0) {
        if (old && atomic_load(&trap_added[sig]))
            sigdelset(&old->sa_mask, SIGTRAP);
        if (act)
            atomic_store(&trap_added[sig], add);
    }
    return r;
}

/* signal() and its relatives reach the kernel through glibc's internal
 * sigaction, which the hook above never sees: for SIGTRAP they set the
 * program's action with signal()'s flags; every other signal goes to glibc. */
static sighandler_t trap_handler(sighandler_t h, int flags)
{
    struct sigaction act, old;
    memset(&act, 0, sizeof(act));
    act.sa_handler = h;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    if (!(flags & SA_NODEFER))
        sigaddset(&act.sa_mask, SIGTRAP);
    trap_action(&act, &old);
    return old.sa_handler;
}

sighandler_t bsd_signal(int sig, sighandler_t h);

#define SIGNAL_HOOK(name, flags)                                             \
    FP_EXPORT sighandler_t name(int sig, sighandler_t h)                     \
    {                                                                        \
        static sighandler_t (*real)(int, sighandler_t);                      \
        if (sig == SIGTRAP && atomic_load(&sampling))                        \
            return trap_handler(h, flags);                                   \
        if (fp_control_owns(sig)) {                                          \
            fp_unw_handler(sig, h);                                          \
            return fp_control_handler(h, flags);                             \
        }                                                                    \
        if (!real)                                                           \
            real = (sighandler_t (*)(int, sighandler_t))dlsym(RTLD_NEXT, #name); \
        sighandler_t r = real(sig, h);                                       \
        if (r != SIG_ERR)                                                    \
            fp_unw_handler(sig, h);                                          \
        return r;                                                            \
    }

SIGNAL_HOOK(signal, SA_RESTART)
SIGNAL_HOOK(bsd_signal, SA_RESTART)
SIGNAL_HOOK(sysv_signal, SA_RESETHAND | SA_NODEFER)
