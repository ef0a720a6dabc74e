/* report_diff_text: --diff BASE NEW as text — the fault totals, fault
 * sources and sites ranked by their change in faults, each side's
 * diagnoses, the summary side by side, shared breakdowns, and the sites
 * ranked by their change in --sort.  Prints the diff model (diff.c) only. */
#include "report.h"

#include <string.h>

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
    fp_diff_key_frame(key, nl ? (size_t)(nl - key) : strlen(key), a, sizeof(a), 0);
    if (nl) {
        const char *nl2 = strchr(nl + 1, '\n');
        fp_diff_key_frame(nl + 1, nl2 ? (size_t)(nl2 - nl - 1) : strlen(nl + 1), b, sizeof(b), 0);
        snprintf(buf, n, "%s <- %s", a, b);
    } else {
        snprintf(buf, n, "%s", a);
    }
    if (strlen(buf) > width && width > 3)
        strcpy(buf + width - 3, "...");
}

/* A ranked list of a dtab by the change in metric (already sorted so). */
static void ranked_text(FILE *out, const struct fp_diff_sites *t, int metric, uint32_t top, const char *what)
{
    uint32_t n = top < t->n ? top : (uint32_t)t->n;
    fprintf(out, "%4s %12s %12s %13s  %s\n", "#", "base", "new", "delta", what);
    uint32_t shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_diff_site *d = &t->v[i];
        int64_t dl = fp_diff_delta(d, metric);
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

/* "+115k: 96% refault_madvise at site X", then each class base, new, delta */
static void classes_text(FILE *out, const struct fp_diff *df)
{
    if (!df->nclasses)
        return;
    fprintf(out, "\nFaults by class (estimated), ranked by change:\n");
    fprintf(out, "%4s %12s %12s %13s  %s\n", "#", "base", "new", "delta", "class: the site that changed most");
    for (uint32_t i = 0; i < df->nclasses; i++) {
        const struct fp_diff_class *x = &df->classes[i];
        char kb[1100] = "";
        if (x->site) {
            short_key(x->site->key, kb, sizeof(kb), 60);
            fprintf(out, "%4u %12llu %12llu %+13lld  %s: %.0f%% (%+lld) at %s\n", i + 1,
                    (unsigned long long)x->faults[0], (unsigned long long)x->faults[1],
                    (long long)x->delta, fp_fclass_name(x->cls), 100 * x->site_share,
                    (long long)x->site_delta, kb);
        } else {
            fprintf(out, "%4u %12llu %12llu %+13lld  %s\n", i + 1,
                    (unsigned long long)x->faults[0], (unsigned long long)x->faults[1],
                    (long long)x->delta, fp_fclass_name(x->cls));
        }
    }
}

static void faults_text(FILE *out, const struct fp_diff *df, const struct fp_opts *o)
{
    uint32_t top = fp_report_short_top(o);
    const struct fp_report *s[2] = { &df->side[0].r, &df->side[1].r };
    char m0[400], m1[400];
    fprintf(out, "\nPage faults: base %s; new %s\n",
            fp_fault_mode_text(&s[0]->fault_info, m0, sizeof(m0)),
            fp_fault_mode_text(&s[1]->fault_info, m1, sizeof(m1)));
    classes_text(out, df);
    fprintf(out, "\nFault sources ranked by change in faults (estimated: samples x period):\n");
    ranked_text(out, &df->faults, FP_METRIC_FAULTS, top, "function <- caller");
    fprintf(out, "\nAllocation sites ranked by change in the faults on their memory:\n");
    ranked_text(out, &df->by_memory, FP_METRIC_FAULTS, top, "site <- caller");
    for (int sd = 0; sd < 2; sd++) {
        const struct fp_diags *d = &s[sd]->diags;
        for (size_t i = 0; i < d->n; i++) {
            char w[512], f[512];
            fprintf(out, "%s  %s: %s at %s", i == 0 ? (sd ? "\nDiagnoses of new:\n"
                                                          : "\nDiagnoses of base:\n") : "",
                    fp_diag_name(d->v[i].kind), d->v[i].kind == FP_DIAG_REALLOC_GROWTH ?
                    "bytes copied" : "faults avoidable",
                    fp_site_name(&s[sd]->sites, d->v[i].site, w, sizeof(w)));
            if (d->v[i].fault_site >= 0)
                fprintf(out, ", touched in %s", fp_site_name(&s[sd]->fault_sources, d->v[i].fault_site,
                                                             f, sizeof(f)));
            fprintf(out, ": %llu\n", (unsigned long long)d->v[i].saving);
        }
    }
}

/* The fault totals side by side. */
static void head_text(FILE *out, const struct fp_summary *a, const struct fp_summary *b)
{
    fprintf(out, "faultprof-report --diff\n");
    fprintf(out, "  %-22s %s\n  %-22s %s\n\n", "base", a->command, "new", b->command);
    fprintf(out, "  %-22s %16s %16s %10s\n", "", "base", "new", "new/base");
    row_u(out, "minor faults", a->minor_faults, b->minor_faults, 0);
    row_u(out, "major faults", a->major_faults, b->major_faults, 0);
    row_u(out, "fault samples", a->fault_samples, b->fault_samples, 0);
}

static void summary_text(FILE *out, const struct fp_summary *a, const struct fp_summary *b)
{
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
}

/* Breakdowns both sides have: heap bytes by source, size classes, threads. */
static void breakdowns_text(FILE *out, const struct fp_diff *df)
{
    const struct fp_summary *a = &df->side[0].r.summary, *b = &df->side[1].r.summary;
    fprintf(out, "\nHeap bytes by where they came from:\n");
    row_u(out, "mmap-served allocs", a->mmapped_bytes, b->mmapped_bytes, 1);
    row_u(out, "heap (arena) allocs", a->bytes_allocated - a->mmapped_bytes,
          b->bytes_allocated - b->mmapped_bytes, 1);
    fprintf(out, "\nAllocations by size class:\n");
    for (unsigned k = 0; k < FP_SIZE_CLASSES; k++) {
        uint64_t x = df->side[0].m->size_class_allocs[k], y = df->side[1].m->size_class_allocs[k];
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
        const struct fp_model *m = df->side[sd].m;
        for (uint32_t i = 0; i < m->nthreads && i < 8; i++)
            fprintf(out, " %s%s%u=%llu", m->threads[i].name, m->threads[i].name[0] ? ":" : "tid ",
                    m->threads[i].tid, (unsigned long long)m->threads[i].allocs);
        if (m->nthreads > 8)
            fprintf(out, " (+%u more)", m->nthreads - 8);
        fputc('\n', out);
    }
}

/* The matched sites ranked by change, then each side's own top sites. */
static void sites_text(FILE *out, const struct fp_diff *df, const struct fp_opts *o)
{
    const struct fp_diff_sites *t = &df->sites;
    uint32_t n = o->top > 0 && (size_t)o->top < t->n ? (uint32_t)o->top : (uint32_t)t->n;
    fprintf(out, "\nSites ranked by change in %s:\n", fp_metric_name(o->sort));
    fprintf(out, "%4s %12s %12s %13s  %s\n", "#", "base", "new", "delta", "site <- caller");
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_diff_site *d = &t->v[i];
        int64_t dl = fp_diff_delta(d, o->sort);
        if (dl == 0 && i > 0)
            break;
        char kb[1100];
        short_key(d->key, kb, sizeof(kb), 53);
        fprintf(out, "%4u %12llu %12llu %+13lld  %s\n", i + 1,
                (unsigned long long)fp_metric_value(&d->c[0], o->sort),
                (unsigned long long)fp_metric_value(&d->c[1], o->sort), (long long)dl, kb);
    }

    /* each side's own top sites, side by side */
    uint32_t top = fp_report_short_top(o);
    fprintf(out, "\nTop sites of each side by %s:\n", fp_metric_name(o->sort));
    fprintf(out, "  %-47s| %s\n", "base", "new");
    for (uint32_t i = 0; i < top; i++) {
        char col[2][64];
        int any = 0;
        for (int sd = 0; sd < 2; sd++) {
            col[sd][0] = 0;
            const struct fp_sites *ss = &df->side[sd].r.sites;
            if (i >= ss->n)
                continue;
            const struct fp_site *st = &ss->v[i];
            char nb[128];
            const char *name = st->nframes ? fp_frame_name(fp_syms_frame(ss->syms,
                               fp_site_frames(ss, st)[0]), nb, sizeof(nb)) : "[no stack]";
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

int fp_diff_text(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    const struct fp_summary *a = &d->side[0].r.summary, *b = &d->side[1].r.summary;
    head_text(out, a, b);
    faults_text(out, d, o);
    summary_text(out, a, b);
    breakdowns_text(out, d);
    sites_text(out, d, o);
    return ferror(out) ? -1 : 0;
}
