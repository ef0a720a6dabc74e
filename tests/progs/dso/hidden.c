/* libhidden.so for the debug-info tests (report_sysroot.sh,
 * report_debuginfod.sh): its allocating function is static, so a stripped
 * copy has no name for it.  -DDECOY puts another function before it: a
 * rebuild whose addresses mean something else. */
#include <stdlib.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

#ifdef DECOY
__attribute__((noinline)) void decoy_function(char *p)
{
    for (int i = 0; i < 4096; i++)
        p[i] = (char)i;
}
#endif

__attribute__((noinline)) static void *hidden_alloc(size_t n)
{
    void *p = malloc(n);
    KEEP(p);
    return p;
}

void hidden_work(void)
{
    for (int i = 0; i < 10; i++)
        free(hidden_alloc(1000 + i));
}
