/* event: field-by-field decoding of record payloads (faultprof-trace(5)).
 * Fields past the ones known here are ignored, as the format requires. */
#include "event.h"

#include <string.h>

struct dec {
    const uint8_t *p, *end;
    int bad;
};

static inline uint64_t u(struct dec *d)
{
    uint64_t v = 0;
    if (__builtin_expect(d->bad, 0))
        return 0;
    const uint8_t *p = d->p;
    /* fast path: one byte */
    if (p < d->end && !(*p & 0x80)) {
        d->p = p + 1;
        return *p;
    }
    if (fp_get_varint(&d->p, d->end, &v) < 0)
        d->bad = 1;
    return v;
}

static inline int64_t zz(struct dec *d)
{
    return fp_unzigzag(u(d));
}

static inline struct fp_str str(struct dec *d)
{
    struct fp_str s = { "", 0 };
    uint64_t n = u(d);
    if (d->bad)
        return s;
    if (n > (uint64_t)(d->end - d->p)) {
        d->bad = 1;
        return s;
    }
    s.s = (const char *)d->p;
    s.len = (uint32_t)n;
    d->p += n;
    return s;
}

static const char *const func_names[] = {
#define FP_X(name, val, s) [val] = s,
    FP_FUNC_LIST(FP_X)
#undef FP_X
};

const char *fp_alloc_func_name(uint64_t func)
{
    if (func < sizeof(func_names) / sizeof(func_names[0]) && func_names[func])
        return func_names[func];
    return "?";
}

int fp_event_decode(const struct fp_record *rec, struct fp_event *ev)
{
    struct dec d = { rec->p, rec->end, 0 };
    struct dec *D = &d;
    ev->type = rec->type;
    ev->tid = rec->tid;
    ev->t = rec->t;
    /* ALLOC and FREE are nearly every record: read straight, without the
     * state u() carries from field to field */
    if (rec->type == FP_REC_ALLOC) {
        struct fp_alloc_fields x;
        if (fp_decode_alloc(rec, &x) < 0)
            return -1;
        ev->u.alloc.func = x.func, ev->u.alloc.flags = x.flags, ev->u.alloc.size = x.size;
        ev->u.alloc.addr = x.addr, ev->u.alloc.stack = x.stack, ev->u.alloc.align = x.align;
        return 1;
    }
    if (rec->type == FP_REC_FREE)
        return fp_decode_free(rec, &ev->u.free.flags, &ev->u.free.addr) < 0 ? -1 : 1;
    switch (rec->type) {
    case FP_REC_PROCESS: {
        __typeof__(ev->u.process) *x = &ev->u.process;
        x->pid = u(D), x->ppid = u(D), x->flags = u(D), x->t0_mono = u(D), x->t0_real = u(D);
        x->page_size = u(D), x->depth_limit = u(D), x->rusage_every = u(D);
        x->exe = str(D);
        x->cmdline = str(D);
        x->sample_bytes = D->p < D->end ? u(D) : 0;   /* since 1.1 */
        break;
    }
    case FP_REC_BLOCK:
        ev->u.block.tid = u(D), ev->u.block.seq = u(D), ev->u.block.t_base = u(D);
        break;
    case FP_REC_MODULE:
        ev->u.module.base = u(D), ev->u.module.start = u(D), ev->u.module.end = u(D);
        ev->u.module.build_id = str(D);
        ev->u.module.path = str(D);
        break;
    case FP_REC_MODULE_UNLOAD:
        ev->u.module_unload.base = u(D);
        break;
    case FP_REC_STACK: {
        ev->u.stack.id = u(D);
        uint64_t n = u(D);
        if (n > FP_MAX_DEPTH)
            return -1;
        ev->u.stack.n = n;
        for (uint64_t i = 0; i < n; i++)
            ev->u.stack.frames[i] = u(D);
        break;
    }
    case FP_REC_THREAD_START:
        /* since 1.1 */
        ev->u.thread_start.stack_lo = D->p < D->end ? u(D) : 0;
        ev->u.thread_start.stack_hi = D->p < D->end ? u(D) : 0;
        break;
    case FP_REC_THREAD_END:
        ev->u.thread_end.minflt = u(D), ev->u.thread_end.majflt = u(D);
        ev->u.thread_end.utime_ns = u(D), ev->u.thread_end.stime_ns = u(D);
        ev->u.thread_end.name = str(D);
        break;
    case FP_REC_RUSAGE:
        ev->u.rusage.minflt = u(D), ev->u.rusage.majflt = u(D);
        break;
    case FP_REC_PROCESS_END: {
        __typeof__(ev->u.process_end) *x = &ev->u.process_end;
        x->reason = u(D), x->wall_ns = u(D), x->utime_ns = u(D), x->stime_ns = u(D);
        x->maxrss_kb = u(D), x->minflt = u(D), x->majflt = u(D), x->nvcsw = u(D);
        x->nivcsw = u(D), x->threads_total = u(D), x->threads_peak = u(D);
        x->c_utime_ns = u(D), x->c_stime_ns = u(D), x->c_maxrss_kb = u(D);
        x->c_minflt = u(D), x->c_majflt = u(D);
        x->dropped = D->p < D->end ? u(D) : 0;        /* since 1.1 */
        break;
    }
    case FP_REC_FORK:
        ev->u.fork.child_pid = u(D);
        break;
    case FP_REC_EXEC:
        ev->u.exec.err = u(D);
        ev->u.exec.path = str(D);
        break;
    case FP_REC_NOTE:
        ev->u.note.key = str(D);
        ev->u.note.value = str(D);
        break;
    case FP_REC_REALLOC: {
        __typeof__(ev->u.realloc) *x = &ev->u.realloc;
        x->func = u(D), x->flags = u(D), x->old_addr = u(D), x->size = u(D);
        x->new_addr = u(D), x->stack = u(D);
        break;
    }
    case FP_REC_MMAP: {
        __typeof__(ev->u.mmap) *x = &ev->u.mmap;
        x->addr = u(D), x->length = u(D), x->prot = u(D), x->flags = u(D), x->fd = zz(D);
        x->offset = u(D), x->result = u(D), x->err = u(D), x->stack = u(D);
        break;
    }
    case FP_REC_MUNMAP:
        ev->u.munmap.addr = u(D), ev->u.munmap.length = u(D), ev->u.munmap.err = u(D);
        ev->u.munmap.stack = u(D);
        break;
    case FP_REC_MREMAP: {
        __typeof__(ev->u.mremap) *x = &ev->u.mremap;
        x->old_addr = u(D), x->old_length = u(D), x->new_length = u(D), x->flags = u(D);
        x->new_addr = u(D), x->result = u(D), x->err = u(D), x->stack = u(D);
        break;
    }
    case FP_REC_BRK:
        /* arg is zigzag for sbrk's increment, a plain address for brk */
        ev->u.brk.func = u(D);
        ev->u.brk.arg = ev->u.brk.func == FP_BRK_SBRK ? zz(D) : (int64_t)u(D);
        ev->u.brk.old_break = u(D);
        ev->u.brk.new_break = u(D), ev->u.brk.err = u(D), ev->u.brk.stack = u(D);
        break;
    case FP_REC_HEAP_BREAK:
        ev->u.heap_break.brk = u(D);
        break;
    case FP_REC_FAULT: {
        __typeof__(ev->u.fault) *x = &ev->u.fault;
        x->kind = u(D), x->addr = u(D), x->ip = u(D), x->stack = u(D), x->weight = u(D);
        break;
    }
    case FP_REC_MAPS:
        ev->u.maps.text = str(D);
        break;
    case FP_REC_COUNTS:
        ev->u.counts.allocs = u(D), ev->u.counts.bytes = u(D), ev->u.counts.frees = u(D);
        break;
    default:
        return 0;
    }
    return d.bad ? -1 : 1;
}
