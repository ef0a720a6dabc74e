/* flame: the flame-graph tree every picture prints (report_html.c and the
 * exports): stacks merged into a tree from the outermost caller down, nodes
 * below a share of every value's total merged into one "other" child of
 * their parent, so that the tree stays small whatever the trace; and a
 * report's view of it: each process's and each interval's part of a node. */
#ifndef FP_FLAME_H
#define FP_FLAME_H

#include <stdint.h>
#include "hmap.h"
#include "model.h"
#include "sites.h"

#define FP_FLAME_MAXV 12                 /* values per node */
#define FP_FLAME_ROOT  UINT32_MAX        /* frame of the root ("all") */
#define FP_FLAME_OTHER (UINT32_MAX - 1)  /* frame of a merged "other" box */
#define FP_FLAME_NOSTACK (UINT32_MAX - 2)/* frame of a stack without frames */
/* The share below which the HTML report merges a node into "other" */
#define FP_FLAME_MIN_SHARE 0.001

struct fp_flame_node {
    uint32_t parent;                     /* UINT32_MAX for the root (node 0) */
    uint32_t frame;                      /* a frame id of the input, or one of the above */
    uint32_t depth;
    uint64_t v[FP_FLAME_MAXV];           /* totals of the stacks through it */
};

struct fp_flame {
    uint32_t nv;
    struct fp_flame_node *v;             /* parents come before their children */
    uint32_t n, cap;
    uint32_t *term;                      /* input stack -> node its values ended in */
    uint32_t nterm;
    uint32_t merged;                     /* nodes merged into "other" boxes */
    struct hmap kids;                    /* (parent + 1) << 32 | frame -> node + 1 */
};

/* The tree of n stacks: stack i has nframes[i] frame ids at frames[i], leaf
 * first, and nv values at vals[i * nv].  min_share 0 keeps every node.
 * Returns 0 or -1 (out of memory). */
int fp_flame_build(struct fp_flame *f, uint32_t n, const uint32_t *const *frames,
                   const uint32_t *nframes, const uint64_t *vals, uint32_t nv, double min_share);
void fp_flame_free(struct fp_flame *f);
/* Where each node starts along value k, in that value's units (its parent's
 * start plus the values of the siblings made before it), into x[f->n].
 * Returns 0 or -1 (out of memory). */
int fp_flame_layout(const struct fp_flame *f, uint32_t k, uint64_t *x);

/* ---- dense frame ids for an output's frame table ---- */

/* The symbol table's frame ids (or FP_FLAME_NOSTACK) numbered 0, 1, ... in
 * the order an output first uses them: the index of its frame table. */
struct fp_frame_ids {
    struct hmap map;             /* syms id + 1 -> dense id + 1 */
    uint32_t *ids;               /* dense id -> syms id */
    uint32_t n, cap;
};

/* The dense id of syms id, added when new; UINT32_MAX: out of memory. */
uint32_t fp_frame_ids_get(struct fp_frame_ids *f, uint32_t id);
void fp_frame_ids_free(struct fp_frame_ids *f);

/* ---- a report's flame graph of sites, by process and by interval ---- */

/* The part of a node's values that came from one process (bucket
 * UINT32_MAX: the whole run) or from one interval of the time axis. */
struct fp_flame_row {
    uint32_t node, proc, bucket;
    uint64_t v[FP_FLAME_MAXV];
};

struct fp_flame_view {
    struct fp_flame tree;
    int metrics[FP_FLAME_MAXV];          /* the value of each index (fp_metric) */
    int timed[FP_FLAME_MAXV];            /* the timeline has it per interval */
    uint32_t nv;
    struct fp_flame_row *rows;           /* per process, whole run */
    uint32_t nrows;
    struct fp_flame_row *trows;          /* per process and interval (timed values only) */
    uint32_t ntrows;
};

struct fp_tl_axis;

/* The view of sites s (of model m) for nv metrics; axis NULL: no interval
 * rows.  Returns 0 or -1 (out of memory). */
int fp_flame_view_build(struct fp_flame_view *fv, const struct fp_model *m,
                        const struct fp_sites *s, const int *metrics, uint32_t nv,
                        double min_share, const struct fp_tl_axis *axis);
void fp_flame_view_free(struct fp_flame_view *fv);

/* ---- the differential flame graph of a diff (report.h's fp_diff_sites) ---- */

struct fp_diff_sites;

/* A tree of the diff's matched sites: node values 2k and 2k + 1 are base's
 * and new's metric k; names[frame] is a frame's text, "function" and
 * "function [module]". */
struct fp_flame_diff {
    struct fp_flame tree;
    int metrics[FP_FLAME_MAXV / 2];
    uint32_t nmetrics;
    char **names, **long_names;
    uint32_t nnames, capnames;
    struct hmap by_hash;             /* hash of a frame's text -> name + 1 (probed) */
};

int fp_flame_diff_build(struct fp_flame_diff *fd, const struct fp_diff_sites *t,
                        const int *metrics, uint32_t nmetrics, double min_share);
void fp_flame_diff_free(struct fp_flame_diff *fd);

#endif
