/* Words for the make row of the compatibility matrix: n malloc'd strings. */
#include <stdio.h>
#include <stdlib.h>
#include "compat_make.h"

char **compat_words(int n)
{
    char **w = malloc(sizeof *w * (size_t)n);
    for (int i = 0; i < n; i++) {
        w[i] = malloc(24);
        snprintf(w[i], 24, "w%u", (unsigned)(i * 2654435761u) % 20011u);
    }
    return w;
}

void compat_words_free(char **w, int n)
{
    for (int i = 0; i < n; i++)
        free(w[i]);
    free(w);
}
