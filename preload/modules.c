/* Loaded objects: path, load bias, address range and build-id of every
 * module, at start and after each dlopen/dlclose, so the analyzer can
 * symbolize offline. */
#include <elf.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp.h"

#define MAX_MODULES 4096

struct known {
    uintptr_t base;
    uintptr_t start;
    int seen;        /* generation of the last scan that saw it */
};

static struct known known[MAX_MODULES];
static int nknown;
static int generation;
static fp_lock_t modules_lock;

struct scan_ctx {
    struct fp_thread *t;
    int new_count;
};

static size_t find_build_id(const struct dl_phdr_info *info, const uint8_t **out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name_sz = (nh->n_namesz + 3) & ~3u;
            size_t desc_sz = (nh->n_descsz + 3) & ~3u;
            const uint8_t *name = p + sizeof(*nh);
            const uint8_t *desc = name + name_sz;
            if (desc + desc_sz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0) {
                *out = desc;
                return nh->n_descsz;
            }
            p = desc + desc_sz;
        }
    }
    return 0;
}

static void write_module(struct fp_thread *t, const struct dl_phdr_info *info,
                        uintptr_t start, uintptr_t end)
{
    char exe[PATH_MAX];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        /* the main program (empty name) or the vDSO (named by glibc) */
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = 0;
        path = exe;
    } else if (strncmp(path, "linux-vdso", 10) == 0 || strncmp(path, "linux-gate", 10) == 0) {
        path = "[vdso]";
    } else if (path[0] != '/' && realpath(path, exe)) {
        path = exe;     /* LD_PRELOAD=../x.so: the analyzer may run elsewhere */
    }
    const uint8_t *bid = NULL;
    size_t bid_len = find_build_id(info, &bid);
    if (bid_len > 64)
        bid_len = 64;
    size_t plen = strnlen(path, PATH_MAX);
    struct fp_rec_module x = {
        .base = info->dlpi_addr, .start = start, .end = end,
        .build_id = { (const char *)bid, (uint32_t)bid_len }, .path = { path, (uint32_t)plen },
    };
    fp_put_module(t, &x, fp_now_ns());
}

static int scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct scan_ctx *ctx = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        uintptr_t e = s + ph->p_memsz;
        if (s < lo) lo = s;
        if (e > hi) hi = e;
    }
    if (hi == 0)
        return 0;
    for (int i = 0; i < nknown; i++) {
        if (known[i].base == info->dlpi_addr && known[i].start == lo) {
            known[i].seen = generation;
            return 0;
        }
    }
    if (nknown < MAX_MODULES) {
        known[nknown].base = info->dlpi_addr;
        known[nknown].start = lo;
        known[nknown].seen = generation;
        nknown++;
    }
    write_module(ctx->t, info, lo, hi);
    ctx->new_count++;
    return 0;
}

static void scan(struct fp_thread *t)
{
    struct scan_ctx ctx = { .t = t };
    /* no signal handler may longjmp out of dl_iterate_phdr (its lock) */
    sigset_t old;
    bool blocked = fp_os_block_signals(&old);
    fp_lock(&modules_lock);
    generation++;
    dl_iterate_phdr(scan_one, &ctx);
    /* modules no longer listed were unloaded */
    for (int i = 0; i < nknown;) {
        if (known[i].seen != generation) {
            struct fp_rec_module_unload x = { .base = known[i].base };
            fp_put_module_unload(t, &x, fp_now_ns());
            known[i] = known[--nknown];
            continue;
        }
        i++;
    }
    fp_unlock(&modules_lock);
    if (blocked)
        fp_os_restore_signals(&old);
}

void fp_write_modules(struct fp_thread *t)
{
    fp_lock(&modules_lock);
    nknown = 0;
    fp_unlock(&modules_lock);
    scan(t);
}

void fp_modules_rescan(struct fp_thread *t)
{
    scan(t);
}

/* /proc/self/maps as it is now, so the analyzer can tell what any faulting
 * address was (heap, stack, a file, anonymous memory).  At start and after
 * dlopen/dlclose. */
void fp_write_maps(struct fp_thread *t)
{
    size_t cap = 1u << 20;          /* FP_MAX_RECORD */
    char *text = fp_os_map(cap);
    if (!text)
        return;
    size_t n = fp_read_file("/proc/self/maps", text, cap - 64);
    struct fp_rec_maps x = { .text = { text, (uint32_t)n } };
    fp_put_maps_member(t, &x, fp_now_ns());
    fp_os_unmap(text, cap);
}
