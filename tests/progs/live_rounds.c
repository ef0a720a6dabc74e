/* A long-running program driven from stdin, for attaching and toggling:
 * each line "A P" makes a worker thread (started at the beginning, so it
 * runs before any attach) do a round of A allocations of 1000 bytes at
 * round_site (half of them freed at once) and touch P fresh pages; it
 * answers "round A P" on stdout when done.  "q" ends it with exit status 3
 * after printing its own fault count and what it allocated. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static int cmd_pipe[2], done_pipe[2];
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
    printf("ready %d\n", (int)getpid());
    while (fgets(line, sizeof(line), stdin)) {
        long job[2] = { 0, 0 };
        if (line[0] == 'q')
            break;
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
    printf("allocated %ld kept %zu\n", total_allocs, nkeep);
    fprintf(stderr, "minflt %ld\n", ru.ru_minflt);
    return 3;
}
