/* live_refresh: what one refresh of faultprof-report --live costs on a
 * trace that grows.  Copies TRACE to OUT as a recorder would append it:
 * FROM_MB at once (one refresh to catch up), then STEP_MB before each of
 * STEPS refreshes, and prints each refresh's wall and CPU time.  Built by
 * bench/live.sh against a build's analyzer objects (this tree's, or an
 * older commit's: the entry points fp_live_init/refresh/free are the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"
#include "report.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One refresh, timed: wall and CPU (both threads, the reader may use two). */
static void timed_refresh(struct fp_live *l, double *wall, double *cpu)
{
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (fp_live_refresh(l) < 0) {
        fprintf(stderr, "live_refresh: out of memory\n");
        exit(1);
    }
    *wall = (clock_s(CLOCK_MONOTONIC) - w0) * 1e3;
    *cpu = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: live_refresh TRACE OUT FROM_MB STEP_MB STEPS\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        perror("live_refresh: open");
        return 1;
    }
    size_t from = (size_t)(atof(argv[3]) * 1048576), step = (size_t)(atof(argv[4]) * 1048576);
    int steps = atoi(argv[5]);
    char *buf = malloc(from > step ? from : step);
    struct fp_opts o;
    memset(&o, 0, sizeof(o));
    o.symbols = 1;
    struct fp_live l;
    size_t n = fread(buf, 1, from, in);
    fwrite(buf, 1, n, out);
    fflush(out);
    fp_live_init(&l, argv[2], &o);
    double wall, cpu, total = (double)n;
    timed_refresh(&l, &wall, &cpu);
    printf("catch-up at %.1f MB: %.1f ms wall, %.1f ms cpu, %llu allocations%s%s\n", total / 1048576,
           wall, cpu, (unsigned long long)l.allocs, l.problem[0] ? ": " : "", l.problem);
    double *w = calloc((size_t)steps + 1, sizeof(*w)), *c = calloc((size_t)steps + 1, sizeof(*c));
    int k = 0;
    for (; k < steps && (n = fread(buf, 1, step, in)) > 0; k++) {
        fwrite(buf, 1, n, out);
        fflush(out);
        total += (double)n;
        timed_refresh(&l, &w[k], &c[k]);
        printf("refresh %d at %.1f MB (+%.2f MB): %.1f ms wall, %.1f ms cpu, %llu allocations\n",
               k + 1, total / 1048576, (double)n / 1048576, w[k], c[k],
               (unsigned long long)l.allocs);
    }
    qsort(w, (size_t)k, sizeof(*w), cmp_double);
    qsort(c, (size_t)k, sizeof(*c), cmp_double);
    if (k)
        printf("median of %d refreshes: %.1f ms wall, %.1f ms cpu (max %.1f ms wall)\n", k,
               w[k / 2], c[k / 2], w[k - 1]);
    fp_live_free(&l);
    free(w), free(c), free(buf);
    fclose(in), fclose(out);
    return 0;
}
