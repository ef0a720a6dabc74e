/* rep_diff: two builds for the analyzer's --diff test.  The base build
 * (VARIANT unset) and the -DVARIANT build differ only in parse_input, which
 * allocates 200 blocks of 100 bytes instead of 20; steady_work is equal. */
#include <stdlib.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

#ifdef VARIANT
#define PARSE_BLOCKS 200
#else
#define PARSE_BLOCKS 20
#endif

__attribute__((noinline)) static void parse_input(void)
{
    for (int i = 0; i < PARSE_BLOCKS; i++) {
        void *p = malloc(100);
        KEEP(p);
        free(p);
    }
}

__attribute__((noinline)) static void steady_work(void)
{
    for (int i = 0; i < 30; i++) {
        void *p = malloc(48);
        KEEP(p);
        free(p);
    }
}

int main(void)
{
    parse_input();
    steady_work();
    return 0;
}
