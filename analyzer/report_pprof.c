/* report_pprof: --format pprof, a gzipped profile.proto (the format of
 * github.com/google/pprof/proto/profile.proto, read by go tool pprof,
 * Pyroscope, Parca, Grafana).  Sample types allocations/count, bytes/bytes,
 * inuse/bytes (leaked at exit) and faults/count; each allocation site is a
 * sample of the first three, each fault source one of faults (the code that
 * took them; without fault samples, the allocation sites the counts were
 * charged to, as --format folded).  One location and one function per
 * frame of the frame table.  The protobuf encoding is the few wire rules
 * profile.proto needs (varints and length-delimited fields), by hand. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6, PROFILE_DURATION_NANOS = 10, PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
    LOCATION_ID = 1, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
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
    if (t->n == t->cap) {
        uint64_t cap = t->cap ? t->cap * 2 : 256;
        char **p = realloc(t->v, cap * sizeof(*p));
        if (!p) {
            t->oom = 1;
            return 0;
        }
        t->v = p;
        t->cap = cap;
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

static void value_type(struct pb *b, struct pb *sub, struct strtab *st, const char *type,
                       const char *unit)
{
    pb_uint(sub, VALUETYPE_TYPE, str_id(st, type));
    pb_uint(sub, VALUETYPE_UNIT, str_id(st, unit));
    pb_sub(b, PROFILE_SAMPLE_TYPE, sub);
}

/* One sample per site of s with a value: its frames' locations (leaf
 * first, as profile.proto has them) and the values. */
static int samples(struct pb *b, struct pb *sub, struct pb *packed, const struct fp_sites *s,
                   int with_allocs, int with_faults, struct fp_frame_ids *fi)
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
        const uint32_t *fr = fp_site_frames(s, st);
        for (uint32_t k = 0; k < st->nframes || (k == 0 && !st->nframes); k++) {
            uint32_t id = fp_frame_ids_get(fi, st->nframes ? fr[k] : FP_FLAME_NOSTACK);
            if (id == UINT32_MAX)
                return -1;
            pb_varint(packed, (uint64_t)id + 1);
        }
        pb_sub(sub, SAMPLE_LOCATION_ID, packed);
        for (int k = 0; k < PPROF_NV; k++)
            pb_varint(packed, v[k]);
        pb_sub(sub, SAMPLE_VALUE, packed);
        pb_sub(b, PROFILE_SAMPLE, sub);
    }
    return 0;
}

/* A location and a function per frame: location id = function id = the
 * frame's dense id + 1. */
static void locations(struct pb *b, struct pb *sub, struct pb *line, struct strtab *st,
                      const struct fp_syms *syms, const struct fp_frame_ids *fi)
{
    for (uint32_t i = 0; i < fi->n; i++) {
        const struct fp_frame *f = fi->ids[i] == FP_FLAME_NOSTACK ? NULL
                                   : fp_syms_frame(syms, fi->ids[i]);
        char nb[128];
        const char *name = f ? fp_frame_name(f, nb, sizeof(nb)) : "[no stack]";
        pb_uint(sub, FUNCTION_ID, i + 1);
        pb_uint(sub, FUNCTION_NAME, str_id(st, name));
        pb_uint(sub, FUNCTION_SYSTEM_NAME, str_id(st, name));
        pb_uint(sub, FUNCTION_FILENAME, str_id(st, f && f->file ? f->file : ""));
        pb_sub(b, PROFILE_FUNCTION, sub);
        pb_uint(line, LINE_FUNCTION_ID, i + 1);
        pb_uint(line, LINE_LINE, f ? f->line : 0);
        pb_uint(sub, LOCATION_ID, i + 1);
        pb_uint(sub, LOCATION_ADDRESS, f ? f->offset : 0);
        pb_sub(sub, LOCATION_LINE, line);
        pb_sub(b, PROFILE_LOCATION, sub);
    }
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
    int by_code = r->fault_sources.n > 0;
    int rc = samples(b, &sub, &inner, &r->sites, 1, !by_code, &fi);
    if (rc == 0 && by_code)
        rc = samples(b, &sub, &inner, &r->fault_sources, 0, 1, &fi);
    locations(b, &sub, &inner, st, r->sites.syms, &fi);
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
