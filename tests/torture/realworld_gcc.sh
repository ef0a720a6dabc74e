#!/bin/bash
# Run by realworld_programs.sh with and without the shim: gcc compiles and
# links a small program (cc1, as, collect2, ld run under the shim too),
# then the object's symbols and the program's output.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/t.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int table[100];
int main(void)
{
    for (int i = 0; i < 100; i++)
        table[i] = (i * 37) % 101;
    qsort(table, 100, sizeof(int), cmp);
    printf("%d %d %d\n", table[0], table[50], table[99]);
    return 0;
}
C
gcc -O2 -c "$dir/t.c" -o "$dir/t.o"
nm "$dir/t.o"
gcc -o "$dir/t" "$dir/t.o"
"$dir/t"
