/* The fork gate: fork (and exec, and exit) wait until no other thread is
 * inside the shim, so that no lock of ours or of libunwind is held in the
 * child and every buffer can be flushed whole; the hooks' half of it is
 * fp_enter in fp.h.  membarrier keeps that half cheap. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fp.h"

/* Fork waits until no other thread is inside the shim (so no lock of ours
 * or of libunwind is held in the child), with a bound.
 *
 * The hot path's half of the Dekker pair (fp_enter) costs a locked
 * instruction per call unless the closing side can force a full barrier
 * on every thread of the process: membarrier's private expedited command
 * (Linux 4.14) does, so fp_enter then needs only a compiler barrier
 * between its store and its load.  On alloc_heavy the locked store was
 * about 5% of the run.  Registered per process: a fork child registers
 * again while it has one thread. */
_Atomic int fp_gate_asym;
_Atomic int fp_fork_gate;

void fp_gate_init(void)
{
    int e = errno;
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    atomic_store(&fp_gate_asym,
                 cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
                 syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
    errno = e;
}

/* Also used before exec and at exit, so that every buffer can be flushed
 * while its owner is not half-way through a record.  Returns false when a
 * thread stayed inside the shim past the bound. */
static _Atomic uint64_t gate_closings;   /* how many times it closed */

bool fp_fork_gate_close(struct fp_thread *self)
{
    atomic_fetch_add(&gate_closings, 1);
    atomic_store_explicit(&fp_fork_gate, 1, memory_order_seq_cst);
    int e = errno;
    if (atomic_load(&fp_gate_asym) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        /* denied after we registered (a seccomp filter the program set
         * since): hooks go back to the locked store, and a store made the
         * cheap way before that is visible well within 20 ms */
        atomic_store(&fp_gate_asym, 0);
        struct timespec wait = { 0, 20 * 1000 * 1000 };
        nanosleep(&wait, NULL);
    }
    errno = e;
    uint64_t deadline = fp_now_ns() + 200u * 1000 * 1000;
    for (struct fp_thread *t = fp_threads_all; t; t = t->next) {
        if (t == self)
            continue;
        while (atomic_load_explicit(&t->in_shim, memory_order_seq_cst)) {
            if (fp_now_ns() > deadline)
                return false;
            sched_yield();
        }
    }
    return true;
}

/* A hook met a closed gate: wait, then go on only if still recording.
 * The wait is bounded: the forking thread runs the program's atfork
 * handlers with the gate closed, and one of them may need a lock this
 * thread holds (jemalloc's prefork takes every arena lock; a fault sample
 * can come while this thread is inside jemalloc).  After GATE_WAIT_NS the
 * call passes through, counted as dropped, and so does every later call of
 * the thread until the gate opens: the program goes on. */
#define GATE_WAIT_NS (100u * 1000 * 1000)

struct fp_thread *fp_enter_gated(struct fp_thread *t)
{
    for (;;) {
        atomic_store_explicit(&t->in_shim, 0, memory_order_release);
        /* a thread that gave up waiting passes through at once until the
         * gate has opened: it may be holding the lock the fork waits for */
        uint64_t closing = atomic_load(&gate_closings);
        bool open = t->gate_gave_up != closing && fp_fork_gate_wait();
        if (!open && atomic_load_explicit(&fp_fork_gate, memory_order_acquire))
            t->gate_gave_up = closing;
        if (!open || atomic_load(&fp_state) != FP_READY) {
            if (atomic_load(&fp_state) == FP_READY)
                atomic_fetch_add_explicit(&fp_dropped, 1, memory_order_relaxed);
            fp_guard = 0;
            fp_guard_sp = 0;
            return NULL;
        }
        /* the Dekker pair again: the gate may have closed between the
         * wait and this store, its closer then saw in_shim 0 */
        atomic_store_explicit(&t->in_shim, 1, memory_order_seq_cst);
        if (!atomic_load_explicit(&fp_fork_gate, memory_order_seq_cst))
            return t;
    }
}

void fp_fork_gate_open(void)
{
    atomic_store_explicit(&fp_fork_gate, 0, memory_order_seq_cst);
}

bool fp_fork_gate_wait(void)
{
    uint64_t deadline = 0;
    while (atomic_load_explicit(&fp_fork_gate, memory_order_acquire)) {
        uint64_t now = fp_now_ns();
        if (!deadline)
            deadline = now + GATE_WAIT_NS;
        else if (now > deadline)
            return false;
        sched_yield();
    }
    return true;
}
