/* Threads: a recorder for each thread, made at the start of a thread that
 * pthread_create made (or at its first intercepted call otherwise), and a
 * thread's end.
 *
 * THE RULE FOR THE RECORDER'S SLOW PATHS (a thread's first call, the first
 * use of anything, fork, exit, flush).  They can run anywhere the program
 * can call malloc or mmap: inside the program's allocator while it holds
 * its locks (rustc's jemalloc maps memory under its arenas_lock), inside
 * glibc while it holds the thread's own lock (pthread_getattr_np reallocs
 * its cpu set under it), inside the dynamic loader, in a signal handler, on
 * a signal stack or a coroutine's stack of a few KiB.  So they take no lock
 * the program can hold and call nothing in libc that may take one or
 * allocate: no pthread_getattr_np, stdio, getenv-and-parse, dl_iterate_phdr
 * or pthread_setspecific past the first 32 keys.  Raw system calls and the
 * recorder's own memory (os.c, the own heap in self_heap.c) are fine.
 * And they need at most a few hundred bytes of stack: unwinding and
 * compressing run on the recorder's own stack when the current one is not
 * known to have room (side_stack.c).
 *
 * What does need libc happens where no program lock can be held: for the
 * main thread in the constructor, for a thread that pthread_create made in
 * fp_thread_begin, before the program's start routine runs. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include "fp.h"

static pthread_key_t thread_key;
/* glibc keeps a thread's first 32 keys' values in the thread itself:
 * pthread_setspecific of one of them neither locks nor allocates */
#define KEY_INLINE_SLOTS 32
static bool key_made, key_inline;

static void thread_destructor(void *arg);

void fp_threads_init(void)
{
    key_made = pthread_key_create(&thread_key, thread_destructor) == 0;
    key_inline = key_made && thread_key < KEY_INLINE_SLOTS;
}

/* ---- a thread's end */

static void write_thread_end(struct fp_thread *t)
{
    struct rusage ru;
    uint64_t now = fp_now_ns();
    fp_write_rusage(t, now, true);
    fp_write_counts(t, now);
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof(name));  /* prctl: no lock */
    getrusage(RUSAGE_THREAD, &ru);
    struct fp_rec_thread_end x = {
        .minflt = (uint64_t)ru.ru_minflt, .majflt = (uint64_t)ru.ru_majflt,
        .utime_ns = fp_tv_ns(ru.ru_utime), .stime_ns = fp_tv_ns(ru.ru_stime),
        .name = { name, (uint32_t)strnlen(name, sizeof(name)) },
    };
    fp_write_stack_note(t);
    fp_put_thread_end(t, &x, now);
}

static void thread_destructor(void *arg)
{
    struct fp_thread *t = arg;
    if (!t || fp_self != t)
        return;
    /* other keys' destructors may still allocate: stay for a few rounds */
    if (++t->ending < PTHREAD_DESTRUCTOR_ITERATIONS - 1) {
        pthread_setspecific(thread_key, t);
        return;
    }
    if (atomic_load(&fp_state) == FP_READY) {
        int saved = fp_guard;
        fp_guard = 1;
        write_thread_end(t);
        fp_thread_end(t);
        fp_guard = saved;
    }
    /* The thread goes on recording what the rest of its exit does (frees by
     * later destructors, glibc's own): its recorder is only handed to
     * another thread once this one is gone. */
}

/* ---- a thread's start */

/* The thread's stack, from glibc.  Only where no program lock can be held
 * (see the rule above): pthread_getattr_np takes the thread's own lock and
 * reallocs (the realloc comes back to our hooks with the guard set and is
 * served by the own heap); for the main thread it also reads /proc. */
static void stack_bounds(struct fp_thread *t)
{
    pthread_attr_t attr;
    void *lo;
    size_t size;
    fp_internal++;
    int got = pthread_getattr_np(pthread_self(), &attr);
    fp_internal--;
    if (got != 0)
        return;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
        t->stack_lo = (uintptr_t)lo;
        t->stack_hi = (uintptr_t)lo + size;
    }
    fp_internal++;
    pthread_attr_destroy(&attr);
    fp_internal--;
}

/* A recorder for the calling thread; bounds: its stack may be asked of
 * glibc here.  Without them the stack cache stays off for the thread and
 * its stacks are unwound on the recorder's own stack (stack.c). */
static struct fp_thread *thread_new(bool bounds, bool is_main)
{
    struct fp_thread *t = fp_thread_register();
    if (!t)
        return NULL;
    fp_self = t;
    fp_clock_thread();      /* before its first clock read */
    t->errno_p = &errno;
    t->stack_lo = t->stack_hi = 0;
    t->rng = (fp_now_ns() ^ ((uint64_t)t->tid << 32)) | 1;
    t->c_allocs = t->c_bytes = t->c_frees = t->c_written = 0;
    t->sample_left = 0;
    fp_sample_next(t);
    if (fp_config.faults)
        fp_sig_entry_init(t);
    if (bounds)
        stack_bounds(t);
    if (is_main)
        return t;
    /* the key's destructor tells us when the thread ends; a key past the
     * inline ones would make pthread_setspecific allocate: then the thread's
     * records still go out at the process's end */
    if (key_inline || (bounds && key_made)) {
        fp_internal++;
        pthread_setspecific(thread_key, t);
        fp_internal--;
    }
    struct fp_rec_thread_start x = { .stack_lo = t->stack_lo, .stack_hi = t->stack_hi };
    fp_put_thread_start(t, &x, fp_now_ns());
    return t;
}

struct fp_thread *fp_thread_register_main(void)
{
    return thread_new(true, true);
}

/* A thread's first intercepted call, when its start was not seen (a thread
 * that glibc itself, C11's thrd_create or a raw clone made, or one made
 * before we were ready).  The call can come from anywhere: nothing here may
 * lock or allocate (the rule above), so the thread's stack stays unknown. */
struct fp_thread *fp_enter_slow(void)
{
    int st = atomic_load(&fp_state);
    if (st != FP_READY)
        return NULL;
    if (fp_self)
        return fp_enter();   /* READY now, the fast path takes it */
    fp_guard = 1;
    struct fp_thread *t = thread_new(false, false);
    fp_guard = 0;
    if (!t) {
        fp_guard = 1;        /* cannot record this thread: pass through */
        return NULL;
    }
    return fp_enter();
}

/* ---- pthread_create: the new thread starts in fp_thread_trampoline, which
 * calls fp_thread_begin and then jumps (not calls) to the program's start
 * routine, so that no frame of ours stands below the program's in the
 * thread's stacks. */
struct fp_start {
    void *(*fn)(void *);
    void *arg;
};

struct fp_start fp_thread_begin(struct fp_start *cookie);
void *fp_thread_trampoline(void *cookie);

struct fp_start fp_thread_begin(struct fp_start *cookie)
{
    struct fp_start s = *cookie;
    int e = errno;
    fp_own_free(cookie);
    if (atomic_load(&fp_state) == FP_READY && !fp_self) {
        fp_guard = 1;
        struct fp_thread *t = thread_new(true, false);
        fp_guard = t ? 0 : 1;    /* cannot record this thread: pass through */
    }
    errno = e;
    return s;
}

#if defined(__x86_64__)
__asm__(FP_ASM_BEGIN(fp_thread_trampoline)
        "    subq $8, %rsp\n"               /* the call below sees an aligned stack */
        ".cfi_adjust_cfa_offset 8\n"
        "    call fp_thread_begin\n"        /* returns fn in rax, arg in rdx */
        "    addq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "    movq %rdx, %rdi\n"
        "    jmp *%rax\n"
        FP_ASM_END(fp_thread_trampoline));
#elif defined(__aarch64__)
__asm__(FP_ASM_BEGIN(fp_thread_trampoline)
        FP_A64_PUSH
        "    bl fp_thread_begin\n"          /* returns fn in x0, arg in x1 */
        FP_A64_POP
        "    mov x16, x0\n"
        "    mov x0, x1\n"
        "    br x16\n"
        FP_ASM_END(fp_thread_trampoline));
#else
/* elsewhere our frame stays below the program's */
void *fp_thread_trampoline(void *cookie)
{
    struct fp_start s = fp_thread_begin(cookie);
    return s.fn(s.arg);
}
#endif

FP_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr,
                             void *(*fn)(void *), void *arg)
{
    if (!fp_real.pthread_create)
        fp_resolve();
    struct fp_start *c = NULL;
    struct fp_thread *t = fp_enter();
    if (t) {
        c = fp_own_alloc(sizeof(*c));   /* inside the fork gate: own heap */
        fp_leave(t);
    }
    if (!c)
        return fp_real.pthread_create(th, attr, fn, arg);
    c->fn = fn;
    c->arg = arg;
    int r = fp_real.pthread_create(th, attr, fp_thread_trampoline, c);
    if (r != 0)
        fp_own_free(c);
    return r;
}
