/* mkcorpus: writes the fuzz seed corpus (small valid traces exercising every
 * record type, threads, members with and without the FP field) into DIR. */
#include "tracegen.h"

static void save(struct tg *g, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    tg_write_file(g, path);
    free(g->buf);
}

static void all_records(struct tg *g)
{
    static const uint64_t fr[3] = { 0x401000, 0x402000, 0x7f0000001000 };
    tg_put_module(g, 1, &(struct fp_rec_module){
        .base = 0x400000ULL, .start = 0x400000ULL, .end = 0x410000ULL,
        .build_id = { (const char *)"\x01\x02", (uint32_t)(size_t)2 }, .path = TG_STR("/bin/x"),
    });
    tg_block(g, 7, 2);
    tg_stack(g, 1, 3, fr);
    tg_malloc(g, 3, 64, 0x1000, 1);
    tg_realloc(g, 4, 0x1000, 128, 0x2000, 1);
    tg_put_alloc(g, 5, &(struct fp_rec_alloc){
        .func = 2ULL, .flags = 1ULL, .size = 4096ULL, .addr = 0x3000ULL, .stack = 1ULL,
    });
    tg_free(g, 6, 0x2000);
    tg_put_mmap(g, 7, &(struct fp_rec_mmap){
        .length = 8192ULL, .prot = 3ULL, .flags = 0x22ULL, .fd = (int64_t)-1,
        .result = 0x7f0000100000ULL, .stack = 1ULL,
    });
    tg_put_munmap(g, 8, &(struct fp_rec_munmap){
        .addr = 0x7f0000100000ULL, .length = 4096ULL, .stack = 1ULL,
    });
    tg_put_mremap(g, 9, &(struct fp_rec_mremap){
        .old_addr = 1ULL, .old_length = 2ULL, .new_length = 3ULL, .flags = 4ULL, .new_addr = 5ULL,
        .result = 6ULL, .stack = 1ULL,
    });
    tg_put_brk(g, 10, &(struct fp_rec_brk){
        .func = 2ULL, .arg = fp_zigzag((int64_t)-4096), .old_break = 0x600000ULL,
        .new_break = 0x5ff000ULL, .stack = 1ULL,
    });
    tg_put_heap_break(g, 11, &(struct fp_rec_heap_break){ .brk = 0x621000ULL });
    tg_put_fault(g, 12, &(struct fp_rec_fault){
        .kind = 1ULL, .addr = 0x3000ULL, .ip = 0x401000ULL, .stack = 1ULL, .weight = 16ULL,
    });
    tg_put_rusage(g, 13, &(struct fp_rec_rusage){ .minflt = 10ULL, .majflt = 1ULL });
    tg_put_note(g, 14, &(struct fp_rec_note){
        .key = TG_STR("fault_mode"), .value = TG_STR("rusage"),
    });
    tg_put_fork(g, 15, &(struct fp_rec_fork){ .child_pid = 99ULL });
    tg_put_exec(g, 16, &(struct fp_rec_exec){ .err = 2ULL, .path = TG_STR("/nonexistent") });
    tg_put_maps(g, 17, &(struct fp_rec_maps){
        .text = TG_STR("00400000-00410000 r-xp 0 0:0 0 /bin/x\n"),
    });
    tg_put_module_unload(g, 18, &(struct fp_rec_module_unload){ .base = 0x400000ULL });
    tg_block(g, 8, 3);
    tg_rec(g, FP_REC_THREAD_START, 3, "");
    tg_stack(g, 4, 1, fr + 1);
    tg_malloc(g, 4, 10, 0x9000, 4);
    tg_put_thread_end(g, 20, &(struct fp_rec_thread_end){
        .minflt = 1ULL, .utime_ns = 100ULL, .stime_ns = 50ULL, .name = TG_STR("worker"),
    });
    tg_rec(g, 0x55, 21, "uu", 1ULL, 2ULL);
    tg_block(g, 7, 30);
    tg_rec(g, FP_REC_PROCESS_END, 40, "uuuuuuuuuuuuuuuu", 1ULL, 40ULL, 1ULL, 1ULL, 1000ULL, 10ULL,
           0ULL, 1ULL, 1ULL, 2ULL, 2ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    struct tg g;
    tg_start(&g, 7, 1, "/bin/x", "x a b");
    all_records(&g);
    tg_finish(&g);
    save(&g, dir, "all_records.gz");

    tg_start(&g, 7, 1, "/bin/x", "x");
    g.no_fextra = 1;
    all_records(&g);
    tg_finish(&g);
    save(&g, dir, "no_fextra.gz");

    tg_start(&g, 7, 0, "/bin/x", "x");
    tg_finish(&g);
    save(&g, dir, "minimal.gz");
    return 0;
}
