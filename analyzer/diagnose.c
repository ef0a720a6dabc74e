/* diagnose: names the mechanism behind page faults, from the model alone.
 * Each diagnosis points at an allocation site (and the code that touched its
 * memory), gives its evidence, concrete advice and an estimate of what the
 * change would save.  Thresholds (below) keep quiet when evidence is weak:
 *
 *   mmap_churn          a site made >= 8 allocations served by their own
 *                       mmap, and (sampled) >= 8 samples' worth of faults
 *                       and >= 1% of the run's fell on mmapped blocks that
 *                       replaced freed ones; without sampling, >= half of
 *                       them replaced.
 *   heap_trim           (sampled) >= 8 samples' worth and >= 5% of the run's
 *                       faults on a
 *                       site's heap blocks that replaced freed ones: pages
 *                       the allocator had given back (a heap trim, seen as
 *                       the break falling, or a thread arena's madvise).
 *   realloc_growth      a realloc chain of >= 16 at a site with >= 32
 *                       reallocs that copied >= 1 MiB.
 *   zeroed_first_touch  (sampled) calloc blocks of >= 64 KiB with >= 256
 *                       faults and 8 samples' worth, >= 10% of the run's,
 *                       covering at least half
 *                       of their pages.
 *
 * "Replaced": allocated while its stack's live bytes stayed within what
 * that stack had held before, so a kept block could have served it; the
 * faults on replaced blocks are what keeping the memory would save. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

static const char *const diag_names[][2] = {
#define FP_X(n, s, d) { s, d },
    FP_DIAG_LIST(FP_X)
#undef FP_X
};

const char *fp_diag_name(int kind)
{
    return kind >= 0 && kind < FP_DIAG_COUNT ? diag_names[kind][0] : "?";
}

const char *fp_diag_title(int kind)
{
    return kind >= 0 && kind < FP_DIAG_COUNT ? diag_names[kind][1] : "?";
}

static uint64_t pow2_at_least(uint64_t v)
{
    uint64_t p = 4096;
    while (p < v && p < (1ULL << 40))
        p <<= 1;
    return p;
}

static struct fp_diag *diag_add(struct fp_diags *d, int kind, int64_t site)
{
    struct fp_diag *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    d->v = nv;
    struct fp_diag *x = &d->v[d->n++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->site = site;
    x->fault_site = -1;
    return x;
}

static int cmp_diag(const void *a, const void *b)
{
    const struct fp_diag *x = a, *y = b;
    /* fault savings first (realloc_growth saves bytes copied) */
    int fx = x->kind != FP_DIAG_REALLOC_GROWTH, fy = y->kind != FP_DIAG_REALLOC_GROWTH;
    if (fx != fy)
        return fy - fx;
    if (x->saving != y->saving)
        return x->saving > y->saving ? -1 : 1;
    return x->kind - y->kind;
}

/* What every test reads besides the site's counters. */
struct run {
    int sampled;                 /* faults sampled with perf events */
    uint64_t total;              /* estimated faults of the run */
    uint64_t least;              /* faults a finding needs: several samples' worth */
    uint64_t page;
    uint64_t shrinks, regrown, heap;   /* the heap break's falls, bytes grown back, growth */
};

static int mmap_churn(struct fp_diags *out, const struct run *r, uint32_t i,
                      const struct fp_counts *k)
{
    char a[32], b[32], c[32];
    struct fp_diag *x;
    uint64_t page = r->page;
    int sampled = r->sampled;
    uint64_t avg = k->mmapped ? k->mmapped_bytes / k->mmapped : 0;
    int churn = k->mmapped >= 8 &&
                (sampled ? k->mmap_refaults >= r->least && k->mmap_refaults * 100 >= r->total
                         : k->replaced_allocs * 2 >= k->mmapped);
    if (!churn)
        return 0;
    if (!(x = diag_add(out, FP_DIAG_MMAP_CHURN, i)))
        return -1;
    x->count = k->mmapped;
    x->bytes = k->mmapped_bytes;
    x->faults = sampled ? k->mmap_faults : k->mmapped_bytes / page;
    x->saving = sampled ? k->mmap_refaults
                        : (k->mmapped_bytes - avg) / page;
    uint64_t thr = pow2_at_least(avg + 1);
    if (thr > 32u << 20)
        thr = 32u << 20;      /* glibc's largest mmap threshold on 64-bit */
    snprintf(x->evidence, sizeof(x->evidence),
             "%llu allocations (%s, about %s each) were served by their own mmap and "
             "unmapped at free; %s faults %s on them%s",
             (unsigned long long)k->mmapped, fp_fmt_bytes(k->mmapped_bytes, a, sizeof(a)),
             fp_fmt_bytes(avg, b, sizeof(b)), fp_fmt_count(x->faults, c, sizeof(c)),
             sampled ? "(estimated from samples)" : "(at least one per page; not sampled)",
             sampled ? ", most on blocks that replaced freed ones" : "");
    snprintf(x->advice, sizeof(x->advice),
             "each new block is fresh memory from the kernel, faulted in page by page. "
             "Keep the buffer and reuse it, or reserve its capacity once. Or let glibc "
             "serve these sizes from the heap: GLIBC_TUNABLES=glibc.malloc.mmap_threshold="
             "%llu:glibc.malloc.trim_threshold=%llu:glibc.malloc.top_pad=%llu; set all "
             "three: setting mmap_threshold alone freezes glibc's dynamic threshold and "
             "leaves trim_threshold (128 KiB) and top_pad at their defaults, so the freed "
             "heap top is trimmed and faulted in again, which can make it worse",
             (unsigned long long)thr, (unsigned long long)(thr * 4),
             (unsigned long long)thr);
    return 0;
}

static int heap_trim(struct fp_diags *out, const struct run *r, uint32_t i,
                     const struct fp_counts *k)
{
    char a[32], b[32], c[32];
    struct fp_diag *x;
    uint64_t least = r->least, total = r->total;
    int sampled = r->sampled;
    uint64_t shrinks = r->shrinks, regrown = r->regrown, heap = r->heap;
    /* heap trimming: faults on replaced heap blocks */
    uint64_t heap_refaults = k->refaults - k->mmap_refaults;
    if (sampled && heap_refaults >= least && heap_refaults * 20 >= total) {
        if (!(x = diag_add(out, FP_DIAG_HEAP_TRIM, i)))
            return -1;
        x->count = shrinks;
        x->bytes = regrown;
        x->faults = k->minor_faults + k->major_faults;
        x->saving = heap_refaults;
        uint64_t keep = pow2_at_least(heap ? heap : k->bytes / (k->allocs ? k->allocs : 1));
        if (shrinks)
            snprintf(x->evidence, sizeof(x->evidence),
                     "the heap break fell %llu times and grew back %s below earlier highs; "
                     "%s faults on this site's blocks (estimated), %s of them on blocks that "
                     "replaced freed ones (%llu of its %llu allocations)",
                     (unsigned long long)shrinks, fp_fmt_bytes(regrown, a, sizeof(a)),
                     fp_fmt_count(x->faults, b, sizeof(b)),
                     fp_fmt_count(heap_refaults, c, sizeof(c)),
                     (unsigned long long)k->replaced_allocs, (unsigned long long)k->allocs);
        else
            snprintf(x->evidence, sizeof(x->evidence),
                     "%s faults on this site's blocks (estimated), %s of them on blocks that "
                     "replaced freed ones (%llu of its %llu allocations); the heap break did "
                     "not move: a thread arena trimmed (madvise) by the allocator",
                     fp_fmt_count(x->faults, b, sizeof(b)),
                     fp_fmt_count(heap_refaults, c, sizeof(c)),
                     (unsigned long long)k->replaced_allocs, (unsigned long long)k->allocs);
        snprintf(x->advice, sizeof(x->advice),
                 "the allocator gives the freed memory back to the kernel and the next "
                 "blocks fault it in again. Keep the buffers and reuse them; or keep glibc "
                 "from trimming: GLIBC_TUNABLES=glibc.malloc.trim_threshold=%llu:"
                 "glibc.malloc.top_pad=%llu (mallopt M_TRIM_THRESHOLD/M_TOP_PAD); setting "
                 "trim_threshold also freezes the dynamic mmap threshold, so set "
                 "glibc.malloc.mmap_threshold too if large blocks should stay on the heap",
                 (unsigned long long)keep, (unsigned long long)keep);
    }    return 0;
}

static int realloc_growth(struct fp_diags *out, const struct run *r, uint32_t i,
                          const struct fp_counts *k)
{
    char a[32], b[32];
    struct fp_diag *x;
    int sampled = r->sampled;
    /* growth by repeated realloc */
    if (k->realloc_chain_max >= 16 && k->reallocs >= 32 && k->realloc_copied >= (1u << 20)) {
        if (!(x = diag_add(out, FP_DIAG_REALLOC_GROWTH, i)))
            return -1;
        x->count = k->reallocs;
        x->bytes = k->realloc_copied;
        x->faults = k->minor_faults + k->major_faults;
        x->saving = k->realloc_copied;
        snprintf(x->evidence, sizeof(x->evidence),
                 "%llu reallocs, chains up to %llu long, copied %s%s%s%s",
                 (unsigned long long)k->reallocs, (unsigned long long)k->realloc_chain_max,
                 fp_fmt_bytes(k->realloc_copied, a, sizeof(a)),
                 sampled ? "; " : "", sampled ? fp_fmt_count(x->faults, b, sizeof(b)) : "",
                 sampled ? " faults on its blocks (estimated)" : "");
        snprintf(x->advice, sizeof(x->advice),
                 "reserve the final capacity once (or grow geometrically, doubling), so the "
                 "data is not copied into fresh memory at every step; saves about %s of "
                 "copying and the faults of the intermediate blocks",
                 fp_fmt_bytes(k->realloc_copied, a, sizeof(a)));
    }    return 0;
}

static int zeroed_touch(struct fp_diags *out, const struct run *r, uint32_t i,
                        const struct fp_counts *k)
{
    char a[32], b[32];
    struct fp_diag *x;
    uint64_t page = r->page, least = r->least, total = r->total;
    int sampled = r->sampled;
    /* first touch of large zeroed buffers */
    if (sampled && k->zeroed_allocs && k->zeroed_faults >= 256 && k->zeroed_faults >= least &&
        k->zeroed_faults * 10 >= total && k->zeroed_faults * page * 2 >= k->zeroed_bytes) {
        if (!(x = diag_add(out, FP_DIAG_ZEROED_TOUCH, i)))
            return -1;
        x->count = k->zeroed_allocs;
        x->bytes = k->zeroed_bytes;
        x->faults = k->zeroed_faults;
        /* reuse saves the faults of replacing blocks; otherwise at most
         * the faults of pages that are never needed */
        x->saving = k->refaults < k->zeroed_faults ? k->refaults : k->zeroed_faults;
        x->upper_bound = x->saving == 0;
        if (x->upper_bound)
            x->saving = k->zeroed_faults;
        snprintf(x->evidence, sizeof(x->evidence),
                 "%llu calloc blocks (%s) took %s faults (estimated), about %.0f%% of their "
                 "pages: each first write to a fresh zero page faults",
                 (unsigned long long)k->zeroed_allocs,
                 fp_fmt_bytes(k->zeroed_bytes, a, sizeof(a)),
                 fp_fmt_count(k->zeroed_faults, b, sizeof(b)),
                 100.0 * (double)(k->zeroed_faults * page) / (double)k->zeroed_bytes);
        snprintf(x->advice, sizeof(x->advice),
                 "reuse one buffer and clear only the part you use instead of allocating a "
                 "fresh zeroed one; allocate only what is needed (pages never touched cost "
                 "nothing); don't memset memory calloc already zeroed%s",
                 x->upper_bound ? " (the saving depends on how much of each buffer is "
                 "needed)" : "");
    }
    return 0;
}

int fp_diagnose(const struct fp_model *m, const struct fp_fault_info *fi,
                const struct fp_sites *alloc, const struct fp_sites *faults,
                struct fp_diags *out)
{
    memset(out, 0, sizeof(*out));
    struct run r = { .sampled = fi->mode == FP_FAULTS_PERF && fi->samples > 0,
                     .total = fi->est_minor + fi->est_major };
    /* one sample stands for period faults: ask for several */
    r.least = 8 * (fi->period ? fi->period : 1);
    if (r.least < 64)
        r.least = 64;
    r.page = m->nprocs && m->procs[0].page_size ? m->procs[0].page_size : 4096;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        r.shrinks += m->procs[i].brk_shrinks;
        r.regrown += m->procs[i].brk_regrown;
        if (m->procs[i].brk_max > m->procs[i].brk_first)
            r.heap += m->procs[i].brk_max - m->procs[i].brk_first;
    }
    for (uint32_t i = 0; i < alloc->n; i++) {
        const struct fp_counts *k = &alloc->v[i].c;
        if (mmap_churn(out, &r, i, k) < 0 || heap_trim(out, &r, i, k) < 0 ||
            realloc_growth(out, &r, i, k) < 0 || zeroed_touch(out, &r, i, k) < 0)
            return -1;
    }
    for (size_t i = 0; i < out->n; i++) {
        double share;
        out->v[i].fault_site = fp_fault_top_toucher(m, alloc, faults, (uint32_t)out->v[i].site,
                                                    &share);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), cmp_diag);
    return 0;
}

void fp_diags_free(struct fp_diags *d)
{
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* "site (file:line) <- caller (file:line)" */
const char *fp_diag_where(const struct fp_sites *alloc, int64_t i, char *buf, size_t n)
{
    char x[512], y[512];
    fp_site_name(alloc, i, x, sizeof(x));
    const struct fp_site *st = &alloc->v[i];
    if (st->nframes > 1) {
        fp_fmt_frame(fp_syms_frame(alloc->syms, fp_site_frames(alloc, st)[1]), y, sizeof(y), 0);
        snprintf(buf, n, "%s <- %s", x, y);
    } else {
        snprintf(buf, n, "%s", x);
    }
    return buf;
}

const char *fp_diag_saving_text(const struct fp_diag *d, char *buf, size_t n)
{
    char a[32];
    if (d->kind == FP_DIAG_REALLOC_GROWTH)
        snprintf(buf, n, "about %s of copying", fp_fmt_bytes(d->saving, a, sizeof(a)));
    else if (d->upper_bound)
        snprintf(buf, n, "up to %llu page faults", (unsigned long long)d->saving);
    else
        snprintf(buf, n, "about %llu page faults", (unsigned long long)d->saving);
    return buf;
}
