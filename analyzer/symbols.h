/* symbols: offline symbolization of recorded addresses with elfutils libdwfl
 * (function, file:line, inlined frames), demangling of C++ and Rust (legacy
 * and v0), and interning of the resulting frames so that equal frames from
 * different threads or processes compare as equal ids. */
#ifndef FP_SYMBOLS_H
#define FP_SYMBOLS_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

struct fp_model;

struct fp_frame {
    const char *func;     /* demangled; NULL when unknown */
    const char *file;     /* source file or NULL */
    uint32_t line;
    const char *module;   /* basename of the module, NULL outside any module */
    uint64_t offset;      /* address - load bias (or the address itself) */
    int inlined;          /* this frame was inlined into the next one */
};

struct fp_syms;

/* warn: where "no symbols for ..." lines go (NULL: nowhere).
 * use_dwfl 0: only modules and offsets (fast; for tests and --no-symbols). */
struct fp_syms *fp_syms_new(const struct fp_model *m, FILE *warn, int use_dwfl);
void fp_syms_free(struct fp_syms *s);

/* Symbolizes a return address of process proc (the call is at addr - 1) in
 * the modules loaded when the process had seen gen module unloads (the raw
 * stack's mod_gen; UINT32_MAX: those loaded at the end).  Sets *ids to the
 * interned frames, innermost (inlined) first; returns their count (>= 1), or
 * -1 when out of memory. */
int fp_syms_resolve(struct fp_syms *s, uint32_t proc, uint32_t gen, uint64_t addr,
                    const uint32_t **ids);

/* The same for an instruction address (a fault's ip): looked up as it is. */
int fp_syms_resolve_ip(struct fp_syms *s, uint32_t proc, uint32_t gen, uint64_t addr,
                       const uint32_t **ids);

const struct fp_frame *fp_syms_frame(const struct fp_syms *s, uint32_t id);

/* The frame of the signal return trampoline ("[signal handler called]"): the
 * frame after it is an interrupted instruction, not a return address. */
#define FP_SIGRETURN_NAME "[signal handler called]"
int fp_syms_frame_is_sigreturn(const struct fp_syms *s, uint32_t id);
uint32_t fp_syms_nframes(const struct fp_syms *s);

/* Interns a frame by content; returns its id (or UINT32_MAX out of memory). */
uint32_t fp_syms_intern_frame(struct fp_syms *s, const struct fp_frame *f);
const char *fp_syms_intern_str(struct fp_syms *s, const char *str, size_t len);

/* The frame's function text: "func" or "module+0xoff" or "0xaddr". */
const char *fp_frame_name(const struct fp_frame *f, char *buf, size_t n);

/* Demangles (C++, Rust legacy and v0), strips Rust legacy hashes and a C++
 * template function's return type.  Returns a malloc'd string. */
char *fp_demangle(const char *name);

#endif
