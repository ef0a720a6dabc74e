/* diff: --diff BASE... [--] NEW..., computed.  Each side is one run or
 * several (repeated runs of the same thing); each run goes through the same
 * model, site folding and report model as a report.  Sites are matched by
 * their symbolized frames (function + module basename, the traced
 * executable counting as one name whatever its file is called), never by
 * address, and ranked by their change; with several runs a side's figure
 * is the median over its runs, with its spread, and a change is marked
 * significant by fp_diff_significant.  --normalize (turned on by itself
 * when the two sides' own function names barely overlap) also drops
 * namespaces, crate paths, parameter lists, template arguments and hashes,
 * so two implementations' similarly named functions line up.
 * diff_match.c finds the culprit and the programs; report_diff_text.c,
 * report_diff_json.c and report_folded.c print it. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "symfiles.h"

/* When fewer than this share of the smaller side's own function names are
 * on both sides, the names are matched normalized. */
#define NAMES_OVERLAP_MIN 0.34

/* ---- significance ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void fp_stat_of(struct fp_stat *s, const double *v, uint32_t n)
{
    double tmp[64], *w = n <= 64 ? tmp : malloc(n * sizeof(*w));
    memset(s, 0, sizeof(*s));
    if (!n || !w)
        return;
    memcpy(w, v, n * sizeof(*w));
    qsort(w, n, sizeof(*w), cmp_double);
    s->n = n;
    s->min = w[0];
    s->max = w[n - 1];
    s->median = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
    if (w != tmp)
        free(w);
}

enum fp_sig fp_diff_significant(const struct fp_stat *base, const struct fp_stat *new_side,
                                double min_rel)
{
    if (base->n < 2 || new_side->n < 2)
        return FP_SIG_NO_ESTIMATE;
    double d = new_side->median - base->median;
    double sa = base->max - base->min, sb = new_side->max - new_side->min;
    double noise = sa > sb ? sa : sb;
    double ma = base->median < 0 ? -base->median : base->median;
    double mb = new_side->median < 0 ? -new_side->median : new_side->median;
    if (d < 0)
        d = -d;
    return d > noise && d > min_rel * (ma > mb ? ma : mb) ? FP_SIG_CHANGED : FP_SIG_NOISE;
}

const char *fp_sig_name(enum fp_sig s)
{
    return s == FP_SIG_CHANGED ? "significant" : s == FP_SIG_NOISE ? "noise" : "no estimate";
}

/* ---- figures ---- */

static const struct {
    const char *key, *label;
    int unit;
} figs[] = {
#define FP_X(n, k, l, u) { k, l, u },
    FP_FIG_LIST(FP_X)
#undef FP_X
};

const char *fp_fig_key(int f) { return f >= 0 && f < FP_FIG_COUNT ? figs[f].key : "?"; }
const char *fp_fig_label(int f) { return f >= 0 && f < FP_FIG_COUNT ? figs[f].label : "?"; }
int fp_fig_unit(int f) { return f >= 0 && f < FP_FIG_COUNT ? figs[f].unit : 0; }

/* Figure f of one run. */
static double fig_value(const struct fp_diff_run *r, int f)
{
    const struct fp_summary *s = &r->r.summary;
    uint64_t trims = 0, regrown = 0;
    for (uint32_t i = 0; i < r->m->nprocs; i++) {
        trims += r->m->procs[i].brk_shrinks;
        regrown += r->m->procs[i].brk_regrown;
    }
    switch (f) {
    case FP_FIG_MINOR_FAULTS: return (double)s->minor_faults;
    case FP_FIG_MAJOR_FAULTS: return (double)s->major_faults;
    case FP_FIG_FAULT_SAMPLES: return (double)s->fault_samples;
    case FP_FIG_SYS: return s->sys_seconds;
    case FP_FIG_USER: return s->user_seconds;
    case FP_FIG_WALL: return s->wall_seconds;
    case FP_FIG_ALLOCATIONS: return (double)s->allocations;
    case FP_FIG_FREES: return (double)s->frees;
    case FP_FIG_BYTES: return (double)s->bytes_allocated;
    case FP_FIG_PEAK_HEAP: return (double)s->peak_heap_bytes;
    case FP_FIG_LEAKED_BYTES: return (double)s->leaked_bytes;
    case FP_FIG_TEMPORARY: return (double)s->temporary_allocations;
    case FP_FIG_REALLOCS: return (double)s->reallocs;
    case FP_FIG_MMAPPED: return (double)s->mmapped_allocations;
    case FP_FIG_MMAP_CALLS: return (double)s->mmap_calls;
    case FP_FIG_MUNMAP_CALLS: return (double)s->munmap_calls;
    case FP_FIG_MMAP_BYTES: return (double)s->mmap_bytes;
    case FP_FIG_BRK_GROWTH: return (double)s->brk_growth_bytes;
    case FP_FIG_BRK_TRIMS: return (double)trims;
    case FP_FIG_BRK_REGROWN: return (double)regrown;
    case FP_FIG_THREADS: return (double)s->threads;
    case FP_FIG_PROCESSES: return (double)s->processes;
    case FP_FIG_MAX_RSS: return (double)s->max_rss_kb * 1024;
    }
    return 0;
}

static int figs_build(struct fp_diff *d)
{
    uint32_t most = d->side[0].nruns > d->side[1].nruns ? d->side[0].nruns : d->side[1].nruns;
    double *v = malloc(most * sizeof(*v));
    if (!v)
        return -1;
    for (int f = 0; f < FP_FIG_COUNT; f++) {
        for (int sd = 0; sd < 2; sd++) {
            for (uint32_t k = 0; k < d->side[sd].nruns; k++)
                v[k] = fig_value(&d->side[sd].runs[k], f);
            fp_stat_of(&d->fig[f].s[sd], v, d->side[sd].nruns);
        }
        d->fig[f].sig = fp_diff_significant(&d->fig[f].s[0], &d->fig[f].s[1], FP_DIFF_MIN_REL);
    }
    free(v);
    for (int sd = 0; sd < 2; sd++) {
        struct fp_summary *s = &d->summary[sd];
        const struct fp_diff_fig *g = d->fig;
        *s = d->side[sd].runs[0].r.summary;
#define MED(f) ((uint64_t)(g[FP_FIG_##f].s[sd].median + 0.5))
        s->minor_faults = MED(MINOR_FAULTS), s->major_faults = MED(MAJOR_FAULTS);
        s->fault_samples = MED(FAULT_SAMPLES), s->allocations = MED(ALLOCATIONS);
        s->frees = MED(FREES), s->bytes_allocated = MED(BYTES), s->peak_heap_bytes = MED(PEAK_HEAP);
        s->leaked_bytes = MED(LEAKED_BYTES), s->temporary_allocations = MED(TEMPORARY);
        s->reallocs = MED(REALLOCS), s->mmapped_allocations = MED(MMAPPED);
        s->mmap_calls = MED(MMAP_CALLS), s->munmap_calls = MED(MUNMAP_CALLS);
        s->mmap_bytes = MED(MMAP_BYTES), s->brk_growth_bytes = MED(BRK_GROWTH);
        s->threads = MED(THREADS), s->processes = MED(PROCESSES);
        s->max_rss_kb = MED(MAX_RSS) / 1024;
#undef MED
        s->sys_seconds = g[FP_FIG_SYS].s[sd].median, s->user_seconds = g[FP_FIG_USER].s[sd].median;
        s->wall_seconds = g[FP_FIG_WALL].s[sd].median;
    }
    return 0;
}

/* ---- normalization ---- */

/* Removes <...> and (...) groups and keeps the last path component:
 * "std::vector<int>::push_back(int const&)" -> "push_back",
 * "<alloc::raw_vec::RawVec<u8>>::grow_one" -> "grow_one",
 * "mycrate::parse::{{closure}}" -> "parse::{{closure}}". */
void fp_diff_normalize_name(const char *in, char *out, size_t n)
{
    char tmp[1024];
    size_t k = 0;
    int depth = 0;
    for (const char *p = in; *p && k + 1 < sizeof(tmp); p++) {
        if (!strncmp(p, "operator", 8) && depth == 0) {
            /* operator names contain brackets of their own */
            size_t len = strlen(p);
            if (k + len >= sizeof(tmp))
                len = sizeof(tmp) - k - 1;
            const char *paren = strstr(p + 8, "(");
            size_t take = paren && paren != p + 8 ? (size_t)(paren - p) : len;
            if (paren == p + 8 && p[9] == ')')
                take = 10;  /* operator() */
            if (take > len)
                take = len;
            memcpy(tmp + k, p, take);
            k += take;
            p += take - 1;
            continue;
        }
        if (*p == '<' || *p == '(' || *p == '[') {
            depth++;
            continue;
        }
        if ((*p == '>' || *p == ')' || *p == ']') && depth > 0) {
            depth--;
            continue;
        }
        if (depth == 0)
            tmp[k++] = *p;
    }
    tmp[k] = 0;
    /* strip trailing " const" and spaces */
    while (k && tmp[k - 1] == ' ')
        tmp[--k] = 0;
    if (k > 6 && !strcmp(tmp + k - 6, " const"))
        tmp[k -= 6] = 0;
    /* the last path component, keeping Rust closures with their function */
    char *last = tmp;
    for (char *p = tmp; (p = strstr(p, "::")); p += 2) {
        if (!strncmp(p + 2, "{{", 2))
            break;
        last = p + 2;
    }
    if (!*last)
        last = tmp;
    snprintf(out, n, "%s", last);
}

static const char *exe_module(const struct fp_model *m, const struct fp_frame *f)
{
    if (!f->module)
        return "";
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const char *exe = m->procs[i].exe;
        if (!exe)
            continue;
        const char *b = strrchr(exe, '/');
        if (!strcmp(b ? b + 1 : exe, f->module))
            return "exe";
    }
    return f->module;
}

/* ---- matching sites ---- */

static int key_append(char **key, size_t *len, size_t *cap, const char *piece)
{
    size_t pl = strlen(piece);
    if (*len + pl + 1 > *cap) {
        while (*len + pl + 1 > *cap)
            *cap *= 2;
        char *nk = realloc(*key, *cap);
        if (!nk)
            return -1;
        *key = nk;
    }
    memcpy(*key + *len, piece, pl + 1);
    *len += pl;
    return 0;
}

char *fp_diff_key(const struct fp_model *m, struct fp_syms *syms, const struct fp_sites *sites,
                  const struct fp_site *st, enum fp_by by, int normalize)
{
    const uint32_t *fr = fp_site_frames(sites, st);
    size_t cap = 256, len = 0;
    char *key = malloc(cap);
    if (!key)
        return NULL;
    key[0] = 0;
    uint32_t nf = by == FP_BY_FUNCTION ? (st->nframes ? 1 : 0) : st->nframes;
    /* normalized, a site is its function and its caller: two runtimes'
     * frames further up (thread start, closures, std) would never match */
    if (normalize && nf > 2)
        nf = 2;
    for (uint32_t k = 0; k < nf; k++) {
        const struct fp_frame *f = fp_syms_frame(syms, fr[k]);
        char nb[128], norm[1024], piece[1400];
        const char *name = fp_frame_name(f, nb, sizeof(nb));
        if (normalize) {
            fp_diff_normalize_name(name, norm, sizeof(norm));
            snprintf(piece, sizeof(piece), "%s%s", k ? "\n" : "", norm);
        } else {
            snprintf(piece, sizeof(piece), "%s%s\t%s", k ? "\n" : "", name, exe_module(m, f));
        }
        if (key_append(&key, &len, &cap, piece) < 0) {
            free(key);
            return NULL;
        }
    }
    if (!nf)
        snprintf(key, cap, "[no stack]");
    return key;
}

int fp_diff_sites_add(struct fp_diff_sites *t, char *key, uint32_t nframes, int side,
                      uint32_t run, const struct fp_counts *c)
{
    if (FP_GROW(t->v, t->cap, t->n + 1, 256) < 0)
        return -1;
    struct fp_diff_site *d = &t->v[t->n++];
    memset(d, 0, sizeof(*d));
    d->key = key;
    d->nframes = nframes;
    d->present[side] = 1;
    d->run = run;
    d->c[side] = *c;
    return 0;
}

static int collect(struct fp_diff_sites *t, const struct fp_diff_run *r, const struct fp_sites *sites,
                   int side, uint32_t run, enum fp_by by, int normalize)
{
    for (uint32_t i = 0; i < sites->n; i++) {
        const struct fp_site *st = &sites->v[i];
        char *key = fp_diff_key(r->m, r->syms, sites, st, by, normalize);
        if (!key || fp_diff_sites_add(t, key, st->nframes, side, run, &st->c) < 0) {
            free(key);
            return -1;
        }
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct fp_diff_site *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    if (x->present[0] != y->present[0])
        return x->present[0] ? -1 : 1;
    return x->run < y->run ? -1 : x->run > y->run;
}

#define NCOUNTERS (sizeof(struct fp_counts) / sizeof(uint64_t))

/* The per-run counters of one side (runs without the site are zeros) into
 * the site's median, lo and hi, counter by counter. */
static void counts_stat(struct fp_diff_site *d, int side, const struct fp_counts *per_run,
                        uint32_t nruns)
{
    uint64_t *med = (uint64_t *)&d->c[side], *lo = (uint64_t *)&d->lo[side];
    uint64_t *hi = (uint64_t *)&d->hi[side];
    double v[64];
    for (size_t f = 0; f < NCOUNTERS; f++) {
        for (uint32_t k = 0; k < nruns; k++)
            v[k] = (double)((const uint64_t *)&per_run[k])[f];
        struct fp_stat s;
        fp_stat_of(&s, v, nruns);
        med[f] = (uint64_t)s.median;
        lo[f] = (uint64_t)s.min;
        hi[f] = (uint64_t)s.max;
    }
}

void fp_diff_sites_merge(struct fp_diff_sites *t, const uint32_t nruns[2])
{
    if (!t->n)
        return;
    qsort(t->v, t->n, sizeof(*t->v), cmp_entry);
    struct fp_counts *per_run = calloc(nruns[0] + nruns[1], sizeof(*per_run));
    size_t w = 0;
    for (size_t i = 0; i < t->n;) {
        size_t j = i;
        struct fp_diff_site out = t->v[i];
        memset(per_run, 0, (nruns[0] + nruns[1]) * sizeof(*per_run));
        out.present[0] = out.present[1] = 0;
        for (; j < t->n && !strcmp(t->v[j].key, out.key); j++) {
            int sd = t->v[j].present[1];
            fp_counts_add(&per_run[sd * nruns[0] + t->v[j].run], &t->v[j].c[sd]);
            out.present[sd] = 1;
            if (t->v[j].nframes > out.nframes)
                out.nframes = t->v[j].nframes;
            if (j > i)
                free(t->v[j].key);
        }
        memset(out.c, 0, sizeof(out.c));
        for (int sd = 0; sd < 2; sd++)
            counts_stat(&out, sd, per_run + sd * nruns[0], nruns[sd]);
        out.run = 0;
        t->v[w++] = out;
        i = j;
    }
    free(per_run);
    t->n = w;
}

/* A key's frame is "name\tmodule" or "name". */
const char *fp_diff_key_frame(const char *p, size_t len, char *buf, size_t n, int with_module)
{
    const char *tab = memchr(p, '\t', len);
    if (!tab)
        snprintf(buf, n, "%.*s", (int)len, p);
    else if (with_module)
        snprintf(buf, n, "%.*s [%.*s]", (int)(tab - p), p, (int)(len - (size_t)(tab - p) - 1), tab + 1);
    else
        snprintf(buf, n, "%.*s", (int)(tab - p), p);
    return buf;
}

static int diff_metric;

int64_t fp_diff_delta(const struct fp_diff_site *d, int metric)
{
    return (int64_t)fp_metric_value(&d->c[1], metric) - (int64_t)fp_metric_value(&d->c[0], metric);
}

enum fp_sig fp_diff_site_sig(const struct fp_diff *d, const struct fp_diff_site *s, int metric)
{
    struct fp_stat st[2];
    for (int sd = 0; sd < 2; sd++) {
        st[sd].median = (double)fp_metric_value(&s->c[sd], metric);
        st[sd].min = (double)fp_metric_value(&s->lo[sd], metric);
        st[sd].max = (double)fp_metric_value(&s->hi[sd], metric);
        st[sd].n = d->side[sd].nruns;
    }
    return fp_diff_significant(&st[0], &st[1], FP_DIFF_MIN_REL);
}

static int cmp_delta(const void *a, const void *b)
{
    const struct fp_diff_site *x = a, *y = b;
    int64_t dx = fp_diff_delta(x, diff_metric), dy = fp_diff_delta(y, diff_metric);
    uint64_t ax = (uint64_t)(dx < 0 ? -dx : dx), ay = (uint64_t)(dy < 0 ? -dy : dy);
    if (ax != ay)
        return ax > ay ? -1 : 1;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return strcmp(x->key, y->key);
}

void fp_diff_sort(struct fp_diff_sites *t, int metric)
{
    diff_metric = metric;
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), cmp_delta);
}

/* ---- reading the sides ---- */

static int load_run(struct fp_diff_run *s, const char *path, const struct fp_opts *o, char *err,
                    size_t errlen)
{
    if (fp_run_open(&s->run, path, err, errlen) < 0)
        return -1;
    s->m = fp_model_new();
    if (!s->m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->m->warn = o->warn;
    s->m->timeline = o->format == FP_FMT_HTML;
    if (o->symbols)
        s->m->modules_known = fp_symfiles_prewarm;
    if (fp_run_read(&s->run, s->m, err, errlen) < 0)
        return -1;
    /* each run as a report would have it, whatever the output */
    struct fp_report_plan plan = { .by = o->by, .sort = o->sort,
                                   .parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES };
    if (o->format == FP_FMT_HTML)
        plan.parts |= FP_PART_FLAMES;
    s->syms = fp_syms_new(s->m, o->warn, o->symbols);
    if (!s->syms || fp_report_build(&s->r, s->m, s->syms, o, &plan) < 0 ||
        (s->run.has_manifest && fp_report_set_run(&s->r, &s->run) < 0)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int load_side(struct fp_diff_side *sd, char *const *paths, uint32_t n,
                     const struct fp_opts *o, char *err, size_t errlen)
{
    if (!(sd->runs = calloc(n, sizeof(*sd->runs)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        sd->nruns = i + 1;
        if (load_run(&sd->runs[i], paths[i], o, err, errlen) < 0)
            return -1;
    }
    sd->m = sd->runs[0].m;
    sd->syms = sd->runs[0].syms;
    sd->r = sd->runs[0].r;
    return 0;
}

void fp_diff_sites_free(struct fp_diff_sites *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].key);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

void fp_diff_free(struct fp_diff *d)
{
    fp_diff_sites_free(&d->sites);
    fp_diff_sites_free(&d->faults);
    fp_diff_sites_free(&d->prog_sites);
    free(d->by_memory.v);        /* its keys are sites' */
    fp_flame_diff_free(&d->flame_sites);
    fp_flame_diff_free(&d->flame_faults);
    for (uint32_t i = 0; i < d->nprogs; i++)
        free(d->progs[i].key);
    free(d->progs);
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < d->side[k].nruns; i++) {
            struct fp_diff_run *r = &d->side[k].runs[i];
            fp_report_free(&r->r);
            fp_syms_free(r->syms);
            fp_model_free(r->m);
            fp_run_free(&r->run);
        }
        free(d->side[k].runs);
    }
    memset(d, 0, sizeof(*d));
}

static int cmp_class(const void *a, const void *b)
{
    const struct fp_diff_class *x = a, *y = b;
    uint64_t ax = (uint64_t)(x->delta < 0 ? -x->delta : x->delta);
    uint64_t ay = (uint64_t)(y->delta < 0 ? -y->delta : y->delta);
    if (ax != ay)
        return ax > ay ? -1 : 1;
    return x->cls - y->cls;
}

/* The change in faults by class, each with the site that changed most in
 * its direction. */
static void classes_diff(struct fp_diff *d)
{
    d->nclasses = 0;
    for (int c = 0; c < FP_FCLASS_COUNT; c++) {
        struct fp_diff_class x = { .cls = c };
        for (int k = 0; k < 2; k++)
            for (uint32_t i = 0; i < d->side[k].m->nprocs; i++)
                x.faults[k] += d->side[k].m->procs[i].class_faults[c];
        x.delta = (int64_t)x.faults[1] - (int64_t)x.faults[0];
        if (!x.delta)
            continue;
        for (size_t i = 0; i < d->sites.n; i++) {
            const struct fp_diff_site *ds = &d->sites.v[i];
            int64_t sd = (int64_t)ds->c[1].class_faults[c] - (int64_t)ds->c[0].class_faults[c];
            if ((x.delta > 0 ? sd > x.site_delta : sd < x.site_delta)) {
                x.site = ds;
                x.site_delta = sd;
            }
        }
        x.site_share = (double)x.site_delta / (double)x.delta;
        d->classes[d->nclasses++] = x;
    }
    qsort(d->classes, d->nclasses, sizeof(d->classes[0]), cmp_class);
}


/* ---- how much the two sides' names overlap ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct names of the program's own functions (frames in a traced
 * executable) among a run's allocation sites, sorted; *n gets their count. */
static char **own_names(const struct fp_diff_run *r, uint32_t *n)
{
    const struct fp_sites *s = &r->r.sites;
    size_t cap = 64, k = 0;
    char **v = malloc(cap * sizeof(*v));
    for (uint32_t i = 0; v && i < s->n; i++) {
        const uint32_t *fr = fp_site_frames(s, &s->v[i]);
        for (uint32_t j = 0; j < s->v[i].nframes; j++) {
            const struct fp_frame *f = fp_syms_frame(r->syms, fr[j]);
            char nb[128];
            if (!f->func || strcmp(exe_module(r->m, f), "exe"))
                continue;
            if (k == cap) {
                char **nv = realloc(v, (cap *= 2) * sizeof(*v));
                if (!nv)
                    goto oom;
                v = nv;
            }
            if (!(v[k] = strdup(fp_frame_name(f, nb, sizeof(nb)))))
                goto oom;
            k++;
        }
    }
    if (!v)
        return NULL;
    qsort(v, k, sizeof(*v), cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && !strcmp(v[w - 1], v[i]))
            free(v[i]);
        else
            v[w++] = v[i];
    }
    *n = (uint32_t)w;
    return v;
oom:
    while (k)
        free(v[--k]);
    free(v);
    return NULL;
}

/* Counts the names both first runs share; returns -1 when out of memory. */
static int names_overlap(struct fp_diff *d)
{
    char **a = own_names(&d->side[0].runs[0], &d->names[0]);
    char **b = a ? own_names(&d->side[1].runs[0], &d->names[1]) : NULL;
    if (!a || !b) {
        if (a)
            for (uint32_t i = 0; i < d->names[0]; i++)
                free(a[i]);
        free(a);
        return -1;
    }
    uint32_t i = 0, j = 0;
    while (i < d->names[0] && j < d->names[1]) {
        int c = strcmp(a[i], b[j]);
        d->names_shared += c == 0;
        i += c <= 0;
        j += c >= 0;
    }
    for (i = 0; i < d->names[0]; i++)
        free(a[i]);
    for (j = 0; j < d->names[1]; j++)
        free(b[j]);
    free(a);
    free(b);
    return 0;
}

/* ---- the diff ---- */

static int match_sites(struct fp_diff *d, const struct fp_opts *o)
{
    uint32_t nruns[2] = { d->side[0].nruns, d->side[1].nruns };
    for (int sd = 0; sd < 2; sd++) {
        for (uint32_t k = 0; k < nruns[sd]; k++) {
            const struct fp_diff_run *r = &d->side[sd].runs[k];
            if (collect(&d->sites, r, &r->r.sites, sd, k, o->by, d->normalized) < 0 ||
                collect(&d->faults, r, &r->r.fault_sources, sd, k, o->by, d->normalized) < 0)
                return -1;
        }
    }
    fp_diff_sites_merge(&d->sites, nruns);
    fp_diff_sites_merge(&d->faults, nruns);
    /* allocation sites by faults on their memory: a copy sorted by that */
    struct fp_diff_sites *t = &d->sites, *ta = &d->by_memory;
    ta->v = malloc((t->n ? t->n : 1) * sizeof(*ta->v));
    if (!ta->v)
        return -1;
    if (t->n)
        memcpy(ta->v, t->v, t->n * sizeof(*t->v));
    ta->n = t->n;
    fp_diff_sort(ta, FP_METRIC_FAULTS);
    fp_diff_sort(&d->faults, FP_METRIC_FAULTS);
    fp_diff_sort(t, o->format == FP_FMT_FOLDED ? o->metric : o->sort);
    static const int alloc_metrics[] = FP_FLAME_ALLOC_METRICS, fault_metrics[] = { FP_METRIC_FAULTS };
    if ((o->format == FP_FMT_HTML || o->format == FP_FMT_SVG) &&
        (fp_flame_diff_build(&d->flame_sites, t, alloc_metrics, FP_FLAME_ALLOC_NV,
                             FP_FLAME_MIN_SHARE) < 0 ||
         fp_flame_diff_build(&d->flame_faults, &d->faults, fault_metrics, 1,
                             FP_FLAME_MIN_SHARE) < 0))
        return -1;
    return 0;
}

int fp_diff_build(struct fp_diff *d, char *const *base, uint32_t nbase, char *const *news,
                  uint32_t nnew, const struct fp_opts *o, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    d->prog_focus = -1;
    if (nbase > 64 || nnew > 64) {
        snprintf(err, errlen, "--diff compares at most 64 runs a side");
        return -1;
    }
    if (load_side(&d->side[0], base, nbase, o, err, errlen) < 0 ||
        load_side(&d->side[1], news, nnew, o, err, errlen) < 0)
        return -1;
    if (names_overlap(d) < 0)
        goto oom;
    uint32_t fewer = d->names[0] < d->names[1] ? d->names[0] : d->names[1];
    d->normalized = o->normalize;
    if (!o->normalize && fewer && (double)d->names_shared < NAMES_OVERLAP_MIN * fewer)
        d->normalized = d->auto_normalized = 1;
    if (figs_build(d) < 0 || match_sites(d, o) < 0 || fp_diff_culprit_find(d, o) < 0 ||
        fp_diff_progs_build(d, o) < 0)
        goto oom;
    classes_diff(d);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}
