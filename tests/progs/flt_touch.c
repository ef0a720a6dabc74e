/* flt_touch PAGES: get_pages() allocates PAGES fresh pages (above glibc's
 * mmap threshold, so they come straight from the kernel), touch_pages()
 * writes one byte in each, and at exit the program prints its own
 * getrusage(RUSAGE_SELF) fault counts: "pages=N minflt=M majflt=K sum=S". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static __attribute__((noinline)) unsigned char *get_pages(size_t n, size_t page)
{
    unsigned char *p = malloc(n * page);
    if (!p) {
        perror("malloc");
        exit(1);
    }
    return p;
}

static __attribute__((noinline)) unsigned long touch_pages(unsigned char *p, size_t n, size_t page)
{
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i++) {
        ((volatile unsigned char *)p)[i * page] = (unsigned char)i;
        sum += p[i * page];
    }
    return sum;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *p = get_pages(n, page);
    unsigned long sum = touch_pages(p, n, page);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("pages=%zu minflt=%ld majflt=%ld sum=%lu\n", n, ru.ru_minflt, ru.ru_majflt, sum);
    free(p);
    return 0;
}
