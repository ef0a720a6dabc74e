/* timeline: a process's events over time, kept by the model when asked
 * (fp_model.timeline): live heap bytes, allocations and sampled page faults
 * per interval, and the same per raw stack and interval, so that a report
 * can restrict its flame graphs to a stretch of the run.  The intervals are
 * FP_TL_BUCKETS at most; when the run outgrows them their width doubles and
 * neighbours merge, so memory is bounded by buckets x stacks seen. */
#ifndef FP_TIMELINE_H
#define FP_TIMELINE_H

#include <stdint.h>
#include "hmap.h"

#define FP_TL_BUCKETS 256
#define FP_TL_MIN_WIDTH_NS (1ull << 16)   /* the first width: 65.5 us */
#define FP_TL_THREADS 1024                /* threads of a process with a series (14 kB each) */

struct fp_tl_bucket {
    uint64_t heap_events;            /* changes of the live heap in it */
    uint64_t heap_max, heap_end;     /* live heap bytes: most in it, at its end */
    double allocs;                   /* allocations (sampled mode: estimated) */
    uint64_t bytes;                  /* their bytes */
    uint64_t faults;                 /* sampled faults, estimated (samples x weight) */
    uint64_t samples;                /* fault samples */
    uint64_t rusage_faults;          /* minor + major faults the RUSAGE counters grew by */
};

/* One raw stack's part of one bucket: an allocation stack's allocations and
 * the faults on its blocks, a fault stack's faults taken. */
struct fp_tl_cell {
    uint32_t stack, bucket;
    double allocs;
    uint64_t bytes, faults;
};

/* A thread's own series (its index in the model's threads): the live bytes
 * of the blocks it allocated, whoever frees them, and the faults it took. */
struct fp_tl_thread {
    uint32_t ti;
    uint64_t live;                   /* its blocks' bytes live now */
    struct fp_tl_bucket b[FP_TL_BUCKETS];   /* heap_*, faults, samples, rusage_faults */
};

struct fp_timeline {
    uint64_t width_ns;               /* a bucket's width, FP_TL_MIN_WIDTH_NS x 2^k */
    uint32_t shift;                  /* log2(width_ns) */
    uint32_t nbuckets;               /* the last bucket with an event + 1 */
    struct fp_tl_bucket b[FP_TL_BUCKETS];
    struct fp_tl_cell *cells;
    uint32_t ncells, capcells;
    struct hmap index;               /* bucket << 32 | (stack + 1) -> cell + 1 */
    uint32_t *last;                  /* raw stack -> its latest cell + 1 (a cache) */
    uint32_t nlast;
    struct fp_tl_thread **threads;   /* model thread index -> its series, NULL: no event */
    uint32_t nthreads;               /* the length of threads */
    uint32_t nseries;                /* threads with a series, FP_TL_THREADS at most */
    uint64_t unseried;               /* events of threads beyond those */
    int oom;                         /* a cell could not be stored: the figures are short */
};

struct fp_timeline *fp_tl_new(void);
void fp_tl_free(struct fp_timeline *tl);

/* The bucket of time t (ns since the process's t0), widening as needed. */
uint32_t fp_tl_bucket_of(struct fp_timeline *tl, uint64_t t);

/* An allocation of stack si (w: the blocks it stands for, bytes: theirs). */
void fp_tl_alloc(struct fp_timeline *tl, uint32_t si, double w, uint64_t bytes, uint64_t t);
/* Thread ti's series, made at its first event; NULL when out of memory or
 * when FP_TL_THREADS threads have one. */
struct fp_tl_thread *fp_tl_thread_get(struct fp_timeline *tl, uint32_t ti);

static inline void fp_tl_heap_at(struct fp_tl_bucket *x, uint64_t live)
{
    x->heap_events++;
    if (live > x->heap_max)
        x->heap_max = live;
    x->heap_end = live;
}

/* The live heap is now live bytes, after a change of delta bytes to the
 * blocks of thread owner (the one that allocated them). */
static inline void fp_tl_heap(struct fp_timeline *tl, uint32_t owner, int64_t delta,
                              uint64_t live, uint64_t t)
{
    uint64_t k = t >> tl->shift;
    uint32_t b = k < FP_TL_BUCKETS ? (uint32_t)k : fp_tl_bucket_of(tl, t);
    if (b >= tl->nbuckets)
        tl->nbuckets = b + 1;
    fp_tl_heap_at(&tl->b[b], live);
    struct fp_tl_thread *th = owner < tl->nthreads && tl->threads[owner]
                              ? tl->threads[owner] : fp_tl_thread_get(tl, owner);
    if (!th)
        return;
    th->live += (uint64_t)delta;
    fp_tl_heap_at(&th->b[b], th->live);
}
/* A fault sample of weight w, taken by thread ti in code stack fs (-1: none)
 * on a block of allocation stack as (-1: none). */
void fp_tl_fault(struct fp_timeline *tl, uint32_t ti, int64_t fs, int64_t as, uint64_t w,
                 uint64_t t);
/* The RUSAGE counters of thread ti grew by n faults. */
void fp_tl_rusage(struct fp_timeline *tl, uint32_t ti, uint64_t n, uint64_t t);
/* At the trace's end: buckets without events carry the heap on. */
void fp_tl_finish(struct fp_timeline *tl);

/* ---- one time axis for the processes of a model ---- */

struct fp_model;

/* Every process's timeline on one axis from the first process's start (by
 * their realtime t0), FP_TL_BUCKETS intervals at most. */
struct fp_tl_axis {
    uint64_t t0_real;                /* the earliest process's start, ns since the epoch */
    uint64_t width_ns;               /* an interval's width */
    uint32_t nbuckets;               /* intervals with any process in them */
    uint32_t nprocs;
    uint64_t *offset_ns;             /* each process's start on the axis */
    const struct fp_model *m;
};

/* A process's part of one interval of the axis. */
struct fp_tl_point {
    int present;                     /* the process ran in it */
    uint64_t heap_max, heap_end, bytes, faults, samples, rusage_faults;
    double allocs;
};

int fp_tl_axis_build(struct fp_tl_axis *a, const struct fp_model *m);
void fp_tl_axis_free(struct fp_tl_axis *a);
/* The axis interval of bucket b of process pi's timeline. */
uint32_t fp_tl_axis_bucket(const struct fp_tl_axis *a, uint32_t pi, uint32_t b);
/* Process pi's series on the axis: out[a->nbuckets]. */
void fp_tl_axis_series(const struct fp_tl_axis *a, uint32_t pi, struct fp_tl_point *out);
/* The same of one of its threads' series (th of process pi's timeline). */
void fp_tl_axis_thread(const struct fp_tl_axis *a, uint32_t pi, const struct fp_tl_thread *th,
                       struct fp_tl_point *out);

#endif
