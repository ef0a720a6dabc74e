/* debuginfo: where a traced module's file and its debug info come from when
 * symbols.c opens them — the file under --sysroot or at its recorded path,
 * checked against the build-id the trace recorded; debug info from the
 * --debug-dir directories, the standard places (/usr/lib/debug, .debug,
 * .gnu_debuglink) and, when DEBUGINFOD_URLS is set, debuginfod servers
 * through libdw's client, each fetch or miss said once on the warning
 * stream. */
#ifndef FP_DEBUGINFO_H
#define FP_DEBUGINFO_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdio.h>

struct fp_module;

/* Sets where files are looked up: sysroot (NULL: none), the n debug_dirs,
 * and the stream for debuginfod's lines (NULL: none; stderr by default).
 * Call once, before any Dwfl is made.  Returns 0, or -1 out of memory. */
int fp_debuginfo_configure(const char *sysroot, const char *const *debug_dirs, size_t n,
                           FILE *warn);

/* dwfl_begin with the callbacks above (and debuginfod's progress hook). */
Dwfl *fp_debuginfo_begin(void);

enum fp_file_status {
    FP_FILE_OK = 0,       /* path is the file, its build-id the traced one (or none recorded) */
    FP_FILE_MISSING,      /* no readable file */
    FP_FILE_MISMATCH,     /* path exists with another build-id (in id, hex) */
};

/* The file to open for module md: under the sysroot first, then at its
 * recorded path; the first whose build-id is the traced one.  Writes that
 * path (FP_FILE_OK) or the mismatched file's (FP_FILE_MISMATCH) to path. */
enum fp_file_status fp_debuginfo_module_file(const struct fp_module *md, char *path, size_t n,
                                             char *id, size_t idn);

/* Hex of a build-id into buf. */
const char *fp_debuginfo_hex(const unsigned char *bits, size_t len, char *buf, size_t n);

#endif
