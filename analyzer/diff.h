/* diff.h: a figure measured over one side's runs, and the decision whether
 * its change from one side to the other is more than run-to-run noise.  The
 * diff (report.h, diff.c) marks its figures and sites with it; gates that
 * fail a build on a change should ask it too.  The rule is stated in
 * man/faultprof-report.1 (REPEATED RUNS). */
#ifndef FP_DIFF_H
#define FP_DIFF_H

#include <stdint.h>

/* The smallest relative change called significant by default: 5% of the
 * larger median. */
#define FP_DIFF_MIN_REL 0.05

/* One figure over a side's runs. */
struct fp_stat {
    double median, min, max;     /* the spread is max - min */
    uint32_t n;                  /* runs */
};

/* The figure of v[0..n-1] (n >= 1; v is not modified). */
void fp_stat_of(struct fp_stat *s, const double *v, uint32_t n);

enum fp_sig {
    FP_SIG_NO_ESTIMATE = 0,      /* a side has one run: no noise estimate exists */
    FP_SIG_NOISE,                /* within run-to-run variation, or too small */
    FP_SIG_CHANGED,              /* significant */
};

/* Is the change from base to new significant?  With two runs or more on each
 * side: yes when the medians differ by more than the larger spread (max -
 * min) of the two sides and by more than min_rel of the larger median
 * (FP_DIFF_MIN_REL unless a caller has its own).  With one run on a side:
 * FP_SIG_NO_ESTIMATE, whatever the figures. */
enum fp_sig fp_diff_significant(const struct fp_stat *base, const struct fp_stat *new_side,
                                double min_rel);
/* "significant", "noise" or "no estimate" */
const char *fp_sig_name(enum fp_sig s);

#endif
