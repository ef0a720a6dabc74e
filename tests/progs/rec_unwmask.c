/* libunwind's signal masking under the shim (preload/unwind_mask.c).
 * Worker threads allocate through call chains of several depths, with an
 * anonymous executable page mapped so that the recorder walks every stack
 * step by step (its slow path, where libunwind masks signals at each step).
 *   rec_unwmask count     just that (the test counts rt_sigprocmask calls)
 *   rec_unwmask dlopen    also dlopens libunwind.so.8 and, from a SIGPROF
 *                         handler that another thread sends every 20 us,
 *                         walks the interrupted thread's stack with it
 *   rec_unwlinked prof    (this file built with -DLINKED -lunwind) the
 *                         same with libunwind linked in
 *   rec_unwmask jump      the main thread alone maps and unmaps pages
 *                         (system calls, which a handler may jump out of,
 *                         as it may not out of malloc) under call chains
 *                         of several depths while a SIGALRM every 50 us
 *                         siglongjmps out of whatever it was doing, 2000
 *                         times; then after_jumps makes 1000 allocations.
 *                         A jump out of a walk of the recorder's that held
 *                         libunwind's lock unmasked left it taken: the next
 *                         walk waited for good
 * With the same libunwind copy shared, a walk in a handler that interrupts
 * the recorder's own walk waits for a lock its thread holds unless
 * libunwind's masking stays.  Also checks that the program's own
 * sigprocmask calls do what they should.  Prints what each thread did. */
#include <dlfcn.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define STR(x) #x
#define XSTR(x) STR(x)
#define WORKERS 3
#define ITERS 4000

static int (*getcontext_fn)(unw_context_t *);
static int (*init_fn)(unw_cursor_t *, unw_context_t *);
static int (*step_fn)(unw_cursor_t *);
static volatile sig_atomic_t walks;
static __thread volatile int my_signals;   /* SIGPROFs this thread took */
static _Atomic int running;

static void on_prof(int sig)
{
    (void)sig;
    int e = errno;
    my_signals++;
    unw_context_t uc;
    unw_cursor_t c;
    if (getcontext_fn(&uc) == 0 && init_fn(&c, &uc) == 0) {
        int n = 0;
        while (n < 64 && step_fn(&c) > 0)
            n++;
        if (n > 0)
            walks++;
    }
    errno = e;
}

static __attribute__((noinline)) void *chain(int depth, size_t size)
{
    if (depth == 0) {
        void *p = malloc(size);
        __asm__ volatile("" : : "r"(p) : "memory");
        return p;
    }
    void *p = chain(depth - 1, size + 8);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static bool profiled;

/* ITERS allocations, and where profiled more (uncounted) until the thread
 * has taken 300 signals or 5 s have passed */
/* one allocation, the stack pointer moved by a varying amount: (nearly)
 * every one a stack the recorder has to walk */
static __attribute__((noinline)) void one(unsigned i)
{
    volatile char *pad = __builtin_alloca(16 + (i * 2654435761u >> 20) % 4096);
    pad[0] = 0;
    free(chain(1 + i % 6, 32));
    __asm__ volatile("" : : "r"(pad) : "memory");
}

static void *worker(void *arg)
{
    long *n = arg;
    for (unsigned i = 0; i < ITERS; i++) {
        one(i);
        (*n)++;
    }
    time_t end = time(NULL) + 5;
    for (unsigned i = 0; profiled && my_signals < 300 && time(NULL) < end; i++)
        one(i);
    return NULL;
}

static void *pinger(void *arg)
{
    pthread_t *to = arg;
    struct timespec ts = { 0, 20 * 1000 };
    while (running)
        for (int i = 0; i < WORKERS; i++) {
            pthread_kill(to[i], SIGPROF);
            nanosleep(&ts, NULL);
        }
    return NULL;
}

static sigjmp_buf jb;
static volatile sig_atomic_t jumps;

static void on_alarm(int sig)
{
    (void)sig;
    jumps++;
    siglongjmp(jb, 1);
}

static __attribute__((noinline)) long after_jumps(void)
{
    long n = 0;
    for (int i = 0; i < 1000; i++) {
        void *p = malloc(64 + (size_t)(i & 7));
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
        n++;
    }
    return n;
}

static __attribute__((noinline)) void *map_chain(int depth)
{
    if (depth == 0) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED)
            munmap(p, 4096);
        return p;
    }
    void *p = map_chain(depth - 1);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static __attribute__((noinline)) void map_one(unsigned i)
{
    volatile char *pad = __builtin_alloca(16 + (i * 2654435761u >> 20) % 4096);
    pad[0] = 0;
    map_chain(1 + i % 6);
    __asm__ volatile("" : : "r"(pad) : "memory");
}

static int jump_mode(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    static unsigned i;          /* static: its value survives the jumps */
    if (sigsetjmp(jb, 1) == 0) {    /* the buffer first, then the timer */
        struct itimerval it = { { 0, 50 }, { 0, 50 } };
        setitimer(ITIMER_REAL, &it, NULL);
    }
    while (jumps < 2000)
        map_one(i++);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("after_jumps %ld\n", after_jumps());
    return 0;
}

/* the program's own masks: what sigprocmask says and does */
static int check_masks(void)
{
    sigset_t one, old, now;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &one, &old) != 0 || sigismember(&old, SIGUSR1))
        return 1;
    if (sigprocmask(SIG_SETMASK, NULL, &now) != 0 || !sigismember(&now, SIGUSR1))
        return 2;
    errno = 0;
    if (sigprocmask(12345, &one, NULL) != -1 || errno != EINVAL)
        return 3;
    if (sigprocmask(SIG_SETMASK, &old, NULL) != 0)
        return 4;
    if (sigprocmask(SIG_SETMASK, NULL, &now) != 0 || sigismember(&now, SIGUSR1))
        return 5;
    return 0;
}

static int load_unwind(void)
{
#ifdef LINKED
    getcontext_fn = unw_tdep_getcontext;
    init_fn = unw_init_local;
    step_fn = unw_step;
#else
    void *h = dlopen("libunwind.so.8", RTLD_NOW);
    if (!h)
        return -1;
    getcontext_fn = (int (*)(unw_context_t *))dlsym(h, XSTR(unw_tdep_getcontext));
    init_fn = (int (*)(unw_cursor_t *, unw_context_t *))dlsym(h, XSTR(unw_init_local));
    step_fn = (int (*)(unw_cursor_t *))dlsym(h, XSTR(unw_step));
#endif
    return getcontext_fn && init_fn && step_fn ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "count";
    bool prof = profiled = strcmp(mode, "count") != 0;
    /* generated code: the recorder's walks step frame by frame */
    void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED)
        return 2;
    printf("masks %d\n", check_masks());
    if (!strcmp(mode, "jump"))
        return jump_mode();
    if (prof) {
        if (load_unwind() < 0) {
            fprintf(stderr, "rec_unwmask: libunwind: %s\n", dlerror());
            return 2;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_prof;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGPROF, &sa, NULL);
    }
    pthread_t th[WORKERS], ping;
    long done[WORKERS] = { 0 };
    running = 1;
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&th[i], NULL, worker, &done[i]) != 0)
            return 2;
    if (prof && pthread_create(&ping, NULL, pinger, th) != 0)
        return 2;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    running = 0;
    if (prof)
        pthread_join(ping, NULL);
    for (int i = 0; i < WORKERS; i++)
        printf("worker %d: %ld\n", i, done[i]);
    if (prof)
        fprintf(stderr, "walks %d\n", (int)walks);
    return 0;
}
