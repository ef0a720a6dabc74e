/* report: the options every output shares, the summary computed from the
 * model, and the output entry points (one file each: report_text.c,
 * report_json.c, report_folded.c, dump.c, diff.c). */
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
};

void fp_summary_compute(const struct fp_model *m, struct fp_summary *s);

/* Human-readable sizes and counts: "1.5 MiB", "12.3k". */
const char *fp_fmt_bytes(uint64_t v, char *buf, size_t n);
const char *fp_fmt_count(uint64_t v, char *buf, size_t n);

/* "func (file.c:12)" for a frame, shortened to width (0: no limit). */
const char *fp_fmt_frame(const struct fp_frame *f, char *buf, size_t n, int with_module);

int fp_report_text(FILE *out, const struct fp_model *m, const struct fp_sites *sites,
                   const struct fp_opts *o);
int fp_report_json(FILE *out, const struct fp_model *m, const struct fp_sites *sites,
                   const struct fp_opts *o);
int fp_report_folded(FILE *out, const struct fp_model *m, const struct fp_sites *sites,
                     const struct fp_opts *o);

/* --dump: every record of path, one per line, in file or time order. */
int fp_dump(FILE *out, const char *path, int order, int symbolize, char *err, size_t errlen);

/* --diff BASE NEW: reads both, prints the comparison in o->format. */
int fp_diff(FILE *out, const char *base, const char *new_path, const struct fp_opts *o,
            char *err, size_t errlen);

/* A frame's name for folded output (';' replaced). */
void fp_folded_frame(FILE *out, const struct fp_frame *f);

/* The summary as one JSON object (no trailing comma or newline). */
void fp_json_summary(FILE *out, const struct fp_summary *s);

/* JSON string writer: quotes and escapes. */
void fp_json_str(FILE *out, const char *s);


/* ---- page faults (faults.c) ---- */

struct fp_fault_info {
    int mode;                    /* 1: sampled with perf events, 2: getrusage counts only */
    uint64_t period;             /* minor-fault sample period (0 unknown) */
    const char *error;           /* why perf events were not used */
    uint64_t samples, est_minor, est_major;    /* FAULT records; samples x weight */
    uint64_t unrecorded;                       /* samples the recorder met in itself */
    uint64_t late;                             /* samples charged to memory only */
    uint64_t exact_minor, exact_major;         /* getrusage totals */
    uint64_t region_minor[FP_REGION_COUNT], region_major[FP_REGION_COUNT];
    uint64_t region_samples[FP_REGION_COUNT];
};

void fp_fault_info_compute(const struct fp_model *m, struct fp_fault_info *fi);
/* "sampled with perf events, period 64" or "counted with getrusage only: ..." */
const char *fp_fault_mode_text(const struct fp_fault_info *fi, char *buf, size_t n);

/* Fault sources: the fault stacks as sites, sorted by faults. */
int fp_fault_sites_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                         const struct fp_opts *o);

/* The code (fault site index) that took most of the sampled faults on the
 * memory of allocation site a; -1 when none.  *share gets its fraction. */
int64_t fp_fault_top_toucher(const struct fp_model *m, const struct fp_sites *alloc,
                             const struct fp_sites *faults, uint32_t a, double *share);

void fp_faults_text(FILE *out, const struct fp_model *m, const struct fp_sites *alloc,
                    const struct fp_sites *faults, const struct fp_opts *o);
void fp_faults_json(FILE *out, const struct fp_model *m, const struct fp_sites *faults,
                    const struct fp_opts *o);
int fp_faults_folded(FILE *out, const struct fp_sites *faults, int metric);
int fp_metric_is_fault(int metric);

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

int fp_diagnose(const struct fp_model *m, const struct fp_sites *alloc,
                const struct fp_sites *faults, struct fp_diags *out);
void fp_diags_free(struct fp_diags *d);
const char *fp_diag_name(int kind);
void fp_diags_text(FILE *out, const struct fp_diags *d, const struct fp_sites *alloc,
                   const struct fp_sites *faults);
void fp_diags_json(FILE *out, const struct fp_diags *d, const struct fp_sites *alloc,
                   const struct fp_sites *faults);
/* "func (file:line)" of a site's first frame. */
const char *fp_site_name(const struct fp_sites *s, int64_t i, char *buf, size_t n);

#endif
