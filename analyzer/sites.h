/* sites: turns the model's raw stacks into allocation sites — symbolized,
 * with the allocator's own leading frames folded away so a site is where the
 * program asked for memory — and sorts them by a metric. */
#ifndef FP_SITES_H
#define FP_SITES_H

#include <stdint.h>
#include "model.h"
#include "symbols.h"

enum fp_by { FP_BY_SITE = 0, FP_BY_FUNCTION = 1 };

#define FP_METRIC_LIST(X)                                   \
    X(ALLOCATIONS, "allocations")                           \
    X(BYTES,       "bytes")                                 \
    X(PEAK,        "peak")                                  \
    X(LEAKED,      "leaked")                                \
    X(TEMPORARY,   "temporary")                             \
    X(MMAPPED,     "mmapped")                               \
    X(FAULTS,      "faults")                                \
    X(FREES,       "frees")                                 \
    X(REALLOCS,    "reallocs")                              \
    X(LEAKED_BLOCKS, "leaked_blocks")                       \
    X(MAPPED,      "mapped")                                \
    X(MINOR_FAULTS, "minor_faults")                         \
    X(MAJOR_FAULTS, "major_faults")                         \
    X(FAULTS_BY_ALLOCATION, "faults_by_allocation")

enum fp_metric {
#define FP_X(n, s) FP_METRIC_##n,
    FP_METRIC_LIST(FP_X)
#undef FP_X
    FP_METRIC_COUNT
};

int fp_metric_parse(const char *s);           /* -1 when unknown */
const char *fp_metric_name(int metric);
uint64_t fp_metric_value(const struct fp_counts *c, int metric);

struct fp_filter {
    const char **patterns;       /* globs on the function name (or module+offset) */
    size_t n, cap;
    int enabled;
};

void fp_filter_defaults(struct fp_filter *f);
int fp_filter_add(struct fp_filter *f, const char *pattern);
void fp_filter_free(struct fp_filter *f);
int fp_filter_match(const struct fp_filter *f, const struct fp_frame *fr);

struct fp_site {
    uint32_t nframes;            /* frames after folding, site first */
    uint64_t frames_off;         /* into fp_sites.frames (frame ids) */
    uint32_t folded;             /* leading allocator frames folded away */
    uint32_t orig;               /* index when built (before sorting) */
    struct fp_counts c;
};

struct fp_sites {
    struct fp_syms *syms;
    struct fp_site *v;
    uint32_t n, cap;
    uint32_t *frames;
    uint64_t nframes, capframes;
    uint32_t *tab;               /* key hash table of site index + 1 */
    size_t tab_mask;
    uint32_t *rawmap;            /* raw stack -> orig + 1 (0: not a site of this list) */
    uint32_t nraw;
    uint32_t *pos;               /* orig -> current index */
};

/* The site (current index) a raw stack of the model went into, or -1. */
int64_t fp_sites_of_raw(const struct fp_sites *s, uint32_t raw);

/* The key of raw stack raw's site: its frames' ids after the folded leading
 * ones (by function: the one frame of the site's function), into ids; sets
 * *key (pointing into ids) and *kn.  Returns the frames folded, or -1 (OOM). */
#define FP_SITE_MAX_IDS (256 * 4 + 1)   /* FP_MAX_DEPTH frames, inlined ones, 1 */
int fp_sites_key(struct fp_syms *syms, const struct fp_model *m, uint32_t raw,
                 const struct fp_filter *filter, enum fp_by by, uint32_t ids[FP_SITE_MAX_IDS],
                 const uint32_t **key, uint32_t *kn);

/* Builds the allocation sites of the model's allocation stacks.  Returns 0
 * or -1 (OOM). */
int fp_sites_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                   const struct fp_filter *filter, enum fp_by by);
/* The same for fault stacks: code that took page faults, the faulting
 * function first (its ip looked up as it is), then its callers; the filter
 * folds leading allocator frames (a fault inside malloc is its caller's).
 * A report's fault sources are these with faults.c's filter, sorted. */
int fp_sites_build_fault_stacks(struct fp_sites *out, const struct fp_model *m,
                                struct fp_syms *syms, const struct fp_filter *filter, enum fp_by by);
void fp_sites_free(struct fp_sites *s);

/* Sorts descending by metric (ties: allocations, then bytes, then name). */
void fp_sites_sort(struct fp_sites *s, int metric);

static inline const uint32_t *fp_site_frames(const struct fp_sites *s, const struct fp_site *site)
{
    return s->frames + site->frames_off;
}

/* Adds counters (sums, maxima where a sum makes no sense). */
void fp_counts_add(struct fp_counts *a, const struct fp_counts *b);

#endif
