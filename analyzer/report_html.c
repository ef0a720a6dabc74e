/* report_html: --format html, one self-contained page: the report model as
 * a JSON object (summary, diagnoses, sites, fault sources, processes, the
 * timeline and the flame-graph trees with each process's and interval's part
 * of every node) and the page's own script and style (analyzer/html/,
 * embedded by the build as fp_html_*).  The script draws; it computes only
 * sums of what is here. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "html_assets.h"

/* Sites listed in the page's tables (the flame graphs have all of them). */
#define HTML_TOP_SITES 500
/* Threads with a series of their own in the timeline, the busiest first. */
#define HTML_TL_THREADS 32

/* A frame id as the page has it: -1 the root, -2 "other", -3 no stack. */
static long long page_frame(struct fp_frame_ids *f, uint32_t id)
{
    if (id == FP_FLAME_ROOT)
        return -1;
    if (id == FP_FLAME_OTHER)
        return -2;
    if (id == FP_FLAME_NOSTACK)
        return -3;
    uint32_t p = fp_frame_ids_get(f, id);
    return p == UINT32_MAX ? -3 : (long long)p;
}

static void u64(FILE *out, uint64_t v)
{
    fprintf(out, "%llu", (unsigned long long)v);
}

/* "frames": [leaf first], then the counts the tables show. */
static void site_json(FILE *out, const struct fp_sites *s, const struct fp_site *st,
                      struct fp_frame_ids *fi)
{
    const uint32_t *fr = fp_site_frames(s, st);
    fprintf(out, "{\"f\":[");
    for (uint32_t k = 0; k < st->nframes; k++)
        fprintf(out, "%s%lld", k ? "," : "", page_frame(fi, fr[k]));
    const struct fp_counts *c = &st->c;
    fprintf(out, "],\"allocations\":%llu,\"bytes\":%llu,\"peak\":%llu,\"leaked\":%llu,"
            "\"leaked_blocks\":%llu,\"temporary\":%llu,\"mmapped\":%llu,\"reallocs\":%llu,"
            "\"minor_faults\":%llu,\"major_faults\":%llu,\"samples\":%llu}",
            (unsigned long long)c->allocs, (unsigned long long)c->bytes,
            (unsigned long long)c->peak_bytes, (unsigned long long)c->leaked_bytes,
            (unsigned long long)c->leaked_blocks, (unsigned long long)c->temporary,
            (unsigned long long)c->mmapped, (unsigned long long)c->reallocs,
            (unsigned long long)c->minor_faults, (unsigned long long)c->major_faults,
            (unsigned long long)c->fault_samples);
}

static void sites_list(FILE *out, const char *key, const struct fp_sites *s, struct fp_frame_ids *fi)
{
    uint32_t n = s->n < HTML_TOP_SITES ? s->n : HTML_TOP_SITES;
    fprintf(out, ",\n\"%s\":[", key);
    for (uint32_t i = 0; i < n; i++) {
        fputs(i ? ",\n" : "", out);
        site_json(out, s, &s->v[i], fi);
    }
    fprintf(out, "],\n\"%s_total\":%u", key, s->n);
}

void fp_html_diagnoses(FILE *out, const struct fp_report *r)
{
    fprintf(out, ",\n\"diagnoses\":[");
    for (size_t i = 0; i < r->diags.n; i++) {
        const struct fp_diag *x = &r->diags.v[i];
        char w[1100], f[512], sv[64];
        fprintf(out, "%s{\"kind\":\"%s\",\"title\":", i ? ",\n" : "", fp_diag_name(x->kind));
        fp_json_str(out, fp_diag_title(x->kind));
        fprintf(out, ",\"where\":");
        fp_json_str(out, fp_diag_where(&r->sites, x->site, w, sizeof(w)));
        fprintf(out, ",\"touched_in\":");
        fp_json_str(out, x->fault_site >= 0 ? fp_site_name(&r->fault_sources, x->fault_site, f,
                                                         sizeof(f)) : "");
        fprintf(out, ",\"evidence\":");
        fp_json_str(out, x->evidence);
        fprintf(out, ",\"advice\":");
        fp_json_str(out, x->advice);
        fprintf(out, ",\"saving\":");
        fp_json_str(out, fp_diag_saving_text(x, sv, sizeof(sv)));
        fprintf(out, "}");
    }
    fprintf(out, "]");
}

static void by_memory_list(FILE *out, const struct fp_report *r)
{
    fprintf(out, ",\n\"by_memory\":[");
    for (uint32_t i = 0; i < r->nby_memory; i++) {
        const struct fp_fault_memory *fm = &r->by_memory[i];
        char a[512], t[512];
        fprintf(out, "%s{\"site\":", i ? "," : "");
        fp_json_str(out, fp_site_name(&r->sites, fm->site, a, sizeof(a)));
        fprintf(out, ",\"faults\":%llu,\"toucher\":",
                (unsigned long long)fp_metric_value(&r->sites.v[fm->site].c, FP_METRIC_FAULTS));
        fp_json_str(out, fm->toucher >= 0 ? fp_site_name(&r->fault_sources, fm->toucher, t,
                                                       sizeof(t)) : "");
        fprintf(out, ",\"share\":%.4f}", fm->share);
    }
    fprintf(out, "]");
}

void fp_html_procs(FILE *out, const struct fp_model *m)
{
    fprintf(out, ",\n\"procs\":[");
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        fprintf(out, "%s{\"pid\":%llu,\"ppid\":%llu,\"exe\":", i ? ",\n" : "",
                (unsigned long long)p->pid, (unsigned long long)p->ppid);
        fp_json_str(out, p->exe);
        fprintf(out, ",\"command\":");
        fp_json_str(out, p->cmdline);
        fprintf(out, ",\"allocations\":%llu,\"bytes\":%llu,\"peak\":%llu,\"peak_s\":%.6f,"
                "\"leaked\":%llu,\"minor_faults\":%llu,\"major_faults\":%llu,\"max_rss_kb\":%llu}",
                (unsigned long long)p->allocs, (unsigned long long)p->bytes,
                (unsigned long long)p->peak_bytes, (double)p->peak_t / 1e9,
                (unsigned long long)p->leaked_bytes, (unsigned long long)p->minflt,
                (unsigned long long)p->majflt, (unsigned long long)p->maxrss_kb);
    }
    fprintf(out, "]");
}

/* The series pt[n] named by keys (bit k: names[k]), null where it did not run. */
static void series_json(FILE *out, const struct fp_tl_point *pt, uint32_t n, unsigned keys)
{
    static const char *const names[] = { "heap_max", "heap_end", "allocs", "bytes", "faults",
                                         "rusage_faults" };
    for (int k = 0; k < 6; k++) {
        if (!(keys & 1u << k))
            continue;
        fprintf(out, ",\"%s\":[", names[k]);
        for (uint32_t b = 0; b < n; b++) {
            const struct fp_tl_point *x = &pt[b];
            uint64_t v[] = { x->heap_max, x->heap_end, (uint64_t)(x->allocs + 0.5), x->bytes,
                             x->faults, x->rusage_faults };
            if (b)
                putc(',', out);
            if (x->present || k >= 2)
                u64(out, v[k]);
            else
                fputs("null", out);
        }
        putc(']', out);
    }
}

/* Each process's series on the report's axis: arrays, null where it did not run. */
int fp_html_timeline(FILE *out, const struct fp_report *r)
{
    const struct fp_tl_axis *a = &r->axis;
    fprintf(out, ",\n\"axis\":{\"width_ns\":%llu,\"n\":%u}", (unsigned long long)a->width_ns,
            a->nbuckets);
    fprintf(out, ",\n\"series\":[");
    struct fp_tl_point *pt = malloc((a->nbuckets ? a->nbuckets : 1) * sizeof(*pt));
    if (!pt)
        return -1;
    for (uint32_t pi = 0; a->nbuckets && pi < r->m->nprocs; pi++) {
        fp_tl_axis_series(a, pi, pt);
        fprintf(out, "%s{\"proc\":%u,\"offset_ns\":%llu", pi ? ",\n" : "", pi,
                (unsigned long long)a->offset_ns[pi]);
        series_json(out, pt, a->nbuckets, 0x3f);
        putc('}', out);
    }
    fprintf(out, "]");
    free(pt);
    return 0;
}

/* A thread's series and how busy it was: its most live bytes and faults. */
struct tl_thread_rank {
    const struct fp_tl_thread *th;
    uint32_t proc;
    double score;
};

static int rank_cmp(const void *x, const void *y)
{
    const struct tl_thread_rank *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->th->ti < b->th->ti ? -1 : a->th->ti > b->th->ti;
}

/* The threads with a series, ranked by their share of the largest heap peak
 * plus their share of all faults; *n gets their number. */
static struct tl_thread_rank *threads_ranked(const struct fp_model *m, uint32_t *n)
{
    uint32_t cap = 0, k = 0;
    for (uint32_t pi = 0; pi < m->nprocs; pi++)
        cap += m->procs[pi].tl ? m->procs[pi].tl->nthreads : 0;
    struct tl_thread_rank *v = malloc((cap ? cap : 1) * sizeof(*v));
    if (!v)
        return NULL;
    uint64_t heap = 1, faults = 1;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t pi = 0; pi < m->nprocs; pi++) {
            const struct fp_timeline *tl = m->procs[pi].tl;
            for (uint32_t i = 0; tl && i < tl->nthreads; i++) {
                const struct fp_tl_thread *th = tl->threads[i];
                if (!th)
                    continue;
                uint64_t h = 0, f = 0;
                for (uint32_t b = 0; b < tl->nbuckets; b++) {
                    h = th->b[b].heap_max > h ? th->b[b].heap_max : h;
                    f += th->b[b].faults + th->b[b].rusage_faults;
                }
                if (pass == 0) {
                    heap = h > heap ? h : heap;
                    faults += f;
                } else {
                    v[k++] = (struct tl_thread_rank){ th, pi, (double)h / (double)heap +
                                                                  (double)f / (double)faults };
                }
            }
        }
    }
    qsort(v, k, sizeof(*v), rank_cmp);
    *n = k;
    return v;
}

/* The busiest threads' own series (live bytes of their blocks, faults they
 * took) on the axis, and how many threads had one. */
static int thread_timeline(FILE *out, const struct fp_report *r)
{
    const struct fp_tl_axis *a = &r->axis;
    uint32_t n = 0;
    struct tl_thread_rank *v = threads_ranked(r->m, &n);
    struct fp_tl_point *pt = malloc((a->nbuckets ? a->nbuckets : 1) * sizeof(*pt));
    if (!v || !pt) {
        free(v);
        free(pt);
        return -1;
    }
    int capped = 0;
    for (uint32_t pi = 0; pi < r->m->nprocs; pi++)
        capped |= r->m->procs[pi].tl && r->m->procs[pi].tl->unseried;
    fprintf(out, ",\n\"thread_series_total\":%u,\"thread_series_max\":%d,"
            "\"thread_series_capped\":%d,\n\"thread_series\":[", n, FP_TL_THREADS, capped);
    for (uint32_t i = 0; a->nbuckets && i < n && i < HTML_TL_THREADS; i++) {
        const struct fp_model_thread *t = &r->m->threads[v[i].th->ti];
        fp_tl_axis_thread(a, v[i].proc, v[i].th, pt);
        fprintf(out, "%s{\"proc\":%u,\"tid\":%u,\"name\":", i ? ",\n" : "", v[i].proc, t->tid);
        fp_json_str(out, t->name);
        series_json(out, pt, a->nbuckets, 1u << 0 | 1u << 1 | 1u << 4 | 1u << 5);
        putc('}', out);
    }
    fprintf(out, "]");
    free(pt);
    free(v);
    return 0;
}

/* A flame view: metrics, nodes [parent, frame], rows [node, proc, values],
 * interval rows [node, proc, bucket, timed values]. */
static void flame_json(FILE *out, const char *key, const struct fp_flame_view *fv,
                       struct fp_frame_ids *fi)
{
    fprintf(out, ",\n\"%s\":{\"metrics\":[", key);
    for (uint32_t k = 0; k < fv->nv; k++)
        fprintf(out, "%s\"%s\"", k ? "," : "", fp_metric_name(fv->metrics[k]));
    fprintf(out, "],\"timed\":[");
    for (uint32_t k = 0; k < fv->nv; k++)
        fprintf(out, "%s%d", k ? "," : "", fv->timed[k]);
    fprintf(out, "],\"merged\":%u,\n\"nodes\":[", fv->tree.merged);
    for (uint32_t i = 0; i < fv->tree.n; i++) {
        const struct fp_flame_node *nd = &fv->tree.v[i];
        fprintf(out, "%s[%lld,%lld]", i ? "," : "", i ? (long long)nd->parent : -1LL,
                page_frame(fi, nd->frame));
    }
    fprintf(out, "],\n\"rows\":[");
    for (uint32_t i = 0; i < fv->nrows; i++) {
        const struct fp_flame_row *w = &fv->rows[i];
        fprintf(out, "%s[%u,%u", i ? "," : "", w->node, w->proc);
        for (uint32_t k = 0; k < fv->nv; k++)
            fprintf(out, ",%llu", (unsigned long long)w->v[k]);
        putc(']', out);
    }
    fprintf(out, "],\n\"trows\":[");
    for (uint32_t i = 0; i < fv->ntrows; i++) {
        const struct fp_flame_row *w = &fv->trows[i];
        fprintf(out, "%s[%u,%u,%u", i ? "," : "", w->node, w->proc, w->bucket);
        for (uint32_t k = 0; k < fv->nv; k++)
            if (fv->timed[k])
                fprintf(out, ",%llu", (unsigned long long)w->v[k]);
        putc(']', out);
    }
    fprintf(out, "]}");
}

/* The frames the page uses: [function, file, line, module, inlined]. */
static void frames_json(FILE *out, const struct fp_sites *s, const struct fp_frame_ids *fi)
{
    fprintf(out, ",\n\"frames\":[");
    for (uint32_t i = 0; i < fi->n; i++) {
        const struct fp_frame *f = fp_syms_frame(s->syms, fi->ids[i]);
        char nb[128];
        fputs(i ? ",\n[" : "[", out);
        fp_json_str(out, fp_frame_name(f, nb, sizeof(nb)));
        putc(',', out);
        fp_json_str(out, f->file ? f->file : "");
        fprintf(out, ",%u,", f->line);
        fp_json_str(out, f->module ? f->module : "");
        fprintf(out, ",%d]", f->inlined ? 1 : 0);
    }
    fprintf(out, "]");
}

/* The whole report model as one JSON object. */
static int data_json(FILE *out, const struct fp_report *r)
{
    struct fp_frame_ids fi = { 0 };
    char mode[400];
    fprintf(out, "{\"faultprof_html\":1,\"summary\":");
    fp_json_summary(out, &r->summary);
    fprintf(out, ",\n\"fault_mode\":");
    fp_json_str(out, fp_fault_mode_text(&r->fault_info, mode, sizeof(mode)));
    fprintf(out, ",\"fault_period\":%llu,\"min_share\":%g",
            (unsigned long long)r->fault_info.period, FP_FLAME_MIN_SHARE);
    fp_html_diagnoses(out, r);
    sites_list(out, "sites", &r->sites, &fi);
    sites_list(out, "fault_sources", &r->fault_sources, &fi);
    by_memory_list(out, r);
    fp_html_procs(out, r->m);
    if (fp_html_timeline(out, r) < 0 || thread_timeline(out, r) < 0)
        return -1;
    flame_json(out, "flame_alloc", &r->flame_alloc, &fi);
    flame_json(out, "flame_fault", &r->flame_fault, &fi);
    frames_json(out, &r->sites, &fi);
    fprintf(out, "}");
    fp_frame_ids_free(&fi);
    return 0;
}

/* Writes s to out with every '<' escaped, so that a script element holds it. */
static void put_script_safe(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<')
            fputs("\\u003c", out);
        else
            putc(s[i], out);
    }
}

/* The page: style, data, script (report.js reads window.FP_MODE and the data). */
int fp_html_page(FILE *out, const char *title, const char *mode, const char *data, size_t n)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    for (const char *p = title; *p; p++) {
        if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '&')
            fputs("&amp;", out);
        else
            putc(*p, out);
    }
    fputs("</title>\n<style>\n", out);
    fwrite(fp_html_css, 1, fp_html_css_len, out);
    fprintf(out, "</style>\n</head><body data-mode=\"%s\">\n<script type=\"application/json\" "
            "id=\"fp-data\">", mode);
    put_script_safe(out, data, n);
    fputs("</script>\n<script>\n", out);
    fwrite(fp_html_js, 1, fp_html_js_len, out);
    fputs("</script>\n</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}

int fp_report_html(FILE *out, const struct fp_report *r)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    if (!mem)
        return -1;
    int rc = data_json(mem, r);
    if (fclose(mem) != 0 || rc < 0) {
        free(buf);
        return -1;
    }
    char title[300];
    snprintf(title, sizeof(title), "faultprof: %s", r->summary.command);
    rc = fp_html_page(out, title, "report", buf, n);
    free(buf);
    return rc;
}
