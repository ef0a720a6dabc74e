/* The fork gate: fork (and exec, and exit) wait until no other thread is
 * inside the shim, so that no lock of ours or of libunwind is held in the
 * child and every buffer can be flushed whole; the hooks' half of it is
 * fp_enter in fp.h.  membarrier keeps that half cheap. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fp.h"

/* Fork waits until no other thread is inside the shim (so no lock of ours
 * or of libunwind is held in the child).
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

/* ---- how long a side of the gate waits for the other
 *
 * Both sides wait for each other: the closer for threads still inside the
 * shim, a thread that met the closed gate for the closer.  Neither wait is
 * bounded by time while the other side can be seen to go on: running or
 * ready to run, or in a system call that ends by itself (the forking thread
 * off the CPU on a loaded machine, a handler that sleeps, the fork itself).
 * What a wait must not do is outlast a thread that waits for the waiter: a
 * later atfork handler of the forking thread may want a lock that a thread
 * waiting at the gate holds (jemalloc's prefork, a library's own).  That
 * shows in /proc/self/task/TID/syscall: the other thread blocked in a futex
 * wait with no timeout; glibc's mutexes keep their owner's tid (the lock
 * word for a priority-inheriting one), so the chain of owners can be
 * followed to the waiter itself.  Then the wait ends at once; blocked on
 * something whose owner is not known, after GATE_STUCK_NS; and whatever the
 * other side does, after GATE_LIMIT_NS: no deadlock, at worst a stall.
 * Only system calls: no lock, no allocation, a few hundred bytes of stack. */
#define GATE_FIRST_LOOK_NS (1u * 1000 * 1000)
#define GATE_LOOK_NS       (10u * 1000 * 1000)
#define GATE_STUCK_NS      (1000ull * 1000 * 1000)
#define GATE_LIMIT_NS      (5000ull * 1000 * 1000)
#define GATE_CHAIN         4     /* owners followed from the other side */

enum peer { PEER_GOES, PEER_BLOCKED, PEER_ON_ME, PEER_GONE };

static _Atomic pid_t gate_closer;    /* the thread that closed the gate last */

/* A decimal or 0x-hex number at s into *v; returns what follows it and its
 * spaces, NULL when s holds no number. */
static const char *parse_num(const char *s, unsigned long *v)
{
    int base = 10;
    if (s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    unsigned long n = 0;
    const char *start = s;
    for (;; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0'
              : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
        if (d < 0)
            break;
        n = n * (unsigned)base + (unsigned)d;
    }
    *v = n;
    while (*s == ' ')
        s++;
    return s == start ? NULL : s;
}

/* The contents of /proc/self/task/TID/syscall, NUL-ended, into line;
 * false when it cannot be read. */
static bool read_syscall_line(pid_t tid, char *line, size_t cap)
{
    char path[48] = "/proc/self/task/";
    char digits[12];
    int n = 0;
    for (unsigned v = (unsigned)tid; n == 0 || v; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    size_t at = strlen(path);
    while (n)
        path[at++] = digits[--n];
    memcpy(path + at, "/syscall", 9);
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    long got = syscall(SYS_read, fd, line, cap - 1);
    syscall(SYS_close, fd);
    if (got <= 0)
        return false;
    line[got] = 0;
    return true;
}

static bool read_int(unsigned long addr, int *v)
{
    struct iovec local = { v, sizeof(*v) }, remote = { (void *)addr, sizeof(*v) };
    return syscall(SYS_process_vm_readv, getpid(), &local, 1UL, &remote, 1UL, 0UL) ==
           (long)sizeof(*v);
}

/* tid blocked with no end of its own: the owner of what it waits for, when
 * known (0 if not); PEER_GOES when it is not blocked so. */
static enum peer peer_wait(pid_t tid, pid_t *owner)
{
    char line[128];         /* the fields read end well before 128 bytes */
    *owner = 0;
    if (!read_syscall_line(tid, line, sizeof(line))) {
        int e = errno;
        bool gone = syscall(SYS_tgkill, getpid(), tid, 0) < 0 && errno == ESRCH;
        errno = e;
        return gone ? PEER_GONE : PEER_BLOCKED;   /* no /proc: cannot tell */
    }
    unsigned long a[5];     /* nr, uaddr, op, val, timeout */
    const char *p = line;
    if (*p == '-' || !(p = parse_num(p, &a[0])) || a[0] != SYS_futex)
        return PEER_GOES;   /* "running", -1 (in user code), another call */
    for (int i = 1; i < 5; i++)
        if (!(p = parse_num(p, &a[i])))
            return PEER_BLOCKED;
    unsigned cmd = (unsigned)a[2] & FUTEX_CMD_MASK;
    int word;
    switch (cmd) {
    case FUTEX_WAIT:
        if (a[4])
            return PEER_GOES;                 /* timed */
        /* glibc's lock waits for 2; a pthread mutex keeps its owner 8 bytes on */
        if (a[3] == 2 && read_int(a[1] + 8, &word) && word > 0)
            *owner = word;
        return PEER_BLOCKED;
    case FUTEX_LOCK_PI:
#ifdef FUTEX_LOCK_PI2
    case FUTEX_LOCK_PI2:
#endif
        if (read_int(a[1], &word))
            *owner = word & FUTEX_TID_MASK;
        return a[4] ? PEER_GOES : PEER_BLOCKED;
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAIT_REQUEUE_PI:
        return a[4] ? PEER_GOES : PEER_BLOCKED;
    default:
        return PEER_GOES;
    }
}

/* What the other side, tid, is doing as seen by me: the chain of owners
 * from it followed to me, to a thread that goes on, or to an unknown. */
static enum peer peer_state(pid_t tid, pid_t me)
{
    for (int i = 0; i < GATE_CHAIN; i++) {
        pid_t owner;
        enum peer st = peer_wait(tid, &owner);
        if (st != PEER_BLOCKED || owner == 0)
            return i > 0 && st == PEER_GONE ? PEER_BLOCKED : st;
        if (owner == me)
            return PEER_ON_ME;
        tid = owner;
    }
    return PEER_BLOCKED;
}

struct gate_wait {
    pid_t other, me;
    uint64_t start, next_look, blocked_since;
};

static void gate_wait_start(struct gate_wait *w, pid_t other, pid_t me)
{
    w->other = other;
    w->me = me;
    w->start = fp_now_ns();
    w->next_look = w->start + GATE_FIRST_LOOK_NS;
    w->blocked_since = 0;
}

/* One round of a wait: yields, then (after the first millisecond) sleeps a
 * little.  true when the wait must end although the other side has not
 * done what it waits for. */
static bool gate_wait_over(struct gate_wait *w)
{
    uint64_t now = fp_now_ns();
    if (now - w->start < 2 * GATE_FIRST_LOOK_NS) {
        sched_yield();
    } else {
        struct timespec nap = { 0, 200 * 1000 };
        nanosleep(&nap, NULL);
    }
    if (now < w->next_look)
        return false;
    if (now - w->start > GATE_LIMIT_NS)
        return true;
    w->next_look = now + GATE_LOOK_NS;
    switch (peer_state(w->other, w->me)) {
    case PEER_GOES:
        w->blocked_since = 0;
        return false;
    case PEER_BLOCKED:
        if (!w->blocked_since)
            w->blocked_since = now;
        return now - w->blocked_since >= GATE_STUCK_NS;
    default:
        return true;
    }
}

/* Also used before exec and at exit, so that every buffer can be flushed
 * while its owner is not half-way through a record.  Returns false when a
 * thread stayed inside the shim (see the waits above). */
static _Atomic uint64_t gate_closings;   /* how many times it closed */

bool fp_fork_gate_close(struct fp_thread *self)
{
    int e = errno;
    pid_t me = fp_gettid();
    atomic_store(&gate_closer, me);
    atomic_fetch_add(&gate_closings, 1);
    atomic_store_explicit(&fp_fork_gate, 1, memory_order_seq_cst);
    if (atomic_load(&fp_gate_asym) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        /* denied after we registered (a seccomp filter the program set
         * since): hooks go back to the locked store, and a store made the
         * cheap way before that is visible well within 20 ms */
        atomic_store(&fp_gate_asym, 0);
        struct timespec wait = { 0, 20 * 1000 * 1000 };
        nanosleep(&wait, NULL);
    }
    bool all = true;
    for (struct fp_thread *t = fp_threads_all; t; t = t->next) {
        if (t == self || !atomic_load_explicit(&t->in_shim, memory_order_seq_cst))
            continue;
        struct gate_wait w;
        gate_wait_start(&w, (pid_t)t->tid, me);
        while (atomic_load_explicit(&t->in_shim, memory_order_seq_cst)) {
            if (gate_wait_over(&w)) {
                all = false;
                break;
            }
        }
    }
    errno = e;
    return all;
}

/* A hook met a closed gate: wait, then go on only if still recording.  The
 * wait ends early only when the closer waits for this thread (above): then
 * this call passes through, counted as dropped, and so does every later
 * call of the thread until the gate opens, since the closer may be waiting
 * for a lock this thread holds. */
struct fp_thread *fp_enter_gated(struct fp_thread *t)
{
    for (;;) {
        atomic_store_explicit(&t->in_shim, 0, memory_order_release);
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
    if (!atomic_load_explicit(&fp_fork_gate, memory_order_acquire))
        return true;
    int e = errno;
    struct gate_wait w;
    gate_wait_start(&w, atomic_load(&gate_closer), fp_gettid());
    bool open = true;
    while (atomic_load_explicit(&fp_fork_gate, memory_order_acquire)) {
        if (gate_wait_over(&w)) {
            open = false;
            break;
        }
    }
    errno = e;
    return open;
}
