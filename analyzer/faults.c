/* faults: the page-fault figures of a report, computed from the model.
 * Fault sources are the fault stacks (faulting function, then its callers)
 * ranked by estimated faults (samples x weight); faults by memory are the
 * allocation sites whose blocks the sampled addresses fell in, then the
 * regions for the rest.  report.c puts them in the report model; the
 * printers print them. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

void fp_fault_info_compute(const struct fp_model *m, const struct fp_summary *s,
                           struct fp_fault_info *fi)
{
    memset(fi, 0, sizeof(*fi));
    fi->exact_minor = s->minor_faults;
    fi->exact_major = s->major_faults;
    int any_perf = 0;
    for (uint32_t i = 0; i < m->nprocs; i++) {
        const struct fp_proc *p = &m->procs[i];
        fi->samples += p->fault_samples;
        fi->unrecorded += p->fault_unrecorded;
        fi->late += p->fault_late;
        fi->est_minor += p->fault_minor_w;
        fi->est_major += p->fault_major_w;
        if (p->fault_samples || p->fault_mode == FP_FAULTS_PERF)
            any_perf = 1;
        if (p->fault_period && !fi->period)
            fi->period = p->fault_period;
        if (p->fault_error && !fi->error)
            fi->error = p->fault_error;
        for (int r = 0; r < FP_REGION_COUNT; r++) {
            fi->region_minor[r] += p->region_minor[r];
            fi->region_major[r] += p->region_major[r];
            fi->region_samples[r] += p->region_samples[r];
        }
    }
    fi->mode = any_perf ? FP_FAULTS_PERF : FP_FAULTS_RUSAGE;
}

const char *fp_fault_mode_text(const struct fp_fault_info *fi, char *buf, size_t n)
{
    if (fi->mode == FP_FAULTS_PERF) {
        int k = snprintf(buf, n, "sampled with perf events");
        if (fi->period && k >= 0 && (size_t)k < n)
            snprintf(buf + k, n - (size_t)k, ", period %llu", (unsigned long long)fi->period);
    } else {
        snprintf(buf, n, "counted with getrusage only: %s",
                 fi->error ? fi->error : "no FAULT records in the trace (perf events unavailable "
                 "or the recorder predates sampling)");
    }
    return buf;
}

int fp_metric_is_fault(int metric)
{
    return metric == FP_METRIC_FAULTS || metric == FP_METRIC_MINOR_FAULTS ||
           metric == FP_METRIC_MAJOR_FAULTS;
}

/* Besides the allocator's entry points, a fault source folds glibc malloc's
 * internals and the string functions: a fault in memset or in sysmalloc's
 * write of the top chunk's header is its caller's. */
static const char *const fault_patterns[] = {
    "_int_malloc", "_int_free", "_int_realloc", "_int_memalign", "sysmalloc", "systrim",
    "malloc_consolidate", "tcache_*", "__GI___libc_*", "__libc_calloc", "*_libc_malloc",
    "__mem*_avx*", "__mem*_sse*", "__mem*_evex*", "__mem*_erms", "memset", "memcpy", "memmove",
    "__memset*", "__memcpy*", "__memmove*", "__GI_mem*",
};

int fp_fault_sources_build(struct fp_sites *out, const struct fp_model *m, struct fp_syms *syms,
                           const struct fp_opts *o)
{
    struct fp_filter f = { 0 };
    if (o->filter && o->filter->enabled) {
        f.enabled = 1;
        for (size_t i = 0; i < o->filter->n; i++)
            if (fp_filter_add(&f, o->filter->patterns[i]) < 0)
                goto oom;
        for (size_t i = 0; i < sizeof(fault_patterns) / sizeof(fault_patterns[0]); i++)
            if (fp_filter_add(&f, fault_patterns[i]) < 0)
                goto oom;
    }
    if (fp_sites_build_fault_stacks(out, m, syms, &f, o->by) < 0)
        goto oom;
    fp_filter_free(&f);
    fp_sites_sort(out, FP_METRIC_FAULTS);
    return 0;
oom:
    fp_filter_free(&f);
    return -1;
}

int64_t fp_fault_top_toucher(const struct fp_model *m, const struct fp_sites *alloc,
                             const struct fp_sites *faults, uint32_t a, double *share)
{
    *share = 0;
    if (!m->fault_pairs.s || !faults->n)
        return -1;
    uint64_t *tally = calloc(faults->n, sizeof(*tally));
    if (!tally)
        return -1;
    uint64_t total = 0;
    for (size_t i = 0; i <= m->fault_pairs.mask; i++) {
        const struct hmap_slot *sl = &m->fault_pairs.s[i];
        if (!sl->key)
            continue;
        uint32_t as = (uint32_t)(sl->key >> 32) - 1, fs = (uint32_t)sl->key - 1;
        if (fp_sites_of_raw(alloc, as) != (int64_t)a)
            continue;
        int64_t f = fp_sites_of_raw(faults, fs);
        if (f < 0)
            continue;
        tally[f] += sl->val;
        total += sl->val;
    }
    int64_t best = -1;
    for (uint32_t i = 0; i < faults->n; i++)
        if (tally[i] && (best < 0 || tally[i] > tally[best]))
            best = i;
    if (best >= 0)
        *share = (double)tally[best] / (double)total;
    free(tally);
    return best;
}

const char *fp_site_name(const struct fp_sites *s, int64_t i, char *buf, size_t n)
{
    if (i < 0 || (uint64_t)i >= s->n) {
        snprintf(buf, n, "?");
        return buf;
    }
    const struct fp_site *st = &s->v[i];
    if (!st->nframes) {
        snprintf(buf, n, "[no stack]");
        return buf;
    }
    return fp_fmt_frame(fp_syms_frame(s->syms, fp_site_frames(s, st)[0]), buf, n, 0);
}
