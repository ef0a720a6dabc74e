/* The recorder's own writing path, linked directly (preload/record.c,
 * trace_file.c, compress.c, os.c and what they need; no hooks): every
 * record type written with edge values through the generated fp_put_*
 * writers into a thread buffer small enough to flush many times, a MAPS
 * record bigger than the buffer as a member of its own, the first member
 * from fp_trace_write_first; then the file read back with the analyzer's
 * reader field by field.  A second test has two threads writing as hooks
 * do while a third closes the fork gate and flushes their buffers, as exit
 * and exec do: every record arrives once, in each thread's order.  `make check-tsan` runs it under
 * ThreadSanitizer, `make check-asan` under ASan and UBSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fp.h"
#if FP_HAVE_TSC
#include <cpuid.h>
#endif
#include "rt_table.h"
#include "event.h"
#include "reader.h"

/* what init.c defines in the library */
bool fp_is_fork_child;
uint64_t fp_t0;
pid_t fp_pid;
/* and inject.c */
bool fp_attached;

#define BUF_BYTES (16 * 1024)   /* the smallest FAULTPROF_BUFFER_KB */

static char trace_path[256];

static void start_trace(const char *name)
{
    static char tmpl[256];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpl, sizeof(tmpl), "%s/fp-recorder-%s.%%p.gz", dir, name);
    snprintf(trace_path, sizeof(trace_path), "%s/fp-recorder-%s.%d.gz", dir, name, (int)getpid());
    fp_config.output = tmpl;
    fp_pid = getpid();
    fp_t0 = fp_now_ns();
    unlink(trace_path);
    assert_int_equal(fp_trace_open(false), 0);
    fp_trace_write_first();
}

static struct fp_thread *new_thread(uint32_t tid)
{
    struct fp_thread *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->data = fp_os_map(BUF_BYTES);
    assert_non_null(t->data);
    t->cap = BUF_BYTES;
    t->tid = tid;
    t->t_first = UINT64_MAX;
    t->pool = calloc(1, sizeof(*t->pool));
    assert_non_null(t->pool);
    fp_sites_reset(t);
    assert_non_null(t->sites);
    return t;
}

/* the trace just written, opened for reading */
static struct fp_reader *read_back(enum fp_order order)
{
    struct fp_reader *r;
    char err[256];
    if (fp_reader_open(&r, trace_path, order, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    return r;
}

static void free_thread(struct fp_thread *t)
{
    fp_os_unmap(t->data, BUF_BYTES);
    fp_pool_reset(t->pool);
    free(t->pool);
    free(t);
}

/* writes x, a record of type rt, through the library's writer for it */
static void put(struct fp_thread *t, const struct rtype *rt, const union fp_any *x, uint64_t now)
{
    if (rt->code == FP_REC_MAPS) {
        fp_put_maps_member(t, &x->maps, now);
        return;
    }
    switch (rt->code) {
#define FP_X(NAME, name, code, timed) \
    case code: fp_put_##name(t, &x->name, now); break;
    FP_RECORD_LIST(FP_X)
#undef FP_X
    }
}

static void test_every_type_through_the_writers(void **state)
{
    (void)state;
    /* records in a buffer are bounded by what the hooks write (paths of
     * PATH_MAX); MAPS alone may be bigger than the buffer */
    static union fp_any want[NTYPES][VARIANTS];
    start_trace("types");
    struct fp_thread *t = new_thread(4242);
    uint64_t step = 1000, now = fp_t0;
    for (int round = 0; round < 40; round++) {        /* many flushes */
        for (size_t i = 0; i < NTYPES; i++) {
            if (types[i].code == FP_REC_BLOCK || rt_in_context(types[i].code))
                continue;         /* each member's own; test_short_writers */
            rt_init(types[i].code == FP_REC_MAPS ? SIZE_MAX : 4096);
            for (int v = 0; v < VARIANTS; v++) {
                types[i].fill(&want[i][v], v);
                put(t, &types[i], &want[i][v], now += step);
            }
        }
    }
    fp_thread_flush(t);
    fp_trace_close();

    struct fp_reader *r = read_back(FP_ORDER_FILE);
    const struct fp_record *rec;
    static struct fp_event ev;
    size_t seen[NTYPES] = { 0 }, blocks = 0;
    uint64_t t_want = 0;
    int first = 1;
    while (fp_reader_next(r, &rec) > 0) {
        if (first) {                 /* fp_trace_write_first's PROCESS */
            first = 0;
            assert_int_equal(rec->type, FP_REC_PROCESS);
            assert_int_equal(fp_event_decode(rec, &ev), 1);
            assert_int_equal(ev.u.process.pid, (uint64_t)getpid());
            continue;
        }
        if (rec->type == FP_REC_BLOCK) {
            assert_int_equal(fp_event_decode(rec, &ev), 1);
            assert_int_equal(ev.u.block.block_tid, 4242);
            assert_int_equal(ev.u.block.seq, blocks);
            blocks++;
            continue;
        }
        size_t i = 0;
        while (i < NTYPES && types[i].code != rec->type)
            i++;
        assert_true(i < NTYPES);
        size_t v = seen[i]++ % VARIANTS;
        assert_int_equal(fp_event_decode(rec, &ev), 1);
        rt_init(types[i].code == FP_REC_MAPS ? SIZE_MAX : 4096);
        types[i].fill(&want[i][v], (int)v);
        if (!types[i].same(&want[i][v], (const union fp_any *)&ev.u))
            fail_msg("%s variant %zu: read back differs", types[i].name, v);
        t_want += step;
        if (types[i].timed)
            assert_int_equal(rec->t, t_want);
    }
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].code != FP_REC_BLOCK && !rt_in_context(types[i].code) &&
            seen[i] != 40 * VARIANTS)
            fail_msg("%s: %zu of %d records read back", types[i].name, seen[i], 40 * VARIANTS);
    assert_true(blocks > 40);        /* the buffer was flushed many times */
    assert_int_equal(fp_reader_truncation(r, NULL, NULL), 0);
    fp_reader_close(r);
    free_thread(t);
    unlink(trace_path);
}

/* The writers the hooks use, fp_put_alloc_event and fp_put_free_event:
 * across many members and with the clock moving in steps and jumps, every
 * allocation and free reads back in order with its fields, whichever form
 * it took (SITE + ALLOC_SHORT, ALLOC_REUSE at an address freed a moment
 * before, FREE_BACK for a recent block, FREE_SHORT for an old or unknown
 * one, the full forms for flags the short ones lack),
 * and each time is at most one clock step before the moment written. */
#define SHORT_EVENTS 200000
struct ev_want { int is_free; struct fp_rec_alloc a; uint64_t now; };

static void test_short_writers(void **state)
{
    (void)state;
    static struct ev_want want[SHORT_EVENTS];
    static uint64_t live[64], live_size[64];
    static struct ev_want freed[16];
    size_t nfreed = 0;
    start_trace("short");
    struct fp_thread *t = new_thread(4343);
    uint64_t now = fp_t0, rng = 88172645463325252ull;
    size_t n = 0;
    unsigned forms[256] = { 0 }, packed[256] = { 0 };
    for (uint64_t k = 0; n < SHORT_EVENTS; k++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        now += (rng % 1000 == 0) ? 7 * FP_CLOCK_STEP_NS + 123 : rng % 3000;
        unsigned slot = (unsigned)(rng >> 20) % 64;
        if (live[slot] && (rng & 1)) {
            /* free a block of the slot, or now and then one never seen */
            uint64_t addr = (rng % 97 == 0) ? 0x5000000000ull + (rng & 0xfff0) : live[slot];
            uint64_t flags = (rng % 101 == 0) ? FP_ALLOC_MMAPPED : 0;
            fp_put_free_event(t, &(struct fp_rec_free){ .flags = flags, .addr = addr }, now);
            want[n++] = (struct ev_want){ 1, { .flags = flags, .addr = addr }, now };
            if (addr == live[slot]) {
                freed[nfreed++ % 16] = (struct ev_want){ 1, { .size = live_size[slot], .addr = addr }, now };
                live[slot] = 0;
            }
            continue;
        }
        struct fp_rec_alloc a = {
            .func = (rng % 7 == 0) ? FP_FUNC_CALLOC : FP_FUNC_MALLOC,
            .flags = (rng % 53 == 0) ? FP_ALLOC_SAMPLED : 0,
            .size = (rng >> 8) % 70000, .addr = 0x7f0000000000ull + ((k * 48 + (rng & 0xff0)) & ~0xfull),
            .stack = 1 + (rng >> 33) % 300, .align = (rng % 211 == 0) ? 64 : 0,
        };
        if (nfreed && rng % 3 == 0) {
            /* as allocators do: a block freed a moment ago again, of its
             * size (its free list: ALLOC_REUSE), or of another */
            struct ev_want *f = &freed[(rng >> 40) % (nfreed < 16 ? nfreed : 16)];
            a.addr = f->a.addr;
            if (rng % 4 != 0)
                a.size = f->a.size + (rng >> 50) % 8;
        }
        if (rng % 401 == 0)
            a.func = 0x12345;           /* too wide for a SITE slot: the full ALLOC */
        fp_put_alloc_event(t, &a, now);
        want[n++] = (struct ev_want){ 0, a, now };
        if (rng % 5 == 0 && n < SHORT_EVENTS) {
            /* a temporary: freed before anything else (a _FREED form, or
             * FREE_BACK 1 when the clock moved a step in between) */
            now += (rng >> 24) % 400;
            fp_put_free_event(t, &(struct fp_rec_free){ .addr = a.addr }, now);
            want[n++] = (struct ev_want){ 1, { .addr = a.addr }, now };
            freed[nfreed++ % 16] = (struct ev_want){ 1, { .size = a.size, .addr = a.addr }, now };
            continue;
        }
        if (!live[slot]) {
            live[slot] = a.addr;
            live_size[slot] = a.size;
        }
    }
    fp_thread_flush(t);
    fp_trace_close();

    struct fp_reader *r = read_back(FP_ORDER_FILE);
    const struct fp_record *rec;
    size_t got = 0;
    int k;
    while ((k = fp_reader_next(r, &rec)) > 0) {
        forms[rec->type]++;
        packed[rec->type] += (unsigned)rec->packed;
        struct fp_rec_alloc a;
        struct fp_rec_free f;
        int is_free;
        switch (rec->type) {
        case FP_REC_ALLOC_SHORT: case FP_REC_ALLOC_REUSE:
        case FP_REC_ALLOC_SHORT_FREED: case FP_REC_ALLOC_REUSE_FREED:
            a = rec->x.alloc; is_free = 0; break;
        case FP_REC_ALLOC: assert_int_equal(fp_dec_alloc(rec->p, rec->end, &a), 0); is_free = 0; break;
        case FP_REC_FREE_SHORT: case FP_REC_FREE_BACK: f = rec->x.free; is_free = 1; break;
        case FP_REC_FREE: assert_int_equal(fp_dec_free(rec->p, rec->end, &f), 0); is_free = 1; break;
        default: continue;
        }
        assert_true(got < n);
        const struct ev_want *w = &want[got++];
        assert_int_equal(is_free, w->is_free);
        if (is_free) {
            assert_int_equal(f.addr, w->a.addr);
            assert_int_equal(f.flags, w->a.flags);
        } else if (memcmp(&a, &w->a, sizeof(a)) != 0) {
            fail_msg("allocation %zu read back differs (size %llu want %llu)", got - 1,
                     (unsigned long long)a.size, (unsigned long long)w->a.size);
        }
        uint64_t at = w->now - fp_t0;
        if (rec->t > at || at - rec->t >= FP_CLOCK_STEP_NS)
            fail_msg("event %zu at %llu ns read as %llu", got - 1, (unsigned long long)at,
                     (unsigned long long)rec->t);
        if (!is_free && rec->freed_next) {      /* a _FREED form: the free came next */
            assert_true(got < n);
            w = &want[got++];
            if (!(w->is_free && w->a.addr == a.addr && w->a.flags == 0))
                fail_msg("event %zu: a %s freed at once, but next is %s %#llx flags %llu", got - 2,
                         fp_record_name(rec->type), w->is_free ? "a free of" : "an allocation at",
                         (unsigned long long)w->a.addr, (unsigned long long)w->a.flags);
            at = w->now - fp_t0;
            if (rec->t > at || at - rec->t >= FP_CLOCK_STEP_NS)
                fail_msg("free %zu at %llu ns read as %llu", got - 1, (unsigned long long)at,
                         (unsigned long long)rec->t);
        }
    }
    if (k < 0)
        fail_msg("%s", fp_reader_error(r));
    assert_int_equal(got, n);
    /* every form was taken, and the short ones were most */
    assert_true(forms[FP_REC_SITE] > 0 && forms[FP_REC_TIME] > 0 && forms[FP_REC_ALLOC] > 0 &&
                forms[FP_REC_FREE] > 0 && forms[FP_REC_FREE_SHORT] > 0);
    assert_true(forms[FP_REC_FREE_BACK] > forms[FP_REC_FREE_SHORT]);
    assert_true(forms[FP_REC_ALLOC_SHORT] > 100 * forms[FP_REC_ALLOC]);
    assert_true(forms[FP_REC_ALLOC_REUSE] > 1000);
    assert_true(forms[FP_REC_ALLOC_SHORT_FREED] > 1000 && forms[FP_REC_ALLOC_REUSE_FREED] > 100);
    assert_true(forms[FP_REC_BLOCK] > 20);
    /* 4.0: every reuse packed (the lists are shorter than the type byte's
     * room); a FREE_BACK packed unless it reaches back past 128 */
    assert_int_equal(packed[FP_REC_ALLOC_REUSE], forms[FP_REC_ALLOC_REUSE]);
    assert_int_equal(packed[FP_REC_ALLOC_REUSE_FREED], forms[FP_REC_ALLOC_REUSE_FREED]);
    assert_true(packed[FP_REC_FREE_BACK] > forms[FP_REC_FREE_BACK] / 2);
    assert_true(packed[FP_REC_FREE_BACK] < forms[FP_REC_FREE_BACK]);
    assert_int_equal(packed[FP_REC_ALLOC_SHORT] + packed[FP_REC_FREE_SHORT], 0);
    fp_reader_close(r);
    free_thread(t);
    unlink(trace_path);
}

/* ---- two writers and a flusher, with the library's protocol: the
 * writers enter and leave the recorder as a hook does (fp_enter, fp_leave)
 * and the flusher closes the fork gate around flushing, as exit and exec
 * do (fp_process_end) */
#define PER_THREAD 20000
#define CLOSINGS   300

_Atomic int fp_state;                                 /* init.c's */
struct fp_thread *fp_enter_slow(void) { return NULL; } /* threads.c's: a
                                        thread not registered passes through */
void fp_stacks_reset(struct fp_thread *t) { (void)t; } /* stack.c's: only a
                                        fork child calls it */

static void *write_allocs(void *arg)
{
    struct fp_thread *self = arg;
    fp_self = self;
    for (uint64_t k = 0; k < PER_THREAD; k++) {
        struct fp_thread *t = fp_enter();
        if (!t)
            continue;        /* gave up waiting at the gate: counted as dropped */
        struct fp_rec_alloc x = { .func = FP_FUNC_MALLOC, .size = k + 1, .addr = k * 16 };
        fp_put_alloc_event(t, &x, fp_now_ns());
        fp_leave(t);
    }
    fp_thread_flush(self);
    return NULL;
}

static void test_flush_at_the_gate(void **state)
{
    (void)state;
    start_trace("threads");
    struct fp_thread *w[2] = { new_thread(1001), new_thread(1002) };
    w[0]->next = w[1];
    fp_threads_all = w[0];
    atomic_store(&fp_state, FP_READY);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, write_allocs, w[i]), 0);
    for (int k = 0; k < CLOSINGS; k++) {
        if (fp_fork_gate_close(NULL))
            fp_flush_all();
        fp_fork_gate_open();
        usleep(50);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    fp_trace_close();
    atomic_store(&fp_state, FP_UNINIT);
    fp_threads_all = NULL;

    struct fp_reader *r = read_back(FP_ORDER_TIME);
    const struct fp_record *rec;
    uint64_t last[2] = { 0, 0 }, got[2] = { 0, 0 };
    while (fp_reader_next(r, &rec) > 0) {
        if (rec->type != FP_REC_ALLOC_SHORT)
            continue;
        assert_true(rec->tid == 1001 || rec->tid == 1002);
        int i = rec->tid == 1002;
        struct fp_rec_alloc x = rec->x.alloc;
        if (x.size <= last[i])      /* once each, in the thread's order */
            fail_msg("thread %u: record %llu after %llu", rec->tid,
                     (unsigned long long)x.size, (unsigned long long)last[i]);
        last[i] = x.size;
        got[i]++;
    }
    fp_reader_close(r);
    uint64_t dropped = atomic_load(&fp_dropped);
    assert_int_equal(got[0] + got[1] + dropped, 2 * PER_THREAD);
    assert_true(dropped < PER_THREAD / 100);
    free_thread(w[0]);
    free_thread(w[1]);
    unlink(trace_path);
}

/* Whether the TSC can time events here, as the machine says: the kernel's
 * clock is the TSC, or a hypervisor's clock made from it (kvm-clock,
 * Hyper-V's TSC page) and CPUID says the TSC is invariant (leaf
 * 0x80000007, EDX bit 8). */
static bool tsc_for_events(void)
{
#if FP_HAVE_TSC
    char cs[64] = "";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f) {
        if (!fgets(cs, sizeof(cs), f))
            cs[0] = 0;
        fclose(f);
    }
    if (!strcmp(cs, "tsc\n"))
        return true;
    unsigned a, b, c, d;
    return (!strcmp(cs, "kvm-clock\n") || !strcmp(cs, "hyperv_clocksource_tsc_page\n")) &&
           __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
#else
    return false;
#endif
}

/* fp_now_event: the hooks' time, from the TSC's deadline for the thread's
 * next step where the clock is the TSC's, or where the CPU's TSC is
 * invariant and only tells when to read the kernel's clock (kvm-clock).
 * Over 300 ms of events, sleeps and spins (past both calibrations), every
 * time it gives is at most a step before the moment of the call and never
 * after it; and with the TSC most of them come without reading the clock. */
static void test_event_clock(void **state)
{
    (void)state;
    start_trace("clock");
    fp_clock_init();
    struct fp_thread *t = new_thread(5151);
    uint64_t rng = 0x9e3779b97f4a7c15ull, quiet = 0, n = 0, end = fp_now_ns() + 300000000u;
    while (fp_now_ns() < end) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        uint64_t before = fp_now_ns();
        uint64_t now = fp_now_event(t);
        uint64_t after = fp_now_ns();
        if (now > after || now + FP_CLOCK_STEP_NS <= before)
            fail_msg("event %llu: time %llu for a call between %llu and %llu (step %u)",
                     (unsigned long long)n, (unsigned long long)(now - fp_t0),
                     (unsigned long long)(before - fp_t0), (unsigned long long)(after - fp_t0),
                     (unsigned)FP_CLOCK_STEP_NS);
        quiet += now == fp_t0 + t->t_last;
        uint64_t addr = 0x7f0000000000ull + ((rng >> 16) & 0xffff0);
        if (n++ & 1)
            fp_put_free_event(t, &(struct fp_rec_free){ .addr = addr }, now);
        else
            fp_put_alloc_event(t, &(struct fp_rec_alloc){ .func = FP_FUNC_MALLOC, .size = 32,
                                                          .addr = addr, .stack = 1 }, now);
        if (rng % 97 == 0)
            usleep((useconds_t)(rng >> 40) % 150);     /* a step or two without events */
    }
    /* the machine's word, not the shim's: a shim that would not use the
     * TSC where it could fails here */
    if (tsc_for_events())
        assert_true(quiet > n / 2);
    else
        print_message("no TSC to time events with here: fp_now_event read the clock every time\n");
    fp_thread_flush(t);
    fp_trace_close();
    free_thread(t);
    unlink(trace_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_through_the_writers),
        cmocka_unit_test(test_short_writers),
        cmocka_unit_test(test_flush_at_the_gate),
        cmocka_unit_test(test_event_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
