/* diff_match: the parts of the diff model that match more than sites —
 * the new side's culprit (the allocation site whose memory took the most
 * faults, its diagnosis, the code that took them) with its nearest
 * counterpart on the base side, and the programs of multi-process runs,
 * matched by program name and command shape, with the sites of the one
 * that changed most.  diff.c calls them once both sides are read. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* ---- the culprit and its counterpart ---- */

static const char *const match_names[][2] = {
#define FP_X(n, s, d) { s, d },
    FP_MATCH_LIST(FP_X)
#undef FP_X
};

const char *fp_match_name(int how)
{
    return how >= 0 && how <= FP_MATCH_SHAPE ? match_names[how][0] : "?";
}

const char *fp_match_desc(int how)
{
    return how >= 0 && how <= FP_MATCH_SHAPE ? match_names[how][1] : "?";
}

/* The site with the most of metric, -1 when none has any. */
static int64_t top_by(const struct fp_sites *s, int metric)
{
    int64_t best = -1;
    for (uint32_t i = 0; i < s->n; i++)
        if (fp_metric_value(&s->v[i].c, metric) &&
            (best < 0 || fp_metric_value(&s->v[i].c, metric) > fp_metric_value(&s->v[best].c, metric)))
            best = i;
    return best;
}

static const struct fp_frame *first_frame(const struct fp_sites *s, int64_t i)
{
    const struct fp_site *st = &s->v[i];
    return st->nframes ? fp_syms_frame(s->syms, fp_site_frames(s, st)[0]) : NULL;
}

static unsigned mean_class(const struct fp_site *st)
{
    return st->c.allocs ? fp_size_class(st->c.bytes / st->c.allocs) : 0;
}

/* Is base site j a better candidate than best: more faults, then bytes. */
static int better(const struct fp_sites *bs, uint32_t j, int64_t best)
{
    if (best < 0)
        return 1;
    const struct fp_counts *x = &bs->v[j].c, *y = &bs->v[best].c;
    uint64_t fx = fp_metric_value(x, FP_METRIC_FAULTS), fy = fp_metric_value(y, FP_METRIC_FAULTS);
    return fx != fy ? fx > fy : x->bytes > y->bytes;
}

/* The normalized name of frame k of site i ("" when it has none). */
static const char *frame_norm(const struct fp_sites *s, int64_t i, uint32_t k, char *buf, size_t n)
{
    char nb[128];
    const struct fp_site *st = &s->v[i];
    buf[0] = 0;
    if (k < st->nframes)
        fp_diff_normalize_name(fp_frame_name(fp_syms_frame(s->syms, fp_site_frames(s, st)[k]), nb,
                                             sizeof(nb)), buf, n);
    return buf;
}

static const char *file_base(const struct fp_frame *f)
{
    const char *b = f && f->file ? strrchr(f->file, '/') : NULL;
    return f && f->file ? (b ? b + 1 : f->file) : NULL;
}

/* The base site nearest to new site ni, by the first of: the same key; the
 * same normalized function; a base site whose function is the nearest
 * caller of ni of that name; the same source file; (allocation sites,
 * shape set) a stack within two frames of its depth whose mean block is
 * of the nearest size class (four classes apart at most).  Ties: the most
 * faults, then bytes.  -1 when none. */
static int64_t counterpart(const struct fp_diff_run *nr, const struct fp_sites *ns, int64_t ni,
                           const struct fp_diff_run *br, const struct fp_sites *bs,
                           const struct fp_opts *o, int shape, enum fp_match *how)
{
    *how = FP_MATCH_NONE;
    if (ni < 0 || !bs->n)
        return -1;
    char *key = fp_diff_key(nr->m, nr->syms, ns, &ns->v[ni], o->by, 0);
    const struct fp_frame *nf = first_frame(ns, ni);
    const char *nfile = file_base(nf);
    char want[1024], have[1024], up[1024];
    frame_norm(ns, ni, 0, want, sizeof(want));
    int64_t best[FP_MATCH_SHAPE + 1] = { -1, -1, -1, -1, -1, -1 };
    uint32_t caller_at = UINT32_MAX;
    int shape_dist = 5;
    for (uint32_t j = 0; j < bs->n; j++) {
        char *bk = key ? fp_diff_key(br->m, br->syms, bs, &bs->v[j], o->by, 0) : NULL;
        int same = bk && !strcmp(bk, key);
        free(bk);
        if (same && better(bs, j, best[FP_MATCH_SAME]))
            best[FP_MATCH_SAME] = j;
        const struct fp_frame *bf = first_frame(bs, j);
        if (!nf || !bf)
            continue;
        frame_norm(bs, j, 0, have, sizeof(have));
        if (want[0] && !strcmp(want, have) && better(bs, j, best[FP_MATCH_NAME]))
            best[FP_MATCH_NAME] = j;
        for (uint32_t k = 1; have[0] && k < ns->v[ni].nframes && k <= caller_at; k++) {
            if (strcmp(frame_norm(ns, ni, k, up, sizeof(up)), have))
                continue;
            if (k < caller_at || better(bs, j, best[FP_MATCH_CALLER]))
                best[FP_MATCH_CALLER] = j, caller_at = k;
            break;
        }
        const char *bfile = file_base(bf);
        if (nfile && bfile && !strcmp(nfile, bfile) && better(bs, j, best[FP_MATCH_FILE]))
            best[FP_MATCH_FILE] = j;
        int dn = (int)bs->v[j].nframes - (int)ns->v[ni].nframes;
        int dc = (int)mean_class(&bs->v[j]) - (int)mean_class(&ns->v[ni]);
        dc = dc < 0 ? -dc : dc;
        if (shape && dn >= -2 && dn <= 2 &&
            (dc < shape_dist || (dc == shape_dist && better(bs, j, best[FP_MATCH_SHAPE]))))
            best[FP_MATCH_SHAPE] = j, shape_dist = dc;
    }
    free(key);
    for (int h = FP_MATCH_SAME; h <= FP_MATCH_SHAPE; h++) {
        if (best[h] >= 0) {
            *how = (enum fp_match)h;
            return best[h];
        }
    }
    return -1;
}

/* The diagnosis to lead with: the one saving the most faults, else the
 * realloc growth saving the most copying; -1 when none. */
static int64_t lead_diag(const struct fp_diags *dg)
{
    int64_t best = -1;
    for (int pass = 0; pass < 2 && best < 0; pass++)
        for (size_t i = 0; i < dg->n; i++) {
            int growth = dg->v[i].kind == FP_DIAG_REALLOC_GROWTH;
            if (growth == pass && (best < 0 || dg->v[i].saving > dg->v[best].saving))
                best = (int64_t)i;
        }
    return best;
}

int fp_diff_culprit_find(struct fp_diff *d, const struct fp_opts *o)
{
    struct fp_diff_culprit *c = &d->culprit;
    const struct fp_diff_run *nr = &d->side[1].runs[0], *br = &d->side[0].runs[0];
    const struct fp_report *r = &nr->r;
    c->diag = lead_diag(&r->diags);
    c->site = c->diag >= 0 ? r->diags.v[c->diag].site : top_by(&r->sites, FP_METRIC_FAULTS);
    if (c->site < 0)
        c->site = top_by(&r->sites, FP_METRIC_BYTES);
    c->fault_source = r->fault_sources.n ? 0 : -1;
    c->base_site = counterpart(nr, &r->sites, c->site, br, &br->r.sites, o, 1, &c->site_how);
    c->base_fault_source = counterpart(nr, &r->fault_sources, c->fault_source, br,
                                       &br->r.fault_sources, o, 0, &c->fault_how);
    return 0;
}

/* ---- programs ---- */

/* "cc -c -o *.o *.c" of "/usr/bin/cc -c -o a.o /tmp/x/a.c": the program's
 * name, options as they are, other arguments as their kind (*.ext, N, *).
 * A run's root process is "NAME (root)": the roots of two runs match
 * whatever their arguments. */
static char *prog_key(const struct fp_proc *p, int root)
{
    const char *cmd = p->cmdline ? p->cmdline : p->exe ? p->exe : "?";
    size_t cap = strlen(cmd) + 64, len = 0;
    char *key = malloc(cap), *copy = strdup(cmd), *save = NULL;
    if (!key || !copy) {
        free(key);
        free(copy);
        return NULL;
    }
    int first = 1;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save), first = 0) {
        const char *base = strrchr(w, '/');
        base = base && base[1] ? base + 1 : w;
        const char *dot = strrchr(base, '.');
        char piece[80];
        if (first)
            snprintf(piece, sizeof(piece), "%.60s%s", base, root ? " (root)" : "");
        else if (root)
            break;
        else if (w[0] == '-')
            snprintf(piece, sizeof(piece), " %.60s", w);
        else if (strspn(w, "0123456789") == strlen(w))
            snprintf(piece, sizeof(piece), " N");
        else if (dot && dot != base && dot[1] && strlen(dot) <= 8)
            snprintf(piece, sizeof(piece), " *%s", dot);
        else
            snprintf(piece, sizeof(piece), " *");
        size_t pl = strlen(piece);
        if (len + pl + 1 > cap)
            break;
        memcpy(key + len, piece, pl + 1);
        len += pl;
    }
    if (!len)
        snprintf(key, cap, "?");
    free(copy);
    return key;
}

/* One program's figures in one run. */
struct prog_entry {
    char *key;
    int side;
    uint32_t run;
    double procs, minor_faults, allocations, bytes, cpu_seconds;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct prog_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->side != y->side ? x->side - y->side : (x->run > y->run) - (x->run < y->run);
}

/* The entries of one run, one per program (added to *v). */
static int prog_entries(struct prog_entry **v, size_t *n, size_t *cap,
                        const struct fp_diff_run *r, int side, uint32_t run)
{
    for (uint32_t i = 0; i < r->r.tree.n; i++) {
        const struct fp_ptree_node *nd = &r->r.tree.v[i];
        const struct fp_proc *p = &r->m->procs[nd->proc];
        char *key = prog_key(p, i == r->r.tree.root);
        if (!key)
            return -1;
        struct prog_entry *e = NULL;
        for (size_t k = *n; k-- > 0 && (*v)[k].side == side && (*v)[k].run == run;)
            if (!strcmp((*v)[k].key, key)) {
                e = &(*v)[k];
                break;
            }
        if (e) {
            free(key);
        } else {
            if (FP_GROW(*v, *cap, *n + 1, 32) < 0) {
                free(key);
                return -1;
            }
            e = &(*v)[(*n)++];
            memset(e, 0, sizeof(*e));
            e->key = key, e->side = side, e->run = run;
        }
        e->procs += 1;
        e->minor_faults += (double)nd->minor_faults;
        e->allocations += (double)p->allocs;
        e->bytes += (double)p->bytes;
        e->cpu_seconds += nd->cpu_seconds;
    }
    return 0;
}

/* The entries of one key (all runs of both sides) into a program. */
static void prog_of(struct fp_diff_prog *pg, const struct prog_entry *e, size_t n,
                    const struct fp_diff *d)
{
    double v[5][64];
    for (int sd = 0; sd < 2; sd++) {
        uint32_t nr = d->side[sd].nruns;
        memset(v, 0, sizeof(v));
        for (size_t k = 0; k < n; k++) {
            if (e[k].side != sd)
                continue;
            pg->present[sd] = 1;
            v[0][e[k].run] = e[k].procs;
            v[1][e[k].run] = e[k].minor_faults;
            v[2][e[k].run] = e[k].allocations;
            v[3][e[k].run] = e[k].bytes;
            v[4][e[k].run] = e[k].cpu_seconds;
        }
        fp_stat_of(&pg->procs[sd], v[0], nr);
        fp_stat_of(&pg->minor_faults[sd], v[1], nr);
        fp_stat_of(&pg->allocations[sd], v[2], nr);
        fp_stat_of(&pg->bytes[sd], v[3], nr);
        fp_stat_of(&pg->cpu_seconds[sd], v[4], nr);
    }
    pg->sig = fp_diff_significant(&pg->minor_faults[0], &pg->minor_faults[1], FP_DIFF_MIN_REL);
}

static double absd(double x)
{
    return x < 0 ? -x : x;
}

static int cmp_prog(const void *a, const void *b)
{
    const struct fp_diff_prog *x = a, *y = b;
    double fx = absd(x->minor_faults[1].median - x->minor_faults[0].median);
    double fy = absd(y->minor_faults[1].median - y->minor_faults[0].median);
    if (fx != fy)
        return fx > fy ? -1 : 1;
    double bx = absd(x->bytes[1].median - x->bytes[0].median);
    double by = absd(y->bytes[1].median - y->bytes[0].median);
    if (bx != by)
        return bx > by ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The sites of program key in the first run of each side, from the raw
 * stacks of its processes. */
static int prog_sites_build(struct fp_diff *d, const char *key, const struct fp_opts *o)
{
    for (int sd = 0; sd < 2; sd++) {
        const struct fp_diff_run *r = &d->side[sd].runs[0];
        const struct fp_sites *s = &r->r.sites;
        char **keys = calloc(s->n ? s->n : 1, sizeof(*keys));
        uint8_t *mine = calloc(r->m->nprocs ? r->m->nprocs : 1, 1);
        int rc = keys && mine ? 0 : -1;
        for (uint32_t i = 0; rc == 0 && i < r->r.tree.n; i++) {
            uint32_t pi = r->r.tree.v[i].proc;
            char *k = prog_key(&r->m->procs[pi], i == r->r.tree.root);
            mine[pi] = k && !strcmp(k, key);
            rc = k ? 0 : -1;
            free(k);
        }
        for (uint32_t i = 0; rc == 0 && i < r->m->nstacks; i++) {
            const struct fp_rawstack *rs = &r->m->stacks[i];
            int64_t si = rs->kind == FP_STACK_ALLOC && mine[rs->proc] ? fp_sites_of_raw(s, i) : -1;
            if (si < 0)
                continue;
            if (!keys[si] && !(keys[si] = fp_diff_key(r->m, r->syms, s, &s->v[si], o->by,
                                                       d->normalized)))
                rc = -1;
            char *k = rc ? NULL : strdup(keys[si]);
            if (!k || fp_diff_sites_add(&d->prog_sites, k, s->v[si].nframes, sd, 0, &rs->c) < 0) {
                free(k);
                rc = -1;
            }
        }
        for (uint32_t i = 0; keys && i < s->n; i++)
            free(keys[i]);
        free(keys);
        free(mine);
        if (rc < 0)
            return -1;
    }
    uint32_t one[2] = { 1, 1 };
    fp_diff_sites_merge(&d->prog_sites, one);
    fp_diff_sort(&d->prog_sites, o->sort);
    return 0;
}

int fp_diff_progs_build(struct fp_diff *d, const struct fp_opts *o)
{
    struct prog_entry *e = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (int sd = 0; sd < 2 && rc == 0; sd++)
        for (uint32_t k = 0; k < d->side[sd].nruns && rc == 0; k++)
            rc = prog_entries(&e, &n, &cap, &d->side[sd].runs[k], sd, k);
    if (rc == 0 && n)
        qsort(e, n, sizeof(*e), cmp_entry);
    if (rc == 0 && !(d->progs = calloc(n ? n : 1, sizeof(*d->progs))))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i;
        while (j < n && !strcmp(e[j].key, e[i].key))
            j++;
        struct fp_diff_prog *pg = &d->progs[d->nprogs++];
        if (!(pg->key = strdup(e[i].key)))
            rc = -1;
        prog_of(pg, e + i, j - i, d);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(e[i].key);
    free(e);
    if (rc < 0)
        return -1;
    if (d->nprogs)
        qsort(d->progs, d->nprogs, sizeof(*d->progs), cmp_prog);
    /* the sites of the program that changed most, when there are several */
    if (d->nprogs > 1) {
        for (uint32_t i = 0; i < d->nprogs && d->prog_focus < 0; i++)
            if (d->progs[i].present[0] && d->progs[i].present[1])
                d->prog_focus = i;
        if (d->prog_focus >= 0 && prog_sites_build(d, d->progs[d->prog_focus].key, o) < 0)
            return -1;
    }
    return 0;
}
