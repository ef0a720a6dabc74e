/* Built with gcc -static by torture_proc.sh: a program the shim cannot
 * trace (it does not load libfaultprof.so) but that must run the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned long sum = 0;
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(16 + i);
        memset(p, i & 0xff, 16 + i);
        sum += (unsigned char)p[i];
        free(p);
    }
    printf("static %s sum %lu\n", argc > 1 ? argv[1] : "-", sum);
    return 3;
}
