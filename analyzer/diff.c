/* diff: --diff BASE NEW.  Both traces go through the same model and site
 * folding as a report; sites are then matched by their symbolized frames
 * (function + module basename, the traced executable counting as one name
 * whatever its file is called), never by address.  --normalize also drops
 * namespaces, crate paths, parameter lists, template arguments and hashes so
 * two implementations' similarly named functions line up. */
#include "report.h"

#include "faultprof/trace.h"
#include <stdlib.h>
#include <string.h>

struct side {
    struct fp_model *m;
    struct fp_syms *syms;
    struct fp_sites sites;
    struct fp_sites faults;      /* fault sources */
    struct fp_summary sum;
    struct fp_fault_info fi;
    struct fp_diags diags;
};

struct dsite {
    char *key;                  /* frames joined by '\n', site first */
    struct fp_counts c[2];
    uint32_t nframes;
    int present[2];
};

struct dtab {
    struct dsite *v;
    size_t n, cap;
};

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

static int dtab_add(struct dtab *t, char *key, uint32_t nframes, int side, const struct fp_counts *c)
{
    /* linear merge happens after sorting; here just append */
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        struct dsite *nv = realloc(t->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        t->v = nv, t->cap = nc;
    }
    struct dsite *d = &t->v[t->n++];
    memset(d, 0, sizeof(*d));
    d->key = key;
    d->nframes = nframes;
    d->present[side] = 1;
    d->c[side] = *c;
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct dsite *)a)->key, ((const struct dsite *)b)->key);
}

static int collect(struct dtab *t, const struct side *s, const struct fp_sites *sites, int side,
                   const struct fp_opts *o)
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
static void merge(struct dtab *t)
{
    if (!t->n)
        return;
    qsort(t->v, t->n, sizeof(*t->v), cmp_key);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (w && !strcmp(t->v[w - 1].key, t->v[i].key)) {
            struct dsite *d = &t->v[w - 1];
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

/* One frame of a key (len bytes at p, "name\tmodule" or "name") as text:
 * "name [module]" (with_module) or "name". */
static const char *key_frame(const char *p, size_t len, char *buf, size_t n, int with_module)
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

static int64_t delta_of(const struct dsite *d, int metric)
{
    return (int64_t)fp_metric_value(&d->c[1], metric) - (int64_t)fp_metric_value(&d->c[0], metric);
}

static int cmp_delta(const void *a, const void *b)
{
    const struct dsite *x = a, *y = b;
    int64_t dx = delta_of(x, diff_metric), dy = delta_of(y, diff_metric);
    uint64_t ax = (uint64_t)(dx < 0 ? -dx : dx), ay = (uint64_t)(dy < 0 ? -dy : dy);
    if (ax != ay)
        return ax > ay ? -1 : 1;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int load_side(struct side *s, const char *path, const struct fp_opts *o, char *err,
                     size_t errlen)
{
    memset(s, 0, sizeof(*s));
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
    s->syms = fp_syms_new(s->m, o->warn, o->symbols);
    if (!s->syms || fp_sites_build(&s->sites, s->m, s->syms, o->filter, o->by) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fp_sites_sort(&s->sites, o->sort);
    fp_summary_compute(s->m, &s->sum);
    fp_fault_info_compute(s->m, &s->fi);
    if (fp_fault_sites_build(&s->faults, s->m, s->syms, o) < 0 ||
        fp_diagnose(s->m, &s->sites, &s->faults, &s->diags) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_side(struct side *s)
{
    fp_diags_free(&s->diags);
    fp_sites_free(&s->faults);
    fp_sites_free(&s->sites);
    fp_syms_free(s->syms);
    fp_model_free(s->m);
}

/* ---- text ---- */

static void ratio(FILE *out, double a, double b)
{
    if (a == 0 && b == 0)
        fprintf(out, "%10s", "=");
    else if (a == 0)
        fprintf(out, "%10s", "new");
    else
        fprintf(out, "%9.2fx", b / a);
}

static void row_u(FILE *out, const char *name, uint64_t a, uint64_t b, int bytes)
{
    char x[32], y[32];
    if (bytes)
        fprintf(out, "  %-22s %16s %16s ", name, fp_fmt_bytes(a, x, sizeof(x)),
                fp_fmt_bytes(b, y, sizeof(y)));
    else
        fprintf(out, "  %-22s %16llu %16llu ", name, (unsigned long long)a, (unsigned long long)b);
    ratio(out, (double)a, (double)b);
    fputc('\n', out);
}

static void row_d(FILE *out, const char *name, double a, double b)
{
    fprintf(out, "  %-22s %16.3f %16.3f ", name, a, b);
    ratio(out, a, b);
    fputc('\n', out);
}

static void short_key(const char *key, char *buf, size_t n, size_t width)
{
    /* "site <- caller" from the first two frames */
    const char *nl = strchr(key, '\n');
    char a[512], b[512];
    key_frame(key, nl ? (size_t)(nl - key) : strlen(key), a, sizeof(a), 0);
    if (nl) {
        const char *nl2 = strchr(nl + 1, '\n');
        key_frame(nl + 1, nl2 ? (size_t)(nl2 - nl - 1) : strlen(nl + 1), b, sizeof(b), 0);
        snprintf(buf, n, "%s <- %s", a, b);
    } else {
        snprintf(buf, n, "%s", a);
    }
    if (strlen(buf) > width && width > 3)
        strcpy(buf + width - 3, "...");
}

/* A ranked list of a dtab by the change in metric (already sorted so). */
static void ranked_text(FILE *out, const struct dtab *t, int metric, uint32_t top, const char *what)
{
    uint32_t n = top < t->n ? top : (uint32_t)t->n;
    fprintf(out, "%4s %12s %12s %13s  %s\n", "#", "base", "new", "delta", what);
    uint32_t shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct dsite *d = &t->v[i];
        int64_t dl = delta_of(d, metric);
        if (dl == 0)
            break;
        char kb[1100];
        short_key(d->key, kb, sizeof(kb), 53);
        fprintf(out, "%4u %12llu %12llu %+13lld  %s\n", i + 1,
                (unsigned long long)fp_metric_value(&d->c[0], metric),
                (unsigned long long)fp_metric_value(&d->c[1], metric), (long long)dl, kb);
        shown++;
    }
    if (!shown)
        fprintf(out, "%4s (no change)\n", "");
}

static void diff_faults_text(FILE *out, const struct side *s, const struct dtab *tf,
                             const struct dtab *ta, const struct fp_opts *o)
{
    uint32_t top = o->top > 0 && o->top < 10 ? (uint32_t)o->top : 10;
    char m0[400], m1[400];
    fprintf(out, "\nPage faults: base %s; new %s\n",
            fp_fault_mode_text(&s[0].fi, m0, sizeof(m0)),
            fp_fault_mode_text(&s[1].fi, m1, sizeof(m1)));
    fprintf(out, "\nFault sources ranked by change in faults (estimated: samples x period):\n");
    ranked_text(out, tf, FP_METRIC_FAULTS, top, "function <- caller");
    fprintf(out, "\nAllocation sites ranked by change in the faults on their memory:\n");
    ranked_text(out, ta, FP_METRIC_FAULTS, top, "site <- caller");
    for (int sd = 0; sd < 2; sd++) {
        const struct fp_diags *d = &s[sd].diags;
        for (size_t i = 0; i < d->n; i++) {
            char w[512], f[512];
            fprintf(out, "%s  %s: %s at %s", i == 0 ? (sd ? "\nDiagnoses of new:\n"
                                                          : "\nDiagnoses of base:\n") : "",
                    fp_diag_name(d->v[i].kind), d->v[i].kind == FP_DIAG_REALLOC_GROWTH ?
                    "bytes copied" : "faults avoidable",
                    fp_site_name(&s[sd].sites, d->v[i].site, w, sizeof(w)));
            if (d->v[i].fault_site >= 0)
                fprintf(out, ", touched in %s", fp_site_name(&s[sd].faults, d->v[i].fault_site, f,
                                                             sizeof(f)));
            fprintf(out, ": %llu\n", (unsigned long long)d->v[i].saving);
        }
    }
}

static void diff_text(FILE *out, const struct side *s, const struct dtab *t,
                      const struct dtab *tf, const struct dtab *ta, const struct fp_opts *o)
{
    const struct fp_summary *a = &s[0].sum, *b = &s[1].sum;
    fprintf(out, "faultprof-report --diff\n");
    fprintf(out, "  %-22s %s\n  %-22s %s\n\n", "base", a->command, "new", b->command);
    fprintf(out, "  %-22s %16s %16s %10s\n", "", "base", "new", "new/base");
    row_u(out, "minor faults", a->minor_faults, b->minor_faults, 0);
    row_u(out, "major faults", a->major_faults, b->major_faults, 0);
    row_u(out, "fault samples", a->fault_samples, b->fault_samples, 0);
    diff_faults_text(out, s, tf, ta, o);
    fprintf(out, "\nSummary:\n");
    fprintf(out, "  %-22s %16s %16s %10s\n", "", "base", "new", "new/base");
    row_u(out, "allocations", a->allocations, b->allocations, 0);
    row_u(out, "frees", a->frees, b->frees, 0);
    row_u(out, "bytes allocated", a->bytes_allocated, b->bytes_allocated, 1);
    row_u(out, "peak heap", a->peak_heap_bytes, b->peak_heap_bytes, 1);
    row_u(out, "leaked bytes", a->leaked_bytes, b->leaked_bytes, 1);
    row_u(out, "leaked blocks", a->leaked_blocks, b->leaked_blocks, 0);
    row_u(out, "temporary", a->temporary_allocations, b->temporary_allocations, 0);
    row_u(out, "reallocs", a->reallocs, b->reallocs, 0);
    row_u(out, "mmapped allocations", a->mmapped_allocations, b->mmapped_allocations, 0);
    row_u(out, "program mmap calls", a->mmap_calls, b->mmap_calls, 0);
    row_u(out, "program mmap bytes", a->mmap_bytes, b->mmap_bytes, 1);
    row_u(out, "munmap calls", a->munmap_calls, b->munmap_calls, 0);
    row_u(out, "brk growth", a->brk_growth_bytes, b->brk_growth_bytes, 1);
    row_u(out, "threads", a->threads, b->threads, 0);
    row_d(out, "wall seconds", a->wall_seconds, b->wall_seconds);
    row_d(out, "user seconds", a->user_seconds, b->user_seconds);
    row_d(out, "sys seconds", a->sys_seconds, b->sys_seconds);
    row_u(out, "max RSS", a->max_rss_kb * 1024, b->max_rss_kb * 1024, 1);
    row_d(out, "avg lifetime ms", a->avg_lifetime_ns / 1e6, b->avg_lifetime_ns / 1e6);

    /* shared breakdowns */
    fprintf(out, "\nHeap bytes by where they came from:\n");
    row_u(out, "mmap-served allocs", a->mmapped_bytes, b->mmapped_bytes, 1);
    row_u(out, "heap (arena) allocs", a->bytes_allocated - a->mmapped_bytes,
          b->bytes_allocated - b->mmapped_bytes, 1);
    fprintf(out, "\nAllocations by size class:\n");
    for (unsigned k = 0; k < FP_SIZE_CLASSES; k++) {
        uint64_t x = s[0].m->size_class_allocs[k], y = s[1].m->size_class_allocs[k];
        if (!x && !y)
            continue;
        char name[40], lo[16], hi[16];
        if (k == 0)
            snprintf(name, sizeof(name), "0 B");
        else
            snprintf(name, sizeof(name), "%s .. %s", fp_fmt_bytes(1ULL << (k - 1), lo, sizeof(lo)),
                     fp_fmt_bytes((1ULL << k) - 1, hi, sizeof(hi)));
        row_u(out, name, x, y, 0);
    }
    fprintf(out, "\nThreads (allocations):\n");
    for (int sd = 0; sd < 2; sd++) {
        fprintf(out, "  %s:", sd ? "new " : "base");
        const struct fp_model *m = s[sd].m;
        for (uint32_t i = 0; i < m->nthreads && i < 8; i++)
            fprintf(out, " %s%s%u=%llu", m->threads[i].name, m->threads[i].name[0] ? ":" : "tid ",
                    m->threads[i].tid, (unsigned long long)m->threads[i].allocs);
        if (m->nthreads > 8)
            fprintf(out, " (+%u more)", m->nthreads - 8);
        fputc('\n', out);
    }

    uint32_t n = o->top > 0 && (size_t)o->top < t->n ? (uint32_t)o->top : (uint32_t)t->n;
    fprintf(out, "\nSites ranked by change in %s:\n", fp_metric_name(o->sort));
    fprintf(out, "%4s %12s %12s %13s  %s\n", "#", "base", "new", "delta", "site <- caller");
    for (uint32_t i = 0; i < n; i++) {
        const struct dsite *d = &t->v[i];
        int64_t dl = delta_of(d, o->sort);
        if (dl == 0 && i > 0)
            break;
        char kb[1100];
        short_key(d->key, kb, sizeof(kb), 53);
        fprintf(out, "%4u %12llu %12llu %+13lld  %s\n", i + 1,
                (unsigned long long)fp_metric_value(&d->c[0], o->sort),
                (unsigned long long)fp_metric_value(&d->c[1], o->sort), (long long)dl, kb);
    }

    /* each side's own top sites, side by side */
    uint32_t top = o->top > 0 && o->top < 10 ? (uint32_t)o->top : 10;
    fprintf(out, "\nTop sites of each side by %s:\n", fp_metric_name(o->sort));
    fprintf(out, "  %-47s| %s\n", "base", "new");
    for (uint32_t i = 0; i < top; i++) {
        char col[2][64];
        int any = 0;
        for (int sd = 0; sd < 2; sd++) {
            col[sd][0] = 0;
            if (i >= s[sd].sites.n)
                continue;
            const struct fp_site *st = &s[sd].sites.v[i];
            char nb[128];
            const char *name = st->nframes ? fp_frame_name(fp_syms_frame(s[sd].syms,
                               fp_site_frames(&s[sd].sites, st)[0]), nb, sizeof(nb)) : "[no stack]";
            char vb[24];
            snprintf(vb, sizeof(vb), "%llu", (unsigned long long)fp_metric_value(&st->c, o->sort));
            snprintf(col[sd], sizeof(col[sd]), "%10s %.34s", vb, name);
            any = 1;
        }
        if (!any)
            break;
        fprintf(out, "  %-47s| %s\n", col[0], col[1]);
    }
}

/* ---- json ---- */

static void counts_json(FILE *out, const struct fp_counts *c)
{
    fprintf(out, "{\"minor_faults\": %llu, \"major_faults\": %llu, \"fault_samples\": %llu, ",
            (unsigned long long)c->minor_faults, (unsigned long long)c->major_faults,
            (unsigned long long)c->fault_samples);
    fprintf(out, "\"allocations\": %llu, \"bytes\": %llu, \"peak_bytes\": %llu, "
            "\"leaked_blocks\": %llu, \"leaked_bytes\": %llu, \"temporary\": %llu, "
            "\"mmapped\": %llu, \"frees\": %llu, \"reallocs\": %llu}",
            (unsigned long long)c->allocs, (unsigned long long)c->bytes,
            (unsigned long long)c->peak_bytes, (unsigned long long)c->leaked_blocks,
            (unsigned long long)c->leaked_bytes, (unsigned long long)c->temporary,
            (unsigned long long)c->mmapped, (unsigned long long)c->frees,
            (unsigned long long)c->reallocs);
}

static int64_t sdelta(uint64_t a, uint64_t b)
{
    return (int64_t)b - (int64_t)a;
}

static void dsites_json(FILE *out, const char *name, const struct dtab *t, const struct fp_opts *o)
{
    fprintf(out, "  \"%s\": [", name);
    uint32_t n = o->top_set && o->top > 0 && (size_t)o->top < t->n ? (uint32_t)o->top
                                                                     : (uint32_t)t->n;
    for (uint32_t i = 0; i < n; i++) {
        const struct dsite *d = &t->v[i];
        fprintf(out, "%s\n    {\"function\": ", i ? "," : "");
        const char *nl = strchr(d->key, '\n');
        size_t flen = nl ? (size_t)(nl - d->key) : strlen(d->key);
        char first[1024];
        fp_json_str(out, key_frame(d->key, flen, first, sizeof(first), 0));
        const char *tab = memchr(d->key, '\t', flen);
        fprintf(out, ", \"module\": ");
        snprintf(first, sizeof(first), "%.*s", tab ? (int)(flen - (size_t)(tab - d->key) - 1) : 0,
                 tab ? tab + 1 : "");
        fp_json_str(out, first);
        fprintf(out, ", \"stack\": [");
        const char *p = d->key;
        for (int k = 0; *p; k++) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char fr[1024];
            fprintf(out, "%s", k ? ", " : "");
            fp_json_str(out, key_frame(p, len, fr, sizeof(fr), 1));
            p += len + (e ? 1 : 0);
        }
        fprintf(out, "],\n     \"in_base\": %s, \"in_new\": %s,\n     \"base\": ",
                d->present[0] ? "true" : "false", d->present[1] ? "true" : "false");
        counts_json(out, &d->c[0]);
        fprintf(out, ",\n     \"new\": ");
        counts_json(out, &d->c[1]);
        const struct fp_counts *a = &d->c[0], *b = &d->c[1];
        fprintf(out, ",\n     \"delta\": {\"minor_faults\": %lld, \"major_faults\": %lld, "
                "\"fault_samples\": %lld, ", (long long)sdelta(a->minor_faults, b->minor_faults),
                (long long)sdelta(a->major_faults, b->major_faults),
                (long long)sdelta(a->fault_samples, b->fault_samples));
        fprintf(out, "\"allocations\": %lld, \"bytes\": %lld, "
                "\"peak_bytes\": %lld, \"leaked_blocks\": %lld, \"leaked_bytes\": %lld, "
                "\"temporary\": %lld, \"mmapped\": %lld, \"frees\": %lld, \"reallocs\": %lld}}",
                (long long)sdelta(a->allocs, b->allocs), (long long)sdelta(a->bytes, b->bytes),
                (long long)sdelta(a->peak_bytes, b->peak_bytes),
                (long long)sdelta(a->leaked_blocks, b->leaked_blocks),
                (long long)sdelta(a->leaked_bytes, b->leaked_bytes),
                (long long)sdelta(a->temporary, b->temporary),
                (long long)sdelta(a->mmapped, b->mmapped), (long long)sdelta(a->frees, b->frees),
                (long long)sdelta(a->reallocs, b->reallocs));
    }
    fprintf(out, "\n  ]");
}

static void diff_json(FILE *out, const struct side *s, const struct dtab *t,
                      const struct dtab *tf, const struct fp_opts *o)
{
    fprintf(out, "{\n  \"faultprof_diff\": 1,\n  \"metric\": \"%s\", \"normalized\": %s,\n",
            fp_metric_name(o->sort), o->normalize ? "true" : "false");
    fprintf(out, "  \"base\": ");
    fp_json_summary(out, &s[0].sum);
    fprintf(out, ",\n  \"new\": ");
    fp_json_summary(out, &s[1].sum);
    fprintf(out, ",\n");
    for (int sd = 0; sd < 2; sd++) {
        fprintf(out, "  \"%s_page_faults\": {\"mode\": \"%s\", \"period\": %llu, "
                "\"estimated_minor_faults\": %llu, \"estimated_major_faults\": %llu},\n",
                sd ? "new" : "base", s[sd].fi.mode == 1 ? "perf" : "rusage",
                (unsigned long long)s[sd].fi.period, (unsigned long long)s[sd].fi.est_minor,
                (unsigned long long)s[sd].fi.est_major);
    }
    dsites_json(out, "sites", t, o);
    fprintf(out, ",\n");
    dsites_json(out, "fault_sites", tf, o);
    fprintf(out, "\n}\n");
}

/* ---- folded (difffolded.pl: "stack count_base count_new") ---- */

static void diff_folded(FILE *out, const struct dtab *t, const struct fp_opts *o)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct dsite *d = &t->v[i];
        uint64_t a = fp_metric_value(&d->c[0], o->metric), b = fp_metric_value(&d->c[1], o->metric);
        if (!a && !b)
            continue;
        /* key is site first, separated by '\n': print root first, ';'-joined */
        const char *ends[FP_MAX_DEPTH * 4 + 1];
        int nf = 0;
        const char *p = d->key;
        ends[nf++] = p;
        for (; *p; p++)
            if (*p == '\n' && nf < (int)(sizeof(ends) / sizeof(ends[0])))
                ends[nf++] = p + 1;
        for (int k = nf; k-- > 0;) {
            const char *st = ends[k];
            const char *e = strchr(st, '\n');
            size_t len = e ? (size_t)(e - st) : strlen(st);
            char fb[1024];
            for (const char *q = key_frame(st, len, fb, sizeof(fb), 0); *q; q++)
                putc(*q == ';' ? ':' : *q, out);
            if (k)
                putc(';', out);
        }
        fprintf(out, " %llu %llu\n", (unsigned long long)a, (unsigned long long)b);
    }
}

int fp_diff(FILE *out, const char *base, const char *new_path, const struct fp_opts *o,
            char *err, size_t errlen)
{
    struct side s[2];
    struct dtab t = { 0 }, tf = { 0 }, ta = { 0 };
    int rc = -1;
    memset(s, 0, sizeof(s));
    if (load_side(&s[0], base, o, err, errlen) < 0 || load_side(&s[1], new_path, o, err, errlen) < 0)
        goto out;
    if (collect(&t, &s[0], &s[0].sites, 0, o) < 0 || collect(&t, &s[1], &s[1].sites, 1, o) < 0 ||
        collect(&tf, &s[0], &s[0].faults, 0, o) < 0 ||
        collect(&tf, &s[1], &s[1].faults, 1, o) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    merge(&t);
    merge(&tf);
    /* allocation sites by faults on their memory: a copy sorted by that */
    ta.v = malloc((t.n ? t.n : 1) * sizeof(*ta.v));
    if (!ta.v) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (t.n)
        memcpy(ta.v, t.v, t.n * sizeof(*t.v));
    ta.n = t.n;
    diff_metric = FP_METRIC_FAULTS;
    if (ta.n)
        qsort(ta.v, ta.n, sizeof(*ta.v), cmp_delta);
    if (tf.n)
        qsort(tf.v, tf.n, sizeof(*tf.v), cmp_delta);
    diff_metric = o->format == FP_FMT_FOLDED ? o->metric : o->sort;
    if (t.n)
        qsort(t.v, t.n, sizeof(*t.v), cmp_delta);
    if (o->format == FP_FMT_JSON)
        diff_json(out, s, &t, &tf, o);
    else if (o->format == FP_FMT_FOLDED)
        diff_folded(out, fp_metric_is_fault(o->metric) && tf.n ? &tf : &t, o);
    else
        diff_text(out, s, &t, &tf, &ta, o);
    rc = 0;
out:
    for (size_t i = 0; i < t.n; i++)
        free(t.v[i].key);
    for (size_t i = 0; i < tf.n; i++)
        free(tf.v[i].key);
    free(t.v);
    free(tf.v);
    free(ta.v);        /* its keys are t's */
    free_side(&s[0]);
    free_side(&s[1]);
    return rc;
}
