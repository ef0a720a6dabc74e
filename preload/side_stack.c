/* The recorder's own stack.  A hook can be called on a stack with little
 * room left: a signal handler's sigaltstack of a few KiB, a coroutine's
 * stack, a thread near the end of its own; the fault sampler's handler
 * interrupts any of them.  Unwinding and compressing a member need several
 * KiB (libunwind's cursor and context alone are 2 KiB), so when the current
 * stack is not the thread's own with FP_STACK_ROOM to spare they run here,
 * on a stack of the thread's recorder, mapped at its first need and kept
 * with the recorder.  Before the switch only a few hundred bytes are used.
 *
 * A signal that arrives while the thread is on this stack is delivered
 * here too (a program's handler without SA_ONSTACK: it has what is left of
 * this stack, tens of KiB).  A handler with SA_ONSTACK is the danger: the
 * kernel sees a stack pointer off the alternate stack and starts the new
 * frame at the alternate stack's top, over the frames of the handler we
 * switched away from.  So when the switch is made from the alternate stack,
 * every signal is blocked until we are back. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fp.h"

#define SIDE_SIZE  (96u * 1024)   /* FP_STACK_ROOM and a margin */
#define SIDE_CTX   2048u          /* at the top: an unwind context (968 B on x86_64) */

/* fn(arg) with the stack pointer at top; back on the caller's stack after */
uint64_t fp_call_on_stack(void *arg, uint64_t (*fn)(void *), void *top);

#if defined(__x86_64__)
__asm__(FP_ASM_BEGIN(fp_call_on_stack)
        FP_X86_FRAME                     /* unwinders find the way back */
        "    movq %rdx, %rsp\n"
        "    call *%rsi\n"
        FP_X86_UNFRAME
        "    ret\n"
        FP_ASM_END(fp_call_on_stack));
#elif defined(__aarch64__)
__asm__(FP_ASM_BEGIN(fp_call_on_stack)
        FP_A64_PUSH
        ".cfi_def_cfa_register x29\n"
        "    mov sp, x2\n"
        "    blr x1\n"
        "    mov sp, x29\n"
        ".cfi_def_cfa_register sp\n"
        FP_A64_POP
        "    ret\n"
        FP_ASM_END(fp_call_on_stack));
#else
uint64_t fp_call_on_stack(void *arg, uint64_t (*fn)(void *), void *top)
{
    (void)top;
    return fn(arg);     /* no switch written for this architecture */
}
#endif

static size_t page_size(void)
{
    static _Atomic size_t page;   /* threads may race to set it, to one value */
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (!p) {
        p = (size_t)sysconf(_SC_PAGESIZE);   /* read from the loader: no lock */
        atomic_store_explicit(&page, p, memory_order_relaxed);
    }
    return p;
}

bool fp_on_side(const struct fp_thread *t, uintptr_t sp)
{
    uintptr_t b = (uintptr_t)t->side;
    return b && sp >= b && sp <= b + page_size() + SIDE_SIZE;
}

/* a guard page below, then the stack, then the context area */
static bool side_map(struct fp_thread *t)
{
    size_t page = page_size();
    uint8_t *b = fp_os_map(page + SIDE_SIZE);
    if (!b)
        return false;
    int e = errno;
    syscall(SYS_mprotect, b, page, PROT_NONE);
    errno = e;
    t->side = b;
    return true;
}

/* The fault handler's entry stack: a guard page, then SIG_ENTRY_SIZE, far
 * more than the handler uses before fp_side_call moves it to the side
 * stack.  Separate from the side stack: a fault may interrupt a hook that
 * runs there. */
#define SIG_ENTRY_SIZE (8u * 1024)

FP_TLS uintptr_t fp_sig_top;

void fp_sig_entry_init(struct fp_thread *t)
{
    size_t page = page_size();
    if (!t->sig_entry) {
        uint8_t *b = fp_os_map(page + SIG_ENTRY_SIZE);
        if (!b) {
            fp_sig_top = 0;
            return;
        }
        int e = errno;
        syscall(SYS_mprotect, b, page, PROT_NONE);
        errno = e;
        t->sig_entry = b;
    }
    fp_sig_top = ((uintptr_t)t->sig_entry + page + SIG_ENTRY_SIZE) & ~(uintptr_t)15;
}

void *fp_side_ctx(struct fp_thread *t)
{
    if (!t->side && !side_map(t))
        return NULL;
    return t->side + page_size() + SIDE_SIZE - SIDE_CTX;
}

bool fp_on_alternate_stack(void)
{
    stack_t ss;
    int e = errno;
    bool on = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
    errno = e;
    return on;
}

uint64_t fp_side_call(struct fp_thread *t, uint64_t (*fn)(void *), void *arg,
                      bool signals_blocked)
{
    uint8_t *ctx = fp_side_ctx(t);
    if (!ctx)
        return 0;
    void *top = (void *)(((uintptr_t)ctx - 64) & ~(uintptr_t)15);
    if (signals_blocked || !fp_on_alternate_stack())
        return fp_call_on_stack(arg, fn, top);
    sigset_t old;
    bool blocked = fp_os_block_signals(&old);
    uint64_t r = fp_call_on_stack(arg, fn, top);
    if (blocked)
        fp_os_restore_signals(&old);
    return r;
}
