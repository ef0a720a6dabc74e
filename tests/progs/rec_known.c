/* Known allocations in known functions across threads, for the recording
 * tests: each worker thread does exactly the calls listed in its functions;
 * main adds a block served by mmap, a leak, its own maps and brk moves. */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NOINLINE __attribute__((noinline))

NOINLINE static void alloc_small(void)       /* 100 x malloc(24) */
{
    for (int i = 0; i < 100; i++) {
        void *p = malloc(24);
        ESCAPE(p);
        free(p);
    }
}

NOINLINE static void alloc_zeroed(void)      /* 50 x calloc(10, 8) */
{
    for (int i = 0; i < 50; i++) {
        void *p = calloc(10, 8);
        ESCAPE(p);
        free(p);
    }
}

NOINLINE static void grow_buffer(void)       /* 10 x realloc, growing */
{
    void *p = NULL;
    for (int i = 1; i <= 10; i++) {
        p = realloc(p, 64 * (size_t)i);
        ESCAPE(p);
    }
    free(p);
}

static int with_pvalloc = 1;   /* jemalloc has no pvalloc: glibc's would be freed by jemalloc */

NOINLINE static void aligned_family(void)    /* 5+5+5+3+2 aligned blocks */
{
    void *p;
    for (int i = 0; i < 5; i++) {
        if (posix_memalign(&p, 64, 100) == 0) { ESCAPE(p); free(p); }
    }
    for (int i = 0; i < 5; i++) { p = aligned_alloc(64, 128); ESCAPE(p); free(p); }
    for (int i = 0; i < 5; i++) { p = memalign(128, 200); ESCAPE(p); free(p); }
    for (int i = 0; i < 3; i++) { p = valloc(1000); ESCAPE(p); free(p); }
    for (int i = 0; i < 2 && with_pvalloc; i++) { p = pvalloc(1000); ESCAPE(p); free(p); }
}

NOINLINE static void array_family(void)      /* 4 x reallocarray */
{
    void *p = NULL;
    for (int i = 1; i <= 4; i++) {
        p = reallocarray(p, (size_t)i, 100);
        ESCAPE(p);
    }
    free(p);
}

static void *worker(void *arg)
{
    alloc_small();
    alloc_zeroed();
    grow_buffer();
    aligned_family();
    array_family();
    return arg;
}

NOINLINE static void big_block(void)         /* 1 x 8 MiB: glibc maps it */
{
    char *p = malloc(8u << 20);
    ESCAPE(p);
    p[0] = 1;
    free(p);
}

static void *leaked[7];

NOINLINE static void leak_some(void)         /* 7 x 40 bytes never freed */
{
    for (int i = 0; i < 7; i++) {
        leaked[i] = malloc(40);
        ESCAPE(leaked[i]);
    }
}

NOINLINE static void own_maps(void)          /* mmap, mremap, munmap */
{
    void *p = mmap(NULL, 1u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    void *q = mremap(p, 1u << 20, 2u << 20, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        q = p;
    munmap(q, 2u << 20);
}

NOINLINE static void move_break(void)        /* sbrk up and back down */
{
    void *a = sbrk(8192);
    ESCAPE(a);
    void *b = sbrk(-8192);
    ESCAPE(b);
}

int main(int argc, char **argv)
{
    pthread_t t[3];
    with_pvalloc = !(argc > 1 && argv[1][0] == 'n');   /* "no-pvalloc" */
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    big_block();
    leak_some();
    own_maps();
    move_break();
    printf("done\n");
    return 0;
}
