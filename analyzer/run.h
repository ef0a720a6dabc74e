/* run: what one launcher invocation recorded.  A run directory (faultprof -o
 * DIR/) holds the traces of every process and a manifest naming the root
 * process, the command, the wall-clock times and the exit status; a trace
 * file given alone is a run of its one process.  Also the process tree of a
 * model's processes, with the figures of each. */
#ifndef FP_RUN_H
#define FP_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define FP_RUN_MANIFEST "manifest"

struct fp_run {
    char *path;                  /* as given: a directory or a trace */
    int has_manifest;
    uint64_t root_pid;           /* 0: unknown */
    char *command, *cwd;         /* NULL: unknown */
    double start, end;           /* seconds since the epoch; 0: unknown */
    int has_status, signaled, status;   /* "exit N" or "signal N" */
    char **traces;               /* paths to read */
    uint32_t ntraces;
};

/* A run from path: a directory with its manifest, or one trace file.
 * Returns 0, or -1 with a one-line problem (naming the file) in err. */
int fp_run_open(struct fp_run *r, const char *path, char *err, size_t errlen);
/* Reads the run's traces into m.  Returns 0 or -1 with the problem in err. */
int fp_run_read(const struct fp_run *r, struct fp_model *m, char *err, size_t errlen);
void fp_run_free(struct fp_run *r);
/* "exit 0", "signal 9" or "" */
const char *fp_run_status_text(const struct fp_run *r, char *buf, size_t n);

/* One process of the tree, in depth-first order. */
struct fp_ptree_node {
    uint32_t proc;               /* index in the model's procs */
    int32_t parent;              /* index in the tree's nodes, -1 for a root */
    uint32_t depth;
    int exec;                    /* the image its parent exec'd into (same pid) */
    double wall_seconds, cpu_seconds;   /* its own (PROCESS_END, else its last event) */
    uint64_t minor_faults, major_faults;
};

struct fp_ptree {
    struct fp_ptree_node *v;     /* roots by start time, each followed by its subtree */
    uint32_t n;
    uint32_t root;               /* the run's root process: index in v */
    double wall_seconds;         /* from the first start to the last end */
};

/* The tree of m's processes: a process's parent is the image its pid had
 * before an exec, else the latest process of its ppid that started before
 * it.  The root is the first process of root_pid (0: the earliest root).
 * Returns 0 or -1 (out of memory). */
int fp_ptree_build(struct fp_ptree *t, const struct fp_model *m, uint64_t root_pid);
void fp_ptree_free(struct fp_ptree *t);

#endif
