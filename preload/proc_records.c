/* The records about the thread's or the process's state rather than one
 * call: RUSAGE (fault counters), HEAP_BREAK (the program break moved),
 * NOTE, and PROCESS_END with the totals /usr/bin/time -v shows. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "fp.h"

static _Atomic uintptr_t last_break;
extern void *__curbrk;   /* glibc's record of the program break */

void fp_break_forget(void)
{
    atomic_store(&last_break, 0);
}

static void write_rusage(struct fp_thread *t, uint64_t now, uint64_t minflt, uint64_t majflt)
{
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_RUSAGE, 2 * FP_VARINT_MAX, now);
    fp_rec_u(&r, minflt);
    fp_rec_u(&r, majflt);
    fp_rec_end(&r);
    t->minflt = minflt;
    t->majflt = majflt;
}

/* Every rusage_every calls (or when forced): the thread's fault counters,
 * as a RUSAGE record when they changed. */
void fp_write_rusage(struct fp_thread *t, uint64_t now, bool force)
{
    if (!force) {
        if (fp_config.rusage_every == 0 || ++t->calls < fp_config.rusage_every)
            return;
    }
    t->calls = 0;
    struct rusage ru;
    int e = errno;
    if (getrusage(RUSAGE_THREAD, &ru) == 0 &&
        ((uint64_t)ru.ru_minflt != t->minflt || (uint64_t)ru.ru_majflt != t->majflt))
        write_rusage(t, now, (uint64_t)ru.ru_minflt, (uint64_t)ru.ru_majflt);
    errno = e;
}

/* A HEAP_BREAK record when the program break moved since the last one. */
void fp_write_break(struct fp_thread *t, uint64_t now)
{
    uintptr_t b = (uintptr_t)__curbrk;
    if (FP_LIKELY(b == atomic_load_explicit(&last_break, memory_order_relaxed)))
        return;
    atomic_store_explicit(&last_break, b, memory_order_relaxed);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_HEAP_BREAK, FP_VARINT_MAX, now);
    fp_rec_u(&r, b);
    fp_rec_end(&r);
}

void fp_write_note(struct fp_thread *t, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_NOTE, 2 * FP_VARINT_MAX + kl + vl, fp_now_ns());
    fp_rec_str(&r, key, kl);
    fp_rec_str(&r, value, vl);
    fp_rec_end(&r);
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* The figures /usr/bin/time -v shows, as a PROCESS_END record. */
void fp_write_process_end(struct fp_thread *t, int reason)
{
    uint64_t now = fp_now_ns();
    fp_write_rusage(t, now, true);
    fp_write_counts(t, now);
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct fp_rec r;
    fp_rec_begin_timed(&r, t, FP_REC_PROCESS_END, 20 * FP_VARINT_MAX, now);
    fp_rec_u(&r, (uint64_t)reason);
    fp_rec_u(&r, now - fp_t0);
    fp_rec_u(&r, tv_ns(self.ru_utime));
    fp_rec_u(&r, tv_ns(self.ru_stime));
    fp_rec_u(&r, (uint64_t)self.ru_maxrss);
    fp_rec_u(&r, (uint64_t)self.ru_minflt);
    fp_rec_u(&r, (uint64_t)self.ru_majflt);
    fp_rec_u(&r, (uint64_t)self.ru_nvcsw);
    fp_rec_u(&r, (uint64_t)self.ru_nivcsw);
    fp_rec_u(&r, fp_threads_total());
    fp_rec_u(&r, fp_threads_peak());
    fp_rec_u(&r, tv_ns(kids.ru_utime));
    fp_rec_u(&r, tv_ns(kids.ru_stime));
    fp_rec_u(&r, (uint64_t)kids.ru_maxrss);
    fp_rec_u(&r, (uint64_t)kids.ru_minflt);
    fp_rec_u(&r, (uint64_t)kids.ru_majflt);
    fp_rec_u(&r, atomic_load(&fp_dropped));
    fp_rec_end(&r);
    uint64_t lost = fp_faults_unrecorded();
    if (lost) {
        char num[24];
        snprintf(num, sizeof(num), "%llu", (unsigned long long)lost);
        fp_write_note(t, "fault_samples_unrecorded", num);
    }
}
