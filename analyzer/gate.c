/* gate: --fail-on EXPR over the diff of two traces.  EXPR is
 * METRIC[@FUNCTION]>LIMIT: METRIC a whole-program figure named as in the
 * JSON summary (minor_faults, bytes_allocated, leaked_bytes, ...), or with
 * @FUNCTION an allocation-site metric (as --sort names them) summed over the
 * sites whose function matches the glob FUNCTION.  LIMIT is N (NEW's value
 * is over N), +N (NEW - BASE is over N) or +N% (the change is over N
 * percent of BASE).  A gate fails when its value passes the limit and the
 * change is significant (gate_significant). */
#include "gate.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "report.h"

/* The whole-program metrics a gate reads: fields of struct fp_summary. */
static const struct {
    const char *name;
    size_t off;
} summary_fields[] = {
#define F(name, field) { name, offsetof(struct fp_summary, field) }
    F("allocations", allocations),
    F("frees", frees),
    F("bytes_allocated", bytes_allocated),
    F("reallocs", reallocs),
    F("failed_allocations", failed_allocs),
    F("peak_heap_bytes", peak_heap_bytes),
    F("peak_heap_blocks", peak_blocks),
    F("leaked_blocks", leaked_blocks),
    F("leaked_bytes", leaked_bytes),
    F("temporary_allocations", temporary_allocations),
    F("mmapped_allocations", mmapped_allocations),
    F("mmapped_bytes", mmapped_bytes),
    F("mmap_calls", mmap_calls),
    F("mmap_bytes", mmap_bytes),
    F("brk_calls", brk_calls),
    F("brk_growth_bytes", brk_growth_bytes),
    F("minor_faults", minor_faults),
    F("major_faults", major_faults),
    F("fault_samples", fault_samples),
    F("max_rss_kb", max_rss_kb),
#undef F
};
#define NSUMMARY (sizeof(summary_fields) / sizeof(summary_fields[0]))

static int summary_field(const char *name)
{
    for (size_t i = 0; i < NSUMMARY; i++)
        if (!strcmp(summary_fields[i].name, name))
            return (int)i;
    return -1;
}

static uint64_t summary_value(const struct fp_summary *s, int field)
{
    uint64_t v;
    memcpy(&v, (const char *)s + summary_fields[field].off, sizeof(v));
    return v;
}

/* A site metric by --sort's name, or the summary's name of the same count. */
static int site_metric(const char *name)
{
    if (!strcmp(name, "bytes_allocated"))
        return FP_METRIC_BYTES;
    if (!strcmp(name, "leaked_bytes"))
        return FP_METRIC_LEAKED;
    if (!strcmp(name, "peak_bytes"))
        return FP_METRIC_PEAK;
    return fp_metric_parse(name);
}

const char *fp_gate_metric_name(const struct fp_gate *g)
{
    return g->summary_field >= 0 ? summary_fields[g->summary_field].name
                                 : fp_metric_name(g->site_metric);
}

/* "20", "1.5M", "64KiB", "+10%": the number, its unit applied. */
static int parse_limit(const char *s, struct fp_gate *g)
{
    g->kind = FP_GATE_VALUE;
    if (*s == '+') {
        g->kind = FP_GATE_DELTA;
        s++;
    }
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    double v = strtod(s, &end);
    static const struct { const char *suffix; double mul; } units[] = {
        { "", 1 }, { "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
        { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
    };
    if (!strcmp(end, "%") && g->kind == FP_GATE_DELTA) {
        g->kind = FP_GATE_PERCENT;
        g->limit = v;
        return 0;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcmp(end, units[i].suffix)) {
            g->limit = v * units[i].mul;
            return 0;
        }
    }
    return -1;
}

int fp_gate_parse(struct fp_gate *g, const char *expr, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    g->expr = expr;
    g->summary_field = g->site_metric = -1;
    /* the limit follows the last '>': a function name may hold others */
    const char *gt = strrchr(expr, '>');
    if (!gt) {
        snprintf(err, errlen, "--fail-on '%s': want METRIC>LIMIT, e.g. minor_faults>+20%%", expr);
        return -1;
    }
    size_t llen = strlen(gt + 1);
    if (gt[1] != '+' && llen && gt[llen] == '%') {
        snprintf(err, errlen, "--fail-on '%s': a percentage is a change: write +%s", expr, gt + 1);
        return -1;
    }
    if (parse_limit(gt + 1, g) < 0) {
        snprintf(err, errlen, "--fail-on '%s': the limit '%s' is not N, +N or +N%% "
                 "(N may end in k, M, G, KiB, MiB or GiB)", expr, gt + 1);
        return -1;
    }
    const char *at = memchr(expr, '@', (size_t)(gt - expr));
    size_t mlen = (size_t)((at ? at : gt) - expr);
    char metric[64];
    snprintf(metric, sizeof(metric), "%.*s", (int)(mlen < sizeof(metric) ? mlen : 0), expr);
    if (at) {
        g->site_metric = site_metric(metric);
        if (g->site_metric < 0) {
            snprintf(err, errlen, "--fail-on '%s': unknown site metric '%s' (one of --sort's)",
                     expr, metric);
            return -1;
        }
        size_t flen = (size_t)(gt - at - 1);
        if (flen == 0 || !(g->function = strndup(at + 1, flen))) {
            snprintf(err, errlen, "--fail-on '%s': no function after '@'", expr);
            return -1;
        }
        return 0;
    }
    g->summary_field = summary_field(metric);
    if (g->summary_field < 0) {
        snprintf(err, errlen, "--fail-on '%s': unknown metric '%s' (minor_faults, "
                 "major_faults, bytes_allocated, allocations, leaked_bytes, peak_heap_bytes, "
                 "... see faultprof-report(1))", expr, metric);
        return -1;
    }
    return 0;
}

void fp_gate_free(struct fp_gate *g)
{
    free(g->function);
    g->function = NULL;
}

/* Whether the change between st[0] and st[1] is more than noise, by the
 * diff's rule (diff.h, fp_diff_significant).  With one run on a side there
 * is no noise estimate, and every change counts. */
static int gate_significant(const struct fp_stat st[2])
{
    return fp_diff_significant(&st[0], &st[1], FP_DIFF_MIN_REL) != FP_SIG_NOISE;
}

/* The function of a diff site's key: its first frame, up to a tab or newline. */
static int key_function_matches(const char *key, const char *glob)
{
    char name[1024];
    size_t n = strcspn(key, "\t\n");
    snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), key);
    return fnmatch(glob, name, 0) == 0;
}

/* The sites' figures: each side's median over its runs, and the spread
 * (the sums of the sites' smallest and largest runs). */
static int site_values(const struct fp_diff *d, const struct fp_gate *g, struct fp_stat st[2])
{
    int matched = 0;
    memset(st, 0, 2 * sizeof(*st));
    for (size_t i = 0; i < d->sites.n; i++) {
        const struct fp_diff_site *s = &d->sites.v[i];
        if (!key_function_matches(s->key, g->function))
            continue;
        matched = 1;
        for (int k = 0; k < 2; k++) {
            st[k].median += (double)fp_metric_value(&s->c[k], g->site_metric);
            st[k].min += (double)fp_metric_value(&s->lo[k], g->site_metric);
            st[k].max += (double)fp_metric_value(&s->hi[k], g->site_metric);
        }
    }
    for (int k = 0; k < 2; k++)
        st[k].n = d->side[k].nruns;
    return matched;
}

/* A whole-program figure over each side's runs. */
static int summary_values(const struct fp_diff *d, const struct fp_gate *g, struct fp_stat st[2])
{
    for (int k = 0; k < 2; k++) {
        uint32_t n = d->side[k].nruns ? d->side[k].nruns : 1;
        double *v = malloc(n * sizeof(*v));
        if (!v)
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            const struct fp_report *r = d->side[k].nruns ? &d->side[k].runs[i].r : &d->side[k].r;
            v[i] = (double)summary_value(&r->summary, g->summary_field);
        }
        fp_stat_of(&st[k], v, n);
        free(v);
    }
    return 0;
}

int fp_gate_eval(const struct fp_diff *d, const struct fp_gate *g, struct fp_gate_result *r,
                 char *err, size_t errlen)
{
    struct fp_stat st[2];
    memset(r, 0, sizeof(*r));
    r->g = g;
    if (g->function) {
        if (!site_values(d, g, st)) {
            snprintf(err, errlen, "--fail-on '%s': no allocation site of BASE or NEW is in "
                     "a function matching '%s'", g->expr, g->function);
            return -1;
        }
    } else if (summary_values(d, g, st) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t v[2] = { (uint64_t)st[0].median, (uint64_t)st[1].median };
    r->base = v[0];
    r->new_value = v[1];
    double delta = (double)v[1] - (double)v[0];
    r->change = v[0] ? 100.0 * delta / (double)v[0] : v[1] ? INFINITY : 0.0;
    switch (g->kind) {
    case FP_GATE_VALUE: r->passed_limit = (double)v[1] > g->limit; break;
    case FP_GATE_DELTA: r->passed_limit = delta > g->limit; break;
    case FP_GATE_PERCENT: r->passed_limit = r->change > g->limit; break;
    }
    r->significant = gate_significant(st);
    r->failed = r->passed_limit && r->significant;
    return 0;
}
