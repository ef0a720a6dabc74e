/* report_json: --format json, the schema documented in faultprof-report(1):
 * summary, diagnoses, page faults, processes, allocation_sites (sorted by
 * --sort), threads and size classes, printed from the report model.  Numbers
 * are integers except the *_seconds fields. */
#include "report.h"

#include <string.h>

#include "faultprof/trace.h"

static void kv_u(FILE *out, const char *k, uint64_t v, int comma)
{
    fprintf(out, "\"%s\": %llu%s", k, (unsigned long long)v, comma ? ", " : "");
}

void fp_json_summary(FILE *out, const struct fp_summary *s)
{
    fprintf(out, "{");
    fprintf(out, "\"command\": ");
    fp_json_str(out, s->command);
    fprintf(out, ", \"exe\": ");
    fp_json_str(out, s->exe);
    fprintf(out, ",\n    ");
    kv_u(out, "pid", s->pid, 1);
    kv_u(out, "processes", s->processes, 1);
    kv_u(out, "threads", s->threads, 1);
    kv_u(out, "records", s->records, 0);
    fprintf(out, ",\n    ");
    kv_u(out, "allocations", s->allocations, 1);
    kv_u(out, "frees", s->frees, 1);
    kv_u(out, "bytes_allocated", s->bytes_allocated, 1);
    kv_u(out, "reallocs", s->reallocs, 1);
    kv_u(out, "failed_allocations", s->failed_allocs, 1);
    kv_u(out, "unmatched_frees", s->unknown_frees, 0);
    fprintf(out, ",\n    \"attached\": %s, ", s->attached ? "true" : "false");
    kv_u(out, "pauses", s->pauses, 1);
    fprintf(out, "\"paused_seconds\": %.9f, ", s->paused_seconds);
    kv_u(out, "paused_minor_faults", s->paused_minor_faults, 1);
    kv_u(out, "paused_major_faults", s->paused_major_faults, 0);
    fprintf(out, ",\n    ");
    kv_u(out, "peak_heap_bytes", s->peak_heap_bytes, 1);
    kv_u(out, "peak_heap_blocks", s->peak_blocks, 1);
    fprintf(out, "\"peak_heap_seconds\": %.9f, ", (double)s->peak_t_ns / 1e9);
    kv_u(out, "leaked_blocks", s->leaked_blocks, 1);
    kv_u(out, "leaked_bytes", s->leaked_bytes, 0);
    fprintf(out, ",\n    ");
    kv_u(out, "temporary_allocations", s->temporary_allocations, 1);
    kv_u(out, "mmapped_allocations", s->mmapped_allocations, 1);
    kv_u(out, "mmapped_bytes", s->mmapped_bytes, 1);
    fprintf(out, "\"average_lifetime_ns\": %.0f", s->avg_lifetime_ns);
    fprintf(out, ",\n    ");
    kv_u(out, "mmap_calls", s->mmap_calls, 1);
    kv_u(out, "mmap_bytes", s->mmap_bytes, 1);
    kv_u(out, "munmap_calls", s->munmap_calls, 1);
    kv_u(out, "munmap_bytes", s->munmap_bytes, 1);
    kv_u(out, "mremap_calls", s->mremap_calls, 1);
    kv_u(out, "brk_calls", s->brk_calls, 1);
    kv_u(out, "brk_growth_bytes", s->brk_growth_bytes, 0);
    fprintf(out, ",\n    ");
    kv_u(out, "minor_faults", s->minor_faults, 1);
    kv_u(out, "major_faults", s->major_faults, 1);
    kv_u(out, "fault_samples", s->fault_samples, 1);
    kv_u(out, "fault_samples_unrecorded", s->fault_samples_unrecorded, 1);
    kv_u(out, "dropped_calls", s->dropped_calls, 0);
    fprintf(out, ",\n    ");
    kv_u(out, "sampled_bytes", s->sampled_bytes, 0);
    fprintf(out, ", \"estimated\": %s", s->estimated ? "true" : "false");
    fprintf(out, ",\n    ");
    fprintf(out, "\"wall_seconds\": %.6f, \"user_seconds\": %.6f, \"sys_seconds\": %.6f, ",
            s->wall_seconds, s->user_seconds, s->sys_seconds);
    kv_u(out, "max_rss_kb", s->max_rss_kb, 1);
    kv_u(out, "voluntary_context_switches", s->nvcsw, 1);
    kv_u(out, "involuntary_context_switches", s->nivcsw, 0);
    fprintf(out, ", \"exited\": %s, \"truncated\": %s}", s->has_end ? "true" : "false",
            s->truncated ? "true" : "false");
}

/* The run read: its manifest's figures (null when traces were given). */
static void run_json(FILE *out, const struct fp_report *r)
{
    const struct fp_run *run = r->run;
    fprintf(out, "  \"run\": ");
    if (!run || !run->has_manifest) {
        fprintf(out, "null,\n");
        return;
    }
    char st[32];
    fprintf(out, "{\"path\": ");
    fp_json_str(out, run->path);
    fprintf(out, ", \"command\": ");
    fp_json_str(out, run->command);
    fprintf(out, ", \"cwd\": ");
    fp_json_str(out, run->cwd);
    fprintf(out, ", \"root_pid\": %llu, \"start\": %.9f, \"end\": %.9f, \"wall_seconds\": %.6f, "
            "\"status\": ", (unsigned long long)run->root_pid, run->start, run->end,
            r->summary.wall_seconds);
    fp_json_str(out, fp_run_status_text(run, st, sizeof(st)));
    fprintf(out, ", \"traces\": %u},\n", run->ntraces);
}

/* The processes in tree order (fp_ptree): parent is an index in this list. */
static void processes_json(FILE *out, const struct fp_report *r)
{
    const struct fp_model *m = r->m;
    fprintf(out, "  \"processes\": [");
    for (uint32_t i = 0; i < r->tree.n; i++) {
        const struct fp_ptree_node *nd = &r->tree.v[i];
        const struct fp_proc *p = &m->procs[nd->proc];
        fprintf(out, "%s\n    {", i ? "," : "");
        fprintf(out, "\"root\": %s, \"parent\": %d, \"depth\": %u, \"exec\": %s, "
                "\"wall_seconds\": %.6f, \"cpu_seconds\": %.6f, ", i == r->tree.root ? "true" : "false",
                nd->parent, nd->depth, nd->exec ? "true" : "false", nd->wall_seconds, nd->cpu_seconds);
        kv_u(out, "minor_faults", nd->minor_faults, 1);
        kv_u(out, "major_faults", nd->major_faults, 1);
        kv_u(out, "pid", p->pid, 1);
        kv_u(out, "ppid", p->ppid, 1);
        fprintf(out, "\"fork_child\": %s, \"command\": ",
                (p->flags & FP_PROC_FORK_CHILD) ? "true" : "false");
        fp_json_str(out, p->cmdline);
        fprintf(out, ", \"exe\": ");
        fp_json_str(out, p->exe);
        fprintf(out, ", \"trace\": ");
        fp_json_str(out, p->trace_path);
        fprintf(out, ", ");
        kv_u(out, "allocations", p->allocs, 1);
        kv_u(out, "frees", p->frees, 1);
        kv_u(out, "bytes_allocated", p->bytes, 1);
        kv_u(out, "peak_heap_bytes", p->peak_bytes, 1);
        kv_u(out, "leaked_bytes", p->leaked_bytes, 1);
        kv_u(out, "forks", p->forks, 1);
        kv_u(out, "execs", p->execs, 0);
        fprintf(out, ", \"truncated\": %s, \"notes\": {", p->truncated ? "true" : "false");
        for (const struct fp_note *n = p->notes; n; n = n->next) {
            fp_json_str(out, n->key);
            fprintf(out, ": ");
            fp_json_str(out, n->value);
            if (n->next)
                fprintf(out, ", ");
        }
        fprintf(out, "}}");
    }
    fprintf(out, "\n  ],\n");
}

/* "function", "file", "line", "module" and "stack" of a site (an open object) */
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

/* "fault_classes": {"class": faults, ...}, the classes with faults only */
static void classes_json(FILE *out, const struct fp_counts *c)
{
    fprintf(out, "\n     \"fault_classes\": {");
    int first = 1;
    for (int k = 0; k < FP_FCLASS_COUNT; k++) {
        if (!c->class_faults[k])
            continue;
        fprintf(out, "%s\"%s\": %llu", first ? "" : ", ", fp_fclass_name(k),
                (unsigned long long)c->class_faults[k]);
        first = 0;
    }
    fprintf(out, "}");
}

static void sites_json(FILE *out, const struct fp_sites *sites, const struct fp_opts *o)
{
    uint32_t n = o->top_set && o->top > 0 && (uint32_t)o->top < sites->n ? (uint32_t)o->top
                                                                     : sites->n;
    fprintf(out, "  \"sort\": \"%s\", \"by\": \"%s\",\n", fp_metric_name(o->sort),
            o->by == FP_BY_FUNCTION ? "function" : "site");
    fprintf(out, "  \"allocation_sites\": [");
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_site *st = &sites->v[i];
        fprintf(out, "%s\n    ", i ? "," : "");
        frame_json(out, sites, st);
        const struct fp_counts *c = &st->c;
        fprintf(out, ",\n     ");
        kv_u(out, "allocations", c->allocs, 1);
        kv_u(out, "bytes", c->bytes, 1);
        kv_u(out, "frees", c->frees, 1);
        kv_u(out, "peak_bytes", c->peak_bytes, 1);
        kv_u(out, "leaked_blocks", c->leaked_blocks, 1);
        kv_u(out, "leaked_bytes", c->leaked_bytes, 1);
        kv_u(out, "temporary", c->temporary, 1);
        fprintf(out, "\n     ");
        kv_u(out, "mmapped", c->mmapped, 1);
        kv_u(out, "mmapped_bytes", c->mmapped_bytes, 1);
        kv_u(out, "reallocs", c->reallocs, 1);
        kv_u(out, "realloc_chain_max", c->realloc_chain_max, 1);
        fprintf(out, "\"average_lifetime_ns\": %.0f, ",
                c->lifetime_n ? (double)c->lifetime_ns / (double)c->lifetime_n : 0.0);
        fprintf(out, "\n     ");
        kv_u(out, "minor_faults", c->minor_faults, 1);
        kv_u(out, "major_faults", c->major_faults, 1);
        kv_u(out, "fault_samples", c->fault_samples, 1);
        kv_u(out, "call_minor_faults", c->minflt, 1);
        kv_u(out, "call_major_faults", c->majflt, 1);
        kv_u(out, "refaults", c->refaults, 1);
        kv_u(out, "mmap_faults", c->mmap_faults, 1);
        kv_u(out, "realloc_copied_bytes", c->realloc_copied, 1);
        kv_u(out, "mmap_calls", c->map_calls, 1);
        kv_u(out, "mmap_bytes", c->map_bytes, 1);
        classes_json(out, c);
        fprintf(out, ", ");
        kv_u(out, "folded_frames", st->folded, 0);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

static void threads_json(FILE *out, const struct fp_model *m)
{
    fprintf(out, "  \"threads\": [");
    for (uint32_t i = 0; i < m->nthreads; i++) {
        const struct fp_model_thread *t = &m->threads[i];
        fprintf(out, "%s\n    {", i ? "," : "");
        kv_u(out, "pid", m->procs[t->proc].pid, 1);
        kv_u(out, "tid", t->tid, 1);
        fprintf(out, "\"name\": ");
        fp_json_str(out, t->name);
        fprintf(out, ", ");
        kv_u(out, "allocations", t->allocs, 1);
        kv_u(out, "bytes", t->bytes, 1);
        kv_u(out, "frees", t->frees, 1);
        kv_u(out, "temporary", t->temporary, 1);
        kv_u(out, "leaked_blocks", t->leaked_blocks, 1);
        kv_u(out, "leaked_bytes", t->leaked_bytes, 1);
        kv_u(out, "minor_faults", t->minflt, 1);
        kv_u(out, "major_faults", t->majflt, 1);
        kv_u(out, "user_ns", t->utime_ns, 1);
        kv_u(out, "sys_ns", t->stime_ns, 0);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

static void size_classes_json(FILE *out, const struct fp_model *m)
{
    fprintf(out, "  \"size_classes\": [");
    int first = 1;
    for (unsigned k = 0; k < FP_SIZE_CLASSES; k++) {
        if (!m->size_class_allocs[k])
            continue;
        fprintf(out, "%s\n    {", first ? "" : ",");
        first = 0;
        /* class k holds sizes in [2^(k-1), 2^k) */
        kv_u(out, "min_bytes", k ? 1ULL << (k - 1) : 0, 1);
        kv_u(out, "max_bytes", k ? (k < 64 ? (1ULL << k) - 1 : UINT64_MAX) : 0, 1);
        kv_u(out, "allocations", m->size_class_allocs[k], 1);
        kv_u(out, "bytes", m->size_class_bytes[k], 0);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ]\n");
}

/* The fault sources, first frame and stack each. */
static void fault_sources_json(FILE *out, const struct fp_report *r)
{
    const struct fp_sites *faults = &r->fault_sources;
    const struct fp_opts *o = r->o;
    fprintf(out, "  \"fault_sites\": [");
    uint32_t n = o->top_set && o->top > 0 && (uint32_t)o->top < faults->n ? (uint32_t)o->top
                                                                       : faults->n;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_site *st = &faults->v[i];
        fprintf(out, "%s\n    ", i ? "," : "");
        frame_json(out, faults, st);
        fprintf(out, ",\n     \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu, ",
                (unsigned long long)st->c.minor_faults, (unsigned long long)st->c.major_faults,
                (unsigned long long)st->c.fault_samples);
        classes_json(out, &st->c);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

/* The fault classes, most faults first, with their sites and advice. */
static void fclasses_json(FILE *out, const struct fp_report *r)
{
    const struct fp_fclasses *fc = &r->classes;
    char cell[512];
    fprintf(out, "  \"fault_classes\": {\"estimated_faults\": %llu, \"rule\": ",
            (unsigned long long)fc->total);
    fp_json_str(out, fc->rule);
    fprintf(out, ", \"classes\": [");
    for (uint32_t i = 0; i < fc->n; i++) {
        const struct fp_fclass_row *x = &fc->v[i];
        fprintf(out, "%s\n    {\"class\": \"%s\", \"title\": ", i ? "," : "",
                fp_fclass_name(x->cls));
        fp_json_str(out, fp_fclass_title(x->cls));
        fprintf(out, ", \"faults\": %llu, \"samples\": %llu, \"share\": %.4f, "
                "\"confidence\": \"%s\",\n     \"sites\": [", (unsigned long long)x->faults,
                (unsigned long long)x->samples, x->share, x->confidence);
        for (uint32_t k = 0; k < x->nsites; k++) {
            fprintf(out, "%s{\"function\": ", k ? ", " : "");
            fp_json_str(out, fp_site_name(&r->sites, x->sites[k], cell, sizeof(cell)));
            fprintf(out, ", \"faults\": %llu}", (unsigned long long)x->site_faults[k]);
        }
        fprintf(out, "], \"fault_site\": ");
        fp_json_str(out, x->source >= 0 ? fp_site_name(&r->fault_sources, x->source, cell,
                                                       sizeof(cell)) : "");
        fprintf(out, ", \"fault_site_faults\": %llu,\n     \"evidence\": ",
                (unsigned long long)x->source_faults);
        fp_json_str(out, x->evidence);
        fprintf(out, ",\n     \"advice\": ");
        fp_json_str(out, x->advice);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ]},\n");
}

/* Sampled faults by region, module and file. */
static void regions_json(FILE *out, const struct fp_report *r)
{
    const struct fp_fault_info *fi = &r->fault_info;
    const struct fp_model *m = r->m;
    fprintf(out, "  \"fault_regions\": [");
    for (int k = 0; k < FP_REGION_COUNT; k++) {
        fprintf(out, "%s\n    {\"region\": \"%s\", \"description\": ", k ? "," : "",
                fp_region_name(k));
        fp_json_str(out, fp_region_desc(k));
        fprintf(out, ", \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu}",
                (unsigned long long)fi->region_minor[k], (unsigned long long)fi->region_major[k],
                (unsigned long long)fi->region_samples[k]);
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

/* The page-fault part: mode, totals, fault sites, regions, modules, files. */
static void faults_json(FILE *out, const struct fp_report *r)
{
    const struct fp_fault_info *fi = &r->fault_info;
    char mode[400];
    fprintf(out, "  \"page_faults\": {\"mode\": \"%s\", \"period\": %llu, \"description\": ",
            fi->mode == FP_FAULTS_PERF ? "perf" : "rusage", (unsigned long long)fi->period);
    fp_json_str(out, fp_fault_mode_text(fi, mode, sizeof(mode)));
    fprintf(out, ", \"error\": ");
    fp_json_str(out, fi->error ? fi->error : "");
    fprintf(out, ",\n    \"minor_faults\": %llu, \"major_faults\": %llu, \"samples\": %llu, "
            "\"estimated_minor_faults\": %llu, \"estimated_major_faults\": %llu, "
            "\"unrecorded_samples\": %llu, \"late_samples\": %llu},\n",
            (unsigned long long)fi->exact_minor, (unsigned long long)fi->exact_major,
            (unsigned long long)fi->samples, (unsigned long long)fi->est_minor,
            (unsigned long long)fi->est_major, (unsigned long long)fi->unrecorded,
            (unsigned long long)fi->late);
    fclasses_json(out, r);
    fault_sources_json(out, r);
    regions_json(out, r);
}

static void diags_json(FILE *out, const struct fp_report *r)
{
    const struct fp_diags *d = &r->diags;
    fprintf(out, "  \"diagnoses\": [");
    for (size_t i = 0; i < d->n; i++) {
        const struct fp_diag *x = &d->v[i];
        char w[1100], f[512], s[64];
        fprintf(out, "%s\n    {\"kind\": \"%s\", \"title\": ", i ? "," : "", fp_diag_name(x->kind));
        fp_json_str(out, fp_diag_title(x->kind));
        fprintf(out, ", \"allocation_site\": ");
        fp_json_str(out, fp_diag_where(&r->sites, x->site, w, sizeof(w)));
        fprintf(out, ", \"function\": ");
        fp_json_str(out, x->fault_site >= 0 ? fp_site_name(&r->fault_sources, x->fault_site, f,
                                                         sizeof(f))
                                            : "");
        fprintf(out, ",\n     \"count\": %llu, \"bytes\": %llu, \"faults\": %llu, "
                "\"saving\": %llu, \"saving_text\": ", (unsigned long long)x->count,
                (unsigned long long)x->bytes, (unsigned long long)x->faults,
                (unsigned long long)x->saving);
        fp_json_str(out, fp_diag_saving_text(x, s, sizeof(s)));
        fprintf(out, ",\n     \"evidence\": ");
        fp_json_str(out, x->evidence);
        fprintf(out, ",\n     \"advice\": ");
        fp_json_str(out, x->advice);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

int fp_report_json(FILE *out, const struct fp_report *r)
{
    fprintf(out, "{\n  \"faultprof_report\": 1,\n");
    fprintf(out, "  \"summary\": ");
    fp_json_summary(out, &r->summary);
    fprintf(out, ",\n");
    diags_json(out, r);
    faults_json(out, r);
    run_json(out, r);
    processes_json(out, r);
    sites_json(out, &r->sites, r->o);
    threads_json(out, r->m);
    size_classes_json(out, r->m);
    fprintf(out, "}\n");
    return ferror(out) ? -1 : 0;
}
