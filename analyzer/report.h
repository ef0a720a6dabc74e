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
#include "flame.h"
#include "diff.h"
#include "model.h"
#include "run.h"
#include "sites.h"
#include "symbols.h"

enum fp_format { FP_FMT_TEXT = 0, FP_FMT_JSON, FP_FMT_FOLDED, FP_FMT_HTML, FP_FMT_SPEEDSCOPE,
                 FP_FMT_PPROF, FP_FMT_SVG };

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
    const char *command, *exe;   /* the root process's (see fp_ptree_build) */
    uint64_t pid, processes, threads;
    uint64_t allocations, frees, bytes_allocated, reallocs, failed_allocs, unknown_frees;
    uint64_t peak_heap_bytes, peak_blocks, peak_t_ns;
    uint64_t leaked_blocks, leaked_bytes;
    uint64_t temporary_allocations, mmapped_allocations, mmapped_bytes;
    uint64_t mmap_calls, mmap_bytes, munmap_calls, munmap_bytes, mremap_calls, brk_calls;
    uint64_t brk_growth_bytes;
    uint64_t minor_faults, major_faults;
    uint64_t fault_samples;
    double wall_seconds;         /* the run's: its manifest's, else first start to last end */
    double user_seconds, sys_seconds;    /* every process's */
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

/* ---- fault classes (fclass_report.c; the classes: fclass.h) ---- */

#define FP_FCLASS_TOP 3

/* One class of the run's sampled faults, with its evidence and advice. */
struct fp_fclass_row {
    int cls;                         /* enum fp_fclass */
    uint64_t faults, samples;        /* estimated faults (samples x weight), samples */
    double share;                    /* of every sample's faults */
    uint32_t nsites;
    uint32_t sites[FP_FCLASS_TOP];   /* allocation sites (r->sites) with the most of them */
    uint64_t site_faults[FP_FCLASS_TOP];
    int64_t source;                  /* the fault source (r->fault_sources) with the most, -1 */
    uint64_t source_faults;
    const char *confidence;          /* "exact", "statistical" or "undercounted" */
    char evidence[600];
    char advice[900];
};

struct fp_fclasses {
    struct fp_fclass_row v[FP_FCLASS_COUNT];   /* the classes with faults, most first */
    uint32_t n;
    uint64_t total, period;
    char rule[400];                  /* how sure the classes are, in a sentence */
};

int fp_fclasses_build(struct fp_fclasses *out, const struct fp_model *m,
                      const struct fp_fault_info *fi, const struct fp_sites *alloc,
                      const struct fp_sites *faults);
/* "refault_madvise 96%, first_touch 4%" of counters c (n classes at most) */
const char *fp_fclass_mix(const struct fp_counts *c, char *buf, size_t len, int n);

/* ---- the report model (report.c) ---- */

/* The parts of a report an output prints. */
enum fp_report_part {
    FP_PART_FAULT_SOURCES = 1,   /* fault_sources */
    FP_PART_DIAGNOSES = 2,       /* diags (needs the fault sources) */
    FP_PART_BY_MEMORY = 4,       /* by_memory (perf mode only) */
    FP_PART_FLAMES = 8,          /* flame_alloc, flame_fault, axis (needs the fault sources) */
};

/* The metrics of the allocation flame graph, in the order of its values. */
#define FP_FLAME_ALLOC_METRICS { FP_METRIC_ALLOCATIONS, FP_METRIC_BYTES, FP_METRIC_PEAK, \
                                 FP_METRIC_LEAKED, FP_METRIC_TEMPORARY, FP_METRIC_FAULTS }
#define FP_FLAME_ALLOC_NV 6

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
    struct fp_fclasses classes;       /* perf mode, with the fault sources */
    struct fp_fault_memory *by_memory;   /* the top sites by faults on their memory */
    uint32_t nby_memory;
    struct fp_report_plan plan;
    /* FP_PART_FLAMES: the flame graphs of the sites (FP_FLAME_ALLOC_METRICS)
     * and of the fault sources (faults), and the time axis of the model's
     * timelines (nbuckets 0 when it kept none) */
    struct fp_flame_view flame_alloc, flame_fault;
    struct fp_tl_axis axis;
    struct fp_ptree tree;             /* the processes; the summary names its root */
    const struct fp_run *run;         /* the run read, NULL: traces given as files */
};

/* The plan of o->format's output. */
struct fp_report_plan fp_report_plan_of(const struct fp_opts *o);
/* Builds every part of plan from the model.  Returns 0 or -1 (out of memory). */
int fp_report_build(struct fp_report *r, const struct fp_model *m, struct fp_syms *syms,
                    const struct fp_opts *o, const struct fp_report_plan *plan);
void fp_report_free(struct fp_report *r);
/* The report is of run: its root process and wall time are the manifest's.
 * Returns 0 or -1 (out of memory). */
int fp_report_set_run(struct fp_report *r, const struct fp_run *run);
/* Rows of the short lists (fault sources, by memory, the diff's fault lists
 * and each side's top sites):
 * --top when under 10, else 10. */
uint32_t fp_report_short_top(const struct fp_opts *o);

/* ---- the diff of two sides, each one run or several (diff.c) ---- */

/* The figures of the diff's summary: field, JSON key, label, unit (0 count,
 * 1 bytes, 2 seconds). */
#define FP_FIG_LIST(X)                                                          \
    X(MINOR_FAULTS,  "minor_faults",      "minor faults",       0)              \
    X(MAJOR_FAULTS,  "major_faults",      "major faults",       0)              \
    X(FAULT_SAMPLES, "fault_samples",     "fault samples",      0)              \
    X(SYS,           "sys_seconds",       "sys seconds",        2)              \
    X(USER,          "user_seconds",      "user seconds",       2)              \
    X(WALL,          "wall_seconds",      "wall seconds",       2)              \
    X(ALLOCATIONS,   "allocations",       "allocations",        0)              \
    X(FREES,         "frees",             "frees",              0)              \
    X(BYTES,         "bytes_allocated",   "bytes allocated",    1)              \
    X(PEAK_HEAP,     "peak_heap_bytes",   "peak heap",          1)              \
    X(LEAKED_BYTES,  "leaked_bytes",      "leaked bytes",       1)              \
    X(TEMPORARY,     "temporary",         "temporary",          0)              \
    X(REALLOCS,      "reallocs",          "reallocs",           0)              \
    X(MMAPPED,       "mmapped_allocations", "mmapped allocs",   0)              \
    X(MMAP_CALLS,    "mmap_calls",        "mmap calls",         0)              \
    X(MUNMAP_CALLS,  "munmap_calls",      "munmap calls",       0)              \
    X(MMAP_BYTES,    "mmap_bytes",        "mmap bytes",         1)              \
    X(BRK_GROWTH,    "brk_growth_bytes",  "heap break growth",  1)              \
    X(BRK_TRIMS,     "brk_trims",         "heap trims",         0)              \
    X(BRK_REGROWN,   "brk_regrown_bytes", "heap regrown",       1)              \
    X(THREADS,       "threads",           "threads",            0)              \
    X(PROCESSES,     "processes",         "processes",          0)              \
    X(MAX_RSS,       "max_rss_bytes",     "max RSS",            1)

enum fp_fig {
#define FP_X(n, k, l, u) FP_FIG_##n,
    FP_FIG_LIST(FP_X)
#undef FP_X
    FP_FIG_COUNT
};
const char *fp_fig_key(int fig);
const char *fp_fig_label(int fig);
int fp_fig_unit(int fig);

/* A figure of both sides and whether its change is significant. */
struct fp_diff_fig {
    struct fp_stat s[2];         /* base, new */
    enum fp_sig sig;
};

/* A site of either side, matched by its key: frames joined by '\n', site
 * first, each "name\tmodule" (or "name" with --normalize).  With several
 * runs on a side, c is each counter's median over the runs (0 where a run
 * lacks the site), lo and hi its smallest and largest. */
struct fp_diff_site {
    char *key;
    struct fp_counts c[2];       /* base, new */
    struct fp_counts lo[2], hi[2];
    uint32_t nframes;
    int present[2];
    uint32_t run;                /* while built: the run an entry came from */
};

struct fp_diff_sites {
    struct fp_diff_site *v;
    size_t n, cap;
};

/* One run of a side, read and reported as a report would be. */
struct fp_diff_run {
    struct fp_run run;
    struct fp_model *m;
    struct fp_syms *syms;
    struct fp_report r;
};

struct fp_diff_side {
    /* the side's first run (aliases of runs[0], not owned) */
    struct fp_model *m;
    struct fp_syms *syms;
    struct fp_report r;
    struct fp_diff_run *runs;
    uint32_t nruns;
};

/* How a new site's counterpart on the base side was found. */
#define FP_MATCH_LIST(X)                                                   \
    X(NONE,  "none",  "no counterpart found")                             \
    X(SAME,  "same",  "the same site")                                    \
    X(NAME,  "name",  "the same function, names normalized")              \
    X(CALLER, "caller", "a site in a function of the same name up the stack") \
    X(FILE,  "file",  "the same source file")                             \
    X(SHAPE, "shape", "a stack of the same depth and size class")

enum fp_match {
#define FP_X(n, s, d) FP_MATCH_##n,
    FP_MATCH_LIST(FP_X)
#undef FP_X
};
const char *fp_match_name(int how);
const char *fp_match_desc(int how);

/* The new side's culprit (in its first run): the allocation site whose
 * memory took the most faults, the code that took them, the diagnosis of
 * that site, and their nearest counterparts on the base side. */
struct fp_diff_culprit {
    int64_t site;                /* index in side[1].r.sites, -1: none */
    int64_t fault_source;        /* index in side[1].r.fault_sources, -1 */
    int64_t diag;                /* index in side[1].r.diags, -1 */
    int64_t base_site;           /* index in side[0].r.sites, -1 */
    int64_t base_fault_source;   /* index in side[0].r.fault_sources, -1 */
    enum fp_match site_how, fault_how;
};

/* A program of the runs: processes matched by program name and command
 * shape (arguments that are not options reduced to their kind), never by
 * pid; its figures are per-run sums over its processes. */
struct fp_diff_prog {
    char *key;                   /* "cc -c -o *.o *.c" */
    int present[2];
    struct fp_stat procs[2], minor_faults[2], allocations[2], bytes[2], cpu_seconds[2];
    enum fp_sig sig;             /* of minor_faults */
};

/* A fault class's change: totals of each side and the allocation site
 * whose memory changed most in that class. */
struct fp_diff_class {
    int cls;
    uint64_t faults[2];
    int64_t delta;
    const struct fp_diff_site *site; /* NULL: none changed in this class */
    int64_t site_delta;
    double site_share;               /* site_delta / delta */
};

struct fp_diff {
    struct fp_diff_side side[2];     /* base, new */
    struct fp_diff_fig fig[FP_FIG_COUNT];
    struct fp_summary summary[2];    /* each side's first run's, its figures the medians */
    struct fp_diff_class classes[FP_FCLASS_COUNT];   /* the classes that changed, most first */
    uint32_t nclasses;
    struct fp_diff_sites sites;      /* ranked by change in --sort (folded: --metric) */
    struct fp_diff_sites faults;     /* fault sources, ranked by change in faults */
    struct fp_diff_sites by_memory;  /* sites ranked by change in faults on their memory
                                        (its keys are those of sites) */
    /* --format html and svg: the differential flame graphs of sites
     * (FP_FLAME_ALLOC_METRICS) and fault sources (faults); each side's
     * report then has its timeline axis */
    struct fp_flame_diff flame_sites, flame_faults;
    struct fp_diff_prog *progs;      /* ranked by change in minor faults, then bytes */
    uint32_t nprogs;
    int64_t prog_focus;              /* the program prog_sites are of, -1: none */
    struct fp_diff_sites prog_sites; /* its sites (first runs), ranked like sites */
    struct fp_diff_culprit culprit;
    int normalized;                  /* names matched normalized ... */
    int auto_normalized;             /* ... turned on because names barely overlap */
    uint32_t names[2], names_shared; /* the programs' own function names, each side's
                                        and both's (first runs) */
};

/* Reads each side's runs (each path a run directory or a trace) and
 * matches them.  Returns 0, or -1 with the problem in err. */
int fp_diff_build(struct fp_diff *d, char *const *base, uint32_t nbase, char *const *news,
                  uint32_t nnew, const struct fp_opts *o, char *err, size_t errlen);
void fp_diff_free(struct fp_diff *d);
/* new - base of metric */
int64_t fp_diff_delta(const struct fp_diff_site *d, int metric);
/* The significance of a site's change in metric. */
enum fp_sig fp_diff_site_sig(const struct fp_diff *d, const struct fp_diff_site *s, int metric);
/* For diff_match.c: the key of site st of sites (a run of d's), normalized
 * or not; malloc'ed, NULL when out of memory.  normalize_name: the name of
 * a function without namespaces, parameters, template arguments. */
char *fp_diff_key(const struct fp_model *m, struct fp_syms *syms, const struct fp_sites *sites,
                  const struct fp_site *st, enum fp_by by, int normalize);
void fp_diff_normalize_name(const char *in, char *out, size_t n);
/* diff_match.c: the culprit and its counterparts; the programs. */
int fp_diff_culprit_find(struct fp_diff *d, const struct fp_opts *o);
int fp_diff_progs_build(struct fp_diff *d, const struct fp_opts *o);
void fp_diff_sites_free(struct fp_diff_sites *t);
/* Adds an entry (a site of one run of a side); merge then makes one site
 * per key, each side's counters the median over its nruns runs. */
int fp_diff_sites_add(struct fp_diff_sites *t, char *key, uint32_t nframes, int side,
                      uint32_t run, const struct fp_counts *c);
void fp_diff_sites_merge(struct fp_diff_sites *t, const uint32_t nruns[2]);
/* Sorts by the change in metric, largest first. */
void fp_diff_sort(struct fp_diff_sites *t, int metric);
/* One frame of a key (len bytes at p) as text: "name [module]" (with_module)
 * or "name". */
const char *fp_diff_key_frame(const char *p, size_t len, char *buf, size_t n, int with_module);

/* ---- the printers ---- */

int fp_report_text(FILE *out, const struct fp_report *r);      /* report_text.c */
int fp_report_json(FILE *out, const struct fp_report *r);      /* report_json.c */
int fp_report_folded(FILE *out, const struct fp_report *r);    /* report_folded.c */
int fp_report_html(FILE *out, const struct fp_report *r);      /* report_html.c */
int fp_report_speedscope(FILE *out, const struct fp_report *r);  /* report_speedscope.c */
int fp_report_pprof(FILE *out, const struct fp_report *r);     /* report_pprof.c */
int fp_report_svg(FILE *out, const struct fp_report *r);       /* report_svg.c */
int fp_svg_metric_ok(int metric);   /* --format svg draws metric (report_svg.c) */
/* The self-contained page around data (a JSON object, n bytes); mode is
 * what report.js draws: "report" or "diff" (report_html.c). */
int fp_html_page(FILE *out, const char *title, const char *mode, const char *data, size_t n);
/* The page's ,"procs":[...] and ,"axis":...,"series":[...] of a report. */
void fp_html_procs(FILE *out, const struct fp_model *m);
/* The page's ,"diagnoses":[...] of a report. */
void fp_html_diagnoses(FILE *out, const struct fp_report *r);
int fp_html_timeline(FILE *out, const struct fp_report *r);
int fp_diff_text(FILE *out, const struct fp_diff *d, const struct fp_opts *o);   /* report_diff_text.c */
int fp_diff_json(FILE *out, const struct fp_diff *d, const struct fp_opts *o);   /* report_diff_json.c */
int fp_diff_folded(FILE *out, const struct fp_diff *d, const struct fp_opts *o); /* report_folded.c */
int fp_diff_html(FILE *out, const struct fp_diff *d, const struct fp_opts *o);   /* report_diff_html.c */
int fp_diff_svg(FILE *out, const struct fp_diff *d, const struct fp_opts *o);    /* report_svg.c */

/* The summary as one JSON object (no trailing comma or newline). */
void fp_json_summary(FILE *out, const struct fp_summary *s);
/* JSON string writer: quotes and escapes. */
void fp_json_str(FILE *out, const char *s);
/* XML text or attribute writer: escapes, control characters as spaces. */
void fp_xml_str(FILE *out, const char *s);

/* --dump: every record of path, one per line, in file or time order (dump.c). */
int fp_dump(FILE *out, const char *path, int order, int symbolize, char *err, size_t errlen);

#endif
