/* Torture program: the program's own signal handlers under the shim.
 *   tort_signals trap N    N int3 traps; the SIGTRAP handler allocates
 *                          (trap_handler_work, 1 malloc+free)
 *   tort_signals prof N    ITIMER_PROF every ms until N SIGPROFs, while the
 *                          main loop allocates (prof_main_work); "main M"
 *                          on stderr
 *   tort_signals segv N    N NULL dereferences; the SIGSEGV handler runs on
 *                          a sigaltstack, allocates (segv_handler_work) and
 *                          siglongjmps out
 *   tort_signals alarm MS  SIGALRM every 200 us for MS ms; the handler
 *                          allocates (alarm_handler_work) and maps a page,
 *                          the main loop maps pages (unblocked) and
 *                          allocates (main_alloc_work, SIGALRM blocked so
 *                          that glibc's malloc is never re-entered);
 *                          "handler H main M maps K" on stderr
 *   tort_signals jump N    SIGALRM every 100 us siglongjmps out of whatever
 *                          the main loop was doing (mmap/munmap, through
 *                          the shim) N times; then after_jump_work does
 *                          100 malloc+free
 *   tort_signals rtmax N   on a 64 KiB sigaltstack: N raise(SIGRTMAX) to a
 *                          handler installed with SA_ONSTACK, then N to one
 *                          without; each says whether it ran on the
 *                          sigaltstack (the shim takes SIGRTMAX, its toggle
 *                          signal, and passes these on to the program's) */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;
static volatile sig_atomic_t handled;
static sigjmp_buf jb;

#define WORK(name, base)                               \
    __attribute__((noinline)) static void name(long n) \
    {                                                  \
        for (long i = 0; i < n; i++) {                 \
            char *p = malloc(base + (size_t)(i & 7));  \
            p[0] = 1;                                  \
            sink = p;                                  \
            free(p);                                   \
        }                                              \
    }
WORK(trap_handler_work, 16)
WORK(prof_main_work, 24)
WORK(segv_handler_work, 32)
WORK(alarm_handler_work, 40)
WORK(main_alloc_work, 48)
WORK(after_jump_work, 56)

static void on(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(1);
    }
}

static void timer(int which, long us)
{
    struct itimerval it = {{0, us}, {0, us}};
    setitimer(which, &it, NULL);
}

static void map_page(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort();
    *(volatile char *)p = 1;
    munmap(p, 4096);
}

static void on_trap(int sig)
{
    trap_handler_work(1);
    handled++;
}

static void on_prof(int sig)
{
    handled++;
}

static void on_segv(int sig)
{
    segv_handler_work(1);
    handled++;
    siglongjmp(jb, 1);
}

static volatile long alarm_maps;
static void on_alarm(int sig)
{
    int e = errno;
    alarm_handler_work(1);
    map_page();
    alarm_maps++;
    handled++;
    errno = e;
}

static void on_alarm_jump(int sig)
{
    handled++;
    siglongjmp(jb, 1);
}

static char *alt_lo, *alt_hi;              /* rtmax: the sigaltstack */
static volatile sig_atomic_t on_alt, off_alt;

static void on_rtmax(int sig)
{
    char here;
    if (&here >= alt_lo && &here < alt_hi)
        on_alt++;
    else
        off_alt++;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of tort_signals.c\n");
        return 2;
    }
    long n = atol(argv[2]);
    if (strcmp(argv[1], "trap") == 0) {
        on(SIGTRAP, on_trap, 0);
        for (long i = 0; i < n; i++)
            __asm__ volatile("int3");
        printf("trap %ld handled %d\n", n, (int)handled);
    } else if (strcmp(argv[1], "prof") == 0) {
        long m = 0;
        on(SIGPROF, on_prof, SA_RESTART);
        timer(ITIMER_PROF, 1000);
        while (handled < n) {
            prof_main_work(1);
            m++;
        }
        timer(ITIMER_PROF, 0);
        fprintf(stderr, "main %ld\n", m);
        printf("prof %ld ok\n", n);
    } else if (strcmp(argv[1], "segv") == 0) {
        stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
        if (sigaltstack(&ss, NULL) != 0) {
            perror("sigaltstack");
            return 1;
        }
        on(SIGSEGV, on_segv, SA_ONSTACK | SA_NODEFER);
        for (volatile long i = 0; i < n; i++)
            if (sigsetjmp(jb, 1) == 0)
                *(volatile int *)(uintptr_t)(16 + (i & 0xff)) = 1;
        printf("segv %ld recovered %d\n", n, (int)handled);
    } else if (strcmp(argv[1], "alarm") == 0) {
        sigset_t block, old;
        long m = 0, maps = 0;
        sigemptyset(&block);
        sigaddset(&block, SIGALRM);
        on(SIGALRM, on_alarm, SA_RESTART);
        timer(ITIMER_REAL, 200);
        double end = now_ms() + (double)n;
        while (now_ms() < end) {
            map_page();
            maps++;
            sigprocmask(SIG_BLOCK, &block, &old);
            main_alloc_work(1);
            sigprocmask(SIG_SETMASK, &old, NULL);
            m++;
        }
        sigprocmask(SIG_BLOCK, &block, NULL);
        timer(ITIMER_REAL, 0);
        fprintf(stderr, "handler %d main %ld maps %ld\n", (int)handled, m,
                maps + alarm_maps);
        printf("alarm ok\n");
    } else if (strcmp(argv[1], "jump") == 0) {
        on(SIGALRM, on_alarm_jump, SA_NODEFER);
        sigsetjmp(jb, 1);
        if (handled == 0)
            timer(ITIMER_REAL, 100);
        while (handled < n) {
            /* leaks the page when the jump lands between the two calls */
            void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            munmap(p, 4096);
        }
        timer(ITIMER_REAL, 0);
        after_jump_work(100);
        printf("jumped %ld\n", n);
    } else if (strcmp(argv[1], "rtmax") == 0) {
        stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
        alt_lo = ss.ss_sp;
        alt_hi = alt_lo + ss.ss_size;
        if (sigaltstack(&ss, NULL) != 0) {
            perror("sigaltstack");
            return 1;
        }
        on(SIGRTMAX, on_rtmax, SA_ONSTACK);
        for (long i = 0; i < n; i++)
            raise(SIGRTMAX);
        int with = (int)on_alt, with_off = (int)off_alt;
        on_alt = off_alt = 0;
        on(SIGRTMAX, on_rtmax, 0);
        for (long i = 0; i < n; i++)
            raise(SIGRTMAX);
        printf("SA_ONSTACK: %d on the sigaltstack, %d off; without: %d on, %d off\n", with,
               with_off, (int)on_alt, (int)off_alt);
    } else {
        fprintf(stderr, "tort_signals: unknown mode %s\n", argv[1]);
        return 2;
    }
    return 0;
}
