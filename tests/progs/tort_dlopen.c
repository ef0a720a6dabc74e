/* Torture program: tort_dlopen LIB N dlopens LIB, calls its lib_work (three
 * allocations, one block returned), frees the block and dlcloses LIB, N
 * times; prints how many rounds worked. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tort_dlopen LIB N\n");
        return 2;
    }
    int n = atoi(argv[2]), ok = 0;
    for (int i = 0; i < n; i++) {
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            printf("dlopen %d: %s\n", i, dlerror());
            return 1;
        }
        void *(*work)(int) = (void *(*)(int))dlsym(h, "lib_work");
        if (!work) {
            printf("dlsym %d failed\n", i);
            return 1;
        }
        char *p = work(i);
        ok += p != NULL && p[0] == 1;
        free(p);
        if (dlclose(h) != 0) {
            printf("dlclose %d: %s\n", i, dlerror());
            return 1;
        }
    }
    printf("rounds %d ok %d\n", n, ok);
    return 0;
}
