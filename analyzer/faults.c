/* faults: the page-fault part of a report.  Fault sources are the fault
 * stacks (faulting function, then its callers) ranked by estimated faults
 * (samples x weight); faults by memory are the allocation sites whose blocks
 * the sampled addresses fell in, then the regions for the rest.  The exact
 * totals (getrusage) are printed beside the estimates so the user sees the
 * precision. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

void fp_fault_info_compute(const struct fp_model *m, struct fp_fault_info *fi)
{
    memset(fi, 0, sizeof(*fi));
    struct fp_summary s;
    fp_summary_compute(m, &s);
    fi->exact_minor = s.minor_faults;
    fi->exact_major = s.major_faults;
    int any_perf = 0;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        fi->samples += p->fault_samples;
        fi->unrecorded += p->fault_unrecorded;
        fi->est_minor += p->fault_minor_w;
        fi->est_major += p->fault_major_w;
        if (p->fault_samples || p->fault_mode == 1)
            any_perf = 1;
        if (p->fault_period && !fi->period)
            fi->period = p->fault_period;
        if (p->fault_error && !fi->error)
            fi->error = p->fault_error;
        for (int r = 0; r < FP_REGION_COUNT; r++) {
            fi->region_minor[r] += p->region_minor[r];
            fi->region_major[r] += p->region_major[r];
            fi->region_samples[r] += p->region_samples[r];
        }
    }
    fi->mode = any_perf ? 1 : 2;
}

const char *fp_fault_mode_text(const struct fp_fault_info *fi, char *buf, size_t n)
{
    if (fi->mode == 1) {
        int k = snprintf(buf, n, "sampled with perf events");
        if (fi->period && k >= 0 && (size_t)k < n)
            snprintf(buf + k, n - (size_t)k, ", period %llu", (unsigned long long)fi->period);
    } else {
        snprintf(buf, n, "counted with getrusage only: %s",
                 fi->error ? fi->error : "no FAULT records in the trace (perf events unavailable "
                 "or the recorder predates sampling)");
    }
    return buf;
}

int fp_metric_is_fault(int metric)
{
    return metric == FP_METRIC_FAULTS || metric == FP_METRIC_MINOR_FAULTS ||
           metric == FP_METRIC_MAJOR_FAULTS;
}

/* Besides the allocator's entry points, a fault source folds glibc malloc's
 * internals and the string functions: a fault in memset or in sysmalloc's
 * write of the top chunk's header is its caller's. */
static const char *const fault_patterns[] = {
    "_int_malloc", "_int_free", "_int_realloc", "_int_memalign", "sysmalloc", "systrim",
    "malloc_consolidate", "tcache_*", "__GI___libc_*", "__libc_calloc", "*_libc_malloc",
    "__mem*_avx*", "__mem*_sse*", "__mem*_evex*", "__mem*_erms", "memset", "memcpy", "memmove",
    "__memset*", "__memcpy*", "__memmove*", "__GI_mem*",
};

int fp_fault_sites_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                         const struct fp_opts *o)
{
    struct fp_filter f = { 0 };
    if (o->filter && o->filter->enabled) {
        f.enabled = 1;
        for (size_t i = 0; i < o->filter->n; i++)
            if (fp_filter_add(&f, o->filter->patterns[i]) < 0)
                goto oom;
        for (size_t i = 0; i < sizeof(fault_patterns) / sizeof(fault_patterns[0]); i++)
            if (fp_filter_add(&f, fault_patterns[i]) < 0)
                goto oom;
    }
    if (fp_sites_build_faults(out, m, syms, &f, o->by) < 0)
        goto oom;
    fp_filter_free(&f);
    fp_sites_sort(out, FP_METRIC_FAULTS);
    return 0;
oom:
    fp_filter_free(&f);
    return -1;
}

int64_t fp_fault_top_toucher(const struct fp_model *m, const struct fp_sites *alloc,
                             const struct fp_sites *faults, uint32_t a, double *share)
{
    *share = 0;
    if (!m->fault_pairs.s || !faults->n)
        return -1;
    uint64_t *tally = calloc(faults->n, sizeof(*tally));
    if (!tally)
        return -1;
    uint64_t total = 0;
    for (size_t i = 0; i <= m->fault_pairs.mask; i++) {
        const struct hmap_slot *sl = &m->fault_pairs.s[i];
        if (!sl->key)
            continue;
        uint32_t as = (uint32_t)(sl->key >> 32) - 1, fs = (uint32_t)sl->key - 1;
        if (fp_sites_of_raw(alloc, as) != (int64_t)a)
            continue;
        int64_t f = fp_sites_of_raw(faults, fs);
        if (f < 0)
            continue;
        tally[f] += sl->val;
        total += sl->val;
    }
    int64_t best = -1;
    for (uint32_t i = 0; i < faults->n; i++)
        if (tally[i] && (best < 0 || tally[i] > tally[best]))
            best = i;
    if (best >= 0)
        *share = (double)tally[best] / (double)total;
    free(tally);
    return best;
}

const char *fp_site_name(const struct fp_sites *s, int64_t i, char *buf, size_t n)
{
    if (i < 0 || (uint64_t)i >= s->n) {
        snprintf(buf, n, "?");
        return buf;
    }
    const struct fp_site *st = &s->v[i];
    if (!st->nframes) {
        snprintf(buf, n, "[no stack]");
        return buf;
    }
    return fp_fmt_frame(fp_syms_frame(s->syms, fp_site_frames(s, st)[0]), buf, n, 0);
}

static const char *pct(uint64_t a, uint64_t b, char *buf, size_t n)
{
    snprintf(buf, n, "%.1f%%", b ? 100.0 * (double)a / (double)b : 0.0);
    return buf;
}

/* Fault sources: faults, samples, the faulting function, then callers. */
static void list_text(FILE *out, const struct fp_sites *list, uint32_t top, int depth)
{
    fprintf(out, "%4s %10s %8s %8s  %s\n", "#", "minor", "major", "samples",
            "function <- callers");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < list->n && shown < top; i++) {
        const struct fp_site *st = &list->v[i];
        if (!st->c.minor_faults && !st->c.major_faults)
            break;
        char a[32], b[32], cell[512];
        shown++;
        fprintf(out, "%4u %10s %8s %8llu  %s\n", shown, fp_fmt_count(st->c.minor_faults, a,
                sizeof(a)), fp_fmt_count(st->c.major_faults, b, sizeof(b)),
                (unsigned long long)st->c.fault_samples, fp_site_name(list, i, cell, sizeof(cell)));
        const uint32_t *fr = fp_site_frames(list, st);
        for (uint32_t k = 1; k < st->nframes && (int)k <= depth; k++) {
            const struct fp_frame *f = fp_syms_frame(list->syms, fr[k - 1]);
            if (f->func && !strcmp(f->func, "main"))
                break;
            fprintf(out, "%35s<- %s\n", "", fp_fmt_frame(fp_syms_frame(list->syms, fr[k]), cell,
                                                         sizeof(cell), 0));
        }
    }
    if (!shown)
        fprintf(out, "%4s (none)\n", "");
}

void fp_faults_text(FILE *out, const struct fp_model *m, const struct fp_sites *alloc,
                    const struct fp_sites *faults, const struct fp_opts *o)
{
    struct fp_fault_info fi;
    char mode[400], a[32], b[32];
    fp_fault_info_compute(m, &fi);
    uint32_t top = o->top > 0 && o->top < 10 ? (uint32_t)o->top : 10;
    fprintf(out, "\nPage faults: %s\n", fp_fault_mode_text(&fi, mode, sizeof(mode)));
    if (fi.mode == 1) {
        fprintf(out, "  exact (getrusage): minor %llu, major %llu; estimated from %llu samples: "
                "minor %llu, major %llu\n", (unsigned long long)fi.exact_minor,
                (unsigned long long)fi.exact_major, (unsigned long long)fi.samples,
                (unsigned long long)fi.est_minor, (unsigned long long)fi.est_major);
        if (fi.unrecorded)
            fprintf(out, "  %llu more samples hit the recorder itself (not attributed)\n",
                    (unsigned long long)fi.unrecorded);
        fprintf(out, "\nFault sources (code that took them; samples x period):\n");
        list_text(out, faults, top, o->depth);
        /* allocation sites by the faults on their blocks */
        fprintf(out, "\nFaults by memory (the allocation whose block was touched):\n");
        uint32_t *order = malloc((alloc->n ? alloc->n : 1) * sizeof(*order));
        if (order) {
            uint32_t n = alloc->n;
            for (uint32_t i = 0; i < n; i++)
                order[i] = i;
            /* the top few by faults, selected in place (alloc keeps its order:
             * the toucher lookups index it) */
            for (uint32_t i = 0; i < n && i < top; i++) {
                uint32_t best = i;
                for (uint32_t j = i + 1; j < n; j++)
                    if (fp_metric_value(&alloc->v[order[j]].c, FP_METRIC_FAULTS) >
                        fp_metric_value(&alloc->v[order[best]].c, FP_METRIC_FAULTS))
                        best = j;
                uint32_t t = order[i];
                order[i] = order[best];
                order[best] = t;
            }
            fprintf(out, "%4s %10s %8s %8s  %s\n", "#", "minor", "major", "samples",
                    "allocation site <- caller");
            uint32_t shown = 0;
            for (uint32_t i = 0; i < n && shown < top; i++) {
                const struct fp_site *st = &alloc->v[order[i]];
                if (!st->c.minor_faults && !st->c.major_faults)
                    break;
                char cell[512];
                shown++;
                fprintf(out, "%4u %10s %8s %8llu  %s\n", shown,
                        fp_fmt_count(st->c.minor_faults, a, sizeof(a)),
                        fp_fmt_count(st->c.major_faults, b, sizeof(b)),
                        (unsigned long long)st->c.fault_samples,
                        fp_site_name(alloc, order[i], cell, sizeof(cell)));
                if (st->nframes > 1 && o->by == FP_BY_SITE) {
                    const uint32_t *fr = fp_site_frames(alloc, st);
                    fprintf(out, "%35s<- %s\n", "", fp_fmt_frame(fp_syms_frame(alloc->syms,
                            fr[1]), cell, sizeof(cell), 0));
                }
                double share;
                int64_t t = fp_fault_top_toucher(m, alloc, faults, order[i], &share);
                if (t >= 0)
                    fprintf(out, "%35stouched by %s (%.0f%% of its samples)\n", "",
                            fp_site_name(faults, t, cell, sizeof(cell)), share * 100);
            }
            if (!shown)
                fprintf(out, "%4s (no sampled fault fell in an allocated block)\n", "");
            free(order);
        }
        uint64_t tot = 0;
        for (int r = 0; r < FP_REGION_COUNT; r++)
            tot += fi.region_minor[r] + fi.region_major[r];
        fprintf(out, "  by region:");
        int first = 1;
        for (int r = 0; r < FP_REGION_COUNT; r++) {
            uint64_t v = fi.region_minor[r] + fi.region_major[r];
            if (!v)
                continue;
            fprintf(out, "%s %s %s (%s)", first ? "" : ",", fp_region_name(r),
                    fp_fmt_count(v, a, sizeof(a)), pct(v, tot, b, sizeof(b)));
            first = 0;
        }
        if (first)
            fprintf(out, " (no samples)");
        fputc('\n', out);
        for (uint32_t i = 0; i < m->nprocs; i++)
            for (uint32_t k = 0; k < m->procs[i].nmods; k++) {
                const struct fp_module *md = &m->procs[i].mods[k];
                if (!md->minor_faults && !md->major_faults)
                    continue;
                const char *base = strrchr(md->path, '/');
                fprintf(out, "    module %s: minor %llu, major %llu\n", base ? base + 1 : md->path,
                        (unsigned long long)md->minor_faults, (unsigned long long)md->major_faults);
            }
        for (uint32_t i = 0; i < m->nprocs; i++)
            for (uint32_t k = 0; k < m->procs[i].nfiles; k++) {
                const struct fp_fault_file *ff = &m->procs[i].files[k];
                if (ff->minor_faults || ff->major_faults)
                    fprintf(out, "    file %s: minor %llu, major %llu\n", ff->path,
                            (unsigned long long)ff->minor_faults,
                            (unsigned long long)ff->major_faults);
            }
    } else {
        fprintf(out, "  minor %llu, major %llu for the whole run; which code took them is not "
                "known without\n  sampling.  Allocation sites below carry the faults counted while "
                "their call was the\n  thread's last one (coarse: --sort faults ranks them).\n",
                (unsigned long long)fi.exact_minor, (unsigned long long)fi.exact_major);
    }
}

static void frame_json(FILE *out, const struct fp_sites *s, const struct fp_site *st)
{
    const uint32_t *fr = fp_site_frames(s, st);
    const struct fp_frame *f0 = st->nframes ? fp_syms_frame(s->syms, fr[0]) : NULL;
    char nb[128], fb[1024];
    fprintf(out, "{\"function\": ");
    fp_json_str(out, f0 ? fp_frame_name(f0, nb, sizeof(nb)) : "[no stack]");
    fprintf(out, ", \"file\": ");
    fp_json_str(out, f0 && f0->file ? f0->file : "");
    fprintf(out, ", \"line\": %u, \"module\": ", f0 ? f0->line : 0);
    fp_json_str(out, f0 && f0->module ? f0->module : "");
    fprintf(out, ",\n     \"stack\": [");
    for (uint32_t k = 0; k < st->nframes; k++) {
        if (k)
            fprintf(out, ", ");
        fp_json_str(out, fp_fmt_frame(fp_syms_frame(s->syms, fr[k]), fb, sizeof(fb), 1));
    }
    fprintf(out, "]");
}

void fp_faults_json(FILE *out, const struct fp_model *m, const struct fp_sites *faults,
                    const struct fp_opts *o)
{
    struct fp_fault_info fi;
    char mode[400];
    fp_fault_info_compute(m, &fi);
    fprintf(out, "  \"page_faults\": {\"mode\": \"%s\", \"period\": %llu, \"description\": ",
            fi.mode == 1 ? "perf" : "rusage", (unsigned long long)fi.period);
    fp_json_str(out, fp_fault_mode_text(&fi, mode, sizeof(mode)));
    fprintf(out, ", \"error\": ");
    fp_json_str(out, fi.error ? fi.error : "");
    fprintf(out, ",\n    \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu, "
            "\"estimated_minor_faults\": %llu, \"estimated_major_faults\": %llu, "
            "\"unrecorded_samples\": %llu},\n",
            (unsigned long long)fi.exact_minor, (unsigned long long)fi.exact_major,
            (unsigned long long)fi.samples, (unsigned long long)fi.est_minor,
            (unsigned long long)fi.est_major, (unsigned long long)fi.unrecorded);
    fprintf(out, "  \"fault_sites\": [");
    uint32_t n = o->top_set && o->top > 0 && (uint32_t)o->top < faults->n ? (uint32_t)o->top
                                                                       : faults->n;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_site *st = &faults->v[i];
        fprintf(out, "%s\n    ", i ? "," : "");
        frame_json(out, faults, st);
        fprintf(out, ",\n     \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu}",
                (unsigned long long)st->c.minor_faults, (unsigned long long)st->c.major_faults,
                (unsigned long long)st->c.fault_samples);
    }
    fprintf(out, "\n  ],\n  \"fault_regions\": [");
    for (int r = 0; r < FP_REGION_COUNT; r++) {
        fprintf(out, "%s\n    {\"region\": \"%s\", \"description\": ", r ? "," : "",
                fp_region_name(r));
        fp_json_str(out, fp_region_desc(r));
        fprintf(out, ", \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu}",
                (unsigned long long)fi.region_minor[r], (unsigned long long)fi.region_major[r],
                (unsigned long long)fi.region_samples[r]);
    }
    fprintf(out, "\n  ],\n  \"fault_modules\": [");
    int first = 1;
    for (uint32_t i = 0; i < m->nprocs; i++)
        for (uint32_t k = 0; k < m->procs[i].nmods; k++) {
            const struct fp_module *md = &m->procs[i].mods[k];
            if (!md->minor_faults && !md->major_faults)
                continue;
            fprintf(out, "%s\n    {\"pid\": %llu, \"module\": ", first ? "" : ",",
                    (unsigned long long)m->procs[i].pid);
            fp_json_str(out, md->path);
            fprintf(out, ", \"minor_faults\": %llu, \"major_faults\": %llu}",
                    (unsigned long long)md->minor_faults, (unsigned long long)md->major_faults);
            first = 0;
        }
    fprintf(out, "\n  ],\n  \"fault_files\": [");
    first = 1;
    for (uint32_t i = 0; i < m->nprocs; i++)
        for (uint32_t k = 0; k < m->procs[i].nfiles; k++) {
            const struct fp_fault_file *ff = &m->procs[i].files[k];
            if (!ff->minor_faults && !ff->major_faults)
                continue;
            fprintf(out, "%s\n    {\"pid\": %llu, \"path\": ", first ? "" : ",",
                    (unsigned long long)m->procs[i].pid);
            fp_json_str(out, ff->path);
            fprintf(out, ", \"minor_faults\": %llu, \"major_faults\": %llu}",
                    (unsigned long long)ff->minor_faults, (unsigned long long)ff->major_faults);
            first = 0;
        }
    fprintf(out, "\n  ],\n");
}

int fp_faults_folded(FILE *out, const struct fp_sites *faults, int metric)
{
    struct fp_opts o;
    memset(&o, 0, sizeof(o));
    o.metric = metric;
    return fp_report_folded(out, NULL, faults, &o);
}
