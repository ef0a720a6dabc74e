/* flt_classes MODE [DIR]: one page-fault class per mode, each in a function
 * of its own, for the fault-class test (tests/integration/faults_classes.sh).
 *   calloc   first touch: a 64 MiB calloc written page by page
 *   trim     refault after a heap trim: 16 MiB of small heap blocks made,
 *            written and freed 10 times (glibc trims the top at each free)
 *   munmap   refault after munmap: an 8 MiB mmap written and unmapped 10 times
 *   madvise  refault after madvise: an 8 MiB mmap written, then
 *            madvise(MADV_DONTNEED), 10 times
 *   fork     copy-on-write: 32 MiB written, then a child writes it again
 *   file     file-backed: a 64 MiB file in DIR mapped and read (minor)
 *   fadvise  file-backed: the same after posix_fadvise(POSIX_FADV_DONTNEED),
 *            major faults where the kernel drops the pages
 *   stack    stack growth: a recursion 6 MiB deep
 *   thp      huge pages: 512 MiB, 2 MiB-aligned, madvise(MADV_HUGEPAGE)
 *   zero     zero page then write: 16 MiB read page by page, then written
 *   mprotect protection: 8 MiB written, made read-only and writable again,
 *            written again, 10 times
 *   reuse    the same work an allocator serves differently: 64 blocks of
 *            256 KiB made, written and freed 40 times
 * Prints a checksum (and for thp the huge pages the kernel gave, for fadvise
 * the major faults) so the work can't be optimized away. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define MiB ((size_t)1 << 20)

static unsigned long write_pages(volatile unsigned char *p, size_t n)
{
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += PAGE) {
        p[i] = (unsigned char)(i >> 12);
        sum += p[i];
    }
    return sum;
}

static unsigned long read_pages(const volatile unsigned char *p, size_t n)
{
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += PAGE)
        sum += p[i];
    return sum;
}

static void *map_anon(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static __attribute__((noinline)) unsigned long big_calloc(void)
{
    unsigned char *p = calloc(1, 64 * MiB);
    if (!p)
        exit(1);
    unsigned long sum = write_pages(p, 64 * MiB);
    free(p);
    return sum;
}

static __attribute__((noinline)) unsigned long trim_regrow(void)
{
    enum { N = 4096 };
    static unsigned char *b[N];
    unsigned long sum = 0;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < N; i++)
            if (!(b[i] = malloc(4000)))
                exit(1);
        for (int i = 0; i < N; i++)
            sum += write_pages(b[i], 4000);
        for (int i = N; i-- > 0;)
            free(b[i]);
    }
    return sum;
}

static __attribute__((noinline)) unsigned long munmap_churn(void)
{
    unsigned long sum = 0;
    for (int round = 0; round < 10; round++) {
        unsigned char *p = map_anon(8 * MiB);
        sum += write_pages(p, 8 * MiB);
        munmap(p, 8 * MiB);
    }
    return sum;
}

static __attribute__((noinline)) unsigned long madvise_reuse(void)
{
    unsigned char *p = map_anon(8 * MiB);
    unsigned long sum = 0;
    for (int round = 0; round < 10; round++) {
        sum += write_pages(p, 8 * MiB);
        madvise(p, 8 * MiB, MADV_DONTNEED);
    }
    munmap(p, 8 * MiB);
    return sum;
}

static __attribute__((noinline)) unsigned long child_writes(unsigned char *p, size_t n)
{
    return write_pages(p, n);
}

static __attribute__((noinline)) unsigned long fork_cow(void)
{
    size_t n = 32 * MiB;
    unsigned char *p = malloc(n);
    if (!p)
        exit(1);
    unsigned long sum = write_pages(p, n);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        exit(1);
    if (pid == 0)
        _exit(child_writes(p, n) == 0 ? 3 : 0);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        exit(1);
    free(p);
    return sum;
}

static int make_file(const char *dir, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s/flt_classes.data", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    static unsigned char buf[1 << 16];
    memset(buf, 7, sizeof(buf));
    for (size_t k = 0; k < n; k += sizeof(buf))
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            exit(1);
    fsync(fd);
    return fd;
}

static __attribute__((noinline)) unsigned long read_mapped(int fd, size_t n)
{
    unsigned char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        exit(1);
    unsigned long sum = read_pages(p, n);
    munmap(p, n);
    return sum;
}

static unsigned long file_read(const char *dir, int drop)
{
    size_t n = 64 * MiB;
    char path[4096];
    int fd = make_file(dir, n, path, sizeof(path));
    if (drop)
        posix_fadvise(fd, 0, (off_t)n, POSIX_FADV_DONTNEED);
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    unsigned long sum = read_mapped(fd, n);
    getrusage(RUSAGE_SELF, &b);
    printf("major faults %ld\n", b.ru_majflt - a.ru_majflt);
    close(fd);
    unlink(path);
    return sum;
}

static __attribute__((noinline)) unsigned long recurse(int depth)
{
    volatile unsigned char frame[4000];
    frame[0] = (unsigned char)depth;
    frame[sizeof(frame) - 1] = 1;
    unsigned long sum = depth ? recurse(depth - 1) : 0;
    return sum + frame[0] + frame[sizeof(frame) - 1];
}

static long huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static __attribute__((noinline)) unsigned long huge_region(void)
{
    size_t n = 512 * MiB, ext = 2 * MiB;
    unsigned char *raw = map_anon(n + ext);
    unsigned char *p = (unsigned char *)(((uintptr_t)raw + ext - 1) & ~(uintptr_t)(ext - 1));
    madvise(p, n, MADV_HUGEPAGE);
    unsigned long sum = write_pages(p, n);
    printf("huge kB %ld\n", huge_kb());
    munmap(raw, n + ext);
    return sum;
}

static __attribute__((noinline)) unsigned long zero_then_write(void)
{
    size_t n = 16 * MiB;
    unsigned char *p = map_anon(n);
    unsigned long sum = read_pages(p, n);
    sum += write_pages(p, n);
    munmap(p, n);
    return sum;
}

static __attribute__((noinline)) unsigned long protect_cycles(void)
{
    size_t n = 8 * MiB;
    unsigned char *p = map_anon(n);
    unsigned long sum = write_pages(p, n);
    for (int round = 0; round < 10; round++) {
        mprotect(p, n, PROT_READ);
        mprotect(p, n, PROT_READ | PROT_WRITE);
        sum += write_pages(p, n);
    }
    munmap(p, n);
    return sum;
}

static __attribute__((noinline)) unsigned long reuse_blocks(void)
{
    enum { N = 64 };
    unsigned char *b[N];
    unsigned long sum = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < N; i++)
            if (!(b[i] = malloc(256 * 1024)))
                exit(1);
        for (int i = 0; i < N; i++)
            sum += write_pages(b[i], 256 * 1024);
        for (int i = 0; i < N; i++)
            free(b[i]);
    }
    return sum;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    unsigned long sum;
    if (!strcmp(mode, "calloc"))
        sum = big_calloc();
    else if (!strcmp(mode, "trim"))
        sum = trim_regrow();
    else if (!strcmp(mode, "munmap"))
        sum = munmap_churn();
    else if (!strcmp(mode, "madvise"))
        sum = madvise_reuse();
    else if (!strcmp(mode, "fork"))
        sum = fork_cow();
    else if (!strcmp(mode, "file"))
        sum = file_read(dir, 0);
    else if (!strcmp(mode, "fadvise"))
        sum = file_read(dir, 1);
    else if (!strcmp(mode, "stack"))
        sum = recurse(1500);
    else if (!strcmp(mode, "thp"))
        sum = huge_region();
    else if (!strcmp(mode, "zero"))
        sum = zero_then_write();
    else if (!strcmp(mode, "mprotect"))
        sum = protect_cycles();
    else if (!strcmp(mode, "reuse"))
        sum = reuse_blocks();
    else {
        fprintf(stderr, "usage: flt_classes MODE [DIR]\n");
        return 2;
    }
    printf("sum %lu\n", sum);
    return 0;
}
