/* report_text: the default output — the summary first, then the diagnoses,
 * the page faults, the top sites for the chosen metric, then (--threads) a
 * per-thread table.  Prints the report model only.  Fits in 100 columns: long
 * frames are shortened in the middle. */
#include "report.h"

#include <string.h>

#include "faultprof/trace.h"

#define WIDTH 100

/* Copies s into buf shortened to w columns with "..." in the middle. */
static const char *shorten(const char *s, char *buf, size_t n, size_t w)
{
    size_t len = strlen(s);
    if (len <= w || w < 8) {
        snprintf(buf, n, "%s", s);
        return buf;
    }
    size_t head = (w - 3) * 2 / 3, tail = w - 3 - head;
    snprintf(buf, n, "%.*s...%s", (int)head, s, s + len - tail);
    return buf;
}

/* The process tree, children indented under their parent, each with its
 * own figures; the root is marked. */
static void tree_text(FILE *out, const struct fp_report *r)
{
    char a[32], b[32], cmd[256];
    fprintf(out, "  processes (tree, * the root):\n");
    fprintf(out, "    %-8s %7s %7s %9s %8s %10s %9s  %s\n", "pid", "wall s", "cpu s",
            "minor flt", "allocs", "bytes", "peak", "command");
    for (uint32_t i = 0; i < r->tree.n; i++) {
        const struct fp_ptree_node *nd = &r->tree.v[i];
        const struct fp_proc *p = &r->m->procs[nd->proc];
        unsigned ind = nd->depth < 8 ? nd->depth : 8;
        const char *c = p->cmdline ? p->cmdline : "", *sp = strchr(c, ' ');
        for (const char *q = c; *q && (!sp || q < sp); q++)
            if (*q == '/')
                c = q + 1;     /* the program's name without its directory */
        char pid[24];
        snprintf(pid, sizeof(pid), "%llu%s", (unsigned long long)p->pid, i == r->tree.root ? "*" : "");
        fprintf(out, "    %-8s %7.2f %7.2f %9llu %8llu %10s %9s  %*s%s%s\n", pid,
                nd->wall_seconds, nd->cpu_seconds, (unsigned long long)nd->minor_faults,
                (unsigned long long)p->allocs, fp_fmt_bytes(p->bytes, a, sizeof(a)),
                fp_fmt_bytes(p->peak_bytes, b, sizeof(b)), 2 * ind, "",
                nd->exec ? "(exec) " : (p->flags & FP_PROC_FORK_CHILD) ? "(fork child) " : "",
                shorten(c, cmd, sizeof(cmd), 36 - 2 * ind));
    }
}

/* Attached, paused: what the trace did not see. */
static void recording_text(FILE *out, const struct fp_summary *s)
{
    if (s->attached)
        fprintf(out, "  attached         recording began in the running process: %llu frees of "
                "blocks allocated\n                   before it are counted apart, not as live "
                "bytes\n", (unsigned long long)s->unknown_frees);
    if (s->pauses)
        fprintf(out, "  paused           %llu time%s, %.3f s in all: %llu minor and %llu major "
                "faults then are\n                   in the totals, charged to no site; blocks "
                "freed then stay live\n", (unsigned long long)s->pauses,
                s->pauses == 1 ? "" : "s", s->paused_seconds,
                (unsigned long long)s->paused_minor_faults,
                (unsigned long long)s->paused_major_faults);
}

static void summary_text(FILE *out, const struct fp_report *r)
{
    const struct fp_model *m = r->m;
    const struct fp_summary *s = &r->summary;
    char a[32], b[32], c[32];
    char cmd[256];
    fprintf(out, "faultprof-report: %s\n", shorten(s->command[0] ? s->command : s->exe, cmd,
                                                  sizeof(cmd), WIDTH - 18));
    fprintf(out, "  pid %llu, %llu thread%s", (unsigned long long)s->pid,
            (unsigned long long)s->threads, s->threads == 1 ? "" : "s");
    if (s->processes > 1)
        fprintf(out, ", %llu processes", (unsigned long long)s->processes);
    fprintf(out, ", %llu records%s\n", (unsigned long long)s->records,
            s->truncated ? " (truncated trace)" : "");
    fprintf(out, "  allocations      %llu (%s), frees %llu, reallocs %llu",
            (unsigned long long)s->allocations, fp_fmt_bytes(s->bytes_allocated, a, sizeof(a)),
            (unsigned long long)s->frees, (unsigned long long)s->reallocs);
    if (s->failed_allocs)
        fprintf(out, ", failed %llu", (unsigned long long)s->failed_allocs);
    fputc('\n', out);
    if (s->estimated)
        fprintf(out, "  sampled          one allocation per %llu bytes on average: the totals "
                "above are exact,\n                   every other figure is estimated from the "
                "samples\n", (unsigned long long)s->sampled_bytes);
    if (s->dropped_calls)
        fprintf(out, "  dropped          %llu calls were not recorded (made in signal handlers "
                "that interrupted the\n                   recorder, or while a fork, exec or "
                "exit waited for it past its bound)\n", (unsigned long long)s->dropped_calls);
    recording_text(out, s);
    fprintf(out, "  peak heap        %s in %llu blocks, at %.3f s\n",
            fp_fmt_bytes(s->peak_heap_bytes, a, sizeof(a)), (unsigned long long)s->peak_blocks,
            (double)s->peak_t_ns / 1e9);
    fprintf(out, "  leaked           %s in %llu blocks\n", fp_fmt_bytes(s->leaked_bytes, a, sizeof(a)),
            (unsigned long long)s->leaked_blocks);
    fprintf(out, "  temporary        %llu (%.1f%% of allocations)\n",
            (unsigned long long)s->temporary_allocations,
            s->allocations ? 100.0 * (double)s->temporary_allocations / (double)s->allocations : 0.0);
    fprintf(out, "  mmapped allocs   %llu (%s)\n", (unsigned long long)s->mmapped_allocations,
            fp_fmt_bytes(s->mmapped_bytes, a, sizeof(a)));
    if (s->avg_lifetime_ns > 0)
        fprintf(out, "  average lifetime %.3f ms\n", s->avg_lifetime_ns / 1e6);
    fprintf(out, "  program mmap     %llu calls (%s), munmap %llu (%s), mremap %llu, brk %llu, "
            "heap break +%s\n", (unsigned long long)s->mmap_calls,
            fp_fmt_bytes(s->mmap_bytes, a, sizeof(a)), (unsigned long long)s->munmap_calls,
            fp_fmt_bytes(s->munmap_bytes, b, sizeof(b)), (unsigned long long)s->mremap_calls,
            (unsigned long long)s->brk_calls, fp_fmt_bytes(s->brk_growth_bytes, c, sizeof(c)));
    fprintf(out, "  page faults      minor %llu, major %llu", (unsigned long long)s->minor_faults,
            (unsigned long long)s->major_faults);
    if (s->fault_samples)
        fprintf(out, " (%llu samples)", (unsigned long long)s->fault_samples);
    char mode[400];
    fprintf(out, "\n                   %s\n", fp_fault_mode_text(&r->fault_info, mode, sizeof(mode)));
    if (s->has_end)
        fprintf(out, "  time -v          wall %.2f s, user %.2f s, sys %.2f s, max RSS %llu kB, "
                "ctx switches %llu/%llu\n", s->wall_seconds, s->user_seconds, s->sys_seconds,
                (unsigned long long)s->max_rss_kb, (unsigned long long)s->nvcsw,
                (unsigned long long)s->nivcsw);
    else
        fprintf(out, "  time -v          (no PROCESS_END: the process did not exit normally)\n");
    if (r->run && r->run->has_manifest) {
        char st[32];
        fprintf(out, "  run              %s: %s%swall %.2f s, %u trace%s\n",
                shorten(r->run->path, cmd, sizeof(cmd), 40), fp_run_status_text(r->run, st, sizeof(st)),
                r->run->has_status ? ", " : "", s->wall_seconds, r->run->ntraces,
                r->run->ntraces == 1 ? "" : "s");
    }
    if (m->nprocs > 1)
        tree_text(out, r);
}
/* "name (file:line)" within w columns: shorten the name before dropping
 * the location. */
static const char *frame_cell(const struct fp_frame *f, char *buf, size_t n, size_t w)
{
    char nb[128], full[1024], name[512];
    const char *nm = fp_frame_name(f, nb, sizeof(nb));
    char loc[300] = "";
    if (f->file) {
        const char *b = strrchr(f->file, '/');
        if (f->line)
            snprintf(loc, sizeof(loc), " (%s:%u)", b ? b + 1 : f->file, f->line);
        else
            snprintf(loc, sizeof(loc), " (%s)", b ? b + 1 : f->file);
    }
    snprintf(full, sizeof(full), "%s%s", nm, loc);
    if (strlen(full) <= w)
        return snprintf(buf, n, "%s", full), buf;
    size_t ll = strlen(loc);
    if (ll + 24 <= w) {
        shorten(nm, name, sizeof(name), w - ll);
        snprintf(buf, n, "%s%s", name, loc);
        return buf;
    }
    return shorten(nm, buf, n, w);
}

static void sites_text(FILE *out, const struct fp_report *r)
{
    const struct fp_sites *sites = &r->sites;
    const struct fp_opts *o = r->o;
    uint32_t n = o->top > 0 && (uint32_t)o->top < sites->n ? (uint32_t)o->top : sites->n;
    fprintf(out, "\nTop %u %s by %s:\n", n, o->by == FP_BY_FUNCTION ? "functions" : "sites",
            fp_metric_name(o->sort));
    fprintf(out, "%4s %10s %10s %10s %10s %8s  %s\n", "#", "allocs", "bytes", "peak", "leaked",
            "temp", o->by == FP_BY_FUNCTION ? "function" : "site <- callers");
    const int lead = 4 + 1 + 10 + 1 + 10 + 1 + 10 + 1 + 10 + 1 + 8 + 2;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_site *st = &sites->v[i];
        char a[32], b[32], c[32], d[32], e[32], cell[512];
        const uint32_t *fr = fp_site_frames(sites, st);
        const char *first = st->nframes ? frame_cell(fp_syms_frame(sites->syms, fr[0]), cell,
                                                     sizeof(cell), WIDTH - lead) : "[no stack]";
        fprintf(out, "%4u %10s %10s %10s %10s %8s  %s\n", i + 1,
                fp_fmt_count(st->c.allocs, a, sizeof(a)), fp_fmt_bytes(st->c.bytes, b, sizeof(b)),
                fp_fmt_bytes(st->c.peak_bytes, c, sizeof(c)),
                fp_fmt_bytes(st->c.leaked_bytes, d, sizeof(d)),
                fp_fmt_count(st->c.temporary, e, sizeof(e)), first);
        /* the metric, when not one of the columns */
        if (o->sort == FP_METRIC_MMAPPED || o->sort == FP_METRIC_FAULTS ||
            o->sort == FP_METRIC_FREES || o->sort == FP_METRIC_REALLOCS ||
            o->sort == FP_METRIC_MAPPED || o->sort == FP_METRIC_LEAKED_BLOCKS)
            fprintf(out, "%*s%s: %llu\n", lead, "", fp_metric_name(o->sort),
                    (unsigned long long)fp_metric_value(&st->c, o->sort));
        uint32_t k;
        for (k = 1; k < st->nframes && (int)k <= o->depth; k++) {
            const struct fp_frame *f = fp_syms_frame(sites->syms, fr[k - 1]);
            /* below main is the C runtime: not worth a line */
            if (f->func && !strcmp(f->func, "main"))
                break;
            f = fp_syms_frame(sites->syms, fr[k]);
            fprintf(out, "%*s<- %s\n", lead, "", frame_cell(f, cell, sizeof(cell),
                                                            WIDTH - lead - 3));
        }
    }
}

static void threads_text(FILE *out, const struct fp_report *r)
{
    const struct fp_model *m = r->m;
    char a[32], b[32];
    fprintf(out, "\nThreads:\n");
    fprintf(out, "%8s %-16s %10s %10s %10s %8s %10s %9s %7s\n", "tid", "name", "allocs",
            "bytes", "frees", "temp", "leaked", "minflt", "majflt");
    for (uint32_t i = 0; i < m->nthreads; i++) {
        const struct fp_model_thread *t = &m->threads[i];
        fprintf(out, "%8u %-16.16s %10llu %10s %10llu %8llu %10s %9llu %7llu\n", t->tid,
                t->name[0] ? t->name : (t->tid == m->procs[t->proc].pid ? "(main)" : ""),
                (unsigned long long)t->allocs, fp_fmt_bytes(t->bytes, a, sizeof(a)),
                (unsigned long long)t->frees, (unsigned long long)t->temporary,
                fp_fmt_bytes(t->leaked_bytes, b, sizeof(b)), (unsigned long long)t->minflt,
                (unsigned long long)t->majflt);
    }
}

/* ---- the page-fault part of the text report */

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

/* The top allocation sites by the sampled faults on their blocks. */
static void by_memory_text(FILE *out, const struct fp_report *r)
{
    const struct fp_sites *alloc = &r->sites;
    char a[32], b[32], cell[512];
    fprintf(out, "\nFaults by memory (the allocation whose block was touched):\n");
    fprintf(out, "%4s %10s %8s %8s  %s\n", "#", "minor", "major", "samples",
            "allocation site <- caller");
    for (uint32_t i = 0; i < r->nby_memory; i++) {
        const struct fp_fault_memory *fm = &r->by_memory[i];
        const struct fp_site *st = &alloc->v[fm->site];
        fprintf(out, "%4u %10s %8s %8llu  %s\n", i + 1,
                fp_fmt_count(st->c.minor_faults, a, sizeof(a)),
                fp_fmt_count(st->c.major_faults, b, sizeof(b)),
                (unsigned long long)st->c.fault_samples,
                fp_site_name(alloc, fm->site, cell, sizeof(cell)));
        if (st->nframes > 1 && r->o->by == FP_BY_SITE) {
            const uint32_t *fr = fp_site_frames(alloc, st);
            fprintf(out, "%35s<- %s\n", "", fp_fmt_frame(fp_syms_frame(alloc->syms,
                    fr[1]), cell, sizeof(cell), 0));
        }
        if (fm->toucher >= 0)
            fprintf(out, "%35stouched by %s (%.0f%% of its samples)\n", "",
                    fp_site_name(&r->fault_sources, fm->toucher, cell, sizeof(cell)),
                    fm->share * 100);
        char mix[200];
        if (*fp_fclass_mix(&st->c, mix, sizeof(mix), 3))
            fprintf(out, "%35sclasses: %s\n", "", mix);
    }
    if (!r->nby_memory)
        fprintf(out, "%4s (no sampled fault fell in an allocated block)\n", "");
}

/* Sampled faults by region, then by module and by file mapped. */
static void regions_text(FILE *out, const struct fp_report *r)
{
    const struct fp_fault_info *fi = &r->fault_info;
    const struct fp_model *m = r->m;
    char a[32], b[32];
    uint64_t tot = 0;
    for (int k = 0; k < FP_REGION_COUNT; k++)
        tot += fi->region_minor[k] + fi->region_major[k];
    fprintf(out, "  by region:");
    int first = 1;
    for (int k = 0; k < FP_REGION_COUNT; k++) {
        uint64_t v = fi->region_minor[k] + fi->region_major[k];
        if (!v)
            continue;
        fprintf(out, "%s %s %s (%s)", first ? "" : ",", fp_region_name(k),
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
}

static void wrapped(FILE *out, const char *label, const char *text);

/* The fault classes: share, confidence, where, evidence and advice. */
static void classes_text(FILE *out, const struct fp_report *r)
{
    const struct fp_fclasses *fc = &r->classes;
    if (!fc->n)
        return;
    char a[32], cell[512];
    fprintf(out, "\nFault classes (why each sampled fault happened):\n");
    wrapped(out, "how sure", fc->rule);
    for (uint32_t i = 0; i < fc->n; i++) {
        const struct fp_fclass_row *x = &fc->v[i];
        fprintf(out, "  %-16s %10s %5.1f%%  %s (%s, %llu samples)\n", fp_fclass_name(x->cls),
                fp_fmt_count(x->faults, a, sizeof(a)), 100 * x->share, fp_fclass_title(x->cls),
                x->confidence, (unsigned long long)x->samples);
        for (uint32_t k = 0; k < x->nsites; k++)
            fprintf(out, "%7smemory of %s: %s\n", "",
                    fp_site_name(&r->sites, x->sites[k], cell, sizeof(cell)),
                    fp_fmt_count(x->site_faults[k], a, sizeof(a)));
        if (x->source >= 0)
            fprintf(out, "%7staken in %s: %s\n", "",
                    fp_site_name(&r->fault_sources, x->source, cell, sizeof(cell)),
                    fp_fmt_count(x->source_faults, a, sizeof(a)));
        wrapped(out, "evidence", x->evidence);
        wrapped(out, "advice", x->advice);
    }
}

static void faults_text(FILE *out, const struct fp_report *r)
{
    const struct fp_fault_info *fi = &r->fault_info;
    char mode[400];
    fprintf(out, "\nPage faults: %s\n", fp_fault_mode_text(fi, mode, sizeof(mode)));
    if (fi->mode != FP_FAULTS_PERF) {
        fprintf(out, "  minor %llu, major %llu for the whole run; which code took them is not "
                "known without\n  sampling.  Allocation sites below carry the faults counted while "
                "their call was the\n  thread's last one (coarse: --sort faults ranks them).\n",
                (unsigned long long)fi->exact_minor, (unsigned long long)fi->exact_major);
        return;
    }
    fprintf(out, "  exact (getrusage): minor %llu, major %llu; estimated from %llu samples: "
            "minor %llu, major %llu\n", (unsigned long long)fi->exact_minor,
            (unsigned long long)fi->exact_major, (unsigned long long)fi->samples,
            (unsigned long long)fi->est_minor, (unsigned long long)fi->est_major);
    if (fi->unrecorded)
        fprintf(out, "  %llu more samples hit the recorder itself (not attributed)\n",
                (unsigned long long)fi->unrecorded);
    if (fi->late)
        fprintf(out, "  %llu samples came late (SIGTRAP was blocked where they faulted): "
                "charged to memory, not to code\n", (unsigned long long)fi->late);
    classes_text(out, r);
    fprintf(out, "\nFault sources (code that took them; samples x period):\n");
    list_text(out, &r->fault_sources, fp_report_short_top(r->o), r->o->depth);
    by_memory_text(out, r);
    regions_text(out, r);
}

/* ---- diagnoses */

/* "     label: text" wrapped at 100 columns, continuation lines indented. */
static void wrapped(FILE *out, const char *label, const char *text)
{
    const int width = 100, indent = 7;
    int col = fprintf(out, "%*s%s: ", indent - 2, "", label);
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (!w)
            break;
        if (col + (int)w + 1 > width && col > indent + (int)strlen(label) + 2) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (p != text && col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, w, out);
        col += (int)w;
        p += w;
    }
    fputc('\n', out);
}

static void diags_text(FILE *out, const struct fp_report *r)
{
    const struct fp_diags *d = &r->diags;
    if (!d->n)
        return;
    fprintf(out, "\nDiagnoses:\n");
    for (size_t i = 0; i < d->n; i++) {
        const struct fp_diag *x = &d->v[i];
        char w[1100], f[512], s[64];
        fprintf(out, "  %zu. %s: %s\n", i + 1, fp_diag_name(x->kind), fp_diag_title(x->kind));
        fprintf(out, "     allocation site: %s\n", fp_diag_where(&r->sites, x->site, w, sizeof(w)));
        if (x->fault_site >= 0)
            fprintf(out, "     faults taken in: %s\n", fp_site_name(&r->fault_sources, x->fault_site,
                                                                  f, sizeof(f)));
        wrapped(out, "evidence", x->evidence);
        wrapped(out, "advice", x->advice);
        fprintf(out, "     saving: %s\n", fp_diag_saving_text(x, s, sizeof(s)));
    }
}


int fp_report_text(FILE *out, const struct fp_report *r)
{
    summary_text(out, r);
    diags_text(out, r);
    faults_text(out, r);
    sites_text(out, r);
    if (r->o->threads)
        threads_text(out, r);
    return ferror(out) ? -1 : 0;
}
