/* report: builds the report model every output prints (summary, sites,
 * fault figures and sources, diagnoses, faults by memory), and small
 * formatting helpers shared by the printers. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fp_summary_compute(const struct fp_model *m, struct fp_summary *s)
{
    memset(s, 0, sizeof(*s));
    s->command = "";
    s->exe = "";
    s->processes = m->nprocs;
    s->records = m->records;
    uint64_t life_ns = 0, life_n = 0;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        if (i == 0) {
            s->command = p->cmdline ? p->cmdline : "";
            s->exe = p->exe ? p->exe : "";
            s->pid = p->pid;
        }
        s->allocations += p->allocs;
        s->frees += p->frees;
        s->bytes_allocated += p->bytes;
        s->reallocs += p->reallocs;
        s->failed_allocs += p->failed_allocs;
        s->unknown_frees += p->unknown_frees;
        /* processes have their own heaps: the summary's peak is the largest */
        if (p->peak_bytes > s->peak_heap_bytes) {
            s->peak_heap_bytes = p->peak_bytes;
            s->peak_blocks = p->peak_blocks;
            s->peak_t_ns = p->peak_t;
        }
        s->leaked_blocks += p->leaked_blocks;
        s->leaked_bytes += p->leaked_bytes;
        s->temporary_allocations += p->temporary;
        s->mmapped_allocations += p->mmapped;
        s->mmapped_bytes += p->mmapped_bytes;
        s->mmap_calls += p->mmap_calls;
        s->mmap_bytes += p->mmap_bytes;
        s->munmap_calls += p->munmap_calls;
        s->munmap_bytes += p->munmap_bytes;
        s->mremap_calls += p->mremap_calls;
        s->brk_calls += p->brk_calls;
        if (p->brk_max > p->brk_first)
            s->brk_growth_bytes += p->brk_max - p->brk_first;
        s->fault_samples += p->fault_samples;
        s->dropped_calls += p->dropped;
        s->fault_samples_unrecorded += p->fault_unrecorded;
        s->pauses += p->pauses;
        s->paused_seconds += p->paused_ns / 1e9;
        s->paused_minor_faults += p->paused_minflt;
        s->paused_major_faults += p->paused_majflt;
        s->attached |= p->attached;
        if (p->sample_bytes) {
            s->estimated = 1;
            if (!s->sampled_bytes)
                s->sampled_bytes = p->sample_bytes;
        }
        life_ns += p->lifetime_ns;
        life_n += p->lifetime_n;
        s->truncated |= p->truncated;
        uint64_t nthreads = 0, tmin = 0, tmaj = 0;
        for (uint32_t k = 0; k < m->nthreads; k++) {
            if (m->threads[k].proc != i)
                continue;
            nthreads++;
            tmin += m->threads[k].minflt;
            tmaj += m->threads[k].majflt;
        }
        if (p->has_end) {
            s->has_end = 1;
            s->minor_faults += p->minflt;
            s->major_faults += p->majflt;
            if (i == 0)
                s->wall_seconds = (double)p->wall_ns / 1e9;
            s->user_seconds += (double)p->utime_ns / 1e9;
            s->sys_seconds += (double)p->stime_ns / 1e9;
            if (p->maxrss_kb > s->max_rss_kb)
                s->max_rss_kb = p->maxrss_kb;
            s->nvcsw += p->nvcsw;
            s->nivcsw += p->nivcsw;
            if (p->threads_total > nthreads)
                nthreads = p->threads_total;
        } else {
            s->minor_faults += tmin;
            s->major_faults += tmaj;
            if (i == 0)
                s->wall_seconds = (double)p->t_last / 1e9;
        }
        s->threads += nthreads;
    }
    s->avg_lifetime_ns = life_n ? (double)life_ns / (double)life_n : 0;
}

struct fp_report_plan fp_report_plan_of(const struct fp_opts *o)
{
    struct fp_report_plan p = { .by = o->by, .sort = o->sort };
    switch (o->format) {
    case FP_FMT_TEXT:
        p.parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES | FP_PART_BY_MEMORY;
        break;
    case FP_FMT_JSON:
        p.parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES;
        break;
    case FP_FMT_HTML:
        p.parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES | FP_PART_BY_MEMORY | FP_PART_FLAMES;
        break;
    case FP_FMT_SPEEDSCOPE:
    case FP_FMT_PPROF:
        p.parts = FP_PART_FAULT_SOURCES;
        break;
    case FP_FMT_SVG:
        p.parts = FP_PART_FAULT_SOURCES | FP_PART_FLAMES;
        break;
    case FP_FMT_FOLDED:
        /* a flame graph of stacks, whatever --by says, by --metric; a fault
         * metric's is of the fault sources */
        p.by = FP_BY_SITE;
        p.sort = o->metric;
        p.parts = fp_metric_is_fault(o->metric) ? FP_PART_FAULT_SOURCES : 0;
        break;
    }
    return p;
}

uint32_t fp_report_short_top(const struct fp_opts *o)
{
    return o->top > 0 && o->top < 10 ? (uint32_t)o->top : 10;
}

/* The top allocation sites by faults on their blocks, selected in place (the
 * sites keep their order: the toucher lookups index them), down to the first
 * without faults, each with the code that touched it most. */
static int by_memory_build(struct fp_report *r)
{
    const struct fp_sites *alloc = &r->sites;
    uint32_t n = alloc->n, top = fp_report_short_top(r->o);
    uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
    r->by_memory = malloc((top < n ? top : n ? n : 1) * sizeof(*r->by_memory));
    if (!order || !r->by_memory) {
        free(order);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t i = 0; i < n && i < top; i++) {
        uint32_t best = i;
        for (uint32_t j = i + 1; j < n; j++)
            if (fp_metric_value(&alloc->v[order[j]].c, FP_METRIC_FAULTS) >
                fp_metric_value(&alloc->v[order[best]].c, FP_METRIC_FAULTS))
                best = j;
        uint32_t t = order[i];
        order[i] = order[best];
        order[best] = t;
        const struct fp_site *st = &alloc->v[order[i]];
        if (!st->c.minor_faults && !st->c.major_faults)
            break;
        struct fp_fault_memory *fm = &r->by_memory[r->nby_memory++];
        fm->site = order[i];
        fm->toucher = fp_fault_top_toucher(r->m, alloc, &r->fault_sources, order[i], &fm->share);
    }
    free(order);
    return 0;
}

/* The flame-graph views, on the time axis of the timelines the model kept. */
static int flames_build(struct fp_report *r)
{
    static const int alloc_metrics[] = FP_FLAME_ALLOC_METRICS;
    static const int fault_metrics[] = { FP_METRIC_FAULTS };
    int timed = r->m->nprocs && r->m->procs[0].tl;
    if (timed && fp_tl_axis_build(&r->axis, r->m) < 0)
        return -1;
    const struct fp_tl_axis *axis = timed ? &r->axis : NULL;
    if (fp_flame_view_build(&r->flame_alloc, r->m, &r->sites, alloc_metrics, FP_FLAME_ALLOC_NV,
                            FP_FLAME_MIN_SHARE, axis) < 0 ||
        fp_flame_view_build(&r->flame_fault, r->m, &r->fault_sources, fault_metrics, 1,
                            FP_FLAME_MIN_SHARE, axis) < 0)
        return -1;
    return 0;
}

/* The summary names the root process of the tree and the run's wall time:
 * the manifest's when there is one, else from the first process's start to
 * the last one's end. */
static void summary_root(struct fp_report *r)
{
    struct fp_summary *s = &r->summary;
    if (!r->tree.n)
        return;
    const struct fp_proc *p = &r->m->procs[r->tree.v[r->tree.root].proc];
    s->command = p->cmdline ? p->cmdline : "";
    s->exe = p->exe ? p->exe : "";
    s->pid = p->pid;
    s->wall_seconds = r->tree.wall_seconds;
    if (r->run && r->run->start > 0 && r->run->end >= r->run->start)
        s->wall_seconds = r->run->end - r->run->start;
}

int fp_report_build(struct fp_report *r, const struct fp_model *m, struct fp_syms *syms,
                    const struct fp_opts *o, const struct fp_report_plan *plan)
{
    memset(r, 0, sizeof(*r));
    r->m = m;
    r->o = o;
    r->plan = *plan;
    if (fp_sites_build(&r->sites, m, syms, o->filter, plan->by) < 0)
        return -1;
    fp_sites_sort(&r->sites, plan->sort);
    fp_summary_compute(m, &r->summary);
    fp_fault_info_compute(m, &r->summary, &r->fault_info);
    if ((plan->parts & (FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES | FP_PART_BY_MEMORY)) &&
        fp_fault_sources_build(&r->fault_sources, m, syms, o) < 0)
        return -1;
    if ((plan->parts & FP_PART_DIAGNOSES) &&
        fp_diagnose(m, &r->fault_info, &r->sites, &r->fault_sources, &r->diags) < 0)
        return -1;
    if ((plan->parts & FP_PART_FAULT_SOURCES) && r->fault_info.mode == FP_FAULTS_PERF &&
        fp_fclasses_build(&r->classes, m, &r->fault_info, &r->sites, &r->fault_sources) < 0)
        return -1;
    if ((plan->parts & FP_PART_BY_MEMORY) && r->fault_info.mode == FP_FAULTS_PERF &&
        by_memory_build(r) < 0)
        return -1;
    if ((plan->parts & FP_PART_FLAMES) && flames_build(r) < 0)
        return -1;
    if (fp_ptree_build(&r->tree, m, 0) < 0)
        return -1;
    summary_root(r);
    return 0;
}

int fp_report_set_run(struct fp_report *r, const struct fp_run *run)
{
    r->run = run;
    if (run->root_pid) {
        fp_ptree_free(&r->tree);
        if (fp_ptree_build(&r->tree, r->m, run->root_pid) < 0)
            return -1;
    }
    summary_root(r);
    return 0;
}

void fp_report_free(struct fp_report *r)
{
    fp_ptree_free(&r->tree);
    free(r->by_memory);
    fp_flame_view_free(&r->flame_alloc);
    fp_flame_view_free(&r->flame_fault);
    fp_tl_axis_free(&r->axis);
    fp_diags_free(&r->diags);
    fp_sites_free(&r->fault_sources);
    fp_sites_free(&r->sites);
    memset(r, 0, sizeof(*r));
}

const char *fp_fmt_bytes(uint64_t v, char *buf, size_t n)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 5)
        d /= 1024, u++;
    if (u == 0)
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    else
        snprintf(buf, n, "%.*f %s", d < 10 ? 2 : d < 100 ? 1 : 0, d, unit[u]);
    return buf;
}

const char *fp_fmt_count(uint64_t v, char *buf, size_t n)
{
    if (v < 100000)
        snprintf(buf, n, "%llu", (unsigned long long)v);
    else if (v < 100000000)
        snprintf(buf, n, "%.1fk", (double)v / 1e3);
    else
        snprintf(buf, n, "%.1fM", (double)v / 1e6);
    return buf;
}

const char *fp_fmt_frame(const struct fp_frame *f, char *buf, size_t n, int with_module)
{
    char nb[128];
    const char *name = fp_frame_name(f, nb, sizeof(nb));
    int k;
    if (f->file) {
        const char *b = strrchr(f->file, '/');
        if (f->line)
            k = snprintf(buf, n, "%s (%s:%u)", name, b ? b + 1 : f->file, f->line);
        else
            k = snprintf(buf, n, "%s (%s)", name, b ? b + 1 : f->file);
    } else {
        k = snprintf(buf, n, "%s", name);
    }
    if (with_module && f->func && f->module && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " [%s]", f->module);
    return buf;
}

void fp_xml_str(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t')
                fputc(' ', out);     /* not allowed in XML 1.0 */
            else
                fputc(*s, out);
        }
    }
}

void fp_json_str(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(out, "\\u%04x", *p);
            } else if (*p < 0x80) {
                putc(*p, out);
            } else {
                /* pass valid UTF-8 through; anything else becomes U+FFFD */
                int len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
                        : (*p & 0xf8) == 0xf0 ? 4 : 0;
                int ok = len > 0 && !(*p == 0xc0 || *p == 0xc1 || *p > 0xf4);
                for (int i = 1; ok && i < len; i++)
                    ok = (p[i] & 0xc0) == 0x80;
                if (ok) {
                    fwrite(p, 1, (size_t)len, out);
                    p += len - 1;
                } else {
                    fputs("\\ufffd", out);
                }
            }
        }
    }
    putc('"', out);
}
