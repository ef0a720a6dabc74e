/* rep_known: allocations with known counts in known functions, for the
 * analyzer's integration tests: alloc_a does 100 malloc(64)+free, alloc_b
 * 50 calloc(3, 8) freed later, leak_c leaks 7 malloc(32). */
#include <stdlib.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

static void *b_blocks[50];

__attribute__((noinline)) static void alloc_a(void)
{
    for (int i = 0; i < 100; i++) {
        void *p = malloc(64);
        KEEP(p);
        free(p);
    }
}

__attribute__((noinline)) static void alloc_b(void)
{
    for (int i = 0; i < 50; i++) {
        b_blocks[i] = calloc(3, 8);
        KEEP(b_blocks[i]);
    }
}

__attribute__((noinline)) static void free_b(void)
{
    for (int i = 0; i < 50; i++)
        free(b_blocks[i]);
}

__attribute__((noinline)) static void leak_c(void)
{
    for (int i = 0; i < 7; i++) {
        void *p = malloc(32);
        KEEP(p);
    }
}

int main(void)
{
    alloc_a();
    alloc_b();
    leak_c();
    free_b();
    return 0;
}
