/* Test program whose stdout must come through the launcher byte for byte:
 * text, binary bytes with NULs, stdin copied through, megabytes of output
 * interleaved with allocations, a line on stderr, and no final newline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    uint32_t x = 2463534242u;
    char buf[4096];
    size_t n;

    printf("launch_output: %d args:", argc - 1);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    putchar('\n');
    fprintf(stderr, "launch_output: this line goes to stderr\n");

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
        fwrite(buf, 1, n, stdout);

    for (int blk = 0; blk < 256; blk++) {
        unsigned char *p = malloc(4096 + (size_t)blk * 64);
        for (int i = 0; i < 4096; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            p[i] = (unsigned char)(i % 97 == 0 ? 0 : x);
        }
        fwrite(p, 1, 4096, stdout);
        free(p);
    }
    printf("\nend without newline");
    return 0;
}
