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

#include "faultprof/trace.h"

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

/* A record: fmt letters u (u64), z (i64, zigzag), s (C string), b (ptr, len). */
static inline void tg_rec(struct tg *g, unsigned type, uint64_t t, const char *fmt, ...)
{
    static uint8_t pay[FP_MAX_RECORD + 64];
    size_t n = 0;
    if (t != TG_UNTIMED) {
        n += fp_put_varint(pay + n, t - g->t_cur);
        g->t_cur = t;
        if (!g->have_time)
            g->t_first = t, g->have_time = 1;
        g->t_last = t;
    }
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
    uint8_t hdr[1 + FP_VARINT_MAX];
    hdr[0] = (uint8_t)type;
    size_t h = 1 + fp_put_varint(hdr + 1, n);
    tg_raw(g, hdr, h);
    tg_raw(g, pay, n);
}

/* The first member: stream header and PROCESS record (cmdline args
 * NUL-separated); sample_bytes > 0 makes it a sampled-mode trace. */
static inline void tg_start_sampled(struct tg *g, uint64_t pid, uint64_t flags, const char *exe,
                                    const char *cmd, uint64_t sample_bytes)
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
    if (sample_bytes)
        tg_rec(g, FP_REC_PROCESS, TG_UNTIMED, "uuuuuuuusbu", pid, (uint64_t)1, flags,
               (uint64_t)1000, (uint64_t)1700000000000000000ULL, (uint64_t)4096, (uint64_t)64,
               (uint64_t)64, exe, cmdline, cl, sample_bytes);
    else
        tg_rec(g, FP_REC_PROCESS, TG_UNTIMED, "uuuuuuuusb", pid, (uint64_t)1, flags,
               (uint64_t)1000, (uint64_t)1700000000000000000ULL, (uint64_t)4096, (uint64_t)64,
               (uint64_t)64, exe, cmdline, cl);
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
    tg_rec(g, FP_REC_BLOCK, TG_UNTIMED, "uuu", (uint64_t)tid, (uint64_t)seq, t_base);
}

/* Convenience records */
static inline void tg_stack(struct tg *g, uint64_t id, int n, const uint64_t *frames)
{
    uint8_t pay[16 + FP_MAX_DEPTH * FP_VARINT_MAX];
    size_t k = 0;
    k += fp_put_varint(pay + k, id);
    k += fp_put_varint(pay + k, (uint64_t)n);
    for (int i = 0; i < n; i++)
        k += fp_put_varint(pay + k, frames[i]);
    uint8_t hdr[1 + FP_VARINT_MAX];
    hdr[0] = FP_REC_STACK;
    size_t h = 1 + fp_put_varint(hdr + 1, k);
    tg_raw(g, hdr, h);
    tg_raw(g, pay, k);
}

static inline void tg_malloc(struct tg *g, uint64_t t, uint64_t size, uint64_t addr, uint64_t stack)
{
    tg_rec(g, FP_REC_ALLOC, t, "uuuuuu", (uint64_t)FP_FUNC_MALLOC, (uint64_t)0, size, addr, stack,
           (uint64_t)0);
}

static inline void tg_free(struct tg *g, uint64_t t, uint64_t addr)
{
    tg_rec(g, FP_REC_FREE, t, "uu", (uint64_t)0, addr);
}

static inline void tg_realloc(struct tg *g, uint64_t t, uint64_t old, uint64_t size, uint64_t new_addr,
                       uint64_t stack)
{
    tg_rec(g, FP_REC_REALLOC, t, "uuuuuu", (uint64_t)FP_FUNC_REALLOC, (uint64_t)0, old, size,
           new_addr, stack);
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
