/* The real functions: the next definition of every hook of FP_HOOKS_REAL
 * (hooks.h), found with dlsym(RTLD_NEXT) once, before anything else. */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdbool.h>
#include <string.h>

#include "fp.h"

struct fp_real fp_real;

static void resolve_one(void **slot, const char *name)
{
    /* attached, we are not in the search order: the next is the one the
     * program binds to */
    void *p = dlsym(fp_attached ? RTLD_DEFAULT : RTLD_NEXT, name);
    if (p)
        *slot = p;
}

/* glibc's malloc is the one whose chunk headers can be read: the next
 * malloc is defined in the object that defines gnu_get_libc_version.
 * (Comparing it with __libc_malloc is not enough: tcmalloc and mimalloc
 * define __libc_malloc too, and reading the word before one of their
 * blocks reads their data, or an unmapped page.) */
static bool is_libc_malloc(void *next_malloc)
{
    Dl_info m, c;
    if (!next_malloc || !dladdr(next_malloc, &m) ||
        !dladdr((void *)gnu_get_libc_version, &c))
        return false;
    return m.dli_fbase && m.dli_fbase == c.dli_fbase;
}

#define RESOLVE(name, ...) resolve_one((void **)&tmp.name, #name);

/* Runs once, possibly from the first malloc of the process (before our
 * constructor).  dlsym may itself allocate: until fp_real.malloc is
 * published (last), hooks serve those calls from a static bootstrap area
 * (hooks_malloc.c). */
void fp_resolve(void)
{
    static _Atomic int once;
    if (atomic_exchange(&once, 1))
        return;
    struct fp_real tmp;
    memset(&tmp, 0, sizeof(tmp));
    int saved = fp_guard;
    fp_guard = 1;
    FP_HOOKS_REAL(RESOLVE)
    fp_config.ptmalloc = is_libc_malloc((void *)tmp.malloc);
    void *(*real_malloc)(size_t) = tmp.malloc;
    tmp.malloc = NULL;
    fp_real = tmp;
    __atomic_store_n(&fp_real.malloc, real_malloc, __ATOMIC_RELEASE);
    fp_guard = saved;
}
