/* live: faultprof-report --live.  Reads a trace that is still being written,
 * or a run directory whose traces are (a program and its fork/exec
 * children), as they grow: each refresh takes in only the members appended
 * since the last one (model.h: fp_feed), into one model kept across
 * refreshes.  Keeps what a terminal view shows of the process picked:
 * totals, their rates since the last refresh, a history of them, the top
 * sites and its threads; and one row per process.  live.c computes;
 * report_live.c draws it with ncurses. */
#ifndef FP_LIVE_H
#define FP_LIVE_H

#include <stdint.h>
#include <stdio.h>

struct fp_opts;
struct fp_model;
struct fp_syms;
struct fp_feed;
struct fp_filter;

#define FP_LIVE_HISTORY 120          /* refreshes kept for the sparklines */

enum fp_live_sort { FP_LIVE_BY_LIVE = 0, FP_LIVE_BY_ALLOC_RATE, FP_LIVE_BY_FAULT_RATE,
                    FP_LIVE_SORTS };

/* What the table below the header lists (key t cycles them). */
enum fp_live_table { FP_LIVE_SITES = 0, FP_LIVE_THREADS, FP_LIVE_PROCS, FP_LIVE_TABLES };

/* A site (by function), a thread or a process: its totals and their rates. */
struct fp_live_row {
    char name[160];
    uint64_t live_bytes, allocs, faults;
    double alloc_rate, fault_rate;   /* per second since the last refresh */
    int mark;                        /* the process picked (process rows) */
};

/* Counts at the last refresh and their rates since the one before. */
struct fp_live_rate {
    uint64_t allocs, faults;
    double alloc_rate, fault_rate;
};

/* A process of the view: a trace and its feed. */
struct fp_live_proc {
    char *path;
    struct fp_feed *feed;
    uint32_t pi;                     /* index in the model */
    int alive;                       /* /proc/PID exists (not a zombie) */
    double grew;                     /* wall time its trace last grew */
    uint64_t rss_bytes;              /* /proc while it runs, else the trace's maxrss */
    struct fp_live_rate rate;        /* faults: /proc while it runs, else the trace's */
};

/* The names of sites: an index per name, found by bsearch on byname. */
struct fp_live_names {
    char (*v)[160];
    uint32_t *byname;
    uint32_t n, cap;
};

struct fp_live {
    const char *path;
    int is_dir;                      /* a run directory: every trace in it */
    int symbols;
    const struct fp_opts *o;
    const struct fp_filter *filter;
    struct fp_filter *own_filter;
    struct fp_model *m;
    struct fp_live_proc *procs;
    uint32_t nprocs;
    struct fp_syms *syms;            /* rebuilt only when modules were added */
    uint32_t syms_procs, syms_mods;
    uint32_t *site_of;               /* raw stack -> site name + 1 (0: a fault stack) */
    uint32_t nsite_of;
    struct fp_live_names names;
    /* per raw stack and per model thread, for rates */
    struct fp_live_rate *stack_rate, *thread_rate;
    uint32_t nstack_rate, nthread_rate;
    double prev_wall;
    /* the process shown: sel (index in procs), picked by the user with n */
    uint32_t sel;
    int picked;
    enum fp_live_table table;
    /* the last refresh, for the process shown */
    int have_trace;                  /* a trace could be read */
    char problem[1024];              /* why not (or the last error), or "" */
    uint64_t pid;
    char command[128];
    int ended;                       /* the trace has its PROCESS_END */
    int alive;
    uint64_t live_bytes, rss_bytes, allocs, faults;   /* faults: minor + major */
    double alloc_rate, fault_rate, seconds;           /* seconds: of the trace */
    double read_ms;                  /* what the refresh took */
    uint64_t trace_bytes;            /* the trace's size (all of them: a run's) */
    /* history, oldest first */
    uint64_t h_live[FP_LIVE_HISTORY], h_rss[FP_LIVE_HISTORY];
    double h_faults[FP_LIVE_HISTORY];
    uint32_t nhist;
    /* the table's rows, sorted by sort */
    struct fp_live_row *rows;
    uint32_t nrows, caprows;
    enum fp_live_sort sort;
};

void fp_live_init(struct fp_live *l, const char *path, const struct fp_opts *o);
/* Takes in what the traces gained.  Returns 0, or -1 out of memory (a trace
 * that cannot be read yet only sets problem). */
int fp_live_refresh(struct fp_live *l);
void fp_live_sort(struct fp_live *l, enum fp_live_sort by);
const char *fp_live_sort_name(enum fp_live_sort by);
/* Shows the next process (n), the table t (both recompute the rows). */
void fp_live_pick_next(struct fp_live *l);
void fp_live_set_table(struct fp_live *l, enum fp_live_table t);
/* 1 when every process's trace has ended or its process is gone. */
int fp_live_done(const struct fp_live *l);
void fp_live_free(struct fp_live *l);

/* The loop of faultprof-report --live: refresh every interval_ms and draw
 * until q, or until the program ended.  Returns the exit status. */
int fp_live_main(const char *path, const struct fp_opts *o, int interval_ms);

/* report_live.c: the ncurses view (on /dev/tty, so the program's own output
 * may be redirected).  open returns 0 or -1 with a message printed. */
int fp_live_screen_open(void);
void fp_live_screen_draw(const struct fp_live *l, int paused);
/* The next key within timeout_ms, or -1. */
int fp_live_screen_key(int timeout_ms);
void fp_live_screen_close(void);

#endif
