/* report_diff_json: --diff --format json — both summaries (medians over a
 * side's runs), the runs, every figure with its spread and significance,
 * the culprit, the programs, both sides' fault modes, then the matched
 * sites and fault sources, each with its base, new and delta counts and
 * each side's smallest and largest run.  Prints the diff model only. */
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

static void dsites_json(FILE *out, const char *name, const struct fp_diff *df,
                        const struct fp_diff_sites *t, const struct fp_opts *o)
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
        fprintf(out, ",\n     \"base_min\": ");
        counts_json(out, &d->lo[0]);
        fprintf(out, ",\n     \"base_max\": ");
        counts_json(out, &d->hi[0]);
        fprintf(out, ",\n     \"new_min\": ");
        counts_json(out, &d->lo[1]);
        fprintf(out, ",\n     \"new_max\": ");
        counts_json(out, &d->hi[1]);
        fprintf(out, ",\n     \"significance\": {\"%s\": \"%s\", \"faults\": \"%s\"}",
                fp_metric_name(o->sort), fp_sig_name(fp_diff_site_sig(df, d, o->sort)),
                fp_sig_name(fp_diff_site_sig(df, d, FP_METRIC_FAULTS)));
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

static void stat_json(FILE *out, const struct fp_stat *s)
{
    fprintf(out, "{\"median\": %.15g, \"min\": %.15g, \"max\": %.15g, \"spread\": %.15g, \"runs\": %u}",
            s->median, s->min, s->max, s->max - s->min, s->n);
}

static void figures_json(FILE *out, const struct fp_diff *d)
{
    fprintf(out, "  \"figures\": {");
    for (int f = 0; f < FP_FIG_COUNT; f++) {
        const struct fp_diff_fig *g = &d->fig[f];
        fprintf(out, "%s\n    \"%s\": {\"base\": ", f ? "," : "", fp_fig_key(f));
        stat_json(out, &g->s[0]);
        fprintf(out, ", \"new\": ");
        stat_json(out, &g->s[1]);
        if (g->s[0].median)
            fprintf(out, ", \"ratio\": %.15g", g->s[1].median / g->s[0].median);
        else
            fprintf(out, ", \"ratio\": null");
        fprintf(out, ", \"significance\": \"%s\"}", fp_sig_name(g->sig));
    }
    fprintf(out, "\n  },\n");
}

static void runs_json(FILE *out, const struct fp_diff *d)
{
    fprintf(out, "  \"runs\": {");
    for (int sd = 0; sd < 2; sd++) {
        fprintf(out, "%s\"%s\": [", sd ? ", " : "", sd ? "new" : "base");
        for (uint32_t k = 0; k < d->side[sd].nruns; k++) {
            fprintf(out, "%s", k ? ", " : "");
            fp_json_str(out, d->side[sd].runs[k].run.path);
        }
        fprintf(out, "]");
    }
    fprintf(out, "},\n");
}

/* A site of one side by index, "name (file:line)", or null. */
static void site_ref_json(FILE *out, const struct fp_sites *s, int64_t i)
{
    char b[600];
    if (i < 0) {
        fprintf(out, "null");
        return;
    }
    fp_json_str(out, fp_site_name(s, i, b, sizeof(b)));
}

static void culprit_json(FILE *out, const struct fp_diff *d)
{
    const struct fp_diff_culprit *c = &d->culprit;
    const struct fp_report *nr = &d->side[1].r, *br = &d->side[0].r;
    fprintf(out, "  \"culprit\": {\"fault_source\": ");
    site_ref_json(out, &nr->fault_sources, c->fault_source);
    fprintf(out, ", \"fault_source_faults\": %llu, \"base_fault_source\": ",
            c->fault_source >= 0 ? (unsigned long long)fp_metric_value(
                &nr->fault_sources.v[c->fault_source].c, FP_METRIC_FAULTS) : 0ULL);
    site_ref_json(out, &br->fault_sources, c->base_fault_source);
    fprintf(out, ", \"base_fault_source_match\": \"%s\",\n    \"site\": ", fp_match_name(c->fault_how));
    site_ref_json(out, &nr->sites, c->site);
    fprintf(out, ", \"site_faults\": %llu, \"base_site\": ",
            c->site >= 0 ? (unsigned long long)fp_metric_value(&nr->sites.v[c->site].c,
                                                               FP_METRIC_FAULTS) : 0ULL);
    site_ref_json(out, &br->sites, c->base_site);
    fprintf(out, ", \"base_site_faults\": %llu, \"base_site_match\": \"%s\",\n    \"mechanism\": ",
            c->base_site >= 0 ? (unsigned long long)fp_metric_value(&br->sites.v[c->base_site].c,
                                                                    FP_METRIC_FAULTS) : 0ULL,
            fp_match_name(c->site_how));
    if (c->diag >= 0) {
        fp_json_str(out, fp_diag_name(nr->diags.v[c->diag].kind));
        fprintf(out, ", \"advice\": ");
        fp_json_str(out, nr->diags.v[c->diag].advice);
    } else {
        fprintf(out, "null, \"advice\": null");
    }
    fprintf(out, "},\n");
}

static void progs_json(FILE *out, const struct fp_diff *d)
{
    fprintf(out, "  \"programs\": [");
    for (uint32_t i = 0; i < d->nprogs; i++) {
        const struct fp_diff_prog *p = &d->progs[i];
        fprintf(out, "%s\n    {\"program\": ", i ? "," : "");
        fp_json_str(out, p->key);
        fprintf(out, ", \"in_base\": %s, \"in_new\": %s, \"significance\": \"%s\"",
                p->present[0] ? "true" : "false", p->present[1] ? "true" : "false",
                fp_sig_name(p->sig));
        static const char *const names[] = { "processes", "minor_faults", "allocations", "bytes",
                                             "cpu_seconds" };
        const struct fp_stat *st[] = { p->procs, p->minor_faults, p->allocations, p->bytes,
                                       p->cpu_seconds };
        for (int k = 0; k < 5; k++) {
            fprintf(out, ",\n     \"%s\": {\"base\": ", names[k]);
            stat_json(out, &st[k][0]);
            fprintf(out, ", \"new\": ");
            stat_json(out, &st[k][1]);
            fprintf(out, "}");
        }
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

int fp_diff_json(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    const struct fp_report *s[2] = { &d->side[0].r, &d->side[1].r };
    fprintf(out, "{\n  \"faultprof_diff\": 1,\n  \"metric\": \"%s\", \"normalized\": %s, "
            "\"auto_normalized\": %s,\n", fp_metric_name(o->sort), d->normalized ? "true" : "false",
            d->auto_normalized ? "true" : "false");
    fprintf(out, "  \"names\": {\"base\": %u, \"new\": %u, \"shared\": %u},\n", d->names[0],
            d->names[1], d->names_shared);
    runs_json(out, d);
    fprintf(out, "  \"base\": ");
    fp_json_summary(out, &d->summary[0]);
    fprintf(out, ",\n  \"new\": ");
    fp_json_summary(out, &d->summary[1]);
    fprintf(out, ",\n");
    figures_json(out, d);
    culprit_json(out, d);
    progs_json(out, d);
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
    dsites_json(out, "sites", d, &d->sites, o);
    fprintf(out, ",\n");
    dsites_json(out, "fault_sites", d, &d->faults, o);
    fprintf(out, ",\n");
    dsites_json(out, "program_sites", d, &d->prog_sites, o);
    fprintf(out, ",\n  \"program_sites_of\": ");
    if (d->prog_focus >= 0)
        fp_json_str(out, d->progs[d->prog_focus].key);
    else
        fprintf(out, "null");
    fprintf(out, "\n}\n");
    return ferror(out) ? -1 : 0;
}
