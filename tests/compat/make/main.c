/* The program `make -j2` builds in the compatibility matrix. */
#include <stdio.h>
#include "compat_make.h"

int main(void)
{
    int n = 50000;
    char **w = compat_words(n);
    struct compat_table *t = compat_table_new(4096);
    for (int i = 0; i < n; i++)
        compat_table_add(t, w[i]);
    printf("words %d distinct %zu sum %lu\n", n, compat_table_count(t), compat_sum(w, n));
    compat_table_free(t);
    compat_words_free(w, n);
    return 0;
}
