/* report_folded: --format folded, one line per site, "root;...;site count",
 * the input of flamegraph.pl; with --diff, "root;...;site base new", the
 * input of difffolded.pl.  The count is --metric (default bytes); a fault
 * metric's flame graph is of the code that took the faults. */
#include "report.h"

#include <string.h>

#include "faultprof/trace.h"

/* A frame's name with ';' replaced. */
static void folded_frame(FILE *out, const struct fp_frame *f)
{
    char nb[128];
    for (const char *p = fp_frame_name(f, nb, sizeof(nb)); *p; p++)
        putc(*p == ';' ? ':' : (*p == '\n' ? ' ' : *p), out);
}

static void sites_folded(FILE *out, const struct fp_sites *sites, int metric)
{
    for (uint32_t i = 0; i < sites->n; i++) {
        const struct fp_site *st = &sites->v[i];
        uint64_t v = fp_metric_value(&st->c, metric);
        if (!v)
            continue;
        const uint32_t *fr = fp_site_frames(sites, st);
        if (!st->nframes)
            fputs("[no stack]", out);
        for (uint32_t k = st->nframes; k-- > 0;) {
            folded_frame(out, fp_syms_frame(sites->syms, fr[k]));
            if (k)
                putc(';', out);
        }
        fprintf(out, " %llu\n", (unsigned long long)v);
    }
}

int fp_report_folded(FILE *out, const struct fp_report *r)
{
    /* a page-fault flame graph: the code stacks that took the faults;
     * without samples (rusage mode), the allocation sites the counts were
     * charged to */
    const struct fp_sites *s = (r->plan.parts & FP_PART_FAULT_SOURCES) && r->fault_sources.n
                               ? &r->fault_sources : &r->sites;
    sites_folded(out, s, r->o->metric);
    return ferror(out) ? -1 : 0;
}

int fp_diff_folded(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    const struct fp_diff_sites *t = fp_metric_is_fault(o->metric) && d->faults.n ? &d->faults
                                                                                 : &d->sites;
    for (size_t i = 0; i < t->n; i++) {
        const struct fp_diff_site *ds = &t->v[i];
        uint64_t a = fp_metric_value(&ds->c[0], o->metric), b = fp_metric_value(&ds->c[1], o->metric);
        if (!a && !b)
            continue;
        /* key is site first, separated by '\n': print root first, ';'-joined */
        const char *ends[FP_MAX_DEPTH * 4 + 1];
        int nf = 0;
        const char *p = ds->key;
        ends[nf++] = p;
        for (; *p; p++)
            if (*p == '\n' && nf < (int)(sizeof(ends) / sizeof(ends[0])))
                ends[nf++] = p + 1;
        for (int k = nf; k-- > 0;) {
            const char *st = ends[k];
            const char *e = strchr(st, '\n');
            size_t len = e ? (size_t)(e - st) : strlen(st);
            char fb[1024];
            for (const char *q = fp_diff_key_frame(st, len, fb, sizeof(fb), 0); *q; q++)
                putc(*q == ';' ? ':' : *q, out);
            if (k)
                putc(';', out);
        }
        fprintf(out, " %llu %llu\n", (unsigned long long)a, (unsigned long long)b);
    }
    return ferror(out) ? -1 : 0;
}
