/* symfiles: the module files of a model's processes, each opened once for
 * all of them.  A file is its recorded path and build-id: the same file in
 * every process that maps it, at whatever base.  It gets a Dwfl holding it
 * alone, reported at the first base seen; symbols.c looks up an address of
 * any process there, moved by the difference of the bases.  A build's
 * thirty compilers then open libc's debug info once, not thirty times.
 *
 * The prewarm: when a process's modules are known (the model's
 * modules_known hook), a thread opens those of its files no earlier process
 * brought, with the debug info of those a frame read so far lies in, while
 * the rest of the trace is read; fp_symfiles_get takes them from there. */
#ifndef FP_SYMFILES_H
#define FP_SYMFILES_H

#include <elfutils/libdwfl.h>
#include <stdint.h>
#include <stdio.h>

struct fp_model;

struct fp_symfile {
    char *file;                /* the file opened (debuginfo.c); NULL: none, said why */
    Dwfl *dwfl;                /* the file alone, at base; NULL: not readable */
    Dwfl_Module *mod;
    uint64_t base;
    uint8_t warned;            /* a warning about it was printed */
};

struct fp_symfiles;

/* warn: where the lines about missing or mismatched files go (NULL:
 * nowhere). */
struct fp_symfiles *fp_symfiles_new(const struct fp_model *m, FILE *warn);
void fp_symfiles_free(struct fp_symfiles *f);

/* The file of module i of process pi, opened at the first call for it (by
 * any process); its number, the same for every process, in *id.  NULL when
 * the module is no file ([vdso], an anonymous region) or out of memory. */
struct fp_symfile *fp_symfiles_get(struct fp_symfiles *f, uint32_t pi, uint32_t i, uint32_t *id);

/* The model's modules_known hook (see above).  Does nothing when
 * fp_report_threads() says no. */
void fp_symfiles_prewarm(struct fp_model *m, uint32_t pi);

#endif
