/* Every thread's recorder, on one list that is never unlinked: taking a
 * recycled recorder or making one on a thread's first call, retiring it at
 * the thread's end, flushing them all at exit, and the fork child's reset.
 * (A thread's start and end themselves are in threads.c.) */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fp.h"

static fp_lock_t threads_lock;
struct fp_thread *fp_threads_all;    /* newest first; the fork gate walks it without the lock */
static _Atomic uint32_t threads_total, threads_live, threads_peak;

void fp_threads_lock(void) { fp_lock(&threads_lock); }
void fp_threads_unlock(void) { fp_unlock(&threads_lock); }
uint32_t fp_threads_total(void) { return atomic_load(&threads_total); }
uint32_t fp_threads_peak(void) { return atomic_load(&threads_peak); }

static bool thread_gone(uint32_t tid);

/* Take a recycled recorder or make a new one; called on a thread's first
 * intercepted call, with the guard set. */
struct fp_thread *fp_thread_register(void)
{
    struct fp_thread *t = NULL;
    fp_lock(&threads_lock);
    for (struct fp_thread *c = fp_threads_all; c; c = c->next) {
        if (!c->live && atomic_load(&c->len) == 0) {
            t = c;
            break;
        }
        if (c->retired && thread_gone(c->tid)) {
            fp_thread_flush(c);     /* what its exit did after THREAD_END */
            t = c;
            break;
        }
    }
    if (!t) {
        t = fp_perm_alloc(sizeof(*t));
        if (!t) {
            fp_unlock(&threads_lock);
            return NULL;
        }
        memset(t, 0, sizeof(*t));
        t->next = fp_threads_all;
        /* the fork gate walks the list without the lock */
        __atomic_store_n(&fp_threads_all, t, __ATOMIC_RELEASE);
    }
    t->live = 1;
    t->retired = 0;
    fp_unlock(&threads_lock);

    if (!t->data || t->cap != fp_config.buffer_bytes) {
        if (t->data)
            fp_os_unmap(t->data, t->cap);
        t->cap = fp_config.buffer_bytes;
        t->data = fp_os_map(t->cap);
        if (!t->data) {
            t->cap = 0;
            t->live = 0;
            return NULL;
        }
    }
    t->tid = (uint32_t)fp_gettid();
    t->seq = 0;
    t->calls = 0;
    t->unwinds = 0;
    t->minflt = t->majflt = 0;
    t->ending = 0;
    atomic_store(&t->len, 0);
    atomic_store(&t->in_shim, 0);
    fp_stacks_reset(t);
    uint32_t live = atomic_fetch_add(&threads_live, 1) + 1;
    atomic_fetch_add(&threads_total, 1);
    uint32_t peak = atomic_load(&threads_peak);
    while (live > peak && !atomic_compare_exchange_weak(&threads_peak, &peak, live))
        ;
    return t;
}

/* The thread ran its destructors: write what it has.  It keeps its
 * recorder for the rest of its exit; fp_thread_register takes the recorder
 * back once the thread is gone. */
void fp_thread_end(struct fp_thread *t)
{
    fp_thread_flush(t);
    atomic_fetch_sub(&threads_live, 1);
    fp_lock(&threads_lock);
    t->retired = 1;
    fp_unlock(&threads_lock);
}

static bool thread_gone(uint32_t tid)
{
    int e = errno;
    bool gone = syscall(SYS_tgkill, fp_pid, tid, 0) < 0 && errno == ESRCH;
    errno = e;
    return gone;
}

void fp_flush_all(void)
{
    fp_lock(&threads_lock);
    for (struct fp_thread *t = fp_threads_all; t; t = t->next)
        if (atomic_load(&t->len) > 0)
            fp_thread_flush(t);
    fp_unlock(&threads_lock);
}

/* In a fork child only the forking thread exists: drop the other recorders'
 * records (the parent writes them) and every stack table (ids must be
 * defined again in the child's own trace). */
void fp_atfork_child_threads(struct fp_thread *self)
{
    atomic_store(&threads_live, 1);
    atomic_store(&threads_total, 1);
    atomic_store(&threads_peak, 1);
    for (struct fp_thread *t = fp_threads_all; t; t = t->next) {
        atomic_store(&t->flush_lock.v, 0);
        atomic_store(&t->in_shim, 0);
        if (t == self)
            continue;
        atomic_store(&t->len, 0);
        fp_stacks_reset(t);
        t->live = 0;
        t->retired = 0;
    }
    self->tid = (uint32_t)fp_gettid();
    self->seq = 0;
    self->calls = 0;
    self->minflt = self->majflt = 0;
    atomic_store(&self->len, 0);
    fp_stacks_reset(self);
}
