/* diff: --diff BASE NEW, computed.  Both traces go through the same model,
 * site folding and report model as a report; sites are then matched by their
 * symbolized frames (function + module basename, the traced executable
 * counting as one name whatever its file is called), never by address, and
 * ranked by their change.  --normalize also drops namespaces, crate paths,
 * parameter lists, template arguments and hashes so two implementations'
 * similarly named functions line up.  report_diff_text.c,
 * report_diff_json.c and report_folded.c print it. */
#include "report.h"

#include <stdlib.h>
#include <string.h>


/* ---- normalization ---- */

/* Removes <...> and (...) groups and keeps the last path component:
 * "std::vector<int>::push_back(int const&)" -> "push_back",
 * "<alloc::raw_vec::RawVec<u8>>::grow_one" -> "grow_one",
 * "mycrate::parse::{{closure}}" -> "parse::{{closure}}". */
static void normalize_name(const char *in, char *out, size_t n)
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
    /* drop a Rust hash left behind as the last component ("h0123...") */
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

static int dtab_add(struct fp_diff_sites *t, char *key, uint32_t nframes, int side, const struct fp_counts *c)
{
    /* linear merge happens after sorting; here just append */
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        struct fp_diff_site *nv = realloc(t->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        t->v = nv, t->cap = nc;
    }
    struct fp_diff_site *d = &t->v[t->n++];
    memset(d, 0, sizeof(*d));
    d->key = key;
    d->nframes = nframes;
    d->present[side] = 1;
    d->c[side] = *c;
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct fp_diff_site *)a)->key, ((const struct fp_diff_site *)b)->key);
}

static int collect(struct fp_diff_sites *t, const struct fp_diff_side *s, const struct fp_sites *sites,
                   int side, const struct fp_opts *o)
{
    for (uint32_t i = 0; i < sites->n; i++) {
        const struct fp_site *st = &sites->v[i];
        const uint32_t *fr = fp_site_frames(sites, st);
        size_t cap = 256, len = 0;
        char *key = malloc(cap);
        if (!key)
            return -1;
        key[0] = 0;
        uint32_t nf = o->by == FP_BY_FUNCTION ? (st->nframes ? 1 : 0) : st->nframes;
        for (uint32_t k = 0; k < nf; k++) {
            const struct fp_frame *f = fp_syms_frame(s->syms, fr[k]);
            char nb[128], norm[1024], piece[1400];
            const char *name = fp_frame_name(f, nb, sizeof(nb));
            if (o->normalize) {
                normalize_name(name, norm, sizeof(norm));
                snprintf(piece, sizeof(piece), "%s%s", k ? "\n" : "", norm);
            } else {
                snprintf(piece, sizeof(piece), "%s%s\t%s", k ? "\n" : "", name,
                         exe_module(s->m, f));
            }
            size_t pl = strlen(piece);
            if (len + pl + 1 > cap) {
                while (len + pl + 1 > cap)
                    cap *= 2;
                char *nk = realloc(key, cap);
                if (!nk) {
                    free(key);
                    return -1;
                }
                key = nk;
            }
            memcpy(key + len, piece, pl + 1);
            len += pl;
        }
        if (!nf)
            snprintf(key, cap, "[no stack]");
        if (dtab_add(t, key, nf, side, &st->c) < 0) {
            free(key);
            return -1;
        }
    }
    return 0;
}

/* Sorts by key and merges equal keys (both sides, or several sites of one
 * side that normalize to the same key). */
static void merge(struct fp_diff_sites *t)
{
    if (!t->n)
        return;
    qsort(t->v, t->n, sizeof(*t->v), cmp_key);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (w && !strcmp(t->v[w - 1].key, t->v[i].key)) {
            struct fp_diff_site *d = &t->v[w - 1];
            for (int s = 0; s < 2; s++) {
                if (t->v[i].present[s]) {
                    fp_counts_add(&d->c[s], &t->v[i].c[s]);
                    d->present[s] = 1;
                }
            }
            free(t->v[i].key);
            continue;
        }
        t->v[w++] = t->v[i];
    }
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

static int load_side(struct fp_diff_side *s, const char *path, const struct fp_opts *o, char *err,
                     size_t errlen)
{
    char e[400];
    s->m = fp_model_new();
    if (!s->m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->m->warn = o->warn;
    if (o->symbols)
        s->m->modules_known = fp_syms_prewarm;
    if (fp_model_read_file(s->m, path, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    /* both sides as a report would have them, whatever the output */
    struct fp_report_plan plan = { .by = o->by, .sort = o->sort,
                                   .parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES };
    s->syms = fp_syms_new(s->m, o->warn, o->symbols);
    if (!s->syms || fp_report_build(&s->r, s->m, s->syms, o, &plan) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_sites(struct fp_diff_sites *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].key);
    free(t->v);
}

void fp_diff_free(struct fp_diff *d)
{
    free_sites(&d->sites);
    free_sites(&d->faults);
    free(d->by_memory.v);        /* its keys are sites' */
    for (int k = 0; k < 2; k++) {
        fp_report_free(&d->side[k].r);
        fp_syms_free(d->side[k].syms);
        fp_model_free(d->side[k].m);
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

int fp_diff_build(struct fp_diff *d, const char *base, const char *new_path,
                  const struct fp_opts *o, char *err, size_t errlen)
{
    struct fp_diff_side *s = d->side;
    memset(d, 0, sizeof(*d));
    if (load_side(&s[0], base, o, err, errlen) < 0 || load_side(&s[1], new_path, o, err, errlen) < 0)
        return -1;
    if (collect(&d->sites, &s[0], &s[0].r.sites, 0, o) < 0 ||
        collect(&d->sites, &s[1], &s[1].r.sites, 1, o) < 0 ||
        collect(&d->faults, &s[0], &s[0].r.fault_sources, 0, o) < 0 ||
        collect(&d->faults, &s[1], &s[1].r.fault_sources, 1, o) < 0)
        goto oom;
    merge(&d->sites);
    merge(&d->faults);
    /* allocation sites by faults on their memory: a copy sorted by that */
    struct fp_diff_sites *t = &d->sites, *ta = &d->by_memory, *tf = &d->faults;
    ta->v = malloc((t->n ? t->n : 1) * sizeof(*ta->v));
    if (!ta->v)
        goto oom;
    if (t->n)
        memcpy(ta->v, t->v, t->n * sizeof(*t->v));
    ta->n = t->n;
    diff_metric = FP_METRIC_FAULTS;
    if (ta->n)
        qsort(ta->v, ta->n, sizeof(*ta->v), cmp_delta);
    if (tf->n)
        qsort(tf->v, tf->n, sizeof(*tf->v), cmp_delta);
    diff_metric = o->format == FP_FMT_FOLDED ? o->metric : o->sort;
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), cmp_delta);
    classes_diff(d);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}
