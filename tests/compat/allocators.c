/* The C program the compatibility matrix runs on jemalloc, mimalloc and
 * tcmalloc, each preloaded after the shim
 * (LD_PRELOAD=libfaultprof.so:libjemalloc.so.2; tests/integration/
 * compat_allocators.sh): 4 threads malloc, calloc, realloc, posix_memalign
 * and free blocks of many sizes, some large enough for the allocator to mmap
 * them.  Prints the same lines every run, whichever allocator serves it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define SLOTS 512

static unsigned long results[THREADS];

__attribute__((noinline)) static unsigned long compat_alloc_work(unsigned id)
{
    void *slot[SLOTS] = { 0 };
    unsigned long sum = 0;
    uint32_t x = 2463534242u + id;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        unsigned k = x % SLOTS;
        size_t len = (x >> 9) % 4096 + 1;
        if ((x & 0x3ff) == 7)
            len = 256 * 1024 + (x & 0xffff);
        switch ((x >> 4) % 4) {
        case 0:
            free(slot[k]);
            slot[k] = malloc(len);
            break;
        case 1:
            free(slot[k]);
            slot[k] = calloc(1, len);
            sum += ((unsigned char *)slot[k])[len - 1];
            break;
        case 2:
            slot[k] = realloc(slot[k], len);
            break;
        default:
            free(slot[k]);
            if (posix_memalign(&slot[k], 64, len) != 0)
                slot[k] = NULL;
            break;
        }
        if (slot[k] == NULL)
            return 0;
        memset(slot[k], (int)(i & 0xff), len < 64 ? len : 64);
        sum += len + ((unsigned char *)slot[k])[0];
    }
    for (int k = 0; k < SLOTS; k++)
        free(slot[k]);
    return sum;
}

static void *thread_main(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    results[id] = compat_alloc_work(id);
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)i) != 0)
            return 1;
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (unsigned i = 0; i < THREADS; i++)
        printf("thread %u: %lu\n", i, results[i]);
    return 0;
}
