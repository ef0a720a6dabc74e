/* A program with its own SIGTRAP handler, installed with sigaction or
 * signal(), that raises SIGTRAP while it also faults pages in: it must get
 * every one of its own SIGTRAPs and none of the profiler's.
 *   rec_trap sigaction|signal N   prints how many SIGTRAPs its handler saw
 *   rec_trap default              raise(SIGTRAP) with the default action
 *   rec_trap touch PAGES          faults PAGES fresh pages in, once each */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile long traps, foreign;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig == SIGTRAP && si->si_code == SI_TKILL)
        traps++;
    else
        foreign++;
}

static void on_trap_plain(int sig)
{
    if (sig == SIGTRAP)
        traps++;
}

__attribute__((noinline)) static long touch(size_t pages)
{
    char *p = malloc(pages * 4096);
    __asm__ volatile("" : : "r"(p) : "memory");   /* -O2 may not elide it */
    long s = 0;
    for (size_t i = 0; i < pages; i++) {
        p[i * 4096] = (char)i;
        s += p[i * 4096];
    }
    free(p);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "default") == 0) {
        touch(1000);
        printf("raising\n");
        fflush(stdout);
        raise(SIGTRAP);
        printf("not reached\n");
        return 0;
    }
    long n = argc > 2 ? atol(argv[2]) : 100;
    if (argc > 1 && strcmp(argv[1], "touch") == 0) {
        printf("sum=%ld\n", touch((size_t)n));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "signal") == 0) {
        signal(SIGTRAP, on_trap_plain);
    } else {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_trap;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGTRAP, &sa, &old);
        /* the action read back is the program's own */
        sigaction(SIGTRAP, NULL, &old);
        if (!(old.sa_flags & SA_SIGINFO) || old.sa_sigaction != on_trap)
            printf("sigaction read back another handler\n");
    }
    long s = 0;
    for (long i = 0; i < n; i++) {
        s += touch(i % 2 ? 50 : 400);   /* sizes that keep glibc mapping */
        raise(SIGTRAP);
    }
    printf("traps=%ld foreign=%ld sum=%ld\n", traps, foreign, s);
    return 0;
}
