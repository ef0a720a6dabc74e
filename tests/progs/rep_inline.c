/* rep_inline: an allocation in a function inlined into its caller, for
 * --format pprof's inlined frames.  build_list() makes 50 nodes of 64
 * bytes with make_node(), which the compiler inlines (always_inline), and
 * frees them: the sites' stack is make_node (inlined) in build_list. */
#include <stdlib.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")

static inline __attribute__((always_inline)) void *make_node(size_t n)
{
    void *p = malloc(n);
    KEEP(p);
    return p;
}

__attribute__((noinline)) static void build_list(void)
{
    void *v[50];
    for (int i = 0; i < 50; i++)
        v[i] = make_node(64);
    for (int i = 0; i < 50; i++)
        free(v[i]);
}

int main(void)
{
    build_list();
    return 0;
}
