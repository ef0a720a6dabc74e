/* report_pprof: --format pprof, a gzipped profile.proto (the format of
 * github.com/google/pprof/proto/profile.proto, read by go tool pprof,
 * Pyroscope, Parca, Grafana).  Sample types allocations/count, bytes/bytes,
 * inuse/bytes (leaked at exit) and faults/count; each allocation site is a
 * sample of the first three, each fault source one of faults (the code that
 * took them; without fault samples, the allocation sites the counts were
 * charged to, as --format folded).  One function per frame of the frame
 * table; one location per address, its Lines the functions inlined there
 * and the one they were inlined into; one mapping per module (file and
 * build-id), the executable first.  The protobuf encoding is the few wire
 * rules profile.proto needs (varints and length-delimited fields), by hand. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "grow.h"

/* ---- protobuf wire format ---- */

struct pb {
    uint8_t *p;
    size_t n, cap;
    int oom;
};

static void pb_raw(struct pb *b, const void *d, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
        v >>= 7;
    } while (v);
    pb_raw(b, t, n);
}

/* field: wire type 0 (varint) */
static void pb_uint(struct pb *b, uint32_t field, uint64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

/* field: wire type 2 (length-delimited) */
static void pb_bytes(struct pb *b, uint32_t field, const void *d, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    pb_raw(b, d, n);
}

/* an embedded message (or packed repeated field) built in sub, which is
 * emptied for the next */
static void pb_sub(struct pb *b, uint32_t field, struct pb *sub)
{
    b->oom |= sub->oom;
    pb_bytes(b, field, sub->p, sub->n);
    sub->n = 0;
}

/* ---- profile.proto ---- */

enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6, PROFILE_DURATION_NANOS = 10, PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
    MAPPING_ID = 1, MAPPING_START = 2, MAPPING_LIMIT = 3, MAPPING_FILENAME = 5,
    MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

/* The string table: index 0 is "", each string once. */
struct strtab {
    struct pb enc;               /* the string_table fields, in index order */
    struct hmap by_hash;         /* hash -> index + 1 (probed on collisions) */
    char **v;
    uint64_t n, cap;
    int oom;
};

static uint64_t str_id(struct strtab *t, const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *q = s; *q; q++)
        h = (h ^ (unsigned char)*q) * 1099511628211ull;
    for (;; h++) {
        uint32_t *v = hmap_get(&t->by_hash, h ? h : 1);
        if (!v)
            break;
        if (!strcmp(t->v[*v - 1], s))
            return *v - 1;
    }
    if (FP_GROW(t->v, t->cap, t->n + 1, 256) < 0) {
        t->oom = 1;
        return 0;
    }
    if (!(t->v[t->n] = strdup(s)) || hmap_put(&t->by_hash, h ? h : 1, (uint32_t)t->n + 1) < 0) {
        t->oom = 1;
        return 0;
    }
    pb_bytes(&t->enc, PROFILE_STRING_TABLE, s, strlen(s));
    return t->n++;
}

static void strtab_free(struct strtab *t)
{
    for (uint64_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t->enc.p);
    hmap_free(&t->by_hash);
}

#define PPROF_NV 4               /* allocations, bytes, inuse, faults */

static int grow_u32(uint32_t **p, uint32_t *cap, uint32_t need)
{
    uint32_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    uint32_t *q = realloc(*p, c * sizeof(*q));
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void value_type(struct pb *b, struct pb *sub, struct strtab *st, const char *type,
                       const char *unit)
{
    pb_uint(sub, VALUETYPE_TYPE, str_id(st, type));
    pb_uint(sub, VALUETYPE_UNIT, str_id(st, unit));
    pb_sub(b, PROFILE_SAMPLE_TYPE, sub);
}

/* The locations: a run of frames, inlined ones first and the real function
 * they were inlined into last (the Lines of one Location, as profile.proto
 * orders them), each run once. */
struct locs {
    struct hmap by_hash;         /* hash of the run -> location id (probed on collisions) */
    uint32_t *frames;            /* the runs' dense frame ids, one after another */
    uint32_t nframes, capframes;
    uint32_t *start;             /* location id - 1 -> its run's first frame in frames */
    uint32_t n, cap;
    int oom;
};

static int run_eq(const struct locs *l, uint32_t loc, const uint32_t *run, uint32_t n)
{
    uint32_t a = l->start[loc], z = loc + 1 < l->n ? l->start[loc + 1] : l->nframes;
    return z - a == n && !memcmp(l->frames + a, run, n * sizeof(*run));
}

/* The location id of the run of n dense frame ids, added when new; 0: out of memory. */
static uint32_t loc_id(struct locs *l, const uint32_t *run, uint32_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t k = 0; k < n; k++)
        h = (h ^ run[k]) * 1099511628211ull;
    for (;; h++) {
        uint32_t *v = hmap_get(&l->by_hash, h ? h : 1);
        if (!v)
            break;
        if (run_eq(l, *v - 1, run, n))
            return *v;
    }
    if ((l->n == l->cap && grow_u32(&l->start, &l->cap, l->n + 1) < 0) ||
        (l->nframes + n > l->capframes && grow_u32(&l->frames, &l->capframes, l->nframes + n) < 0) ||
        hmap_put(&l->by_hash, h ? h : 1, l->n + 1) < 0) {
        l->oom = 1;
        return 0;
    }
    l->start[l->n] = l->nframes;
    memcpy(l->frames + l->nframes, run, n * sizeof(*run));
    l->nframes += n;
    return ++l->n;
}

static void locs_free(struct locs *l)
{
    free(l->frames);
    free(l->start);
    hmap_free(&l->by_hash);
}

/* The location ids of site st's frames (leaf first) into packed. */
static int site_locations(struct pb *packed, const struct fp_sites *s, const struct fp_site *st,
                          struct fp_frame_ids *fi, struct locs *l)
{
    const uint32_t *fr = fp_site_frames(s, st);
    uint32_t run[64], n = 0;     /* a longer chain of inlined frames splits */
    for (uint32_t k = 0; k < st->nframes || (k == 0 && !st->nframes); k++) {
        uint32_t id = fp_frame_ids_get(fi, st->nframes ? fr[k] : FP_FLAME_NOSTACK);
        if (id == UINT32_MAX)
            return -1;
        run[n++] = id;
        /* an inlined frame's run goes on to the function it was inlined into */
        if (st->nframes && k + 1 < st->nframes && n < sizeof(run) / sizeof(run[0]) &&
            fp_syms_frame(s->syms, fr[k])->inlined)
            continue;
        uint32_t loc = loc_id(l, run, n);
        if (!loc)
            return -1;
        pb_varint(packed, loc);
        n = 0;
    }
    return 0;
}

/* One sample per site of s with a value: its frames' locations (leaf
 * first, as profile.proto has them) and the values. */
static int samples(struct pb *b, struct pb *sub, struct pb *packed, const struct fp_sites *s,
                   int with_allocs, int with_faults, struct fp_frame_ids *fi, struct locs *l)
{
    for (uint32_t i = 0; i < s->n; i++) {
        const struct fp_site *st = &s->v[i];
        uint64_t v[PPROF_NV] = { 0 };
        if (with_allocs) {
            v[0] = fp_metric_value(&st->c, FP_METRIC_ALLOCATIONS);
            v[1] = fp_metric_value(&st->c, FP_METRIC_BYTES);
            v[2] = fp_metric_value(&st->c, FP_METRIC_LEAKED);
        }
        if (with_faults)
            v[3] = fp_metric_value(&st->c, FP_METRIC_FAULTS);
        if (!v[0] && !v[1] && !v[2] && !v[3])
            continue;
        if (site_locations(packed, s, st, fi, l) < 0)
            return -1;
        pb_sub(sub, SAMPLE_LOCATION_ID, packed);
        for (int k = 0; k < PPROF_NV; k++)
            pb_varint(packed, v[k]);
        pb_sub(sub, SAMPLE_VALUE, packed);
        pb_sub(b, PROFILE_SAMPLE, sub);
    }
    return 0;
}

static const struct fp_frame *dense_frame(const struct fp_syms *syms, const struct fp_frame_ids *fi,
                                          uint32_t id)
{
    return fi->ids[id] == FP_FLAME_NOSTACK ? NULL : fp_syms_frame(syms, fi->ids[id]);
}

/* A function per frame: function id = the frame's dense id + 1. */
static void functions(struct pb *b, struct pb *sub, struct strtab *st, const struct fp_syms *syms,
                      const struct fp_frame_ids *fi)
{
    for (uint32_t i = 0; i < fi->n; i++) {
        const struct fp_frame *f = dense_frame(syms, fi, i);
        char nb[128];
        const char *name = f ? fp_frame_name(f, nb, sizeof(nb)) : "[no stack]";
        pb_uint(sub, FUNCTION_ID, i + 1);
        pb_uint(sub, FUNCTION_NAME, str_id(st, name));
        pb_uint(sub, FUNCTION_SYSTEM_NAME, str_id(st, name));
        pb_uint(sub, FUNCTION_FILENAME, str_id(st, f && f->file ? f->file : ""));
        pb_sub(b, PROFILE_FUNCTION, sub);
    }
}

/* The mappings: one per module the locations are in, the main executable
 * first (go tool pprof takes the first for the binary).  Addresses are
 * module offsets (address - load bias), so a module spans [start - base,
 * end - base). */
struct maps {
    const char *name[256];       /* the frames' module names (interned: by pointer) */
    const struct fp_module *mod[256];
    uint32_t n;
};

static const struct fp_module *module_named(const struct fp_model *m, const char *name)
{
    for (uint32_t pi = 0; pi < m->nprocs; pi++)
        for (uint32_t i = 0; i < m->procs[pi].nmods; i++) {
            const char *path = m->procs[pi].mods[i].path, *base = path ? strrchr(path, '/') : NULL;
            if (path && !strcmp(base ? base + 1 : path, name))
                return &m->procs[pi].mods[i];
        }
    return NULL;
}

/* The mapping id of module name (0: none, no module or more than 256). */
static uint32_t map_id(struct maps *mp, const struct fp_model *m, const char *name)
{
    if (!name)
        return 0;
    for (uint32_t i = 0; i < mp->n; i++)
        if (mp->name[i] == name)
            return i + 1;
    const struct fp_module *md = module_named(m, name);
    if (!md || mp->n == 256)
        return 0;
    mp->name[mp->n] = name;
    mp->mod[mp->n] = md;
    return ++mp->n;
}

static void mappings(struct pb *b, struct pb *sub, struct strtab *st, const struct maps *mp,
                     const uint32_t *order)
{
    for (uint32_t i = 0; i < mp->n; i++) {
        const struct fp_module *md = mp->mod[order[i]];
        char hex[2 * 64 + 1] = "";
        for (uint32_t k = 0; k < md->build_id_len && k < 64; k++)
            snprintf(hex + 2 * k, 3, "%02x", md->build_id[k]);
        pb_uint(sub, MAPPING_ID, i + 1);
        pb_uint(sub, MAPPING_START, md->start - md->base);
        pb_uint(sub, MAPPING_LIMIT, md->end - md->base);
        pb_uint(sub, MAPPING_FILENAME, str_id(st, md->path));
        pb_uint(sub, MAPPING_BUILD_ID, str_id(st, hex));
        /* symbolized here: go tool pprof must not look the addresses up again */
        for (uint32_t f = MAPPING_HAS_FUNCTIONS; f <= MAPPING_HAS_INLINE_FRAMES; f++)
            pb_uint(sub, f, 1);
        pb_sub(b, PROFILE_MAPPING, sub);
    }
}

/* The locations, each with its Lines (leaf first) and its mapping, then
 * the mappings. */
static int locations(struct pb *b, struct pb *sub, struct pb *line, struct strtab *st,
                     const struct fp_report *r, const struct fp_frame_ids *fi, const struct locs *l)
{
    const struct fp_syms *syms = r->sites.syms;
    struct maps mp = { 0 };
    struct pb loc = { 0 };
    uint32_t *mapping = malloc((l->n ? l->n : 1) * sizeof(*mapping));
    if (!mapping)
        return -1;
    for (uint32_t i = 0; i < l->n; i++) {
        uint32_t z = i + 1 < l->n ? l->start[i + 1] : l->nframes;
        const struct fp_frame *f = dense_frame(syms, fi, l->frames[z - 1]);
        mapping[i] = f ? map_id(&mp, r->m, f->module) : 0;
    }
    /* the main executable (the first process's) goes first */
    uint32_t order[256], main_map = 0;
    const char *exe = r->m->nprocs ? r->m->procs[0].exe : NULL;
    for (uint32_t i = 0; exe && i < mp.n; i++)
        if (!strcmp(mp.mod[i]->path, exe))
            main_map = i;
    for (uint32_t i = 0, k = 1; i < mp.n; i++)
        order[i == main_map ? 0 : k++] = i;
    uint32_t rank[256];
    for (uint32_t i = 0; i < mp.n; i++)
        rank[order[i]] = i + 1;
    for (uint32_t i = 0; i < l->n; i++) {
        uint32_t a = l->start[i], z = i + 1 < l->n ? l->start[i + 1] : l->nframes;
        const struct fp_frame *f = dense_frame(syms, fi, l->frames[z - 1]);
        pb_uint(&loc, LOCATION_ID, i + 1);
        if (mapping[i])
            pb_uint(&loc, LOCATION_MAPPING_ID, rank[mapping[i] - 1]);
        pb_uint(&loc, LOCATION_ADDRESS, f ? f->offset : 0);
        for (uint32_t k = a; k < z; k++) {
            const struct fp_frame *g = dense_frame(syms, fi, l->frames[k]);
            pb_uint(line, LINE_FUNCTION_ID, l->frames[k] + 1);
            pb_uint(line, LINE_LINE, g ? g->line : 0);
            pb_sub(&loc, LOCATION_LINE, line);
        }
        pb_sub(b, PROFILE_LOCATION, &loc);
    }
    mappings(b, sub, st, &mp, order);
    free(mapping);
    free(loc.p);
    return loc.oom ? -1 : 0;
}

/* The profile message into b. */
static int profile(struct pb *b, struct strtab *st, const struct fp_report *r)
{
    struct pb sub = { 0 }, inner = { 0 };
    struct fp_frame_ids fi = { 0 };
    str_id(st, "");
    value_type(b, &sub, st, "allocations", "count");
    value_type(b, &sub, st, "bytes", "bytes");
    value_type(b, &sub, st, "inuse", "bytes");
    value_type(b, &sub, st, "faults", "count");
    struct locs l = { 0 };
    int by_code = r->fault_sources.n > 0;
    int rc = samples(b, &sub, &inner, &r->sites, 1, !by_code, &fi, &l);
    if (rc == 0 && by_code)
        rc = samples(b, &sub, &inner, &r->fault_sources, 0, 1, &fi, &l);
    if (rc == 0)
        rc = locations(b, &sub, &inner, st, r, &fi, &l);
    functions(b, &sub, st, r->sites.syms, &fi);
    locs_free(&l);
    pb_uint(b, PROFILE_DURATION_NANOS, (uint64_t)(r->summary.wall_seconds * 1e9));
    char mode[400], c[600];
    snprintf(c, sizeof(c), "faultprof: %s; page faults %s", r->summary.command,
             fp_fault_mode_text(&r->fault_info, mode, sizeof(mode)));
    pb_uint(b, PROFILE_COMMENT, str_id(st, c));
    pb_uint(b, PROFILE_DEFAULT_SAMPLE_TYPE, str_id(st, "bytes"));
    free(sub.p);
    free(inner.p);
    fp_frame_ids_free(&fi);
    return rc < 0 || b->oom || st->oom || st->enc.oom ? -1 : 0;
}

/* n bytes at p gzipped to out. */
static int gzip_out(FILE *out, const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t buf[65536];
    int zr;
    z.next_in = (uint8_t *)p;
    z.avail_in = (uInt)n;   /* profiles stay far below 4 GiB */
    do {
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        zr = deflate(&z, Z_FINISH);
        if (zr == Z_STREAM_ERROR ||
            fwrite(buf, 1, sizeof(buf) - z.avail_out, out) != sizeof(buf) - z.avail_out)
            break;
    } while (zr != Z_STREAM_END);
    deflateEnd(&z);
    return zr == Z_STREAM_END ? 0 : -1;
}

int fp_report_pprof(FILE *out, const struct fp_report *r)
{
    struct pb b = { 0 };
    struct strtab st = { 0 };
    int rc = profile(&b, &st, r);
    if (rc == 0) {
        /* the string table goes last: every string is known by then */
        pb_raw(&b, st.enc.p, st.enc.n);
        rc = b.oom ? -1 : gzip_out(out, b.p, b.n);
    }
    free(b.p);
    strtab_free(&st);
    return rc < 0 || ferror(out) ? -1 : 0;
}
