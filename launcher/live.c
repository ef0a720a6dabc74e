/* faultprof --live: see live.h.  The viewer is faultprof-report --live, run
 * from the launcher's own directory (else PATH) in a child of the launcher;
 * it draws on /dev/tty, so the program's stdout and stderr stay as they
 * are.  q in the viewer ends only the viewer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"

static char tmpl[PATH_MAX + 32];     /* the trace template, "%p" at most */
static char dir[PATH_MAX];           /* the directory the viewer shows, or "" */
static char trace[PATH_MAX + 32];    /* the root process's trace */
static pid_t viewer;

int fp_live_prepare(const char *run_dir)
{
    const char *out = getenv("FAULTPROF_OUTPUT");
    if (run_dir) {
        snprintf(dir, sizeof(dir), "%s", run_dir);
    } else if (out && *out) {
        for (const char *p = out; *p; p++)
            if (p[0] == '%' && p[1] != 'p') {
                fprintf(stderr, "faultprof: --live: -o %s: only %%p may be in the path\n", out);
                return -1;
            } else if (p[0] == '%') {
                p++;
            }
        snprintf(tmpl, sizeof(tmpl), "%s", out);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir) - 32, "%s/faultprof-live.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            fprintf(stderr, "faultprof: --live: %s: %s\n", dir, strerror(errno));
            return -1;
        }
        snprintf(tmpl, sizeof(tmpl), "%s/faultprof.%%p.gz", dir);
        setenv("FAULTPROF_OUTPUT", tmpl, 1);
    }
    if (!getenv("FAULTPROF_FLUSH_MS"))
        setenv("FAULTPROF_FLUSH_MS", "250", 1);
    return 0;
}

/* tmpl with %p as pid */
static void trace_path(pid_t pid)
{
    size_t n = 0;
    for (const char *p = tmpl; *p && n < sizeof(trace) - 16; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += (size_t)snprintf(trace + n, sizeof(trace) - n, "%ld", (long)pid);
            p++;
        } else {
            trace[n++] = *p;
        }
    }
    trace[n] = '\0';
}

void fp_live_start(pid_t pid)
{
    char self[PATH_MAX], report[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    trace_path(pid);
    snprintf(report, sizeof(report), "faultprof-report");
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(report, sizeof(report), "%s/faultprof-report", self);
            if (access(report, X_OK) != 0)
                snprintf(report, sizeof(report), "faultprof-report");
        }
    }
    viewer = fork();
    if (viewer == 0) {
        /* the viewer does not record itself, nor take the program's settings */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        unsetenv("LD_PRELOAD");
        /* on a busy machine the program comes first: the view may lag */
        if (nice(10) < 0) {
            /* not lowered: the view runs at the program's priority */
        }
        /* its closing line goes to the terminal, not into the program's stdout */
        int tty = open("/dev/tty", O_WRONLY | O_CLOEXEC);
        if (tty < 0)
            tty = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (tty >= 0)
            dup2(tty, STDOUT_FILENO);
        execlp(report, report, "--live", dir[0] ? dir : trace, (char *)NULL);
        fprintf(stderr, "faultprof: --live: %s: %s\n", report, strerror(errno));
        _exit(127);
    }
    if (viewer < 0)
        fprintf(stderr, "faultprof: --live: fork: %s\n", strerror(errno));
}

int fp_live_running(void)
{
    if (viewer <= 0)
        return 0;
    if (waitpid(viewer, NULL, WNOHANG) == viewer) {
        viewer = 0;
        return 0;
    }
    return 1;
}

void fp_live_finish(void)
{
    if (viewer > 0)
        while (waitpid(viewer, NULL, 0) < 0 && errno == EINTR)
            ;
    viewer = 0;
}
