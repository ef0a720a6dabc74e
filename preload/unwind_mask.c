/* libunwind's signal masking, done once per walk or not at all.
 *
 * libunwind 1.6 blocks every signal around each use of a global lock (its
 * register-state cache's, its memory pool's) and around dl_iterate_phdr:
 * two rt_sigprocmask system calls a time, through sigprocmask: a walk with
 * unw_step makes two a frame, unw_backtrace two a frame its trace cache
 * misses.  A traced `g++ -O0 -c` of a regex test made 22M of them: 13.7 s
 * of system time on one machine (a native run took 2.6 s), 2.35 s on
 * another.  The mask keeps a signal handler from running while the thread
 * holds the lock: a handler that entered libunwind would wait for the lock
 * for good, and one that longjmps out of the walk would leave it taken.
 *
 * The recorder's walks (fp_unw_enter and fp_unw_leave, around every call
 * into libunwind in stack.c) have libunwind's own sigprocmask calls return
 * at once, and mask for the whole walk themselves instead, with two calls
 * a walk, where the program has a handler for an asynchronous signal.
 * Where it has none, no handler of the program can run inside the walk,
 * and nothing is masked: the shim's own handlers never unwind or jump
 * while the recorder runs (fp_enter is NULL when guarded: faults.c counts
 * such a sample), and a fault's handler (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGTRAP, SIGSYS, SIGABRT) runs only for the program's own faults.  The
 * program's handlers are known from the sigaction and signal hooks
 * (faults.c) and, for those installed before the recorder started, from
 * the kernel at start; one installed by a raw system call, or by sigset()
 * (glibc's internal sigaction), is not seen.
 *
 * A skipped call that asked for the old mask gets a marked set in its
 * place (word 1, which the kernel and glibc never read, and which
 * sigemptyset, sigfillset and sigaddset only ever make 0 or all ones);
 * should that set ever come back to be restored outside a walk, the call
 * again does nothing, as the one that made it did. */
#include <errno.h>
#include <signal.h>

#include "fp.h"

_Atomic uint64_t fp_async_handlers;    /* (fp_unw_quiet is with the guard's flags) */

#define QUIET_MARK 0x7175696574ull   /* "quiet" */

static inline bool quiet_set(const sigset_t *s)
{
    return s->__val[1] == QUIET_MARK;
}

static bool synchronous(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
           sig == SIGTRAP || sig == SIGSYS || sig == SIGABRT;
}

void fp_unw_handler(int sig, void (*h)(int))
{
    if (sig <= 0 || sig > 64 || synchronous(sig))
        return;
    uint64_t bit = 1ull << (sig - 1);
    if (h == SIG_DFL || h == SIG_IGN)
        atomic_fetch_and_explicit(&fp_async_handlers, ~bit, memory_order_relaxed);
    else
        atomic_fetch_or_explicit(&fp_async_handlers, bit, memory_order_relaxed);
}

/* At start: the handlers installed before the recorder was. */
void fp_unw_start(void)
{
    for (int sig = 1; sig <= 64; sig++) {
        struct sigaction old;
        if (fp_sigaction_next(sig, NULL, &old) == 0)
            fp_unw_handler(sig, old.sa_handler);
    }
}

static int pass(int how, const sigset_t *set, sigset_t *old)
{
    if (FP_LIKELY(fp_real.sigprocmask != NULL))
        return fp_real.sigprocmask(how, set, old);
    /* before fp_resolve (dlsym is no call for a signal handler): glibc's
     * sigprocmask is pthread_sigmask with errno */
    int r = pthread_sigmask(how, set, old);
    if (r != 0) {
        errno = r;
        return -1;
    }
    return 0;
}

FP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (FP_LIKELY(!fp_from_unwinder(__builtin_return_address(0))))
        return pass(how, set, old);
    if (fp_unw_quiet || (how == SIG_SETMASK && set && quiet_set(set))) {
        if (old) {                  /* libunwind only hands it back */
            old->__val[0] = 0;
            old->__val[1] = QUIET_MARK;
        }
        return 0;
    }
    return pass(how, set, old);
}
