/* A program before and after a fix (built with -DFIXED by the test): it
 * processes 40 chunks, each in a 40 MiB scratch buffer of which it fills
 * 4 MiB.  Before: a new buffer per chunk; above glibc's largest mmap
 * threshold, each is its own mmap, unmapped at free, so every chunk faults
 * its pages in again.  After: one buffer, kept.  Same output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNKS 40
#define SCRATCH (40u << 20)
#define USED (4u << 20)

__attribute__((noinline)) static char *scratch_new(void)
{
    char *p = malloc(SCRATCH);
    if (!p)
        exit(1);
    return p;
}

__attribute__((noinline)) static unsigned long process_chunk(char *scratch, int i)
{
    memset(scratch, i, USED);
    unsigned long sum = 0;
    for (unsigned k = 0; k < USED; k += 4096)
        sum += (unsigned char)scratch[k] + k % 7;
    return sum;
}

int main(void)
{
    unsigned long total = 0;
#ifdef FIXED
    char *scratch = scratch_new();
    for (int i = 0; i < CHUNKS; i++)
        total += process_chunk(scratch, i);
    free(scratch);
#else
    for (int i = 0; i < CHUNKS; i++) {
        char *scratch = scratch_new();
        total += process_chunk(scratch, i);
        free(scratch);
    }
#endif
    printf("total %lu\n", total);
    return 0;
}
