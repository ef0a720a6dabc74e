/* A program for the live view's test: for SLOW seconds it allocates 4
 * blocks of 256 KiB a second at live_hog_site and touches every page of
 * them, then for FAST seconds 100 a second; it keeps the last 32 live
 * (8 MiB) and frees the older ones.  The blocks are mmapped (a fixed mmap
 * threshold), so each new one faults afresh: about 256 faults a second,
 * then about 6400.  Prints "live_faults: N blocks" and exits with status 3.
 * With CHILD, a fork child first allocates 20 blocks of 64 KiB a second at
 * live_child_site for CHILD seconds (the parent waits for it at the end).
 * usage: live_faults SLOW FAST [CHILD] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK (256 * 1024)
#define KEEP 32

static void *ring[KEEP];

__attribute__((noinline)) static void *live_hog_site(void)
{
    char *p = malloc(BLOCK);
    if (p)
        for (size_t i = 0; i < BLOCK; i += 4096)
            p[i] = (char)i;
    return p;
}

__attribute__((noinline)) static void *live_child_site(void)
{
    char *p = malloc(64 * 1024);
    if (p)
        memset(p, 1, 64 * 1024);
    return p;
}

static void child(double seconds)
{
    struct timespec gap = { 0, 50000000L };
    for (long k = (long)(seconds * 20); k > 0; k--) {
        free(ring[k % KEEP]);
        ring[k % KEEP] = live_child_site();
        nanosleep(&gap, NULL);
    }
    exit(0);
}

static void run(double seconds, int per_second, long *n)
{
    struct timespec gap = { 0, 1000000000L / per_second };
    for (long k = (long)(seconds * per_second); k > 0; k--) {
        free(ring[*n % KEEP]);
        ring[*n % KEEP] = live_hog_site();
        ++*n;
        nanosleep(&gap, NULL);
    }
}

int main(int argc, char **argv)
{
    long n = 0;
    pid_t kid = 0;
    if (argc != 3 && argc != 4)
        return 2;
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (argc == 4 && (kid = fork()) == 0)
        child(atof(argv[3]));
    run(atof(argv[1]), 4, &n);
    run(atof(argv[2]), 100, &n);
    if (kid > 0)
        waitpid(kid, NULL, 0);
    printf("live_faults: %ld blocks\n", n);
    return 3;
}
