/* Page-fault units: a sampled fault is charged exactly to the live block
 * holding its address (large and small blocks) and to its code stack, or to
 * its region; estimates are samples x weight; rusage mode is reported as
 * such; each diagnosis fires on its pattern and stays quiet on weak
 * evidence; the interval tree agrees with a brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tracegen.h"
#include "itree.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "symbols.h"

static uint64_t FA[1] = { 0x401000 }, FB[1] = { 0x402000 }, FCALL[2] = { 0x403000, 0x404000 };
#define IP 0x405123ULL

static struct fp_model *read_tg(struct tg *g)
{
    tg_finish(g);
    struct fp_model *m = fp_model_new();
    m->warn = NULL;
    char err[256];
    if (fp_model_read_mem(m, "mem", g->buf, g->len, err, sizeof(err)) < 0)
        fail_msg("read failed: %s", err);
    free(g->buf);
    return m;
}

static const struct fp_rawstack *stack_at(const struct fp_model *m, uint32_t kind, uint64_t f)
{
    for (uint32_t i = 0; i < m->nstacks; i++)
        if (m->stacks[i].kind == kind && m->stacks[i].n >= 1 &&
            fp_rawstack_frames(m, &m->stacks[i])[0] == f)
            return &m->stacks[i];
    fail_msg("no stack 0x%llx", (unsigned long long)f);
    return NULL;
}

static void fault(struct tg *g, uint64_t t, unsigned kind, uint64_t addr, uint64_t weight)
{
    tg_put_fault(g, t, &(struct fp_rec_fault){
        .kind = (uint64_t)kind, .addr = addr, .ip = IP, .stack = (uint64_t)3, .weight = weight,
    });
}

static void start(struct tg *g)
{
    tg_start(g, 10, FP_PROC_PTMALLOC, "/bin/f", "f");
    tg_block(g, 10, 0);
    tg_put_note(g, 1, &(struct fp_rec_note){
        .key = TG_STR("fault_mode"), .value = TG_STR("perf"),
    });
    tg_put_note(g, 1, &(struct fp_rec_note){
        .key = TG_STR("fault_period"), .value = TG_STR("64"),
    });
    tg_stack(g, 1, 1, FA);
    tg_stack(g, 2, 1, FB);
    tg_stack(g, 3, 2, FCALL);
}

/* A fault inside a big block, inside a small one, just past the small one
 * and into a freed big block: each goes where its address was then. */
static void test_attribution(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    tg_malloc(&g, 2, 8192, 0x100000, 1);            /* A: big */
    tg_malloc(&g, 3, 48, 0x200010, 2);              /* B: small, ends at 0x200040 */
    tg_malloc(&g, 4, 16, 0x2000f0, 2);
    fault(&g, 5, FP_FAULT_MINOR, 0x100000 + 5000, 64);
    fault(&g, 6, FP_FAULT_MINOR, 0x200030, 64);
    fault(&g, 7, FP_FAULT_MAJOR, 0x200010, 1);
    fault(&g, 8, FP_FAULT_MINOR, 0x200048, 64);     /* between B's blocks */
    tg_free(&g, 9, 0x100000);
    fault(&g, 10, FP_FAULT_MINOR, 0x100000 + 100, 64);   /* freed */
    struct fp_model *m = read_tg(&g);
    const struct fp_rawstack *a = stack_at(m, FP_STACK_ALLOC, FA[0]);
    const struct fp_rawstack *b = stack_at(m, FP_STACK_ALLOC, FB[0]);
    assert_int_equal(a->c.minor_faults, 64);
    assert_int_equal(a->c.fault_samples, 1);
    assert_int_equal(b->c.minor_faults, 64);
    assert_int_equal(b->c.major_faults, 1);
    assert_int_equal(b->c.fault_samples, 2);
    /* the code: one fault stack, the ip then its callers */
    const struct fp_rawstack *f = stack_at(m, FP_STACK_FAULT, IP);
    assert_int_equal(f->n, 3);
    assert_int_equal(fp_rawstack_frames(m, f)[1], FCALL[0]);
    assert_int_equal(f->c.minor_faults, 4 * 64);
    assert_int_equal(f->c.major_faults, 1);
    assert_int_equal(f->c.fault_samples, 5);
    const struct fp_proc *p = &m->procs[0];
    assert_int_equal(p->region_samples[FP_REGION_BLOCK], 3);
    assert_int_equal(p->region_samples[FP_REGION_ARENA], 2);   /* where heap blocks live */
    assert_int_equal(p->fault_minor_w, 4 * 64);
    assert_int_equal(p->fault_major_w, 1);
    fp_model_free(m);
}

/* Regions: the program's anonymous and file mmaps (and what munmap took
 * away), the brk heap, a thread's stack, a module. */
static void test_regions(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    tg_put_module(&g, 1, &(struct fp_rec_module){
        .base = 0x400000ULL, .start = 0x400000ULL, .end = 0x500000ULL, .path = TG_STR("/bin/f"),
    });
    tg_put_heap_break(&g, 2, &(struct fp_rec_heap_break){ .brk = 0x600000ULL });
    tg_put_heap_break(&g, 3, &(struct fp_rec_heap_break){ .brk = 0x640000ULL });
    tg_put_mmap(&g, 4, &(struct fp_rec_mmap){
        .length = 0x100000ULL, .prot = 3ULL, .flags = 0x22ULL, .fd = (int64_t)-1,
        .result = 0x7000000ULL, .stack = 1ULL,
    });
    tg_put_mmap(&g, 5, &(struct fp_rec_mmap){
        .length = 0x10000ULL, .prot = 1ULL, .flags = 0x2ULL, .fd = (int64_t)3,
        .result = 0x7200000ULL, .stack = 1ULL,
    });
    tg_put_munmap(&g, 6, &(struct fp_rec_munmap){
        .addr = 0x7080000ULL, .length = 0x80000ULL, .stack = 1ULL,
    });
    fault(&g, 7, FP_FAULT_MINOR, 0x7000000 + 4096, 64);    /* anon */
    fault(&g, 8, FP_FAULT_MINOR, 0x7090000, 64);           /* unmapped half: other */
    fault(&g, 9, FP_FAULT_MAJOR, 0x7200000, 1);            /* file */
    fault(&g, 10, FP_FAULT_MINOR, 0x620000, 64);           /* brk heap */
    fault(&g, 11, FP_FAULT_MINOR, 0x480000, 64);           /* module */
    tg_block(&g, 11, 20);
    tg_put_thread_start(&g, 21, &(struct fp_rec_thread_start){
        .stack_lo = 0x7f0000000000ULL, .stack_hi = 0x7f0000800000ULL,
    });
    tg_stack(&g, 3, 2, FCALL);
    fault(&g, 22, FP_FAULT_MINOR, 0x7f00007ff000ULL, 64);  /* the thread's stack */
    struct fp_model *m = read_tg(&g);
    const struct fp_proc *p = &m->procs[0];
    assert_int_equal(p->region_minor[FP_REGION_ANON], 64);
    assert_int_equal(p->region_minor[FP_REGION_OTHER], 64);
    assert_int_equal(p->region_major[FP_REGION_FILE], 1);
    assert_int_equal(p->region_minor[FP_REGION_BRK], 64);
    assert_int_equal(p->region_minor[FP_REGION_MODULE], 64);
    assert_int_equal(p->region_minor[FP_REGION_STACK], 64);
    assert_int_equal(p->mods[0].minor_faults, 64);
    assert_int_equal(p->region_samples[FP_REGION_BLOCK], 0);
    fp_model_free(m);
}

/* Estimates are samples x weight; the report says so, beside the exact
 * totals of PROCESS_END. */
static void test_estimates_text(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    tg_malloc(&g, 2, 1 << 20, 0x100000, 1);
    for (int i = 0; i < 10; i++)
        fault(&g, 3 + (uint64_t)i, FP_FAULT_MINOR, 0x100000 + 4096 * (uint64_t)i, 64);
    fault(&g, 20, FP_FAULT_MAJOR, 0x100000, 1);
    fault(&g, 21, FP_FAULT_MAJOR, 0x100000, 1);
    tg_put_process_end(&g, 30, &(struct fp_rec_process_end){
        .reason = 1ULL, .wall_ns = 1ULL, .minflt = 650ULL, .majflt = 2ULL, .threads_total = 1ULL,
        .threads_peak = 1ULL,
    });
    struct fp_model *m = read_tg(&g);
    struct fp_summary sum;
    struct fp_fault_info fi;
    fp_summary_compute(m, &sum);
    fp_fault_info_compute(m, &sum, &fi);
    assert_int_equal(fi.mode, FP_FAULTS_PERF);
    assert_int_equal(fi.samples, 12);
    assert_int_equal(fi.est_minor, 640);
    assert_int_equal(fi.est_major, 2);
    assert_int_equal(fi.exact_minor, 650);
    struct fp_syms *syms = fp_syms_new(m, NULL, 0);
    struct fp_filter f;
    fp_filter_defaults(&f);
    struct fp_opts o = { .sort = FP_METRIC_ALLOCATIONS, .top = 20, .depth = 4, .filter = &f };
    struct fp_report r;
    struct fp_report_plan plan = fp_report_plan_of(&o);
    assert_int_equal(fp_report_build(&r, m, syms, &o, &plan), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(fp_report_text(out, &r), 0);
    fclose(out);
    assert_non_null(strstr(text, "Page faults: sampled with perf events, period 64\n"));
    assert_non_null(strstr(text, "exact (getrusage): minor 650, major 2; estimated from 12 "
                                 "samples: minor 640, major 2"));
    assert_non_null(strstr(text, "Fault sources"));
    assert_non_null(strstr(text, "       640        2       12  0x405123"));
    free(text);
    text = NULL;
    out = open_memstream(&text, &len);
    assert_int_equal(fp_report_json(out, &r), 0);
    fclose(out);
    assert_non_null(strstr(text, "\"page_faults\": {\"mode\": \"perf\", \"period\": 64"));
    assert_non_null(strstr(text, "\"fault_sites\": [\n    {\"function\": \"0x405123\""));
    assert_non_null(strstr(text, "\"minor_faults\": 640, \"major_faults\": 2, \"samples\": 12}"));
    assert_non_null(strstr(text, "{\"region\": \"heap_block\", \"description\": \"allocated "
                                 "blocks\", \"minor_faults\": 640, \"major_faults\": 2, "
                                 "\"samples\": 12}"));
    free(text);
    fp_report_free(&r);
    fp_filter_free(&f);
    fp_syms_free(syms);
    fp_model_free(m);
}

/* No FAULT records: the report says getrusage counted them and why, and the
 * allocation sites carry the counts charged to their calls. */
static void test_rusage_mode(void **state)
{
    (void)state;
    struct tg g;
    tg_start(&g, 10, 0, "/bin/r", "r");
    tg_block(&g, 10, 0);
    tg_put_note(&g, 1, &(struct fp_rec_note){
        .key = TG_STR("fault_mode"), .value = TG_STR("rusage"),
    });
    tg_put_note(&g, 1, &(struct fp_rec_note){
        .key = TG_STR("fault_error"), .value = TG_STR("perf_event_open: Permission denied"),
    });
    tg_stack(&g, 1, 1, FA);
    tg_malloc(&g, 2, 100, 0x1000, 1);
    tg_put_rusage(&g, 3, &(struct fp_rec_rusage){ .minflt = 70ULL, .majflt = 1ULL });
    struct fp_model *m = read_tg(&g);
    struct fp_summary sum;
    struct fp_fault_info fi;
    fp_summary_compute(m, &sum);
    fp_fault_info_compute(m, &sum, &fi);
    assert_int_equal(fi.mode, FP_FAULTS_RUSAGE);
    char buf[256];
    assert_string_equal(fp_fault_mode_text(&fi, buf, sizeof(buf)),
                        "counted with getrusage only: perf_event_open: Permission denied");
    assert_int_equal(stack_at(m, FP_STACK_ALLOC, FA[0])->c.minor_faults, 70);
    assert_int_equal(stack_at(m, FP_STACK_ALLOC, FA[0])->c.major_faults, 1);
    fp_model_free(m);
}

struct built {
    struct fp_model *m;
    struct fp_syms *syms;
    struct fp_filter f;
    struct fp_opts o;
    struct fp_report r;
    struct fp_diags d;           /* r's diagnoses */
};

static void diagnose(struct built *b, struct tg *g)
{
    b->m = read_tg(g);
    b->syms = fp_syms_new(b->m, NULL, 0);
    fp_filter_defaults(&b->f);
    b->o = (struct fp_opts){ .filter = &b->f, .sort = FP_METRIC_ALLOCATIONS };
    struct fp_report_plan plan = { .by = FP_BY_SITE, .sort = FP_METRIC_ALLOCATIONS,
                                   .parts = FP_PART_FAULT_SOURCES | FP_PART_DIAGNOSES };
    assert_int_equal(fp_report_build(&b->r, b->m, b->syms, &b->o, &plan), 0);
    b->d = b->r.diags;
}

static void built_free(struct built *b)
{
    fp_report_free(&b->r);
    fp_filter_free(&b->f);
    fp_syms_free(b->syms);
    fp_model_free(b->m);
}

/* 20 mmapped 1 MiB blocks freed and made again, 4 samples of 64 each: the
 * faults beyond the first block's are the saving. */
static void test_diag_mmap_churn(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    uint64_t t = 2;
    for (int i = 0; i < 20; i++) {
        tg_put_alloc(&g, t++, &(struct fp_rec_alloc){
            .func = (uint64_t)FP_FUNC_MALLOC, .flags = (uint64_t)FP_ALLOC_MMAPPED,
            .size = (uint64_t)1 << 20, .addr = 0x7000010ULL, .stack = 1ULL,
        });
        for (int k = 0; k < 4; k++)
            fault(&g, t++, FP_FAULT_MINOR, 0x7000010 + 0x40000 * (uint64_t)k, 64);
        tg_put_free(&g, t++, &(struct fp_rec_free){
            .flags = (uint64_t)FP_ALLOC_MMAPPED, .addr = 0x7000010ULL,
        });
    }
    struct built b;
    diagnose(&b, &g);
    assert_int_equal(b.d.n, 1);
    assert_int_equal(b.d.v[0].kind, FP_DIAG_MMAP_CHURN);
    assert_int_equal(b.d.v[0].count, 20);
    assert_int_equal(b.d.v[0].faults, 20 * 4 * 64);
    assert_int_equal(b.d.v[0].saving, 19 * 4 * 64);
    assert_int_equal(b.d.v[0].fault_site, 0);
    assert_non_null(strstr(b.d.v[0].advice, "glibc.malloc.mmap_threshold=2097152:"
                                            "glibc.malloc.trim_threshold="));
    assert_non_null(strstr(b.d.v[0].advice, "top_pad"));
    built_free(&b);
}

/* The heap break falls and grows back; heap blocks replacing freed ones
 * take the faults. */
static void test_diag_heap_trim(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    uint64_t t = 2;
    for (int i = 0; i < 10; i++) {
        tg_malloc(&g, t++, 1 << 20, 0x600010, 1);
        tg_put_heap_break(&g, t++, &(struct fp_rec_heap_break){ .brk = 0x720000ULL });
        for (int k = 0; k < 4; k++)
            fault(&g, t++, FP_FAULT_MINOR, 0x600010 + 0x40000 * (uint64_t)k, 64);
        tg_free(&g, t++, 0x600010);
        tg_put_heap_break(&g, t++, &(struct fp_rec_heap_break){ .brk = 0x621000ULL });
    }
    struct built b;
    diagnose(&b, &g);
    assert_int_equal(b.d.n, 1);
    assert_int_equal(b.d.v[0].kind, FP_DIAG_HEAP_TRIM);
    assert_int_equal(b.d.v[0].count, 10);                  /* the break fell 10 times */
    assert_int_equal(b.d.v[0].saving, 9 * 4 * 64);
    assert_non_null(strstr(b.d.v[0].evidence, "the heap break fell 10 times"));
    built_free(&b);
}

/* A 40-long realloc chain copying megabytes; a 3-long one says nothing. */
static void test_diag_realloc(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    uint64_t t = 2, addr = 0x1000000, size = 65536;
    tg_malloc(&g, t++, size, addr, 1);
    for (int i = 0; i < 40; i++) {
        tg_realloc(&g, t++, addr, size + 65536, addr + 0x100000, 1);
        addr += 0x100000;
        size += 65536;
    }
    tg_malloc(&g, t++, 100, 0x50, 2);
    tg_realloc(&g, t++, 0x50, 200, 0x150, 2);
    tg_realloc(&g, t++, 0x150, 300, 0x250, 2);
    tg_realloc(&g, t++, 0x250, 400, 0x350, 2);
    struct built b;
    diagnose(&b, &g);
    assert_int_equal(b.d.n, 1);
    assert_int_equal(b.d.v[0].kind, FP_DIAG_REALLOC_GROWTH);
    assert_int_equal(b.d.v[0].count, 40);
    /* copied 64K + 128K + ... + 40 * 64K */
    assert_int_equal(b.d.v[0].bytes, 65536ULL * 40 * 41 / 2);
    built_free(&b);
}

/* Large calloc blocks whose pages fault on first touch. */
static void test_diag_zeroed(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    tg_put_alloc(&g, 2, &(struct fp_rec_alloc){
        .func = (uint64_t)FP_FUNC_CALLOC, .flags = (uint64_t)FP_ALLOC_MMAPPED,
        .size = (uint64_t)2 << 20, .addr = 0x7000010ULL, .stack = 1ULL,
    });
    for (int k = 0; k < 8; k++)
        fault(&g, 3 + (uint64_t)k, FP_FAULT_MINOR, 0x7000010 + 0x40000 * (uint64_t)k, 64);
    struct built b;
    diagnose(&b, &g);
    assert_int_equal(b.d.n, 1);
    assert_int_equal(b.d.v[0].kind, FP_DIAG_ZEROED_TOUCH);
    assert_int_equal(b.d.v[0].faults, 512);
    built_free(&b);
}

/* Weak evidence: a few churned mmapped blocks with one sample, nothing. */
static void test_diag_quiet(void **state)
{
    (void)state;
    struct tg g;
    start(&g);
    uint64_t t = 2;
    for (int i = 0; i < 3; i++) {
        tg_put_alloc(&g, t++, &(struct fp_rec_alloc){
            .func = (uint64_t)FP_FUNC_MALLOC, .flags = (uint64_t)FP_ALLOC_MMAPPED,
            .size = (uint64_t)1 << 20, .addr = 0x7000010ULL, .stack = 1ULL,
        });
        tg_put_free(&g, t++, &(struct fp_rec_free){
            .flags = (uint64_t)FP_ALLOC_MMAPPED, .addr = 0x7000010ULL,
        });
    }
    tg_malloc(&g, t++, 1 << 20, 0x600010, 1);
    fault(&g, t++, FP_FAULT_MINOR, 0x600010, 64);
    struct built b;
    diagnose(&b, &g);
    assert_int_equal(b.d.n, 0);
    built_free(&b);
}

/* The treap against a bitmap of a small address space. */
static void test_itree(void **state)
{
    (void)state;
    enum { N = 4096 };
    static int owner[N];
    struct itree t = { 0 };
    memset(owner, -1, sizeof(owner));
    srand(7);
    for (int step = 0; step < 20000; step++) {
        int a = rand() % N, len = 1 + rand() % 64;
        if (a + len > N)
            len = N - a;
        if (rand() % 3) {
            int free_run = 1;
            for (int i = a; i < a + len; i++)
                free_run &= owner[i] < 0;
            if (free_run) {
                assert_int_equal(itree_insert(&t, (uint64_t)a, (uint64_t)(a + len), (uint64_t)a), 0);
                for (int i = a; i < a + len; i++)
                    owner[i] = a;
            }
        } else {
            assert_int_equal(itree_cut(&t, (uint64_t)a, (uint64_t)(a + len)), 0);
            for (int i = a; i < a + len; i++)
                owner[i] = -1;
        }
        int q = rand() % N;
        const struct itree_node *x = itree_find(&t, (uint64_t)q);
        if (owner[q] < 0)
            assert_null(x);
        else
            assert_non_null(x);
    }
    itree_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribution),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_estimates_text),
        cmocka_unit_test(test_rusage_mode),
        cmocka_unit_test(test_diag_mmap_churn),
        cmocka_unit_test(test_diag_heap_trim),
        cmocka_unit_test(test_diag_realloc),
        cmocka_unit_test(test_diag_zeroed),
        cmocka_unit_test(test_diag_quiet),
        cmocka_unit_test(test_itree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
