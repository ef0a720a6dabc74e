/* A long-running program driven from stdin, for attaching and toggling:
 * each line "A P" makes a worker thread (started at the beginning, so it
 * runs before any attach) do a round of A allocations of 1000 bytes at
 * round_site (half of them freed at once) and touch P fresh pages; it
 * answers "round A P" on stdout when done.  "f" frees the blocks kept so
 * far (from the main thread).  "q" ends it with exit status 3
 * after printing its own fault count and what it allocated.  With
 * LIVE_ROUNDS_SIG=N it counts the signals N it gets, and says how many. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static int cmd_pipe[2], done_pipe[2];
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    (void)sig;
    caught++;
}
static long total_allocs;
static void *keep[1 << 16];
static size_t nkeep;

__attribute__((noinline)) static void *round_site(size_t n)
{
    return malloc(n);
}

static void do_round(long allocs, long pages)
{
    for (long i = 0; i < allocs; i++) {
        void *p = round_site(1000);
        memset(p, 1, 1000);
        if (i % 2 == 0 || nkeep >= sizeof(keep) / sizeof(keep[0]))
            free(p);
        else
            keep[nkeep++] = p;
    }
    total_allocs += allocs;
    if (pages > 0) {
        long pg = sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, (size_t)(pages * pg), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            exit(1);
        for (long i = 0; i < pages; i++)
            m[i * pg] = 1;
        munmap(m, (size_t)(pages * pg));
    }
}

static void *worker(void *arg)
{
    long job[2];
    while (read(cmd_pipe[0], job, sizeof(job)) == (ssize_t)sizeof(job)) {
        do_round(job[0], job[1]);
        char c = 1;
        if (write(done_pipe[1], &c, 1) != 1)
            exit(1);
    }
    return arg;
}

int main(void)
{
    pthread_t th;
    char line[128];
    if (pipe(cmd_pipe) || pipe(done_pipe) || pthread_create(&th, NULL, worker, NULL))
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* LIVE_ROUNDS_SIG=N: a handler of the program's own for signal N */
    if (getenv("LIVE_ROUNDS_SIG")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigaction(atoi(getenv("LIVE_ROUNDS_SIG")), &sa, NULL);
    }
    printf("ready %d\n", (int)getpid());
    while (fgets(line, sizeof(line), stdin)) {
        long job[2] = { 0, 0 };
        if (line[0] == 'q')
            break;
        if (line[0] == 'f') {          /* free what was kept */
            printf("freed %zu\n", nkeep);
            while (nkeep)
                free(keep[--nkeep]);
            continue;
        }
        if (sscanf(line, "%ld %ld", &job[0], &job[1]) < 1)
            continue;
        char c;
        if (write(cmd_pipe[1], job, sizeof(job)) != (ssize_t)sizeof(job) ||
            read(done_pipe[0], &c, 1) != 1)
            return 1;
        printf("round %ld %ld\n", job[0], job[1]);
    }
    close(cmd_pipe[1]);
    pthread_join(th, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("allocated %ld kept %zu caught %d\n", total_allocs, nkeep, (int)caught);
    fprintf(stderr, "minflt %ld\n", ru.ru_minflt);
    return 3;
}
