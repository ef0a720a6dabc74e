/* libunwind's signal masking, skipped where nothing needs it.
 *
 * libunwind 1.6 blocks every signal around each use of a global lock (its
 * register-state cache's, its memory pool's) and around dl_iterate_phdr:
 * two rt_sigprocmask system calls a time, through sigprocmask: a walk with
 * unw_step makes two a frame, unw_backtrace two a frame its trace cache
 * misses.  A traced `g++ -O0 -c` of a regex test made 22M of them: 13.7 s
 * of system time on one machine (a native run took 2.6 s), 2.35 s on
 * another.
 * The mask is there so that a signal handler of the same thread cannot
 * enter libunwind, and wait for a lock the thread itself holds, while the
 * thread is inside it.
 *
 * The recorder's libunwind is loaded with dlopen(RTLD_LOCAL): no code but
 * the shim's reaches it unless some other loaded object needs libunwind
 * too, or someone dlopens it (then the loader hands out the same copy).
 * While neither is so, the only handlers that could enter it are the
 * shim's, and they never unwind while the recorder runs (fp_enter is NULL
 * when guarded: faults.c counts such a sample).  The recorder's own walks
 * (fp_unw_enter, around every call into libunwind in stack.c) then have
 * libunwind's sigprocmask calls return at once.  Once another object
 * needs libunwind, masking is libunwind's again, for good.
 *
 * A skipped call that asked for the old mask gets a marked set in its
 * place (word 1, which the kernel and glibc never read, and which
 * sigemptyset, sigfillset and sigaddset only ever make 0 or all ones);
 * should that set ever come back to be restored outside a quiet walk, the
 * call again does nothing, as the one that made it did. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>

#include "fp.h"

FP_TLS bool fp_unw_quiet;
_Atomic bool fp_unw_private;      /* no code but ours can reach our libunwind */

#define QUIET_MARK 0x7175696574ull   /* "quiet" */

static inline bool quiet_set(const sigset_t *s)
{
    return s->__val[1] == QUIET_MARK;
}

/* Whether an object's dynamic section names a libunwind library (any of
 * the family: libunwind-x86_64 and the rest need libunwind itself). */
static bool needs_libunwind(const struct dl_phdr_info *info)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return false;
    uintptr_t strtab = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_STRTAB)
            strtab = d->d_un.d_ptr;
    if (!strtab)
        return false;
    /* the loader relocates a writable dynamic section in place; a read-only
     * one (the vDSO's) still holds link-time addresses */
    if (strtab < info->dlpi_addr)
        strtab += info->dlpi_addr;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_NEEDED &&
            strncmp((const char *)strtab + d->d_un.d_val, "libunwind", 9) == 0)
            return true;
    return false;
}

static int find_user(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    return needs_libunwind(info);
}

/* At start: is our libunwind ours alone? */
void fp_unw_start(void)
{
    atomic_store_explicit(&fp_unw_private,
                          fp_unwind_symbol() != NULL && !dl_iterate_phdr(find_user, NULL),
                          memory_order_relaxed);
}

/* After a dlopen of file: still?  (Never ours again once shared.) */
void fp_unw_check(const char *file)
{
    if (!atomic_load_explicit(&fp_unw_private, memory_order_relaxed))
        return;
    if ((file && strstr(file, "libunwind")) || dl_iterate_phdr(find_user, NULL))
        atomic_store_explicit(&fp_unw_private, false, memory_order_relaxed);
}

static int pass(int how, const sigset_t *set, sigset_t *old)
{
    if (FP_LIKELY(fp_real.sigprocmask != NULL))
        return fp_real.sigprocmask(how, set, old);
    /* before fp_resolve (dlsym is no call for a signal handler): glibc's
     * sigprocmask is pthread_sigmask with errno */
    int r = pthread_sigmask(how, set, old);
    if (r != 0) {
        errno = r;
        return -1;
    }
    return 0;
}

FP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (FP_LIKELY(!fp_from_unwinder(__builtin_return_address(0))))
        return pass(how, set, old);
    if (fp_unw_quiet || (how == SIG_SETMASK && set && quiet_set(set))) {
        if (old) {                  /* libunwind only hands it back */
            old->__val[0] = 0;
            old->__val[1] = QUIET_MARK;
        }
        return 0;
    }
    return pass(how, set, old);
}
