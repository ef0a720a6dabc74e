/* report_diff_json: --diff BASE NEW --format json — both summaries, both
 * sides' fault modes, then the matched sites and fault sources, each with
 * its base, new and delta counts.  Prints the diff model (diff.c) only. */
#include "report.h"

#include <string.h>

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

static void dsites_json(FILE *out, const char *name, const struct fp_diff_sites *t, const struct fp_opts *o)
{
    fprintf(out, "  \"%s\": [", name);
    uint32_t n = o->top_set && o->top > 0 && (size_t)o->top < t->n ? (uint32_t)o->top
                                                                     : (uint32_t)t->n;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_diff_site *d = &t->v[i];
        fprintf(out, "%s\n    {\"function\": ", i ? "," : "");
        const char *nl = strchr(d->key, '\n');
        size_t flen = nl ? (size_t)(nl - d->key) : strlen(d->key);
        char first[1024];
        fp_json_str(out, fp_diff_key_frame(d->key, flen, first, sizeof(first), 0));
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
            fp_json_str(out, fp_diff_key_frame(p, len, fr, sizeof(fr), 1));
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

int fp_diff_json(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    const struct fp_report *s[2] = { &d->side[0].r, &d->side[1].r };
    fprintf(out, "{\n  \"faultprof_diff\": 1,\n  \"metric\": \"%s\", \"normalized\": %s,\n",
            fp_metric_name(o->sort), o->normalize ? "true" : "false");
    fprintf(out, "  \"base\": ");
    fp_json_summary(out, &s[0]->summary);
    fprintf(out, ",\n  \"new\": ");
    fp_json_summary(out, &s[1]->summary);
    fprintf(out, ",\n");
    for (int sd = 0; sd < 2; sd++) {
        fprintf(out, "  \"%s_page_faults\": {\"mode\": \"%s\", \"period\": %llu, "
                "\"estimated_minor_faults\": %llu, \"estimated_major_faults\": %llu},\n",
                sd ? "new" : "base", s[sd]->fault_info.mode == FP_FAULTS_PERF ? "perf" : "rusage",
                (unsigned long long)s[sd]->fault_info.period,
                (unsigned long long)s[sd]->fault_info.est_minor,
                (unsigned long long)s[sd]->fault_info.est_major);
    }
    fprintf(out, "  \"fault_classes\": [");
    for (uint32_t i = 0; i < d->nclasses; i++) {
        const struct fp_diff_class *x = &d->classes[i];
        char fr[1024] = "";
        if (x->site) {
            const char *nl = strchr(x->site->key, '\n');
            fp_diff_key_frame(x->site->key, nl ? (size_t)(nl - x->site->key) : strlen(x->site->key),
                              fr, sizeof(fr), 0);
        }
        fprintf(out, "%s\n    {\"class\": \"%s\", \"base\": %llu, \"new\": %llu, "
                "\"delta\": %lld, \"site\": ", i ? "," : "", fp_fclass_name(x->cls),
                (unsigned long long)x->faults[0], (unsigned long long)x->faults[1],
                (long long)x->delta);
        fp_json_str(out, fr);
        fprintf(out, ", \"site_delta\": %lld, \"site_share\": %.4f}", (long long)x->site_delta,
                x->site_share);
    }
    fprintf(out, "\n  ],\n");
    dsites_json(out, "sites", &d->sites, o);
    fprintf(out, ",\n");
    dsites_json(out, "fault_sites", &d->faults, o);
    fprintf(out, "\n}\n");
    return ferror(out) ? -1 : 0;
}
