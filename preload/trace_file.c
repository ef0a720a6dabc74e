/* The trace file: its name (FAULTPROF_OUTPUT's template), opening it
 * without clobbering one still in use, the launcher's registry, and writing
 * one member with a single write() on an O_APPEND descriptor, so members of
 * different threads never interleave and a killed process leaves a file
 * readable up to its last whole member. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fp.h"

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
    const char *reg = fp_setting_env("FAULTPROF_REGISTRY");
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
    zs.zalloc = fp_zc_zalloc;
    zs.zfree = fp_zc_zfree;
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = sizeof(out);
    inflate(&zs, Z_SYNC_FLUSH);
    size_t got = sizeof(out) - zs.avail_out;
    inflateEnd(&zs);
    /* only the first field of PROCESS is read: the rest may not have been
     * inflated (out is small) */
    _Static_assert(FP_FIELD_process_pid == 0, "PROCESS begins with pid");
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
    const char *tmpl = fp_config.output;
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

/* Compress raw into one gzip member (compress.c) and write it with one
 * write(). */
static int member_write(const uint8_t *raw, size_t len, uint32_t tid,
                        uint32_t seq, uint64_t t_first, uint64_t t_last)
{
    if (trace.failed || trace.closed || trace.fd < 0)
        return -1;
    fp_clock_calibrate(fp_now_ns());
    struct fp_zc *z = fp_zc_get(len);
    if (!z) {
        trace_fail(ENOMEM);
        return -1;
    }
    size_t out_len = fp_zc_member(z, raw, len, tid, seq, t_first, t_last);
    if (out_len == 0) {
        fp_zc_put(z);
        trace_fail(EIO);
        return -1;
    }
    int fd = trace_fd();
    int err = fd < 0 ? EBADF : write_member(fd, z->out, out_len);
    fp_zc_put(z);
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

    static uint8_t payload[sizeof(cmdline) + sizeof(exe) + 256];
    uint64_t flags = 0;
    if (fp_config.ptmalloc) flags |= FP_PROC_PTMALLOC;
    if (!fp_config.follow) flags |= FP_PROC_NO_FOLLOW;
    if (fp_attached && !fp_is_fork_child) flags |= FP_PROC_ATTACHED;
    if (fp_is_fork_child) flags |= FP_PROC_FORK_CHILD;
    struct fp_rec_process x = {
        .pid = (uint64_t)fp_pid, .ppid = (uint64_t)getppid(), .flags = flags,
        .t0_monotonic = fp_t0, .t0_realtime = fp_realtime_ns(),
        .page_size = (uint64_t)sysconf(_SC_PAGESIZE), .depth_limit = fp_config.depth,
        .rusage_every = fp_config.rusage_every,
        .exe = { exe, (uint32_t)el }, .cmdline = { cmdline, (uint32_t)cl },
        .sample_bytes = fp_config.sample_bytes, .clock_step = FP_CLOCK_STEP_NS,
    };
    size_t plen = (size_t)(fp_enc_process(payload, &x) - payload);
    *p++ = FP_REC_PROCESS;
    p += fp_put_varint(p, plen);
    memcpy(p, payload, plen);
    p += plen;
    fp_trace_write_member(buf, (size_t)(p - buf), 0, 0, 0, 0);
}
