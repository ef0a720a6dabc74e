/* dump: --dump prints every record of a trace, one per line, with its fields
 * by name ("ALLOC t=... tid=... size=64 ..."), and each STACK's frames
 * symbolized on the lines after it.  The format is stable: tests grep it. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "event.h"
#include "reader.h"
#include "faultprof/records.h"

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
static void frames(FILE *out, struct fp_syms *syms, uint32_t gen, const struct fp_u64s *fr)
{
    for (uint64_t i = 0; i < fr->n; i++) {
        uint64_t a = fr->v[i];
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

/* ---- one printer per "show" of records.h; rec is the whole record, for
 * the field whose meaning depends on another (BRK's arg) */
static void show_DEC(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=%llu", k, U(v));
}
static void show_HEX(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=0x%llx", k, U(v));
}
static void show_SDEC(FILE *out, const char *k, int64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=%lld", k, (long long)v);
}
static void show_QSTR(FILE *out, const char *k, struct fp_str v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=", k);
    qstr(out, v);
}
static void show_BYTES(FILE *out, const char *k, struct fp_str v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=", k);
    hex(out, v);
}
static void show_NFRAMES(FILE *out, const char *k, struct fp_u64s v, const void *rec)
{
    (void)k, (void)rec;
    fprintf(out, " n=%llu", U(v.n));   /* the frames follow, a line each */
}
static void show_FUNC(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=%s", k, fp_alloc_func_name(v));
}
static void show_FKIND(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=%s", k, v == FP_FAULT_MAJOR ? "major" : v == FP_FAULT_MINOR ? "minor" : "?");
}
static void show_BRKFN(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)rec;
    fprintf(out, " %s=%s", k, v == FP_BRK_SBRK ? "sbrk" : "brk");
}
static void show_BRKARG(FILE *out, const char *k, uint64_t v, const void *rec)
{
    (void)v;
    int64_t a = fp_brk_arg(rec);
    fprintf(out, " %s=%s%llx", k, a < 0 ? "-0x" : "0x", U(a < 0 ? -(uint64_t)a : (uint64_t)a));
}

static void print_event(FILE *out, const struct fp_record *rec, const struct fp_event *ev,
                        struct fp_syms *syms, uint32_t *unloads)
{
    fprintf(out, "%s t=%llu tid=%u", fp_record_name(rec->type), U(rec->t), rec->tid);
    switch (rec->type) {
#define FP_SHOW(c, f, enc, show, since) show_##show(out, #f, x->f, x);
#define FP_X(NAME, name, code, timed)                       \
    case FP_REC_##NAME: {                                   \
        const struct fp_rec_##name *x = &ev->u.name;        \
        (void)x;                                            \
        FP_FIELDS_##name(FP_SHOW, name)                     \
        break;                                              \
    }
    FP_RECORD_LIST(FP_X)
#undef FP_X
    }
    /* a short form, then the full one it stands for */
    if (fp_record_short_alloc(rec->type)) {
        const struct fp_rec_alloc *x = &rec->x.alloc;
        fputs(" =", out);
        FP_FIELDS_alloc(FP_SHOW, alloc)
        if (rec->freed_next)
            fputs(" freed", out);
    } else if (rec->type == FP_REC_FREE_SHORT || rec->type == FP_REC_FREE_BACK) {
        const struct fp_rec_free *x = &rec->x.free;
        fputs(" =", out);
        FP_FIELDS_free(FP_SHOW, free)
    }
#undef FP_SHOW
    putc('\n', out);
    if (rec->type == FP_REC_STACK)
        frames(out, syms, *unloads, &ev->u.stack.frames);
    else if (rec->type == FP_REC_MODULE_UNLOAD)
        ++*unloads;
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
            fp_reader_version_major(r), fp_reader_version_minor(r), fp_reader_members(r),
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
