/* One program for two allocators (the test runs it under glibc's malloc
 * and under jemalloc): 64 rounds of eight 1 MiB work buffers, filled, then
 * all freed.  glibc serves them from its heap after the first round and
 * trims the heap at the frees, so each round faults 8 MiB in again;
 * jemalloc keeps the freed pages for the next round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 64
#define BUFS 8
#define BUF_BYTES (1u << 20)

__attribute__((noinline)) static char *work_buffer(void)
{
    char *p = malloc(BUF_BYTES);
    if (!p)
        exit(1);
    return p;
}

__attribute__((noinline)) static unsigned long fill(char *p, int round)
{
    memset(p, round, BUF_BYTES);
    return (unsigned char)p[BUF_BYTES / 2];
}

int main(void)
{
    unsigned long total = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char *b[BUFS];
        for (int i = 0; i < BUFS; i++) {
            b[i] = work_buffer();
            total += fill(b[i], r);
        }
        for (int i = 0; i < BUFS; i++)
            free(b[i]);
    }
    printf("total %lu\n", total);
    return 0;
}
