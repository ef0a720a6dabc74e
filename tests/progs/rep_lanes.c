#define _GNU_SOURCE
/* rep_lanes: two named threads with known figures of their own, for the
 * HTML timeline per thread.  "holder" allocates 100 blocks of 4096 bytes
 * and keeps them (its live heap peaks at 409600 bytes); main frees them
 * after joining it, so they stay holder's until then.  "toucher" allocates
 * one block of 2000 pages (8192000 bytes, its own mmap), writes a byte in
 * each page (2000 page faults, taken by toucher) and frees it. */
#include <pthread.h>
#include <stdlib.h>

#define KEEP(p) __asm__ volatile("" :: "r"(p) : "memory")
#define HELD 100
#define PAGES 2000

static void *held[HELD];

__attribute__((noinline)) static void *holder(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder");
    for (int i = 0; i < HELD; i++) {
        held[i] = malloc(4096);
        KEEP(held[i]);
    }
    return NULL;
}

__attribute__((noinline)) static void *toucher(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "toucher");
    volatile char *p = malloc(PAGES * 4096);
    for (int i = 0; i < PAGES; i++)
        p[i * 4096] = 1;
    free((void *)p);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, holder, NULL);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, toucher, NULL);
    pthread_join(b, NULL);
    for (int i = 0; i < HELD; i++)
        free(held[i]);
    return 0;
}
