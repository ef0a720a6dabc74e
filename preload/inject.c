/* Loaded into a running process (faultprof -p PID, launcher/attach.c).
 *
 * gdb, attached by the launcher, calls dlopen on libfaultprof.so and then
 * faultprof_attach(settings) in one of the program's threads.  The
 * constructor sees that the process's malloc is not ours (we are not first
 * in the symbol search order: nothing binds to our hooks) and does nothing;
 * faultprof_attach starts recording, paused, and then points the program's
 * GOT entries for every hooked function (hooks.h) at our hooks, in every
 * module loaded before us and in every one dlopen'ed later, as heaptrack's
 * and memray's injectors do.  The launcher resumes recording once gdb has
 * left (its SIGTRAP must not meet our fault sampler).
 *
 * faultprof_detach pauses, gives the program its SIGTRAP and toggle signal
 * back, writes every GOT entry back as it was, and ends the trace.  A call
 * already inside a hook finishes it and passes through; a pointer to a hook
 * the program took meanwhile (dlsym, a GLOB_DAT entry read) keeps working,
 * passing straight through, since the library is never unloaded.
 *
 * Limits: a module's calls that do not go through its GOT (a static
 * executable, a module linked with -Bsymbolic against its own malloc, an
 * allocator's own internal calls) are not seen; blocks allocated before the
 * attach are unknown, their frees counted apart (the model's unknown
 * frees); x86_64 and aarch64 relocations only. */
#include <dlfcn.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fp.h"

bool fp_attaching, fp_attached;

#if defined(__x86_64__)
#define R_SLOT R_X86_64_JUMP_SLOT
#define R_DAT  R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_SLOT R_AARCH64_JUMP_SLOT
#define R_DAT  R_AARCH64_GLOB_DAT
#endif

/* ---- the hooks by name */

#define HOOK_NAME(name, ...) #name,
#define HOOK_NAME1(name) #name,
static const char *const hook_names[] = {
    FP_HOOKS_REAL(HOOK_NAME) FP_HOOKS_VIA(HOOK_NAME1) FP_HOOKS_LAZY(HOOK_NAME1)
};
#define N_HOOKS (sizeof(hook_names) / sizeof(hook_names[0]))
static void *hook_addr[N_HOOKS];
static uintptr_t self_base;

/* ---- the GOT entries written, to be written back */
struct patch {
    void **slot;
    void *old;
    bool relro;
};
static struct patch *patches;
static size_t npatches, cappatches;
/* the modules seen (patched, or ours and skipped), by base address */
static uintptr_t seen[1024];
static size_t nseen;

/* dl_iterate_phdr's callback: 1 at our library, 2 at libc first */
static int libc_first(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (info->dlpi_addr == *(uintptr_t *)arg)
        return 1;
    return strstr(name, "/libc.so") ? 2 : 0;
}

/* The constructor's test: preloaded, we come before libc in the load
 * order (LD_PRELOAD's objects follow the executable); dlopen'ed into a
 * running process, after it. */
bool fp_attach_mode(void)
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "libfaultprof.so"))
        return false;
    Dl_info self;
    if (!dladdr((void *)fp_attach_mode, &self))
        return false;
    uintptr_t base = (uintptr_t)self.dli_fbase;
    return dl_iterate_phdr(libc_first, &base) == 2;
}

static int hook_index(const char *name)
{
    for (size_t i = 0; i < N_HOOKS; i++)
        if (!strcmp(hook_names[i], name))
            return (int)i;
    return -1;
}

static bool seen_add(uintptr_t base)
{
    for (size_t i = 0; i < nseen; i++)
        if (seen[i] == base)
            return false;
    if (nseen < sizeof(seen) / sizeof(seen[0]))
        seen[nseen++] = base;
    return true;
}

static bool patch_add(void **slot, void *old, bool relro)
{
    if (npatches == cappatches) {
        size_t cap = cappatches ? cappatches * 2 : 256;
        struct patch *p = fp_os_map(cap * sizeof(*p));
        if (!p)
            return false;
        if (patches) {
            memcpy(p, patches, npatches * sizeof(*p));
            fp_os_unmap(patches, cappatches * sizeof(*p));
        }
        patches = p;
        cappatches = cap;
    }
    patches[npatches++] = (struct patch){ slot, old, relro };
    return true;
}

/* Writes v at slot, through a writable mapping for the time of it when the
 * slot is in the module's RELRO part.  One aligned store: a thread calling
 * through it meanwhile gets the old or the new function, both good. */
static bool slot_write(void **slot, void *v, bool relro)
{
    long pg = sysconf(_SC_PAGESIZE);
    void *page = (void *)((uintptr_t)slot & ~(uintptr_t)(pg - 1));
    if (relro && mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE) != 0)
        return false;
    __atomic_store_n(slot, v, __ATOMIC_RELEASE);
    if (relro)
        mprotect(page, (size_t)pg, PROT_READ);
    return true;
}

static uintptr_t dyn_ptr(uintptr_t base, uintptr_t v)
{
    return v < base ? base + v : v;   /* ld.so relocates most, not all */
}

struct dyninfo {
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Rela) *jmprel, *rela;
    size_t jmprel_sz, rela_sz;
};

static bool read_dynamic(uintptr_t base, const ElfW(Dyn) *d, struct dyninfo *di)
{
    memset(di, 0, sizeof(*di));
    for (; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: di->symtab = (const void *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_STRTAB: di->strtab = (const void *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_JMPREL: di->jmprel = (const void *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_PLTRELSZ: di->jmprel_sz = d->d_un.d_val; break;
        case DT_RELA: di->rela = (const void *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_RELASZ: di->rela_sz = d->d_un.d_val; break;
        case DT_PLTREL: if (d->d_un.d_val != DT_RELA) return false; break;
        default: break;
        }
    }
    return di->symtab && di->strtab;
}

static void patch_relocs(uintptr_t base, const struct dyninfo *di, const ElfW(Rela) *r,
                         size_t sz, uintptr_t relro_lo, uintptr_t relro_hi)
{
#ifdef R_SLOT
    for (size_t i = 0; r && i < sz / sizeof(*r); i++) {
        unsigned long type = ELF64_R_TYPE(r[i].r_info);
        if (type != R_SLOT && type != R_DAT)
            continue;
        const ElfW(Sym) *s = &di->symtab[ELF64_R_SYM(r[i].r_info)];
        if (!s->st_name || s->st_shndx != SHN_UNDEF)
            continue;
        int k = hook_index(di->strtab + s->st_name);
        if (k < 0 || !hook_addr[k])
            continue;
        void **slot = (void **)(base + r[i].r_offset);
        void *old = *slot;
        if (old == hook_addr[k])
            continue;
        bool relro = (uintptr_t)slot >= relro_lo && (uintptr_t)slot < relro_hi;
        if (patch_add(slot, old, relro) && !slot_write(slot, hook_addr[k], relro))
            npatches--;
    }
#else
    (void)base; (void)di; (void)r; (void)sz; (void)relro_lo; (void)relro_hi;
#endif
}

static bool not_patched(const char *name)
{
    return strstr(name, "ld-linux") || strstr(name, "linux-vdso") || strstr(name, "linux-gate") ||
           strstr(name, "/libfaultprof.so");
}

/* dl_iterate_phdr's callback: *arg set once our library is passed (the
 * modules after it, at attach, are the ones our dlopen brought) */
static int patch_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    bool *after_self = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (info->dlpi_addr == self_base) {
        *after_self = true;
        seen_add(info->dlpi_addr);
        return 0;
    }
    if (!seen_add(info->dlpi_addr) || (*after_self && fp_attaching) || not_patched(name))
        return 0;
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t relro_lo = 0, relro_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const void *)(info->dlpi_addr + ph->p_vaddr);
        else if (ph->p_type == PT_GNU_RELRO) {
            relro_lo = info->dlpi_addr + ph->p_vaddr;
            relro_hi = relro_lo + ph->p_memsz;
        }
    }
    struct dyninfo di;
    if (!dyn || !read_dynamic(info->dlpi_addr, dyn, &di))
        return 0;
    patch_relocs(info->dlpi_addr, &di, di.jmprel, di.jmprel_sz, relro_lo, relro_hi);
    patch_relocs(info->dlpi_addr, &di, di.rela, di.rela_sz, relro_lo, relro_hi);
    return 0;
}

static void hooks_find(void)
{
    Dl_info self;
    if (!dladdr((void *)hooks_find, &self))
        return;
    self_base = (uintptr_t)self.dli_fbase;
    void *h = dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        return;
    for (size_t i = 0; i < N_HOOKS; i++)
        hook_addr[i] = dlsym(h, hook_names[i]);
    dlclose(h);
}

/* A module dlopen'ed while attached: its GOT too (hooks_proc.c) */
void fp_inject_rescan(void)
{
    bool after = false;
    if (fp_attached && atomic_load(&fp_state) != FP_SHUTDOWN)
        dl_iterate_phdr(patch_module, &after);
}

/* ---- the ATTACH record: the process's counts so far, each thread's */

static void task_base(struct fp_thread *t, pid_t tid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    size_t n = fp_read_file(path, buf, sizeof(buf) - 1);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');   /* the name may hold spaces */
    unsigned long long minflt = 0, majflt = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) != 2)
        return;
    struct fp_rec_task_base x = { .tid = (uint64_t)tid, .minflt = minflt, .majflt = majflt };
    fp_put_task_base(t, &x, 0);
    if (tid != fp_gettid())      /* the calling thread has the process's counters */
        fp_faults_open_task(tid);
}

void fp_write_attach(struct fp_thread *t)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    DIR *d = opendir("/proc/self/task");
    uint64_t tasks = 0;
    pid_t tids[4096];
    struct dirent *e;
    while (d && (e = readdir(d)) && tasks < sizeof(tids) / sizeof(tids[0]))
        if (e->d_name[0] != '.')
            tids[tasks++] = (pid_t)atoi(e->d_name);
    if (d)
        closedir(d);
    struct fp_rec_attach x = {
        .minflt = (uint64_t)ru.ru_minflt, .majflt = (uint64_t)ru.ru_majflt,
        .utime_ns = fp_tv_ns(ru.ru_utime), .stime_ns = fp_tv_ns(ru.ru_stime), .tasks = tasks,
    };
    fp_put_attach(t, &x, fp_now_ns());
    for (uint64_t i = 0; i < tasks; i++)
        task_base(t, tids[i]);
}

/* ---- the injector's calls */
FP_EXPORT int faultprof_attach(const char *settings);
FP_EXPORT int faultprof_detach(void);
FP_EXPORT int faultprof_resume(void);

/* settings: "FAULTPROF_NAME=value" lines.  Returns 0 once recording is set
 * up (paused), -1 when it could not start (then nothing was patched). */
FP_EXPORT int faultprof_attach(const char *settings)
{
    int expect = FP_UNINIT;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_INITIALIZING))
        return -1;
    fp_guard = 1;
    fp_attached = fp_attaching = true;
    size_t n = settings ? strlen(settings) : 0;
    char *copy = fp_perm_alloc(n + 1);
    if (copy) {
        memcpy(copy, settings ? settings : "", n + 1);
        fp_settings_from(copy);
    }
    fp_init_recorder();
    fp_start(true);
    int rc = -1;
    if (atomic_load(&fp_state) == FP_PAUSED) {
        hooks_find();
        bool after = false;
        dl_iterate_phdr(patch_module, &after);
        rc = 0;
    }
    fp_attaching = false;
    fp_guard = 0;
    return rc;
}

/* Returns 0 when detached, 1 when the calling thread is inside the
 * recorder (call again a moment later), -1 when not attached. */
FP_EXPORT int faultprof_detach(void)
{
    if (!fp_attached || atomic_load(&fp_state) == FP_SHUTDOWN)
        return -1;
    if (fp_guard)
        return 1;
    fp_attaching = true;
    fp_pause(FP_PAUSE_DETACH);
    fp_faults_stop();
    fp_control_release();
    for (size_t i = npatches; i-- > 0;) {
        struct patch *p = &patches[i];
        if (*p->slot != p->old)
            slot_write(p->slot, p->old, p->relro);
    }
    npatches = 0;
    fp_process_end(5);
    fp_attaching = false;
    return 0;
}

/* Resumes recording: the launcher's call would be a gdb call again, so it
 * sends the toggle signal instead (control.c); this is for gdb users. */
FP_EXPORT int faultprof_resume(void)
{
    return fp_resume() ? 0 : -1;
}
