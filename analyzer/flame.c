/* flame: stacks into a pruned tree (see flame.h), and a report's view of
 * it per process and per interval. */
#include "flame.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* The child of parent with frame, made when new (values zero); -1: OOM. */
static int64_t child_of(struct fp_flame *f, uint32_t parent, uint32_t frame)
{
    uint64_t key = ((uint64_t)parent + 1) << 32 | frame;
    uint32_t *v = hmap_get(&f->kids, key);
    if (v)
        return *v - 1;
    if (FP_GROW(f->v, f->cap, f->n + 1, 256) < 0)
        return -1;
    uint32_t i = f->n;
    if (hmap_put(&f->kids, key, i + 1) < 0)
        return -1;
    f->n++;
    memset(&f->v[i], 0, sizeof(f->v[i]));
    f->v[i].parent = parent;
    f->v[i].frame = frame;
    f->v[i].depth = f->v[parent].depth + 1;
    return i;
}

static int flame_init(struct fp_flame *f, uint32_t nv)
{
    memset(f, 0, sizeof(*f));
    f->nv = nv;
    f->v = calloc(256, sizeof(*f->v));
    if (!f->v)
        return -1;
    f->cap = 256;
    f->n = 1;
    f->v[0].parent = UINT32_MAX;
    f->v[0].frame = FP_FLAME_ROOT;
    return 0;
}

static void add_values(struct fp_flame_node *nd, const uint64_t *v, uint32_t nv)
{
    for (uint32_t k = 0; k < nv; k++)
        nd->v[k] += v[k];
}

/* The full tree: every stack's path, totals added along it; term gets each
 * stack's last node. */
static int flame_full(struct fp_flame *f, uint32_t n, const uint32_t *const *frames,
                      const uint32_t *nframes, const uint64_t *vals, uint32_t *term)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t *v = vals + (size_t)i * f->nv;
        uint32_t cur = 0;
        add_values(&f->v[0], v, f->nv);
        for (uint32_t k = nframes[i] ? nframes[i] : 1; k-- > 0;) {
            int64_t c = child_of(f, cur, nframes[i] ? frames[i][k] : FP_FLAME_NOSTACK);
            if (c < 0)
                return -1;
            cur = (uint32_t)c;
            add_values(&f->v[cur], v, f->nv);
        }
        term[i] = cur;
    }
    return 0;
}

static int kept(const struct fp_flame *full, uint32_t node, double min_share)
{
    for (uint32_t k = 0; k < full->nv; k++)
        if (full->v[node].v[k] && (double)full->v[node].v[k] >= min_share * (double)full->v[0].v[k])
            return 1;
    return 0;
}

/* The pruned tree: each stack's path down to its first node too small for
 * every value, whose values go to an "other" child of the node above. */
static int flame_pruned(struct fp_flame *f, const struct fp_flame *full, uint32_t n,
                        const uint32_t *const *frames, const uint32_t *nframes,
                        const uint64_t *vals, double min_share)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t *v = vals + (size_t)i * f->nv;
        uint32_t cur = 0, fcur = 0;
        add_values(&f->v[0], v, f->nv);
        for (uint32_t k = nframes[i] ? nframes[i] : 1; k-- > 0;) {
            uint32_t frame = nframes[i] ? frames[i][k] : FP_FLAME_NOSTACK;
            uint32_t *fc = hmap_get(&full->kids, ((uint64_t)fcur + 1) << 32 | frame);
            fcur = fc ? *fc - 1 : 0;
            int keep = kept(full, fcur, min_share);
            int64_t c = child_of(f, cur, keep ? frame : FP_FLAME_OTHER);
            if (c < 0)
                return -1;
            cur = (uint32_t)c;
            add_values(&f->v[cur], v, f->nv);
            if (!keep)
                break;
        }
        f->term[i] = cur;
    }
    return 0;
}

int fp_flame_build(struct fp_flame *f, uint32_t n, const uint32_t *const *frames,
                   const uint32_t *nframes, const uint64_t *vals, uint32_t nv, double min_share)
{
    if (nv > FP_FLAME_MAXV || flame_init(f, nv) < 0)
        return -1;
    f->term = malloc((n ? n : 1) * sizeof(*f->term));
    f->nterm = n;
    if (!f->term)
        return -1;
    if (min_share <= 0)
        return flame_full(f, n, frames, nframes, vals, f->term);
    struct fp_flame full;
    if (flame_init(&full, nv) < 0)
        return -1;
    int rc = flame_full(&full, n, frames, nframes, vals, f->term);
    if (rc == 0)
        rc = flame_pruned(f, &full, n, frames, nframes, vals, min_share);
    if (rc == 0)
        f->merged = full.n > f->n ? full.n - f->n : 0;
    fp_flame_free(&full);
    return rc;
}

void fp_flame_free(struct fp_flame *f)
{
    free(f->v);
    free(f->term);
    hmap_free(&f->kids);
    memset(f, 0, sizeof(*f));
}

int fp_flame_layout(const struct fp_flame *f, uint32_t k, uint64_t *x)
{
    /* parents come before their children, so one pass places every node
     * after the siblings made before it */
    uint64_t *next = malloc((f->n ? f->n : 1) * sizeof(*next));
    if (!next)
        return -1;
    for (uint32_t i = 0; i < f->n; i++) {
        uint32_t p = f->v[i].parent;
        x[i] = p == UINT32_MAX ? 0 : next[p];
        if (p != UINT32_MAX)
            next[p] += f->v[i].v[k];
        next[i] = x[i];
    }
    free(next);
    return 0;
}

/* ---- dense frame ids ---- */

uint32_t fp_frame_ids_get(struct fp_frame_ids *f, uint32_t id)
{
    uint32_t *v = hmap_get(&f->map, (uint64_t)id + 1);
    if (v)
        return *v - 1;
    if (FP_GROW(f->ids, f->cap, f->n + 1, 256) < 0)
        return UINT32_MAX;
    if (hmap_put(&f->map, (uint64_t)id + 1, f->n + 1) < 0)
        return UINT32_MAX;
    f->ids[f->n] = id;
    return f->n++;
}

void fp_frame_ids_free(struct fp_frame_ids *f)
{
    hmap_free(&f->map);
    free(f->ids);
    memset(f, 0, sizeof(*f));
}

/* ---- a report's view ---- */

/* Rows keyed by node, process and bucket, summed. */
struct rows {
    struct fp_flame_row *v;
    uint32_t n, cap;
    struct hmap index;
};

static struct fp_flame_row *row_get(struct rows *r, uint32_t node, uint32_t proc, uint32_t bucket)
{
    uint64_t key = ((uint64_t)node + 1) << 32 | (uint64_t)(proc & 0xffffff) << 8 | (bucket & 0xff);
    if (bucket == UINT32_MAX)
        key = ((uint64_t)node + 1) << 32 | (proc & 0xffffffu);
    uint32_t *i = hmap_get(&r->index, key);
    if (i)
        return &r->v[*i - 1];
    if (FP_GROW(r->v, r->cap, r->n + 1, 256) < 0)
        return NULL;
    if (hmap_put(&r->index, key, r->n + 1) < 0)
        return NULL;
    struct fp_flame_row *w = &r->v[r->n++];
    memset(w, 0, sizeof(*w));
    w->node = node;
    w->proc = proc;
    w->bucket = bucket;
    return w;
}

/* Whole-run rows: each raw stack's counts to its site's node. */
static int view_rows(struct fp_flame_view *fv, const struct fp_model *m, const struct fp_sites *s,
                     struct rows *r)
{
    for (uint32_t i = 0; i < m->nstacks; i++) {
        int64_t site = fp_sites_of_raw(s, i);
        if (site < 0)
            continue;
        const struct fp_rawstack *rs = &m->stacks[i];
        struct fp_flame_row *w = row_get(r, fv->tree.term[site], rs->proc, UINT32_MAX);
        if (!w)
            return -1;
        for (uint32_t k = 0; k < fv->nv; k++)
            w->v[k] += fp_metric_value(&rs->c, fv->metrics[k]);
    }
    return 0;
}

/* Interval rows: each timeline cell to its site's node and the axis's bucket. */
static int view_trows(struct fp_flame_view *fv, const struct fp_model *m, const struct fp_sites *s,
                      const struct fp_tl_axis *axis, struct rows *r)
{
    for (uint32_t pi = 0; pi < m->nprocs; pi++) {
        const struct fp_timeline *tl = m->procs[pi].tl;
        for (uint32_t c = 0; tl && c < tl->ncells; c++) {
            const struct fp_tl_cell *cell = &tl->cells[c];
            int64_t site = fp_sites_of_raw(s, cell->stack);
            if (site < 0)
                continue;
            uint32_t b = fp_tl_axis_bucket(axis, pi, cell->bucket);
            struct fp_flame_row *w = row_get(r, fv->tree.term[site], pi, b);
            if (!w)
                return -1;
            for (uint32_t k = 0; k < fv->nv; k++) {
                switch (fv->metrics[k]) {
                case FP_METRIC_ALLOCATIONS: w->v[k] += (uint64_t)llround(cell->allocs); break;
                case FP_METRIC_BYTES: w->v[k] += cell->bytes; break;
                case FP_METRIC_FAULTS: w->v[k] += cell->faults; break;
                }
            }
        }
    }
    return 0;
}

int fp_flame_view_build(struct fp_flame_view *fv, const struct fp_model *m,
                        const struct fp_sites *s, const int *metrics, uint32_t nv,
                        double min_share, const struct fp_tl_axis *axis)
{
    memset(fv, 0, sizeof(*fv));
    if (nv > FP_FLAME_MAXV)
        return -1;
    fv->nv = nv;
    for (uint32_t k = 0; k < nv; k++) {
        fv->metrics[k] = metrics[k];
        fv->timed[k] = axis && (metrics[k] == FP_METRIC_ALLOCATIONS ||
                                metrics[k] == FP_METRIC_BYTES || metrics[k] == FP_METRIC_FAULTS);
    }
    uint32_t n = s->n;
    const uint32_t **fr = malloc((n ? n : 1) * sizeof(*fr));
    uint32_t *nf = malloc((n ? n : 1) * sizeof(*nf));
    uint64_t *vals = malloc(((size_t)n * nv + 1) * sizeof(*vals));
    int rc = -1;
    if (!fr || !nf || !vals)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        fr[i] = fp_site_frames(s, &s->v[i]);
        nf[i] = s->v[i].nframes;
        for (uint32_t k = 0; k < nv; k++)
            vals[(size_t)i * nv + k] = fp_metric_value(&s->v[i].c, metrics[k]);
    }
    if (fp_flame_build(&fv->tree, n, fr, nf, vals, nv, min_share) < 0)
        goto out;
    struct rows r = { 0 }, t = { 0 };
    rc = view_rows(fv, m, s, &r);
    if (rc == 0 && axis)
        rc = view_trows(fv, m, s, axis, &t);
    hmap_free(&r.index);
    hmap_free(&t.index);
    fv->rows = r.v;
    fv->nrows = r.n;
    fv->trows = t.v;
    fv->ntrows = t.n;
out:
    free(fr);
    free(nf);
    free(vals);
    return rc;
}

void fp_flame_view_free(struct fp_flame_view *fv)
{
    fp_flame_free(&fv->tree);
    free(fv->rows);
    free(fv->trows);
    memset(fv, 0, sizeof(*fv));
}

/* ---- differential ---- */

/* The name id of a key frame (len bytes at p), interned; UINT32_MAX: OOM. */
static uint32_t diff_name(struct fp_flame_diff *fd, const char *p, size_t len)
{
    char nb[1024], lb[1200];
    fp_diff_key_frame(p, len, nb, sizeof(nb), 0);
    fp_diff_key_frame(p, len, lb, sizeof(lb), 1);
    uint64_t h = 1469598103934665603ull;
    for (const char *q = lb; *q; q++)
        h = (h ^ (unsigned char)*q) * 1099511628211ull;
    for (;; h++) {
        uint64_t key = h ? h : 1;
        uint32_t *v = hmap_get(&fd->by_hash, key);
        if (!v)
            break;
        if (!strcmp(fd->long_names[*v - 1], lb))
            return *v - 1;
    }
    if (fd->nnames == fd->capnames) {
        /* two arrays of one capacity: grow.h's rule for the number */
        uint32_t cap = (uint32_t)fp_grow_cap(fd->capnames, (size_t)fd->nnames + 1, 64,
                                             sizeof(char *), UINT32_MAX);
        if (!cap)
            return UINT32_MAX;
        char **a = realloc(fd->names, cap * sizeof(*a)), **b;
        if (!a)
            return UINT32_MAX;
        fd->names = a;
        if (!(b = realloc(fd->long_names, cap * sizeof(*b))))
            return UINT32_MAX;
        fd->long_names = b;
        fd->capnames = cap;
    }
    uint32_t i = fd->nnames;
    fd->names[i] = strdup(nb);
    fd->long_names[i] = strdup(lb);
    if (!fd->names[i] || !fd->long_names[i] || hmap_put(&fd->by_hash, h ? h : 1, i + 1) < 0)
        return UINT32_MAX;
    fd->nnames++;
    return i;
}

int fp_flame_diff_build(struct fp_flame_diff *fd, const struct fp_diff_sites *t,
                        const int *metrics, uint32_t nmetrics, double min_share)
{
    memset(fd, 0, sizeof(*fd));
    if (2 * nmetrics > FP_FLAME_MAXV)
        return -1;
    fd->nmetrics = nmetrics;
    memcpy(fd->metrics, metrics, nmetrics * sizeof(*metrics));
    uint32_t n = (uint32_t)t->n, nv = 2 * nmetrics;
    uint32_t **fr = calloc(n ? n : 1, sizeof(*fr));
    uint32_t *nf = calloc(n ? n : 1, sizeof(*nf));
    uint64_t *vals = calloc((size_t)n * nv + 1, sizeof(*vals));
    int rc = -1;
    if (!fr || !nf || !vals)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        const struct fp_diff_site *ds = &t->v[i];
        const char *key = ds->key;
        uint32_t cnt = 1;
        for (const char *q = key; *q; q++)
            cnt += *q == '\n';
        if (!*key)
            cnt = 0;
        if (!(fr[i] = malloc((cnt ? cnt : 1) * sizeof(**fr))))
            goto out;
        for (const char *q = key; cnt && nf[i] < cnt;) {
            const char *e = strchr(q, '\n');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            if ((fr[i][nf[i]++] = diff_name(fd, q, len)) == UINT32_MAX)
                goto out;
            q = e ? e + 1 : q + len;
        }
        for (uint32_t k = 0; k < nmetrics; k++) {
            vals[(size_t)i * nv + 2 * k] = fp_metric_value(&ds->c[0], metrics[k]);
            vals[(size_t)i * nv + 2 * k + 1] = fp_metric_value(&ds->c[1], metrics[k]);
        }
    }
    rc = fp_flame_build(&fd->tree, n, (const uint32_t *const *)fr, nf, vals, nv, min_share);
out:
    for (uint32_t i = 0; fr && i < n; i++)
        free(fr[i]);
    free(fr);
    free(nf);
    free(vals);
    return rc;
}

void fp_flame_diff_free(struct fp_flame_diff *fd)
{
    fp_flame_free(&fd->tree);
    for (uint32_t i = 0; i < fd->nnames; i++) {
        free(fd->names[i]);
        free(fd->long_names[i]);
    }
    free(fd->names);
    free(fd->long_names);
    hmap_free(&fd->by_hash);
    memset(fd, 0, sizeof(*fd));
}
