/* gate: --diff BASE NEW --fail-on EXPR, the limits a CI job sets on a diff.
 * gate.c parses an expression and evaluates it over the diff model
 * (diff.c); report_gate.c prints the verdicts (reason lines, JUnit XML). */
#ifndef FP_GATE_H
#define FP_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fp_diff;

/* How the limit is read: NEW's value, NEW - BASE, or the change in percent. */
enum fp_gate_kind { FP_GATE_VALUE = 0, FP_GATE_DELTA, FP_GATE_PERCENT };

/* One --fail-on EXPR: METRIC[@FUNCTION]>LIMIT. */
struct fp_gate {
    const char *expr;            /* as given (not owned) */
    int summary_field;           /* index in the whole-program metrics, or -1 */
    int site_metric;             /* fp_metric of allocation sites with @FUNCTION, or -1 */
    char *function;              /* @FUNCTION: a glob on a site's function, or NULL */
    enum fp_gate_kind kind;
    double limit;
};

/* A gate's verdict over one diff. */
struct fp_gate_result {
    const struct fp_gate *g;
    uint64_t base, new_value;
    double change;               /* percent; +inf from 0 to more */
    int passed_limit;            /* the value is over the limit */
    int significant;             /* the change is more than noise (gate_significant) */
    int failed;                  /* both: the gate fails */
};

/* Parses expr into g.  Returns 0, or -1 with the problem in err. */
int fp_gate_parse(struct fp_gate *g, const char *expr, char *err, size_t errlen);
void fp_gate_free(struct fp_gate *g);
const char *fp_gate_metric_name(const struct fp_gate *g);

/* Evaluates gate g over d into r.  Returns 0, or -1 with the problem in err
 * (@FUNCTION matches no allocation site of either side). */
int fp_gate_eval(const struct fp_diff *d, const struct fp_gate *g, struct fp_gate_result *r,
                 char *err, size_t errlen);

/* ---- the printers (report_gate.c) ---- */

/* One line per gate, "FAIL ..." or "ok ...", each prefixed by prefix. */
void fp_gate_text(FILE *out, const char *prefix, const struct fp_gate_result *r, size_t n);
/* A JUnit XML file: one test suite, one test case per gate.  Returns 0 or -1. */
int fp_gate_junit(FILE *out, const struct fp_gate_result *r, size_t n, const char *base,
                  const char *new_path);

#endif
