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

/* Cut inside the last member: the complete ones are read, with a warning. */
static void test_truncated(void **state)
{
    (void)state;
    struct tg g;
    make_two_threads(&g, 0);
    /* the last member starts where the file was before it: rebuild to know */
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
        { FP_VERSION_MAJOR + 1, "unsupported trace version 4.0 (this reader reads 1.x to 3.x)" },
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_time_order),
        cmocka_unit_test(test_no_fextra_members),
        cmocka_unit_test(test_file_order),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_not_a_trace),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_bigger_header),
        cmocka_unit_test(test_corruption_never_crashes),
        cmocka_unit_test(test_short_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
