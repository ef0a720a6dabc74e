/* report_svg: --format svg, a standalone interactive flame graph of one
 * metric (--metric), like flamegraph.pl's: the report's flame-graph tree
 * (flame.c, frames below FP_FLAME_MIN_SHARE merged into "other"), root at
 * the bottom, each box as wide as its share; click zooms, "Search"
 * highlights (the script is analyzer/html/flame_svg.js, embedded).  With
 * --diff, the differential one: width by NEW, red where NEW grew, blue
 * where it shrank, as difffolded.pl + flamegraph.pl draw it, and its
 * reverse view in the same file ("Width by base": what shrank or went is
 * as wide as it was, in the same colours). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "html_assets.h"

#define SVG_WIDTH 1200
#define SVG_X0 10
#define SVG_ROW 16
#define SVG_TOP 50
#define SVG_BOTTOM 30

/* A flame graph being drawn: its tree, value index, starts and total; a
 * differential one also has the reverse view's (width by base). */
struct svg {
    FILE *out;
    const struct fp_flame *t;
    uint32_t k;                  /* the value boxes are as wide as */
    uint64_t *x;                 /* each node's start (fp_flame_layout) */
    uint64_t total;
    uint32_t bk;                 /* the reverse view's value, UINT32_MAX: none */
    uint64_t *bx;
    uint64_t btotal;
    uint32_t height;
};

/* Each node's start along value k of t into *x (allocated); 0 or -1. */
static int svg_layout(const struct fp_flame *t, uint32_t k, uint64_t **x)
{
    *x = malloc((t->n ? t->n : 1) * sizeof(**x));
    return *x && fp_flame_layout(t, k, *x) == 0 ? 0 : -1;
}

/* The deepest box of value k. */
static uint32_t svg_depth(const struct fp_flame *t, uint32_t k)
{
    uint32_t depth = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->v[i].depth > depth && t->v[i].v[k])
            depth = t->v[i].depth;
    return depth;
}

/* Starts graph g of value k of t (bk: the reverse view's, or UINT32_MAX). */
static int svg_begin(struct svg *g, FILE *out, const struct fp_flame *t, uint32_t k, uint32_t bk,
                     const char *title, const char *subtitle)
{
    memset(g, 0, sizeof(*g));
    g->out = out;
    g->t = t;
    g->k = k;
    g->bk = bk;
    g->total = t->n ? t->v[0].v[k] : 0;
    if (svg_layout(t, k, &g->x) < 0 || (bk != UINT32_MAX && svg_layout(t, bk, &g->bx) < 0))
        return -1;
    uint32_t depth = svg_depth(t, k);
    if (bk != UINT32_MAX) {
        g->btotal = t->n ? t->v[0].v[bk] : 0;
        uint32_t d = svg_depth(t, bk);
        depth = d > depth ? d : depth;
    }
    g->height = SVG_TOP + (depth + 1) * SVG_ROW + SVG_BOTTOM;
    fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
            "viewBox=\"0 0 %d %u\" data-x0=\"%d\" data-inner=\"%d\" data-total=\"%llu\"",
            SVG_WIDTH, g->height, SVG_WIDTH, g->height, SVG_X0, SVG_WIDTH - 2 * SVG_X0,
            (unsigned long long)g->total);
    if (bk != UINT32_MAX)
        fprintf(out, " data-total-base=\"%llu\"", (unsigned long long)g->btotal);
    fputs(">\n", out);
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
    if (bk != UINT32_MAX)
        fprintf(out, "<text id=\"reverse\" class=\"b\" x=\"%d\" y=\"22\" text-anchor=\"end\">"
                "Width by base</text>\n<text id=\"view\" x=\"%d\" y=\"22\">"
                "widths by new</text>\n", SVG_WIDTH - SVG_X0 - 80, SVG_X0 + 100);
    return 0;
}

/* One box: node i named name, its hover text, its colour. */
static void svg_box(struct svg *g, uint32_t i, const char *name, const char *hover, const char *fill)
{
    const struct fp_flame_node *nd = &g->t->v[i];
    double scale = g->total ? (double)(SVG_WIDTH - 2 * SVG_X0) / (double)g->total : 0;
    double x = SVG_X0 + (double)g->x[i] * scale, w = (double)nd->v[g->k] * scale;
    unsigned y = g->height - SVG_BOTTOM - (nd->depth + 1) * SVG_ROW;
    fprintf(g->out, "<g class=\"f\" data-x=\"%llu\" data-w=\"%llu\" data-d=\"%u\"",
            (unsigned long long)g->x[i], (unsigned long long)nd->v[g->k], nd->depth);
    if (g->bx)
        fprintf(g->out, " data-bx=\"%llu\" data-bw=\"%llu\"", (unsigned long long)g->bx[i],
                (unsigned long long)nd->v[g->bk]);
    fputs(" data-n=\"", g->out);
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
    free(g->bx);
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
    snprintf(buf, n, "%llu %s", (unsigned long long)v, bytes ? "bytes"
             : metric == FP_METRIC_FAULTS_BY_ALLOCATION ? "faults" : fp_metric_name(metric));
    return buf;
}

static const char *special_name(uint32_t frame)
{
    return frame == FP_FLAME_ROOT ? "all" : frame == FP_FLAME_OTHER ? "other" : "[no stack]";
}

/* The metric of the allocation sites' tree that draws metric: the faults on
 * their blocks for page faults by allocation (and for faults by code when
 * there are no fault sources), else itself. */
static int alloc_metric(int metric)
{
    return fp_metric_is_fault(metric) || metric == FP_METRIC_FAULTS_BY_ALLOCATION
           ? FP_METRIC_FAULTS : metric;
}

/* The tree and value index of metric in a report; NULL when it has none. */
static const struct fp_flame_view *report_view(const struct fp_report *r, int metric, uint32_t *k)
{
    if (fp_metric_is_fault(metric) && r->fault_sources.n) {
        *k = 0;
        return &r->flame_fault;
    }
    for (uint32_t i = 0; i < r->flame_alloc.nv; i++)
        if (r->flame_alloc.metrics[i] == alloc_metric(metric)) {
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
    return metric == FP_METRIC_FAULTS_BY_ALLOCATION;
}

/* A graph's title: the HTML report's name of its metric. */
static const char *svg_title(int metric, int by_code)
{
    if (metric == FP_METRIC_FAULTS_BY_ALLOCATION)
        return "page faults by allocation";
    if (metric == FP_METRIC_FAULTS)
        return by_code ? "page faults by code" : "page faults by allocation (charged)";
    return fp_metric_name(metric);
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
    snprintf(title, sizeof(title), "%s", svg_title(metric, by_code));
    snprintf(sub, sizeof(sub), "%s (boxes below %.1f%% merged into \"other\")",
             r->summary.command, 100 * FP_FLAME_MIN_SHARE);
    struct svg g;
    if (svg_begin(&g, out, &fv->tree, k, UINT32_MAX, title, sub) < 0) {
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
        palette(name, by_code || alloc_metric(metric) == FP_METRIC_FAULTS, fill, sizeof(fill));
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
    const struct fp_flame_diff *fd = fp_metric_is_fault(o->metric) && d->faults.n
                                     ? &d->flame_faults : &d->flame_sites;
    int metric = alloc_metric(o->metric);
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
    snprintf(title, sizeof(title), "%s: base -> new (red grew, blue shrank)",
             svg_title(o->metric == FP_METRIC_FAULTS_BY_ALLOCATION ? o->metric : metric,
                       fd == &d->flame_faults));
    snprintf(sub, sizeof(sub), "base %s, new %s", d->side[0].r.summary.command,
             d->side[1].r.summary.command);
    struct svg g;
    if (svg_begin(&g, out, t, 2 * m + 1, 2 * m, title, sub) < 0) {
        free(g.x);
        free(g.bx);
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        const struct fp_flame_node *nd = &t->v[i];
        uint64_t b = nd->v[2 * m], nw = nd->v[2 * m + 1];
        if (!nw && !b)
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
