/* The records about the thread's or the process's state rather than one
 * call: RUSAGE (fault counters), HEAP_BREAK (the program break moved),
 * NOTE, and PROCESS_END with the totals /usr/bin/time -v shows. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "fp.h"

_Atomic uintptr_t fp_last_break;

void fp_break_forget(void)
{
    atomic_store(&fp_last_break, 0);
}

static void write_rusage(struct fp_thread *t, uint64_t now, uint64_t minflt, uint64_t majflt)
{
    struct fp_rec_rusage x = { .minflt = minflt, .majflt = majflt };
    fp_put_rusage(t, &x, now);
    t->minflt = minflt;
    t->majflt = majflt;
}

/* fp_write_rusage's call (fp.h) came: getrusage, and RUSAGE when the
 * counts changed. */
void fp_rusage_read(struct fp_thread *t, uint64_t now, bool force)
{
    /* with samples taking the faults, the counts only feed the timeline:
     * once a millisecond is enough (getrusage costs ~1 us) */
    if (!force && fp_faults_sampling() && now - t->rusage_ns < 1000000u) {
        t->calls = 0;
        return;
    }
    t->calls = 0;
    t->rusage_ns = now;
    if (FP_UNLIKELY(atomic_load_explicit(&fp_marker_owed, memory_order_relaxed)) && !force)
        fp_control_owed(t);
    struct rusage ru;
    int e = errno;
    if (getrusage(RUSAGE_THREAD, &ru) == 0 &&
        ((uint64_t)ru.ru_minflt != t->minflt || (uint64_t)ru.ru_majflt != t->majflt))
        write_rusage(t, fp_now_ns(), (uint64_t)ru.ru_minflt, (uint64_t)ru.ru_majflt);
    errno = e;
}

/* fp_write_break (fp.h) saw the break at brk */
void fp_break_moved(struct fp_thread *t, uintptr_t brk)
{
    atomic_store_explicit(&fp_last_break, brk, memory_order_relaxed);
    struct fp_rec_heap_break x = { .brk = brk };
    fp_put_heap_break(t, &x, fp_now_ns());
}

void fp_write_note(struct fp_thread *t, const char *key, const char *value)
{
    struct fp_rec_note x = {
        .key = { key, (uint32_t)strlen(key) }, .value = { value, (uint32_t)strlen(value) },
    };
    fp_put_note(t, &x, fp_now_ns());
}

/* The figures /usr/bin/time -v shows, as a PROCESS_END record. */
void fp_write_process_end(struct fp_thread *t, int reason)
{
    uint64_t now = fp_now_ns();
    fp_write_rusage(t, now, true);
    fp_write_counts(t, now);
    fp_write_stack_note(t);
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct fp_rec_process_end x = {
        .reason = (uint64_t)reason, .wall_ns = now - fp_t0,
        .utime_ns = fp_tv_ns(self.ru_utime), .stime_ns = fp_tv_ns(self.ru_stime),
        .maxrss_kb = (uint64_t)self.ru_maxrss, .minflt = (uint64_t)self.ru_minflt,
        .majflt = (uint64_t)self.ru_majflt, .nvcsw = (uint64_t)self.ru_nvcsw,
        .nivcsw = (uint64_t)self.ru_nivcsw,
        .threads_total = fp_threads_total(), .threads_peak = fp_threads_peak(),
        .c_utime_ns = fp_tv_ns(kids.ru_utime), .c_stime_ns = fp_tv_ns(kids.ru_stime),
        .c_maxrss_kb = (uint64_t)kids.ru_maxrss, .c_minflt = (uint64_t)kids.ru_minflt,
        .c_majflt = (uint64_t)kids.ru_majflt, .dropped = atomic_load(&fp_dropped),
    };
    fp_put_process_end(t, &x, now);
    uint64_t lost = fp_faults_unrecorded();
    if (lost) {
        char num[24];
        snprintf(num, sizeof(num), "%llu", (unsigned long long)lost);
        fp_write_note(t, "fault_samples_unrecorded", num);
    }
}
