/* report_diff_html: --diff BASE NEW --format html, the page of the diff
 * model (diff.c): both summaries, each side's diagnoses, processes and
 * timeline, the sites and fault sources ranked by their change, and the
 * differential flame graphs (values of base and new per node).  The page's
 * script is the report's (analyzer/html/report.js, data-mode "diff"). */
#include "report.h"

#include <stdlib.h>

static void side_json(FILE *out, const char *key, const struct fp_diff_side *s)
{
    char mode[400];
    fprintf(out, ",\n\"%s\":{\"summary\":", key);
    fp_json_summary(out, &s->r.summary);
    fprintf(out, ",\"fault_mode\":");
    fp_json_str(out, fp_fault_mode_text(&s->r.fault_info, mode, sizeof(mode)));
    fp_html_diagnoses(out, &s->r);
    fp_html_procs(out, s->m);
    fp_html_timeline(out, &s->r);
    fprintf(out, "}");
}

/* The top changes of a ranked list: [site text, base, new]. */
static void changes_json(FILE *out, const char *key, const struct fp_diff_sites *t, int metric,
                         uint32_t top)
{
    fprintf(out, ",\n\"%s\":[", key);
    for (uint32_t i = 0; i < t->n && i < top; i++) {
        const struct fp_diff_site *ds = &t->v[i];
        char fb[1024];
        const char *nl = ds->key;
        while (*nl && *nl != '\n')
            nl++;
        fprintf(out, "%s[", i ? "," : "");
        fp_json_str(out, fp_diff_key_frame(ds->key, (size_t)(nl - ds->key), fb, sizeof(fb), 0));
        fprintf(out, ",%llu,%llu]", (unsigned long long)fp_metric_value(&ds->c[0], metric),
                (unsigned long long)fp_metric_value(&ds->c[1], metric));
    }
    fprintf(out, "]");
}

/* A differential tree: metrics, names [short, with module], nodes
 * [parent, frame, base0, new0, base1, new1, ...]. */
static void flame_diff_json(FILE *out, const char *key, const struct fp_flame_diff *fd)
{
    fprintf(out, ",\n\"%s\":{\"metrics\":[", key);
    for (uint32_t k = 0; k < fd->nmetrics; k++)
        fprintf(out, "%s\"%s\"", k ? "," : "", fp_metric_name(fd->metrics[k]));
    fprintf(out, "],\"merged\":%u,\"names\":[", fd->tree.merged);
    for (uint32_t i = 0; i < fd->nnames; i++) {
        fputs(i ? ",[" : "[", out);
        fp_json_str(out, fd->names[i]);
        putc(',', out);
        fp_json_str(out, fd->long_names[i]);
        putc(']', out);
    }
    fprintf(out, "],\n\"nodes\":[");
    for (uint32_t i = 0; i < fd->tree.n; i++) {
        const struct fp_flame_node *nd = &fd->tree.v[i];
        long long f = nd->frame == FP_FLAME_ROOT ? -1 : nd->frame == FP_FLAME_OTHER ? -2
                    : nd->frame == FP_FLAME_NOSTACK ? -3 : (long long)nd->frame;
        fprintf(out, "%s[%lld,%lld", i ? "," : "", i ? (long long)nd->parent : -1LL, f);
        for (uint32_t k = 0; k < fd->tree.nv; k++)
            fprintf(out, ",%llu", (unsigned long long)nd->v[k]);
        putc(']', out);
    }
    fprintf(out, "]}");
}

static void data_json(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    uint32_t top = fp_report_short_top(o);
    fprintf(out, "{\"faultprof_diff_html\":1,\"min_share\":%g", FP_FLAME_MIN_SHARE);
    side_json(out, "base", &d->side[0]);
    side_json(out, "new", &d->side[1]);
    changes_json(out, "fault_changes", &d->faults, FP_METRIC_FAULTS, top);
    changes_json(out, "memory_changes", &d->by_memory, FP_METRIC_FAULTS, top);
    changes_json(out, "site_changes", &d->sites, o->sort, top);
    fprintf(out, ",\"sort\":\"%s\"", fp_metric_name(o->sort));
    flame_diff_json(out, "flame_sites", &d->flame_sites);
    flame_diff_json(out, "flame_faults", &d->flame_faults);
    fprintf(out, "}");
}

int fp_diff_html(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    if (!mem)
        return -1;
    data_json(mem, d, o);
    if (fclose(mem) != 0) {
        free(buf);
        return -1;
    }
    char title[600];
    snprintf(title, sizeof(title), "faultprof diff: %s vs %s", d->side[0].r.summary.command,
             d->side[1].r.summary.command);
    int rc = fp_html_page(out, title, "diff", buf, n);
    free(buf);
    return rc;
}
