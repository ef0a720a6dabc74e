/* model: replays a trace's events into per-stack counters, per-thread and
 * per-process totals.  One model may hold several traces (a program and its
 * fork/exec children); every output format and the diff read it. */
#ifndef FP_MODEL_H
#define FP_MODEL_H

#include <stdint.h>
#include <stdio.h>
#include "fclass.h"
#include "hmap.h"
#include "itree.h"
#include "timeline.h"

/* Counters kept for every raw stack and summed into sites. */
struct fp_counts {
    uint64_t allocs, bytes;          /* new blocks and their requested bytes */
    uint64_t frees;                  /* blocks of this stack freed (free or realloc) */
    uint64_t temporary;              /* freed by the same thread before its next allocation */
    uint64_t mmapped, mmapped_bytes; /* served by their own mmap (ptmalloc flag) */
    uint64_t reallocs;               /* realloc calls here that moved/resized a live block */
    uint64_t realloc_chain_max;      /* longest realloc chain ending here */
    uint64_t leaked_blocks, leaked_bytes;
    uint64_t peak_bytes;             /* live at the process's heap peak */
    uint64_t lifetime_ns, lifetime_n;
    uint64_t minflt, majflt;         /* RUSAGE deltas charged to the last call here */
    uint64_t map_calls, map_bytes;   /* the program's own mmap calls */
    /* Faults charged here.  An allocation stack: estimated faults (samples
     * x weight) on its blocks, or in rusage mode its minflt/majflt.  A fault
     * stack: the faults taken by that code. */
    uint64_t minor_faults, major_faults, fault_samples;
    uint64_t mmap_faults;            /* ... of which on blocks served by their own mmap */
    uint64_t refaults;               /* ... on blocks that replaced freed ones (see live_bytes_max) */
    uint64_t mmap_refaults;          /* ... on blocks both mmapped and replacing */
    uint64_t zeroed_faults;          /* ... on calloc blocks of FP_BIG_ZEROED bytes or more */
    uint64_t zeroed_allocs, zeroed_bytes;
    uint64_t replaced_allocs;        /* blocks allocated while the stack's live bytes stayed
                                        within their earlier maximum */
    uint64_t realloc_copied;         /* bytes a moving realloc had to copy */
    uint64_t class_faults[FP_FCLASS_COUNT];  /* ... the faults above by class (fclass.h) */
};

enum fp_stack_kind { FP_STACK_ALLOC = 0, FP_STACK_FAULT = 1 };

/* Where a sampled fault's address was, when no live block held it. */
#define FP_REGION_LIST(X)                                           \
    X(BLOCK,   "heap_block",  "allocated blocks")                   \
    X(BRK,     "brk_heap",    "brk heap outside any block")         \
    X(ANON,    "anon_mmap",   "the program's own anonymous mmap")   \
    X(FILE,    "file_mmap",   "the program's own file mmap")        \
    X(MODULE,  "module",      "loaded modules (code and data)")     \
    X(STACK,   "stack",       "thread stacks")                      \
    X(ARENA,   "allocator_heap", "the allocator's heaps outside any block (thread arenas)") \
    X(OTHER,   "other",       "mappings the trace does not show")

enum fp_region {
#define FP_X(n, s, d) FP_REGION_##n,
    FP_REGION_LIST(FP_X)
#undef FP_X
    FP_REGION_COUNT
};

const char *fp_region_name(int r);

/* How the recorder counted page faults (its NOTE fault_mode). */
enum fp_fault_mode {
    FP_FAULTS_UNKNOWN = 0,           /* no NOTE */
    FP_FAULTS_PERF = 1,              /* sampled with perf events */
    FP_FAULTS_RUSAGE = 2,            /* getrusage counts only */
};
const char *fp_region_desc(int r);

#define FP_BIG_ZEROED (64u * 1024)
#define FP_ARENA_SHIFT 26            /* glibc's thread arena heaps: 64 MiB, aligned */   /* calloc blocks watched for first-touch faults */

struct fp_rawstack {
    uint32_t proc;
    uint32_t n;
    uint32_t kind;                   /* fp_stack_kind: a fault stack's frame 0 is the ip */
    uint32_t mod_gen;                /* the process's unloads when first seen: its frames
                                        are in the modules loaded then (fp_module_at) */
    uint64_t frames_off;             /* into model->frames */
    uint64_t cur_live;
    uint64_t live_bytes_max;         /* the most it has had live so far */
    uint64_t epoch_seen;
    /* sampled mode: the estimates (sums of 1/p(s)) behind the counts, which
     * proc_finish rounds into c */
    double est_allocs, est_frees, est_temporary, est_mmapped, est_reallocs, est_leaked;
    struct fp_counts c;
};

struct fp_module {
    char *path;
    uint8_t *build_id;
    uint32_t build_id_len;
    uint64_t base, start, end;
    int unloaded;
    uint32_t load_gen, unload_gen;   /* the process's unloads before its load and its own
                                        unload's number (UINT32_MAX while loaded) */
    uint64_t minor_faults, major_faults;   /* sampled faults on its addresses, estimated */
};

struct fp_fault_file {
    char *path;
    uint64_t minor_faults, major_faults;
};

struct fp_note {
    char *key, *value;
    struct fp_note *next;
};

/* A process's replay state: what reading its trace needs and a report does
 * not.  The tables are freed when the trace ends (live blocks then are its
 * leaks). */
struct fp_replay {
    struct hmap tids;                /* tid -> thread index */
    uint32_t tid_last, ti_last;      /* the last lookup in tids (tid_last 0: none): records
                                        come in runs of one thread */
    struct live_table *live;
    struct itree *big;               /* live blocks of a page or more, by address */
    struct itree *maps;              /* the program's own mappings (val: kind | (raw stack of
                                        the mmap + 1) << 2, kind 1 anon, 2 file) */
    struct itree *stacks;            /* thread stacks (THREAD_START, [stack] of MAPS) */
    struct itree *snap;              /* file mappings of the last MAPS (val: index in files) */
    struct hmap arena_units;         /* (addr >> FP_ARENA_SHIFT) + 1 of heap blocks seen */
    uint64_t live_bytes, live_blocks;
    double est_live_blocks;          /* sampled mode: live blocks estimated */
    uint64_t peak_epoch;             /* the heap's new peaks so far (see epoch_seen) */
    uint64_t brk_cur;                /* the heap break now */
    uint64_t heap_lo;                /* lowest address of the brk heap ([heap] of MAPS, or the
                                        executable's end) */
    uint32_t unloads;                /* MODULE_UNLOAD records so far */
    struct fp_mem_history hist;      /* what the fault classes need (fclass.h) */
    int hist_oom;                    /* a release could not be remembered */
    /* the clock step's inversions (model.c, "Two threads within a step") */
    struct hmap pend;                /* addr -> first FREE waiting for its ALLOC + 1 */
    struct hmap disp;                /* addr -> first block an ALLOC displaced + 1 */
    struct hmap taken;               /* addr -> first free another thread's may have been + 1 */
    struct fp_recent_free *recent;   /* the last free of each address, direct-mapped */
    struct fp_wait *wq;              /* both, a ring in the order they began */
    size_t wq_head, wq_n, wq_cap;    /* wq_head: the number of the oldest */
};

/* One traced process: what the report shows of it, then its replay state. */
struct fp_proc {
    char *trace_path;
    char *exe, *cmdline;             /* cmdline: arguments joined with spaces */
    uint64_t pid, ppid, flags, t0_real, page_size, depth_limit, rusage_every;
    uint64_t sample_bytes;           /* sampled mode's mean N (PROCESS), 0: every call recorded */
    uint64_t clock_step;             /* PROCESS: short records' time grain, 0: exact times */
    uint64_t dropped;                /* PROCESS_END dropped: calls of signal handlers that
                                        interrupted the recorder */
    int has_end;
    uint64_t end_reason, wall_ns, utime_ns, stime_ns, maxrss_kb, minflt, majflt, nvcsw, nivcsw;
    uint64_t threads_total, threads_peak;
    uint64_t c_utime_ns, c_stime_ns, c_maxrss_kb, c_minflt, c_majflt;
    uint64_t t_last;                 /* time of the last event */
    int truncated;
    uint64_t trunc_at, trunc_last_end;

    /* totals */
    uint64_t allocs, frees, bytes, temporary, mmapped, mmapped_bytes, reallocs;
    uint64_t failed_allocs, unknown_frees;
    uint64_t peak_bytes, peak_blocks, peak_t;
    uint64_t leaked_blocks, leaked_bytes;
    uint64_t lifetime_ns, lifetime_n;
    uint64_t mmap_calls, mmap_bytes, mmap_failed, munmap_calls, munmap_bytes;
    uint64_t mremap_calls, brk_calls;
    uint64_t brk_first, brk_max;
    uint64_t forks, execs;
    uint64_t fault_samples, fault_minor_w, fault_major_w;
    uint64_t unattributed_minflt, unattributed_majflt;
    uint64_t fault_period;           /* NOTE fault_period, 0 unknown */
    uint64_t fault_unrecorded;       /* NOTE fault_samples_unrecorded: samples that hit
                                        the recorder itself (counted, not written) */
    uint64_t fault_late;             /* samples that came late (SIGTRAP blocked where
                                        they faulted): ip and stack 0, memory only */
    enum fp_fault_mode fault_mode;   /* NOTE fault_mode */
    const char *fault_error;         /* NOTE fault_error (points into notes) */
    uint64_t region_minor[FP_REGION_COUNT], region_major[FP_REGION_COUNT];
    uint64_t region_samples[FP_REGION_COUNT];
    uint64_t brk_shrinks, brk_regrown;   /* heap break: times it fell, bytes grown back
                                            below an earlier high */
    /* sampled faults by class (estimated, and samples); refaults after
     * madvise by advice; refaults whose release the allocator made */
    uint64_t class_faults[FP_FCLASS_COUNT], class_samples[FP_FCLASS_COUNT];
    uint64_t madv_refaults[FP_MADV_GROUPS], alloc_release_refaults, inferred_refaults;
    uint64_t madvise_calls, madvise_bytes, madvise_alloc_calls, mprotect_calls;
    enum fp_thp_mode thp_mode;       /* NOTE thp_enabled */
    struct fp_fault_file *files;     /* files mapped (MAPS) with the sampled faults on them */
    uint32_t nfiles, capfiles;

    /* PAUSE/RESUME and ATTACH (faultprof --toggle, faultprof -p) */
    uint64_t pauses, paused_ns, pause_since;  /* pause_since: 0 when recording */
    uint32_t pause_epoch;            /* RESUME records so far */
    uint64_t paused_minflt, paused_majflt;    /* process faults while paused */
    uint64_t pause_minflt, pause_majflt;      /* at the last PAUSE */
    int attached;
    uint64_t attach_t, attach_minflt, attach_majflt, attach_utime_ns, attach_stime_ns;
    uint64_t attach_tasks;

    struct fp_module *mods;
    uint32_t nmods, capmods;
    struct fp_note *notes;

    void *sym;                       /* symbols.c state */
    struct fp_timeline *tl;          /* the events over time (fp_model.timeline), or NULL */

    struct fp_replay replay;         /* model.c's only */
};

struct fp_model_thread {
    uint32_t proc;
    uint32_t tid;
    char name[32];
    int started, ended;
    uint64_t t_first, t_last;
    uint64_t allocs, bytes, frees, temporary, leaked_blocks, leaked_bytes;
    uint64_t minflt, majflt, utime_ns, stime_ns;
    uint64_t fault_samples;
    /* sampled mode: the last COUNTS (exact totals) and the samples' estimates */
    int has_counts;
    uint64_t cnt_allocs, cnt_bytes, cnt_frees;
    double est_allocs, est_frees, est_temporary, est_leaked;
    /* replay */
    struct hmap stacks;              /* stack id -> raw stack index */
    uint64_t alloc_seq;
    uint32_t last_stack;             /* raw stack + 1 of the last intercepted call, 0 none */
    uint32_t pause_epoch;            /* the process's when its counts were last charged */
    uint64_t arena_last;             /* the heap unit of its last allocation (most repeat it) */
    uint64_t sid_last;               /* the last stack id looked up (0: none) ... */
    uint32_t si_last;                /* ... and its raw stack */
    uint32_t si_prev;                /* the raw stack of ... */
    uint64_t sid_prev;               /* ... the id looked up before sid_last (0: none) */
};

#define FP_SIZE_CLASSES 48           /* class k: sizes in [2^(k-1), 2^k), class 0: size 0 */

struct fp_model {
    struct fp_proc *procs;
    uint32_t nprocs, capprocs;
    struct fp_model_thread *threads;
    uint32_t nthreads, capthreads;
    struct fp_rawstack *stacks;
    uint32_t nstacks, capstacks;
    uint64_t *frames;
    uint64_t nframes, capframes;
    uint32_t *stack_tab;             /* content hash table of raw stack index + 1 */
    size_t stack_tab_mask;
    uint64_t size_class_allocs[FP_SIZE_CLASSES];
    uint64_t size_class_bytes[FP_SIZE_CLASSES];
    uint64_t records, unknown_records;
    uint64_t fault_lookups_small;    /* samples resolved by the small-block scan */
    /* which code touched which allocation stack's memory: key
     * (alloc stack + 1) << 32 | (fault stack + 1), value samples */
    struct hmap fault_pairs;
    FILE *warn;                      /* warnings (truncation); stderr by default */
    int progress;                    /* print progress to stderr */
    int timeline;                    /* keep each process's timeline (fp_proc.tl) */
    /* called once per process at its first allocation record, when the
     * modules loaded at start are known; NULL: not called */
    void (*modules_known)(struct fp_model *m, uint32_t pi);
    /* set by the modules_known hook (symfiles.c opening the processes'
     * module files while the traces are read); freed with prewarm_free */
    void *prewarm;
    void (*prewarm_free)(void *);
};

struct fp_model *fp_model_new(void);
void fp_model_free(struct fp_model *m);

/* Reads one trace file into the model as a new process.  Returns 0, or -1
 * with a one-line problem in err; a truncated trace is read and warned about. */
int fp_model_read_file(struct fp_model *m, const char *path, char *err, size_t errlen);
int fp_model_read_mem(struct fp_model *m, const char *name, const void *buf, size_t len,
                      char *err, size_t errlen);

/* A trace read while it is written (faultprof-report --live): a process of
 * the model whose records are taken in as the trace grows.  fp_feed_read
 * reads what was appended, in time order up to what every recording thread
 * has flushed (reader.h: fp_reader_live_update, with FP_FEED_GRACE_NS for an
 * idle thread); all: everything flushed so far; finish: that, then the
 * process's figures are final and the trace is closed.  While a feed is
 * open, a raw stack's live bytes are its cur_live (c.leaked_* are 0) and
 * rusage-mode faults are still in c.minflt/c.majflt.  fp_feed_read returns
 * the members added since the last call (the first: since the open), or -1
 * with the problem in err. */
#define FP_FEED_GRACE_NS 1000000000ull
struct fp_feed;
int fp_feed_open(struct fp_model *m, const char *path, struct fp_feed **out, char *err,
                 size_t errlen);
int fp_feed_read(struct fp_feed *f, int all, int finish, char *err, size_t errlen);
uint32_t fp_feed_proc(const struct fp_feed *f);
int fp_feed_finished(const struct fp_feed *f);
void fp_feed_close(struct fp_feed *f);
/* Adds each live block's bytes (sampled: what it stands for) to bytes[its
 * thread's index in m->threads], for process pi while its feed is open. */
void fp_model_live_by_thread(const struct fp_model *m, uint32_t pi, uint64_t *bytes);

static inline const uint64_t *fp_rawstack_frames(const struct fp_model *m, const struct fp_rawstack *s)
{
    return m->frames + s->frames_off;
}

/* The report's size class of a block (its size's bit length, the size_classes
 * histogram); the trace's free lists have classes of their own (fp_reuse_class,
 * faultprof/reuse.h). */
unsigned fp_size_class(uint64_t size);

/* The module holding addr among those loaded when the process had seen gen
 * unloads (a raw stack's mod_gen; UINT32_MAX: the last loaded), or NULL. */
const struct fp_module *fp_module_at(const struct fp_proc *p, uint64_t addr, uint32_t gen,
                                     uint32_t *idx);

/* Sampled mode with mean n: the probability 1 - exp(-size/n) that an
 * allocation of size bytes was recorded. */
double fp_sample_prob(uint64_t size, uint64_t n);

#endif
