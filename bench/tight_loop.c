/* tight_loop: the cost of recording one event where the allocator costs
 * least.  THREADS threads each make PAIRS malloc/free pairs, cycling
 * through 13 sizes from 16 B to 64 KiB, 11 frames below main's thread
 * routine; each pointer escapes through an empty asm so the compiler keeps
 * every call.  Prints a checksum of the sizes, the same in every run.
 *
 *   tight_loop [THREADS [PAIRS]]      (default 2 5000000) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const size_t sizes[13] = {
    16, 24, 32, 48, 64, 96, 128, 256, 512, 1024, 4096, 16384, 65536,
};
static long pairs = 5000000;

static __attribute__((noinline)) uint64_t leaf(long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        size_t s = sizes[i % 13];
        void *p = malloc(s);
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
        sum += s;
    }
    return sum;
}

/* ten frames above leaf: the stacks a real program's allocations have */
#define LEVEL(name, next)                                                      \
    static __attribute__((noinline)) uint64_t name(long n)                     \
    {                                                                          \
        uint64_t r = next(n);                                                  \
        __asm__ volatile("" : : "r"(r) : "memory");                            \
        return r;                                                              \
    }
LEVEL(f1, leaf)
LEVEL(f2, f1)
LEVEL(f3, f2)
LEVEL(f4, f3)
LEVEL(f5, f4)
LEVEL(f6, f5)
LEVEL(f7, f6)
LEVEL(f8, f7)
LEVEL(f9, f8)
LEVEL(f10, f9)

static void *worker(void *arg)
{
    *(uint64_t *)arg = f10(pairs);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        pairs = atol(argv[2]);
    if (threads < 1 || threads > 256 || pairs < 1) {
        fprintf(stderr, "usage: tight_loop [THREADS (1-256) [PAIRS]]\n");
        return 2;
    }
    pthread_t th[256];
    uint64_t sums[256], total = 0;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&th[i], NULL, worker, &sums[i]) != 0)
            return 1;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += sums[i];
    }
    printf("tight_loop: %d threads x %ld pairs, checksum %llu\n", threads, pairs,
           (unsigned long long)total);
    return 0;
}
