/* live: the model side of faultprof-report --live (live.h).  One model is
 * kept across refreshes, with a feed per trace (model.h): a refresh reads
 * only the members appended since the last one, so its cost follows what
 * the program wrote in the meantime, not the trace's size.  A run
 * directory's new traces (fork/exec children) are opened as they appear.
 * Sites are named once per raw stack; the symbol tables are built again
 * only when a process loaded modules since.  Rates are the growth of the
 * counts since the previous refresh over the wall time between the two.
 * The process's RSS and fault counts come from /proc/PID while it runs
 * (exact and current); once it is gone, from the trace. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"
#include "live.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "symbols.h"

#define QUIET_S 1.0                  /* a trace that has not grown this long: read it all */

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
    struct stat st;
    memset(l, 0, sizeof(*l));
    l->path = path;
    l->o = o;
    l->symbols = o->symbols;
    l->is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    l->filter = o->filter;
}

void fp_live_free(struct fp_live *l)
{
    for (uint32_t i = 0; i < l->nprocs; i++) {
        fp_feed_close(l->procs[i].feed);
        free(l->procs[i].path);
    }
    free(l->procs);
    fp_syms_free(l->syms);
    fp_model_free(l->m);
    if (l->own_filter) {
        fp_filter_free(l->own_filter);
        free(l->own_filter);
    }
    free(l->site_of);
    free(l->names.v);
    free(l->names.byname);
    free(l->stack_rate);
    free(l->thread_rate);
    free(l->rows);
    memset(l, 0, sizeof(*l));
}

/* ---- sorting rows ---- */

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

/* ---- site names: one index per name ---- */

static const struct fp_live_names *names_base;
static int cmp_name_idx(const void *key, const void *elem)
{
    return strcmp(key, names_base->v[*(const uint32_t *)elem]);
}

/* The index of name, added when new; -1 out of memory. */
static int64_t name_index(struct fp_live_names *nm, const char *name)
{
    names_base = nm;
    uint32_t lo = 0, hi = nm->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        int c = cmp_name_idx(name, &nm->byname[mid]);
        if (!c)
            return nm->byname[mid];
        if (c > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (nm->n == nm->cap) {
        /* two arrays of one capacity: grow.h's rule for the number */
        uint32_t cap = (uint32_t)fp_grow_cap(nm->cap, (size_t)nm->n + 1, 256, sizeof(*nm->v),
                                             UINT32_MAX);
        if (!cap)
            return -1;
        char (*v)[160] = realloc(nm->v, cap * sizeof(*v));
        if (v)
            nm->v = v;
        uint32_t *b = realloc(nm->byname, cap * sizeof(*b));
        if (b)
            nm->byname = b;
        if (!v || !b)
            return -1;
        nm->cap = cap;
    }
    snprintf(nm->v[nm->n], sizeof(nm->v[0]), "%s", name);
    memmove(nm->byname + lo + 1, nm->byname + lo, (nm->n - lo) * sizeof(*nm->byname));
    nm->byname[lo] = nm->n;
    return nm->n++;
}

/* ---- traces and their feeds ---- */

static int known_trace(const struct fp_live *l, const char *path)
{
    for (uint32_t i = 0; i < l->nprocs; i++)
        if (!strcmp(l->procs[i].path, path))
            return 1;
    return 0;
}

/* Opens path's feed when it has its first member; -1 out of memory. */
static int trace_add(struct fp_live *l, const char *path)
{
    char err[512];
    struct fp_feed *f;
    if (known_trace(l, path))
        return 0;
    if (fp_feed_open(l->m, path, &f, err, sizeof(err)) < 0) {
        snprintf(l->problem, sizeof(l->problem), "%s: %s", path, err);
        return 0;
    }
    struct fp_live_proc *np = realloc(l->procs, (l->nprocs + 1) * sizeof(*np));
    if (!np) {
        fp_feed_close(f);
        return -1;
    }
    l->procs = np;
    struct fp_live_proc *p = &l->procs[l->nprocs++];
    memset(p, 0, sizeof(*p));
    p->path = strdup(path);
    p->feed = f;
    p->pi = fp_feed_proc(f);
    p->alive = 1;
    p->grew = now_s();
    return p->path ? 0 : -1;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n > k && !strcmp(s + n - k, suf);
}

/* The trace, or every trace in the run directory (new ones are children). */
static int traces_scan(struct fp_live *l)
{
    if (!l->is_dir) {
        if (access(l->path, F_OK) != 0) {
            snprintf(l->problem, sizeof(l->problem), "waiting for %s: %s", l->path, strerror(errno));
            return 0;
        }
        return trace_add(l, l->path);
    }
    DIR *d = opendir(l->path);
    if (!d) {
        snprintf(l->problem, sizeof(l->problem), "%s: %s", l->path, strerror(errno));
        return 0;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        char path[4096];
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".gz"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", l->path, e->d_name);
        rc = trace_add(l, path);
    }
    closedir(d);
    if (!l->nprocs && !l->problem[0])
        snprintf(l->problem, sizeof(l->problem), "waiting for a trace in %s", l->path);
    return rc;
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

/* One process's new records; its figures are finished once its trace
 * ended or its process is gone.  Returns 0, or -1 out of memory. */
static int proc_take_in(struct fp_live *l, struct fp_live_proc *lp, double now)
{
    char err[512];
    const struct fp_proc *p = &l->m->procs[lp->pi];
    if (fp_feed_finished(lp->feed))
        return 0;
    uint64_t faults = 0;
    if (p->pid)
        lp->alive = proc_read(p->pid, p->page_size, &lp->rss_bytes, &faults);
    /* gone, and its trace stopped growing (a pid of another namespace, a
     * trace copied elsewhere, may look gone while it is being written) */
    int gone = p->pid && !lp->alive && now - lp->grew >= QUIET_S;
    int added = fp_feed_read(lp->feed, now - lp->grew >= QUIET_S, gone, err, sizeof(err));
    p = &l->m->procs[lp->pi];
    if (added < 0) {
        snprintf(l->problem, sizeof(l->problem), "%s: %s", lp->path, err);
        return strcmp(err, "out of memory") ? 0 : -1;
    }
    if (added > 0)
        lp->grew = now_s();          /* after the read: a long first read is no quiet */
    if (p->has_end && !fp_feed_finished(lp->feed) &&
        fp_feed_read(lp->feed, 1, 1, err, sizeof(err)) < 0) {
        snprintf(l->problem, sizeof(l->problem), "%s: %s", lp->path, err);
        return strcmp(err, "out of memory") ? 0 : -1;
    }
    return 0;
}

/* The fault count of a process: /proc while it runs, else its trace's. */
static uint64_t proc_faults(const struct fp_live *l, const struct fp_live_proc *lp)
{
    const struct fp_proc *p = &l->m->procs[lp->pi];
    uint64_t faults = 0, rss = 0;
    if (p->has_end)
        return p->minflt + p->majflt;
    if (lp->alive && p->pid && proc_read(p->pid, p->page_size, &rss, &faults))
        return faults;
    for (uint32_t i = 0; i < l->m->nthreads; i++)
        if (l->m->threads[i].proc == lp->pi)
            faults += l->m->threads[i].minflt + l->m->threads[i].majflt;
    return faults;
}

/* ---- sites: each raw stack named once ---- */

/* Symbols again when a process or a module was added since they were made:
 * they know the modules of their making only.  Names already given stay. */
static int syms_update(struct fp_live *l)
{
    uint32_t mods = 0;
    for (uint32_t i = 0; i < l->m->nprocs; i++)
        mods += l->m->procs[i].nmods;
    if (l->syms && l->syms_procs == l->m->nprocs && l->syms_mods == mods)
        return 0;
    fp_syms_free(l->syms);
    l->syms = fp_syms_new(l->m, NULL, l->symbols);
    l->syms_procs = l->m->nprocs;
    l->syms_mods = mods;
    return l->syms ? 0 : -1;
}

static int sites_name_new(struct fp_live *l)
{
    static uint32_t ids[FP_SITE_MAX_IDS];
    const struct fp_model *m = l->m;
    if (m->nstacks == l->nsite_of)
        return 0;
    if (syms_update(l) < 0)
        return -1;
    uint32_t *so = realloc(l->site_of, m->nstacks * sizeof(*so));
    if (!so)
        return -1;
    l->site_of = so;
    for (uint32_t i = l->nsite_of; i < m->nstacks; i++) {
        so[i] = 0;
        if (m->stacks[i].kind != FP_STACK_ALLOC)
            continue;
        const uint32_t *key;
        uint32_t kn;
        char buf[160];
        if (fp_sites_key(l->syms, m, i, l->filter, FP_BY_FUNCTION, ids, &key, &kn) < 0)
            return -1;
        const char *name = kn ? fp_fmt_frame(fp_syms_frame(l->syms, key[0]), buf, sizeof(buf), 0)
                              : "[no stack]";
        int64_t ni = name_index(&l->names, name);
        if (ni < 0)
            return -1;
        so[i] = (uint32_t)ni + 1;
    }
    l->nsite_of = m->nstacks;
    return 0;
}

/* ---- counts and rates ---- */

/* A raw stack's live bytes, allocations and faults, while its process is
 * read (model.h: fp_feed) or after. */
static void stack_counts(const struct fp_model *m, uint32_t i, int finished, uint64_t *live,
                         uint64_t *allocs, uint64_t *faults)
{
    const struct fp_rawstack *s = &m->stacks[i];
    const struct fp_proc *p = &m->procs[s->proc];
    *live = s->cur_live;
    *allocs = p->sample_bytes && !finished ? (uint64_t)llround(s->est_allocs) : s->c.allocs;
    *faults = s->c.minor_faults + s->c.major_faults;
    if (!finished && p->fault_samples == 0)      /* rusage mode: proc_finish adds them */
        *faults += s->c.minflt + s->c.majflt;
}

static void rate_set(struct fp_live_rate *r, uint64_t allocs, uint64_t faults, double dt, int seen)
{
    r->alloc_rate = seen && dt > 0 && allocs > r->allocs ? (double)(allocs - r->allocs) / dt : 0;
    r->fault_rate = seen && dt > 0 && faults > r->faults ? (double)(faults - r->faults) / dt : 0;
    r->allocs = allocs;
    r->faults = faults;
}

static int grow_rates(struct fp_live_rate **v, uint32_t *n, uint32_t want)
{
    if (want <= *n)
        return 0;
    struct fp_live_rate *nv = realloc(*v, want * sizeof(*nv));
    if (!nv)
        return -1;
    memset(nv + *n, 0, (want - *n) * sizeof(*nv));
    *v = nv;
    return 0;
}

/* Every raw stack's, thread's and process's rates over dt. */
static int rates_update(struct fp_live *l, double dt)
{
    const struct fp_model *m = l->m;
    uint32_t old_s = l->nstack_rate, old_t = l->nthread_rate;
    uint8_t *finished = calloc(m->nprocs ? m->nprocs : 1, 1);
    if (!finished || grow_rates(&l->stack_rate, &l->nstack_rate, m->nstacks) < 0 ||
        grow_rates(&l->thread_rate, &l->nthread_rate, m->nthreads) < 0) {
        free(finished);
        return -1;
    }
    l->nstack_rate = m->nstacks > old_s ? m->nstacks : old_s;
    l->nthread_rate = m->nthreads > old_t ? m->nthreads : old_t;
    for (uint32_t i = 0; i < l->nprocs; i++)
        finished[l->procs[i].pi] = (uint8_t)fp_feed_finished(l->procs[i].feed);
    for (uint32_t i = 0; i < m->nstacks; i++) {
        uint64_t live, allocs, faults;
        stack_counts(m, i, finished[m->stacks[i].proc], &live, &allocs, &faults);
        rate_set(&l->stack_rate[i], allocs, faults, dt, i < old_s);
    }
    free(finished);
    for (uint32_t i = 0; i < m->nthreads; i++) {
        const struct fp_model_thread *t = &m->threads[i];
        rate_set(&l->thread_rate[i], t->allocs, t->minflt + t->majflt, dt, i < old_t);
    }
    for (uint32_t i = 0; i < l->nprocs; i++) {
        struct fp_live_proc *lp = &l->procs[i];
        rate_set(&lp->rate, m->procs[lp->pi].allocs, proc_faults(l, lp), dt, lp->rate.allocs ||
                 lp->rate.faults);
    }
    return 0;
}

/* ---- the table's rows ---- */

static struct fp_live_row *row_new(struct fp_live *l)
{
    if (FP_GROW(l->rows, l->caprows, l->nrows + 1, 64) < 0)
        return NULL;
    struct fp_live_row *r = &l->rows[l->nrows++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* The sites of the process shown: its raw stacks summed by site name. */
static int rows_sites(struct fp_live *l)
{
    const struct fp_model *m = l->m;
    uint32_t pi = l->procs[l->sel].pi;
    int finished = fp_feed_finished(l->procs[l->sel].feed);
    int64_t *row_of = malloc((l->names.n ? l->names.n : 1) * sizeof(*row_of));
    if (!row_of)
        return -1;
    for (uint32_t i = 0; i < l->names.n; i++)
        row_of[i] = -1;
    for (uint32_t i = 0; i < m->nstacks && i < l->nsite_of; i++) {
        if (m->stacks[i].proc != pi || !l->site_of[i])
            continue;
        uint64_t live, allocs, faults;
        stack_counts(m, i, finished, &live, &allocs, &faults);
        if (!live && !allocs && !faults)
            continue;
        uint32_t ni = l->site_of[i] - 1;
        if (row_of[ni] < 0) {
            struct fp_live_row *r = row_new(l);
            if (!r) {
                free(row_of);
                return -1;
            }
            snprintf(r->name, sizeof(r->name), "%s", l->names.v[ni]);
            row_of[ni] = l->nrows - 1;
        }
        struct fp_live_row *r = &l->rows[row_of[ni]];
        r->live_bytes += live;
        r->allocs += allocs;
        r->faults += faults;
        if (i < l->nstack_rate) {
            r->alloc_rate += l->stack_rate[i].alloc_rate;
            r->fault_rate += l->stack_rate[i].fault_rate;
        }
    }
    free(row_of);
    return 0;
}

/* The threads of the process shown; live bytes by the thread that
 * allocated them. */
static int rows_threads(struct fp_live *l)
{
    const struct fp_model *m = l->m;
    uint32_t pi = l->procs[l->sel].pi;
    int finished = fp_feed_finished(l->procs[l->sel].feed);
    uint64_t *live = calloc(m->nthreads ? m->nthreads : 1, sizeof(*live));
    if (!live)
        return -1;
    if (!finished)
        fp_model_live_by_thread(m, pi, live);
    for (uint32_t i = 0; i < m->nthreads; i++) {
        const struct fp_model_thread *t = &m->threads[i];
        if (t->proc != pi)
            continue;
        struct fp_live_row *r = row_new(l);
        if (!r) {
            free(live);
            return -1;
        }
        snprintf(r->name, sizeof(r->name), "%u %s%s", t->tid, t->name, t->ended ? " (ended)" : "");
        r->live_bytes = finished ? t->leaked_bytes : live[i];
        r->allocs = t->allocs;
        r->faults = t->minflt + t->majflt;
        if (i < l->nthread_rate) {
            r->alloc_rate = l->thread_rate[i].alloc_rate;
            r->fault_rate = l->thread_rate[i].fault_rate;
        }
    }
    free(live);
    return 0;
}

static const char *proc_state(const struct fp_live *l, const struct fp_live_proc *lp)
{
    const struct fp_proc *p = &l->m->procs[lp->pi];
    return p->has_end ? (p->end_reason == 3 ? "exec'd" : p->end_reason == 5 ? "detached" : "ended")
                      : lp->alive ? "running" : "gone";
}

/* One row per process, the one shown marked. */
static int rows_procs(struct fp_live *l)
{
    for (uint32_t i = 0; i < l->nprocs; i++) {
        const struct fp_live_proc *lp = &l->procs[i];
        const struct fp_proc *p = &l->m->procs[lp->pi];
        struct fp_live_row *r = row_new(l);
        if (!r)
            return -1;
        snprintf(r->name, sizeof(r->name), "%llu %s (%s)", (unsigned long long)p->pid,
                 p->cmdline ? p->cmdline : p->exe ? p->exe : "?", proc_state(l, lp));
        r->live_bytes = fp_feed_finished(lp->feed) ? p->leaked_bytes : p->replay.live_bytes;
        r->allocs = p->allocs;
        r->faults = lp->rate.faults;
        r->alloc_rate = lp->rate.alloc_rate;
        r->fault_rate = lp->rate.fault_rate;
        r->mark = i == l->sel;
    }
    return 0;
}

static int rows_build(struct fp_live *l)
{
    l->nrows = 0;
    if (!l->nprocs)
        return 0;
    int rc = l->table == FP_LIVE_THREADS ? rows_threads(l)
           : l->table == FP_LIVE_PROCS ? rows_procs(l) : rows_sites(l);
    fp_live_sort(l, l->sort);
    return rc;
}

void fp_live_sort(struct fp_live *l, enum fp_live_sort by)
{
    l->sort = by;
    sort_by = by;
    if (l->nrows)
        qsort(l->rows, l->nrows, sizeof(*l->rows), cmp_row);
}

/* ---- the process shown ---- */

/* The processes by start (the root first), the one shown kept. */
static void procs_order(struct fp_live *l)
{
    const struct fp_model *m = l->m;
    uint32_t sel_pi = l->nprocs ? l->procs[l->sel].pi : 0;
    for (uint32_t i = 1; i < l->nprocs; i++)
        for (uint32_t k = i; k > 0 && m->procs[l->procs[k].pi].t0_real <
                                      m->procs[l->procs[k - 1].pi].t0_real; k--) {
            struct fp_live_proc t = l->procs[k];
            l->procs[k] = l->procs[k - 1];
            l->procs[k - 1] = t;
        }
    for (uint32_t i = 0; i < l->nprocs; i++)
        if (l->procs[i].pi == sel_pi)
            l->sel = i;
}

/* Until the user picks one: the first process (earliest start), and after
 * it exec'd, the image it became. */
static void pick_root(struct fp_live *l)
{
    const struct fp_model *m = l->m;
    uint32_t best = 0;
    for (int moved = 1; moved;) {
        moved = 0;
        const struct fp_proc *b = &m->procs[l->procs[best].pi];
        if (!b->has_end || b->end_reason != 3)
            break;
        for (uint32_t i = 0; i < l->nprocs; i++) {
            const struct fp_proc *q = &m->procs[l->procs[i].pi];
            if (q->pid == b->pid && q->t0_real > b->t0_real) {
                best = i, moved = 1;
                break;
            }
        }
    }
    l->sel = best;
}

/* The header's figures, of the process shown. */
static void totals(struct fp_live *l)
{
    const struct fp_live_proc *lp = &l->procs[l->sel];
    const struct fp_proc *p = &l->m->procs[lp->pi];
    l->pid = p->pid;
    snprintf(l->command, sizeof(l->command), "%s", p->cmdline ? p->cmdline : p->exe ? p->exe : "?");
    l->ended = p->has_end;
    l->alive = !p->has_end && lp->alive;
    l->live_bytes = fp_feed_finished(lp->feed) ? p->leaked_bytes : p->replay.live_bytes;
    l->allocs = p->allocs;
    l->seconds = (double)p->t_last / 1e9;
    l->faults = lp->rate.faults;
    l->alloc_rate = lp->rate.alloc_rate;
    l->fault_rate = lp->rate.fault_rate;
    l->rss_bytes = l->alive ? lp->rss_bytes : p->maxrss_kb * 1024;
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

void fp_live_pick_next(struct fp_live *l)
{
    if (!l->nprocs)
        return;
    l->picked = 1;
    l->sel = (l->sel + 1) % l->nprocs;
    l->nhist = 0;                    /* the history was another process's */
    totals(l);
    rows_build(l);
}

void fp_live_set_table(struct fp_live *l, enum fp_live_table t)
{
    l->table = t;
    rows_build(l);
}

int fp_live_done(const struct fp_live *l)
{
    if (!l->nprocs)
        return 0;
    for (uint32_t i = 0; i < l->nprocs; i++)
        if (!fp_feed_finished(l->procs[i].feed))
            return 0;
    return 1;
}

/* ---- a refresh ---- */

static uint64_t traces_size(const struct fp_live *l)
{
    uint64_t n = 0;
    struct stat st;
    for (uint32_t i = 0; i < l->nprocs; i++)
        if (stat(l->procs[i].path, &st) == 0)
            n += (uint64_t)st.st_size;
    return n;
}

int fp_live_refresh(struct fp_live *l)
{
    double t0 = now_s();
    if (!l->m && !(l->m = fp_model_new()))
        return -1;
    l->m->warn = NULL;               /* being written: it ends inside a member */
    if (!l->filter) {
        if (!(l->own_filter = calloc(1, sizeof(*l->own_filter))))
            return -1;
        fp_filter_defaults(l->own_filter);
        l->filter = l->own_filter;
    }
    l->problem[0] = '\0';
    if (traces_scan(l) < 0)
        return -1;
    for (uint32_t i = 0; i < l->nprocs; i++)
        if (proc_take_in(l, &l->procs[i], t0) < 0)
            return -1;
    if (!l->nprocs)
        return 0;
    l->have_trace = 1;
    if (sites_name_new(l) < 0)
        return -1;
    double wall = now_s(), dt = l->prev_wall ? wall - l->prev_wall : 0;
    l->prev_wall = wall;
    if (rates_update(l, dt) < 0)
        return -1;
    procs_order(l);
    if (!l->picked)
        pick_root(l);
    totals(l);
    if (rows_build(l) < 0)
        return -1;
    history_add(l);
    l->trace_bytes = traces_size(l);
    l->read_ms = (now_s() - t0) * 1e3;
    return 0;
}

/* The line left on the terminal once the view ends with the program. */
static void live_farewell(const struct fp_live *l)
{
    uint64_t allocs = 0, live = 0;
    char b[32];
    for (uint32_t i = 0; i < l->nprocs; i++) {
        const struct fp_proc *p = &l->m->procs[l->procs[i].pi];
        allocs += p->allocs;
        live += p->leaked_bytes;
    }
    if (l->nprocs == 1)
        printf("faultprof-report: %s: the program %s; the trace holds %llu allocations, %s live\n",
               l->path, l->ended ? "ended" : "is gone", (unsigned long long)allocs,
               fp_fmt_bytes(live, b, sizeof(b)));
    else
        printf("faultprof-report: %s: the program ended; its %u traces hold %llu allocations, "
               "%s live\n", l->path, l->nprocs, (unsigned long long)allocs,
               fp_fmt_bytes(live, b, sizeof(b)));
}

int fp_live_main(const char *path, const struct fp_opts *o, int interval_ms)
{
    struct fp_live l;
    fp_live_init(&l, path, o);
    if (fp_live_screen_open() < 0)
        return 1;
    int paused = 0, rc = 0, done = 0, dirty = 1;
    double next = 0;
    while (!done) {
        if (!paused && now_s() >= next) {
            dirty = 1;
            if (fp_live_refresh(&l) < 0) {
                rc = 2;
                break;
            }
            next = now_s() + interval_ms / 1e3;
            done = fp_live_done(&l);   /* then show its last figures once */
        }
        /* a whole repaint each time: the program may write to the terminal too */
        if (dirty)
            fp_live_screen_draw(&l, paused);
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
            fp_live_set_table(&l, (enum fp_live_table)((l.table + 1) % FP_LIVE_TABLES));
        else if (k == 'n')
            fp_live_pick_next(&l);
    }
    fp_live_screen_close();
    if (rc)
        fprintf(stderr, "faultprof-report: out of memory\n");
    else if (done)
        live_farewell(&l);
    fp_live_free(&l);
    return rc;
}
