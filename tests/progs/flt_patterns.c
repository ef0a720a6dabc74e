/* flt_patterns MODE: one page-fault pattern per mode, each in a function of
 * its own, for the diagnoses test.
 *   mmapchurn  12 blocks of 34 MiB (above glibc's largest mmap threshold, so
 *              each is its own mmap) made, touched and freed in turn
 *   calloc     64 zeroed 1 MiB tables, every page written once
 * Prints a checksum so the work can't be optimized away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long touch(unsigned char *p, size_t n)
{
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += 4096) {
        p[i] = (unsigned char)(i >> 12);
        sum += p[i];
    }
    return sum;
}

static __attribute__((noinline)) unsigned long churn_big_buffers(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < 12; i++) {
        size_t n = (size_t)34 << 20;
        unsigned char *p = malloc(n);
        if (!p)
            exit(1);
        sum += touch(p, n);
        free(p);
    }
    return sum;
}

static __attribute__((noinline)) unsigned long zeroed_tables(void)
{
    /* 1 MiB each: their own mmaps, too small for a transparent huge page,
     * so every page faults on its first write */
    enum { N = 64 };
    size_t n = (size_t)1 << 20;
    unsigned char *p[N];
    unsigned long sum = 0;
    for (int i = 0; i < N; i++) {
        if (!(p[i] = calloc(1, n)))
            exit(1);
        sum += touch(p[i], n);
    }
    for (int i = 0; i < N; i++)
        free(p[i]);
    return sum;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned long sum;
    if (!strcmp(mode, "mmapchurn"))
        sum = churn_big_buffers();
    else if (!strcmp(mode, "calloc"))
        sum = zeroed_tables();
    else {
        fprintf(stderr, "usage: flt_patterns mmapchurn|calloc\n");
        return 2;
    }
    printf("%s %lu\n", mode, sum);
    return 0;
}
