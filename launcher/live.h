/* faultprof --live (live.c): the program's trace goes where the launcher
 * knows it, and faultprof-report --live shows it while the program runs. */
#ifndef FP_LAUNCHER_LIVE_H
#define FP_LAUNCHER_LIVE_H

#include <sys/types.h>

/* Before the program starts: picks the trace template (FAULTPROF_OUTPUT:
 * the user's -o PATH, the run directory run_dir, or a new directory under
 * $TMPDIR) and a 250 ms flush unless the user chose one.  The viewer shows
 * the directory (every process: fork and exec children too), or with -o
 * PATH the root process's trace.  Returns 0, or -1 after saying why. */
int  fp_live_prepare(const char *run_dir);
/* The program runs as pid: starts the viewer on its traces. */
void fp_live_start(pid_t pid);
/* 1 while the viewer runs (0 once q ended it). */
int  fp_live_running(void);
/* The program has ended: waits for the viewer (it quits by itself when the
 * trace or the process says so); the launcher then names the trace as usual. */
void fp_live_finish(void);

#endif
