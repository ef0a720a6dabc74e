/* Many allocations in two functions of known sizes, for the sampled mode's
 * estimator: small_blocks makes 1M x 100 B, big_blocks 10k x 100 KiB; each
 * block is freed at once.  "rec_sampled live" instead keeps 400k x 100 B
 * live at once (many_live), frees them, and leaks 1000 x 100 B
 * (kept_blocks): the shim's set of live sampled blocks must grow and still
 * find every one of them at its free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define LIVE 400000
static void *live[LIVE];

NOINLINE static void many_live(void)         /* 400000 x malloc(100), all freed */
{
    for (int i = 0; i < LIVE; i++)
        live[i] = malloc(100);
    for (int i = 0; i < LIVE; i++)
        free(live[i]);
}

NOINLINE static void kept_blocks(void)       /* 1000 x malloc(100), leaked */
{
    for (int i = 0; i < 1000; i++)
        live[i] = malloc(100);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "live") == 0) {
        many_live();
        kept_blocks();
        puts("done");
        return 0;
    }
    small_blocks();
    big_blocks();
    puts("done");
    return 0;
}
