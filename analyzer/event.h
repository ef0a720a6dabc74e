/* event: decodes one record's payload into typed fields, checking every
 * varint and string against the payload end.  Shared by the model and --dump
 * so both read the format the same way. */
#ifndef FP_EVENT_H
#define FP_EVENT_H

#include <stdint.h>
#include "reader.h"
#include "faultprof/trace.h"

struct fp_str {
    const char *s;
    uint32_t len;
};

struct fp_event {
    unsigned type;
    uint32_t tid;
    uint64_t t;
    union {
        struct { uint64_t pid, ppid, flags, t0_mono, t0_real, page_size, depth_limit, rusage_every;
                 struct fp_str exe, cmdline;
                 uint64_t sample_bytes; } process;            /* 0 before 1.1 */
        struct { uint64_t tid, seq, t_base; } block;
        struct { uint64_t base, start, end; struct fp_str build_id, path; } module;
        struct { uint64_t base; } module_unload;
        struct { uint64_t id, n; uint64_t frames[FP_MAX_DEPTH]; } stack;
        struct { uint64_t stack_lo, stack_hi; } thread_start;   /* 0, 0 before 1.1 */
        struct { uint64_t minflt, majflt, utime_ns, stime_ns; struct fp_str name; } thread_end;
        struct { uint64_t minflt, majflt; } rusage;
        struct { uint64_t reason, wall_ns, utime_ns, stime_ns, maxrss_kb, minflt, majflt, nvcsw,
                 nivcsw, threads_total, threads_peak, c_utime_ns, c_stime_ns, c_maxrss_kb,
                 c_minflt, c_majflt;
                 uint64_t dropped; } process_end;             /* dropped: 0 before 1.1 */
        struct { uint64_t child_pid; } fork;
        struct { uint64_t err; struct fp_str path; } exec;
        struct { struct fp_str key, value; } note;
        struct { uint64_t func, flags, size, addr, stack, align; } alloc;
        struct { uint64_t flags, addr; } free;
        struct { uint64_t func, flags, old_addr, size, new_addr, stack; } realloc;
        struct { uint64_t addr, length, prot, flags; int64_t fd; uint64_t offset, result, err,
                 stack; } mmap;
        struct { uint64_t addr, length, err, stack; } munmap;
        struct { uint64_t old_addr, old_length, new_length, flags, new_addr, result, err,
                 stack; } mremap;
        struct { uint64_t func; int64_t arg; uint64_t old_break, new_break, err, stack; } brk;
        struct { uint64_t brk; } heap_break;
        struct { uint64_t kind, addr, ip, stack, weight; } fault;
        struct { struct fp_str text; } maps;
        struct { uint64_t allocs, bytes, frees; } counts;
    } u;
};

/* 1 decoded, 0 unknown type (skip it), -1 corrupt (payload too short). */
int fp_event_decode(const struct fp_record *rec, struct fp_event *ev);

/* ---- ALLOC and FREE are nearly every record: the model reads them with
 * these, straight into its own variables, without a struct fp_event. */

struct fp_alloc_fields {
    uint64_t func, flags, size, addr, stack, align;
};

/* 0, or -1 when the payload is too short */
static inline int fp_decode_alloc(const struct fp_record *rec, struct fp_alloc_fields *x)
{
    const uint8_t *p = rec->p, *end = rec->end;
    if (!(p = fp_varint_at(p, end, &x->func)) || !(p = fp_varint_at(p, end, &x->flags)) ||
        !(p = fp_varint_at(p, end, &x->size)) || !(p = fp_varint_at(p, end, &x->addr)) ||
        !(p = fp_varint_at(p, end, &x->stack)) || !(p = fp_varint_at(p, end, &x->align)))
        return -1;
    return 0;
}

static inline int fp_decode_free(const struct fp_record *rec, uint64_t *flags, uint64_t *addr)
{
    const uint8_t *p = rec->p, *end = rec->end;
    if (!(p = fp_varint_at(p, end, flags)) || !(p = fp_varint_at(p, end, addr)))
        return -1;
    return 0;
}

const char *fp_alloc_func_name(uint64_t func);

#endif
