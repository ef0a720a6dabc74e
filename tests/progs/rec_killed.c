/* Allocates N (default 200000) blocks in before_kill, says "ready" and waits
 * to be killed: what reached the trace before SIGKILL is what survives. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void before_kill(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(16 + (size_t)(i % 200));
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
    }
}

int main(int argc, char **argv)
{
    before_kill(argc > 1 ? atol(argv[1]) : 200000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
