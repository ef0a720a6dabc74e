/* timeline: the per-interval series of one process (see timeline.h).  The
 * model calls these from its handlers; nothing here looks at records. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

struct fp_timeline *fp_tl_new(void)
{
    struct fp_timeline *tl = calloc(1, sizeof(*tl));
    if (tl) {
        tl->width_ns = FP_TL_MIN_WIDTH_NS;
        tl->shift = 16;
    }
    return tl;
}

void fp_tl_free(struct fp_timeline *tl)
{
    if (!tl)
        return;
    for (uint32_t i = 0; i < tl->nthreads; i++)
        free(tl->threads[i]);
    free(tl->threads);
    free(tl->cells);
    free(tl->last);
    hmap_free(&tl->index);
    free(tl);
}

static uint64_t cell_key(uint32_t bucket, uint32_t stack)
{
    return (uint64_t)bucket << 32 | ((uint64_t)stack + 1);
}

/* Rebuilds the index after the cells changed buckets, merging equal keys. */
static void cells_reindex(struct fp_timeline *tl)
{
    hmap_free(&tl->index);
    uint32_t n = 0;
    for (uint32_t i = 0; i < tl->ncells; i++) {
        struct fp_tl_cell *c = &tl->cells[i];
        uint64_t key = cell_key(c->bucket, c->stack);
        uint32_t *v = hmap_get(&tl->index, key);
        if (v) {
            struct fp_tl_cell *d = &tl->cells[*v - 1];
            d->allocs += c->allocs;
            d->bytes += c->bytes;
            d->faults += c->faults;
            continue;
        }
        tl->cells[n] = *c;
        if (hmap_put(&tl->index, key, n + 1) < 0)
            tl->oom = 1;
        n++;
    }
    tl->ncells = n;
    if (tl->last)
        memset(tl->last, 0, tl->nlast * sizeof(*tl->last));
}

/* Buckets 2i and 2i+1 of b become bucket i. */
static void buckets_halve(struct fp_tl_bucket *b)
{
    for (uint32_t i = 0; i < FP_TL_BUCKETS / 2; i++) {
        struct fp_tl_bucket *a = &b[2 * i], *z = &b[2 * i + 1], m = *a;
        m.heap_events += z->heap_events;
        if (z->heap_max > m.heap_max)
            m.heap_max = z->heap_max;
        if (z->heap_events)
            m.heap_end = z->heap_end;
        m.allocs += z->allocs;
        m.bytes += z->bytes;
        m.faults += z->faults;
        m.samples += z->samples;
        m.rusage_faults += z->rusage_faults;
        b[i] = m;
    }
    memset(&b[FP_TL_BUCKETS / 2], 0, FP_TL_BUCKETS / 2 * sizeof(*b));
}

/* Doubles the width: bucket 2i and 2i+1 become i. */
static void widen(struct fp_timeline *tl)
{
    buckets_halve(tl->b);
    for (uint32_t i = 0; i < tl->nthreads; i++)
        if (tl->threads[i])
            buckets_halve(tl->threads[i]->b);
    tl->nbuckets = (tl->nbuckets + 1) / 2;
    tl->width_ns *= 2;
    tl->shift++;
    for (uint32_t i = 0; i < tl->ncells; i++)
        tl->cells[i].bucket /= 2;
    cells_reindex(tl);
}

uint32_t fp_tl_bucket_of(struct fp_timeline *tl, uint64_t t)
{
    while ((t >> tl->shift) >= FP_TL_BUCKETS)
        widen(tl);
    uint32_t b = (uint32_t)(t >> tl->shift);
    if (b >= tl->nbuckets)
        tl->nbuckets = b + 1;
    return b;
}

struct fp_tl_thread *fp_tl_thread_get(struct fp_timeline *tl, uint32_t ti)
{
    if (ti >= tl->nthreads) {
        uint32_t n = tl->nthreads ? tl->nthreads : 16;
        while (n <= ti)
            n *= 2;
        struct fp_tl_thread **p = realloc(tl->threads, n * sizeof(*p));
        if (!p)
            goto oom;
        memset(p + tl->nthreads, 0, (n - tl->nthreads) * sizeof(*p));
        tl->threads = p;
        tl->nthreads = n;
    }
    if (!tl->threads[ti]) {
        if (tl->nseries == FP_TL_THREADS) {
            tl->unseried++;
            return NULL;
        }
        tl->threads[ti] = calloc(1, sizeof(*tl->threads[ti]));
        if (!tl->threads[ti])
            goto oom;
        tl->threads[ti]->ti = ti;
        tl->nseries++;
    }
    return tl->threads[ti];
oom:
    tl->oom = 1;
    return NULL;
}

/* The cell of (bucket, stack), made when new; NULL when out of memory. */
static struct fp_tl_cell *cell_get(struct fp_timeline *tl, uint32_t bucket, uint32_t stack)
{
    if (stack < tl->nlast && tl->last[stack]) {
        struct fp_tl_cell *c = &tl->cells[tl->last[stack] - 1];
        if (c->bucket == bucket)
            return c;
    }
    uint64_t key = cell_key(bucket, stack);
    uint32_t *v = hmap_get(&tl->index, key), ci;
    if (v) {
        ci = *v - 1;
    } else {
        if (tl->ncells == tl->capcells) {
            uint32_t cap = tl->capcells ? tl->capcells * 2 : 256;
            void *p = realloc(tl->cells, cap * sizeof(*tl->cells));
            if (!p)
                return NULL;
            tl->cells = p;
            tl->capcells = cap;
        }
        ci = tl->ncells;
        if (hmap_put(&tl->index, key, ci + 1) < 0)
            return NULL;
        tl->ncells++;
        memset(&tl->cells[ci], 0, sizeof(tl->cells[ci]));
        tl->cells[ci].stack = stack;
        tl->cells[ci].bucket = bucket;
    }
    if (stack >= tl->nlast) {
        uint32_t n = tl->nlast ? tl->nlast : 64;
        while (n <= stack)
            n *= 2;
        uint32_t *p = realloc(tl->last, n * sizeof(*p));
        if (!p)
            return &tl->cells[ci];
        memset(p + tl->nlast, 0, (n - tl->nlast) * sizeof(*p));
        tl->last = p;
        tl->nlast = n;
    }
    tl->last[stack] = ci + 1;
    return &tl->cells[ci];
}

void fp_tl_alloc(struct fp_timeline *tl, uint32_t si, double w, uint64_t bytes, uint64_t t)
{
    uint32_t b = fp_tl_bucket_of(tl, t);
    tl->b[b].allocs += w;
    tl->b[b].bytes += bytes;
    struct fp_tl_cell *c = cell_get(tl, b, si);
    if (!c) {
        tl->oom = 1;
        return;
    }
    c->allocs += w;
    c->bytes += bytes;
}

void fp_tl_fault(struct fp_timeline *tl, uint32_t ti, int64_t fs, int64_t as, uint64_t w,
                 uint64_t t)
{
    uint32_t b = fp_tl_bucket_of(tl, t);
    tl->b[b].faults += w;
    tl->b[b].samples++;
    struct fp_tl_thread *th = fp_tl_thread_get(tl, ti);
    if (th) {
        th->b[b].faults += w;
        th->b[b].samples++;
    }
    for (int k = 0; k < 2; k++) {
        int64_t s = k ? as : fs;
        if (s < 0)
            continue;
        struct fp_tl_cell *c = cell_get(tl, b, (uint32_t)s);
        if (!c) {
            tl->oom = 1;
            return;
        }
        c->faults += w;
    }
}

void fp_tl_rusage(struct fp_timeline *tl, uint32_t ti, uint64_t n, uint64_t t)
{
    uint32_t b = fp_tl_bucket_of(tl, t);
    tl->b[b].rusage_faults += n;
    struct fp_tl_thread *th = fp_tl_thread_get(tl, ti);
    if (th)
        th->b[b].rusage_faults += n;
}

/* Buckets without a change of the heap carry the one before them on. */
static void heap_carry(struct fp_tl_bucket *b, uint32_t n)
{
    uint64_t heap = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct fp_tl_bucket *x = &b[i];
        if (!x->heap_events)
            x->heap_max = x->heap_end = heap;
        heap = x->heap_end;
    }
}

void fp_tl_finish(struct fp_timeline *tl)
{
    heap_carry(tl->b, tl->nbuckets);
    for (uint32_t i = 0; i < tl->nthreads; i++)
        if (tl->threads[i])
            heap_carry(tl->threads[i]->b, tl->nbuckets);
}

/* ---- one axis ---- */

int fp_tl_axis_build(struct fp_tl_axis *a, const struct fp_model *m)
{
    memset(a, 0, sizeof(*a));
    a->m = m;
    a->nprocs = m->nprocs;
    a->offset_ns = calloc(m->nprocs ? m->nprocs : 1, sizeof(*a->offset_ns));
    if (!a->offset_ns)
        return -1;
    uint64_t t0 = UINT64_MAX, width = FP_TL_MIN_WIDTH_NS;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        if (p->t0_real && p->t0_real < t0)
            t0 = p->t0_real;
        if (p->tl && p->tl->width_ns > width)
            width = p->tl->width_ns;
    }
    a->t0_real = t0 == UINT64_MAX ? 0 : t0;
    uint64_t end = 0;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        a->offset_ns[i] = p->t0_real && a->t0_real ? p->t0_real - a->t0_real : 0;
        uint64_t e = a->offset_ns[i] + (p->tl ? (uint64_t)p->tl->nbuckets * p->tl->width_ns : 0);
        if (e > end)
            end = e;
    }
    while (end > width * FP_TL_BUCKETS)
        width *= 2;
    a->width_ns = width;
    a->nbuckets = (uint32_t)((end + width - 1) / width);
    if (a->nbuckets > FP_TL_BUCKETS)
        a->nbuckets = FP_TL_BUCKETS;
    return 0;
}

void fp_tl_axis_free(struct fp_tl_axis *a)
{
    free(a->offset_ns);
    memset(a, 0, sizeof(*a));
}

uint32_t fp_tl_axis_bucket(const struct fp_tl_axis *a, uint32_t pi, uint32_t b)
{
    const struct fp_timeline *tl = a->m->procs[pi].tl;
    uint64_t t = a->offset_ns[pi] + (uint64_t)b * (tl ? tl->width_ns : 0);
    uint64_t k = t / a->width_ns;
    return k < a->nbuckets ? (uint32_t)k : a->nbuckets ? a->nbuckets - 1 : 0;
}

/* Buckets b[n] of process pi's timeline on the axis. */
static void axis_map(const struct fp_tl_axis *a, uint32_t pi, const struct fp_tl_bucket *b,
                     uint32_t n, struct fp_tl_point *out)
{
    memset(out, 0, a->nbuckets * sizeof(*out));
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_tl_bucket *x = &b[i];
        struct fp_tl_point *o = &out[fp_tl_axis_bucket(a, pi, i)];
        if (!o->present || x->heap_max > o->heap_max)
            o->heap_max = x->heap_max;
        o->present = 1;
        o->heap_end = x->heap_end;
        o->allocs += x->allocs;
        o->bytes += x->bytes;
        o->faults += x->faults;
        o->samples += x->samples;
        o->rusage_faults += x->rusage_faults;
    }
}

void fp_tl_axis_series(const struct fp_tl_axis *a, uint32_t pi, struct fp_tl_point *out)
{
    const struct fp_timeline *tl = a->m->procs[pi].tl;
    axis_map(a, pi, tl ? tl->b : NULL, tl ? tl->nbuckets : 0, out);
}

void fp_tl_axis_thread(const struct fp_tl_axis *a, uint32_t pi, const struct fp_tl_thread *th,
                       struct fp_tl_point *out)
{
    const struct fp_timeline *tl = a->m->procs[pi].tl;
    axis_map(a, pi, th->b, tl ? tl->nbuckets : 0, out);
}
