/* Times in the trace against the program's own clock: 5 ms of allocating
 * (the shim's clock on the TSC's first rate, measured at 2 ms), a block held
 * over a 40 ms sleep, 150 ms more (the second rate, measured at 50 ms), then
 * blocks held over measured sleeps by two threads at once.  Prints each
 * hold as the program measured it with CLOCK_MONOTONIC, in ns:
 *   held_early NS
 *   held_main NS
 *   held_thread NS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NOINLINE __attribute__((noinline))

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

NOINLINE static void churn(uint64_t ns)      /* allocates and frees for ns */
{
    uint64_t end = now_ns() + ns;
    while (now_ns() < end)
        for (int i = 0; i < 1000; i++) {
            void *p = malloc(64 + i % 256);
            ESCAPE(p);
            free(p);
        }
}

/* a block held over a sleep of MS: sets NS to the measured hold (a macro,
 * so that the block is allocated in the function that names the hold) */
#define HOLD(ms, ns)                                                          \
    do {                                                                      \
        void *p_ = malloc(1000);                                              \
        ESCAPE(p_);                                                           \
        uint64_t t0_ = now_ns();                                              \
        struct timespec d_ = { (ms) / 1000, (long)((ms) % 1000) * 1000000 };  \
        nanosleep(&d_, NULL);                                                 \
        (ns) = now_ns() - t0_;                                                \
        free(p_);                                                             \
    } while (0)

NOINLINE static uint64_t held_early(void)
{
    uint64_t ns;
    HOLD(40, ns);
    return ns;
}

NOINLINE static uint64_t held_main(void)
{
    uint64_t ns;
    HOLD(300, ns);
    return ns;
}

/* The first call of a thread pays for the shim's setup and first unwind
 * after the allocator returned: not part of a block's life as the program
 * measures it. */
NOINLINE static void warm_up(void)
{
    void *p = malloc(16);
    ESCAPE(p);
    free(p);
}

NOINLINE static void *held_thread(void *arg)
{
    warm_up();
    HOLD(200, *(uint64_t *)arg);
    return NULL;
}

int main(void)
{
    churn(5u * 1000 * 1000);
    uint64_t early = held_early();
    churn(150u * 1000 * 1000);
    uint64_t in_thread = 0;
    pthread_t th;
    if (pthread_create(&th, NULL, held_thread, &in_thread) != 0)
        return 1;
    uint64_t in_main = held_main();
    pthread_join(th, NULL);
    printf("held_early %llu\nheld_main %llu\nheld_thread %llu\n", (unsigned long long)early,
           (unsigned long long)in_main,
           (unsigned long long)in_thread);
    return 0;
}
