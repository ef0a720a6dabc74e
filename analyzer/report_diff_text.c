/* report_diff_text: --diff as text.  Its first screen (20 lines of 100
 * columns) answers on its own: the figures that matter side by side with
 * their ratio (medians and spread with several runs a side, and whether a
 * change exceeds the noise), the new side's top fault source and the
 * allocation site whose memory took the faults, with its mechanism and
 * advice and its nearest base counterpart.  Then the fault sources and
 * sites ranked by their change in faults, each side's diagnoses, the
 * programs of multi-process runs, the summary, shared breakdowns, and the
 * sites ranked by their change in --sort.  Prints the diff model (diff.c,
 * diff_match.c) only. */
#include "report.h"

#include <string.h>

#define WIDTH 100
#define SCREEN 20

/* new/base as a word: "503.59x", "new", "=" */
static const char *ratio_word(double a, double b, char *buf, size_t n)
{
    if (a == 0 && b == 0)
        snprintf(buf, n, "=");
    else if (a == 0)
        snprintf(buf, n, "new");
    else
        snprintf(buf, n, "%.2fx", b / a);
    return buf;
}

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
static void ranked_text(FILE *out, const struct fp_diff *df, const struct fp_diff_sites *t,
                        int metric, uint32_t top, const char *what)
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
        enum fp_sig sg = fp_diff_site_sig(df, d, metric);
        fprintf(out, "%4u %12llu %12llu %+13lld  %s%s\n", i + 1,
                (unsigned long long)fp_metric_value(&d->c[0], metric),
                (unsigned long long)fp_metric_value(&d->c[1], metric), (long long)dl, kb,
                sg == FP_SIG_CHANGED ? "  *" : sg == FP_SIG_NOISE ? "  (noise)" : "");
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
    fp_fault_mode_text(&s[0]->fault_info, m0, sizeof(m0));
    fp_fault_mode_text(&s[1]->fault_info, m1, sizeof(m1));
    if (!strcmp(m0, m1))
        fprintf(out, "\nPage faults, both sides: %s\n", m0);
    else
        fprintf(out, "\nPage faults: base %s; new %s\n", m0, m1);
    classes_text(out, df);
    fprintf(out, "\nFault sources ranked by change in faults (estimated: samples x period%s):\n",
            df->side[0].nruns > 1 || df->side[1].nruns > 1 ? "; medians, * significant" : "");
    ranked_text(out, df, &df->faults, FP_METRIC_FAULTS, top, "function <- caller");
    fprintf(out, "\nAllocation sites ranked by change in the faults on their memory:\n");
    ranked_text(out, df, &df->by_memory, FP_METRIC_FAULTS, top, "site <- caller");
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

/* One figure: "2328" or, with several runs, "2328 ±24" (half the spread). */
static const char *fig_cell(const struct fp_stat *st, int unit, char *buf, size_t n)
{
    char v[24], h[20];
    double half = (st->max - st->min) / 2;
    if (unit == 1) {
        fp_fmt_bytes((uint64_t)(st->median + 0.5), v, sizeof(v));
        fp_fmt_bytes((uint64_t)(half + 0.5), h, sizeof(h));
    } else if (unit == 2) {
        snprintf(v, sizeof(v), "%.3f", st->median);
        snprintf(h, sizeof(h), "%.3f", half);
    } else {
        snprintf(v, sizeof(v), "%.0f", st->median);
        snprintf(h, sizeof(h), "%.0f", half);
    }
    if (st->n > 1)
        snprintf(buf, n, "%.23s ±%.19s", v, h);
    else
        snprintf(buf, n, "%s", v);
    return buf;
}

static void fig_row(FILE *out, const struct fp_diff *d, int f)
{
    const struct fp_diff_fig *g = &d->fig[f];
    char a[64], b[64];
    fprintf(out, "  %-20s %22s %22s ", fp_fig_label(f), fig_cell(&g->s[0], fp_fig_unit(f), a, sizeof(a)),
            fig_cell(&g->s[1], fp_fig_unit(f), b, sizeof(b)));
    ratio(out, g->s[0].median, g->s[1].median);
    if (g->sig != FP_SIG_NO_ESTIMATE)
        fprintf(out, "  %s", g->sig == FP_SIG_CHANGED ? "significant" : "noise");
    fputc('\n', out);
}

/* "func (file:line) <- caller" of site i, within w columns. */
static const char *site_text(const struct fp_sites *s, int64_t i, char *buf, size_t n, size_t w)
{
    char a[600], b[300] = "";
    fp_site_name(s, i, a, sizeof(a));
    const struct fp_site *st = &s->v[i];
    if (st->nframes > 1) {
        char nb[128];
        const struct fp_frame *f = fp_syms_frame(s->syms, fp_site_frames(s, st)[1]);
        snprintf(b, sizeof(b), " <- %s", fp_frame_name(f, nb, sizeof(nb)));
    }
    char full[1000];
    snprintf(full, sizeof(full), "%s%s", a, b);
    size_t len = strlen(full);
    if (len <= w || w < 8)
        snprintf(buf, n, "%.*s", (int)(n - 1), full);
    else
        snprintf(buf, n, "%.*s...%s", (int)((w - 3) * 2 / 3), full, full + len - (w - 3 - (w - 3) * 2 / 3));
    return buf;
}

/* Words of text wrapped at WIDTH under an indent, at most max lines (the
 * last cut with "..."); returns the lines printed. */
static int wrapped(FILE *out, const char *lead, const char *text, int indent, int max)
{
    int lines = 0, col = fprintf(out, "%s", lead);
    const char *p = text;
    while (*p && lines < max) {
        while (*p == ' ')
            p++;
        size_t wl = strcspn(p, " ");
        if (!wl)
            break;
        if ((int)wl > WIDTH - 2 - indent)
            wl = (size_t)(WIDTH - 2 - indent);     /* a word longer than a line: cut it */
        int limit = lines + 1 == max ? WIDTH - 5 : WIDTH - 1;    /* room for " ..." */
        if (col + 1 + (int)wl > limit && col > indent) {
            if (lines + 1 == max) {
                fputs(" ...", out);
                break;
            }
            fprintf(out, "\n%*s", indent, "");
            col = indent;
            lines++;
        }
        col += fprintf(out, "%s%.*s", col > indent ? " " : "", (int)wl, p);
        p += wl;
    }
    fputc('\n', out);
    return lines + 1;
}

/* Two lines of the culprit: "New's top WHAT: site", then its figure and
 * its base counterpart's. */
static void culprit_item(FILE *out, const char *what, const struct fp_sites *ns, int64_t ni,
                         const struct fp_sites *bs, int64_t bi, enum fp_match how, int metric,
                         const char *unit)
{
    char a[400], b[400], rw[32], head[200];
    int lead = fprintf(out, "New's top %s: ", what);
    fprintf(out, "%s\n", site_text(ns, ni, a, sizeof(a), (size_t)(WIDTH - 1 - lead)));
    uint64_t v = fp_metric_value(&ns->v[ni].c, metric);
    if (bi < 0) {
        fprintf(out, "  %llu %s; base: no counterpart by name, caller, source file or stack shape\n",
                (unsigned long long)v, unit);
        return;
    }
    uint64_t bv = fp_metric_value(&bs->v[bi].c, metric);
    int w = snprintf(head, sizeof(head), "  %llu %s, base %llu, new/base %s; base (%s): ",
                     (unsigned long long)v, unit, (unsigned long long)bv,
                     ratio_word((double)bv, (double)v, rw, sizeof(rw)), fp_match_name(how));
    fprintf(out, "%s%s\n", head, site_text(bs, bi, b, sizeof(b), (size_t)(WIDTH - 1 - w)));
}

/* The new side's culprit and its base counterparts; returns the lines. */
static int culprit_text(FILE *out, const struct fp_diff *d, int budget)
{
    const struct fp_diff_culprit *c = &d->culprit;
    const struct fp_report *nr = &d->side[1].r, *br = &d->side[0].r;
    int lines = 0;
    if (c->fault_source >= 0) {
        culprit_item(out, "fault source", &nr->fault_sources, c->fault_source, &br->fault_sources,
                     c->base_fault_source, c->fault_how, FP_METRIC_FAULTS, "faults");
        lines += 2;
    }
    if (c->site >= 0) {
        int by_faults = fp_metric_value(&nr->sites.v[c->site].c, FP_METRIC_FAULTS) > 0;
        culprit_item(out, by_faults ? "allocation site (faults on its memory)"
                                    : "allocation site (bytes)", &nr->sites, c->site, &br->sites,
                     c->base_site, c->site_how, by_faults ? FP_METRIC_FAULTS : FP_METRIC_BYTES,
                     by_faults ? "faults" : "bytes");
        lines += 2;
    }
    if (c->diag >= 0) {
        const struct fp_diag *dg = &nr->diags.v[c->diag];
        char sv[128], mech[400];
        snprintf(mech, sizeof(mech), "%s (%s); saving %s", fp_diag_name(dg->kind),
                 fp_diag_title(dg->kind), fp_diag_saving_text(dg, sv, sizeof(sv)));
        lines += wrapped(out, "  mechanism:", mech, 4, 1);
        int left = budget - lines;
        lines += wrapped(out, "  advice:", dg->advice, 4, left > 2 ? left : 2);
    } else if (c->site >= 0) {
        fprintf(out, "  mechanism: none diagnosed (no mmap churn, heap trim, realloc growth or "
                "zeroed first touch)\n");
        lines++;
    }
    return lines;
}

/* The first screen: the figures that matter, then the culprit. */
static void first_screen(FILE *out, const struct fp_diff *d)
{
    const struct fp_summary *a = &d->summary[0], *b = &d->summary[1];
    char cmd[2][128];
    int lines = 0;
    uint32_t na = d->side[0].nruns, nb = d->side[1].nruns;
    if (na > 1 && nb > 1)
        fprintf(out, "faultprof-report --diff: %u base runs, %u new; medians ±half their spread, "
                "noise rule in faultprof-report(1)\n", na, nb);
    else
        fprintf(out, "faultprof-report --diff: %u run%s a side: no noise estimate (record several "
                "runs a side to get one)\n", na == nb ? na : na < nb ? na : nb,
                (na == nb ? na : 1) == 1 ? "" : "s");
    for (int sd = 0; sd < 2; sd++)
        snprintf(cmd[sd], sizeof(cmd[sd]), "%.*s", WIDTH - 10, (sd ? b : a)->command);
    fprintf(out, "  base  %s\n  new   %s\n", cmd[0], cmd[1]);
    lines += 3;
    if (d->normalized) {
        fprintf(out, "  %s: %u of %u base and %u new own functions share a name\n",
                d->auto_normalized ? "names barely overlap, --normalize turned on" : "--normalize",
                d->names_shared, d->names[0], d->names[1]);
        lines++;
    }
    fprintf(out, "  %-20s %22s %22s %10s\n", "", "base", "new", "new/base");
    lines++;
    static const int rows[] = { FP_FIG_MINOR_FAULTS, FP_FIG_MAJOR_FAULTS, FP_FIG_SYS, FP_FIG_BYTES,
                                FP_FIG_MMAP_CALLS, FP_FIG_MUNMAP_CALLS, FP_FIG_BRK_GROWTH,
                                FP_FIG_BRK_REGROWN };
    /* what the culprit needs after them: 4 lines, a mechanism, 2 of advice */
    int room = SCREEN - 7 - lines - (int)(sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct fp_diff_fig *g = &d->fig[rows[i]];
        if (rows[i] != FP_FIG_MINOR_FAULTS && rows[i] != FP_FIG_SYS && rows[i] != FP_FIG_BYTES &&
            g->s[0].max == 0 && g->s[1].max == 0)
            continue;     /* nothing on either side */
        if (rows[i] == FP_FIG_MUNMAP_CALLS && room < 0 && room++ < 0)
            continue;     /* the screen is full: mmap calls stand for both */
        fig_row(out, d, rows[i]);
        lines++;
    }
    culprit_text(out, d, SCREEN - lines);
}

/* Every figure of the summary side by side. */
static void summary_text(FILE *out, const struct fp_diff *d)
{
    fprintf(out, "\nSummary:\n");
    fprintf(out, "  %-20s %22s %22s %10s\n", "", "base", "new", "new/base");
    for (int f = 0; f < FP_FIG_COUNT; f++)
        fig_row(out, d, f);
    const struct fp_summary *a = &d->summary[0], *b = &d->summary[1];
    fprintf(out, "  %-20s %22.3f %22.3f ", "avg lifetime ms", a->avg_lifetime_ns / 1e6,
            b->avg_lifetime_ns / 1e6);
    ratio(out, a->avg_lifetime_ns, b->avg_lifetime_ns);
    fputc('\n', out);
}

/* The programs of the runs, matched by name and command shape, ranked by
 * their change in minor faults; then the sites of the one that changed most. */
static void programs_text(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    if (d->nprogs < 2 || (d->fig[FP_FIG_PROCESSES].s[0].max < 2 &&
                          d->fig[FP_FIG_PROCESSES].s[1].max < 2))
        return;     /* one process a run: its program is the run */
    fprintf(out, "\nPrograms (processes matched by program and command shape), by change in "
            "minor faults:\n");
    fprintf(out, "  %-36s %5s %5s %12s %12s %10s\n", "program", "base", "new", "base faults",
            "new faults", "new/base");
    for (uint32_t i = 0; i < d->nprogs; i++) {
        const struct fp_diff_prog *p = &d->progs[i];
        char k[64], na[16], nb[16];
        snprintf(k, sizeof(k), "%.36s", p->key);
        snprintf(na, sizeof(na), p->present[0] ? "%.0f" : "-", p->procs[0].median);
        snprintf(nb, sizeof(nb), p->present[1] ? "%.0f" : "-", p->procs[1].median);
        fprintf(out, "  %-36s %5s %5s %12.0f %12.0f ", k, na, nb, p->minor_faults[0].median,
                p->minor_faults[1].median);
        ratio(out, p->minor_faults[0].median, p->minor_faults[1].median);
        fprintf(out, "%s%s\n", !p->present[0] ? "  new only" : !p->present[1] ? "  base only" : "",
                p->sig == FP_SIG_CHANGED ? "  significant" : p->sig == FP_SIG_NOISE ? "  noise" : "");
    }
    if (d->prog_focus >= 0) {
        fprintf(out, "\nSites of %.50s (first runs) ranked by change in %s:\n",
                d->progs[d->prog_focus].key, fp_metric_name(o->sort));
        ranked_text(out, d, &d->prog_sites, o->sort, fp_report_short_top(o), "site <- caller");
    }
}

/* Breakdowns both sides have: heap bytes by source, size classes, threads. */
static void breakdowns_text(FILE *out, const struct fp_diff *df)
{
    const struct fp_summary *a = &df->summary[0], *b = &df->summary[1];
    fprintf(out, "\nHeap bytes by where they came from (first runs):\n");
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
    first_screen(out, d);
    faults_text(out, d, o);
    programs_text(out, d, o);
    summary_text(out, d);
    breakdowns_text(out, d);
    sites_text(out, d, o);
    return ferror(out) ? -1 : 0;
}
