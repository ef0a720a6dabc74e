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
#include <unistd.h>
#include <cmocka.h>

#include "fp.h"
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
    return t;
}

static void free_thread(struct fp_thread *t)
{
    fp_os_unmap(t->data, BUF_BYTES);
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
            if (types[i].code == FP_REC_BLOCK)
                continue;                              /* each member's own */
            rt_init(types[i].code == FP_REC_MAPS ? SIZE_MAX : 4096);
            for (int v = 0; v < VARIANTS; v++) {
                types[i].fill(&want[i][v], v);
                put(t, &types[i], &want[i][v], now += step);
            }
        }
    }
    fp_thread_flush(t);
    fp_trace_close();

    struct fp_reader *r;
    char err[256];
    if (fp_reader_open(&r, trace_path, FP_ORDER_FILE, err, sizeof(err)) < 0)
        fail_msg("%s", err);
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
        if (types[i].code != FP_REC_BLOCK && seen[i] != 40 * VARIANTS)
            fail_msg("%s: %zu of %d records read back", types[i].name, seen[i], 40 * VARIANTS);
    assert_true(blocks > 40);        /* the buffer was flushed many times */
    assert_int_equal(fp_reader_truncation(r, NULL, NULL), 0);
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
        fp_put_alloc(t, &x, fp_now_ns());
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

    struct fp_reader *r;
    char err[256];
    if (fp_reader_open(&r, trace_path, FP_ORDER_TIME, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    const struct fp_record *rec;
    uint64_t last[2] = { 0, 0 }, got[2] = { 0, 0 };
    while (fp_reader_next(r, &rec) > 0) {
        if (rec->type != FP_REC_ALLOC)
            continue;
        assert_true(rec->tid == 1001 || rec->tid == 1002);
        int i = rec->tid == 1002;
        struct fp_rec_alloc x = { 0 };
        assert_int_equal(fp_dec_alloc(rec->p, rec->end, &x), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_through_the_writers),
        cmocka_unit_test(test_flush_at_the_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
