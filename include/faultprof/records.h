/* faultprof trace format: every record type and its fields, defined once.
 *
 * FP_RECORD_LIST has one row per record type: X(NAME, name, code, timed).
 * timed records begin with dt (faultprof-trace(5), "Records"); the fields
 * below follow it.  FP_FIELDS_<name>(F, c) lists the record's fields in
 * payload order, one F(c, field, encoding, show, since) each:
 *
 *   encoding  U  varint (unsigned LEB128)            C type uint64_t
 *             Z  zigzag varint                        int64_t
 *             S  varint length, then that many bytes  struct fp_str
 *             A  varint n (<= FP_MAX_DEPTH), then n varints
 *                                                     struct fp_u64s
 *   show      how --dump prints the value (analyzer/dump.c): DEC, HEX,
 *             SDEC, QSTR (quoted), BYTES (hex digits), NFRAMES (the count;
 *             frames follow on lines of their own), FUNC, FKIND, BRKFN,
 *             BRKARG (names of the enums in trace.h)
 *   since     the format level that appended the field: 0 for 1.0, 1 for
 *             1.1, 2 for 1.2, 3 for 2.0, 4 for 3.0 (FP_FORMAT_LEVEL is the current
 *             one).  A reader gives 0 (or empty) for such a field when the
 *             payload ends before it.
 *
 * From these rows follow, for each record: struct fp_rec_<name>, the
 * encoder fp_enc_<name>, its bound fp_max_<name> and the decoder
 * fp_dec_<name>, all below; the writers in preload/, the reader's decoder
 * and --dump's printer in analyzer/, the test trace writer and the table in
 * man/faultprof-trace.5 (make man-layouts) use them.  tests/unit/
 * test_records.c writes every record type with edge values and reads it
 * back.  A record type added to the list without FP_FIELDS_<name> does not
 * compile. */
#ifndef FAULTPROF_RECORDS_H
#define FAULTPROF_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "faultprof/trace.h"

#define FP_RECORD_LIST(X)                         \
    X(PROCESS,       process,       0x01, 0)      \
    X(BLOCK,         block,         0x02, 0)      \
    X(MODULE,        module,        0x03, 1)      \
    X(MODULE_UNLOAD, module_unload, 0x04, 1)      \
    X(STACK,         stack,         0x05, 0)      \
    X(THREAD_START,  thread_start,  0x06, 1)      \
    X(THREAD_END,    thread_end,    0x07, 1)      \
    X(RUSAGE,        rusage,        0x08, 1)      \
    X(PROCESS_END,   process_end,   0x09, 1)      \
    X(FORK,          fork,          0x0a, 1)      \
    X(EXEC,          exec,          0x0b, 1)      \
    X(NOTE,          note,          0x0c, 1)      \
    X(ALLOC,         alloc,         0x10, 1)      \
    X(FREE,          free,          0x11, 1)      \
    X(REALLOC,       realloc,       0x12, 1)      \
    X(MMAP,          mmap,          0x13, 1)      \
    X(MUNMAP,        munmap,        0x14, 1)      \
    X(MREMAP,        mremap,        0x15, 1)      \
    X(BRK,           brk,           0x16, 1)      \
    X(HEAP_BREAK,    heap_break,    0x17, 1)      \
    X(FAULT,         fault,         0x18, 1)      \
    X(MAPS,          maps,          0x19, 1)      \
    X(COUNTS,        counts,        0x1a, 1)      \
    X(MADVISE,       madvise,       0x1b, 1)      \
    X(MPROTECT,      mprotect,      0x1c, 1)      \
    X(PAUSE,         pause,         0x20, 1)      \
    X(RESUME,        resume,        0x21, 1)      \
    X(ATTACH,        attach,        0x22, 1)      \
    X(TASK_BASE,     task_base,     0x23, 0)      \
    X(TIME,          time,          0x24, 1)      \
    X(SITE,          site,          0x25, 0)      \
    X(ALLOC_SHORT,   alloc_short,   0x26, 0)      \
    X(FREE_SHORT,    free_short,    0x27, 0)      \
    X(FREE_BACK,     free_back,     0x28, 0)      \
    X(ALLOC_REUSE,   alloc_reuse,   0x29, 0)      \
    X(ALLOC_SHORT_FREED, alloc_short_freed, 0x2a, 0) \
    X(ALLOC_REUSE_FREED, alloc_reuse_freed, 0x2b, 0)

#define FP_FIELDS_process(F, c)                   \
    F(c, pid,           U, DEC,   0)              \
    F(c, ppid,          U, DEC,   0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, t0_monotonic,  U, DEC,   0)              \
    F(c, t0_realtime,   U, DEC,   0)              \
    F(c, page_size,     U, DEC,   0)              \
    F(c, depth_limit,   U, DEC,   0)              \
    F(c, rusage_every,  U, DEC,   0)              \
    F(c, exe,           S, QSTR,  0)              \
    F(c, cmdline,       S, QSTR,  0)              \
    F(c, sample_bytes,  U, DEC,   1)              \
    F(c, clock_step,    U, DEC,   3)

#define FP_FIELDS_block(F, c)                     \
    F(c, block_tid,     U, DEC,   0)              \
    F(c, seq,           U, DEC,   0)              \
    F(c, t_base,        U, DEC,   0)

#define FP_FIELDS_module(F, c)                    \
    F(c, base,          U, HEX,   0)              \
    F(c, start,         U, HEX,   0)              \
    F(c, end,           U, HEX,   0)              \
    F(c, build_id,      S, BYTES, 0)              \
    F(c, path,          S, QSTR,  0)

#define FP_FIELDS_module_unload(F, c)             \
    F(c, base,          U, HEX,   0)

#define FP_FIELDS_stack(F, c)                     \
    F(c, id,            U, DEC,   0)              \
    F(c, frames,        A, NFRAMES, 0)

#define FP_FIELDS_thread_start(F, c)              \
    F(c, stack_lo,      U, HEX,   1)              \
    F(c, stack_hi,      U, HEX,   1)

#define FP_FIELDS_thread_end(F, c)                \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)              \
    F(c, utime_ns,      U, DEC,   0)              \
    F(c, stime_ns,      U, DEC,   0)              \
    F(c, name,          S, QSTR,  0)

#define FP_FIELDS_rusage(F, c)                    \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)

#define FP_FIELDS_process_end(F, c)               \
    F(c, reason,        U, DEC,   0)              \
    F(c, wall_ns,       U, DEC,   0)              \
    F(c, utime_ns,      U, DEC,   0)              \
    F(c, stime_ns,      U, DEC,   0)              \
    F(c, maxrss_kb,     U, DEC,   0)              \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)              \
    F(c, nvcsw,         U, DEC,   0)              \
    F(c, nivcsw,        U, DEC,   0)              \
    F(c, threads_total, U, DEC,   0)              \
    F(c, threads_peak,  U, DEC,   0)              \
    F(c, c_utime_ns,    U, DEC,   0)              \
    F(c, c_stime_ns,    U, DEC,   0)              \
    F(c, c_maxrss_kb,   U, DEC,   0)              \
    F(c, c_minflt,      U, DEC,   0)              \
    F(c, c_majflt,      U, DEC,   0)              \
    F(c, dropped,       U, DEC,   1)

#define FP_FIELDS_fork(F, c)                      \
    F(c, child_pid,     U, DEC,   0)

#define FP_FIELDS_exec(F, c)                      \
    F(c, err,           U, DEC,   0)              \
    F(c, path,          S, QSTR,  0)

#define FP_FIELDS_note(F, c)                      \
    F(c, key,           S, QSTR,  0)              \
    F(c, value,         S, QSTR,  0)

#define FP_FIELDS_alloc(F, c)                     \
    F(c, func,          U, FUNC,  0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, size,          U, DEC,   0)              \
    F(c, addr,          U, HEX,   0)              \
    F(c, stack,         U, DEC,   0)              \
    F(c, align,         U, DEC,   0)

#define FP_FIELDS_free(F, c)                      \
    F(c, flags,         U, HEX,   0)              \
    F(c, addr,          U, HEX,   0)

#define FP_FIELDS_realloc(F, c)                   \
    F(c, func,          U, FUNC,  0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, old_addr,      U, HEX,   0)              \
    F(c, size,          U, DEC,   0)              \
    F(c, new_addr,      U, HEX,   0)              \
    F(c, stack,         U, DEC,   0)

#define FP_FIELDS_mmap(F, c)                      \
    F(c, addr,          U, HEX,   0)              \
    F(c, length,        U, DEC,   0)              \
    F(c, prot,          U, HEX,   0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, fd,            Z, SDEC,  0)              \
    F(c, offset,        U, DEC,   0)              \
    F(c, result,        U, HEX,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)              \
    F(c, path,          S, QSTR,  2)

#define FP_FIELDS_munmap(F, c)                    \
    F(c, addr,          U, HEX,   0)              \
    F(c, length,        U, DEC,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)

#define FP_FIELDS_mremap(F, c)                    \
    F(c, old_addr,      U, HEX,   0)              \
    F(c, old_length,    U, DEC,   0)              \
    F(c, new_length,    U, DEC,   0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, new_addr,      U, HEX,   0)              \
    F(c, result,        U, HEX,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)

/* arg is brk's address, or sbrk's increment zigzag-encoded: fp_brk_arg() */
#define FP_FIELDS_brk(F, c)                       \
    F(c, func,          U, BRKFN, 0)              \
    F(c, arg,           U, BRKARG, 0)             \
    F(c, old_break,     U, HEX,   0)              \
    F(c, new_break,     U, HEX,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)

#define FP_FIELDS_heap_break(F, c)                \
    F(c, brk,           U, HEX,   0)

#define FP_FIELDS_fault(F, c)                     \
    F(c, kind,          U, FKIND, 0)              \
    F(c, addr,          U, HEX,   0)              \
    F(c, ip,            U, HEX,   0)              \
    F(c, stack,         U, DEC,   0)              \
    F(c, weight,        U, DEC,   0)

#define FP_FIELDS_maps(F, c)                      \
    F(c, text,          S, QSTR,  0)

#define FP_FIELDS_counts(F, c)                    \
    F(c, allocations,   U, DEC,   0)              \
    F(c, bytes,         U, DEC,   0)              \
    F(c, frees,         U, DEC,   0)

/* flags: FP_MADV_BY_ALLOCATOR */
#define FP_FIELDS_madvise(F, c)                   \
    F(c, addr,          U, HEX,   0)              \
    F(c, length,        U, DEC,   0)              \
    F(c, advice,        U, DEC,   0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)

#define FP_FIELDS_mprotect(F, c)                  \
    F(c, addr,          U, HEX,   0)              \
    F(c, length,        U, DEC,   0)              \
    F(c, prot,          U, HEX,   0)              \
    F(c, err,           U, DEC,   0)              \
    F(c, stack,         U, DEC,   0)

/* recording stops (how: FP_PAUSE_*) and starts again; the process's fault
 * totals (getrusage RUSAGE_SELF) at that moment */
#define FP_FIELDS_pause(F, c)                     \
    F(c, how,           U, DEC,   0)              \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)

#define FP_FIELDS_resume(F, c)                    \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)

/* the recorder was loaded into a running process: what it had done before
 * (RUSAGE_SELF) and how many threads it had; the TASK_BASE records that
 * follow give each thread's fault counts at that moment */
#define FP_FIELDS_attach(F, c)                    \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)              \
    F(c, utime_ns,      U, DEC,   0)              \
    F(c, stime_ns,      U, DEC,   0)              \
    F(c, tasks,         U, DEC,   0)

#define FP_FIELDS_task_base(F, c)                 \
    F(c, tid,           U, DEC,   0)              \
    F(c, minflt,        U, DEC,   0)              \
    F(c, majflt,        U, DEC,   0)

/* 2.0: the short forms of ALLOC and FREE, which carry no time (TIME
 * records move the thread's clock).  ALLOC_SHORT names its (func, flags,
 * stack, align) by a SITE defined earlier in the same member.  addr_delta
 * is the address minus that of the member's previous short record (0 at
 * the member's start).  FREE_BACK frees the address that the back-th
 * previous ALLOC_SHORT of the member returned (1: the latest).  The short
 * frees have flags 0.
 * 3.0: ALLOC_REUSE is an ALLOC_SHORT whose address is the reuse-th on the
 * member's free list of its size's class (faultprof/reuse.h); FREE_BACK
 * counts it as an ALLOC_SHORT and puts the block it frees on such a list.
 * ALLOC_SHORT_FREED and ALLOC_REUSE_FREED are ALLOC_SHORT and ALLOC_REUSE
 * followed by FREE_BACK 1: the thread freed the block before it recorded
 * anything else (the recorder rewrites the type byte instead of writing
 * the FREE_BACK). */
#define FP_FIELDS_time(F, c)                      /* dt only */

#define FP_FIELDS_site(F, c)                      \
    F(c, id,            U, DEC,   0)              \
    F(c, func,          U, FUNC,  0)              \
    F(c, flags,         U, HEX,   0)              \
    F(c, stack,         U, DEC,   0)              \
    F(c, align,         U, DEC,   0)

#define FP_FIELDS_alloc_short(F, c)               \
    F(c, site,          U, DEC,   0)              \
    F(c, size,          U, DEC,   0)              \
    F(c, addr_delta,    Z, SDEC,  0)

#define FP_FIELDS_free_short(F, c)                \
    F(c, addr_delta,    Z, SDEC,  0)

#define FP_FIELDS_free_back(F, c)                 \
    F(c, back,          U, DEC,   0)

#define FP_FIELDS_alloc_reuse(F, c)               \
    F(c, site,          U, DEC,   0)              \
    F(c, size,          U, DEC,   0)              \
    F(c, reuse,         U, DEC,   0)

#define FP_FIELDS_alloc_short_freed(F, c) FP_FIELDS_alloc_short(F, c)
#define FP_FIELDS_alloc_reuse_freed(F, c) FP_FIELDS_alloc_reuse(F, c)

/* ---- what follows is generated from the table above */

enum fp_record_type {
#define FP_X(NAME, name, code, timed) FP_REC_##NAME = code,
    FP_RECORD_LIST(FP_X)
#undef FP_X
};

/* a string field; s need not be NUL-terminated */
struct fp_str {
    const char *s;
    uint32_t len;
};

/* an array field: n values at v (a decoder's v must hold FP_MAX_DEPTH) */
struct fp_u64s {
    uint64_t n;
    uint64_t *v;
};

#define FP_CTYPE_U uint64_t
#define FP_CTYPE_Z int64_t
#define FP_CTYPE_S struct fp_str
#define FP_CTYPE_A struct fp_u64s

/* one struct per record: struct fp_rec_alloc { uint64_t func; ... } */
#define FP_MEMBER(c, f, enc, show, since) FP_CTYPE_##enc f;
#define FP_X(NAME, name, code, timed) \
    struct fp_rec_##name { FP_FIELDS_##name(FP_MEMBER, name) };
FP_RECORD_LIST(FP_X)
#undef FP_X
#undef FP_MEMBER

/* each field's position in its record: FP_FIELD_process_pid == 0 */
#define FP_INDEX(c, f, enc, show, since) FP_FIELD_##c##_##f,
#define FP_X(NAME, name, code, timed) \
    enum { FP_FIELDS_##name(FP_INDEX, name) FP_NFIELDS_##name };
FP_RECORD_LIST(FP_X)
#undef FP_X
#undef FP_INDEX

/* ---- encoding one field: write at p, return the end */
static inline uint8_t *fp_enc_U(uint8_t *p, uint64_t v)
{
    return p + fp_put_varint(p, v);
}
static inline uint8_t *fp_enc_Z(uint8_t *p, int64_t v)
{
    return p + fp_put_varint(p, fp_zigzag(v));
}
static inline uint8_t *fp_enc_S(uint8_t *p, struct fp_str s)
{
    p += fp_put_varint(p, s.len);
    if (s.len)
        __builtin_memcpy(p, s.s, s.len);
    return p + s.len;
}
static inline uint8_t *fp_enc_A(uint8_t *p, struct fp_u64s a)
{
    p += fp_put_varint(p, a.n);
    for (uint64_t i = 0; i < a.n; i++)
        p += fp_put_varint(p, a.v[i]);
    return p;
}

/* the most bytes a field's encoding takes */
#define fp_max_U(v) ((size_t)FP_VARINT_MAX)
#define fp_max_Z(v) ((size_t)FP_VARINT_MAX)
#define fp_max_S(s) ((size_t)FP_VARINT_MAX + (s).len)
#define fp_max_A(a) ((size_t)FP_VARINT_MAX * (1 + (size_t)(a).n))

/* ---- decoding one field from [p, end): the pointer past it, or NULL when
 * it runs past end.  A field appended by a later minor (since > 0) reads
 * as 0 when the payload ends before it. */
static inline __attribute__((always_inline)) const uint8_t *
fp_dec_U(const uint8_t *p, const uint8_t *end, uint64_t *out, int since)
{
    if (since && p == end) {
        *out = 0;
        return p;
    }
    return fp_varint_at(p, end, out);
}
static inline const uint8_t *fp_dec_Z(const uint8_t *p, const uint8_t *end, int64_t *out,
                                      int since)
{
    uint64_t v = 0;
    p = fp_dec_U(p, end, &v, since);
    *out = fp_unzigzag(v);
    return p;
}
static inline const uint8_t *fp_dec_S(const uint8_t *p, const uint8_t *end, struct fp_str *out,
                                      int since)
{
    uint64_t n;
    out->s = "", out->len = 0;
    if (!(p = fp_dec_U(p, end, &n, since)) || n > (uint64_t)(end - p))
        return NULL;
    out->s = (const char *)p;
    out->len = (uint32_t)n;
    return p + n;
}
static inline const uint8_t *fp_dec_A(const uint8_t *p, const uint8_t *end, struct fp_u64s *out,
                                      int since)
{
    uint64_t n;
    out->n = 0;
    if (!(p = fp_dec_U(p, end, &n, since)) || n > FP_MAX_DEPTH)
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        if (!(p = fp_varint_at(p, end, &out->v[i])))
            return NULL;
    out->n = n;
    return p;
}

/* ---- per record: fp_enc_alloc(p, &x) writes the payload (dt excluded) and
 * returns its end; fp_max_alloc(&x) bounds its length; fp_dec_alloc(p, end,
 * &x) reads it: 0, or -1 when the payload is too short.  Bytes after the
 * known fields are ignored, as the format requires. */
#define FP_ENC(c, f, enc, show, since) p = fp_enc_##enc(p, x->f);
#define FP_MAX(c, f, enc, show, since) + fp_max_##enc(x->f)
#define FP_DEC(c, f, enc, show, since) \
    if (!(p = fp_dec_##enc(p, end, &x->f, since))) return -1;
#define FP_X(NAME, name, code, timed)                                                     \
    static inline uint8_t *fp_enc_##name(uint8_t *p, const struct fp_rec_##name *x)       \
    {                                                                                     \
        FP_FIELDS_##name(FP_ENC, name)                                                    \
        return p;                                                                         \
    }                                                                                     \
    static inline size_t fp_max_##name(const struct fp_rec_##name *x)                     \
    {                                                                                     \
        (void)x;                                                                          \
        return 0 FP_FIELDS_##name(FP_MAX, name);                                          \
    }                                                                                     \
    static inline __attribute__((always_inline)) int                                      \
    fp_dec_##name(const uint8_t *p, const uint8_t *end, struct fp_rec_##name *x)          \
    {                                                                                     \
        FP_FIELDS_##name(FP_DEC, name)                                                    \
        (void)p;                                                                          \
        return 0;                                                                         \
    }
FP_RECORD_LIST(FP_X)
#undef FP_X
#undef FP_DEC
#undef FP_MAX
#undef FP_ENC

/* 3.0: the short allocations and frees have no length: the type byte, then
 * their fields (3 for the allocations, 1 for the frees).  In 2.x they have
 * one, as every other record.
 * 4.0: the packed forms, whose type byte holds their last field (a free
 * list's place, a distance back) and which are followed by the others:
 *   0x30 + k   ALLOC_REUSE with reuse k (k < 8): site, size
 *   0x38 + k   ALLOC_REUSE_FREED with reuse k: site, size
 *   0x7f + b   FREE_BACK with back b (1 <= b <= 128): nothing */
#define FP_PACKED_REUSE        0x30u
#define FP_PACKED_REUSE_FREED  0x38u
#define FP_PACKED_BACK         0x80u   /* back 1; back b is 0x7f + b */
#define FP_PACKED_REUSE_MAX    8u      /* reuse < this packs */
#define FP_PACKED_BACK_MAX     128u    /* back <= this packs */
#define FP_UNFRAMED_MAX (1 + 3 * FP_VARINT_MAX)    /* the longest of them */
_Static_assert(FP_REC_ALLOC_REUSE_FREED < FP_PACKED_REUSE, "packed types clash with records");

static inline int fp_record_packed(unsigned type, unsigned major)
{
    return major >= 4 && (type >= FP_PACKED_BACK ||
                          (type >= FP_PACKED_REUSE && type < FP_PACKED_REUSE_FREED + 8));
}
static inline int fp_record_unframed(unsigned type, unsigned major)
{
    return (major >= 3 && type >= FP_REC_ALLOC_SHORT && type <= FP_REC_ALLOC_REUSE_FREED) ||
           fp_record_packed(type, major);
}
/* the fields after the type byte (for a packed form, those it does not hold) */
static inline unsigned fp_unframed_fields(unsigned type)
{
    if (type >= FP_PACKED_BACK)
        return 0;
    if (type >= FP_PACKED_REUSE)
        return 2;
    return type == FP_REC_FREE_SHORT || type == FP_REC_FREE_BACK ? 1 : 3;
}
/* A packed form's record type, and in *field the field its type byte holds */
static inline unsigned fp_packed_unpack(unsigned type, uint64_t *field)
{
    if (type >= FP_PACKED_BACK) {
        *field = type - (FP_PACKED_BACK - 1);
        return FP_REC_FREE_BACK;
    }
    if (type >= FP_PACKED_REUSE_FREED) {
        *field = type - FP_PACKED_REUSE_FREED;
        return FP_REC_ALLOC_REUSE_FREED;
    }
    *field = type - FP_PACKED_REUSE;
    return FP_REC_ALLOC_REUSE;
}

/* BRK's arg: sbrk's increment, or brk's address */
static inline int64_t fp_brk_arg(const struct fp_rec_brk *x)
{
    return x->func == FP_BRK_SBRK ? fp_unzigzag(x->arg) : (int64_t)x->arg;
}
static inline uint64_t fp_brk_arg_encode(uint64_t func, int64_t arg)
{
    return func == FP_BRK_SBRK ? fp_zigzag(arg) : (uint64_t)arg;
}

#endif /* FAULTPROF_RECORDS_H */
