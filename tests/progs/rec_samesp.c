/* One allocating leaf reached through two callers with identical frames:
 * the return address and stack pointer at malloc are the same on both paths,
 * only the outer return addresses differ.  A stack cache keyed by the inner
 * frame must still tell them apart: 1000 allocations each. */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static long total;

NOINLINE static void leaf(void)
{
    void *p = malloc(16);
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
    total++;
}

/* distinct bodies, so the compiler cannot fold one into the other */
static volatile int seen_a, seen_b;
NOINLINE static void path_a(void) { leaf(); seen_a++; }
NOINLINE static void path_b(void) { leaf(); seen_b++; }

int main(void)
{
    for (int i = 0; i < 2000; i++) {
        if (i & 1)
            path_b();
        else
            path_a();
    }
    printf("%ld\n", total);
    return 0;
}
