/* run: reads a run directory's manifest (its format: FILES in faultprof(1))
 * or takes one trace as a run, reads the run's traces into a model, and
 * builds the tree of the model's processes. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void fp_run_free(struct fp_run *r)
{
    free(r->path);
    free(r->command);
    free(r->cwd);
    for (uint32_t i = 0; i < r->ntraces; i++)
        free(r->traces[i]);
    free(r->traces);
    memset(r, 0, sizeof(*r));
}

static int run_add_trace(struct fp_run *r, const char *dir, const char *name)
{
    char **nv = realloc(r->traces, (r->ntraces + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    r->traces = nv;
    char *p;
    if (dir && name[0] != '/') {
        if (asprintf(&p, "%s/%s", dir, name) < 0)
            return -1;
    } else if (!(p = strdup(name))) {
        return -1;
    }
    r->traces[r->ntraces++] = p;
    return 0;
}

/* One "key value" line of the manifest into r.  Unknown keys are skipped,
 * so a later launcher may add some.  Returns 0, or -1 with the problem. */
static int manifest_line(struct fp_run *r, const char *dir, char *line, char *err, size_t errlen)
{
    char *val = strchr(line, ' ');
    if (!val) {
        snprintf(err, errlen, "line '%.60s' is not 'key value'", line);
        return -1;
    }
    *val++ = '\0';
    char *end = NULL;
    if (!strcmp(line, "root_pid")) {
        r->root_pid = strtoull(val, &end, 10);
    } else if (!strcmp(line, "start") || !strcmp(line, "end")) {
        *(!strcmp(line, "start") ? &r->start : &r->end) = strtod(val, &end);
    } else if (!strcmp(line, "status")) {
        int n = 0;
        if (sscanf(val, "exit %d%n", &r->status, &n) == 1 && !val[n]) {
            r->signaled = 0;
        } else if (sscanf(val, "signal %d%n", &r->status, &n) == 1 && !val[n]) {
            r->signaled = 1;
        } else {
            snprintf(err, errlen, "status '%.40s' is neither 'exit N' nor 'signal N'", val);
            return -1;
        }
        r->has_status = 1;
    } else if (!strcmp(line, "command") || !strcmp(line, "cwd")) {
        char **dst = !strcmp(line, "command") ? &r->command : &r->cwd;
        free(*dst);
        if (!(*dst = strdup(val)))
            goto oom;
    } else if (!strcmp(line, "trace")) {
        if (!val[0]) {
            snprintf(err, errlen, "a trace line without a file name");
            return -1;
        }
        if (run_add_trace(r, dir, val) < 0)
            goto oom;
    }
    if (end && (end == val || *end)) {
        snprintf(err, errlen, "%.40s '%.40s' is not a number", line, val);
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int manifest_read(struct fp_run *r, const char *dir, char *err, size_t errlen)
{
    char path[4096], e[300], line[8192];
    snprintf(path, sizeof(path), "%s/" FP_RUN_MANIFEST, dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            snprintf(err, errlen, "%s: not a run directory: it has no " FP_RUN_MANIFEST
                     " (faultprof -o DIR/ writes one)", dir);
        else
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0, lineno = 0, version = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        if (lineno == 1) {
            if (sscanf(line, "faultprof-run %d", &version) != 1) {
                snprintf(err, errlen, "%s: not a faultprof run manifest (it starts '%.30s')",
                         path, line);
                rc = -1;
            } else if (version != 1) {
                snprintf(err, errlen, "%s: manifest version %d; this faultprof-report reads "
                         "version 1", path, version);
                rc = -1;
            }
            continue;
        }
        if (!len)
            continue;
        if (manifest_line(r, dir, line, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e);
            rc = -1;
        }
    }
    if (rc == 0 && lineno == 0) {
        snprintf(err, errlen, "%s: empty manifest", path);
        rc = -1;
    }
    if (rc == 0 && !r->ntraces) {
        snprintf(err, errlen, "%s: the run lists no trace (did the program run?)", path);
        rc = -1;
    }
    fclose(f);
    r->has_manifest = rc == 0;
    return rc;
}

int fp_run_open(struct fp_run *r, const char *path, char *err, size_t errlen)
{
    struct stat st;
    memset(r, 0, sizeof(*r));
    if (!(r->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (manifest_read(r, path, err, errlen) == 0)
            return 0;
    } else if (run_add_trace(r, NULL, path) == 0) {
        return 0;
    } else {
        snprintf(err, errlen, "out of memory");
    }
    fp_run_free(r);
    return -1;
}

int fp_run_read(const struct fp_run *r, struct fp_model *m, char *err, size_t errlen)
{
    char e[400];
    for (uint32_t i = 0; i < r->ntraces; i++) {
        if (fp_model_read_file(m, r->traces[i], e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s: %s", r->traces[i], e);
            return -1;
        }
    }
    return 0;
}

const char *fp_run_status_text(const struct fp_run *r, char *buf, size_t n)
{
    if (!r->has_status)
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n, "%s %d", r->signaled ? "signal" : "exit", r->status);
    return buf;
}

/* ---- the process tree ---- */

/* The parent of process i: the image its pid had before exec'ing into it,
 * else the latest process of its ppid that started before it; -1: none. */
static int64_t proc_parent(const struct fp_model *m, uint32_t i, int *exec)
{
    const struct fp_proc *p = &m->procs[i];
    int64_t best = -1;
    for (int pass = 0; pass < 2 && best < 0; pass++) {
        uint64_t want = pass ? p->ppid : p->pid;
        for (uint32_t k = 0; k < m->nprocs; k++) {
            const struct fp_proc *q = &m->procs[k];
            if (k == i || q->pid != want || q->t0_real > p->t0_real)
                continue;
            if (q->t0_real == p->t0_real && (pass ? 0 : k > i))
                continue;    /* two images of one pid at one instant: file order */
            if (best < 0 || q->t0_real >= m->procs[best].t0_real)
                best = k;
        }
        *exec = pass == 0;
    }
    return best;
}

struct tree_build {
    const struct fp_model *m;
    int64_t *parent;             /* by proc */
    int *exec;
    uint32_t *byt0;              /* procs by start time */
    struct fp_ptree *t;
};

static void tree_visit(struct tree_build *b, uint32_t proc, int32_t parent, uint32_t depth)
{
    const struct fp_proc *p = &b->m->procs[proc];
    uint32_t me = b->t->n++;
    struct fp_ptree_node *nd = &b->t->v[me];
    nd->proc = proc;
    nd->parent = parent;
    nd->depth = depth;
    nd->exec = b->exec[proc];
    if (p->has_end) {
        nd->wall_seconds = (double)p->wall_ns / 1e9;
        nd->cpu_seconds = (double)(p->utime_ns + p->stime_ns) / 1e9;
        nd->minor_faults = p->minflt;
        nd->major_faults = p->majflt;
    } else {
        nd->wall_seconds = (double)p->t_last / 1e9;
        for (uint32_t k = 0; k < b->m->nthreads; k++) {
            if (b->m->threads[k].proc != proc)
                continue;
            nd->cpu_seconds += (double)(b->m->threads[k].utime_ns + b->m->threads[k].stime_ns) / 1e9;
            nd->minor_faults += b->m->threads[k].minflt;
            nd->major_faults += b->m->threads[k].majflt;
        }
    }
    for (uint32_t k = 0; k < b->m->nprocs; k++) {
        uint32_t c = b->byt0[k];
        if (b->parent[c] == (int64_t)proc)
            tree_visit(b, c, (int32_t)me, depth + 1);
    }
}

static const struct fp_model *sort_model;

static int cmp_t0(const void *a, const void *b)
{
    const struct fp_proc *x = &sort_model->procs[*(const uint32_t *)a];
    const struct fp_proc *y = &sort_model->procs[*(const uint32_t *)b];
    if (x->t0_real != y->t0_real)
        return x->t0_real < y->t0_real ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int fp_ptree_build(struct fp_ptree *t, const struct fp_model *m, uint64_t root_pid)
{
    uint32_t n = m->nprocs;
    memset(t, 0, sizeof(*t));
    struct tree_build b = { .m = m, .t = t };
    b.parent = malloc((n ? n : 1) * sizeof(*b.parent));
    b.exec = calloc(n ? n : 1, sizeof(*b.exec));
    b.byt0 = malloc((n ? n : 1) * sizeof(*b.byt0));
    t->v = calloc(n ? n : 1, sizeof(*t->v));
    if (!b.parent || !b.exec || !b.byt0 || !t->v) {
        free(b.parent), free(b.exec), free(b.byt0);
        fp_ptree_free(t);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        b.parent[i] = proc_parent(m, i, &b.exec[i]);
        b.byt0[i] = i;
    }
    /* a cycle (pids reused across unrelated traces) would hide its
     * processes: break it at the latest start */
    for (uint32_t i = 0; i < n; i++) {
        int64_t at = i;
        for (uint32_t steps = 0; at >= 0 && steps <= n; steps++)
            at = b.parent[at];
        if (at >= 0)
            b.parent[i] = -1;
    }
    sort_model = m;
    qsort(b.byt0, n, sizeof(*b.byt0), cmp_t0);
    for (uint32_t k = 0; k < n; k++)
        if (b.parent[b.byt0[k]] < 0)
            tree_visit(&b, b.byt0[k], -1, 0);
    double first = 0, last = 0;
    int root_set = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        const struct fp_proc *p = &m->procs[t->v[i].proc];
        double s = (double)p->t0_real / 1e9, e = s + t->v[i].wall_seconds;
        if (i == 0 || s < first)
            first = s;
        if (i == 0 || e > last)
            last = e;
        if (!root_set && root_pid && p->pid == root_pid) {
            t->root = i;
            root_set = 1;
        }
    }
    t->wall_seconds = t->n > 1 ? last - first : t->n ? t->v[0].wall_seconds : 0;
    free(b.parent), free(b.exec), free(b.byt0);
    return 0;
}

void fp_ptree_free(struct fp_ptree *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}
