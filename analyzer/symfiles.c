/* symfiles: the module files of a model's processes, each opened once for
 * all of them (symfiles.h). */
#include "symfiles.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo.h"
#include "grow.h"
#include "hmap.h"
#include "model.h"
#include "reader.h"

/* ---- a file's identity: its recorded path and build-id ---- */

struct ident {
    const char *path;
    const uint8_t *build_id;
    uint32_t build_id_len;
};

static uint64_t ident_key(const struct fp_module *md)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = md->path; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    for (uint32_t i = 0; i < md->build_id_len; i++)
        h = (h ^ md->build_id[i]) * 1099511628211ULL;
    return hmap_hash(h) | 1;
}

static int ident_is(const struct ident *a, const struct fp_module *md)
{
    return a->build_id_len == md->build_id_len && !strcmp(a->path, md->path) &&
           (!md->build_id_len || !memcmp(a->build_id, md->build_id, md->build_id_len));
}

/* The value tab holds for md's identity (ident(ctx, value) tells the
 * identity of a value), or NULL with *key the key to put it under: keys
 * that collide with another identity's are hashed on. */
static uint32_t *ident_find(const struct hmap *tab, const struct fp_module *md,
                            const struct ident *(*ident)(const void *ctx, uint32_t v),
                            const void *ctx, uint64_t *key)
{
    uint64_t k = ident_key(md);
    for (;;) {
        uint32_t *v = hmap_get(tab, k);
        if (!v || ident_is(ident(ctx, *v), md)) {
            *key = k;
            return v;
        }
        k = hmap_hash(k) | 1;
    }
}

/* A module that is a file a Dwfl can hold ([vdso] and the like are not). */
static int is_file(const struct fp_module *md)
{
    return md->path[0] && md->path[0] != '[';
}

/* md's identity into *d, its strings copied.  0, or -1 out of memory. */
static int ident_copy(struct ident *d, const struct fp_module *md)
{
    char *path = strdup(md->path);
    uint8_t *bid = md->build_id_len ? malloc(md->build_id_len) : NULL;
    if (!path || (md->build_id_len && !bid)) {
        free(path);
        free(bid);
        return -1;
    }
    if (bid)
        memcpy(bid, md->build_id, md->build_id_len);
    *d = (struct ident){ path, bid, md->build_id_len };
    return 0;
}

static void ident_free(struct ident *d)
{
    free((char *)d->path);
    free((uint8_t *)d->build_id);
}

/* A Dwfl holding file alone (the module recorded as name) at base. */
static Dwfl *file_dwfl(const char *name, const char *file, uint64_t base, Dwfl_Module **mod)
{
    Dwfl *d = fp_debuginfo_begin();
    if (d) {
        dwfl_report_begin(d);
        *mod = dwfl_report_elf(d, name, file, -1, base, true);
        dwfl_report_end(d, NULL, NULL);
    }
    return d;
}

/* ---- the prewarm ---- */

struct pw_file {
    struct ident id;           /* the module's own strings, copied */
    char *file;                /* the file to open (debuginfo.c), NULL: none */
    uint64_t base;
    int warm;                  /* a frame read so far lies in it: open its debug info */
    Dwfl *dwfl;                /* as opened; NULL once taken */
    Dwfl_Module *mod;
};

struct pw_batch {              /* one process's new files, opened by one thread */
    pthread_t thread;
    int started, joined;
    uint32_t n;
    struct pw_file *f;
};

struct prewarm {
    struct pw_batch **b;
    uint32_t nb, capb;
    uint64_t *refs;            /* batch << 32 | file */
    uint32_t nrefs, caprefs;
    struct hmap tab;           /* identity -> refs index */
};

static struct pw_file *pw_ref(const struct prewarm *w, uint32_t r)
{
    return &w->b[w->refs[r] >> 32]->f[(uint32_t)w->refs[r]];
}

static const struct ident *pw_ident(const void *ctx, uint32_t v)
{
    return &pw_ref(ctx, v)->id;
}

static void *pw_main(void *arg)
{
    struct pw_batch *b = arg;
    for (uint32_t i = 0; i < b->n; i++) {
        struct pw_file *f = &b->f[i];
        if (!f->file || !(f->dwfl = file_dwfl(f->id.path, f->file, f->base, &f->mod)))
            continue;
        Dwarf_Addr bias;
        if (f->mod && f->warm) {
            dwfl_module_getdwarf(f->mod, &bias);
            dwfl_module_getsymtab(f->mod);
        }
    }
    return NULL;
}

static void pw_join(struct pw_batch *b)
{
    if (b->started && !b->joined)
        pthread_join(b->thread, NULL);
    b->joined = 1;
}

static void pw_batch_free(struct pw_batch *b)
{
    pw_join(b);
    for (uint32_t i = 0; i < b->n; i++) {
        if (b->f[i].dwfl)
            dwfl_end(b->f[i].dwfl);
        ident_free(&b->f[i].id);
        free(b->f[i].file);
    }
    free(b->f);
    free(b);
}

static void prewarm_free(void *arg)
{
    struct prewarm *w = arg;
    for (uint32_t i = 0; i < w->nb; i++)
        pw_batch_free(w->b[i]);
    free(w->b);
    free(w->refs);
    hmap_free(&w->tab);
    free(w);
}

/* Which modules of process pi the stacks read so far go through: debug
 * info only for those (the program's and libc, nearly always; opening
 * ld.so's and libunwind's cost alloc_heavy's report 11 ms for no frame).
 * The traces are read one after another, so pi's stacks are the last ones
 * (not a scan of every process's at every process). */
static uint8_t *modules_hit(const struct fp_model *m, uint32_t pi)
{
    const struct fp_proc *p = &m->procs[pi];
    uint8_t *hit = calloc(p->nmods ? p->nmods : 1, 1);
    for (uint32_t k = m->nstacks; hit && k-- > 0 && m->stacks[k].proc == pi;) {
        const struct fp_rawstack *rs = &m->stacks[k];
        for (uint32_t f = 0; f < rs->n; f++) {
            uint32_t i;
            if (fp_module_at(p, m->frames[rs->frames_off + f], rs->mod_gen, &i))
                hit[i] = 1;
        }
    }
    return hit;
}

static int pw_add(struct prewarm *w, struct pw_batch *b, const struct fp_module *md, int warm)
{
    uint64_t key;
    if (ident_find(&w->tab, md, pw_ident, w, &key))
        return 0;            /* an earlier process brought it */
    struct pw_file *f = &b->f[b->n];
    char file[PATH_MAX], id[130];
    if (fp_debuginfo_module_file(md, file, sizeof(file), id, sizeof(id)) == FP_FILE_OK &&
        !(f->file = strdup(file)))
        return -1;
    if (ident_copy(&f->id, md) < 0) {
        free(f->file);
        return -1;
    }
    f->base = md->base;
    f->warm = warm;
    uint32_t k = b->n++;       /* freed with the batch from here on */
    if (FP_GROW(w->refs, w->caprefs, w->nrefs + 1, 64) < 0 ||
        hmap_put(&w->tab, key, w->nrefs) < 0)
        return -1;
    w->refs[w->nrefs++] = (uint64_t)(w->nb - 1) << 32 | k;
    return 0;
}

void fp_symfiles_prewarm(struct fp_model *m, uint32_t pi)
{
    const struct fp_proc *p = &m->procs[pi];
    if (!fp_report_threads() || !p->nmods)
        return;
    if (!m->prewarm) {
        if (!(m->prewarm = calloc(1, sizeof(struct prewarm))))
            return;
        m->prewarm_free = prewarm_free;
    }
    struct prewarm *w = m->prewarm;
    struct pw_batch *b = calloc(1, sizeof(*b));
    uint8_t *hit = modules_hit(m, pi);
    if (!b || !hit || !(b->f = calloc(p->nmods, sizeof(*b->f))) ||
        FP_GROW(w->b, w->capb, w->nb + 1, 16) < 0) {
        free(hit);
        if (b)
            free(b->f);
        free(b);
        return;
    }
    w->b[w->nb++] = b;
    for (uint32_t i = 0; i < p->nmods; i++) {
        const struct fp_module *md = &p->mods[i];
        if (is_file(md) && !md->unloaded && pw_add(w, b, md, hit[i]) < 0)
            break;
    }
    free(hit);
    /* no thread: the files are opened when first asked for */
    b->started = b->n && pthread_create(&b->thread, NULL, pw_main, b) == 0;
}

/* The prewarmed Dwfl of md's file, opened from file, taken out of the
 * prewarm; NULL when there is none. */
static Dwfl *pw_take(struct prewarm *w, const struct fp_module *md, const char *file,
                     Dwfl_Module **mod, uint64_t *base)
{
    uint64_t key;
    uint32_t *r = w ? ident_find(&w->tab, md, pw_ident, w, &key) : NULL;
    if (!r)
        return NULL;
    struct pw_file *f = pw_ref(w, *r);
    pw_join(w->b[w->refs[*r] >> 32]);
    if (!f->dwfl || !f->file || strcmp(f->file, file))
        return NULL;
    Dwfl *d = f->dwfl;
    *mod = f->mod;
    *base = f->base;
    f->dwfl = NULL;
    return d;
}

/* ---- the files ---- */

struct fp_symfiles {
    const struct fp_model *m;
    FILE *warn;
    struct fp_symfile **f;
    struct ident *ids;         /* f[i]'s identity */
    uint32_t n, cap, capids;
    struct hmap tab;           /* identity -> index */
    uint32_t **at;             /* per process, per module: index + 1 (0: not asked) */
};

static const struct ident *file_ident(const void *ctx, uint32_t v)
{
    return &((const struct fp_symfiles *)ctx)->ids[v];
}

struct fp_symfiles *fp_symfiles_new(const struct fp_model *m, FILE *warn)
{
    struct fp_symfiles *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->m = m;
    f->warn = warn;
    if (!(f->at = calloc(m->nprocs ? m->nprocs : 1, sizeof(*f->at)))) {
        free(f);
        return NULL;
    }
    return f;
}

void fp_symfiles_free(struct fp_symfiles *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->f[i]->dwfl)
            dwfl_end(f->f[i]->dwfl);
        free(f->f[i]->file);
        ident_free(&f->ids[i]);
        free(f->f[i]);
    }
    for (uint32_t i = 0; i < f->m->nprocs; i++)
        free(f->at[i]);
    free(f->at);
    free(f->f);
    free(f->ids);
    hmap_free(&f->tab);
    free(f);
}

/* Finds md's file (debuginfo.c) and opens it, or says once why not. */
static void file_open(struct fp_symfiles *f, struct fp_symfile *fs, const struct fp_module *md)
{
    char path[PATH_MAX], id[130], traced[130];
    enum fp_file_status st = fp_debuginfo_module_file(md, path, sizeof(path), id, sizeof(id));
    if (st == FP_FILE_OK && (fs->file = strdup(path)) != NULL) {
        fs->dwfl = pw_take(f->m->prewarm, md, path, &fs->mod, &fs->base);
        if (!fs->dwfl && (fs->dwfl = file_dwfl(md->path, path, md->base, &fs->mod)) != NULL)
            fs->base = md->base;
        return;
    }
    if (f->warn && st == FP_FILE_MISMATCH)
        fprintf(f->warn, "faultprof-report: warning: %s: build-id %s, not the traced %s: "
                "another build of the file, not used; its frames show as module+offset "
                "(the traced files: --sysroot DIR)\n", path, id,
                fp_debuginfo_hex(md->build_id, md->build_id_len, traced, sizeof(traced)));
    else if (f->warn && st == FP_FILE_MISSING)
        fprintf(f->warn, "faultprof-report: warning: %s: cannot open (%s); its frames "
                "show as module+offset\n", md->path, "moved or deleted?");
    fs->warned = 1;
}

static struct fp_symfile *file_new(struct fp_symfiles *f, const struct fp_module *md,
                                   uint64_t key)
{
    struct fp_symfile *fs = calloc(1, sizeof(*fs));
    if (!fs || FP_GROW(f->f, f->cap, f->n + 1, 16) < 0 ||
        FP_GROW(f->ids, f->capids, f->n + 1, 16) < 0 || ident_copy(&f->ids[f->n], md) < 0) {
        free(fs);
        return NULL;
    }
    if (hmap_put(&f->tab, key, f->n) < 0) {
        ident_free(&f->ids[f->n]);
        free(fs);
        return NULL;
    }
    f->f[f->n++] = fs;
    file_open(f, fs, md);
    return fs;
}

struct fp_symfile *fp_symfiles_get(struct fp_symfiles *f, uint32_t pi, uint32_t i, uint32_t *id)
{
    const struct fp_proc *p = &f->m->procs[pi];
    const struct fp_module *md = &p->mods[i];
    if (!is_file(md))
        return NULL;
    if (!f->at[pi] && !(f->at[pi] = calloc(p->nmods, sizeof(uint32_t))))
        return NULL;
    if (f->at[pi][i]) {
        *id = f->at[pi][i] - 1;
        return f->f[*id];
    }
    uint64_t key;
    uint32_t *v = ident_find(&f->tab, md, file_ident, f, &key);
    if (!v && !file_new(f, md, key))
        return NULL;
    *id = v ? *v : f->n - 1;
    f->at[pi][i] = *id + 1;
    return f->f[*id];
}
