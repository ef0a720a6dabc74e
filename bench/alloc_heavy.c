/* Allocation-heavy workload for the benchmark: T threads (default 2) each do
 * N (default 1M) malloc/free pairs of mixed sizes from about 13 frames deep,
 * at most R pairs a second each when R is given (a trace that grows at a
 * steady rate, for bench/live.sh).
 * Pointers escape through an empty asm so -O2 keeps every call; the program
 * checks its own count and prints it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long per_thread = 1000000;
static long pace;                    /* pairs a second per thread, 0: as fast as it can */

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static __attribute__((noinline)) long leaf(unsigned *seed, int live_slot, void **live)
{
    /* mixed sizes: mostly small, some medium, a few large */
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = *seed >> 8;
    size_t size = (r % 16 == 0) ? 4096 + r % 60000 : 16 + r % 512;
    void *p = malloc(size);
    ESCAPE(p);
    ((char *)p)[0] = 1;
    /* keep a few blocks alive for a while so frees are not all LIFO */
    void *old = live[live_slot];
    live[live_slot] = p;
    free(old);
    return 1;
}

#define LEVEL(n, next)                                                       \
    static __attribute__((noinline)) long level##n(unsigned *s, int k, void **live) \
    {                                                                        \
        long c = next(s, k, live);                                           \
        ESCAPE(s);                                                           \
        return c;                                                            \
    }

LEVEL(1, leaf)
LEVEL(2, level1)
LEVEL(3, level2)
LEVEL(4, level3)
LEVEL(5, level4)
LEVEL(6, level5)
LEVEL(7, level6)
LEVEL(8, level7)
LEVEL(9, level8)
LEVEL(10, level9)
LEVEL(11, level10)

static __attribute__((noinline)) long work_a(unsigned *s, int k, void **live) { return level11(s, k, live); }
static __attribute__((noinline)) long work_b(unsigned *s, int k, void **live) { return level9(s, k, live); }

static void *thread_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *live[64];
    memset(live, 0, sizeof(live));
    long done = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < per_thread; i++) {
        done += (i & 3) ? work_a(&seed, (int)(i & 63), live) : work_b(&seed, (int)(i & 63), live);
        if (pace && (i & 1023) == 1023) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            double ahead = (double)i / (double)pace - (double)(now.tv_sec - t0.tv_sec) -
                           (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
            if (ahead > 0)
                nanosleep(&(struct timespec){ 0, (long)(ahead * 1e9) }, NULL);
        }
    }
    for (int i = 0; i < 64; i++)
        free(live[i]);
    return (void *)done;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        per_thread = atol(argv[2]);
    if (argc > 3)
        pace = atol(argv[3]);
    if (threads < 1 || threads > 1024 || per_thread < 1 || pace < 0) {
        fprintf(stderr, "usage: alloc_heavy [THREADS] [PAIRS_PER_THREAD] [PAIRS_PER_SECOND]\n");
        return 2;
    }
    pthread_t tid[1024];
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, thread_main, (void *)(uintptr_t)(i + 1));
    long total = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(tid[i], &r);
        total += (long)r;
    }
    printf("%ld allocations\n", total);
    return total == threads * per_thread ? 0 : 1;
}
