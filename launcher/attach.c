/* faultprof -p PID: record a process that is already running.
 *
 * gdb (Debian's, in batch mode, as heaptrack and memray do) loads
 * libfaultprof.so into the process with dlopen and calls faultprof_attach
 * with our settings; the shim then points the program's GOT entries at its
 * hooks (preload/inject.c).  gdb rather than ptrace by hand: calling a
 * function in a stopped process (registers, stack alignment, a return
 * breakpoint, signals meanwhile, threads, unwinding on a fault) is what a
 * debugger does well and is a few thousand lines to get right.
 *
 * Every step is a gdb call that the process survives whatever happens to
 * us: gdb runs in a process group of its own, so Ctrl-C or a kill of the
 * launcher does not stop it half-way through a call, and gdb detaches when
 * its batch ends.  Recording starts paused and is resumed by the toggle
 * signal once gdb has left; detaching is a gdb call of faultprof_detach. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "live.h"
#include "faultprof/settings.h"

#define CONTROL_RESUME 0x66700003   /* preload/fp.h FP_CONTROL_RESUME */

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
    (void)sig;
    stop_asked = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("faultprof: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* "Uid:" or "Gid:" of /proc/PID/status: real, effective, saved */
static int status_ids(const char *status, const char *key, long id[3])
{
    const char *p = strstr(status, key);
    return p && sscanf(p + strlen(key), "%ld %ld %ld", &id[0], &id[1], &id[2]) == 3 ? 0 : -1;
}

static bool have_cap_sys_ptrace(void)
{
    char *st = fp_proc_read((long)getpid(), "status", NULL);
    const char *p = st ? strstr(st, "CapEff:") : NULL;
    unsigned long long caps = p ? strtoull(p + 7, NULL, 16) : 0;
    free(st);
    return caps & (1ull << 19);
}

static bool is_descendant(long pid)
{
    for (int depth = 0; pid > 1 && depth < 64; depth++) {
        char *st = fp_proc_read(pid, "status", NULL);
        const char *p = st ? strstr(st, "PPid:") : NULL;
        long ppid = p ? strtol(p + 5, NULL, 10) : 0;
        free(st);
        if (ppid == (long)getpid())
            return true;
        pid = ppid;
    }
    return false;
}

/* Why we may not attach to pid, as one line with the fix; NULL: we may. */
static const char *refusal(long pid, char *buf, size_t n)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return snprintf(buf, n, "no process %ld", pid), buf;
    char *st = fp_proc_read(pid, "status", NULL);
    long uid[3], gid[3];
    if (!st || status_ids(st, "Uid:", uid) || status_ids(st, "Gid:", gid)) {
        free(st);
        return snprintf(buf, n, "cannot read /proc/%ld/status", pid), buf;
    }
    free(st);
    long me = (long)geteuid();
    bool cap = have_cap_sys_ptrace();
    bool same = uid[0] == me && uid[1] == me && uid[2] == me && gid[0] == (long)getegid() &&
                gid[1] == (long)getegid() && gid[2] == (long)getegid();
    if (!same && !cap) {
        if (uid[0] == me && (uid[1] != me || uid[2] != me || gid[1] != gid[0]))
            return snprintf(buf, n, "process %ld runs set-user-ID or set-group-ID (effective "
                            "uid %ld): only root may trace it", pid, uid[1]), buf;
        if (me == 0)
            return snprintf(buf, n, "process %ld belongs to uid %ld and this root has no "
                            "CAP_SYS_PTRACE (a container drops it): give it the capability "
                            "(docker run --cap-add=SYS_PTRACE)", pid, uid[0]), buf;
        return snprintf(buf, n, "process %ld belongs to another user (uid %ld): run faultprof "
                        "-p as that user or as root", pid, uid[0]), buf;
    }
    char yama[16] = "";
    /* the tests name another file: a kernel without Yama has none */
    const char *scope_file = getenv("FAULTPROF_TEST_YAMA_FILE");
    int fd = open(scope_file ? scope_file : "/proc/sys/kernel/yama/ptrace_scope",
                  O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, yama, sizeof(yama) - 1);
        yama[got > 0 ? got : 0] = 0;
        close(fd);
    }
    int scope = atoi(yama);
    if (scope == 3)
        return snprintf(buf, n, "Yama ptrace_scope is 3: attaching is disabled until the next "
                        "boot"), buf;
    if (scope == 2 && !cap)
        return snprintf(buf, n, "Yama ptrace_scope is 2: only root may attach; run faultprof "
                        "-p as root"), buf;
    if (scope == 1 && !cap && !is_descendant(pid))
        return snprintf(buf, n, "Yama ptrace_scope is 1: only a parent may attach to %ld; run "
                        "'sysctl kernel.yama.ptrace_scope=0' as root, or faultprof -p as "
                        "root", pid), buf;
    char *maps = fp_proc_read(pid, "maps", NULL);
    if (!maps)
        return snprintf(buf, n, "cannot read /proc/%ld/maps", pid), buf;
    bool dynamic = strstr(maps, "/libc.so") != NULL;
    bool ours = strstr(maps, "/libfaultprof.so") != NULL;
    free(maps);
    if (!dynamic)
        return snprintf(buf, n, "process %ld is statically linked (no libc.so loaded): the "
                        "recorder can only be loaded into a dynamically linked program",
                        pid), buf;
    if (ours)
        return snprintf(buf, n, "process %ld already runs with libfaultprof.so: use "
                        "'faultprof --toggle %ld' to pause or resume it", pid, pid), buf;
    return NULL;
}

/* Appends s to a gdb C string literal. */
static void c_string(char *out, size_t n, const char *s)
{
    size_t j = strlen(out);
    for (; *s && j + 3 < n; s++) {
        if (*s == '"' || *s == '\\')
            out[j++] = '\\';
        if (*s == '\n') {
            out[j++] = '\\';
            out[j++] = 'n';
            continue;
        }
        out[j++] = *s;
    }
    out[j] = 0;
}

/* Runs gdb on pid with the -ex commands, in a process group of its own;
 * the value of the last call ("$N = V") goes to *value.  Returns gdb's
 * exit status, or -1 when it could not run. */
static int gdb_run(long pid, const char *const *cmds, int ncmds, long long *value)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    char pidbuf[24];
    snprintf(pidbuf, sizeof(pidbuf), "%ld", pid);
    const char *argv[64] = { "gdb", "-p", pidbuf, "-batch", "-nx", "-q",
                             "-ex", "set confirm off", "-ex", "set unwindonsignal on" };
    int argc = 10;
    for (int i = 0; i < ncmds && argc + 3 < 64; i++) {
        argv[argc++] = "-ex";
        argv[argc++] = cmds[i];
    }
    argv[argc] = NULL;
    pid_t g = fork();
    if (g < 0)
        return -1;
    if (g == 0) {
        setpgid(0, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        close(out[1]);
        execvp("gdb", (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t got;
    while ((got = read(out[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        len += (size_t)got;
        if (len + 1 >= sizeof(buf))
            len = 0;              /* keep the tail: the values come last */
    }
    buf[len] = 0;
    close(out[0]);
    int status;
    while (waitpid(g, &status, 0) < 0 && errno == EINTR) {
    }
    *value = -1;
    for (char *p = buf; (p = strchr(p, '$')); p++) {
        char *eq = strstr(p, " = ");
        if (eq && eq - p < 8) {
            char *v = eq + 3;
            if (!strncmp(v, "(void *) ", 9))
                v += 9;
            *value = strtoll(v, NULL, 0);
        }
    }
    if (getenv("FAULTPROF_GDB_LOG"))
        fputs(buf, stderr);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The settings the shim takes, as lines: our FAULTPROF_* variables, the
 * output template made absolute (the process has its own directory). */
static void settings_lines(char *out, size_t n, const char *registry)
{
    static const struct fp_setting rows[] = { FP_SETTINGS(FP_SETTING_ROW) };
    char line[PATH_MAX + 64];
    out[0] = 0;
    for (size_t i = 0; i < FP_SETTINGS_COUNT; i++) {
        const char *v = getenv(rows[i].var);
        if (i == FP_SETTING_output && (!v || !*v))
            v = FP_OUTPUT_DEFAULT;
        if (!v || !*v)
            continue;
        char cwd[PATH_MAX] = "";
        if (i == FP_SETTING_output && v[0] != '/' && getcwd(cwd, sizeof(cwd)))
            strcat(cwd, "/");
        snprintf(line, sizeof(line), "%s=%s%s\n", rows[i].var, cwd, v);
        if (strlen(out) + strlen(line) < n)
            strcat(out, line);
    }
    snprintf(line, sizeof(line), "FAULTPROF_REGISTRY=%s\n", registry);
    if (strlen(out) + strlen(line) < n)
        strcat(out, line);
}

static int toggle_signal(void)
{
    const char *v = getenv("FAULTPROF_TOGGLE_SIGNAL");
    return v && atoi(v) ? atoi(v) : SIGRTMAX;
}

static int inject(long pid, const char *lib, const char *registry)
{
    char settings[8192], dl[PATH_MAX + 64] = "call (void *) dlopen(\"";
    char call[16384] = "call (int) faultprof_attach(\"";
    settings_lines(settings, sizeof(settings), registry);
    c_string(dl, sizeof(dl), lib);
    strcat(dl, "\", 2)");
    c_string(call, sizeof(call), settings);
    strcat(call, "\")");
    const char *cmds[] = { dl, call };
    long long v;
    int rc = gdb_run(pid, cmds, 2, &v);
    if (rc == 127) {
        say("-p %ld: gdb not found: install it (apt-get install gdb); faultprof -p runs it "
            "to load the recorder", pid);
        return -1;
    }
    if (v != 0) {
        say("-p %ld: loading %s failed (gdb exit %d, last value %lld); the process runs on "
            "unchanged (FAULTPROF_GDB_LOG=1 shows gdb's output)", pid, lib, rc, v);
        return -1;
    }
    union sigval sv = { .sival_int = CONTROL_RESUME };
    if (sigqueue((pid_t)pid, toggle_signal(), sv) != 0) {
        say("-p %ld: cannot start recording: %s", pid, strerror(errno));
        return -1;
    }
    return 0;
}

static void wait_for_stop(long pid, double duration, int live)
{
    struct timespec t0, now, tick = { 0, 100 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!stop_asked) {
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            return;                       /* it ended: its trace ended with it */
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
        if ((duration > 0 && el >= duration) || (live && !fp_live_running()))
            return;
        nanosleep(&tick, NULL);
    }
}

static int detach(long pid)
{
    const char *cmds[] = { "call (int) faultprof_detach()" };
    for (int tries = 0; tries < 20; tries++) {
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            return 0;
        long long v;
        gdb_run(pid, cmds, 1, &v);
        if (v == 0 || v == -1)
            return 0;
        struct timespec w = { 0, 50 * 1000 * 1000 };
        nanosleep(&w, NULL);
    }
    say("-p %ld: could not detach (the thread gdb stops is always inside the recorder); "
        "recording goes on until the process ends", pid);
    return -1;
}

static void report_traces(const char *registry, int quiet)
{
    char *text = NULL;
    FILE *f = fopen(registry, "r");
    if (f) {
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&text, &cap, f)) > 0) {
            if (text[n - 1] == '\n')
                text[n - 1] = 0;
            if (!quiet)
                say("wrote %s; read it with: faultprof-report %s", text, text);
        }
        fclose(f);
    }
    free(text);
}

int fp_attach_main(long pid, const char *lib, double duration, int quiet, int live)
{
    char why[512];
    if (refusal(pid, why, sizeof(why))) {
        say("-p %ld: %s", pid, why);
        return 1;
    }
    char registry[PATH_MAX];
    const char *dir = getenv("TMPDIR");
    snprintf(registry, sizeof(registry), "%s/faultprof-registry.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkostemp(registry, O_CLOEXEC);
    if (fd < 0) {
        say("cannot create a registry file: %s", strerror(errno));
        return 1;
    }
    fchmod(fd, 0666);     /* the process may run as another user (root attaching) */
    close(fd);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int rc = 1;
    if (inject(pid, lib, registry) == 0) {
        if (!quiet && !live)
            say("recording %ld%s", pid, duration > 0 ? "" : "; Ctrl-C detaches");
        if (live)
            fp_live_start((pid_t)pid);
        wait_for_stop(pid, duration, live);
        rc = detach(pid) == 0 ? 0 : 1;
        if (live)
            fp_live_finish();
        report_traces(registry, quiet);
    }
    unlink(registry);
    return rc;
}
