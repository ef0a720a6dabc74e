/* Many allocations in two functions of known sizes, for the sampled mode's
 * estimator: small_blocks makes 1M x 100 B, big_blocks 10k x 100 KiB; each
 * block is freed at once. */
#include <stdio.h>
#include <stdlib.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NOINLINE __attribute__((noinline))

NOINLINE static void small_blocks(void)      /* 1000000 x malloc(100) */
{
    for (int i = 0; i < 1000000; i++) {
        void *p = malloc(100);
        ESCAPE(p);
        free(p);
    }
}

NOINLINE static void big_blocks(void)        /* 10000 x malloc(100 KiB) */
{
    for (int i = 0; i < 10000; i++) {
        void *p = malloc(100 << 10);
        ESCAPE(p);
        free(p);
    }
}

int main(void)
{
    small_blocks();
    big_blocks();
    puts("done");
    return 0;
}
