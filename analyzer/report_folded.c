/* report_folded: --format folded, one line per site, "root;...;site count",
 * the input of flamegraph.pl.  The count is --metric (default bytes). */
#include "report.h"

#include <string.h>

void fp_folded_frame(FILE *out, const struct fp_frame *f)
{
    char nb[128];
    for (const char *p = fp_frame_name(f, nb, sizeof(nb)); *p; p++)
        putc(*p == ';' ? ':' : (*p == '\n' ? ' ' : *p), out);
}

int fp_report_folded(FILE *out, const struct fp_model *m, const struct fp_sites *sites,
                     const struct fp_opts *o)
{
    (void)m;
    for (uint32_t i = 0; i < sites->n; i++) {
        const struct fp_site *st = &sites->v[i];
        uint64_t v = fp_metric_value(&st->c, o->metric);
        if (!v)
            continue;
        const uint32_t *fr = fp_site_frames(sites, st);
        if (!st->nframes)
            fputs("[no stack]", out);
        for (uint32_t k = st->nframes; k-- > 0;) {
            fp_folded_frame(out, fp_syms_frame(sites->syms, fr[k]));
            if (k)
                putc(';', out);
        }
        fprintf(out, " %llu\n", (unsigned long long)v);
    }
    return ferror(out) ? -1 : 0;
}

/* A page-fault flame graph: the fault stacks, by fault metric. */
int fp_faults_folded(FILE *out, const struct fp_sites *faults, int metric)
{
    struct fp_opts o;
    memset(&o, 0, sizeof(o));
    o.metric = metric;
    return fp_report_folded(out, NULL, faults, &o);
}
