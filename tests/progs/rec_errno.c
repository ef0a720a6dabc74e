/* errno as the program sees it around allocation calls: untouched by a
 * successful call, ENOMEM from a failing one.  Prints what it saw. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    volatile size_t huge = SIZE_MAX / 2;   /* volatile: no compile-time verdict */
    errno = 1234;
    void *p = malloc(100);
    printf("after malloc: %d\n", errno);
    free(p);
    printf("after free: %d\n", errno);
    errno = 0;
    void *q = malloc(huge);
    printf("huge malloc: %s errno=%d\n", q ? "ptr" : "NULL", errno);
    errno = 0;
    void *r = calloc(huge, 4);
    printf("overflowing calloc: %s errno=%d\n", r ? "ptr" : "NULL", errno);
    int rc = posix_memalign(&p, 3, 10);
    printf("posix_memalign(3): %d\n", rc);
    return 0;
}
