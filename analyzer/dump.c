/* dump: --dump prints every record of a trace, one per line, with its fields
 * by name ("ALLOC t=... tid=... size=64 ..."), and each STACK's frames
 * symbolized on the lines after it.  The format is stable: tests grep it. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "event.h"
#include "reader.h"
#include "faultprof/trace.h"

static void qstr(FILE *out, struct fp_str s)
{
    putc('"', out);
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == 0)
            fputs("\\0", out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            putc(c, out);
    }
    putc('"', out);
}

static void hex(FILE *out, struct fp_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        fprintf(out, "%02x", (unsigned char)s.s[i]);
}

#define U(x) ((unsigned long long)(x))

/* gen: the MODULE_UNLOAD records printed so far (the modules loaded then) */
static void frames(FILE *out, struct fp_syms *syms, uint32_t gen, const struct fp_event *ev)
{
    for (uint64_t i = 0; i < ev->u.stack.n; i++) {
        uint64_t a = ev->u.stack.frames[i];
        if (!syms) {
            fprintf(out, "  #%llu 0x%llx\n", U(i), U(a));
            continue;
        }
        const uint32_t *ids;
        int n = fp_syms_resolve(syms, 0, gen, a, &ids);
        for (int k = 0; k < n; k++) {
            char fb[1024];
            const struct fp_frame *f = fp_syms_frame(syms, ids[k]);
            fprintf(out, "  #%llu 0x%llx %s%s\n", U(i), U(a), fp_fmt_frame(f, fb, sizeof(fb), 1),
                    f->inlined ? " (inlined)" : "");
        }
    }
}

static void print_event(FILE *out, const struct fp_record *rec, const struct fp_event *ev,
                        struct fp_syms *syms, uint32_t *unloads)
{
    const char *name = fp_record_name(rec->type);
    fprintf(out, "%s t=%llu tid=%u", name, U(rec->t), rec->tid);
    switch (rec->type) {
    case FP_REC_PROCESS: {
        const __typeof__(ev->u.process) *x = &ev->u.process;
        fprintf(out, " pid=%llu ppid=%llu flags=0x%llx t0_monotonic=%llu t0_realtime=%llu "
                "page_size=%llu depth_limit=%llu rusage_every=%llu exe=", U(x->pid), U(x->ppid),
                U(x->flags), U(x->t0_mono), U(x->t0_real), U(x->page_size), U(x->depth_limit),
                U(x->rusage_every));
        qstr(out, x->exe);
        fputs(" cmdline=", out);
        qstr(out, x->cmdline);
        fprintf(out, " sample_bytes=%llu", U(x->sample_bytes));
        break;
    }
    case FP_REC_BLOCK:
        fprintf(out, " block_tid=%llu seq=%llu t_base=%llu", U(ev->u.block.tid), U(ev->u.block.seq),
                U(ev->u.block.t_base));
        break;
    case FP_REC_MODULE:
        fprintf(out, " base=0x%llx start=0x%llx end=0x%llx build_id=", U(ev->u.module.base),
                U(ev->u.module.start), U(ev->u.module.end));
        hex(out, ev->u.module.build_id);
        fputs(" path=", out);
        qstr(out, ev->u.module.path);
        break;
    case FP_REC_MODULE_UNLOAD:
        fprintf(out, " base=0x%llx", U(ev->u.module_unload.base));
        ++*unloads;
        break;
    case FP_REC_STACK:
        fprintf(out, " id=%llu n=%llu\n", U(ev->u.stack.id), U(ev->u.stack.n));
        frames(out, syms, *unloads, ev);
        return;
    case FP_REC_THREAD_START:
        fprintf(out, " stack_lo=0x%llx stack_hi=0x%llx", U(ev->u.thread_start.stack_lo),
                U(ev->u.thread_start.stack_hi));
        break;
    case FP_REC_THREAD_END:
        fprintf(out, " minflt=%llu majflt=%llu utime_ns=%llu stime_ns=%llu name=",
                U(ev->u.thread_end.minflt), U(ev->u.thread_end.majflt),
                U(ev->u.thread_end.utime_ns), U(ev->u.thread_end.stime_ns));
        qstr(out, ev->u.thread_end.name);
        break;
    case FP_REC_RUSAGE:
        fprintf(out, " minflt=%llu majflt=%llu", U(ev->u.rusage.minflt), U(ev->u.rusage.majflt));
        break;
    case FP_REC_PROCESS_END: {
        const __typeof__(ev->u.process_end) *x = &ev->u.process_end;
        fprintf(out, " reason=%llu wall_ns=%llu utime_ns=%llu stime_ns=%llu maxrss_kb=%llu "
                "minflt=%llu majflt=%llu nvcsw=%llu nivcsw=%llu threads_total=%llu "
                "threads_peak=%llu c_utime_ns=%llu c_stime_ns=%llu c_maxrss_kb=%llu "
                "c_minflt=%llu c_majflt=%llu", U(x->reason), U(x->wall_ns), U(x->utime_ns),
                U(x->stime_ns), U(x->maxrss_kb), U(x->minflt), U(x->majflt), U(x->nvcsw),
                U(x->nivcsw), U(x->threads_total), U(x->threads_peak), U(x->c_utime_ns),
                U(x->c_stime_ns), U(x->c_maxrss_kb), U(x->c_minflt), U(x->c_majflt));
        fprintf(out, " dropped=%llu", U(x->dropped));
        break;
    }
    case FP_REC_FORK:
        fprintf(out, " child_pid=%llu", U(ev->u.fork.child_pid));
        break;
    case FP_REC_EXEC:
        fprintf(out, " err=%llu path=", U(ev->u.exec.err));
        qstr(out, ev->u.exec.path);
        break;
    case FP_REC_NOTE:
        fputs(" key=", out);
        qstr(out, ev->u.note.key);
        fputs(" value=", out);
        qstr(out, ev->u.note.value);
        break;
    case FP_REC_ALLOC: {
        const __typeof__(ev->u.alloc) *x = &ev->u.alloc;
        fprintf(out, " func=%s flags=0x%llx size=%llu addr=0x%llx stack=%llu align=%llu",
                fp_alloc_func_name(x->func), U(x->flags), U(x->size), U(x->addr), U(x->stack),
                U(x->align));
        break;
    }
    case FP_REC_FREE:
        fprintf(out, " flags=0x%llx addr=0x%llx", U(ev->u.free.flags), U(ev->u.free.addr));
        break;
    case FP_REC_REALLOC: {
        const __typeof__(ev->u.realloc) *x = &ev->u.realloc;
        fprintf(out, " func=%s flags=0x%llx old_addr=0x%llx size=%llu new_addr=0x%llx stack=%llu",
                fp_alloc_func_name(x->func), U(x->flags), U(x->old_addr), U(x->size),
                U(x->new_addr), U(x->stack));
        break;
    }
    case FP_REC_MMAP: {
        const __typeof__(ev->u.mmap) *x = &ev->u.mmap;
        fprintf(out, " addr=0x%llx length=%llu prot=0x%llx flags=0x%llx fd=%lld offset=%llu "
                "result=0x%llx err=%llu stack=%llu", U(x->addr), U(x->length), U(x->prot),
                U(x->flags), (long long)x->fd, U(x->offset), U(x->result), U(x->err), U(x->stack));
        break;
    }
    case FP_REC_MUNMAP:
        fprintf(out, " addr=0x%llx length=%llu err=%llu stack=%llu", U(ev->u.munmap.addr),
                U(ev->u.munmap.length), U(ev->u.munmap.err), U(ev->u.munmap.stack));
        break;
    case FP_REC_MREMAP: {
        const __typeof__(ev->u.mremap) *x = &ev->u.mremap;
        fprintf(out, " old_addr=0x%llx old_length=%llu new_length=%llu flags=0x%llx "
                "new_addr=0x%llx result=0x%llx err=%llu stack=%llu", U(x->old_addr),
                U(x->old_length), U(x->new_length), U(x->flags), U(x->new_addr), U(x->result),
                U(x->err), U(x->stack));
        break;
    }
    case FP_REC_BRK:
        fprintf(out, " func=%s arg=%s%llx old_break=0x%llx new_break=0x%llx err=%llu stack=%llu",
                ev->u.brk.func == FP_BRK_SBRK ? "sbrk" : "brk", ev->u.brk.arg < 0 ? "-0x" : "0x",
                U(ev->u.brk.arg < 0 ? -(uint64_t)ev->u.brk.arg : (uint64_t)ev->u.brk.arg),
                U(ev->u.brk.old_break), U(ev->u.brk.new_break), U(ev->u.brk.err),
                U(ev->u.brk.stack));
        break;
    case FP_REC_HEAP_BREAK:
        fprintf(out, " break=0x%llx", U(ev->u.heap_break.brk));
        break;
    case FP_REC_FAULT: {
        const __typeof__(ev->u.fault) *x = &ev->u.fault;
        fprintf(out, " kind=%s addr=0x%llx ip=0x%llx stack=%llu weight=%llu",
                x->kind == FP_FAULT_MAJOR ? "major" : x->kind == FP_FAULT_MINOR ? "minor" : "?",
                U(x->addr), U(x->ip), U(x->stack), U(x->weight));
        break;
    }
    case FP_REC_MAPS:
        fputs(" text=", out);
        qstr(out, ev->u.maps.text);
        break;
    case FP_REC_COUNTS:
        fprintf(out, " allocations=%llu bytes=%llu frees=%llu", U(ev->u.counts.allocs),
                U(ev->u.counts.bytes), U(ev->u.counts.frees));
        break;
    }
    putc('\n', out);
}

int fp_dump(FILE *out, const char *path, int order, int symbolize, char *err, size_t errlen)
{
    struct fp_model *m = NULL;
    struct fp_syms *syms = NULL;
    struct fp_reader *r = NULL;
    int rc = -1;
    if (symbolize) {
        /* a first pass collects the modules the stacks refer to */
        m = fp_model_new();
        if (!m) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        m->warn = NULL;
        if (fp_model_read_file(m, path, err, errlen) < 0)
            goto out;
        syms = fp_syms_new(m, stderr, 1);
    }
    if (fp_reader_open(&r, path, order ? FP_ORDER_FILE : FP_ORDER_TIME, err, errlen) < 0)
        goto out;
    fprintf(out, "# faultprof dump %s version %u.%u members %zu order %s\n", path,
            FP_VERSION_MAJOR, fp_reader_version_minor(r), fp_reader_members(r),
            order ? "file" : "time");
    const struct fp_record *rec;
    static struct fp_event ev;
    int k;
    uint32_t unloads = 0;
    while ((k = fp_reader_next(r, &rec)) > 0) {
        int d = fp_event_decode(rec, &ev);
        if (d < 0) {
            snprintf(err, errlen, "corrupt: %s record too short (member at byte %llu)",
                     fp_record_name(rec->type), U(rec->member_off));
            goto out;
        }
        if (d == 0) {
            fprintf(out, "UNKNOWN t=%llu tid=%u type=0x%02x len=%zu\n", U(rec->t), rec->tid,
                    rec->type, (size_t)(rec->end - rec->p));
            continue;
        }
        print_event(out, rec, &ev, syms, &unloads);
    }
    if (k < 0) {
        snprintf(err, errlen, "%s", fp_reader_error(r));
        goto out;
    }
    uint64_t at, last;
    if (fp_reader_truncation(r, &at, &last))
        fprintf(stderr, "faultprof-report: warning: %s: truncated at byte %llu (last complete "
                "member ends at %llu); events after that are lost\n", path, U(at), U(last));
    rc = 0;
out:
    fp_reader_close(r);
    fp_syms_free(syms);
    fp_model_free(m);
    return rc;
}
