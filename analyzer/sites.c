/* sites: symbolize raw stacks, fold the allocator's frames, merge stacks
 * that symbolize the same (across threads and processes), sort. */
#include "sites.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"
#include "faultprof/trace.h"

static const char *const metric_names[] = {
#define FP_X(n, s) s,
    FP_METRIC_LIST(FP_X)
#undef FP_X
};

int fp_metric_parse(const char *s)
{
    for (int i = 0; i < FP_METRIC_COUNT; i++)
        if (!strcmp(s, metric_names[i]))
            return i;
    if (!strcmp(s, "allocs"))
        return FP_METRIC_ALLOCATIONS;
    if (!strcmp(s, "peak_bytes"))
        return FP_METRIC_PEAK;
    if (!strcmp(s, "leaked_bytes"))
        return FP_METRIC_LEAKED;
    if (!strcmp(s, "minor"))
        return FP_METRIC_MINOR_FAULTS;
    if (!strcmp(s, "major"))
        return FP_METRIC_MAJOR_FAULTS;
    if (!strcmp(s, "faults_by_code"))
        return FP_METRIC_FAULTS;
    return -1;
}

const char *fp_metric_name(int metric)
{
    return metric >= 0 && metric < FP_METRIC_COUNT ? metric_names[metric] : "?";
}

uint64_t fp_metric_value(const struct fp_counts *c, int metric)
{
    switch (metric) {
    case FP_METRIC_ALLOCATIONS: return c->allocs;
    case FP_METRIC_BYTES: return c->bytes;
    case FP_METRIC_PEAK: return c->peak_bytes;
    case FP_METRIC_LEAKED: return c->leaked_bytes;
    case FP_METRIC_TEMPORARY: return c->temporary;
    case FP_METRIC_MMAPPED: return c->mmapped;
    case FP_METRIC_FAULTS:
    case FP_METRIC_FAULTS_BY_ALLOCATION: return c->minor_faults + c->major_faults;
    case FP_METRIC_MINOR_FAULTS: return c->minor_faults;
    case FP_METRIC_MAJOR_FAULTS: return c->major_faults;
    case FP_METRIC_FREES: return c->frees;
    case FP_METRIC_REALLOCS: return c->reallocs;
    case FP_METRIC_LEAKED_BLOCKS: return c->leaked_blocks;
    case FP_METRIC_MAPPED: return c->map_bytes;
    }
    return 0;
}

void fp_counts_add(struct fp_counts *a, const struct fp_counts *b)
{
    uint64_t chain = a->realloc_chain_max > b->realloc_chain_max ? a->realloc_chain_max
                                                                  : b->realloc_chain_max;
    uint64_t *x = (uint64_t *)a;
    const uint64_t *y = (const uint64_t *)b;
    for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
        x[i] += y[i];
    a->realloc_chain_max = chain;
}

/* ---- filter ---- */

/* Frames of the allocator's machinery: a site is the first frame after them. */
static const char *const default_patterns[] = {
    /* C allocation entry points and thin wrappers */
    "malloc", "calloc", "realloc", "reallocarray", "free", "memalign", "posix_memalign",
    "aligned_alloc", "valloc", "pvalloc", "__libc_*alloc*", "xmalloc", "xcalloc", "xrealloc",
    "strdup", "__strdup", "strndup", "__strndup", "__GI___strdup", "__GI___strndup",
    /* libc calls that allocate for their caller */
    "asprintf", "vasprintf", "__asprintf", "___asprintf", "__vasprintf_internal",
    "getline", "getdelim", "__getdelim", "_IO_getdelim", "wcsdup", "__wcsdup",
    /* C++: operator new and the standard library's containers and strings */
    "operator new*", "operator delete*", "__gnu_cxx::*", "std::*", "void std::*",
    /* Rust: the global allocator, RawVec, Vec/String growth, core helpers */
    "__rust_alloc*", "__rust_realloc*", "__rdl_*", "__rg_*", "alloc::*", "<alloc::*",
    "<* as alloc::*", "core::*", "<core::*", "<* as core::*", "<std::*", "<* as std::*",
    "hashbrown::*", "<hashbrown::*",   /* std's HashMap */
};

void fp_filter_defaults(struct fp_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->enabled = 1;
    for (size_t i = 0; i < sizeof(default_patterns) / sizeof(default_patterns[0]); i++)
        fp_filter_add(f, default_patterns[i]);
}

int fp_filter_add(struct fp_filter *f, const char *pattern)
{
    if (FP_GROW(f->patterns, f->cap, f->n + 1, 64) < 0)
        return -1;
    f->patterns[f->n++] = pattern;
    return 0;
}

void fp_filter_free(struct fp_filter *f)
{
    free(f->patterns);
    f->patterns = NULL;
    f->n = f->cap = 0;
}

int fp_filter_match(const struct fp_filter *f, const struct fp_frame *fr)
{
    if (!f->enabled)
        return 0;
    /* the recorder itself is never a site */
    if (fr->module && !strncmp(fr->module, "libfaultprof", 12))
        return 1;
    char buf[128];
    const char *name = fp_frame_name(fr, buf, sizeof(buf));
    for (size_t i = 0; i < f->n; i++)
        if (!fnmatch(f->patterns[i], name, 0))
            return 1;
    return 0;
}

/* ---- sites ---- */

static uint64_t key_hash(const uint32_t *k, uint32_t n)
{
    uint64_t h = hmap_hash(n + 1);
    for (uint32_t i = 0; i < n; i++)
        h = hmap_hash(h ^ k[i]) + i;
    return h;
}

static int tab_grow(struct fp_sites *s)
{
    size_t cap = s->tab ? (s->tab_mask + 1) * 2 : 256;
    /* a rebuild after sorting starts from nothing: size it for every site */
    while (cap < ((size_t)s->n + 1) * 2)
        cap *= 2;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return -1;
    for (uint32_t i = 0; i < s->n; i++) {
        size_t j = key_hash(s->frames + s->v[i].frames_off, s->v[i].nframes) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = i + 1;
    }
    free(s->tab);
    s->tab = t;
    s->tab_mask = cap - 1;
    return 0;
}

static int64_t site_intern(struct fp_sites *s, const uint32_t *k, uint32_t n)
{
    if (!s->tab || (size_t)(s->n + 1) * 2 > s->tab_mask + 1)
        if (tab_grow(s) < 0)
            return -1;
    size_t j = key_hash(k, n) & s->tab_mask;
    for (; s->tab[j]; j = (j + 1) & s->tab_mask) {
        struct fp_site *x = &s->v[s->tab[j] - 1];
        if (x->nframes == n && !memcmp(s->frames + x->frames_off, k, n * sizeof(*k)))
            return s->tab[j] - 1;
    }
    if (FP_GROW(s->v, s->cap, (size_t)s->n + 1, 256) < 0 ||
        FP_GROW(s->frames, s->capframes, s->nframes + n, 4096) < 0)
        return -1;
    struct fp_site *x = &s->v[s->n];
    memset(x, 0, sizeof(*x));
    x->nframes = n;
    x->frames_off = s->nframes;
    if (n)   /* an empty stack's k may be NULL */
        memcpy(s->frames + s->nframes, k, n * sizeof(*k));
    s->nframes += n;
    s->tab[j] = s->n + 1;
    return s->n++;
}

static int counts_empty(const struct fp_counts *c)
{
    const uint64_t *x = (const uint64_t *)c;
    for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
        if (x[i])
            return 0;
    return 1;
}

_Static_assert(FP_SITE_MAX_IDS == FP_MAX_DEPTH * 4 + 1, "sites.h's FP_SITE_MAX_IDS");

/* The filter's verdicts by interned frame, for one build over many stacks:
 * a frame's name is formatted and matched against the globs once, not at
 * every stack that starts with it (fnmatch took a fifth of a clang
 * compile's report). */
struct filter_memo {
    uint8_t *v;                  /* per frame id: 0 not asked, 1 kept, 2 filtered */
    uint32_t cap;
};

static int filter_match_id(const struct fp_filter *f, struct fp_syms *syms, uint32_t id,
                           struct filter_memo *mm)
{
    if (!mm || (id >= mm->cap && FP_GROW_ZERO(mm->v, mm->cap, (size_t)id + 1, 4096) < 0))
        return fp_filter_match(f, fp_syms_frame(syms, id));
    if (!mm->v[id])
        mm->v[id] = fp_filter_match(f, fp_syms_frame(syms, id)) ? 2 : 1;
    return mm->v[id] == 2;
}

static int sites_key(struct fp_syms *syms, const struct fp_model *m, uint32_t raw,
                     const struct fp_filter *filter, enum fp_by by, uint32_t ids[FP_SITE_MAX_IDS],
                     const uint32_t **key, uint32_t *kn, struct filter_memo *mm)
{
    const struct fp_rawstack *rs = &m->stacks[raw];
    const uint64_t *f = fp_rawstack_frames(m, rs);
    uint32_t n = 0;
    int exact = rs->kind == FP_STACK_FAULT;   /* a fault stack's frame 0 is its ip */
    for (uint32_t k = 0; k < rs->n; k++) {
        const uint32_t *r;
        int c = exact ? fp_syms_resolve_ip(syms, rs->proc, rs->mod_gen, f[k], &r)
                      : fp_syms_resolve(syms, rs->proc, rs->mod_gen, f[k], &r);
        if (c < 0)
            return -1;
        for (int q = 0; q < c && n < FP_SITE_MAX_IDS - 1; q++)
            ids[n++] = r[q];
        /* below the signal trampoline is the interrupted instruction, not
         * a return address: looked up as it is */
        exact = c > 0 && fp_syms_frame_is_sigreturn(syms, r[c - 1]);
    }
    uint32_t skip = 0;
    while (skip < n && filter_match_id(filter, syms, ids[skip], mm))
        skip++;
    if (skip == n)
        skip = 0;   /* nothing but allocator frames: keep the whole stack */
    *key = ids + skip, *kn = n - skip;
    if (by == FP_BY_FUNCTION && *kn > 0) {
        struct fp_frame g = *fp_syms_frame(syms, ids[skip]);
        g.line = 0;
        g.inlined = 0;
        if (g.func)
            g.offset = 0;
        uint32_t fn_id = fp_syms_intern_frame(syms, &g);
        if (fn_id == UINT32_MAX)
            return -1;
        ids[FP_SITE_MAX_IDS - 1] = fn_id;
        *key = &ids[FP_SITE_MAX_IDS - 1], *kn = 1;
    }
    return (int)skip;
}

int fp_sites_key(struct fp_syms *syms, const struct fp_model *m, uint32_t raw,
                 const struct fp_filter *filter, enum fp_by by, uint32_t ids[FP_SITE_MAX_IDS],
                 const uint32_t **key, uint32_t *kn)
{
    return sites_key(syms, m, raw, filter, by, ids, key, kn, NULL);
}

static int build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                 const struct fp_filter *filter, enum fp_by by, uint32_t kind)
{
    memset(out, 0, sizeof(*out));
    out->syms = syms;
    out->nraw = m->nstacks;
    out->rawmap = calloc(m->nstacks ? m->nstacks : 1, sizeof(*out->rawmap));
    if (!out->rawmap)
        return -1;
    static uint32_t ids[FP_SITE_MAX_IDS];
    struct filter_memo mm = { 0 };
    int rc = 0;
    for (uint32_t i = 0; i < m->nstacks; i++) {
        const struct fp_rawstack *rs = &m->stacks[i];
        if (rs->kind != kind || counts_empty(&rs->c))
            continue;
        const uint32_t *key;
        uint32_t kn;
        int skip = sites_key(syms, m, i, filter, by, ids, &key, &kn, &mm);
        int64_t si = skip < 0 ? -1 : site_intern(out, key, kn);
        if (si < 0) {
            rc = -1;
            break;
        }
        out->v[si].folded = (uint32_t)skip;
        out->v[si].orig = (uint32_t)si;
        out->rawmap[i] = (uint32_t)si + 1;
        fp_counts_add(&out->v[si].c, &rs->c);
    }
    free(mm.v);
    return rc;
}

int fp_sites_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                   const struct fp_filter *filter, enum fp_by by)
{
    return build(out, m, syms, filter, by, FP_STACK_ALLOC);
}

int fp_sites_build_fault_stacks(struct fp_sites *out, const struct fp_model *m,
                                struct fp_syms *syms, const struct fp_filter *filter, enum fp_by by)
{
    return build(out, m, syms, filter, by, FP_STACK_FAULT);
}

void fp_sites_free(struct fp_sites *s)
{
    free(s->v);
    free(s->frames);
    free(s->tab);
    free(s->rawmap);
    free(s->pos);
    memset(s, 0, sizeof(*s));
}

static int sort_metric;
static const struct fp_sites *sort_sites;

static int cmp_site(const void *a, const void *b)
{
    const struct fp_site *x = a, *y = b;
    uint64_t vx = fp_metric_value(&x->c, sort_metric), vy = fp_metric_value(&y->c, sort_metric);
    if (vx != vy)
        return vx > vy ? -1 : 1;
    if (x->c.allocs != y->c.allocs)
        return x->c.allocs > y->c.allocs ? -1 : 1;
    if (x->c.bytes != y->c.bytes)
        return x->c.bytes > y->c.bytes ? -1 : 1;
    char b1[128], b2[128];
    const char *n1 = x->nframes ? fp_frame_name(fp_syms_frame(sort_sites->syms,
                                  sort_sites->frames[x->frames_off]), b1, sizeof(b1)) : "";
    const char *n2 = y->nframes ? fp_frame_name(fp_syms_frame(sort_sites->syms,
                                  sort_sites->frames[y->frames_off]), b2, sizeof(b2)) : "";
    return strcmp(n1, n2);
}

void fp_sites_sort(struct fp_sites *s, int metric)
{
    sort_metric = metric;
    sort_sites = s;
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), cmp_site);
    free(s->pos);
    s->pos = malloc((s->n ? s->n : 1) * sizeof(*s->pos));
    for (uint32_t i = 0; s->pos && i < s->n; i++)
        s->pos[s->v[i].orig] = i;
    /* the hash table refers to indices: rebuild it */
    free(s->tab);
    s->tab = NULL;
    tab_grow(s);
}

int64_t fp_sites_of_raw(const struct fp_sites *s, uint32_t raw)
{
    if (!s->rawmap || raw >= s->nraw || !s->rawmap[raw])
        return -1;
    uint32_t o = s->rawmap[raw] - 1;
    return s->pos ? s->pos[o] : o;
}
