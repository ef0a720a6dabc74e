/* live: the model side of faultprof-report --live (live.h).  Each refresh
 * re-reads the whole trace into a new model: the reader stops at the last
 * complete gzip member, so a trace being written reads like a truncated one.
 * Rates are the growth of the totals since the previous refresh over the
 * wall time between the two.  The process's RSS and fault counts come from
 * /proc/PID while it runs (exact and current); once it is gone, from the
 * trace. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "symbols.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *fp_live_sort_name(enum fp_live_sort by)
{
    return by == FP_LIVE_BY_ALLOC_RATE ? "allocs/s" : by == FP_LIVE_BY_FAULT_RATE ? "faults/s"
                                                                                : "live bytes";
}

void fp_live_init(struct fp_live *l, const char *path, const struct fp_opts *o)
{
    memset(l, 0, sizeof(*l));
    l->path = path;
    l->o = o;
    l->symbols = o->symbols;
}

void fp_live_free(struct fp_live *l)
{
    free(l->sites);
    free(l->threads);
    free(l->prev_sites);
    free(l->prev_threads);
    l->sites = l->threads = l->prev_sites = l->prev_threads = NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct fp_live_row *)a)->name, ((const struct fp_live_row *)b)->name);
}

static enum fp_live_sort sort_by;

static int cmp_row(const void *a, const void *b)
{
    const struct fp_live_row *x = a, *y = b;
    double dx = sort_by == FP_LIVE_BY_LIVE ? (double)x->live_bytes
              : sort_by == FP_LIVE_BY_ALLOC_RATE ? x->alloc_rate : x->fault_rate;
    double dy = sort_by == FP_LIVE_BY_LIVE ? (double)y->live_bytes
              : sort_by == FP_LIVE_BY_ALLOC_RATE ? y->alloc_rate : y->fault_rate;
    if (dx != dy)
        return dx < dy ? 1 : -1;
    return strcmp(x->name, y->name);
}

void fp_live_sort(struct fp_live *l, enum fp_live_sort by)
{
    l->sort = by;
    sort_by = by;
    qsort(l->sites, l->nsites, sizeof(*l->sites), cmp_row);
    qsort(l->threads, l->nthreads, sizeof(*l->threads), cmp_row);
}

/* Rates of rows against prev (sorted by name), over dt seconds; then rows
 * become the new prev (a copy, sorted by name). */
static int rows_rate(struct fp_live_row *rows, uint32_t n, struct fp_live_row **prev,
                     uint32_t *nprev, double dt)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_live_row *p =
            *prev ? bsearch(&rows[i], *prev, *nprev, sizeof(**prev), cmp_name) : NULL;
        if (p && dt > 0) {
            rows[i].alloc_rate = rows[i].allocs > p->allocs ? (double)(rows[i].allocs - p->allocs) / dt : 0;
            rows[i].fault_rate = rows[i].faults > p->faults ? (double)(rows[i].faults - p->faults) / dt : 0;
        }
    }
    struct fp_live_row *copy = malloc((n ? n : 1) * sizeof(*copy));
    if (!copy)
        return -1;
    memcpy(copy, rows, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), cmp_name);
    free(*prev);
    *prev = copy;
    *nprev = n;
    return 0;
}

/* The allocation sites by function: live bytes (a trace read so far counts
 * its live blocks as leaked), allocations, faults on their memory.  Sites of
 * the same name (a function's stacks in several modules) are added up. */
static int sites_rows(struct fp_live *l, const struct fp_model *m)
{
    struct fp_filter deflt;
    const struct fp_filter *filter = l->o->filter;
    if (!filter) {
        fp_filter_defaults(&deflt);
        filter = &deflt;
    }
    struct fp_syms *syms = fp_syms_new(m, NULL, l->symbols);
    struct fp_sites s = { 0 };
    int rc = -1;
    if (!syms || fp_sites_build(&s, m, syms, filter, FP_BY_FUNCTION) < 0)
        goto out;
    free(l->sites);
    l->sites = calloc(s.n ? s.n : 1, sizeof(*l->sites));
    l->nsites = 0;
    if (!l->sites)
        goto out;
    for (uint32_t i = 0; i < s.n; i++) {
        struct fp_live_row *r = &l->sites[l->nsites++];
        fp_site_name(&s, i, r->name, sizeof(r->name));
        r->live_bytes = s.v[i].c.leaked_bytes;
        r->allocs = s.v[i].c.allocs;
        r->faults = s.v[i].c.minor_faults + s.v[i].c.major_faults;
    }
    rc = 0;
out:
    fp_sites_free(&s);
    fp_syms_free(syms);
    if (filter == &deflt)
        fp_filter_free(&deflt);
    return rc;
}

static int threads_rows(struct fp_live *l, const struct fp_model *m)
{
    free(l->threads);
    l->threads = calloc(m->nthreads ? m->nthreads : 1, sizeof(*l->threads));
    l->nthreads = 0;
    if (!l->threads)
        return -1;
    for (uint32_t i = 0; i < m->nthreads; i++) {
        const struct fp_model_thread *t = &m->threads[i];
        struct fp_live_row *r = &l->threads[l->nthreads++];
        snprintf(r->name, sizeof(r->name), "%u %s%s", t->tid, t->name, t->ended ? " (ended)" : "");
        r->live_bytes = t->leaked_bytes;
        r->allocs = t->allocs;
        r->faults = t->minflt + t->majflt;
    }
    return 0;
}

/* /proc/PID/statm's resident pages and /proc/PID/stat's fault counts; 0
 * when the process is gone or a zombie. */
static int proc_read(uint64_t pid, uint64_t page_size, uint64_t *rss, uint64_t *faults)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%llu/stat", (unsigned long long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    char state;
    unsigned long long minflt, cminflt, majflt;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %llu %llu %llu", &state, &minflt,
                     &cminflt, &majflt) != 4 || state == 'Z' || state == 'X')
        return 0;
    *faults = minflt + majflt;
    snprintf(path, sizeof(path), "/proc/%llu/statm", (unsigned long long)pid);
    unsigned long long size, res;
    if ((f = fopen(path, "r"))) {
        if (fscanf(f, "%llu %llu", &size, &res) == 2)
            *rss = res * (page_size ? page_size : (uint64_t)sysconf(_SC_PAGESIZE));
        fclose(f);
    }
    return 1;
}

/* The figures of the model's first process (the program). */
static void totals(struct fp_live *l, const struct fp_model *m)
{
    const struct fp_proc *p = &m->procs[0];
    struct fp_summary s;
    fp_summary_compute(m, &s);
    l->pid = p->pid;
    snprintf(l->command, sizeof(l->command), "%s", p->cmdline ? p->cmdline : p->exe ? p->exe : "?");
    l->ended = p->has_end;
    l->live_bytes = s.leaked_bytes;
    l->allocs = s.allocations;
    l->seconds = (double)p->t_last / 1e9;
    uint64_t faults = 0;
    for (uint32_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].proc == 0)
            faults += m->threads[i].minflt + m->threads[i].majflt;
    if (p->has_end)
        faults = p->minflt + p->majflt;
    l->rss_bytes = p->has_end ? p->maxrss_kb * 1024 : 0;
    l->alive = !p->has_end && proc_read(p->pid, p->page_size, &l->rss_bytes, &faults);
    l->faults = faults;
}

static void history_add(struct fp_live *l)
{
    if (l->nhist == FP_LIVE_HISTORY) {
        memmove(l->h_live, l->h_live + 1, (FP_LIVE_HISTORY - 1) * sizeof(*l->h_live));
        memmove(l->h_rss, l->h_rss + 1, (FP_LIVE_HISTORY - 1) * sizeof(*l->h_rss));
        memmove(l->h_faults, l->h_faults + 1, (FP_LIVE_HISTORY - 1) * sizeof(*l->h_faults));
        l->nhist--;
    }
    l->h_live[l->nhist] = l->live_bytes;
    l->h_rss[l->nhist] = l->rss_bytes;
    l->h_faults[l->nhist] = l->fault_rate;
    l->nhist++;
}

int fp_live_refresh(struct fp_live *l)
{
    char err[256];
    struct stat st;
    if (stat(l->path, &st) != 0) {
        snprintf(l->problem, sizeof(l->problem), "waiting for %s: %s", l->path, strerror(errno));
        return 0;
    }
    struct fp_model *m = fp_model_new();
    if (!m)
        return -1;
    m->warn = NULL;                  /* being written: it ends inside a member */
    double t0 = now_s();
    if (fp_model_read_file(m, l->path, err, sizeof(err)) < 0 || !m->nprocs) {
        snprintf(l->problem, sizeof(l->problem), "%s: %s", l->path,
                 m->nprocs ? err : "no complete member yet");
        fp_model_free(m);
        return 0;
    }
    int rc = 0;
    l->problem[0] = '\0';
    l->have_trace = 1;
    l->trace_bytes = (uint64_t)st.st_size;
    totals(l, m);
    if (sites_rows(l, m) < 0 || threads_rows(l, m) < 0)
        rc = -1;
    l->read_ms = (now_s() - t0) * 1e3;
    double wall = now_s(), dt = l->prev_wall ? wall - l->prev_wall : 0;
    l->alloc_rate = dt > 0 && l->allocs > l->prev_allocs ? (double)(l->allocs - l->prev_allocs) / dt : 0;
    l->fault_rate = dt > 0 && l->faults > l->prev_faults ? (double)(l->faults - l->prev_faults) / dt : 0;
    l->prev_wall = wall;
    l->prev_allocs = l->allocs;
    l->prev_faults = l->faults;
    if (!rc && (rows_rate(l->sites, l->nsites, &l->prev_sites, &l->nprev_sites, dt) < 0 ||
                rows_rate(l->threads, l->nthreads, &l->prev_threads, &l->nprev_threads, dt) < 0))
        rc = -1;
    fp_live_sort(l, l->sort);
    history_add(l);
    fp_model_free(m);
    return rc;
}

int fp_live_main(const char *path, const struct fp_opts *o, int interval_ms)
{
    struct fp_live l;
    fp_live_init(&l, path, o);
    if (fp_live_screen_open() < 0)
        return 1;
    int paused = 0, threads = 0, rc = 0, done = 0;
    double next = 0;
    int dirty = 1;
    while (!done) {
        if (!paused && now_s() >= next) {
            dirty = 1;
            if (fp_live_refresh(&l) < 0) {
                rc = 2;
                break;
            }
            next = now_s() + interval_ms / 1e3;
            /* the program has ended: show its last figures a moment */
            if (l.have_trace && (l.ended || !l.alive))
                done = 1;
        }
        /* a whole repaint each time: the program may write to the terminal too */
        if (dirty)
            fp_live_screen_draw(&l, paused, threads);
        dirty = 0;
        if (done)
            break;
        int k = fp_live_screen_key(100);
        dirty = k != -1;
        if (k == 'q' || k == 'Q')
            break;
        else if (k == 's')
            fp_live_sort(&l, (enum fp_live_sort)((l.sort + 1) % FP_LIVE_SORTS));
        else if (k == 'p' || k == ' ')
            paused = !paused;
        else if (k == 't')
            threads = !threads;
    }
    fp_live_screen_close();
    if (rc)
        fprintf(stderr, "faultprof-report: out of memory\n");
    else if (done)
        printf("faultprof-report: %s: the program %s; the trace holds %llu allocations, %s live\n",
               path, l.ended ? "ended" : "is gone", (unsigned long long)l.allocs,
               fp_fmt_bytes(l.live_bytes, (char[32]){ 0 }, 32));
    fp_live_free(&l);
    return rc;
}
