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
    tg_rec(g, FP_REC_MODULE, 1, "uuubs", 0x400000ULL, 0x400000ULL, 0x410000ULL, "\x01\x02", (size_t)2,
           "/bin/x");
    tg_block(g, 7, 2);
    tg_stack(g, 1, 3, fr);
    tg_malloc(g, 3, 64, 0x1000, 1);
    tg_realloc(g, 4, 0x1000, 128, 0x2000, 1);
    tg_rec(g, FP_REC_ALLOC, 5, "uuuuuu", 2ULL, 1ULL, 4096ULL, 0x3000ULL, 1ULL, 0ULL);
    tg_free(g, 6, 0x2000);
    tg_rec(g, FP_REC_MMAP, 7, "uuuuzuuuu", 0ULL, 8192ULL, 3ULL, 0x22ULL, (int64_t)-1, 0ULL,
           0x7f0000100000ULL, 0ULL, 1ULL);
    tg_rec(g, FP_REC_MUNMAP, 8, "uuuu", 0x7f0000100000ULL, 4096ULL, 0ULL, 1ULL);
    tg_rec(g, FP_REC_MREMAP, 9, "uuuuuuuu", 1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 6ULL, 0ULL, 1ULL);
    tg_rec(g, FP_REC_BRK, 10, "uzuuuu", 2ULL, (int64_t)-4096, 0x600000ULL, 0x5ff000ULL, 0ULL, 1ULL);
    tg_rec(g, FP_REC_HEAP_BREAK, 11, "u", 0x621000ULL);
    tg_rec(g, FP_REC_FAULT, 12, "uuuuu", 1ULL, 0x3000ULL, 0x401000ULL, 1ULL, 16ULL);
    tg_rec(g, FP_REC_RUSAGE, 13, "uu", 10ULL, 1ULL);
    tg_rec(g, FP_REC_NOTE, 14, "ss", "fault_mode", "rusage");
    tg_rec(g, FP_REC_FORK, 15, "u", 99ULL);
    tg_rec(g, FP_REC_EXEC, 16, "us", 2ULL, "/nonexistent");
    tg_rec(g, FP_REC_MAPS, 17, "s", "00400000-00410000 r-xp 0 0:0 0 /bin/x\n");
    tg_rec(g, FP_REC_MODULE_UNLOAD, 18, "u", 0x400000ULL);
    tg_block(g, 8, 3);
    tg_rec(g, FP_REC_THREAD_START, 3, "");
    tg_stack(g, 4, 1, fr + 1);
    tg_malloc(g, 4, 10, 0x9000, 4);
    tg_rec(g, FP_REC_THREAD_END, 20, "uuuus", 1ULL, 0ULL, 100ULL, 50ULL, "worker");
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
