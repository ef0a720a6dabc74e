/* tracegen: writes synthetic faultprof traces in memory, exactly as
 * faultprof-trace(5) describes them, for the analyzer's unit tests and the
 * fuzz corpus.  Header-only; every function is static. */
#ifndef FP_TRACEGEN_H
#define FP_TRACEGEN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "faultprof/records.h"

#define TG_UNTIMED UINT64_MAX

struct tg {
    uint8_t *buf;            /* the file */
    size_t len, cap;
    uint8_t *raw;            /* the member being built (uncompressed) */
    size_t rawlen, rawcap;
    int open;
    uint32_t tid, seq_next[64];
    uint64_t t_first, t_last, t_cur;
    int have_time;
    int no_fextra;           /* write members without the FP extra field */
    int first_done;
};

static inline void tg_put(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + n)
            nc *= 2;
        *b = realloc(*b, nc);
        *cap = nc;
    }
    memcpy(*b + *len, p, n);
    *len += n;
}

static inline void tg_raw(struct tg *g, const void *p, size_t n)
{
    tg_put(&g->raw, &g->rawlen, &g->rawcap, p, n);
}

/* Compresses the current member and appends it to the file. */
static inline void tg_flush(struct tg *g)
{
    if (!g->open)
        return;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    uint8_t extra[4 + FP_GZ_EXTRA_LEN] = { FP_GZ_SI1, FP_GZ_SI2, FP_GZ_EXTRA_LEN, 0 };
    gz_header h;
    memset(&h, 0, sizeof(h));
    h.os = 3;
    if (!g->no_fextra) {
        h.extra = extra;
        h.extra_len = sizeof(extra);
    }
    deflateSetHeader(&zs, &h);
    size_t bound = deflateBound(&zs, (uLong)g->rawlen) + 64;
    uint8_t *out = malloc(bound);
    zs.next_in = g->raw;
    zs.avail_in = (uInt)g->rawlen;
    zs.next_out = out;
    zs.avail_out = (uInt)bound;
    deflate(&zs, Z_FINISH);
    size_t n = bound - zs.avail_out;
    deflateEnd(&zs);
    if (!g->no_fextra) {
        /* patch the FP subfield: it sits right after the 12-byte header + XLEN */
        uint8_t *fp = out + 12 + 4;
        fp_put_le32(fp, (uint32_t)n);
        fp_put_le32(fp + 4, (uint32_t)g->rawlen);
        fp_put_le32(fp + 8, g->first_done ? g->tid : 0);
        fp_put_le32(fp + 12, g->first_done ? g->seq_next[g->tid % 64] - 1 : 0);
        fp_put_le64(fp + 16, g->t_first);
        fp_put_le64(fp + 24, g->t_last);
    }
    tg_put(&g->buf, &g->len, &g->cap, out, n);
    free(out);
    g->rawlen = 0;
    g->open = 0;
    g->first_done = 1;
}

/* Appends one record: the type, its length and the payload, after dt for a
 * timed record (t != TG_UNTIMED); a short allocation or free of this
 * version has no length (fp_record_unframed). */
static inline void tg_record(struct tg *g, unsigned type, uint64_t t, const uint8_t *pay, size_t n)
{
    uint8_t hdr[1 + 2 * FP_VARINT_MAX], dt[FP_VARINT_MAX];
    size_t dl = 0;
    if (fp_record_unframed(type, FP_VERSION_MAJOR) && t == TG_UNTIMED) {
        hdr[0] = (uint8_t)type;
        tg_raw(g, hdr, 1);
        tg_raw(g, pay, n);
        return;
    }
    if (t != TG_UNTIMED) {
        dl = fp_put_varint(dt, t - g->t_cur);
        g->t_cur = t;
        if (!g->have_time)
            g->t_first = t, g->have_time = 1;
        g->t_last = t;
    }
    hdr[0] = (uint8_t)type;
    size_t h = 1 + fp_put_varint(hdr + 1, dl + n);
    memcpy(hdr + h, dt, dl);
    tg_raw(g, hdr, h + dl);
    tg_raw(g, pay, n);
}

/* 4.0's packed forms (faultprof/records.h): the type byte holds the last
 * field; the others follow it. */
static inline void tg_put_free_back_packed(struct tg *g, uint64_t back)
{
    uint8_t b = (uint8_t)(FP_PACKED_BACK - 1 + back);
    tg_raw(g, &b, 1);
}
static inline void tg_put_alloc_reuse_packed(struct tg *g, uint64_t site, uint64_t size,
                                             uint64_t reuse, int freed)
{
    uint8_t b[1 + 2 * FP_VARINT_MAX];
    b[0] = (uint8_t)((freed ? FP_PACKED_REUSE_FREED : FP_PACKED_REUSE) + reuse);
    size_t n = 1 + fp_put_varint(b + 1, site);
    n += fp_put_varint(b + n, size);
    tg_raw(g, b, n);
}

/* A well-formed record of each type, from its fields: tg_put_alloc(g, t,
 * &(struct fp_rec_alloc){ .size = 16, ... }); t is ignored for untimed
 * types.  Generated from include/faultprof/records.h. */
#define FP_X(NAME, name, code, timed)                                                 \
    static inline void tg_put_##name(struct tg *g, uint64_t t,                        \
                                     const struct fp_rec_##name *x)                   \
    {                                                                                 \
        static uint8_t pay[FP_MAX_RECORD + 64];                                       \
        size_t n = (size_t)(fp_enc_##name(pay, x) - pay);                             \
        tg_record(g, code, timed ? t : TG_UNTIMED, pay, n);                           \
    }
FP_RECORD_LIST(FP_X)
#undef FP_X

/* a C string as a string field */
#define TG_STR(cs) ((struct fp_str){ (cs), (uint32_t)strlen(cs) })

/* A record whose payload breaks its layout on purpose (too short, an old
 * minor's, an unknown type), field by field: fmt letters u (u64), z (i64,
 * zigzag), s (C string), b (ptr, len).  Well-formed records use tg_put_*. */
static inline void tg_rec(struct tg *g, unsigned type, uint64_t t, const char *fmt, ...)
{
    static uint8_t pay[FP_MAX_RECORD + 64];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f == 'u') {
            n += fp_put_varint(pay + n, va_arg(ap, uint64_t));
        } else if (*f == 'z') {
            n += fp_put_varint(pay + n, fp_zigzag(va_arg(ap, int64_t)));
        } else if (*f == 's' || *f == 'b') {
            const char *s = va_arg(ap, const char *);
            size_t len = *f == 's' ? strlen(s) : va_arg(ap, size_t);
            n += fp_put_varint(pay + n, len);
            memcpy(pay + n, s, len);
            n += len;
        }
    }
    va_end(ap);
    tg_record(g, type, t, pay, n);
}

/* The first member: stream header and PROCESS record (cmdline args
 * NUL-separated); sample_bytes > 0 makes it a sampled-mode trace, and
 * clock_step > 0 one whose short records' times are that coarse. */
static inline void tg_start_full(struct tg *g, uint64_t pid, uint64_t flags, const char *exe,
                                 const char *cmd, uint64_t sample_bytes, uint64_t clock_step)
{
    memset(g, 0, sizeof(*g));
    g->open = 1;
    uint8_t h[FP_HEADER_SIZE];
    memcpy(h, FP_MAGIC, FP_MAGIC_LEN);
    fp_put_le16(h + 8, FP_VERSION_MAJOR);
    fp_put_le16(h + 10, FP_VERSION_MINOR);
    fp_put_le32(h + 12, FP_HEADER_SIZE);
    tg_raw(g, h, sizeof(h));
    char cmdline[256];
    size_t cl = strlen(cmd) + 1;
    memcpy(cmdline, cmd, cl);
    for (size_t i = 0; i < cl; i++)
        if (cmdline[i] == ' ')
            cmdline[i] = 0;
    struct fp_rec_process x = {
        .pid = pid, .ppid = 1, .flags = flags, .t0_monotonic = 1000,
        .t0_realtime = 1700000000000000000ULL, .page_size = 4096, .depth_limit = 64,
        .rusage_every = 64, .exe = TG_STR(exe), .cmdline = { cmdline, (uint32_t)cl },
        .sample_bytes = sample_bytes, .clock_step = clock_step,
    };
    if (sample_bytes || clock_step) {
        tg_put_process(g, TG_UNTIMED, &x);
    } else {
        /* as a 1.0 recorder wrote it: sample_bytes (since 1.1) absent */
        static uint8_t pay[FP_MAX_RECORD];
        size_t n = (size_t)(fp_enc_process(pay, &x) - pay) - 1;
        tg_record(g, FP_REC_PROCESS, TG_UNTIMED, pay, n);
    }
}

static inline void tg_start_sampled(struct tg *g, uint64_t pid, uint64_t flags, const char *exe,
                                    const char *cmd, uint64_t sample_bytes)
{
    tg_start_full(g, pid, flags, exe, cmd, sample_bytes, 0);
}

static inline void tg_start(struct tg *g, uint64_t pid, uint64_t flags, const char *exe, const char *cmd)
{
    tg_start_sampled(g, pid, flags, exe, cmd, 0);
}

/* Starts a member of thread tid whose records begin at t_base. */
static inline void tg_block(struct tg *g, uint32_t tid, uint64_t t_base)
{
    tg_flush(g);
    g->open = 1;
    g->tid = tid;
    g->t_cur = t_base;
    g->have_time = 0;
    g->t_first = g->t_last = t_base;
    uint32_t seq = g->seq_next[tid % 64]++;
    tg_put_block(g, TG_UNTIMED, &(struct fp_rec_block){ .block_tid = tid, .seq = seq,
                                                        .t_base = t_base });
}

/* Convenience records */
static inline void tg_stack(struct tg *g, uint64_t id, int n, const uint64_t *frames)
{
    struct fp_rec_stack x = { .id = id, .frames = { (uint64_t)n, (uint64_t *)frames } };
    tg_put_stack(g, TG_UNTIMED, &x);
}

static inline void tg_malloc(struct tg *g, uint64_t t, uint64_t size, uint64_t addr, uint64_t stack)
{
    tg_put_alloc(g, t, &(struct fp_rec_alloc){ .func = FP_FUNC_MALLOC, .size = size, .addr = addr,
                                              .stack = stack });
}

static inline void tg_free(struct tg *g, uint64_t t, uint64_t addr)
{
    tg_put_free(g, t, &(struct fp_rec_free){ .addr = addr });
}

static inline void tg_realloc(struct tg *g, uint64_t t, uint64_t old, uint64_t size, uint64_t new_addr,
                       uint64_t stack)
{
    tg_put_realloc(g, t, &(struct fp_rec_realloc){ .func = FP_FUNC_REALLOC, .old_addr = old,
                                                  .size = size, .new_addr = new_addr,
                                                  .stack = stack });
}

/* Finishes the file; the caller owns g->buf (free it). */
static inline void tg_finish(struct tg *g)
{
    tg_flush(g);
    free(g->raw);
    g->raw = NULL;
}

static inline int tg_write_file(const struct tg *g, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(g->buf, 1, g->len, f);
    return fclose(f);
}

#endif
