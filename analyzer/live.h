/* live: faultprof-report --live.  Re-reads a trace that is still being
 * written once a refresh (the gzip members the recorder has flushed so far)
 * into a fresh model, and keeps what a terminal view shows: totals, their
 * rates since the last refresh, a history of them, the top sites and the
 * threads.  live.c computes; report_live.c draws it with ncurses. */
#ifndef FP_LIVE_H
#define FP_LIVE_H

#include <stdint.h>
#include <stdio.h>

struct fp_opts;

#define FP_LIVE_HISTORY 120          /* refreshes kept for the sparklines */

enum fp_live_sort { FP_LIVE_BY_LIVE = 0, FP_LIVE_BY_ALLOC_RATE, FP_LIVE_BY_FAULT_RATE,
                    FP_LIVE_SORTS };

/* A site (by function) or a thread: its totals and their rates. */
struct fp_live_row {
    char name[160];
    uint64_t live_bytes, allocs, faults;
    double alloc_rate, fault_rate;   /* per second since the last refresh */
};

struct fp_live {
    const char *path;
    int symbols;
    const struct fp_opts *o;
    /* the last refresh */
    int have_trace;                  /* the trace could be read */
    char problem[1024];              /* why not, or "" */
    uint64_t pid;
    char command[128];
    int ended;                       /* the trace has its PROCESS_END */
    int alive;                       /* /proc/PID exists (not a zombie) */
    uint64_t live_bytes, rss_bytes, allocs, faults;   /* faults: minor + major */
    double alloc_rate, fault_rate, seconds;           /* seconds: of the trace */
    double read_ms;                  /* what re-reading the trace took */
    uint64_t trace_bytes;
    /* history, oldest first */
    uint64_t h_live[FP_LIVE_HISTORY], h_rss[FP_LIVE_HISTORY];
    double h_faults[FP_LIVE_HISTORY];
    uint32_t nhist;
    /* top sites and threads, sorted by sort */
    struct fp_live_row *sites, *threads;
    uint32_t nsites, nthreads;
    enum fp_live_sort sort;
    /* the previous refresh's, for rates (sorted by name) */
    struct fp_live_row *prev_sites, *prev_threads;
    uint32_t nprev_sites, nprev_threads;
    double prev_wall;
    uint64_t prev_allocs, prev_faults;
};

void fp_live_init(struct fp_live *l, const char *path, const struct fp_opts *o);
/* Re-reads the trace.  Returns 0, or -1 out of memory (a trace that cannot be
 * read yet only sets problem). */
int fp_live_refresh(struct fp_live *l);
void fp_live_sort(struct fp_live *l, enum fp_live_sort by);
const char *fp_live_sort_name(enum fp_live_sort by);
void fp_live_free(struct fp_live *l);

/* The loop of faultprof-report --live: refresh every interval_ms and draw
 * until q, or until the program ended.  Returns the exit status. */
int fp_live_main(const char *path, const struct fp_opts *o, int interval_ms);

/* report_live.c: the ncurses view (on /dev/tty, so the program's own output
 * may be redirected).  open returns 0 or -1 with a message printed. */
int fp_live_screen_open(void);
void fp_live_screen_draw(const struct fp_live *l, int paused, int show_threads);
/* The next key within timeout_ms, or -1. */
int fp_live_screen_key(int timeout_ms);
void fp_live_screen_close(void);

#endif
