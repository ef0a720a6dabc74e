/* Per-thread record buffers and the trace file.  A thread appends records to
 * its own buffer with no lock; a full (or old) buffer is compressed into one
 * gzip member and written with a single write() on an O_APPEND descriptor, so
 * members of different threads never interleave and a killed process leaves
 * a file readable up to its last whole member. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include "fp.h"

uint64_t fp_t0;
pid_t fp_pid;

/* ---- the trace file */
static struct {
    int fd;
    dev_t dev;
    ino_t ino;
    char path[PATH_MAX];
    bool failed;             /* a write failed: stop recording, said once */
    bool closed;             /* the final flush is done: write nothing more */
    fp_lock_t reopen_lock;
} trace = { .fd = -1 };

bool fp_trace_ok(void)
{
    return trace.fd >= 0 && !trace.failed;
}

/* Expands FAULTPROF_OUTPUT: %p pid, %e program name, %% a percent sign. */
static void expand_template(char *out, size_t cap, const char *tmpl, pid_t pid)
{
    extern char *program_invocation_short_name;
    size_t n = 0;
    char num[24];
    for (const char *s = tmpl; *s && n + 1 < cap; s++) {
        const char *ins = NULL;
        if (s[0] == '%' && s[1] == 'p') {
            int len = 0;
            char tmp[24];
            unsigned long v = (unsigned long)pid;
            do { tmp[len++] = (char)('0' + v % 10); v /= 10; } while (v);
            for (int i = 0; i < len; i++) num[i] = tmp[len - 1 - i];
            num[len] = 0;
            ins = num;
            s++;
        } else if (s[0] == '%' && s[1] == 'e') {
            ins = program_invocation_short_name ? program_invocation_short_name : "prog";
            s++;
        } else if (s[0] == '%' && s[1] == '%') {
            ins = "%";
            s++;
        }
        if (ins) {
            for (; *ins && n + 1 < cap; ins++)
                out[n++] = (*ins == '/') ? '_' : *ins;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = 0;
}

static void make_absolute(char *path, size_t cap)
{
    if (path[0] == '/')
        return;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return;
    size_t cl = strlen(cwd), pl = strlen(path);
    if (cl + 1 + pl + 1 > cap)
        return;
    memmove(path + cl + 1, path, pl + 1);
    memcpy(path, cwd, cl);
    path[cl] = '/';
}

/* "x.gz" -> "x.<n>.gz" */
static void add_suffix(char *path, size_t cap, unsigned long n)
{
    char tail[PATH_MAX];
    size_t len = strlen(path);
    const char *ext = "";
    if (len > 3 && strcmp(path + len - 3, ".gz") == 0) {
        ext = ".gz";
        len -= 3;
    }
    char num[24];
    int k = 0;
    unsigned long v = n;
    char tmp[24];
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    int j = 0;
    num[j++] = '.';
    while (k) num[j++] = tmp[--k];
    num[j] = 0;
    size_t need = len + strlen(num) + strlen(ext) + 1;
    if (need > cap)
        return;
    memcpy(tail, ext, strlen(ext) + 1);
    memcpy(path + len, num, (size_t)j);
    memcpy(path + len + (size_t)j, tail, strlen(tail) + 1);
}

static void registry_add(const char *path)
{
    const char *reg = getenv("FAULTPROF_REGISTRY");
    if (!reg || !*reg)
        return;
    int e = errno;
    int fd = open(reg, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        char line[PATH_MAX + 1];
        size_t n = strlen(path);
        memcpy(line, path, n);
        line[n++] = '\n';
        fp_os_write_all(fd, line, n);
        close(fd);
    }
    errno = e;
}

static voidpf zc_alloc(voidpf opaque, uInt items, uInt size);
static void zc_release(voidpf opaque, voidpf addr);
static void *zmem_alloc(size_t n);
static void zmem_free(void *addr);

/* The pid in the PROCESS record of an existing trace, or 0. */
static pid_t trace_file_pid(const char *path)
{
    uint8_t in[4096], out[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, in, sizeof(in));
    close(fd);
    if (n <= 0)
        return 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    zs.zalloc = zc_alloc;
    zs.zfree = zc_release;
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = sizeof(out);
    inflate(&zs, Z_SYNC_FLUSH);
    size_t got = sizeof(out) - zs.avail_out;
    inflateEnd(&zs);
    uint64_t len, pid;
    const uint8_t *p = out + FP_HEADER_SIZE + 1, *end = out + got;
    if (got < FP_HEADER_SIZE + 4 || memcmp(out, FP_MAGIC, FP_MAGIC_LEN) != 0 ||
        out[FP_HEADER_SIZE] != FP_REC_PROCESS || fp_get_varint(&p, end, &len) < 0 ||
        fp_get_varint(&p, end, &pid) < 0)
        return 0;
    return (pid_t)pid;
}

/* Opens the trace without clobbering one still in use: a file left by the
 * image this process had before exec (same pid), or by a live process, gets
 * a numbered sibling instead; a stale one from an earlier run is replaced. */
static int open_unclobbered(char *path, size_t cap)
{
    char base[PATH_MAX];
    memcpy(base, path, strlen(path) + 1);
    for (int k = 1; k < 1000; k++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
        pid_t owner = trace_file_pid(path);
        if (owner != fp_pid && (owner == 0 || (kill(owner, 0) < 0 && errno == ESRCH))) {
            if (unlink(path) == 0 || errno == ENOENT)
                continue;
            return -1;
        }
        memcpy(path, base, strlen(base) + 1);
        add_suffix(path, cap, (unsigned long)k);
    }
    errno = EEXIST;
    return -1;
}

int fp_trace_open(bool fork_child)
{
    const char *tmpl = getenv("FAULTPROF_OUTPUT");
    if (!tmpl || !*tmpl)
        tmpl = "faultprof.%e.%p.gz";
    expand_template(trace.path, sizeof(trace.path), tmpl, fp_pid);
    if (fork_child && !strstr(tmpl, "%p"))
        add_suffix(trace.path, sizeof(trace.path), (unsigned long)fp_pid);
    make_absolute(trace.path, sizeof(trace.path));

    int e = errno;
    int fd = open_unclobbered(trace.path, sizeof(trace.path));
    if (fd < 0) {
        fp_warn("cannot write trace %s: %s; the program runs on untraced",
                trace.path, strerror(errno));
        errno = e;
        trace.failed = true;
        return -1;
    }
    /* keep clear of the low descriptors programs like to dup2 onto */
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 500);
    if (hi >= 0) {
        close(fd);
        fd = hi;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        trace.dev = st.st_dev;
        trace.ino = st.st_ino;
    }
    trace.fd = fd;
    trace.failed = false;
    trace.closed = false;
    errno = e;
    registry_add(trace.path);
    return 0;
}

void fp_trace_close(void)
{
    trace.closed = true;
    if (trace.fd >= 0) {
        int e = errno;
        close(trace.fd);
        errno = e;
    }
    trace.fd = -1;
}

/* The program may have closed our descriptor or put another file on its
 * number (daemons close every fd).  Check before each write and reopen. */
static int trace_fd(void)
{
    struct stat st;
    if (trace.fd >= 0 && fstat(trace.fd, &st) == 0 &&
        st.st_dev == trace.dev && st.st_ino == trace.ino)
        return trace.fd;
    fp_lock(&trace.reopen_lock);
    if (trace.fd >= 0 && fstat(trace.fd, &st) == 0 &&
        st.st_dev == trace.dev && st.st_ino == trace.ino) {
        fp_unlock(&trace.reopen_lock);
        return trace.fd;
    }
    int fd = open(trace.path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        int hi = fcntl(fd, F_DUPFD_CLOEXEC, 500);
        if (hi >= 0) {
            close(fd);
            fd = hi;
        }
        trace.fd = fd;
        if (fstat(fd, &st) == 0) {
            trace.dev = st.st_dev;
            trace.ino = st.st_ino;
        }
    }
    fp_unlock(&trace.reopen_lock);
    return fd;
}

/* ---- compressors: a small pool, taken only when a buffer is flushed.
 * libdeflate rather than zlib's deflate: on our records it compresses at
 * level 1 about twice as fast, to smaller members, and the output is plain
 * gzip that zlib reads. */
struct fp_zc {
    struct libdeflate_compressor *c;
    uint8_t *out;
    size_t out_cap;
    struct fp_zc *next;
};

static fp_lock_t zc_lock;
static struct fp_zc *zc_free;

/* the shim's memory comes from mmap, never from the program's malloc */
static void *zmem_alloc(size_t n)
{
    n += 16;
    n = (n + 4095) & ~(size_t)4095;
    uint8_t *p = fp_os_map(n);
    if (!p)
        return NULL;
    *(size_t *)p = n;
    return p + 16;
}

static void zmem_free(void *addr)
{
    if (!addr)
        return;
    uint8_t *p = (uint8_t *)addr - 16;
    fp_os_unmap(p, *(size_t *)p);
}

static voidpf zc_alloc(voidpf opaque, uInt items, uInt size)
{
    void *p = zmem_alloc((size_t)items * size);
    return p ? p : Z_NULL;
}

static void zc_release(voidpf opaque, voidpf addr)
{
    zmem_free(addr);
}

#define GZ_HEAD (10 + 2 + 4 + FP_GZ_EXTRA_LEN)
#define GZ_TAIL 8

static struct fp_zc *zc_get(size_t raw_len)
{
    static _Atomic int allocator_set;
    if (!atomic_exchange(&allocator_set, 1))
        libdeflate_set_memory_allocator(zmem_alloc, zmem_free);
    fp_lock(&zc_lock);
    struct fp_zc *z = zc_free;
    if (z)
        zc_free = z->next;
    fp_unlock(&zc_lock);
    if (!z) {
        z = fp_perm_alloc(sizeof(*z));
        if (!z)
            return NULL;
        memset(z, 0, sizeof(*z));
        z->c = libdeflate_alloc_compressor(1);
        if (!z->c)
            return NULL;
    }
    size_t need = libdeflate_deflate_compress_bound(z->c, raw_len) + GZ_HEAD + GZ_TAIL;
    if (z->out_cap < need) {
        if (z->out)
            fp_os_unmap(z->out, z->out_cap);
        z->out_cap = (need + 4095) & ~(size_t)4095;
        z->out = fp_os_map(z->out_cap);
        if (!z->out) {
            z->out_cap = 0;
            return NULL;
        }
    }
    return z;
}

static void zc_put(struct fp_zc *z)
{
    fp_lock(&zc_lock);
    z->next = zc_free;
    zc_free = z;
    fp_unlock(&zc_lock);
}

static void trace_fail(int err)
{
    if (!trace.failed) {
        trace.failed = true;
        fp_warn("writing trace %s failed: %s; recording stops, the program runs on",
                trace.path, strerror(err));
    }
}

/* One write of a whole member.  Under a file-size limit (ulimit -f) the
 * write that crosses it raises SIGXFSZ, whose default action would kill the
 * program for our sake: block it around the write and take back the one the
 * write raised.  Returns 0 or an errno value. */
static int write_member(int fd, const void *buf, size_t len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return -fp_os_write_all(fd, buf, len);
    int e = errno;
    sigset_t xfsz, old, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
    int err = -fp_os_write_all(fd, buf, len);
    if (err && !was_pending) {
        struct timespec zero = { 0, 0 };
        while (sigtimedwait(&xfsz, NULL, &zero) == SIGXFSZ)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return err;
}

/* Compress raw into one gzip member (RFC 1952) carrying the 'FP' extra
 * field, and write it with one write(). */
static int member_write(const uint8_t *raw, size_t len, uint32_t tid,
                        uint32_t seq, uint64_t t_first, uint64_t t_last)
{
    if (trace.failed || trace.closed || trace.fd < 0)
        return -1;
    fp_clock_calibrate();
    struct fp_zc *z = zc_get(len);
    if (!z) {
        trace_fail(ENOMEM);
        return -1;
    }
    size_t body = libdeflate_deflate_compress(z->c, raw, len, z->out + GZ_HEAD,
                                              z->out_cap - GZ_HEAD - GZ_TAIL);
    if (body == 0) {
        zc_put(z);
        trace_fail(EIO);
        return -1;
    }
    size_t out_len = GZ_HEAD + body + GZ_TAIL;
    uint8_t *h = z->out;
    h[0] = 0x1f; h[1] = 0x8b; h[2] = 8;   /* gzip, deflate */
    h[3] = 0x04;                          /* FLG.FEXTRA */
    fp_put_le32(h + 4, 0);                /* MTIME: none */
    h[8] = 0;                             /* XFL */
    h[9] = 3;                             /* OS: Unix */
    fp_put_le16(h + 10, 4 + FP_GZ_EXTRA_LEN);
    h[12] = FP_GZ_SI1;
    h[13] = FP_GZ_SI2;
    fp_put_le16(h + 14, FP_GZ_EXTRA_LEN);
    fp_put_le32(h + 16, (uint32_t)out_len);
    fp_put_le32(h + 20, (uint32_t)len);
    fp_put_le32(h + 24, tid);
    fp_put_le32(h + 28, seq);
    fp_put_le64(h + 32, t_first);
    fp_put_le64(h + 40, t_last);
    uint8_t *tail = z->out + GZ_HEAD + body;
    fp_put_le32(tail, libdeflate_crc32(0, raw, len));
    fp_put_le32(tail + 4, (uint32_t)len);
    int fd = trace_fd();
    int err = fd < 0 ? EBADF : write_member(fd, z->out, out_len);
    zc_put(z);
    if (err) {
        trace_fail(err);
        return -1;
    }
    return 0;
}

struct member_args {
    const uint8_t *raw;
    size_t len;
    uint32_t tid, seq;
    uint64_t t_first, t_last;
};

static uint64_t member_on_side(void *arg)
{
    struct member_args *a = arg;
    return (uint64_t)(member_write(a->raw, a->len, a->tid, a->seq, a->t_first, a->t_last) + 2);
}

/* Compressing needs a few KiB of stack: on a stack without them, on the
 * recorder's own (side_stack.c) */
int fp_trace_write_member(const uint8_t *raw, size_t len, uint32_t tid,
                          uint32_t seq, uint64_t t_first, uint64_t t_last)
{
    struct fp_thread *self = fp_self;
    if (self && FP_UNLIKELY(fp_side_wanted(self))) {
        struct member_args a = { raw, len, tid, seq, t_first, t_last };
        uint64_t r = fp_side_call(self, member_on_side, &a, false);
        if (r)
            return (int)r - 2;
    }
    return member_write(raw, len, tid, seq, t_first, t_last);
}

/* The first member: stream header and PROCESS, written synchronously at start
 * so that even a process killed at once leaves a valid trace. */
void fp_trace_write_first(void)
{
    static uint8_t buf[64 * 1024];
    static char cmdline[32 * 1024];
    static char exe[PATH_MAX];
    uint8_t *p = buf;
    memcpy(p, FP_MAGIC, FP_MAGIC_LEN);
    fp_put_le16(p + 8, FP_VERSION_MAJOR);
    fp_put_le16(p + 10, FP_VERSION_MINOR);
    fp_put_le32(p + 12, FP_HEADER_SIZE);
    p += FP_HEADER_SIZE;

    size_t cl = fp_read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
    ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (el < 0)
        el = 0;

    uint8_t payload[64 * 1024 - 64];
    struct fp_rec r = { .p = payload };
    uint64_t flags = 0;
    if (fp_config.ptmalloc) flags |= FP_PROC_PTMALLOC;
    if (!fp_config.follow) flags |= FP_PROC_NO_FOLLOW;
    extern bool fp_is_fork_child;
    if (fp_is_fork_child) flags |= FP_PROC_FORK_CHILD;
    fp_rec_u(&r, (uint64_t)fp_pid);
    fp_rec_u(&r, (uint64_t)getppid());
    fp_rec_u(&r, flags);
    fp_rec_u(&r, fp_t0);
    fp_rec_u(&r, fp_realtime_ns());
    fp_rec_u(&r, (uint64_t)sysconf(_SC_PAGESIZE));
    fp_rec_u(&r, fp_config.depth);
    fp_rec_u(&r, fp_config.rusage_every);
    fp_rec_str(&r, exe, (size_t)el);
    fp_rec_str(&r, cmdline, cl);
    fp_rec_u(&r, fp_config.sample_bytes);
    size_t plen = (size_t)(r.p - payload);
    *p++ = FP_REC_PROCESS;
    p += fp_put_varint(p, plen);
    memcpy(p, payload, plen);
    p += plen;
    fp_trace_write_member(buf, (size_t)(p - buf), 0, 0, 0, 0);
}

/* ---- threads */
static fp_lock_t threads_lock;
static struct fp_thread *threads_all;
static _Atomic uint32_t threads_total, threads_live, threads_peak;
_Atomic int fp_fork_gate;

void fp_threads_lock(void) { fp_lock(&threads_lock); }
void fp_threads_unlock(void) { fp_unlock(&threads_lock); }
uint32_t fp_threads_total(void) { return atomic_load(&threads_total); }
uint32_t fp_threads_peak(void) { return atomic_load(&threads_peak); }

static void block_start(struct fp_thread *t);
static bool thread_gone(uint32_t tid);

/* Take a recycled recorder or make a new one; called on a thread's first
 * intercepted call, with the guard set. */
struct fp_thread *fp_thread_register(void)
{
    struct fp_thread *t = NULL;
    fp_lock(&threads_lock);
    for (struct fp_thread *c = threads_all; c; c = c->next) {
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
        t->next = threads_all;
        /* the fork gate walks the list without the lock */
        __atomic_store_n(&threads_all, t, __ATOMIC_RELEASE);
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

/* Write the buffer as one member.  The owner calls it when the buffer fills;
 * the exit path calls it for every thread, hence the lock. */
void fp_thread_flush(struct fp_thread *t)
{
    fp_lock(&t->flush_lock);
    size_t len = atomic_load_explicit(&t->len, memory_order_acquire);
    if (len > 0) {
        uint64_t first = t->t_first == UINT64_MAX ? t->t_last : t->t_first;
        fp_trace_write_member(t->data, len, t->tid, t->seq, first, t->t_last);
        t->seq++;
        atomic_store_explicit(&t->len, 0, memory_order_release);
    }
    fp_unlock(&t->flush_lock);
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
    for (struct fp_thread *t = threads_all; t; t = t->next)
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
    for (struct fp_thread *t = threads_all; t; t = t->next) {
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

/* ---- the fork gate: fork waits until no other thread is inside the shim
 * (so no lock of ours or of libunwind is held in the child), with a bound */
/* The hot path's half of the Dekker pair (fp_enter) costs a locked
 * instruction per call unless the closing side can force a full barrier
 * on every thread of the process: membarrier's private expedited command
 * (Linux 4.14) does, so fp_enter then needs only a compiler barrier
 * between its store and its load.  On alloc_heavy the locked store was
 * about 5% of the run.  Registered per process: a fork child registers
 * again while it has one thread. */
_Atomic int fp_gate_asym;

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
    for (struct fp_thread *t = threads_all; t; t = t->next) {
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
    atomic_store_explicit(&t->in_shim, 0, memory_order_release);
    /* a thread that gave up waiting passes through at once until the gate
     * has opened: it may be holding the lock the fork waits for */
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
    atomic_store_explicit(&t->in_shim, 1, memory_order_seq_cst);
    return t;
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

/* A record too big for the buffer (a MAPS snapshot) goes out as a member of
 * its own, in the thread's order: the buffer first, then this. */
void fp_emit_big(struct fp_thread *t, uint8_t type, const void *payload_head, size_t head_len,
                 const void *tail, size_t tail_len, uint64_t now)
{
    fp_thread_flush(t);
    size_t cap = 64 + head_len + tail_len + 4 * FP_VARINT_MAX;
    cap = (cap + 4095) & ~(size_t)4095;
    uint8_t *buf = fp_os_map(cap);
    if (!buf)
        return;
    uint64_t rel = now - fp_t0;
    if (rel < t->t_last)
        rel = t->t_last;
    uint8_t *p = buf;
    uint8_t blk[3 * FP_VARINT_MAX];
    size_t n = 0;
    n += fp_put_varint(blk + n, t->tid);
    n += fp_put_varint(blk + n, t->seq);
    n += fp_put_varint(blk + n, t->t_last);
    *p++ = FP_REC_BLOCK;
    p += fp_put_varint(p, n);
    memcpy(p, blk, n);
    p += n;
    uint8_t dt[FP_VARINT_MAX];
    size_t dl = fp_put_varint(dt, rel - t->t_last);
    *p++ = type;
    p += fp_put_varint(p, dl + head_len + tail_len);
    memcpy(p, dt, dl);
    p += dl;
    memcpy(p, payload_head, head_len);
    p += head_len;
    memcpy(p, tail, tail_len);
    p += tail_len;
    fp_trace_write_member(buf, (size_t)(p - buf), t->tid, t->seq, rel, rel);
    t->seq++;
    t->t_last = rel;
    fp_os_unmap(buf, cap);
}

/* ---- records */
static void block_start(struct fp_thread *t)
{
    uint8_t *p = t->data;
    uint8_t payload[3 * FP_VARINT_MAX];
    size_t n = 0;
    n += fp_put_varint(payload + n, t->tid);
    n += fp_put_varint(payload + n, t->seq);
    n += fp_put_varint(payload + n, t->t_last);
    p[0] = FP_REC_BLOCK;
    p[1] = (uint8_t)n;
    memcpy(p + 2, payload, n);
    t->t_first = UINT64_MAX;  /* set by the block's first timed record */
    atomic_store_explicit(&t->len, 2 + n, memory_order_relaxed);
}

static FP_NOINLINE void rec_make_room(struct fp_thread *t, size_t need)
{
    if (atomic_load_explicit(&t->len, memory_order_relaxed) > 0)
        fp_thread_flush(t);
    (void)need;
}

void fp_rec_begin(struct fp_rec *r, struct fp_thread *t, uint8_t type, size_t max)
{
    size_t len = atomic_load_explicit(&t->len, memory_order_relaxed);
    size_t need = max + 1 + FP_VARINT_MAX;
    if (FP_UNLIKELY(len + need > t->cap)) {
        rec_make_room(t, need);
        len = 0;
    }
    if (len == 0) {
        block_start(t);
        len = atomic_load_explicit(&t->len, memory_order_relaxed);
    }
    r->t = t;
    r->start = t->data + len;
    r->start[0] = type;
    r->p = r->start + 2;    /* one length byte assumed; fixed in fp_rec_end */
}

void fp_rec_begin_timed(struct fp_rec *r, struct fp_thread *t, uint8_t type,
                        size_t max, uint64_t now)
{
    fp_rec_begin(r, t, type, max + FP_VARINT_MAX);
    uint64_t rel = now - fp_t0;
    if (rel < t->t_last)
        rel = t->t_last;     /* clocks never go back within a block */
    fp_rec_u(r, rel - t->t_last);
    t->t_last = rel;
    if (t->t_first == UINT64_MAX)
        t->t_first = rel;
}

void fp_rec_end(struct fp_rec *r)
{
    struct fp_thread *t = r->t;
    size_t plen = (size_t)(r->p - (r->start + 2));
    if (FP_UNLIKELY(plen >= 0x80)) {
        uint8_t tmp[FP_VARINT_MAX];
        size_t vl = fp_put_varint(tmp, plen);
        memmove(r->start + 1 + vl, r->start + 2, plen);
        memcpy(r->start + 1, tmp, vl);
        r->p = r->start + 1 + vl + plen;
    } else {
        r->start[1] = (uint8_t)plen;
    }
    atomic_store_explicit(&t->len, (size_t)(r->p - t->data), memory_order_release);
    if (FP_UNLIKELY(t->t_first != UINT64_MAX && t->t_last - t->t_first > fp_config.flush_ns))
        fp_thread_flush(t);
}
