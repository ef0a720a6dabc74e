/* Micro-benchmark: the cost of one getrusage(RUSAGE_THREAD) and of one
 * clock_gettime(CLOCK_MONOTONIC), the two per-call costs the shim pays
 * (getrusage every FAULTPROF_RUSAGE_EVERY calls, the clock every call).
 *   cc -O2 bench/getrusage_cost.c -o getrusage_cost && ./getrusage_cost */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    const int n = 1000000;
    struct rusage ru;
    struct timespec ts;
    long sink = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        getrusage(RUSAGE_THREAD, &ru);
        sink += ru.ru_minflt;
    }
    double t1 = now();
    for (int i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink += ts.tv_nsec;
    }
    double t2 = now();
    printf("getrusage(RUSAGE_THREAD): %.0f ns per call\n", (t1 - t0) / n * 1e9);
    printf("clock_gettime(CLOCK_MONOTONIC): %.1f ns per call\n", (t2 - t1) / n * 1e9);
    return sink == 42;
}
