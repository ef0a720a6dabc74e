/* report_gate: the verdicts of --fail-on gates (gate.c) as one line each
 * and as a JUnit XML file for CI systems.  Prints and computes nothing. */
#include "gate.h"
#include "report.h"

#include <math.h>
#include <string.h>

/* "base 2328, new 1032566 (+1030238, +44254.1%)" */
static const char *gate_figures(const struct fp_gate_result *r, char *buf, size_t n)
{
    long long delta = (long long)r->new_value - (long long)r->base;
    char pct[32];
    if (isinf(r->change))
        snprintf(pct, sizeof(pct), "from 0");
    else
        snprintf(pct, sizeof(pct), "%+.1f%%", r->change);
    snprintf(buf, n, "base %llu, new %llu (%+lld, %s)", (unsigned long long)r->base,
             (unsigned long long)r->new_value, delta, pct);
    return buf;
}

static const char *verdict(const struct fp_gate_result *r)
{
    if (r->failed)
        return "FAIL";
    return r->passed_limit ? "ok (not significant)" : "ok";
}

void fp_gate_text(FILE *out, const char *prefix, const struct fp_gate_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char fig[160];
        fprintf(out, "%s%s %s: %s\n", prefix, verdict(&r[i]), r[i].g->expr,
                gate_figures(&r[i], fig, sizeof(fig)));
    }
}

int fp_gate_junit(FILE *out, const struct fp_gate_result *r, size_t n, const char *base,
                  const char *new_path)
{
    size_t failures = 0;
    for (size_t i = 0; i < n; i++)
        failures += r[i].failed != 0;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", n, failures);
    fprintf(out, "  <testsuite name=\"faultprof\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            n, failures);
    fprintf(out, "    <properties>\n      <property name=\"base\" value=\"");
    fp_xml_str(out, base);
    fprintf(out, "\"/>\n      <property name=\"new\" value=\"");
    fp_xml_str(out, new_path);
    fprintf(out, "\"/>\n    </properties>\n");
    for (size_t i = 0; i < n; i++) {
        char fig[160];
        gate_figures(&r[i], fig, sizeof(fig));
        fprintf(out, "    <testcase classname=\"faultprof.gate\" name=\"");
        fp_xml_str(out, r[i].g->expr);
        if (!r[i].failed) {
            fprintf(out, "\">\n      <system-out>");
            fp_xml_str(out, fig);
            fprintf(out, "</system-out>\n    </testcase>\n");
            continue;
        }
        fprintf(out, "\">\n      <failure type=\"limit\" message=\"");
        fp_xml_str(out, r[i].g->expr);
        fprintf(out, ": ");
        fp_xml_str(out, fig);
        fprintf(out, "\">");
        fp_xml_str(out, fig);
        fprintf(out, "</failure>\n    </testcase>\n");
    }
    fprintf(out, "  </testsuite>\n</testsuites>\n");
    return ferror(out) ? -1 : 0;
}
