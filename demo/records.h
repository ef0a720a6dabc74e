/* The work that demo/churn.c and demo/reuse.c share: turn record number N
 * into a working buffer's worth of data and digest it.  The two programs
 * differ only in where that buffer comes from. */
#ifndef DEMO_RECORDS_H
#define DEMO_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct demo_args {
    long   records;     /* records to process */
    long   batch;       /* records in flight at once, each with its own buffer */
    size_t buf_bytes;   /* working buffer per record */
};

/* usage: PROG [RECORDS [BATCH [BUFFER_KB]]], defaults 4096 8 1024 */
static inline void demo_args_parse(int argc, char **argv, struct demo_args *a)
{
    long kb = 1024;

    a->records = 4096;
    a->batch = 8;
    if (argc > 1)
        a->records = atol(argv[1]);
    if (argc > 2)
        a->batch = atol(argv[2]);
    if (argc > 3)
        kb = atol(argv[3]);
    if (argc > 4 || a->records < 1 || a->batch < 1 || kb < 1) {
        fprintf(stderr, "usage: %s [RECORDS [BATCH [BUFFER_KB]]]\n", argv[0]);
        exit(2);
    }
    a->buf_bytes = (size_t)kb * 1024;
}

/* A record's working buffer: not inlined, so that it is one named frame in
 * every stack that allocates one. */
static __attribute__((noinline, unused)) unsigned char *work_buffer_new(size_t bytes)
{
    unsigned char *p = malloc(bytes);

    if (!p) {
        perror("malloc");
        exit(1);
    }
    return p;
}

/* Fills buf with record id's data, every byte of it, and returns its digest. */
static inline uint64_t record_process(unsigned char *buf, size_t len, long id)
{
    uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)id, h = 1469598103934665603ull;
    uint64_t *w = (uint64_t *)(void *)buf;
    size_t n = len / sizeof(*w);

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        w[i] = x;
    }
    for (size_t i = 0; i < n; i += 7)
        h = (h ^ w[i]) * 1099511628211ull;
    return h;
}

static inline void demo_print(const char *what, const struct demo_args *a, uint64_t sum)
{
    printf("%s: %ld records, %zu KiB each, checksum %016llx\n", what,
           a->records, a->buf_bytes / 1024, (unsigned long long)sum);
}

#endif /* DEMO_RECORDS_H */
