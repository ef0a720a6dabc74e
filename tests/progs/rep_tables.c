/* rep_tables: page faults that land in known allocations.  big_table()
 * allocates 3000 pages and small_table() 1000 (each its own mmap, above
 * glibc's threshold); fill() writes a byte in every page of both, so by
 * code all 4000 faults are fill()'s and by allocation 3000 are big_table's
 * blocks' and 1000 small_table's. */
#include <stdlib.h>

#define PAGE 4096
/* after the call, so that it is not a tail call (the function keeps its frame) */
#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

__attribute__((noinline)) static char *big_table(void)
{
    char *p = malloc(3000 * PAGE);
    KEEP(p);
    return p;
}

__attribute__((noinline)) static char *small_table(void)
{
    char *p = malloc(1000 * PAGE);
    KEEP(p);
    return p;
}

__attribute__((noinline)) static void fill(volatile char *p, int pages)
{
    for (int i = 0; i < pages; i++)
        p[(long)i * PAGE] = 1;
}

int main(void)
{
    char *a = big_table(), *b = small_table();
    if (!a || !b)
        return 1;
    fill(a, 3000);
    fill(b, 1000);
    free(a);
    free(b);
    return 0;
}
