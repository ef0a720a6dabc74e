/* The re-entry guard: the thread-local flags a hook sets while the recorder
 * runs (or while the next allocator runs), and how a guard left set by a
 * signal handler that longjmp'd out of the recorder is recognised and
 * dropped. */
#include <signal.h>

#include "fp.h"

FP_TLS struct fp_thread *fp_self;
FP_TLS int fp_guard;
FP_TLS int fp_in_alloc;
FP_TLS uintptr_t fp_guard_sp;
FP_TLS uintptr_t fp_alloc_sp;
FP_TLS int fp_internal;
FP_TLS bool fp_unw_quiet;
_Atomic uint64_t fp_dropped;

/* The thread is no longer inside the recorder although the guard says so:
 * a signal handler left it by longjmp. */
void fp_guard_reset(void)
{
    struct fp_thread *t = fp_self;
    fp_guard = 0;
    fp_guard_sp = 0;
    fp_internal = 0;
    fp_unw_quiet = false;
    fp_in_alloc = 0;
    fp_alloc_sp = 0;
    fp_release_held();
    if (t)
        atomic_store_explicit(&t->in_shim, 0, memory_order_release);
}

/* sp is the frame of a hook that found fp_guard set.  Only a guard set by
 * fp_enter (fp_guard_sp != 0) can go stale, and only when the call is on the
 * thread's own stack at or above that frame (a longjmp back to the caller
 * puts the next hook's frame exactly there): a signal handler's nested call
 * runs below the interrupted code, or on an alternate stack. */
bool fp_guard_stale(uintptr_t sp)
{
    struct fp_thread *t = fp_self;
    if (!t || fp_guard_sp == 0 || sp < t->stack_lo || sp >= t->stack_hi || sp < fp_guard_sp)
        return false;
    if (fp_on_alternate_stack())   /* a handler's stack inside the thread's */
        return false;
    fp_guard = 0;
    fp_guard_sp = 0;
    fp_internal = 0;
    fp_unw_quiet = false;
    fp_release_held();
    atomic_store_explicit(&t->in_shim, 0, memory_order_release);
    return true;
}

bool fp_in_alloc_stale(uintptr_t sp)
{
    struct fp_thread *t = fp_self;
    if (!t || fp_alloc_sp == 0 || sp < t->stack_lo || sp >= t->stack_hi || sp < fp_alloc_sp)
        return false;
    if (fp_on_alternate_stack())
        return false;
    fp_in_alloc = 0;
    fp_alloc_sp = 0;
    return true;
}
