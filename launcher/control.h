/* The launcher's commands for a running process: --toggle (control.c) and
 * -p, attaching (attach.c). */
#ifndef FP_LAUNCHER_CONTROL_H
#define FP_LAUNCHER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

char *fp_proc_read(long pid, const char *file, size_t *len);
bool  fp_proc_has_shim(long pid);
int   fp_toggle_main(long pid, int quiet);
/* attach to pid with the shim at lib; duration 0: until Ctrl-C; live: with
 * the live view (launcher/live.h), whose q detaches too */
int   fp_attach_main(long pid, const char *lib, double duration, int quiet, int live);

#endif
