/* report_svg: --format svg, a standalone interactive flame graph of one
 * metric (--metric), like flamegraph.pl's: the report's flame-graph tree
 * (flame.c, frames below FP_FLAME_MIN_SHARE merged into "other"), root at
 * the bottom, each box as wide as its share; click zooms, "Search"
 * highlights (the script is analyzer/html/flame_svg.js, embedded).  With
 * --diff, the differential one: width by NEW, red where NEW grew, blue
 * where it shrank, as difffolded.pl + flamegraph.pl draw it. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "html_assets.h"

#define SVG_WIDTH 1200
#define SVG_X0 10
#define SVG_ROW 16
#define SVG_TOP 50
#define SVG_BOTTOM 30

/* A flame graph being drawn: its tree, value index, starts and total. */
struct svg {
    FILE *out;
    const struct fp_flame *t;
    uint32_t k;                  /* the value boxes are as wide as */
    uint64_t *x;                 /* each node's start (fp_flame_layout) */
    uint64_t total;
    uint32_t height;
};

static int svg_begin(struct svg *g, FILE *out, const struct fp_flame *t, uint32_t k,
                     const char *title, const char *subtitle)
{
    memset(g, 0, sizeof(*g));
    g->out = out;
    g->t = t;
    g->k = k;
    g->total = t->n ? t->v[0].v[k] : 0;
    g->x = malloc((t->n ? t->n : 1) * sizeof(*g->x));
    if (!g->x || fp_flame_layout(t, k, g->x) < 0)
        return -1;
    uint32_t depth = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->v[i].depth > depth && t->v[i].v[k])
            depth = t->v[i].depth;
    g->height = SVG_TOP + (depth + 1) * SVG_ROW + SVG_BOTTOM;
    fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
            "viewBox=\"0 0 %d %u\" data-x0=\"%d\" data-inner=\"%d\" data-total=\"%llu\">\n",
            SVG_WIDTH, g->height, SVG_WIDTH, g->height, SVG_X0, SVG_WIDTH - 2 * SVG_X0,
            (unsigned long long)g->total);
    fprintf(out, "<style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }"
            " g.f text { pointer-events: none; } g.f:hover rect { stroke: #000; stroke-width: 0.5; }"
            " .b { cursor: pointer; }</style>\n"
            "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n"
            "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" style=\"font-size: 16px\">",
            SVG_WIDTH / 2);
    fp_xml_str(out, title);
    fprintf(out, "</text>\n<text x=\"%d\" y=\"40\" text-anchor=\"middle\">", SVG_WIDTH / 2);
    fp_xml_str(out, subtitle);
    fprintf(out, "</text>\n"
            "<text id=\"unzoom\" class=\"b\" x=\"%d\" y=\"22\" style=\"opacity: 0\">Reset Zoom</text>\n"
            "<text id=\"search\" class=\"b\" x=\"%d\" y=\"22\" text-anchor=\"end\">Search</text>\n"
            "<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\" style=\"opacity: 0\"> </text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n",
            SVG_X0, SVG_WIDTH - SVG_X0, SVG_WIDTH - SVG_X0, g->height - 10, SVG_X0, g->height - 10);
    return 0;
}

/* One box: node i named name, its hover text, its colour. */
static void svg_box(struct svg *g, uint32_t i, const char *name, const char *hover, const char *fill)
{
    const struct fp_flame_node *nd = &g->t->v[i];
    double scale = g->total ? (double)(SVG_WIDTH - 2 * SVG_X0) / (double)g->total : 0;
    double x = SVG_X0 + (double)g->x[i] * scale, w = (double)nd->v[g->k] * scale;
    unsigned y = g->height - SVG_BOTTOM - (nd->depth + 1) * SVG_ROW;
    fprintf(g->out, "<g class=\"f\" data-x=\"%llu\" data-w=\"%llu\" data-d=\"%u\" data-n=\"",
            (unsigned long long)g->x[i], (unsigned long long)nd->v[g->k], nd->depth);
    fp_xml_str(g->out, name);
    fputs("\"><title>", g->out);
    fp_xml_str(g->out, hover);
    fprintf(g->out, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%d\" rx=\"2\" "
            "fill=\"%s\"/><text x=\"%.2f\" y=\"%u\"></text></g>\n",
            x, y, w, SVG_ROW - 1, fill, x + 3, y + SVG_ROW - 4);
}

static int svg_end(struct svg *g)
{
    fprintf(g->out, "<script type=\"text/ecmascript\"><![CDATA[\n");
    fwrite(fp_svg_js, 1, fp_svg_js_len, g->out);
    fprintf(g->out, "]]></script>\n</svg>\n");
    free(g->x);
    return ferror(g->out) ? -1 : 0;
}

/* flamegraph.pl's palettes from a hash of the name: "mem" (greens) for
 * memory, "hot" (reds to yellows) for page faults */
static void palette(const char *name, int hot, char *buf, size_t n)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    double a = (double)(h & 0xff) / 255, b = (double)(h >> 8 & 0xff) / 255;
    if (hot)
        snprintf(buf, n, "rgb(%d,%d,%d)", 205 + (int)(50 * a), (int)(230 * b), (int)(55 * a));
    else
        snprintf(buf, n, "rgb(%d,%d,%d)", (int)(60 * b), 190 + (int)(50 * a), (int)(110 * b));
}

/* The value as a person reads it: bytes or a count. */
static const char *figure(uint64_t v, int metric, char *buf, size_t n)
{
    int bytes = metric == FP_METRIC_BYTES || metric == FP_METRIC_PEAK || metric == FP_METRIC_LEAKED;
    snprintf(buf, n, "%llu %s", (unsigned long long)v, bytes ? "bytes" : fp_metric_name(metric));
    return buf;
}

static const char *special_name(uint32_t frame)
{
    return frame == FP_FLAME_ROOT ? "all" : frame == FP_FLAME_OTHER ? "other" : "[no stack]";
}

/* The tree and value index of metric in a report; NULL when it has none. */
static const struct fp_flame_view *report_view(const struct fp_report *r, int metric, uint32_t *k)
{
    if (fp_metric_is_fault(metric) && r->fault_sources.n) {
        *k = 0;
        return &r->flame_fault;
    }
    for (uint32_t i = 0; i < r->flame_alloc.nv; i++)
        if (r->flame_alloc.metrics[i] == (fp_metric_is_fault(metric) ? FP_METRIC_FAULTS : metric)) {
            *k = i;
            return &r->flame_alloc;
        }
    return NULL;
}

int fp_svg_metric_ok(int metric)
{
    static const int m[] = FP_FLAME_ALLOC_METRICS;
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (m[i] == metric)
            return 1;
    return metric == FP_METRIC_FAULTS;
}

int fp_report_svg(FILE *out, const struct fp_report *r)
{
    int metric = r->o->metric;
    uint32_t k;
    const struct fp_flame_view *fv = report_view(r, metric, &k);
    if (!fv)
        return -1;
    int by_code = fv == &r->flame_fault;
    const struct fp_syms *syms = by_code ? r->fault_sources.syms : r->sites.syms;
    char title[160], sub[1200];
    snprintf(title, sizeof(title), "%s", metric != FP_METRIC_FAULTS ? fp_metric_name(metric)
             : by_code ? "page faults by code" : "page faults by allocation (charged)");
    snprintf(sub, sizeof(sub), "%s (boxes below %.1f%% merged into \"other\")",
             r->summary.command, 100 * FP_FLAME_MIN_SHARE);
    struct svg g;
    if (svg_begin(&g, out, &fv->tree, k, title, sub) < 0) {
        free(g.x);
        return -1;
    }
    for (uint32_t i = 0; i < fv->tree.n; i++) {
        const struct fp_flame_node *nd = &fv->tree.v[i];
        if (!nd->v[k])
            continue;
        char nb[128], where[1200], hover[1400], fig[64], fill[64];
        const char *name = special_name(nd->frame);
        snprintf(where, sizeof(where), "%s", name);
        if (nd->frame < FP_FLAME_NOSTACK) {
            const struct fp_frame *f = fp_syms_frame(syms, nd->frame);
            name = fp_frame_name(f, nb, sizeof(nb));
            fp_fmt_frame(f, where, sizeof(where), 1);
        }
        snprintf(hover, sizeof(hover), "%s: %s (%.2f%%)", where, figure(nd->v[k], metric, fig,
                 sizeof(fig)), g.total ? 100.0 * (double)nd->v[k] / (double)g.total : 0);
        palette(name, by_code || fp_metric_is_fault(metric), fill, sizeof(fill));
        svg_box(&g, i, name, hover, fill);
    }
    return svg_end(&g);
}

/* red for growth, blue for shrink, paler the smaller the change against
 * the largest one */
static void diff_fill(int64_t delta, uint64_t maxd, char *buf, size_t n)
{
    double s = maxd ? (double)(delta < 0 ? -delta : delta) / (double)maxd : 0;
    int c = 210 - (int)(210 * s);
    if (delta > 0)
        snprintf(buf, n, "rgb(255,%d,%d)", c, c);
    else if (delta < 0)
        snprintf(buf, n, "rgb(%d,%d,255)", c, c);
    else
        snprintf(buf, n, "rgb(220,220,220)");
}

int fp_diff_svg(FILE *out, const struct fp_diff *d, const struct fp_opts *o)
{
    int metric = fp_metric_is_fault(o->metric) ? FP_METRIC_FAULTS : o->metric;
    const struct fp_flame_diff *fd = fp_metric_is_fault(o->metric) && d->faults.n
                                     ? &d->flame_faults : &d->flame_sites;
    uint32_t m = UINT32_MAX;
    for (uint32_t i = 0; i < fd->nmetrics; i++)
        if (fd->metrics[i] == metric)
            m = i;
    if (m == UINT32_MAX)
        return -1;
    const struct fp_flame *t = &fd->tree;
    uint64_t maxd = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        int64_t dl = (int64_t)(t->v[i].v[2 * m + 1] - t->v[i].v[2 * m]);
        uint64_t a = (uint64_t)(dl < 0 ? -dl : dl);
        maxd = a > maxd ? a : maxd;
    }
    char title[200], sub[1200];
    snprintf(title, sizeof(title), "%s: base -> new (width by new; red grew, blue shrank)",
             fd == &d->flame_faults ? "page faults by code" : fp_metric_name(metric));
    snprintf(sub, sizeof(sub), "base %s, new %s", d->side[0].r.summary.command,
             d->side[1].r.summary.command);
    struct svg g;
    if (svg_begin(&g, out, t, 2 * m + 1, title, sub) < 0) {
        free(g.x);
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        const struct fp_flame_node *nd = &t->v[i];
        uint64_t b = nd->v[2 * m], nw = nd->v[2 * m + 1];
        if (!nw)
            continue;
        const char *name = nd->frame < fd->nnames ? fd->names[nd->frame] : special_name(nd->frame);
        const char *lname = nd->frame < fd->nnames ? fd->long_names[nd->frame] : name;
        char hover[1400], fill[64];
        int64_t dl = (int64_t)(nw - b);
        snprintf(hover, sizeof(hover), "%s: base %llu, new %llu (%+lld %s)", lname,
                 (unsigned long long)b, (unsigned long long)nw, (long long)dl,
                 fp_metric_name(metric));
        diff_fill(dl, maxd, fill, sizeof(fill));
        svg_box(&g, i, name, hover, fill);
    }
    return svg_end(&g);
}
