/* faultprof trace format: the definitions shared by the recorder (preload/) and
 * the reader (analyzer/).  The normative description is man/faultprof-trace.5;
 * this header mirrors it and must change together with it. */
#ifndef FAULTPROF_TRACE_H
#define FAULTPROF_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- stream header: the first FP_HEADER_SIZE bytes of the decompressed stream */
#define FP_MAGIC         "FAULTPRF"  /* 8 bytes, no terminator in the file */
#define FP_MAGIC_LEN     8
#define FP_VERSION_MAJOR 4           /* a reader refuses a major it does not know */
#define FP_VERSION_MINOR 0           /* a reader accepts any minor */
#define FP_MAJOR_OLDEST  1           /* the oldest major this reader reads */
#define FP_FORMAT_LEVEL  4           /* records.h's "since": 1.0 0, 1.1 1, 1.2 2, 2.0 3, 3.0 4 */
#define FP_HEADER_SIZE   16          /* magic, u16 major, u16 minor, u32 header size */

/* ---- gzip member extra subfield ('F','P'), written in every member's FEXTRA */
#define FP_GZ_SI1        'F'
#define FP_GZ_SI2        'P'
#define FP_GZ_EXTRA_LEN  32  /* u32 member_size, u32 raw_size, u32 tid, u32 seq,
                                u64 t_first, u64 t_last */

/* ---- record types and their fields: faultprof/records.h */

/* ALLOC/REALLOC "func" field: which entry point the program called */
#define FP_FUNC_LIST(X)             \
    X(MALLOC,         1, "malloc")  \
    X(CALLOC,         2, "calloc")  \
    X(REALLOC,        3, "realloc") \
    X(REALLOCARRAY,   4, "reallocarray") \
    X(POSIX_MEMALIGN, 5, "posix_memalign") \
    X(ALIGNED_ALLOC,  6, "aligned_alloc") \
    X(MEMALIGN,       7, "memalign") \
    X(VALLOC,         8, "valloc")  \
    X(PVALLOC,        9, "pvalloc")

enum fp_alloc_func {
#define FP_X(name, val, str) FP_FUNC_##name = val,
    FP_FUNC_LIST(FP_X)
#undef FP_X
};

/* BRK "func" field */
enum fp_brk_func { FP_BRK_BRK = 1, FP_BRK_SBRK = 2 };

/* FAULT "kind" field */
enum fp_fault_kind { FP_FAULT_MINOR = 1, FP_FAULT_MAJOR = 2 };

/* PAUSE "how" field */
enum fp_pause_how {
    FP_PAUSE_TOGGLE = 1,     /* the toggle signal (faultprof --toggle PID) */
    FP_PAUSE_START  = 2,     /* started paused (faultprof --paused) */
    FP_PAUSE_DETACH = 3,     /* faultprof -p detaches */
};

/* PROCESS "flags" */
#define FP_PROC_PTMALLOC     0x1u  /* ALLOC/FREE mmapped flag is meaningful */
#define FP_PROC_FORK_CHILD   0x2u  /* this trace is a fork child's */
#define FP_PROC_NO_FOLLOW    0x4u  /* exec'd programs are not traced */
#define FP_PROC_ATTACHED     0x8u  /* loaded into a running process (ATTACH) */

/* ALLOC/REALLOC/FREE "flags" */
#define FP_ALLOC_MMAPPED     0x1u  /* the block was served by its own mmap */
#define FP_ALLOC_SAMPLED     0x2u  /* sampled mode: this block stands for others */

/* MADVISE "flags" */
#define FP_MADV_BY_ALLOCATOR 0x1u  /* made inside a call of the allocator (its purge) */

/* ---- varints: unsigned LEB128, at most 10 bytes for a u64 */
#define FP_VARINT_MAX 10

static inline size_t fp_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline uint64_t fp_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t fp_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads one varint from [*pp, end).  Returns 0 and advances *pp, or -1 when
 * the varint is truncated or longer than 10 bytes. */
static inline int fp_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    unsigned shift = 0;
    for (int i = 0; i < FP_VARINT_MAX; i++) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* The same for readers' hot loops: returns the pointer past the varint, or
 * NULL when it runs past end or is too long; one-byte values inline. */
static inline __attribute__((always_inline)) const uint8_t *
fp_varint_at(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    if (__builtin_expect(p < end && !(*p & 0x80), 1)) {
        *out = *p;
        return p + 1;
    }
    if (fp_get_varint(&p, end, out) < 0)
        return NULL;
    return p;
}

/* ---- fixed-width little-endian helpers (header and gzip extra field) */
static inline void fp_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}
static inline void fp_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void fp_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t fp_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t fp_get_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t fp_get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ---- limits a writer keeps and a reader may rely on */
#define FP_MAX_RECORD    (1u << 20)  /* payload length of any record */
#define FP_MAX_DEPTH     256         /* frames in a STACK record */

#endif /* FAULTPROF_TRACE_H */
