/* fclass: why each sampled page fault happened, from the memory history the
 * model replays.  The model tells it what happens to memory (releases,
 * protection changes, THP advice, forks) and asks, for each FAULT sample,
 * which one class it is; the rules are in fclass.c and faultprof-report(1),
 * "FAULT CLASSES". */
#ifndef FP_FCLASS_H
#define FP_FCLASS_H

#include <stdint.h>
#include "hmap.h"
#include "itree.h"

/* X(NAME, key, title) */
#define FP_FCLASS_LIST(X)                                                              \
    X(FIRST_TOUCH,     "first_touch",     "first touch of memory never given back")    \
    X(REFAULT_TRIM,    "refault_trim",    "refault after a heap trim")                 \
    X(REFAULT_MUNMAP,  "refault_munmap",  "refault after munmap")                      \
    X(REFAULT_MADVISE, "refault_madvise", "refault after madvise")                     \
    X(COW,             "copy_on_write",   "copy-on-write after fork")                  \
    X(FILE,            "file",            "file-backed pages")                         \
    X(STACK,           "stack",           "stack growth")                              \
    X(HUGE_PAGE,       "huge_page",       "transparent huge pages")                    \
    X(ZERO_PAGE,       "zero_page_write", "a write after a read of untouched memory")  \
    X(PROTECTION,      "protection",      "after mprotect")                            \
    X(OTHER,           "other",           "none of the above")

enum fp_fclass {
#define FP_X(n, k, t) FP_FCLASS_##n,
    FP_FCLASS_LIST(FP_X)
#undef FP_X
    FP_FCLASS_COUNT
};

const char *fp_fclass_name(int c);
const char *fp_fclass_title(int c);
/* the class of a name, -1 when none */
int fp_fclass_of_name(const char *s);

/* What gave memory back to the kernel (a release's kind). */
enum fp_release_kind { FP_REL_TRIM = 1, FP_REL_MUNMAP, FP_REL_MADVISE };
/* madvise advice, grouped for the report */
enum fp_madv_group { FP_MADV_G_DONTNEED = 0, FP_MADV_G_FREE, FP_MADV_G_OTHER, FP_MADV_GROUPS };

struct fp_release {
    uint32_t clock;              /* the history's clock when it was made */
    uint8_t kind;                /* fp_release_kind */
    uint8_t madv;                /* fp_madv_group (FP_REL_MADVISE) */
    uint8_t by_alloc;            /* the allocator made it (a free, a purge, a trim) */
    uint8_t touched;             /* a sample had fallen within its range's 2 MiB extents */
};

enum fp_thp_mode { FP_THP_UNKNOWN = 0, FP_THP_ALWAYS, FP_THP_MADVISE, FP_THP_NEVER };

/* A process's memory history; the model's replay state. */
struct fp_mem_history {
    uint32_t clock;              /* ticks at every sample and memory event */
    uint32_t fork_clock;         /* at the last FORK, 0: none */
    uint64_t fork_t;             /* its time */
    uint64_t page_shift;
    uint64_t period;             /* the minor-fault period (1: every fault sampled) */
    int fork_child;
    enum fp_thp_mode thp;
    struct hmap pages;           /* page + 1 -> clock of its last sample */
    struct hmap extents;         /* 2 MiB extent + 1 -> clock of its first sample */
    struct itree *released;      /* val: index in rel */
    struct itree *prot;          /* val: clock << 2 | raised << 1 */
    struct itree *thp_advice;    /* val: 1 MADV_HUGEPAGE, 2 MADV_NOHUGEPAGE */
    struct fp_release *rel;
    uint32_t nrel, caprel;
};

/* What the model knows of the memory a sample touched. */
struct fp_fclass_mem {
    int region;                  /* fp_region (model.h) */
    int major;
    int made_here;               /* a block or mapping this process made */
    int mmapped_replaced;        /* a block served by its own mmap that replaced a freed one */
    int born_before_fork;        /* the block existed at the last fork */
    uint64_t lo, hi;             /* the block's or mapping's range, 0, 0: none */
};

/* The class's detail the report groups by (fp_release_kind's madvise group
 * and who made the release); filled by fp_fclass_classify. */
struct fp_fclass_why {
    int madv;                    /* fp_madv_group, for REFAULT_MADVISE */
    int by_alloc;                /* the release was the allocator's */
    int inferred;                /* REFAULT_MUNMAP from a replaced block, not an address */
};

int fp_hist_init(struct fp_mem_history *h);
void fp_hist_free(struct fp_mem_history *h);
/* [lo, hi) went back to the kernel.  advice: madvise's, for FP_REL_MADVISE. */
int fp_hist_release(struct fp_mem_history *h, uint64_t lo, uint64_t hi, int kind, int advice,
                    int by_alloc);
/* mprotect(lo, hi - lo, prot) succeeded */
int fp_hist_protect(struct fp_mem_history *h, uint64_t lo, uint64_t hi, uint64_t prot);
/* a new mapping or an unmapping: protections and THP advice there are gone */
int fp_hist_remap(struct fp_mem_history *h, uint64_t lo, uint64_t hi);
/* madvise(MADV_HUGEPAGE) (huge 1) or MADV_NOHUGEPAGE (huge 0) */
int fp_hist_thp(struct fp_mem_history *h, uint64_t lo, uint64_t hi, int huge);
void fp_hist_fork(struct fp_mem_history *h, uint64_t t);
/* The class of a sample at addr; remembers the sample.  -1: out of memory. */
int fp_fclass_classify(struct fp_mem_history *h, uint64_t addr, const struct fp_fclass_mem *mem,
                       struct fp_fclass_why *why);

#endif
