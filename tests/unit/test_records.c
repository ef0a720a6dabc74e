/* Record layouts (include/faultprof/records.h) round trip: every record type
 * is written with edge values (0, one- and two-byte varint bounds, 2^64-1,
 * negative zigzag values, empty, NUL-holding and long strings, no frames and
 * FP_MAX_DEPTH frames), as a recorder of each minor version would, through
 * a real trace file, and read back field by field; with bytes appended (a
 * later minor's fields, to be ignored) and cut (corrupt, to be refused);
 * and --dump prints every field.  Nothing here names a record type: a type
 * added to the table is covered as it is.
 *
 * With --man it prints the layout table of man/faultprof-trace.5 (make
 * man-layouts); the test fails when the man page's copy differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "tracegen.h"
#include "rt_table.h"
#include "faultprof/reuse.h"
#include "event.h"
#include "reader.h"
#include "report.h"

static uint8_t pay[FP_MAX_RECORD + 64];

/* decodes payload [p, p+n) of type rt through the analyzer's decoder */
static int decode(const struct rtype *rt, const uint8_t *p, size_t n, struct fp_event *ev)
{
    struct fp_record rec = { .type = rt->code, .timed = (int)rt->timed, .p = p, .end = p + n };
    return fp_event_decode(&rec, ev);
}

/* Every type, every variant, as minor 0 and as the current minor: decodes
 * to what was written (a field the writer's minor lacked reads as 0); with
 * bytes appended, the same; cut by a byte, corrupt, unless only fields of a
 * later minor were cut. */
static void test_round_trip_payloads(void **state)
{
    (void)state;
    static struct fp_event ev;
    static union fp_any want;
    for (size_t i = 0; i < NTYPES; i++) {
        const struct rtype *rt = &types[i];
        assert_true(rt->nfields > 0 || rt->timed);   /* dt at least */
        for (int v = 0; v < VARIANTS; v++) {
            for (unsigned minor = 0; minor <= MINOR_NOW; minor++) {
                rt->fill(&want, v);
                size_t n = rt->enc(pay, &want, minor);
                rt->zero_newer(&want, minor);
                assert_int_equal(decode(rt, pay, n, &ev), 1);
                if (!rt->same(&want, (const union fp_any *)&ev.u))
                    fail_msg("%s variant %d minor %u: read back differs", rt->name, v, minor);
                if (minor == MINOR_NOW) {
                    memcpy(pay + n, "\x05\x81\x01", 3);    /* a later minor's fields */
                    assert_int_equal(decode(rt, pay, n + 3, &ev), 1);
                    assert_true(rt->same(&want, (const union fp_any *)&ev.u));
                }
                /* one byte short: corrupt, or a field of a later minor gone */
                if (n == 0)
                    continue;
                int d = decode(rt, pay, n - 1, &ev);
                size_t n_old = rt->enc(pay, &want, 0);
                if (minor == 0 || n - 1 < n_old)
                    assert_int_equal(d, -1);
                else if (d != -1)
                    assert_int_equal(d, 1);
            }
        }
    }
}

/* The encoder stays within the bound writers reserve. */
static void test_max_bounds_encoding(void **state)
{
    (void)state;
    static union fp_any x;
    for (size_t i = 0; i < NTYPES; i++) {
        for (int v = 0; v < VARIANTS; v++) {
            types[i].fill(&x, v);
            size_t n = types[i].enc(pay, &x, MINOR_NOW);
            size_t max = 0;
            switch (types[i].code) {
#define FP_X(NAME, name, code, timed) case code: max = fp_max_##name(&x.name); break;
            FP_RECORD_LIST(FP_X)
#undef FP_X
            }
            assert_true(n <= max);
            assert_true(max <= FP_MAX_RECORD);
        }
    }
}

/* Every type, written through tracegen into a trace file, read back by the
 * reader (framing, dt) in file order.  BLOCK goes as tracegen writes it, at
 * each member's start: edge values there would move the reader's clock. */
static void test_round_trip_trace(void **state)
{
    (void)state;
    static union fp_any want[NTYPES][VARIANTS];
    struct tg g;
    tg_start(&g, 77, 0, "/bin/rt", "rt");
    tg_block(&g, 77, 100);
    uint64_t t = 100;
    for (size_t i = 0; i < NTYPES; i++) {
        if (types[i].code == FP_REC_BLOCK || rt_in_context(types[i].code))
            continue;
        for (int v = 0; v < VARIANTS; v++) {
            types[i].fill(&want[i][v], v);
            size_t n = types[i].enc(pay, &want[i][v], MINOR_NOW);
            tg_record(&g, types[i].code, types[i].timed ? ++t : TG_UNTIMED, pay, n);
        }
        tg_block(&g, 77, t);
    }
    /* the short forms, where a member resolves them (test_short_forms) */
    tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0, .func = 1, .stack = 5 });
    tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, 16, 4096 });
    tg_put_free_short(&g, TG_UNTIMED, &(struct fp_rec_free_short){ -16 });
    tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ 1 });
    tg_put_alloc_reuse(&g, TG_UNTIMED, &(struct fp_rec_alloc_reuse){ 0, 16, 0 });
    tg_put_alloc_short_freed(&g, TG_UNTIMED, &(struct fp_rec_alloc_short_freed){ 0, 16, 64 });
    tg_put_alloc_reuse_freed(&g, TG_UNTIMED, &(struct fp_rec_alloc_reuse_freed){ 0, 16, 0 });
    tg_finish(&g);
    char path[] = "/tmp/fp-records-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tg_write_file(&g, path), 0);

    struct fp_reader *r;
    char err[256];
    assert_int_equal(fp_reader_open(&r, path, FP_ORDER_FILE, err, sizeof(err)), 0);
    const struct fp_record *rec;
    static struct fp_event ev;
    size_t seen[NTYPES] = { 0 };
    int first = 1;         /* tg_start's PROCESS */
    uint64_t t_want = 100;
    while (fp_reader_next(r, &rec) > 0) {
        if (first || rec->type == FP_REC_BLOCK || rt_in_context(rec->type)) {
            first = 0;
            continue;
        }
        size_t i = 0;
        while (i < NTYPES && types[i].code != rec->type)
            i++;
        assert_true(i < NTYPES);
        size_t v = seen[i]++;
        assert_true(v < VARIANTS);
        assert_int_equal(fp_event_decode(rec, &ev), 1);
        if (!types[i].same(&want[i][v], (const union fp_any *)&ev.u))
            fail_msg("%s variant %zu: read back from the trace differs", types[i].name, v);
        if (types[i].timed)
            assert_int_equal(rec->t, ++t_want);
    }
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].code != FP_REC_BLOCK && !rt_in_context(types[i].code) && seen[i] != VARIANTS)
            fail_msg("%s: %zu of %d records read back", types[i].name, seen[i], VARIANTS);
    assert_int_equal(fp_reader_truncation(r, NULL, NULL), 0);
    fp_reader_close(r);

    /* --dump prints every record with every field of the table */
    char *dump = NULL;
    size_t dlen = 0;
    FILE *out = open_memstream(&dump, &dlen);
    assert_int_equal(fp_dump(out, path, 1, 0, err, sizeof(err)), 0);
    fclose(out);
    for (size_t i = 0; i < NTYPES; i++) {
        char line[64];
        snprintf(line, sizeof(line), "\n%s t=", types[i].name);
        const char *at = strstr(dump, line);
        if (!at)
            fail_msg("--dump shows no %s record", types[i].name);
        const char *eol = strchr(at + 1, '\n');
        char fields[512];
        snprintf(fields, sizeof(fields), "%s", types[i].fields);
        for (char *f = strtok(fields, " "); f; f = strtok(NULL, " ")) {
            char key[80];
            snprintf(key, sizeof(key), " %s=", strcmp(f, "frames") ? f : "n");
            const char *k = strstr(at, key);
            if (!k || k > eol)
                fail_msg("--dump's %s line lacks %s", types[i].name, key);
        }
    }
    free(dump);
    unlink(path);
    free(g.buf);
}

/* ---- the man page's layout table */
static const char *encoding_note(char enc)
{
    switch (enc) {
    case 'Z': return " (zz)";
    case 'S': return " (str)";
    case 'A': return " (n, then n varints)";
    default: return "";
    }
}

/* a format level (records.h's "since") as the version that brought it */
static const char *level_name(int level)
{
    static const char *const names[] = { "1.0", "1.1", "1.2", "2.0", "3.0" };
    _Static_assert(sizeof(names) / sizeof(names[0]) == FP_FORMAT_LEVEL + 1,
                   "a name for every format level");
    return names[level];
}

#define MAN_FIELD(c, f, enc, show, since)                                               \
    pos += snprintf(buf + pos, cap - pos, "%s%s%s", k++ ? ", " : "", #f, encoding_note(#enc[0])); \
    if (since)                                                                          \
        pos += snprintf(buf + pos, cap - pos, " (since %s)", level_name(since));
static size_t man_table(char *buf, size_t cap)
{
    size_t pos = 0;
    int k;
    pos += snprintf(buf + pos, cap - pos,
                    ".\\\" generated from include/faultprof/records.h by make man-layouts\n"
                    ".TS\nl l l lx.\ntype\trecord\ttimed\tfields, in order\n");
#define FP_X(NAME, name, code, timed)                                                   \
    k = 0;                                                                              \
    pos += snprintf(buf + pos, cap - pos, "0x%02x\t%s\t%s\tT{\n", code, #NAME,          \
                    timed ? "yes" : "no");                                              \
    FP_FIELDS_##name(MAN_FIELD, name)                                                   \
    pos += snprintf(buf + pos, cap - pos, "\nT}\n");
    FP_RECORD_LIST(FP_X)
#undef FP_X
    pos += snprintf(buf + pos, cap - pos, ".TE\n");
    return pos;
}

#define MAN_BEGIN ".\\\" BEGIN record layouts\n"
#define MAN_END   ".\\\" END record layouts\n"

/* The short forms in context: a member's SITEs and addresses resolve them,
 * the next member starts afresh, and a short record naming what its member
 * has not defined is refused with a message. */
static const char *read_short_fused(struct tg *g, struct fp_rec_alloc *got, size_t cap,
                                    size_t *n, int fuse)
{
    static char err[256];
    struct fp_reader *r;
    *n = 0;
    if (fp_reader_open_mem(&r, g->buf, g->len, FP_ORDER_FILE, err, sizeof(err)) < 0)
        return err;
    if (fuse)
        fp_reader_fuse(r);
    const struct fp_record *rec;
    int k;
    while ((k = fp_reader_next(r, &rec)) > 0) {
        if (*n + 2 > cap)
            break;
        if (fp_record_short_alloc(rec->type)) {
            got[(*n)++] = rec->x.alloc;
            if (rec->freed_next)      /* its FREE_BACK 1, as the unfused read has it */
                got[(*n)++] = (struct fp_rec_alloc){ .addr = rec->x.alloc.addr, .func = 99 };
        } else if (rec->type == FP_REC_FREE_SHORT || rec->type == FP_REC_FREE_BACK) {
            got[(*n)++] = (struct fp_rec_alloc){ .addr = rec->x.free.addr, .func = 99 };
        }
    }
    const char *e = k < 0 ? (snprintf(err, sizeof(err), "%s", fp_reader_error(r)), err) : NULL;
    fp_reader_close(r);
    return e;
}

static const char *read_short(struct tg *g, struct fp_rec_alloc *got, size_t cap, size_t *n)
{
    return read_short_fused(g, got, cap, n, 0);
}

static void test_short_forms(void **state)
{
    (void)state;
    struct tg g;
    tg_start(&g, 77, 0, "/bin/rt", "rt");
    tg_block(&g, 77, 100);
    tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0, .func = FP_FUNC_MALLOC,
                                                      .stack = UINT64_MAX });
    tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 1, .func = FP_FUNC_POSIX_MEMALIGN,
                                                      .flags = 1, .stack = 3, .align = 4096 });
    const uint64_t a = 0x7fffffffe000, b = 0x1000;
    tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, UINT64_MAX, (int64_t)a });
    tg_put_time(&g, 5000, &(struct fp_rec_time){});
    tg_put_alloc_short(&g, TG_UNTIMED,
                       &(struct fp_rec_alloc_short){ 1, 128, (int64_t)(b - a) });
    tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ 2 });       /* a */
    tg_put_free_short(&g, TG_UNTIMED, &(struct fp_rec_free_short){ (int64_t)(b - a) });
    tg_block(&g, 77, 6000);     /* afresh: no sites, addresses from 0 */
    tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0, .func = FP_FUNC_CALLOC });
    tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, 7, 64 });
    tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ 1 });
    tg_finish(&g);
    struct fp_rec_alloc got[16];
    size_t n;
    const char *e = read_short(&g, got, 16, &n);
    if (e)
        fail_msg("%s", e);
    assert_int_equal(n, 6);
    assert_true(got[0].func == FP_FUNC_MALLOC && got[0].size == UINT64_MAX && got[0].addr == a &&
                got[0].stack == UINT64_MAX && got[0].flags == 0 && got[0].align == 0);
    assert_true(got[1].func == FP_FUNC_POSIX_MEMALIGN && got[1].size == 128 && got[1].addr == b &&
                got[1].stack == 3 && got[1].flags == 1 && got[1].align == 4096);
    assert_int_equal(got[2].addr, a);
    assert_int_equal(got[3].addr, b);
    assert_true(got[4].func == FP_FUNC_CALLOC && got[4].size == 7 && got[4].addr == 64);
    assert_int_equal(got[5].addr, 64);
    free(g.buf);

    /* what a member has not defined is corrupt, named */
    static const struct { int kind; const char *msg; } bad[] = {
        { 0, "ALLOC_SHORT names site 0, which its member at byte" },
        { 1, "SITE 1 out of order (expected 0)" },
        { 2, "FREE_BACK 1 with 0 ALLOC_SHORT records before it" },
        { 3, "FREE_BACK 0 with 1 ALLOC_SHORT records before it" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tg_start(&g, 77, 0, "/bin/rt", "rt");
        tg_block(&g, 77, 100);
        tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0 });
        tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, 1, 16 });
        tg_block(&g, 77, 200);
        switch (bad[i].kind) {
        case 0: tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, 1, 16 }); break;
        case 1: tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 1 }); break;
        case 2: tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ 1 }); break;
        default:
            tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0 });
            tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, 1, 16 });
            tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ 0 });
        }
        tg_finish(&g);
        e = read_short(&g, got, 16, &n);
        if (!e || !strstr(e, bad[i].msg))
            fail_msg("case %zu: expected '%s', got '%s'", i, bad[i].msg, e ? e : "no error");
        free(g.buf);
    }
}

/* 3.0's free lists (faultprof/reuse.h): FREE_BACK puts a block on its
 * size class's list, newest first, ALLOC_REUSE takes the reuse-th off; a
 * full list drops its oldest; classes are glibc's chunk sizes below 1 KiB
 * and quarters of a power of two above; a BLOCK empties them.  Read plain
 * and fused (an ALLOC_SHORT with its FREE_BACK 1 as one record). */
#define ALLOC_AT(sz, a)  tg_put_alloc_short(&g, TG_UNTIMED, &(struct fp_rec_alloc_short){ 0, sz, (int64_t)(a) - (int64_t)last }), last = (a)
#define FREE_BACK(k)     (packed ? tg_put_free_back_packed(&g, k) \
                          : tg_put_free_back(&g, TG_UNTIMED, &(struct fp_rec_free_back){ k }))
#define REUSE(sz, k)     (packed ? tg_put_alloc_reuse_packed(&g, 0, sz, k, 0) \
                          : tg_put_alloc_reuse(&g, TG_UNTIMED, &(struct fp_rec_alloc_reuse){ 0, sz, k }))
/* packed: the same trace in 4.0's packed forms (types 0x30 to 0x3f, 0x80 up) */
static void free_lists(int packed)
{
    assert_int_equal(fp_reuse_class(0), 1);
    assert_int_equal(fp_reuse_class(24), 2);        /* glibc: a 32-byte chunk */
    assert_int_equal(fp_reuse_class(25), 3);        /* 48 */
    assert_int_equal(fp_reuse_class(1023), 65);
    assert_int_equal(fp_reuse_class(1024), 66);
    assert_int_equal(fp_reuse_class(1279), 66);
    assert_int_equal(fp_reuse_class(1280), 67);
    assert_int_equal(fp_reuse_class(UINT32_MAX), 153);
    assert_int_equal(fp_reuse_class((uint64_t)1 << 32), 154);
    assert_int_equal(fp_reuse_class(UINT64_MAX), FP_REUSE_CLASSES - 1);

    struct tg g;
    uint64_t last = 0;
    const uint64_t A = 0x10000, B = 0x10040, C = 0x20000, D = 0x30000;
    tg_start(&g, 77, 0, "/bin/rt", "rt");
    tg_block(&g, 77, 100);
    tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0, .func = FP_FUNC_MALLOC });
    ALLOC_AT(24, A); ALLOC_AT(20, B); ALLOC_AT(100, C); ALLOC_AT(5000, D);
    FREE_BACK(4); FREE_BACK(3); FREE_BACK(2); FREE_BACK(1);   /* lists: 2 [B A], 7 [C], D's [D] */
    REUSE(17, 1);              /* A, of class 2; its list is [B] */
    REUSE(5100, 0);            /* D: 5000 and 5100 share a class */
    REUSE(24, 0);              /* B */
    FREE_BACK(1);              /* B again, at its list's head */
    REUSE(20, 0);              /* B */
    FREE_BACK(1);              /* an ALLOC_REUSE with its FREE_BACK 1: fused too */
    last = B;                  /* the reader's last address: that of the last short record */
    for (uint64_t i = 0; i < FP_REUSE_DEPTH; i++)
        ALLOC_AT(100, 0x40000 + 64 * i);
    for (uint32_t i = 0; i < FP_REUSE_DEPTH; i++)
        FREE_BACK(FP_REUSE_DEPTH - i);     /* C and 8 more on class 7: C falls off */
    REUSE(100, FP_REUSE_DEPTH - 1);        /* the oldest left: 0x40000 */
    REUSE(104, 0);                         /* the newest: the last of the 8 (104 and 100: one class) */
    /* the _FREED forms: the block freed at once goes on its list */
    last = 0x401c0;
    tg_put_alloc_short_freed(&g, TG_UNTIMED,
                             &(struct fp_rec_alloc_short_freed){ 0, 3000, (int64_t)(0x50000 - last) });
    if (packed)
        tg_put_alloc_reuse_packed(&g, 0, 3001, 0, 1);
    else
        tg_put_alloc_reuse_freed(&g, TG_UNTIMED, &(struct fp_rec_alloc_reuse_freed){ 0, 3001, 0 });
    REUSE(3002, 0);                        /* 0x50000 again: its free put it back */
    last = 0x50000;
    ALLOC_AT(3003, 0x60000);
    FREE_BACK(4);                          /* the _FREED forms count as allocations: the first */
    tg_finish(&g);
    static const uint64_t want[] = {
        A, B, C, D, A, B, C, D, A, D, B, B, B, B,
        0x40000, 0x40040, 0x40080, 0x400c0, 0x40100, 0x40140, 0x40180, 0x401c0,
        0x40000, 0x40040, 0x40080, 0x400c0, 0x40100, 0x40140, 0x40180, 0x401c0,
        0x40000, 0x401c0,
        0x50000, 0x50000, 0x50000, 0x50000, 0x50000, 0x60000, 0x50000,
    };
    const size_t nwant = sizeof(want) / sizeof(want[0]);
    for (int fuse = 0; fuse < 2; fuse++) {
        struct fp_rec_alloc got[64];
        size_t n;
        const char *e = read_short_fused(&g, got, 64, &n, fuse);
        if (e)
            fail_msg("fused %d: %s", fuse, e);
        assert_int_equal(n, nwant);
        for (size_t i = 0; i < n; i++)
            if (got[i].addr != want[i])
                fail_msg("fused %d: event %zu at %#llx, want %#llx", fuse, i,
                         (unsigned long long)got[i].addr, (unsigned long long)want[i]);
        assert_int_equal(got[8].size, 17);
        assert_int_equal(got[9].size, 5100);
    }
    free(g.buf);

    /* a list it does not have, or not that deep, is corrupt, named; a
     * BLOCK empties the lists */
    for (int kind = 0; kind < 3; kind++) {
        last = 0;
        tg_start(&g, 77, 0, "/bin/rt", "rt");
        tg_block(&g, 77, 100);
        tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0 });
        ALLOC_AT(100, A);
        FREE_BACK(1);
        if (kind == 2)
            tg_block(&g, 77, 200), tg_put_site(&g, TG_UNTIMED, &(struct fp_rec_site){ .id = 0 });
        REUSE(kind == 0 ? 200 : 100, kind == 1 ? 1 : 0);
        tg_finish(&g);
        struct fp_rec_alloc got[8];
        size_t n;
        const char *e = read_short(&g, got, 8, &n);
        const char *msg = kind == 1 ? "ALLOC_REUSE 1 of a free list of 1 in the member at byte"
                                    : "ALLOC_REUSE 0 of a free list of 0 in the member at byte";
        if (!e || !strstr(e, msg))
            fail_msg("case %d: expected '%s', got '%s'", kind, msg, e ? e : "no error");
        free(g.buf);
    }
}

static void test_free_lists(void **state)
{
    (void)state;
    free_lists(0);
    free_lists(1);
}
#undef ALLOC_AT
#undef FREE_BACK
#undef REUSE

static void test_man_page_table(void **state)
{
    (void)state;
    static char want[32768], page[262144];
    man_table(want, sizeof(want));
    char path[4096];
    snprintf(path, sizeof(path), "%s/../man/faultprof-trace.5",
             getenv("TESTS") ? getenv("TESTS") : "tests");   /* tests/run.sh sets TESTS */
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    size_t n = fread(page, 1, sizeof(page) - 1, f);
    fclose(f);
    page[n] = 0;
    char *a = strstr(page, MAN_BEGIN), *b = a ? strstr(a, MAN_END) : NULL;
    if (!a || !b)
        fail_msg("man/faultprof-trace.5 has no generated layout table (make man-layouts)");
    a += strlen(MAN_BEGIN);
    *b = 0;
    if (strcmp(a, want) != 0)
        fail_msg("man/faultprof-trace.5's layout table differs from records.h: "
                 "run make man-layouts");
    /* and each type has its prose entry */
    for (size_t i = 0; i < NTYPES; i++) {
        char entry[64];
        snprintf(entry, sizeof(entry), "0x%02x %s\"", types[i].code, types[i].name);
        char entry2[64];
        snprintf(entry2, sizeof(entry2), ".B 0x%02x %s\n", types[i].code, types[i].name);
        if (!strstr(b + 1, entry) && !strstr(b + 1, entry2))
            fail_msg("man/faultprof-trace.5 does not describe %s", types[i].name);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--man") == 0) {
        static char buf[32768];
        fwrite(buf, 1, man_table(buf, sizeof(buf)), stdout);
        return 0;
    }
    rt_init(SIZE_MAX);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_payloads),
        cmocka_unit_test(test_max_bounds_encoding),
        cmocka_unit_test(test_round_trip_trace),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_free_lists),
        cmocka_unit_test(test_man_page_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
