/* faultprof --toggle PID: pause or resume the recording of a process that
 * runs with libfaultprof.so.  The shim takes FAULTPROF_TOGGLE_SIGNAL
 * (SIGRTMAX unless set) and toggles on an instance that carries our
 * sigqueue value (preload/control.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "faultprof/settings.h"

/* The sigqueue value the shim knows (preload/fp.h FP_CONTROL_TOGGLE) */
#define CONTROL_TOGGLE 0x66700001

/* /proc/PID/FILE into a NUL-terminated malloc'ed buffer, or NULL */
char *fp_proc_read(long pid, const char *file, size_t *len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

bool fp_proc_has_shim(long pid)
{
    char *maps = fp_proc_read(pid, "maps", NULL);
    bool has = maps && strstr(maps, "/libfaultprof.so");
    free(maps);
    return has;
}

/* The signal the process's shim took: our own FAULTPROF_TOGGLE_SIGNAL
 * (--toggle-signal), else the one its environment gave it, else SIGRTMAX. */
static int toggle_signal_of(long pid)
{
    const char *mine = getenv("FAULTPROF_TOGGLE_SIGNAL");
    if (mine && *mine)
        return atoi(mine) ? atoi(mine) : SIGRTMAX;
    size_t len = 0;
    char *env = fp_proc_read(pid, "environ", &len);
    int sig = 0;
    for (size_t i = 0; env && i < len; i += strlen(env + i) + 1)
        if (!strncmp(env + i, "FAULTPROF_TOGGLE_SIGNAL=", 24))
            sig = atoi(env + i + 24);
    free(env);
    return sig ? sig : SIGRTMAX;
}

int fp_toggle_main(long pid, int quiet)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        fprintf(stderr, "faultprof: --toggle %ld: no such process\n", pid);
        return 1;
    }
    if (!fp_proc_has_shim(pid)) {
        fprintf(stderr, "faultprof: --toggle %ld: the process is not recorded by faultprof "
                "(no libfaultprof.so in /proc/%ld/maps)\n", pid, pid);
        return 1;
    }
    int sig = toggle_signal_of(pid);
    union sigval v = { .sival_int = CONTROL_TOGGLE };
    if (sigqueue((pid_t)pid, sig, v) != 0) {
        fprintf(stderr, "faultprof: --toggle %ld: signal %d: %s\n", pid, sig, strerror(errno));
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "faultprof: toggled the recording of %ld (signal %d)\n", pid, sig);
    return 0;
}
