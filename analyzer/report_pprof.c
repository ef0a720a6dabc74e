/* placeholder until written */
#include "report.h"
int fp_report_pprof(FILE *out, const struct fp_report *r) { (void)out; (void)r; return -1; }
