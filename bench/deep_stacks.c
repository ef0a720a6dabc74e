/* Deep-stack workload for the benchmark: N (default 500000) malloc/free pairs
 * of mixed sizes, each made 60 frames below main, so a profiler unwinds and
 * stores 60-frame stacks.  Two recursive functions alternate by a bit of the
 * iteration number, giving a handful of distinct stacks rather than one.
 * Checks its own count and prints it. */
#include <stdio.h>
#include <stdlib.h>

#define DEPTH 60
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *live[64];

static __attribute__((noinline)) long bottom(unsigned *seed, long i)
{
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = *seed >> 8;
    size_t size = (r % 16 == 0) ? 4096 + r % 60000 : 16 + r % 512;
    void *p = malloc(size);
    if (!p)
        return 0;
    ESCAPE(p);
    ((char *)p)[0] = 1;
    free(live[i & 63]);
    live[i & 63] = p;
    return 1;
}

static long descend_b(unsigned *seed, long i, int depth);

/* noinline plus work after the call keeps every level a real frame (no
 * inlining, no tail call). */
static __attribute__((noinline)) long descend_a(unsigned *seed, long i, int depth)
{
    long c = depth <= 1 ? bottom(seed, i)
           : ((i >> (depth & 7)) & 1) ? descend_b(seed, i, depth - 1)
                                      : descend_a(seed, i, depth - 1);
    ESCAPE(seed);
    return c;
}

static __attribute__((noinline)) long descend_b(unsigned *seed, long i, int depth)
{
    long c = depth <= 1 ? bottom(seed, i) : descend_a(seed, i, depth - 1);
    ESCAPE(seed);
    return c + 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 500000;
    if (argc > 2 || n < 1) {
        fprintf(stderr, "usage: deep_stacks [PAIRS]\n");
        return 2;
    }
    unsigned seed = 1;
    long done = 0;
    /* main -> descend x 59 -> bottom -> malloc: 60 frames above malloc */
    for (long i = 0; i < n; i++)
        done += descend_a(&seed, i, DEPTH - 1);
    for (int i = 0; i < 64; i++)
        free(live[i]);
    printf("%ld allocations, %d frames deep\n", done, DEPTH);
    return done == n ? 0 : 1;
}
