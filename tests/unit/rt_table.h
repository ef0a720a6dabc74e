/* rt_table: for every record type of include/faultprof/records.h, edge
 * values to fill it with, an encoder that writes it as a recorder of a given
 * minor version would, and a field-by-field comparison; types[] lists them
 * all.  Header-only, for test_records.c and test_recorder.c. */
#ifndef FP_RT_TABLE_H
#define FP_RT_TABLE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "faultprof/records.h"

#define MINOR_NOW FP_FORMAT_LEVEL
#define VARIANTS  4

/* ---- edge values; k is the field's position, v the variant */
static const uint64_t edge_u64[] = {
    0, 1, 127, 128, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX,
};
static const int64_t edge_i64[] = { 0, -1, 63, -64, 64, INT64_MIN, INT64_MAX };
static char long_str[70000];
static size_t str_cap = sizeof(long_str);   /* the longest string edge_S gives */

static void rt_init(size_t longest_string)
{
    for (size_t i = 0; i < sizeof(long_str); i++)
        long_str[i] = (char)(i * 7);
    str_cap = longest_string < sizeof(long_str) ? longest_string : sizeof(long_str);
}
static uint64_t frames_store[VARIANTS][FP_MAX_DEPTH];

static uint64_t edge_U(int v, int k)
{
    return edge_u64[(size_t)(v * 3 + k) % (sizeof(edge_u64) / sizeof(edge_u64[0]))];
}
static int64_t edge_Z(int v, int k)
{
    return edge_i64[(size_t)(v * 3 + k) % (sizeof(edge_i64) / sizeof(edge_i64[0]))];
}
static struct fp_str edge_S(int v, int k)
{
    static const char nul[] = "a\0b\xff\"\\";
    switch ((v + k) % 4) {
    case 0: return (struct fp_str){ "", 0 };
    case 1: return (struct fp_str){ nul, sizeof(nul) - 1 };
    case 2: return (struct fp_str){ long_str, 128 };
    default: return (struct fp_str){ long_str, (uint32_t)str_cap };
    }
}
static struct fp_u64s edge_A(int v, int k)
{
    static const uint64_t n[VARIANTS] = { 0, 1, 2, FP_MAX_DEPTH };
    for (uint64_t i = 0; i < n[v]; i++)
        frames_store[v][i] = edge_U(v, k + (int)i);
    return (struct fp_u64s){ n[v], frames_store[v] };
}

/* ---- per record type, generated from the table: fill with edge values,
 * encode as a writer of minor `minor` would, compare two decodings */
#define FILL(c, f, enc, show, since) x->f = edge_##enc(v, k++);
#define ENC_UPTO(c, f, enc, show, since) if ((int)minor >= since) p = fp_enc_##enc(p, x->f);
#define ZERO_NEWER(c, f, enc, show, since) if ((int)minor < since) memset(&x->f, 0, sizeof(x->f));
#define EQ_U(a, b) ((a) == (b))
#define EQ_Z(a, b) ((a) == (b))
#define EQ_S(a, b) ((a).len == (b).len && memcmp((a).s, (b).s, (a).len) == 0)
#define EQ_A(a, b) ((a).n == (b).n && memcmp((a).v, (b).v, (a).n * sizeof(uint64_t)) == 0)
#define SAME(c, f, enc, show, since)                                                    \
    if (!EQ_##enc(a->f, b->f)) {                                                        \
        fprintf(stderr, "%s: field %s differs\n", #c, #f);                             \
        return 0;                                                                       \
    }
#define NFIELDS(c, f, enc, show, since) + 1
#define FP_X(NAME, name, code, timed)                                                   \
    static void fill_##name(struct fp_rec_##name *x, int v)                             \
    {                                                                                   \
        int k = 0;                                                                      \
        FP_FIELDS_##name(FILL, name)                                                    \
        (void)k;                                                                        \
    }                                                                                   \
    static size_t enc_##name(uint8_t *p0, const struct fp_rec_##name *x, unsigned minor) \
    {                                                                                   \
        uint8_t *p = p0;                                                                \
        FP_FIELDS_##name(ENC_UPTO, name)                                                \
        return (size_t)(p - p0);                                                        \
    }                                                                                   \
    static void zero_newer_##name(struct fp_rec_##name *x, unsigned minor)              \
    {                                                                                   \
        FP_FIELDS_##name(ZERO_NEWER, name)                                              \
        (void)x, (void)minor;                                                           \
    }                                                                                   \
    static int same_##name(const struct fp_rec_##name *a, const struct fp_rec_##name *b) \
    {                                                                                   \
        FP_FIELDS_##name(SAME, name)                                                    \
        return 1;                                                                       \
    }
FP_RECORD_LIST(FP_X)
#undef FP_X

/* ---- one table over all types, so the tests below loop over it */
union fp_any {
#define FP_X(NAME, name, code, timed) struct fp_rec_##name name;
    FP_RECORD_LIST(FP_X)
#undef FP_X
};
struct rtype {
    const char *name;
    unsigned code, timed, nfields;
    void (*fill)(union fp_any *x, int v);
    size_t (*enc)(uint8_t *p, const union fp_any *x, unsigned minor);
    void (*zero_newer)(union fp_any *x, unsigned minor);
    int (*same)(const union fp_any *a, const union fp_any *b);
    const char *fields;          /* names, space-separated */
};
#define NAMES(c, f, enc, show, since) " " #f
#define FP_X(NAME, name, code, timed)                                                   \
    { #NAME, code, timed, 0 FP_FIELDS_##name(NFIELDS, name),                            \
      (void (*)(union fp_any *, int))fill_##name,                                        \
      (size_t (*)(uint8_t *, const union fp_any *, unsigned))enc_##name,                \
      (void (*)(union fp_any *, unsigned))zero_newer_##name,                            \
      (int (*)(const union fp_any *, const union fp_any *))same_##name,                 \
      "" FP_FIELDS_##name(NAMES, name) },
static const struct rtype types[] = { FP_RECORD_LIST(FP_X) };
#undef FP_X
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* The short forms (2.0, 3.0) mean something only after the SITE and ALLOC_SHORT
 * records of their member: edge values alone are not a valid trace, so the
 * tests write them in context instead. */
static inline int rt_in_context(unsigned code)
{
    return code == FP_REC_SITE || code == FP_REC_ALLOC_SHORT || code == FP_REC_FREE_SHORT ||
           code == FP_REC_FREE_BACK || code == FP_REC_ALLOC_REUSE ||
           code == FP_REC_ALLOC_SHORT_FREED || code == FP_REC_ALLOC_REUSE_FREED;
}


#endif
