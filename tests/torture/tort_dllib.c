/* The library torture_dlopen.sh builds and tort_dlopen loads 1000 times:
 * lib_work allocates three blocks, frees two and returns the third. */
#include <stdlib.h>
#include <string.h>

void *lib_work(int i);

/* volatile: gcc may otherwise drop a malloc whose block is only freed */
static void *volatile sink;

void *lib_work(int i)
{
    char *a = malloc(100 + (size_t)i % 7);
    char *b = calloc(3, 33);
    char *c = malloc(200);
    memset(a, 1, 100);
    b[0] = a[0];
    c[0] = b[0];
    sink = a;
    sink = b;
    free(a);
    free(b);
    return c;
}
