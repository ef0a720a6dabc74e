/* report: the options every output shares and the report model — summary,
 * sites, fault sources, fault figures, diagnoses (report.c builds it once,
 * faults.c and diagnose.c compute their parts) and the diff of two (diff.c).
 * The printers only print it, one file per output: report_text.c,
 * report_json.c, report_folded.c, report_diff_text.c, report_diff_json.c;
 * dump.c prints records. */
#ifndef FP_REPORT_H
#define FP_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "model.h"
#include "sites.h"
#include "symbols.h"

enum fp_format { FP_FMT_TEXT = 0, FP_FMT_JSON, FP_FMT_FOLDED };

struct fp_opts {
    enum fp_format format;
    int sort;                 /* metric to rank sites by */
    int metric;               /* folded output's metric */
    int top;                  /* sites shown (0: all) */
    enum fp_by by;
    int threads;              /* per-thread table */
    int normalize;            /* diff: strip namespaces/params/hashes */
    int depth;                /* caller frames shown per site in text */
    int symbols;              /* 0: no dwfl (module+offset only) */
    int top_set;              /* --top given (JSON lists every site otherwise) */
    const struct fp_filter *filter;
    FILE *warn;               /* warnings, NULL with --quiet */
};

struct fp_summary {
    const char *command, *exe;
    uint64_t pid, processes, threads;
    uint64_t allocations, frees, bytes_allocated, reallocs, failed_allocs, unknown_frees;
    uint64_t peak_heap_bytes, peak_blocks, peak_t_ns;
    uint64_t leaked_blocks, leaked_bytes;
    uint64_t temporary_allocations, mmapped_allocations, mmapped_bytes;
    uint64_t mmap_calls, mmap_bytes, munmap_calls, munmap_bytes, mremap_calls, brk_calls;
    uint64_t brk_growth_bytes;
    uint64_t minor_faults, major_faults;
    uint64_t fault_samples;
    double wall_seconds, user_seconds, sys_seconds;
    uint64_t max_rss_kb, nvcsw, nivcsw;
    double avg_lifetime_ns;
    int has_end, truncated;
    uint64_t records;
    uint64_t sampled_bytes;      /* sampled mode's N (0: every call recorded) */
    int estimated;               /* site figures are estimates from samples */
    uint64_t dropped_calls;      /* PROCESS_END dropped */
    uint64_t fault_samples_unrecorded;
    uint64_t pauses;             /* PAUSE records (faultprof --paused, --toggle) */
    double paused_seconds;
    uint64_t paused_minor_faults, paused_major_faults;
    int attached;                /* recording began in a running process */
};

void fp_summary_compute(const struct fp_model *m, struct fp_summary *s);

/* Human-readable sizes and counts: "1.5 MiB", "12.3k". */
const char *fp_fmt_bytes(uint64_t v, char *buf, size_t n);
const char *fp_fmt_count(uint64_t v, char *buf, size_t n);

/* "func (file.c:12)" for a frame, shortened to width (0: no limit). */
const char *fp_fmt_frame(const struct fp_frame *f, char *buf, size_t n, int with_module);

/* ---- page faults (faults.c) ---- */

struct fp_fault_info {
    enum fp_fault_mode mode;     /* FP_FAULTS_PERF or FP_FAULTS_RUSAGE */
    uint64_t period;             /* minor-fault sample period (0 unknown) */
    const char *error;           /* why perf events were not used */
    uint64_t samples, est_minor, est_major;    /* FAULT records; samples x weight */
    uint64_t unrecorded;                       /* samples the recorder met in itself */
    uint64_t late;                             /* samples charged to memory only */
    uint64_t exact_minor, exact_major;         /* getrusage totals */
    uint64_t region_minor[FP_REGION_COUNT], region_major[FP_REGION_COUNT];
    uint64_t region_samples[FP_REGION_COUNT];
};

/* The fault figures of the model whose summary is s. */
void fp_fault_info_compute(const struct fp_model *m, const struct fp_summary *s,
                           struct fp_fault_info *fi);
/* "sampled with perf events, period 64" or "counted with getrusage only: ..." */
const char *fp_fault_mode_text(const struct fp_fault_info *fi, char *buf, size_t n);

/* Fault sources: the fault stacks as sites (allocator internals folded
 * besides o->filter), grouped by o->by, sorted by faults. */
int fp_fault_sources_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                           const struct fp_opts *o);

/* The code (fault source index) that took most of the sampled faults on the
 * memory of allocation site a; -1 when none.  *share gets its fraction. */
int64_t fp_fault_top_toucher(const struct fp_model *m, const struct fp_sites *alloc,
                             const struct fp_sites *faults, uint32_t a, double *share);
int fp_metric_is_fault(int metric);
/* "func (file:line)" of a site's first frame. */
const char *fp_site_name(const struct fp_sites *s, int64_t i, char *buf, size_t n);

/* ---- diagnoses (diagnose.c) ---- */

#define FP_DIAG_LIST(X)                                                  \
    X(MMAP_CHURN,   "mmap_churn",   "allocations above glibc's mmap threshold re-made again and again") \
    X(HEAP_TRIM,    "heap_trim",    "the heap is trimmed and grown back, re-faulting its pages") \
    X(REALLOC_GROWTH, "realloc_growth", "a buffer grown by many reallocs")        \
    X(ZEROED_TOUCH, "zeroed_first_touch", "large zeroed buffers faulted in on first touch")

enum fp_diag_kind {
#define FP_X(n, s, d) FP_DIAG_##n,
    FP_DIAG_LIST(FP_X)
#undef FP_X
    FP_DIAG_COUNT
};

struct fp_diag {
    int kind;
    int64_t site;                /* allocation site index */
    int64_t fault_site;          /* code that touched its memory most, or -1 */
    uint64_t count, bytes, faults, saving;   /* see each kind in diagnose.c */
    int upper_bound;             /* saving is an upper bound ("up to") */
    char evidence[600], advice[900];
};

struct fp_diags {
    struct fp_diag *v;
    size_t n;
};

int fp_diagnose(const struct fp_model *m, const struct fp_fault_info *fi,
                const struct fp_sites *alloc, const struct fp_sites *faults,
                struct fp_diags *out);
void fp_diags_free(struct fp_diags *d);
const char *fp_diag_name(int kind);
const char *fp_diag_title(int kind);
/* "site (file:line) <- caller (file:line)" of the diagnosed site */
const char *fp_diag_where(const struct fp_sites *alloc, int64_t i, char *buf, size_t n);
/* "about 12 page faults", "up to ...", "about 3.1 MiB of copying" */
const char *fp_diag_saving_text(const struct fp_diag *d, char *buf, size_t n);

/* ---- the report model (report.c) ---- */

/* The parts of a report an output prints. */
enum fp_report_part {
    FP_PART_FAULT_SOURCES = 1,   /* fault_sources */
    FP_PART_DIAGNOSES = 2,       /* diags (needs the fault sources) */
    FP_PART_BY_MEMORY = 4,       /* by_memory (perf mode only) */
};

/* How a report's sites are grouped and ranked, and what else it holds. */
struct fp_report_plan {
    enum fp_by by;
    int sort;                    /* metric the sites are ranked by */
    unsigned parts;              /* fp_report_part bits */
};

/* An allocation site ranked by the sampled faults on its blocks. */
struct fp_fault_memory {
    uint32_t site;               /* index in the report's sites */
    int64_t toucher;             /* the fault source that took most of them, or -1 */
    double share;                /* the toucher's fraction of them */
};

struct fp_report {
    const struct fp_model *m;
    const struct fp_opts *o;
    struct fp_summary summary;
    struct fp_fault_info fault_info;
    struct fp_sites sites;            /* allocation sites, ranked by plan.sort */
    struct fp_sites fault_sources;    /* code that took the faults, by faults */
    struct fp_diags diags;
    struct fp_fault_memory *by_memory;   /* the top sites by faults on their memory */
    uint32_t nby_memory;
    struct fp_report_plan plan;
};

/* The plan of o->format's output. */
struct fp_report_plan fp_report_plan_of(const struct fp_opts *o);
/* Builds every part of plan from the model.  Returns 0 or -1 (out of memory). */
int fp_report_build(struct fp_report *r, const struct fp_model *m, struct fp_syms *syms,
                    const struct fp_opts *o, const struct fp_report_plan *plan);
void fp_report_free(struct fp_report *r);
/* Rows of the short lists (fault sources, by memory, the diff's fault lists
 * and each side's top sites):
 * --top when under 10, else 10. */
uint32_t fp_report_short_top(const struct fp_opts *o);

/* ---- the diff of two traces (diff.c) ---- */

/* A site of either side, matched by its key: frames joined by '\n', site
 * first, each "name\tmodule" (or "name" with --normalize). */
struct fp_diff_site {
    char *key;
    struct fp_counts c[2];       /* base, new */
    uint32_t nframes;
    int present[2];
};

struct fp_diff_sites {
    struct fp_diff_site *v;
    size_t n, cap;
};

struct fp_diff_side {
    struct fp_model *m;
    struct fp_syms *syms;
    struct fp_report r;
};

struct fp_diff {
    struct fp_diff_side side[2];     /* base, new */
    struct fp_diff_sites sites;      /* ranked by change in --sort (folded: --metric) */
    struct fp_diff_sites faults;     /* fault sources, ranked by change in faults */
    struct fp_diff_sites by_memory;  /* sites ranked by change in faults on their memory
                                        (its keys are those of sites) */
};

/* Reads both traces and matches their sites.  Returns 0, or -1 with the
 * problem in err. */
int fp_diff_build(struct fp_diff *d, const char *base, const char *new_path,
                  const struct fp_opts *o, char *err, size_t errlen);
void fp_diff_free(struct fp_diff *d);
/* new - base of metric */
int64_t fp_diff_delta(const struct fp_diff_site *d, int metric);
/* One frame of a key (len bytes at p) as text: "name [module]" (with_module)
 * or "name". */
const char *fp_diff_key_frame(const char *p, size_t len, char *buf, size_t n, int with_module);

/* ---- the printers ---- */

int fp_report_text(FILE *out, const struct fp_report *r);      /* report_text.c */
int fp_report_json(FILE *out, const struct fp_report *r);      /* report_json.c */
int fp_report_folded(FILE *out, const struct fp_report *r);    /* report_folded.c */
int fp_diff_text(FILE *out, const struct fp_diff *d, const struct fp_opts *o);   /* report_diff_text.c */
int fp_diff_json(FILE *out, const struct fp_diff *d, const struct fp_opts *o);   /* report_diff_json.c */
int fp_diff_folded(FILE *out, const struct fp_diff *d, const struct fp_opts *o); /* report_folded.c */

/* The summary as one JSON object (no trailing comma or newline). */
void fp_json_summary(FILE *out, const struct fp_summary *s);
/* JSON string writer: quotes and escapes. */
void fp_json_str(FILE *out, const char *s);

/* --dump: every record of path, one per line, in file or time order (dump.c). */
int fp_dump(FILE *out, const char *path, int order, int symbolize, char *err, size_t errlen);

#endif
