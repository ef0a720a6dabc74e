/* Start-up and shut-down of the recorder: the constructor (real functions,
 * settings, the code ranges of the shim and its callees, the trace), the
 * fork child's new start, and the end of recording at exit.  Threads come
 * and go in threads.c. */
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp.h"

_Atomic int fp_state;
bool fp_is_fork_child;
uint64_t fp_t0;
pid_t fp_pid;

/* --no-follow: take libfaultprof.so out of LD_PRELOAD so that no program
 * started from here (exec, posix_spawn, system) is traced. */
static void strip_preload(void)
{
    const char *cur = getenv("LD_PRELOAD");
    if (!cur)
        return;
    char buf[4096];
    size_t n = 0;
    const char *s = cur;
    while (*s) {
        size_t len = strcspn(s, ": ");
        if (len > 0 && !(len >= 16 && memmem(s, len, "libfaultprof.so", 15))) {
            if (n && n + 1 < sizeof(buf)) buf[n++] = ':';
            if (n + len < sizeof(buf)) { memcpy(buf + n, s, len); n += len; }
        }
        s += len;
        while (*s == ':' || *s == ' ') s++;
    }
    buf[n] = 0;
    if (n == 0)
        unsetenv("LD_PRELOAD");
    else
        setenv("LD_PRELOAD", buf, 1);
}

/* The code range of the loaded object that contains arg[0]; 1 when found. */
static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t *range = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (range[0] >= s && range[0] < e) {
            range[0] = s;
            range[1] = e;
            return 1;
        }
    }
    return 0;
}

/* libunwind's code: what it maps and frees on its own (a thread's trace
 * cache, torn down by its key destructor) is the profiler's, not the
 * program's */
uintptr_t fp_unwind_lo, fp_unwind_hi;
uintptr_t fp_internal_lo[FP_INTERNAL_RANGES], fp_internal_hi[FP_INTERNAL_RANGES];

/* the code of the objects the recorder calls into, by name */
static int find_callees(struct dl_phdr_info *info, size_t size, void *arg)
{
    static const char *const names[FP_INTERNAL_RANGES] = {
        "libunwind.so", "liblzma.so", "ld-linux", "libc.so.6"
    };
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    for (int k = 0; k < FP_INTERNAL_RANGES; k++) {
        if (!strstr(name, names[k]))
            continue;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
                fp_internal_lo[k] = info->dlpi_addr + ph->p_vaddr;
                fp_internal_hi[k] = fp_internal_lo[k] + ph->p_memsz;
            }
        }
    }
    return 0;
}
/* The end of recording in this process image: totals, then every buffer to
 * disk while no other thread is half-way through a record.  Threads that
 * call in afterwards pass straight through. */
void fp_process_end(int reason)
{
    /* called from inside the recorder (a signal handler that interrupted
     * it): its buffer is half-written, nothing can be flushed safely */
    if (fp_guard && !fp_guard_stale((uintptr_t)__builtin_frame_address(0)) && fp_guard_sp)
        return;
    int expect = FP_READY;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_SHUTDOWN) &&
        (expect != FP_PAUSED ||
         !atomic_compare_exchange_strong(&fp_state, &expect, FP_SHUTDOWN)))
        return;
    int saved = fp_guard;
    fp_guard = 1;
    struct fp_thread *t = fp_self;
    if (t) {
        fp_control_owed(t);
        fp_write_process_end(t, reason);
    }
    fp_fork_gate_close(t);
    fp_flush_all();
    fp_trace_close();
    fp_fork_gate_open();
    fp_guard = saved;
}

/* Everything a process needs to start recording: used at start and again
 * in a fork child. */
static void start_recording(bool fork_child, bool paused)
{
    fp_is_fork_child = fork_child;
    fp_pid = getpid();
    fp_t0 = fp_now_ns();
    if (fp_trace_open(fork_child) < 0) {
        atomic_store(&fp_state, FP_DISABLED);
        return;
    }
    fp_trace_write_first();
    struct fp_thread *t = fp_self;
    if (!t)
        t = fp_thread_register_main();
    if (!t) {
        atomic_store(&fp_state, FP_DISABLED);
        return;
    }
    t->t_last = 0;
    t->tick_tsc = 0;     /* it was for the old t0 and t_last */
    fp_write_modules(t);
    if (!fp_config.follow)
        fp_write_note(t, "follow", "0");
    fp_faults_start(t);
    fp_write_maps(t);
    if (fp_attached && !fork_child)
        fp_write_attach(t);
    fp_control_init(t);
    fp_write_rusage(t, fp_now_ns(), true);
    fp_thread_flush(t);      /* modules on disk before anything can crash */
    fp_break_forget();
    if (paused)
        fp_start_paused(t);
    else
        atomic_store(&fp_state, FP_READY);
}

void fp_after_fork_child(void)
{
    fp_gate_init();          /* membarrier's registration is not inherited */
    fp_trace_close();
    bool paused = atomic_load(&fp_state) == FP_PAUSED;
    fp_atfork_child_threads(fp_self);
    start_recording(true, paused);
}

/* Everything but the start of recording, from the constructor or, in a
 * running process, from the injector's call (inject.c). */
void fp_init_recorder(void)
{
    fp_fork_handlers_init();
    fp_clock_init();
    fp_gate_init();
    fp_resolve();
    fp_settings_read();
    if (!fp_config.follow)
        strip_preload();
    uintptr_t range[2] = { (uintptr_t)&fp_init_recorder, 0 };
    if (dl_iterate_phdr(find_text, range))
        fp_shim_text_range(range[0], range[1]);
    fp_threads_init();
    if (fp_sampled_init() < 0)
        fp_config.sample_bytes = 0;
    fp_unwind_init();
    void *unw = fp_unwind_symbol();
    range[0] = (uintptr_t)unw;
    range[1] = 0;
    if (unw && dl_iterate_phdr(find_text, range)) {
        fp_unwind_lo = range[0];
        fp_unwind_hi = range[1];
    }
    fp_unw_start();
    dl_iterate_phdr(find_callees, NULL);
}

void fp_start(bool paused)
{
    start_recording(false, paused);
}

__attribute__((constructor(101)))
static void fp_init(void)
{
    /* loaded into a running process: the injector's call starts us */
    if (fp_attach_mode())
        return;
    int expect = FP_UNINIT;
    if (!atomic_compare_exchange_strong(&fp_state, &expect, FP_INITIALIZING))
        return;
    fp_guard = 1;
    fp_init_recorder();
    start_recording(false, !fp_config.recording);
    fp_guard = 0;
}

__attribute__((destructor(101)))
static void fp_fini(void)
{
    fp_process_end(1);
}
