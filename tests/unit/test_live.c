/* Live reading units (model.h: fp_feed, reader.h: fp_reader_live_update):
 * a synthetic trace written to a file in steps, read on after each step.
 * Records wait while a thread still recording may precede them (a free in
 * one thread of a block another thread's next member allocates), an idle
 * thread does not hold the others back, a member cut in half is read once
 * whole, a new thread's chain joins the merge, and the finished model equals
 * the one a whole read of the file builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "tracegen.h"
#include "reader.h"
#include "model.h"

static uint64_t fr[2] = { 0x401000, 0x402000 };
static char path[] = "/tmp/faultprof-test-live.XXXXXX";

/* Writes the first len bytes of g's file to path (as the recorder appends). */
static void write_prefix(const struct tg *g, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(g->buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static const struct fp_proc *proc0(const struct fp_model *m)
{
    return &m->procs[0];
}

/* Thread 101 frees 0x5000 at t 20 in a member written before thread 100's
 * member that allocates it at t 10. */
static void test_free_waits_for_alloc(void **state)
{
    (void)state;
    struct tg g;
    size_t cut[3];
    tg_start(&g, 100, 1, "/bin/x", "x");
    tg_block(&g, 100, 1);
    tg_stack(&g, 1, 2, fr);
    tg_malloc(&g, 5, 64, 0x4000, 1);          /* t 5 */
    tg_block(&g, 101, 20);
    tg_free(&g, 20, 0x5000);                  /* t 20, before the alloc is in the file */
    tg_flush(&g);
    cut[0] = g.len;
    tg_block(&g, 100, 10);
    tg_malloc(&g, 10, 100, 0x5000, 1);        /* t 10 */
    tg_malloc(&g, 30, 7, 0x6000, 1);          /* t 30 */
    tg_flush(&g);
    cut[1] = g.len;
    tg_block(&g, 101, 40);
    tg_malloc(&g, 40, 9, 0x7000, 0);          /* t 40 */
    tg_finish(&g);
    cut[2] = g.len;

    struct fp_model *m = fp_model_new();
    struct fp_feed *f;
    char err[256];
    m->warn = NULL;
    write_prefix(&g, cut[0]);
    assert_int_equal(fp_feed_open(m, path, &f, err, sizeof(err)), 0);
    assert_int_equal(fp_feed_read(f, 0, 0, err, sizeof(err)), 3);   /* those of the open */
    /* the horizon is thread 100's last time, 5: the free at 20 waits */
    assert_int_equal(proc0(m)->allocs, 1);
    assert_int_equal(proc0(m)->frees, 0);
    assert_int_equal(proc0(m)->replay.live_bytes, 64);

    write_prefix(&g, cut[1]);
    assert_int_equal(fp_feed_read(f, 0, 0, err, sizeof(err)), 1);
    assert_int_equal(proc0(m)->allocs, 2);   /* the one at 30 waits for thread 101 (20) */
    assert_int_equal(proc0(m)->frees, 1);
    assert_int_equal(proc0(m)->unknown_frees, 0);
    assert_int_equal(proc0(m)->replay.live_bytes, 64);

    /* half of the last member: nothing new */
    write_prefix(&g, cut[1] + (cut[2] - cut[1]) / 2);
    assert_int_equal(fp_feed_read(f, 0, 0, err, sizeof(err)), 0);
    assert_int_equal(proc0(m)->allocs, 2);

    write_prefix(&g, cut[2]);
    assert_int_equal(fp_feed_read(f, 0, 1, err, sizeof(err)), 1);
    assert_true(fp_feed_finished(f));
    assert_int_equal(proc0(m)->allocs, 4);
    assert_int_equal(proc0(m)->leaked_bytes, 64 + 7 + 9);

    /* the whole file read at once gives the same */
    struct fp_model *w = fp_model_new();
    w->warn = NULL;
    assert_int_equal(fp_model_read_file(w, path, err, sizeof(err)), 0);
    assert_int_equal(proc0(w)->allocs, proc0(m)->allocs);
    assert_int_equal(proc0(w)->frees, proc0(m)->frees);
    assert_int_equal(proc0(w)->unknown_frees, proc0(m)->unknown_frees);
    assert_int_equal(proc0(w)->leaked_bytes, proc0(m)->leaked_bytes);
    assert_int_equal(proc0(w)->peak_bytes, proc0(m)->peak_bytes);
    assert_int_equal(w->nstacks, m->nstacks);
    fp_model_free(w);
    fp_feed_close(f);
    fp_model_free(m);
    free(g.buf);
}

/* Thread 101's last member is at 1 ms, thread 100 goes on to 3 s: 101 is
 * idle (more than FP_FEED_GRACE_NS behind) and does not stop the view. */
static void test_idle_thread(void **state)
{
    (void)state;
    struct tg g;
    tg_start(&g, 100, 1, "/bin/x", "x");
    tg_block(&g, 101, 1000000);
    tg_stack(&g, 1, 2, fr);
    tg_malloc(&g, 1000000, 8, 0x1000, 1);
    tg_block(&g, 100, 2000000);
    tg_stack(&g, 1, 2, fr);
    for (uint64_t i = 0; i < 30; i++)
        tg_malloc(&g, 2000000 + i * 100000000, 16, 0x2000 + 16 * i, 1);   /* to 2.9 s */
    tg_block(&g, 100, 3000000000ull);
    tg_malloc(&g, 3000000000ull, 16, 0x9000, 1);
    tg_finish(&g);
    write_prefix(&g, g.len);

    struct fp_model *m = fp_model_new();
    struct fp_feed *f;
    char err[256];
    m->warn = NULL;
    assert_int_equal(fp_feed_open(m, path, &f, err, sizeof(err)), 0);
    assert_true(fp_feed_read(f, 0, 0, err, sizeof(err)) >= 0);
    /* every record: the horizon is thread 100's last time, 3 s (waiting for
     * thread 101 would deliver its one allocation alone) */
    assert_int_equal(proc0(m)->allocs, 32);
    fp_feed_close(f);
    fp_model_free(m);
    free(g.buf);
}

/* A thread that starts after the first read: its chain joins the merge, and
 * the earlier chains go on where they were. */
static void test_new_thread(void **state)
{
    (void)state;
    struct tg g;
    size_t cut;
    tg_start(&g, 100, 1, "/bin/x", "x");
    tg_block(&g, 100, 10);
    tg_stack(&g, 1, 2, fr);
    tg_malloc(&g, 10, 8, 0x1000, 1);
    tg_flush(&g);
    cut = g.len;
    tg_block(&g, 102, 15);
    tg_stack(&g, 1, 2, fr);
    tg_malloc(&g, 15, 8, 0x2000, 1);
    tg_free(&g, 16, 0x1000);
    tg_block(&g, 100, 20);
    tg_malloc(&g, 20, 8, 0x3000, 1);
    tg_finish(&g);

    struct fp_model *m = fp_model_new();
    struct fp_feed *f;
    char err[256];
    m->warn = NULL;
    write_prefix(&g, cut);
    assert_int_equal(fp_feed_open(m, path, &f, err, sizeof(err)), 0);
    assert_true(fp_feed_read(f, 0, 0, err, sizeof(err)) >= 0);
    assert_int_equal(proc0(m)->allocs, 1);
    write_prefix(&g, g.len);
    assert_int_equal(fp_feed_read(f, 1, 0, err, sizeof(err)), 2);
    assert_int_equal(proc0(m)->allocs, 3);
    assert_int_equal(proc0(m)->frees, 1);
    assert_int_equal(proc0(m)->unknown_frees, 0);
    assert_int_equal(m->nthreads, 2);
    fp_feed_close(f);
    fp_model_free(m);
    free(g.buf);
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_waits_for_alloc),
        cmocka_unit_test(test_idle_thread),
        cmocka_unit_test(test_new_thread),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
