/* The stack cache's fills (preload/stack.c), two patterns:
 *   rec_stackfill thrash   200 stack depths in turn, 50 rounds, allocating
 *                          twice at each: every key comes back after 199
 *                          others have passed through the 64 slots, so a
 *                          fill (made at a key's second sighting) is
 *                          evicted before it is hit
 *   rec_stackfill loop     100000 allocations from one stack
 * Prints the allocations it made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTHS 200
#define ROUNDS 50

static long allocs;

static __attribute__((noinline)) void leaf(int times)
{
    for (int k = 0; k < times; k++) {
        void *p = malloc(32);
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
        allocs++;
    }
}

static __attribute__((noinline)) void down(int d, int times)
{
    if (d == 0)
        leaf(times);
    else
        down(d - 1, times);
    __asm__ volatile("" ::: "memory");     /* no tail call: a frame per level */
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "loop")) {
        down(3, 100000);
    } else {
        for (int r = 0; r < ROUNDS; r++)
            for (int d = 0; d < DEPTHS; d++)
                down(d, 2);
    }
    printf("%ld\n", allocs);
    return 0;
}
