/* Torture program: allocation failures and edge cases; prints what it saw,
 * which must be the same with and without the shim.
 *   tort_pressure enomem   1 MiB blocks until malloc returns NULL (run it
 *                          under ulimit -v); then frees all and allocates
 *   tort_pressure edge     zero and huge sizes, realloc(p, 0), free(NULL),
 *                          bad alignments, errno across successful calls;
 *                          the failing calls are in edge_fail, the
 *                          successful ones in edge_ok (counts on stdout)
 *   tort_pressure edge nopvalloc   the same without pvalloc, which jemalloc
 *                          lacks (glibc's pvalloc + jemalloc's free crash) */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *volatile sink;
/* volatile, so that gcc neither warns about nor folds the huge requests */
static volatile size_t size_max = SIZE_MAX, ptrdiff_max = PTRDIFF_MAX;

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case 1234: return "1234";
    default: return strerror(e);
    }
}

static int enomem(void)
{
    void **blocks = calloc(1 << 16, sizeof(void *));
    int n = 0, saw_null = 0, err = 0;
    while (n < (1 << 16)) {
        errno = 0;
        void *p = malloc(1 << 20);
        if (!p) {
            saw_null = 1;
            err = errno;
            break;
        }
        blocks[n++] = p;
    }
    printf("saw NULL: %s, errno %s\n", saw_null ? "yes" : "no", errname(err));
    for (int i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    char *q = malloc(100);
    printf("after freeing: malloc(100) %s\n", q ? "works" : "fails");
    free(q);
    return !saw_null;
}

/* each prints "NAME -> result errno E" */
#define SHOW(name, cond) printf("%-32s -> %s errno %s\n", name, (cond) ? "yes" : "no", errname(errno))

static long fails, oks;
static int no_pvalloc;

__attribute__((noinline)) static void edge_fail(void)
{
    void *p;
    int r;
    errno = 0;
    p = malloc(size_max);
    SHOW("malloc(size_max) NULL", p == NULL);
    fails++;
    errno = 0;
    p = malloc(ptrdiff_max + 1);
    SHOW("malloc(PTRDIFF_MAX+1) NULL", p == NULL);
    fails++;
    errno = 0;
    p = calloc(size_max / 2, 4);
    SHOW("calloc(overflow) NULL", p == NULL);
    fails++;
    errno = 0;
    p = realloc(sink = NULL, size_max - 8);
    SHOW("realloc(NULL, huge) NULL", p == NULL);
    fails++;
    errno = 1234;
    p = (void *)1;
    r = posix_memalign(&p, 3, 16);
    SHOW("posix_memalign(align 3) EINVAL", r == EINVAL);
    printf("%-32s -> %s\n", "  p untouched", p == (void *)1 ? "yes" : "no");
    fails++;
    errno = 1234;
    r = posix_memalign(&p, 0, 16);
    SHOW("posix_memalign(align 0) EINVAL", r == EINVAL);
    fails++;
    errno = 1234;
    r = posix_memalign(&p, 64, size_max - 100);
    SHOW("posix_memalign(huge) ENOMEM", r == ENOMEM);
    fails++;
    errno = 0;
    p = aligned_alloc(64, size_max - 100);
    SHOW("aligned_alloc(huge) NULL", p == NULL);
    fails++;
    errno = 0;
    p = memalign(1UL << 62, 16);
    SHOW("memalign(2^62) NULL", p == NULL);
    fails++;
    errno = 0;
    p = reallocarray(sink = NULL, size_max / 2, 4);
    SHOW("reallocarray(overflow) NULL", p == NULL);
    fails++;
    char *q = malloc(32);
    strcpy(q, "still here");
    sink = q;                   /* read back after the failed realloc */
    errno = 0;
    p = realloc(q, size_max - 8);
    SHOW("realloc(p, huge) NULL", p == NULL);
    q = sink;
    printf("%-32s -> %s\n", "  old block kept", strcmp(q, "still here") == 0 ? "yes" : "no");
    free(q);
    oks++;
}

__attribute__((noinline)) static void edge_ok(void)
{
    void *p;
    int r;
    errno = 1234;
    p = malloc(0);
    SHOW("malloc(0) non-NULL", p != NULL);
    free(p);
    oks++;
    errno = 1234;
    free(NULL);
    SHOW("free(NULL) keeps errno", errno == 1234);
    errno = 1234;
    p = calloc(0, 10);
    SHOW("calloc(0, 10) non-NULL", p != NULL);
    free(p);
    oks++;
    errno = 1234;
    p = malloc(100);
    SHOW("malloc(100) keeps errno", errno == 1234 && p);
    oks++;
    errno = 1234;
    p = realloc(p, 5000);
    SHOW("realloc grow keeps errno", errno == 1234 && p);
    errno = 1234;
    free(p);
    SHOW("free keeps errno", errno == 1234);
    errno = 1234;
    p = calloc(10, 10);
    SHOW("calloc keeps errno", errno == 1234 && p);
    oks++;
    errno = 1234;
    p = realloc(p, 0);
    SHOW("realloc(p, 0) NULL (freed)", p == NULL);
    errno = 1234;
    r = posix_memalign(&p, 64, 100);
    SHOW("posix_memalign keeps errno", errno == 1234 && r == 0 && ((uintptr_t)p & 63) == 0);
    free(p);
    oks++;
    errno = 1234;
    p = aligned_alloc(4096, 4096);
    SHOW("aligned_alloc keeps errno", errno == 1234 && p && ((uintptr_t)p & 4095) == 0);
    free(p);
    oks++;
    errno = 1234;
    p = memalign(32, 10);
    SHOW("memalign keeps errno", errno == 1234 && p);
    free(p);
    oks++;
    errno = 1234;
    p = valloc(10);
    SHOW("valloc keeps errno", errno == 1234 && p);
    free(p);
    oks++;
    if (!no_pvalloc) {
        errno = 1234;
        p = pvalloc(10);
        SHOW("pvalloc keeps errno", errno == 1234 && p);
        free(p);
        oks++;
    }
    errno = 1234;
    p = malloc(10 << 20);      /* mmapped by glibc */
    SHOW("malloc(10 MiB) keeps errno", errno == 1234 && p);
    errno = 1234;
    free(p);
    SHOW("free(10 MiB) keeps errno", errno == 1234);
    oks++;
    errno = 1234;
    p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mmap keeps errno", errno == 1234 && p != MAP_FAILED);
    errno = 1234;
    r = munmap(p, 8192);
    SHOW("munmap keeps errno", errno == 1234 && r == 0);
    errno = 0;
    p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mmap(len 0) fails EINVAL", p == MAP_FAILED && errno == EINVAL);
    sink = p;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "enomem") == 0)
        return enomem();
    if (argc > 1 && strcmp(argv[1], "edge") == 0) {
        no_pvalloc = argc > 2 && strcmp(argv[2], "nopvalloc") == 0;
        /* a first call, so that an allocator's own start-up (mimalloc's
         * leaves errno ENOENT) is over before errno is looked at */
        sink = malloc(1);
        free(sink);
        edge_fail();
        edge_ok();
        printf("edge_fail calls %ld, edge_ok allocations %ld\n", fails, oks);
        return 0;
    }
    fprintf(stderr, "usage: tort_pressure enomem|edge [nopvalloc]\n");
    return 2;
}
