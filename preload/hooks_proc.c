/* Process events: fork (the child starts a trace of its own), the exec
 * family (buffers written first; with following off, the new program gets
 * no LD_PRELOAD of ours), _exit/_Exit/abort (buffers written first),
 * dlopen/dlclose (the module list written again) and prctl(PR_SET_TSC)
 * (the thread's clock, os.c). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fp.h"

/* No other thread may hold a lock of ours or libunwind's in the child: the
 * fork gate is closed around the fork.  It closes in an atfork prepare
 * handler of ours, registered at start-up before the program's, so that it
 * runs after theirs: their handlers take their locks (jemalloc's prefork
 * takes every arena lock) while the gate is still open, and a thread that
 * holds one of those locks while it records is never kept at the gate by
 * the fork that waits for its lock.  A handler registered before ours (a
 * library set up before us, every handler when attached) runs with the
 * gate closed: a thread at the gate waits while the forking thread goes
 * on, and stops waiting when it waits for this thread (fork_gate.c). */
static FP_TLS struct fp_thread *forking;  /* our fork hook's thread, around the real fork */
static bool atfork_ok;

static void gate_close_for_fork(void)
{
    if (forking) {
        fp_fork_gate_close(forking);
        fp_threads_lock();
    }
}

static void gate_open_after_fork(void)
{
    if (forking) {
        fp_threads_unlock();
        fp_fork_gate_open();
    }
}

void fp_fork_handlers_init(void)
{
    atfork_ok = pthread_atfork(gate_close_for_fork, gate_open_after_fork,
                               gate_open_after_fork) == 0;
}

FP_EXPORT pid_t fork(void)
{
    struct fp_thread *t = fp_enter();
    if (FP_UNLIKELY(!t)) {
        if (!fp_real.fork)
            fp_resolve();
        if (atomic_load(&fp_state) == FP_PAUSED && !fp_guarded())
            return fp_fork_paused(fp_real.fork);
        return fp_real.fork();
    }
    fp_thread_flush(t);
    forking = t;
    if (!atfork_ok)
        gate_close_for_fork();
    pid_t pid = fp_real.fork();
    int e = errno;
    if (!atfork_ok)
        gate_open_after_fork();
    forking = NULL;
    if (pid == 0) {
        fp_after_fork_child();
        t = fp_self;
        if (!t) {                /* the child could not start a trace */
            fp_guard = 0;
            errno = e;
            return 0;
        }
    } else {
        if (pid > 0) {
            struct fp_rec_fork x = { .child_pid = (uint64_t)pid };
            fp_put_fork(t, &x, fp_now_ns());
        }
    }
    fp_leave(t);
    errno = e;
    return pid;
}

/* ---- exec */

/* A vfork child shares our memory and our TLS: it must touch nothing. */
static inline bool foreign_process(void)
{
    return fp_pid != 0 && getpid() != fp_pid;
}

static void write_exec(struct fp_thread *t, const char *path, int err)
{
    size_t n = path ? strnlen(path, 4096) : 0;
    struct fp_rec_exec x = { .err = (unsigned)err, .path = { path ? path : "", (uint32_t)n } };
    fp_put_exec(t, &x, fp_now_ns());
}

/* With following off, LD_PRELOAD entries naming us are dropped from the
 * environment handed to the new program. */
static char *const *exec_env(char *const *envp, char **scratch, size_t cap)
{
    if (fp_config.follow || !envp)
        return envp;
    size_t j = 0;
    for (size_t i = 0; envp[i] && j + 1 < cap; i++) {
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0 && strstr(envp[i], "libfaultprof.so"))
            continue;
        scratch[j++] = envp[i];
    }
    scratch[j] = NULL;
    return scratch;
}

/* Before the image is replaced: the end-of-process figures and every
 * buffer to disk.  If the exec fails, recording simply goes on. */
static void exec_prepare(struct fp_thread *t, const char *path)
{
    write_exec(t, path, 0);
    fp_write_process_end(t, 3);
    fp_fork_gate_close(t);
    fp_flush_all();
}

static void exec_failed(struct fp_thread *t, const char *path, int err)
{
    fp_fork_gate_open();
    write_exec(t, path, err);
}

#define ENV_SCRATCH 4096
extern char **environ;

/* The common body: run `call` with the environment adjusted */
#define EXEC_BODY(path, envp, call_with_env)                                 \
    do {                                                                      \
        if (foreign_process()) {                                              \
            char *const *env_ = (envp);                                       \
            return call_with_env;                                             \
        }                                                                     \
        struct fp_thread *t = fp_enter();                                     \
        if (!t) {                                                             \
            if (!fp_real.execve)                                              \
                fp_resolve();                                                 \
            if (atomic_load(&fp_state) == FP_PAUSED && !fp_guarded())         \
                fp_process_end(3);   /* paused: the trace ends complete */    \
            char *const *env_ = (envp);                                       \
            return call_with_env;                                             \
        }                                                                     \
        char **scratch = fp_config.follow ? NULL                              \
            : fp_os_map(ENV_SCRATCH * sizeof(char *));                        \
        char *const *env_ = scratch ? exec_env((envp), scratch, ENV_SCRATCH)  \
                                    : (envp);                                 \
        exec_prepare(t, (path));                                              \
        int rc_ = call_with_env;                                              \
        int e_ = errno;                                                       \
        exec_failed(t, (path), e_);                                           \
        if (scratch)                                                          \
            fp_os_unmap(scratch, ENV_SCRATCH * sizeof(char *));               \
        fp_leave(t);                                                          \
        errno = e_;                                                           \
        return rc_;                                                           \
    } while (0)

FP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    EXEC_BODY(path, envp, fp_real.execve(path, argv, env_));
}

FP_EXPORT int execv(const char *path, char *const argv[])
{
    EXEC_BODY(path, environ, fp_real.execve(path, argv, env_));
}

FP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    EXEC_BODY(file, envp, fp_real.execvpe(file, argv, env_));
}

FP_EXPORT int execvp(const char *file, char *const argv[])
{
    EXEC_BODY(file, environ, fp_real.execvpe(file, argv, env_));
}

FP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    EXEC_BODY("(fexecve)", envp, fp_real.fexecve(fd, argv, env_));
}

FP_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
                       char *const envp[], int flags)
{
    EXEC_BODY(path, envp, fp_real.execveat(dirfd, path, argv, env_, flags));
}

/* execl, execlp, execle: collect the variadic arguments into an array */
#define MAX_ARGS 4096
#define COLLECT_ARGS(first, ap, argv, n)                                     \
    do {                                                                      \
        argv[0] = (char *)(first);                                            \
        n = 1;                                                                \
        while (argv[n - 1] != NULL) {                                         \
            if (n >= MAX_ARGS) { errno = E2BIG; va_end(ap); return -1; }      \
            argv[n++] = va_arg(ap, char *);                                   \
        }                                                                     \
    } while (0)

FP_EXPORT int execl(const char *path, const char *arg, ...)
{
    char *argv[MAX_ARGS];
    size_t n;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n);
    va_end(ap);
    return execv(path, argv);
}

FP_EXPORT int execlp(const char *file, const char *arg, ...)
{
    char *argv[MAX_ARGS];
    size_t n;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n);
    va_end(ap);
    return execvp(file, argv);
}

FP_EXPORT int execle(const char *path, const char *arg, ...)
{
    char *argv[MAX_ARGS];
    size_t n;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}

/* ---- the ends that skip exit(): write what we have first */

static void end_now(int reason)
{
    if (foreign_process())
        return;
    if (fp_guarded())
        return;
    fp_process_end(reason);
}

FP_EXPORT void _exit(int status)
{
    end_now(2);
    if (!fp_real._exit)
        fp_resolve();
    fp_real._exit(status);
}

FP_EXPORT void _Exit(int status)
{
    end_now(2);
    if (!fp_real._Exit)
        fp_resolve();
    fp_real._Exit(status);
}

FP_EXPORT void abort(void)
{
    end_now(4);
    if (!fp_real.abort)
        fp_resolve();
    fp_real.abort();
}

/* ---- dlopen/dlclose: the module list changes */

static void modules_changed(void)
{
    if (FP_UNLIKELY(fp_attached))
        fp_inject_rescan();
    struct fp_thread *t = fp_enter();
    if (!t)
        return;
    fp_modules_rescan(t);
    fp_write_maps(t);      /* writes the buffer too: modules on disk for what follows */
    fp_leave(t);
}

FP_EXPORT void *dlopen(const char *file, int mode)
{
    if (!fp_real.dlopen)
        fp_resolve();
    void *h = fp_real.dlopen(file, mode);
    if (h && !fp_guarded()) {
        int e = errno;
        modules_changed();
        errno = e;
    }
    return h;
}

FP_EXPORT void *dlmopen(long ns, const char *file, int mode)
{
    if (!fp_real.dlmopen)
        fp_resolve();
    void *h = fp_real.dlmopen(ns, file, mode);
    if (h && !fp_guarded()) {
        int e = errno;
        modules_changed();
        errno = e;
    }
    return h;
}

FP_EXPORT int dlclose(void *h)
{
    if (!fp_real.dlclose)
        fp_resolve();
    int rc = fp_real.dlclose(h);
    if (!fp_guarded()) {
        int e = errno;
        modules_changed();
        errno = e;
    }
    return rc;
}

/* ---- longjmp out of a signal handler that interrupted the recorder
 *
 * The recorder's frames are abandoned with its guard set and maybe a lock
 * taken: the thread would record nothing more, or hang.  When the jump
 * lands above the frame that set the guard, reset the recorder's state
 * first.  glibc keeps the target stack pointer in the jmp_buf mangled with
 * the thread's pointer guard (%fs:0x30, then rotated left by 17). */
static uintptr_t jmp_target_sp(const void *env)
{
    uintptr_t guard, v = ((const uintptr_t *)env)[6];   /* JB_RSP */
    __asm__("mov %%fs:0x30, %0" : "=r"(guard));
    v = (v >> 17) | (v << (64 - 17));
    return v ^ guard;
}

static void before_jump(const void *env)
{
    if (!(fp_guard || fp_in_alloc) || (!fp_guard_sp && !fp_alloc_sp))
        return;
    uintptr_t sp = jmp_target_sp(env);
    uintptr_t inner = fp_guard_sp ? fp_guard_sp : fp_alloc_sp;
    struct fp_thread *t = fp_self;
    if (t && sp > inner && sp >= t->stack_lo && sp < t->stack_hi)
        fp_guard_reset();
}

#define LONGJMP_HOOK(name)                                                   \
    FP_EXPORT void name(jmp_buf env, int val)                                \
    {                                                                        \
        static void (*real)(struct __jmp_buf_tag *, int);                    \
        if (!real)                                                           \
            real = (void (*)(struct __jmp_buf_tag *, int))dlsym(RTLD_NEXT, #name); \
        before_jump(env);                                                    \
        real(env, val);                                                      \
        __builtin_unreachable();                                             \
    }

void __longjmp_chk(jmp_buf env, int val);
LONGJMP_HOOK(longjmp)
LONGJMP_HOOK(_longjmp)
LONGJMP_HOOK(siglongjmp)
LONGJMP_HOOK(__longjmp_chk)

/* PR_SET_TSC: the thread stops reading the TSC before the call (a thread
 * barred from it takes SIGSEGV at its next rdtsc) and asks the kernel
 * after it whether it may again.  glibc's prctl reads four more words
 * whatever the option; so does this. */
static int next_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4,
                      unsigned long a5)
{
    if (!fp_real.prctl)
        fp_resolve();      /* (returns at once while another thread runs it) */
    if (!fp_real.prctl)
        return (int)syscall(SYS_prctl, option, a2, a3, a4, a5);
    return fp_real.prctl(option, a2, a3, a4, a5);
}

FP_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option != PR_SET_TSC)
        return next_prctl(option, a2, a3, a4, a5);
    fp_clock_tsc_off();
    int r = next_prctl(option, a2, a3, a4, a5);
    fp_clock_thread();      /* errno kept */
    return r;
}
