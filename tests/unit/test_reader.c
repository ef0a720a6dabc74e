/* Reader units: synthetic traces (tracegen.h) read back record by record —
 * time-ordered merge of threads, members without the FP field, truncation
 * warning, and bad input that must fail with a message, never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tracegen.h"
#include "reader.h"
#include "model.h"

static uint64_t fr[2] = { 0x401000, 0x402000 };

/* Two threads whose members overlap in time. */
static void make_two_threads(struct tg *g, int no_fextra)
{
    tg_start(g, 100, 1, "/bin/x", "x");
    g->no_fextra = no_fextra;
    tg_block(g, 100, 10);
    tg_stack(g, 1, 2, fr);
    tg_malloc(g, 10, 1, 0x1000, 1);   /* t 10 */
    tg_malloc(g, 30, 1, 0x1100, 1);   /* t 30 */
    tg_block(g, 101, 20);
    tg_stack(g, 1, 2, fr);
    tg_malloc(g, 20, 2, 0x2000, 1);   /* t 20 */
    tg_malloc(g, 40, 2, 0x2100, 1);   /* t 40 */
    tg_block(g, 100, 50);
    tg_malloc(g, 50, 1, 0x1200, 1);   /* t 50 */
    tg_finish(g);
}

static void check_time_order(struct tg *g)
{
    struct fp_reader *r;
    char err[256];
    assert_int_equal(fp_reader_open_mem(&r, g->buf, g->len, FP_ORDER_TIME, err, sizeof(err)), 0);
    const struct fp_record *rec;
    uint64_t times[16];
    uint32_t tids[16];
    int n = 0;
    while (fp_reader_next(r, &rec) > 0)
        if (rec->type == FP_REC_ALLOC && n < 16)
            times[n] = rec->t, tids[n++] = rec->tid;
    assert_int_equal(n, 5);
    uint64_t want_t[5] = { 10, 20, 30, 40, 50 };
    uint32_t want_tid[5] = { 100, 101, 100, 101, 100 };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(times[i], want_t[i]);
        assert_int_equal(tids[i], want_tid[i]);
    }
    assert_int_equal(fp_reader_truncation(r, NULL, NULL), 0);
    fp_reader_close(r);
}

static void test_merge_time_order(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    check_time_order(&g);
    free(g.buf);
}

static void test_no_fextra_members(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 1);
    check_time_order(&g);
    free(g.buf);
}

static void test_file_order(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    struct fp_reader *r;
    char err[256];
    assert_int_equal(fp_reader_open_mem(&r, g.buf, g.len, FP_ORDER_FILE, err, sizeof(err)), 0);
    const struct fp_record *rec;
    uint64_t t[8];
    int n = 0;
    while (fp_reader_next(r, &rec) > 0)
        if (rec->type == FP_REC_ALLOC && n < 8)
            t[n++] = rec->t;
    assert_int_equal(n, 5);
    assert_int_equal(t[0], 10);
    assert_int_equal(t[1], 30);
    assert_int_equal(t[2], 20);
    fp_reader_close(r);
    free(g.buf);
}

/* Where make_two_threads's last member starts: the file up to it, rebuilt */
static size_t two_threads_last_start(void)
{
    struct tg h;
    tg_start(&h, 100, 1, "/bin/x", "x");
    tg_block(&h, 100, 10);
    tg_stack(&h, 1, 2, fr);
    tg_malloc(&h, 10, 1, 0x1000, 1);
    tg_malloc(&h, 30, 1, 0x1100, 1);
    tg_block(&h, 101, 20);
    tg_stack(&h, 1, 2, fr);
    tg_malloc(&h, 20, 2, 0x2000, 1);
    tg_malloc(&h, 40, 2, 0x2100, 1);
    tg_flush(&h);
    size_t last_start = h.len;
    tg_finish(&h);
    free(h.buf);
    return last_start;
}

/* Cut inside the last member: the complete ones are read, with a warning. */
static void test_truncated(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    size_t last_start = two_threads_last_start();
    size_t cut = last_start + (g.len - last_start) / 2;

    struct fp_model *m = fp_model_new();
    char *text = NULL;
    size_t tlen = 0;
    m->warn = open_memstream(&text, &tlen);
    char err[256];
    assert_int_equal(fp_model_read_mem(m, "t.gz", g.buf, cut, err, sizeof(err)), 0);
    fclose(m->warn);
    assert_int_equal(m->procs[0].allocs, 4);   /* the fifth was in the lost member */
    assert_int_equal(m->procs[0].truncated, 1);
    char want[256];
    snprintf(want, sizeof(want), "faultprof-report: warning: t.gz: truncated at byte %zu (last "
             "complete member ends at %zu); events after that are lost\n", cut, last_start);
    assert_string_equal(text, want);
    free(text);
    fp_model_free(m);
    free(g.buf);
}

/* Cut anywhere in the last member, down to its first byte (a gzip header
 * cut after its first byte once read as corrupt): truncated, not corrupt,
 * and the complete members read. */
static void test_truncated_anywhere(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    size_t last_start = two_threads_last_start();
    for (size_t cut = last_start + 1; cut < g.len; cut++) {
        struct fp_model *m = fp_model_new();
        m->warn = NULL;
        char err[256] = "";
        if (fp_model_read_mem(m, "t.gz", g.buf, cut, err, sizeof(err)) != 0)
            fail_msg("cut at %zu of %zu (last member at %zu): %s", cut, g.len, last_start, err);
        assert_int_equal(m->procs[0].allocs, 4);
        assert_int_equal(m->procs[0].truncated, 1);
        fp_model_free(m);
    }
    free(g.buf);
}

static void expect_error(const void *buf, size_t len, const char *want);

/* A member whose FP field claims more bytes than the file has, its gzip
 * data whole: a damaged header, not a cut (it read as truncated, exit 0) */
static void test_size_past_end(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    size_t last_start = two_threads_last_start();
    uint8_t *fp = g.buf + last_start + 12 + 4;     /* as tracegen.h writes it */
    assert_int_equal(fp_get_le32(fp), g.len - last_start);
    fp_put_le32(fp, (uint32_t)(g.len - last_start + 100));
    char want[128];
    snprintf(want, sizeof(want), "corrupt: member at byte %zu claims %zu bytes, its gzip data "
             "ends after %zu", last_start, g.len - last_start + 100, g.len - last_start);
    expect_error(g.buf, g.len, want);
    /* the same claim over a cut member is a cut */
    struct fp_model *m = fp_model_new();
    m->warn = NULL;
    char err[256] = "";
    assert_int_equal(fp_model_read_mem(m, "t.gz", g.buf, g.len - 1, err, sizeof(err)), 0);
    assert_int_equal(m->procs[0].truncated, 1);
    fp_model_free(m);
    free(g.buf);
}

static void expect_error(const void *buf, size_t len, const char *want)
{
    struct fp_reader *r = NULL;
    char err[256] = "";
    int rc = fp_reader_open_mem(&r, buf, len, FP_ORDER_TIME, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_null(r);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_not_a_trace(void **state)
{
    (void)state;
    expect_error("hello world, this is text\n", 26, "not a faultprof trace (not gzip data)");
    expect_error("", 0, "empty file");
    /* gzip of something else */
    struct tg g;
    memset(&g, 0, sizeof(g));
    g.open = 1;
    tg_raw(&g, "just some text that is not a trace", 34);
    g.first_done = 0;
    tg_flush(&g);
    expect_error(g.buf, g.len, "not a faultprof trace (bad magic)");
    free(g.buf);
    free(g.raw);
}

static void test_wrong_version(void **state)
{
    (void)state;
    struct tg g;
    static const struct { uint16_t major; const char *msg; } bad[] = {
        { FP_VERSION_MAJOR + 1, "unsupported trace version 5.0 (this reader reads 1.x to 4.x)" },
        { 0, "unsupported trace version 0.0" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tg_start(&g, 1, 0, "/x", "x");
        fp_put_le16(g.raw + 8, bad[i].major);
        fp_put_le16(g.raw + 10, 0);
        tg_finish(&g);
        expect_error(g.buf, g.len, bad[i].msg);
        free(g.buf);
    }
}

/* A later minor may grow the header: the reader skips header size bytes. */
static void test_bigger_header(void **state)
{
    (void)state;
    struct tg g;
    memset(&g, 0, sizeof(g));
    g.open = 1;
    uint8_t h[24] = { 0 };
    memcpy(h, FP_MAGIC, 8);
    fp_put_le16(h + 8, 1);
    fp_put_le16(h + 10, 7);
    fp_put_le32(h + 12, 24);
    tg_raw(&g, h, 24);
    tg_rec(&g, FP_REC_PROCESS, TG_UNTIMED, "uuuuuuuuss", 5ULL, 1ULL, 0ULL, 0ULL, 0ULL, 4096ULL,
           64ULL, 64ULL, "/x", "x");
    tg_finish(&g);
    struct fp_reader *r;
    char err[256];
    assert_int_equal(fp_reader_open_mem(&r, g.buf, g.len, FP_ORDER_TIME, err, sizeof(err)), 0);
    assert_int_equal(fp_reader_version_minor(r), 7);
    const struct fp_record *rec;
    assert_int_equal(fp_reader_next(r, &rec), 1);
    assert_int_equal(rec->type, FP_REC_PROCESS);
    fp_reader_close(r);
    free(g.buf);
}

/* Every single-byte corruption and every truncation either reads or fails
 * cleanly (run under ASan by make check-asan). */
static void test_corruption_never_crashes(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    uint8_t *copy = malloc(g.len);
    int failures = 0;
    for (size_t i = 0; i < g.len; i++) {
        for (int v = 0; v < 3; v++) {
            memcpy(copy, g.buf, g.len);
            copy[i] ^= (uint8_t)(v == 0 ? 0xff : v == 1 ? 0x01 : 0x80);
            struct fp_model *m = fp_model_new();
            m->warn = NULL;
            char err[256];
            if (fp_model_read_mem(m, "c", copy, g.len, err, sizeof(err)) < 0) {
                assert_true(err[0] != 0);
                failures++;
            }
            fp_model_free(m);
        }
        struct fp_model *m = fp_model_new();
        m->warn = NULL;
        char err[256];
        if (fp_model_read_mem(m, "c", g.buf, i, err, sizeof(err)) < 0)
            assert_true(err[0] != 0);
        fp_model_free(m);
    }
    assert_true(failures > 0);
    free(copy);
    free(g.buf);
}

/* A record whose payload ends before its fields is corrupt. */
static void test_short_record(void **state)
{
    (void)state;
    struct tg g;
    tg_start(&g, 1, 0, "/x", "x");
    tg_block(&g, 1, 0);
    tg_rec(&g, FP_REC_ALLOC, 5, "uu", 1ULL, 0ULL);   /* func, flags and nothing else */
    tg_finish(&g);
    struct fp_model *m = fp_model_new();
    char err[256];
    assert_int_equal(fp_model_read_mem(m, "s", g.buf, g.len, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "corrupt: ALLOC record too short"));
    fp_model_free(m);
    free(g.buf);
}

/* Three threads of short records in many members (fused pairs, frees of
 * blocks kept a while, full records between them); with bad != 0 the
 * fourth member of thread 102 has no BLOCK. */
static void make_short_threads(struct tg *g, int bad)
{
    tg_start(g, 100, 1, "/bin/x", "x");
    for (int k = 0; k < 6; k++) {
        for (uint32_t tid = 100; tid < 103; tid++) {
            uint64_t t = 1000 * (uint64_t)k + tid;
            if (bad && tid == 102 && k == 3) {
                tg_flush(g);                      /* a member without its BLOCK */
                g->open = 1, g->have_time = 0;
            } else {
                tg_block(g, tid, t);
            }
            if (k == 0)
                tg_stack(g, 1, 2, fr);
            tg_put_site(g, t, &(struct fp_rec_site){ .id = 0, .func = FP_FUNC_MALLOC, .stack = 1 });
            /* A_i at base + 0x100 i, freed at once (for odd i in one
             * record, ALLOC_SHORT_FREED, and then again from its free list,
             * ALLOC_REUSE_FREED); B_i 0x80 above it, freed after B_i+1
             * (FREE_BACK 3 or 4: past A_i+1); last: the reader's last address,
             * which the deltas are from */
            int64_t base = (int64_t)(0x100000 * (tid - 99) + 0x10000 * k), last = 0;
            for (int i = 0; i < 40; i++) {
                int64_t a = base + 0x100 * i, b = a + 0x80;
                if (i & 1) {
                    tg_put_alloc_short_freed(g, 0, &(struct fp_rec_alloc_short_freed){
                        .site = 0, .size = 16 + (uint64_t)i, .addr_delta = a - last });
                    tg_put_alloc_reuse_freed(g, 0, &(struct fp_rec_alloc_reuse_freed){
                        .site = 0, .size = 16 + (uint64_t)i, .reuse = 0 });
                } else {
                    tg_put_alloc_short(g, 0, &(struct fp_rec_alloc_short){
                        .site = 0, .size = 16 + (uint64_t)i, .addr_delta = a - last });
                    tg_put_free_back(g, 0, &(struct fp_rec_free_back){ .back = 1 });
                }
                tg_put_alloc_short(g, 0, &(struct fp_rec_alloc_short){
                    .site = 0, .size = 100 + (uint64_t)i, .addr_delta = b - a });
                last = b;
                if (i) {
                    tg_put_free_back(g, 0, &(struct fp_rec_free_back){ .back = (i & 1) ? 4 : 3 });
                    last = b - 0x100;
                }
                struct fp_rec_time tm;
                memset(&tm, 0, sizeof(tm));
                tg_put_time(g, t + (uint64_t)i, &tm);
            }
            tg_malloc(g, t + 500, 4096, 0x900000 + 0x10000 * tid + 0x1000 * (uint64_t)k, 1);
            if (k)
                tg_free(g, t + 501, 0x900000 + 0x10000 * tid + 0x1000 * (uint64_t)(k - 1));
        }
    }
    tg_finish(g);
}

/* The model from a trace read with one thread and with decode workers:
 * the same counts, peak and error, whatever the number of threads. */
static void test_jobs_same_model(void **state)
{
    (void)state;
    struct tg g;
    make_short_threads(&g, 0);
    uint64_t want[8] = { 0 };
    for (int jobs = 1; jobs <= 4; jobs++) {
        fp_report_set_jobs(jobs);
        struct fp_model *m = fp_model_new();
        char err[256];
        assert_int_equal(fp_model_read_mem(m, "j", g.buf, g.len, err, sizeof(err)), 0);
        const struct fp_proc *p = &m->procs[0];
        uint64_t got[8] = { p->allocs, p->frees, p->temporary, p->peak_bytes, p->peak_t,
                            p->leaked_blocks, m->records, p->unknown_frees };
        if (jobs == 1) {
            memcpy(want, got, sizeof(want));
            assert_int_equal(p->allocs, 3 * 6 * (80 + 20 + 1));
            assert_int_equal(p->temporary, 3 * 6 * (40 + 20));
            assert_int_equal(p->unknown_frees, 0);
        }
        for (int i = 0; i < 8; i++)
            assert_int_equal(got[i], want[i]);
        fp_model_free(m);
    }
    free(g.buf);
    make_short_threads(&g, 1);
    for (int jobs = 1; jobs <= 2; jobs++) {
        fp_report_set_jobs(jobs);
        struct fp_model *m = fp_model_new();
        char err[256];
        assert_int_equal(fp_model_read_mem(m, "j", g.buf, g.len, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "does not begin with a BLOCK record"));
        fp_model_free(m);
    }
    fp_report_set_jobs(0);
    free(g.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_time_order),
        cmocka_unit_test(test_no_fextra_members),
        cmocka_unit_test(test_file_order),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_truncated_anywhere),
        cmocka_unit_test(test_size_past_end),
        cmocka_unit_test(test_not_a_trace),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_bigger_header),
        cmocka_unit_test(test_corruption_never_crashes),
        cmocka_unit_test(test_short_record),
        cmocka_unit_test(test_jobs_same_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
