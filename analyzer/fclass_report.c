/* fclass_report: the report's fault classes — each class's share of the
 * sampled faults, the allocation sites and the code with the most of it,
 * its evidence from the replayed history and advice — from the model's
 * per-process and per-site class counters (model.c, fclass.c). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "faultprof/trace.h"

/* What the run did that the classes rest on, summed over its processes. */
struct history {
    uint64_t shrinks, munmaps, mmapped_frees, madvises, madvises_alloc, mprotects, forks;
    uint64_t madv[FP_MADV_GROUPS], by_alloc, inferred;
    uint64_t minor[FP_FCLASS_COUNT], major_file, fork_children;
    enum fp_thp_mode thp;
};

static const char *thp_name(enum fp_thp_mode t)
{
    return t == FP_THP_ALWAYS ? "always" : t == FP_THP_MADVISE ? "madvise"
         : t == FP_THP_NEVER ? "never" : "unknown";
}

static void history_of(const struct fp_model *m, struct history *h)
{
    memset(h, 0, sizeof(*h));
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        h->shrinks += p->brk_shrinks;
        h->munmaps += p->munmap_calls;
        h->mmapped_frees += p->mmapped;
        h->madvises += p->madvise_calls;
        h->madvises_alloc += p->madvise_alloc_calls;
        h->mprotects += p->mprotect_calls;
        h->forks += p->forks;
        h->fork_children += (p->flags & FP_PROC_FORK_CHILD) != 0;
        for (int g = 0; g < FP_MADV_GROUPS; g++)
            h->madv[g] += p->madv_refaults[g];
        h->by_alloc += p->alloc_release_refaults;
        h->inferred += p->inferred_refaults;
        h->major_file += p->region_major[FP_REGION_FILE] + p->region_major[FP_REGION_MODULE];
        if (p->thp_mode && !h->thp)
            h->thp = p->thp_mode;
    }
}

static void evidence(struct fp_fclass_row *x, const struct history *h)
{
    char *e = x->evidence;
    size_t n = sizeof(x->evidence);
    unsigned long long f = (unsigned long long)x->faults;
    switch (x->cls) {
    case FP_FCLASS_FIRST_TOUCH:
        snprintf(e, n, "%llu faults on anonymous memory (blocks, the heap, the program's mmaps) "
                 "faulted for the first time and never given back before", f);
        break;
    case FP_FCLASS_REFAULT_TRIM:
        snprintf(e, n, "the heap break fell %llu times (the allocator trimmed the heap's top); "
                 "%llu faults on pages those trims had given back", (unsigned long long)h->shrinks, f);
        break;
    case FP_FCLASS_REFAULT_MUNMAP:
        snprintf(e, n, "%llu munmap calls of the program and %llu blocks of their own mmap freed; "
                 "%llu faults on pages unmapped before (%llu of them on blocks that replaced a "
                 "freed one of their site at another address)", (unsigned long long)h->munmaps,
                 (unsigned long long)h->mmapped_frees, f, (unsigned long long)h->inferred);
        break;
    case FP_FCLASS_REFAULT_MADVISE:
        snprintf(e, n, "%llu madvise calls (%llu of them the allocator's own purges); %llu "
                 "faults on pages they released: after MADV_DONTNEED %llu, MADV_FREE %llu, "
                 "other advice %llu", (unsigned long long)h->madvises,
                 (unsigned long long)h->madvises_alloc, f,
                 (unsigned long long)h->madv[FP_MADV_G_DONTNEED],
                 (unsigned long long)h->madv[FP_MADV_G_FREE],
                 (unsigned long long)h->madv[FP_MADV_G_OTHER]);
        break;
    case FP_FCLASS_COW:
        snprintf(e, n, "%llu forks and %llu fork children traced; %llu faults on pages "
                 "shared with the other process at the fork", (unsigned long long)h->forks,
                 (unsigned long long)h->fork_children, f);
        break;
    case FP_FCLASS_FILE:
        snprintf(e, n, "%llu faults on file mappings and loaded modules, %llu of them major "
                 "(read from disk)", f, (unsigned long long)h->major_file);
        break;
    case FP_FCLASS_STACK:
        snprintf(e, n, "%llu faults in thread stacks: a stack growing into pages it had not "
                 "used before", f);
        break;
    case FP_FCLASS_HUGE_PAGE:
        snprintf(e, n, "THP mode %s; %llu faults on 2 MiB extents where a transparent huge page "
                 "applies, the first fault of each extent (one fault may map 2 MiB)",
                 thp_name(h->thp), f);
        break;
    case FP_FCLASS_ZERO_PAGE:
        snprintf(e, n, "%llu faults on pages that had faulted before with nothing released, "
                 "protected or forked in between: the first access was a read, which maps the "
                 "shared zero page, and this is the write", f);
        break;
    case FP_FCLASS_PROTECTION:
        snprintf(e, n, "%llu mprotect calls; %llu faults on pages whose protection changed "
                 "after they had faulted", (unsigned long long)h->mprotects, f);
        break;
    default:
        snprintf(e, n, "%llu faults outside the memory the trace shows (the allocator's own "
                 "bookkeeping, memory mapped before the recorder started) or major faults on "
                 "anonymous memory (swapped out and read back)", f);
    }
}

static void advice(struct fp_fclass_row *x, const struct history *h)
{
    char *a = x->advice;
    size_t n = sizeof(x->advice);
    switch (x->cls) {
    case FP_FCLASS_FIRST_TOUCH:
        snprintf(a, n, "each page of fresh memory costs a fault the first time it is touched: "
                 "allocate less, reuse buffers across iterations instead of making new ones, or "
                 "fault the memory in once off the hot path (MAP_POPULATE, "
                 "madvise(MADV_POPULATE_WRITE)); large regions aligned to 2 MiB with "
                 "madvise(MADV_HUGEPAGE) fault once per 2 MiB");
        break;
    case FP_FCLASS_REFAULT_TRIM:
        snprintf(a, n, "glibc gives the heap's top back when more than M_TRIM_THRESHOLD is free "
                 "at its end: raise it and the pad it keeps (GLIBC_TUNABLES=glibc.malloc."
                 "trim_threshold=N:glibc.malloc.top_pad=N, or mallopt(M_TRIM_THRESHOLD) and "
                 "M_TOP_PAD), or keep the buffers and reuse them; thread arenas trim with "
                 "madvise too: MALLOC_ARENA_MAX=1 (glibc.malloc.arena_max) keeps fewer heaps");
        break;
    case FP_FCLASS_REFAULT_MUNMAP:
        snprintf(a, n, "every new mapping is fresh memory: keep the mapping and reuse it; for "
                 "malloc'd blocks above M_MMAP_THRESHOLD, which glibc maps and unmaps one by "
                 "one, raise it with the other two (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=N"
                 ":glibc.malloc.trim_threshold=4N:glibc.malloc.top_pad=N) so they come from the "
                 "heap and stay");
        break;
    case FP_FCLASS_REFAULT_MADVISE:
        snprintf(a, n, "%s: jemalloc purges freed pages after dirty_decay_ms and muzzy_decay_ms "
                 "(MALLOC_CONF=dirty_decay_ms:30000,muzzy_decay_ms:30000, or -1: never); "
                 "mimalloc after MIMALLOC_PURGE_DELAY ms (-1: never); tcmalloc: "
                 "TCMALLOC_RELEASE_RATE=0; a madvise(MADV_DONTNEED) of your own: keep pages that "
                 "will be reused soon, or use MADV_FREE, which the kernel takes back only under "
                 "memory pressure",
                 h->madvises_alloc ? "the allocator gives freed pages back with madvise and "
                 "faults them in again" : "the program gives pages back with madvise and faults "
                 "them in again");
        break;
    case FP_FCLASS_COW:
        snprintf(a, n, "after fork the first write to each shared page copies it, in the parent "
                 "and in the child: fork before building large state, use posix_spawn (or "
                 "vfork) when the child execs, keep buffers the child does not need out of it "
                 "(madvise(MADV_DONTFORK) or MADV_WIPEONFORK), and have the child write less");
        break;
    case FP_FCLASS_FILE:
        snprintf(a, n, "file pages fault in from the page cache (minor) or from disk (major): "
                 "read sequential input with read()/pread() in large chunks, or prefetch the "
                 "mapping (madvise(MADV_SEQUENTIAL or MADV_WILLNEED), MAP_POPULATE); major faults "
                 "mean the pages were not cached (first read, posix_fadvise(DONTNEED), memory "
                 "pressure)");
        break;
    case FP_FCLASS_STACK:
        snprintf(a, n, "a deep recursion or large local arrays fault the stack in page by page: "
                 "move large arrays to the heap (and reuse them), or bound the recursion; every "
                 "new thread's stack faults in again, so a thread pool saves them");
        break;
    case FP_FCLASS_HUGE_PAGE:
        snprintf(a, n, "huge pages already make these faults cheap (one per 2 MiB); %s",
                 h->thp == FP_THP_NEVER ? "THP is off (never)" :
                 "to extend them, align large regions to 2 MiB and madvise(MADV_HUGEPAGE) them "
                 "(THP mode madvise), and keep them: a freed huge page is faulted in whole again");
        break;
    case FP_FCLASS_ZERO_PAGE:
        snprintf(a, n, "untouched memory read before it is written faults twice: the read maps "
                 "the zero page, the write faults again for a page of its own; write it first "
                 "(don't scan calloc'd memory you are about to overwrite), or fault it in "
                 "writable once (MAP_POPULATE, madvise(MADV_POPULATE_WRITE))");
        break;
    case FP_FCLASS_PROTECTION:
        snprintf(a, n, "changing protections (read-only and back, W^X flips of generated code, "
                 "guard pages) makes the next access fault on every page again: change them less "
                 "often or over smaller ranges");
        break;
    default:
        snprintf(a, n, "nothing the trace can point at: memory the allocator keeps for itself or "
                 "that was mapped before the recorder started; major faults here mean the "
                 "program's memory was swapped out (too little RAM, or a memory limit)");
    }
}

static const char *confidence(int cls, uint64_t period)
{
    if (period <= 1)
        return "exact";
    switch (cls) {
    case FP_FCLASS_STACK:
    case FP_FCLASS_FILE:
    case FP_FCLASS_OTHER:
        return "exact";
    case FP_FCLASS_ZERO_PAGE:
        return "undercounted";
    default:
        return "statistical";
    }
}

/* The sites (or sources) with the most faults of class c, best first. */
static void top_of(const struct fp_sites *s, int c, uint32_t *idx, uint64_t *val, uint32_t max,
                   uint32_t *n)
{
    *n = 0;
    for (uint32_t i = 0; s && i < s->n; i++) {
        uint64_t v = s->v[i].c.class_faults[c];
        if (!v)
            continue;
        uint32_t k;
        if (*n < max)
            k = (*n)++;
        else if (v > val[max - 1])
            k = max - 1;
        else
            continue;
        while (k > 0 && val[k - 1] < v) {
            idx[k] = idx[k - 1];
            val[k] = val[k - 1];
            k--;
        }
        idx[k] = i;
        val[k] = v;
    }
}

static int cmp_row(const void *a, const void *b)
{
    const struct fp_fclass_row *x = a, *y = b;
    if (x->faults != y->faults)
        return x->faults > y->faults ? -1 : 1;
    return x->cls - y->cls;
}

int fp_fclasses_build(struct fp_fclasses *out, const struct fp_model *m,
                      const struct fp_fault_info *fi, const struct fp_sites *alloc,
                      const struct fp_sites *faults)
{
    memset(out, 0, sizeof(*out));
    struct history h;
    history_of(m, &h);
    uint64_t faults_of[FP_FCLASS_COUNT] = { 0 }, samples_of[FP_FCLASS_COUNT] = { 0 };
    for (uint32_t i = 0; i < m->nprocs; i++)
        for (int c = 0; c < FP_FCLASS_COUNT; c++) {
            faults_of[c] += m->procs[i].class_faults[c];
            samples_of[c] += m->procs[i].class_samples[c];
            out->total += m->procs[i].class_faults[c];
        }
    out->period = fi->period;
    for (int c = 0; c < FP_FCLASS_COUNT; c++) {
        if (!samples_of[c])
            continue;
        struct fp_fclass_row *x = &out->v[out->n++];
        x->cls = c;
        x->faults = faults_of[c];
        x->samples = samples_of[c];
        x->share = out->total ? (double)x->faults / (double)out->total : 0;
        top_of(alloc, c, x->sites, x->site_faults, FP_FCLASS_TOP, &x->nsites);
        uint32_t si, ns;
        uint64_t sv;
        top_of(faults, c, &si, &sv, 1, &ns);
        x->source = ns ? (int64_t)si : -1;
        x->source_faults = ns ? sv : 0;
        x->confidence = confidence(c, fi->period);
        evidence(x, &h);
        advice(x, &h);
    }
    qsort(out->v, out->n, sizeof(out->v[0]), cmp_row);
    if (fi->period <= 1)
        snprintf(out->rule, sizeof(out->rule), "every fault was sampled (period 1): each page's "
                 "history is complete and the classes are exact");
    else
        snprintf(out->rule, sizeof(out->rule), "period %llu: a page's earlier fault is sampled "
                 "about 1 time in %llu, so refaults, copy-on-write and protection faults are "
                 "judged from the history of the ranges around the page (statistical), and a "
                 "zero-page write is seen only when both of its page's faults were sampled "
                 "(undercounted); run with FAULTPROF_FAULT_PERIOD=1 for exact classes",
                 (unsigned long long)fi->period, (unsigned long long)fi->period);
    return 0;
}

const char *fp_fclass_mix(const struct fp_counts *c, char *buf, size_t len, int n)
{
    uint64_t total = 0;
    for (int k = 0; k < FP_FCLASS_COUNT; k++)
        total += c->class_faults[k];
    buf[0] = 0;
    if (!total)
        return buf;
    int used[FP_FCLASS_COUNT] = { 0 };
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        int best = -1;
        for (int k = 0; k < FP_FCLASS_COUNT; k++)
            if (!used[k] && c->class_faults[k] &&
                (best < 0 || c->class_faults[k] > c->class_faults[best]))
                best = k;
        if (best < 0)
            break;
        used[best] = 1;
        int w = snprintf(buf + pos, len - pos, "%s%s %.0f%%", i ? ", " : "", fp_fclass_name(best),
                         100.0 * (double)c->class_faults[best] / (double)total);
        if (w < 0 || (size_t)w >= len - pos)
            break;
        pos += (size_t)w;
    }
    return buf;
}
