/* Pausing and resuming recording while the program runs.
 *
 * The control is a signal, FAULTPROF_TOGGLE_SIGNAL (SIGRTMAX unless set):
 * `faultprof --toggle PID` sends it with sigqueue and a value of ours, a
 * user may send it with kill(1) too.  The program keeps the signal: its
 * sigaction and signal() calls for it are remembered here, never given to
 * the kernel (as faults.c does for SIGTRAP), and an instance that is not
 * ours goes to the program's handler.  Once the program has a handler of
 * its own, only an instance carrying our value toggles: a plain kill then
 * reaches the program as it would without us.  Ours is installed with
 * SA_ONSTACK exactly when the program's action has it, so that its handler
 * runs on the signal stack or off it as it would natively.
 *
 * Paused, the state is FP_PAUSED: every hook passes straight through at
 * fp_enter's first test, and the fault sampler's counters are disabled, so
 * the program runs at close to native speed.  The kernel's per-thread fault
 * counters run on: the RUSAGE records after a resume carry totals that
 * include the pause, so a trace's fault totals stay exact (the faults of a
 * pause are charged to no site, see analyzer/model.c).
 *
 * A PAUSE or RESUME record marks each change, written by the thread the
 * signal came to, on the side stack.  When that thread cannot write (it has
 * no recorder yet, or the signal interrupted the recorder itself), the
 * marker is owed: the next thread that checks its fault counters while
 * recording writes it (fp_write_rusage), or the process's end does. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fp.h"

static int toggle_sig;                      /* 0 until installed */
static struct sigaction prog_action;        /* what the program asked for */
static int ours_onstack;                    /* ours is installed with SA_ONSTACK */
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

/* markers owed: how | FP_OWED_* */
#define FP_OWED_PAUSE  0x100
#define FP_OWED_RESUME 0x200
_Atomic int fp_marker_owed;

bool fp_control_owns(int sig)
{
    return sig > 0 && sig == toggle_sig;
}

static void toggle_handler(int sig, siginfo_t *si, void *uc);

/* Ours in the kernel for sig, on the signal stack when the program's
 * action asks for it (so that its handler, which ours calls, runs where it
 * would natively). */
static int install(int sig, int onstack)
{
    struct sigaction ours;
    memset(&ours, 0, sizeof(ours));
    ours.sa_sigaction = toggle_handler;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | (onstack ? SA_ONSTACK : 0);
    sigfillset(&ours.sa_mask);
    if (real_sigaction(sig, &ours, NULL) != 0)
        return -1;
    ours_onstack = onstack;
    return 0;
}

int fp_control_action(const struct sigaction *act, struct sigaction *old)
{
    if (old)
        *old = prog_action;
    if (act) {
        prog_action = *act;
        int onstack = (act->sa_flags & SA_ONSTACK) != 0;
        if (toggle_sig && onstack != ours_onstack)
            install(toggle_sig, onstack);
    }
    return 0;
}

/* ---- the markers */

struct marker {
    struct fp_thread *t;
    int how;        /* 0: RESUME */
};

static uint64_t write_marker(void *arg)
{
    const struct marker *m = arg;
    struct rusage ru;
    int e = errno;
    getrusage(RUSAGE_SELF, &ru);
    errno = e;
    uint64_t now = fp_now_ns();
    fp_write_rusage(m->t, now, true);
    if (m->how) {
        struct fp_rec_pause x = { .how = (uint64_t)m->how, .minflt = (uint64_t)ru.ru_minflt,
                                  .majflt = (uint64_t)ru.ru_majflt };
        fp_put_pause(m->t, &x, now);
    } else {
        struct fp_rec_resume x = { .minflt = (uint64_t)ru.ru_minflt,
                                   .majflt = (uint64_t)ru.ru_majflt };
        fp_put_resume(m->t, &x, now);
    }
    fp_thread_flush(m->t);   /* a live reader sees the change at once */
    return 1;
}

/* t is inside the shim (fp_enter's, or the recorder's own) */
static bool marker_in(struct fp_thread *t, int how)
{
    struct marker m = { t, how };
    return fp_side_call(t, write_marker, &m, true) != 0;
}

/* The markers owed, written by t (inside the shim) */
void fp_control_owed(struct fp_thread *t)
{
    int owed = atomic_exchange(&fp_marker_owed, 0);
    if (owed & FP_OWED_PAUSE)
        marker_in(t, owed & 0xff);
    if (owed & FP_OWED_RESUME)
        marker_in(t, 0);
}

/* A marker from the calling thread if it can write one, else owed. */
static void marker(int how)
{
    struct fp_thread *t = NULL;
    if (fp_self && !atomic_load_explicit(&fp_fork_gate, memory_order_acquire)) {
        /* fp_enter takes only a READY recorder: pretend for the marker */
        t = fp_enter();
    }
    if (t && marker_in(t, how)) {
        fp_leave(t);
        return;
    }
    if (t)
        fp_leave(t);
    atomic_fetch_or(&fp_marker_owed, how ? (FP_OWED_PAUSE | how) : FP_OWED_RESUME);
}

/* READY -> PAUSED: the marker first, while still recording */
bool fp_pause(int how)
{
    if (atomic_load(&fp_state) != FP_READY)
        return false;
    marker(how);
    int expect = FP_READY;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_PAUSED))
        return false;
    fp_faults_enable(false);
    return true;
}

/* PAUSED -> READY: the marker once recording again */
bool fp_resume(void)
{
    int expect = FP_PAUSED;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_READY))
        return false;
    fp_faults_enable(true);
    marker(0);
    return true;
}

/* ---- the signal */

static void toggle_handler(int sig, siginfo_t *si, void *uc)
{
    int v = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
    bool ours = v == FP_CONTROL_TOGGLE || v == FP_CONTROL_PAUSE || v == FP_CONTROL_RESUME;
    bool program_has_handler = prog_action.sa_handler != SIG_DFL &&
                               prog_action.sa_handler != SIG_IGN;
    if (!ours && program_has_handler) {
        fp_run_program_handler(&prog_action, sig, si, uc);
        return;
    }
    int e = errno;
    if (v == FP_CONTROL_PAUSE)
        fp_pause(FP_PAUSE_TOGGLE);
    else if (v == FP_CONTROL_RESUME)
        fp_resume();
    else if (!fp_pause(FP_PAUSE_TOGGLE))
        fp_resume();
    errno = e;
}

/* At start (the constructor, or the injector's call): takes the toggle
 * signal and says which it is in the trace.  A signal that cannot be had
 * leaves recording as it is, with a NOTE saying why. */
void fp_control_init(struct fp_thread *t)
{
    int sig = fp_config.toggle_signal ? fp_config.toggle_signal : SIGRTMAX;
    if (!real_sigaction)
        real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))
            dlsym(RTLD_NEXT, "sigaction");
    if (toggle_sig || !real_sigaction || sig == SIGTRAP || sig == SIGKILL || sig == SIGSTOP)
        return;
    /* attached, the program may have a handler already: ours runs where
     * its would */
    struct sigaction prev;
    if (real_sigaction(sig, NULL, &prev) != 0 ||
        install(sig, (prev.sa_flags & SA_ONSTACK) != 0) != 0) {
        fp_write_note(t, "toggle_error", "cannot install the toggle signal's handler");
        return;
    }
    prog_action = prev;
    toggle_sig = sig;
    char num[16];
    snprintf(num, sizeof(num), "%d", sig);
    fp_write_note(t, "toggle_signal", num);
}

/* Detaching: the program's own action back in the kernel. */
void fp_control_release(void)
{
    if (toggle_sig && real_sigaction) {
        int sig = toggle_sig;
        toggle_sig = 0;
        real_sigaction(sig, &prog_action, NULL);
    }
}

/* fork while paused: the child starts a trace of its own, paused too. */
pid_t fp_fork_paused(pid_t (*real_fork)(void))
{
    pid_t pid = real_fork();
    if (pid == 0 && fp_pid != 0) {
        int e = errno;
        int saved = fp_guard;
        fp_guard = 1;
        fp_after_fork_child();
        fp_guard = saved;
        errno = e;
    }
    return pid;
}

/* signal() and its relatives for the toggle signal (faults.c's hooks) */
sighandler_t fp_control_handler(sighandler_t h, int flags)
{
    struct sigaction act, old;
    memset(&act, 0, sizeof(act));
    act.sa_handler = h;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    fp_control_action(&act, &old);
    return old.sa_handler;
}

/* Started paused (--paused, or a fork child of a paused process): t is the
 * starting thread's recorder; recording was set up, nothing recorded yet. */
void fp_start_paused(struct fp_thread *t)
{
    marker_in(t, FP_PAUSE_START);
    atomic_store(&fp_state, FP_PAUSED);
    fp_faults_enable(false);
}
