/* Threads barred from the TSC: prctl(PR_SET_TSC, PR_TSC_SIGSEGV) makes
 * rdtsc, and the vDSO's clock_gettime where the kernel's clock is read
 * through the TSC, raise SIGSEGV in the calling thread and in the threads
 * it creates afterwards.  The program itself reads no clock (nanosleep
 * only), so it runs natively; under the shim every malloc and free must
 * too, across the 2 ms and 50 ms points where the recorder measures the
 * TSC's rate.
 *   rec_notsc probe   bars the TSC and reads it: dies of SIGSEGV where the
 *                     kernel enforces the bar (the test skips otherwise)
 *   rec_notsc run     the main thread barred from the start, a thread it
 *                     creates (barred too), then the main thread allowed
 *                     again; meanwhile a thread started while allowed
 *                     bars itself after 60 ms of allocating
 * Prints how many allocations each function made. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <x86intrin.h>

#define ROUNDS 120      /* x 0.5 ms asleep: past both of the recorder's points */
#define PER_ROUND 200

static void nap(void)
{
    struct timespec ts = { 0, 500 * 1000 };
    nanosleep(&ts, NULL);
}

/* a macro, not a function, and a size of its own (no identical code to
 * fold): each work function is its own allocation site */
#define CHURN(rounds, size)                                                 \
    long n = 0;                                                             \
    for (int r = 0; r < (rounds); r++) {                                    \
        for (int i = 0; i < PER_ROUND; i++) {                               \
            void *p = malloc((size) + (size_t)(i % 13) * 40);               \
            __asm__ volatile("" : : "r"(p) : "memory");                     \
            free(p);                                                        \
            n++;                                                            \
        }                                                                   \
        nap();                                                              \
    }                                                                       \
    return n

static __attribute__((noinline)) long barred_main_work(void) { CHURN(ROUNDS, 16); }
static __attribute__((noinline)) long barred_child_work(void) { CHURN(ROUNDS, 24); }
static __attribute__((noinline)) long allowed_again_work(void) { CHURN(20, 32); }
static __attribute__((noinline)) long before_bar_work(void) { CHURN(ROUNDS / 2, 40); }
static __attribute__((noinline)) long self_barred_work(void) { CHURN(ROUNDS, 48); }

static void bar(int on)
{
    if (prctl(PR_SET_TSC, on ? PR_TSC_SIGSEGV : PR_TSC_ENABLE, 0, 0, 0) != 0) {
        perror("prctl(PR_SET_TSC)");
        exit(2);
    }
}

static void *barred_child(void *arg)
{
    *(long *)arg = barred_child_work();
    return NULL;
}

static void *self_barring(void *arg)
{
    long *n = arg;
    n[0] = before_bar_work();
    bar(1);
    n[1] = self_barred_work();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "probe")) {
        bar(1);
        printf("%llu\n", (unsigned long long)__rdtsc());
        return 0;
    }
    long other[2] = { 0, 0 }, child = 0;
    pthread_t a, b;
    if (pthread_create(&a, NULL, self_barring, other) != 0)
        return 2;
    bar(1);
    long main_n = barred_main_work();
    if (pthread_create(&b, NULL, barred_child, &child) != 0)
        return 2;
    pthread_join(b, NULL);
    bar(0);
    long again = allowed_again_work();
    pthread_join(a, NULL);
    printf("barred_main_work %ld\nbarred_child_work %ld\nallowed_again_work %ld\n"
           "before_bar_work %ld\nself_barred_work %ld\n",
           main_n, child, again, other[0], other[1]);
    return 0;
}
