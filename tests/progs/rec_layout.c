/* Where the allocator puts a new thread's first blocks: their offsets in the
 * thread's heap and from each other.  The recorder's own allocations (a
 * thread's first call makes some) must not move them, so this prints the
 * same with and without the shim. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *thread_main(void *arg)
{
    char *out = arg;
    void *p[6];
    static const size_t sizes[6] = { 100, 100, 5000, 24, 128, 100 };
    for (int i = 0; i < 6; i++) {
        p[i] = malloc(sizes[i]);
        ESCAPE(p[i]);
    }
    free(p[1]);
    free(p[4]);
    void *q = malloc(100);
    void *r = malloc(128);
    int n = snprintf(out, 512, "heap offset %#lx\n", (unsigned long)((uintptr_t)p[0] & 0xffffff));
    for (int i = 1; i < 6; i++)
        n += snprintf(out + n, (size_t)(512 - n), "block %d at %+ld\n", i,
                      (long)((uintptr_t)p[i] - (uintptr_t)p[0]));
    snprintf(out + n, (size_t)(512 - n), "reused %+ld %+ld\n",
             (long)((uintptr_t)q - (uintptr_t)p[0]), (long)((uintptr_t)r - (uintptr_t)p[0]));
    return NULL;
}

int main(void)
{
    for (int t = 0; t < 3; t++) {
        static char out[512];
        pthread_t th;
        if (pthread_create(&th, NULL, thread_main, out) != 0)
            return 1;
        pthread_join(th, NULL);
        printf("thread %d: %s", t, out);
    }
    return 0;
}
